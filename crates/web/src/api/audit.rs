//! The auditors' routes (read-only, open to anyone who may read what they cover): a project's
//! history in pages with its hashes, its state as of an instant or a sequence, verification of a
//! project or of everything, and a streamed JSON Lines export.
//!
//! One project's log is read with `can_read_project` (its drafter and committee see it too);
//! what spans every project (verifying everything, the export) needs `can_read_everything`.
//! Verification is a POST because it is work, not a resource, but it changes nothing, so
//! auditors may run it.

use super::auth::Caller;
use super::input::QueryParams;
use super::wire::{ProjectVerificationAnswer, VerifyFailureView};
use crate::app::AppState;
use crate::app::audit::verify_one;
use crate::app::exports::audit_log;
use crate::app::moments::Moment;
use crate::app::problem::{Problem, require};
use crate::app::projects::{page_limit, readable_project};
use crate::app::spreadsheet::{self, SheetFormat};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use specflow_engine::audit::AsOf;
use specflow_engine::stored_record::RecordKind;
use specflow_store::Store;
use specflow_store::auth::{can_read_everything, can_read_project};
use std::collections::VecDeque;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// How many project ids whole-store work reads at a time.
const IDS_PAGE: u32 = 500;

/// How many records an export reads at a time.
const RECORDS_PAGE: u32 = 1000;

/// The query of `GET …/history`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The records after this sequence (the previous page's `next_after_sequence`).
    after: Option<u64>,
    /// How many records a page holds: 1 to 1000, 50 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `json` (the default), `csv` (UTF-8 with a byte-order mark, for Excel) or `xlsx` (an Excel
    /// workbook); without it, an `Accept` naming `text/csv` or the workbook's type chooses. Both
    /// hold the whole log (sequence, local time, actor, role, the event in words, hash), headers
    /// in the request's language.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// `GET /api/v1/projects/{project}/history`: records after `after`, each with its hashes; with
