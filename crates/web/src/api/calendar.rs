//! `GET /calendar/{secret}.ics`: an account's calendar feed (issue 20), for calendar applications.
//!
//! The secret in the address is the only credential, as calendar applications send no other:
//! an unknown, replaced or revoked secret, or one of a disabled account, is answered 404 like any
//! address that does not exist. Not an API operation (a file a calendar subscribes to), so not in
//! the OpenAPI document. `?lang=en` gives the feed in English; it is in Chinese otherwise.

use crate::app::AppState;
use crate::app::calendar::{base_url_of, calendar_feed};
use crate::app::problem::{Problem, ProblemKind, language_of};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use specflow_engine::Language;

/// The feed's routes, answering problems in the reader's language.
pub fn calendar_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/calendar/{file}", axum::routing::get(feed))
        .layer(axum::middleware::from_fn(
            crate::app::problem::render_problems,
        ))
}

/// The feed's query.
#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    /// `zh` or `en`.
    lang: Option<String>,
}

/// `GET /calendar/{secret}.ics`.
pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let not_found = || {
        Problem::new(
            ProblemKind::NotFound,
            "没有这个日历订阅地址：它可能已被更换或停用",
            "There is no calendar feed at this address: it may have been replaced or stopped",
        )
    };
    let secret = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let account = state
        .store
        .calendar_feed_account(secret)
        .await?
        .ok_or_else(not_found)?;
    let language = match query.lang.as_deref() {
        Some("en") => Language::En,
        Some("zh") => Language::Zh,
        None => language_of(&headers),
        Some(other) => {
            return Err(Problem::invalid(
                "lang",
                format!("lang 只能是 zh 或 en，而不是 {other}"),
                format!("lang must be zh or en, not {other}"),
            ));
        }
    };
    let text = calendar_feed(&state, &account, language, &base_url_of(&headers)).await?;
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    // The feed is the person's own: no shared cache may keep it, and a replaced address must
    // stop answering at once.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"specflow.ics\""),
    );
    Ok(response)
}
