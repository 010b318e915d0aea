//! Inclusion proofs from a transparency log of ten million leaves (issue 18).
//!
//! `cargo bench -p specflow-store --bench log_proofs -- --backend sqlite|postgres
//! [--leaves 10000000] [--samples 10000] [--database URL] [--keep]`
//!
//! Target (issue 18): an inclusion proof against the latest checkpoint at 10,000,000 leaves,
//! p99 under 5 ms in the store.
//!
//! 1. The tree is built without the sequencer: ten million records through the API or the
//!    store's writer would take hours, and only the tree's tables are read by a proof. Each leaf
//!    stands for record `i % 10 + 1` of project `i / 10` (ids from a fixed mix, so every run
//!    builds the same tree), whose record hash is SHA-256 of the leaf's number. The tree's stored
//!    hashes are computed with the tlog crate's own append (`stored_hashes_for_appending`, what
//!    `Store::integrate_pending` calls), a chunk of leaves at a time, reading the hashes it needs
//!    from the table as the store does, and written with multi-row INSERTs into `log_leaves` and
//!    `log_hashes`, one transaction a chunk. Then a checkpoint of the whole tree is signed with a
//!    bench key and stored, and the tree's size set, as an integration would.
//! 2. A fresh store (the page cache warm: the database fits in memory) times
//!    `Store::latest_checkpoint` followed by `Store::inclusion_proof` for `--samples` random leaves
//!    (the leaf looked up by record, as the API's route does), after 200 untimed warm-up proofs.
//!    Every proof is then checked against the checkpoint's root with `check_record`, untimed.
//!
//! SQLite runs on a file under the temporary directory unless `--database sqlite://PATH` is given;
//! PostgreSQL on a fresh database created through `SPECFLOW_BENCH_POSTGRES_URL` or
//! `SPECFLOW_TEST_POSTGRES_URL` unless `--database postgres://…` is given. A database created here
//! is deleted at the end unless `--keep`; one that already holds leaves is measured, not loaded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sha2::{Digest, Sha256};
use specflow_engine::stored_record::RecordKind;
use specflow_store::{Backend, Store, StoreOptions};
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{NoteSigner, sign_note};
use specflow_tlog::tree;
use sqlx::{AnyConnection, Connection, Executor, Row};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Leaves per transaction.
const CHUNK_LEAVES: u64 = 65_536;

/// Rows per INSERT statement (SQLite allows 32766 parameters, PostgreSQL 65535).
const LEAF_ROWS: usize = 4_000;
const HASH_ROWS: usize = 10_000;

/// Records per project: leaf `i` is record `i % 10 + 1` of project `i / 10`.
const RECORDS_PER_PROJECT: u64 = 10;

/// The bench log's origin and key seed (the key signs only the bench's checkpoint).
const ORIGIN: &str = "bench.specflow.example/log";
const SEED: [u8; 32] = [7; 32];

struct Options {
    backend: Backend,
    leaves: u64,
    samples: usize,
    database: Option<String>,
    keep: bool,
}

fn options() -> Options {
    let arguments: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|index| arguments.get(index + 1).cloned())
    };
    let number = |name: &str, default: u64| {
        value(name).map_or(default, |text| {
            text.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name} wants a number, not {text}"))
        })
    };
    let backend = match value("--backend").as_deref() {
        Some("sqlite") => Backend::Sqlite,
        Some("postgres") => Backend::Postgres,
        other => panic!("--backend sqlite|postgres is required (got {other:?})"),
    };
    Options {
        backend,
        leaves: number("--leaves", 10_000_000),
        samples: usize::try_from(number("--samples", 10_000)).unwrap(),
        database: value("--database"),
        keep: arguments.iter().any(|argument| argument == "--keep"),
    }
}

/// A deterministic mix of a number (splitmix64), so every run builds the same tree.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The project whose records leaf `index` belongs to, and the record's sequence.
fn record_of(index: u64) -> (String, u64) {
    let project = index / RECORDS_PER_PROJECT;
    let id = Uuid::from_u64_pair(mix(project), mix(project ^ 0x5555_5555));
    (id.to_string(), index % RECORDS_PER_PROJECT + 1)
}

/// The record hash leaf `index` stands for.
fn record_hash(index: u64) -> Hash {
    Hash::from_slice(&Sha256::digest(index.to_le_bytes())).unwrap()
}