/// `format=csv` or `format=xlsx`, the whole log as CSV or an Excel workbook.
#[utoipa::path(
    get,
    path = "/projects/{project}/history",
    tag = "audit",
    params(super::params::ProjectPath, HistoryQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the project's audit records, or with `format=csv` or `format=xlsx` the whole log as CSV or an Excel workbook", content(
        (super::wire::HistoryPage = "application/json"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn history(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: axum::http::HeaderMap,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<Response, Problem> {
    let limit = page_limit(query.limit)?;
    let sheet = SheetFormat::requested(query.format.as_deref(), &headers, &["json"])?;
    let project_id = readable_project(&state, &principal, &id_or_code).await?;
    if let Some(format) = sheet {
        let language = crate::app::problem::language_of(&headers);
        let (code, table) = audit_log(&state, project_id, language).await?;
        return spreadsheet::download(format, &format!("history-{code}"), &[table]);
    }
    let mut page: super::wire::HistoryPage = state
        .store
        .history(
            project_id,
            sequence_param("after", query.after)?.unwrap_or(0),
            limit,
        )
        .await?
        .into();
    // The records in words, with the names of the definition the project follows.
    let summary = state
        .store
        .project_summary(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(&id_or_code))?;
    let definition = state
        .store
        .definition(&summary.definition_id, summary.definition_version)
        .await?;
    let language = crate::app::problem::language_of(&headers);
    page.readable = page
        .records
        .iter()
        .map(|record| super::wire::ReadableRecord {
            sequence: record.sequence,
            recorded_at_local: specflow_engine::render::local_time(record.recorded_at, &definition),
            actor_role_name: definition
                .role_name(&record.actor_role)
                .get(language)
                .to_string(),
            summary: match record.to_event() {
                Ok(event) => {
                    specflow_engine::render::event_summary(&event.body, &definition, language)
                }
                Err(_) => record.event_type.clone(),
            },
        })
        .collect();
    Ok(Json(page).into_response())
}

/// Checks a sequence parameter. The log keeps sequences as 64-bit signed integers, so a larger
/// one can name no record; it is refused rather than quietly read as the largest, so that the
/// API does what its document (an `int64`) says.
fn sequence_param(name: &str, value: Option<u64>) -> Result<Option<u64>, Problem> {
    match value {
        Some(sequence) if i64::try_from(sequence).is_err() => Err(Problem::invalid(
            name,
            format!("{name} 应为 0 至 {} 之间的序号，收到 {sequence}", i64::MAX),
            format!(
                "{name} must be a sequence from 0 to {}, not {sequence}",
                i64::MAX
            ),
        )),
        other => Ok(other),
    }
}

/// The query of `GET …/state`: exactly one of them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// A local date in the project's definition's zone, meaning the end of that day
    /// (`2026-03-01`), or an RFC 3339 instant (`2026-03-01T09:00:00+08:00`); before the project
    /// was created is a 400.
    #[param(example = "2026-03-01T00:00:00+08:00")]
    as_of: Option<String>,
    /// A sequence of the project's log, from 1 to its last record; past it is a 400.
    sequence: Option<u64>,
}

/// A project's state as of a point of its log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StateAnswer {
    /// The project.
    pub project_id: Uuid,
    /// The instant asked for, when the query gave one.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// The sequence asked for, when the query gave one.
    pub sequence: Option<u64>,
    /// The stage the project was in at that point.
    pub stage: String,
    /// That stage's name from the project's definition, in the request's language.
    #[serde(default)]
    pub stage_name: String,
    /// The project's state at that point.
    pub state: super::wire::ProjectStateView,
}

/// `GET /api/v1/projects/{project}/state?as_of=RFC3339` or `?sequence=N`: the state replayed
/// from the log up to that point.
#[utoipa::path(
    get,
    path = "/projects/{project}/state",
    tag = "audit",
    params(super::params::ProjectPath, StateQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The state replayed up to that point", body = StateAnswer))
)]
pub async fn state_as_of(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: axum::http::HeaderMap,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<StateQuery>,
) -> Result<Json<StateAnswer>, Problem> {
    let sequence = sequence_param("sequence", query.sequence)?.map(|sequence| sequence.to_string());
    if query.as_of.is_none() && sequence.is_none() {
        return Err(Problem::invalid(
            "as_of",
            "请给出 as_of 或 sequence 之一",
            "Give exactly one of as_of and sequence",
        ));
    }
    let project_id = readable_project(&state, &principal, &id_or_code).await?;
    let view = state
        .store
        .project(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(&id_or_code))?;
    let offset = view.definition.local_utc_offset;
    let moment = Moment::read(query.as_of.as_deref(), sequence.as_deref(), offset)?.check(
        view.summary.head_sequence,
        view.state.visits.first().map(|visit| visit.entered_at),
        offset,
    )?;
    let Some(as_of) = moment.as_of() else {
        return Err(Problem::invalid(
            "as_of",
            "请给出 as_of 或 sequence 之一",
            "Give exactly one of as_of and sequence",
        ));
    };
    let replayed = state.store.state_as_of(project_id, as_of).await?;
    let (as_of, sequence) = match as_of {
        AsOf::Instant(instant) => (Some(instant), None),
        AsOf::Sequence(sequence) => (None, Some(sequence)),
    };
    Ok(Json(StateAnswer {
        project_id,
        as_of,
        sequence,
        stage: replayed.stage().to_string(),
        stage_name: view
            .definition
            .stage_name(replayed.stage())
            .get(crate::app::problem::language_of(&headers))
            .to_string(),
        state: replayed.into(),
    }))
}

/// `POST /api/v1/projects/{project}/verify`: checks the project's hash chain and that it ends
/// where the projection says. 200 either way: `valid` says which.
#[utoipa::path(
    post,
    path = "/projects/{project}/verify",
    tag = "audit",
    params(super::params::ProjectPath),
    security(("bearer" = [])),
    responses((status = 200, description = "What the verification found: `valid` says whether the chain holds", body = ProjectVerificationAnswer))
)]
pub async fn verify_project(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
) -> Result<Json<ProjectVerificationAnswer>, Problem> {
    let project_id = readable_project(&state, &principal, &id_or_code).await?;
    Ok(Json(verify_one(&state.store, project_id).await?.into()))
}

