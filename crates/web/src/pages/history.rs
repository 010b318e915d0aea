//! A project's audit log as a page: every record with its sequence, time, actor, what happened
//! and short hashes, a link to the project as it stood right after each, a button that verifies
//! the chain and shows what the verifier found, and the whole log as Excel or CSV.
//!
//! The log is read with `readable_project`, as the API's history is (a drafter sees its own
//! project's, a committee its committee's); verification is the API's `verify_one`.

use super::layout::{self, Words, local_time};
use super::projects::{given, parse_query, title_of};
use super::session::{CSRF_FIELD, SignedIn, read_form};
use crate::app::AppState;
use crate::app::audit::{ProjectVerification, verify_one};
use crate::app::exports::audit_log;
use crate::app::problem::Problem;
use crate::app::projects::readable_project;
use crate::app::spreadsheet::{self, SheetFormat};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use specflow_engine::render::event_summary;
use uuid::Uuid;

/// How many records a page of the log shows.
const RECORDS_PAGE: u32 = 100;

/// The query of the history page.
#[derive(Debug, Default, Deserialize)]
struct HistoryQuery {
    /// The records after this sequence.
    after: Option<String>,
}

/// `GET /projects/{project}/history`: the audit log, a hundred records a page.
pub async fn history_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let after = match parse_query::<HistoryQuery>(raw) {
        Ok(query) => given(query.after),
        Err(problem) => return signed_in.viewer.error_page(&problem),
    };
    let after = match after.map(|text| text.parse::<u64>()).transpose() {
        Ok(after) => after.filter(|after| i64::try_from(*after).is_ok()),
        Err(_) => {
            return signed_in.viewer.error_page(&Problem::invalid(
                "after",
                "after 应为记录序号",
                "after must be a record's sequence",
            ));
        }
    };
    respond(&state, &signed_in, &id_or_code, after.unwrap_or(0), None).await
}

/// `GET /projects/{project}/history.xlsx`: the whole log as the API's workbook.
pub async fn history_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
) -> Response {
    history_export(&state, &signed_in, &id_or_code, SheetFormat::Xlsx).await
}

/// `GET /projects/{project}/history.csv`: the whole log as the API's CSV.
pub async fn history_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
) -> Response {
    history_export(&state, &signed_in, &id_or_code, SheetFormat::Csv).await
}

