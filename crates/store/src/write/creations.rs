//! Creating many projects all or none, in one transaction: what an import of a spreadsheet needs,
//! as a file is brought in whole or not at all.
//!
//! The writer's batches are for one project each (a job's failure undoes that job only), so this
//! runs beside the writer rather than through its queue: on SQLite in its turn at the write lock
//! (`BEGIN IMMEDIATE`), on PostgreSQL in a transaction that locks the rows of any project that
//! already exists. Each creation is decided as the writer decides it; the rows go in a few
//! statements, each within SQLite's limit on bound values, and one commit makes them all visible.

use super::is_retryable;
use super::{
    CommandOutcome, CommandRequest, Done, MAX_BATCH_COMMANDS, Overlay, Prepared, Work,
    WriteFailure, Writes, created_project,
};
use crate::error::StoreError;
use crate::sql::Statement;
use crate::{Backend, Store, is_unique_violation};
use serde::{Deserialize, Serialize};
use specflow_engine::Rejection;
use sqlx::{AnyConnection, Connection, Row};
use std::collections::HashSet;
use uuid::Uuid;

/// What became of creating several projects all or none ([`Store::create_all`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CreationsOutcome {
    /// Every project was created (or had been, by the same command), in one transaction.
    Accepted {
        /// Each command's outcome, in the order sent.
        outcomes: Vec<CommandOutcome>,
    },
    /// A creation was refused: nothing was written, not even the refusal.
    Rejected {
        /// The refused command's place in the order sent, from 0.
        index: usize,
        /// The project it would have created.
        project_id: Uuid,
        /// Every reason it was refused.
        rejection: Rejection,
    },
}

/// The most values bound in one statement of the write: SQLite allows 32766, and a margin is
/// kept for a project whose creation writes more rows than most.
const BOUND_VALUES_PER_STATEMENT: usize = 24_000;

/// How often a write that lost a race to another node is redone before it gives up.
const ATTEMPTS: usize = 8;

impl Store {
    /// Creates several projects all or none: each command must create the project its request
    /// names (`create_project` or `import_project`), no two for the same project or with the same
    /// command id. Every creation is decided; if any is refused, nothing is written and the
    /// answer names it. If another project already has one of the codes, nothing is written and
    /// the error names the codes taken. A command carried out before is answered with its stored
    /// outcome, so sending the same creations again creates nothing twice.
    pub async fn create_all(
        &self,
        requests: Vec<CommandRequest>,
    ) -> Result<CreationsOutcome, StoreError> {
        check_creations(&requests)?;
        for attempt in 0..ATTEMPTS {
            match self.create_all_once(&requests).await {
                Err(WriteFailure::LostRace) => {
                    // Another node created one of the projects or took a code meanwhile: decided
                    // again, the stored outcome or the taken code is found.
                    tokio::time::sleep(std::time::Duration::from_millis(1 + attempt as u64 * 5))
                        .await;
                }
                Err(WriteFailure::Store(error)) => return Err(error),
                Ok(outcome) => return Ok(outcome),
            }
        }
        Err(StoreError::Database {
            database: self.inner.database.clone(),
            reason: format!("the creations lost {ATTEMPTS} races in a row; try again"),
            source: None,
        })
    }

    async fn create_all_once(
        &self,
        requests: &[CommandRequest],
    ) -> Result<CreationsOutcome, WriteFailure> {
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut connection = self.pool().acquire().await.map_err(database)?;
        // IMMEDIATE takes SQLite's write lock now rather than failing when a read turns into a
        // write; on PostgreSQL the rows of projects that already exist are locked below.
        let mut transaction = match self.inner.backend {
            Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => connection.begin().await,
        }
        .map_err(database)?;
        let decided = self.decide_creations(&mut transaction, requests).await;
        let (prepared, outcomes) = match decided {
            Ok(Decided::Refused(outcome)) => {
                let _ = transaction.rollback().await;
                return Ok(outcome);
            }
            Ok(Decided::Ready(prepared, outcomes)) => (prepared, outcomes),
            Err(failure) => {
                let _ = transaction.rollback().await;
                return Err(failure);
            }
        };
        let written = self.persist_creations(&mut transaction, &prepared).await;
        if let Err(failure) = written {
            let _ = transaction.rollback().await;
            return Err(failure);
        }
        match transaction.commit().await {
            Ok(()) => {}
            Err(error) if is_unique_violation(&error) || is_retryable(&error) => {
                return Err(WriteFailure::LostRace);
            }
            Err(error) => return Err(WriteFailure::Store(database(error))),
        }
        let earliest_deadline = prepared
            .iter()
            .filter_map(|ready| ready.writes.projection.as_ref())
            .filter_map(|projection| projection.next_deadline_at)
            .min();
        for ready in prepared {
            if let Some(after) = ready.after {
                self.remember(ready.project_id, after);
            }
        }
        if let Some(at) = earliest_deadline {
            self.announce_deadline(at).await;
        }
        Ok(CreationsOutcome::Accepted { outcomes })
    }

