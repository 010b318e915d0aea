//! What must hold before any command on an existing project is even looked at.
//!
//! The project must follow the definition it is decided against, must not have ended, must not
//! be asked to record something earlier than its last record, and, while frozen, takes only the
//! commands that can end a freeze. Each of these refuses with one reason, before the command's
//! own checks, because the command's other reasons would mean nothing in that situation.

use super::reasons::project_not_created;
use crate::command::Command;
use crate::definition::WorkflowDefinition;
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};

/// Refuses a command (other than creation and migration) that the project cannot take now.
pub(super) fn check_project_takes_commands(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    check_same_definition(state, definition)?;
    check_not_ended(state, definition)?;
    check_in_order(state, now)?;
    check_not_frozen(state, definition, command)
}

/// A project is decided against the very definition version it follows.
fn check_same_definition(
    state: &ProjectState,
    definition: &WorkflowDefinition,
) -> Result<(), Rejection> {
    let Some(project) = &state.project else {
        return Err(project_not_created());
    };
    if project.definition_id == definition.id && project.definition_version == definition.version {
        return Ok(());
    }
    Err(Rejection::single(
        Unmet::new(
            "definition_mismatch",
            LocalizedText::new(
                format!(
                    "项目使用流程定义 {} 第{}版，而非 {} 第{}版",
                    project.definition_id,
                    project.definition_version,
                    definition.id,
                    definition.version
                ),
                format!(
                    "The project follows definition {} version {}, not {} version {}",
                    project.definition_id,
                    project.definition_version,
                    definition.id,
                    definition.version
                ),
            ),
        )
        .with(
            "project_definition",
            format!("{}@{}", project.definition_id, project.definition_version),
        ),
    ))
}

/// A project in a terminal stage takes no further commands.
fn check_not_ended(state: &ProjectState, definition: &WorkflowDefinition) -> Result<(), Rejection> {
    let stage = state.stage();
    if !definition.stage(stage).is_some_and(|stage| stage.terminal) {
        return Ok(());
    }
    let name = definition.stage_name(stage);
    Err(Rejection::single(
        Unmet::new(
            "project_ended",
            LocalizedText::new(
                format!("项目已处于终止阶段「{}」，不再接受操作", name.zh),
                format!(
                    "The project has ended ({}); it takes no further commands",
                    name.en
                ),
            ),
        )
        .with("stage", stage),
    ))
}

/// Time never runs backwards in a log, so a command dated before the last record is refused.
fn check_in_order(state: &ProjectState, now: DateTime<Utc>) -> Result<(), Rejection> {
    let Some(last) = state.last_event_at else {
        return Ok(());
    };
    if now >= last {
        return Ok(());
    }
    Err(Rejection::single(
        Unmet::new(
            "out_of_order",
            LocalizedText::new(
                format!("命令时间{}早于项目最后一条记录的时间{}", now.to_rfc3339(), last.to_rfc3339()),
                format!(
                    "The command is dated {}, before the project's last record at {}: time cannot run backwards in the log",
                    now.to_rfc3339(),
                    last.to_rfc3339()
                ),
            ),
        )
        .with("last_event_at", last.to_rfc3339()),
    ))
}

/// A frozen project takes only an extension, a cancellation or the lifting of the freeze.
fn check_not_frozen(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    command: &Command,
) -> Result<(), Rejection> {
    let Some(freeze) = &state.frozen else {
        return Ok(());
    };
    let allowed_while_frozen = match command {
        Command::Cancel { .. }
        | Command::RequestExtension { .. }
        | Command::GrantExtension { .. }
        | Command::RefuseExtension { .. }
        | Command::LiftFreeze { .. } => true,
        Command::FireAction { action, .. } => definition
            .transition_from(state.stage(), action)
            .is_some_and(|transition| transition.cancels),
        _ => false,
    };
    if allowed_while_frozen {
        return Ok(());
    }
    let deadline = definition
        .deadline(&freeze.deadline)
        .map(|rule| rule.name.clone())
        .unwrap_or_else(|| LocalizedText::new(freeze.deadline.clone(), freeze.deadline.clone()));
    Err(Rejection::single(
        Unmet::new(
            "project_frozen",
            LocalizedText::new(
                format!("项目因「{}」逾期已被冻结：在监管部门解除冻结前，只能申请延期或撤销项目", deadline.zh),
                format!(
                    "The project is frozen because the {} is overdue: until the bureau lifts the freeze, only an extension or cancellation is possible",
                    deadline.en
                ),
            ),
        )
        .with("deadline", freeze.deadline.as_str())
        .with("frozen_since", freeze.since.to_rfc3339()),
    ))
}
