//! Writing: load the state, decide, seal the events into records, write records, projection and
//! command id together, and only then answer. Nothing half-written is ever visible.
//!
//! Work goes through a queue to writer tasks that take whatever is waiting as one batch:
//! - on SQLite, one writer owns the write connection and runs a batch in one transaction, each
//!   job in a savepoint (group commit: one fsync for the whole batch);
//! - on PostgreSQL, two writers read the heads of the batch's projects in one query, decide every
//!   job in memory, and write everything in one atomic statement (a data-modifying `WITH`, no
//!   explicit transaction). If another node wrote to one of those projects meanwhile, the key
//!   `(project_id, sequence)` refuses the statement and each job of the batch is redone alone, in
//!   a transaction that locks its project's row, so a hot project queues instead of racing.

mod creations;

pub use creations::CreationsOutcome;

use super::notifications::{NotificationRow, rows_for};
use super::outbox::NO_WEBHOOK_ERROR;
use super::search::{SearchRow, push_search_rows};
use super::sql::{Statement, Tuple};
use super::uploads::SpooledArtifact;
use super::{Backend, ProjectSummary, Store, instant, is_unique_violation, micros};
use crate::error::StoreError;
use serde::{Deserialize, Serialize};
use specflow_engine::audit::{AuditRecord, Digest256, Head, seal_all};
use specflow_engine::event::EventBody;
use specflow_engine::{Actor, Command, Event, ProjectState, Rejection, decide, decide_tick};
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// A command for one project, with its id (for idempotency) and the sequence it expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRequest {
    /// The project (for a creation, the id in the command).
    pub project_id: Uuid,
    /// The command's id: the same id sent twice is carried out once and answered alike.
    pub command_id: Uuid,
    /// The head sequence the sender saw (0 before creation); a different head is a conflict.
    pub expected_sequence: Option<u64>,
    /// Who sends it.
    pub actor: Actor,
    /// The command.
    pub command: Command,
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommandOutcome {
    /// It was carried out: these records were appended.
    Accepted {
        /// The project.
        project_id: Uuid,
        /// The first record appended.
        first_sequence: u64,
        /// The last record appended (the new head).
        last_sequence: u64,
        /// The new head's hash.
        head_hash: String,
    },
    /// It was refused, for these reasons; nothing was written but the answer.
    Rejected {
        /// The project.
        project_id: Uuid,
        /// Every reason.
        rejection: Rejection,
    },
}

/// What became of a batch of commands carried out all or none ([`Store::execute_all`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BatchOutcome {
    /// Every command was carried out, in order, in one transaction.
    Accepted {
        /// The project.
        project_id: Uuid,
        /// Each command's outcome, in the batch's order.
        outcomes: Vec<CommandOutcome>,
    },
    /// A command was refused: nothing of the batch was written, not even the refusal.
    Rejected {
        /// The project.
        project_id: Uuid,
        /// The refused command's place in the batch, from 0.
        index: usize,
        /// Every reason it was refused, decided on the state the commands before it produced.
        rejection: Rejection,
    },
}

/// The most commands one batch may hold: each writes a record and a command row in one statement,
/// and SQLite binds at most 32766 values in a statement.
pub const MAX_BATCH_COMMANDS: usize = 1000;

/// Work for a writer.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// A command, with the uploaded content it attaches, if any: stored in the same transaction
    /// as the command's records, or not at all.
    Command(Box<CommandRequest>, Option<Arc<SpooledArtifact>>),
    /// Commands for one project, carried out all or none.
    Batch(Vec<CommandRequest>),
    Tick(Uuid),
}

impl Work {
    fn project_id(&self) -> Uuid {
        match self {
            Work::Command(request, _) => request.project_id,
            // `execute_all` refuses an empty batch before it becomes work.
            Work::Batch(requests) => requests
                .first()
                .map_or(Uuid::nil(), |request| request.project_id),
            Work::Tick(project_id) => *project_id,
        }
    }

    /// Whether the work stores uploaded content, which must be copied inside a transaction.
    fn carries_content(&self) -> bool {
        matches!(self, Work::Command(_, Some(_)))
    }
}

/// What the work gave.
#[derive(Debug)]
pub(crate) enum Done {
    Command(CommandOutcome),
    Batch(BatchOutcome),
    Tick(Vec<AuditRecord>),
}

/// Why a write did not happen.
enum WriteFailure {
    /// Another writer appended first, or the command id was already used (a unique key decided).
    LostRace,
    /// Anything else.
    Store(StoreError),
}

impl From<StoreError> for WriteFailure {
    fn from(error: StoreError) -> Self {
        WriteFailure::Store(error)
    }
}

/// One record of [`Store::log_tail_sql`]'s array: sequence, instant in microseconds, actor id,
/// actor role, and the event as stored.
#[derive(Deserialize)]
struct TailRecord(i64, i64, String, String, String);

/// A project's state and the head of the log it was folded to: what the state cache keeps, and
/// what a batch carries from one job to the next.
#[derive(Debug, Clone)]
pub(crate) struct Folded {
    /// The log's last record folded in ([`Head::EMPTY`] before the project exists).
    pub(crate) head: Head,
    /// The state after it.
    pub(crate) state: ProjectState,
}

/// A project's state and head, as a batch carries it from one job to the next.
type Loaded = Folded;

/// The states of the projects a batch touched; they go to the cache once the batch is committed.
type Overlay = HashMap<Uuid, Loaded>;

/// What a job decided, and what it must write.
struct Prepared {
    done: Done,
    project_id: Uuid,
    after: Option<Loaded>,
    writes: Writes,
}

/// The rows a job writes.
#[derive(Default)]
struct Writes {
    records: Vec<AuditRecord>,
    projection: Option<ProjectSummary>,
    /// One row per command decided (several for a batch).
    commands: Vec<CommandRow>,
    notifications: Vec<NotificationRow>,
    /// The project's row of the search index, when the records create it or record its
    /// publication (the only times its searched fields change).
    search: Option<SearchRow>,
    /// Uploaded content the records attach, copied in the same transaction.
    content: Option<Arc<SpooledArtifact>>,
}

impl Writes {
    fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.projection.is_none()
            && self.commands.is_empty()
            && self.notifications.is_empty()
            && self.search.is_none()
            && self.content.is_none()
    }

    /// Adds a later job's rows for the same project: its projection replaces this one's.
    fn append(&mut self, later: Writes) {
        self.records.extend(later.records);
        if later.projection.is_some() {
            self.projection = later.projection;
        }
        self.commands.extend(later.commands);
        self.notifications.extend(later.notifications);
        if later.search.is_some() {
            self.search = later.search;
        }
        if later.content.is_some() {
            self.content = later.content;
        }
    }
}

/// A row of `commands`.
struct CommandRow {
    command_id: Uuid,
    project_id: Uuid,
    /// The request's fingerprint ([`request_fingerprint`]).
    request_sha256: String,
    sequences: Option<(u64, u64)>,
    outcome: String,
    decided_at: i64,
}

/// The fingerprint of a request: SHA-256 over its project and its command as JSON, hex.
///
/// Stored with the command id, so that the id sent again with another request (another project,
/// another body, other uploaded bytes, whose digest the command names) is refused rather than
/// answered with the first request's outcome. The expected sequence is left out: it is a
/// precondition of the request, not what it asks for. The command's JSON is deterministic: its
/// maps are ordered (`BTreeMap`, `BTreeSet`) and its fields are written in declaration order.
pub(crate) fn request_fingerprint(request: &CommandRequest) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_vec(&(&request.project_id, &request.command))
        .map_err(|error| StoreError::Corrupt(format!("a command cannot be encoded: {error}")))?;
    Ok(hex::encode(Sha256::digest(text)))
}

/// Applies to `state`, folded up to `sequence`, the records of [`Store::log_tail_sql`]'s JSON,
/// which must run on from it without a gap and end at `head_sequence`.
pub(crate) fn fold_log_tail(
    project_id: Uuid,
    mut state: ProjectState,
    mut sequence: u64,
    head_sequence: u64,
    tail: Option<&str>,
) -> Result<ProjectState, StoreError> {
    let records: Vec<TailRecord> = serde_json::from_str(tail.unwrap_or("[]")).map_err(|error| {
        StoreError::Corrupt(format!(
            "the records of project {project_id} after {sequence} cannot be read: {error}"
        ))
    })?;
    for TailRecord(record_sequence, recorded_at, actor_id, actor_role, event) in records {
        if record_sequence != i64_of(sequence + 1) {
            return Err(StoreError::Corrupt(format!(
                "project {project_id}: record {record_sequence} follows record {sequence} in the log"
            )));
        }
        let event = Event {
            occurred_at: instant(recorded_at)?,
            actor: Actor::new(actor_id, actor_role),
            body: serde_json::from_str(&event).map_err(|error| {
                StoreError::Corrupt(format!(
                    "record {record_sequence} of project {project_id} cannot be read: {error}"
                ))
            })?,
        };
        state.apply_owned(event);
        sequence += 1;
    }
    if sequence != head_sequence {
        return Err(StoreError::Corrupt(format!(
            "project {project_id}: the projection's head is {head_sequence} but the log ends at {sequence}"
        )));
    }
    Ok(state)
}

