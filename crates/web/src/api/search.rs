//! `GET /api/v1/search?q=…`: the projects the caller may see that match what they typed, best
//! first, each with where it matched ([`crate::app::search`]).

use super::auth::Caller;
use super::input::QueryParams;
use crate::app::AppState;
use crate::app::problem::{Problem, language_of};
use crate::app::search::{SearchAnswer, search as search_projects};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use utoipa::IntoParams;

/// The query of `GET /search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for: a code or its beginning (parentheses of either width), a word of a title
    /// in either language, a drafting unit, a specification number or a committee; Chinese
    /// substrings of one character or more.
    q: Option<String>,
    /// How many projects to list: 1 to 50, 20 when absent.
    #[param(minimum = 1, maximum = 50)]
    limit: Option<usize>,
}

/// `GET /api/v1/search`: projects by code, title, drafting unit, specification number or
/// committee, ranked (the code first), within what the caller may see.
#[utoipa::path(
    get,
    path = "/search",
    tag = "projects",
    params(
        SearchQuery,
        ("Accept-Language" = Option<String>, Header, description = "`zh` (the default) or `en`"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The projects found, best first", body = SearchAnswer))
)]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<SearchQuery>,
) -> Result<Json<SearchAnswer>, Problem> {
    let language = language_of(&headers);
    let text = query.q.unwrap_or_default();
    Ok(Json(
        search_projects(&state, &principal, &text, query.limit, language).await?,
    ))
}
