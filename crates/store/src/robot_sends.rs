//! How many messages each group robot was sent in the last minute, counted across nodes (issue
//! 20).
//!
//! The vendors limit a robot's messages a minute (DingTalk 20, and ten minutes' silence after
//! more), so the count must hold however many nodes deliver. Each message is a row of
//! `robot_sends`; a deliverer asks [`Store::take_robot_turn`] before posting, which decides and
//! notes the send in one transaction that robot's other callers wait for (PostgreSQL: an
//! advisory lock on the robot for the transaction; SQLite: its one writer).

use crate::error::StoreError;
use crate::tokens::secret_sha256;
use crate::{Backend, Store, instant, micros};
use chrono::{DateTime, Utc};

impl Store {
    /// Takes one of the robot at `url`'s `limit` messages per `window`: `None` when it may send
    /// now (and the send is counted), else when the oldest counted send leaves the window.
    pub async fn take_robot_turn(
        &self,
        url: &str,
        limit: usize,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let robot = secret_sha256(url);
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind(format!("robot_sends/{robot}"))
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
        }
        sqlx::query("DELETE FROM robot_sends WHERE robot_sha256 = $1 AND sent_at <= $2")
            .bind(&robot)
            .bind(micros(now - window))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        let sends: Vec<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM robot_sends WHERE robot_sha256 = $1 ORDER BY sent_at",
        )
        .bind(&robot)
        .fetch_all(&mut *transaction)
        .await
        .map_err(database)?;
        if sends.len() >= limit {
            let oldest = sends.first().copied().map(instant).transpose()?;
            return Ok(Some(oldest.map_or(now + window, |oldest| oldest + window)));
        }
        sqlx::query("INSERT INTO robot_sends (robot_sha256, sent_at) VALUES ($1, $2)")
            .bind(&robot)
            .bind(micros(now))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(None)
    }
}
