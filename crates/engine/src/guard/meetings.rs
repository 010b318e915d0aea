//! Meetings and votes: the guards that a meeting's documents went out early enough
//! (`notice_before_meeting`), that a motion was voted on (`vote_held`) and that the vote passed
//! its thresholds (`vote_passes`).

use super::GuardReader;
use super::{GuardKind, Situation, not_computable, plural_days};
use crate::definition::raw::{RawGuard, RawThreshold};
use crate::definition::{
    Comparison, DraftingUnitMembers, GuardRule, MeetingForm, RecusedMembers, Threshold, VoteBase,
    WorkflowDefinition,
};
use crate::duration::DurationSpec;
use crate::fraction::Fraction;
use crate::rejection::Unmet;
use crate::state::{ProjectState, ScheduledMeeting};
use crate::text::LocalizedText;
use std::cell::LazyCell;
use toml::Spanned;

/// `notice_before_meeting`: a meeting on `motion` is scheduled and its documents went out at
/// least `minimum` before it.
pub(super) const NOTICE_BEFORE_MEETING: GuardKind = GuardKind {
    code: "notice_before_meeting",
    fields: &["motion", "minimum"],
    convert: convert_notice_before_meeting,
};

/// `vote_held`: a meeting on `motion` was recorded in the current stage, of one `form` if given.
pub(super) const VOTE_HELD: GuardKind = GuardKind {
    code: "vote_held",
    fields: &["motion", "form"],
    convert: convert_vote_held,
};

/// `vote_passes`: the latest meeting on `motion` in the current stage met its thresholds.
pub(super) const VOTE_PASSES: GuardKind = GuardKind {
    code: "vote_passes",
    fields: &["motion", "quorum", "in_favour", "against"],
    convert: convert_vote_passes,
};

/// The three thresholds of `vote_passes`, in the order they are checked and described:
/// quorum, in favour, against.
type Thresholds<'a> = [&'a Option<Threshold>; 3];

/// The motion a guard names, checked against the definition's motions.
fn motion(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<String> {
    let value = reader.required("motion", &raw.motion)?;
    let motions = &reader.known().motions;
    Some(reader.reference("motion", motions, value))
}

fn convert_notice_before_meeting(
    reader: &mut GuardReader<'_, '_>,
    raw: &RawGuard,
) -> Option<GuardRule> {
    let motion = motion(reader, raw)?;
    let minimum = reader.required("minimum", &raw.minimum)?;
    let minimum = reader.duration(minimum)?;
    Some(GuardRule::NoticeBeforeMeeting { motion, minimum })
}

pub(super) fn check_notice_before_meeting(
    motion: &str,
    minimum: &DurationSpec,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let definition = situation.definition;
    // Names are for messages: built only if the guard fails.
    let motion_name = LazyCell::new(|| definition.motion_name(motion));
    let Some(meeting) = current_schedule(situation.state, motion) else {
        unmet.push(
            Unmet::new(
                "meeting_not_scheduled",
                LocalizedText::new(
                    format!("尚未安排{}会议", motion_name.zh),
                    format!("No {} meeting has been scheduled", motion_name.en),
                ),
            )
            .with("motion", motion),
        );
        return;
    };
    let sent = meeting.schedule.documents_sent_on;
    let held = meeting.schedule.meeting_on;
    match minimum.add_to(sent, definition.working_calendar()) {
        Ok(earliest) if held >= earliest => {}
        Ok(earliest) => {
            let notice = (held - sent).num_days();
            unmet.push(
                Unmet::new(
                    "notice_too_short",
                    LocalizedText::new(
                        format!(
                            "{}会议文件于{sent}送达，距会议（{held}）仅{notice}天，须至少提前{}（会议不早于{earliest}）",
                            motion_name.zh,
                            minimum.describe_zh()
                        ),
                        format!(
                            "The {} documents went out on {sent}, {} before the meeting on {held}; at least {} are required (meeting not before {earliest})",
                            motion_name.en,
                            plural_days(notice),
                            minimum.describe_en()
                        ),
                    ),
                )
                .with("notice_days", notice)
                .with("required", minimum.to_string())
                .with("documents_sent_on", sent.to_string())
                .with("meeting_on", held.to_string()),
            );
        }
        Err(error) => unmet.push(not_computable(&error)),
    }
}

/// The latest meeting scheduled on `motion` that has not been spent.
///
/// A schedule is spent once a meeting on its motion has been held after it, in an earlier stage
/// visit: after a failed review sends the project back, the first meeting's notice says nothing
/// about the second meeting, which needs its own schedule and its own notice.
fn current_schedule<'s>(state: &'s ProjectState, motion: &str) -> Option<&'s ScheduledMeeting> {
    let visit = state.current_visit();
    state.scheduled_meetings.iter().rev().find(|scheduled| {
        scheduled.schedule.motion == motion
            && !state.meetings.iter().any(|held| {
                held.record.motion == motion && held.visit >= scheduled.visit && held.visit < visit
            })
    })
}

