//! The engine's performance targets, measured with criterion (see `docs/performance.md`).
//!
//! - `decide_apply`: deciding and applying an action whose guards all hold (4 guards each).
//! - `available_actions`: the actions of a stage with 4 outgoing actions (and the real 3).
//! - `load_definition`: loading and validating `workflows/metrology-spec.toml`.
//! - `replay_100k`: folding the 100,000 events of a long-lived project, borrowed (`replay`) and
//!   owned (`apply_owned`).
//! - `audit/verify_1m`: verifying 1,000,000 records (1,000 chains of 1,000), against
//!   `audit/sha256_baseline`; `audit/verify_100k_one_chain` verifies the long project as one chain.
//! - `tick_nothing_due`: the scheduler's tick on a project with nothing due.
//!
//! The memory target is measured by `benches/memory.rs`.
//!
//! Run with `cargo bench -p specflow-engine --bench engine`; add `-- NAME` to run one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{METROLOGY_SPEC, PROJECT_ID, long_project, metrology_definition};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use sha2::{Digest, Sha256};
use specflow_engine::audit::{AuditRecord, seal_all, verify};
use specflow_engine::scenario::{Scenario, parse_scenario, simulate};
use specflow_engine::{
    Actor, Command, Event, ProjectState, WorkflowDefinition, available_actions, decide,
    next_deadline, tick,
};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration as StdDuration;
use uuid::Uuid;

const TO_IN_FORCE: &str = include_str!("../../../workflows/scenarios/to-in-force.toml");

/// A fourth way out of `review`, so that a stage has 4 outgoing actions (the real definition's
/// busiest stage, `review`, has 3: `pass_review`, `fail_review` and `cancel`).
const FOURTH_REVIEW_ACTION: &str = r#"

[[transitions]]
action = "return_to_drafting"
name = { zh = "退回起草", en = "return to drafting" }
from = ["review"]
to = "drafting"
roles = ["secretariat"]
requires_reason = true

[[transitions.guards]]
guard = "vote_held"
motion = "review"

[[transitions.guards]]
guard = "artifacts_present"
artifact_kinds = ["minutes"]
"#;

/// The state just before the to-in-force scenario fires `action`, with the step that fires it.
struct BeforeAction {
    /// The events that led to `state`, to rebuild it as the service does.
    events: Vec<specflow_engine::Event>,
    state: ProjectState,
    actor: Actor,
    command: Command,
    at: DateTime<Utc>,
}

fn before_action(definition: &WorkflowDefinition, action: &str) -> BeforeAction {
    let scenario = parse_scenario("to-in-force.toml", TO_IN_FORCE).unwrap();
    let index = scenario
        .steps
        .iter()
        .position(|step| {
            matches!(&step.command, Command::FireAction { action: fired, .. } if fired == action)
        })
        .unwrap_or_else(|| panic!("to-in-force.toml never fires {action}"));
    let step = scenario.steps[index].clone();
    let prefix = Scenario {
        project_id: scenario.project_id,
        steps: scenario.steps[..index].to_vec(),
        end: None,
    };
    let report = simulate(definition, &prefix).unwrap();
    let events = report
        .records
        .iter()
        .map(|record| record.to_event().unwrap())
        .collect();
    BeforeAction {
        events,
        state: report.state,
        actor: step.actor,
        command: step.command,
        at: step.at,
    }
}

fn decide_and_apply(
    state: &mut ProjectState,
    definition: &WorkflowDefinition,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) {
    let events = decide(state, definition, command, actor, now).unwrap();
    for event in events {
        state.apply_owned(event);
    }
}

