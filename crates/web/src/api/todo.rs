//! `GET /api/v1/todo`: the caller's to-do list ([`crate::app::todo`]), in the request's language.
//!
//! Every caller may ask: the list holds only what their scope shows, and an auditor's is empty.

use super::auth::Caller;
use crate::app::AppState;
use crate::app::problem::{Problem, language_of};
use crate::app::todo::{TodoList, todo_list};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;

/// `GET /api/v1/todo`: what the caller can do now, what blocks their projects (each unmet guard
/// with its kind and parameters), their deadlines within 30 days earliest first, and for the
/// bureau the extension requests waiting for a decision and the frozen projects.
#[utoipa::path(
    get,
    path = "/todo",
    tag = "projects",
    params(
        ("Accept-Language" = Option<String>, Header, description = "`zh` (the default) or `en`"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's to-do list", body = TodoList))
)]
pub async fn todo(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
) -> Result<Json<TodoList>, Problem> {
    let language = language_of(&headers);
    Ok(Json(todo_list(&state, &principal, language).await?))
}
