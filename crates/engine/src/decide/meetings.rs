//! Meetings and votes: scheduling a meeting on a motion, then recording it with its roll,
//! attendance and votes.
//!
//! Vote guards count what is recorded here, so the record must be coherent: a meeting held as
//! scheduled, a roll without blanks or repeats, only members on the roll present, only members
//! present voting, each once, minutes that are an attached artifact, and members of the drafting
//! unit abstaining when the definition says they must.

use super::reasons::{blank, body_unless, check_permission, invalid};
use crate::command::{MeetingRecord, MeetingSchedule, VoteChoice};
use crate::definition::{CommandKind, DraftingUnitMembers, WorkflowDefinition};
use crate::event::EventBody;
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::NaiveDate;
use std::collections::HashSet;

/// Decides scheduling a meeting on a motion.
pub(super) fn decide_schedule_meeting(
    situation: &Situation<'_>,
    schedule: &MeetingSchedule,
) -> Result<EventBody, Rejection> {
    let (state, definition) = (situation.state, situation.definition);
    let mut reasons = Vec::new();
    check_permission(
        definition,
        situation.actor,
        CommandKind::ScheduleMeeting,
        &mut reasons,
    );
    check_motion(definition, &schedule.motion, &mut reasons);
    if blank(&schedule.meeting_id) {
        reasons.push(invalid(
            "meeting_id",
            "会议编号为空".to_string(),
            "The meeting id is empty".to_string(),
        ));
    } else if state
        .scheduled_meetings
        .iter()
        .any(|meeting| meeting.schedule.meeting_id == schedule.meeting_id)
    {
        reasons.push(invalid(
            "meeting_id",
            format!("会议编号「{}」已存在", schedule.meeting_id),
            format!(
                "A meeting with id '{}' is already scheduled",
                schedule.meeting_id
            ),
        ));
    }
    if schedule.documents_sent_on > schedule.meeting_on {
        reasons.push(invalid(
            "documents_sent_on",
            format!(
                "文件送达日期{}晚于会议日期{}",
                schedule.documents_sent_on, schedule.meeting_on
            ),
            format!(
                "The documents are sent on {}, after the meeting on {}",
                schedule.documents_sent_on, schedule.meeting_on
            ),
        ));
    }
    body_unless(EventBody::MeetingScheduled(schedule.clone()), reasons)
}

/// Decides recording a meeting that was held, with its votes.
pub(super) fn decide_record_meeting(
    situation: &Situation<'_>,
    record: &MeetingRecord,
) -> Result<EventBody, Rejection> {
    let (state, definition) = (situation.state, situation.definition);
    let mut reasons = Vec::new();
    check_permission(
        definition,
        situation.actor,
        CommandKind::RecordMeeting,
        &mut reasons,
    );
    check_motion(definition, &record.motion, &mut reasons);
    check_meeting(state, record, situation.today, &mut reasons);
    check_drafting_unit_members(definition, record, &mut reasons);
    body_unless(
        EventBody::MeetingRecorded(Box::new(record.clone())),
        reasons,
    )
}

fn check_motion(definition: &WorkflowDefinition, motion: &str, reasons: &mut Vec<Unmet>) {
    if !definition.motions.iter().any(|item| item.code == motion) {
        let known: Vec<&str> = definition
            .motions
            .iter()
            .map(|item| item.code.as_str())
            .collect();
        reasons.push(invalid(
            "motion",
            format!("未知的表决事项「{motion}」；可用：{}", known.join("、")),
            format!(
                "Unknown motion '{motion}'; motions are: {}",
                known.join(", ")
            ),
        ));
    }
}

/// Everything a meeting's record must get right, apart from the motion and the drafting unit.
fn check_meeting(
    state: &ProjectState,
    record: &MeetingRecord,
    today: NaiveDate,
    reasons: &mut Vec<Unmet>,
) {
    if record.held_on > today {
        reasons.push(invalid(
            "held_on",
            format!(
                "会议日期{}在今天（{today}）之后，尚不能记录",
                record.held_on
            ),
            format!(
                "The meeting is dated {}, after today ({today}); it cannot be recorded yet",
                record.held_on
            ),
        ));
    }
    check_held_as_scheduled(state, record, reasons);
    check_meeting_id(state, record, reasons);
    check_attendance_and_votes(record, reasons);
    check_minutes_attached(state, record, reasons);
}

/// A meeting recorded under a scheduled id must be that meeting: the notice guard counted on its
/// schedule, so holding it earlier, on another motion or in another form would sidestep it.
fn check_held_as_scheduled(state: &ProjectState, record: &MeetingRecord, reasons: &mut Vec<Unmet>) {
    let Some(scheduled) = state
        .scheduled_meetings
        .iter()
        .find(|meeting| meeting.schedule.meeting_id == record.meeting_id)
    else {
        return;
    };
    let schedule = &scheduled.schedule;
    if schedule.motion != record.motion || schedule.form != record.form {
        reasons.push(invalid(
            "meeting_id",
            format!("会议「{}」安排的表决事项或形式与记录不符", record.meeting_id),
            format!(
                "The meeting '{}' was scheduled for another motion or form; schedule a new meeting instead",
                record.meeting_id
            ),
        ));
    }
    if record.held_on < schedule.meeting_on {
        reasons.push(invalid(
            "held_on",
            format!("会议「{}」安排于{}，不能记录为更早的{}举行", record.meeting_id, schedule.meeting_on, record.held_on),
            format!(
                "The meeting '{}' was scheduled for {}; it cannot be recorded as held earlier, on {}",
                record.meeting_id, schedule.meeting_on, record.held_on
            ),
        ));
    }
}

