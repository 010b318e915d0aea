//! Guard evaluation: does a rule hold for this project, now, for this actor? If not, why not.
//!
//! Every guard reports all of what is missing (every missing artifact, every threshold a vote
//! fell short of), with figures and a sentence in both languages. Guards that are met allocate
//! nothing, so checking a stage's actions stays cheap.
//!
//! Each family of guards lives in a module of its own, which holds everything about its kinds:
//! how a definition's `[[transitions.guards]]` entry becomes the rule (`convert_…`, with the
//! kind's code and the fields it takes in a [`GuardKind`]), how the rule is checked
//! (`check_…`), and how it reads in words, long (`describe_…`) and short (`label_…`).
//! This module only dispatches on [`GuardRule`] to them, and lists the kinds in [`KINDS`];
//! `reader.rs` converts a guard entry as a whole (its id, the kinds it applies to, who may waive
//! it) and hands the kind's own fields to the kind through a [`GuardReader`].

mod artifacts;
mod combinators;
mod consultation;
mod fields;
mod meetings;
mod reader;
mod sign_offs;
mod time;

pub(crate) use reader::{GuardReader, convert_guard};

use crate::command::Actor;
use crate::definition::raw::RawGuard;
use crate::definition::{Guard, GuardRule, WorkflowDefinition};
use crate::rejection::Unmet;
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::NaiveDate;

pub use crate::local_day::local_date;

/// Everything a guard may look at.
pub(crate) struct Situation<'a> {
    pub state: &'a ProjectState,
    pub definition: &'a WorkflowDefinition,
    pub actor: &'a Actor,
    pub today: NaiveDate,
}

/// A guard kind as a definition writes it: its code, the fields of a guard entry it takes (any
/// other field given is refused), and how an entry becomes a [`GuardRule`].
pub(crate) struct GuardKind {
    /// The code written as `guard = "…"`.
    pub code: &'static str,
    /// The fields of the entry this kind reads, besides those every guard has.
    pub fields: &'static [&'static str],
    /// Reads the entry's fields into the rule, reporting every problem; `None` when the rule
    /// cannot be built.
    pub convert: fn(&mut GuardReader<'_, '_>, &RawGuard) -> Option<GuardRule>,
}

/// Every guard kind, in the order the "unknown guard kind" message lists them.
pub(crate) const KINDS: &[GuardKind] = &[
    artifacts::ARTIFACTS_PRESENT,
    time::TIME_IN_STAGE_AT_LEAST,
    meetings::NOTICE_BEFORE_MEETING,
    consultation::COUNT_AT_LEAST,
    consultation::COMMENTS_ALL_DISPOSED,
    meetings::VOTE_HELD,
    meetings::VOTE_PASSES,
    sign_offs::SIGNED_OFF,
    sign_offs::DIFFERENT_ACTOR,
    fields::FIELD_RECORDED,
    time::DATE_ORDER,
    combinators::ALL,
    combinators::ANY,
    combinators::NOT,
];

/// The guard kind written as `code`.
pub(crate) fn kind(code: &str) -> Option<&'static GuardKind> {
    KINDS.iter().find(|kind| kind.code == code)
}

/// The guard kinds a definition may use, for the "unknown guard kind" message: the codes of the
/// kinds `KINDS` lists.
pub const GUARD_KINDS: [&str; KINDS.len()] = {
    let mut codes = [""; KINDS.len()];
    let mut index = 0;
    while index < codes.len() {
        codes[index] = KINDS[index].code;
        index += 1;
    }
    codes
};

/// Whether the guard applies to the project: to every project when it names neither kinds nor
/// flags, else to a project of a kind it names or carrying a flag it names.
pub(crate) fn applies(guard: &Guard, state: &ProjectState) -> bool {
    (guard.applies_to.is_empty() && guard.applies_to_flagged.is_empty())
        || guard
            .applies_to
            .iter()
            .any(|kind| kind == state.specification_kind())
        || guard
            .applies_to_flagged
            .iter()
            .any(|flag| state.has_flag(flag))
}

/// Checks a guard and pushes every reason it is not met onto `unmet`.
pub(crate) fn check(guard: &Guard, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    if !applies(guard, situation.state) {
        return;
    }
    let before = unmet.len();
    check_rule(&guard.rule, situation, unmet);
    for reason in unmet.iter_mut().skip(before) {
        if reason.guard.is_none() {
            reason.guard = Some(guard.id.clone());
        }
    }
}

