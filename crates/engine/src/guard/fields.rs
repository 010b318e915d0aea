//! Recorded fields: the guard that a field of the project has been recorded (`field_recorded`).

use super::GuardReader;
use super::{GuardKind, Situation};
use crate::definition::raw::RawGuard;
use crate::definition::validator::list;
use crate::definition::{GuardRule, WorkflowDefinition};
use crate::rejection::Unmet;
use crate::text::LocalizedText;
use std::collections::HashSet;

/// `field_recorded`: the project has recorded `field`.
pub(super) const FIELD_RECORDED: GuardKind = GuardKind {
    code: "field_recorded",
    fields: &["field"],
    convert: convert_field_recorded,
};

fn convert_field_recorded(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let field = reader.required("field", &raw.field)?;
    let known = reader.known();
    if !known.fields.contains_key(field.get_ref()) {
        let fields: HashSet<String> = known.fields.keys().cloned().collect();
        reader.error(
            field.span(),
            format!(
                "unknown field '{}'; fields are: {}",
                field.get_ref(),
                list(&fields)
            ),
        );
    }
    Some(GuardRule::FieldRecorded {
        field: field.get_ref().clone(),
    })
}

pub(super) fn check_field_recorded(field: &str, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    if situation.state.fields.contains_key(field) {
        return;
    }
    let name = situation.definition.field_name(field);
    unmet.push(
        Unmet::new(
            "field_missing",
            LocalizedText::new(
                format!("尚未记录{}", name.zh),
                format!("{} has not been recorded", name.en),
            ),
        )
        .with("field", field),
    );
}

pub(super) fn describe_field_recorded(
    field: &str,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let field = definition.field_name(field);
    LocalizedText::new(
        format!("已记录{}", field.zh),
        format!("recorded: {}", field.en),
    )
}

pub(super) fn label_field_recorded(field: &str, definition: &WorkflowDefinition) -> LocalizedText {
    let field = definition.field_name(field);
    LocalizedText::new(
        format!("已记录{}", field.zh),
        format!("{} recorded", field.en),
    )
}
