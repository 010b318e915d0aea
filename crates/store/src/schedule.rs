//! What the deadline scheduler asks of the store: what falls due, claims on due projects, and
//! announcements of near deadlines to other nodes.
//!
//! Claims are leases on the project's row (`scheduler_lease_until`): a node claims a bounded batch
//! of due projects in one statement (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so nodes claiming
//! at once take different projects instead of queueing), ticks them, and releases the claims. A
//! node that dies mid-batch leaves leases that run out, and another node takes the projects then.
//! Exactly-once firing does not rest on the lease: a tick appends records at the next sequence
//! under the key `(project_id, sequence)`, and a tick of a deadline already fired finds nothing due.

use super::signals::DEADLINE_CHANNEL;
use super::sql::Statement;
use super::{Backend, Store, instant, micros};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

/// A project claimed by a scheduler, with the instant its next deadline fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimedProject {
    /// The project.
    pub project_id: Uuid,
    /// Its next deadline, as the projection had it when claimed.
    pub due_at: DateTime<Utc>,
}

/// A project whose next deadline falls due soon (`specflow deadlines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpcomingDeadline {
    /// The project.
    pub project_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its committee.
    pub committee: String,
    /// Its stage.
    pub stage: String,
    /// When its next deadline event falls due.
    pub due_at: DateTime<Utc>,
}

/// A table whose rows the scheduler leases while it fires their deadlines: its name and id
/// column. Both have `next_deadline_at` and `scheduler_lease_until`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeasedTable {
    table: &'static str,
    id: &'static str,
}

impl LeasedTable {
    /// Projects, by `project_id`.
    pub(crate) const PROJECTS: LeasedTable = LeasedTable {
        table: "projects",
        id: "project_id",
    };
    /// Committees, by `committee_id`.
    pub(crate) const COMMITTEES: LeasedTable = LeasedTable {
        table: "committees",
        id: "committee_id",
    };
}

impl Store {
    /// Wakes this process's scheduler when a commit sets an earlier deadline than it planned for.
    pub fn deadline_wake(&self) -> Arc<Notify> {
        self.inner.signals.deadline_wake()
    }

    /// Wakes this process's deliverer when a commit writes notifications.
    pub fn outbox_wake(&self) -> Arc<Notify> {
        self.inner.signals.outbox_wake()
    }

    /// The scheduler says when it plans to wake (`None`: it is not waiting), so that only a write
    /// setting an earlier deadline wakes it.
    pub fn plan_scheduler_wake(&self, at: Option<DateTime<Utc>>) {
        self.inner.signals.plan_wake(at.map_or(i64::MAX, micros));
    }

    /// The earliest next deadline committed in this process since the last call.
    pub fn take_earliest_deadline_written(&self) -> Option<DateTime<Utc>> {
        self.inner
            .signals
            .take_earliest_written()
            .and_then(|at| instant(at).ok())
    }

    /// Tells the schedulers of other nodes (PostgreSQL `NOTIFY`) of a deadline written at `at`,
    /// when it is near enough that their re-scan would find it late. Best effort: a lost
    /// announcement costs at most one re-scan interval.
    pub(crate) async fn announce_deadline(&self, at: DateTime<Utc>) {
        if self.inner.backend != Backend::Postgres {
            return;
        }
        let horizon = chrono::Duration::from_std(self.inner.options.deadline_announce_horizon)
            .unwrap_or(chrono::Duration::MAX);
        if at > self.inner.clock.now() + horizon {
            return;
        }
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(DEADLINE_CHANNEL)
            .bind(micros(at).to_string())
            .execute(self.pool())
            .await;
        if let Err(error) = sent {
            tracing::warn!(error = %super::describe_sqlx_error(&error), "could not announce a near deadline to other nodes");
        }
    }

