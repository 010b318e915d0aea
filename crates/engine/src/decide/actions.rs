//! Firing actions: moving a project from one stage to another, or cancelling it.
//!
//! An action fires when the actor's role may fire it, a reason is given when one is required, and
//! every guard holds or is covered by a waiver recorded in the current visit to the stage. The
//! same checks list, for a page, each action from the current stage with what stands in its way
//! ([`available_actions`]), so a disabled button and a refusal give the same reasons.

use super::reasons::{blank, event, role_unmet};
use crate::command::Actor;
use crate::definition::{Transition, WorkflowDefinition};
use crate::event::{Event, EventBody};
use crate::guard::{self, Situation};
use crate::local_day::local_date;
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An action that may be fired from the current stage, and what stands in its way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailableAction {
    /// The action's code.
    pub action: String,
    /// Its name.
    pub name: LocalizedText,
    /// The stage it leads to.
    pub to: String,
    /// That stage's name.
    pub to_name: LocalizedText,
    /// The roles that may fire it.
    pub roles: Vec<String>,
    /// Whether it needs a reason in words.
    pub requires_reason: bool,
    /// Whether it cancels the project.
    pub cancels: bool,
    /// Every reason the actor cannot fire it now; empty when the button can be pressed.
    pub unmet: Vec<Unmet>,
}

impl AvailableAction {
    /// Whether the actor can fire it now.
    pub fn is_ready(&self) -> bool {
        self.unmet.is_empty()
    }
}

/// Decides firing `action` from the current stage.
pub(super) fn decide_fire_action(
    situation: &Situation<'_>,
    action: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let state = situation.state;
    let definition = situation.definition;
    let Some(transition) = definition.transition_from(state.stage(), action) else {
        return Err(unknown_action(state, definition, action));
    };
    fire(transition, reason, situation, now)
}

/// Decides cancelling the project: firing the current stage's cancelling action.
pub(super) fn decide_cancel(
    situation: &Situation<'_>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let definition = situation.definition;
    let stage = situation.state.stage();
    let Some(transition) = definition
        .outgoing(stage)
        .find(|transition| transition.cancels)
    else {
        let name = definition.stage_name(stage);
        return Err(Rejection::single(
            Unmet::new(
                "cannot_cancel",
                LocalizedText::new(
                    format!("项目处于「{}」阶段，不能撤销", name.zh),
                    format!("A project in {} cannot be cancelled", name.en),
                ),
            )
            .with("stage", stage),
        ));
    };
    fire(transition, Some(reason), situation, now)
}

/// The refusal of an action the current stage does not have, listing those it has.
pub(super) fn unknown_action(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    action: &str,
) -> Rejection {
    let stage = state.stage();
    let available: Vec<&str> = definition
        .outgoing(stage)
        .map(|transition| transition.action.as_str())
        .collect();
    let name = definition.stage_name(stage);
    Rejection::single(
        Unmet::new(
            "unknown_action",
            LocalizedText::new(
                format!(
                    "「{}」阶段没有操作「{action}」；可用操作：{}",
                    name.zh,
                    available.join("、")
                ),
                format!(
                    "There is no action '{action}' from {}; available actions: {}",
                    name.en,
                    available.join(", ")
                ),
            ),
        )
        .with("action", action)
        .with("stage", stage)
        .with("available", available),
    )
}

/// Every unmet reason for firing `transition` now, and the guards a waiver covers.
fn unmet_for(
    transition: &Transition,
    situation: &Situation<'_>,
    reason: Option<&str>,
) -> (Vec<Unmet>, Vec<String>) {
    let mut unmet = Vec::new();
    let actor = situation.actor;
    if !transition.roles.iter().any(|role| role == &actor.role) {
        unmet.push(role_unmet(
            situation.definition,
            actor,
            &transition.roles,
            &LocalizedText::new(
                format!("执行「{}」", transition.name.zh),
                format!("fire '{}'", transition.name.en),
            ),
        ));
    }
    if transition.requires_reason && reason.is_none_or(blank) {
        unmet.push(Unmet::new(
            "reason_required",
            LocalizedText::new(
                format!("「{}」须说明理由", transition.name.zh),
                format!("'{}' needs a reason", transition.name.en),
            ),
        ));
    }
    let mut waived = Vec::new();
    let visit = situation.state.current_visit();
    for guard in &transition.guards {
        let before = unmet.len();
        guard::check(guard, situation, &mut unmet);
        if unmet.len() > before {
            let waiver_recorded = situation.state.waivers.iter().any(|entry| {
                entry.visit == visit
                    && entry.waiver.action == transition.action
                    && entry.waiver.guard == guard.id
            });
            if waiver_recorded {
                unmet.truncate(before);
                waived.push(guard.id.clone());
            }
        }
    }
    (unmet, waived)
}

/// The events of firing `transition`: the move (or cancellation), then the deadlines it closes
/// and starts.
fn fire(
    transition: &Transition,
    reason: Option<&str>,
    situation: &Situation<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    let (unmet, waived_guards) = unmet_for(transition, situation, reason);
    if !unmet.is_empty() {
        return Err(Rejection { reasons: unmet });
    }
    let from = situation.state.stage().to_string();
    let follow_up = crate::deadline::events_on_entering(
        situation.state,
        situation.definition,
        &from,
        &transition.to,
        Some(&transition.action),
        now,
    );
    let body = if transition.cancels {
        EventBody::ProjectCancelled {
            action: transition.action.clone(),
            from,
            to: transition.to.clone(),
            reason: reason.unwrap_or_default().trim().to_string(),
        }
    } else {
        EventBody::ActionFired {
            action: transition.action.clone(),
            from,
            to: transition.to.clone(),
            reason: reason.map(|reason| reason.trim().to_string()),
            waived_guards,
        }
    };
    let mut events = Vec::with_capacity(1 + follow_up.len());
    events.push(event(now, situation.actor, body));
    events.extend(
        follow_up
            .into_iter()
            .map(|body| event(now, situation.actor, body)),
    );
    Ok(events)
}

/// Every action from the current stage, with every reason `actor` cannot fire it `now`.
///
/// A page shows each as a button, disabled with its reasons when `unmet` is not empty.
pub fn available_actions(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Vec<AvailableAction> {
    let stage = state.stage();
    if state.project.is_none() || definition.stage(stage).is_none_or(|stage| stage.terminal) {
        return Vec::new();
    }
    let situation = Situation {
        state,
        definition,
        actor,
        today: local_date(now, definition.local_utc_offset),
    };
    definition
        .outgoing(stage)
        .map(|transition| {
            // The reason is typed when the button is pressed, so it is not a reason to disable it.
            let (unmet, _) = unmet_for(transition, &situation, Some("reason given on firing"));
            AvailableAction {
                action: transition.action.clone(),
                name: transition.name.clone(),
                to: transition.to.clone(),
                to_name: definition.stage_name(&transition.to),
                roles: transition.roles.clone(),
                requires_reason: transition.requires_reason,
                cancels: transition.cancels,
                unmet,
            }
        })
        .collect()
}