pub(super) fn describe_notice_before_meeting(
    motion: &str,
    minimum: &DurationSpec,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let motion = definition.motion_name(motion);
    LocalizedText::new(
        format!("{}会议文件至少提前{}送达", motion.zh, minimum.describe_zh()),
        format!(
            "{} documents sent at least {} before the meeting",
            motion.en,
            minimum.describe_en()
        ),
    )
}

pub(super) fn label_notice_before_meeting(minimum: &DurationSpec) -> LocalizedText {
    LocalizedText::new(
        format!("提前{}送达", minimum.describe_zh()),
        format!("notice ≥{}", minimum.describe_en()),
    )
}

fn convert_vote_held(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let motion = motion(reader, raw)?;
    let form = match raw.form.as_ref() {
        None => None,
        Some(form) => Some(meeting_form(reader, form)?),
    };
    Some(GuardRule::VoteHeld { motion, form })
}

fn meeting_form(reader: &mut GuardReader<'_, '_>, value: &Spanned<String>) -> Option<MeetingForm> {
    match value.get_ref().as_str() {
        "meeting" => Some(MeetingForm::Meeting),
        "letter" => Some(MeetingForm::Letter),
        other => {
            reader.error(
                value.span(),
                format!("unknown meeting form '{other}'; use meeting or letter"),
            );
            None
        }
    }
}

pub(super) fn check_vote_held(
    motion: &str,
    form: Option<MeetingForm>,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    // Names are for messages: built only if the guard fails.
    let motion_name = LazyCell::new(|| situation.definition.motion_name(motion));
    let Some(meeting) = situation.state.latest_meeting_in_current_visit(motion) else {
        unmet.push(vote_not_held(motion, &motion_name));
        return;
    };
    let Some(form) = form else { return };
    if meeting.record.form == form {
        return;
    }
    let (message, required_form) = match form {
        MeetingForm::Meeting => (
            LocalizedText::new(
                format!("{}须以会议形式表决，不得函审", motion_name.zh),
                format!(
                    "The {} must be voted at a meeting, not by letter",
                    motion_name.en
                ),
            ),
            "meeting",
        ),
        MeetingForm::Letter => (
            LocalizedText::new(
                format!("{}须以函审形式表决，不得以会议表决", motion_name.zh),
                format!(
                    "The {} must be voted by letter, not at a meeting",
                    motion_name.en
                ),
            ),
            "letter",
        ),
    };
    unmet.push(Unmet::new("wrong_meeting_form", message).with("required_form", required_form));
}

fn vote_not_held(motion: &str, motion_name: &LocalizedText) -> Unmet {
    Unmet::new(
        "vote_not_held",
        LocalizedText::new(
            format!("本阶段尚未就{}进行表决", motion_name.zh),
            format!(
                "No vote on {} has been recorded in this stage",
                motion_name.en
            ),
        ),
    )
    .with("motion", motion)
}

pub(super) fn describe_vote_held(
    motion: &str,
    form: Option<MeetingForm>,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let motion = definition.motion_name(motion);
    let (form_zh, form_en) = match form {
        Some(MeetingForm::Meeting) => ("（会议审定）", " at a meeting"),
        Some(MeetingForm::Letter) => ("（函审）", " by letter"),
        None => ("", ""),
    };
    LocalizedText::new(
        format!("已就{}进行表决{form_zh}", motion.zh),
        format!("a vote on {} was held{form_en}", motion.en),
    )
}

pub(super) fn label_vote_held(motion: &str, definition: &WorkflowDefinition) -> LocalizedText {
    let motion = definition.motion_name(motion);
    LocalizedText::new(
        format!("已表决{}", motion.zh),
        format!("{} voted", motion.en),
    )
}

