//! `specflow scheduler`, `deadlines`, `webhook` and `outbox`, run as an operator would, against
//! an SQLite database prepared through the store.

use specflow_engine::command::NewProject;
use specflow_engine::{Actor, Command as EngineCommand, LocalizedText};
use specflow_store::CommandRequest;
use specflow_store::{ManualClock, Store, StoreOptions};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TIMER_TEST: &str = include_str!("../crates/store/tests/fixtures/timer-test.toml");

fn specflow(arguments: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(arguments)
        .env("SPECFLOW_DATABASE_URL", database)
        .output()
        .expect("the specflow binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A database with one timer-test project created at `created_at` (its warning falls due seven
/// days later, its deadline ten).
pub(crate) fn database_with_a_project(
    folder: &std::path::Path,
    created_at: chrono::DateTime<chrono::Utc>,
) -> (String, Uuid) {
    let url = format!("sqlite://{}", folder.join("specflow.db").display());
    let project_id = Uuid::new_v4();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let clock = Arc::new(ManualClock::new(created_at));
        let store = Store::open_with_clock(&url, StoreOptions::default(), clock)
            .await
            .unwrap();
        store
            .register_definition("timer-test.toml", TIMER_TEST)
            .await
            .unwrap();
        store
            .execute(CommandRequest {
                project_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor: Actor::new("sec-wang", "secretariat"),
                command: EngineCommand::CreateProject(NewProject {
                    project_id,
                    code: "T-0000001".to_string(),
                    title: LocalizedText::new("调度测试", "timer test"),
                    specification_kind: "calibration_specification".to_string(),
                    committee: "SH-TC-01".to_string(),
                    drafting_unit: "上海市计量测试技术研究院".to_string(),
                    definition_id: "timer-test".to_string(),
                    definition_version: 1,
                    flags: Default::default(),
                }),
            })
            .await
            .unwrap();
        store.close().await;
    });
    (url, project_id)
}

#[test]
fn deadlines_lists_what_falls_due_within_the_window() {
    let folder = tempfile::tempdir().unwrap();
    let (database, _) = database_with_a_project(folder.path(), chrono::Utc::now());
    let soon = specflow(
        &["deadlines", "--due-within", "30d", "--language", "en"],
        &database,
    );
    assert!(soon.status.success(), "{}", text(&soon.stderr));
    let table = text(&soon.stdout);
    assert!(table.contains("T-0000001"), "{table}");
    assert!(table.contains("time to close: warning"), "{table}");
    let json = specflow(&["deadlines", "--due-within", "30d", "--json"], &database);
    let line: serde_json::Value = serde_json::from_str(text(&json.stdout).trim()).unwrap();
    assert_eq!(line["kind"], "warning");
    assert_eq!(line["passed"], false);
    let tomorrow = specflow(
        &["deadlines", "--due-within", "1d", "--language", "en"],
        &database,
    );
    assert!(
        text(&tomorrow.stdout).contains("Nothing falls due"),
        "{}",
        text(&tomorrow.stdout)
    );
    let nonsense = specflow(&["deadlines", "--due-within", "soon"], &database);
    assert_eq!(nonsense.status.code(), Some(2));
    // Minutes and bare numbers are refused, saying what to write; weeks and months are read.
    for refused in ["90m", "30"] {
        let answer = specflow(&["deadlines", "--due-within", refused], &database);
        assert_eq!(answer.status.code(), Some(2));
        assert!(
            text(&answer.stderr).contains("30d, 2w or 1mo"),
            "{}",
            text(&answer.stderr)
        );
    }
    for accepted in ["2w", "1mo"] {
        let answer = specflow(&["deadlines", "--due-within", accepted], &database);
        assert!(answer.status.success(), "{}", text(&answer.stderr));
    }
}

#[test]
fn the_standalone_scheduler_fires_what_is_due_and_stops_on_sigterm() {
    let folder = tempfile::tempdir().unwrap();
    let (database, project_id) = database_with_a_project(
        folder.path(),
        chrono::Utc::now() - chrono::Duration::days(20),
    );
    let scheduler = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["scheduler", "--node-name", "test-node"])
        .env("SPECFLOW_DATABASE_URL", &database)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let fired = loop {
        let records = runtime.block_on(async {
            let store = Store::open(&database, StoreOptions::default())
                .await
                .unwrap();
            let page = store.history(project_id, 0, 100).await.unwrap();
            store.close().await;
            page.records
        });
        let types: Vec<String> = records
            .iter()
            .map(|record| record.event_type.clone())
            .collect();
        if types.iter().any(|kind| kind == "deadline_missed") {
            break types;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing fired: {types:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        fired
            .iter()
            .filter(|kind| kind.starts_with("deadline_"))
            .count(),
        3,
        "set, warned, missed: {fired:?}"
    );
    // SIGTERM: the scheduler stops between transactions and exits 0.
    let stopped = Command::new("kill")
        .args(["-TERM", &scheduler.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let output = scheduler.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let log = text(&output.stderr);
    assert!(log.contains("deadline fired"), "{log}");
    assert!(log.contains("lateness_ms"), "{log}");
    assert!(log.contains("scheduler stopped"), "{log}");
}

#[test]
fn webhooks_are_checked_when_set_and_listed_without_their_secret() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    assert!(specflow(&["migrate"], &database).status.success());
    let ftp = specflow(
        &[
            "webhook",
            "set",
            "supervisor",
            "ftp://example.org/in",
            "--secret",
            "s",
        ],
        &database,
    );
    assert_eq!(ftp.status.code(), Some(1));
    assert!(
        text(&ftp.stderr).contains("only http and https"),
        "{}",
        text(&ftp.stderr)
    );
    let malformed = specflow(
        &[
            "webhook",
            "set",
            "supervisor",
            "http//nowhere",
            "--secret",
            "s",
        ],
        &database,
    );
    assert_eq!(malformed.status.code(), Some(1));
    let set = specflow(
        &[
            "webhook",
            "set",
            "supervisor",
            "https://bureau.example.org/hooks/specflow",
            "--secret",
            "top-secret",
        ],
        &database,
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    let list = specflow(&["webhook", "list"], &database);
    let table = text(&list.stdout);
    assert!(
        table.contains("https://bureau.example.org/hooks/specflow"),
        "{table}"
    );
    assert!(!table.contains("top-secret"), "{table}");
    let missing = specflow(&["webhook", "remove", "drafter"], &database);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        specflow(&["webhook", "remove", "supervisor"], &database)
            .status
            .success()
    );
    let outbox = specflow(&["outbox", "list", "--language", "en"], &database);
    assert!(outbox.status.success(), "{}", text(&outbox.stderr));
    assert!(text(&outbox.stderr).contains("0 pending, 0 delivered, 0 dead"));
    let retry = specflow(&["outbox", "retry"], &database);
    assert_eq!(retry.status.code(), Some(1));
    assert!(
        text(&retry.stderr).contains("--all-dead"),
        "{}",
        text(&retry.stderr)
    );
    let bad_status = specflow(&["outbox", "list", "--status", "lost"], &database);
    assert_eq!(bad_status.status.code(), Some(1));
}