/// The project a command creates, whether proposed here or imported with its history.
fn created_project(command: &Command) -> Option<&specflow_engine::command::NewProject> {
    match command {
        Command::CreateProject(project) => Some(project),
        Command::ImportProject(import) => Some(&import.project),
        _ => None,
    }
}

fn u64_of(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is {value}")))
}

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Carries out a command: decides it against the project's state and stores what it caused.
    pub async fn execute(&self, request: CommandRequest) -> Result<CommandOutcome, StoreError> {
        if let Some(project) = created_project(&request.command)
            && project.project_id != request.project_id
        {
            return Err(StoreError::InvalidRequest(format!(
                "the request is for project {} but the command creates project {}",
                request.project_id, project.project_id
            )));
        }
        self.execute_with(request, None).await
    }

    /// Carries out an `attach_artifact` command with its uploaded content: the content is
    /// copied into the database in the transaction that records the attachment, so a refused
    /// or conflicting command, or a failure anywhere, stores none of it. The command must name
    /// the content's digest and size.
    pub async fn execute_attaching(
        &self,
        request: CommandRequest,
        content: SpooledArtifact,
    ) -> Result<CommandOutcome, StoreError> {
        let Command::AttachArtifact(artifact) = &request.command else {
            return Err(StoreError::InvalidRequest(
                "only an attach_artifact command carries content".to_string(),
            ));
        };
        if artifact.sha256 != content.sha256 || artifact.size_bytes != content.size_bytes {
            return Err(StoreError::InvalidRequest(format!(
                "the command attaches {} ({} bytes) but the content is {} ({} bytes)",
                artifact.sha256, artifact.size_bytes, content.sha256, content.size_bytes
            )));
        }
        self.execute_with(request, Some(Arc::new(content))).await
    }

    async fn execute_with(
        &self,
        request: CommandRequest,
        content: Option<Arc<SpooledArtifact>>,
    ) -> Result<CommandOutcome, StoreError> {
        match self
            .submit(Work::Command(Box::new(request), content))
            .await?
        {
            Done::Command(outcome) => Ok(outcome),
            Done::Batch(_) | Done::Tick(_) => Err(StoreError::Corrupt(
                "the writer answered a command with something else".to_string(),
            )),
        }
    }

    /// Carries out several commands for one project all or none: each is decided on the state the
    /// ones before it produced, and their records, projection, command ids and notifications are
    /// written in one transaction (one statement on PostgreSQL). If any is refused, nothing is
    /// written, not even the refusal, and the answer names the refused command and every reason.
    ///
    /// A batch sent again with the same command ids is answered with the stored outcomes; a batch
    /// some of whose ids were used before and others not is refused.
    pub async fn execute_all(
        &self,
        requests: Vec<CommandRequest>,
    ) -> Result<BatchOutcome, StoreError> {
        let Some(first) = requests.first() else {
            return Err(StoreError::InvalidRequest(
                "a batch needs at least one command".to_string(),
            ));
        };
        if requests.len() > MAX_BATCH_COMMANDS {
            return Err(StoreError::InvalidRequest(format!(
                "a batch holds at most {MAX_BATCH_COMMANDS} commands, not {}",
                requests.len()
            )));
        }
        let project_id = first.project_id;
        for request in &requests {
            if request.project_id != project_id {
                return Err(StoreError::InvalidRequest(format!(
                    "a batch is for one project, but it names {project_id} and {}",
                    request.project_id
                )));
            }
            if let Some(project) = created_project(&request.command)
                && project.project_id != project_id
            {
                return Err(StoreError::InvalidRequest(format!(
                    "the batch is for project {project_id} but a command creates project {}",
                    project.project_id
                )));
            }
        }
        let mut ids: Vec<Uuid> = requests.iter().map(|request| request.command_id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() != requests.len() {
            return Err(StoreError::InvalidRequest(
                "two commands of the batch have the same command id".to_string(),
            ));
        }
        match self.submit(Work::Batch(requests)).await? {
            Done::Batch(outcome) => Ok(outcome),
            Done::Command(_) | Done::Tick(_) => Err(StoreError::Corrupt(
                "the writer answered a batch with something else".to_string(),
            )),
        }
    }

    /// Runs `tick` for one project now and stores what fell due; returns the records appended.
    pub async fn tick_project(&self, project_id: Uuid) -> Result<Vec<AuditRecord>, StoreError> {
        match self.submit(Work::Tick(project_id)).await? {
            Done::Tick(records) => Ok(records),
            Done::Command(_) | Done::Batch(_) => Err(StoreError::Corrupt(
                "the writer answered a tick with a command".to_string(),
            )),
        }
    }

    async fn submit(&self, work: Work) -> Result<Done, StoreError> {
        let writer = self.inner.writer.as_ref().ok_or(StoreError::ShuttingDown)?;
        writer.submit(self.clone(), work).await
    }

    /// The project's head sequence (0 when it does not exist).
    pub async fn head_sequence(&self, project_id: Uuid) -> Result<u64, StoreError> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT head_sequence FROM projects WHERE project_id = $1")
                .bind(project_id.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        u64_of(head.unwrap_or(0), "head_sequence")
    }

    /// The stored outcome of a request's command id, if the id was used; an error when it was
    /// used for a different request ([`StoreError::CommandIdReused`]).
    async fn stored_outcome_in<'e, E>(
        &self,
        executor: E,
        request: &CommandRequest,
    ) -> Result<Option<CommandOutcome>, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let command_id = request.command_id;
        let row = sqlx::query("SELECT outcome, request_sha256 FROM commands WHERE command_id = $1")
            .bind(command_id.to_string())
            .fetch_optional(executor)
            .await
            .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let get = |error: sqlx::Error| self.database_error(error);
        let text: String = row.try_get("outcome").map_err(get)?;
        let fingerprint: Option<String> = row.try_get("request_sha256").map_err(get)?;
        same_request(request, fingerprint.as_deref())?;
        serde_json::from_str(&text).map(Some).map_err(|error| {
            StoreError::Corrupt(format!("stored outcome of {command_id}: {error}"))
        })
    }

    /// The stored outcomes of a batch's commands: all of them (the batch was carried out before),
    /// none (it is new), or an error when only some of its ids were used.
    async fn stored_batch_in<'e, E>(
        &self,
        executor: E,
        requests: &[CommandRequest],
    ) -> Result<Option<BatchOutcome>, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let Some(first) = requests.first() else {
            return Ok(None);
        };
        let mut statement = Statement::new(
            "SELECT command_id, outcome, request_sha256 FROM commands WHERE command_id IN (",
        );
        statement.push_list(
            requests
                .iter()
                .map(|request| request.command_id.to_string()),
        );
        statement.push(")");
        let rows = statement
            .fetch_all(executor)
            .await
            .map_err(|error| self.database_error(error))?;
        if rows.is_empty() {
            return Ok(None);
        }
        // Some ids used and others not: the batch is not the one sent before (a table with
        // more or fewer rows under the same key).
        if rows.len() != requests.len() {
            return Err(StoreError::CommandIdReused {
                command_id: first.command_id,
            });
        }
        let mut stored = HashMap::new();
        for row in rows {
            let get = |error: sqlx::Error| self.database_error(error);
            let id: String = row.try_get("command_id").map_err(get)?;
            let text: String = row.try_get("outcome").map_err(get)?;
            let fingerprint: Option<String> = row.try_get("request_sha256").map_err(get)?;
            stored.insert(id, (text, fingerprint));
        }
        let outcomes = requests
            .iter()
            .map(|request| {
                let (text, fingerprint) = stored
                    .remove(&request.command_id.to_string())
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("no outcome of {}", request.command_id))
                    })?;
                same_request(request, fingerprint.as_deref())?;
                serde_json::from_str::<CommandOutcome>(&text).map_err(|error| {
                    StoreError::Corrupt(format!(
                        "stored outcome of {}: {error}",
                        request.command_id
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(BatchOutcome::Accepted {
            project_id: first.project_id,
            outcomes,
        }))
    }

    fn remember(&self, project_id: Uuid, folded: Loaded) {
        self.inner.signals.deadline_written(&folded.state);
        if let Ok(mut cache) = self.inner.states.lock() {
            cache.put(project_id, folded);
        }
        self.inner.signals.after_commit();
    }

    /// The heads of several projects, as the projection records them, in one query.
    async fn read_heads(
        &self,
        connection: &mut AnyConnection,
        project_ids: &[Uuid],
        lock: bool,
    ) -> Result<HashMap<Uuid, Head>, StoreError> {
        let mut heads = HashMap::new();
        if project_ids.is_empty() {
            return Ok(heads);
        }
        let mut statement = Statement::new(
            "SELECT project_id, head_sequence, head_hash FROM projects WHERE project_id IN (",
        );
        statement.push_list(project_ids.iter().map(Uuid::to_string));
        statement.push(") ORDER BY project_id");
        if lock && self.inner.backend == Backend::Postgres {
            // Writers to one project queue on its row; rows are locked in id order, so two
            // writers locking several rows never wait for each other in a circle.
            statement.push(" FOR UPDATE");
        }
        let rows = statement
            .fetch_all(&mut *connection)
            .await
            .map_err(|error| self.database_error(error))?;
        for row in rows {
            let get = |error: sqlx::Error| self.database_error(error);
            let id: String = row.try_get("project_id").map_err(get)?;
            let id = Uuid::parse_str(&id)
                .map_err(|_| StoreError::Corrupt(format!("project id {id}")))?;
            let sequence = u64_of(row.try_get("head_sequence").map_err(get)?, "head_sequence")?;
            let hash: String = row.try_get("head_hash").map_err(get)?;
            let hash = Digest256::from_hex(&hash)
                .map_err(|error| StoreError::Corrupt(format!("head hash {hash}: {error}")))?;
            heads.insert(id, Head { sequence, hash });
        }
        Ok(heads)
    }

    /// Whether `head` is the project's head as the database has it now (on this connection, so
    /// inside the writer's transaction on SQLite, and never through the pool).
    async fn head_is_current(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        head: Head,
    ) -> Result<bool, StoreError> {
        let heads = self.read_heads(connection, &[project_id], false).await?;
        // A project with no row yet (a creation refused) has the empty head.
        let current = heads.get(&project_id).copied().unwrap_or(Head::EMPTY);
        Ok(current == head)
    }

    /// The heads of a batch's projects: from the state cache for the jobs `use_cache` allows,
    /// the others read in one query.
    async fn batch_heads(
        &self,
        connection: &mut AnyConnection,
        batch: &[Job],
        use_cache: impl Fn(&Work) -> bool,
    ) -> Result<HashMap<Uuid, Head>, StoreError> {
        let mut heads = HashMap::new();
        let mut ids = Vec::new();
        for job in batch {
            let project_id = job.work.project_id();
            match self.cached_head(project_id) {
                Some(head) if use_cache(&job.work) => {
                    heads.entry(project_id).or_insert(head);
                }
                _ => ids.push(project_id),
            }
        }
        ids.sort();
        ids.dedup();
        let read = self.read_heads(connection, &ids, false).await?;
        for id in &ids {
            heads.remove(id);
        }
        heads.extend(read);
        Ok(heads)
    }

    /// The project's state at the head `head`: the cached state (if any) plus the records after it.
    ///
    /// A writer (`take`) takes the cached state out of the cache and puts the new one back after
    /// its commit, so a long project's state is never copied; a reader copies it.
    async fn state_at(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        head: Option<Head>,
        take: bool,
    ) -> Result<Loaded, StoreError> {
        let cached = self.inner.states.lock().ok().and_then(|mut cache| {
            if take {
                cache.take(&project_id)
            } else {
                cache.get(&project_id).cloned()
            }
        });
        let Some(head) = head else {
            return Ok(Folded {
                head: Head::EMPTY,
                state: ProjectState::new(),
            });
        };
        let head_sequence = head.sequence;
        let (state, sequence) = match cached {
            // A cached state ahead of the database comes from work that did not commit.
            Some(cached) if cached.head.sequence <= head_sequence => {
                (cached.state, cached.head.sequence)
            }
            _ => (ProjectState::new(), 0),
        };
        if sequence == head_sequence {
            return Ok(Folded { head, state });
        }
        let tail: Option<String> = sqlx::query_scalar(&self.log_tail_sql("$1", "$3"))
            .bind(project_id.to_string())
            .bind(i64_of(sequence))
            .bind(i64_of(head_sequence))
            .fetch_one(&mut *connection)
            .await
            .map_err(|error| self.database_error(error))?;
        let state = fold_log_tail(project_id, state, sequence, head_sequence, tail.as_deref())?;
        if !take {
            // A reader keeps what it replayed, so that the next read of the project does not
            // replay it again; the writer keeps its own states when it commits.
            self.remember_read(project_id, state.clone(), head);
        }
        Ok(Folded { head, state })
    }

    /// A scalar subquery giving, as one JSON text, the records of the project `project` (an SQL
    /// expression) after the sequence bound as `$2` up to `upto` (an SQL expression): an array of
    /// `[sequence, recorded_at, actor_id, actor_role, event]` in order, the event as its stored
    /// text, or NULL or `[]` when there are none ([`fold_log_tail`] reads it).
    ///
    /// One row rather than one per record because SQLite's driver hands each row from its worker
    /// thread to the task that asked, a wake-up per row.
    pub(crate) fn log_tail_sql(&self, project: &str, upto: &str) -> String {
        let aggregate = match self.backend() {
            Backend::Sqlite => {
                "json_group_array(json_array(r.sequence, r.recorded_at, r.actor_id, r.actor_role, r.event) ORDER BY r.sequence)"
            }
            Backend::Postgres => {
                "json_agg(json_build_array(r.sequence, r.recorded_at, r.actor_id, r.actor_role, r.event) ORDER BY r.sequence)::text"
            }
        };
        format!(
            "SELECT {aggregate} FROM audit_records r WHERE r.project_id = {project} AND r.sequence > $2 AND r.sequence <= {upto}"
        )
    }

    /// Keeps a state a reader replayed up to a committed head, unless the cache holds the
    /// project at that head or later (a writer's commit may have overtaken the read).
    pub(crate) fn remember_read(&self, project_id: Uuid, state: ProjectState, head: Head) {
        if let Ok(mut cache) = self.inner.states.lock()
            && cache
                .get(&project_id)
                .is_none_or(|cached| cached.head.sequence < head.sequence)
        {
            cache.put(project_id, Folded { head, state });
        }
    }

    /// A copy of a project's cached state and its head, if it is cached.
    pub(crate) fn cached_state(&self, project_id: Uuid) -> Option<Folded> {
        self.inner.states.lock().ok()?.get(&project_id).cloned()
    }

    /// The facts fixed at a project's creation, if its state is cached: no copy of the state.
    pub(crate) fn cached_write_target(&self, project_id: Uuid) -> Option<crate::WriteTarget> {
        let cache = self.inner.states.lock().ok()?;
        let project = cache.get(&project_id)?.state.project.as_ref()?;
        Some(crate::WriteTarget {
            project_id,
            code: project.code.clone(),
            committee: project.committee.clone(),
            drafting_unit: project.drafting_unit.clone(),
        })
    }

    /// A project's cached state if it is at exactly this head: a read that needs no connection.
    pub(crate) fn cached_state_at(&self, project_id: Uuid, head: Head) -> Option<ProjectState> {
        let cache = self.inner.states.lock().ok()?;
        let cached = cache.get(&project_id)?;
        (cached.head == head).then(|| cached.state.clone())
    }

    /// A project's state at a head its caller read from the projection, for readers.
    pub(crate) async fn state_at_head(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        head: Option<Head>,
    ) -> Result<Loaded, StoreError> {
        self.state_at(connection, project_id, head, false).await
    }

    /// Drops a project's cached state (it was found stale).
    fn forget(&self, project_id: Uuid) {
        if let Ok(mut cache) = self.inner.states.lock() {
            cache.forget(&project_id);
        }
    }

    /// The head of a project's cached state, if it is cached.
    pub(crate) fn cached_head(&self, project_id: Uuid) -> Option<Head> {
        self.inner
            .states
            .lock()
            .ok()
            .and_then(|cache| cache.get(&project_id).map(|cached| cached.head))
    }

    /// Decides one piece of work against the state the batch has reached; writes nothing.
    async fn prepare(
        &self,
        connection: &mut AnyConnection,
        work: &Work,
        overlay: &mut Overlay,
        heads: &HashMap<Uuid, Head>,
    ) -> Result<Prepared, WriteFailure> {
        let project_id = work.project_id();
        let loaded = match overlay.remove(&project_id) {
            Some(loaded) => loaded,
            None => {
                self.state_at(
                    connection,
                    project_id,
                    heads.get(&project_id).copied(),
                    true,
                )
                .await?
            }
        };
        let decided_at = loaded.head;
        let prepared = match work {
            Work::Command(request, content) => {
                let mut prepared = self.prepare_command(connection, request, loaded).await?;
                // The content goes with the records only: a refusal writes none of it.
                if matches!(
                    prepared.done,
                    Done::Command(CommandOutcome::Accepted { .. })
                ) {
                    prepared.writes.content = content.clone();
                }
                prepared
            }
            Work::Batch(requests) => self.prepare_batch(connection, requests, loaded).await?,
            Work::Tick(project_id) => self.prepare_tick(*project_id, loaded).await?,
        };
        // A refusal writes no record, so the key (project_id, sequence) cannot reveal that the
        // state it was decided on is stale (another node wrote since this one cached it, or an
        // earlier job of this batch has not been written yet): the head is checked instead, and
        // a stale state is decided again from the log, as after a lost race.
        let refused = matches!(
            prepared.done,
            Done::Command(CommandOutcome::Rejected { .. })
                | Done::Batch(BatchOutcome::Rejected { .. })
        );
        if refused
            && !self
                .head_is_current(connection, project_id, decided_at)
                .await?
        {
            self.forget(project_id);
            return Err(WriteFailure::LostRace);
        }
        Ok(prepared)
    }

    /// Decides a batch's commands one after the other, each on the state the ones before it
    /// produced, and gathers their rows into one write; the first refusal drops them all.
    async fn prepare_batch(
        &self,
        connection: &mut AnyConnection,
        requests: &[CommandRequest],
        loaded: Loaded,
    ) -> Result<Prepared, WriteFailure> {
        let project_id = loaded_project(requests);
        if let Some(outcome) = self.stored_batch_in(&mut *connection, requests).await? {
            return Ok(Prepared {
                done: Done::Batch(outcome),
                project_id,
                after: Some(loaded),
                writes: Writes::default(),
            });
        }
        // Kept whole for a refusal, so that the cache keeps the state nothing changed.
        let before = loaded.clone();
        let mut current = loaded;
        let mut writes = Writes::default();
        let mut outcomes = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            let prepared = self.prepare_command(connection, request, current).await?;
            let after = prepared.after.ok_or_else(|| {
                StoreError::Corrupt("a decided command left no state".to_string())
            })?;
            match prepared.done {
                Done::Command(CommandOutcome::Rejected { rejection, .. }) => {
                    return Ok(Prepared {
                        done: Done::Batch(BatchOutcome::Rejected {
                            project_id,
                            index,
                            rejection,
                        }),
                        project_id,
                        after: Some(before),
                        writes: Writes::default(),
                    });
                }
                Done::Command(outcome) => outcomes.push(outcome),
                Done::Batch(_) | Done::Tick(_) => {
                    return Err(WriteFailure::Store(StoreError::Corrupt(
                        "a command of a batch was answered with something else".to_string(),
                    )));
                }
            }
            writes.append(prepared.writes);
            current = after;
        }
        Ok(Prepared {
            done: Done::Batch(BatchOutcome::Accepted {
                project_id,
                outcomes,
            }),
            project_id,
            after: Some(current),
            writes,
        })
    }

    async fn prepare_command(
        &self,
        connection: &mut AnyConnection,
        request: &CommandRequest,
        Folded { head, state }: Loaded,
    ) -> Result<Prepared, WriteFailure> {
        // The command id is not looked up first: the key of `commands` refuses a second insert,
        // and the writer then answers with the stored outcome. Most commands are new.
        let project_id = request.project_id;
        let unchanged = |done: Done, state: ProjectState| Prepared {
            done,
            project_id,
            after: Some(Folded { head, state }),
            writes: Writes::default(),
        };
        if let Some(expected) = request.expected_sequence
            && expected != head.sequence
        {
            // A retry of a command already carried out is answered, not refused.
            if let Some(outcome) = self.stored_outcome_in(&mut *connection, request).await? {
                return Ok(unchanged(Done::Command(outcome), state));
            }
            return Err(WriteFailure::Store(StoreError::Conflict {
                project_id,
                expected,
                current: head.sequence,
            }));
        }
        let definition = match (&request.command, &state.project) {
            (Command::CreateProject(project), _) => {
                self.definition(&project.definition_id, project.definition_version)
                    .await?
            }
            (Command::ImportProject(import), _) => {
                let project = &import.project;
                self.definition(&project.definition_id, project.definition_version)
                    .await?
            }
            (Command::MigrateDefinition { to_version }, Some(project)) => {
                self.definition(&project.definition_id, *to_version).await?
            }
            (_, Some(project)) => {
                self.definition(&project.definition_id, project.definition_version)
                    .await?
            }
            (_, None) => {
                if let Some(outcome) = self.stored_outcome_in(&mut *connection, request).await? {
                    return Ok(unchanged(Done::Command(outcome), state));
                }
                return Err(WriteFailure::Store(StoreError::ProjectNotFound(
                    project_id.to_string(),
                )));
            }
        };
        // Records never go back in time, even if this node's clock is behind the last writer's.
        let now = self.now_after(&state);
        let events = match decide(&state, &definition, &request.command, &request.actor, now) {
            Ok(events) => events,
            Err(rejection) => {
                let outcome = CommandOutcome::Rejected {
                    project_id,
                    rejection,
                };
                let command = self.command_row(request, None, &outcome)?;
                let mut prepared = unchanged(Done::Command(outcome), state);
                prepared.writes.commands.push(command);
                return Ok(prepared);
            }
        };
        let records = seal_all(project_id, Some(head), Some(request.command_id), &events)
            .map_err(StoreError::from)?;
        let searched_fields_change = events.iter().any(|event| {
            matches!(
                event.body,
                EventBody::ProjectCreated { .. } | EventBody::PublicationRecorded(_)
            )
        });
        let (state, notifications) = apply_noting(state, &definition, events, &records)?;
        let search = searched_fields_change
            .then(|| SearchRow::of_state(project_id, &state))
            .flatten();
        let last = records.last().map_or(head, AuditRecord::head);
        let outcome = CommandOutcome::Accepted {
            project_id,
            first_sequence: head.next_sequence(),
            last_sequence: last.sequence,
            head_hash: last.hash.to_hex(),
        };
        let sequences = (head.next_sequence(), last.sequence);
        let command = self.command_row(request, Some(sequences), &outcome)?;
        let projection = ProjectSummary::from_state(project_id, &state, last, &definition)?;
        Ok(Prepared {
            done: Done::Command(outcome),
            project_id,
            after: Some(Folded { head: last, state }),
            writes: Writes {
                records,
                projection: Some(projection),
                commands: vec![command],
                notifications,
                search,
                content: None,
            },
        })
    }

    async fn prepare_tick(
        &self,
        project_id: Uuid,
        Folded { head, state }: Loaded,
    ) -> Result<Prepared, WriteFailure> {
        let Some(project) = &state.project else {
            return Err(WriteFailure::Store(StoreError::ProjectNotFound(
                project_id.to_string(),
            )));
        };
        let definition = self
            .definition(&project.definition_id, project.definition_version)
            .await?;
        let ticked = decide_tick(&state, &definition, self.now_after(&state));
        if let Some(refused) = &ticked.refused {
            // What fell due is recorded all the same; the follow-up is not retried, so the log
            // is where an operator learns that a person must fire it once the reasons are met.
            tracing::warn!(
                project = %project_id,
                command = refused.command.kind_name(),
                codes = ?refused.rejection.codes(),
                "a command that followed from the passing of time was refused"
            );
        }
        let events = ticked.events;
        if events.is_empty() {
            return Ok(Prepared {
                done: Done::Tick(Vec::new()),
                project_id,
                after: Some(Folded { head, state }),
                writes: Writes::default(),
            });
        }
        let records = seal_all(project_id, Some(head), None, &events).map_err(StoreError::from)?;
        let (state, notifications) = apply_noting(state, &definition, events, &records)?;
        let last = records.last().map_or(head, AuditRecord::head);
        let projection = ProjectSummary::from_state(project_id, &state, last, &definition)?;
        Ok(Prepared {
            done: Done::Tick(records.clone()),
            project_id,
            after: Some(Folded { head: last, state }),
            writes: Writes {
                records,
                projection: Some(projection),
                commands: Vec::new(),
                notifications,
                search: None,
                content: None,
            },
        })
    }

    fn now_after(&self, state: &ProjectState) -> chrono::DateTime<chrono::Utc> {
        let now = self.inner.clock.now();
        state.last_event_at.map_or(now, |last| last.max(now))
    }

    fn command_row(
        &self,
        request: &CommandRequest,
        sequences: Option<(u64, u64)>,
        outcome: &CommandOutcome,
    ) -> Result<CommandRow, StoreError> {
        Ok(CommandRow {
            command_id: request.command_id,
            project_id: request.project_id,
            request_sha256: request_fingerprint(request)?,
            sequences,
            outcome: serde_json::to_string(outcome)
                .map_err(|error| StoreError::Corrupt(error.to_string()))?,
            decided_at: micros(self.inner.clock.now()),
        })
    }

    /// Writes the rows of several jobs. On PostgreSQL in one statement (a data-modifying `WITH`
    /// with one multi-row insert per table), which is atomic without a transaction; on SQLite,
    /// which runs in this process, one statement per table.
    async fn persist(
        &self,
        connection: &mut AnyConnection,
        writes: &[&Writes],
    ) -> Result<(), WriteFailure> {
        self.persist_with(connection, writes, false).await
    }

    /// Writes the rows of one job in its own transaction, sent as one call: on SQLite
    /// `BEGIN IMMEDIATE; …; COMMIT`, rolled back explicitly if a statement fails.
    async fn persist_in_own_transaction(
        &self,
        connection: &mut AnyConnection,
        writes: &Writes,
    ) -> Result<(), WriteFailure> {
        let result = self.persist_with(connection, &[writes], true).await;
        if result.is_err() {
            // Whatever ran before the failing statement is undone; an error here means
            // there was no transaction left to undo.
            let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
        }
        result
    }

    /// Each record with its transparency-log authenticator, which travels in the record's row to
    /// the queue: none without the log's key.
    fn authenticated<'a>(
        &self,
        records: &[&'a AuditRecord],
    ) -> Vec<(&'a AuditRecord, Option<String>)> {
        let key = self.log_key();
        records
            .iter()
            .map(|record| {
                let authenticator = key.map(|key| {
                    key.authenticate(
                        specflow_engine::stored_record::RecordKind::Project,
                        &record.project_id.to_string(),
                        record.sequence,
                        &record.hash.to_hex(),
                    )
                });
                (*record, authenticator)
            })
            .collect()
    }

    async fn persist_with(
        &self,
        connection: &mut AnyConnection,
        writes: &[&Writes],
        own_transaction: bool,
    ) -> Result<(), WriteFailure> {
        // Rows go in key order, so that two nodes writing overlapping batches take their locks
        // in the same order and never wait for each other in a circle.
        let mut records: Vec<&AuditRecord> =
            writes.iter().flat_map(|writes| &writes.records).collect();
        records.sort_by_key(|record| (record.project_id, record.sequence));
        // One projection row per project, the last one written: PostgreSQL refuses to update a
        // row twice in one statement.
        let mut projections: Vec<&ProjectSummary> = Vec::new();
        for projection in writes
            .iter()
            .filter_map(|writes| writes.projection.as_ref())
        {
            projections.retain(|earlier| earlier.project_id != projection.project_id);
            projections.push(projection);
        }
        projections.sort_by_key(|projection| projection.project_id);
        let mut commands: Vec<&CommandRow> =
            writes.iter().flat_map(|writes| &writes.commands).collect();
        commands.sort_by_key(|command| command.command_id);
        let (mut personal, mut notifications): (Vec<&NotificationRow>, Vec<&NotificationRow>) =
            writes
                .iter()
                .flat_map(|writes| &writes.notifications)
                .partition(|row| row.fan_out_committee.is_some());
        notifications.sort_by_key(|row| row.notification_id);
        personal.sort_by_key(|row| row.notification_id);
        let records = self.authenticated(&records);
        let mut parts = Vec::new();
        if !records.is_empty() {
            parts.push(Part::Records(&records));
        }
        if !projections.is_empty() {
            parts.push(Part::Projections(&projections));
        }
        if !commands.is_empty() {
            parts.push(Part::Commands(&commands));
        }
        if !notifications.is_empty() {
            parts.push(Part::Notifications(&notifications));
            // Tells the deliverer once the transaction is committed (`remember` runs after it).
            self.inner
                .signals
                .outbox_written
                .store(true, std::sync::atomic::Ordering::Release);
        }
        if !personal.is_empty() {
            parts.push(Part::PersonalNotifications(&personal));
        }
        let mut searched: Vec<&SearchRow> = writes
            .iter()
            .filter_map(|writes| writes.search.as_ref())
            .collect();
        searched.sort_by_key(|row| row.project_id);
        searched.dedup_by_key(|row| row.project_id);
        if !searched.is_empty() {
            parts.push(Part::Search(&searched));
        }
        // Everything goes in one call to the database, its parameters numbered throughout:
        // PostgreSQL gets one statement (every part but the last as a data-modifying `WITH`),
        // SQLite the statements joined by `;` (its driver numbers across them), within
        // `BEGIN IMMEDIATE; …; COMMIT` when the job runs in a transaction of its own.
        let sqlite_transaction = own_transaction && self.inner.backend == Backend::Sqlite;
        let contents: Vec<&Arc<SpooledArtifact>> = writes
            .iter()
            .filter_map(|writes| writes.content.as_ref())
            .collect();
        if !contents.is_empty() {
            // Content is copied a chunk at a time on this connection, so the caller must have
            // opened the transaction: the SQLite fast path and PostgreSQL's one statement
            // send such work elsewhere.
            if own_transaction {
                return Err(WriteFailure::Store(StoreError::Corrupt(
                    "uploaded content reached a write without a transaction".to_string(),
                )));
            }
            for content in contents {
                self.copy_content(&mut *connection, content).await?;
            }
        }
        if parts.is_empty() && !sqlite_transaction {
            return Ok(());
        }
        let as_ctes = self.inner.backend == Backend::Postgres && parts.len() > 1;
        let mut statement = Statement::new(match (sqlite_transaction, as_ctes) {
            (true, _) => "BEGIN IMMEDIATE",
            (false, true) => "WITH ",
            (false, false) => "",
        });
        let count = parts.len();
        for (index, part) in parts.into_iter().enumerate() {
            let last = index + 1 == count;
            if as_ctes && !last {
                statement.push(&format!("write_{index} AS ("));
            } else if sqlite_transaction || (index > 0 && !as_ctes) {
                statement.push("; ");
            }
            self.push_part(&mut statement, part);
            if as_ctes && !last {
                statement.push(if index + 2 == count { ") " } else { "), " });
            }
        }
        if sqlite_transaction {
            statement.push("; COMMIT");
        }
        match statement.execute(&mut *connection).await {
            Ok(_) => Ok(()),
            // A deadlock or serialization failure is a race lost to another node: redo the work.
            Err(error) if is_retryable(&error) => Err(WriteFailure::LostRace),
            Err(error) if is_unique_violation(&error) => {
                let message = super::describe_sqlx_error(&error);
                if message.contains("projects_code_key") || message.contains("projects.code") {
                    let codes: Vec<&str> = projections
                        .iter()
                        .map(|projection| projection.code.as_str())
                        .collect();
                    return Err(WriteFailure::Store(StoreError::InvalidRequest(format!(
                        "another project already has the code {}",
                        codes.join(" or ")
                    ))));
                }
                Err(WriteFailure::LostRace)
            }
            Err(error) => Err(WriteFailure::Store(self.database_error(error))),
        }
    }

    /// Writes one table's multi-row insert of a batch's writes.
    fn push_part(&self, statement: &mut Statement, part: Part<'_>) {
        match part {
            Part::Records(records) => {
                statement.push("INSERT INTO audit_records (project_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash, log_authenticator) VALUES ");
                statement.push_values(records, |row, (record, authenticator)| {
                    row.push_bind(record.project_id.to_string())
                        .push_bind(i64_of(record.sequence))
                        .push_bind(micros(record.recorded_at))
                        .push_bind(record.actor_id.clone())
                        .push_bind(record.actor_role.clone())
                        .push_bind(record.command_id.map(|id| id.to_string()))
                        .push_bind(record.event_type.clone())
                        .push_bind(i64::from(record.event_version))
                        .push_bind(record.event.clone())
                        .push_bind(record.previous_hash.to_hex())
                        .push_bind(record.hash.to_hex())
                        .push_bind(authenticator.clone());
                });
            }
            Part::Projections(projections) => {
                // Only the columns a transition can change are updated: code, titles, kind,
                // committee and drafting unit are fixed at creation, and naming an indexed column
                // in SET makes SQLite rewrite its index entries even when the value is the same.
                // A write releases the scheduler's claim on the project: its next deadline is new,
                // and the scheduler need not release the claim in a statement of its own.
                statement.push("INSERT INTO projects (project_id, code, title_zh, title_en, specification_kind, committee, drafting_unit, definition_id, definition_version, stage, stage_since, terminal, next_deadline_at, next_due_on, overdue_since, escalated, frozen, head_sequence, head_hash, updated_at, flags) VALUES ");
                statement.push_values(projections, |row, projection| {
                    push_projection(row, projection);
                });
                statement.push(
                    " ON CONFLICT (project_id) DO UPDATE SET definition_version = excluded.definition_version, stage = excluded.stage, \
                     stage_since = excluded.stage_since, terminal = excluded.terminal, next_deadline_at = excluded.next_deadline_at, next_due_on = excluded.next_due_on, \
                     overdue_since = excluded.overdue_since, escalated = excluded.escalated, frozen = excluded.frozen, \
                     head_sequence = excluded.head_sequence, head_hash = excluded.head_hash, updated_at = excluded.updated_at, \
                     scheduler_lease_until = NULL",
                );
            }
            Part::Commands(commands) => {
                statement.push("INSERT INTO commands (command_id, project_id, first_sequence, last_sequence, outcome, decided_at, request_sha256) VALUES ");
                statement.push_values(commands, |row, command| {
                    row.push_bind(command.command_id.to_string())
                        .push_bind(command.project_id.to_string())
                        .push_bind(command.sequences.map(|(first, _)| i64_of(first)))
                        .push_bind(command.sequences.map(|(_, last)| i64_of(last)))
                        .push_bind(command.outcome.clone())
                        .push_bind(command.decided_at)
                        .push_bind(command.request_sha256.clone());
                });
            }
            Part::Notifications(notifications) => {
                // A notification whose audience has no webhook is inserted already waiting, as
                // the deliverer would otherwise move it aside a moment later: that second write
                // of every such row was a fifth of PostgreSQL's work in the API load bench, and
                // on SQLite it took the write lock from the writer. The webhook is looked up in
                // the statement, so one set on another node counts (setting a webhook brings
                // waiting rows back).
                let recheck_micros = i64::try_from(
                    self.inner
                        .options
                        .unaddressed_notification_recheck
                        .as_micros(),
                )
                .unwrap_or(i64::MAX);
                statement.push(&format!(
                    "INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at, last_error) \
                     SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, 'pending', 0, \
                     CASE WHEN w.audience IS NULL THEN v.column7 + {recheck_micros} ELSE v.column7 END, \
                     CASE WHEN w.audience IS NULL THEN '{NO_WEBHOOK_ERROR}' END \
                     FROM (VALUES "
                ));
                statement.push_values(notifications, |row, notification| {
                    row.push_bind(notification.notification_id.to_string())
                        .push_bind(notification.project_id.to_string())
                        .push_bind(i64_of(notification.sequence))
                        .push_bind(notification.audience.clone())
                        .push_bind(notification.event_type.clone())
                        .push_bind(notification.body.clone())
                        .push_bind(notification.created_at);
                });
                statement.push(") AS v LEFT JOIN webhooks w ON w.audience = v.column4");
            }
            Part::PersonalNotifications(rows) => {
                // One row per person, made by the database from the people's choices in this
                // statement: a choice made on another node counts, and with nobody choosing the
                // kind of event it is one probe of an index. The id is the record's people's id
                // and the account's, the same however often the write is redone.
                statement.push(
                    "INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at) \
                     SELECT v.column1 || '.' || c.account_id, v.column2, v.column3, 'person:' || c.account_id, v.column4, v.column5, v.column6, 'pending', 0, v.column6 \
                     FROM (VALUES ",
                );
                statement.push_values(rows, |row, notification| {
                    row.push_bind(notification.notification_id.to_string())
                        .push_bind(notification.project_id.to_string())
                        .push_bind(i64_of(notification.sequence))
                        .push_bind(notification.event_type.clone())
                        .push_bind(notification.body.clone())
                        .push_bind(notification.created_at)
                        .push_bind(notification.fan_out_committee.clone());
                });
                statement.push(match self.inner.backend {
                    Backend::Sqlite => crate::personal_email::PERSONAL_FAN_OUT,
                    Backend::Postgres => crate::personal_email::PERSONAL_FAN_OUT_POSTGRES,
                });
            }
            Part::Search(rows) => push_search_rows(statement, self.inner.backend, rows),
        }
    }

    /// Runs one job alone, in a transaction that locks its project's row (PostgreSQL), retrying
    /// a lost race, or reporting a conflict when the command named the sequence it expected.
    async fn run_alone(&self, work: &Work) -> Result<Done, StoreError> {
        const ATTEMPTS: usize = 8;
        let project_id = work.project_id();
        for attempt in 0..ATTEMPTS {
            let mut transaction = self
                .pool()
                .begin()
                .await
                .map_err(|error| self.database_error(error))?;
            let result = async {
                let heads = self
                    .read_heads(&mut transaction, &[project_id], true)
                    .await?;
                let mut overlay = Overlay::new();
                let prepared = self
                    .prepare(&mut transaction, work, &mut overlay, &heads)
                    .await?;
                self.persist(&mut transaction, &[&prepared.writes]).await?;
                Ok::<Prepared, WriteFailure>(prepared)
            }
            .await;
            match result {
                Ok(prepared) => match transaction.commit().await {
                    Ok(()) => {
                        if let Some(after) = prepared.after {
                            self.remember(prepared.project_id, after);
                        }
                        return Ok(prepared.done);
                    }
                    Err(error) if is_unique_violation(&error) || is_retryable(&error) => {}
                    Err(error) => return Err(self.database_error(error)),
                },
                Err(WriteFailure::LostRace) => {
                    let _ = transaction.rollback().await;
                }
                Err(WriteFailure::Store(error)) => {
                    let _ = transaction.rollback().await;
                    return Err(error);
                }
            }
            let first = match work {
                Work::Command(request, _) => {
                    if let Some(outcome) = self.stored_outcome_in(self.pool(), request).await? {
                        return Ok(Done::Command(outcome));
                    }
                    Some(&**request)
                }
                Work::Batch(requests) => {
                    if let Some(outcome) = self.stored_batch_in(self.pool(), requests).await? {
                        return Ok(Done::Batch(outcome));
                    }
                    requests.first()
                }
                Work::Tick(_) => None,
            };
            if let Some(request) = first
                && let Some(expected) = request.expected_sequence
            {
                let current = self.head_sequence(request.project_id).await?;
                return Err(StoreError::Conflict {
                    project_id: request.project_id,
                    expected,
                    current,
                });
            }
            // Back off a little, more each time, so racing writers spread out.
            tokio::time::sleep(std::time::Duration::from_millis(1 + attempt as u64 * 3)).await;
        }
        Err(StoreError::Database {
            database: self.inner.database.clone(),
            reason: format!("the write lost {ATTEMPTS} races in a row; try again"),
            source: None,
        })
    }
}

