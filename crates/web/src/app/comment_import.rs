//! Importing a comment disposition table (意见汇总处理表): a preview with every row's problem,
//! then all rows recorded in one batch or none.
//!
//! The table is read by [`super::comment_table`]; each clean row becomes a `record_comment` under
//! the table's own number (序号) as its id, or a fresh id when the table numbers nothing, and a
//! `dispose_comment` when the row has a disposition. The preview also
//! decides those commands against the project's state in memory, so a row the engine would refuse
//! (a role that may not record comments, a duplicate id) shows its reasons before anything is sent.
//! The import refuses a table with any problem of its own, listing every one; a clean table is
//! carried out by the store's `execute_all` (one transaction, all or none), which decides every
//! command again on the state as it then stands and names the first row it refuses.

use super::AppState;
use super::comment_table::{Column, CommentRow, CommentTable, TableProblem};
use super::problem::{Problem, ProblemKind};
use super::projects::writable_project;
use super::text_fields::check_serialized;
use serde::{Deserialize, Serialize};
use specflow_engine::{Language, ProjectState, Unmet, decide};
use specflow_store::auth::Principal;
use specflow_store::{BatchOutcome, CommandOutcome, CommandRequest};
use utoipa::ToSchema;
use uuid::Uuid;

/// One problem of an imported table, in the request's language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowProblemView {
    /// The spreadsheet's row (from 1), or 0 for the file as a whole.
    pub row: usize,
    /// The column (`organisation`, `clause`, `comment`, `disposition` or `reason`), when one cell
    /// is wrong.
    pub column: Option<String>,
    /// A stable code, such as `reason_missing` or `disposition_unknown`, or the engine's.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// One row of an imported table, as read, with the comment id it gets and its problems.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportRowView {
    /// The spreadsheet's row, from 1.
    pub row: usize,
    /// The comment id the row is (or would be) recorded under.
    pub comment_id: String,
    /// The organisation that sent the comment.
    pub organisation: String,
    /// The clause, when given.
    pub clause: Option<String>,
    /// What the comment says.
    pub comment: String,
    /// The disposition's code (`accepted`, `partly_accepted`, `not_accepted`), or the cell's text
    /// when it is not one.
    pub disposition: Option<String>,
    /// The reason, when given.
    pub reason: Option<String>,
    /// Everything wrong with the row; empty when it can be recorded.
    pub problems: Vec<RowProblemView>,
}

/// What an import answers: the preview (`recorded` false) or what was recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportAnswer {
    /// The project.
    pub project_id: Uuid,
    /// Whether the rows were recorded (false for a preview).
    pub recorded: bool,
    /// Whether every row can be recorded: no problem anywhere.
    pub ready: bool,
    /// How many comments the table holds.
    pub comments: usize,
    /// How many of them have a disposition.
    pub dispositions: usize,
    /// Problems of the file as a whole (no header, unreadable, empty).
    pub problems: Vec<RowProblemView>,
    /// Every row with its problems.
    pub rows: Vec<ImportRowView>,
    /// The first record appended, once recorded.
    pub first_sequence: Option<u64>,
    /// The last record appended (the sequence to send as `If-Match` next), once recorded.
    pub last_sequence: Option<u64>,
}

/// How an import is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest {
    /// Only preview: decide everything, record nothing.
    pub dry_run: bool,
    /// The request's command id, from which every comment id and command id follows.
    pub command_id: Uuid,
    /// The head the caller saw, if it sent one.
    pub expected_sequence: Option<u64>,
}

/// A row ready to go: its comment id and the commands that record it.
struct Planned<'a> {
    row: &'a CommentRow,
    comment_id: String,
    /// The engine's reasons it would be refused, decided in memory on the state as it stands.
    refused: Vec<TableProblem>,
}

