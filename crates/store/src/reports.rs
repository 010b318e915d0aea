//! Reports: the records of a committee's projects (or of every project), up to a period's end,
//! fed one project at a time to the engine's [`ReportBuilder`].
//!
//! Project ids are read a page at a time and each project's records page by page, stopping at
//! the period's end, so a report holds one project's log at a time and never reads a record
//! written after the period: a report for a past year does not grow with today's database.
//! The one exception is an import: a project whose first record holds an imported history is
//! read even when that record was written after the period, for the engine to count what the
//! history dates within it (its first record only: the rest came later still).

use super::read::RECORD_COLUMNS;
use super::{Store, micros};
use crate::error::StoreError;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use specflow_engine::audit::AuditRecord;
use specflow_engine::committee::composition_section;
use specflow_engine::report::{
    CompositionSection, Report, ReportBuilder, ReportError, ReportKind, ReportPeriod,
    definition_as_of,
};
use sqlx::Row;
use uuid::Uuid;

/// How many project ids a report reads at a time.
const PROJECTS_PAGE: i64 = 200;

/// How many records a report reads at a time.
const RECORDS_PAGE: i64 = 1000;

/// What report to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// Annual, term or bureau-wide.
    pub kind: ReportKind,
    /// The committee; `None` for every committee.
    pub committee: Option<String>,
    /// The period's first local day.
    pub first_day: NaiveDate,
    /// The period's last local day (inclusive).
    pub last_day: NaiveDate,
}

impl From<ReportError> for StoreError {
    fn from(error: ReportError) -> StoreError {
        match error {
            ReportError::PeriodReversed { .. } | ReportError::PeriodOutOfRange { .. } => {
                StoreError::InvalidRequest(error.to_string())
            }
            ReportError::UnreadableRecord { .. } => StoreError::Corrupt(error.to_string()),
        }
    }
}

/// What the stored event of a project's first record holds when the project was imported with a
/// history (`"imported":{…}`; a project created here has none). It may match more (the engine
/// decides what counts), never less.
const IMPORTED_HISTORY_PATTERN: &str = "%\"imported\":{%";

impl Store {
    /// Whether any project belongs to `committee`: a committee is known by its projects.
    pub async fn committee_has_projects(&self, committee: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT project_id FROM projects WHERE committee = $1 LIMIT 1")
                .bind(committee)
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        Ok(found.is_some())
    }

