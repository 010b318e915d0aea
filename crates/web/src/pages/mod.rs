//! The web pages: server-rendered HTML for supervisors, secretariats, drafting groups and auditors.
//!
//! The pages sit beside the API at `/` and read through the same code: the store's functions,
//! the same scoping of [`specflow_store::auth`], and the API's own helpers (`readable_project`,
//! `carry_out`, `action_views`, `overdue_csv`…), so a page can show nothing the API would
//! refuse, and a drafter who types another project's address gets the API's 404.
//! Errors are the API's [`Problem`]s, rendered as friendly pages in the reader's language.
//!
//! A session is the API's bearer token kept in an HttpOnly, SameSite=Strict cookie
//! (`session.rs`); every form that changes something carries a CSRF token derived from that
//! cookie by HMAC and is refused without it. The HTML is written with maud, checked at compile
//! time; there is no JavaScript at all and one stylesheet (`layout.rs`), beside which each page
//! links its running head for print.
//!
//! The pages: the signed-in principal's to-do list (`todo.rs`, the home page of everyone but
//! auditors), their projects (`projects.rs`, at `/projects`, an auditor's home page), a project with its
//! lifecycle, timeline, actions and records, as it stands or as of a date or record
//! (`projects.rs`), its audit log and verification (`history.rs`), the bureau's overdue board
//! with its chart and CSV (`board.rs`), and the committees with their members, composition check
//! and reports (`committees.rs`), the bureau's import of projects from a spreadsheet
//! (`import.rs`), and the public specifications with their milestones and
//! inclusion proofs, for anyone without signing in (`public.rs`). Navigation is a table in `layout.rs`, so a page is added with
//! one line there and one route here.

mod board;
mod calendar;
mod comment_table;
mod committees;
mod creation;
mod email;
mod forms;
mod history;
mod import;
mod layout;
mod projects;
mod public;
mod search;
mod session;
mod submit;
mod todo;

pub use session::{CSRF_FIELD, LANGUAGE_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE, csrf_token_for};

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

/// The pages' routes, merged into the service's router at `/`; `state` feeds the layer that
/// counts the reader's to-do list for the navigation, and `upload_limit` bounds the body of a
/// work form, which may carry a file as large as the store accepts.
pub fn router(state: &AppState, upload_limit: usize) -> Router<AppState> {
    Router::new()
        // Everyone's home is their to-do list but an auditor's, who keeps the project list.
        .route("/", get(todo::home))
        .route("/todo", get(todo::todo_page))
        .route("/projects", get(projects::home))
        .route("/projects.xlsx", get(projects::projects_xlsx))
        .route("/projects.csv", get(projects::projects_csv))
        .route(
            "/projects/new",
            get(creation::creation_form).post(creation::create_from_form),
        )
        .route("/signin", get(session::signin_form).post(session::signin))
        .route("/signout", post(session::signout))
        .route("/language", get(session::switch_language))
        .route("/style.css", get(layout::stylesheet))
        .route("/print.css", get(layout::print_stylesheet))
        .route("/projects/{project}", get(projects::project_page))
        .route(
            "/projects/{project}/actions/{action}",
            post(projects::fire_action),
        )
        .route(
            "/projects/{project}/forms/comment-table",
            post(comment_table::import_table)
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024 + 64 * 1024)),
        )
        .route(
            "/projects/{project}/forms/{form}",
            post(submit::submit_form).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/projects/{project}/artifacts/{sha256}",
            get(projects::download_project_artifact),
        )
        .route("/projects/{project}/history", get(history::history_page))
        .route(
            "/projects/{project}/history.xlsx",
            get(history::history_xlsx),
        )
        .route("/projects/{project}/history.csv", get(history::history_csv))
        .route("/projects/{project}/verify", post(history::verify))
        .route("/artifacts/{sha256}", get(projects::download_artifact))
        .route("/public", get(public::list_page))
        .route("/public/verify-audit.py", get(public::verifier_script))
        .route("/public/{code}", get(public::specification_page))
        .route(
            "/public/{code}/proofs/{sequence}",
            get(public::proof_download),
        )
        .route("/overdue", get(board::board_page))
        .route("/overdue.csv", get(board::board_csv))
        .route("/overdue.xlsx", get(board::board_xlsx))
        .route(
            "/calendar",
            get(calendar::calendar_page).post(calendar::calendar_action),
        )
        .route("/search", get(search::search_page))
        .route(
            "/import",
            get(import::import_page)
                .post(import::import_post)
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024 + 64 * 1024)),
        )
        .route("/import/template.xlsx", get(import::template_download))
        .route("/email", get(email::email_page).post(email::email_action))
        .route(
            "/email/verify/{secret}",
            get(email::verify_page).post(email::verify),
        )
        .route("/committees", get(committees::committees_page))
        .route("/committees/{committee}", get(committees::committee_page))
        .route(
            "/committees/{committee}/reports/annual",
            get(committees::annual_report_page),
        )
        .route(
            "/committees/{committee}/reports/term",
            get(committees::term_report_page),
        )
        .route(
            "/committees/{committee}/reports/annual.xlsx",
            get(committees::annual_report_xlsx),
        )
        .route(
            "/committees/{committee}/reports/annual.csv",
            get(committees::annual_report_csv),
        )
        .route(
            "/committees/{committee}/reports/term.xlsx",
            get(committees::term_report_xlsx),
        )
        .route(
            "/committees/{committee}/reports/term.csv",
            get(committees::term_report_csv),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            todo::navigation_count,
        ))
        .fallback(not_found)
        .layer(middleware::from_fn(page_headers))
}

/// Any other address: a friendly 404 page rather than a bare status.
async fn not_found(viewer: session::Viewer, request: Request) -> Response {
    let path = request.uri().path().to_string();
    viewer.error_page(&Problem::new(
        ProblemKind::NotFound,
        format!("没有页面 {path}"),
        format!("There is no page {path}"),
    ))
}

/// Headers every page carries: no script may run and no other site may frame a page (so a
/// button cannot be clicked through a disguise), and pages with private data are not cached.
async fn page_headers(request: Request, next: Next) -> Response {
    let language = match session::cookie(request.headers(), LANGUAGE_COOKIE) {
        Some("en") => specflow_engine::Language::En,
        _ => specflow_engine::Language::Zh,
    };
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let mut response = next.run(request).await;
    // A page's address with the wrong method (a form's address typed in, say): a page too.
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        let viewer = session::Viewer::anonymous(language);
        response = viewer.error_page(&Problem::new(
            ProblemKind::MethodNotAllowed,
            format!("页面 {path} 不接受 {method} 请求：请从项目页面使用其中的按钮"),
            format!("{path} does not take {method}: use the buttons on the project's page"),
        ));
    }
    let headers = response.headers_mut();
    // A page may set a stricter or different policy of its own (a report, self-contained with
    // its inline styles, allows those and still no script); every other page gets this one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    let fixed = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
