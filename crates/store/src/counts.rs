//! Counts over the projection: projects per stage and committee, overdue, escalated and frozen,
//! for the bureau's overview and the `/metrics` gauges; and the overdue board's chart, overdue
//! projects per committee and per month.

use super::{OverdueFilter, Store, micros};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

/// How many projects are in one stage of one committee, and how many of them are in trouble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The gauges `/metrics` shows beside the process's own, read now.
    pub async fn database_gauges(&self) -> Result<crate::metrics::DatabaseGauges, StoreError> {
        let counts = self.stage_counts().await?;
        let backlog = self.outbox_backlog().await?;
        let log = self.log_counts().await?;
        Ok(crate::metrics::DatabaseGauges::new(&counts, &backlog, &log))
    }

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
        .map_err(|error| self.database_error(error))?;
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| self.database_error(error);
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

/// Overdue projects of one committee, in total and by the month they fell overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueByMonth {
    /// The committee.
    pub committee: String,
    /// Its overdue projects matching the filter.
    pub total: u64,
    /// How many fell overdue in each month asked for, in the order of the months.
    pub per_month: Vec<u64>,
}

impl Store {
    /// Overdue projects matching `filter`, per committee, and per month for the months starting
    /// at `month_starts` (each month ends where the next starts; the last ends at `until`).
    ///
    /// One aggregate query over the overdue index: the months are ranges of `overdue_since`
    /// computed by the caller in its own time zone, so both databases count them alike.
    pub async fn overdue_by_month(
        &self,
        filter: &OverdueFilter,
        month_starts: &[DateTime<Utc>],
        until: DateTime<Utc>,
    ) -> Result<Vec<OverdueByMonth>, StoreError> {
        let mut bounds: Vec<i64> = month_starts.iter().map(|start| micros(*start)).collect();
        bounds.push(micros(until));
        let mut columns = String::new();
        for (index, pair) in bounds.windows(2).enumerate() {
            columns.push_str(&format!(
                ", CAST(SUM(CASE WHEN overdue_since >= {} AND overdue_since < {} THEN 1 ELSE 0 END) AS BIGINT) AS month_{index}",
                pair[0], pair[1]
            ));
        }
        let mut conditions = String::new();
        let mut values: Vec<String> = Vec::new();
        for (column, value) in [
            ("committee", &filter.committee),
            ("definition_id", &filter.definition),
            ("stage", &filter.stage),
            ("drafting_unit", &filter.drafting_unit),
        ] {
            if let Some(value) = value {
                values.push(value.clone());
                conditions.push_str(&format!(" AND {column} = ${}", values.len()));
            }
        }
        match filter.escalated {
            Some(true) => conditions.push_str(" AND escalated = 1"),
            Some(false) => conditions.push_str(" AND escalated = 0"),
            None => {}
        }
        let sql = format!(
            "SELECT committee, COUNT(*) AS total{columns} FROM projects WHERE overdue_since IS NOT NULL{conditions} GROUP BY committee ORDER BY committee"
        );
        let mut query = sqlx::query(&sql);
        for value in values {
            query = query.bind(value);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let count = |value: Option<i64>| u64::try_from(value.unwrap_or(0)).unwrap_or(0);
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| self.database_error(error);
                let per_month = (0..month_starts.len())
                    .map(|index| {
                        row.try_get::<Option<i64>, _>(format!("month_{index}").as_str())
                            .map(count)
                            .map_err(get)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(OverdueByMonth {
                    committee: row.try_get("committee").map_err(get)?,
                    total: count(Some(row.try_get("total").map_err(get)?)),
                    per_month,
                })
            })
            .collect()
    }
}
