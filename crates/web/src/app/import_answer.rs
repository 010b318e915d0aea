//! What the API answers for an import of projects (`POST /api/v1/imports/projects`): the preview
//! or the import in the reader's language, a file with problems as a 422 naming each one's row
//! and column, and the template to fill in.
//!
//! The pages and `specflow import` render the same [`super::import`] results their own way; the
//! API's answer is flat and typed so that a client (or the OpenAPI document) can read it.

use super::AppState;
use super::import::{
    DEFAULT_DEFINITION, ImportFile, Imported, Preview, PreviewRow, RowOutcome, RowProblem, import,
    import_definition, preview,
};
use super::import_template::template;
use super::problem::{Problem, ProblemKind};
use serde::{Deserialize, Serialize};
use specflow_engine::{Language, Unmet};
use specflow_store::auth::{Access, Principal, can_supervise};
use utoipa::ToSchema;
use uuid::Uuid;

/// What an import of projects answers: the preview (`imported` false) or what was imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectImportAnswer {
    /// Whether the rows were imported (false for a preview).
    pub imported: bool,
    /// Whether every row can be imported: no problem anywhere.
    pub ready: bool,
    /// The file's SHA-256, in lowercase hex: the provenance each imported record carries.
    pub file_sha256: String,
    /// The sheet read (the file's name for a CSV file).
    pub sheet: String,
    /// The workflow definition the projects follow.
    pub definition_id: String,
    /// Its version.
    pub definition_version: u32,
    /// How many projects this import created (0 for a preview).
    pub created: usize,
    /// How many rows this file had already created: left as they are.
    pub already_imported: usize,
    /// Problems of the file as a whole (unreadable, a missing column, too many rows).
    pub problems: Vec<ImportProblemView>,
    /// Every row, with its problems.
    pub rows: Vec<ImportedRowView>,
}

/// One row of an import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportedRowView {
    /// The row as the spreadsheet numbers it.
    pub row: u32,
    /// The project's code.
    pub code: String,
    /// Its Chinese title.
    pub title: String,
    /// The stage reached.
    pub stage: String,
    /// The project's id (derived from the file and the code).
    pub project_id: Uuid,
    /// `would_create` (a preview), `created`, or `already_imported`; `refused` while the row
    /// has problems.
    pub outcome: String,
    /// What is wrong with the row; empty when it can be imported.
    pub problems: Vec<ImportProblemView>,
}

/// A problem of a row or of the file, in the reader's language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportProblemView {
    /// The row as the spreadsheet numbers it (0 for the file as a whole).
    pub row: u32,
    /// The column's header as the file writes it, when the problem is in one column.
    pub column: Option<String>,
    /// A stable code, such as `missing_value`, `unknown_committee` or the engine's.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// Previews (`dry_run`) or imports a file for the API: a preview answers with every problem; an
/// import of a file with any problem writes nothing and is a 422 naming each.
pub async fn import_for_api(
    state: &AppState,
    principal: &Principal,
    file: ImportFile<'_>,
    dry_run: bool,
    language: Language,
) -> Result<ProjectImportAnswer, Problem> {
    if dry_run {
        let previewed = preview(state, principal, file, None).await?;
        return Ok(answer_of(&previewed, None, language));
    }
    let imported = import(state, principal, file, None).await?;
    if !imported.preview.is_clean() {
        return Err(file_refused(&imported.preview, language));
    }
    Ok(answer_of(&imported.preview, Some(&imported), language))
}

/// The template to fill in, for the default definition and the registered committees.
pub async fn template_for(state: &AppState, principal: &Principal) -> Result<Vec<u8>, Problem> {
    if let Access::Forbidden(_) | Access::Hidden(_) = can_supervise(principal) {
        return Err(Problem::new(
            ProblemKind::Forbidden,
            "只有市场监管局可导入项目",
            "Only the bureau imports projects",
        ));
    }
    let definition = import_definition(state, Some(DEFAULT_DEFINITION)).await?;
    let committees = state.store.list_committees().await?;
    template(&definition, &committees).map_err(|error| {
        Problem::new(
            ProblemKind::Internal,
            format!("无法生成导入模板：{error}"),
            format!("The template could not be written: {error}"),
        )
    })
}

fn answer_of(
    preview: &Preview,
    imported: Option<&Imported>,
    language: Language,
) -> ProjectImportAnswer {
    let outcome_of = |row: &PreviewRow| -> &'static str {
        if !row.problems.is_empty() {
            return "refused";
        }
        let done = imported.and_then(|imported| {
            imported
                .outcomes
                .iter()
                .find(|(number, _, _)| *number == row.row)
                .map(|(_, _, outcome)| *outcome)
        });
        match (done, row.already_imported) {
            (Some(RowOutcome::Created), _) => "created",
            (Some(RowOutcome::AlreadyImported), _) | (None, true) => "already_imported",
            (None, false) => "would_create",
        }
    };
    let rows: Vec<ImportedRowView> = preview
        .rows
        .iter()
        .map(|row| ImportedRowView {
            row: row.row,
            code: row.code.clone(),
            title: row.title.clone(),
            stage: row.stage.clone(),
            project_id: row.project_id,
            outcome: outcome_of(row).to_string(),
            problems: row
                .problems
                .iter()
                .map(|problem| problem_view(problem, language))
                .collect(),
        })
        .collect();
    let count = |outcome: &str| rows.iter().filter(|row| row.outcome == outcome).count();
    ProjectImportAnswer {
        imported: imported.is_some(),
        ready: preview.is_clean(),
        file_sha256: preview.file_sha256.clone(),
        sheet: preview.sheet.clone(),
        definition_id: preview.definition_id.clone(),
        definition_version: preview.definition_version,
        created: count("created"),
        already_imported: count("already_imported"),
        problems: preview
            .problems
            .iter()
            .map(|problem| problem_view(problem, language))
            .collect(),
        rows,
    }
}

fn problem_view(problem: &RowProblem, language: Language) -> ImportProblemView {
    ImportProblemView {
        row: problem.row,
        column: problem
            .column
            .as_ref()
            .map(|column| column.get(language).to_string()),
        code: problem.code.clone(),
        message: problem.message.get(language).to_string(),
    }
}

/// The 422 for a file that cannot be imported: every problem as a reason, with its row and
/// column; nothing was written.
fn file_refused(preview: &Preview, language: Language) -> Problem {
    let problems = preview.all_problems();
    let count = problems.len();
    let mut problem = Problem::new(
        ProblemKind::GuardRejected,
        format!("项目表有 {count} 处问题，未导入任何项目"),
        format!("The projects' file has {count} problem(s); nothing was imported"),
    );
    problem.unmet = problems
        .iter()
        .map(|found| {
            let mut reason = Unmet::new(&found.code, found.message.clone()).with("row", found.row);
            if let Some(column) = &found.column {
                reason = reason.with("column", column.get(language));
            }
            reason
        })
        .collect();
    problem
}