/// Reads a comment table and previews it (`dry_run`) or records every row in one batch.
///
/// `command_id` is the request's (its `Idempotency-Key`'s when sent): comment ids and each
/// command's id follow from it, so a retried import names the same comments and is answered
/// with the first outcome; `expected_sequence` (its `If-Match`) the head the caller saw. A table
/// with any problem, or a row the engine refuses, records nothing and is 422 with every problem
/// as a reason.
pub async fn import_comments(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
    bytes: &[u8],
    request: ImportRequest,
    language: Language,
) -> Result<ImportAnswer, Problem> {
    let ImportRequest {
        dry_run,
        command_id,
        expected_sequence,
    } = request;
    let view = writable_project(state, principal, id_or_code).await?;
    let project_id = view.summary.project_id;
    let table = CommentTable::read(bytes);
    // The preview decides every row in memory; the import leaves deciding to the store, which
    // decides the batch again on the state as it then stands and answers a retried request
    // (the same `Idempotency-Key`) with its first outcome.
    let planned = plan(
        &table,
        dry_run.then_some((&view.state, &*view.definition)),
        principal,
        state,
        command_id,
    );
    let mut answer = ImportAnswer {
        project_id,
        recorded: false,
        ready: false,
        comments: table.rows.len(),
        dispositions: table
            .rows
            .iter()
            .filter(|row| row.disposition.is_some())
            .count(),
        problems: table
            .problems
            .iter()
            .map(|problem| problem_view(problem, language))
            .collect(),
        rows: planned
            .iter()
            .map(|planned| row_view(planned, language))
            .collect(),
        first_sequence: None,
        last_sequence: None,
    };
    let problems: Vec<&TableProblem> = table
        .all_problems()
        .chain(planned.iter().flat_map(|planned| &planned.refused))
        .collect();
    answer.ready = problems.is_empty();
    if dry_run {
        return Ok(answer);
    }
    if !problems.is_empty() {
        return Err(table_refused(&problems));
    }
    let mut requests = Vec::new();
    // The row each command records, to name it if the store's decision refuses one.
    let mut rows_of_commands = Vec::new();
    for planned in &planned {
        for (index, command) in planned
            .row
            .commands(&planned.comment_id)
            .into_iter()
            .enumerate()
        {
            requests.push(CommandRequest {
                project_id,
                command_id: derived(command_id, &format!("command:{}:{index}", planned.row.row)),
                expected_sequence: None,
                actor: principal.actor(),
                command,
            });
            rows_of_commands.push(planned.row.row);
        }
    }
    // The batch is decided again by the store on the state as it then stands; `If-Match` makes a
    // write in between a 409 instead.
    if let Some(first) = requests.first_mut() {
        first.expected_sequence = expected_sequence;
    }
    let kinds: Vec<&'static str> = requests
        .iter()
        .map(|request| request.command.kind_name())
        .collect();
    match state.store.execute_all(requests).await? {
        BatchOutcome::Accepted {
            project_id: answered,
            outcomes,
        } => {
            if answered != project_id {
                return Err(reused_key(principal));
            }
            let sequences: Vec<(u64, u64)> = outcomes
                .iter()
                .filter_map(|outcome| match outcome {
                    CommandOutcome::Accepted {
                        first_sequence,
                        last_sequence,
                        ..
                    } => Some((*first_sequence, *last_sequence)),
                    CommandOutcome::Rejected { .. } => None,
                })
                .collect();
            answer.recorded = true;
            answer.first_sequence = sequences.first().map(|(first, _)| *first);
            answer.last_sequence = sequences.last().map(|(_, last)| *last);
            for kind in kinds {
                state
                    .metrics
                    .transitions
                    .get_or_create(&vec![
                        ("command".to_string(), kind.to_string()),
                        ("action".to_string(), String::new()),
                    ])
                    .inc();
            }
            tracing::info!(subject = %principal.subject, role = %principal.role, %project_id, comments = answer.comments, dispositions = answer.dispositions, first_sequence = ?answer.first_sequence, last_sequence = ?answer.last_sequence, "comment table imported");
            Ok(answer)
        }
        BatchOutcome::Rejected {
            project_id: answered,
            index,
            rejection,
        } => {
            if answered != project_id {
                return Err(reused_key(principal));
            }
            let row = rows_of_commands.get(index).copied().unwrap_or_default();
            tracing::info!(subject = %principal.subject, role = %principal.role, %project_id, row, codes = ?rejection.codes(), "comment table refused by the engine");
            let problems: Vec<TableProblem> = rejection
                .reasons
                .iter()
                .map(|reason| engine_problem(row, reason))
                .collect();
            let problems: Vec<&TableProblem> = problems.iter().collect();
            Err(table_refused(&problems))
        }
    }
}

