//! The deadline scheduler against real stores, with a hand-moved clock: what the engine's
//! simulation says falls due is what the scheduler writes, each once, in due order, with its
//! notifications, on both backends.

use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use specflow_engine::audit::AuditRecord;
use specflow_engine::scenario::{Scenario, parse_scenario, simulate};
use specflow_engine::{Actor, Command, EventBody};
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::metrics::Metrics;
use specflow_store::{Clock, ManualClock, Store};
use specflow_store::{CommandOutcome, CommandRequest};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

const OVERDUE: &str = include_str!("../../../workflows/scenarios/overdue-with-extension.toml");
const CONFIRMED: &str = include_str!("../../../workflows/scenarios/reexamined-confirmed.toml");

fn scenario(name: &str, text: &str) -> Scenario {
    parse_scenario(name, text).unwrap_or_else(|problems| panic!("{problems:?}"))
}

fn scheduler(store: &Store) -> (Scheduler, Arc<Metrics>) {
    let metrics = Metrics::shared();
    (
        Scheduler::new(store.clone(), SchedulerOptions::default(), metrics.clone()),
        metrics,
    )
}

/// Moves the clock to each deadline falling due up to `until` and lets the scheduler fire it,
/// as `specflow simulate` does; then sets the clock to `until`.
async fn advance_to(
    store: &Store,
    clock: &ManualClock,
    scheduler: &Scheduler,
    until: DateTime<Utc>,
) {
    while let Some(next) = store.earliest_deadline().await.unwrap() {
        if next > until {
            break;
        }
        if next > clock.now() {
            clock.set(next);
        }
        let report = scheduler.run_due(None).await.unwrap();
        assert_eq!(report.failures, 0);
        if report.events_fired == 0 {
            break;
        }
    }
    if until > clock.now() {
        clock.set(until);
    }
}

async fn execute(
    store: &Store,
    project_id: Uuid,
    actor: &Actor,
    command: &Command,
) -> CommandOutcome {
    store
        .execute(CommandRequest {
            project_id,
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: actor.clone(),
            command: command.clone(),
        })
        .await
        .unwrap()
}

/// Runs the first `steps` steps of a scenario through the store, the scheduler firing deadlines.
async fn run_steps(
    store: &Store,
    clock: &ManualClock,
    scheduler: &Scheduler,
    scenario: &Scenario,
    steps: usize,
) {
    for step in scenario.steps.iter().take(steps) {
        advance_to(store, clock, scheduler, step.at).await;
        execute(store, scenario.project_id, &step.actor, &step.command).await;
    }
}

async fn records(store: &Store, project_id: Uuid) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = store.history(project_id, after, 500).await.unwrap();
        records.extend(page.records);
        match page.next_after_sequence {
            Some(next) => after = next,
            None => return records,
        }
    }
}

/// What a record says happened, without the command id (the store's are random).
fn happened(record: &AuditRecord) -> (u64, DateTime<Utc>, String, String) {
    (
        record.sequence,
        record.recorded_at,
        record.actor_id.clone(),
        record.event.clone(),
    )
}

async fn the_scheduler_writes_what_the_simulation_writes(kind: Kind, name: &str, text: &str) {
    let Some((store, clock, _keep, _url)) = store(kind).await else {
        return;
    };
    let scenario = scenario(name, text);
    let (scheduler, metrics) = scheduler(&store);
    run_steps(&store, &clock, &scheduler, &scenario, scenario.steps.len()).await;
    if let Some(end) = scenario.end {
        advance_to(&store, &clock, &scheduler, end).await;
    }
    let stored: Vec<_> = records(&store, scenario.project_id)
        .await
        .iter()
        .map(happened)
        .collect();
    let definition = store.latest_definition("metrology-spec").await.unwrap();
    let simulated: Vec<_> = simulate(&definition, &scenario)
        .unwrap_or_else(|error| panic!("{error}"))
        .records
        .iter()
        .map(happened)
        .collect();
    assert_eq!(stored.len(), simulated.len(), "{name}");
    for (stored, simulated) in stored.iter().zip(&simulated) {
        assert_eq!(stored, simulated, "{name}");
    }
    // Every firing was measured.
    let text = metrics.encode();
    assert!(
        text.contains("specflow_scheduler_lateness_seconds_count"),
        "{text}"
    );
    // Running again at the same instant fires nothing more.
    for _ in 0..3 {
        assert_eq!(scheduler.run_due(None).await.unwrap().events_fired, 0);
    }
}

