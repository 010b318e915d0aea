//! The least a JSON-over-HTTP service can do per request, on the same database as specflow
//! (issue 19's baseline for `benches/api_load.rs --compare-raw`).
//!
//! It runs in a process of its own (the bench binary again, with `--serve-raw URL`), as
//! `specflow serve` does, so that it shares the cores with the database and the clients in the
//! same way. Per request it does:
//! - `POST /raw/fire/{subject}`: one `INSERT` of a row the size of one audit record (about 420
//!   bytes) into a table keyed like the log (subject, sequence), committed on its own, answering a
//!   small JSON document;
//! - `GET /raw/read/{subject}`: one `SELECT` of such a row by its key, answered as JSON;
//! - `GET /raw/board`: one keyset `SELECT` of the first 50 overdue rows of specflow's own
//!   `projects` table by its board index (`projects_overdue`), answered as JSON;
//! - `GET /raw/healthz`: nothing but `ok`, the floor of the HTTP stack, against specflow's
//!   `/healthz` through its whole middleware (`--part floor`).
//!
//! It uses sqlx's native drivers (no `Any` layer), the same pool size as `specflow serve` (8),
//! and on SQLite the same file settings (WAL, `synchronous = FULL`, a busy timeout); writes go
//! through a pool of one connection, the simplest way to have one writer, each request its own
//! transaction and commit (no batching: that is the baseline's point).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The connections `specflow serve` opens by default (`StoreOptions::max_connections`).
const POOL_SIZE: u32 = 8;

/// The raw server's database: SQLite with one writer connection, or PostgreSQL.
#[derive(Clone)]
enum Raw {
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

#[derive(Clone)]
struct RawState {
    raw: Raw,
    next_sequence: Arc<AtomicI64>,
}

/// Runs the same sqlx code on whichever native pool the raw server has (the SQLite pool named):
/// the drivers' types differ, the code does not.
macro_rules! with_pool {
    ($raw:expr, $sqlite_pool:ident, |$pool:ident| $body:expr) => {
        match $raw {
            Raw::Sqlite {
                $sqlite_pool: $pool,
                ..
            } => $body,
            Raw::Postgres($pool) => $body,
        }
    };
}

/// The row a fire writes: padded to about the size of one audit record.
fn record_body(subject: &str, sequence: i64) -> String {
    let head = format!(
        "{{\"event\":\"propose\",\"subject\":\"{subject}\",\"sequence\":{sequence},\"actor\":\"bench-secretariat\",\"pad\":\""
    );
    let pad = 400usize.saturating_sub(head.len());
    format!("{head}{}\"}}", "x".repeat(pad))
}

const CREATE_RECORDS: &str = "CREATE TABLE IF NOT EXISTS raw_records (subject_id TEXT NOT NULL, sequence BIGINT NOT NULL, recorded_at BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (subject_id, sequence))";
const INSERT_RECORD: &str =
    "INSERT INTO raw_records (subject_id, sequence, recorded_at, body) VALUES ($1, $2, $3, $4)";
const SELECT_RECORD: &str = "SELECT subject_id, sequence, recorded_at, body FROM raw_records WHERE subject_id = $1 AND sequence = 0";
const SELECT_BOARD: &str = "SELECT project_id, code, title_zh, title_en, committee, stage, overdue_since, head_sequence FROM projects WHERE overdue_since IS NOT NULL ORDER BY overdue_since, project_id LIMIT 50";

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl Raw {
    async fn open(url: &str) -> Raw {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .unwrap()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .unwrap();
            let readers = SqlitePoolOptions::new()
                .max_connections(POOL_SIZE)
                .connect_with(options)
                .await
                .unwrap();
            sqlx::query(CREATE_RECORDS).execute(&writer).await.unwrap();
            Raw::Sqlite { writer, readers }
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(POOL_SIZE)
                .connect(url)
                .await
                .unwrap();
            sqlx::query(CREATE_RECORDS).execute(&pool).await.unwrap();
            Raw::Postgres(pool)
        }
    }

    /// One row per subject at sequence 0, for the reads (in one transaction, before serving).
    async fn seed(&self, subjects: &[String]) {
        with_pool!(self, writer, |pool| {
            let mut transaction = pool.begin().await.unwrap();
            for subject in subjects {
                sqlx::query(INSERT_RECORD)
                    .bind(subject)
                    .bind(0i64)
                    .bind(now_micros())
                    .bind(record_body(subject, 0))
                    .execute(&mut *transaction)
                    .await
                    .unwrap();
            }
            transaction.commit().await.unwrap();
        })
    }
}

async fn fire(
    State(state): State<RawState>,
    Path(subject): Path<String>,
) -> Result<Json<Value>, StatusCode> {
    let sequence = state.next_sequence.fetch_add(1, Ordering::Relaxed);
    let body = record_body(&subject, sequence);
    let written = with_pool!(&state.raw, writer, |pool| sqlx::query(INSERT_RECORD)
        .bind(&subject)
        .bind(sequence)
        .bind(now_micros())
        .bind(body)
        .execute(pool)
        .await
        .map(|_| ()));
    written.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(
        json!({"subject": subject, "sequence": sequence, "outcome": "applied"}),
    ))
}

async fn read(
    State(state): State<RawState>,
    Path(subject): Path<String>,
) -> Result<Json<Value>, StatusCode> {
    let row: Option<(String, i64, i64, String)> =
        with_pool!(&state.raw, readers, |pool| sqlx::query_as(SELECT_RECORD)
            .bind(&subject)
            .fetch_optional(pool)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?);
    let (subject, sequence, recorded_at, body) = row.ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(
        json!({"subject": subject, "sequence": sequence, "recorded_at": recorded_at, "body": body}),
    ))
}

type BoardRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    i64,
);

async fn board(State(state): State<RawState>) -> Result<Json<Value>, StatusCode> {
    let rows: Vec<BoardRow> = with_pool!(&state.raw, readers, |pool| sqlx::query_as(SELECT_BOARD)
        .fetch_all(pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?);
    let items: Vec<Value> = rows
        .into_iter()
        .map(
            |(project_id, code, title_zh, title_en, committee, stage, overdue_since, head)| {
                json!({"project_id": project_id, "code": code, "title": {"zh": title_zh, "en": title_en},
                       "committee": committee, "stage": stage, "overdue_since": overdue_since, "head_sequence": head})
            },
        )
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Runs the raw server on `url` (the child process's whole life): seeds a row for each subject
/// named in the file `--raw-subjects`, prints `listening PORT` on stdout, and serves until killed.
pub async fn serve(url: &str, subjects_file: Option<&str>) {
    let raw = Raw::open(url).await;
    if let Some(file) = subjects_file {
        let subjects: Vec<String> = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        raw.seed(&subjects).await;
    }
    let state = RawState {
        raw,
        next_sequence: Arc::new(AtomicI64::new(1)),
    };
    let router = Router::new()
        .route("/raw/fire/{subject}", post(fire))
        .route("/raw/read/{subject}", get(read))
        .route("/raw/board", get(board))
        .route("/raw/healthz", get(|| async { "ok\n" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap().port());
    axum::serve(listener, router).await.unwrap();
}