/// Gives each row its comment id (its number, or a fresh one) and, given the project's state and definition, decides its
/// commands in memory, one row after the other, on the state the rows before it would produce.
/// Rows with problems of their own are not decided (the engine would only repeat them).
fn plan<'a>(
    table: &'a CommentTable,
    decide_on: Option<(&ProjectState, &specflow_engine::WorkflowDefinition)>,
    principal: &Principal,
    state: &AppState,
    command_id: Uuid,
) -> Vec<Planned<'a>> {
    let actor = principal.actor();
    let now = state.store.clock().now();
    let mut decided = decide_on.map(|(project, definition)| {
        let now = project.last_event_at.map_or(now, |last| last.max(now));
        (project.clone(), definition, now)
    });
    // The table's own numbers are taken first, so no fresh id can be one of them.
    let mut taken: std::collections::HashSet<String> = table
        .rows
        .iter()
        .filter_map(|row| row.number.clone())
        .collect();
    let mut planned = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let comment_id = match &row.number {
            Some(number) => number.clone(),
            None => fresh_comment_id(command_id, row.row, &mut taken),
        };
        // A cell's text the API would refuse in a body (a control character, too long) is the
        // row's problem, shown in the preview, and nothing of the row is decided.
        let mut refused: Vec<TableProblem> = row
            .commands(&comment_id)
            .iter()
            .filter_map(|command| check_serialized(command).err())
            .map(|problem| text_problem(row.row, &problem))
            .take(1)
            .collect();
        if let Some((project, definition, now)) = decided.as_mut()
            && refused.is_empty()
            && row.problems.is_empty()
            && table.problems.is_empty()
        {
            for command in row.commands(&comment_id) {
                match decide(project, definition, &command, &actor, *now) {
                    Ok(events) => {
                        for event in &events {
                            project.apply(event);
                        }
                    }
                    Err(rejection) => {
                        refused.extend(
                            rejection
                                .reasons
                                .iter()
                                .map(|reason| engine_problem(row.row, reason)),
                        );
                        break;
                    }
                }
            }
        }
        planned.push(Planned {
            row,
            comment_id,
            refused,
        });
    }
    planned
}

/// A comment id no other row of the table has: `C-` and eight hexadecimal digits derived from
/// the request and the row, so a retried import names the same comments. One the project already
/// has (one chance in four billion a comment) is refused by the engine like any duplicate, and
/// the import sent again gets new ones.
fn fresh_comment_id(
    command_id: Uuid,
    row: usize,
    taken: &mut std::collections::HashSet<String>,
) -> String {
    let mut attempt = 0u32;
    loop {
        let uuid = derived(command_id, &format!("comment:{row}:{attempt}"));
        let id = format!("C-{}", &uuid.simple().to_string()[..8]);
        if taken.insert(id.clone()) {
            return id;
        }
        attempt += 1;
    }
}

/// A UUID that follows from the request's command id and a name.
fn derived(command_id: Uuid, name: &str) -> Uuid {
    Uuid::new_v5(&command_id, name.as_bytes())
}

