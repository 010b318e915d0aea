//! Recording a waiver: leave, on the record, to fire an action although one of its guards fails.
//!
//! A waiver names an action from the current stage and one of that action's guards; only the
//! roles the guard names as able to waive it may record one, and only with an authority and a
//! reason. Firing then checks the waiver (see the actions module), not this one.

use super::actions::unknown_action;
use super::reasons::{blank, body_unless, check_permission, invalid, role_unmet};
use crate::command::Waiver;
use crate::definition::{CommandKind, Transition};
use crate::event::EventBody;
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use crate::text::LocalizedText;

/// Decides recording a waiver of one guard of one action.
pub(super) fn decide_record_waiver(
    situation: &Situation<'_>,
    waiver: &Waiver,
) -> Result<EventBody, Rejection> {
    let (state, definition, actor) = (situation.state, situation.definition, situation.actor);
    let mut reasons = Vec::new();
    check_permission(definition, actor, CommandKind::RecordWaiver, &mut reasons);
    match definition.transition_from(state.stage(), &waiver.action) {
        None => reasons.extend(unknown_action(state, definition, &waiver.action).reasons),
        Some(transition) => check_guard_waivable(situation, transition, waiver, &mut reasons),
    }
    if blank(&waiver.authority) {
        reasons.push(invalid(
            "authority",
            "豁免依据为空".to_string(),
            "The waiver's authority is empty".to_string(),
        ));
    }
    if blank(&waiver.reason) {
        reasons.push(invalid(
            "reason",
            "豁免理由为空".to_string(),
            "The waiver's reason is empty".to_string(),
        ));
    }
    body_unless(EventBody::WaiverRecorded(waiver.clone()), reasons)
}

/// The guard must belong to the action, and the actor's role must be one that may waive it.
fn check_guard_waivable(
    situation: &Situation<'_>,
    transition: &Transition,
    waiver: &Waiver,
    reasons: &mut Vec<Unmet>,
) {
    let actor = situation.actor;
    match transition
        .guards
        .iter()
        .find(|guard| guard.id == waiver.guard)
    {
        None => {
            let ids: Vec<&str> = transition
                .guards
                .iter()
                .map(|guard| guard.id.as_str())
                .collect();
            reasons.push(invalid(
                "guard",
                format!(
                    "「{}」没有条件「{}」；其条件为：{}",
                    transition.name.zh,
                    waiver.guard,
                    ids.join("、")
                ),
                format!(
                    "'{}' has no guard '{}'; its guards are: {}",
                    transition.name.en,
                    waiver.guard,
                    ids.join(", ")
                ),
            ));
        }
        Some(guard) if !guard.waivable_by.iter().any(|role| role == &actor.role) => {
            reasons.push(role_unmet(
                situation.definition,
                actor,
                &guard.waivable_by,
                &LocalizedText::new(
                    format!("豁免条件「{}」", guard.id),
                    format!("waive the guard '{}'", guard.id),
                ),
            ));
        }
        Some(_) => {}
    }
}