fn convert_vote_passes(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let motion = motion(reader, raw)?;
    let quorum = raw
        .quorum
        .as_ref()
        .and_then(|value| threshold(reader, "quorum", value, VoteBase::Roll));
    let in_favour = raw
        .in_favour
        .as_ref()
        .and_then(|value| threshold(reader, "in_favour", value, VoteBase::Present));
    let against = raw
        .against
        .as_ref()
        .and_then(|value| threshold(reader, "against", value, VoteBase::VotesCast));
    // Judged on what was written, not on what was valid: a malformed threshold has
    // its own problem and must not also be reported as missing.
    if raw.quorum.is_none() && raw.in_favour.is_none() && raw.against.is_none() {
        reader.error_at_guard("give at least one of quorum, in_favour, against");
    }
    Some(GuardRule::VotePasses {
        motion,
        quorum,
        in_favour,
        against,
    })
}

/// A threshold as written: exactly one of `at_least`, `more_than`, `at_most` (a fraction), and
/// the base it is of, `default_base` when not given.
fn threshold(
    reader: &mut GuardReader<'_, '_>,
    name: &str,
    raw: &Spanned<RawThreshold>,
    default_base: VoteBase,
) -> Option<Threshold> {
    let span = raw.span();
    let raw = raw.get_ref();
    let given: Vec<(Comparison, &Spanned<String>)> = [
        (Comparison::AtLeast, raw.at_least.as_ref()),
        (Comparison::MoreThan, raw.more_than.as_ref()),
        (Comparison::AtMost, raw.at_most.as_ref()),
    ]
    .into_iter()
    .filter_map(|(comparison, value)| value.map(|value| (comparison, value)))
    .collect();
    let [(comparison, value)] = given.as_slice() else {
        reader.error(
            span,
            format!("{name} needs exactly one of at_least, more_than, at_most"),
        );
        return None;
    };
    let fraction = match value.get_ref().parse::<Fraction>() {
        Ok(fraction) => fraction,
        Err(error) => {
            reader.error(value.span(), format!("{name}: {error}"));
            return None;
        }
    };
    let of = match raw.of.as_ref() {
        None => default_base,
        Some(base) => match base.get_ref().as_str() {
            "roll" => VoteBase::Roll,
            "present" => VoteBase::Present,
            "votes_cast" => VoteBase::VotesCast,
            other => {
                reader.error(
                    base.span(),
                    format!("{name}: unknown base '{other}'; use roll, present or votes_cast"),
                );
                return None;
            }
        },
    };
    Some(Threshold {
        comparison: *comparison,
        fraction,
        of,
    })
}

pub(super) fn check_vote_passes(
    motion: &str,
    thresholds: Thresholds<'_>,
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    // Names are for messages: built only if the guard fails.
    let motion_name = LazyCell::new(|| situation.definition.motion_name(motion));
    let Some(meeting) = situation.state.latest_meeting_in_current_visit(motion) else {
        unmet.push(vote_not_held(motion, &motion_name));
        return;
    };
    // Members who must abstain (回避) are left out of the count when the definition says so;
    // otherwise they count as present, abstaining.
    let leave_out_recused = situation.definition.drafting_unit_members
        == DraftingUnitMembers::Abstain
        && situation.definition.recused_members == RecusedMembers::Excluded;
    let tally = if leave_out_recused {
        meeting.record.tally_without_drafting_unit_members()
    } else {
        meeting.record.tally()
    };
    let recused_left_out = if leave_out_recused {
        meeting.record.drafting_unit_members.len()
    } else {
        0
    };
    let recused_note = if recused_left_out > 0 {
        LocalizedText::new(
            format!("（应回避的起草单位委员{recused_left_out}人不计入）"),
            format!(" ({recused_left_out} drafting-unit members who must abstain are not counted)"),
        )
    } else {
        LocalizedText::default()
    };
    let base_of = |base: VoteBase| match base {
        VoteBase::Roll => tally.roll,
        VoteBase::Present => tally.present,
        VoteBase::VotesCast => tally.votes_cast(),
    };
    let [quorum, in_favour, against] = thresholds;
    let clauses = [
        (quorum, tally.present, "quorum_not_reached", PRESENT),
        (
            in_favour,
            tally.in_favour,
            "approval_not_reached",
            IN_FAVOUR,
        ),
        (against, tally.against, "too_many_against", AGAINST),
    ];
    for (threshold, count, code, what) in clauses {
        let Some(threshold) = threshold else { continue };
        let base = base_of(threshold.of);
        if threshold.is_met(count, base) {
            continue;
        }
        let what = LocalizedText::new(what.0, what.1);
        let base_words = base_name(threshold.of);
        let required = describe_threshold(what.clone(), threshold);
        unmet.push(
            Unmet::new(
                code,
                LocalizedText::new(
                    format!(
                        "{}表决：{}{count}人，{}为{base}，要求{}{}",
                        motion_name.zh, what.zh, base_words.zh, required.zh, recused_note.zh
                    ),
                    format!(
                        "The vote on {}: {count} {}, out of {base} ({}); required: {}{}",
                        motion_name.en, what.en, base_words.en, required.en, recused_note.en
                    ),
                ),
            )
            .with("count", count)
            .with("base", base)
            .with("required", threshold.fraction.to_string())
            .with("roll", tally.roll)
            .with("present", tally.present)
            .with("in_favour", tally.in_favour)
            .with("against", tally.against)
            .with("abstain", tally.abstain)
            .with("recused_left_out", recused_left_out),
        );
    }
}

