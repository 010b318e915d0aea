//! The HTTP service: health, readiness, metrics, and the API under `/api/v1`.
//!
//! Every request gets a request id (the caller's `X-Request-Id` if it sent a sane one, else a new
//! one), echoed in the response and carried by the request's log lines, and is counted and timed
//! per route for `/metrics`.
//!
//! The API (`api_router`) authenticates every request with a bearer token (`auth.rs`), scopes it
//! with [`crate::auth`], reads bodies within a size limit (`input.rs`), and answers every error as
//! an RFC 9457 problem document in the request's language (`problem.rs`). Its routes are in
//! `projects.rs` (drafting groups and secretariats), `board.rs` (the bureau), `audit.rs`
//! (auditors) and `reports.rs` (committee and bureau reports). `openapi.rs` builds the OpenAPI
//! document of all of them, served at `/openapi.json`.

pub mod audit;
pub mod auth;
pub mod board;
pub mod committees;
pub mod input;
pub mod openapi;
pub mod problem;
pub mod projects;
pub mod reports;

use crate::metrics::Metrics;
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The header carrying a request's id.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
}

/// The service's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .nest("/api/v1", api_router(&state))
        // The web pages at `/`: HTML, not API, so not in the OpenAPI document.
        .merge(crate::pages::router())
        .route_layer(middleware::from_fn(tag_route))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The API's routes, relative to `/api/v1`.
fn api_router(state: &AppState) -> Router<AppState> {
    // Uploads may be as large as the store accepts; everything else is JSON of at most 1 MiB.
    let artifact_limit =
        usize::try_from(state.store.options().max_artifact_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route(
            "/projects",
            get(projects::list_projects).post(projects::create_project),
        )
        .route("/projects/{project}", get(projects::read_project))
        .route("/projects/{project}/commands", post(projects::send_command))
        .route(
            "/projects/{project}/actions/{action}",
            post(projects::fire_action),
        )
        .route(
            "/projects/{project}/artifacts",
            post(projects::upload_artifact).layer(DefaultBodyLimit::max(artifact_limit)),
        )
        .route("/artifacts/{sha256}", get(projects::download_artifact))
        .route("/projects/{project}/history", get(audit::history))
        .route("/projects/{project}/state", get(audit::state_as_of))
        .route("/projects/{project}/verify", post(audit::verify_project))
        .route("/verify", post(audit::verify_everything))
        .route("/export", get(audit::export))
        .route("/overdue", get(board::overdue))
        .route("/counts", get(board::counts))
        .route("/outbox", get(board::outbox))
        .route("/outbox/retry", post(board::retry_outbox))
        .route(
            "/committees/{committee}/reports/annual",
            get(reports::committee_annual),
        )
        .route(
            "/committees/{committee}/reports/term",
            get(reports::committee_term),
        )
        .route("/reports/annual", get(reports::bureau_annual))
        .route(
            "/committees",
            get(committees::list_committees).post(committees::form_committee),
        )
        .route("/committees/{committee}", get(committees::read_committee))
        .route(
            "/committees/{committee}/appointments",
            post(committees::appoint),
        )
        .route(
            "/committees/{committee}/reappointments",
            post(committees::reappoint),
        )
        .route(
            "/committees/{committee}/resignations",
            post(committees::resign),
        )
        .route("/committees/{committee}/waivers", post(committees::waive))
        .route(
            "/committees/{committee}/secretariat",
            post(committees::assign_secretariat),
        )
        .route(
            "/committees/{committee}/terms",
            post(committees::start_term),
        )
        .route(
            "/committees/{committee}/terms/end",
            post(committees::end_term),
        )
        .route(
            "/committees/{committee}/composition",
            get(committees::check),
        )
        .route("/committees/{committee}/roll", get(committees::roll))
        .route("/committees/{committee}/history", get(committees::history))
        .route("/committees/{committee}/verify", post(committees::verify))
        .fallback(api_route_not_found)
        .layer(DefaultBodyLimit::max(input::JSON_BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(problem::render_problems))
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
        (status = 200, description = "The database answers with the expected schema", content_type = "text/plain", body = String, example = "ready\n"),
        (status = 503, description = "The database does not answer, or its schema is not this build's", content_type = "text/plain", body = String),
    )
)]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.check_schema().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
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