    /// The earliest next deadline of any project, claimed or not.
    pub async fn earliest_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let earliest: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_deadline_at) FROM projects WHERE next_deadline_at IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        earliest.map(instant).transpose()
    }

    /// Claims up to `limit` projects whose next deadline is at or before `now` and that no other
    /// scheduler holds, earliest first, leasing them until `lease_until`.
    pub async fn claim_due_projects(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedProject>, StoreError> {
        let mut claimed = self
            .claim_due(LeasedTable::PROJECTS, now, lease_until, limit)
            .await?
            .into_iter()
            .map(|(project_id, due_at)| ClaimedProject { project_id, due_at })
            .collect::<Vec<_>>();
        // RETURNING gives rows in no set order: fire in due order.
        claimed.sort_by_key(|claim| (claim.due_at, claim.project_id));
        Ok(claimed)
    }

    /// Claims up to `limit` rows of `table` whose next deadline is at or before `now` and that no
    /// other scheduler holds, earliest first, leasing them until `lease_until`; each row's id and
    /// the deadline it was claimed for, in no set order.
    pub(crate) async fn claim_due(
        &self,
        table: LeasedTable,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let skip_locked = match self.inner.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // One process schedules an SQLite file; its write lock serialises claims anyway.
            Backend::Sqlite => "",
        };
        let LeasedTable { table, id } = table;
        // Ordered by the due instant alone, which the partial index on `next_deadline_at`
        // (`projects_due`, `committees_due`) gives: a second sort key would make PostgreSQL sort
        // every due row for each claim of a burst.
        let sql = format!(
            "UPDATE {table} SET scheduler_lease_until = $1 WHERE {id} IN (\
               SELECT {id} FROM {table} \
               WHERE next_deadline_at IS NOT NULL AND next_deadline_at <= $2 \
                 AND (scheduler_lease_until IS NULL OR scheduler_lease_until <= $2) \
               ORDER BY next_deadline_at LIMIT $3{skip_locked}) \
             RETURNING {id}, next_deadline_at"
        );
        let _turn = self.sqlite_write_turn().await;
        let rows = sqlx::query(&sql)
            .bind(micros(lease_until))
            .bind(micros(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        rows.iter()
            .map(|row| {
                let text: String = row.try_get(id).map_err(get)?;
                let due: Option<i64> = row.try_get("next_deadline_at").map_err(get)?;
                let row_id = Uuid::parse_str(&text)
                    .map_err(|_| StoreError::Corrupt(format!("{id} {text}")))?;
                Ok((row_id, instant(due.unwrap_or(0))?))
            })
            .collect()
    }

    /// Releases claims, so that a project's next deadline is not held back by an old lease.
    pub async fn release_claims(&self, project_ids: &[Uuid]) -> Result<(), StoreError> {
        for chunk in project_ids.chunks(500) {
            let _turn = self.sqlite_write_turn().await;
            let mut statement = Statement::new(
                "UPDATE projects SET scheduler_lease_until = NULL WHERE project_id IN (",
            );
            statement.push_list(chunk.iter().map(Uuid::to_string));
            statement.push(")");
            statement
                .execute(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        }
        Ok(())
    }

    /// Projects whose next deadline event falls due before `until`, earliest first; overdue
    /// deadlines not yet noticed come first.
    pub async fn upcoming_deadlines(
        &self,
        until: DateTime<Utc>,
        committee: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UpcomingDeadline>, StoreError> {
        let mut sql = "SELECT project_id, code, committee, stage, next_deadline_at FROM projects WHERE next_deadline_at IS NOT NULL AND next_deadline_at <= $1".to_string();
        if committee.is_some() {
            sql.push_str(" AND committee = $3");
        }
        sql.push_str(" ORDER BY next_deadline_at, project_id LIMIT $2");
        let mut query = sqlx::query(&sql)
            .bind(micros(until))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        if let Some(committee) = committee {
            query = query.bind(committee.to_string());
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| self.database_error(error);
                let id: String = row.try_get("project_id").map_err(get)?;
                Ok(UpcomingDeadline {
                    project_id: Uuid::parse_str(&id)
                        .map_err(|_| StoreError::Corrupt(format!("project id {id}")))?,
                    code: row.try_get("code").map_err(get)?,
                    committee: row.try_get("committee").map_err(get)?,
                    stage: row.try_get("stage").map_err(get)?,
                    due_at: instant(row.try_get("next_deadline_at").map_err(get)?)?,
                })
            })
            .collect()
    }
}