/// What each threshold of a vote counts, in words.
const PRESENT: (&str, &str) = ("出席", "present");
const IN_FAVOUR: (&str, &str) = ("赞成", "in favour");
const AGAINST: (&str, &str) = ("反对", "against");

pub(super) fn describe_vote_passes(
    motion: &str,
    thresholds: Thresholds<'_>,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let motion = definition.motion_name(motion);
    let mut parts_zh = Vec::new();
    let mut parts_en = Vec::new();
    for (threshold, what) in thresholds.into_iter().zip([PRESENT, IN_FAVOUR, AGAINST]) {
        if let Some(threshold) = threshold {
            let text = describe_threshold(LocalizedText::new(what.0, what.1), threshold);
            parts_zh.push(text.zh);
            parts_en.push(text.en);
        }
    }
    LocalizedText::new(
        format!("{}表决通过：{}", motion.zh, parts_zh.join("，")),
        format!("the vote on {} passes: {}", motion.en, parts_en.join(", ")),
    )
}

pub(super) fn label_vote_passes(thresholds: Thresholds<'_>) -> LocalizedText {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    let short_names = [("出席", "quorum"), ("赞成", "for"), ("反对", "against")];
    for (threshold, (name_zh, name_en)) in thresholds.into_iter().zip(short_names) {
        if let Some(threshold) = threshold {
            zh.push(format!("{name_zh}{}", threshold_short(threshold)));
            en.push(format!("{name_en} {}", threshold_short(threshold)));
        }
    }
    LocalizedText::new(
        format!("表决 {}", zh.join(" ")),
        format!("vote {}", en.join(" ")),
    )
}

fn threshold_short(threshold: &Threshold) -> String {
    let sign = match threshold.comparison {
        Comparison::AtLeast => "≥",
        Comparison::MoreThan => ">",
        Comparison::AtMost => "≤",
    };
    format!("{sign}{}", threshold.fraction)
}

fn base_name(base: VoteBase) -> LocalizedText {
    match base {
        VoteBase::Roll => LocalizedText::new("应到委员", "the voting roll"),
        VoteBase::Present => LocalizedText::new("出席委员", "the voting members present"),
        VoteBase::VotesCast => LocalizedText::new(
            "有效票（不含弃权）",
            "the votes cast (abstentions excluded)",
        ),
    }
}

fn comparison_words(comparison: Comparison) -> LocalizedText {
    match comparison {
        Comparison::AtLeast => LocalizedText::new("不少于", "at least"),
        Comparison::MoreThan => LocalizedText::new("超过", "more than"),
        Comparison::AtMost => LocalizedText::new("不超过", "at most"),
    }
}

fn describe_threshold(what: LocalizedText, threshold: &Threshold) -> LocalizedText {
    let comparison = comparison_words(threshold.comparison);
    let base = base_name(threshold.of);
    LocalizedText::new(
        format!(
            "{}{}{}的{}",
            what.zh, comparison.zh, base.zh, threshold.fraction
        ),
        format!(
            "{} {} {} of {}",
            what.en, comparison.en, threshold.fraction, base.en
        ),
    )
}