conformance!(overdue_stage_fires_as_simulated, |kind| async move {
    the_scheduler_writes_what_the_simulation_writes(kind, "overdue-with-extension.toml", OVERDUE)
        .await;
});

conformance!(reexamination_fires_as_simulated, |kind| async move {
    the_scheduler_writes_what_the_simulation_writes(kind, "reexamined-confirmed.toml", CONFIRMED)
        .await;
});

/// The deadline events of a project's log: (event type, deadline, due instant) in log order.
fn deadline_events(records: &[AuditRecord]) -> Vec<(String, String, DateTime<Utc>)> {
    records
        .iter()
        .filter_map(|record| {
            let event = record.to_event().unwrap();
            let due = event.body.fell_due_at()?;
            let deadline = match &event.body {
                EventBody::DeadlineWarningGiven { deadline, .. }
                | EventBody::DeadlineMissed { deadline, .. }
                | EventBody::ProjectEscalated { deadline, .. }
                | EventBody::ProjectFrozen { deadline, .. } => deadline.clone(),
                _ => "reexamination".to_string(),
            };
            Some((record.event_type.clone(), deadline, due))
        })
        .collect()
}

conformance!(
    warning_overdue_escalation_and_freeze_fire_once_each_in_order,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let scenario = scenario("overdue-with-extension.toml", OVERDUE);
        let (scheduler, _metrics) = scheduler(&store);
        run_steps(&store, &clock, &scheduler, &scenario, scenario.steps.len()).await;
        let events = deadline_events(&records(&store, scenario.project_id).await);
        let overall: Vec<&str> = events
            .iter()
            .filter(|(_, deadline, _)| deadline == "overall")
            .map(|(event_type, _, _)| event_type.as_str())
            .collect();
        assert_eq!(
            overall,
            [
                "deadline_warning_given",
                "deadline_missed",
                "project_escalated",
                "project_frozen"
            ]
        );
        // Each (event, deadline, due instant) once, and in due order.
        let mut seen = std::collections::BTreeSet::new();
        for event in &events {
            assert!(seen.insert(event.clone()), "fired twice: {event:?}");
        }
        let dues: Vec<DateTime<Utc>> = events.iter().map(|(_, _, due)| *due).collect();
        assert!(dues.windows(2).all(|pair| pair[0] <= pair[1]), "{events:?}");
        // The firings put notifications in the outbox, in the same transaction: every missed
        // deadline tells the drafting group and the secretariat.
        let notified = outbox_audiences(&store, scenario.project_id).await;
        for record in records(&store, scenario.project_id).await {
            if record.event_type == "deadline_missed" {
                assert_eq!(
                    notified.get(&record.sequence).map(Vec::as_slice),
                    Some(["drafter".to_string(), "secretariat".to_string()].as_slice()),
                    "record {}",
                    record.sequence
                );
            }
        }
    }
);

/// The audiences notified of each record of a project, from the outbox.
async fn outbox_audiences(store: &Store, project_id: Uuid) -> BTreeMap<u64, Vec<String>> {
    let mut audiences: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let filter = specflow_store::OutboxFilter {
        project_id: Some(project_id),
        ..Default::default()
    };
    let page = store.list_outbox(&filter, None, 1000).await.unwrap();
    assert!(page.next_after.is_none());
    for notification in page.items {
        audiences
            .entry(notification.sequence)
            .or_default()
            .push(notification.audience);
    }
    for list in audiences.values_mut() {
        list.sort();
    }
    audiences
}

conformance!(
    an_extension_granted_before_the_deadline_moves_it,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let scenario = scenario("overdue-with-extension.toml", OVERDUE);
        let (scheduler, _metrics) = scheduler(&store);
        // Up to and including the first extension granted.
        let granted = scenario
            .steps
            .iter()
            .position(|step| matches!(step.command, Command::GrantExtension { .. }))
            .unwrap();
        run_steps(&store, &clock, &scheduler, &scenario, granted).await;
        let before = store.project(scenario.project_id).await.unwrap().unwrap();
        run_steps(&store, &clock, &scheduler, &scenario, granted + 1).await;
        let after = store.project(scenario.project_id).await.unwrap().unwrap();
        let due = |view: &specflow_store::ProjectView| {
            view.state
                .open_deadline("drafting")
                .and_then(|entry| entry.times)
                .map(|times| times.due_at)
                .unwrap()
        };
        assert!(
            due(&after) > due(&before),
            "the extension did not move the deadline"
        );
        // Nothing fires at the old date.
        advance_to(&store, &clock, &scheduler, due(&before) + Duration::days(1)).await;
        let missed = deadline_events(&records(&store, scenario.project_id).await)
            .into_iter()
            .filter(|(event_type, deadline, _)| {
                event_type == "deadline_missed" && deadline == "drafting"
            })
            .count();
        assert_eq!(missed, 0);
    }
);

