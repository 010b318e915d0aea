//! Projects brought in from a spreadsheet: `POST /imports/projects` takes the file itself as the
//! body and previews it with every row's problems (`?dry_run=true`) or imports every row, all or
//! none; `GET /imports/projects/template` is the template to fill in. The bureau's, as on the
//! `/import` page and in `specflow import` ([`crate::app::import`]).

use super::auth::Caller;
use super::input::{QueryParams, body_bytes, check_spreadsheet_media_type};
use crate::app::AppState;
use crate::app::import::ImportFile;
use crate::app::import_answer::{ProjectImportAnswer, import_for_api, template_for};
use crate::app::problem::{Problem, language_of};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// The media type of an XLSX workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The longest file name kept as a CSV file's sheet (a file system's usual limit).
const MAX_FILE_NAME_CHARS: usize = 255;

/// The query of an import of projects.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectImportQuery {
    /// Only preview: every row with its problems, nothing written.
    #[serde(default)]
    dry_run: bool,
    /// The file's name, recorded as the sheet of a CSV file's provenance (`import.csv` when
    /// absent); an XLSX file's first sheet is named by the workbook. At most 255 characters.
    #[param(max_length = 255)]
    file_name: Option<String>,
}

/// `POST /api/v1/imports/projects`: the body is the projects' file.
///
/// Only the bureau (a supervisor or an administrator) imports (403 otherwise). A file with any
/// problem is not imported: 422, each problem a reason whose `figures` give its `row` and
/// `column`. If something changed since the rows were checked (a code taken meanwhile), nothing
/// is imported and the answer is 409. An empty body or a file name over 255 characters is 400.
#[utoipa::path(
    post,
    path = "/imports/projects",
    tag = "projects",
    params(
        ProjectImportQuery,
        ("Accept-Language" = Option<String>, Header, description = "`zh` (the default) or `en`: the language of each row's problems"),
    ),
    request_body(description = "The projects: CSV in UTF-8 (with or without a byte-order mark) or XLSX (its first sheet), one row per project under a header naming code, titles, kind, committee, drafting unit, stage and the dates reached (in Chinese or English; see the template)",
        content(
            (super::params::BinaryFile = "text/csv"),
            (super::params::BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The preview (`dry_run`), or every row imported in one transaction; the same file again creates nothing (`already_imported`)", body = ProjectImportAnswer),
    )
)]
pub async fn import_projects(
    State(state): State<AppState>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams<ProjectImportQuery>,
    request: Request,
) -> Result<Json<ProjectImportAnswer>, Problem> {
    let headers = request.headers().clone();
    let language = language_of(&headers);
    check_spreadsheet_media_type(&headers, ("项目表", "The projects' file"))?;
    let bytes = body_bytes(request, &state).await?;
    if bytes.is_empty() {
        return Err(Problem::invalid(
            "body",
            "请求体为空：请求体应为项目表文件本身（CSV 或 XLSX）",
            "The body is empty: it must be the projects' file itself (CSV or XLSX)",
        ));
    }
    let name = query.file_name.as_deref().unwrap_or("import.csv");
    if name.chars().count() > MAX_FILE_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Problem::invalid(
            "file_name",
            format!("文件名最多 {MAX_FILE_NAME_CHARS} 个字符，且不得含控制字符"),
            format!(
                "The file name is at most {MAX_FILE_NAME_CHARS} characters, with no control characters"
            ),
        ));
    }
    let file = ImportFile {
        name,
        bytes: &bytes,
    };
    let answer = import_for_api(&state, &principal, file, query.dry_run, language).await?;
    Ok(Json(answer))
}

/// `GET /api/v1/imports/projects/template`: the XLSX template to fill in (the bureau's; 403
/// otherwise).
#[utoipa::path(
    get,
    path = "/imports/projects/template",
    tag = "projects",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template: a header row and an example on the first sheet, the committees, kinds and stages to name on the second",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = super::params::BinaryFile),
    )
)]
pub async fn project_import_template(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, Problem> {
    let bytes = template_for(&state, &principal).await?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"specflow-import-template.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
