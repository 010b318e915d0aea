//! Guard evaluation: does a rule hold for this project, now, for this actor? If not, why not.
//!
//! Every guard reports all of what is missing (every missing artifact, every threshold a vote
//! fell short of), with figures and a sentence in both languages. Guards that are met allocate
//! nothing, so checking a stage's actions stays cheap.

use crate::command::Actor;
use crate::definition::{
    Comparison, Counter, DateRef, Guard, GuardRule, MeetingForm, Threshold, VoteBase,
    WorkflowDefinition,
};
use crate::rejection::Unmet;
use crate::state::{ProjectState, ScheduledMeeting};
use crate::text::LocalizedText;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::cell::LazyCell;

/// The local date of an instant, by the definition's day boundary.
pub fn local_date(instant: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    instant.with_timezone(&offset).date_naive()
}

/// Everything a guard may look at.
pub(crate) struct Situation<'a> {
    pub state: &'a ProjectState,
    pub definition: &'a WorkflowDefinition,
    pub actor: &'a Actor,
    pub today: NaiveDate,
}

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

fn plural_days(days: i64) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
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

fn applies_note(guard: &Guard, definition: &WorkflowDefinition) -> LocalizedText {
    if guard.applies_to.is_empty() {
        return LocalizedText::default();
    }
    let kinds = join_names(
        guard
            .applies_to
            .iter()
            .map(|kind| definition.specification_kind_name(kind)),
    );
    LocalizedText::new(
        format!("（仅适用于{}）", kinds.zh),
        format!(" (only for: {})", kinds.en),
    )
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
            let names = join_names(
                artifact_kinds
                    .iter()
                    .map(|kind| definition.artifact_kind_name(kind)),
            );
            LocalizedText::new(
                format!("已附{}", names.zh),
                format!("attached: {}", names.en),
            )
        }
        GuardRule::TimeInStageAtLeast { minimum } => LocalizedText::new(
            format!("本阶段已满{}", minimum.describe_zh()),
            format!("at least {} in this stage", minimum.describe_en()),
        ),
        GuardRule::NoticeBeforeMeeting { motion, minimum } => {
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
        GuardRule::CountAtLeast { counter, minimum } => match counter {
            Counter::OrganisationsConsulted => LocalizedText::new(
                format!("征求意见单位不少于{minimum}家"),
                format!("at least {minimum} organisations consulted"),
            ),
            Counter::CommentsRecorded => LocalizedText::new(
                format!("已记录意见不少于{minimum}条"),
                format!("at least {minimum} comments recorded"),
            ),
        },
        GuardRule::CommentsAllDisposed => {
            LocalizedText::new("每条意见均已处理", "every comment has a disposition")
        }
        GuardRule::VoteHeld { motion, form } => {
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
        GuardRule::VotePasses {
            motion,
            quorum,
            in_favour,
            against,
        } => {
            let motion = definition.motion_name(motion);
            let mut parts_zh = Vec::new();
            let mut parts_en = Vec::new();
            let clauses = [
                (quorum, LocalizedText::new("出席", "present")),
                (in_favour, LocalizedText::new("赞成", "in favour")),
                (against, LocalizedText::new("反对", "against")),
            ];
            for (threshold, what) in clauses {
                if let Some(threshold) = threshold {
                    let text = describe_threshold(what, threshold);
                    parts_zh.push(text.zh);
                    parts_en.push(text.en);
                }
            }
            LocalizedText::new(
                format!("{}表决通过：{}", motion.zh, parts_zh.join("，")),
                format!("the vote on {} passes: {}", motion.en, parts_en.join(", ")),
            )
        }
        GuardRule::SignedOff { subject, by_role } => {
            let subject = definition.sign_off_name(subject);
            let role = definition.role_name(by_role);
            LocalizedText::new(
                format!("{}已签署：{}", role.zh, subject.zh),
                format!("signed off by the {}: {}", role.en, subject.en),
            )
        }
        GuardRule::DifferentActor { than_action } => {
            let action = definition.action_name(than_action);
            LocalizedText::new(
                format!("操作人不得与「{}」的操作人相同", action.zh),
                format!("someone other than whoever fired '{}'", action.en),
            )
        }
        GuardRule::FieldRecorded { field } => {
            let field = definition.field_name(field);
            LocalizedText::new(
                format!("已记录{}", field.zh),
                format!("recorded: {}", field.en),
            )
        }
        GuardRule::DateOrder {
            earlier,
            later,
            allow_equal,
        } => {
            let earlier = date_name(earlier, definition);
            let later = date_name(later, definition);
            let (zh, en) = if *allow_equal {
                ("不晚于", "on or before")
            } else {
                ("早于", "before")
            };
            LocalizedText::new(
                format!("{}{zh}{}", earlier.zh, later.zh),
                format!("{} {en} {}", earlier.en, later.en),
            )
        }
        GuardRule::All(guards) => {
            let inner = join_names(guards.iter().map(|guard| describe(guard, definition)));
            LocalizedText::new(
                format!("全部满足：{}", inner.zh),
                format!("all of: {}", inner.en),
            )
        }
        GuardRule::Any(guards) => {
            let inner = LocalizedText::new(
                guards
                    .iter()
                    .map(|guard| describe(guard, definition).zh)
                    .collect::<Vec<_>>()
                    .join("；或"),
                guards
                    .iter()
                    .map(|guard| describe(guard, definition).en)
                    .collect::<Vec<_>>()
                    .join("; or "),
            );
            LocalizedText::new(
                format!("满足其一：{}", inner.zh),
                format!("any of: {}", inner.en),
            )
        }
        GuardRule::Not(guard) => {
            let inner = describe(guard, definition);
            LocalizedText::new(format!("并非：{}", inner.zh), format!("not: {}", inner.en))
        }
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
            Some(crate::command::FieldValue::Date(date)) => Some(*date),
            _ => None,
        },
        DateRef::StageEntered(stage) => state
            .last_entered(stage)
            .map(|instant| local_date(instant, situation.definition.local_utc_offset)),
    }
}