fn check_rule(rule: &GuardRule, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    match rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            artifacts::check_artifacts_present(artifact_kinds, situation, unmet);
        }
        GuardRule::TimeInStageAtLeast { minimum } => {
            time::check_time_in_stage(minimum, situation, unmet);
        }
        GuardRule::NoticeBeforeMeeting { motion, minimum } => {
            meetings::check_notice_before_meeting(motion, minimum, situation, unmet);
        }
        GuardRule::CountAtLeast { counter, minimum } => {
            consultation::check_count_at_least(*counter, *minimum, situation, unmet);
        }
        GuardRule::CommentsAllDisposed => {
            consultation::check_comments_all_disposed(situation, unmet);
        }
        GuardRule::VoteHeld { motion, form } => {
            meetings::check_vote_held(motion, *form, situation, unmet);
        }
        GuardRule::VotePasses {
            motion,
            quorum,
            in_favour,
            against,
        } => {
            let thresholds = [quorum, in_favour, against];
            meetings::check_vote_passes(motion, thresholds, situation, unmet);
        }
        GuardRule::SignedOff { subject, by_role } => {
            sign_offs::check_signed_off(subject, by_role, situation, unmet);
        }
        GuardRule::DifferentActor { than_action } => {
            sign_offs::check_different_actor(than_action, situation, unmet);
        }
        GuardRule::FieldRecorded { field } => fields::check_field_recorded(field, situation, unmet),
        GuardRule::DateOrder {
            earlier,
            later,
            allow_equal,
        } => time::check_date_order(earlier, later, *allow_equal, situation, unmet),
        GuardRule::All(guards) => combinators::check_all(guards, situation, unmet),
        GuardRule::Any(guards) => combinators::check_any(guards, situation, unmet),
        GuardRule::Not(inner) => combinators::check_not(inner, situation, unmet),
    }
}

/// The guard in words, as `specflow workflow show` and diagrams print it.
pub fn describe(guard: &Guard, definition: &WorkflowDefinition) -> LocalizedText {
    if let Some(description) = &guard.description {
        return description.clone();
    }
    let text = describe_rule(&guard.rule, definition);
    let note = applies_note(guard, definition);
    LocalizedText::new(
        format!("{}{}", text.zh, note.zh),
        format!("{}{}", text.en, note.en),
    )
}

fn describe_rule(rule: &GuardRule, definition: &WorkflowDefinition) -> LocalizedText {
    match rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            artifacts::describe_artifacts_present(artifact_kinds, definition)
        }
        GuardRule::TimeInStageAtLeast { minimum } => time::describe_time_in_stage(minimum),
        GuardRule::NoticeBeforeMeeting { motion, minimum } => {
            meetings::describe_notice_before_meeting(motion, minimum, definition)
        }
        GuardRule::CountAtLeast { counter, minimum } => {
            consultation::describe_count_at_least(*counter, *minimum)
        }
        GuardRule::CommentsAllDisposed => consultation::describe_comments_all_disposed(),
        GuardRule::VoteHeld { motion, form } => {
            meetings::describe_vote_held(motion, *form, definition)
        }
        GuardRule::VotePasses {
            motion,
            quorum,
            in_favour,
            against,
        } => meetings::describe_vote_passes(motion, [quorum, in_favour, against], definition),
        GuardRule::SignedOff { subject, by_role } => {
            sign_offs::describe_signed_off(subject, by_role, definition)
        }
        GuardRule::DifferentActor { than_action } => {
            sign_offs::describe_different_actor(than_action, definition)
        }
        GuardRule::FieldRecorded { field } => fields::describe_field_recorded(field, definition),
        GuardRule::DateOrder {
            earlier,
            later,
            allow_equal,
        } => time::describe_date_order(earlier, later, *allow_equal, definition),
        GuardRule::All(guards) => combinators::describe_all(guards, definition),
        GuardRule::Any(guards) => combinators::describe_any(guards, definition),
        GuardRule::Not(inner) => combinators::describe_not(inner, definition),
    }
}

/// Works out every guard's description once, after loading (nested guards too), so that
/// [`describe`] finds it ready.
pub(crate) fn describe_guards(definition: &mut WorkflowDefinition) {
    fn walk(guard: &mut Guard, definition: &WorkflowDefinition) {
        match &mut guard.rule {
            GuardRule::All(inner) | GuardRule::Any(inner) => {
                for inner in inner {
                    walk(inner, definition);
                }
            }
            GuardRule::Not(inner) => walk(inner, definition),
            _ => {}
        }
        guard.description = Some(describe(guard, definition));
    }
    let mut transitions = std::mem::take(&mut definition.transitions);
    for transition in &mut transitions {
        for guard in &mut transition.guards {
            walk(guard, definition);
        }
    }
    definition.transitions = transitions;
}