/// Refuses a request whose command id was stored with another request's fingerprint; an id
/// stored before fingerprints were kept (`None`) answers as it always did.
fn same_request(request: &CommandRequest, stored: Option<&str>) -> Result<(), StoreError> {
    match stored {
        Some(fingerprint) if fingerprint != request_fingerprint(request)? => {
            Err(StoreError::CommandIdReused {
                command_id: request.command_id,
            })
        }
        _ => Ok(()),
    }
}

/// Whether PostgreSQL gave up on a statement because of another transaction (deadlock,
/// serialization failure): trying again is the remedy.
fn is_retryable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(database) => {
            matches!(database.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

/// One table's rows of a batch's writes, in the order they are written.
enum Part<'a> {
    /// Each record with its transparency-log authenticator, when the store holds the log's key.
    Records(&'a [(&'a AuditRecord, Option<String>)]),
    Projections(&'a [&'a ProjectSummary]),
    Commands(&'a [&'a CommandRow]),
    Notifications(&'a [&'a NotificationRow]),
    /// The rows to fan out to each person who chose the event's kind and may see the project.
    PersonalNotifications(&'a [&'a NotificationRow]),
    /// The projects' rows of the search index.
    Search(&'a [&'a SearchRow]),
}

/// Applies a job's events to the state, and writes the notifications each one calls for, with
/// the state as it stands just after that event (what to do next depends on it).
fn apply_noting(
    mut state: ProjectState,
    definition: &specflow_engine::WorkflowDefinition,
    events: Vec<Event>,
    records: &[AuditRecord],
) -> Result<(ProjectState, Vec<NotificationRow>), StoreError> {
    let mut notifications = Vec::new();
    if definition.notifications.is_empty() {
        for event in events {
            state.apply_owned(event);
        }
        return Ok((state, notifications));
    }
    for (event, record) in events.into_iter().zip(records) {
        state.apply(&event);
        notifications.extend(rows_for(definition, &state, &event, record)?);
    }
    Ok((state, notifications))
}

