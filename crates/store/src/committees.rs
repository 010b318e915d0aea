//! Committees kept as audited records: their logs, projections, terms for the scheduler, and the
//! reads reports need (the composition as of an instant, the changes within a period).
//!
//! A committee is written rarely (a formation, a few appointments a year, a term's warning), so a
//! write does not go through the project writer's batching: it is one transaction of its own
//! (`BEGIN IMMEDIATE` on SQLite, the committee's row locked with `FOR UPDATE` on PostgreSQL) that
//! reads the log, decides, and inserts the records, the projection and the notifications
//! together. The key `(committee_id, sequence)` decides any race left: the loser re-reads and
//! decides again, so a term's end is recorded once however many nodes tick it.
//!
//! Command ids are written on the records, so a repeated id answers the records it wrote.

use super::schedule::LeasedTable;
use super::{Backend, Store, instant, is_unique_violation, micros};
use crate::error::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use specflow_engine::audit::{AsOf, Digest256};
use specflow_engine::committee::audit::{CommitteeRecord, replay_as_of, seal_all};
use specflow_engine::committee::notify::committee_notices_for;
use specflow_engine::committee::{
    CommitteeCommand, CommitteeEvent, CommitteePolicy, CommitteeState, CompositionChanges,
    CompositionCheck, RollEntry, check_composition, decide, next_deadline, roll_on, tick,
};
use specflow_engine::notify::Notice;
use specflow_engine::stored_record::RecordKind;
use specflow_engine::{Actor, LocalizedText, Rejection};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};
use std::sync::Arc;
use uuid::Uuid;

/// The shipped composition policy, used until `Store::set_committee_policy` gives another.
pub const SHIPPED_COMMITTEE_POLICY: &str =
    include_str!("../../../workflows/committees/policy.toml");

/// The namespace of committee ids derived from their codes: one code, one id, on every node.
pub const COMMITTEE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c0b_7e1a_93d4_4e62_8a0f_c3b1_27d9_6e45);

/// The id of the committee with this code.
pub fn committee_id_of(code: &str) -> Uuid {
    Uuid::new_v5(&COMMITTEE_ID_NAMESPACE, code.trim().as_bytes())
}

/// A command to a committee.
#[derive(Debug, Clone)]
pub struct CommitteeCommandRequest {
    /// The committee.
    pub committee_id: Uuid,
    /// The command's id, for idempotency.
    pub command_id: Uuid,
    /// The head sequence the caller saw, if it cares.
    pub expected_sequence: Option<u64>,
    /// Who asks.
    pub actor: Actor,
    /// What.
    pub command: CommitteeCommand,
}

/// What became of a committee command.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitteeOutcome {
    /// Records were appended (or had been, for a repeated command id).
    Accepted {
        /// The committee.
        committee_id: Uuid,
        /// The first record written.
        first_sequence: u64,
        /// The last.
        last_sequence: u64,
        /// The new head's hash.
        head_hash: String,
    },
    /// The engine refused it.
    Rejected(Rejection),
}

/// One committee in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteeSummary {
    /// Its id.
    pub committee_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: LocalizedText,
    /// Its field.
    pub field: String,
    /// Whether it is the legal-metrology committee.
    pub legal_metrology: bool,
    /// The current term, if one runs.
    pub current_term: Option<u32>,
    /// When its term's warning or end falls due next.
    pub next_deadline_at: Option<DateTime<Utc>>,
    /// Records in its log.
    pub head_sequence: u64,
}

/// A committee command's id with the fingerprint of the request it was sent with.
struct CommandKey {
    command_id: Uuid,
    request_sha256: String,
}

/// The fingerprint of a committee request: SHA-256 over its committee and its command as JSON,
/// hex. The expected sequence and the actor are left out: the id is already the caller's own
/// ([`crate::auth`] scopes keys), and a precondition is not what the request asks for.
fn committee_request_fingerprint(request: &CommitteeCommandRequest) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_vec(&(&request.committee_id, &request.command)).map_err(|error| {
        StoreError::Corrupt(format!("a committee command cannot be encoded: {error}"))
    })?;
    Ok(hex::encode(Sha256::digest(text)))
}

