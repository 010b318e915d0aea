//! Two sequencer nodes on one database, one log key and a short lease, while records are written
//! without pause; the node holding the lease is killed (SIGKILL) and restarted several times in
//! the middle of its batches. When the queue has drained, every committed record is a leaf once,
//! the leaves are numbered without a gap, the stored hashes are the tree of those leaves, every
//! checkpoint is signed, rebuilt by the leaves and consistent with the one before it, and both
//! node slots integrated records (the lease passed between them).
//!
//! A node is this test binary itself, run again with `SPECFLOW_SEQUENCER_NODE` set to the
//! database URL: it sequences on the system clock until it is killed, and appends a line to a
//! file named after its slot each time it integrates, which is how the test learns who did.

use crate::support::*;
use specflow_jobs::{Sequencer, SequencerOptions};
use specflow_store::transparency::LogKey;
use specflow_store::{CommandOutcome, Store, StoreOptions};
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{SignatureVerifier, open_note};
use specflow_tlog::tree::{MemoryTree, check_tree};
use sqlx::Row;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn log_key() -> Arc<LogKey> {
    Arc::new(LogKey::from_seed("specflow.test/log", &[7; 32]).unwrap())
}

/// The options of every node: a lease short enough that a killed leader's successor takes over
/// within the test, and small batches, so that a leader is killed between and inside them.
fn node_options(node: String) -> SequencerOptions {
    SequencerOptions {
        node,
        lease: Duration::from_millis(800),
        poll_interval: Duration::from_millis(50),
        gather: Duration::from_millis(10),
        batch_limit: 25,
    }
}

/// A node: sequences until killed. Does nothing when run as an ordinary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequencer_node_until_killed() {
    let Ok(url) = std::env::var("SPECFLOW_SEQUENCER_NODE") else {
        return;
    };
    let name = std::env::var("SPECFLOW_SEQUENCER_NODE_NAME").unwrap();
    let report = PathBuf::from(std::env::var("SPECFLOW_SEQUENCER_NODE_REPORT").unwrap());
    let options = StoreOptions {
        log_key: Some(log_key()),
        ..StoreOptions::default()
    };
    let store = Store::open(&url, options).await.unwrap();
    let sequencer = Sequencer::new(store, log_key(), node_options(name.clone()));
    loop {
        // The rounds run here rather than through `run`, to report which node integrated.
        if let Ok(round) = sequencer.run_once().await
            && round.integrated > 0
        {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&report)
                .unwrap();
            writeln!(file, "{name} {}", round.integrated).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts the node of `slot` (its `generation`th process), reporting to `reports/<slot>`.
fn start_node(url: &str, reports: &Path, slot: usize, generation: usize) -> Child {
    Process::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sequencer_nodes::sequencer_node_until_killed",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("SPECFLOW_SEQUENCER_NODE", url)
        .env(
            "SPECFLOW_SEQUENCER_NODE_NAME",
            format!("node-{slot}-{generation}"),
        )
        .env(
            "SPECFLOW_SEQUENCER_NODE_REPORT",
            reports.join(slot.to_string()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Writes projects and commands on them until `stop`: each worker creates a project and
/// attaches two artifacts to it, again and again.
fn start_writers(
    store: &Store,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|worker| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                let mut number = worker * 100_000;
                while !stop.load(Ordering::SeqCst) {
                    number += 1;
                    let project = created_project(&store, number, "SH-TC-01").await;
                    for content in ["a", "b"] {
                        let outcome = store
                            .execute(request(
                                project,
                                secretariat(),
                                attach("project_proposal", content),
                            ))
                            .await
                            .unwrap();
                        assert!(
                            matches!(outcome, CommandOutcome::Accepted { .. }),
                            "{outcome:?}"
                        );
                    }
                }
            })
        })
        .collect()
}

/// The slot of the node holding the lease now, if any.
async fn leader_slot(pool: &sqlx::AnyPool) -> Option<usize> {
    let owner: Option<String> =
        sqlx::query_scalar("SELECT lease_owner FROM log_sequencer WHERE singleton = 1")
            .fetch_one(pool)
            .await
            .unwrap();
    owner?.split('-').nth(1)?.parse().ok()
}

