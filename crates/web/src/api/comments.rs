//! Comments in bulk: `POST /projects/{project}/comments/import` takes a comment disposition table
//! (意见汇总处理表, CSV or XLSX) as the body, previews it with every row's problem
//! (`?dry_run=true`), or records every row in one batch, all or none.

use super::auth::Caller;
use super::input::{
    QueryParams, body_bytes, check_spreadsheet_media_type, command_id, expected_sequence,
};
use crate::app::AppState;
use crate::app::comment_import::{ImportAnswer, ImportRequest, import_comments};
use crate::app::idempotency::WriteRoute;
use crate::app::problem::{Problem, language_of};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// The query of an import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only preview: every row with its problems, nothing recorded.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/projects/{project}/comments/import`: the body is the table itself.
#[utoipa::path(
    post,
    path = "/projects/{project}/comments/import",
    tag = "projects",
    params(
        super::params::ProjectPath,
        ImportQuery,
        super::params::WriteHeaders,
        ("Accept-Language" = Option<String>, Header, description = "`zh` (the default) or `en`: the language of each row's problems"),
    ),
    request_body(description = "The comment disposition table: CSV in UTF-8 (with or without a byte-order mark) or XLSX, one row per comment under a header naming organisation, clause, comment, disposition and reason (in Chinese or English)",
        content(
            (super::params::BinaryFile = "text/csv"),
            (super::params::BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
    security(("bearer" = [])),
    responses((status = 200, description = "The preview (`dry_run`), or every row recorded; a table with any problem is 422 with each one as a reason, and nothing recorded", body = ImportAnswer,
        headers(("ETag" = String, description = "The sequence to send as `If-Match` next, once recorded"))))
)]
pub async fn import_comment_table(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<ImportQuery>,
    request: Request,
) -> Result<Response, Problem> {
    let headers = request.headers().clone();
    let language = language_of(&headers);
    let command_id = command_id(&headers, &principal, WriteRoute::CommentImport)?;
    let expected_sequence = expected_sequence(&headers)?;
    check_spreadsheet_media_type(&headers, ("意见汇总处理表", "The comment table"))?;
    let bytes = body_bytes(request, &state).await?;
    let answer = import_comments(
        &state,
        &principal,
        &id_or_code,
        &bytes,
        ImportRequest {
            dry_run: query.dry_run,
            command_id,
            expected_sequence,
        },
        language,
    )
    .await?;
    let last_sequence = answer.last_sequence;
    let mut response = Json(answer).into_response();
    if let Some(sequence) = last_sequence
        && let Ok(etag) = HeaderValue::from_str(&format!("\"{sequence}\""))
    {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}
