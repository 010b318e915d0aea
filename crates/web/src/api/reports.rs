//! The reports' routes: a committee's annual work report (年度工作报告) and end-of-term report
//! (届末工作报告), and the bureau's report across every committee, as JSON, Markdown or HTML, or
//! their tables as an Excel workbook or CSV (all of them, or the one `table` names), in Chinese
//! or English.
//!
//! The engine computes each report by replay as of the period's end (`specflow_engine::report`)
//! from the records the store reads (`Store::report`). A committee's report is read by whoever
//! reads the committee (`can_read_committee_reports`): its own secretariat, chair and members, and the
//! supervisors, administrators and auditors; the bureau-wide one needs `can_read_everything`.
//! A committee is known by its own record (which also gives the report its composition) or, for
//! one formed before specflow kept committee records, by its projects: one with neither is 404,
//! as is one the caller may not see.

use super::auth::Caller;
use super::input::QueryParams;
use crate::app::AppState;
use crate::app::problem::{Problem, language_of, require};
use crate::app::reports::{REPORT_YEARS, ReportFormat, answer, readable_committee, year_days};
use crate::app::spreadsheet::SheetFormat;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use specflow_engine::Language;
use specflow_engine::report::ReportKind;
use specflow_store::ReportRequest;
use specflow_store::auth::can_read_everything;
use utoipa::IntoParams;

/// The query of an annual report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnnualQuery {
    /// The calendar year, in the definition's local days.
    #[param(example = 2026, minimum = 1900, maximum = 9998)]
    year: i32,
    /// `json` (the default), `md`, `html`, `xlsx` (an Excel workbook, a sheet per table) or
    /// `csv` (the tables one after another, for Excel); without it, an `Accept` naming the
    /// workbook's type or `text/csv` chooses.
    format: Option<ReportFormat>,
    /// `zh` (the default) or `en`; without it, `Accept-Language` decides.
    lang: Option<String>,
    /// With `xlsx` or `csv` only: the one table to download, by its stable id, the same in
    /// every language and period: `summary`, `per_committee` (the bureau's report), `proposed`,
    /// `approved`, `published`, `cancelled`, `stage_duration_means`, `stage_durations`,
    /// `overdue`, `overdue_by_month`, `reexaminations_due`, `reexaminations_opened`,
    /// `reexaminations_done`, `meetings`, `projects`, `members_at_start`, `members_at_end`,
    /// `composition_changes`, `composition_waivers`. A report shows only the tables with
    /// something to list: an id this report does not show is 404, any other 400, each naming
    /// the ids it does show (`tables`).
    #[param(example = "approved", pattern = "^[a-z_]+$")]
    table: Option<String>,
}

/// The query of an end-of-term report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TermQuery {
    /// The term's first day.
    #[param(example = "2023-01-01")]
    from: String,
    /// The term's last day (inclusive).
    #[param(example = "2026-12-31")]
    to: String,
    /// `json` (the default), `md`, `html`, `xlsx` (an Excel workbook, a sheet per table) or
    /// `csv` (the tables one after another, for Excel); without it, an `Accept` naming the
    /// workbook's type or `text/csv` chooses.
    format: Option<ReportFormat>,
    /// `zh` (the default) or `en`; without it, `Accept-Language` decides.
    lang: Option<String>,
    /// With `xlsx` or `csv` only: the one table to download, by its stable id, the same in
    /// every language and period: `summary`, `per_committee` (the bureau's report), `proposed`,
    /// `approved`, `published`, `cancelled`, `stage_duration_means`, `stage_durations`,
    /// `overdue`, `overdue_by_month`, `reexaminations_due`, `reexaminations_opened`,
    /// `reexaminations_done`, `meetings`, `projects`, `members_at_start`, `members_at_end`,
    /// `composition_changes`, `composition_waivers`. A report shows only the tables with
    /// something to list: an id this report does not show is 404, any other 400, each naming
    /// the ids it does show (`tables`).
    #[param(example = "approved", pattern = "^[a-z_]+$")]
    table: Option<String>,
}