/// Binds a projection row's values, in the order of the `projects` columns `persist_with` inserts.
fn push_projection(row: &mut Tuple<'_>, projection: &ProjectSummary) {
    row.push_bind(projection.project_id.to_string())
        .push_bind(projection.code.clone())
        .push_bind(projection.title_zh.clone())
        .push_bind(projection.title_en.clone())
        .push_bind(projection.specification_kind.clone())
        .push_bind(projection.committee.clone())
        .push_bind(projection.drafting_unit.clone())
        .push_bind(projection.definition_id.clone())
        .push_bind(i64::from(projection.definition_version))
        .push_bind(projection.stage.clone())
        .push_bind(micros(projection.stage_since))
        .push_bind(i64::from(projection.terminal))
        .push_bind(projection.next_deadline_at.map(micros))
        .push_bind(projection.next_due_on.map(|day| day.to_string()))
        .push_bind(projection.overdue_since.map(micros))
        .push_bind(i64::from(projection.escalated))
        .push_bind(i64::from(projection.frozen))
        .push_bind(i64_of(projection.head_sequence))
        .push_bind(projection.head_hash.clone())
        .push_bind(micros(projection.updated_at))
        .push_bind(crate::read::flags_column(&projection.flags));
}

struct Job {
    store: Store,
    work: Work,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

/// The writer tasks and the queue in front of them.
#[derive(Debug)]
pub(crate) struct Writer {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Writer {
    /// SQLite: one writer, on its own connection, committing each batch in one transaction.
    pub(crate) fn sqlite(pool: AnyPool, limit: usize) -> Writer {
        Writer::start(pool, limit, 1, Backend::Sqlite)
    }

