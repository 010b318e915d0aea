//! Migrating a project to a newer version of its definition.
//!
//! A project stays on the definition version it started with; moving on is this explicit,
//! recorded command, refused when the current stage, a flag the project carries or a running
//! obligation (a deadline, a scheduled meeting's motion, a waiver for the current visit) does not
//! exist in the new version,
//! since the project would then be somewhere the new rules cannot reach.

use super::reasons::{check_permission, event, invalid, project_not_created};
use crate::command::Actor;
use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};

/// Moves a project to `new_definition`, refused when its current stage or a running
/// obligation (a deadline, a scheduled meeting's motion, a pending waiver) does not exist there.
pub(super) fn decide_migration(
    state: &ProjectState,
    new_definition: &WorkflowDefinition,
    to_version: u32,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let Some(project) = &state.project else {
        return Err(project_not_created());
    };
    let mut reasons = Vec::new();
    check_permission(
        new_definition,
        actor,
        CommandKind::MigrateDefinition,
        &mut reasons,
    );
    if new_definition.id != project.definition_id || new_definition.version != to_version {
        reasons.push(invalid(
            "to_version",
            format!(
                "提供的流程定义是 {}@{}，不是 {}@{to_version}",
                new_definition.id, new_definition.version, project.definition_id
            ),
            format!(
                "The definition given is {}@{}, not {}@{to_version}",
                new_definition.id, new_definition.version, project.definition_id
            ),
        ));
    }
    if to_version <= project.definition_version {
        reasons.push(invalid(
            "to_version",
            format!(
                "只能迁移到更新的版本（当前第{}版）",
                project.definition_version
            ),
            format!(
                "A project can only move to a newer version (it follows version {})",
                project.definition_version
            ),
        ));
    }
    let missing = missing_in_new_version(state, new_definition);
    if !missing.is_empty() {
        reasons.push(
            Unmet::new(
                "migration_incompatible",
                LocalizedText::new(
                    format!("新版本中不存在：{}", missing.join("、")),
                    format!("The new version lacks: {}", missing.join(", ")),
                ),
            )
            .with("missing", missing),
        );
    }
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    Ok(vec![event(
        now,
        actor,
        EventBody::DefinitionMigrated {
            from_version: project.definition_version,
            to_version,
        },
    )])
}

/// What the project is in or bound by now that the new version lacks, each named in words.
fn missing_in_new_version(
    state: &ProjectState,
    new_definition: &WorkflowDefinition,
) -> Vec<String> {
    let mut missing = Vec::new();
    let stage = state.stage();
    if new_definition.stage(stage).is_none() {
        missing.push(format!("stage '{stage}'"));
    }
    for entry in state.deadlines.iter().filter(|entry| entry.is_open()) {
        if new_definition.deadline(&entry.deadline).is_none() {
            missing.push(format!("deadline '{}'", entry.deadline));
        }
    }
    for meeting in &state.scheduled_meetings {
        if !new_definition
            .motions
            .iter()
            .any(|motion| motion.code == meeting.schedule.motion)
        {
            missing.push(format!("motion '{}'", meeting.schedule.motion));
        }
    }
    // A flag the new version does not declare would silently stop binding the project (the
    // promotion rule for legal or livelihood metrology, say).
    for flag in state
        .project
        .iter()
        .flat_map(|project| project.flags.iter())
    {
        if new_definition.project_flag(flag).is_none() {
            missing.push(format!("project flag '{flag}'"));
        }
    }
    let visit = state.current_visit();
    for waiver in state.waivers.iter().filter(|waiver| waiver.visit == visit) {
        let exists = new_definition
            .transition_from(stage, &waiver.waiver.action)
            .is_some_and(|transition| {
                transition
                    .guards
                    .iter()
                    .any(|guard| guard.id == waiver.waiver.guard)
            });
        if !exists {
            missing.push(format!(
                "guard '{}' of action '{}'",
                waiver.waiver.guard, waiver.waiver.action
            ));
        }
    }
    missing
}
