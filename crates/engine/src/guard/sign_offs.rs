//! Who acted: the guard that someone of a role signed a step off (`signed_off`) and the four-eyes
//! guard that the actor differs from whoever fired an earlier action (`different_actor`).

use super::GuardReader;
use super::{GuardKind, Situation};
use crate::definition::raw::RawGuard;
use crate::definition::{GuardRule, WorkflowDefinition};
use crate::rejection::Unmet;
use crate::text::LocalizedText;

/// `signed_off`: someone holding `by_role` signed off `subject` in the current stage.
pub(super) const SIGNED_OFF: GuardKind = GuardKind {
    code: "signed_off",
    fields: &["subject", "by_role"],
    convert: convert_signed_off,
};

/// `different_actor`: the actor is not the one who last fired `than_action`.
pub(super) const DIFFERENT_ACTOR: GuardKind = GuardKind {
    code: "different_actor",
    fields: &["than_action"],
    convert: convert_different_actor,
};

fn convert_signed_off(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let known = reader.known();
    let subject = reader.required("subject", &raw.subject)?;
    let subject = reader.reference("sign-off", &known.sign_offs, subject);
    let by_role = reader.required("by_role", &raw.by_role)?;
    let by_role = reader.reference("role", &known.roles, by_role);
    Some(GuardRule::SignedOff { subject, by_role })
}

pub(super) fn check_signed_off(
    subject: &str,
    by_role: &str,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let state = situation.state;
    let visit = state.current_visit();
    let signed = state.sign_offs.iter().any(|sign_off| {
        sign_off.visit == visit && sign_off.subject == subject && sign_off.signed_by.role == by_role
    });
    if signed {
        return;
    }
    let subject_name = situation.definition.sign_off_name(subject);
    let role = situation.definition.role_name(by_role);
    unmet.push(
        Unmet::new(
            "sign_off_missing",
            LocalizedText::new(
                format!("{}尚未签署：{}", role.zh, subject_name.zh),
                format!("The {} has not signed off: {}", role.en, subject_name.en),
            ),
        )
        .with("subject", subject)
        .with("by_role", by_role),
    );
}

pub(super) fn describe_signed_off(
    subject: &str,
    by_role: &str,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let subject = definition.sign_off_name(subject);
    let role = definition.role_name(by_role);
    LocalizedText::new(
        format!("{}已签署：{}", role.zh, subject.zh),
        format!("signed off by the {}: {}", role.en, subject.en),
    )
}

pub(super) fn label_signed_off(by_role: &str, definition: &WorkflowDefinition) -> LocalizedText {
    let role = definition.role_name(by_role);
    LocalizedText::new(format!("{}签署", role.zh), format!("signed by {}", role.en))
}

fn convert_different_actor(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let known = reader.known();
    let than_action = reader.required("than_action", &raw.than_action)?;
    let than_action = reader.reference("action", &known.actions, than_action);
    Some(GuardRule::DifferentActor { than_action })
}

pub(super) fn check_different_actor(
    than_action: &str,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let Some(previous) = situation.state.last_actor_of_action.get(than_action) else {
        return;
    };
    if previous.id != situation.actor.id {
        return;
    }
    let action = situation.definition.action_name(than_action);
    unmet.push(
        Unmet::new(
            "same_actor",
            LocalizedText::new(
                format!(
                    "「{}」由{}操作，本操作须由另一人完成",
                    action.zh, previous.id
                ),
                format!(
                    "{} fired '{}'; someone else must take this step",
                    previous.id, action.en
                ),
            ),
        )
        .with("actor", previous.id.as_str())
        .with("action", than_action),
    );
}

pub(super) fn describe_different_actor(
    than_action: &str,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let action = definition.action_name(than_action);
    LocalizedText::new(
        format!("操作人不得与「{}」的操作人相同", action.zh),
        format!("someone other than whoever fired '{}'", action.en),
    )
}

pub(super) fn label_different_actor() -> LocalizedText {
    LocalizedText::new("四眼原则", "four eyes")
}
