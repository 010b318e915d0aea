//! Time and dates: the guard that a stage has lasted long enough (`time_in_stage_at_least`) and
//! the guard that one date comes before another (`date_order`).

use super::GuardReader;
use super::{GuardKind, Situation, local_date, not_computable, plural_days};
use crate::command::FieldValue;
use crate::definition::raw::RawGuard;
use crate::definition::{DateRef, FieldType, GuardRule, WorkflowDefinition};
use crate::duration::DurationSpec;
use crate::rejection::Unmet;
use crate::text::LocalizedText;
use chrono::NaiveDate;
use toml::Spanned;

/// `time_in_stage_at_least`: the project has been in its current stage at least `minimum`.
pub(super) const TIME_IN_STAGE_AT_LEAST: GuardKind = GuardKind {
    code: "time_in_stage_at_least",
    fields: &["minimum"],
    convert: convert_time_in_stage,
};

/// `date_order`: the date `earlier` comes before `later` (or on the same day, by `allow_equal`).
pub(super) const DATE_ORDER: GuardKind = GuardKind {
    code: "date_order",
    fields: &["earlier", "later", "allow_equal"],
    convert: convert_date_order,
};

fn convert_time_in_stage(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let minimum = reader.required("minimum", &raw.minimum)?;
    let minimum = reader.duration(minimum)?;
    Some(GuardRule::TimeInStageAtLeast { minimum })
}

pub(super) fn check_time_in_stage(
    minimum: &DurationSpec,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let state = situation.state;
    let definition = situation.definition;
    let Some(entered_at) = state.stage_entered_at() else {
        return;
    };
    let entered_on = local_date(entered_at, definition.local_utc_offset);
    match minimum.add_to(entered_on, definition.working_calendar()) {
        Ok(earliest) if situation.today >= earliest => {}
        Ok(earliest) => {
            let elapsed = (situation.today - entered_on).num_days().max(0);
            let stage = definition.stage_name(state.stage());
            unmet.push(
                Unmet::new(
                    "time_in_stage_too_short",
                    LocalizedText::new(
                        format!(
                            "{}期为{elapsed}天，少于规定的{}（最早可于{earliest}进入下一阶段）",
                            stage.zh,
                            minimum.describe_zh()
                        ),
                        format!(
                            "The {} lasted {}; at least {} are required (not before {earliest})",
                            stage.en,
                            plural_days(elapsed),
                            minimum.describe_en()
                        ),
                    ),
                )
                .with("elapsed_days", elapsed)
                .with("required", minimum.to_string())
                .with("earliest", earliest.to_string()),
            );
        }
        Err(error) => unmet.push(not_computable(&error)),
    }
}

pub(super) fn describe_time_in_stage(minimum: &DurationSpec) -> LocalizedText {
    LocalizedText::new(
        format!("本阶段已满{}", minimum.describe_zh()),
        format!("at least {} in this stage", minimum.describe_en()),
    )
}

pub(super) fn label_time_in_stage(minimum: &DurationSpec) -> LocalizedText {
    LocalizedText::new(
        format!("≥{}", minimum.describe_zh()),
        format!("≥{}", minimum.describe_en()),
    )
}

fn convert_date_order(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    // Both dates are read before either is given up on, so that both report their problems.
    let earlier = {
        let value = reader.required("earlier", &raw.earlier)?;
        date_ref(reader, value)
    };
    let later = {
        let value = reader.required("later", &raw.later)?;
        date_ref(reader, value)
    };
    let allow_equal = raw
        .allow_equal
        .as_ref()
        .is_none_or(|value| *value.get_ref());
    Some(GuardRule::DateOrder {
        earlier: earlier?,
        later: later?,
        allow_equal,
    })
}

