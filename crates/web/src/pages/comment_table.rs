//! Importing a comment disposition table (意见汇总处理表) from the project's page, in two steps
//! and without JavaScript: `POST /projects/{project}/forms/comment-table`.
//!
//! The first post carries the file (`multipart/form-data`): the table is read and decided by the
//! API's own use-case (`app::comment_import`) without recording anything, and a preview page lists
//! every row with its problems. When every row is fine, the preview carries the file back in a
//! hidden field (hex, so the page stays self-contained and the server keeps nothing between the
//! steps) with the same command id, and its button records all rows in one transaction, or none.
//! A table with problems offers the upload again, for the fixed file.

use super::forms::{Values, value};
use super::layout::{self, Words};
use super::session::{CSRF_FIELD, SignedIn};
use crate::app::AppState;
use crate::app::comment_import::{ImportAnswer, ImportRequest, import_comments};
use crate::app::idempotency::{WriteRoute, scoped_command_id};
use crate::app::problem::{Problem, ProblemKind};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use uuid::Uuid;

/// The largest table the pages import: far more than any consultation's comments, and small
/// enough to travel back in the preview's hidden field.
const TABLE_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// What the form sent: its fields and the table's bytes (from the file, or from the preview's
/// hidden field).
pub(super) struct Sent {
    pub(super) values: Values,
    pub(super) table: Option<(String, Vec<u8>)>,
}