fn bench_decide_apply(c: &mut Criterion) {
    let definition = metrology_definition();
    let mut group = c.benchmark_group("decide_apply");
    for (action, guards) in [("submit_for_review", 4), ("pass_review", 4)] {
        let before = before_action(&definition, action);
        let transition = definition
            .transition_from(before.state.stage(), action)
            .unwrap();
        assert_eq!(transition.guards.len(), guards);
        // Every guard holds: the action is accepted and moves the project on.
        let mut check = before.state.clone();
        decide_and_apply(
            &mut check,
            &definition,
            &before.command,
            &before.actor,
            before.at,
        );
        assert_eq!(check.stage(), transition.to);
        group.bench_function(action, |b| {
            // Large batches of small inputs would keep thousands of cloned states alive at once:
            // each would then be cold in the cache and glibc would consolidate its free lists
            // between batches, which measures the allocator more than the engine (about 4 µs here
            // instead of 1 µs). `LargeInput` keeps few clones alive, like a service deciding on the
            // state it has just loaded.
            // The state is rebuilt from its events, as the service builds it, rather than
            // cloned: a clone has no room left in any vector, so the first push of every apply
            // would copy the whole vector, which a state built by `apply` does not.
            b.iter_batched_ref(
                || ProjectState::replay(&before.events),
                |state| {
                    decide_and_apply(
                        state,
                        &definition,
                        &before.command,
                        &before.actor,
                        before.at,
                    );
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn bench_available_actions(c: &mut Criterion) {
    let real = metrology_definition();
    let four = WorkflowDefinition::from_toml(
        "metrology-spec+4.toml",
        &format!("{METROLOGY_SPEC}{FOURTH_REVIEW_ACTION}"),
    )
    .unwrap();
    // In review, with the vote passed, the minutes attached and the field recorded.
    let before = before_action(&real, "pass_review");
    let mut group = c.benchmark_group("available_actions");
    for (name, definition, count) in [
        ("review_4_actions", &four, 4),
        ("review_3_actions", &real, 3),
    ] {
        let actions = available_actions(&before.state, definition, &before.actor, before.at);
        assert_eq!(actions.len(), count);
        assert!(actions[0].is_ready(), "pass_review should be ready");
        group.bench_function(name, |b| {
            b.iter(|| {
                available_actions(
                    black_box(&before.state),
                    definition,
                    &before.actor,
                    before.at,
                )
            });
        });
    }
    group.finish();
}

fn bench_load_definition(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_definition");
    group.bench_function("metrology_spec", |b| {
        b.iter(|| {
            WorkflowDefinition::from_toml("metrology-spec.toml", black_box(METROLOGY_SPEC)).unwrap()
        });
    });
    group.finish();
}

/// The first 100,000 events of the long project, built once for the benchmarks that need them.
fn events_100k() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events = long_project(&metrology_definition(), 100_000);
        describe("replay_100k", &events);
        events
    })
}

/// Prints what a log holds: how many events, over how long, and how many are about comments.
fn describe(name: &str, events: &[Event]) {
    let about_comments = events
        .iter()
        .filter(|event| {
            matches!(
                event.body.type_name(),
                "comment_recorded" | "comment_disposed"
            )
        })
        .count();
    let span = match (events.first(), events.last()) {
        (Some(first), Some(last)) => (last.occurred_at - first.occurred_at).num_days(),
        _ => 0,
    };
    eprintln!(
        "{name}: {} events over {:.1} years, {:.1}% of them comments and dispositions",
        events.len(),
        span as f64 / 365.25,
        about_comments as f64 * 100.0 / events.len() as f64
    );
}

fn replay_owned(events: Vec<Event>) -> ProjectState {
    let mut state = ProjectState::new();
    for event in events {
        state.apply_owned(event);
    }
    state
}

fn bench_replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay_100k");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(100_000));
    // The events as a cached log holds them: borrowed, the state copying what it keeps. The
    // state is dropped after the timing, as `apply_owned`'s is, so both time the fold alone.
    group.bench_function("replay", |b| {
        let events = events_100k();
        b.iter_with_large_drop(|| ProjectState::replay(black_box(events)));
    });
    // The events as a parser hands them over: owned, the fold moving what it keeps and freeing
    // the rest.
    group.bench_function("apply_owned", |b| {
        let events = events_100k();
        b.iter_batched(|| events.to_vec(), replay_owned, BatchSize::PerIteration);
    });
    group.finish();
}

/// How many projects, and records each, make up the million records `audit/verify_1m` verifies.
const CHAINS: usize = 1_000;
const RECORDS_PER_CHAIN: usize = 1_000;

/// A million sealed records: the first 1,000 events of the long project, sealed as the logs of
/// 1,000 projects (each its own chain, with its own project id and hashes).
fn chains_1m() -> &'static [Vec<AuditRecord>] {
    static CHAINS_1M: OnceLock<Vec<Vec<AuditRecord>>> = OnceLock::new();
    CHAINS_1M.get_or_init(|| {
        let events = long_project(&metrology_definition(), RECORDS_PER_CHAIN);
        let chains: Vec<Vec<AuditRecord>> = (0..CHAINS)
            .map(|chain| {
                let project_id = Uuid::from_u128(PROJECT_ID.as_u128() + chain as u128);
                seal_all(project_id, None, None, &events).unwrap()
            })
            .collect();
        report_hashed_bytes("audit/verify_1m", chains.iter().flatten());
        chains
    })
}

/// The long project's 100,000 events sealed as one chain.
fn chain_100k() -> &'static [AuditRecord] {
    static CHAIN: OnceLock<Vec<AuditRecord>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let records = seal_all(PROJECT_ID, None, None, events_100k()).unwrap();
        report_hashed_bytes("audit/verify_100k_one_chain", records.iter());
        records
    })
}

