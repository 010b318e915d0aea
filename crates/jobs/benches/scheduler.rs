//! The deadline scheduler's speed, punctuality and memory.
//!
//! `cargo bench -p specflow-store --bench scheduler -- [--part burst|lateness|memory|all] [--projects N] [--group-commit N]`
//!
//! - `burst` (PostgreSQL): N projects (100,000 by default) whose deadlines all fall due at the same
//!   instant, three scheduler instances (each with its own store: pool, writer, cache, as three
//!   nodes would have) sharing them; the time until every deadline has fired, and a count proving
//!   none fired twice.
//! - `lateness` (SQLite and PostgreSQL): an idle scheduler sleeping until the next deadline; how
//!   late each firing is (the record's instant minus the instant it fell due), over 40 firings.
//!   The clock runs at real speed, shifted so that each deadline is half a second away.
//! - `memory` (SQLite): the resident memory of a process running only the scheduler over a
//!   database of 10,000 and of 1,000,000 projects, of which 1,000 are due.
//!
//! PostgreSQL parts run when `SPECFLOW_BENCH_POSTGRES_URL` or `SPECFLOW_TEST_POSTGRES_URL` is set;
//! they create a database of their own and drop it afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use specflow_engine::command::NewProject;
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::metrics::Metrics;
use specflow_store::{Clock, ManualClock, Store, StoreOptions};
use specflow_store::{CommandOutcome, CommandRequest};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const TIMER_TEST: &str = include_str!("../../store/tests/fixtures/timer-test.toml");

fn argument(name: &str) -> Option<String> {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|index| arguments.get(index + 1).cloned())
}

fn postgres_url() -> Option<String> {
    std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
        .ok()
        .filter(|url| !url.is_empty())
}

/// A PostgreSQL database of the bench's own, dropped when this is dropped.
struct PostgresDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(admin: &str) -> PostgresDatabase {
        let name = format!("specflow_bench_{}", Uuid::new_v4().simple());
        let pool = sqlx::AnyPool::connect(admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let base = &admin[..admin.rfind('/').unwrap()];
        PostgresDatabase {
            admin: admin.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }

    async fn drop_database(self) {
        let pool = sqlx::AnyPool::connect(&self.admin).await.unwrap();
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&pool)
        .await;
        pool.close().await;
    }
}

/// Real time, shifted: the scheduler sleeps for real, in a year of our choosing.
#[derive(Debug)]
struct ShiftedClock {
    shift: Mutex<chrono::Duration>,
}

impl ShiftedClock {
    fn new() -> ShiftedClock {
        ShiftedClock {
            shift: Mutex::new(chrono::Duration::zero()),
        }
    }

    /// Makes the clock read `at` now.
    fn set(&self, at: DateTime<Utc>) {
        *self.shift.lock().unwrap() = at - Utc::now();
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.shift.lock().unwrap()
    }
}

fn create_command(project_id: Uuid, number: usize) -> Command {
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

/// Creates projects `first..last` at the clock's current instant.
async fn create_projects(store: &Store, first: usize, last: usize) {
    let accepted = futures_util::stream::iter(first..last)
        .map(|number| {
            let store = store.clone();
            async move {
                let project_id = Uuid::new_v4();
                let outcome = store
                    .execute(CommandRequest {
                        project_id,
                        command_id: Uuid::new_v4(),
                        expected_sequence: None,
                        actor: Actor::new("bench", "secretariat"),
                        command: create_command(project_id, number),
                    })
                    .await
                    .unwrap();
                matches!(outcome, CommandOutcome::Accepted { .. })
            }
        })
        .buffer_unordered(256)
        .filter(|accepted| std::future::ready(*accepted))
        .count()
        .await;
    assert_eq!(accepted, last - first);
}

async fn count(store_url: &str, sql: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(store_url).await.unwrap();
    let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    value
}

fn present() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T10:00:00+08:00")
        .unwrap()
        .to_utc()
}

