//! The store's errors: each says what the caller can do about it, and none leaks a password.

use specflow_engine::Problem;
use std::sync::Arc;
use uuid::Uuid;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one specflow understands.
    #[error(
        "the database URL {url} is not supported: use sqlite://FILE or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl {
        /// The URL, with any password masked.
        url: String,
    },
    /// The database cannot be opened or reached.
    #[error("cannot open the database {database}: {reason}")]
    Unavailable {
        /// The database, with any password masked.
        database: String,
        /// What went wrong, in words.
        reason: String,
        /// The driver's error, kept for the cause chain.
        #[source]
        source: Option<Arc<sqlx::Error>>,
    },
    /// The database was migrated by a newer specflow.
    #[error(
        "the database {database} was migrated by a newer specflow (it has migration {version}, which this build does not know): upgrade specflow; refusing to use it"
    )]
    NewerSchema {
        /// The database, with any password masked.
        database: String,
        /// The unknown migration.
        version: i64,
    },
    /// Migrating failed.
    #[error("migrating the database {database} failed: {reason}")]
    Migration {
        /// The database, with any password masked.
        database: String,
        /// What went wrong, in words.
        reason: String,
        /// The migrator's error, kept for the cause chain.
        #[source]
        source: Option<Arc<sqlx::migrate::MigrateError>>,
    },
    /// A definition or calendar file is invalid.
    #[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    InvalidDefinition {
        /// Every problem, with its place.
        problems: Vec<Problem>,
    },
    /// No such project.
    #[error("no project {0}")]
    ProjectNotFound(String),
    /// No such definition version.
    #[error("no workflow definition {id} version {version} is registered")]
    DefinitionNotFound {
        /// Its id.
        id: String,
        /// Its version.
        version: u32,
    },
    /// The command expected another head sequence: someone else wrote first.
    #[error(
        "conflict on project {project_id}: the command expected sequence {expected}, the project is at {current}"
    )]
    Conflict {
        /// The project.
        project_id: Uuid,
        /// What the command expected.
        expected: u64,
        /// Where the project is.
        current: u64,
    },
    /// The request does not fit together (a project id that differs from the command's).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A command id (an `Idempotency-Key`) was first used for a different request: a different
    /// project, command or content. Answering with the first request's outcome would report a
    /// write that did not happen, so the request is refused.
    #[error("command id {command_id} was already used for a different request")]
    CommandIdReused {
        /// The command id.
        command_id: Uuid,
    },
    /// As many uploads as allowed are running, for this caller or for everyone: try again soon.
    #[error("{limit} uploads are running{}; try again shortly", if *per_caller { " for this caller" } else { "" })]
    TooManyUploads {
        /// The limit that was reached.
        limit: usize,
        /// Whether it is the caller's own limit (otherwise everyone's together).
        per_caller: bool,
    },
    /// An upload could not be spooled to its temporary file (a full or failing disk).
    #[error("an upload could not be spooled to a temporary file: {reason}")]
    Spool {
        /// What went wrong, in words.
        reason: String,
        /// The operating system's error.
        #[source]
        source: Option<Arc<std::io::Error>>,
    },
    /// An artifact is larger than the limit.
    #[error("the artifact is {size} bytes; the limit is {limit} bytes")]
    ArtifactTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The stored data is not what specflow wrote (for example an unreadable record).
    #[error("the stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The database refused or failed an operation.
    #[error("database error on {database}: {reason}")]
    Database {
        /// The database, with any password masked.
        database: String,
        /// What went wrong, in words (the driver's message, which names no password).
        reason: String,
        /// The driver's error, kept for the cause chain; `None` where specflow itself gave up
        /// (a write that lost too many races).
        #[source]
        source: Option<Arc<sqlx::Error>>,
    },
    /// An event could not be encoded as the JSON text its record holds; nothing was written.
    #[error("cannot record the event: {0}")]
    EventNotEncodable(#[from] specflow_engine::audit::SealError),
    /// The operating system gave no random bytes for a secret.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(String),
    /// The store is shutting down.
    #[error("the store is shutting down")]
    ShuttingDown,
}

impl StoreError {
    /// Whether retrying the same operation may succeed (a lost race, a busy database).
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// Masks the password of a database URL, so that no message or log line shows it.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/specflow"),
            "postgres://app:***@db:5432/specflow"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://specflow.db"), "sqlite://specflow.db");
    }
}