/// Prints how many bytes SHA-256 reads per record: the canonical encoding of `docs/audit-format.md`.
fn report_hashed_bytes<'a>(name: &str, records: impl Iterator<Item = &'a AuditRecord>) {
    let (count, bytes) = records.fold((0_usize, 0_usize), |(count, bytes), record| {
        let fields = [
            specflow_engine::audit::AUDIT_FORMAT.len(),
            36,
            record.sequence.to_string().len(),
            specflow_engine::audit::canonical_instant(record.recorded_at).len(),
            record.actor_id.len(),
            record.actor_role.len(),
            record.command_id.map_or(0, |_| 36),
            record.event_type.len(),
            record.event_version.to_string().len(),
            record.event.len(),
            64,
        ];
        (
            count + 1,
            bytes + fields.iter().map(|length| 4 + length).sum::<usize>(),
        )
    });
    eprintln!(
        "{name}: {count} records, {:.0} bytes hashed per record on average",
        bytes as f64 / count as f64
    );
}

fn bench_audit(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit");
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(StdDuration::from_secs(10));
    group.throughput(Throughput::Elements((CHAINS * RECORDS_PER_CHAIN) as u64));
    group.bench_function("verify_1m", |b| {
        let chains = chains_1m();
        let verify_all = |chains: &[Vec<AuditRecord>]| {
            chains
                .iter()
                .map(|chain| verify(chain).unwrap().records)
                .sum::<u64>()
        };
        assert_eq!(verify_all(chains), 1_000_000);
        b.iter(|| verify_all(black_box(chains)));
    });
    group.bench_function("sha256_baseline", |b| {
        let mut buffer = [0u8; 300];
        for (index, byte) in buffer.iter_mut().enumerate() {
            *byte = b'a' + (index % 26) as u8;
        }
        b.iter(|| {
            let mut folded = 0u8;
            for index in 0..1_000_000_u64 {
                buffer[..8].copy_from_slice(&index.to_be_bytes());
                folded ^= Sha256::digest(black_box(&buffer))[0];
            }
            folded
        });
    });
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("verify_100k_one_chain", |b| {
        let records = chain_100k();
        assert_eq!(verify(records).unwrap().records, 100_000);
        b.iter(|| verify(black_box(records)).unwrap());
    });
    group.finish();
}

fn bench_tick(c: &mut Criterion) {
    let definition = metrology_definition();
    let mut group = c.benchmark_group("tick_nothing_due");
    // In review: the overall and review deadlines run, three others have closed.
    let review = before_action(&definition, "pass_review").state;
    // After 10,000 events of the long project: two deadlines run among hundreds closed.
    let long_lived = replay_owned(long_project(&definition, 10_000));
    for (name, state) in [("review_stage", review), ("long_lived_10k", long_lived)] {
        let running = state
            .deadlines
            .iter()
            .filter(|entry| entry.is_open())
            .count();
        let now = state.last_event_at.unwrap() + Duration::hours(1);
        assert!(running >= 2, "{name}: {running} deadlines running");
        assert!(next_deadline(&state).is_some_and(|next| next.at > now));
        assert!(tick(&state, &definition, now).is_empty());
        group.bench_function(name, |b| {
            b.iter(|| tick(black_box(&state), &definition, now));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(StdDuration::from_millis(500))
        .measurement_time(StdDuration::from_secs(2))
}

fn main() {
    let mut criterion = config().configure_from_args();
    bench_decide_apply(&mut criterion);
    bench_available_actions(&mut criterion);
    bench_load_definition(&mut criterion);
    bench_tick(&mut criterion);
    bench_replay(&mut criterion);
    bench_audit(&mut criterion);
    criterion.final_summary();
}
