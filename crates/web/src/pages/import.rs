//! `/import`: the bureau brings its existing projects in from a spreadsheet (issue 21), in two
//! steps and without JavaScript, through the use-case `specflow import` runs (`app::import`).
//!
//! The first post carries the file (`multipart/form-data`); the page previews every row and
//! every problem (row, column, what is wrong) and writes nothing. A clean preview carries the
//! file back in a hidden field (hex, as the comment-table import does, so the server keeps
//! nothing between the steps) with its SHA-256; the confirming post is refused unless the file
//! still has that digest, then imports every row or none. `/import/template.xlsx` downloads the
//! template to fill in. Only supervisors and administrators see the page (`can_supervise`).

use super::comment_table::read;
use super::forms::value;
use super::layout::{self, Words};
use super::session::{CSRF_FIELD, SignedIn};
use crate::app::AppState;
use crate::app::import::{ImportFile, Imported, Preview, RowOutcome, file_sha256, import, preview};
use crate::app::import_answer::template_for;
use crate::app::problem::{Problem, ProblemKind};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use specflow_store::auth::can_supervise;

/// The largest file the page imports: a thousand rows are far smaller, and the file must travel
/// back in the preview's hidden field.
const FILE_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// The media type of an XLSX workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn check_bureau(signed_in: &SignedIn) -> Result<(), Problem> {
    if can_supervise(&signed_in.principal).is_allowed() {
        return Ok(());
    }
    Err(Problem::new(
        ProblemKind::Forbidden,
        "只有市场监管局可导入项目",
        "Only the bureau imports projects",
    ))
}

/// `GET /import`.
pub async fn import_page(signed_in: SignedIn) -> Response {
    if let Err(problem) = check_bureau(&signed_in) {
        return signed_in.viewer.error_page(&problem);
    }
    let words = signed_in.viewer.words();
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = html! {
        h1 { (words.pick("导入项目", "Import projects")) }
        section.card {
            p { (words.pick(
                "从电子表格（XLSX 或 CSV）导入已有项目及其历史：当前阶段、立项、征求意见、审定、发布日期、规范编号、技术委员会和起草单位。先预览每一行的问题，确认后全部导入或一个也不导入；同一文件再次导入不会重复创建。",
                "Bring existing projects in from a spreadsheet (XLSX or CSV) with their history: the stage reached, the dates of approval, consultation, review and publication, the specification number, the committee and the drafting unit. Every row's problems are previewed first; on confirmation every row is imported, or none; the same file imported again creates nothing."
            )) }
            p { a #import-template href="/import/template.xlsx" download { (words.pick("下载导入模板（XLSX）", "Download the template (XLSX)")) } }
            (upload_form(csrf, words))
        }
    };
    layout::page_response(
        &signed_in.viewer,
        words.pick("导入项目", "Import projects"),
        body,
    )
}

fn upload_form(csrf: &str, words: Words) -> Markup {
    html! {
        form.work method="post" action="/import" enctype="multipart/form-data" {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            p {
                label for="import-file" { (words.pick("项目表（XLSX 或 CSV）", "Projects (XLSX or CSV)")) }
                input #import-file type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
            }
            p { button type="submit" #import-preview { (words.pick("预览", "Preview")) } }
        }
    }
}

/// `GET /import/template.xlsx`.
pub async fn template_download(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    match template_bytes(&state, &signed_in).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, XLSX),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"specflow-import-template.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn template_bytes(state: &AppState, signed_in: &SignedIn) -> Result<Vec<u8>, Problem> {
    check_bureau(signed_in)?;
    template_for(state, &signed_in.principal).await
}

/// `POST /import`: the preview, or with `confirmed=yes` the import.
pub async fn import_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    request: Request,
) -> Response {
    match import_step(&state, &signed_in, request).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn import_step(
    state: &AppState,
    signed_in: &SignedIn,
    request: Request,
) -> Result<Response, Problem> {
    check_bureau(signed_in)?;
    let sent = read(request, state).await?;
    signed_in.check_csrf(value(&sent.values, CSRF_FIELD))?;
    let words = signed_in.viewer.words();
    let Some((file_name, bytes)) = sent.table.filter(|(_, bytes)| !bytes.is_empty()) else {
        return Err(Problem::invalid(
            "file",
            "请选择项目表文件（XLSX 或 CSV）",
            "Choose the projects' file (XLSX or CSV)",
        ));
    };
    if bytes.len() > FILE_LIMIT_BYTES {
        return Err(Problem::new(
            ProblemKind::PayloadTooLarge,
            format!("项目表不得超过 {} MiB", FILE_LIMIT_BYTES >> 20),
            format!(
                "A projects' file may be at most {} MiB",
                FILE_LIMIT_BYTES >> 20
            ),
        ));
    }
    let file = ImportFile {
        name: &file_name,
        bytes: &bytes,
    };
    let confirmed = value(&sent.values, "confirmed") == Some("yes");
    if confirmed {
        // The confirmation imports the very file previewed, whatever came back in the form.
        if value(&sent.values, "sha256") != Some(file_sha256(&bytes).as_str()) {
            return Err(Problem::invalid(
                "sha256",
                "文件与预览时的不一致：请重新上传",
                "The file differs from the one previewed: upload it again",
            ));
        }
        let imported = import(state, &signed_in.principal, file, None).await?;
        let body = result_page(&imported, words);
        let title = words.pick("导入结果", "Import result");
        return Ok(layout::page_response(&signed_in.viewer, title, body));
    }
    let preview = preview(state, &signed_in.principal, file, None).await?;
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = preview_page(
        &preview,
        &file_name,
        &bytes,
        csrf,
        signed_in.viewer.language,
    );
    let title = words.pick("导入预览", "Import preview");
    let mut response = layout::page_response(&signed_in.viewer, title, body);
    if !preview.is_clean() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The preview: every problem by row and column, every row and what it would create, and the
/// button that imports them all when nothing is wrong.
fn preview_page(
    preview: &Preview,
    file_name: &str,
    bytes: &[u8],
    csrf: &str,
    language: specflow_engine::Language,
) -> Markup {
    let words = Words(language);
    html! {
        h1 { (words.pick("导入预览", "Import preview")) }
        p { a href="/import" { (words.pick("返回导入", "Back to the import")) } }
        section.card #import-preview-result {
            p.muted { (file_name) " · SHA-256 " code.hash.full { (preview.file_sha256) } " · " (words.pick("工作表 ", "sheet ")) (preview.sheet) }
            @if preview.is_clean() {
                p.success { (words.pick("每一行都可以导入。确认后全部行在同一事务中导入：任何一行失败则一行也不导入。同一文件再次导入不会重复创建。", "Every row can be imported. Confirm to import them all in one transaction: should any row fail, none is imported. Importing the same file again creates nothing twice.")) }
            } @else {
                div.form-errors role="alert" {
                    p { (words.pick("有问题，未写入任何内容。请修改文件后重新上传。", "There are problems; nothing was written. Fix the file and upload it again.")) }
                    (problems_table(preview, language))
                }
            }
            (rows_table(preview, None, words))
            @if preview.is_clean() {
                form method="post" action="/import" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    input type="hidden" name="file_name" value=(file_name);
                    input type="hidden" name="table" value=(hex::encode(bytes));
                    input type="hidden" name="sha256" value=(preview.file_sha256);
                    input type="hidden" name="confirmed" value="yes";
                    p { button type="submit" #import-confirm { (words.pick("全部导入", "Import every row")) } }
                }
            } @else {
                (upload_form(csrf, words))
            }
        }
    }
}

fn problems_table(preview: &Preview, language: specflow_engine::Language) -> Markup {
    let words = Words(language);
    html! {
        div.table-wrap {
            table #import-problems {
                thead { tr {
                    th scope="col" { (words.pick("行", "Row")) }
                    th scope="col" { (words.pick("列", "Column")) }
                    th scope="col" { (words.pick("问题", "Problem")) }
                } }
                tbody {
                    @for problem in preview.all_problems() {
                        tr {
                            td.number { (problem.row) }
                            td { (problem.column.as_ref().map(|column| column.get(language)).unwrap_or("")) }
                            td { (problem.message.get(language)) }
                        }
                    }
                }
            }
        }
    }
}

