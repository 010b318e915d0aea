//! The `[[notifications]]` rules: which event types, entering which stages, which roles hear of.

use crate::definition::Known;
use crate::definition::NotificationRule;
use crate::definition::raw::RawNotification;
use crate::definition::validator::{Validator, checked_roles, list};

pub(super) fn convert_notification(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: RawNotification,
) -> NotificationRule {
    let on_span = raw.on.span();
    let mut on = Vec::new();
    for event_type in raw.on.into_inner() {
        let span = event_type.span();
        let event_type = event_type.into_inner();
        if !crate::event::EVENT_TYPES.contains(&event_type.as_str()) {
            validator.error(
                span,
                format!(
                    "[[notifications]]: unknown event type '{event_type}'; event types are: {}",
                    crate::event::EVENT_TYPES.join(", ")
                ),
            );
        }
        on.push(event_type);
    }
    if on.is_empty() {
        validator.error(
            on_span.clone(),
            "[[notifications]]: `on` names no event type".to_string(),
        );
    }
    let mut entering = Vec::new();
    for stage in raw.entering.unwrap_or_default() {
        let span = stage.span();
        let stage = stage.into_inner();
        if !known.stages.contains(&stage) {
            validator.error(
                span,
                format!(
                    "[[notifications]]: unknown stage '{stage}' in `entering`; stages are: {}",
                    list(&known.stages)
                ),
            );
        }
        entering.push(stage);
    }
    if !entering.is_empty() && on.iter().any(|event_type| event_type != "action_fired") {
        validator.error(
            on_span,
            "[[notifications]]: `entering` applies only to `action_fired`; put other event types in a rule of their own".to_string(),
        );
    }
    let audiences_span = raw.audiences.span();
    let audiences = checked_roles(validator, &known.roles, raw.audiences.get_ref(), |role| {
        format!("[[notifications]]: unknown role '{role}' in `audiences`")
    });
    if audiences.is_empty() {
        validator.error(
            audiences_span,
            "[[notifications]]: `audiences` names no role".to_string(),
        );
    }
    NotificationRule {
        on,
        entering,
        audiences,
    }
}
