//! Creating a project: the one command that needs no project yet.
//!
//! A new project must name the definition it is decided against, a specification kind that
//! definition knows, the texts a register needs, and a code in the definition's format. Its
//! creation also starts the deadlines of the initial stage, so that they are recorded with it.
//!
//! An import is a creation with the history the project had before: the same checks, then the
//! stages it reached checked against the definition's order and today, and the deadlines of the
//! stage it stands in counted from the day it entered it.

use super::reasons::{blank, check_permission, event, invalid, reject};
use crate::command::{Actor, ImportProject, ImportedHistory, Milestone, NewProject, Publication};
use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::local_day::{local_date, start_of_local_day};
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use chrono::{DateTime, NaiveDate, Utc};

/// Decides the creation of a project: the creation and its initial stage's deadlines.
pub(super) fn decide_create(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    project: &NewProject,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    check_not_created(state)?;
    let (project, reasons) = checked_new_project(definition, project, actor);
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    let mut events = vec![event(
        now,
        actor,
        EventBody::ProjectCreated {
            project: Box::new(project),
            stage: definition.initial_stage.clone(),
            imported: None,
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

/// Decides the import of a project with its history: one creation, in the stage the history
/// reached and marked as imported, and the deadlines of that stage counted from the day it was
/// reached, so that a project imported long after its drafting began is already overdue.
pub(super) fn decide_import(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    import: &ImportProject,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    check_not_created(state)?;
    let (project, mut reasons) = checked_new_project(definition, &import.project, actor);
    let today = local_date(now, definition.local_utc_offset);
    let history = checked_history(definition, &import.history, today, &mut reasons);
    if !reasons.is_empty() {
        return Err(Rejection { reasons });
    }
    let last = history.milestones.last();
    let stage = last.map_or_else(|| definition.initial_stage.clone(), |m| m.stage.clone());
    let entered_at = last.map_or(now, |milestone| milestone.entered_at);
    let created = event(
        now,
        actor,
        EventBody::ProjectCreated {
            project: Box::new(project),
            stage: stage.clone(),
            imported: Some(Box::new(history)),
        },
    );
    // The deadlines are computed on the state the creation makes, so that a re-examination is
    // counted from the imported publication.
    let mut created_state = state.clone();
    created_state.apply(&created);
    let follow_up = crate::deadline::events_on_entering(
        &created_state,
        definition,
        "",
        &stage,
        None,
        entered_at,
    );
    let mut events = vec![created];
    events.extend(follow_up.into_iter().map(|body| event(now, actor, body)));
    Ok(events)
}

fn check_not_created(state: &ProjectState) -> Result<(), Rejection> {
    if state.project.is_some() {
        return Err(reject(
            "project_already_exists",
            "项目已存在".to_string(),
            "The project already exists".to_string(),
        ));
    }
    Ok(())
}

/// The checks every creation makes, on the project with its code folded as it is recorded.
fn checked_new_project(
    definition: &WorkflowDefinition,
    project: &NewProject,
    actor: &Actor,
) -> (NewProject, Vec<Unmet>) {
    // The code is recorded as looked up: folded as a Chinese input method may have typed it.
    let project = NewProject {
        code: crate::text::normalise_code(&project.code),
        ..project.clone()
    };
    let mut reasons = Vec::new();
    check_permission(definition, actor, CommandKind::CreateProject, &mut reasons);
    check_definition_named(definition, &project, &mut reasons);
    check_specification_kind(definition, &project, &mut reasons);
    check_flags(definition, &project, &mut reasons);
    check_texts_given(&project, &mut reasons);
    check_code_format(definition, &project, &mut reasons);
    (project, reasons)
}

/// The imported history as the event records it: every milestone checked, and each one's
/// instant set to the start of its local date.
fn checked_history(
    definition: &WorkflowDefinition,
    history: &ImportedHistory,
    today: NaiveDate,
    reasons: &mut Vec<Unmet>,
) -> ImportedHistory {
    let mut previous: Option<(usize, NaiveDate)> = None;
    let mut milestones = Vec::with_capacity(history.milestones.len());
    for milestone in &history.milestones {
        let Some(index) = stage_index(definition, &milestone.stage) else {
            reasons.push(
                invalid(
                    "milestones",
                    format!("未知的阶段「{}」", milestone.stage),
                    format!("Unknown stage '{}'", milestone.stage),
                )
                .with("stage", milestone.stage.clone()),
            );
            continue;
        };
        check_milestone_date(milestone, previous, today, reasons);
        if previous.is_some_and(|(before, _)| before >= index) {
            reasons.push(invalid(
                "milestones",
                format!("阶段「{}」未按流程顺序排列", milestone.stage),
                format!(
                    "The stage '{}' is out of the definition's order",
                    milestone.stage
                ),
            ));
        }
        previous = Some((index, milestone.reached_on));
        milestones.push(Milestone {
            entered_at: start_of_local_day(milestone.reached_on, definition.local_utc_offset),
            ..milestone.clone()
        });
    }
    let reached = milestones
        .last()
        .map_or(definition.initial_stage.as_str(), |m| m.stage.as_str());
    if let Some(publication) = &history.publication {
        check_imported_publication(definition, reached, publication, today, reasons);
    }
    ImportedHistory {
        source: history.source.clone(),
        milestones,
        publication: history.publication.clone(),
    }
}

/// Dates rise strictly along the stages and none is after today.
fn check_milestone_date(
    milestone: &Milestone,
    previous: Option<(usize, NaiveDate)>,
    today: NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    let (stage, date) = (&milestone.stage, milestone.reached_on);
    if date > today {
        reasons.push(
            invalid(
                "milestones",
                format!("阶段「{stage}」的日期 {date} 晚于今天 {today}"),
                format!("The date {date} of stage '{stage}' is after today, {today}"),
            )
            .with("stage", stage.clone()),
        );
    }
    if let Some((_, before)) = previous
        && date <= before
    {
        reasons.push(
            invalid(
                "milestones",
                format!("阶段「{stage}」的日期 {date} 不晚于前一阶段的日期 {before}"),
                format!(
                    "The date {date} of stage '{stage}' is not after the previous stage's, {before}"
                ),
            )
            .with("stage", stage.clone()),
        );
    }
}

/// A publication is imported only with a stage at or after the one publication enters (and not
/// one a cancellation enters), with an effective date not before it and a date not after today.
fn check_imported_publication(
    definition: &WorkflowDefinition,
    reached: &str,
    publication: &Publication,
    today: NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    if !is_published_stage(definition, reached) {
        let stage = definition.stage_name(reached);
        reasons.push(invalid(
            "publication",
            format!("项目处于「{}」阶段，尚未发布，不能有发布信息", stage.zh),
            format!(
                "The project is in {}, before publication, so it cannot have a publication",
                stage.en
            ),
        ));
    }
    if publication.specification_number.trim().is_empty() {
        reasons.push(invalid(
            "specification_number",
            "规范编号为空".to_string(),
            "The specification number is empty".to_string(),
        ));
    }
    let (published, effective) = (publication.publication_date, publication.effective_date);
    if effective < published {
        reasons.push(invalid(
            "effective_date",
            format!("实施日期{effective}早于发布日期{published}"),
            format!("The effective date {effective} is before the publication date {published}"),
        ));
    }
    if published > today {
        reasons.push(invalid(
            "publication_date",
            format!("发布日期 {published} 晚于今天 {today}"),
            format!("The publication date {published} is after today, {today}"),
        ));
    }
}

/// Whether a project standing in `stage` has had its specification published: the stage is the
/// definition's `published` milestone or a later one, and no cancellation enters it.
pub fn is_published_stage(definition: &WorkflowDefinition, stage: &str) -> bool {
    let Some(published) = definition.milestones.published.as_deref() else {
        return false;
    };
    let cancelled = definition
        .transitions
        .iter()
        .any(|transition| transition.cancels && transition.to == stage);
    match (
        stage_index(definition, published),
        stage_index(definition, stage),
    ) {
        (Some(published), Some(stage)) => stage >= published && !cancelled,
        _ => false,
    }
}

/// A stage's place in the definition's order of stages.
fn stage_index(definition: &WorkflowDefinition, stage: &str) -> Option<usize> {
    definition
        .stages
        .iter()
        .position(|known| known.code == stage)
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
