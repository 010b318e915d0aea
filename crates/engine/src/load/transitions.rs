//! The transitions: each action's stages, roles and guards, and the index of the transitions
//! leaving each stage.

use crate::definition::Known;
use crate::definition::Transition;
use crate::definition::raw::RawTransition;
use crate::definition::validator::{Validator, checked_roles, list};
use crate::guard::convert_guard;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

pub(super) fn convert_transitions(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: Vec<Spanned<RawTransition>>,
) -> Vec<Transition> {
    // An action may be fired from several stages, but only once from each.
    let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
    raw.into_iter()
        .map(|transition| {
            convert_transition(validator, known, transition.into_inner(), &mut seen_pairs)
        })
        .collect()
}

fn convert_transition(
    validator: &mut Validator<'_>,
    known: &Known,
    transition: RawTransition,
    seen_pairs: &mut HashSet<(String, String)>,
) -> Transition {
    let action_span = transition.action.span();
    let action = transition.action.into_inner();
    validator.check_code("action", &action, action_span);
    let from = checked_from(validator, known, &action, transition.from, seen_pairs);
    let to_span = transition.to.span();
    let to = transition.to.into_inner();
    if !known.stages.contains(&to) {
        validator.error(
            to_span,
            format!(
                "action '{action}': unknown stage '{to}' in 'to'; stages are: {}",
                list(&known.stages)
            ),
        );
    }
    let roles_span = transition.roles.span();
    let roles = checked_roles(
        validator,
        &known.roles,
        transition.roles.get_ref(),
        |role| format!("action '{action}': unknown role '{role}'"),
    );
    if roles.is_empty() {
        validator.error(
            roles_span,
            format!("action '{action}' can be fired by no role: list at least one in 'roles'"),
        );
    }
    let mut guard_ids = HashSet::new();
    let guards = transition
        .guards
        .iter()
        .filter_map(|guard| convert_guard(validator, known, &action, guard, &mut guard_ids))
        .collect();
    Transition {
        action,
        name: transition.name,
        from,
        to,
        roles,
        guards,
        requires_reason: transition.requires_reason || transition.cancels,
        cancels: transition.cancels,
    }
}

/// The stages an action is fired from: at least one, each known, none twice for one action.
fn checked_from(
    validator: &mut Validator<'_>,
    known: &Known,
    action: &str,
    raw: Spanned<Vec<Spanned<String>>>,
    seen_pairs: &mut HashSet<(String, String)>,
) -> Vec<String> {
    if raw.get_ref().is_empty() {
        validator.error(
            raw.span(),
            format!("action '{action}': 'from' lists no stage"),
        );
    }
    let mut from = Vec::new();
    for stage in raw.into_inner() {
        let span = stage.span();
        let stage = stage.into_inner();
        if !known.stages.contains(&stage) {
            validator.error(
                span.clone(),
                format!(
                    "action '{action}': unknown stage '{stage}' in 'from'; stages are: {}",
                    list(&known.stages)
                ),
            );
        }
        if !seen_pairs.insert((stage.clone(), action.to_string())) {
            validator.error(
                span,
                format!("action '{action}' is defined twice from stage '{stage}'"),
            );
        }
        from.push(stage);
    }
    from
}

/// For each stage, the indices of the transitions that may be fired from it, in file order.
pub(super) fn outgoing_index(transitions: &[Transition]) -> HashMap<String, Vec<usize>> {
    let mut outgoing: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, transition) in transitions.iter().enumerate() {
        for stage in &transition.from {
            outgoing.entry(stage.clone()).or_default().push(index);
        }
    }
    outgoing
}