async fn history_export(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    format: SheetFormat,
) -> Response {
    let answer = async {
        let project_id = readable_project(state, &signed_in.principal, id_or_code).await?;
        let language = signed_in.viewer.words().0;
        let (code, table) = audit_log(state, project_id, language).await?;
        spreadsheet::download(format, &format!("history-{code}"), &[table])
    };
    match answer.await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// The verify button's form.
#[derive(Debug, Deserialize)]
struct VerifyForm {
    csrf: Option<String>,
}

/// `POST /projects/{project}/verify`: verifies the chain and shows the log with the result.
/// It changes nothing, but it is work, so it is a form with a CSRF token like every POST.
pub async fn verify(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
    body: Bytes,
) -> Response {
    let checked =
        read_form::<VerifyForm>(&body).and_then(|form| signed_in.check_csrf(form.csrf.as_deref()));
    if let Err(problem) = checked {
        return signed_in.viewer.error_page(&problem);
    }
    let mut signed_in = signed_in;
    let verification = match readable_project(&state, &signed_in.principal, &id_or_code).await {
        Ok(project_id) => {
            // The result is shown on the history page, which the language switch returns to.
            signed_in.viewer.here = format!("/projects/{project_id}/history");
            verify_one(&state.store, project_id).await
        }
        Err(problem) => Err(problem),
    };
    match verification {
        Ok(verification) => respond(&state, &signed_in, &id_or_code, 0, Some(verification)).await,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn respond(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    after: u64,
    verification: Option<ProjectVerification>,
) -> Response {
    match body(state, signed_in, id_or_code, after, verification).await {
        Ok((title, body)) => layout::page_response(&signed_in.viewer, &title, body),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn body(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    after: u64,
    verification: Option<ProjectVerification>,
) -> Result<(String, Markup), Problem> {
    let words = signed_in.viewer.words();
    let project_id = readable_project(state, &signed_in.principal, id_or_code).await?;
    let summary = state
        .store
        .project_summary(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(id_or_code))?;
    let definition = state
        .store
        .definition(&summary.definition_id, summary.definition_version)
        .await?;
    let offset = definition.local_utc_offset;
    let page = state.store.history(project_id, after, RECORDS_PAGE).await?;
    let base = format!("/projects/{project_id}");
    let title = format!("{} {}", summary.code, words.pick("审计记录", "audit log"));
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = html! {
        h1 { (summary.code) " " (title_of(&summary, words)) }
        p.no-print { a href=(base) { (words.pick("← 返回项目", "← Back to the project")) } }
        @if let Some(verification) = &verification {
            (verification_result(verification, project_id, words))
        }
        // The verify button is for the screen; a printed log shows a result when there is one.
        section.card.no-print {
            h2 { (words.pick("校验哈希链", "Verify the hash chain")) }
            p.muted { (words.pick("逐条重算每条记录的哈希并与下一条记录所存的前一哈希比对，证明无记录被修改、删除或调换顺序。", "Recomputes every record's hash and checks the next record holds it, proving no record was edited, deleted or reordered.")) }
            form method="post" action=(format!("{base}/verify")) {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                button type="submit" #verify { (words.pick("校验", "Verify")) }
            }
        }
        h2 { (words.pick("审计记录", "Audit log")) " " span.muted { "(" (summary.head_sequence) ")" } }
        (layout::downloads(&format!("{base}/history"), "", "history", words))
        div.table-wrap { table #history {
            thead { tr {
                th scope="col" class="number" { (words.pick("序号", "Seq.")) }
                th scope="col" { (words.pick("时间", "Time")) }
                th scope="col" { (words.pick("执行者", "Actor")) }
                th scope="col" { (words.pick("事件", "Event")) }
                th scope="col" { (words.pick("哈希", "Hash")) }
                th scope="col" { (words.pick("前一哈希", "Previous")) }
                th scope="col" class="no-print" { (words.pick("历史状态", "As of")) }
            } }
            tbody {
                @for record in &page.records {
                    tr {
                        td.number { (record.sequence) }
                        td { (local_time(record.recorded_at, offset)) }
                        td { (record.actor_id) br; span.muted { (definition.role_name(&record.actor_role).get(words.0)) } }
                        td {
                            @match record.to_event() {
                                Ok(event) => (event_summary(&event.body, &definition, words.0)),
                                Err(_) => code { (record.event_type) },
                            }
                        }
                        td { code.hash title=(record.hash.to_hex()) { (record.hash.short()) } }
                        td { code.hash title=(record.previous_hash.to_hex()) { (record.previous_hash.short()) } }
                        td.no-print { a href=(format!("{base}?sequence={}", record.sequence)) aria-label=(format!("{} {}", words.pick("查看此记录后的状态", "The project right after record"), record.sequence)) { (words.pick("查看", "view")) } }
                    }
                }
            }
        } }
        nav.pager aria-label=(words.pick("翻页", "Pages")) {
            @if after > 0 { a href=(format!("{base}/history")) { (words.pick("第一页", "First page")) } }
            @if let Some(next) = page.next_after_sequence { a href=(format!("{base}/history?after={next}")) rel="next" { (words.pick("下一页", "Next page")) } }
        }
    };
    Ok((title, body))
}

fn verification_result(
    verification: &ProjectVerification,
    project_id: Uuid,
    words: Words,
) -> Markup {
    html! {
        @if verification.valid {
            div.success role="status" #verify-result {
                strong { (words.pick("校验通过：", "The chain holds: ")) }
                (verification.records.unwrap_or(0)) (words.pick(" 条记录的哈希链完整，", " records chained intact, "))
                (words.pick("末条哈希 ", "head hash "))
                code.hash { (verification.head_hash.as_deref().unwrap_or_default()) }
            }
        } @else {
            div.error role="alert" #verify-result {
                strong { (words.pick("校验失败：", "The chain is broken: ")) }
                @if let Some(failure) = &verification.failure {
                    (words.pick("第一处错误在第 ", "the first fault is at record "))
                    (failure.sequence) (words.pick(" 号记录：", ": ")) (failure.fault.message().get(words.0))
                }
                " " code { (project_id) }
            }
        }
    }
}
