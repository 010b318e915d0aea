//! specflow's store: everything the service keeps, on SQLite (the embedded default) or
//! PostgreSQL (several nodes sharing one database), and nothing of HTTP or HTML.
//!
//! Besides the [`Store`] itself this crate holds what every layer above it shares: the injected
//! [`clock::Clock`], the store's errors ([`error::StoreError`]), the authorization model
//! ([`auth`]: roles, principals and scoping, pure, since tokens are kept here) and the process's
//! metrics registry ([`metrics`]). The scheduler and deliverer (`specflow-jobs`) and the web faces
//! (`specflow-web`) sit on top; the compiler enforces that nothing here reaches up to them.
//!
//! The store keeps projects durably on SQLite or PostgreSQL through one interface.
//!
//! Both backends use the same tables and the same SQL (through `sqlx::Any`): ids are text,
//! instants are integer microseconds, flags are 0 or 1 (see `migrations/`). What differs is how
//! writes are serialised:
//! - SQLite has one writer. A writer task owns the only write connection and commits the
//!   commands waiting for it together, in one transaction (group commit), so many writers
//!   share each fsync.
//! - PostgreSQL has many writers on many nodes. Each node's writers decide a batch in memory
//!   and write it in one atomic statement; the primary key `(project_id, sequence)` decides races
//!   with other nodes, and a lost race is redone alone with the project's row locked, or reported
//!   as a conflict when the command named the sequence it expected.
//!
//! The audit log is append-only and the database enforces it with triggers (UPDATE, DELETE and,
//! on PostgreSQL, TRUNCATE are refused).
//!
//! The notification outbox (`outbox.rs`) is the one table whose rows move: the deliverer claims,
//! delivers and dead-letters them through plain statements on the pool, outside the writer.
//! API tokens (`tokens.rs`) are written the same way: they are no part of any project's log.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod auth;
pub mod calendar_feeds;
pub mod channel_health;
pub mod clock;
pub mod error;
pub mod metrics;

mod artifacts;
mod committees;
mod counts;
mod definitions;
pub mod log_export;
pub mod log_lines;
pub mod log_verify;
mod notifications;
pub mod outbox;
mod page;
pub mod personal_email;
mod read;
mod reports;
mod robot_sends;
mod schedule;
pub mod search;
pub mod sessions;
mod signals;
mod sql;
mod state_cache;
mod tokens;
pub mod transparency;
pub mod tree_walk;
mod uploads;
mod verify;
mod write;

pub use artifacts::ArtifactStream;
pub use committees::{
    COMMITTEE_ID_NAMESPACE, CommitteeCommandRequest, CommitteeOutcome, CommitteeSummary,
    SHIPPED_COMMITTEE_POLICY, committee_id_of,
};
pub use counts::{OverdueByMonth, StageCount};
pub use definitions::{RegisteredDefinition, WorkflowFiles};
#[doc(hidden)]
pub use outbox::TestNotification;
pub use outbox::{
    MASKED_SECRET, MAX_WEBHOOK_TIMEOUT, MIN_WEBHOOK_TIMEOUT, OutboxBacklog, OutboxEntry,
    OutboxFilter, OutboxPage, OutboxStatus, RetrySelection, Webhook,
};
pub use read::{
    CommentText, DefinitionStages, HistoryPage, OverdueFilter, OverdueSort, ProjectFacet,
    ProjectFilter, ProjectListPage, ProjectSummary, ProjectView, WriteTarget,
};
pub use reports::ReportRequest;
pub use schedule::{ClaimedProject, UpcomingDeadline};
pub use signals::DEADLINE_CHANNEL;
pub use tokens::{
    CreatedToken, LAST_USED_RESOLUTION_SECONDS, MAX_TOKEN_NAME_CHARS, TOKEN_CACHE_SECONDS,
    TokenStatus, TokenSummary,
};
pub use uploads::{ARTIFACT_CHUNK_BYTES, ArtifactSpool, SpooledArtifact};
pub use write::{
    BatchOutcome, CommandOutcome, CommandRequest, CreationsOutcome, MAX_BATCH_COMMANDS,
};

pub use accounts::{AccountSummary, SigninError, SigninThrottle};
pub use auth::{Access, AuthError, Principal, Role};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::StoreError;
pub use sessions::{SessionError, StartedSession};

use crate::error::redact_url;
use specflow_engine::WorkflowDefinition;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AnyPool, Executor};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a single file: the embedded default.
    Sqlite,
    /// PostgreSQL, for several nodes sharing one database.
    Postgres,
}