/// An engine reason as a problem of the row whose command it refused; the column from the
/// reason's `field` where it names one.
fn engine_problem(row: usize, reason: &Unmet) -> TableProblem {
    let column = match reason.figures.get("field").and_then(|field| field.as_str()) {
        Some("comment_id") => Some(Column::Number),
        Some("organisation") => Some(Column::Organisation),
        Some("clause") => Some(Column::Clause),
        Some("text") => Some(Column::Comment),
        Some("disposition") => Some(Column::Disposition),
        Some("reason") => Some(Column::Reason),
        _ => None,
    };
    TableProblem {
        row,
        column,
        code: reason.code.clone(),
        message: reason.message.clone(),
    }
}

/// A text refused by [`check_serialized`] as a problem of its row, in the column it came from.
fn text_problem(row: usize, problem: &Problem) -> TableProblem {
    let field = problem
        .extensions
        .get("field")
        .and_then(|field| field.as_str())
        .unwrap_or_default();
    let column = match field {
        "comment_id" => Some(Column::Number),
        "organisation" => Some(Column::Organisation),
        "clause" => Some(Column::Clause),
        "text" => Some(Column::Comment),
        "reason" => Some(Column::Reason),
        _ => None,
    };
    TableProblem {
        row,
        column,
        code: "text_refused".to_string(),
        message: problem.detail.clone(),
    }
}

/// The 422 for a table that cannot be recorded: every problem as a reason, each saying where.
/// When the caller's role may not record comments at all, that is the one reason, and 403.
fn table_refused(problems: &[&TableProblem]) -> Problem {
    if let Some(role) = problems
        .iter()
        .find(|problem| problem.code == "role_not_permitted")
    {
        let mut problem = Problem::new(
            ProblemKind::Forbidden,
            format!("工作流定义不允许此角色导入意见：{}", role.message.zh),
            format!(
                "The workflow definition does not let this role import comments: {}",
                role.message.en
            ),
        );
        problem.unmet = vec![Unmet::new(&role.code, role.message.clone())];
        return problem;
    }
    let count = problems.len();
    let mut problem = Problem::new(
        ProblemKind::GuardRejected,
        format!("意见汇总处理表有 {count} 处问题，未记录任何意见"),
        format!("The comment table has {count} problem(s); nothing was recorded"),
    );
    problem.unmet = problems
        .iter()
        .map(|problem| {
            let mut reason = Unmet::new(&problem.code, problem.located()).with("row", problem.row);
            if let Some(column) = problem.column {
                reason = reason.with("column", column.code());
            }
            reason
        })
        .collect();
    problem
}

/// An `Idempotency-Key` already used for a request to another project.
fn reused_key(principal: &Principal) -> Problem {
    tracing::warn!(subject = %principal.subject, reason = "Idempotency-Key reused for another project", status = 409, "refused");
    Problem::new(
        ProblemKind::Conflict,
        "此 Idempotency-Key 已用于另一个项目的请求：每个请求应使用新的键",
        "This Idempotency-Key was already used for a request to another project: use a new key for each request",
    )
}

fn problem_view(problem: &TableProblem, language: Language) -> RowProblemView {
    RowProblemView {
        row: problem.row,
        column: problem.column.map(|column| column.code().to_string()),
        code: problem.code.clone(),
        message: problem.message.get(language).to_string(),
    }
}

fn row_view(planned: &Planned<'_>, language: Language) -> ImportRowView {
    let row = planned.row;
    ImportRowView {
        row: row.row,
        comment_id: planned.comment_id.clone(),
        organisation: row.organisation.clone(),
        clause: row.clause.clone(),
        comment: row.comment.clone(),
        disposition: match row.disposition {
            Some(disposition) => serde_json::to_value(disposition)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string)),
            None => row.disposition_text.clone(),
        },
        reason: row.reason.clone(),
        problems: row
            .problems
            .iter()
            .chain(&planned.refused)
            .map(|problem| problem_view(problem, language))
            .collect(),
    }
}