fn rows_table(preview: &Preview, imported: Option<&Imported>, words: Words) -> Markup {
    html! {
        div.table-wrap {
            table #import-rows {
                thead { tr {
                    th scope="col" { (words.pick("行", "Row")) }
                    th scope="col" { (words.pick("项目编号", "Code")) }
                    th scope="col" { (words.pick("名称", "Title")) }
                    th scope="col" { (words.pick("阶段", "Stage")) }
                    th scope="col" { (words.pick("历史日期", "Dates")) }
                    th scope="col" { (words.pick("结果", "Outcome")) }
                } }
                tbody {
                    @for row in &preview.rows {
                        tr class=[(!row.problems.is_empty()).then_some("row-problem")] {
                            td.number { (row.row) }
                            td {
                                @if imported.is_some() {
                                    a href=(format!("/projects/{}", row.project_id)) { code { (row.code) } }
                                } @else {
                                    code { (row.code) }
                                }
                            }
                            td { (row.title) }
                            td { (preview.stage_name(&row.stage, words.0)) }
                            td { @for milestone in &row.milestones { div { (preview.stage_name(&milestone.stage, words.0)) " " (milestone.reached_on) } } }
                            td { (outcome(preview, imported, row.row, row.already_imported, !row.problems.is_empty(), words)) }
                        }
                    }
                }
            }
        }
    }
}

fn outcome(
    preview: &Preview,
    imported: Option<&Imported>,
    row: u32,
    already: bool,
    has_problems: bool,
    words: Words,
) -> Markup {
    let done = imported.and_then(|imported| {
        imported
            .outcomes
            .iter()
            .find(|(number, ..)| *number == row)
            .map(|(_, _, outcome)| *outcome)
    });
    let text = match (done, already, has_problems) {
        (Some(RowOutcome::Created), ..) => words.pick("已创建", "created"),
        (Some(RowOutcome::AlreadyImported), ..) | (None, true, _) => {
            words.pick("已导入过", "already imported")
        }
        (None, false, true) => words.pick("有问题", "has problems"),
        (None, false, false) if preview.is_clean() => words.pick("将创建", "would be created"),
        (None, false, false) => words.pick("可导入", "ready"),
    };
    html! { (text) }
}

/// What the import did: each row's outcome, with a link to each project.
fn result_page(imported: &Imported, words: Words) -> Markup {
    let created = imported
        .outcomes
        .iter()
        .filter(|(_, _, outcome)| *outcome == RowOutcome::Created)
        .count();
    html! {
        h1 { (words.pick("导入结果", "Import result")) }
        section.card #import-result {
            @if imported.outcomes.is_empty() {
                div.form-errors role="alert" { p { (words.pick("有问题，未写入任何内容。", "There are problems; nothing was written.")) } }
            } @else {
                p.success { (words.pick("已创建项目：", "Projects created: ")) (created) }
            }
            (rows_table(&imported.preview, Some(imported), words))
            p { a href="/import" { (words.pick("再导入一个文件", "Import another file")) } }
        }
    }
}
