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

fn describe_event(
    definition: &WorkflowDefinition,
    state: &ProjectState,
    event: &Event,
    language: Language,
) -> String {
    let summary = crate::render::event_summary(&event.body, definition, language);
    match &state.project {
        Some(project) => match language {
            Language::Zh => format!("项目 {}「{}」：{summary}", project.code, project.title.zh),
            Language::En => format!(
                "Project {} \"{}\": {summary}",
                project.code, project.title.en
            ),
        },
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
    let zh = language == Language::Zh;
    let deadline_name = |id: &str| {
        definition.deadline(id).map_or_else(
            || id.to_string(),
            |rule| rule.name.get(language).to_string(),
        )
    };
    let roles =
        |kind: CommandKind| roles_in_words(definition, definition.roles_for(kind), language);
    let extension_hint = || {
        if zh {
            format!(
                "如不能按期完成，请由{}申请延期。",
                roles(CommandKind::RequestExtension)
            )
        } else {
            format!(
                "If it cannot be done in time, {} may request an extension.",
                roles(CommandKind::RequestExtension)
            )
        }
    };
    match body {
        EventBody::ProjectCreated { .. } | EventBody::ActionFired { .. } => {
            actions_from_current_stage(definition, state, language)
        }
        EventBody::DeadlineWarningGiven {
            deadline, due_on, ..
        } => {
            let actions = actions_from_current_stage(definition, state, language);
            if zh {
                format!(
                    "「{}」将于 {} 到期。{actions}{}",
                    deadline_name(deadline),
                    date(*due_on),
                    extension_hint()
                )
            } else {
                format!(
                    "\"{}\" falls due on {}. {actions} {}",
                    deadline_name(deadline),
                    date(*due_on),
                    extension_hint()
                )
            }
        }
        EventBody::DeadlineMissed {
            deadline, due_on, ..
        } => {
            let actions = actions_from_current_stage(definition, state, language);
            let escalation = definition
                .deadline(deadline)
                .and_then(|rule| rule.escalate_after.as_ref())
                .map(|grace| {
                    if zh {
                        format!("逾期超过{grace}将上报市场监管局。")
                    } else {
                        format!("If still overdue after {grace}, it is escalated to the bureau.")
                    }
                })
                .unwrap_or_default();
            if zh {
                format!(
                    "「{}」已于 {} 逾期。{actions}{}{escalation}",
                    deadline_name(deadline),
                    date(*due_on),
                    extension_hint()
                )
            } else {
                format!(
                    "\"{}\" was due on {} and is overdue. {actions} {} {escalation}",
                    deadline_name(deadline),
                    date(*due_on),
                    extension_hint()
                )
                .trim_end()
                .to_string()
            }
        }
        EventBody::ProjectEscalated { deadline, .. } => {
            if zh {
                format!(
                    "请市场监管局督办「{}」：可由{}决定延期，或由{}取消项目。",
                    deadline_name(deadline),
                    roles(CommandKind::DecideExtension),
                    cancel_roles(definition, language)
                )
            } else {
                format!(
                    "The bureau should follow up \"{}\": {} may decide on an extension, or {} may cancel the project.",
                    deadline_name(deadline),
                    roles(CommandKind::DecideExtension),
                    cancel_roles(definition, language)
                )
            }
        }
        EventBody::ProjectFrozen { .. } => {
            if zh {
                format!(
                    "项目已冻结：仅可申请延期、取消项目，或由{}解除冻结。",
                    roles(CommandKind::LiftFreeze)
                )
            } else {
                format!(
                    "The project is frozen: only an extension, a cancellation, or {} lifting the freeze is possible.",
                    roles(CommandKind::LiftFreeze)
                )
            }
        }
        EventBody::FreezeLifted { .. } => {
            let actions = actions_from_current_stage(definition, state, language);
            if zh {
                format!("冻结已解除，工作可以继续。{actions}")
            } else {
                format!("The freeze is lifted; work may continue. {actions}")
            }
        }
        EventBody::ExtensionRequested {
            deadline,
            requested_due_on,
            ..
        } => {
            if zh {
                format!(
                    "请{}审批「{}」延期至 {} 的申请：批准或不予批准。",
                    roles(CommandKind::DecideExtension),
                    deadline_name(deadline),
                    date(*requested_due_on)
                )
            } else {
                format!(
                    "{} should grant or refuse the request to extend \"{}\" to {}.",
                    capitalise(&roles(CommandKind::DecideExtension)),
                    deadline_name(deadline),
                    date(*requested_due_on)
                )
            }
        }
        EventBody::ExtensionGranted {
            deadline, times, ..
        } => {
            if zh {
                format!(
                    "「{}」新的期限为 {}，请按新期限完成。",
                    deadline_name(deadline),
                    date(times.due_on)
                )
            } else {
                format!(
                    "\"{}\" is now due on {}; plan the work to the new date.",
                    deadline_name(deadline),
                    date(times.due_on)
                )
            }
        }
        EventBody::ExtensionRefused { deadline, .. } => {
            let due = state
                .open_deadline(deadline)
                .and_then(|entry| entry.times.as_ref())
                .map(|times| date(times.due_on))
                .unwrap_or_else(|| "—".to_string());
            if zh {
                format!(
                    "延期未获批准，「{}」仍于 {due} 到期。",
                    deadline_name(deadline)
                )
            } else {
                format!(
                    "The extension was refused: \"{}\" is still due on {due}.",
                    deadline_name(deadline)
                )
            }
        }
        EventBody::ReexaminationWarningGiven { due_on, .. } => {
            if zh {
                format!("复查将于 {} 到期，请准备复查。", date(*due_on))
            } else {
                format!(
                    "The re-examination falls due on {}; prepare it.",
                    date(*due_on)
                )
            }
        }
        EventBody::ReexaminationFellDue { .. } => {
            actions_from_current_stage(definition, state, language)
        }
        _ => {
            if zh {
                "无需采取行动。".to_string()
            } else {
                "No action is needed.".to_string()
            }
        }
    }
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
            match language {
                Language::Zh => format!("{}（{by}）", transition.name.zh),
                Language::En => format!("{} (by {by})", transition.name.en),
            }
        })
        .collect();
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
    match (language, actions.is_empty()) {
        (Language::Zh, true) => format!("项目处于「{stage_name}」，无后续操作。"),
        (Language::En, true) => {
            format!("The project is in \"{stage_name}\"; nothing further is to be done.")
        }
        (Language::Zh, false) => {
            let due = due
                .map(|(on, _)| format!("，期限 {}", date(on)))
                .unwrap_or_default();
            format!(
                "项目处于「{stage_name}」{due}；下一步：{}。",
                actions.join("、")
            )
        }
        (Language::En, false) => {
            let due = due
                .map(|(on, _)| format!(", due on {}", date(on)))
                .unwrap_or_default();
            format!(
                "The project is in \"{stage_name}\"{due}; next: {}.",
                actions.join(", ")
            )
        }
    }
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
    match language {
        Language::Zh => names.join("或"),
        Language::En => names.join(" or "),
    }
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
