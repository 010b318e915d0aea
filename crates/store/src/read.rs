//! Reading: projects by id or code, lists with keyset pagination, history in pages and the state
//! as of an instant (verification and export are `verify.rs`'s).
//!
//! Long reads go page by page so that replaying a long log never holds it all in memory.

use super::page::{PageSize, cursor_fields, cursor_text};
use super::sql::Statement;
use super::write::fold_log_tail;
use super::{Store, instant, micros};
use crate::error::StoreError;
use serde::Serialize;
use specflow_engine::audit::{AsOf, AuditRecord, Digest256, Head};
use specflow_engine::event::EventBody;
use specflow_engine::{ProjectState, WorkflowDefinition, next_deadline};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::ops::ControlFlow;
use std::sync::Arc;
use uuid::Uuid;

/// The columns of a record, in the order `record_from_row` reads them.
pub(crate) const RECORD_COLUMNS: &str = "SELECT project_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash FROM audit_records";

/// The projection's columns, as [`Store::summary_from_row`] reads them.
macro_rules! project_columns {
    () => {
        "SELECT project_id, code, title_zh, title_en, specification_kind, committee, drafting_unit, definition_id, definition_version, stage, stage_since, terminal, next_deadline_at, next_due_on, overdue_since, escalated, frozen, head_sequence, head_hash, updated_at, flags"
    };
}

const PROJECT_COLUMNS: &str = concat!(project_columns!(), " FROM projects");

/// How many records a page of a long read holds.
const PAGE: i64 = 1000;

/// A project's row in the projection: what lists and boards show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectSummary {
    /// Its id.
    pub project_id: Uuid,
    /// Its human code.
    pub code: String,
    /// Its Chinese title.
    pub title_zh: String,
    /// Its English title.
    pub title_en: String,
    /// Its kind of specification.
    pub specification_kind: String,
    /// The flags it was given at creation, in order (such as `legal_or_livelihood_metrology`).
    pub flags: Vec<String>,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// The definition it follows.
    pub definition_id: String,
    /// The version of that definition.
    pub definition_version: u32,
    /// Its current stage.
    pub stage: String,
    /// Since when.
    pub stage_since: chrono::DateTime<chrono::Utc>,
    /// Whether the stage ends the lifecycle.
    pub terminal: bool,
    /// The next instant the scheduler has something to do (a warning, a deadline, an
    /// escalation), if any.
    pub next_deadline_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The next date something is due on, in the definition's zone: what people are shown as
    /// the next deadline ([`specflow_engine::next_due_on`]).
    pub next_due_on: Option<chrono::NaiveDate>,
    /// Since when it is overdue (the earliest missed deadline still running), if it is.
    pub overdue_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether an overdue deadline was escalated to the bureau.
    pub escalated: bool,
    /// Whether it is frozen.
    pub frozen: bool,
    /// Its head sequence.
    pub head_sequence: u64,
    /// Its head hash.
    pub head_hash: String,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ProjectSummary {
    /// The head of the project's log as the projection records it.
    pub fn head(&self) -> Result<Head, StoreError> {
        let hash = Digest256::from_hex(&self.head_hash).map_err(|_| {
            StoreError::Corrupt(format!(
                "project {}: head hash {}",
                self.project_id, self.head_hash
            ))
        })?;
        Ok(Head {
            sequence: self.head_sequence,
            hash,
        })
    }

    /// The projection row of a project whose log ends at `head` and replays to `state`: the row
    /// the writer stores in `projects` with those records.
    ///
    /// Public so that tools loading records in bulk (the scale benchmark) write exactly the row
    /// the store would. Instants missing from the state are stored as 0 (the Unix epoch).
    pub fn from_state(
        project_id: Uuid,
        state: &ProjectState,
        head: Head,
        definition: &WorkflowDefinition,
    ) -> Result<ProjectSummary, StoreError> {
        let Some(project) = &state.project else {
            return Err(StoreError::Corrupt(format!(
                "project {project_id} has records but no creation"
            )));
        };
        let stage = state.stage();
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        Ok(ProjectSummary {
            project_id,
            code: project.code.clone(),
            title_zh: project.title.zh.clone(),
            title_en: project.title.en.clone(),
            specification_kind: project.specification_kind.clone(),
            flags: project.flags.iter().cloned().collect(),
            committee: project.committee.clone(),
            drafting_unit: project.drafting_unit.clone(),
            definition_id: project.definition_id.clone(),
            definition_version: project.definition_version,
            stage: stage.to_string(),
            stage_since: state.stage_entered_at().unwrap_or(epoch),
            terminal: definition.stage(stage).is_some_and(|stage| stage.terminal),
            next_deadline_at: next_deadline(state).map(|deadline| deadline.at),
            next_due_on: specflow_engine::next_due_on(state),
            overdue_since: state
                .deadlines
                .iter()
                .filter(|entry| entry.is_open() && entry.missed)
                .filter_map(|entry| entry.times.map(|times| times.due_at))
                .min(),
            escalated: state
                .deadlines
                .iter()
                .any(|entry| entry.is_open() && entry.escalated),
            frozen: state.frozen.is_some(),
            head_sequence: head.sequence,
            head_hash: head.hash.to_hex(),
            updated_at: state.last_event_at.unwrap_or(epoch),
        })
    }
}