/// How durable an SQLite commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSynchronous {
    /// Every acknowledged commit survives a power cut (`PRAGMA synchronous=FULL`), the default.
    Full,
    /// Commits survive a crash of specflow but the last ones may be lost in a power cut
    /// (`PRAGMA synchronous=NORMAL` in WAL mode), for faster writes where that is acceptable.
    Normal,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Apply pending migrations on open (`specflow serve` does; read-only tools need not).
    pub migrate: bool,
    /// When not migrating, skip the check that every known migration is applied (only
    /// `specflow migrate` wants this: it opens a database in order to migrate it).
    pub skip_schema_check: bool,
    /// The largest artifact accepted, in bytes (50 MiB by default).
    pub max_artifact_bytes: u64,
    /// How many uploads may run at once, everyone's together (4 by default): each spools to a
    /// temporary file and holds a database connection while its content is written.
    pub max_concurrent_uploads: usize,
    /// How many uploads one caller (a token or an account) may run at once (2 by default).
    pub max_concurrent_uploads_per_caller: usize,
    /// SQLite durability.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Connections in the pool (readers on SQLite, everything on PostgreSQL).
    pub max_connections: u32,
    /// How many commands a writer commits together at most.
    pub group_commit_limit: usize,
    /// About how much memory the project states kept between commands and reads may take
    /// (16 MiB by default, some 6,500 states of six events): the rest are replayed from the log
    /// when needed, the least used first.
    pub state_cache_bytes: u64,
    /// A write that sets a deadline this close to now announces it to the schedulers of other
    /// nodes (PostgreSQL `NOTIFY`); later deadlines are found by their re-scan, which must run at
    /// least this often (`SchedulerOptions::rescan_interval`).
    pub deadline_announce_horizon: Duration,
    /// How long a notification whose audience has no webhook waits before it is looked at again
    /// (setting the webhook brings it back at once). The writer inserts such notifications
    /// already waiting, and the deliverer moves aside any that come due without a webhook.
    pub unaddressed_notification_recheck: Duration,
    /// How long a session of the pages lasts without being used (12 hours by default: a working
    /// day; each use starts it again).
    pub session_idle: Duration,
    /// How failed sign-ins to the pages are limited.
    pub signin_throttle: SigninThrottle,
    /// The transparency log's key: with it, every record written is authenticated for the
    /// sequencer ([`transparency`]); without it, none is, and no checkpoint is signed.
    pub log_key: Option<Arc<transparency::LogKey>>,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            migrate: true,
            skip_schema_check: false,
            max_artifact_bytes: 50 * 1024 * 1024,
            max_concurrent_uploads: 4,
            max_concurrent_uploads_per_caller: 2,
            sqlite_synchronous: SqliteSynchronous::Full,
            max_connections: 8,
            group_commit_limit: 64,
            state_cache_bytes: 16 * 1024 * 1024,
            deadline_announce_horizon: Duration::from_secs(60),
            unaddressed_notification_recheck: Duration::from_secs(10 * 60),
            session_idle: Duration::from_secs(12 * 60 * 60),
            signin_throttle: SigninThrottle::default(),
            log_key: None,
        }
    }
}

/// The store. Cloning it is cheap: clones share the pools and the writer.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    database: String,
    /// The URL with its password, for connections outside the pool (PostgreSQL `LISTEN`).
    connect_url: ConnectUrl,
    pool: AnyPool,
    writer: Option<write::Writer>,
    clock: Arc<dyn Clock>,
    options: StoreOptions,
    definitions: RwLock<HashMap<(String, u32), Arc<WorkflowDefinition>>>,
    /// Wake-ups for the scheduler and the deliverer after commits.
    signals: signals::Signals,
    /// What the deliverer last saw of each channel, for `/readyz`.
    channel_health: channel_health::ChannelHealthBoard,
    /// Project states between commands, with the head (sequence and hash) they are at.
    states: Mutex<state_cache::StateCache>,
    /// Tokens recently authenticated, so that a busy client's requests do not each read them.
    tokens: tokens::TokenCache,
    /// The composition policy committees are decided against (the shipped file by default).
    committee_policy: RwLock<Arc<specflow_engine::committee::CommitteePolicy>>,
    /// The uploads running now.
    uploads: Arc<uploads::UploadGate>,
    /// SQLite's one write lock, taken in turn by this process's writers: the writer task and the
    /// log's sequencer queue here, first come first served, rather than retrying `BEGIN
    /// IMMEDIATE` in SQLite's busy handler, whose growing sleeps a busy writer always wins.
    write_turn: tokio::sync::Mutex<()>,
}

/// A database URL that may hold a password: never printed.
struct ConnectUrl(String);

impl std::fmt::Debug for ConnectUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&redact_url(&self.0))
    }
}

