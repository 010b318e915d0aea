//! The committees a reader may see, and one committee's page: its members with their roles,
//! organisations and terms; the composition check of today with every breach and every waiver;
//! its terms; and links to its annual and end-of-term reports, served as pages: the report
//! renderer's HTML body in the site's frame and stylesheet.
//!
//! Everything is read as the API reads it: `visible_committees` for the list (the filter of
//! `GET /api/v1/committees`), `readable_committee` for a committee (`can_read_committee`, a hidden
//! committee the API's 404), `Store::composition_as_of` for the check, and for the reports the
//! report routes' own `readable_committee` (`can_read_committee_reports`), so a page
//! shows nothing the API would refuse.
//!
//! A report page links its whole report as a workbook and CSV at the top, and each table by its
//! caption to a download of that table alone (`annual.xlsx?year=2026&table=approved&lang=zh`):
//! the page's own query, the table's stable id from the engine and the language it was read in.

use super::layout::{self, Words, local_date, local_time, shanghai};
use super::projects::{given, parse_query};
use super::session::SignedIn;
use crate::app::AppState;
use crate::app::committees::{readable_committee, visible_committees};
use crate::app::problem::{Problem, ProblemKind};
use crate::app::reports::{self, ReportFormat};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::Datelike;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use specflow_engine::Language;
use specflow_engine::committee::{CommitteePolicy, CommitteeState, CompositionCheck, rule_name};
use specflow_engine::report::{Report, ReportKind, to_html_fragment};
use specflow_store::ReportRequest;
use specflow_store::auth::can_read_committee_reports;