/// What verifying everything found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoreVerification {
    /// Whether every project's and every committee's chain holds.
    pub valid: bool,
    /// Projects checked.
    pub projects: u64,
    /// Committees checked.
    pub committees: u64,
    /// Records checked, of projects and committees.
    pub records: u64,
    /// Every project whose chain broke.
    pub failures: Vec<ProjectVerificationAnswer>,
    /// Every committee whose chain broke.
    pub committee_failures: Vec<CommitteeChainFailure>,
}

/// A committee's chain that does not hold.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitteeChainFailure {
    /// The committee's id as its records store it (a malformed one included).
    pub committee_id: String,
    /// Where and why the chain broke.
    pub failure: VerifyFailureView,
}

/// `POST /api/v1/verify`: verifies every project's log and every committee's, reading ids a page
/// at a time.
#[utoipa::path(
    post,
    path = "/verify",
    tag = "audit",
    security(("bearer" = [])),
    responses((status = 200, description = "What verifying every project's and committee's log found", body = StoreVerification))
)]
pub async fn verify_everything(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<StoreVerification>, Problem> {
    require(&principal, can_read_everything(&principal), "verify")?;
    let mut answer = StoreVerification {
        valid: true,
        projects: 0,
        committees: 0,
        records: 0,
        failures: Vec::new(),
        committee_failures: Vec::new(),
    };
    let mut after = None;
    loop {
        let ids = state
            .store
            .project_ids_with_records(after, IDS_PAGE)
            .await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        for project_id in ids {
            let verification = verify_one(&state.store, project_id).await?;
            answer.projects += 1;
            answer.records += verification.records.unwrap_or(0);
            if !verification.valid {
                answer.valid = false;
                answer.failures.push(verification.into());
            }
        }
        after = Some(last);
    }
    verify_committee_chains(&state.store, &mut answer).await?;
    Ok(Json(answer))
}

/// Verifies every committee's chain into `answer`, reading committee ids (as stored) a page at a
/// time.
async fn verify_committee_chains(
    store: &Store,
    answer: &mut StoreVerification,
) -> Result<(), Problem> {
    let mut after: Option<String> = None;
    loop {
        let subjects = store
            .chains_with_records(RecordKind::Committee, after.as_deref(), IDS_PAGE)
            .await?;
        let Some(last) = subjects.last().cloned() else {
            return Ok(());
        };
        for committee_id in subjects {
            answer.committees += 1;
            match store
                .verify_chain(RecordKind::Committee, &committee_id)
                .await?
            {
                Ok(head) => answer.records += head.records,
                Err(failure) => {
                    tracing::error!(%committee_id, %failure, "a committee's audit log does not verify");
                    answer.valid = false;
                    answer.committee_failures.push(CommitteeChainFailure {
                        committee_id,
                        failure: failure.into(),
                    });
                }
            }
        }
        after = Some(last);
    }
}

/// The query of `GET /export`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this project's records (its id or code).
    project: Option<String>,
}

/// Where an export stream is: the chains of each kind in turn (projects, then committees), each
/// read as stored a page at a time, so a record that no longer parses is exported as it is.
struct ExportCursor {
    store: Store,
    /// The kinds still to list, in order.
    kinds: VecDeque<RecordKind>,
    /// The kind being listed and where its next page of subjects starts; `None` when only the
    /// queued chains are exported (one project).
    listing: Option<(RecordKind, Option<String>)>,
    /// Chains still to export.
    queue: VecDeque<(RecordKind, String)>,
    /// The chain being exported and the last sequence sent.
    current: Option<(RecordKind, String, i64)>,
    /// The transparency log's lines, written after every record (whole exports only).
    log: Option<specflow_store::log_export::LogExport>,
    failed: bool,
}

