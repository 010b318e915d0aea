//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database, for each test.

use chrono::{DateTime, Utc};
use specflow_engine::command::{Artifact, NewProject};
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::{CommandOutcome, CommandRequest};
use specflow_store::{ManualClock, Store, StoreOptions};
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// What a test database needs to stay alive, and to be dropped afterwards.
pub enum Keep {
    /// The temporary folder of an SQLite file, deleted when dropped.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// A PostgreSQL database created for the test, dropped when the test ends.
    Postgres {
        /// The server's URL.
        admin: String,
        /// The database's name.
        name: String,
    },
}

impl Drop for Keep {
    fn drop(&mut self) {
        let Keep::Postgres { admin, name } = self else {
            return;
        };
        let (admin, name) = (admin.clone(), name.clone());
        // Drop cannot await: a thread with a runtime of its own drops the database, closing any
        // connection still open to it (PostgreSQL 13 and later).
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
                let result = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await;
                pool.close().await;
                result.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// The backends a conformance test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The PostgreSQL server's URL, or `None` (with a note on stderr) when tests should skip it.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("SPECFLOW_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Straight to stderr, not through eprintln!, which the test harness captures: a
            // developer without PostgreSQL must see what did not run.
            use std::io::Write;
            let thread = std::thread::current();
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {} (PostgreSQL store test; set SPECFLOW_TEST_POSTGRES_URL to run it)",
                thread.name().unwrap_or("a test")
            );
            None
        }
    }
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let base = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// A URL for a brand-new database of `kind`, or `None` when PostgreSQL is not configured.
pub async fn fresh_database(kind: Kind) -> Option<(String, Keep)> {
    match kind {
        Kind::Sqlite => {
            let folder = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", folder.path().join("specflow.db").display());
            Some((url, Keep::Sqlite(folder)))
        }
        Kind::Postgres => {
            let admin = postgres_admin_url()?;
            let name = format!("specflow_test_{}", Uuid::new_v4().simple());
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin)
                .await
                .unwrap_or_else(|error| panic!("SPECFLOW_TEST_POSTGRES_URL is set but the server cannot be reached: {error}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let url = replace_database(&admin, &name);
            Some((url, Keep::Postgres { admin, name }))
        }
    }
}

/// The instant tests start at.
pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00+08:00")
        .unwrap()
        .to_utc()
}

/// A store on a fresh database, with a hand-moved clock and the shipped workflows registered.
pub async fn store(kind: Kind) -> Option<(Store, Arc<ManualClock>, Keep, String)> {
    let (url, keep) = fresh_database(kind).await?;
    let clock = Arc::new(ManualClock::new(start()));
    let store = Store::open_with_clock(&url, StoreOptions::default(), clock.clone())
        .await
        .unwrap();
    store
        .register_workflow_folder(&workflows_folder())
        .await
        .unwrap();
    Some((store, clock, keep, url))
}

/// The repository's `workflows/` folder.
pub fn workflows_folder() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../workflows"))
}

/// The committee secretariat.
pub fn secretariat() -> Actor {
    Actor::new("sec-wang", "secretariat")
}

/// The bureau.
pub fn bureau() -> Actor {
    Actor::new("bureau-li", "supervisor")
}

/// A request with a fresh command id.
pub fn request(project_id: Uuid, actor: Actor, command: Command) -> CommandRequest {
    CommandRequest {
        project_id,
        command_id: Uuid::new_v4(),
        expected_sequence: None,
        actor,
        command,
    }
}

/// The command that creates project `number` of `committee`.
pub fn create(project_id: Uuid, number: usize, committee: &str) -> Command {
    Command::CreateProject(NewProject {
        project_id,
        code: format!("JJF(沪)-2026-{number:03}"),
        title: LocalizedText::new(
            format!("测试规范{number}"),
            format!("test specification {number}"),
        ),
        specification_kind: "calibration_specification".to_string(),
        committee: committee.to_string(),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: "metrology-spec".to_string(),
        definition_version: 1,
        flags: Default::default(),
    })
}

/// The command that attaches a (described) artifact.
pub fn attach(kind: &str, content: &str) -> Command {
    use sha2::Digest;
    Command::AttachArtifact(Artifact {
        kind: kind.to_string(),
        file_name: format!("{kind}.pdf"),
        size_bytes: content.len() as u64,
        sha256: hex::encode(sha2::Sha256::digest(content.as_bytes())),
    })
}

/// Creates a project and returns its id.
pub async fn created_project(store: &Store, number: usize, committee: &str) -> Uuid {
    let project_id = Uuid::new_v4();
    let outcome = store
        .execute(request(
            project_id,
            secretariat(),
            create(project_id, number, committee),
        ))
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommandOutcome::Accepted { .. }),
        "{outcome:?}"
    );
    project_id
}

/// Declares a test that runs once per backend.
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test = $body;
                test(Kind::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = $body;
                test(Kind::Postgres).await;
            }
        }
    };
}

/// The test workflow whose projects get a deadline on creation.
pub const TIMER_TEST: &str = include_str!("fixtures/timer-test.toml");

/// The command creating project `number` of the timer-test workflow.
pub fn create_timer_project(project_id: Uuid, number: usize) -> Command {
    Command::CreateProject(NewProject {
        project_id,
        code: format!("T-{number:07}"),
        title: LocalizedText::new(format!("调度测试{number}"), format!("timer test {number}")),
        specification_kind: "calibration_specification".to_string(),
        committee: format!("SH-TC-{:02}", number % 20),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: "timer-test".to_string(),
        definition_version: 1,
        flags: Default::default(),
    })
}