conformance!(
    a_frozen_project_takes_an_extension_only_from_the_bureau,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let scenario = scenario("overdue-with-extension.toml", OVERDUE);
        let (scheduler, _metrics) = scheduler(&store);
        // The bureau's decision that follows the freeze: run everything before it.
        let last_grant = scenario
            .steps
            .iter()
            .rposition(|step| matches!(step.command, Command::GrantExtension { .. }))
            .unwrap();
        run_steps(&store, &clock, &scheduler, &scenario, last_grant).await;
        let step = &scenario.steps[last_grant];
        advance_to(&store, &clock, &scheduler, step.at).await;
        let summary = store
            .project_summary(scenario.project_id)
            .await
            .unwrap()
            .unwrap();
        assert!(summary.frozen, "the project should be frozen by now");
        let by_secretariat =
            execute(&store, scenario.project_id, &secretariat(), &step.command).await;
        assert!(
            matches!(by_secretariat, CommandOutcome::Rejected { .. }),
            "{by_secretariat:?}"
        );
        let by_bureau = execute(&store, scenario.project_id, &step.actor, &step.command).await;
        assert!(
            matches!(by_bureau, CommandOutcome::Accepted { .. }),
            "{by_bureau:?}"
        );
        assert_eq!(step.actor.role, "supervisor");
    }
);

conformance!(
    after_downtime_everything_due_fires_in_due_order_with_both_instants,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let scenario = scenario("reexamined-confirmed.toml", CONFIRMED);
        let (scheduler, metrics) = scheduler(&store);
        // Up to the specification in force (the last three steps are the re-examination);
        // then the service is down for six years.
        run_steps(
            &store,
            &clock,
            &scheduler,
            &scenario,
            scenario.steps.len() - 3,
        )
        .await;
        let summary = store
            .project_summary(scenario.project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary.stage, "in_force");
        let before = records(&store, scenario.project_id).await.len();
        clock.set(clock.now() + Duration::days(6 * 366));
        let report = scheduler.run_due(None).await.unwrap();
        assert!(report.events_fired >= 2, "{report:?}");
        let fired = &records(&store, scenario.project_id).await[before..];
        let events = deadline_events(fired);
        let kinds: Vec<&str> = events.iter().map(|(kind, _, _)| kind.as_str()).collect();
        assert_eq!(
            kinds[..2],
            ["reexamination_warning_given", "reexamination_fell_due"]
        );
        for (record, (_, _, due)) in fired.iter().zip(&events) {
            // Noticed now, years after it fell due; both instants are kept.
            assert!(
                record.recorded_at - *due > Duration::days(300),
                "{record:?}"
            );
        }
        assert!(report.max_lateness.unwrap() > Duration::days(300));
        assert!(
            metrics.encode().contains(
                "specflow_scheduler_firings_total{event_type=\"reexamination_fell_due\"} 1"
            )
        );
    }
);

conformance!(
    a_specification_is_reexamined_every_five_years,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let scenario = scenario("reexamined-confirmed.toml", CONFIRMED);
        let (scheduler, _metrics) = scheduler(&store);
        run_steps(&store, &clock, &scheduler, &scenario, scenario.steps.len()).await;
        let confirmed_at = scenario.steps.last().unwrap().at;
        let count = |records: &[AuditRecord]| {
            records
                .iter()
                .filter(|record| record.event_type == "reexamination_fell_due")
                .count()
        };
        assert_eq!(count(&records(&store, scenario.project_id).await), 1);
        // Confirmation starts the next five-year cycle: nothing falls due for almost five years…
        advance_to(
            &store,
            &clock,
            &scheduler,
            confirmed_at + Duration::days(4 * 365),
        )
        .await;
        assert_eq!(count(&records(&store, scenario.project_id).await), 1);
        // …and then the second re-examination does.
        advance_to(
            &store,
            &clock,
            &scheduler,
            confirmed_at + Duration::days(5 * 366),
        )
        .await;
        assert_eq!(count(&records(&store, scenario.project_id).await), 2);
        let summary = store
            .project_summary(scenario.project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary.stage, "reexamination");
    }
);
