//! Time limits: the deadlines and their escalation, the limits on extending them, and the
//! periodic re-examination of a specification in force.

use super::plain_duration;
use crate::definition::Known;
use crate::definition::raw::{RawDeadline, RawExtensions, RawReexamination};
use crate::definition::validator::Validator;
use crate::definition::{DeadlineRule, ExtensionRules, ReexaminationRule};
use std::collections::HashSet;
use toml::Spanned;

pub(super) fn convert_deadlines(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: Vec<Spanned<RawDeadline>>,
) -> Vec<DeadlineRule> {
    let mut ids = HashSet::new();
    let mut deadlines = Vec::new();
    for deadline in raw {
        let deadline = deadline.into_inner();
        let id_span = deadline.id.span();
        let id = deadline.id.into_inner();
        validator.check_code("deadline", &id, id_span.clone());
        if !ids.insert(id.clone()) {
            validator.error(id_span, format!("duplicate deadline id '{id}'"));
            continue;
        }
        let context = format!("deadline '{id}'");
        let start = deadline.starts_when_entering;
        if !known.stages.contains(start.get_ref()) {
            validator.error(
                start.span(),
                format!(
                    "{context}: unknown stage '{}' in starts_when_entering",
                    start.get_ref()
                ),
            );
        }
        let mut met_when_entering = Vec::new();
        for stage in deadline.met_when_entering.into_iter().flatten() {
            if !known.stages.contains(stage.get_ref()) {
                validator.error(
                    stage.span(),
                    format!(
                        "{context}: unknown stage '{}' in met_when_entering",
                        stage.get_ref()
                    ),
                );
            }
            met_when_entering.push(stage.into_inner());
        }
        let limit = plain_duration(validator, &context, &deadline.limit);
        let warning_before = deadline
            .warning_before
            .as_ref()
            .and_then(|value| plain_duration(validator, &context, value));
        let escalate_after = deadline
            .escalate_after
            .as_ref()
            .and_then(|value| plain_duration(validator, &context, value));
        if deadline.freeze_on_escalation && deadline.escalate_after.is_none() {
            validator.error(
                id_span,
                format!("{context}: freeze_on_escalation needs escalate_after, the grace before escalation"),
            );
        }
        let Some(limit) = limit else { continue };
        deadlines.push(DeadlineRule {
            id,
            name: deadline.name,
            starts_when_entering: start.into_inner(),
            met_when_entering,
            limit,
            planned: deadline.planned,
            warning_before,
            escalate_after,
            freeze_on_escalation: deadline.freeze_on_escalation,
        });
    }
    deadlines
}

pub(super) fn convert_extensions(
    validator: &mut Validator<'_>,
    raw: RawExtensions,
) -> ExtensionRules {
    let context = "[extensions]";
    let max_count = raw
        .max_count
        .and_then(|count| match u32::try_from(*count.get_ref()) {
            Ok(value) => Some(value),
            Err(_) => {
                validator.error(
                    count.span(),
                    format!("{context}: max_count must be a whole number from 0 up"),
                );
                None
            }
        });
    ExtensionRules {
        max_count,
        max_total: raw
            .max_total
            .as_ref()
            .and_then(|value| plain_duration(validator, context, value)),
        request_at_least_before: raw
            .request_at_least_before
            .as_ref()
            .and_then(|value| plain_duration(validator, context, value)),
    }
}

pub(super) fn convert_reexamination(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: RawReexamination,
) -> Option<ReexaminationRule> {
    let context = "[reexamination]";
    if !known.stages.contains(raw.stage.get_ref()) {
        validator.error(
            raw.stage.span(),
            format!("{context}: unknown stage '{}'", raw.stage.get_ref()),
        );
    }
    for action in [Some(&raw.open_action), raw.restart_on_action.as_ref()]
        .into_iter()
        .flatten()
    {
        if !known.actions.contains(action.get_ref()) {
            validator.error(
                action.span(),
                format!("{context}: unknown action '{}'", action.get_ref()),
            );
        }
    }
    let interval = plain_duration(validator, context, &raw.interval)?;
    let warning_before = raw
        .warning_before
        .as_ref()
        .and_then(|value| plain_duration(validator, context, value));
    Some(ReexaminationRule {
        stage: raw.stage.into_inner(),
        interval,
        open_action: raw.open_action.into_inner(),
        restart_on_action: raw.restart_on_action.map(Spanned::into_inner),
        warning_before,
    })
}
