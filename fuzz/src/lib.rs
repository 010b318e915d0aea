//! What each fuzz target checks, as plain functions of the input's bytes, so that the afl.rs
//! binaries in `fuzz/afl/src/bin/` and the regression test in `tests/` run exactly the same checks.
//!
//! Every check asserts that a parser of untrusted text never panics: it answers a value or a
//! problem. Where a round trip exists (a command or an audit record written back as JSON) it
//! asserts that the round trip gives back what was read. The inputs come from outside: a workflow
//! definition, a calendar, a scenario or a committee policy a user writes; a command an API
//! client sends; an audit log an auditor is handed; a query string or a comment table anyone
//! with a token can send.

// A fuzz check reports a broken promise by panicking: that is what the fuzzer catches, so the
// lints against panics in product code do not apply here.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use specflow_engine::committee::policy::CommitteePolicy;
use specflow_engine::{Actor, Command, ProjectState, WorkflowDefinition, WorkingCalendar};
use std::sync::{Arc, LazyLock};

/// A check of one input: returns when the input is handled, panics when a promise is broken.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name: the binary in `fuzz/afl/src/bin/`, the seed folder under `seeds/` and the
/// regression folder under `regressions/` carry the same name.
pub const TARGETS: [(&str, Check); 8] = [
    ("definition", definition),
    ("calendar", calendar),
    ("scenario", scenario),
    ("committee_policy", committee_policy),
    ("command", command),
    ("audit_jsonl", audit_jsonl),
    ("query", query),
    ("comment_table", comment_table),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A workflow definition: loaded, and when valid, drawn and outlined in both languages.
pub fn definition(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(definition) = WorkflowDefinition::from_toml("fuzz.toml", text) {
        for language in [specflow_engine::Language::Zh, specflow_engine::Language::En] {
            let _ = specflow_engine::render::outline(&definition, language);
            let _ = specflow_engine::render::mermaid(&definition, language);
        }
    }
}

/// A yearly working-day calendar file.
pub fn calendar(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut calendar = WorkingCalendar::new("cn");
    let _ = calendar.add_year_file("cn-2026.toml", text);
}

/// A scenario file, as `specflow simulate` reads it.
pub fn scenario(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = specflow_engine::scenario::parse_scenario("fuzz.toml", text);
}

/// A committee policy file.
pub fn committee_policy(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = CommitteePolicy::from_toml("policy.toml", text);
}

/// The shipped metrology definition with its calendar, as the server runs it.
static METROLOGY: LazyLock<WorkflowDefinition> = LazyLock::new(|| {
    let mut calendar = WorkingCalendar::new("cn");
    for (name, text) in [
        (
            "cn-2025.toml",
            include_str!("../../workflows/calendars/cn-2025.toml"),
        ),
        (
            "cn-2026.toml",
            include_str!("../../workflows/calendars/cn-2026.toml"),
        ),
    ] {
        calendar
            .add_year_file(name, text)
            .unwrap_or_else(|problems| panic!("{name}: {problems:?}"));
    }
    WorkflowDefinition::from_toml(
        "metrology-spec.toml",
        include_str!("../../workflows/metrology-spec.toml"),
    )
    .unwrap_or_else(|error| panic!("metrology-spec.toml: {error}"))
    .with_calendar(Arc::new(calendar))
});

/// The states a project passes through in the shipped scenario to force, with the time of each:
/// a command is decided in every stage, not only on an empty project.
static STATES: LazyLock<Vec<(ProjectState, DateTime<Utc>)>> = LazyLock::new(|| {
    let scenario = specflow_engine::scenario::parse_scenario(
        "to-in-force.toml",
        include_str!("../../workflows/scenarios/to-in-force.toml"),
    )
    .unwrap_or_else(|problems| panic!("to-in-force.toml: {problems:?}"));
    let mut state = ProjectState::new();
    let first = scenario
        .steps
        .first()
        .map_or(DateTime::<Utc>::MIN_UTC, |step| step.at);
    let mut states = vec![(state.clone(), first)];
    for step in &scenario.steps {
        if let Ok(events) =
            specflow_engine::decide(&state, &METROLOGY, &step.command, &step.actor, step.at)
        {
            for event in &events {
                state.apply(event);
            }
            states.push((state.clone(), step.at));
        }
    }
    states
});

/// A command as an API client sends it: read as JSON, written back and read again to the same
/// command, then decided in one of the states of a real lifecycle (the first byte picks which)
/// by each role.
pub fn command(data: &[u8]) {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let Ok(command) = serde_json::from_slice::<Command>(json) else {
        return;
    };
    let written = serde_json::to_string(&command).expect("a command writes as JSON");
    let again: Command = serde_json::from_str(&written).expect("a written command reads back");
    assert_eq!(again, command, "the command's JSON round trip");
    let (state, at) = &STATES[usize::from(pick) % STATES.len()];
    for role in ["secretariat", "supervisor", "drafter", "chair", "auditor"] {
        let actor = Actor::new("fuzz", role);
        if let Ok(events) = specflow_engine::decide(state, &METROLOGY, &command, &actor, *at) {
            let mut after = state.clone();
            for event in &events {
                after.apply(event);
            }
        }
    }
}

/// An exported audit log, as an auditor is handed it and `specflow audit verify --file` reads
/// it: each line read as a stored record; a project record in its canonical form is read as an
/// audit record, whose JSON reads back as the same stored record (the canonical form is the
/// only one, so a round trip changes nothing), and whose event is read; every chain of the
/// file, project's or committee's, is verified in file order. A transparency log line is read
/// only in its canonical text (so it writes back as itself), and the file's tree is walked
/// against a checkpoint of as many leaves, as `--checkpoint` would.
pub fn audit_jsonl(data: &[u8]) {
    use specflow_engine::stored_record::{RecordKind, StoredChainVerifier, StoredRecord};
    use specflow_store::log_lines::{ExportedLog, LogLine};
    let Some(text) = text(data) else { return };
    let mut chains: std::collections::BTreeMap<(RecordKind, String), StoredChainVerifier> =
        Default::default();
    let mut log = ExportedLog::default();
    for line in text.lines() {
        if LogLine::is_log_line(line) {
            if let Ok(log_line) = LogLine::from_json_line(line) {
                assert_eq!(log_line.to_json_line(), line, "a log line's round trip");
                log.log_line(log_line);
            }
            continue;
        }
        let Ok(stored) = StoredRecord::from_json_line(line) else {
            continue;
        };
        log.record(&stored);
        let (kind, subject) = stored.chain();
        if kind == RecordKind::Project
            && let Ok(record) = stored.to_project_record()
        {
            let written = serde_json::to_string(&record).expect("a record writes as JSON");
            let again = StoredRecord::from_json_line(&written).expect("a written record reads");
            assert_eq!(again, stored, "the record's JSON round trip");
            let _ = record.to_event();
        }
        let key = (kind, subject.to_string());
        let verifier = chains
            .entry(key)
            .or_insert_with(|| StoredChainVerifier::new(kind));
        let _ = verifier.push(&stored);
    }
    for verifier in chains.into_values() {
        let _ = verifier.finish();
    }
    let (leaves, _) = log.size();
    let root = specflow_tlog::hash::empty_tree_hash();
    let checkpoint = specflow_tlog::checkpoint::Checkpoint::new("fuzz.example/log", leaves, root);
    if let Ok(signer) = specflow_tlog::note::NoteSigner::from_seed("fuzz.example/log", &[1; 32]) {
        let _ = log.verify(&checkpoint, &signer.verifier());
    }
}

/// A query string, as every list, board, history and report route reads it: through the API's
/// own reader into each route's query type, and the moment a history is shown as of.
pub fn query(data: &[u8]) {
    use specflow_web::api;
    let Some(query) = text(data) else { return };
    let Ok(uri) = format!("/fuzz?{query}").parse::<axum::http::Uri>() else {
        return;
    };
    let Some(query) = uri.query() else { return };
    read_query::<api::board::OverdueQuery>(&uri);
    read_query::<api::board::OutboxQuery>(&uri);
    read_query::<api::projects::ListQuery>(&uri);
    read_query::<api::projects::UploadQuery>(&uri);
    read_query::<api::audit::HistoryQuery>(&uri);
    read_query::<api::audit::StateQuery>(&uri);
    read_query::<api::audit::ExportQuery>(&uri);
    read_query::<api::reports::AnnualQuery>(&uri);
    read_query::<api::reports::TermQuery>(&uri);
    read_query::<api::committees::AsOfQuery>(&uri);
    read_query::<api::committees::RollQuery>(&uri);
    read_query::<api::comments::ImportQuery>(&uri);
    let (mut as_of, mut sequence) = (None, None);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "as_of" => as_of = Some(value.into_owned()),
            "sequence" => sequence = Some(value.into_owned()),
            _ => {}
        }
    }
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
    let _ = specflow_web::app::moments::Moment::read(as_of.as_deref(), sequence.as_deref(), offset);
}

fn read_query<T: serde::de::DeserializeOwned + Send>(uri: &axum::http::Uri) {
    use axum::extract::FromRequestParts;
    let request = axum::http::Request::builder()
        .uri(uri.clone())
        .body(())
        .expect("a request with a parsed URI");
    let (mut parts, ()) = request.into_parts();
    let reading = specflow_web::api::input::QueryParams::<T>::from_request_parts(&mut parts, &());
    let _ = block_on(reading);
}

/// Runs a future that never waits (reading a query string does no I/O) to its end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// A comment disposition table as a drafting group uploads it: CSV or XLSX bytes.
pub fn comment_table(data: &[u8]) {
    let table = specflow_web::app::comment_table::CommentTable::read(data);
    for row in &table.rows {
        if row.problems.is_empty() {
            let _ = row.commands("C-1");
        }
    }
    for problem in table.all_problems() {
        let _ = problem.located();
    }
}
