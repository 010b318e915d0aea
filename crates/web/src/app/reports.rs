//! Reports: who may read a committee's reports, the years a report may cover, and a report
//! computed and answered in the format asked for (the API's report routes and the report pages).

use crate::app::AppState;
use crate::app::problem::{Problem, require};
use crate::app::spreadsheet::{self, SheetFormat, Table};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use specflow_engine::Language;
use specflow_engine::report::{self, Report, ReportKind};
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
pub async fn answer(
    state: &AppState,
    request: &ReportRequest,
    format: ReportFormat,
    language: Language,
) -> Result<Response, Problem> {
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
        ReportFormat::Xlsx => return tables(&report, request, SheetFormat::Xlsx, language),
        ReportFormat::Csv => return tables(&report, request, SheetFormat::Csv, language),
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The report's tables as a workbook or CSV.
fn tables(
    report: &Report,
    request: &ReportRequest,
    format: SheetFormat,
    language: Language,
) -> Result<Response, Problem> {
    let tables: Vec<Table> = report::tables(report, language)
        .into_iter()
        .map(Table::from)
        .collect();
    spreadsheet::download(format, &file_stem(request), &tables)
}

/// A report's download name: who, which report and its days, such as
/// `SH-TC-01-annual-2026-01-01-2026-12-31`.
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
