//! The to-do page (`/todo`), everyone's home page but an auditor's: what the reader can do now,
//! the deadlines of the next 30 days earliest first, what blocks their projects with every unmet
//! guard, and for the bureau the overdue count with the board's link, the extension requests
//! waiting for a decision and the frozen projects.
//!
//! It reads [`crate::app::todo::todo_list`], as `GET /api/v1/todo` and `specflow todo` do; the
//! navigation's count comes from the same list (`navigation_count`), computed once per page.

use super::layout::{self, NAVIGATION_COUNT, Words, local_date, shanghai};
use super::session::{SignedIn, Viewer};
use crate::app::AppState;
use crate::app::todo::{
    BlockedAction, MAX_PROJECTS_EXAMINED, Supervision, TodoDeadline, TodoList, TodoProject,
    todo_list,
};
use axum::extract::{FromRequestParts, RawQuery, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use specflow_store::auth::is_read_only;
use std::sync::Arc;

/// `GET /`: the reader's home. Auditors change nothing and keep the project list; everyone else
/// lands on their to-do list. An old address of the list with filters (`/?stage=…`) goes to the
/// list at `/projects`.
pub async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    if is_read_only(&signed_in.principal) {
        return super::projects::home(State(state), signed_in, RawQuery(raw)).await;
    }
    match raw.filter(|query| !query.is_empty()) {
        Some(query) => Redirect::to(&format!("/projects?{query}")).into_response(),
        None => Redirect::to("/todo").into_response(),
    }
}

/// The list the navigation layer computed for this request, handed on to the page so it is not
/// computed twice.
#[derive(Debug, Clone)]
pub struct Computed(Arc<TodoList>);

/// `GET /todo`: the reader's to-do list.
pub async fn todo_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    computed: Option<axum::Extension<Computed>>,
) -> Response {
    let words = signed_in.viewer.words();
    let list = match computed {
        Some(axum::Extension(Computed(list))) => list,
        None => match todo_list(&state, &signed_in.principal, words.0).await {
            Ok(list) => Arc::new(list),
            Err(problem) => return signed_in.viewer.error_page(&problem),
        },
    };
    layout::page_response(
        &signed_in.viewer,
        words.pick("待办", "To do"),
        todo_body(&list, words),
    )
}