    /// The UTC offset of the local days a report on `committee` (or on every committee) counts:
    /// that of the definition its first project follows; without a project (a committee known
    /// only by its record, or an empty database), that of the committee policy's local days.
    pub async fn report_offset(&self, committee: Option<&str>) -> Result<FixedOffset, StoreError> {
        let sql = match committee {
            Some(_) => {
                "SELECT definition_id, definition_version FROM projects WHERE committee = $1 ORDER BY project_id LIMIT 1"
            }
            None => {
                "SELECT definition_id, definition_version FROM projects ORDER BY project_id LIMIT 1"
            }
        };
        let mut query = sqlx::query(sql);
        if let Some(committee) = committee {
            query = query.bind(committee);
        }
        let row = query
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(self.committee_policy().local_utc_offset);
        };
        let id: String = row
            .try_get("definition_id")
            .map_err(|error| self.database_error(error))?;
        let version: i64 = row
            .try_get("definition_version")
            .map_err(|error| self.database_error(error))?;
        let version = u32::try_from(version)
            .map_err(|_| StoreError::Corrupt(format!("definition version {version}")))?;
        Ok(self.definition(&id, version).await?.local_utc_offset)
    }

    /// The ids of the projects of `committee` (of every committee when `None`) created before
    /// `end`, or imported with a history (which may date stages before `end` though written
    /// after it: the engine decides), `PROJECTS_PAGE` at a time after `after`.
    pub async fn report_project_ids(
        &self,
        committee: Option<&str>,
        end: DateTime<Utc>,
        after: Option<Uuid>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let committee_condition = if committee.is_some() {
            " AND p.committee = $4"
        } else {
            ""
        };
        let sql = format!(
            "SELECT p.project_id FROM projects p WHERE p.project_id > $1 \
             AND EXISTS (SELECT 1 FROM audit_records r WHERE r.project_id = p.project_id AND r.sequence = 1 \
             AND (r.recorded_at < $2 OR r.event LIKE $3))\
             {committee_condition} ORDER BY p.project_id LIMIT {PROJECTS_PAGE}"
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql)
            .bind(after.map(|id| id.to_string()).unwrap_or_default())
            .bind(micros(end))
            .bind(IMPORTED_HISTORY_PATTERN);
        if let Some(committee) = committee {
            query = query.bind(committee);
        }
        let ids = query
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        ids.iter()
            .map(|id| {
                Uuid::parse_str(id).map_err(|_| StoreError::Corrupt(format!("project id {id}")))
            })
            .collect()
    }

    /// One project's records before `end`, in order, read a page at a time.
    pub async fn records_before(
        &self,
        project_id: Uuid,
        end: DateTime<Utc>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut records = Vec::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!(
                "{RECORD_COLUMNS} WHERE project_id = $1 AND sequence > $2 AND recorded_at < $3 ORDER BY sequence LIMIT {RECORDS_PAGE}"
            ))
            .bind(project_id.to_string())
            .bind(after)
            .bind(micros(end))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == RECORDS_PAGE;
            for row in &rows {
                records.push(self.record_from_row(row)?);
            }
            match records.last() {
                Some(last) if full => {
                    after = i64::try_from(last.sequence)
                        .map_err(|_| StoreError::Corrupt("sequence".to_string()))?;
                }
                _ => return Ok(records),
            }
        }
    }

    /// A project's first record (its creation), whenever it was written.
    async fn first_record(&self, project_id: Uuid) -> Result<Option<AuditRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "{RECORD_COLUMNS} WHERE project_id = $1 AND sequence = 1"
        ))
        .bind(project_id.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        row.map(|row| self.record_from_row(&row)).transpose()
    }

    /// Computes a report by replaying, project by project, every record before the period's
    /// end, with the committee's composition from its own record when it has one.
    pub async fn report(&self, request: &ReportRequest) -> Result<Report, StoreError> {
        let offset = self.report_offset(request.committee.as_deref()).await?;
        let period = ReportPeriod::new(request.first_day, request.last_day, offset)?;
        let composition = match (&request.committee, request.kind) {
            (Some(code), ReportKind::Annual | ReportKind::Term) => {
                self.report_composition(code, &period).await?
            }
            _ => None,
        };
        let mut builder = ReportBuilder::new(request.kind, request.committee.clone(), period);
        let mut after = None;
        loop {
            let ids = self
                .report_project_ids(request.committee.as_deref(), period.end, after)
                .await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            for project_id in ids {
                let mut records = self.records_before(project_id, period.end).await?;
                if records.is_empty() {
                    // Imported after the period: its first record, whose history may date
                    // stages within it.
                    records = self.first_record(project_id).await?.into_iter().collect();
                }
                let Some((definition_id, version)) = definition_as_of(&records, period.end)? else {
                    continue;
                };
                let definition = self.definition(&definition_id, version).await?;
                builder.add_project(&records, &definition)?;
            }
            after = Some(last);
        }
        let mut report = builder.finish(composition);
        if let Some(code) = &request.committee {
            report.committee_name = self
                .list_committees()
                .await?
                .into_iter()
                .find(|committee| &committee.code == code)
                .map(|committee| committee.name);
        }
        Ok(report)
    }

    /// The composition section of a committee's report over `period`, from the committee's own
    /// log; `None` for a committee without a record (known only by its projects).
    ///
    /// The members at the start are judged on the first day as the log stood when it began; the
    /// members at the end, the changes and the waivers as the log stood at the period's end (the
    /// last microsecond before it, as the report ignores records at or after it), so a report
    /// for a past year equals the one generated then.
    pub async fn report_composition(
        &self,
        code: &str,
        period: &ReportPeriod,
    ) -> Result<Option<CompositionSection>, StoreError> {
        let last_instant = period.end - TimeDelta::microseconds(1);
        let Some(at_start) = self.composition_as_of(code, period.start).await? else {
            return Ok(None);
        };
        let Some(at_end) = self.composition_as_of(code, last_instant).await? else {
            return Ok(None);
        };
        let Some(changes) = self
            .committee_changes_within(code, period.first_day, period.last_day, last_instant)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(composition_section(
            &self.committee_policy(),
            &at_start,
            &at_end,
            &changes,
        )))
    }
}
