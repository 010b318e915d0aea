//! Comments and consultation: the guards that enough organisations were consulted or comments
//! recorded (`count_at_least`) and that every comment has a disposition (`comments_all_disposed`).

use super::GuardReader;
use super::{GuardKind, Situation};
use crate::definition::raw::RawGuard;
use crate::definition::{Counter, GuardRule};
use crate::rejection::Unmet;
use crate::text::LocalizedText;

/// `count_at_least`: a `counter` (organisations consulted, comments recorded) reached `minimum`.
pub(super) const COUNT_AT_LEAST: GuardKind = GuardKind {
    code: "count_at_least",
    fields: &["counter", "minimum"],
    convert: convert_count_at_least,
};

/// `comments_all_disposed`: every comment recorded has a disposition.
pub(super) const COMMENTS_ALL_DISPOSED: GuardKind = GuardKind {
    code: "comments_all_disposed",
    fields: &[],
    convert: |_, _| Some(GuardRule::CommentsAllDisposed),
};

fn convert_count_at_least(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let counter = reader.required("counter", &raw.counter)?;
    let counter_value = match counter.get_ref().as_str() {
        "organisations_consulted" => Counter::OrganisationsConsulted,
        "comments_recorded" => Counter::CommentsRecorded,
        other => {
            reader.error(
                counter.span(),
                format!("unknown counter '{other}'; counters are: organisations_consulted, comments_recorded"),
            );
            return None;
        }
    };
    let minimum = reader.required("minimum", &raw.minimum)?;
    let minimum_value = match minimum.get_ref().as_integer().map(u32::try_from) {
        Some(Ok(value)) if value >= 1 => value,
        _ => {
            reader.error(minimum.span(), "minimum must be a whole number from 1 up");
            return None;
        }
    };
    Some(GuardRule::CountAtLeast {
        counter: counter_value,
        minimum: minimum_value,
    })
}

pub(super) fn check_count_at_least(
    counter: Counter,
    minimum: u32,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let state = situation.state;
    let count = match counter {
        Counter::OrganisationsConsulted => state.organisations_consulted.len(),
        Counter::CommentsRecorded => state.comments.len(),
    } as u64;
    if count >= u64::from(minimum) {
        return;
    }
    let message = match counter {
        Counter::OrganisationsConsulted => LocalizedText::new(
            format!("征求意见单位{count}家，少于规定的{minimum}家"),
            format!("{count} organisations were consulted; at least {minimum} are required"),
        ),
        Counter::CommentsRecorded => LocalizedText::new(
            format!("已记录意见{count}条，少于规定的{minimum}条"),
            format!("{count} comments are recorded; at least {minimum} are required"),
        ),
    };
    unmet.push(
        Unmet::new("count_too_low", message)
            .with("counter", counter_code(counter))
            .with("count", count)
            .with("minimum", minimum),
    );
}

pub(super) fn describe_count_at_least(counter: Counter, minimum: u32) -> LocalizedText {
    match counter {
        Counter::OrganisationsConsulted => LocalizedText::new(
            format!("征求意见单位不少于{minimum}家"),
            format!("at least {minimum} organisations consulted"),
        ),
        Counter::CommentsRecorded => LocalizedText::new(
            format!("已记录意见不少于{minimum}条"),
            format!("at least {minimum} comments recorded"),
        ),
    }
}

pub(super) fn label_count_at_least(counter: Counter, minimum: u32) -> LocalizedText {
    match counter {
        Counter::OrganisationsConsulted => LocalizedText::new(
            format!("≥{minimum}家单位"),
            format!("≥{minimum} organisations"),
        ),
        Counter::CommentsRecorded => {
            LocalizedText::new(format!("≥{minimum}条意见"), format!("≥{minimum} comments"))
        }
    }
}

pub(super) fn check_comments_all_disposed(situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    let open: Vec<&str> = situation
        .state
        .comments
        .iter()
        .filter(|entry| entry.disposition.is_none())
        .map(|entry| entry.comment_id)
        .collect();
    if open.is_empty() {
        return;
    }
    unmet.push(
        Unmet::new(
            "comments_without_disposition",
            LocalizedText::new(
                format!("{}条意见尚未处理：{}", open.len(), open.join("、")),
                format!(
                    "{} comment(s) have no disposition yet: {}",
                    open.len(),
                    open.join(", ")
                ),
            ),
        )
        .with("comments", open),
    );
}

pub(super) fn describe_comments_all_disposed() -> LocalizedText {
    LocalizedText::new("每条意见均已处理", "every comment has a disposition")
}

pub(super) fn label_comments_all_disposed() -> LocalizedText {
    LocalizedText::new("意见均已处理", "all comments disposed")
}

/// A counter's code as definitions write it, for the figures of a refusal (the pages link a low
/// count to the form that raises it).
fn counter_code(counter: Counter) -> &'static str {
    match counter {
        Counter::OrganisationsConsulted => "organisations_consulted",
        Counter::CommentsRecorded => "comments_recorded",
    }
}
