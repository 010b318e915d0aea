//! The overdue board: a project's line on it, and the whole board as a download for the API's
//! `format=csv|xlsx` and the board page's links: CSV streamed page by page, or a workbook, both
//! through `spreadsheet` with headers in the reader's language and local dates.

use crate::app::AppState;
use crate::app::problem::Problem;
use crate::app::spreadsheet::{self, Cell, SheetFormat, Table};
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::Language;
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

/// The overdue board matching `filter` from `after` on, as a download: CSV streamed page by page
/// (its headers in `language`), or a workbook of every row; the API's `format=csv|xlsx` and the
/// web board's downloads. The caller has checked `can_supervise`.
pub async fn overdue_export(
    state: &AppState,
    filter: OverdueFilter,
    after: Option<&str>,
    format: SheetFormat,
    language: Language,
) -> Result<Response, Problem> {
    // The first page is read before answering, so a bad cursor is a 400, not a cut stream.
    let first = state
        .store
        .list_overdue_matching(&filter, after, CSV_PAGE)
        .await?;
    match format {
        SheetFormat::Csv => Ok(csv_response(state.store.clone(), filter, first, language)),
        SheetFormat::Xlsx => {
            let table = board_table(&state.store, &filter, first, language).await?;
            spreadsheet::download(SheetFormat::Xlsx, EXPORT_NAME, &[table])
        }
    }
}

/// The name of the board's downloads.
const EXPORT_NAME: &str = "overdue";

/// The board's column headers in `language`.
fn board_headers(language: Language) -> Vec<String> {
    [
        ("编号", "Code"),
        ("中文名称", "Title (Chinese)"),
        ("英文名称", "Title (English)"),
        ("技术委员会", "Committee"),
        ("起草单位", "Drafting unit"),
        ("阶段", "Stage"),
        ("到期日", "Due on"),
        ("逾期天数", "Days overdue"),
        ("已上报", "Escalated"),
        ("已冻结", "Frozen"),
        ("项目标识", "Project id"),
    ]
    .iter()
    .map(|(zh, en)| language.pick(*zh, *en).to_string())
    .collect()
}

fn yes_no(value: bool, language: Language) -> Cell {
    Cell::text(if value {
        language.pick("是", "yes")
    } else {
        language.pick("否", "no")
    })
}

/// The board's rows for a page of projects, those overdue, with their stage's name in `language`.
async fn board_rows(
    store: &Store,
    summaries: Vec<ProjectSummary>,
    now: DateTime<Utc>,
    language: Language,
) -> Result<Vec<Vec<Cell>>, specflow_store::StoreError> {
    let mut rows = Vec::with_capacity(summaries.len());
    for summary in summaries {
        let definition = store
            .definition(&summary.definition_id, summary.definition_version)
            .await?;
        let stage = definition
            .stage_name(&summary.stage)
            .get(language)
            .to_string();
        let Some(item) = OverdueItem::of(summary, now, definition.local_utc_offset) else {
            continue;
        };
        rows.push(vec![
            Cell::text(item.code),
            Cell::text(item.title_zh),
            Cell::text(item.title_en),
            Cell::text(item.committee),
            Cell::text(item.drafting_unit),
            Cell::text(stage),
            Cell::Date(item.due_on),
            Cell::Integer(item.days_overdue),
            yes_no(item.escalated, language),
            yes_no(item.frozen, language),
            Cell::text(item.project_id.to_string()),
        ]);
    }
    Ok(rows)
}

/// The whole board from `first` on as one table, for a workbook.
async fn board_table(
    store: &Store,
    filter: &OverdueFilter,
    first: specflow_store::ProjectListPage,
    language: Language,
) -> Result<Table, Problem> {
    let now = store.clock().now();
    let mut rows = Vec::new();
    let mut page = first;
    loop {
        rows.extend(board_rows(store, page.items, now, language).await?);
        spreadsheet::check_rows(rows.len())?;
        let Some(after) = page.next_after else {
            break;
        };
        page = store
            .list_overdue_matching(filter, Some(&after), CSV_PAGE)
            .await?;
    }
    Ok(Table {
        title: language.pick("逾期看板", "Overdue board").to_string(),
        headers: board_headers(language),
        rows,
    })
}

async fn csv_rows(
    store: &Store,
    items: Vec<ProjectSummary>,
    now: DateTime<Utc>,
    language: Language,
) -> Result<Bytes, specflow_store::StoreError> {
    let text: String = board_rows(store, items, now, language)
        .await?
        .iter()
        .map(|row| spreadsheet::csv_line(row))
        .collect();
    Ok(Bytes::from(text))
}

/// One page of the CSV stream and where the stream goes next.
async fn csv_page(
    page: specflow_store::ProjectListPage,
    stream: CsvStream,
) -> (Result<Bytes, std::io::Error>, (CsvCursor, CsvStream)) {
    let now = stream.store.clock().now();
    let next = page.next_after.map_or(CsvCursor::Done, CsvCursor::Next);
    match csv_rows(&stream.store, page.items, now, stream.language).await {
        Ok(rows) => (Ok(rows), (next, stream)),
        Err(error) => {
            // The status is already sent: cutting the stream tells the client.
            tracing::error!(%error, "the overdue CSV export stopped");
            (
                Err(std::io::Error::other(error.to_string())),
                (CsvCursor::Done, stream),
            )
        }
    }
}

/// What the CSV stream reads with.
struct CsvStream {
    store: Store,
    filter: OverdueFilter,
    language: Language,
}

/// Where the CSV stream is.
enum CsvCursor {
    Header(specflow_store::ProjectListPage, String),
    Page(specflow_store::ProjectListPage),
    Next(String),
    Done,
}

fn csv_response(
    store: Store,
    filter: OverdueFilter,
    first: specflow_store::ProjectListPage,
    language: Language,
) -> Response {
    let header = spreadsheet::csv_header(&board_headers(language));
    let reading = CsvStream {
        store,
        filter,
        language,
    };
    let stream = futures_util::stream::unfold(
        (CsvCursor::Header(first, header), reading),
        |(cursor, reading)| async move {
            match cursor {
                CsvCursor::Header(first, header) => Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(header)),
                    (CsvCursor::Page(first), reading),
                )),
                CsvCursor::Page(page) => Some(csv_page(page, reading).await),
                CsvCursor::Next(after) => {
                    match reading
                        .store
                        .list_overdue_matching(&reading.filter, Some(&after), CSV_PAGE)
                        .await
                    {
                        Ok(page) => Some(csv_page(page, reading).await),
                        Err(error) => {
                            // The status is already sent: cutting the stream tells the client.
                            tracing::error!(%error, "the overdue CSV export stopped");
                            Some((
                                Err(std::io::Error::other(error.to_string())),
                                (CsvCursor::Done, reading),
                            ))
                        }
                    }
                }
                CsvCursor::Done => None,
            }
        },
    );
    spreadsheet::attachment(
        Body::from_stream(stream).into_response(),
        SheetFormat::Csv,
        EXPORT_NAME,
    )
}
