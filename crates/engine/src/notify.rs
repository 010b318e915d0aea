//! Who must hear of an event, what happened and what to do next, in Chinese and English.
//!
//! The definition's `[[notifications]]` rules say which roles hear of which events; this module
//! writes the words. The service puts one notification per audience in its outbox, in the same
//! transaction as the audit record, and delivers it by webhook. Pure: the texts depend only on the
//! definition, the event and the project's state after it.

use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::state::ProjectState;
use crate::text::{Language, LocalizedText};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One notification for one audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The role that should hear: a drafting group, a secretariat, the bureau…
    pub audience: String,
    /// The event's type, such as `deadline_missed`.
    pub event_type: String,
    /// What happened, in a sentence.
    pub what_happened: LocalizedText,
    /// What the audience should do next, in a sentence.
    pub what_next: LocalizedText,
}

/// The notices an event calls for: one per audience the definition's rules name, each audience
/// once however many rules match. `state_after` is the project's state with the event applied.
pub fn notices_for(
    definition: &WorkflowDefinition,
    state_after: &ProjectState,
    event: &Event,
) -> Vec<Notice> {
    let event_type = event.body.type_name();
    let entered = match &event.body {
        EventBody::ActionFired { to, .. } => Some(to.as_str()),
        _ => None,
    };
    let mut audiences: Vec<&str> = Vec::new();
    for rule in &definition.notifications {
        if rule.applies_to(event_type, entered) {
            for audience in &rule.audiences {
                if !audiences.contains(&audience.as_str()) {
                    audiences.push(audience);
                }
            }
        }
    }
    if audiences.is_empty() {
        return Vec::new();
    }
    let what_happened = LocalizedText::new(
        describe_event(definition, state_after, event, Language::Zh),
        describe_event(definition, state_after, event, Language::En),
    );
    let what_next = LocalizedText::new(
        next_step(definition, state_after, &event.body, Language::Zh),
        next_step(definition, state_after, &event.body, Language::En),
    );
    audiences
        .into_iter()
        .map(|audience| Notice {
            audience: audience.to_string(),
            event_type: event_type.to_string(),
            what_happened: what_happened.clone(),
            what_next: what_next.clone(),
        })
        .collect()
}

/// The kinds of event the definitions' notification rules name, sorted and each once: what a
/// person may choose to hear of by e-mail.
pub fn notified_event_types<'a>(
    definitions: impl IntoIterator<Item = &'a WorkflowDefinition>,
) -> Vec<String> {
    let mut types: Vec<String> = definitions
        .into_iter()
        .flat_map(|definition| &definition.notifications)
        .flat_map(|rule| rule.on.iter().cloned())
        .collect();
    types.sort();
    types.dedup();
    types
}

/// A kind of event in words, for the choices people make; its code for one not named here.
pub fn event_type_name(event_type: &str) -> LocalizedText {
    let (zh, en) = match event_type {
        "action_fired" => ("项目进入下一阶段", "A project moved to another stage"),
        "project_cancelled" => ("项目撤销", "A project was cancelled"),
        "deadline_warning_given" => ("期限临近预警", "A deadline is near"),
        "deadline_missed" => ("期限已过", "A deadline was missed"),
        "project_escalated" => (
            "逾期上报市局",
            "An overdue project was escalated to the bureau",
        ),
        "project_frozen" => ("项目被冻结", "A project was frozen"),
        "freeze_lifted" => ("冻结解除", "A freeze was lifted"),
        "extension_requested" => ("延期申请", "An extension was requested"),
        "extension_granted" => ("延期获准", "An extension was granted"),
        "extension_refused" => ("延期被驳回", "An extension was refused"),
        "reexamination_warning_given" => ("复审临近预警", "A re-examination is near"),
        "reexamination_fell_due" => ("复审到期", "A re-examination fell due"),
        "comment_recorded" => ("收到意见", "A comment was recorded"),
        "meeting_scheduled" => ("会议安排", "A meeting was scheduled"),
        other => return LocalizedText::new(other, other),
    };
    LocalizedText::new(zh, en)
}

