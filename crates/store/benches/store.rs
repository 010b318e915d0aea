//! Durable transitions per second through the store, against a raw one-row commit baseline.
//!
//! `cargo bench -p specflow-store --bench store -- [--backend sqlite|postgres|both] [--seconds N]`
//!
//! For each backend it measures, in one run and on the same database:
//! - `raw`: one INSERT and COMMIT (`BEGIN`, `INSERT`, `COMMIT`) of a row the size of an audit
//!   record, with the same durability (SQLite WAL with synchronous=FULL; PostgreSQL's defaults,
//!   fsync on commit);
//! - `store`: a whole durable transition (load state, decide, seal, append, update the projection,
//!   remember the command id, commit).
//!
//! Each runs with 1 writer and with 16 writers (on 16 different projects); the ratios are printed.
//! PostgreSQL runs when `SPECFLOW_BENCH_POSTGRES_URL` or `SPECFLOW_TEST_POSTGRES_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use specflow_engine::command::NewProject;
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::{CommandOutcome, CommandRequest};
use specflow_store::{Store, StoreOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Options {
    backends: Vec<&'static str>,
    seconds: u64,
}

fn options() -> Options {
    let arguments: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|index| arguments.get(index + 1).cloned())
    };
    let backends = match value("--backend").as_deref() {
        Some("sqlite") => vec!["sqlite"],
        Some("postgres") => vec!["postgres"],
        _ => vec!["sqlite", "postgres"],
    };
    Options {
        backends,
        seconds: value("--seconds")
            .and_then(|text| text.parse().ok())
            .unwrap_or(5),
    }
}

fn postgres_url() -> Option<String> {
    std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
        .ok()
        .filter(|url| !url.is_empty())
}

async fn fresh_postgres(admin: &str) -> String {
    let name = format!("specflow_bench_{}", Uuid::new_v4().simple());
    let pool = sqlx::AnyPool::connect(admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let base = &admin[..admin.rfind('/').unwrap()];
    format!("{base}/{name}")
}

fn workflows() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../workflows"))
}

/// Runs `work` on `writers` tasks for `seconds`; returns operations per second.
async fn measure<F, Fut>(writers: usize, seconds: u64, work: F) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let work = Arc::new(work);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let (work, stop, count) = (work.clone(), stop.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut index = 0u64;
            while !stop.load(Ordering::Relaxed) {
                work(writer, index).await;
                index += 1;
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn create(project_id: Uuid, number: usize) -> Command {
    Command::CreateProject(NewProject {
        project_id,
        code: format!("JJF(沪)-2026-{:04}", 9000 + number),
        title: LocalizedText::new(format!("基准测试{number}"), format!("benchmark {number}")),
        specification_kind: "calibration_specification".to_string(),
        committee: "SH-TC-01".to_string(),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: "metrology-spec".to_string(),
        definition_version: 1,
        flags: Default::default(),
    })
}

async fn run_backend(backend: &str, url: String, seconds: u64) {
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    store.register_workflow_folder(&workflows()).await.unwrap();
    let secretariat = Actor::new("sec-bench", "secretariat");
    let projects: Vec<Uuid> = (0..16).map(|_| Uuid::new_v4()).collect();
    for (number, project) in projects.iter().enumerate() {
        let request = CommandRequest {
            project_id: *project,
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: secretariat.clone(),
            command: create(*project, number),
        };
        assert!(matches!(
            store.execute(request).await.unwrap(),
            CommandOutcome::Accepted { .. }
        ));
    }
    // The size of a real record: the same columns, with the event of the transition measured.
    let payload = "x".repeat(420);
    sqlx::query("CREATE TABLE bench_raw (id TEXT PRIMARY KEY, sequence BIGINT NOT NULL, payload TEXT NOT NULL)")
        .execute(&sqlx::AnyPool::connect(&url).await.unwrap())
        .await
        .unwrap();
    let raw_pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(16)
        .test_before_acquire(false)
        .after_connect(|connection, _| {
            Box::pin(async move {
                use sqlx::Executor;
                if connection.backend_name() == "SQLite" {
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    connection.execute("PRAGMA synchronous = FULL").await?;
                    connection.execute("PRAGMA busy_timeout = 10000").await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();

    let mut results = Vec::new();
    for writers in [1usize, 16] {
        let pool = raw_pool.clone();
        let payload = payload.clone();
        let raw = measure(writers, seconds, move |_, index| {
            let pool = pool.clone();
            let payload = payload.clone();
            async move {
                // One row, inserted and committed in its own transaction.
                let mut transaction = pool.begin().await.unwrap();
                sqlx::query("INSERT INTO bench_raw (id, sequence, payload) VALUES ($1, $2, $3)")
                    .bind(Uuid::new_v4().to_string())
                    .bind(index as i64)
                    .bind(payload)
                    .execute(&mut *transaction)
                    .await
                    .unwrap();
                transaction.commit().await.unwrap();
            }
        })
        .await;
        let store_for_run = store.clone();
        let projects_for_run = projects.clone();
        let actor = secretariat.clone();
        let transitions = measure(writers, seconds, move |writer, _| {
            let store = store_for_run.clone();
            let project = projects_for_run[writer];
            let actor = actor.clone();
            async move {
                let request = CommandRequest {
                    project_id: project,
                    command_id: Uuid::new_v4(),
                    expected_sequence: None,
                    actor,
                    command: Command::SignOff {
                        subject: "completeness_check".to_string(),
                    },
                };
                let outcome = store.execute(request).await.unwrap();
                assert!(
                    matches!(outcome, CommandOutcome::Accepted { .. }),
                    "{outcome:?}"
                );
            }
        })
        .await;
        results.push((writers, raw, transitions));
    }
    let record_bytes: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(LENGTH(event) + LENGTH(actor_id) + LENGTH(actor_role) + 64 + 64 + 36 + 36 + 24) / COUNT(*) AS BIGINT) FROM audit_records",
    )
    .fetch_one(&raw_pool)
    .await
    .unwrap();
    println!(
        "{backend}: one durable transition vs one raw row commit (the row about {} bytes)",
        record_bytes.unwrap_or(0)
    );
    for (writers, raw, transitions) in results {
        println!(
            "  {writers:>2} writer(s): raw {raw:>9.0}/s   store {transitions:>9.0}/s   ratio {:.2}",
            transitions / raw
        );
    }
    store.close().await;
    raw_pool.close().await;
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let options = options();
    println!(
        "durable transitions per second, {} s per measurement, on {} core(s)",
        options.seconds,
        std::thread::available_parallelism().map_or(1, |cores| cores.get())
    );
    for backend in options.backends {
        match backend {
            "sqlite" => {
                let folder = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", folder.path().join("bench.db").display());
                run_backend("SQLite (WAL, synchronous=FULL)", url, options.seconds).await;
            }
            _ => match postgres_url() {
                Some(admin) => {
                    let url = fresh_postgres(&admin).await;
                    run_backend("PostgreSQL", url.clone(), options.seconds).await;
                    let name = &url[url.rfind('/').unwrap() + 1..];
                    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
                None => println!(
                    "PostgreSQL: skipped (set SPECFLOW_BENCH_POSTGRES_URL or SPECFLOW_TEST_POSTGRES_URL)"
                ),
            },
        }
    }
}
