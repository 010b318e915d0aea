//! Crash safety: a process appending transitions is killed with SIGKILL at random moments; after
//! each restart every acknowledged transition is there, nothing else is, and the chains verify.
//!
//! The child is this test binary itself, run again with `SPECFLOW_CRASH_CHILD` set: it appends
//! comments to one project and prints `ack N` after each command is acknowledged.

use crate::support::*;
use specflow_engine::Command;
use specflow_engine::command::Comment;
use specflow_store::CommandOutcome;
use specflow_store::{Store, StoreOptions};
use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const PROJECT: Uuid = Uuid::from_u128(0x5bec_f10e_c4a5_4000_8000_0000_0000_0001);

fn command_id(index: u64) -> Uuid {
    Uuid::from_u128(0x5bec_f10e_c4a5_4000_9000_0000_0000_0000 + u128::from(index))
}

fn comment(index: u64) -> Command {
    Command::RecordComment(Comment {
        comment_id: format!("C{index}"),
        organisation: "crash test".to_string(),
        clause: None,
        text: format!("comment {index}"),
    })
}

/// The child: appends until killed. Does nothing when run as an ordinary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_appending_until_killed() {
    let Ok(url) = std::env::var("SPECFLOW_CRASH_CHILD") else {
        return;
    };
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    store
        .register_workflow_folder(&workflows_folder())
        .await
        .unwrap();
    if store.head_sequence(PROJECT).await.unwrap() == 0 {
        let mut create_request = request(PROJECT, secretariat(), create(PROJECT, 1, "SH-TC-01"));
        create_request.command_id = command_id(0);
        store.execute(create_request).await.unwrap();
    }
    let start: u64 = std::env::var("SPECFLOW_CRASH_START")
        .unwrap()
        .parse()
        .unwrap();
    // Several writers at once, so that group commits are in flight when the kill comes.
    let mut writers = Vec::new();
    for lane in 0..4u64 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut index = start + lane;
            loop {
                let mut append = request(PROJECT, secretariat(), comment(index));
                append.command_id = command_id(index);
                match store.execute(append).await.unwrap() {
                    CommandOutcome::Accepted { .. } => println!("ack {index}"),
                    CommandOutcome::Rejected { rejection, .. } => panic!("{rejection}"),
                }
                index += 4;
            }
        }));
    }
    // The writers never finish: the parent kills this process while they append.
    futures_join_all(writers).await;
}

async fn futures_join_all(writers: Vec<tokio::task::JoinHandle<()>>) {
    for writer in writers {
        if let Err(error) = writer.await {
            panic!("a writer failed: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_transition_survives_sigkill() {
    if std::env::var("SPECFLOW_CRASH_CHILD").is_ok() {
        return;
    }
    let (url, _keep) = fresh_database(Kind::Sqlite).await.unwrap();
    let mut acknowledged = std::collections::BTreeSet::new();
    let mut next_start = 1u64;
    for round in 0..12u64 {
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash::child_process_appending_until_killed",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("SPECFLOW_CRASH_CHILD", &url)
            .env("SPECFLOW_CRASH_START", next_start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill after a pseudo-random number of acknowledgements (the round decides, so a failure repeats).
        let kill_after = 5 + (round * 37) % 60;
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(index) = line.strip_prefix("ack ") {
                    acks.push(index.trim().parse::<u64>().unwrap());
                }
            }
            acks
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            std::thread::sleep(Duration::from_millis(5 + round % 7));
            let done = reader.is_finished() || Instant::now() > deadline;
            // Opening the file while the child sets up its write-ahead log can fail for a
            // moment (SQLITE_CANTOPEN, seen on a busy machine): that poll counts nothing.
            let count: i64 = match sqlx::AnyPool::connect(&url).await {
                Ok(pool) => {
                    let count = sqlx::query_scalar("SELECT COUNT(*) FROM commands")
                        .fetch_one(&pool)
                        .await
                        .unwrap_or(0);
                    pool.close().await;
                    count
                }
                Err(_) => 0,
            };
            if done || count as u64 >= next_start + kill_after {
                break;
            }
        }
        // SIGKILL: no destructor, no flush, no orderly shutdown.
        child.kill().unwrap();
        child.wait().unwrap();
        acknowledged.extend(reader.join().unwrap());

        let store = Store::open(&url, StoreOptions::default()).await.unwrap();
        let view = store
            .project(PROJECT)
            .await
            .unwrap()
            .expect("the project exists");
        let recorded: std::collections::BTreeSet<u64> = view
            .state
            .comments
            .iter()
            .map(|entry| entry.comment_id.trim_start_matches('C').parse().unwrap())
            .collect();
        for index in &acknowledged {
            assert!(
                recorded.contains(index),
                "round {round}: acknowledged comment {index} is missing"
            );
        }
        // Nothing else: every record came from a command the child sent, each exactly once.
        assert_eq!(view.state.comments.len(), recorded.len());
        assert!(
            store.verify_project(PROJECT).await.unwrap().is_ok(),
            "round {round}: the chain does not verify"
        );
        assert_eq!(view.summary.head_sequence, recorded.len() as u64 + 1);
        next_start = recorded.iter().max().copied().unwrap_or(0) + 4;
        store.close().await;
    }
    assert!(
        acknowledged.len() >= 12,
        "the child acknowledged too little to test anything: {}",
        acknowledged.len()
    );
}
