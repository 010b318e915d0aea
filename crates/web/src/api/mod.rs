//! The JSON face: health, readiness, and the API under `/api/v1` (and the `/metrics` handler,
//! which `crate::metrics_router` serves apart).
//!
//! Every route is declared once, by its handler's annotation ([`routes`] registers both the route
//! and its operation in the OpenAPI document). The API authenticates every request with a bearer token (`auth.rs`), scopes it
//! with [`specflow_store::auth`], reads bodies within a size limit (`input.rs`), and answers every error as
//! an RFC 9457 problem document in the request's language ([`crate::app::problem`]). Its routes are in
//! `projects.rs` (drafting groups and secretariats), `comments.rs` (comment tables imported),
//! `board.rs` (the bureau), `audit.rs` (auditors), `reports.rs` (committee and bureau reports)
//! and `todo.rs` (a person's to-do list). `openapi.rs` builds the OpenAPI
//! document of all of them, served at `/openapi.json`.

pub mod audit;
pub mod auth;
pub mod board;
pub mod calendar;
pub mod comments;
pub mod committees;
pub mod imports;
pub mod input;
pub mod log;
pub mod openapi;
pub mod params;
pub mod projects;
pub mod reports;
pub mod search;
pub mod todo;
pub mod wire;

use crate::app::AppState;
use crate::app::problem;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The service's routes and the OpenAPI document they make: the service's own (health,
/// readiness, the document) and the API's under `/api/v1`.
///
/// Each route is declared once, by its handler's `#[utoipa::path]` (or, for the committee
/// writes, by a line of their table): `routes!` registers the handler with the router and its
/// operation with the document, so the two cannot drift apart. `artifact_limit` bounds an
/// upload's body; every other body is JSON of at most [`input::JSON_BODY_LIMIT_BYTES`].
pub fn routes(artifact_limit: usize) -> (Router<AppState>, Document) {
    let api = OpenApiRouter::new()
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(projects::read_project))
        .routes(routes!(projects::send_command))
        .routes(routes!(projects::fire_action))
        .routes(routes!(projects::upload_artifact).layer(DefaultBodyLimit::max(artifact_limit)))
        .routes(routes!(projects::download_artifact))
        .routes(
            routes!(comments::import_comment_table).layer(DefaultBodyLimit::max(artifact_limit)),
        )
        .routes(routes!(audit::history))
        .routes(routes!(audit::state_as_of))
        .routes(routes!(audit::verify_project))
        .routes(routes!(audit::verify_everything))
        .routes(routes!(audit::export))
        .routes(routes!(board::overdue))
        .routes(routes!(board::counts))
        .routes(routes!(board::outbox))
        .routes(routes!(board::retry_outbox))
        .routes(routes!(reports::committee_annual))
        .routes(routes!(reports::committee_term))
        .routes(routes!(reports::bureau_annual))
        .routes(routes!(
            committees::list_committees,
            committees::form_committee
        ))
        .routes(routes!(committees::read_committee))
        .merge(committees::write_routes())
        .routes(routes!(committees::check))
        .routes(routes!(committees::roll))
        .routes(routes!(committees::history))
        .routes(routes!(committees::verify))
        .routes(routes!(log::inclusion_proof))
        .routes(routes!(log::consistency_proof))
        .routes(routes!(todo::todo))
        .routes(routes!(search::search))
        .routes(routes!(imports::import_projects))
        .routes(routes!(imports::project_import_template))
        .fallback(api_route_not_found)
        .layer(DefaultBodyLimit::max(input::JSON_BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(problem::render_problems))
        // An API answer is one caller's view at one moment (its scope, the project's sequence):
        // no cache between the caller and specflow may keep it, as the pages say too. A
        // download that sets its own policy keeps it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    // The transparency log's public face: no token, nothing of any record's contents.
    let public_log = OpenApiRouter::new()
        .routes(routes!(log::checkpoint))
        .layer(middleware::from_fn(problem::render_problems));
    let (router, mut document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(public_log)
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi::openapi_json))
        .nest("/api/v1", api)
        .split_for_parts();
    openapi::add_conventions(&mut document);
    (router, document)
}

/// An unknown path under `/api/v1`: a problem document like every other API error.
async fn api_route_not_found(request: Request) -> problem::Problem {
    let path = request.uri().path().to_string();
    problem::Problem::new(
        problem::ProblemKind::NotFound,
        format!("没有路径 {path}"),
        format!("There is no route {path}"),
    )
}

/// Alive: the process answers. Says nothing about the database (that is `/readyz`).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses((status = 200, description = "The process answers", content_type = "text/plain", body = String, example = "ok\n"))
)]
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the database answers and its schema is the one this build expects.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    responses(
        (status = 200, description = "The database answers with the expected schema; then one line per notification channel this node has tried since it started, failing or delivering", content_type = "text/plain", body = String, example = "ready\nchannel secretariat (email): failing since 2026-12-04T08:30:00Z, last tried 2026-12-04T08:31:02Z: no SMTP server is configured: start specflow with --smtp-url and --mail-from\n"),
        (status = 503, description = "The database does not answer, or its schema is not this build's (the detail says which)", content_type = "application/problem+json", body = openapi::ProblemDocument),
    )
)]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.check_schema().await {
        Ok(()) => (StatusCode::OK, readiness_details(&state)).into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {error}\n"),
            )
                .into_response()
        }
    }
}

/// `ready`, then one line per notification channel this node has tried since it started: a
/// failing channel does not make the node unready (it serves everything else), but an operator
/// looking at `/readyz` sees it, with the reason.
fn readiness_details(state: &AppState) -> String {
    let mut text = "ready\n".to_string();
    for channel in state.store.channel_health() {
        let line = match (&channel.failing_since, &channel.last_error) {
            (Some(since), Some(error)) => format!(
                "channel {} ({}): failing since {}, last tried {}: {error}\n",
                channel.audience,
                channel.kind,
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                channel
                    .last_attempt_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            _ => format!(
                "channel {} ({}): delivering, last at {}\n",
                channel.audience,
                channel.kind,
                channel
                    .last_attempt_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        };
        text.push_str(&line);
    }
    text
}

/// The Prometheus text exposition: the process's own metrics, then gauges read from the
/// database at scrape time (projects per stage, overdue, outbox backlog).
///
/// Served by [`crate::metrics_router`] on the operator's own listener, not beside the API, and
/// so not in the OpenAPI document: the gauges count projects per committee, which the API shows
/// only to whoever may read everything.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics.encode();
    // The OpenMetrics text ends with `# EOF`; the database gauges go before it, with their own.
    if let Some(stripped) = text.strip_suffix("# EOF\n") {
        text = stripped.to_string();
    }
    match state.store.database_gauges().await {
        Ok(gauges) => text.push_str(&gauges.encode()),
        Err(error) => {
            tracing::warn!(%error, "metrics: the database gauges could not be read");
            text.push_str("# the database gauges could not be read\n# EOF\n");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