/// Waits until the node of `slot` holds the lease.
async fn wait_for_the_leader(pool: &sqlx::AnyPool, slot: usize) {
    let started = Instant::now();
    while leader_slot(pool).await != Some(slot) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "node {slot} did not take the lease of a killed leader within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Kills the leader `kills` times, `interval` apart, and restarts it once the other node leads;
/// how many of the kills found records waiting, that is, most likely cut the leader's work
/// short.
async fn kill_leaders(
    pool: &sqlx::AnyPool,
    nodes: &mut [Child],
    url: &str,
    reports: &Path,
    kills: usize,
    interval: Duration,
) -> usize {
    let mut with_work = 0;
    let mut done = 0;
    let mut generation = 1;
    while done < kills {
        tokio::time::sleep(interval).await;
        let Some(slot) = leader_slot(pool).await else {
            continue;
        };
        if count(pool, "SELECT COUNT(*) FROM log_pending").await > 0 {
            with_work += 1;
        }
        nodes[slot].kill().unwrap();
        nodes[slot].wait().unwrap();
        // The killed node comes back only once the other took the lease, so that the lease
        // passes at every kill rather than maybe back to the killed node's successor.
        wait_for_the_leader(pool, 1 - slot).await;
        generation += 1;
        nodes[slot] = start_node(url, reports, slot, generation);
        done += 1;
    }
    with_work
}

/// Waits until every committed record is in the tree or refused, and the queue is empty.
async fn wait_for_the_queue_to_drain(pool: &sqlx::AnyPool) {
    let started = Instant::now();
    loop {
        let pending = count(pool, "SELECT COUNT(*) FROM log_pending").await;
        let records = count(pool, "SELECT COUNT(*) FROM audit_records").await;
        let size = count(pool, "SELECT tree_size FROM log_sequencer").await;
        let refused = count(pool, "SELECT COUNT(*) FROM log_refusals").await;
        if pending == 0 && size + refused >= records {
            return;
        }
        assert!(
            pending > 0 || started.elapsed() < Duration::from_secs(5),
            "the queue is empty, but {records} records made a tree of {size} with {refused} refused"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{pending} records still wait after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every committed record is one leaf, with the record's hash; leaves are numbered 0 to n-1.
async fn every_record_is_a_leaf_once(pool: &sqlx::AnyPool) -> i64 {
    let records = count(pool, "SELECT COUNT(*) FROM audit_records").await;
    let leaves = count(pool, "SELECT COUNT(*) FROM log_leaves").await;
    assert_eq!(leaves, records, "leaves and committed records");
    let distinct = count(
        pool,
        "SELECT COUNT(*) FROM (SELECT DISTINCT record_kind, subject_id, sequence FROM log_leaves) AS leaf",
    )
    .await;
    assert_eq!(distinct, leaves, "a record is in the tree twice");
    let missing = count(
        pool,
        "SELECT COUNT(*) FROM audit_records r LEFT JOIN log_leaves l \
         ON l.record_kind = 'project' AND l.subject_id = r.project_id AND l.sequence = r.sequence \
         AND l.record_hash = r.hash WHERE l.leaf_index IS NULL",
    )
    .await;
    assert_eq!(
        missing, 0,
        "committed records that are not leaves with their hash"
    );
    let span = count(
        pool,
        "SELECT COALESCE(MAX(leaf_index) - MIN(leaf_index) + 1, 0) FROM log_leaves",
    )
    .await;
    let first = count(pool, "SELECT COALESCE(MIN(leaf_index), 0) FROM log_leaves").await;
    assert_eq!((first, span), (0, leaves), "leaf indexes are not 0 to n-1");
    assert_eq!(
        count(pool, "SELECT COUNT(*) FROM log_refusals").await,
        0,
        "refusals"
    );
    assert_eq!(
        count(pool, "SELECT tree_size FROM log_sequencer").await,
        leaves,
        "tree size"
    );
    leaves
}

/// The tree of the leaves in index order, rebuilt here from their record hashes; it must be the
/// tree whose hashes the database stored.
async fn rebuilt_tree(pool: &sqlx::AnyPool) -> MemoryTree {
    let rows = sqlx::query("SELECT record_hash FROM log_leaves ORDER BY leaf_index")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut tree = MemoryTree::new();
    for row in &rows {
        let hash = Hash::from_hex(row.get::<String, _>("record_hash").as_str()).unwrap();
        tree.append_leaf_hash(leaf_hash(hash.as_bytes())).unwrap();
    }
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM log_hashes ORDER BY hash_index")
            .fetch_all(pool)
            .await
            .unwrap();
    let rebuilt: Vec<Vec<u8>> = tree
        .stored_hashes()
        .iter()
        .map(|hash| hash.as_bytes().to_vec())
        .collect();
    assert!(
        stored == rebuilt,
        "the stored hashes are not the tree of the leaves"
    );
    tree
}

/// Every checkpoint is signed by the log, has the rebuilt tree's root at its size, and is
/// proved consistent with the one before it by the store's consistency proof.
async fn every_checkpoint_extends_the_last(
    store: &Store,
    pool: &sqlx::AnyPool,
    tree: &MemoryTree,
) -> usize {
    let verifier = log_key().verifier();
    let verifiers: [&dyn SignatureVerifier; 1] = [&verifier];
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT note FROM log_checkpoints ORDER BY tree_size")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut previous: Option<Checkpoint> = None;
    for note in &notes {
        let checkpoint = Checkpoint::parse(&open_note(note, &verifiers).unwrap().text).unwrap();
        assert_eq!(
            checkpoint.root,
            tree.root_at(checkpoint.size).unwrap(),
            "root at {}",
            checkpoint.size
        );
        if let Some(old) = &previous {
            let proof = store
                .consistency_proof(old.size, checkpoint.size)
                .await
                .unwrap();
            check_tree(
                &proof,
                checkpoint.size,
                &checkpoint.root,
                old.size,
                &old.root,
            )
            .unwrap_or_else(|error| panic!("{} to {}: {error:?}", old.size, checkpoint.size));
        }
        previous = Some(checkpoint);
    }
    let last = previous.expect("no checkpoint was signed");
    assert_eq!(
        last.size,
        tree.size(),
        "the last checkpoint is not of the whole tree"
    );
    let verification = store
        .verify_against_checkpoint(&last, &verifier)
        .await
        .unwrap();
    assert!(verification.holds(), "{:?}", verification.faults);
    notes.len()
}

/// The slots whose nodes reported integrating records.
fn slots_that_integrated(reports: &Path) -> Vec<usize> {
    (0..2)
        .filter(|slot| {
            std::fs::read_to_string(reports.join(slot.to_string()))
                .is_ok_and(|text| !text.trim().is_empty())
        })
        .collect()
}

async fn two_nodes_killed_and_restarted_integrate_every_record_once(kind: Kind) {
    let Some((url, _keep)) = fresh_database(kind).await else {
        return;
    };
    let options = StoreOptions {
        log_key: Some(log_key()),
        ..StoreOptions::default()
    };
    let store = Store::open(&url, options).await.unwrap();
    store
        .register_workflow_folder(&workflows_folder())
        .await
        .unwrap();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let reports = tempfile::tempdir().unwrap();
    let mut nodes: Vec<Child> = (0..2)
        .map(|slot| start_node(&url, reports.path(), slot, 0))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = start_writers(&store, 4, &stop);
    let kills_with_work = kill_leaders(
        &pool,
        &mut nodes,
        &url,
        reports.path(),
        6,
        Duration::from_millis(1_000),
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    wait_for_the_queue_to_drain(&pool).await;
    for node in &mut nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
    let leaves = every_record_is_a_leaf_once(&pool).await;
    let tree = rebuilt_tree(&pool).await;
    let checkpoints = every_checkpoint_extends_the_last(&store, &pool, &tree).await;
    assert_eq!(
        slots_that_integrated(reports.path()),
        [0, 1],
        "the lease never passed"
    );
    let _ = writeln!(
        std::io::stderr(),
        "{kind:?}: {leaves} leaves, {checkpoints} checkpoints, {kills_with_work} of 6 kills with records waiting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_nodes_killed_and_restarted_integrate_every_record_once() {
    two_nodes_killed_and_restarted_integrate_every_record_once(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_nodes_killed_and_restarted_integrate_every_record_once() {
    two_nodes_killed_and_restarted_integrate_every_record_once(Kind::Sqlite).await;
}
