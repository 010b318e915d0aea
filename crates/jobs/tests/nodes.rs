//! Several scheduler nodes on one PostgreSQL database: 10,000 deadlines fall due at once, three
//! node processes share them, and nodes are killed (SIGKILL) and restarted in the middle. Every
//! deadline fires exactly once.
//!
//! A node is this test binary itself, run again with `SPECFLOW_SCHEDULER_NODE` set to the
//! database URL: it runs a scheduler on the system clock until it is killed.

use crate::support::*;
use chrono::Duration as Days;
use futures_util::StreamExt;
use specflow_engine::Command;
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::CommandOutcome;
use specflow_store::metrics::Metrics;
use specflow_store::{ManualClock, Store, StoreOptions};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A node: schedules until killed. Does nothing when run as an ordinary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_node_until_killed() {
    let Ok(url) = std::env::var("SPECFLOW_SCHEDULER_NODE") else {
        return;
    };
    let node = std::env::var("SPECFLOW_SCHEDULER_NODE_NAME").unwrap_or_default();
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    let options = SchedulerOptions {
        batch_size: 100,
        // Short, so that a killed node's claims pass to the others within the test.
        lease: Duration::from_secs(2),
        rescan_interval: Duration::from_secs(1),
        node,
    };
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    Scheduler::new(store, options, Metrics::shared())
        .run(shutdown)
        .await;
}

fn start_node(url: &str, name: &str) -> Child {
    Process::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "nodes::scheduler_node_until_killed",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("SPECFLOW_SCHEDULER_NODE", url)
        .env("SPECFLOW_SCHEDULER_NODE_NAME", name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Creates `projects` timer-test projects whose deadlines all passed `days` days ago.
pub async fn projects_all_due(store: &Store, clock: &ManualClock, projects: usize) {
    store
        .register_definition("timer-test.toml", TIMER_TEST)
        .await
        .unwrap();
    // Created 20 days ago: the 10-day deadline and its warning are both past.
    clock.set(chrono::Utc::now() - Days::days(20));
    let created = futures_util::stream::iter(0..projects)
        .map(|number| {
            let store = store.clone();
            async move {
                let project_id = Uuid::new_v4();
                store
                    .execute(request(
                        project_id,
                        secretariat(),
                        create_timer_project(project_id, number),
                    ))
                    .await
                    .unwrap()
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    assert!(
        created
            .iter()
            .all(|outcome| matches!(outcome, CommandOutcome::Accepted { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_killed_and_restarted_fire_every_deadline_once() {
    let Some((url, _keep)) = fresh_database(Kind::Postgres).await else {
        return;
    };
    const PROJECTS: i64 = 10_000;
    let clock = Arc::new(ManualClock::new(start()));
    let store = Store::open_with_clock(&url, StoreOptions::default(), clock.clone())
        .await
        .unwrap();
    projects_all_due(&store, &clock, PROJECTS as usize).await;
    store.close().await;
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let missed = "SELECT COUNT(*) FROM audit_records WHERE event_type = 'deadline_missed'";
    let mut nodes: Vec<Child> = (0..3)
        .map(|index| start_node(&url, &format!("node-{index}")))
        .collect();
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let fired = count(&pool, missed).await;
        // Kill nodes in the middle of the work, twice, and start new ones in their place.
        if (kills == 0 && fired >= PROJECTS / 4) || (kills == 1 && fired >= PROJECTS * 3 / 5) {
            for index in 0..2 {
                let victim = (index + kills) % 3;
                nodes[victim].kill().unwrap();
                nodes[victim].wait().unwrap();
                nodes[victim] = start_node(&url, &format!("node-{victim}-after-{kills}"));
            }
            kills += 1;
        }
        let due = count(
            &pool,
            "SELECT COUNT(*) FROM projects WHERE next_deadline_at IS NOT NULL",
        )
        .await;
        if due == 0 && fired == PROJECTS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{fired} of {PROJECTS} deadlines fired after 4 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for node in &mut nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
    assert_eq!(kills, 2, "the nodes finished before they could be killed");
    // Exactly once: one warning and one miss per project, and one notification each.
    for event_type in ["deadline_warning_given", "deadline_missed"] {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT project_id FROM audit_records WHERE event_type = '{event_type}' GROUP BY project_id HAVING COUNT(*) = 1) AS once"
        );
        assert_eq!(count(&pool, &sql).await, PROJECTS, "{event_type}");
        let sql = format!("SELECT COUNT(*) FROM audit_records WHERE event_type = '{event_type}'");
        assert_eq!(count(&pool, &sql).await, PROJECTS, "{event_type}");
    }
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM outbox").await,
        2 * PROJECTS
    );
    pool.close().await;
    // And every chain still verifies.
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    let ids = store.project_ids_with_records(None, 200).await.unwrap();
    for project_id in ids {
        store.verify_project(project_id).await.unwrap().unwrap();
    }
}

/// Starts a scheduler on `scheduling_node` and lets it go to sleep with a 120 s re-scan; then
/// `writing_node` creates a project whose warning is due at once. Fails with `failure` unless the
/// scheduler wakes and fires the warning within 20 s.
async fn a_due_write_wakes_the_scheduler(
    scheduling_node: &Store,
    writing_node: &Store,
    failure: &str,
) {
    // The warning falls due at the start of the day the project is created: already due when
    // the creation commits.
    let text = TIMER_TEST
        .replace("id = \"timer-test\"", "id = \"wake-test\"")
        .replace(
            "warning_before = \"3 days\"",
            "warning_before = \"10 days\"",
        );
    writing_node
        .register_definition("wake-test.toml", &text)
        .await
        .unwrap();
    let options = SchedulerOptions {
        // Without the wake-up the warning would wait for this re-scan.
        rescan_interval: Duration::from_secs(120),
        ..SchedulerOptions::default()
    };
    let scheduler = Scheduler::new(scheduling_node.clone(), options, Metrics::shared());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(async move { scheduler.run(shutdown).await });
    // Let it find nothing, start listening (on PostgreSQL) and go to sleep.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let project_id = Uuid::new_v4();
    let Command::CreateProject(mut project) = create_timer_project(project_id, 1) else {
        unreachable!()
    };
    project.definition_id = "wake-test".to_string();
    let created = Instant::now();
    writing_node
        .execute(request(
            project_id,
            secretariat(),
            Command::CreateProject(project),
        ))
        .await
        .unwrap();
    loop {
        let page = writing_node.history(project_id, 0, 100).await.unwrap();
        if page
            .records
            .iter()
            .any(|record| record.event_type == "deadline_warning_given")
        {
            break;
        }
        assert!(created.elapsed() < Duration::from_secs(20), "{failure}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_setting_an_earlier_deadline_wakes_the_sleeping_scheduler() {
    let (url, _keep) = fresh_database(Kind::Sqlite).await.unwrap();
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    a_due_write_wakes_the_scheduler(
        &store,
        &store,
        "the scheduler slept through a deadline that a write made due",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_written_by_another_node_wakes_the_scheduler_by_notify() {
    let Some((url, _keep)) = fresh_database(Kind::Postgres).await else {
        return;
    };
    // Two nodes: one schedules, the other writes. They share nothing but the database, so only
    // PostgreSQL's NOTIFY can wake the first when the second makes a deadline due.
    let scheduling_node = Store::open(&url, StoreOptions::default()).await.unwrap();
    let writing_node = Store::open(&url, StoreOptions::default()).await.unwrap();
    a_due_write_wakes_the_scheduler(
        &scheduling_node,
        &writing_node,
        "the scheduler of another node slept through a deadline announced by NOTIFY",
    )
    .await;
}
