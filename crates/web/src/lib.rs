//! specflow's web face: the use-cases ([`app`]), the JSON API on them ([`api`]) and the
//! server-rendered pages on them ([`pages`]), mounted together by [`router`].
//!
//! Every request gets a request id (the caller's `X-Request-Id` if it sent a sane one, else a new
//! one, by tower-http's request-id layers), echoed in the response and carried by the request's
//! log lines, and is counted and timed per route for `/metrics`.
//!
//! Before routing, [`address`] refuses a path or query specflow cannot read; every handler runs
//! within a time limit, and an error answered without a body is made a problem document.
//! `/metrics` is not among these routes: [`metrics_router`] serves it on a listener of its own.

#![forbid(unsafe_code)]

pub mod address;
pub mod api;
pub mod app;
pub mod pages;

pub use app::{AppState, REQUEST_ID};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

/// How long a handler may take before it is answered 503 by default (`specflow serve
/// --request-timeout`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The service's routes: the service's own, the API under `/api/v1` and the pages at `/`, with
/// handlers given [`DEFAULT_REQUEST_TIMEOUT`].
pub fn router(state: AppState) -> Router {
    router_with_timeout(state, DEFAULT_REQUEST_TIMEOUT)
}

/// [`router`] with handlers given `request_timeout`: one taking longer is dropped and answered
/// 503 with a problem document, so that a stuck database or a trickled body holds no task for ever.
pub fn router_with_timeout(state: AppState, request_timeout: Duration) -> Router {
    // Uploads may be as large as the store accepts; everything else is JSON of at most 1 MiB.
    let artifact_limit =
        usize::try_from(state.store.options().max_artifact_bytes).unwrap_or(usize::MAX);
    let (api, _document) = api::routes(artifact_limit);
    let routes = Router::new()
        .merge(api)
        // The transparency log's tiles: file paths of C2SP tlog-tiles, not API operations.
        .merge(api::log::tile_routes())
        // Calendar feeds: files calendar applications subscribe to, not API operations.
        .merge(api::calendar::calendar_routes())
        // The web pages at `/`: HTML, not API, so not in the OpenAPI document.
        // A work form may carry a file as large as the store accepts, with its fields beside it.
        .merge(pages::router(
            &state,
            artifact_limit.saturating_add(64 * 1024),
        ));
    with_service_layers(routes, state, request_timeout)
}

/// The layers every route of the service runs in: route tagging for metrics, request ids,
/// `nosniff`, logging and metrics, problem documents for bare errors, the address check and the
/// handler's time limit. Public so that a test can run a route of its own (a handler that never
/// finishes) inside exactly these layers.
pub fn with_service_layers(
    routes: Router<AppState>,
    state: AppState,
    request_timeout: Duration,
) -> Router {
    routes
        .route_layer(middleware::from_fn(tag_route))
        .layer(
            ServiceBuilder::new()
                // The caller's id is kept only when it is one a log line can carry safely.
                .layer(middleware::map_request(drop_unusable_request_id))
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                // Nothing specflow serves should be sniffed into another type (pages and
                // downloads set their own, stricter headers as well).
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(middleware::from_fn_with_state(state.clone(), observe))
                .layer(middleware::from_fn(address::render_bare_errors))
                .layer(middleware::from_fn(address::refuse_unreadable_addresses))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    request_timeout,
                )),
        )
        .with_state(state)
}

/// `/metrics` alone, for the listener `specflow serve --metrics-listen` opens (loopback by
/// default): the process's counters and the database's gauges are the operator's, not the API
/// callers', so they are not served beside the API.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(api::metrics))
        .with_state(state)
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

/// Removes an `X-Request-Id` that is empty, longer than 128 characters or holds anything but
/// letters, digits and `-_.:`, so that [`SetRequestIdLayer`] gives the request a new one.
async fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            !value.is_empty()
                && value.len() <= 128
                && value
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte))
        });
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// Logs the request with its id, and counts and times it per route.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let span = tracing::info_span!("request", id = %request_id, %method, %path);
    let response = next.run(request).instrument(span.clone()).await;
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
    response
}
