//! The building blocks of refusals that every family of commands shares.
//!
//! Each family checks its own input, but the sentences for a refusal with one reason, for bad
//! input, for a role that may not act and for blank text are written once here, so that the same
//! mistake reads the same way whichever command made it.

use crate::command::Actor;
use crate::definition::{CommandKind, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::rejection::{Rejection, Unmet};
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};

/// A refusal with one reason.
pub(super) fn reject(code: &str, zh: String, en: String) -> Rejection {
    Rejection::single(Unmet::new(code, LocalizedText::new(zh, en)))
}

/// The refusal of any command but creation on a project that does not exist yet.
pub(super) fn project_not_created() -> Rejection {
    reject(
        "project_not_created",
        "项目尚未创建".to_string(),
        "The project has not been created".to_string(),
    )
}

/// A reason that names the field of the command that is wrong.
pub(super) fn invalid(field: &str, zh: String, en: String) -> Unmet {
    Unmet::new("invalid_input", LocalizedText::new(zh, en)).with("field", field)
}

/// The reason an actor's role may not do `what`, naming the roles that may.
pub(super) fn role_unmet(
    definition: &WorkflowDefinition,
    actor: &Actor,
    allowed: &[String],
    what: &LocalizedText,
) -> Unmet {
    let role = definition.role_name(&actor.role);
    let allowed_names: Vec<LocalizedText> = allowed
        .iter()
        .map(|role| definition.role_name(role))
        .collect();
    let zh: Vec<&str> = allowed_names.iter().map(|name| name.zh.as_str()).collect();
    let en: Vec<&str> = allowed_names.iter().map(|name| name.en.as_str()).collect();
    let (allowed_zh, allowed_en) = if allowed.is_empty() {
        ("任何角色均不可".to_string(), "no role may".to_string())
    } else {
        (zh.join("、"), en.join(", "))
    };
    Unmet::new(
        "role_not_permitted",
        LocalizedText::new(
            format!("{}无权{}；可执行的角色：{}", role.zh, what.zh, allowed_zh),
            format!(
                "The role {} may not {}; roles that may: {}",
                role.en, what.en, allowed_en
            ),
        ),
    )
    .with("role", actor.role.as_str())
    .with("allowed_roles", allowed.to_vec())
}

/// Adds a reason when the definition does not let the actor's role give this kind of command.
pub(super) fn check_permission(
    definition: &WorkflowDefinition,
    actor: &Actor,
    kind: CommandKind,
    reasons: &mut Vec<Unmet>,
) {
    let allowed = definition.roles_for(kind);
    if !allowed.iter().any(|role| role == &actor.role) {
        let what = command_words(kind);
        reasons.push(role_unmet(definition, actor, allowed, &what));
    }
}

/// What a kind of command does, in words that follow "may not".
fn command_words(kind: CommandKind) -> LocalizedText {
    let (zh, en) = match kind {
        CommandKind::CreateProject => ("创建项目", "create a project"),
        CommandKind::AttachArtifact => ("上传附件", "attach an artifact"),
        CommandKind::RecordOrganisationsConsulted => {
            ("记录征求意见单位", "record organisations consulted")
        }
        CommandKind::RecordComment => ("记录意见", "record a comment"),
        CommandKind::DisposeComment => ("处理意见", "record a comment's disposition"),
        CommandKind::ScheduleMeeting => ("安排会议", "schedule a meeting"),
        CommandKind::RecordMeeting => ("记录会议及表决", "record a meeting and its votes"),
        CommandKind::SignOff => ("签署", "sign off"),
        CommandKind::RecordField => ("记录事项", "record a field"),
        CommandKind::RecordPublication => ("记录发布信息", "record the publication"),
        CommandKind::RecordWaiver => ("记录豁免", "record a waiver"),
        CommandKind::FixPlan => ("下达计划", "fix the plan"),
        CommandKind::RequestExtension => ("申请延期", "request an extension"),
        CommandKind::DecideExtension => ("批准或拒绝延期", "grant or refuse an extension"),
        CommandKind::LiftFreeze => ("解除冻结", "lift a freeze"),
        CommandKind::MigrateDefinition => {
            ("迁移流程定义版本", "migrate to a new definition version")
        }
    };
    LocalizedText::new(zh, en)
}

/// Whether a text a person typed says nothing.
pub(super) fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// One event of the command's actor at the command's instant.
pub(super) fn event(now: DateTime<Utc>, actor: &Actor, body: EventBody) -> Event {
    Event {
        occurred_at: now,
        actor: actor.clone(),
        body,
    }
}

/// The one event a checked command records, or every reason found against it.
pub(super) fn body_unless(body: EventBody, reasons: Vec<Unmet>) -> Result<EventBody, Rejection> {
    if reasons.is_empty() {
        Ok(body)
    } else {
        Err(Rejection { reasons })
    }
}