/// Records which request a committee command id was used for, in the write's transaction.
async fn insert_committee_command(
    connection: &mut AnyConnection,
    committee_id: Uuid,
    command: &CommandKey,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO committee_commands (command_id, committee_id, request_sha256) VALUES ($1, $2, $3)",
    )
    .bind(command.command_id.to_string())
    .bind(committee_id.to_string())
    .bind(command.request_sha256.clone())
    .execute(&mut *connection)
    .await
    .map(|_| ())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("a committee record's {what}"))
}

fn record_of(row: &AnyRow) -> Result<CommitteeRecord, StoreError> {
    let get = |error: sqlx::Error| StoreError::Corrupt(format!("a committee record: {error}"));
    let committee: String = row.try_get("committee_id").map_err(get)?;
    let sequence: i64 = row.try_get("sequence").map_err(get)?;
    let recorded_at: i64 = row.try_get("recorded_at").map_err(get)?;
    let command_id: Option<String> = row.try_get("command_id").map_err(get)?;
    let event_version: i64 = row.try_get("event_version").map_err(get)?;
    let previous_hash: String = row.try_get("previous_hash").map_err(get)?;
    let hash: String = row.try_get("hash").map_err(get)?;
    Ok(CommitteeRecord {
        committee_id: Uuid::parse_str(&committee).map_err(|_| corrupt("committee id"))?,
        sequence: u64::try_from(sequence).map_err(|_| corrupt("sequence"))?,
        recorded_at: instant(recorded_at)?,
        actor_id: row.try_get("actor_id").map_err(get)?,
        actor_role: row.try_get("actor_role").map_err(get)?,
        command_id: command_id
            .map(|text| Uuid::parse_str(&text).map_err(|_| corrupt("command id")))
            .transpose()?,
        event_type: row.try_get("event_type").map_err(get)?,
        event_version: u32::try_from(event_version).map_err(|_| corrupt("event version"))?,
        event: row.try_get("event").map_err(get)?,
        previous_hash: Digest256::from_hex(&previous_hash).map_err(|_| corrupt("previous hash"))?,
        hash: Digest256::from_hex(&hash).map_err(|_| corrupt("hash"))?,
    })
}

const RECORD_COLUMNS: &str = "SELECT committee_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash FROM committee_records";

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Why a write attempt did not finish: a lost race is redone, anything else is answered.
enum Attempt {
    Done(CommitteeOutcome, Vec<CommitteeRecord>),
    LostRace,
}