/// The project a write is for, with the facts fixed at its creation that decide who may write
/// to it ([`Store::resolve_write_target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTarget {
    /// The project's id.
    pub project_id: Uuid,
    /// Its code.
    pub code: String,
    /// The committee responsible for it.
    pub committee: String,
    /// The unit drafting it.
    pub drafting_unit: String,
}

/// A project with its full state and definition.
#[derive(Debug, Clone)]
pub struct ProjectView {
    /// The projection row.
    pub summary: ProjectSummary,
    /// The state, replayed.
    pub state: ProjectState,
    /// The definition it follows.
    pub definition: Arc<WorkflowDefinition>,
}

/// Which projects a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    /// Only this committee's.
    pub committee: Option<String>,
    /// Only those following this definition: stage codes are a definition's own, and two
    /// definitions may use one code for different stages.
    pub definition: Option<String>,
    /// Only those in this stage.
    pub stage: Option<String>,
    /// Only this drafting unit's.
    pub drafting_unit: Option<String>,
    /// Only overdue ones (or only those not overdue).
    pub overdue: Option<bool>,
    /// Only those given this flag at creation.
    pub flag: Option<String>,
}

/// Some stages of one registered definition version, for [`Store::list_projects_in_stages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionStages {
    /// The definition's id.
    pub definition_id: String,
    /// Its version.
    pub version: u32,
    /// The stages.
    pub stages: Vec<String>,
}

/// Which overdue projects the overdue board shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverdueFilter {
    /// Only this committee's.
    pub committee: Option<String>,
    /// Only those following this definition: stage codes are a definition's own, and two
    /// definitions may use one code for different stages.
    pub definition: Option<String>,
    /// Only those in this stage.
    pub stage: Option<String>,
    /// Only this drafting unit's.
    pub drafting_unit: Option<String>,
    /// Only escalated ones (or only those not escalated yet).
    pub escalated: Option<bool>,
    /// The order of the board.
    pub sort: OverdueSort,
}

/// The orders the overdue board can be read in, each served by an index from its first row, so
/// every page costs the same however deep it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OverdueSort {
    /// Longest overdue first (the bureau's usual reading).
    #[default]
    LongestOverdue,
    /// Most recently overdue first (what slipped lately).
    RecentlyOverdue,
    /// Committee by committee (in the order of their names), longest overdue first in each.
    Committee,
}

impl OverdueSort {
    /// Every sort, by its name in the API.
    pub const ALL: [OverdueSort; 3] = [
        OverdueSort::LongestOverdue,
        OverdueSort::RecentlyOverdue,
        OverdueSort::Committee,
    ];

    /// The name in the API (`sort=` in the query).
    pub fn name(self) -> &'static str {
        match self {
            OverdueSort::LongestOverdue => "longest_overdue",
            OverdueSort::RecentlyOverdue => "recently_overdue",
            OverdueSort::Committee => "committee",
        }
    }

    /// The sort of that name, if any.
    pub fn from_name(name: &str) -> Option<OverdueSort> {
        OverdueSort::ALL
            .into_iter()
            .find(|sort| sort.name() == name)
    }
}

/// A page of projects and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectListPage {
    /// The projects.
    pub items: Vec<ProjectSummary>,
    /// Pass this as `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

/// A column of the projects that filters name a value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectFacet {
    /// The committee a project belongs to.
    Committee,
    /// The unit drafting a project.
    DraftingUnit,
}

impl ProjectFacet {
    fn column(self) -> &'static str {
        match self {
            ProjectFacet::Committee => "committee",
            ProjectFacet::DraftingUnit => "drafting_unit",
        }
    }
}

/// A comment's words: what it says and why its latest disposition was decided so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentText {
    /// The comment's id within the project.
    pub comment_id: String,
    /// What it says.
    pub text: String,
    /// The reason given with its latest disposition, if any.
    pub reason: Option<String>,
}