/// The Prometheus text exposition: the process's own metrics, then gauges read from the
/// database at scrape time (projects per stage, overdue, outbox backlog).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((status = 200, description = "The metrics, in the OpenMetrics text format", content_type = "application/openmetrics-text", body = String))
)]
async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics.encode();
    // The OpenMetrics text ends with `# EOF`; the database gauges go before it.
    if let Some(stripped) = text.strip_suffix("# EOF\n") {
        text = stripped.to_string();
    }
    match database_gauges(&state.store).await {
        Ok(gauges) => text.push_str(&gauges),
        Err(error) => {
            tracing::warn!(%error, "metrics: the database gauges could not be read");
            text.push_str("# the database gauges could not be read\n");
        }
    }
    text.push_str("# EOF\n");
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn database_gauges(store: &Store) -> Result<String, crate::StoreError> {
    let counts = store.stage_counts().await?;
    let backlog = store.outbox_backlog().await?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# HELP specflow_projects Projects, by committee and stage."
    );
    let _ = writeln!(text, "# TYPE specflow_projects gauge");
    for count in &counts {
        let _ = writeln!(
            text,
            "specflow_projects{{committee=\"{}\",stage=\"{}\"}} {}",
            escape(&count.committee),
            escape(&count.stage),
            count.projects
        );
    }
    let mut per_committee: std::collections::BTreeMap<&str, [u64; 3]> = Default::default();
    for count in &counts {
        let entry = per_committee.entry(&count.committee).or_default();
        entry[0] += count.overdue;
        entry[1] += count.escalated;
        entry[2] += count.frozen;
    }
    let gauges = [
        (
            "specflow_overdue_projects",
            "Projects past a deadline, by committee.",
        ),
        (
            "specflow_escalated_projects",
            "Overdue projects escalated to the bureau, by committee.",
        ),
        ("specflow_frozen_projects", "Frozen projects, by committee."),
    ];
    for (index, (name, help)) in gauges.iter().enumerate() {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} gauge");
        for (committee, values) in &per_committee {
            let _ = writeln!(
                text,
                "{name}{{committee=\"{}\"}} {}",
                escape(committee),
                values[index]
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP specflow_outbox_notifications Notifications in the outbox, by status."
    );
    let _ = writeln!(text, "# TYPE specflow_outbox_notifications gauge");
    for (status, value) in [
        ("pending", backlog.pending),
        ("delivered", backlog.delivered),
        ("dead", backlog.dead),
    ] {
        let _ = writeln!(
            text,
            "specflow_outbox_notifications{{status=\"{status}\"}} {value}"
        );
    }
    Ok(text)
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Hands the matched route to `observe`, which runs outside routing and cannot see it otherwise.
async fn tag_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Gives the request an id, logs it with the id, and counts and times it per route.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            !value.is_empty()
                && value.len() <= 128
                && value
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        request.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let span = tracing::info_span!("request", id = %request_id, %method, %path);
    let mut response = next.run(request).instrument(span.clone()).await;
    // The route as declared (`/projects/{id}`), so that metrics have one series per route.
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status();
    state
        .metrics
        .http_requests
        .get_or_create(&vec![
            ("route".to_string(), route.clone()),
            ("status".to_string(), status.as_u16().to_string()),
        ])
        .inc();
    state
        .metrics
        .http_request_seconds
        .get_or_create(&vec![("route".to_string(), route.clone())])
        .observe(seconds);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            millis = seconds * 1000.0,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}