    /// Decides every creation on the state its project has now (none, or one created by the same
    /// command before); stops at the first refusal.
    async fn decide_creations(
        &self,
        connection: &mut AnyConnection,
        requests: &[CommandRequest],
    ) -> Result<Decided, WriteFailure> {
        let ids: Vec<Uuid> = requests.iter().map(|request| request.project_id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let heads = self.read_heads(connection, &sorted, true).await?;
        let mut overlay = Overlay::new();
        let mut prepared = Vec::with_capacity(requests.len());
        let mut outcomes = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            let work = Work::Command(Box::new(request.clone()), None);
            let ready = self
                .prepare(connection, &work, &mut overlay, &heads)
                .await?;
            match &ready.done {
                Done::Command(CommandOutcome::Rejected {
                    project_id,
                    rejection,
                }) => {
                    return Ok(Decided::Refused(CreationsOutcome::Rejected {
                        index,
                        project_id: *project_id,
                        rejection: rejection.clone(),
                    }));
                }
                Done::Command(outcome) => outcomes.push(outcome.clone()),
                Done::Batch(_) | Done::Tick(_) => {
                    return Err(WriteFailure::Store(StoreError::Corrupt(
                        "a creation was answered with something else".to_string(),
                    )));
                }
            }
            prepared.push(ready);
        }
        self.refuse_codes_taken(connection, &prepared).await?;
        Ok(Decided::Ready(prepared, outcomes))
    }

    /// Refuses the creations if another project has one of their codes, naming every code taken.
    async fn refuse_codes_taken(
        &self,
        connection: &mut AnyConnection,
        prepared: &[Prepared],
    ) -> Result<(), WriteFailure> {
        let created: Vec<(Uuid, &str)> = prepared
            .iter()
            .filter_map(|ready| ready.writes.projection.as_ref())
            .map(|projection| (projection.project_id, projection.code.as_str()))
            .collect();
        if created.is_empty() {
            return Ok(());
        }
        let ours: HashSet<Uuid> = created.iter().map(|(id, _)| *id).collect();
        let mut statement = Statement::new("SELECT project_id, code FROM projects WHERE code IN (");
        statement.push_list(created.iter().map(|(_, code)| (*code).to_string()));
        statement.push(") ORDER BY code");
        let rows = statement
            .fetch_all(&mut *connection)
            .await
            .map_err(|error| self.database_error(error))?;
        let mut taken = Vec::new();
        for row in rows {
            let get = |error: sqlx::Error| self.database_error(error);
            let id: String = row.try_get("project_id").map_err(get)?;
            let code: String = row.try_get("code").map_err(get)?;
            let is_ours = Uuid::parse_str(&id).is_ok_and(|id| ours.contains(&id));
            if !is_ours {
                taken.push(code);
            }
        }
        if taken.is_empty() {
            return Ok(());
        }
        Err(WriteFailure::Store(StoreError::CodesTaken { codes: taken }))
    }

    /// Writes the decided rows in as few statements as SQLite's limit on bound values allows.
    async fn persist_creations(
        &self,
        connection: &mut AnyConnection,
        prepared: &[Prepared],
    ) -> Result<(), WriteFailure> {
        let mut chunk: Vec<&Writes> = Vec::new();
        let mut values = 0;
        for ready in prepared {
            let writes = &ready.writes;
            let more = bound_values(writes);
            if !chunk.is_empty() && values + more > BOUND_VALUES_PER_STATEMENT {
                self.persist(connection, &chunk).await?;
                chunk.clear();
                values = 0;
            }
            chunk.push(writes);
            values += more;
        }
        if !chunk.is_empty() {
            self.persist(connection, &chunk).await?;
        }
        Ok(())
    }
}

/// The creations decided, or the first refusal.
enum Decided {
    Ready(Vec<Prepared>, Vec<CommandOutcome>),
    Refused(CreationsOutcome),
}

/// The values a job's rows bind, counted as the statement's parts bind them (a record 12, a
/// projection 21, a command 7, a notification 7, a search row 4), rounded up for safety.
fn bound_values(writes: &Writes) -> usize {
    writes.records.len() * 12
        + usize::from(writes.projection.is_some()) * 21
        + writes.commands.len() * 7
        + writes.notifications.len() * 8
        + usize::from(writes.search.is_some()) * 8
}

/// Refuses creations that are not creations, name another project than their request, repeat
/// a project or a command id, or are too many for one transaction.
fn check_creations(requests: &[CommandRequest]) -> Result<(), StoreError> {
    if requests.is_empty() {
        return Err(StoreError::InvalidRequest(
            "creating all or none needs at least one creation".to_string(),
        ));
    }
    if requests.len() > MAX_BATCH_COMMANDS {
        return Err(StoreError::InvalidRequest(format!(
            "at most {MAX_BATCH_COMMANDS} projects are created at once, not {}",
            requests.len()
        )));
    }
    let mut projects = HashSet::new();
    let mut commands = HashSet::new();
    for (index, request) in requests.iter().enumerate() {
        let Some(project) = created_project(&request.command) else {
            return Err(StoreError::InvalidRequest(format!(
                "command {index} is {}, not a creation",
                request.command.kind_name()
            )));
        };
        if project.project_id != request.project_id {
            return Err(StoreError::InvalidRequest(format!(
                "the request is for project {} but command {index} creates project {}",
                request.project_id, project.project_id
            )));
        }
        if !projects.insert(request.project_id) {
            return Err(StoreError::InvalidRequest(format!(
                "project {} is created twice",
                request.project_id
            )));
        }
        if !commands.insert(request.command_id) {
            return Err(StoreError::InvalidRequest(format!(
                "command id {} is used twice",
                request.command_id
            )));
        }
    }
    Ok(())
}