impl ExportCursor {
    /// The next chunk of lines, `None` at the end.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some((kind, subject, after)) = self.current.take() {
                let page = match self
                    .store
                    .stored_records_page(kind, &subject, after, RECORDS_PAGE as usize)
                    .await
                {
                    Ok(page) => page,
                    Err(error) => return Some(self.fail(&error)),
                };
                let Some(last) = page.last().map(|record| record.sequence) else {
                    continue;
                };
                if let Some(log) = &mut self.log {
                    log.exported(kind, &subject, u64::try_from(last).unwrap_or(0));
                }
                self.current = Some((kind, subject, last));
                let mut text = String::new();
                for record in &page {
                    match serde_json::to_string(record) {
                        Ok(line) => {
                            text.push_str(&line);
                            text.push('\n');
                        }
                        Err(error) => {
                            return Some(
                                self.fail(&specflow_store::StoreError::Corrupt(error.to_string())),
                            );
                        }
                    }
                }
                return Some(Ok(Bytes::from(text)));
            }
            if let Some((kind, subject)) = self.queue.pop_front() {
                self.current = Some((kind, subject, 0));
                continue;
            }
            let (kind, after) = match self.listing.take() {
                Some(listing) => listing,
                None => match self.kinds.pop_front() {
                    Some(kind) => (kind, None),
                    None => return self.next_log_chunk().await,
                },
            };
            match self
                .store
                .chains_with_records(kind, after.as_deref(), IDS_PAGE)
                .await
            {
                Ok(subjects) => {
                    if let Some(last) = subjects.last() {
                        self.listing = Some((kind, Some(last.clone())));
                    }
                    self.queue
                        .extend(subjects.into_iter().map(|subject| (kind, subject)));
                }
                Err(error) => return Some(self.fail(&error)),
            }
        }
    }

    /// The next chunk of the transparency log's lines, once every record is sent.
    async fn next_log_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let log = self.log.as_mut()?;
        match self.store.log_export_page(log).await {
            Ok(Some(lines)) => Some(Ok(Bytes::from(lines))),
            Ok(None) => None,
            Err(error) => Some(self.fail(&error)),
        }
    }

    fn fail(&mut self, error: &specflow_store::StoreError) -> Result<Bytes, std::io::Error> {
        // The status is already sent: cutting the stream short tells the client.
        tracing::error!(%error, "the export stopped");
        self.failed = true;
        Err(std::io::Error::other(error.to_string()))
    }
}

/// `GET /api/v1/export`: every record, projects' then committees', then the transparency log's
/// leaves and checkpoints (or one project's records alone, with `project`), as stored, as JSON
/// Lines in the form `docs/audit-format.md` describes, streamed page by page.
#[utoipa::path(
    get,
    path = "/export",
    tag = "audit",
    params(ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Every record, one JSON object a line (docs/audit-format.md)", content_type = "application/x-ndjson", body = String))
)]
pub async fn export(
    State(state): State<AppState>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams<ExportQuery>,
) -> Result<Response, Problem> {
    require(&principal, can_read_everything(&principal), "export")?;
    let cursor = match &query.project {
        Some(id_or_code) => {
            let project_id = state.store.resolve_project(id_or_code).await?;
            // Everyone here may read every project; asked anyway so the rule has one place.
            if let Some(summary) = state.store.project_summary(project_id).await? {
                require(
                    &principal,
                    can_read_project(&principal, &summary.committee, project_id),
                    id_or_code,
                )?;
            }
            ExportCursor {
                store: state.store.clone(),
                kinds: VecDeque::new(),
                listing: None,
                queue: VecDeque::from([(RecordKind::Project, project_id.to_string())]),
                current: None,
                // One project's leaves could not rebuild any root: no log lines.
                log: None,
                failed: false,
            }
        }
        None => ExportCursor {
            store: state.store.clone(),
            kinds: VecDeque::from([RecordKind::Project, RecordKind::Committee]),
            listing: None,
            queue: VecDeque::new(),
            current: None,
            log: Some(state.store.begin_log_export().await?),
            failed: false,
        },
    };
    let stream = futures_util::stream::unfold(cursor, |mut cursor| async move {
        let chunk = cursor.next_chunk().await?;
        Some((chunk, cursor))
    });
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::sequence_param;

    #[test]
    fn a_sequence_past_what_the_log_can_hold_is_refused() {
        assert_eq!(sequence_param("after", None).ok(), Some(None));
        assert_eq!(
            sequence_param("after", Some(i64::MAX as u64)).ok(),
            Some(Some(i64::MAX as u64))
        );
        let refused = sequence_param("sequence", Some(i64::MAX as u64 + 1)).err();
        assert_eq!(
            refused.map(|problem| problem.extensions["field"].clone()),
            Some(serde_json::json!("sequence"))
        );
    }
}