/// Microseconds since the Unix epoch, the stored form of an instant.
pub(crate) fn micros(instant: chrono::DateTime<chrono::Utc>) -> i64 {
    instant.timestamp_micros()
}

/// The instant of stored microseconds.
pub(crate) fn instant(micros: i64) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("{micros} is not a representable instant")))
}

fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else {
        None
    }
}

/// Adds `mode=rwc` to an SQLite URL so that a missing file is created.
fn sqlite_url_creating(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Store {
    /// Opens the database at `url` with the system clock.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        Store::open_with_clock(url, options, Arc::new(SystemClock)).await
    }

    /// Opens the database at `url`, reading time from `clock`.
    pub async fn open_with_clock(
        url: &str,
        options: StoreOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let database = redact_url(url);
        let backend = backend_of(url).ok_or_else(|| StoreError::UnsupportedUrl {
            url: database.clone(),
        })?;
        let unavailable = |error: sqlx::Error| StoreError::Unavailable {
            database: database.clone(),
            reason: describe_sqlx_error(&error),
            source: Some(Arc::new(error)),
        };
        let connect_url = match backend {
            Backend::Sqlite => sqlite_url_creating(url),
            Backend::Postgres => url.to_string(),
        };
        let connect_options = AnyConnectOptions::from_str(&connect_url).map_err(unavailable)?;
        let synchronous = match options.sqlite_synchronous {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        };
        let pool_options = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                // A failed connection shows as an error on use; pinging it before every use would
                // cost a round trip per statement.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |connection, _| {
                    Box::pin(prepare_connection(connection, synchronous))
                })
        };
        // One direct connection first: a pool retries until its timeout and then reports only
        // that it timed out, where a direct attempt says why (refused, unknown host, bad password).
        {
            use sqlx::Connection;
            let mut connection = sqlx::AnyConnection::connect_with(&connect_options)
                .await
                .map_err(unavailable)?;
            prepare_connection(&mut connection, synchronous)
                .await
                .map_err(unavailable)?;
            let _ = connection.close().await;
        }
        let pool = pool_options(options.max_connections.max(1))
            .connect_with(connect_options.clone())
            .await
            .map_err(unavailable)?;
        // A query proves the file is a database we can read (a corrupt file fails here, not later).
        sqlx::query("SELECT 1")
            .execute(&pool)
            .await
            .map_err(unavailable)?;
        let committee_policy = Arc::new(
            specflow_engine::committee::CommitteePolicy::from_toml(
                "committees/policy.toml",
                committees::SHIPPED_COMMITTEE_POLICY,
            )
            .map_err(|error| StoreError::InvalidDefinition {
                problems: error.problems,
            })?,
        );
        let writer = match backend {
            Backend::Sqlite => {
                let writer_pool = pool_options(1)
                    .connect_with(connect_options)
                    .await
                    .map_err(unavailable)?;
                write::Writer::sqlite(writer_pool, options.group_commit_limit)
            }
            Backend::Postgres => write::Writer::postgres(pool.clone(), options.group_commit_limit),
        };
        let uploads = Arc::new(uploads::UploadGate::new(
            options.max_concurrent_uploads,
            options.max_concurrent_uploads_per_caller,
        ));
        let states = state_cache::StateCache::new(options.state_cache_bytes);
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                connect_url: ConnectUrl(url.to_string()),
                database,
                pool,
                writer: Some(writer),
                clock,
                options,
                definitions: RwLock::new(HashMap::new()),
                signals: signals::Signals::default(),
                channel_health: channel_health::ChannelHealthBoard::default(),
                states: Mutex::new(states),
                tokens: tokens::TokenCache::default(),
                committee_policy: RwLock::new(committee_policy),
                uploads,
                write_turn: tokio::sync::Mutex::new(()),
            }),
        };
        if store.inner.options.migrate {
            store.migrate().await?;
        } else if !store.inner.options.skip_schema_check {
            store.check_schema().await?;
        }
        if !store.inner.options.skip_schema_check {
            store.warm_definitions().await;
        }
        Ok(store)
    }

    /// The URL the store was opened with, password included, for connections of its own
    /// (PostgreSQL `LISTEN`); `None` on SQLite, where no other connection is needed.
    pub fn connect_url(&self) -> Option<String> {
        (self.inner.backend == Backend::Postgres).then(|| self.inner.connect_url.0.clone())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The database, as it may be shown (any password masked).
    pub fn database(&self) -> &str {
        &self.inner.database
    }

    /// The store's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// The pool, for queries of the service's own (scheduler, reports).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Waits for this process's turn at SQLite's write lock (tokio's mutex is fair: turns go in
    /// the order they were asked for); on PostgreSQL, which locks rows, no turn is needed.
    pub(crate) async fn sqlite_write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.inner.backend {
            Backend::Sqlite => Some(self.inner.write_turn.lock().await),
            Backend::Postgres => None,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.inner.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations; refuses a database migrated by a newer specflow.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let before = self.applied_migrations().await?;
        self.migrator()
            .run(&self.inner.pool)
            .await
            .map_err(|error| match error {
                MigrateError::VersionMissing(version) => StoreError::NewerSchema {
                    database: self.inner.database.clone(),
                    version,
                },
                other => StoreError::Migration {
                    database: self.inner.database.clone(),
                    reason: other.to_string(),
                    source: Some(Arc::new(other)),
                },
            })?;
        let after = self.applied_migrations().await?;
        let applied: Vec<i64> = after
            .into_iter()
            .filter(|version| !before.contains(version))
            .collect();
        if applied.contains(&8) {
            self.fill_next_due_dates().await?;
        }
        if applied.contains(&17) {
            self.index_unsearched_projects().await?;
        }
        Ok(applied)
    }

    /// Fills `projects.next_due_on` for rows written before migration 8 added it, by replaying
    /// each project that has something still to come; rows written since fill it themselves.
    async fn fill_next_due_dates(&self) -> Result<(), StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT project_id FROM projects WHERE next_due_on IS NULL AND next_deadline_at IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        for row in rows {
            let text: String = row
                .try_get("project_id")
                .map_err(|error| self.database_error(error))?;
            let project_id = Uuid::parse_str(&text)
                .map_err(|_| StoreError::Corrupt(format!("project id {text}")))?;
            let state = self
                .state_as_of(project_id, specflow_engine::audit::AsOf::Sequence(u64::MAX))
                .await?;
            let Some(due_on) = specflow_engine::next_due_on(&state) else {
                continue;
            };
            sqlx::query("UPDATE projects SET next_due_on = $1 WHERE project_id = $2")
                .bind(due_on.to_string())
                .bind(text)
                .execute(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        }
        Ok(())
    }

    /// The migrations applied to the database.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let exists = match self.inner.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let count: i64 = sqlx::query_scalar(exists)
            .fetch_one(&self.inner.pool)
            .await
            .map_err(|error| self.database_error(error))?;
        if count == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.inner.pool)
            .await
            .map_err(|error| self.database_error(error))
    }

    /// Whether the migrations this build knows are all applied, and no unknown one is.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let applied = self.applied_migrations().await?;
        let known: Vec<i64> = self
            .migrator()
            .iter()
            .map(|migration| migration.version)
            .collect();
        if let Some(unknown) = applied.iter().find(|version| !known.contains(version)) {
            return Err(StoreError::NewerSchema {
                database: self.inner.database.clone(),
                version: *unknown,
            });
        }
        if let Some(missing) = known.iter().find(|version| !applied.contains(version)) {
            return Err(StoreError::Migration {
                database: self.inner.database.clone(),
                reason: format!("migration {missing} is not applied yet: run `specflow migrate`"),
                source: None,
            });
        }
        Ok(())
    }

    pub(crate) fn database_error(&self, error: sqlx::Error) -> StoreError {
        StoreError::Database {
            database: self.inner.database.clone(),
            reason: describe_sqlx_error(&error),
            source: Some(Arc::new(error)),
        }
    }

    /// Stops the writers after the commands already queued, and closes the pools.
    pub async fn close(&self) {
        if let Some(writer) = &self.inner.writer {
            writer.stop().await;
        }
        self.inner.pool.close().await;
    }
}

/// Sets up a new connection: on SQLite, write-ahead logging, the chosen durability, and a wait
/// (rather than an error) when the file is briefly locked.
async fn prepare_connection(
    connection: &mut sqlx::AnyConnection,
    synchronous: &'static str,
) -> Result<(), sqlx::Error> {
    if connection.backend_name() == "SQLite" {
        connection.execute("PRAGMA journal_mode = WAL").await?;
        connection
            .execute(format!("PRAGMA synchronous = {synchronous}").as_str())
            .await?;
        connection.execute("PRAGMA busy_timeout = 10000").await?;
    }
    Ok(())
}

/// A database error in words, without SQL internals where a plainer sentence exists.
pub(crate) fn describe_sqlx_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(database) => database.message().to_string(),
        sqlx::Error::PoolTimedOut => "no connection became free in time".to_string(),
        sqlx::Error::Io(io) => format!("input/output error: {io}"),
        other => other.to_string(),
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(database) => {
            database.is_unique_violation()
                || database.code().as_deref() == Some("23505")
                || database.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