fn placeholders(backend: Backend, rows: usize, width: usize) -> String {
    let mut next = 1;
    (0..rows)
        .map(|_| {
            let tuple = (next..next + width)
                .map(|index| match backend {
                    Backend::Postgres => format!("${index}"),
                    Backend::Sqlite => "?".to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ");
            next += width;
            format!("({tuple})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stored hashes at `indexes`, read from the table as `Store::integrate_pending` reads them.
async fn read_hashes(connection: &mut AnyConnection, indexes: &[u64]) -> Vec<Hash> {
    let mut hashes = Vec::with_capacity(indexes.len());
    for index in indexes {
        let bytes: Vec<u8> =
            sqlx::query_scalar("SELECT hash FROM log_hashes WHERE hash_index = $1")
                .bind(i64::try_from(*index).unwrap())
                .fetch_one(&mut *connection)
                .await
                .unwrap();
        hashes.push(Hash::from_slice(&bytes).unwrap());
    }
    hashes
}

async fn insert_leaves(
    connection: &mut AnyConnection,
    backend: Backend,
    first: u64,
    hashes: &[Hash],
    now: i64,
) {
    for (chunk_number, chunk) in hashes.chunks(LEAF_ROWS).enumerate() {
        let sql = format!(
            "INSERT INTO log_leaves (leaf_index, record_kind, subject_id, sequence, record_hash, integrated_at) VALUES {}",
            placeholders(backend, chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for (offset, hash) in chunk.iter().enumerate() {
            let index = first + (chunk_number * LEAF_ROWS + offset) as u64;
            let (subject, sequence) = record_of(index);
            query = query
                .bind(i64::try_from(index).unwrap())
                .bind("project")
                .bind(subject)
                .bind(i64::try_from(sequence).unwrap())
                .bind(hash.to_hex())
                .bind(now);
        }
        query.execute(&mut *connection).await.unwrap();
    }
}

async fn insert_hashes(
    connection: &mut AnyConnection,
    backend: Backend,
    first: u64,
    hashes: &[Hash],
) {
    for (chunk_number, chunk) in hashes.chunks(HASH_ROWS).enumerate() {
        let sql = format!(
            "INSERT INTO log_hashes (hash_index, hash) VALUES {}",
            placeholders(backend, chunk.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (offset, hash) in chunk.iter().enumerate() {
            let index = first + (chunk_number * HASH_ROWS + offset) as u64;
            query = query
                .bind(i64::try_from(index).unwrap())
                .bind(hash.as_bytes().to_vec());
        }
        query.execute(&mut *connection).await.unwrap();
    }
}

/// Appends leaves `size..size + count` and their node hashes in one transaction.
async fn append_chunk(connection: &mut AnyConnection, backend: Backend, size: u64, count: u64) {
    let records: Vec<Hash> = (size..size + count).map(record_hash).collect();
    let leaves: Vec<Hash> = records
        .iter()
        .map(|hash| leaf_hash(hash.as_bytes()))
        .collect();
    let needed = tree::indexes_for_appending(size, count).unwrap();
    let known = read_hashes(connection, &needed).await;
    let stored = tree::stored_hashes_for_appending(size, &leaves, &known).unwrap();
    let first_hash = tree::stored_hash_count(size).unwrap();
    let now = chrono::Utc::now().timestamp_micros();
    let mut transaction = connection.begin().await.unwrap();
    insert_hashes(&mut transaction, backend, first_hash, &stored).await;
    insert_leaves(&mut transaction, backend, size, &records, now).await;
    transaction.commit().await.unwrap();
}

/// Signs and stores the checkpoint of the whole tree, and sets the tree's size, as the
/// sequencer's integration ends.
async fn sign_tree(connection: &mut AnyConnection, size: u64) -> Hash {
    let indexes = tree::indexes_for_tree_hash(size).unwrap();
    let root = tree::tree_hash_from(size, &read_hashes(connection, &indexes).await).unwrap();
    let signer = NoteSigner::from_seed(ORIGIN, &SEED).unwrap();
    let note = sign_note(
        &Checkpoint::new(ORIGIN, size, root).to_text().unwrap(),
        &signer,
    )
    .unwrap();
    sqlx::query(
        "INSERT INTO log_checkpoints (tree_size, root_hash, note, signed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(i64::try_from(size).unwrap())
    .bind(root.to_hex())
    .bind(note)
    .bind(chrono::Utc::now().timestamp_micros())
    .execute(&mut *connection)
    .await
    .unwrap();
    sqlx::query("UPDATE log_sequencer SET tree_size = $1 WHERE singleton = 1")
        .bind(i64::try_from(size).unwrap())
        .execute(&mut *connection)
        .await
        .unwrap();
    root
}

async fn build(url: &str, backend: Backend, leaves: u64) {
    let mut connection = AnyConnection::connect(url).await.unwrap();
    let started = Instant::now();
    let mut size = 0;
    while size < leaves {
        let count = CHUNK_LEAVES.min(leaves - size);
        append_chunk(&mut connection, backend, size, count).await;
        size += count;
        if size % (CHUNK_LEAVES * 16) == 0 || size == leaves {
            println!(
                "  {size} leaves in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let root = sign_tree(&mut connection, size).await;
    println!(
        "built a tree of {size} leaves (root {root}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    match backend {
        Backend::Sqlite => connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").await,
        Backend::Postgres => connection.execute("VACUUM ANALYZE").await,
    }
    .unwrap();
    connection.close().await.unwrap();
}

fn percentiles(mut durations: Vec<Duration>) -> (f64, f64, f64, f64) {
    durations.sort();
    let at = |fraction: f64| {
        let index = ((durations.len() as f64 * fraction).ceil() as usize).clamp(1, durations.len());
        durations[index - 1].as_secs_f64() * 1000.0
    };
    let mean =
        durations.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / durations.len() as f64;
    (at(0.50), at(0.99), at(1.0), mean)
}

/// One proof as the API's route makes it: the latest checkpoint, then the record's proof.
async fn prove(store: &Store, index: u64) -> (u64, specflow_store::transparency::InclusionProof) {
    let checkpoint = store.latest_checkpoint().await.unwrap().unwrap();
    let (subject, sequence) = record_of(index);
    let proof = store
        .inclusion_proof(
            RecordKind::Project,
            &subject,
            sequence,
            checkpoint.tree_size,
        )
        .await
        .unwrap()
        .unwrap();
    (checkpoint.tree_size, proof)
}

async fn measure(url: &str, samples: usize) {
    let store = Store::open(url, StoreOptions::default()).await.unwrap();
    let checkpoint = store.latest_checkpoint().await.unwrap().unwrap();
    let size = checkpoint.tree_size;
    println!(
        "latest checkpoint: size {size}, root {}",
        checkpoint.root_hash
    );
    // Random leaves from the same mix as the data, so every run asks for the same ones.
    let leaf = |draw: u64| mix(draw ^ 0x18) % size;
    for draw in 0..200 {
        prove(&store, leaf(draw)).await;
    }
    let mut durations = Vec::with_capacity(samples);
    let mut proofs = Vec::with_capacity(samples);
    for draw in 0..samples as u64 {
        let index = leaf(draw + 200);
        let started = Instant::now();
        let (tree_size, proof) = prove(&store, index).await;
        durations.push(started.elapsed());
        proofs.push((index, tree_size, proof));
    }
    for (index, tree_size, proof) in &proofs {
        assert_eq!(proof.leaf_index, *index);
        let leaf = leaf_hash(record_hash(*index).as_bytes());
        tree::check_record(
            &proof.hashes,
            *tree_size,
            &checkpoint.root_hash,
            *index,
            &leaf,
        )
        .unwrap();
    }
    let (p50, p99, max, mean) = percentiles(durations);
    println!(
        "inclusion proof against the latest checkpoint, {samples} random leaves of {size}: p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms, mean {mean:.3} ms (target: p99 under 5 ms); every proof checked against the root"
    );
    store.close().await;
}

fn postgres_admin_url() -> String {
    std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
        .expect("set SPECFLOW_BENCH_POSTGRES_URL or SPECFLOW_TEST_POSTGRES_URL, or pass --database")
}

/// Where to run, and what to delete at the end.
enum Place {
    Given,
    SqliteFile(PathBuf),
    PostgresDatabase { admin: String, name: String },
}

async fn place(options: &Options) -> (String, Place) {
    if let Some(url) = &options.database {
        return (url.clone(), Place::Given);
    }
    let name = format!(
        "specflow_bench_log_{}",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    match options.backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (
                format!("sqlite://{}", path.display()),
                Place::SqliteFile(path),
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let mut connection = AnyConnection::connect(&admin).await.unwrap();
            connection
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            connection.close().await.unwrap();
            let base = &admin[..admin.rfind('/').unwrap()];
            (
                format!("{base}/{name}"),
                Place::PostgresDatabase { admin, name },
            )
        }
    }
}

async fn clean_up(place: &Place, keep: bool, url: &str) {
    match place {
        _ if keep => println!("kept {url}"),
        Place::Given => {}
        Place::SqliteFile(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        Place::PostgresDatabase { admin, name } => {
            let mut connection = AnyConnection::connect(admin).await.unwrap();
            connection
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
            connection.close().await.unwrap();
        }
    }
}

async fn leaves_present(url: &str) -> i64 {
    let mut connection = AnyConnection::connect(url).await.unwrap();
    let row = connection
        .fetch_one("SELECT COUNT(*) AS leaves FROM log_leaves")
        .await
        .unwrap();
    row.get("leaves")
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let options = options();
    let (url, place) = place(&options).await;
    println!(
        "log_proofs: {:?}, {} leaves, {} samples; database {}",
        options.backend,
        options.leaves,
        options.samples,
        url.split('?').next().unwrap_or(&url)
    );
    // The store creates the tables; the bench signs its checkpoint with a key of its own.
    Store::open(&url, StoreOptions::default())
        .await
        .unwrap()
        .close()
        .await;
    if leaves_present(&url).await == 0 {
        build(&url, options.backend, options.leaves).await;
    } else {
        println!("the database already holds a tree: measuring only");
    }
    measure(&url, options.samples).await;
    clean_up(&place, options.keep, &url).await;
}