/// A page of a project's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryPage {
    /// The records, in the form `docs/audit-format.md` describes.
    pub records: Vec<AuditRecord>,
    /// Pass this as `after_sequence` for the next page; `None` on the last page.
    pub next_after_sequence: Option<u64>,
}

/// Where a page of the overdue board starts: after this project, in the board's order. Its text
/// is `overdue_since_micros:project_id`, followed by `:committee` when sorting by committee.
struct OverdueCursor {
    overdue_since: i64,
    project_id: String,
    committee: Option<String>,
}

impl OverdueCursor {
    /// The cursor after `item`, for the board sorted by `sort`.
    fn after(item: &ProjectSummary, sort: OverdueSort) -> Option<String> {
        let since = micros(item.overdue_since?);
        Some(match sort {
            OverdueSort::Committee => cursor_text(&[&since, &item.project_id, &item.committee]),
            _ => cursor_text(&[&since, &item.project_id]),
        })
    }

    /// Reads a cursor of the board sorted by `sort`; a project id never holds `:`.
    fn parse(text: &str, sort: OverdueSort) -> Option<OverdueCursor> {
        let (since, project_id, committee) = match sort {
            OverdueSort::Committee => {
                let [since, project_id, committee] = cursor_fields::<3>(text)?;
                (since, project_id, Some(committee.to_string()))
            }
            _ => {
                let [since, project_id] = cursor_fields::<2>(text)?;
                (since, project_id, None)
            }
        };
        if project_id.contains(':') {
            return None;
        }
        Some(OverdueCursor {
            overdue_since: since.parse().ok()?,
            project_id: project_id.to_string(),
            committee,
        })
    }
}

/// Appends ` AND column = value` for each filter that is set.
fn push_equal_filters(statement: &mut Statement, filters: [(&str, &Option<String>); 4]) {
    for (column, value) in filters {
        if let Some(value) = value {
            statement
                .push(&format!(" AND {column} = "))
                .push_bind(value.clone());
        }
    }
}

fn flag(value: i64) -> bool {
    value != 0
}