/// The meeting id must be given and not recorded already.
fn check_meeting_id(state: &ProjectState, record: &MeetingRecord, reasons: &mut Vec<Unmet>) {
    if blank(&record.meeting_id) {
        reasons.push(invalid(
            "meeting_id",
            "会议编号为空".to_string(),
            "The meeting id is empty".to_string(),
        ));
    } else if state
        .meetings
        .iter()
        .any(|meeting| meeting.record.meeting_id == record.meeting_id)
    {
        reasons.push(invalid(
            "meeting_id",
            format!("会议「{}」已记录", record.meeting_id),
            format!("The meeting '{}' is already recorded", record.meeting_id),
        ));
    }
}

/// The roll, those present (voting and not) and the votes must agree with one another.
fn check_attendance_and_votes(record: &MeetingRecord, reasons: &mut Vec<Unmet>) {
    if record.roll.is_empty() {
        reasons.push(invalid(
            "roll",
            "表决名册为空".to_string(),
            "The voting roll is empty".to_string(),
        ));
    }
    let mut roll = HashSet::new();
    for member in &record.roll {
        if blank(member) || !roll.insert(member.as_str()) {
            reasons.push(invalid(
                "roll",
                format!("表决名册中「{member}」为空或重复"),
                format!("'{member}' is empty or listed twice on the voting roll"),
            ));
        }
    }
    let present = check_present(record, &roll, reasons);
    check_votes(record, &present, reasons);
}

/// Those present must be on the roll, once each, and nobody on the roll attends as non-voting;
/// returns the members present.
fn check_present<'r>(
    record: &'r MeetingRecord,
    roll: &HashSet<&str>,
    reasons: &mut Vec<Unmet>,
) -> HashSet<&'r str> {
    let mut present = HashSet::new();
    for member in &record.present {
        if !roll.contains(member.as_str()) {
            reasons.push(invalid(
                "present",
                format!("出席者「{member}」不在表决名册上；通讯成员和特邀代表请列入非表决出席者"),
                format!(
                    "'{member}' is listed as present but is not on the voting roll; corresponding members and invited representatives go in non_voting_present"
                ),
            ));
        }
        if !present.insert(member.as_str()) {
            reasons.push(invalid(
                "present",
                format!("出席者「{member}」重复"),
                format!("'{member}' is listed as present twice"),
            ));
        }
    }
    for participant in &record.non_voting_present {
        if roll.contains(participant.person.as_str()) {
            reasons.push(invalid(
                "non_voting_present",
                format!(
                    "「{}」在表决名册上，不能同时列为非表决出席者",
                    participant.person
                ),
                format!(
                    "'{}' is on the voting roll and cannot also attend as non-voting",
                    participant.person
                ),
            ));
        }
    }
    present
}

/// Only voting members present vote, each once.
fn check_votes(record: &MeetingRecord, present: &HashSet<&str>, reasons: &mut Vec<Unmet>) {
    let mut voted = HashSet::new();
    for vote in &record.votes {
        if !present.contains(vote.member.as_str()) {
            reasons.push(invalid(
                "votes",
                format!("「{}」不是出席的表决委员，其投票不能计入", vote.member),
                format!(
                    "'{}' is not a voting member present; their vote cannot count",
                    vote.member
                ),
            ));
        }
        if !voted.insert(vote.member.as_str()) {
            reasons.push(invalid(
                "votes",
                format!("「{}」投票两次", vote.member),
                format!("'{}' voted twice", vote.member),
            ));
        }
    }
}

/// Minutes named by digest must already be attached, so the record points at a document on file.
fn check_minutes_attached(state: &ProjectState, record: &MeetingRecord, reasons: &mut Vec<Unmet>) {
    if let Some(minutes) = &record.minutes_sha256
        && !state
            .artifacts
            .iter()
            .any(|attached| &attached.artifact.sha256 == minutes)
    {
        reasons.push(invalid(
            "minutes_sha256",
            format!("会议纪要{minutes}尚未作为附件上传"),
            format!("The minutes {minutes} are not an attached artifact; attach them first"),
        ));
    }
}

/// Members flagged as belonging to the project's drafting unit must be on the roll, and when the
/// definition says they abstain, a vote for or against from one of them is refused.
fn check_drafting_unit_members(
    definition: &WorkflowDefinition,
    record: &MeetingRecord,
    reasons: &mut Vec<Unmet>,
) {
    for member in &record.drafting_unit_members {
        if !record.roll.contains(member) {
            reasons.push(invalid(
                "drafting_unit_members",
                format!("起草单位委员「{member}」不在表决名册上"),
                format!(
                    "'{member}' is flagged as from the drafting unit but is not on the voting roll"
                ),
            ));
        }
    }
    if definition.drafting_unit_members != DraftingUnitMembers::Abstain {
        return;
    }
    for vote in &record.votes {
        if vote.choice != VoteChoice::Abstain && record.drafting_unit_members.contains(&vote.member)
        {
            reasons.push(
                Unmet::new(
                    "drafting_unit_member_must_abstain",
                    LocalizedText::new(
                        format!("「{}」是起草单位的委员，应当回避（弃权），不能投赞成或反对票", vote.member),
                        format!("'{}' belongs to the project's drafting unit and must abstain: their vote for or against cannot be recorded", vote.member),
                    ),
                )
                .with("member", vote.member.clone()),
            );
        }
    }
}
