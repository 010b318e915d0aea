//! Writing: one transaction per command (or per batch of commands on SQLite).
//!
//! Load the state (the cached state plus the records after it), decide, seal the events into
//! records, append them, update the projection, remember the command id, commit. Nothing
//! half-written is ever visible: every step is inside the transaction.

use super::{Backend, Store, instant, is_unique_violation, micros};
use crate::error::StoreError;
use serde::{Deserialize, Serialize};
use specflow_engine::audit::{AuditRecord, Digest256, seal_all};
use specflow_engine::deadline::next_deadline;
use specflow_engine::{
    Actor, Command, Event, ProjectState, Rejection, WorkflowDefinition, decide, tick,
};
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use std::sync::Mutex;
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

/// Work for the writer.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    Command(Box<CommandRequest>),
    Tick(Uuid),
}

/// What the work gave.
#[derive(Debug)]
pub(crate) enum Done {
    Command(CommandOutcome),
    Tick(Vec<AuditRecord>),
}

/// Why a write did not happen.
enum WriteFailure {
    /// Another writer appended first (a unique key decided); retrying may succeed.
    LostRace,
    /// Anything else.
    Store(StoreError),
}

impl From<StoreError> for WriteFailure {
    fn from(error: StoreError) -> Self {
        WriteFailure::Store(error)
    }
}

/// A state to remember once its transaction has committed.
type CacheUpdate = Option<(Uuid, u64, ProjectState)>;