impl Store {
    pub(crate) fn record_from_row(&self, row: &AnyRow) -> Result<AuditRecord, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let project: String = row.try_get("project_id").map_err(get)?;
        let command: Option<String> = row.try_get("command_id").map_err(get)?;
        let sequence: i64 = row.try_get("sequence").map_err(get)?;
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("record {sequence} of {project}: {what}"));
        Ok(AuditRecord {
            project_id: Uuid::parse_str(&project).map_err(|_| corrupt("project id"))?,
            sequence: u64::try_from(sequence).map_err(|_| corrupt("sequence"))?,
            recorded_at: instant(row.try_get("recorded_at").map_err(get)?)?,
            actor_id: row.try_get("actor_id").map_err(get)?,
            actor_role: row.try_get("actor_role").map_err(get)?,
            command_id: command
                .map(|id| Uuid::parse_str(&id).map_err(|_| corrupt("command id")))
                .transpose()?,
            event_type: row.try_get("event_type").map_err(get)?,
            event_version: u32::try_from(row.try_get::<i64, _>("event_version").map_err(get)?)
                .map_err(|_| corrupt("event version"))?,
            event: row.try_get("event").map_err(get)?,
            previous_hash: Digest256::from_hex(
                &row.try_get::<String, _>("previous_hash").map_err(get)?,
            )
            .map_err(|_| corrupt("previous hash"))?,
            hash: Digest256::from_hex(&row.try_get::<String, _>("hash").map_err(get)?)
                .map_err(|_| corrupt("hash"))?,
        })
    }

    fn summary_from_row(&self, row: &AnyRow) -> Result<ProjectSummary, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let project: String = row.try_get("project_id").map_err(get)?;
        let optional_instant = |value: Option<i64>| value.map(instant).transpose();
        let optional_date = |value: Option<String>| {
            value
                .map(|text| {
                    text.parse::<chrono::NaiveDate>().map_err(|_| {
                        StoreError::Corrupt(format!("project {project}: next due date {text}"))
                    })
                })
                .transpose()
        };
        Ok(ProjectSummary {
            project_id: Uuid::parse_str(&project)
                .map_err(|_| StoreError::Corrupt(format!("project id {project}")))?,
            code: row.try_get("code").map_err(get)?,
            title_zh: row.try_get("title_zh").map_err(get)?,
            title_en: row.try_get("title_en").map_err(get)?,
            specification_kind: row.try_get("specification_kind").map_err(get)?,
            flags: flags_of_column(&row.try_get::<String, _>("flags").map_err(get)?),
            committee: row.try_get("committee").map_err(get)?,
            drafting_unit: row.try_get("drafting_unit").map_err(get)?,
            definition_id: row.try_get("definition_id").map_err(get)?,
            definition_version: u32::try_from(
                row.try_get::<i64, _>("definition_version").map_err(get)?,
            )
            .map_err(|_| StoreError::Corrupt("definition version".to_string()))?,
            stage: row.try_get("stage").map_err(get)?,
            stage_since: instant(row.try_get("stage_since").map_err(get)?)?,
            terminal: flag(row.try_get("terminal").map_err(get)?),
            next_deadline_at: optional_instant(row.try_get("next_deadline_at").map_err(get)?)?,
            next_due_on: optional_date(row.try_get("next_due_on").map_err(get)?)?,
            overdue_since: optional_instant(row.try_get("overdue_since").map_err(get)?)?,
            escalated: flag(row.try_get("escalated").map_err(get)?),
            frozen: flag(row.try_get("frozen").map_err(get)?),
            head_sequence: u64::try_from(row.try_get::<i64, _>("head_sequence").map_err(get)?)
                .map_err(|_| StoreError::Corrupt("head sequence".to_string()))?,
            head_hash: row.try_get("head_hash").map_err(get)?,
            updated_at: instant(row.try_get("updated_at").map_err(get)?)?,
        })
    }

    /// The projection row of a project.
    pub async fn project_summary(
        &self,
        project_id: Uuid,
    ) -> Result<Option<ProjectSummary>, StoreError> {
        let row = sqlx::query(&format!("{PROJECT_COLUMNS} WHERE project_id = $1"))
            .bind(project_id.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        row.map(|row| self.summary_from_row(&row)).transpose()
    }

    /// The id of the project with this human code, typed as people type it (full-width
    /// brackets, stray spaces: [`specflow_engine::text::normalise_code`]).
    pub async fn project_id_by_code(&self, code: &str) -> Result<Option<Uuid>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT project_id FROM projects WHERE code = $1")
                .bind(specflow_engine::text::normalise_code(code))
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        id.map(|id| {
            Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(format!("project id {id}")))
        })
        .transpose()
    }

    /// Finds a project by id (a UUID) or by its human code.
    pub async fn resolve_project(&self, id_or_code: &str) -> Result<Uuid, StoreError> {
        Ok(self.resolve_project_summary(id_or_code).await?.project_id)
    }

    /// The projection of a project named by id (a UUID) or by its human code: one query when the
    /// name is what it looks like.
    pub async fn resolve_project_summary(
        &self,
        id_or_code: &str,
    ) -> Result<ProjectSummary, StoreError> {
        if let Ok(id) = Uuid::parse_str(id_or_code)
            && let Some(summary) = self.project_summary(id).await?
        {
            return Ok(summary);
        }
        self.project_summary_by_code(id_or_code).await
    }

    /// The projection of the project with this human code, typed as people type it; not found
    /// otherwise. What the `resolve_*` reads fall back to once the name is not a known id.
    async fn project_summary_by_code(&self, code: &str) -> Result<ProjectSummary, StoreError> {
        let row = sqlx::query(&format!("{PROJECT_COLUMNS} WHERE code = $1"))
            .bind(specflow_engine::text::normalise_code(code))
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        row.map(|row| self.summary_from_row(&row))
            .transpose()?
            .ok_or_else(|| StoreError::ProjectNotFound(code.to_string()))
    }

    /// A project's projection, current state and definition.
    pub async fn project(&self, project_id: Uuid) -> Result<Option<ProjectView>, StoreError> {
        let cached = self.cached_state(project_id);
        let after = cached.as_ref().map_or(0, |cached| cached.head.sequence);
        let Some((summary, tail)) = self.projection_and_tail(project_id, after).await? else {
            return Ok(None);
        };
        let head = summary.head()?;
        let state = match cached {
            // The cached state is the one the projection names, or one before it that the tail
            // read runs on from; one ahead of it (a commit since the read) is not used.
            Some(cached) if cached.head.sequence <= head.sequence => fold_log_tail(
                project_id,
                cached.state,
                cached.head.sequence,
                head.sequence,
                tail.as_deref(),
            )?,
            Some(_) => return self.project_view_of(summary).await.map(Some),
            None => fold_log_tail(
                project_id,
                ProjectState::new(),
                0,
                head.sequence,
                tail.as_deref(),
            )?,
        };
        if after < head.sequence {
            self.remember_read(project_id, state.clone(), head);
        }
        let definition = self
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        Ok(Some(ProjectView {
            summary,
            state,
            definition,
        }))
    }

    /// A project's projection by id, read for a write: the log's records since the cached state
    /// come with it in the same query, and the state they lead to is cached, so that the writer
    /// (which holds SQLite's write lock while it works, and decides a PostgreSQL batch alone)
    /// finds the state there instead of reading it itself. This read runs on the readers' pool,
    /// beside the writer.
    pub async fn project_summary_for_write(
        &self,
        project_id: Uuid,
    ) -> Result<Option<ProjectSummary>, StoreError> {
        let after = self.cached_head(project_id).map_or(0, |head| head.sequence);
        let Some((summary, tail)) = self.projection_and_tail(project_id, after).await? else {
            return Ok(None);
        };
        let head = summary.head()?;
        if head.sequence > after {
            let base = match self.cached_state(project_id) {
                Some(cached) if cached.head.sequence == after => Some(cached.state),
                None if after == 0 => Some(ProjectState::new()),
                // The cache moved on since its head was read: the writer reads what it needs.
                _ => None,
            };
            if let Some(base) = base {
                let state = fold_log_tail(project_id, base, after, head.sequence, tail.as_deref())?;
                self.remember_read(project_id, state, head);
            }
        }
        Ok(Some(summary))
    }

    /// The project a write names, by id or code, with the facts its access check needs.
    ///
    /// They are fixed at creation (no event changes a project's code, committee or drafting unit), so a state
    /// in the cache answers them without a query, however far behind another node's writes it
    /// is: the writer finds that out itself, by the log's key. Otherwise the projection is read
    /// as [`Store::resolve_project_summary_for_write`] reads it, bringing the state into the
    /// cache for the writer.
    pub async fn resolve_write_target(&self, id_or_code: &str) -> Result<WriteTarget, StoreError> {
        if let Ok(id) = Uuid::parse_str(id_or_code)
            && let Some(target) = self.cached_write_target(id)
        {
            return Ok(target);
        }
        self.resolve_project_summary_for_write(id_or_code)
            .await
            .map(|summary| WriteTarget {
                project_id: summary.project_id,
                code: summary.code,
                committee: summary.committee,
                drafting_unit: summary.drafting_unit,
            })
    }

    /// As [`Store::resolve_project_summary`], for a write ([`Store::project_summary_for_write`]
    /// when the name is an id).
    pub async fn resolve_project_summary_for_write(
        &self,
        id_or_code: &str,
    ) -> Result<ProjectSummary, StoreError> {
        if let Ok(id) = Uuid::parse_str(id_or_code)
            && let Some(summary) = self.project_summary_for_write(id).await?
        {
            return Ok(summary);
        }
        self.project_summary_by_code(id_or_code).await
    }

    /// A project's projection, and as one JSON text the log's records after `after` up to the
    /// head the projection names (`None` when there are none, [`fold_log_tail`] reads it): one
    /// query.
    async fn projection_and_tail(
        &self,
        project_id: Uuid,
        after: u64,
    ) -> Result<Option<(ProjectSummary, Option<String>)>, StoreError> {
        let sql = format!(
            concat!(
                project_columns!(),
                // The tail is looked up only when there is one: a cached state at the head needs
                // no probe of the log's index.
                ", CASE WHEN head_sequence > $2 THEN ({}) END AS log_tail FROM projects WHERE project_id = $1"
            ),
            self.log_tail_sql("projects.project_id", "projects.head_sequence")
        );
        let row = sqlx::query(&sql)
            .bind(project_id.to_string())
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let summary = self.summary_from_row(&row)?;
        let tail: Option<String> = row
            .try_get("log_tail")
            .map_err(|error| self.database_error(error))?;
        Ok(Some((summary, tail)))
    }

    /// A project named by id (a UUID) or by its human code, with its state and definition: by id,
    /// the projection and the log's records since the cached state come in one query.
    pub async fn resolve_project_view(&self, id_or_code: &str) -> Result<ProjectView, StoreError> {
        if let Ok(id) = Uuid::parse_str(id_or_code)
            && let Some(view) = self.project(id).await?
        {
            return Ok(view);
        }
        let summary = self.project_summary_by_code(id_or_code).await?;
        self.project_view_of(summary).await
    }

    /// The state and definition of a project whose projection the caller has just read: the
    /// projection names the log's head (both are written in one transaction), so a state cached
    /// at that head is used without asking the database again, and otherwise only the records
    /// after the cached one are read.
    pub async fn project_view_of(
        &self,
        summary: ProjectSummary,
    ) -> Result<ProjectView, StoreError> {
        // The definition first: loading it may take a connection of the pool, and a request
        // holding one connection while it waits for another deadlocks the pool once as many
        // requests as it has connections do so at once (seen under load, before the definition
        // was cached).
        let definition = self
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        let head = Some(summary.head()?).filter(|head| head.sequence > 0);
        if let Some(state) = head.and_then(|head| self.cached_state_at(summary.project_id, head)) {
            return Ok(ProjectView {
                summary,
                state,
                definition,
            });
        }
        let mut connection = self
            .pool()
            .acquire()
            .await
            .map_err(|error| self.database_error(error))?;
        let state = self
            .state_at_head(&mut connection, summary.project_id, head)
            .await?
            .state;
        drop(connection);
        Ok(ProjectView {
            summary,
            state,
            definition,
        })
    }

    /// Projects matching `filter`, ordered by code, `limit` at a time after the code `after`.
    pub async fn list_projects(
        &self,
        filter: &ProjectFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ProjectListPage, StoreError> {
        let size = PageSize::new(limit);
        let mut statement = Statement::new(format!("{PROJECT_COLUMNS} WHERE code > "));
        statement.push_bind(after.unwrap_or("").to_string());
        push_equal_filters(
            &mut statement,
            [
                ("committee", &filter.committee),
                ("definition_id", &filter.definition),
                ("stage", &filter.stage),
                ("drafting_unit", &filter.drafting_unit),
            ],
        );
        match filter.overdue {
            Some(true) => statement.push(" AND overdue_since IS NOT NULL"),
            Some(false) => statement.push(" AND overdue_since IS NULL"),
            None => &mut statement,
        };
        if let Some(flag) = &filter.flag {
            statement.push(" AND flags LIKE ");
            statement.push_bind(flag_pattern(flag));
            statement.push(" ESCAPE '!'");
        }
        self.page_by_code(statement, size).await
    }

    /// Projects standing in one of the stages given per definition version, ordered by code,
    /// `limit` at a time after the code `after`: the candidates of the public list, whose stages
    /// are those a project can be in once it became public (its caller confirms each).
    pub async fn list_projects_in_stages(
        &self,
        stages: &[DefinitionStages],
        after: Option<&str>,
        limit: u32,
    ) -> Result<ProjectListPage, StoreError> {
        let size = PageSize::new(limit);
        let stages: Vec<&DefinitionStages> = stages
            .iter()
            .filter(|entry| !entry.stages.is_empty())
            .collect();
        if stages.is_empty() {
            return Ok(ProjectListPage {
                items: Vec::new(),
                next_after: None,
            });
        }
        let mut statement = Statement::new(format!("{PROJECT_COLUMNS} WHERE code > "));
        statement.push_bind(after.unwrap_or("").to_string());
        statement.push(" AND (");
        for (index, entry) in stages.iter().enumerate() {
            statement.push(if index == 0 { "(" } else { " OR (" });
            statement
                .push("definition_id = ")
                .push_bind(entry.definition_id.clone());
            statement
                .push(" AND definition_version = ")
                .push_bind(i64::from(entry.version));
            statement
                .push(" AND stage IN (")
                .push_list(entry.stages.iter().cloned())
                .push("))");
        }
        statement.push(")");
        self.page_by_code(statement, size).await
    }

    /// Runs a `PROJECT_COLUMNS` query ordered by code, and cuts it to a page with its cursor.
    async fn page_by_code(
        &self,
        mut statement: Statement,
        size: PageSize,
    ) -> Result<ProjectListPage, StoreError> {
        statement.push(&format!(" ORDER BY code LIMIT {}", size.rows_to_read()));
        let rows = statement
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let mut items = rows
            .iter()
            .map(|row| self.summary_from_row(row))
            .collect::<Result<Vec<_>, _>>()?;
        let next_after = size.cut(&mut items, |item| item.code.clone());
        Ok(ProjectListPage { items, next_after })
    }

    /// Overdue projects, longest overdue first, `limit` at a time after the cursor
    /// `after` (as returned in `next_after`: `overdue_since_micros:project_id`).
    pub async fn list_overdue(
        &self,
        committee: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ProjectListPage, StoreError> {
        let filter = OverdueFilter {
            committee: committee.map(str::to_string),
            ..OverdueFilter::default()
        };
        self.list_overdue_matching(&filter, after, limit).await
    }

    /// Overdue projects matching `filter`, in the filter's order, `limit` at a time after the
    /// cursor `after` (as returned in `next_after`: `overdue_since_micros:project_id`, followed by
    /// `:committee` when sorting by committee).
    pub async fn list_overdue_matching(
        &self,
        filter: &OverdueFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ProjectListPage, StoreError> {
        let cursor = match after {
            Some(text) => Some(OverdueCursor::parse(text, filter.sort).ok_or_else(|| {
                StoreError::InvalidRequest(format!(
                    "`{text}` is not a cursor of the overdue list sorted by {}: pass the `next_after` of the previous page",
                    filter.sort.name()
                ))
            })?),
            None => None,
        };
        let size = PageSize::new(limit);
        let mut statement =
            Statement::new(format!("{PROJECT_COLUMNS} WHERE overdue_since IS NOT NULL"));
        // The cursor is compared as a row value: both databases then start an index range scan
        // at it (projects_overdue, backwards for the most recent first, or
        // projects_overdue_by_committee) and stop after the page. Spelt as
        // `a > $1 OR (a = $1 AND b > $2)`, PostgreSQL read a whole committee's overdue projects and
        // sorted them, and read every page from the start.
        if let Some(cursor) = cursor {
            match (filter.sort, cursor.committee) {
                (OverdueSort::Committee, Some(committee)) => {
                    statement
                        .push(" AND (committee, overdue_since, project_id) > (")
                        .push_bind(committee);
                    statement.push(", ");
                }
                (OverdueSort::RecentlyOverdue, _) => {
                    statement.push(" AND (overdue_since, project_id) < (");
                }
                _ => {
                    statement.push(" AND (overdue_since, project_id) > (");
                }
            }
            statement
                .push_bind(cursor.overdue_since)
                .push(", ")
                .push_bind(cursor.project_id)
                .push(")");
        }
        push_equal_filters(
            &mut statement,
            [
                ("committee", &filter.committee),
                ("definition_id", &filter.definition),
                ("stage", &filter.stage),
                ("drafting_unit", &filter.drafting_unit),
            ],
        );
        match filter.escalated {
            Some(true) => statement.push(" AND escalated = 1"),
            Some(false) => statement.push(" AND escalated = 0"),
            None => &mut statement,
        };
        let order = match filter.sort {
            OverdueSort::LongestOverdue => "overdue_since, project_id",
            OverdueSort::RecentlyOverdue => "overdue_since DESC, project_id DESC",
            OverdueSort::Committee => "committee, overdue_since, project_id",
        };
        statement.push(&format!(" ORDER BY {order} LIMIT {}", size.rows_to_read()));
        let rows = statement
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let mut items = rows
            .iter()
            .map(|row| self.summary_from_row(row))
            .collect::<Result<Vec<_>, _>>()?;
        let next_after = size
            .cut(&mut items, |item| OverdueCursor::after(item, filter.sort))
            .flatten();
        Ok(ProjectListPage { items, next_after })
    }

    /// A page of a project's history: up to `limit` records after `after_sequence`.
    pub async fn history(
        &self,
        project_id: Uuid,
        after_sequence: u64,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        let size = PageSize::new(limit);
        let rows = sqlx::query(&format!(
            "{RECORD_COLUMNS} WHERE project_id = $1 AND sequence > $2 ORDER BY sequence LIMIT {}",
            size.rows_to_read()
        ))
        .bind(project_id.to_string())
        .bind(i64::try_from(after_sequence).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let mut records = rows
            .iter()
            .map(|row| self.record_from_row(row))
            .collect::<Result<Vec<_>, _>>()?;
        let next_after_sequence = size.cut(&mut records, |record| record.sequence);
        Ok(HistoryPage {
            records,
            next_after_sequence,
        })
    }

    /// Whether some project has `value` in `facet`: one lookup in the facet's index.
    pub async fn project_facet_has(
        &self,
        facet: ProjectFacet,
        value: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM projects WHERE {} = $1 LIMIT 1",
            facet.column()
        ))
        .bind(value)
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(found.is_some())
    }

    /// The values projects have in `facet`, in order, at most `limit`: what an error about an
    /// unknown filter value lists, so it is read only then.
    pub async fn project_facet_values(
        &self,
        facet: ProjectFacet,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(&format!(
            "SELECT DISTINCT {column} FROM projects ORDER BY {column} LIMIT {limit}",
            column = facet.column()
        ))
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))
    }

    /// The project's comments as recorded, each with its text and its latest disposition's
    /// reason, as of a record or an instant: the project state keeps ids,
    /// organisations and clauses compactly, and the texts stay in the log, read here a page of
    /// comment records at a time.
    pub async fn comment_texts(
        &self,
        project_id: Uuid,
        as_of: AsOf,
    ) -> Result<Vec<CommentText>, StoreError> {
        let mut comments: Vec<CommentText> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut after = 0i64;
        let (bound, last) = match as_of {
            AsOf::Sequence(sequence) => ("sequence", i64::try_from(sequence).unwrap_or(i64::MAX)),
            AsOf::Instant(instant) => ("recorded_at", micros(instant)),
        };
        loop {
            let rows = sqlx::query(&format!(
                "{RECORD_COLUMNS} WHERE project_id = $1 AND sequence > $2 AND {bound} <= $3 AND event_type IN ('comment_recorded', 'comment_disposed') ORDER BY sequence LIMIT {PAGE}"
            ))
            .bind(project_id.to_string())
            .bind(after)
            .bind(last)
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            for row in &rows {
                let record = self.record_from_row(row)?;
                after = i64::try_from(record.sequence).unwrap_or(i64::MAX);
                let event = record.to_event().map_err(|error| {
                    StoreError::Corrupt(format!("record {}: {error}", record.sequence))
                })?;
                match event.body {
                    EventBody::CommentRecorded(comment) => {
                        index.insert(comment.comment_id.clone(), comments.len());
                        comments.push(CommentText {
                            comment_id: comment.comment_id,
                            text: comment.text,
                            reason: None,
                        });
                    }
                    EventBody::CommentDisposed {
                        comment_id, reason, ..
                    } => {
                        if let Some(&position) = index.get(&comment_id) {
                            comments[position].reason = reason;
                        }
                    }
                    _ => {}
                }
            }
            if (rows.len() as i64) < PAGE {
                return Ok(comments);
            }
        }
    }

    /// Hands a project's records to `visit` in order, read a page at a time so a long log is
    /// never held whole, until `visit` breaks off or the log ends.
    async fn each_record(
        &self,
        project_id: Uuid,
        mut visit: impl FnMut(&AuditRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = 0u64;
        loop {
            let page = self.history(project_id, after, PAGE as u32).await?;
            for record in &page.records {
                if visit(record)?.is_break() {
                    return Ok(());
                }
            }
            match page.next_after_sequence {
                Some(next) => after = next,
                None => return Ok(()),
            }
        }
    }

    /// The project's state as of a sequence number or an instant, by replaying a prefix of its log.
    pub async fn state_as_of(
        &self,
        project_id: Uuid,
        as_of: AsOf,
    ) -> Result<ProjectState, StoreError> {
        let mut state = ProjectState::new();
        self.each_record(project_id, |record| {
            let included = match as_of {
                AsOf::Sequence(sequence) => record.sequence <= sequence,
                AsOf::Instant(instant) => record.recorded_at <= instant,
            };
            if !included {
                return Ok(ControlFlow::Break(()));
            }
            let event = record.to_event().map_err(|error| {
                StoreError::Corrupt(format!("record {}: {error}", record.sequence))
            })?;
            state.apply_owned(event);
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        Ok(state)
    }

    /// Every project id that has records, `limit` at a time after `after`.
    pub async fn project_ids_with_records(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT project_id FROM audit_records WHERE project_id > $1 ORDER BY project_id LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        ids.iter()
            .map(|id| {
                Uuid::parse_str(id).map_err(|_| StoreError::Corrupt(format!("project id {id}")))
            })
            .collect()
    }
}

/// The `flags` column's text for a project's flags: each code between commas (`,a,b,`), or empty
/// when there are none, so that one flag is found with `LIKE '%,code,%'`.
pub(crate) fn flags_column(flags: &[String]) -> String {
    if flags.is_empty() {
        String::new()
    } else {
        format!(",{},", flags.join(","))
    }
}

/// The flags written in a `flags` column (`flags_column`).
fn flags_of_column(column: &str) -> Vec<String> {
    column
        .split(',')
        .filter(|flag| !flag.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `LIKE` pattern (with `!` as the escape) that finds one flag in a `flags` column: the
/// code's own `_`, `%` and `!` are escaped, so `a_b` never matches `axb`.
fn flag_pattern(flag: &str) -> String {
    let mut pattern = String::from("%,");
    for character in flag.chars() {
        if matches!(character, '_' | '%' | '!') {
            pattern.push('!');
        }
        pattern.push(character);
    }
    pattern.push_str(",%");
    pattern
}
