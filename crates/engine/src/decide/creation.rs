//! Creating a project: the one command that needs no project yet.
//!
//! A new project must name the definition it is decided against, a specification kind that
//! definition knows, the texts a register needs, and a code in the definition's format. Its
//! creation also starts the deadlines of the initial stage, so that they are recorded with it.

use super::reasons::{blank, check_permission, event, invalid, reject};
use crate::command::{Actor, NewProject};
use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use chrono::{DateTime, Utc};

/// Decides the creation of a project: the creation and its initial stage's deadlines.
pub(super) fn decide_create(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    project: &NewProject,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    if state.project.is_some() {
        return Err(reject(
            "project_already_exists",
            "项目已存在".to_string(),
            "The project already exists".to_string(),
        ));
    }
    // The code is recorded as looked up: folded as a Chinese input method may have typed it.
    let project = &NewProject {
        code: crate::text::normalise_code(&project.code),
        ..project.clone()
    };
    let mut reasons = Vec::new();
    check_permission(definition, actor, CommandKind::CreateProject, &mut reasons);
    check_definition_named(definition, project, &mut reasons);
    check_specification_kind(definition, project, &mut reasons);
    check_flags(definition, project, &mut reasons);
    check_texts_given(project, &mut reasons);
    check_code_format(definition, project, &mut reasons);
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    let mut events = vec![event(
        now,
        actor,
        EventBody::ProjectCreated {
            project: Box::new(project.clone()),
            stage: definition.initial_stage.clone(),
        },
    )];
    let follow_up = crate::deadline::events_on_entering(
        state,
        definition,
        "",
        &definition.initial_stage,
        None,
        now,
    );
    events.extend(follow_up.into_iter().map(|body| event(now, actor, body)));
    Ok(events)
}

/// The project must name the definition version it is being created under.
fn check_definition_named(
    definition: &WorkflowDefinition,
    project: &NewProject,
    reasons: &mut Vec<Unmet>,
) {
    if project.definition_id != definition.id || project.definition_version != definition.version {
        reasons.push(invalid(
            "definition_version",
            format!(
                "项目指定流程定义 {}@{}，但提供的是 {}@{}",
                project.definition_id,
                project.definition_version,
                definition.id,
                definition.version
            ),
            format!(
                "The project names definition {}@{}, but {}@{} was given",
                project.definition_id,
                project.definition_version,
                definition.id,
                definition.version
            ),
        ));
    }
}

fn check_specification_kind(
    definition: &WorkflowDefinition,
    project: &NewProject,
    reasons: &mut Vec<Unmet>,
) {
    if definition
        .specification_kinds
        .iter()
        .any(|kind| kind.code == project.specification_kind)
    {
        return;
    }
    let known: Vec<&str> = definition
        .specification_kinds
        .iter()
        .map(|kind| kind.code.as_str())
        .collect();
    reasons.push(invalid(
        "specification_kind",
        format!(
            "未知的规范类型「{}」；可用：{}",
            project.specification_kind,
            known.join("、")
        ),
        format!(
            "Unknown specification kind '{}'; kinds are: {}",
            project.specification_kind,
            known.join(", ")
        ),
    ));
}

/// Every flag given must be one the definition declares.
fn check_flags(definition: &WorkflowDefinition, project: &NewProject, reasons: &mut Vec<Unmet>) {
    let known: Vec<&str> = definition
        .project_flags
        .iter()
        .map(|flag| flag.code.as_str())
        .collect();
    for flag in &project.flags {
        if definition.project_flag(flag).is_some() {
            continue;
        }
        let (zh, en) = if known.is_empty() {
            (
                "该流程定义没有项目标记".to_string(),
                "this definition declares no project flags".to_string(),
            )
        } else {
            (
                format!("可用：{}", known.join("、")),
                format!("flags are: {}", known.join(", ")),
            )
        };
        reasons.push(
            invalid(
                "flags",
                format!("未知的项目标记「{flag}」；{zh}"),
                format!("Unknown project flag '{flag}'; {en}"),
            )
            .with("flag", flag.clone()),
        );
    }
}

/// The code, the Chinese title, the committee and the drafting unit must each say something.
fn check_texts_given(project: &NewProject, reasons: &mut Vec<Unmet>) {
    for (field, value, zh, en) in [
        ("code", &project.code, "项目编号", "code"),
        ("title.zh", &project.title.zh, "中文名称", "Chinese title"),
        ("committee", &project.committee, "技术委员会", "committee"),
        (
            "drafting_unit",
            &project.drafting_unit,
            "起草单位",
            "drafting unit",
        ),
    ] {
        if blank(value) {
            reasons.push(invalid(
                field,
                format!("{zh}为空"),
                format!("The {en} is empty"),
            ));
        }
    }
}

/// A code that is given must have the definition's format; a blank one is reported above.
fn check_code_format(
    definition: &WorkflowDefinition,
    project: &NewProject,
    reasons: &mut Vec<Unmet>,
) {
    if blank(&project.code) || definition.code_matches(&project.specification_kind, &project.code) {
        return;
    }
    // The example is a code built from the format, not the template with its placeholders,
    // which reads as code to the people who type project codes.
    let example = definition
        .format_code(&project.specification_kind, 2026, 7)
        .unwrap_or_default();
    let kind = definition.specification_kind_name(&project.specification_kind);
    reasons.push(invalid(
        "code",
        format!(
            "项目编号「{}」不符合{}的编号格式，应形如 {example}",
            project.code, kind.zh
        ),
        format!(
            "The code '{}' does not have the format of a {}: it should look like {example}",
            project.code, kind.en
        ),
    ));
}