impl Store {
    /// The composition policy committees are decided against.
    pub fn committee_policy(&self) -> Arc<CommitteePolicy> {
        match self.inner.committee_policy.read() {
            Ok(policy) => policy.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the composition policy (a file other than the shipped one).
    pub fn set_committee_policy(&self, policy: CommitteePolicy) {
        let policy = Arc::new(policy);
        match self.inner.committee_policy.write() {
            Ok(mut slot) => *slot = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
    }

    /// A committee's id by its id or code, if it exists.
    pub async fn resolve_committee(&self, id_or_code: &str) -> Result<Option<Uuid>, StoreError> {
        let row: Option<String> = sqlx::query_scalar(
            "SELECT committee_id FROM committees WHERE committee_id = $1 OR code = $1",
        )
        .bind(id_or_code.trim().to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        row.map(|text| Uuid::parse_str(&text).map_err(|_| corrupt("committee id")))
            .transpose()
    }

    /// Every committee, by code.
    pub async fn list_committees(&self) -> Result<Vec<CommitteeSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT committee_id, code, name_zh, name_en, field, legal_metrology, current_term, next_deadline_at, head_sequence FROM committees ORDER BY code",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| StoreError::Corrupt(format!("a committee: {error}"));
                let id: String = row.try_get("committee_id").map_err(get)?;
                let legal: i64 = row.try_get("legal_metrology").map_err(get)?;
                let term: Option<i64> = row.try_get("current_term").map_err(get)?;
                let next: Option<i64> = row.try_get("next_deadline_at").map_err(get)?;
                let head: i64 = row.try_get("head_sequence").map_err(get)?;
                Ok(CommitteeSummary {
                    committee_id: Uuid::parse_str(&id).map_err(|_| corrupt("committee id"))?,
                    code: row.try_get("code").map_err(get)?,
                    name: LocalizedText::new(
                        row.try_get::<String, _>("name_zh").map_err(get)?,
                        row.try_get::<String, _>("name_en").map_err(get)?,
                    ),
                    field: row.try_get("field").map_err(get)?,
                    legal_metrology: legal != 0,
                    current_term: term.and_then(|term| u32::try_from(term).ok()),
                    next_deadline_at: next.map(instant).transpose()?,
                    head_sequence: u64::try_from(head).unwrap_or(0),
                })
            })
            .collect()
    }

    /// A committee's whole log, in order.
    pub async fn committee_records(
        &self,
        committee_id: Uuid,
    ) -> Result<Vec<CommitteeRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{RECORD_COLUMNS} WHERE committee_id = $1 ORDER BY sequence"
        ))
        .bind(committee_id.to_string())
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        rows.iter().map(record_of).collect()
    }

    /// A committee's state as of an instant or a sequence (`None` for now), replayed from its log.
    pub async fn committee_state_as_of(
        &self,
        committee_id: Uuid,
        as_of: Option<AsOf>,
    ) -> Result<CommitteeState, StoreError> {
        let records = self.committee_records(committee_id).await?;
        let as_of = as_of.unwrap_or(AsOf::Sequence(u64::MAX));
        replay_as_of(&records, as_of)
            .map_err(|failure| StoreError::Corrupt(format!("committee {committee_id}: {failure}")))
    }

    /// The composition of the committee with this code as the log stood at `as_of`, judged on
    /// that instant's local day: members in office, every breach and every waiver. `None` when
    /// no committee has the code. Reports call this for the start and the end of a period.
    pub async fn composition_as_of(
        &self,
        code: &str,
        as_of: DateTime<Utc>,
    ) -> Result<Option<CompositionCheck>, StoreError> {
        let Some(committee_id) = self.resolve_committee(code).await? else {
            return Ok(None);
        };
        let policy = self.committee_policy();
        let state = self
            .committee_state_as_of(committee_id, Some(AsOf::Instant(as_of)))
            .await?;
        let day = as_of.with_timezone(&policy.local_utc_offset).date_naive();
        Ok(Some(check_composition(&state, &policy, day)))
    }

    /// What changed in the committee with this code between two local days (both included), as
    /// the log stood at `as_of`: appointments, resignations, terms started and ended, waivers.
    /// `None` when no committee has the code. Reports pass the period's end as `as_of`, so a
    /// report for a past year equals the one generated then.
    pub async fn committee_changes_within(
        &self,
        code: &str,
        from: NaiveDate,
        to: NaiveDate,
        as_of: DateTime<Utc>,
    ) -> Result<Option<CompositionChanges>, StoreError> {
        let Some(committee_id) = self.resolve_committee(code).await? else {
            return Ok(None);
        };
        let policy = self.committee_policy();
        let state = self
            .committee_state_as_of(committee_id, Some(AsOf::Instant(as_of)))
            .await?;
        Ok(Some(state.changes_within(
            from,
            to,
            policy.local_utc_offset,
        )))
    }

    /// Everyone in office in the committee with this code on a local day, as the log stands now,
    /// with whether each votes. `None` when no committee has the code.
    pub async fn committee_roll(
        &self,
        code: &str,
        day: NaiveDate,
    ) -> Result<Option<Vec<RollEntry>>, StoreError> {
        let Some(committee_id) = self.resolve_committee(code).await? else {
            return Ok(None);
        };
        let state = self.committee_state_as_of(committee_id, None).await?;
        Ok(Some(roll_on(&state, &self.committee_policy(), day)))
    }

    /// Decides and records a committee command in one transaction.
    pub async fn execute_committee(
        &self,
        request: CommitteeCommandRequest,
    ) -> Result<CommitteeOutcome, StoreError> {
        let fingerprint = committee_request_fingerprint(&request)?;
        if let Some(outcome) = self
            .stored_committee_outcome(request.committee_id, request.command_id, &fingerprint)
            .await?
        {
            return Ok(outcome);
        }
        let command = request.command.clone();
        let actor = request.actor.clone();
        let expected = request.expected_sequence;
        let committee_id = request.committee_id;
        self.write_committee(
            request.committee_id,
            Some(CommandKey {
                command_id: request.command_id,
                request_sha256: fingerprint,
            }),
            move |state, policy, now| {
                if let Some(expected) = expected
                    && expected != state.sequence
                {
                    return Err(StoreError::Conflict {
                        project_id: committee_id,
                        expected,
                        current: state.sequence,
                    });
                }
                Ok(decide(state, policy, &command, &actor, now))
            },
        )
        .await
        .map(|(outcome, _)| outcome)
    }

    /// Records what time has made due for a committee (its term's warning, end and end-of-term
    /// report), each once; the records written (none when nothing was due).
    pub async fn tick_committee(
        &self,
        committee_id: Uuid,
    ) -> Result<Vec<CommitteeRecord>, StoreError> {
        let (_, records) = self
            .write_committee(committee_id, None, |state, _policy, now| {
                Ok(Ok(tick(state, now)))
            })
            .await?;
        Ok(records)
    }

    /// The outcome of a command id already recorded: the same request is answered as it was the
    /// first time; another request under the id is refused.
    async fn stored_committee_outcome(
        &self,
        committee_id: Uuid,
        command_id: Uuid,
        fingerprint: &str,
    ) -> Result<Option<CommitteeOutcome>, StoreError> {
        let rows = sqlx::query(&format!(
            "{RECORD_COLUMNS} WHERE command_id = $1 ORDER BY sequence"
        ))
        .bind(command_id.to_string())
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let records: Vec<CommitteeRecord> = rows.iter().map(record_of).collect::<Result<_, _>>()?;
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(None);
        };
        if first.committee_id != committee_id {
            return Err(StoreError::InvalidRequest(
                "this command id was already used for another committee: use a new key for each request".to_string(),
            ));
        }
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT request_sha256 FROM committee_commands WHERE command_id = $1",
        )
        .bind(command_id.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        // Commands recorded before fingerprints were kept have none, and answer as before.
        if stored.is_some_and(|stored| stored != fingerprint) {
            return Err(StoreError::CommandIdReused { command_id });
        }
        Ok(Some(CommitteeOutcome::Accepted {
            committee_id,
            first_sequence: first.sequence,
            last_sequence: last.sequence,
            head_hash: last.hash.to_hex(),
        }))
    }

    /// One write: read the log in a transaction, let `decide` answer events, seal and insert them
    /// with the projection and the notifications, commit; redo on a lost race.
    async fn write_committee<F>(
        &self,
        committee_id: Uuid,
        command: Option<CommandKey>,
        decide_events: F,
    ) -> Result<(CommitteeOutcome, Vec<CommitteeRecord>), StoreError>
    where
        F: Fn(
            &CommitteeState,
            &CommitteePolicy,
            DateTime<Utc>,
        ) -> Result<Result<Vec<CommitteeEvent>, Rejection>, StoreError>,
    {
        const ATTEMPTS: usize = 8;
        for _ in 0..ATTEMPTS {
            match self
                .attempt_committee_write(committee_id, command.as_ref(), &decide_events)
                .await?
            {
                Attempt::Done(outcome, records) => return Ok((outcome, records)),
                Attempt::LostRace => {}
            }
            // The race may have been lost to the same command sent twice at once: the winner's
            // outcome is the answer, not a second decision.
            if let Some(command) = &command
                && let Some(outcome) = self
                    .stored_committee_outcome(
                        committee_id,
                        command.command_id,
                        &command.request_sha256,
                    )
                    .await?
            {
                return Ok((outcome, Vec::new()));
            }
        }
        Err(StoreError::Database {
            database: self.database().to_string(),
            reason: format!("committee {committee_id}: too many concurrent writes; try again"),
            source: None,
        })
    }

    async fn attempt_committee_write<F>(
        &self,
        committee_id: Uuid,
        command: Option<&CommandKey>,
        decide_events: &F,
    ) -> Result<Attempt, StoreError>
    where
        F: Fn(
            &CommitteeState,
            &CommitteePolicy,
            DateTime<Utc>,
        ) -> Result<Result<Vec<CommitteeEvent>, Rejection>, StoreError>,
    {
        let database = |error: sqlx::Error| self.database_error(error);
        let mut connection = self.pool().acquire().await.map_err(database)?;
        // IMMEDIATE takes SQLite's write lock now rather than failing when a read turns into a
        // write; on PostgreSQL the committee's row is locked below.
        let mut transaction = match self.backend() {
            Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => connection.begin().await,
        }
        .map_err(database)?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT committee_id FROM committees WHERE committee_id = $1 FOR UPDATE")
                .bind(committee_id.to_string())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(database)?;
        }
        let rows = sqlx::query(&format!(
            "{RECORD_COLUMNS} WHERE committee_id = $1 ORDER BY sequence"
        ))
        .bind(committee_id.to_string())
        .fetch_all(&mut *transaction)
        .await
        .map_err(database)?;
        let existing: Vec<CommitteeRecord> =
            rows.iter().map(record_of).collect::<Result<_, _>>()?;
        let mut state = replay_as_of(&existing, AsOf::Sequence(u64::MAX)).map_err(|failure| {
            StoreError::Corrupt(format!("committee {committee_id}: {failure}"))
        })?;
        let policy = self.committee_policy();
        let now = self.clock().now();
        // Time never runs backwards in a log: a clock behind the last record is held at it.
        let now = existing
            .last()
            .map_or(now, |last| now.max(last.recorded_at));
        let events = match decide_events(&state, &policy, now)? {
            Ok(events) => events,
            Err(rejection) => {
                let _ = transaction.rollback().await;
                return Ok(Attempt::Done(
                    CommitteeOutcome::Rejected(rejection),
                    Vec::new(),
                ));
            }
        };
        if events.is_empty() {
            let _ = transaction.rollback().await;
            let head = existing.last();
            return Ok(Attempt::Done(
                CommitteeOutcome::Accepted {
                    committee_id,
                    first_sequence: head.map_or(0, |record| record.sequence + 1),
                    last_sequence: head.map_or(0, |record| record.sequence),
                    head_hash: head.map_or_else(
                        || Digest256::GENESIS.to_hex(),
                        |record| record.hash.to_hex(),
                    ),
                },
                Vec::new(),
            ));
        }
        let head = existing.last().map(CommitteeRecord::head);
        let records = seal_all(
            committee_id,
            head,
            command.map(|command| command.command_id),
            &events,
        )?;
        let mut notifications = Vec::new();
        for (event, record) in events.iter().zip(&records) {
            state.apply(event);
            for notice in committee_notices_for(&policy, &state, event) {
                notifications.push((record, notice));
            }
        }
        let inserted = self
            .insert_committee_writes(
                &mut transaction,
                committee_id,
                &state,
                &records,
                &notifications,
                command,
            )
            .await;
        let committed = match inserted {
            Ok(()) => transaction.commit().await,
            Err(error) => {
                let _ = transaction.rollback().await;
                Err(error)
            }
        };
        match committed {
            Ok(()) => {}
            Err(error) if is_unique_violation(&error) => {
                let message = super::describe_sqlx_error(&error);
                if message.contains("committees_code_key") || message.contains("committees.code") {
                    return Err(StoreError::InvalidRequest(
                        "another committee already has this code".to_string(),
                    ));
                }
                return Ok(Attempt::LostRace);
            }
            Err(error) if matches!(&error, sqlx::Error::Database(database) if matches!(database.code().as_deref(), Some("40P01" | "40001"))) =>
            {
                return Ok(Attempt::LostRace);
            }
            Err(error) => return Err(self.database_error(error)),
        }
        if !notifications.is_empty() {
            self.inner
                .signals
                .outbox_written
                .store(true, std::sync::atomic::Ordering::Release);
        }
        if let Some(next) = next_deadline(&state) {
            self.inner.signals.deadline_written_at(micros(next));
            self.announce_deadline(next).await;
        }
        self.inner.signals.after_commit();
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(Attempt::Done(
                CommitteeOutcome::Rejected(Rejection {
                    reasons: Vec::new(),
                }),
                Vec::new(),
            ));
        };
        Ok(Attempt::Done(
            CommitteeOutcome::Accepted {
                committee_id,
                first_sequence: first.sequence,
                last_sequence: last.sequence,
                head_hash: last.hash.to_hex(),
            },
            records,
        ))
    }

    /// Inserts a committee write's records, its projection row (when the committee is formed),
    /// its notifications and its command's fingerprint, within the caller's transaction.
    async fn insert_committee_writes(
        &self,
        connection: &mut AnyConnection,
        committee_id: Uuid,
        state: &CommitteeState,
        records: &[CommitteeRecord],
        notifications: &[(&CommitteeRecord, Notice)],
        command: Option<&CommandKey>,
    ) -> Result<(), sqlx::Error> {
        for record in records {
            // The record's transparency-log authenticator travels in its row to the queue.
            let authenticator = self.log_key().map(|key| {
                key.authenticate(
                    RecordKind::Committee,
                    &record.committee_id.to_string(),
                    record.sequence,
                    &record.hash.to_hex(),
                )
            });
            sqlx::query("INSERT INTO committee_records (committee_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash, log_authenticator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                .bind(record.committee_id.to_string())
                .bind(i64_of(record.sequence))
                .bind(micros(record.recorded_at))
                .bind(record.actor_id.clone())
                .bind(record.actor_role.clone())
                .bind(record.command_id.map(|id| id.to_string()))
                .bind(record.event_type.clone())
                .bind(i64::from(record.event_version))
                .bind(record.event.clone())
                .bind(record.previous_hash.to_hex())
                .bind(record.hash.to_hex())
                .bind(authenticator)
                .execute(&mut *connection)
                .await?;
        }
        let profile = state.profile.clone();
        if let (Some(profile), Some(last)) = (profile, records.last()) {
            let next = next_deadline(state);
            sqlx::query("INSERT INTO committees (committee_id, code, name_zh, name_en, field, legal_metrology, current_term, next_deadline_at, scheduler_lease_until, head_sequence, head_hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11) ON CONFLICT (committee_id) DO UPDATE SET code = excluded.code, name_zh = excluded.name_zh, name_en = excluded.name_en, field = excluded.field, legal_metrology = excluded.legal_metrology, current_term = excluded.current_term, next_deadline_at = excluded.next_deadline_at, scheduler_lease_until = NULL, head_sequence = excluded.head_sequence, head_hash = excluded.head_hash, updated_at = excluded.updated_at")
                .bind(committee_id.to_string())
                .bind(profile.code.clone())
                .bind(profile.name.zh.clone())
                .bind(profile.name.en.clone())
                .bind(profile.field.clone())
                .bind(i64::from(profile.legal_metrology))
                .bind(state.current_term().map(|term| i64::from(term.term)))
                .bind(next.map(micros))
                .bind(i64_of(last.sequence))
                .bind(last.hash.to_hex())
                .bind(micros(last.recorded_at))
                .execute(&mut *connection)
                .await?;
        }
        for (record, notice) in notifications {
            let notification_id = Uuid::new_v5(
                &record.committee_id,
                format!("committee/{}/{}", record.sequence, notice.audience).as_bytes(),
            );
            let body = serde_json::json!({
                "notification_id": notification_id,
                "audience": notice.audience,
                "event_type": notice.event_type,
                "committee": {
                    "id": record.committee_id,
                    "code": state.profile.as_ref().map(|profile| profile.code.clone()),
                    "name": state.profile.as_ref().map(|profile| profile.name.clone()),
                    "secretariat": state.secretariat.as_ref().map(|secretariat| secretariat.organisation.clone()),
                },
                "sequence": record.sequence,
                "record_hash": record.hash.to_hex(),
                "recorded_at": record.recorded_at,
                "what_happened": notice.what_happened,
                "what_next": notice.what_next,
            })
            .to_string();
            sqlx::query("INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7)")
                .bind(notification_id.to_string())
                .bind(record.committee_id.to_string())
                .bind(i64_of(record.sequence))
                .bind(notice.audience.clone())
                .bind(format!("committee.{}", notice.event_type))
                .bind(body)
                .bind(micros(record.recorded_at))
                .execute(&mut *connection)
                .await?;
        }
        if let Some(command) = command {
            insert_committee_command(&mut *connection, committee_id, command).await?;
        }
        Ok(())
    }

    /// Runs one statement outside the writer, for tests that prove the database refuses to change
    /// a log (the triggers of `committee_records` and `audit_records`).
    #[doc(hidden)]
    pub async fn execute_raw_for_tests(&self, statement: &str) -> Result<(), StoreError> {
        sqlx::query(statement)
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(|error| self.database_error(error))
    }

    /// The earliest instant a committee's term warning or end falls due.
    pub async fn earliest_committee_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let earliest: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_deadline_at) FROM committees WHERE next_deadline_at IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        earliest.map(instant).transpose()
    }

    /// Claims the committees whose term warning or end is due, leasing them until `lease_until`.
    pub async fn claim_due_committees(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, StoreError> {
        let claimed = self
            .claim_due(LeasedTable::COMMITTEES, now, lease_until, limit)
            .await?;
        Ok(claimed
            .into_iter()
            .map(|(committee_id, _)| committee_id)
            .collect())
    }

    /// Releases a claim that wrote nothing (another node was first).
    pub async fn release_committee_claim(&self, committee_id: Uuid) -> Result<(), StoreError> {
        sqlx::query("UPDATE committees SET scheduler_lease_until = NULL WHERE committee_id = $1")
            .bind(committee_id.to_string())
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }
}