/// `GET /committees`: the committees the reader may see, by code.
pub async fn committees_page(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let words = signed_in.viewer.words();
    match visible_committees(&state, &signed_in.principal).await {
        Ok(committees) => {
            let body = html! {
                h1 { (words.pick("技术委员会", "Committees")) }
                @if committees.is_empty() {
                    p.notice #committees-empty { (words.pick("没有您可查看的技术委员会。", "There is no committee you may see.")) }
                } @else {
                    div.table-wrap { table #committees {
                        thead { tr {
                            th scope="col" { (words.pick("编号", "Code")) }
                            th scope="col" { (words.pick("名称", "Name")) }
                            th scope="col" { (words.pick("专业领域", "Field")) }
                            th scope="col" { (words.pick("法制计量技术委员会", "Legal metrology")) }
                            th scope="col" class="number" { (words.pick("当前届次", "Current term")) }
                            th scope="col" { (words.pick("下一期限", "Next deadline")) }
                        } }
                        tbody {
                            @for committee in &committees {
                                tr {
                                    td { a href=(format!("/committees/{}", encode(&committee.code))) { (committee.code) } }
                                    td { (committee.name.get(words.0)) }
                                    td { (committee.field) }
                                    td { (words.yes_no(committee.legal_metrology)) }
                                    td.number { @if let Some(term) = committee.current_term { (term) } @else { "—" } }
                                    td { @if let Some(next) = committee.next_deadline_at { (local_time(next, shanghai())) } @else { "—" } }
                                }
                            }
                        }
                    } }
                }
            };
            layout::page_response(
                &signed_in.viewer,
                words.pick("技术委员会", "Committees"),
                body,
            )
        }
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `GET /committees/{committee}`: one committee's members, composition check, terms and reports.
pub async fn committee_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
) -> Response {
    match committee_body(&state, &signed_in, &id_or_code).await {
        Ok((title, body)) => layout::page_response(&signed_in.viewer, &title, body),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn committee_body(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
) -> Result<(String, Markup), Problem> {
    let words = signed_in.viewer.words();
    let (committee_id, code) = readable_committee(state, &signed_in.principal, id_or_code).await?;
    let now = state.store.clock().now();
    let committee = state
        .store
        .committee_state_as_of(committee_id, None)
        .await?;
    let check = state
        .store
        .composition_as_of(&code, now)
        .await?
        .ok_or_else(|| Problem::committee_not_found(id_or_code))?;
    let policy = state.store.committee_policy();
    let name = committee
        .profile
        .as_ref()
        .map(|profile| profile.name.get(words.0).to_string())
        .unwrap_or_default();
    // A code that already carries the name (committees recorded before codes were short) says
    // it once.
    let title = if name.is_empty() || code.contains(&name) {
        code.clone()
    } else {
        format!("{code} {name}")
    };
    let reports_readable = can_read_committee_reports(&signed_in.principal, &code).is_allowed();
    let this_year = check.on.year();
    let body = html! {
        h1 { (title) }
        (facts(&committee, &policy, words))
        h2 #members-heading { (words.pick("委员", "Members")) " (" (check.members.len()) ")" }
        (members(&check, &policy, words))
        h2 #composition-heading { (words.pick("组成检查", "Composition check")) }
        (composition(&check, &policy, words))
        h2 #terms-heading { (words.pick("届次", "Terms")) }
        (terms(&committee, &code, reports_readable, words))
        @if reports_readable {
            h2 #reports-heading { (words.pick("工作报告", "Reports")) }
            ul #reports {
                @for year in [this_year, this_year - 1] {
                    li { a href=(format!("/committees/{}/reports/annual?year={year}", encode(&code))) {
                        (year) " " (words.pick("年度工作报告", "annual work report"))
                    } }
                }
                @if let Some(term) = committee.terms.last() {
                    li { a href=(format!("/committees/{}/reports/term?term={}", encode(&code), term.term)) {
                        (term_ordinal(term.term, words)) " " (words.pick("届末工作报告", "end-of-term report"))
                    } }
                }
            }
        }
    };
    Ok((title, body))
}

/// The committee's facts: code, field, formation, plan, secretariat and current term.
fn facts(committee: &CommitteeState, policy: &CommitteePolicy, words: Words) -> Markup {
    let Some(profile) = &committee.profile else {
        return html! {};
    };
    html! {
        dl.facts #committee-facts {
            dt { (words.pick("编号", "Code")) } dd { (profile.code) }
            dt { (words.pick("专业领域", "Field")) } dd { (profile.field) }
            dt { (words.pick("法制计量技术委员会", "Legal metrology committee")) } dd { (words.yes_no(profile.legal_metrology)) }
            dt { (words.pick("成立日期", "Formed on")) } dd { (profile.formed_on) }
            dt { (words.pick("组建方案", "Composition plan")) } dd { (profile.composition_plan) }
            dt { (words.pick("秘书处承担单位", "Secretariat")) }
            dd { @if let Some(secretariat) = &committee.secretariat { (secretariat.organisation) " (" (words.pick("自 ", "since ")) (secretariat.since) ")" } @else { span.muted { (words.pick("未指定", "not named")) } } }
            dt { (words.pick("当前届次", "Current term")) }
            dd { @if let Some(term) = committee.current_term() { (term_ordinal(term.term, words)) ": " (term.starts_on) " – " (term.ends_on) } @else { span.muted { (words.pick("无", "none")) } } }
            dt { (words.pick("组成规则", "Composition rules")) } dd { (policy.title.get(words.0)) }
        }
    }
}