/// A date as written: `today`, `publication_date`, `effective_date`, `field:<date field>` or
/// `stage_entered:<stage>`.
fn date_ref(reader: &mut GuardReader<'_, '_>, value: &Spanned<String>) -> Option<DateRef> {
    let known = reader.known();
    let text = value.get_ref().as_str();
    let parsed = match text {
        "today" => Some(DateRef::Today),
        "publication_date" => Some(DateRef::PublicationDate),
        "effective_date" => Some(DateRef::EffectiveDate),
        _ => {
            if let Some(field) = text.strip_prefix("field:") {
                match known.fields.get(field) {
                    Some(FieldType::Date) => Some(DateRef::Field(field.to_string())),
                    Some(_) => {
                        reader.error(value.span(), format!("field '{field}' is not of type date"));
                        return None;
                    }
                    None => {
                        reader.error(value.span(), format!("unknown field '{field}'"));
                        return None;
                    }
                }
            } else if let Some(stage) = text.strip_prefix("stage_entered:") {
                if !known.stages.contains(stage) {
                    reader.error(value.span(), format!("unknown stage '{stage}'"));
                    return None;
                }
                Some(DateRef::StageEntered(stage.to_string()))
            } else {
                None
            }
        }
    };
    if parsed.is_none() {
        reader.error(
            value.span(),
            format!(
                "unknown date '{text}'; use today, publication_date, effective_date, field:<date field> or stage_entered:<stage>"
            ),
        );
    }
    parsed
}

pub(super) fn check_date_order(
    earlier: &DateRef,
    later: &DateRef,
    allow_equal: bool,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let definition = situation.definition;
    let earlier_name = date_name(earlier, definition);
    let later_name = date_name(later, definition);
    let (Some(first), Some(second)) = (
        resolve_date(earlier, situation),
        resolve_date(later, situation),
    ) else {
        let missing = if resolve_date(earlier, situation).is_none() {
            &earlier_name
        } else {
            &later_name
        };
        unmet.push(Unmet::new(
            "date_missing",
            LocalizedText::new(
                format!("尚无{}", missing.zh),
                format!("{} is not known yet", missing.en),
            ),
        ));
        return;
    };
    let in_order = if allow_equal {
        first <= second
    } else {
        first < second
    };
    if in_order {
        return;
    }
    let (zh, en) = order_words(allow_equal);
    unmet.push(
        Unmet::new(
            "dates_out_of_order",
            LocalizedText::new(
                format!(
                    "{}（{first}）须{zh}{}（{second}）",
                    earlier_name.zh, later_name.zh
                ),
                format!(
                    "{} ({first}) must be {en} {} ({second})",
                    earlier_name.en, later_name.en
                ),
            ),
        )
        .with("earlier", first.to_string())
        .with("later", second.to_string()),
    );
}

pub(super) fn describe_date_order(
    earlier: &DateRef,
    later: &DateRef,
    allow_equal: bool,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let earlier = date_name(earlier, definition);
    let later = date_name(later, definition);
    let (zh, en) = order_words(allow_equal);
    LocalizedText::new(
        format!("{}{zh}{}", earlier.zh, later.zh),
        format!("{} {en} {}", earlier.en, later.en),
    )
}

pub(super) fn label_date_order() -> LocalizedText {
    LocalizedText::new("日期先后", "date order")
}

/// "Before", or "on or before" when the two dates may fall on the same day.
fn order_words(allow_equal: bool) -> (&'static str, &'static str) {
    if allow_equal {
        ("不晚于", "on or before")
    } else {
        ("早于", "before")
    }
}

fn date_name(date: &DateRef, definition: &WorkflowDefinition) -> LocalizedText {
    match date {
        DateRef::Today => LocalizedText::new("当日", "today"),
        DateRef::PublicationDate => LocalizedText::new("发布日期", "the publication date"),
        DateRef::EffectiveDate => LocalizedText::new("实施日期", "the effective date"),
        DateRef::Field(field) => definition.field_name(field),
        DateRef::StageEntered(stage) => {
            let stage = definition.stage_name(stage);
            LocalizedText::new(
                format!("进入{}的日期", stage.zh),
                format!("the day {} began", stage.en),
            )
        }
    }
}

fn resolve_date(date: &DateRef, situation: &Situation<'_>) -> Option<NaiveDate> {
    let state = situation.state;
    match date {
        DateRef::Today => Some(situation.today),
        DateRef::PublicationDate => state
            .publication
            .as_ref()
            .map(|publication| publication.publication_date),
        DateRef::EffectiveDate => state
            .publication
            .as_ref()
            .map(|publication| publication.effective_date),
        DateRef::Field(field) => match state.fields.get(field).map(|entry| &entry.value) {
            Some(FieldValue::Date(date)) => Some(*date),
            _ => None,
        },
        DateRef::StageEntered(stage) => state
            .last_entered(stage)
            .map(|instant| local_date(instant, situation.definition.local_utc_offset)),
    }
}