fn describe_event(
    definition: &WorkflowDefinition,
    state: &ProjectState,
    event: &Event,
    language: Language,
) -> String {
    let summary = crate::render::event_summary(&event.body, definition, language);
    match &state.project {
        Some(project) => language.pick(
            format!("项目 {}「{}」：{summary}", project.code, project.title.zh),
            format!(
                "Project {} \"{}\": {summary}",
                project.code, project.title.en
            ),
        ),
        None => summary,
    }
}

/// The sentence telling the audience what to do next.
fn next_step(
    definition: &WorkflowDefinition,
    state: &ProjectState,
    body: &EventBody,
    language: Language,
) -> String {
    let deadline_name = |id: &str| deadline_name(definition, id, language);
    let roles =
        |kind: CommandKind| roles_in_words(definition, definition.roles_for(kind), language);
    let extension_hint = || extension_hint(definition, language);
    match body {
        EventBody::ProjectCreated { .. } | EventBody::ActionFired { .. } => {
            actions_from_current_stage(definition, state, language)
        }
        EventBody::DeadlineWarningGiven {
            deadline, due_on, ..
        } => {
            let actions = actions_from_current_stage(definition, state, language);
            let (name, due, hint) = (deadline_name(deadline), date(*due_on), extension_hint());
            language.pick(
                format!("「{name}」将于 {due} 到期。{actions}{hint}"),
                format!("\"{name}\" falls due on {due}. {actions} {hint}"),
            )
        }
        EventBody::DeadlineMissed {
            deadline, due_on, ..
        } => deadline_missed_step(definition, state, deadline, *due_on, language),
        EventBody::ProjectEscalated { deadline, .. } => {
            let (name, deciders) = (deadline_name(deadline), roles(CommandKind::DecideExtension));
            let cancellers = cancel_roles(definition, language);
            language.pick(
                format!("请市场监管局督办「{name}」：可由{deciders}决定延期，或由{cancellers}取消项目。"),
                format!("The bureau should follow up \"{name}\": {deciders} may decide on an extension, or {cancellers} may cancel the project."),
            )
        }
        EventBody::ProjectFrozen { .. } => {
            let lifters = roles(CommandKind::LiftFreeze);
            language.pick(
                format!("项目已冻结：仅可申请延期、取消项目，或由{lifters}解除冻结。"),
                format!("The project is frozen: only an extension, a cancellation, or {lifters} lifting the freeze is possible."),
            )
        }
        EventBody::FreezeLifted { .. } => {
            let actions = actions_from_current_stage(definition, state, language);
            language.pick(
                format!("冻结已解除，工作可以继续。{actions}"),
                format!("The freeze is lifted; work may continue. {actions}"),
            )
        }
        EventBody::ExtensionRequested {
            deadline,
            requested_due_on,
            ..
        } => {
            let (name, due) = (deadline_name(deadline), date(*requested_due_on));
            let deciders = roles(CommandKind::DecideExtension);
            language.pick(
                format!("请{deciders}审批「{name}」延期至 {due} 的申请：批准或不予批准。"),
                format!(
                    "{} should grant or refuse the request to extend \"{name}\" to {due}.",
                    capitalise(&deciders)
                ),
            )
        }
        EventBody::ExtensionGranted {
            deadline, times, ..
        } => {
            let (name, due) = (deadline_name(deadline), date(times.due_on));
            language.pick(
                format!("「{name}」新的期限为 {due}，请按新期限完成。"),
                format!("\"{name}\" is now due on {due}; plan the work to the new date."),
            )
        }
        EventBody::ExtensionRefused { deadline, .. } => {
            let due = state
                .open_deadline(deadline)
                .and_then(|entry| entry.times.as_ref())
                .map(|times| date(times.due_on))
                .unwrap_or_else(|| "—".to_string());
            let name = deadline_name(deadline);
            language.pick(
                format!("延期未获批准，「{name}」仍于 {due} 到期。"),
                format!("The extension was refused: \"{name}\" is still due on {due}."),
            )
        }
        EventBody::ReexaminationWarningGiven { due_on, .. } => {
            let due = date(*due_on);
            language.pick(
                format!("复查将于 {due} 到期，请准备复查。"),
                format!("The re-examination falls due on {due}; prepare it."),
            )
        }
        EventBody::ReexaminationFellDue { .. } => {
            actions_from_current_stage(definition, state, language)
        }
        _ => language
            .pick("无需采取行动。", "No action is needed.")
            .to_string(),
    }
}