/// The members in office today with their roles, organisations and terms.
fn members(check: &CompositionCheck, policy: &CommitteePolicy, words: Words) -> Markup {
    html! {
        @if check.members.is_empty() {
            p.notice #members-empty { (words.pick("今日无在任委员。", "No member is in office today.")) }
        } @else {
            div.table-wrap { table #members aria-labelledby="members-heading" {
                thead { tr {
                    th scope="col" { (words.pick("姓名", "Person")) }
                    th scope="col" { (words.pick("职务", "Role")) }
                    th scope="col" { (words.pick("单位", "Organisation")) }
                    th scope="col" { (words.pick("职称", "Title")) }
                    th scope="col" { (words.pick("行政人员", "Administrative")) }
                    th scope="col" { (words.pick("表决", "Votes")) }
                    th scope="col" { (words.pick("届次", "Term")) }
                    th scope="col" { (words.pick("任职起", "In office from")) }
                    th scope="col" { (words.pick("任期止", "Term ends")) }
                    th scope="col" class="number" { (words.pick("委员会记录", "Record")) }
                } }
                tbody {
                    @for appointment in &check.members {
                        @let member = &appointment.member;
                        @let term = check.terms.iter().find(|term| term.term == appointment.term);
                        tr {
                            td { (member.person) }
                            td { (policy.role_name(&member.role).get(words.0)) }
                            td { (member.organisation) }
                            td { @if let Some(level) = policy.title_level(&member.title_level) { (level.name.get(words.0)) } @else { (member.title_level) } }
                            td { (words.yes_no(member.administrative)) }
                            td { (words.yes_no(policy.role(&member.role).is_some_and(|role| role.votes))) }
                            td { (term_ordinal(appointment.term, words)) @if appointment.reappointment { " " span.badge.ok { (words.pick("连任", "reappointed")) } } }
                            td { (appointment.effective_on) }
                            td { @if let Some(term) = term { (term.last_day()) } @else { "—" } }
                            td.number { "#" (appointment.recorded_sequence) }
                        }
                    }
                }
            } }
        }
    }
}

/// The composition check: whether every breach is waived, each breach and each waiver.
fn composition(check: &CompositionCheck, policy: &CommitteePolicy, words: Words) -> Markup {
    html! {
        p #composition-result {
            (words.pick("检查日期：", "Judged on ")) (check.on) " — "
            @if check.compliant {
                span.badge.ok { (words.pick("符合组成规则", "complies with the composition rules")) }
            } @else {
                span.badge.late { (words.pick("违反组成规则", "breaks the composition rules")) }
            }
        }
        h3 #breaches-heading { (words.pick("违反的规则", "Rules broken")) " (" (check.breaches.len()) ")" }
        @if check.breaches.is_empty() {
            p.muted #breaches-none { (words.pick("无。", "None.")) }
        } @else {
            div.table-wrap { table #breaches aria-labelledby="breaches-heading" {
                thead { tr {
                    th scope="col" { (words.pick("规则", "Rule")) }
                    th scope="col" { (words.pick("情况", "Breach")) }
                    th scope="col" { (words.pick("涉及", "Concerning")) }
                    th scope="col" { (words.pick("依据", "Source")) }
                    th scope="col" { (words.pick("豁免", "Waiver")) }
                } }
                tbody {
                    @for breach in &check.breaches {
                        tr {
                            td { (breach.rule_name.get(words.0)) }
                            td.late { (breach.message.get(words.0)) }
                            td { @if let Some(subject) = &breach.subject { (subject) " " } (breach.persons.join("、")) }
                            td { (breach.source) }
                            td {
                                @if let Some(waiver) = &breach.waived_by {
                                    span.badge.warn { (words.pick("已豁免", "waived")) }
                                    (waiver.waiver.authority) " (#" (waiver.recorded_sequence) ")"
                                } @else {
                                    span.badge.late { (words.pick("未豁免", "not waived")) }
                                }
                            }
                        }
                    }
                }
            } }
        }
        h3 #waivers-heading { (words.pick("豁免", "Waivers")) " (" (check.waivers.len()) ")" }
        @if check.waivers.is_empty() {
            p.muted #waivers-none { (words.pick("无。", "None.")) }
        } @else {
            div.table-wrap { table #waivers aria-labelledby="waivers-heading" {
                thead { tr {
                    th scope="col" { (words.pick("规则", "Rule")) }
                    th scope="col" { (words.pick("适用于", "Covers")) }
                    th scope="col" { (words.pick("放宽至", "Relaxed to")) }
                    th scope="col" { (words.pick("理由", "Reason")) }
                    th scope="col" { (words.pick("批准机关", "Authority")) }
                    th scope="col" { (words.pick("记录日期", "Recorded on")) }
                    th scope="col" class="number" { (words.pick("委员会记录", "Record")) }
                } }
                tbody {
                    @for recorded in &check.waivers {
                        tr {
                            td { (rule_name(policy, &recorded.waiver.rule).get(words.0)) }
                            td { @if let Some(subject) = &recorded.waiver.subject { (subject) } @else { (words.pick("整个委员会", "the whole committee")) } }
                            td { @if let Some(up_to) = recorded.waiver.up_to { (words.pick(&format!("至多{up_to}人"), &format!("up to {up_to}"))) } @else { "—" } }
                            td { (recorded.waiver.reason) }
                            td { (recorded.waiver.authority) }
                            td { (local_date(recorded.recorded_at, policy.local_utc_offset)) }
                            td.number { "#" (recorded.recorded_sequence) }
                        }
                    }
                }
            } }
        }
    }
}