/// The pages' layer that puts the reader's to-do count into the navigation: for a signed-in
/// reader who is not an auditor, on a page with the site's frame, the list is computed once and
/// its count set for the frame to show. It wraps the pages' routes only, not the fallback, so an
/// unknown address (a browser's `/favicon.ico`) costs no list.
pub async fn navigation_count(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Answers without the site's navigation need no count: redirects (`/` for everyone who has
    // a list, the language switch), the sign-in form, the stylesheet, downloads (artifacts,
    // proofs, the verifier script), the CSV and Excel downloads and the reports, which are their renderer's own HTML.
    let is_page = request.method() == Method::GET
        && !matches!(path, "/" | "/language" | "/signin" | "/style.css")
        && !path.starts_with("/artifacts/")
        && !path.contains("/proofs/")
        && !path.ends_with(".py")
        && !path.ends_with(".csv")
        && !path.ends_with(".xlsx")
        && !path.contains("/reports/");
    if !is_page {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(viewer) = Viewer::from_request_parts(&mut parts, &state).await;
    let mut request = Request::from_parts(parts, body);
    let Some(principal) = viewer
        .principal
        .filter(|principal| !is_read_only(principal))
    else {
        return next.run(request).await;
    };
    match todo_list(&state, &principal, viewer.language).await {
        Ok(list) => {
            let count = list.count();
            request.extensions_mut().insert(Computed(Arc::new(list)));
            NAVIGATION_COUNT.scope(Some(count), next.run(request)).await
        }
        Err(problem) => {
            // The page itself still answers; only its count is missing.
            tracing::warn!(subject = %principal.subject, detail = %problem.detail.en, "pages: the to-do count could not be read");
            next.run(request).await
        }
    }
}

fn project_cell(project: &TodoProject) -> Markup {
    html! {
        a href=(format!("/projects/{}", project.project_id)) { (project.code) }
        br;
        span.muted { (project.title) }
    }
}

fn todo_body(list: &TodoList, words: Words) -> Markup {
    html! {
        h1 { (words.pick("我的待办", "My to-do list")) }
        @if let Some(supervision) = &list.supervision {
            (supervision_lead(supervision, words))
        }
        @if list.truncated {
            p.notice role="status" {
                (words.0.pick(
                    format!("项目太多：只检查了按编号排列的前 {MAX_PROJECTS_EXAMINED} 个未结束的项目。其余项目请在项目列表或逾期看板中查看。"),
                    format!("Too many projects: only the first {MAX_PROJECTS_EXAMINED} open projects by code were examined. See the others in the project list or on the overdue board."),
                ))
            }
        }
        p.muted {
            (words.0.pick(
                format!("今天是 {}；共检查 {} 个未结束的项目。", list.today, list.projects_examined),
                format!("Today is {}; {} open project(s) examined.", list.today, list.projects_examined),
            ))
            " "
            a href="/projects" { (words.pick("查看全部项目", "All projects")) }
        }
        (ready_section(list, words))
        (work_section(list, words))
        (deadlines_section(list, words))
        @if let Some(supervision) = &list.supervision {
            (extensions_section(supervision, words))
            (frozen_section(supervision, words))
        }
        (blocked_section(&list.blocked, words))
    }
}

/// A supervisor's page leads with the overdue count and the board's link.
fn supervision_lead(supervision: &Supervision, words: Words) -> Markup {
    html! {
        section.card.lead aria-label=(words.pick("逾期概况", "Overdue at a glance")) {
            p {
                @if supervision.overdue > 0 {
                    strong.late { (words.0.pick(format!("逾期项目 {} 个", supervision.overdue), format!("{} overdue project(s)", supervision.overdue))) }
                } @else {
                    strong.ok { (words.pick("没有逾期项目", "No overdue project")) }
                }
                @if supervision.frozen_total > 0 {
                    "，"
                    (words.0.pick(format!("其中冻结 {} 个", supervision.frozen_total), format!("{} frozen", supervision.frozen_total)))
                }
                " · "
                a href="/overdue" { (words.pick("查看逾期看板", "Open the overdue board")) }
            }
        }
    }
}

/// The reasons holding actions back that are this person's to clear, each with its form.
fn work_section(list: &TodoList, words: Words) -> Markup {
    let work: Vec<(
        &crate::app::todo::BlockedAction,
        &crate::app::todo::BlockingGuard,
    )> = list
        .blocked
        .iter()
        .flat_map(|action| action.guards.iter().map(move |guard| (action, guard)))
        .filter(|(_, guard)| guard.yours)
        .collect();
    html! {
        section.card #work {
            h2 { (words.pick("等您办理", "Work waiting for you")) " " span.badge.ok { (work.len()) } }
            @if work.is_empty() {
                p.muted { (words.pick("没有等您办理的事项。", "Nothing waits for your work.")) }
            } @else {
                ul {
                    @for (action, guard) in &work {
                        li {
                            (project_cell(&action.project)) " · "
                            (guard.message)
                            (words.pick("（", " ("))
                            (words.pick("才能", "before "))
                            (action.name)
                            (words.pick("）", ")"))
                            @if let Some((form, preset)) = super::forms::clearing_form(&guard.code, &guard.figures, guard.cleared_by.as_deref() == Some("record_meeting")) {
                                " " a.clear href=(super::forms::form_address(&format!("/projects/{}", action.project.project_id), form, preset.as_ref())) { (words.pick("去办理", "Do it")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn ready_section(list: &TodoList, words: Words) -> Markup {
    html! {
        section.card #ready {
            h2 { (words.pick("现在可以做", "Ready for you now")) " " span.badge.ok { (list.ready.len()) } }
            @if list.ready.is_empty() {
                p.muted { (words.pick("目前没有您可以执行的操作。", "Nothing is ready for you to fire.")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (words.pick("项目", "Project")) }
                            th { (words.pick("阶段", "Stage")) }
                            th { (words.pick("操作", "Action")) }
                            th { (words.pick("进入阶段", "Leads to")) }
                        } }
                        tbody {
                            @for item in &list.ready {
                                tr {
                                    td { (project_cell(&item.project)) }
                                    td { (item.project.stage_name) }
                                    td {
                                        a href=(format!("/projects/{}", item.project.project_id)) { (item.name) }
                                        @if item.requires_reason { " " span.muted { (words.pick("（须说明理由）", "(needs a reason)")) } }
                                    }
                                    td { (item.to_name) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn days_text(deadline: &TodoDeadline, words: Words) -> String {
    match deadline.days_left {
        days if days < 0 => words.0.pick(
            format!("已逾期 {} 天", -days),
            format!("{} day(s) overdue", -days),
        ),
        0 => words.pick("今天到期", "due today").to_string(),
        days => words
            .0
            .pick(format!("还有 {days} 天"), format!("{days} day(s) left")),
    }
}

fn deadlines_section(list: &TodoList, words: Words) -> Markup {
    html! {
        section.card #deadlines {
            h2 {
                (words.0.pick(format!("{} 天内到期", list.horizon_days), format!("Due within {} days", list.horizon_days)))
                " " span.badge.warn { (list.deadlines.len()) }
            }
            @if list.deadlines.is_empty() {
                p.muted { (words.pick("没有即将到期或已逾期的期限。", "No deadline is coming or missed.")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (words.pick("到期日", "Due on")) }
                            th { (words.pick("剩余", "Left")) }
                            th { (words.pick("期限", "Deadline")) }
                            th { (words.pick("项目", "Project")) }
                            th { (words.pick("提醒日", "Warns on")) }
                        } }
                        tbody {
                            @for deadline in &list.deadlines {
                                tr {
                                    td { (deadline.due_on) }
                                    td {
                                        @if deadline.days_left < 0 {
                                            span.late { (days_text(deadline, words)) }
                                        } @else {
                                            (days_text(deadline, words))
                                        }
                                        @if deadline.escalated { " " span.badge.warn { (words.pick("已上报", "escalated")) } }
                                    }
                                    td { (deadline.name) }
                                    td { (project_cell(&deadline.project)) }
                                    td { @if let Some(day) = deadline.warns_on { (day) } @else { "—" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn extensions_section(supervision: &Supervision, words: Words) -> Markup {
    html! {
        section.card #extensions {
            h2 { (words.pick("待决定的延期申请", "Extension requests waiting for a decision")) " " span.badge.warn { (supervision.extension_requests.len()) } }
            @if supervision.extension_requests.is_empty() {
                p.muted { (words.pick("没有待决定的延期申请。", "No extension request is waiting.")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (words.pick("项目", "Project")) }
                            th { (words.pick("期限", "Deadline")) }
                            th { (words.pick("原到期日", "Due on")) }
                            th { (words.pick("申请延至", "Asked for")) }
                            th { (words.pick("理由", "Reason")) }
                            th { (words.pick("申请人", "Asked by")) }
                        } }
                        tbody {
                            @for request in &supervision.extension_requests {
                                tr {
                                    td { (project_cell(&request.project)) }
                                    td { (request.deadline_name) br; code { (request.request_id) } }
                                    td { (request.current_due_on) }
                                    td { (request.requested_due_on) }
                                    td { (request.reason) }
                                    td { (request.requested_by) br; span.muted { (local_date(request.requested_at, shanghai())) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn frozen_section(supervision: &Supervision, words: Words) -> Markup {
    html! {
        section.card #frozen {
            h2 { (words.pick("已冻结的项目", "Frozen projects")) " " span.badge.frozen { (supervision.frozen.len()) } }
            @if supervision.frozen.is_empty() {
                p.muted { (words.pick("没有冻结的项目。", "No project is frozen.")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (words.pick("项目", "Project")) }
                            th { (words.pick("阶段", "Stage")) }
                            th { (words.pick("冻结原因（期限）", "Frozen by (deadline)")) }
                            th { (words.pick("冻结日期", "Frozen on")) }
                        } }
                        tbody {
                            @for frozen in &supervision.frozen {
                                tr {
                                    td { (project_cell(&frozen.project)) }
                                    td { (frozen.project.stage_name) }
                                    td { (frozen.deadline_name) }
                                    td { (local_date(frozen.since, shanghai())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn blocked_section(blocked: &[BlockedAction], words: Words) -> Markup {
    html! {
        section.card #blocked {
            h2 { (words.pick("受阻的操作", "Blocked actions")) " " span.badge.late { (blocked.len()) } }
            @if blocked.is_empty() {
                p.muted { (words.pick("您的项目没有受阻的操作。", "Nothing blocks your projects.")) }
            } @else {
                p.muted { (words.pick("每项操作下列出尚未满足的条件；满足后即可执行。", "Under each action, the conditions not met yet; once they are, it can be fired.")) }
                div.actions {
                    @for item in blocked {
                        div.action {
                            p {
                                a href=(format!("/projects/{}", item.project.project_id)) { (item.project.code) }
                                " · " (item.project.stage_name)
                            }
                            p {
                                strong { (item.name) }
                                " → " (item.to_name)
                            }
                            p.muted {
                                (words.pick("执行者：", "Fired by: "))
                                (item.roles.join(", "))
                                @if item.yours {
                                    " " span.badge.ok { (words.pick("您", "you")) }
                                }
                            }
                            ul.unmet {
                                @for guard in &item.guards {
                                    li data-guard-kind=[guard.kind.as_deref()] data-guard=[guard.guard.as_deref()] {
                                        (guard.message)
                                        // The project page shows the form only to those who may use it.
                                        @if let Some((form, preset)) = super::forms::clearing_form(&guard.code, &guard.figures, guard.cleared_by.as_deref() == Some("record_meeting")) {
                                            " " a.clear href=(super::forms::form_address(&format!("/projects/{}", item.project.project_id), form, preset.as_ref())) { (words.pick("去办理", "Do it")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