fn u64_of(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is {value}")))
}

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Carries out a command: decides it against the project's state and stores what it caused.
    pub async fn execute(&self, request: CommandRequest) -> Result<CommandOutcome, StoreError> {
        if let Command::CreateProject(project) = &request.command
            && project.project_id != request.project_id
        {
            return Err(StoreError::InvalidRequest(format!(
                "the request is for project {} but the command creates project {}",
                request.project_id, project.project_id
            )));
        }
        match self.run(Work::Command(Box::new(request))).await? {
            Done::Command(outcome) => Ok(outcome),
            Done::Tick(_) => Err(StoreError::Corrupt(
                "the writer answered a command with a tick".to_string(),
            )),
        }
    }

    /// Runs `tick` for one project now and stores what fell due; returns the records appended.
    pub async fn tick_project(&self, project_id: Uuid) -> Result<Vec<AuditRecord>, StoreError> {
        match self.run(Work::Tick(project_id)).await? {
            Done::Tick(records) => Ok(records),
            Done::Command(_) => Err(StoreError::Corrupt(
                "the writer answered a tick with a command".to_string(),
            )),
        }
    }

    async fn run(&self, work: Work) -> Result<Done, StoreError> {
        match (&self.inner.writer, self.inner.backend) {
            (Some(writer), _) => writer.submit(self.clone(), work).await,
            (None, Backend::Postgres) => self.run_postgres(work).await,
            (None, Backend::Sqlite) => Err(StoreError::ShuttingDown),
        }
    }

    /// PostgreSQL: each piece of work in its own transaction; a lost race is retried, or
    /// reported as a conflict when the command named the sequence it expected.
    async fn run_postgres(&self, work: Work) -> Result<Done, StoreError> {
        const ATTEMPTS: usize = 8;
        for attempt in 0..ATTEMPTS {
            let mut transaction = self
                .pool()
                .begin()
                .await
                .map_err(|error| self.database_error(&error))?;
            match self.perform(&mut transaction, &work).await {
                Ok((done, cache)) => match transaction.commit().await {
                    Ok(()) => {
                        self.remember(cache);
                        return Ok(done);
                    }
                    Err(error) if is_unique_violation(&error) => {}
                    Err(error) => return Err(self.database_error(&error)),
                },
                Err(WriteFailure::LostRace) => {
                    let _ = transaction.rollback().await;
                }
                Err(WriteFailure::Store(error)) => {
                    let _ = transaction.rollback().await;
                    return Err(error);
                }
            }
            if let Work::Command(request) = &work {
                if let Some(outcome) = self
                    .stored_outcome_in(self.pool(), request.command_id)
                    .await?
                {
                    return Ok(Done::Command(outcome));
                }
                if let Some(expected) = request.expected_sequence {
                    let current = self.head_sequence(request.project_id).await?;
                    return Err(StoreError::Conflict {
                        project_id: request.project_id,
                        expected,
                        current,
                    });
                }
            }
            // Back off a little, more each time, so racing writers spread out.
            tokio::time::sleep(std::time::Duration::from_millis(1 + attempt as u64 * 3)).await;
        }
        Err(StoreError::Database {
            database: self.inner.database.clone(),
            reason: format!("the write lost {ATTEMPTS} races in a row; try again"),
        })
    }

    /// The project's head sequence (0 when it does not exist).
    pub async fn head_sequence(&self, project_id: Uuid) -> Result<u64, StoreError> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT head_sequence FROM projects WHERE project_id = $1")
                .bind(project_id.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(&error))?;
        u64_of(head.unwrap_or(0), "head_sequence")
    }

    async fn stored_outcome_in<'e, E>(
        &self,
        executor: E,
        command_id: Uuid,
    ) -> Result<Option<CommandOutcome>, StoreError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT outcome FROM commands WHERE command_id = $1")
                .bind(command_id.to_string())
                .fetch_optional(executor)
                .await
                .map_err(|error| self.database_error(&error))?;
        stored
            .map(|text| {
                serde_json::from_str(&text).map_err(|error| {
                    StoreError::Corrupt(format!("stored outcome of {command_id}: {error}"))
                })
            })
            .transpose()
    }

    fn remember(&self, update: CacheUpdate) {
        let Some((project_id, sequence, state)) = update else {
            return;
        };
        if let Ok(mut cache) = self.inner.states.lock() {
            if cache.len() >= self.inner.options.state_cache_capacity
                && !cache.contains_key(&project_id)
            {
                // A crude bound: forget everything rather than track recency; a miss costs one replay.
                cache.clear();
            }
            cache.insert(project_id, (sequence, state));
        }
    }

    /// The project's state and head: the cached state (if any) plus the records after it.
    pub(crate) async fn load_state(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
    ) -> Result<(ProjectState, u64, Digest256), StoreError> {
        let cached = self
            .inner
            .states
            .lock()
            .ok()
            .and_then(|cache| cache.get(&project_id).cloned());
        let (mut state, mut sequence) = cached
            .map_or((ProjectState::new(), 0), |(sequence, state)| {
                (state, sequence)
            });
        let head_hash: Option<String> =
            sqlx::query_scalar("SELECT head_hash FROM projects WHERE project_id = $1")
                .bind(project_id.to_string())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| self.database_error(&error))?;
        let rows = sqlx::query(
            "SELECT sequence, recorded_at, actor_id, actor_role, event, hash FROM audit_records WHERE project_id = $1 AND sequence > $2 ORDER BY sequence",
        )
        .bind(project_id.to_string())
        .bind(i64_of(sequence))
        .fetch_all(&mut *connection)
        .await
        .map_err(|error| self.database_error(&error))?;
        let mut last_hash = None;
        for row in rows {
            let get = |error: sqlx::Error| self.database_error(&error);
            let record_sequence: i64 = row.try_get("sequence").map_err(get)?;
            let event = Event {
                occurred_at: instant(row.try_get("recorded_at").map_err(get)?)?,
                actor: Actor::new(
                    row.try_get::<String, _>("actor_id").map_err(get)?,
                    row.try_get::<String, _>("actor_role").map_err(get)?,
                ),
                body: serde_json::from_str(&row.try_get::<String, _>("event").map_err(get)?).map_err(|error| {
                    StoreError::Corrupt(format!("record {record_sequence} of project {project_id} cannot be read: {error}"))
                })?,
            };
            state.apply_owned(event);
            sequence = u64_of(record_sequence, "sequence")?;
            last_hash = Some(row.try_get::<String, _>("hash").map_err(get)?);
        }
        let head_hash = match last_hash.or(head_hash) {
            Some(hash) => Digest256::from_hex(&hash)
                .map_err(|error| StoreError::Corrupt(format!("head hash {hash}: {error}")))?,
            None => Digest256::GENESIS,
        };
        Ok((state, sequence, head_hash))
    }

    /// Does one piece of work inside an open transaction; the caller commits.
    async fn perform(
        &self,
        connection: &mut AnyConnection,
        work: &Work,
    ) -> Result<(Done, CacheUpdate), WriteFailure> {
        if self.inner.backend == Backend::Postgres {
            // Writers to one project queue on its projection row instead of racing to the same
            // sequence number and retrying: a hot project stays fair. The primary key still
            // decides the one race a lock cannot cover, two creations of the same project.
            let project_id = match work {
                Work::Command(request) => request.project_id,
                Work::Tick(project_id) => *project_id,
            };
            sqlx::query("SELECT head_sequence FROM projects WHERE project_id = $1 FOR UPDATE")
                .bind(project_id.to_string())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| self.database_error(&error))?;
        }
        match work {
            Work::Command(request) => self.perform_command(connection, request).await,
            Work::Tick(project_id) => self.perform_tick(connection, *project_id).await,
        }
    }

    async fn perform_command(
        &self,
        connection: &mut AnyConnection,
        request: &CommandRequest,
    ) -> Result<(Done, CacheUpdate), WriteFailure> {
        if let Some(outcome) = self
            .stored_outcome_in(&mut *connection, request.command_id)
            .await?
        {
            return Ok((Done::Command(outcome), None));
        }
        let project_id = request.project_id;
        let (state, head, head_hash) = self.load_state(connection, project_id).await?;
        if let Some(expected) = request.expected_sequence
            && expected != head
        {
            return Err(WriteFailure::Store(StoreError::Conflict {
                project_id,
                expected,
                current: head,
            }));
        }
        let definition = match (&request.command, &state.project) {
            (Command::CreateProject(project), _) => {
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
                return Err(WriteFailure::Store(StoreError::ProjectNotFound(
                    project_id.to_string(),
                )));
            }
        };
        // Records never go back in time, even if this node's clock is behind the last writer's.
        let now = state.last_event_at.map_or(self.inner.clock.now(), |last| {
            last.max(self.inner.clock.now())
        });
        let outcome = match decide(&state, &definition, &request.command, &request.actor, now) {
            Err(rejection) => CommandOutcome::Rejected {
                project_id,
                rejection,
            },
            Ok(events) => {
                let (first, last, hash, state) = self
                    .append(
                        connection,
                        project_id,
                        state,
                        head,
                        head_hash,
                        Some(request.command_id),
                        events,
                        &definition,
                    )
                    .await?;
                self.store_outcome(
                    connection,
                    request,
                    Some((first, last)),
                    &CommandOutcome::Accepted {
                        project_id,
                        first_sequence: first,
                        last_sequence: last,
                        head_hash: hash.to_hex(),
                    },
                )
                .await?;
                return Ok((
                    Done::Command(CommandOutcome::Accepted {
                        project_id,
                        first_sequence: first,
                        last_sequence: last,
                        head_hash: hash.to_hex(),
                    }),
                    Some((project_id, last, state)),
                ));
            }
        };
        self.store_outcome(connection, request, None, &outcome)
            .await?;
        Ok((Done::Command(outcome), None))
    }

    async fn perform_tick(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
    ) -> Result<(Done, CacheUpdate), WriteFailure> {
        let (state, head, head_hash) = self.load_state(connection, project_id).await?;
        let Some(project) = &state.project else {
            return Err(WriteFailure::Store(StoreError::ProjectNotFound(
                project_id.to_string(),
            )));
        };
        let definition = self
            .definition(&project.definition_id, project.definition_version)
            .await?;
        let now = state.last_event_at.map_or(self.inner.clock.now(), |last| {
            last.max(self.inner.clock.now())
        });
        let events = tick(&state, &definition, now);
        if events.is_empty() {
            return Ok((Done::Tick(Vec::new()), None));
        }
        let (first, _last, _hash, state) = self
            .append(
                connection,
                project_id,
                state,
                head,
                head_hash,
                None,
                events,
                &definition,
            )
            .await?;
        let records = self.records_between(connection, project_id, first).await?;
        let last = records.last().map_or(head, |record| record.sequence);
        Ok((Done::Tick(records), Some((project_id, last, state))))
    }

    async fn records_between(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        first: u64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{} WHERE project_id = $1 AND sequence >= $2 ORDER BY sequence",
            super::read::RECORD_COLUMNS
        ))
        .bind(project_id.to_string())
        .bind(i64_of(first))
        .fetch_all(&mut *connection)
        .await
        .map_err(|error| self.database_error(&error))?;
        rows.iter().map(|row| self.record_from_row(row)).collect()
    }

    #[allow(clippy::too_many_arguments)]
    async fn append(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        mut state: ProjectState,
        head: u64,
        head_hash: Digest256,
        command_id: Option<Uuid>,
        events: Vec<Event>,
        definition: &WorkflowDefinition,
    ) -> Result<(u64, u64, Digest256, ProjectState), WriteFailure> {
        let previous = if head == 0 {
            None
        } else {
            Some((head, head_hash))
        };
        let records = seal_all(project_id, previous, command_id, &events);
        for record in &records {
            let inserted = sqlx::query(
                "INSERT INTO audit_records (project_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(record.project_id.to_string())
            .bind(i64_of(record.sequence))
            .bind(micros(record.recorded_at))
            .bind(&record.actor_id)
            .bind(&record.actor_role)
            .bind(record.command_id.map(|id| id.to_string()))
            .bind(&record.event_type)
            .bind(i64::from(record.event_version))
            .bind(&record.event)
            .bind(record.previous_hash.to_hex())
            .bind(record.hash.to_hex())
            .execute(&mut *connection)
            .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => return Err(WriteFailure::LostRace),
                Err(error) => return Err(WriteFailure::Store(self.database_error(&error))),
            }
        }
        for event in events {
            state.apply_owned(event);
        }
        let first = head + 1;
        let last = records.last().map_or(head, |record| record.sequence);
        let hash = records.last().map_or(head_hash, |record| record.hash);
        self.upsert_projection(connection, project_id, &state, last, hash, definition)
            .await?;
        Ok((first, last, hash, state))
    }

    async fn upsert_projection(
        &self,
        connection: &mut AnyConnection,
        project_id: Uuid,
        state: &ProjectState,
        head: u64,
        head_hash: Digest256,
        definition: &WorkflowDefinition,
    ) -> Result<(), WriteFailure> {
        let Some(project) = &state.project else {
            return Err(WriteFailure::Store(StoreError::Corrupt(format!(
                "project {project_id} has records but no creation"
            ))));
        };
        let stage = state.stage();
        let terminal = definition.stage(stage).is_some_and(|stage| stage.terminal);
        let overdue_since = state
            .deadlines
            .iter()
            .filter(|entry| entry.is_open() && entry.missed)
            .filter_map(|entry| entry.times.map(|times| times.due_at))
            .min();
        let escalated = state
            .deadlines
            .iter()
            .any(|entry| entry.is_open() && entry.escalated);
        let result = sqlx::query(
            "INSERT INTO projects (project_id, code, title_zh, title_en, specification_kind, committee, drafting_unit, definition_id, definition_version, stage, stage_since, terminal, next_deadline_at, overdue_since, escalated, frozen, head_sequence, head_hash, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
             ON CONFLICT (project_id) DO UPDATE SET code = excluded.code, title_zh = excluded.title_zh, title_en = excluded.title_en, \
             specification_kind = excluded.specification_kind, committee = excluded.committee, drafting_unit = excluded.drafting_unit, \
             definition_id = excluded.definition_id, definition_version = excluded.definition_version, stage = excluded.stage, \
             stage_since = excluded.stage_since, terminal = excluded.terminal, next_deadline_at = excluded.next_deadline_at, \
             overdue_since = excluded.overdue_since, escalated = excluded.escalated, frozen = excluded.frozen, \
             head_sequence = excluded.head_sequence, head_hash = excluded.head_hash, updated_at = excluded.updated_at",
        )
        .bind(project_id.to_string())
        .bind(&project.code)
        .bind(&project.title.zh)
        .bind(&project.title.en)
        .bind(&project.specification_kind)
        .bind(&project.committee)
        .bind(&project.drafting_unit)
        .bind(&project.definition_id)
        .bind(i64::from(project.definition_version))
        .bind(stage)
        .bind(state.stage_entered_at().map_or(0, micros))
        .bind(i64::from(terminal))
        .bind(next_deadline(state).map(|deadline| micros(deadline.at)))
        .bind(overdue_since.map(micros))
        .bind(i64::from(escalated))
        .bind(i64::from(state.frozen.is_some()))
        .bind(i64_of(head))
        .bind(head_hash.to_hex())
        .bind(state.last_event_at.map_or(0, micros))
        .execute(&mut *connection)
        .await;
        match result {
            Ok(_) => Ok(()),
            // Two projects with one human code: the second creation loses.
            Err(error) if is_unique_violation(&error) => {
                Err(WriteFailure::Store(StoreError::InvalidRequest(format!(
                    "another project already has the code {}",
                    project.code
                ))))
            }
            Err(error) => Err(WriteFailure::Store(self.database_error(&error))),
        }
    }

    async fn store_outcome(
        &self,
        connection: &mut AnyConnection,
        request: &CommandRequest,
        sequences: Option<(u64, u64)>,
        outcome: &CommandOutcome,
    ) -> Result<(), WriteFailure> {
        let text = serde_json::to_string(outcome)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let result = sqlx::query(
            "INSERT INTO commands (command_id, project_id, first_sequence, last_sequence, outcome, decided_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(request.command_id.to_string())
        .bind(request.project_id.to_string())
        .bind(sequences.map(|(first, _)| i64_of(first)))
        .bind(sequences.map(|(_, last)| i64_of(last)))
        .bind(text)
        .bind(micros(self.inner.clock.now()))
        .execute(&mut *connection)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => Err(WriteFailure::LostRace),
            Err(error) => Err(WriteFailure::Store(self.database_error(&error))),
        }
    }
}

