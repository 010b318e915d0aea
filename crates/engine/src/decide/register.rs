//! The project's particulars: sign-offs, recorded fields, the publication, and the plan's dates.
//!
//! Each names something the definition declares (a sign-off, a field with its type, a planned
//! deadline), so the checks here are mostly that the name is known and the value fits it.

use super::reasons::{blank, body_unless, check_permission, invalid};
use crate::command::{FieldValue, Publication};
use crate::definition::{CommandKind, FieldType, WorkflowDefinition};
use crate::event::EventBody;
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Decides a sign-off of one of the definition's sign-off subjects.
pub(super) fn decide_sign_off(
    situation: &Situation<'_>,
    subject: &str,
) -> Result<EventBody, Rejection> {
    let definition = situation.definition;
    let mut reasons = Vec::new();
    check_permission(
        definition,
        situation.actor,
        CommandKind::SignOff,
        &mut reasons,
    );
    if !definition.sign_offs.iter().any(|item| item.code == subject) {
        let known: Vec<&str> = definition
            .sign_offs
            .iter()
            .map(|item| item.code.as_str())
            .collect();
        reasons.push(invalid(
            "subject",
            format!("未知的签署事项「{subject}」；可签署：{}", known.join("、")),
            format!(
                "Unknown sign-off '{subject}'; sign-offs are: {}",
                known.join(", ")
            ),
        ));
    }
    body_unless(
        EventBody::SignedOff {
            subject: subject.to_string(),
        },
        reasons,
    )
}

/// Decides recording a value for one of the definition's fields.
pub(super) fn decide_record_field(
    situation: &Situation<'_>,
    field: &str,
    value: &FieldValue,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::RecordField,
        &mut reasons,
    );
    check_field_value(situation.definition, field, value, &mut reasons);
    body_unless(
        EventBody::FieldRecorded {
            field: field.to_string(),
            value: value.clone(),
        },
        reasons,
    )
}

/// The field must be declared, and the value of its type and not blank.
fn check_field_value(
    definition: &WorkflowDefinition,
    field: &str,
    value: &FieldValue,
    reasons: &mut Vec<Unmet>,
) {
    let Some(definition_field) = definition.field(field) else {
        let known: Vec<&str> = definition
            .fields
            .iter()
            .map(|item| item.code.as_str())
            .collect();
        reasons.push(invalid(
            "field",
            format!("未知的事项「{field}」；可记录：{}", known.join("、")),
            format!("Unknown field '{field}'; fields are: {}", known.join(", ")),
        ));
        return;
    };
    let matches = matches!(
        (definition_field.value_type, value),
        (FieldType::Text, FieldValue::Text(_))
            | (FieldType::Date, FieldValue::Date(_))
            | (FieldType::Project, FieldValue::Project(_))
    );
    if !matches {
        reasons.push(invalid(
            "value",
            format!("「{}」的取值类型不符", definition_field.name.zh),
            format!(
                "The value of '{}' has the wrong type",
                definition_field.name.en
            ),
        ));
    }
    if let FieldValue::Text(text) = value
        && blank(text)
    {
        reasons.push(invalid(
            "value",
            "取值为空".to_string(),
            "The value is empty".to_string(),
        ));
    }
}

/// Decides recording the publication: its number and dates.
pub(super) fn decide_record_publication(
    situation: &Situation<'_>,
    publication: &Publication,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::RecordPublication,
        &mut reasons,
    );
    if blank(&publication.specification_number) {
        reasons.push(invalid(
            "specification_number",
            "规范编号为空".to_string(),
            "The specification number is empty".to_string(),
        ));
    }
    if publication.effective_date < publication.publication_date {
        reasons.push(invalid(
            "effective_date",
            format!(
                "实施日期{}早于发布日期{}",
                publication.effective_date, publication.publication_date
            ),
            format!(
                "The effective date {} is before the publication date {}",
                publication.effective_date, publication.publication_date
            ),
        ));
    }
    body_unless(EventBody::PublicationRecorded(publication.clone()), reasons)
}

/// Decides fixing the plan: due dates for the deadlines the definition lets a plan set.
pub(super) fn decide_fix_plan(
    situation: &Situation<'_>,
    due_dates: &BTreeMap<String, NaiveDate>,
) -> Result<EventBody, Rejection> {
    let mut reasons = Vec::new();
    check_permission(
        situation.definition,
        situation.actor,
        CommandKind::FixPlan,
        &mut reasons,
    );
    check_plan(
        situation.definition,
        due_dates,
        situation.today,
        &mut reasons,
    );
    body_unless(
        EventBody::PlanFixed {
            due_dates: due_dates.clone(),
        },
        reasons,
    )
}

fn check_plan(
    definition: &WorkflowDefinition,
    due_dates: &BTreeMap<String, NaiveDate>,
    today: NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    if due_dates.is_empty() {
        reasons.push(invalid(
            "due_dates",
            "计划未给出任何期限".to_string(),
            "The plan sets no date".to_string(),
        ));
    }
    for (deadline, due_on) in due_dates {
        // The limit is checked when the deadline starts (the plan cannot stretch it), since a
        // later stage's clock has not started yet when the plan is fixed.
        let Some(rule) = definition.deadline(deadline).filter(|rule| rule.planned) else {
            let planned: Vec<&str> = definition
                .deadlines
                .iter()
                .filter(|rule| rule.planned)
                .map(|rule| rule.id.as_str())
                .collect();
            reasons.push(invalid(
                "due_dates",
                format!(
                    "计划不能设定期限「{deadline}」；可设定：{}",
                    planned.join("、")
                ),
                format!(
                    "The plan cannot set the deadline '{deadline}'; it can set: {}",
                    planned.join(", ")
                ),
            ));
            continue;
        };
        if *due_on <= today {
            reasons.push(invalid(
                "due_dates",
                format!("「{}」的计划日期{due_on}不在今天之后", rule.name.zh),
                format!(
                    "The planned date {due_on} of the {} is not after today",
                    rule.name.en
                ),
            ));
        }
    }
}