    /// PostgreSQL: two writers on the shared pool, so one batch is decided while another commits.
    pub(crate) fn postgres(pool: AnyPool, limit: usize) -> Writer {
        Writer::start(pool, limit, 2, Backend::Postgres)
    }

    fn start(pool: AnyPool, limit: usize, writers: usize, backend: Backend) -> Writer {
        let (sender, receiver) = mpsc::channel(4096);
        let receiver = std::sync::Arc::new(tokio::sync::Mutex::new(receiver));
        let tasks = (0..writers)
            .map(|_| {
                let receiver = receiver.clone();
                let pool = pool.clone();
                tokio::spawn(async move {
                    loop {
                        let batch = {
                            let mut receiver = receiver.lock().await;
                            let Some(first) = receiver.recv().await else {
                                break;
                            };
                            let mut batch = vec![first];
                            while batch.len() < limit.max(1) {
                                match receiver.try_recv() {
                                    Ok(job) => batch.push(job),
                                    Err(_) => break,
                                }
                            }
                            batch
                        };
                        match backend {
                            Backend::Sqlite => commit_in_one_transaction(&pool, batch).await,
                            Backend::Postgres => commit_in_one_statement(&pool, batch).await,
                        }
                    }
                })
            })
            .collect();
        Writer {
            sender: Mutex::new(Some(sender)),
            tasks: Mutex::new(tasks),
        }
    }

