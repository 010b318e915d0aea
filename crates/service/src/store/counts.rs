//! Counts over the projection: projects per stage and committee, overdue, escalated and frozen,
//! for the bureau's overview and the `/metrics` gauges.

use super::Store;
use crate::error::StoreError;
use serde::Serialize;
use sqlx::Row;

/// How many projects are in one stage of one committee, and how many of them are in trouble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"committee": "SH-TC-01", "stage": "drafting", "projects": 4, "overdue": 1, "escalated": 1, "frozen": 0}))]
pub struct StageCount {
    /// The committee.
    pub committee: String,
    /// The stage.
    pub stage: String,
    /// Projects in it.
    pub projects: u64,
    /// Of which overdue.
    pub overdue: u64,
    /// Of which escalated to the bureau.
    pub escalated: u64,
    /// Of which frozen.
    pub frozen: u64,
}

impl Store {
    /// Projects per committee and stage, in committee and stage order.
    pub async fn stage_counts(&self) -> Result<Vec<StageCount>, StoreError> {
        let rows = sqlx::query(
            // PostgreSQL sums BIGINT into NUMERIC: cast back, so both backends give integers.
            "SELECT committee, stage, COUNT(*) AS projects, \
                    CAST(SUM(CASE WHEN overdue_since IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
                    CAST(SUM(escalated) AS BIGINT) AS escalated, CAST(SUM(frozen) AS BIGINT) AS frozen \
             FROM projects GROUP BY committee, stage ORDER BY committee, stage",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(&error))?;
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| self.database_error(&error);
                Ok(StageCount {
                    committee: row.try_get("committee").map_err(get)?,
                    stage: row.try_get("stage").map_err(get)?,
                    projects: count(row.try_get("projects").map_err(get)?),
                    overdue: count(row.try_get("overdue").map_err(get)?),
                    escalated: count(row.try_get("escalated").map_err(get)?),
                    frozen: count(row.try_get("frozen").map_err(get)?),
                })
            })
            .collect()
    }
}
