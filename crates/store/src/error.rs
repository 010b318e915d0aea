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
    /// Other projects already have these codes (a code names one project).
    #[error("other projects already have the codes {}", .codes.join(", "))]
    CodesTaken {
        /// Every code taken, as the other projects have them.
        codes: Vec<String>,
    },
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
    /// The log's key names another log than the one whose checkpoints the database holds: a
    /// node started with the wrong key file (a key cannot be swapped under a running log).
    #[error(
        "the transparency log's checkpoints are signed as {log}, but this node's key is {key}: start it with the log's own key"
    )]
    LogKeyMismatch {
        /// The origin of the checkpoints already signed.
        log: String,
        /// The origin of the key given.
        key: String,
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

/// Masks the password of a database URL, so that no message or log line shows it: the one after
/// the user name (`postgres://app:***@db/specflow`) and any query parameter that carries one
/// (`?password=***`, `&sslpassword=***`), since libpq-style URLs accept both.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let mut redacted = format!("{scheme}://{}", redact_credentials(location));
    if let Some(query) = query {
        redacted.push('?');
        redacted.push_str(&redact_query(query));
    }
    redacted
}

/// `user:password@host/path` with the password masked; the authority ends at the first `/`, and
/// its last `@` ends the credentials (a password may itself hold `@`).
fn redact_credentials(location: &str) -> String {
    let (authority, path) = match location.find('/') {
        Some(slash) => location.split_at(slash),
        None => (location, ""),
    };
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return location.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{user}:***@{host}{path}"),
        None => location.to_string(),
    }
}

/// A query string with the value of every parameter whose name holds `password` masked.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, _value)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}=***")
            }
            _ => parameter.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
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

    // A password given as a query parameter was shown as it was, in errors and `config show`.
    #[test]
    fn passwords_in_query_parameters_are_masked_too() {
        assert_eq!(
            redact_url("postgres://app@db/specflow?password=s3cret&sslmode=require"),
            "postgres://app@db/specflow?password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/specflow?sslmode=require&PassWord=s3cret&sslpassword=k3y"),
            "postgres://db/specflow?sslmode=require&PassWord=***&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgres://app:p@ss@db:5432/specflow?application_name=x"),
            "postgres://app:***@db:5432/specflow?application_name=x"
        );
        assert_eq!(
            redact_url("postgres://app@db/a@b?x=1"),
            "postgres://app@db/a@b?x=1"
        );
    }
}
