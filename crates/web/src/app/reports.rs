//! Reports: who may read a committee's reports, the years a report may cover, and a report
//! computed and answered in the format asked for (the API's report routes and the report pages):
//! as a workbook or CSV, every table of it or the one table a stable id names (`table`), which
//! is how the report page links each of its tables to a download of that table alone.

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind, require};
use crate::app::spreadsheet::{self, SheetFormat, Table};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use specflow_engine::Language;
use specflow_engine::report::{self, Report, ReportKind, ReportTable, TABLE_IDS};
use specflow_store::ReportRequest;
use specflow_store::auth::{Access, Principal, can_read_committee_reports};
use std::ops::RangeInclusive;
use utoipa::ToSchema;

/// The years a report may cover: from the first year a metrology specification could have been
/// recorded to the last one the stored instants and their canonical text can hold.
pub const REPORT_YEARS: RangeInclusive<i32> = 1900..=9998;

/// The format a report is answered in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON: every figure with its projects and records, names in both languages.
    #[default]
    Json,
    /// Markdown.
    Md,
    /// One self-contained HTML page with SVG charts.
    Html,
    /// An Excel workbook: each of the report's tables on a sheet of its own.
    Xlsx,
    /// The report's tables as CSV for Excel, one after another under their titles.
    Csv,
}

/// Computes the report and answers it in the format asked for; the pages call it for the HTML.
/// `table`, one table's id, narrows a workbook or CSV to that table; it is refused with any other
/// format, before the report is computed.
pub async fn answer(
    state: &AppState,
    request: &ReportRequest,
    format: ReportFormat,
    language: Language,
    table: Option<&str>,
) -> Result<Response, Problem> {
    if table.is_some() && !matches!(format, ReportFormat::Xlsx | ReportFormat::Csv) {
        return Err(Problem::invalid(
            "table",
            "table 只用于 xlsx 或 csv 格式：报告的其他格式总是完整的",
            "table applies only to the xlsx and csv formats: a report in any other format is whole",
        ));
    }
    let report: Report = state.store.report(request).await?;
    let (content_type, body) = match format {
        ReportFormat::Json => ("application/json", report::to_json(&report)),
        ReportFormat::Md => (
            "text/markdown; charset=utf-8",
            report::to_markdown(&report, language),
        ),
        ReportFormat::Html => (
            "text/html; charset=utf-8",
            report::to_html(&report, language),
        ),
        ReportFormat::Xlsx => {
            return tables(&report, request, (SheetFormat::Xlsx, table), language);
        }
        ReportFormat::Csv => return tables(&report, request, (SheetFormat::Csv, table), language),
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The report's tables (or the one `table` names) as a workbook or CSV.
fn tables(
    report: &Report,
    request: &ReportRequest,
    (format, table): (SheetFormat, Option<&str>),
    language: Language,
) -> Result<Response, Problem> {
    let chosen = chosen_tables(report::tables(report, language), table)?;
    let tables: Vec<Table> = chosen.into_iter().map(Table::from).collect();
    let mut stem = file_stem(request);
    if let Some(table) = table {
        stem = format!("{stem}-{table}");
    }
    spreadsheet::download(format, &stem, &tables)
}

/// Every table, or only the one with the id `table`; an id that names no table of this report
/// is a problem naming the ids that do (one the engine knows whose table this report does not
/// show, having nothing to list, is 404; any other id is a bad request).
pub fn chosen_tables(
    tables: Vec<ReportTable>,
    table: Option<&str>,
) -> Result<Vec<ReportTable>, Problem> {
    let Some(wanted) = table else {
        return Ok(tables);
    };
    let ids: Vec<&'static str> = tables.iter().map(|table| table.id).collect();
    if let Some(found) = tables.into_iter().find(|table| table.id == wanted) {
        return Ok(vec![found]);
    }
    let problem = if TABLE_IDS.contains(&wanted) {
        Problem::new(
            ProblemKind::NotFound,
            format!(
                "本报告没有「{wanted}」表（报告期内无可列内容的表不显示）；本报告的表：{}",
                ids.join("、")
            ),
            format!(
                "This report has no table '{wanted}' (a table with nothing to list in the period is not shown); its tables are: {}",
                ids.join(", ")
            ),
        )
    } else {
        Problem::invalid(
            "table",
            format!("没有名为「{wanted}」的表；本报告的表：{}", ids.join("、")),
            format!(
                "There is no table '{wanted}'; this report's tables are: {}",
                ids.join(", ")
            ),
        )
    };
    Err(problem.with("field", "table").with("tables", ids))
}

/// A report's download name: who, which report and its days, such as
/// `SH-TC-01-annual-2026-01-01-2026-12-31`; a single table's adds its id.
fn file_stem(request: &ReportRequest) -> String {
    let kind = match request.kind {
        ReportKind::Annual => "annual",
        ReportKind::Term => "term",
        ReportKind::Bureau => "bureau",
    };
    format!(
        "{}-{kind}-{}-{}",
        request.committee.as_deref().unwrap_or("bureau"),
        request.first_day,
        request.last_day
    )
}

/// Checks the caller may read the committee's reports and that the committee exists; a hidden
/// committee is answered as a missing one. The pages' report routes call it too.
pub async fn readable_committee(
    state: &AppState,
    principal: &Principal,
    committee: &str,
) -> Result<(), Problem> {
    match can_read_committee_reports(principal, committee) {
        Access::Hidden(reason) => {
            tracing::warn!(subject = %principal.subject, role = %principal.role, %reason, status = 404, "refused: hidden");
            return Err(committee_not_found(committee));
        }
        access => require(principal, access, committee)?,
    }
    // A committee is known by its own record, or, for one formed before specflow kept committee
    // records, by its projects.
    if state.store.resolve_committee(committee).await?.is_some()
        || state.store.committee_has_projects(committee).await?
    {
        Ok(())
    } else {
        Err(committee_not_found(committee))
    }
}

/// The same words as every other missing committee, so a hidden one reads as missing.
fn committee_not_found(committee: &str) -> Problem {
    Problem::committee_not_found(committee)
}

/// The first and last day of `year`, a year within [`REPORT_YEARS`].
pub fn year_days(year: i32) -> Result<(NaiveDate, NaiveDate), Problem> {
    let days = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    );
    match days {
        (Some(first), Some(last)) if REPORT_YEARS.contains(&year) => Ok((first, last)),
        _ => Err(Problem::invalid(
            "year",
            format!(
                "year 应在 {} 至 {} 之间，收到 {year}",
                REPORT_YEARS.start(),
                REPORT_YEARS.end()
            ),
            format!(
                "year must be from {} to {}, not {year}",
                REPORT_YEARS.start(),
                REPORT_YEARS.end()
            ),
        )),
    }
}