/// `POST /projects/{project}/forms/comment-table`.
pub async fn import_table(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id_or_code): Path<String>,
    request: Request,
) -> Response {
    match import(&state, &signed_in, &id_or_code, request).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn import(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    request: Request,
) -> Result<Response, Problem> {
    let sent = read(request, state).await?;
    signed_in.check_csrf(value(&sent.values, CSRF_FIELD))?;
    let words = signed_in.viewer.words();
    let Some((file_name, bytes)) = sent.table.filter(|(_, bytes)| !bytes.is_empty()) else {
        return Err(Problem::invalid(
            "file",
            "请选择意见汇总处理表文件（CSV 或 XLSX）",
            "Choose the comment disposition table's file (CSV or XLSX)",
        ));
    };
    if bytes.len() > TABLE_LIMIT_BYTES {
        return Err(Problem::new(
            ProblemKind::PayloadTooLarge,
            format!("意见汇总处理表不得超过 {} MiB", TABLE_LIMIT_BYTES >> 20),
            format!(
                "A comment table may be at most {} MiB",
                TABLE_LIMIT_BYTES >> 20
            ),
        ));
    }
    let command_id = value(&sent.values, "command_id")
        .and_then(|text| Uuid::parse_str(text).ok())
        .unwrap_or_else(Uuid::new_v4);
    let expected_sequence = value(&sent.values, "sequence").and_then(|text| text.parse().ok());
    let record = value(&sent.values, "confirmed") == Some("yes");
    // The preview carries the form's own id; what is carried out is scoped to the person, as
    // the API scopes its keys.
    let request = ImportRequest {
        dry_run: !record,
        command_id: scoped_command_id(
            &signed_in.principal,
            WriteRoute::CommentImport,
            &command_id.to_string(),
        ),
        expected_sequence,
    };
    match import_comments(
        state,
        &signed_in.principal,
        id_or_code,
        &bytes,
        request,
        words.0,
    )
    .await
    {
        Ok(answer) if answer.recorded => Ok(Redirect::to(&format!(
            "/projects/{}?saved=comment-table",
            answer.project_id
        ))
        .into_response()),
        Ok(answer) => {
            let body = preview(
                signed_in,
                &answer,
                &file_name,
                &bytes,
                command_id,
                expected_sequence,
                words,
            );
            let mut response = layout::page_response(
                &signed_in.viewer,
                words.pick("意见汇总处理表预览", "Comment table preview"),
                body,
            );
            if !answer.ready {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(response)
        }
        Err(problem) => Err(problem),
    }
}

/// Reads the form: a `multipart/form-data` upload with its `file`, or the preview's confirmation
/// carrying the file back as hex in `table` (with its `file_name`). The project import page
/// reads its two steps the same way.
pub(super) async fn read(request: Request, state: &AppState) -> Result<Sent, Problem> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if !is_multipart {
        // The preview's record button: the table comes back as hex in a hidden field.
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(&rejection.body_text()))?;
        let values = super::forms::values_of(&body);
        let table = value(&values, "table")
            .map(|text| hex::decode(text).map_err(|_| unreadable("table")))
            .transpose()?
            .map(|bytes| {
                (
                    value(&values, "file_name").unwrap_or_default().to_string(),
                    bytes,
                )
            });
        return Ok(Sent { values, table });
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| unreadable(&rejection.body_text()))?;
    let mut sent = Sent {
        values: Values::new(),
        table: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| unreadable(&error.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let content = field
            .bytes()
            .await
            .map_err(|error| unreadable(&error.body_text()))?;
        match file_name {
            Some(file_name) if name == "file" => sent.table = Some((file_name, content.to_vec())),
            _ => sent
                .values
                .entry(name)
                .or_default()
                .push(String::from_utf8_lossy(&content).into_owned()),
        }
    }
    Ok(sent)
}

fn unreadable(why: &str) -> Problem {
    Problem::new(
        ProblemKind::InvalidRequest,
        format!("无法读取表单：{why}"),
        format!("The form could not be read: {why}"),
    )
}

/// The preview: every row and its problems; the button that records them all when there is
/// none, and the upload again when there are.
fn preview(
    signed_in: &SignedIn,
    answer: &ImportAnswer,
    file_name: &str,
    bytes: &[u8],
    command_id: Uuid,
    expected_sequence: Option<u64>,
    words: Words,
) -> Markup {
    let base = format!("/projects/{}", answer.project_id);
    let action = format!("{base}/forms/comment-table");
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let with_problems = answer
        .rows
        .iter()
        .filter(|row| !row.problems.is_empty())
        .count();
    html! {
        h1 { (words.pick("意见汇总处理表预览", "Comment table preview")) }
        p { a href=(base) { (words.pick("返回项目", "Back to the project")) } }
        section.card #comment-table-preview {
            p {
                (file_name) "：" (answer.comments) (words.pick(" 条意见，其中 ", " comments, ")) (answer.dispositions)
                (words.pick(" 条已有处理结果。", " with a disposition."))
            }
            @if answer.ready {
                p.success { (words.pick("每一行都可以记录。确认后全部记录；任何一行被拒绝则一行也不记录。", "Every row can be recorded. Confirm to record them all; if any row is refused, none is recorded.")) }
            } @else {
                div.form-errors role="alert" {
                    p { (words.pick("有问题的行：", "Rows with problems: ")) (with_problems) (words.pick("；未记录任何内容。请修改文件后重新上传。", "; nothing was recorded. Fix the file and upload it again.")) }
                    @if !answer.problems.is_empty() {
                        ul { @for problem in &answer.problems { li { (problem.message) } } }
                    }
                }
            }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { (words.pick("行", "Row")) }
                        th scope="col" { (words.pick("编号", "Id")) }
                        th scope="col" { (words.pick("单位", "Organisation")) }
                        th scope="col" { (words.pick("章条", "Clause")) }
                        th scope="col" { (words.pick("意见", "Comment")) }
                        th scope="col" { (words.pick("处理", "Disposition")) }
                        th scope="col" { (words.pick("理由", "Reason")) }
                        th scope="col" { (words.pick("问题", "Problems")) }
                    } }
                    tbody {
                        @for row in &answer.rows {
                            tr class=[(!row.problems.is_empty()).then_some("row-problem")] {
                                td.number { (row.row) }
                                td { code { (row.comment_id) } }
                                td { (row.organisation) }
                                td { (row.clause.as_deref().unwrap_or("")) }
                                td { (row.comment) }
                                td { (row.disposition.as_deref().map(|code| disposition_name(code, words)).unwrap_or_default()) }
                                td { (row.reason.as_deref().unwrap_or("")) }
                                td.late {
                                    @for problem in &row.problems {
                                        div { (problem.column.as_deref().map(|column| format!("{}：", column_name(column, words))).unwrap_or_default()) (problem.message) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if answer.ready {
                form method="post" action=(action) {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    input type="hidden" name="command_id" value=(command_id);
                    @if let Some(sequence) = expected_sequence { input type="hidden" name="sequence" value=(sequence); }
                    input type="hidden" name="file_name" value=(file_name);
                    input type="hidden" name="table" value=(hex::encode(bytes));
                    input type="hidden" name="confirmed" value="yes";
                    p { button type="submit" #record-comment-table { (words.pick("全部记录", "Record every row")) } }
                }
            } @else {
                (upload_form(&action, csrf, words))
            }
        }
    }
}

fn disposition_name(code: &str, words: Words) -> String {
    match code {
        "accepted" => words.pick("采纳", "accepted").to_string(),
        "partly_accepted" => words.pick("部分采纳", "partly accepted").to_string(),
        "not_accepted" => words.pick("不采纳", "not accepted").to_string(),
        other => other.to_string(),
    }
}

/// The upload of a table: on the project's page and again on a preview with problems.
pub(super) fn upload_form(action: &str, csrf: &str, words: Words) -> Markup {
    html! {
        form.work method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            input type="hidden" name="command_id" value=(Uuid::new_v4());
            p.muted { (words.pick("每行一条意见，列为：提出单位、章条、意见内容、处理结果（采纳、部分采纳、不采纳）、理由；表头可用中文或英文。先预览，确认后全部记录或一条也不记录。", "One comment per row, with columns organisation, clause, comment, disposition (accepted, partly accepted, not accepted) and reason; headers in Chinese or English. You see a preview first; then every row is recorded, or none.")) }
            p {
                label for="comment-table-file" { (words.pick("意见汇总处理表（CSV 或 XLSX）", "Comment table (CSV or XLSX)")) }
                input #comment-table-file type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
            }
            p { button type="submit" { (words.pick("预览", "Preview")) } }
        }
    }
}

/// A column's name in the reader's language, as the table's header says it.
fn column_name(column: &str, words: Words) -> &str {
    match column {
        "organisation" => words.pick("提出单位", "organisation"),
        "clause" => words.pick("章条", "clause"),
        "comment" => words.pick("意见内容", "comment"),
        "disposition" => words.pick("处理意见", "disposition"),
        "reason" => words.pick("理由", "reason"),
        other => other,
    }
}