/// What to do after a missed deadline: the stage's actions, an extension, and when the bureau
/// hears of it.
fn deadline_missed_step(
    definition: &WorkflowDefinition,
    state: &ProjectState,
    deadline: &str,
    due_on: NaiveDate,
    language: Language,
) -> String {
    let name = deadline_name(definition, deadline, language);
    let hint = extension_hint(definition, language);
    let actions = actions_from_current_stage(definition, state, language);
    let escalation = definition
        .deadline(deadline)
        .and_then(|rule| rule.escalate_after.as_ref())
        .map(|grace| {
            language.pick(
                format!("逾期超过{grace}将上报市场监管局。"),
                format!("If still overdue after {grace}, it is escalated to the bureau."),
            )
        })
        .unwrap_or_default();
    let due = date(due_on);
    language.pick(
        format!("「{name}」已于 {due} 逾期。{actions}{hint}{escalation}"),
        format!("\"{name}\" was due on {due} and is overdue. {actions} {hint} {escalation}")
            .trim_end()
            .to_string(),
    )
}

/// A deadline's name, or its id when the definition does not know it.
fn deadline_name(definition: &WorkflowDefinition, id: &str, language: Language) -> String {
    definition.deadline(id).map_or_else(
        || id.to_string(),
        |rule| rule.name.get(language).to_string(),
    )
}

/// Who may ask for an extension when a deadline cannot be met.
fn extension_hint(definition: &WorkflowDefinition, language: Language) -> String {
    let requesters = roles_in_words(
        definition,
        definition.roles_for(CommandKind::RequestExtension),
        language,
    );
    language.pick(
        format!("如不能按期完成，请由{requesters}申请延期。"),
        format!("If it cannot be done in time, {requesters} may request an extension."),
    )
}

/// "Next, in stage S: A (by R), B (by R)." or, in a terminal stage, that nothing follows.
fn actions_from_current_stage(
    definition: &WorkflowDefinition,
    state: &ProjectState,
    language: Language,
) -> String {
    let stage = state.stage();
    let stage_name = definition.stage_name(stage).get(language).to_string();
    let actions: Vec<String> = definition
        .outgoing(stage)
        .filter(|transition| !transition.cancels)
        .map(|transition| {
            let by = roles_in_words(definition, &transition.roles, language);
            language.pick(
                format!("{}（{by}）", transition.name.zh),
                format!("{} (by {by})", transition.name.en),
            )
        })
        .collect();
    if actions.is_empty() {
        return language.pick(
            format!("项目处于「{stage_name}」，无后续操作。"),
            format!("The project is in \"{stage_name}\"; nothing further is to be done."),
        );
    }
    let due = state
        .deadlines
        .iter()
        .filter(|entry| entry.is_open())
        .filter_map(|entry| {
            entry
                .times
                .as_ref()
                .map(|times| (times.due_on, &entry.deadline))
        })
        .min();
    let due = due.map(|(on, _)| date(on));
    language.pick(
        format!(
            "项目处于「{stage_name}」{}；下一步：{}。",
            due.as_ref()
                .map(|on| format!("，期限 {on}"))
                .unwrap_or_default(),
            actions.join("、")
        ),
        format!(
            "The project is in \"{stage_name}\"{}; next: {}.",
            due.as_ref()
                .map(|on| format!(", due on {on}"))
                .unwrap_or_default(),
            actions.join(", ")
        ),
    )
}

fn cancel_roles(definition: &WorkflowDefinition, language: Language) -> String {
    let mut roles: Vec<String> = Vec::new();
    for transition in definition.transitions.iter().filter(|t| t.cancels) {
        for role in &transition.roles {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
    }
    roles_in_words(definition, &roles, language)
}

fn roles_in_words(definition: &WorkflowDefinition, roles: &[String], language: Language) -> String {
    let names: Vec<String> = roles
        .iter()
        .map(|role| definition.role_name(role).get(language).to_string())
        .collect();
    names.join(language.pick("或", " or "))
}

fn capitalise(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}