    async fn submit(&self, store: Store, work: Work) -> Result<Done, StoreError> {
        let sender = self
            .sender
            .lock()
            .ok()
            .and_then(|sender| sender.clone())
            .ok_or(StoreError::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(Job { store, work, reply })
            .await
            .map_err(|_| StoreError::ShuttingDown)?;
        answer.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Lets the writers finish the work already queued, then stops them.
    pub(crate) async fn stop(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let tasks = self
            .tasks
            .lock()
            .map(|mut tasks| std::mem::take(&mut *tasks))
            .unwrap_or_default();
        for task in tasks {
            let _ = task.await;
        }
    }
}

fn fail_all(batch: Vec<Job>, error: &StoreError) {
    for job in batch {
        let _ = job.reply.send(Err(clone_error(error)));
    }
}

/// SQLite: every job of the batch in one transaction (each in a savepoint when there are several,
/// so that one job's failure does not undo the others); every answer goes out after the one
/// commit. A job that finds its cached state stale (another process wrote to the file) is run
/// again with the state read afresh.
async fn commit_in_one_transaction(pool: &AnyPool, batch: Vec<Job>) {
    let mut pending = batch;
    for round in 0..3 {
        if pending.is_empty() {
            return;
        }
        pending = sqlite_batch(pool, pending, round > 0).await;
    }
    let error = StoreError::Database {
        database: String::new(),
        reason: "another process kept writing to the same projects; try again".to_string(),
        source: None,
    };
    fail_all(pending, &error);
}

/// What became of one job of an SQLite batch.
enum Answer {
    /// Answer it (after the commit).
    Now(Result<Done, StoreError>),
    /// Run it again: its cached state was stale.
    Again,
}

/// Runs one SQLite batch; returns the jobs to run again.
async fn sqlite_batch(pool: &AnyPool, batch: Vec<Job>, fresh: bool) -> Vec<Job> {
    let Some(store) = batch.first().map(|job| job.store.clone()) else {
        return Vec::new();
    };
    let _turn = store.sqlite_write_turn().await;
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => {
            fail_all(batch, &store.database_error(error));
            return Vec::new();
        }
    };
    if let [job] = batch.as_slice()
        && !fresh
        && !job.work.carries_content()
        && let Some(head) = store.cached_head(job.work.project_id())
    {
        let answer = sqlite_cached_job(&store, &mut connection, job, head).await;
        return answer_one(batch, answer);
    }
    // IMMEDIATE takes the write lock now, waiting for another process's writer if need be,
    // rather than failing later when a read turns into a write.
    let mut transaction = match connection.begin_with("BEGIN IMMEDIATE").await {
        Ok(transaction) => transaction,
        Err(error) => {
            fail_all(batch, &store.database_error(error));
            return Vec::new();
        }
    };
    // The heads of cached projects come from the cache (a stale one is caught by the key
    // (project_id, sequence) and the job runs again); the others are read in one query.
    let heads = store
        .batch_heads(&mut transaction, &batch, |_| !fresh)
        .await;
    let heads = match heads {
        Ok(heads) => heads,
        Err(error) => {
            let _ = transaction.rollback().await;
            fail_all(batch, &error);
            return Vec::new();
        }
    };
    let mut overlay = Overlay::new();
    let answers = if let [job] = batch.as_slice() {
        // One job: no savepoint; a failure rolls the whole transaction back.
        let result = async {
            let prepared = store
                .prepare(&mut transaction, &job.work, &mut overlay, &heads)
                .await?;
            store.persist(&mut transaction, &[&prepared.writes]).await?;
            Ok::<Prepared, WriteFailure>(prepared)
        }
        .await;
        match result {
            Ok(prepared) => {
                if let Some(after) = prepared.after {
                    overlay.insert(prepared.project_id, after);
                }
                vec![Answer::Now(Ok(prepared.done))]
            }
            Err(failure) => {
                let _ = transaction.rollback().await;
                let answer = after_failure(&store, store.pool(), &job.work, failure).await;
                return answer_one(batch, answer);
            }
        }
    } else {
        sqlite_jobs_in_savepoints(&store, &mut transaction, &batch, &mut overlay, heads).await
    };
    match transaction.commit().await {
        Ok(()) => {
            for (project_id, loaded) in overlay {
                store.remember(project_id, loaded);
            }
            let mut again = Vec::new();
            for (job, answer) in batch.into_iter().zip(answers) {
                match answer {
                    Answer::Now(answer) => {
                        let _ = job.reply.send(answer);
                    }
                    Answer::Again => again.push(job),
                }
            }
            again
        }
        Err(error) => {
            fail_all(batch, &store.database_error(error));
            Vec::new()
        }
    }
}

/// SQLite's common case: one job on a cached project. It needs no read, so the whole
/// transaction goes to SQLite as one call, and the commit is its only wait.
async fn sqlite_cached_job(
    store: &Store,
    connection: &mut AnyConnection,
    job: &Job,
    head: Head,
) -> Answer {
    let heads = HashMap::from([(job.work.project_id(), head)]);
    let mut overlay = Overlay::new();
    let result = async {
        let prepared = store
            .prepare(&mut *connection, &job.work, &mut overlay, &heads)
            .await?;
        if !prepared.writes.is_empty() {
            store
                .persist_in_own_transaction(&mut *connection, &prepared.writes)
                .await?;
        }
        Ok::<Prepared, WriteFailure>(prepared)
    }
    .await;
    match result {
        Ok(prepared) => {
            if let Some(after) = prepared.after {
                store.remember(prepared.project_id, after);
            }
            Answer::Now(Ok(prepared.done))
        }
        Err(failure) => after_failure(store, &mut *connection, &job.work, failure).await,
    }
}

/// Several jobs of an SQLite batch, each in a savepoint, so that one job's failure does not undo
/// the others; the answers in the jobs' order.
async fn sqlite_jobs_in_savepoints(
    store: &Store,
    transaction: &mut AnyConnection,
    batch: &[Job],
    overlay: &mut Overlay,
    mut heads: HashMap<Uuid, Head>,
) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let project_id = job.work.project_id();
        let attempt = match transaction.begin().await {
            Err(error) => Err(WriteFailure::Store(store.database_error(error))),
            Ok(mut savepoint) => {
                let result = async {
                    let prepared = store
                        .prepare(&mut savepoint, &job.work, overlay, &heads)
                        .await?;
                    store.persist(&mut savepoint, &[&prepared.writes]).await?;
                    Ok::<Prepared, WriteFailure>(prepared)
                }
                .await;
                match result {
                    Ok(prepared) => match savepoint.commit().await {
                        Ok(()) => Ok(prepared),
                        Err(error) => Err(WriteFailure::Store(store.database_error(error))),
                    },
                    Err(failure) => {
                        let _ = savepoint.rollback().await;
                        Err(failure)
                    }
                }
            }
        };
        let answer = match attempt {
            Ok(prepared) => {
                if let Some(after) = prepared.after {
                    overlay.insert(project_id, after);
                }
                Answer::Now(Ok(prepared.done))
            }
            Err(failure) => {
                // The state this job took is gone with its savepoint: the next job for this
                // project reads it again, from the head as it stands after the earlier jobs.
                overlay.remove(&project_id);
                heads.remove(&project_id);
                if let Ok(fresh) = store
                    .read_heads(&mut *transaction, &[project_id], false)
                    .await
                {
                    heads.extend(fresh);
                }
                after_failure(store, &mut *transaction, &job.work, failure).await
            }
        };
        answers.push(answer);
    }
    answers
}

/// Answers the one job of a batch, or gives it back to be run again.
fn answer_one(batch: Vec<Job>, answer: Answer) -> Vec<Job> {
    match answer {
        Answer::Again => batch,
        Answer::Now(result) => {
            if let Some(job) = batch.into_iter().next() {
                let _ = job.reply.send(result);
            }
            Vec::new()
        }
    }
}

/// What to do with a job whose write failed: a lost race on its command id is answered with the
/// stored outcome; a lost race on a sequence means its cached state was stale, so it runs again.
async fn after_failure<'e, E>(
    store: &Store,
    executor: E,
    work: &Work,
    failure: WriteFailure,
) -> Answer
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    match (failure, work) {
        (WriteFailure::Store(error), _) => Answer::Now(Err(error)),
        (WriteFailure::LostRace, Work::Command(request, _)) => {
            match store.stored_outcome_in(executor, request).await {
                Ok(Some(outcome)) => Answer::Now(Ok(Done::Command(outcome))),
                Ok(None) => {
                    store.forget(request.project_id);
                    Answer::Again
                }
                Err(error) => Answer::Now(Err(error)),
            }
        }
        (WriteFailure::LostRace, Work::Batch(requests)) => {
            match store.stored_batch_in(executor, requests).await {
                Ok(Some(outcome)) => Answer::Now(Ok(Done::Batch(outcome))),
                Ok(None) => {
                    store.forget(work.project_id());
                    Answer::Again
                }
                Err(error) => Answer::Now(Err(error)),
            }
        }
        (WriteFailure::LostRace, Work::Tick(project_id)) => {
            store.forget(*project_id);
            Answer::Again
        }
    }
}