/// Whether the guard applies to the project's specification kind.
pub(crate) fn applies(guard: &Guard, state: &ProjectState) -> bool {
    guard.applies_to.is_empty()
        || guard
            .applies_to
            .iter()
            .any(|kind| kind == state.specification_kind())
}

/// Checks a guard and pushes every reason it is not met onto `unmet`.
pub(crate) fn check(guard: &Guard, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    if !applies(guard, situation.state) {
        return;
    }
    let before = unmet.len();
    check_rule(guard, situation, unmet);
    for reason in unmet.iter_mut().skip(before) {
        if reason.guard.is_none() {
            reason.guard = Some(guard.id.clone());
        }
    }
}

fn check_rule(guard: &Guard, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    let state = situation.state;
    let definition = situation.definition;
    match &guard.rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            if artifact_kinds.iter().all(|kind| state.has_artifact(kind)) {
                return;
            }
            let missing: Vec<&String> = artifact_kinds
                .iter()
                .filter(|kind| !state.has_artifact(kind))
                .collect();
            let names = join_names(
                missing
                    .iter()
                    .map(|kind| definition.artifact_kind_name(kind)),
            );
            unmet.push(
                Unmet::new(
                    "artifacts_missing",
                    LocalizedText::new(
                        format!("缺少{}", names.zh),
                        format!("Missing: {}", names.en),
                    ),
                )
                .with(
                    "missing",
                    missing.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
                ),
            );
        }
        GuardRule::TimeInStageAtLeast { minimum } => {
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
        GuardRule::NoticeBeforeMeeting { motion, minimum } => {
            // Names are for messages: built only if the guard fails.
            let motion_name = LazyCell::new(|| definition.motion_name(motion));
            let Some(meeting) = current_schedule(state, motion) else {
                unmet.push(
                    Unmet::new(
                        "meeting_not_scheduled",
                        LocalizedText::new(
                            format!("尚未安排{}会议", motion_name.zh),
                            format!("No {} meeting has been scheduled", motion_name.en),
                        ),
                    )
                    .with("motion", motion.as_str()),
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
        GuardRule::CountAtLeast { counter, minimum } => {
            let count = match counter {
                Counter::OrganisationsConsulted => state.organisations_consulted.len(),
                Counter::CommentsRecorded => state.comments.len(),
            } as u64;
            if count >= u64::from(*minimum) {
                return;
            }
            let message = match counter {
                Counter::OrganisationsConsulted => LocalizedText::new(
                    format!("征求意见单位{count}家，少于规定的{minimum}家"),
                    format!(
                        "{count} organisations were consulted; at least {minimum} are required"
                    ),
                ),
                Counter::CommentsRecorded => LocalizedText::new(
                    format!("已记录意见{count}条，少于规定的{minimum}条"),
                    format!("{count} comments are recorded; at least {minimum} are required"),
                ),
            };
            unmet.push(
                Unmet::new("count_too_low", message)
                    .with("count", count)
                    .with("minimum", *minimum),
            );
        }
        GuardRule::CommentsAllDisposed => {
            let open: Vec<&str> = state
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
        GuardRule::VoteHeld { motion, form } => {
            // Names are for messages: built only if the guard fails.
            let motion_name = LazyCell::new(|| definition.motion_name(motion));
            match state.latest_meeting_in_current_visit(motion) {
                None => unmet.push(vote_not_held(motion, &motion_name)),
                Some(meeting) => {
                    if let Some(form) = form
                        && meeting.record.form != *form
                    {
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
                        unmet.push(
                            Unmet::new("wrong_meeting_form", message)
                                .with("required_form", required_form),
                        );
                    }
                }
            }
        }
        GuardRule::VotePasses {
            motion,
            quorum,
            in_favour,
            against,
        } => {
            // Names are for messages: built only if the guard fails.
            let motion_name = LazyCell::new(|| definition.motion_name(motion));
            let Some(meeting) = state.latest_meeting_in_current_visit(motion) else {
                unmet.push(vote_not_held(motion, &motion_name));
                return;
            };
            let tally = meeting.record.tally();
            let base_of = |base: VoteBase| match base {
                VoteBase::Roll => tally.roll,
                VoteBase::Present => tally.present,
                VoteBase::VotesCast => tally.votes_cast(),
            };
            let clauses = [
                (
                    quorum,
                    tally.present,
                    "quorum_not_reached",
                    ("出席", "present"),
                ),
                (
                    in_favour,
                    tally.in_favour,
                    "approval_not_reached",
                    ("赞成", "in favour"),
                ),
                (
                    against,
                    tally.against,
                    "too_many_against",
                    ("反对", "against"),
                ),
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
                                "{}表决：{}{count}人，{}为{base}，要求{}",
                                motion_name.zh, what.zh, base_words.zh, required.zh
                            ),
                            format!(
                                "The vote on {}: {count} {}, out of {base} ({}); required: {}",
                                motion_name.en, what.en, base_words.en, required.en
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
                    .with("abstain", tally.abstain),
                );
            }
        }
        GuardRule::SignedOff { subject, by_role } => {
            let visit = state.current_visit();
            let signed = state.sign_offs.iter().any(|sign_off| {
                sign_off.visit == visit
                    && &sign_off.subject == subject
                    && &sign_off.signed_by.role == by_role
            });
            if signed {
                return;
            }
            let subject_name = definition.sign_off_name(subject);
            let role = definition.role_name(by_role);
            unmet.push(
                Unmet::new(
                    "sign_off_missing",
                    LocalizedText::new(
                        format!("{}尚未签署：{}", role.zh, subject_name.zh),
                        format!("The {} has not signed off: {}", role.en, subject_name.en),
                    ),
                )
                .with("subject", subject.as_str())
                .with("by_role", by_role.as_str()),
            );
        }
        GuardRule::DifferentActor { than_action } => {
            let Some(previous) = state.last_actor_of_action.get(than_action) else {
                return;
            };
            if previous.id != situation.actor.id {
                return;
            }
            let action = definition.action_name(than_action);
            unmet.push(
                Unmet::new(
                    "same_actor",
                    LocalizedText::new(
                        format!(
                            "「{}」由{}操作，本操作须由另一人完成",
                            action.zh, previous.id
                        ),
                        format!(
                            "{} fired '{}'; someone else must take this step",
                            previous.id, action.en
                        ),
                    ),
                )
                .with("actor", previous.id.as_str())
                .with("action", than_action.as_str()),
            );
        }
        GuardRule::FieldRecorded { field } => {
            if state.fields.contains_key(field) {
                return;
            }
            let name = definition.field_name(field);
            unmet.push(
                Unmet::new(
                    "field_missing",
                    LocalizedText::new(
                        format!("尚未记录{}", name.zh),
                        format!("{} has not been recorded", name.en),
                    ),
                )
                .with("field", field.as_str()),
            );
        }
        GuardRule::DateOrder {
            earlier,
            later,
            allow_equal,
        } => {
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
            let in_order = if *allow_equal {
                first <= second
            } else {
                first < second
            };
            if in_order {
                return;
            }
            let (zh, en) = if *allow_equal {
                ("不晚于", "on or before")
            } else {
                ("早于", "before")
            };
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
        GuardRule::All(guards) => {
            for inner in guards {
                check(inner, situation, unmet);
            }
        }
        GuardRule::Any(guards) => {
            let mut alternatives = Vec::new();
            for inner in guards {
                let mut inner_unmet = Vec::new();
                check(inner, situation, &mut inner_unmet);
                if inner_unmet.is_empty() {
                    return;
                }
                alternatives.extend(inner_unmet);
            }
            let zh: Vec<&str> = alternatives
                .iter()
                .map(|reason| reason.message.zh.as_str())
                .collect();
            let en: Vec<&str> = alternatives
                .iter()
                .map(|reason| reason.message.en.as_str())
                .collect();
            unmet.push(
                Unmet::new(
                    "no_alternative_met",
                    LocalizedText::new(
                        format!("以下条件须满足其一，但均未满足：{}", zh.join("；")),
                        format!(
                            "One of these is required, and none holds: {}",
                            en.join("; ")
                        ),
                    ),
                )
                .with(
                    "alternatives",
                    alternatives
                        .iter()
                        .map(|reason| reason.code.as_str())
                        .collect::<Vec<_>>(),
                ),
            );
        }
        GuardRule::Not(inner) => {
            let mut inner_unmet = Vec::new();
            check(inner, situation, &mut inner_unmet);
            if !inner_unmet.is_empty() || !applies(inner, state) {
                return;
            }
            let description = describe(inner, definition);
            unmet.push(
                Unmet::new(
                    "condition_holds",
                    LocalizedText::new(
                        format!("此操作仅在下列条件不成立时可用，但它成立：{}", description.zh),
                        format!("This step is only for when the following does not hold, and it does: {}", description.en),
                    ),
                )
                .with("condition", inner.rule.kind_code()),
            );
        }
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

fn not_computable(error: &crate::calendar::CalendarError) -> Unmet {
    Unmet::new(
        "deadline_not_computable",
        LocalizedText::new(
            format!("无法计算日期：{error}"),
            format!("The date cannot be computed: {error}"),
        ),
    )
}