/// The terms, each with its end-of-term report.
fn terms(committee: &CommitteeState, code: &str, reports_readable: bool, words: Words) -> Markup {
    html! {
        @if committee.terms.is_empty() {
            p.muted #terms-none { (words.pick("尚未开始任何届次。", "No term has started.")) }
        } @else {
            div.table-wrap { table #terms aria-labelledby="terms-heading" {
                thead { tr {
                    th scope="col" { (words.pick("届次", "Term")) }
                    th scope="col" { (words.pick("开始", "Starts")) }
                    th scope="col" { (words.pick("计划结束", "Planned end")) }
                    th scope="col" { (words.pick("实际结束", "Ended")) }
                    @if reports_readable { th scope="col" { (words.pick("届末工作报告", "End-of-term report")) } }
                } }
                tbody {
                    @for term in &committee.terms {
                        tr {
                            td { (term_ordinal(term.term, words)) }
                            td { (term.starts_on) }
                            td { (term.ends_on) }
                            td { @if let Some(ended_on) = term.ended_on { (ended_on) } @else { span.muted { (words.pick("在任", "current")) } } }
                            @if reports_readable {
                                td { a href=(format!("/committees/{}/reports/term?term={}", encode(code), term.term)) { (words.pick("查看", "Open")) } }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// A term's number in words: 第2届, term 2.
fn term_ordinal(term: u32, words: Words) -> String {
    words.0.pick(format!("第{term}届"), format!("term {term}"))
}

/// A committee's code as one segment of an address: every byte but the unreserved ones
/// percent-encoded, so a code with a space or Chinese survives.
/// Not `form_urlencoded`, whose `+` for a space means a plus sign in a path.
fn encode(code: &str) -> String {
    let mut encoded = String::with_capacity(code.len());
    for byte in code.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The query of an annual report page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnualReportQuery {
    year: Option<String>,
}

/// The query of an end-of-term report page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermReportQuery {
    term: Option<String>,
}

/// The annual report's request: the year's days, once the reader may read the committee's
/// reports.
async fn annual_request(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    raw: Option<String>,
) -> Result<ReportRequest, Problem> {
    let query: AnnualReportQuery = parse_query(raw)?;
    let year = given(query.year)
        .ok_or_else(|| Problem::invalid("year", "缺少年份 year", "year is missing"))?;
    let year: i32 = year.parse().map_err(|_| {
        Problem::invalid(
            "year",
            format!("year 应为年份，如 2026，收到 {year}"),
            format!("year must be a year such as 2026, not {year}"),
        )
    })?;
    let (first_day, last_day) = reports::year_days(year)?;
    reports::readable_committee(state, &signed_in.principal, code).await?;
    Ok(ReportRequest {
        kind: ReportKind::Annual,
        committee: Some(code.to_string()),
        first_day,
        last_day,
    })
}

/// The end-of-term report's request: the term's days (the planned ones while it runs), once the
/// reader may read the committee's reports.
async fn term_request(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    raw: Option<String>,
) -> Result<ReportRequest, Problem> {
    let query: TermReportQuery = parse_query(raw)?;
    let term = given(query.term)
        .ok_or_else(|| Problem::invalid("term", "缺少届次 term", "term is missing"))?;
    let number: u32 = term.parse().map_err(|_| {
        Problem::invalid(
            "term",
            format!("term 应为届次序号，如 1，收到 {term}"),
            format!("term must be a term's number such as 1, not {term}"),
        )
    })?;
    // The reports' authorization first (a committee's own drafters are refused as the API
    // refuses them), then its record, where its terms are.
    reports::readable_committee(state, &signed_in.principal, code).await?;
    let (committee_id, code) = readable_committee(state, &signed_in.principal, code).await?;
    let committee = state
        .store
        .committee_state_as_of(committee_id, None)
        .await?;
    let term = committee.term(number).ok_or_else(|| {
        Problem::new(
            ProblemKind::NotFound,
            format!("技术委员会「{code}」没有第{number}届"),
            format!("Committee {code} has no term {number}"),
        )
    })?;
    Ok(ReportRequest {
        kind: ReportKind::Term,
        committee: Some(code.clone()),
        first_day: term.starts_on,
        last_day: term.last_day(),
    })
}

/// Which report a page or download is of.
#[derive(Debug, Clone, Copy)]
enum ReportPage {
    Annual,
    Term,
}

impl ReportPage {
    /// The report page's address, without its query.
    fn base(self, code: &str) -> String {
        let name = match self {
            ReportPage::Annual => "annual",
            ReportPage::Term => "term",
        };
        format!("/committees/{}/reports/{name}", encode(code))
    }

    async fn request(
        self,
        state: &AppState,
        signed_in: &SignedIn,
        code: &str,
        raw: Option<String>,
    ) -> Result<ReportRequest, Problem> {
        match self {
            ReportPage::Annual => annual_request(state, signed_in, code, raw).await,
            ReportPage::Term => term_request(state, signed_in, code, raw).await,
        }
    }
}

/// A report as a page, with links to its tables as Excel and CSV.
async fn report_page(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    raw: Option<String>,
    page: ReportPage,
) -> Response {
    let query = raw.clone().unwrap_or_default();
    let answer = async {
        let request = page.request(state, signed_in, code, raw).await?;
        Ok(state.store.report(&request).await?)
    };
    let downloads = layout::downloads(&page.base(code), &query, "report", signed_in.viewer.words());
    let table_links = TableDownloads {
        base: page.base(code),
        query,
        language: signed_in.viewer.language,
    };
    report_response(signed_in, code, (downloads, &table_links), answer.await)
}

/// The links by each table of a report page to a download of that table alone.
struct TableDownloads {
    /// The report page's address, without its query.
    base: String,
    /// The page's query (its year or term), which each link carries.
    query: String,
    /// The language the page is read in, which each link names, so the file reads as the page.
    language: Language,
}

impl TableDownloads {
    /// The address of table `table` as `extension`: the page's query, the table and the language.
    fn address(&self, table: &str, extension: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            // A page's query holds only its year or term; the page's own choice of table and
            // language is the one the link names.
            if name != "table" && name != "lang" {
                query.append_pair(&name, &value);
            }
        }
        query
            .append_pair("table", table)
            .append_pair("lang", self.language.pick("zh", "en"));
        format!("{}.{extension}?{}", self.base, query.finish())
    }

    /// The links' HTML, put by the table's caption: they do not print (`no-print`).
    fn links(&self, table: &str) -> String {
        let words = Words(self.language);
        html! {
            span.table-downloads.no-print {
                (words.pick("下载本表：", "Download this table: "))
                a #(format!("table-{table}-xlsx")) href=(self.address(table, "xlsx")) download { "Excel" }
                " · "
                a #(format!("table-{table}-csv")) href=(self.address(table, "csv")) download { "CSV" }
            }
        }
        .into_string()
    }
}

/// A report's tables (or the one its `table` names) as a download, in the language its `lang`
/// names, else the reader's.
async fn report_download(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    raw: Option<String>,
    (page, format): (ReportPage, ReportFormat),
) -> Response {
    let answer = async {
        let (raw, choice) = download_choice(raw)?;
        let request = page.request(state, signed_in, code, raw).await?;
        let language = choice.language.unwrap_or(signed_in.viewer.language);
        reports::answer(state, &request, format, language, choice.table.as_deref()).await
    };
    match answer.await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `GET /committees/{committee}/reports/annual?year=2026`: the annual work report as the report
/// renderer's HTML, in the reader's language.
pub async fn annual_report_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    report_page(&state, &signed_in, &code, raw, ReportPage::Annual).await
}

/// `GET /committees/{committee}/reports/term?term=2`: the end-of-term report of one of the
/// committee's terms, over its days (the planned ones while it runs).
pub async fn term_report_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    report_page(&state, &signed_in, &code, raw, ReportPage::Term).await
}

/// `GET /committees/{committee}/reports/annual.xlsx?year=2026`: the annual report's tables as a
/// workbook.
pub async fn annual_report_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let what = (ReportPage::Annual, ReportFormat::Xlsx);
    report_download(&state, &signed_in, &code, raw, what).await
}

/// `GET /committees/{committee}/reports/annual.csv?year=2026`: the annual report's tables as CSV.
pub async fn annual_report_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let what = (ReportPage::Annual, ReportFormat::Csv);
    report_download(&state, &signed_in, &code, raw, what).await
}

/// `GET /committees/{committee}/reports/term.xlsx?term=2`: the end-of-term report's tables as a
/// workbook.
pub async fn term_report_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let what = (ReportPage::Term, ReportFormat::Xlsx);
    report_download(&state, &signed_in, &code, raw, what).await
}

/// `GET /committees/{committee}/reports/term.csv?term=2`: the end-of-term report's tables as CSV.
pub async fn term_report_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let what = (ReportPage::Term, ReportFormat::Csv);
    report_download(&state, &signed_in, &code, raw, what).await
}

/// What a download's address adds to its report's query: the one table, and the language.
struct DownloadChoice {
    table: Option<String>,
    language: Option<Language>,
}

/// Takes `table` and `lang` out of a download's query, leaving the report's own (its year or
/// term) to be read as the page reads it.
fn download_choice(raw: Option<String>) -> Result<(Option<String>, DownloadChoice), Problem> {
    let mut choice = DownloadChoice {
        table: None,
        language: None,
    };
    let Some(raw) = raw else {
        return Ok((None, choice));
    };
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "table" => choice.table = given(Some(value.into_owned())),
            "lang" => choice.language = Some(download_language(&value)?),
            _ => {
                rest.append_pair(&name, &value);
            }
        }
    }
    Ok((Some(rest.finish()), choice))
}