async fn burst(projects: usize) {
    let Some(admin) = postgres_url() else {
        println!("burst: skipped (set SPECFLOW_BENCH_POSTGRES_URL)");
        return;
    };
    let database = PostgresDatabase::create(&admin).await;
    let clock = Arc::new(ManualClock::new(present()));
    let store = Store::open_with_clock(&database.url, StoreOptions::default(), clock.clone())
        .await
        .unwrap();
    store
        .register_definition("timer-test.toml", TIMER_TEST)
        .await
        .unwrap();
    let started = Instant::now();
    create_projects(&store, 0, projects).await;
    println!(
        "burst: created {projects} projects in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    // Eleven days later the warning and the deadline of every project have both fallen due.
    let later = present() + chrono::Duration::days(11);
    let mut nodes = Vec::new();
    // How many ticks one writer commits together (`--group-commit N`; the store's default is 64).
    let group_commit_limit = argument("--group-commit")
        .and_then(|text| text.parse().ok())
        .unwrap_or(StoreOptions::default().group_commit_limit);
    for index in 0..3 {
        let clock = Arc::new(ManualClock::new(later));
        let options = StoreOptions {
            group_commit_limit,
            ..StoreOptions::default()
        };
        let store = Store::open_with_clock(&database.url, options, clock)
            .await
            .unwrap();
        let scheduler = Scheduler::new(
            store.clone(),
            SchedulerOptions {
                node: format!("node-{index}"),
                ..SchedulerOptions::default()
            },
            Metrics::shared(),
        );
        nodes.push((store, scheduler));
    }
    let started = Instant::now();
    let rounds: Vec<_> = nodes
        .iter()
        .map(|(_, scheduler)| {
            let scheduler = scheduler.clone();
            tokio::spawn(async move { scheduler.run_due(None).await.unwrap() })
        })
        .collect();
    let mut per_node = Vec::new();
    for round in rounds {
        per_node.push(round.await.unwrap().projects_ticked);
    }
    let elapsed = started.elapsed().as_secs_f64();
    for (store, _) in &nodes {
        store.close().await;
    }
    let fired = count(
        &database.url,
        "SELECT COUNT(*) FROM audit_records WHERE event_type = 'deadline_missed'",
    )
    .await;
    let twice = count(
        &database.url,
        "SELECT COUNT(*) FROM (SELECT project_id, event_type FROM audit_records WHERE event_type IN ('deadline_missed', 'deadline_warning_given') GROUP BY project_id, event_type HAVING COUNT(*) > 1) AS twice",
    )
    .await;
    println!(
        "burst (postgres, 3 instances, writer batches of up to {group_commit_limit}): {projects} deadlines due at once, {fired} fired in {elapsed:.2} s ({:.0} projects/s; per instance {per_node:?}); fired twice: {twice}",
        projects as f64 / elapsed
    );
    database.drop_database().await;
}

async fn lateness_on(backend: &str, url: &str, trials: usize) {
    let clock = Arc::new(ShiftedClock::new());
    clock.set(present());
    let store = Store::open_with_clock(url, StoreOptions::default(), clock.clone())
        .await
        .unwrap();
    store
        .register_definition("timer-test.toml", TIMER_TEST)
        .await
        .unwrap();
    // One project a day: their warnings fall due a day apart.
    let mut ids = Vec::new();
    for day in 0..trials {
        clock.set(present() + chrono::Duration::days(day as i64));
        let project_id = Uuid::new_v4();
        store
            .execute(CommandRequest {
                project_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor: Actor::new("bench", "secretariat"),
                command: create_command(project_id, day),
            })
            .await
            .unwrap();
        ids.push(project_id);
    }
    let mut lateness = Vec::new();
    for project_id in ids {
        // The next deadline is half a second away; an idle scheduler starts and goes to sleep.
        let due = store.earliest_deadline().await.unwrap().unwrap();
        clock.set(due - chrono::Duration::milliseconds(500));
        let scheduler = Scheduler::new(
            store.clone(),
            SchedulerOptions::default(),
            Metrics::shared(),
        );
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(async move { scheduler.run(shutdown).await });
        let record = loop {
            let page = store.history(project_id, 0, 100).await.unwrap();
            if let Some(record) = page
                .records
                .into_iter()
                .find(|record| record.event_type == "deadline_warning_given")
            {
                break record;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        stop.send(true).unwrap();
        running.await.unwrap();
        let event = record.to_event().unwrap();
        let late = record.recorded_at - event.body.fell_due_at().unwrap();
        lateness.push(late.num_microseconds().unwrap() as f64 / 1000.0);
    }
    lateness.sort_by(f64::total_cmp);
    let at = |quantile: f64| lateness[((lateness.len() as f64 - 1.0) * quantile).round() as usize];
    println!(
        "lateness ({backend}, idle, {trials} firings): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        lateness.last().unwrap()
    );
    store.close().await;
}

async fn lateness() {
    let trials = 40;
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("lateness.db").display());
    lateness_on("sqlite", &url, trials).await;
    if let Some(admin) = postgres_url() {
        let database = PostgresDatabase::create(&admin).await;
        lateness_on("postgres", &database.url, trials).await;
        database.drop_database().await;
    } else {
        println!("lateness (postgres): skipped (set SPECFLOW_BENCH_POSTGRES_URL)");
    }
}

fn resident_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// The child of `memory`: runs only the scheduler over the database and reports its memory.
async fn memory_child(url: &str) {
    let clock = Arc::new(ManualClock::new(present() + chrono::Duration::days(11)));
    let store = Store::open_with_clock(url, StoreOptions::default(), clock)
        .await
        .unwrap();
    let before = resident_kib("VmRSS:");
    let scheduler = Scheduler::new(
        store.clone(),
        SchedulerOptions::default(),
        Metrics::shared(),
    );
    let report = scheduler.run_due(None).await.unwrap();
    let earliest = store.earliest_deadline().await.unwrap();
    println!(
        "child: ticked {} projects, next deadline {earliest:?}; RSS {} KiB before, {} KiB after, peak {} KiB",
        report.projects_ticked,
        before,
        resident_kib("VmRSS:"),
        resident_kib("VmHWM:")
    );
    store.close().await;
}

async fn memory() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("memory.db").display());
    let clock = Arc::new(ManualClock::new(present()));
    let store = Store::open_with_clock(
        &url,
        StoreOptions {
            sqlite_synchronous: specflow_store::SqliteSynchronous::Normal,
            ..StoreOptions::default()
        },
        clock.clone(),
    )
    .await
    .unwrap();
    store
        .register_definition("timer-test.toml", TIMER_TEST)
        .await
        .unwrap();
    let mut created = 0;
    for size in [10_000usize, 1_000_000] {
        let started = Instant::now();
        // 1,000 projects due when the child looks (eleven days on); the rest are not yet due.
        clock.set(present());
        create_projects(&store, created, created + 1_000).await;
        clock.set(present() + chrono::Duration::days(10));
        create_projects(&store, created + 1_000, size).await;
        println!(
            "memory: {size} projects ({} created in {:.0} s)",
            size - created,
            started.elapsed().as_secs_f64()
        );
        created = size;
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--memory-child", &url])
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
    }
    store.close().await;
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    if let Some(url) = argument("--memory-child") {
        memory_child(&url).await;
        return;
    }
    let part = argument("--part").unwrap_or_else(|| "all".to_string());
    let projects = argument("--projects")
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    if part == "burst" || part == "all" {
        burst(projects).await;
    }
    if part == "lateness" || part == "all" {
        lateness().await;
    }
    if part == "memory" || part == "all" {
        memory().await;
    }
}