struct Job {
    store: Store,
    work: Work,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

/// SQLite's single writer: it owns the write connection and commits waiting work together.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    finished: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SqliteWriter {
    pub(crate) fn start(pool: AnyPool, limit: usize) -> SqliteWriter {
        let (sender, receiver) = mpsc::channel(4096);
        let handle = tokio::spawn(writer_loop(pool, receiver, limit.max(1)));
        SqliteWriter {
            sender: Mutex::new(Some(sender)),
            finished: Mutex::new(Some(handle)),
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

    pub(crate) async fn stop(&self) {
        // Dropping the sender lets the loop finish the work already queued, then end.
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let handle = self
            .finished
            .lock()
            .ok()
            .and_then(|mut handle| handle.take());
        if let Some(handle) = handle {
            let _ = handle.await;
        }
    }
}

async fn writer_loop(pool: AnyPool, mut receiver: mpsc::Receiver<Job>, limit: usize) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < limit {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&pool, batch).await;
    }
    pool.close().await;
}

/// Runs every job of the batch in one transaction (each in a savepoint, so that one job's
/// failure does not undo the others) and answers each after the one commit.
async fn commit_batch(pool: &AnyPool, batch: Vec<Job>) {
    let Some(store) = batch.first().map(|job| job.store.clone()) else {
        return;
    };
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => {
            let error = store.database_error(&error);
            for job in batch {
                let _ = job.reply.send(Err(clone_error(&error)));
            }
            return;
        }
    };
    let mut transaction = match connection.begin().await {
        Ok(transaction) => transaction,
        Err(error) => {
            let error = store.database_error(&error);
            for job in batch {
                let _ = job.reply.send(Err(clone_error(&error)));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in &batch {
        let result = match transaction.begin().await {
            Err(error) => Err(store.database_error(&error)),
            Ok(mut savepoint) => match job.store.perform(&mut savepoint, &job.work).await {
                Ok((done, cache)) => match savepoint.commit().await {
                    Ok(()) => Ok((done, cache)),
                    Err(error) => Err(store.database_error(&error)),
                },
                Err(failure) => {
                    let _ = savepoint.rollback().await;
                    Err(match failure {
                        WriteFailure::Store(error) => error,
                        // One writer cannot race itself; a unique violation here is a real inconsistency.
                        WriteFailure::LostRace => StoreError::Corrupt(
                            "a record or command id was written twice".to_string(),
                        ),
                    })
                }
            },
        };
        answers.push(result);
    }
    match transaction.commit().await {
        Ok(()) => {
            for (job, answer) in batch.into_iter().zip(answers) {
                let answer = answer.map(|(done, cache)| {
                    job.store.remember(cache);
                    done
                });
                let _ = job.reply.send(answer);
            }
        }
        Err(error) => {
            let error = store.database_error(&error);
            for job in batch {
                let _ = job.reply.send(Err(clone_error(&error)));
            }
        }
    }
}

fn clone_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Database { database, reason } => StoreError::Database {
            database: database.clone(),
            reason: reason.clone(),
        },
        other => StoreError::Database {
            database: String::new(),
            reason: other.to_string(),
        },
    }
}