/// A download's `lang`: `zh` or `en`.
fn download_language(lang: &str) -> Result<Language, Problem> {
    match lang.trim() {
        "zh" => Ok(Language::Zh),
        "en" => Ok(Language::En),
        other => Err(Problem::invalid(
            "lang",
            format!("lang 应为 zh 或 en，收到「{other}」"),
            format!("lang must be zh or en, not '{other}'"),
        )),
    }
}

/// A report framed as every other page, with the site's navigation and a way back to its
/// committee, its whole-report downloads at the top and each table's by its caption, or the
/// problem as a friendly page.
fn report_response(
    signed_in: &SignedIn,
    code: &str,
    (downloads, table_links): (Markup, &TableDownloads),
    answer: Result<Report, Problem>,
) -> Response {
    let words = signed_in.viewer.words();
    match answer {
        Ok(report) => {
            let links = |table: &str| table_links.links(table);
            let (title, fragment) =
                to_html_fragment(&report, signed_in.viewer.language, Some(&links));
            let body = html! {
                p.muted.no-print { a href=(format!("/committees/{}", encode(code))) { "← " (code) } }
                (downloads)
                article.report { (PreEscaped(fragment)) }
                p.muted { (words.pick("每个数字都可追溯到其审计记录：点击项目编号或记录号查看该项目当时的状态。", "Every figure is traced to its audit records: a project's code or a record's number opens the project as it stood then.")) }
            };
            layout::page_response(&signed_in.viewer, &title, body)
        }
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}
