//! The overdue board: a project's line on it, and the whole board as CSV streamed page by page,
//! for the API's `format=csv` and the board page's download.

use crate::app::AppState;
use crate::app::problem::Problem;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_store::{OverdueFilter, ProjectSummary, Store};
use utoipa::ToSchema;
use uuid::Uuid;

/// How many rows the CSV export reads at a time.
const CSV_PAGE: u32 = 500;

/// One line of the overdue board.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverdueItem {
    /// The project.
    pub project_id: Uuid,
    /// The project's code (or, for a guard, its stable code).
    pub code: String,
    /// Its title in Chinese.
    pub title_zh: String,
    /// Its title in English.
    pub title_en: String,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// Its stage.
    pub stage: String,
    /// The stage's name from the project's definition, in the request's language (the API's
    /// board fills it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    /// When its missed deadline fell due: the start of the day after its due date, in the
    /// definition's zone.
    pub overdue_since: DateTime<Utc>,
    /// The missed deadline's due date, a local date in the definition's zone: the date people
    /// are shown.
    #[schema(value_type = String, format = Date, example = "2026-06-30")]
    pub due_on: NaiveDate,
    /// Whole days from the due date to today, both local dates in the definition's zone: 1 on
    /// the day after the due date.
    pub days_overdue: i64,
    /// Whether it was escalated to the bureau.
    pub escalated: bool,
    /// Whether it is frozen.
    pub frozen: bool,
    /// The next instant the scheduler has something to do for it, if any.
    pub next_deadline_at: Option<DateTime<Utc>>,
}

impl OverdueItem {
    /// The board's line for a project, with its definition's zone read from the store (which
    /// keeps the definitions in memory once read).
    pub async fn read(
        store: &Store,
        summary: ProjectSummary,
        now: DateTime<Utc>,
    ) -> Result<Option<OverdueItem>, specflow_store::StoreError> {
        let definition = store
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        Ok(OverdueItem::of(summary, now, definition.local_utc_offset))
    }

    /// The board's lines for a page of projects, those overdue.
    pub async fn read_all(
        store: &Store,
        summaries: Vec<ProjectSummary>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OverdueItem>, specflow_store::StoreError> {
        let mut items = Vec::with_capacity(summaries.len());
        for summary in summaries {
            items.extend(OverdueItem::read(store, summary, now).await?);
        }
        Ok(items)
    }

    /// The board's line for a project, `None` when it is not overdue; dates are local to
    /// `offset`, its definition's zone.
    pub fn of(
        summary: ProjectSummary,
        now: DateTime<Utc>,
        offset: FixedOffset,
    ) -> Option<OverdueItem> {
        let overdue_since = summary.overdue_since?;
        // A deadline falls due at the start of the day after its due date: the last instant
        // before it is on the due date.
        let due_on = (overdue_since - chrono::Duration::microseconds(1))
            .with_timezone(&offset)
            .date_naive();
        let today = now.with_timezone(&offset).date_naive();
        Some(OverdueItem {
            project_id: summary.project_id,
            code: summary.code,
            title_zh: summary.title_zh,
            title_en: summary.title_en,
            committee: summary.committee,
            drafting_unit: summary.drafting_unit,
            stage: summary.stage,
            stage_name: None,
            overdue_since,
            due_on,
            days_overdue: (today - due_on).num_days().max(0),
            escalated: summary.escalated,
            frozen: summary.frozen,
            next_deadline_at: summary.next_deadline_at,
        })
    }
}

/// The overdue board matching `filter` from `after` on, as CSV with a header row, streamed page
/// by page; the API's `format=csv` and the web board's download. The caller has checked
/// `can_supervise`.
pub async fn overdue_csv(
    state: &AppState,
    filter: OverdueFilter,
    after: Option<&str>,
) -> Result<Response, Problem> {
    // The first page is read before answering, so a bad cursor is a 400, not a cut stream.
    let first = state
        .store
        .list_overdue_matching(&filter, after, CSV_PAGE)
        .await?;
    Ok(csv_response(state.store.clone(), filter, first))
}

/// The CSV header row.
/// Dates are local dates in the definition's zone, as people read them (a spreadsheet is read by
/// people); the JSON carries the instant as well.
const CSV_HEADER: &str = "code,title_zh,title_en,committee,drafting_unit,stage,due_on,days_overdue,escalated,frozen,project_id\r\n";

/// One CSV field: quoted when it holds a separator, a quote or a line break; a text that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

async fn csv_rows(
    store: &Store,
    items: Vec<ProjectSummary>,
    now: DateTime<Utc>,
) -> Result<Bytes, specflow_store::StoreError> {
    let mut text = String::new();
    for item in OverdueItem::read_all(store, items, now).await? {
        let fields = [
            csv_field(&item.code),
            csv_field(&item.title_zh),
            csv_field(&item.title_en),
            csv_field(&item.committee),
            csv_field(&item.drafting_unit),
            csv_field(&item.stage),
            item.due_on.to_string(),
            item.days_overdue.to_string(),
            item.escalated.to_string(),
            item.frozen.to_string(),
            item.project_id.to_string(),
        ];
        text.push_str(&fields.join(","));
        text.push_str("\r\n");
    }
    Ok(Bytes::from(text))
}

/// One page of the CSV stream and where the stream goes next.
async fn csv_page(
    page: specflow_store::ProjectListPage,
    store: Store,
    filter: OverdueFilter,
) -> (
    Result<Bytes, std::io::Error>,
    (CsvCursor, Store, OverdueFilter),
) {
    let now = store.clock().now();
    let next = page.next_after.map_or(CsvCursor::Done, CsvCursor::Next);
    match csv_rows(&store, page.items, now).await {
        Ok(rows) => (Ok(rows), (next, store, filter)),
        Err(error) => {
            // The status is already sent: cutting the stream tells the client.
            tracing::error!(%error, "the overdue CSV export stopped");
            (
                Err(std::io::Error::other(error.to_string())),
                (CsvCursor::Done, store, filter),
            )
        }
    }
}

/// Where the CSV stream is.
enum CsvCursor {
    Header(specflow_store::ProjectListPage),
    Page(specflow_store::ProjectListPage),
    Next(String),
    Done,
}

fn csv_response(
    store: Store,
    filter: OverdueFilter,
    first: specflow_store::ProjectListPage,
) -> Response {
    let stream = futures_util::stream::unfold(
        (CsvCursor::Header(first), store, filter),
        |(cursor, store, filter)| async move {
            match cursor {
                CsvCursor::Header(first) => Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from_static(CSV_HEADER.as_bytes())),
                    (CsvCursor::Page(first), store, filter),
                )),
                CsvCursor::Page(page) => Some(csv_page(page, store, filter).await),
                CsvCursor::Next(after) => {
                    match store
                        .list_overdue_matching(&filter, Some(&after), CSV_PAGE)
                        .await
                    {
                        Ok(page) => Some(csv_page(page, store, filter).await),
                        Err(error) => {
                            // The status is already sent: cutting the stream tells the client.
                            tracing::error!(%error, "the overdue CSV export stopped");
                            Some((
                                Err(std::io::Error::other(error.to_string())),
                                (CsvCursor::Done, store, filter),
                            ))
                        }
                    }
                }
                CsvCursor::Done => None,
            }
        },
    );
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"overdue.csv\""),
    );
    response
}