/// The project a batch is for (its commands all name it; `execute_all` checked).
fn loaded_project(requests: &[CommandRequest]) -> Uuid {
    requests
        .first()
        .map_or(Uuid::nil(), |request| request.project_id)
}

/// PostgreSQL: read the batch's heads in one query, decide every job in memory, write all in one
/// atomic statement. If the statement is refused (another node wrote to one of the projects, or
/// a command id was used before), each job is redone alone with its project's row locked.
async fn commit_in_one_statement(pool: &AnyPool, batch: Vec<Job>) {
    let Some(store) = batch.first().map(|job| job.store.clone()) else {
        return;
    };
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return fail_all(batch, &store.database_error(error)),
    };
    // Heads come from the cache where it has the project: if another node wrote since, the key
    // (project_id, sequence) refuses this batch's write and the job is redone alone. Only
    // projects not cached, or whose command names the sequence it expects, are read first.
    let expects = |work: &Work| matches!(work, Work::Command(request, _) if request.expected_sequence.is_some());
    let heads = match store
        .batch_heads(&mut connection, &batch, |work| !expects(work))
        .await
    {
        Ok(heads) => heads,
        Err(error) => return fail_all(batch, &error),
    };
    let mut overlay = Overlay::new();
    let mut prepared: Vec<Result<Prepared, StoreError>> = Vec::with_capacity(batch.len());
    let mut redo_alone = vec![false; batch.len()];
    for (index, job) in batch.iter().enumerate() {
        if job.work.carries_content() {
            // Its content is copied chunk by chunk inside a transaction: done alone, after the
            // batch, with its project's row locked.
            redo_alone[index] = true;
            prepared.push(Err(StoreError::ShuttingDown));
            continue;
        }
        match store
            .prepare(&mut connection, &job.work, &mut overlay, &heads)
            .await
        {
            Ok(mut ready) => {
                // Moved, not copied: a long project's state is large.
                if let Some(after) = ready.after.take() {
                    overlay.insert(ready.project_id, after);
                }
                prepared.push(Ok(ready));
            }
            Err(WriteFailure::Store(error)) => {
                // The project's state is unknown now; later jobs for it are redone alone.
                overlay.remove(&job.work.project_id());
                prepared.push(Err(error));
            }
            Err(WriteFailure::LostRace) => {
                overlay.remove(&job.work.project_id());
                redo_alone[index] = true;
                prepared.push(Err(StoreError::ShuttingDown));
            }
        }
    }
    // Jobs after a failed job of the same project saw a state that may not hold: redo them alone.
    let mut failed_projects = std::collections::HashSet::new();
    for (index, job) in batch.iter().enumerate() {
        let project_id = job.work.project_id();
        if failed_projects.contains(&project_id) && prepared[index].is_ok() {
            redo_alone[index] = true;
        }
        if prepared[index].is_err() && !job.work.carries_content() {
            failed_projects.insert(project_id);
        }
    }
    let writes: Vec<&Writes> = prepared
        .iter()
        .enumerate()
        .filter(|(index, _)| !redo_alone[*index])
        .filter_map(|(_, ready)| ready.as_ref().ok().map(|ready| &ready.writes))
        .collect();
    let written = writes.is_empty() || store.persist(&mut connection, &writes).await.is_ok();
    let earliest_deadline = writes
        .iter()
        .filter_map(|writes| writes.projection.as_ref())
        .filter_map(|projection| projection.next_deadline_at)
        .min();
    drop(connection);
    if written && let Some(at) = earliest_deadline {
        store.announce_deadline(at).await;
    }
    if written {
        for (project_id, loaded) in overlay {
            if !failed_projects.contains(&project_id) {
                store.remember(project_id, loaded);
            }
        }
    }
    for ((job, ready), alone) in batch.into_iter().zip(prepared).zip(redo_alone) {
        let answer = if alone || (!written && ready.is_ok()) {
            job.store.run_alone(&job.work).await
        } else {
            ready.map(|ready| ready.done)
        };
        let _ = job.reply.send(answer);
    }
}

fn clone_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Database {
            database,
            reason,
            source,
        } => StoreError::Database {
            database: database.clone(),
            reason: reason.clone(),
            source: source.clone(),
        },
        other => StoreError::Database {
            database: String::new(),
            reason: other.to_string(),
            source: None,
        },
    }
}
