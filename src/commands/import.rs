//! `specflow import FILE [--dry-run]` and `specflow import --template FILE`: a bureau's projects
//! brought in from a spreadsheet through the use-case the import page uses (`app::import`).
//!
//! The command opens the database itself, as `user` and `deadlines` do, rather than going through
//! the API (which has its own route, `POST /api/v1/imports/projects`, for a client elsewhere): an
//! import is the bureau's one-off bulk job, run by whoever runs specflow. It acts as the bureau
//! (the role `supervisor`) under the name `--actor`, which every imported record names. A
//! database whose definition is not registered yet (no `specflow serve` has run on it) gets the
//! workflows `serve` would register (`--workflows`, `./workflows` or those built in); one that
//! has it is left as it is. The preview is a table of every problem
//! (row, column, what is wrong); the exit status is 1 when there is any, and nothing is written.

use super::database::{open, runtime};
use crate::cli::DatabaseArgs;
use crate::workflow_files::WorkflowSource;
use anyhow::Context;
use specflow_engine::Language;
use specflow_engine::render::write_table;
use specflow_store::auth::{Principal, Role};
use specflow_store::metrics::Metrics;
use specflow_store::{Store, StoreOptions};
use specflow_web::app::AppState;
use specflow_web::app::import::{
    ImportFile, Imported, Preview, RowOutcome, import, import_definition, preview,
};
use specflow_web::app::import_template::template;
use std::path::Path;
use std::process::ExitCode;
use uuid::Uuid;

/// What `specflow import` was asked.
pub struct Importing<'a> {
    /// The file to import.
    pub file: Option<&'a Path>,
    /// Preview only.
    pub dry_run: bool,
    /// Write the template here instead.
    pub template: Option<&'a Path>,
    /// The definition the projects follow.
    pub definition: &'a str,
    /// The name the audit log records.
    pub actor: &'a str,
    /// The language of the output.
    pub language: Language,
    /// The workflows to register when the definition is not registered yet.
    pub workflows: Option<&'a std::path::Path>,
    /// The database.
    pub database: &'a DatabaseArgs,
}

/// `specflow import`.
pub fn run(importing: Importing<'_>) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(
            importing.database,
            StoreOptions {
                migrate: false,
                ..StoreOptions::default()
            },
        )
        .await?;
        let result = run_with(&store, &importing).await;
        store.close().await;
        result
    })
}

async fn run_with(store: &Store, importing: &Importing<'_>) -> anyhow::Result<ExitCode> {
    if store.latest_definition(importing.definition).await.is_err() {
        let source = WorkflowSource::choose(importing.workflows)?;
        eprintln!("{}", source.describe());
        source.register(store).await?;
    }
    let state = AppState {
        store: store.clone(),
        metrics: Metrics::shared(),
    };
    let language = importing.language;
    if let Some(path) = importing.template {
        let definition = import_definition(&state, Some(importing.definition))
            .await
            .map_err(|problem| anyhow::anyhow!("{}", problem.detail.get(language)))?;
        let committees = store.list_committees().await?;
        let bytes = template(&definition, &committees)?;
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{}",
            language.pick(
                format!("已写出导入模板：{}", path.display()),
                format!("wrote the import template to {}", path.display()),
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = importing.file else {
        anyhow::bail!("give the file to import, or --template FILE");
    };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = ImportFile {
        name: &name,
        bytes: &bytes,
    };
    let principal = Principal {
        token_id: Uuid::nil(),
        subject: importing.actor.to_string(),
        role: Role::Supervisor,
        committee: None,
        project_id: None,
    };
    let definition = Some(importing.definition);
    let answer = if importing.dry_run {
        preview(&state, &principal, file, definition)
            .await
            .map(|preview| Imported {
                preview,
                outcomes: Vec::new(),
            })
    } else {
        import(&state, &principal, file, definition).await
    };
    let answer = answer.map_err(|problem| anyhow::anyhow!("{}", problem.detail.get(language)))?;
    print!("{}", report(&answer, importing.dry_run, language));
    Ok(if answer.preview.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The problems as a table, or each row and what became (or would become) of it.
fn report(answer: &Imported, dry_run: bool, language: Language) -> String {
    let preview = &answer.preview;
    let mut out = format!(
        "{} {} ({} {})\n",
        language.pick("文件 SHA-256", "file SHA-256"),
        preview.file_sha256,
        language.pick("工作表", "sheet"),
        preview.sheet
    );
    if !preview.is_clean() {
        write_problems(&mut out, preview, language);
        return out;
    }
    let rows: Vec<[String; 4]> = preview
        .rows
        .iter()
        .map(|row| {
            let outcome = answer
                .outcomes
                .iter()
                .find(|(number, ..)| *number == row.row)
                .map(|(_, _, outcome)| *outcome);
            [
                row.row.to_string(),
                row.code.clone(),
                preview.stage_name(&row.stage, language).to_string(),
                outcome_words(row.already_imported, outcome, dry_run, language),
            ]
        })
        .collect();
    write_table(
        &mut out,
        &language.pick(
            ["行", "项目编号", "阶段", "结果"],
            ["row", "code", "stage", "outcome"],
        ),
        &rows,
    );
    out
}

fn write_problems(out: &mut String, preview: &Preview, language: Language) {
    let rows: Vec<[String; 3]> = preview
        .all_problems()
        .into_iter()
        .map(|problem| {
            [
                problem.row.to_string(),
                problem
                    .column
                    .as_ref()
                    .map(|column| column.get(language).to_string())
                    .unwrap_or_default(),
                problem.message.get(language).to_string(),
            ]
        })
        .collect();
    write_table(
        out,
        &language.pick(["行", "列", "问题"], ["row", "column", "problem"]),
        &rows,
    );
    out.push_str(&language.pick(
        format!("{} 个问题；未写入任何内容。\n", rows.len()),
        format!("{} problems; nothing was written.\n", rows.len()),
    ));
}

fn outcome_words(
    already: bool,
    outcome: Option<RowOutcome>,
    dry_run: bool,
    language: Language,
) -> String {
    let words = match (already, outcome, dry_run) {
        (true, _, _) | (_, Some(RowOutcome::AlreadyImported), _) => {
            ("已导入过", "already imported")
        }
        (_, Some(RowOutcome::Created), _) => ("已创建", "created"),
        (_, None, true) => ("将创建", "would be created"),
        (_, None, false) => ("未创建", "not created"),
    };
    language.pick(words.0, words.1).to_string()
}