/// A guard rule in a few words, for the edge labels of diagrams: `≥30 days`, `vote ≥2/3`.
pub fn short_label(rule: &GuardRule, definition: &WorkflowDefinition) -> LocalizedText {
    match rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            artifacts::label_artifacts_present(artifact_kinds, definition)
        }
        GuardRule::TimeInStageAtLeast { minimum } => time::label_time_in_stage(minimum),
        GuardRule::NoticeBeforeMeeting { minimum, .. } => {
            meetings::label_notice_before_meeting(minimum)
        }
        GuardRule::CountAtLeast { counter, minimum } => {
            consultation::label_count_at_least(*counter, *minimum)
        }
        GuardRule::CommentsAllDisposed => consultation::label_comments_all_disposed(),
        GuardRule::VoteHeld { motion, .. } => meetings::label_vote_held(motion, definition),
        GuardRule::VotePasses {
            quorum,
            in_favour,
            against,
            ..
        } => meetings::label_vote_passes([quorum, in_favour, against]),
        GuardRule::SignedOff { by_role, .. } => sign_offs::label_signed_off(by_role, definition),
        GuardRule::DifferentActor { .. } => sign_offs::label_different_actor(),
        GuardRule::FieldRecorded { field } => fields::label_field_recorded(field, definition),
        GuardRule::DateOrder { .. } => time::label_date_order(),
        GuardRule::All(guards) => combinators::label_all(guards),
        GuardRule::Any(guards) => combinators::label_any(guards),
        GuardRule::Not(inner) => combinators::label_not(inner, definition),
    }
}

fn applies_note(guard: &Guard, definition: &WorkflowDefinition) -> LocalizedText {
    if guard.applies_to.is_empty() && guard.applies_to_flagged.is_empty() {
        return LocalizedText::default();
    }
    let kinds = join_names(
        guard
            .applies_to
            .iter()
            .map(|kind| definition.specification_kind_name(kind)),
    );
    let flags = join_names(
        guard
            .applies_to_flagged
            .iter()
            .map(|flag| definition.project_flag_name(flag)),
    );
    let (zh, en) = match (kinds.zh.is_empty(), flags.zh.is_empty()) {
        (false, true) => (kinds.zh, kinds.en),
        (true, false) => (
            format!("标记为{}的项目", flags.zh),
            format!("projects marked {}", flags.en),
        ),
        _ => (
            format!("{}，以及标记为{}的项目", kinds.zh, flags.zh),
            format!("{}, and projects marked {}", kinds.en, flags.en),
        ),
    };
    LocalizedText::new(format!("（仅适用于{zh}）"), format!(" (only for: {en})"))
}

/// Names joined into one list in each language: `甲、乙` and `A, B`.
fn join_names(names: impl Iterator<Item = LocalizedText>) -> LocalizedText {
    let names: Vec<LocalizedText> = names.collect();
    LocalizedText::new(
        names
            .iter()
            .map(|name| name.zh.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        names
            .iter()
            .map(|name| name.en.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// A number of days in English: `1 day`, `3 days`.
fn plural_days(days: i64) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
}

/// The reason given when a date a guard needs cannot be counted on the working-day calendar.
fn not_computable(error: &crate::calendar::CalendarError) -> Unmet {
    Unmet::new(
        "deadline_not_computable",
        LocalizedText::new(
            format!("无法计算日期：{}", error.message().zh),
            format!("The date cannot be computed: {error}"),
        ),
    )
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::KINDS;
    use crate::definition::raw::RawGuard;

    #[test]
    fn every_field_a_guard_kind_takes_is_a_field_of_the_raw_guard() {
        // `given_fields` names every field whether it is written or not: a bare entry will do.
        let raw: RawGuard = toml::from_str("guard = \"all\"").expect("a guard entry");
        let names: Vec<&str> = raw.given_fields().iter().map(|(name, _)| *name).collect();
        for kind in KINDS {
            for field in kind.fields {
                assert!(
                    names.contains(field),
                    "guard kind '{}' takes '{field}', which no guard entry can hold",
                    kind.code
                );
            }
        }
    }

    #[test]
    fn each_guard_kind_code_is_listed_once() {
        for (index, kind) in KINDS.iter().enumerate() {
            assert!(
                KINDS[..index].iter().all(|other| other.code != kind.code),
                "guard kind '{}' is listed twice",
                kind.code
            );
        }
    }
}