/// `GET /api/v1/committees/{committee}/reports/annual?year=2026`: a committee's annual work report.
#[utoipa::path(
    get,
    path = "/committees/{committee}/reports/annual",
    tag = "reports",
    params(("committee" = String, Path, description = "The committee's code", example = "SH-TC-01"), AnnualQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The report, computed by replay as of the year's end", content(
        (Object = "application/json"),
        (String = "text/markdown"),
        (String = "text/html"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn committee_annual(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(committee): Path<String>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<AnnualQuery>,
) -> Result<Response, Problem> {
    let (first_day, last_day) = year_days(query.year)?;
    let language = language(query.lang.as_deref(), &headers)?;
    readable_committee(&state, &principal, &committee).await?;
    let request = ReportRequest {
        kind: ReportKind::Annual,
        committee: Some(committee),
        first_day,
        last_day,
    };
    let format = format(query.format, &headers);
    answer(&state, &request, format, language, query.table.as_deref()).await
}

/// `GET /api/v1/committees/{committee}/reports/term?from=…&to=…`: a committee's end-of-term
/// report over the term's days.
#[utoipa::path(
    get,
    path = "/committees/{committee}/reports/term",
    tag = "reports",
    params(("committee" = String, Path, description = "The committee's code", example = "SH-TC-01"), TermQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The report, computed by replay as of the term's end", content(
        (Object = "application/json"),
        (String = "text/markdown"),
        (String = "text/html"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn committee_term(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(committee): Path<String>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<TermQuery>,
) -> Result<Response, Problem> {
    let first_day = day("from", &query.from)?;
    let last_day = day("to", &query.to)?;
    if last_day < first_day {
        return Err(Problem::invalid(
            "to",
            format!("任期结束日 {last_day} 早于开始日 {first_day}"),
            format!("The term ends on {last_day}, before it starts on {first_day}"),
        ));
    }
    let language = language(query.lang.as_deref(), &headers)?;
    readable_committee(&state, &principal, &committee).await?;
    let request = ReportRequest {
        kind: ReportKind::Term,
        committee: Some(committee),
        first_day,
        last_day,
    };
    let format = format(query.format, &headers);
    answer(&state, &request, format, language, query.table.as_deref()).await
}

/// `GET /api/v1/reports/annual?year=2026`: the bureau's report across every committee.
#[utoipa::path(
    get,
    path = "/reports/annual",
    tag = "reports",
    params(AnnualQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The report across every committee, computed by replay as of the year's end", content(
        (Object = "application/json"),
        (String = "text/markdown"),
        (String = "text/html"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn bureau_annual(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<AnnualQuery>,
) -> Result<Response, Problem> {
    let (first_day, last_day) = year_days(query.year)?;
    let language = language(query.lang.as_deref(), &headers)?;
    require(&principal, can_read_everything(&principal), "reports")?;
    let request = ReportRequest {
        kind: ReportKind::Bureau,
        committee: None,
        first_day,
        last_day,
    };
    let format = format(query.format, &headers);
    answer(&state, &request, format, language, query.table.as_deref()).await
}

fn day(field: &str, text: &str) -> Result<NaiveDate, Problem> {
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|error| {
        Problem::invalid(
            field,
            format!("{field} 应为日期，如 2026-01-01：{error}"),
            format!("{field} must be a date such as 2026-01-01: {error}"),
        )
    })?;
    let year = chrono::Datelike::year(&parsed);
    if REPORT_YEARS.contains(&year) {
        Ok(parsed)
    } else {
        Err(Problem::invalid(
            field,
            format!(
                "{field} 的年份应在 {} 至 {} 之间，收到 {year}",
                REPORT_YEARS.start(),
                REPORT_YEARS.end()
            ),
            format!(
                "{field} must fall in the years {} to {}, not {year}",
                REPORT_YEARS.start(),
                REPORT_YEARS.end()
            ),
        ))
    }
}

/// The format asked for: `format` when given, else a workbook or CSV when `Accept` names one, else
/// JSON.
fn format(format: Option<ReportFormat>, headers: &HeaderMap) -> ReportFormat {
    format.unwrap_or_else(|| match SheetFormat::accepted(headers) {
        Some(SheetFormat::Xlsx) => ReportFormat::Xlsx,
        Some(SheetFormat::Csv) => ReportFormat::Csv,
        None => ReportFormat::Json,
    })
}

/// The language asked for: `lang` when given (`zh` or `en` only), else `Accept-Language`.
fn language(lang: Option<&str>, headers: &HeaderMap) -> Result<Language, Problem> {
    match lang.map(str::trim) {
        None => Ok(language_of(headers)),
        Some("zh") => Ok(Language::Zh),
        Some("en") => Ok(Language::En),
        Some(other) => Err(Problem::invalid(
            "lang",
            format!("lang 应为 zh 或 en，收到「{other}」"),
            format!("lang must be zh or en, not '{other}'"),
        )),
    }
}
