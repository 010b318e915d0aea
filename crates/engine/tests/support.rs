//! What every test module shares: the real definitions and calendars, the people who act, dates,
//! builders for commands and events, a given/when/then harness, and a scenario runner that
//! renders a project's history as a readable event log for snapshot tests.
//!
//! Dates are written as local Shanghai days ("2025-03-01" is 10:00 that day, UTC+8), because
//! the rules count local days; an explicit time can be given as "2025-03-01 23:30".

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use specflow_engine::command::{
    Artifact, Comment, Disposition, FieldValue, MeetingRecord, MeetingSchedule, NewProject,
    NonVotingParticipant, Publication, Vote, VoteChoice, Waiver,
};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{
    Actor, Command, Event, EventBody, Language, LocalizedText, ProjectState, Rejection, Unmet,
    WorkflowDefinition, WorkingCalendar, decide, render,
};
use std::fmt::Write;
use std::sync::{Arc, LazyLock};
use uuid::Uuid;

/// The Shanghai local metrology specification lifecycle, as shipped.
pub const METROLOGY_TOML: &str = include_str!("../../../workflows/metrology-spec.toml");
/// The ISO International Standard lifecycle, as shipped.
pub const ISO_TOML: &str = include_str!("../../../workflows/iso-standard.toml");
/// The Chinese working-day calendar for 2025.
pub const CN_2025_TOML: &str = include_str!("../../../workflows/calendars/cn-2025.toml");
/// The Chinese working-day calendar for 2026.
pub const CN_2026_TOML: &str = include_str!("../../../workflows/calendars/cn-2026.toml");

/// A verification regulation (计量检定规程): the strictest kind, reviewed only at a meeting.
pub const VERIFICATION: &str = "verification_regulation";
/// A calibration specification (计量校准规范): may be reviewed by letter, no promotion rule.
pub const CALIBRATION: &str = "calibration_specification";

/// Loads a definition that must be valid, showing every problem if it is not.
pub fn load(file_name: &str, text: &str) -> WorkflowDefinition {
    match WorkflowDefinition::from_toml(file_name, text) {
        Ok(definition) => definition,
        Err(error) => panic!("{file_name} should be valid, but:\n{error}"),
    }
}

/// The `cn` working-day calendar with the years on file.
pub fn cn_calendar() -> Arc<WorkingCalendar> {
    let mut calendar = WorkingCalendar::new("cn");
    for (name, text) in [
        ("cn-2025.toml", CN_2025_TOML),
        ("cn-2026.toml", CN_2026_TOML),
    ] {
        if let Err(problems) = calendar.add_year_file(name, text) {
            panic!("{name} should be valid, but: {problems:?}");
        }
    }
    Arc::new(calendar)
}

static METROLOGY: LazyLock<WorkflowDefinition> =
    LazyLock::new(|| load("metrology-spec.toml", METROLOGY_TOML).with_calendar(cn_calendar()));
static ISO: LazyLock<WorkflowDefinition> = LazyLock::new(|| load("iso-standard.toml", ISO_TOML));

/// `workflows/metrology-spec.toml` with the `cn` calendar attached.
pub fn metrology() -> &'static WorkflowDefinition {
    &METROLOGY
}

static METROLOGY_WITH_CONSULTATION_WAIVERS: LazyLock<WorkflowDefinition> = LazyLock::new(|| {
    let text = METROLOGY_TOML
        .replace(
            "minimum = \"30 days\"\n",
            "minimum = \"30 days\"\nwaivable_by = [\"supervisor\"]\n",
        )
        .replace(
            "minimum = 20\n",
            "minimum = 20\nwaivable_by = [\"supervisor\"]\n",
        );
    load("metrology-spec.toml", &text).with_calendar(cn_calendar())
});

/// `workflows/metrology-spec.toml` as it was before the consultation's guards lost their waiver:
/// the bureau may waive the 30 days and the 20 organisations. No guard of the shipped file may be
/// waived any more (the rules state no exception), so the waiver mechanism is tried on this, as
/// projects that started on that earlier version still are.
pub fn metrology_with_consultation_waivers() -> &'static WorkflowDefinition {
    &METROLOGY_WITH_CONSULTATION_WAIVERS
}

/// `workflows/iso-standard.toml`.
pub fn iso() -> &'static WorkflowDefinition {
    &ISO
}

/// The top of a small valid definition used to try guards the shipped files do not use:
/// two stages, `start` and the terminal `end`, joined by the action `go`, whose guards follow.
pub const LAB_HEAD: &str = r#"id = "lab"
version = 1
title = { zh = "试验流程", en = "lab workflow" }
local_utc_offset = "+08:00"
calendar = "cn"
initial_stage = "start"

[[roles]]
code = "clerk"
name = { zh = "秘书", en = "clerk" }

[[roles]]
code = "head"
name = { zh = "主任", en = "head" }

[[specification_kinds]]
code = "regulation"
name = { zh = "规程", en = "regulation" }

[[specification_kinds]]
code = "guide"
name = { zh = "指南", en = "guide" }

[[artifact_kinds]]
code = "draft"
name = { zh = "草案", en = "draft" }

[[artifact_kinds]]
code = "report"
name = { zh = "报告", en = "report" }

[[motions]]
code = "ballot"
name = { zh = "投票", en = "ballot" }

[[sign_offs]]
code = "release"
name = { zh = "同意发布", en = "release" }

[[fields]]
code = "note"
name = { zh = "备注", en = "note" }
type = "text"

[[fields]]
code = "done_on"
name = { zh = "完成日期", en = "the completion date" }
type = "date"

[permissions]
create_project = ["clerk"]
attach_artifact = ["clerk"]
record_organisations_consulted = ["clerk"]
record_comment = ["clerk"]
dispose_comment = ["clerk"]
schedule_meeting = ["clerk"]
record_meeting = ["clerk"]
sign_off = ["clerk", "head"]
record_field = ["clerk"]
record_publication = ["head"]
record_waiver = ["clerk", "head"]

[[stages]]
code = "start"
name = { zh = "开始", en = "start" }

[[stages]]
code = "end"
name = { zh = "结束", en = "end" }
terminal = true

[[transitions]]
action = "go"
name = { zh = "前进", en = "go on" }
from = ["start"]
to = "end"
roles = ["clerk"]
"#;

/// The lab definition with `guards` (TOML `[[transitions.guards]]` tables) on its action `go`,
/// and the `cn` calendar attached.
pub fn lab(guards: &str) -> WorkflowDefinition {
    load("lab.toml", &format!("{LAB_HEAD}\n{guards}")).with_calendar(cn_calendar())
}

/// The lab definition without a working-day calendar attached.
pub fn lab_without_calendar(guards: &str) -> WorkflowDefinition {
    load("lab.toml", &format!("{LAB_HEAD}\n{guards}"))
}

// ---------------------------------------------------------------------------------------------
// Dates.

/// Shanghai's offset, UTC+8: the metrology definition's local day.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| panic!("+08:00 is a valid offset"))
}

/// A local date written as `2025-03-01`.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .unwrap_or_else(|error| panic!("'{text}' is not a date: {error}"))
}

/// An instant in Shanghai local time: `2025-03-01` is 10:00 that day; `2025-03-01 23:30` is explicit.
pub fn at(text: &str) -> DateTime<Utc> {
    let local = match NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        Ok(local) => local,
        Err(_) => day(text).and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default()),
    };
    shanghai()
        .from_local_datetime(&local)
        .single()
        .unwrap_or_else(|| panic!("'{text}' is ambiguous in a fixed offset"))
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// People.

/// The committee secretariat (秘书处).
pub fn secretary() -> Actor {
    Actor::new("li.secretary", "secretariat")
}

/// The committee chair (主任委员).
pub fn chair() -> Actor {
    Actor::new("zhang.chair", "chair")
}

/// The drafting group (起草单位).
pub fn drafter() -> Actor {
    Actor::new("chen.drafter", "drafter")
}

/// A bureau supervisor (市场监管局).
pub fn supervisor() -> Actor {
    Actor::new("wu.supervisor", "supervisor")
}

/// A committee member (委员), who votes but records nothing.
pub fn member() -> Actor {
    Actor::new("sun.member", "member")
}

/// An auditor, who reads everything and may do nothing.
pub fn auditor() -> Actor {
    Actor::new("he.auditor", "auditor")
}

/// The lab definition's clerk.
pub fn clerk() -> Actor {
    Actor::new("ma.clerk", "clerk")
}

/// The lab definition's head.
pub fn head() -> Actor {
    Actor::new("gao.head", "head")
}

/// The usual person acting in `role`.
pub fn person(role: &str) -> Actor {
    match role {
        "secretariat" => secretary(),
        "chair" => chair(),
        "drafter" => drafter(),
        "supervisor" => supervisor(),
        "member" => member(),
        "auditor" => auditor(),
        "clerk" => clerk(),
        "head" => head(),
        other => Actor::new(format!("someone.{other}"), other),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands and the records they carry.

/// A project following `definition`, of the given specification kind.
pub fn new_project(definition: &WorkflowDefinition, kind: &str) -> NewProject {
    NewProject {
        project_id: Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0007),
        code: definition
            .format_code(kind, 2025, 7)
            .unwrap_or_else(|| "JJF(沪)-2025-007".to_string()),
        title: LocalizedText::new("数字式温度指示调节仪", "Digital temperature indicators"),
        specification_kind: kind.to_string(),
        committee: "上海市温度计量技术委员会".to_string(),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: definition.id.clone(),
        definition_version: definition.version,
        flags: Default::default(),
    }
}

/// Create a project.
pub fn create(definition: &WorkflowDefinition, kind: &str) -> Command {
    Command::CreateProject(new_project(definition, kind))
}

/// Fire an action without a reason.
pub fn fire(action: &str) -> Command {
    Command::FireAction {
        action: action.to_string(),
        reason: None,
    }
}

/// Fire an action with a reason.
pub fn fire_because(action: &str, reason: &str) -> Command {
    Command::FireAction {
        action: action.to_string(),
        reason: Some(reason.to_string()),
    }
}

/// The SHA-256 of a text, as 64 lowercase hexadecimal digits.
pub fn sha256_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A document of `kind`, named after it, whose digest is that of its name.
pub fn artifact(kind: &str) -> Artifact {
    let file_name = format!("{kind}.pdf");
    Artifact {
        kind: kind.to_string(),
        size_bytes: 1024,
        sha256: sha256_of(&file_name),
        file_name,
    }
}

/// A second version of a document of `kind` (another file, another digest).
pub fn artifact_version(kind: &str, version: u32) -> Artifact {
    let file_name = format!("{kind}-v{version}.pdf");
    Artifact {
        kind: kind.to_string(),
        size_bytes: 2048,
        sha256: sha256_of(&file_name),
        file_name,
    }
}

/// Attach a document of `kind`.
pub fn attach(kind: &str) -> Command {
    Command::AttachArtifact(artifact(kind))
}

/// The names of organisations `first..=last`, such as `单位05`.
pub fn organisation_names(first: usize, last: usize) -> Vec<String> {
    (first..=last)
        .map(|number| format!("单位{number:02}"))
        .collect()
}

/// Record organisations `first..=last` as consulted.
pub fn consult(first: usize, last: usize) -> Command {
    Command::RecordOrganisationsConsulted {
        organisations: organisation_names(first, last),
    }
}

/// A comment from an organisation.
pub fn comment(id: &str, organisation: &str, text: &str) -> Comment {
    Comment {
        comment_id: id.to_string(),
        organisation: organisation.to_string(),
        clause: None,
        text: text.to_string(),
    }
}

/// Record a comment.
pub fn record_comment(id: &str, organisation: &str, text: &str) -> Command {
    Command::RecordComment(comment(id, organisation, text))
}

/// Record a comment's disposition.
pub fn dispose(id: &str, disposition: Disposition, reason: Option<&str>) -> Command {
    Command::DisposeComment {
        comment_id: id.to_string(),
        disposition,
        reason: reason.map(str::to_string),
    }
}

/// Sign something off.
pub fn sign_off(subject: &str) -> Command {
    Command::SignOff {
        subject: subject.to_string(),
    }
}

/// Record a text field.
pub fn record_text(field: &str, text: &str) -> Command {
    Command::RecordField {
        field: field.to_string(),
        value: FieldValue::Text(text.to_string()),
    }
}

/// Record a date field.
pub fn record_date(field: &str, date: &str) -> Command {
    Command::RecordField {
        field: field.to_string(),
        value: FieldValue::Date(day(date)),
    }
}

/// A publication with its number and dates.
pub fn publication(publication_date: &str, effective_date: &str) -> Publication {
    Publication {
        specification_number: "JJG(沪) 1007-2025".to_string(),
        publication_date: day(publication_date),
        effective_date: day(effective_date),
    }
}

/// Record the publication.
pub fn record_publication(publication_date: &str, effective_date: &str) -> Command {
    Command::RecordPublication(publication(publication_date, effective_date))
}

/// A waiver of `guard` of `action`.
pub fn waiver(action: &str, guard: &str) -> Waiver {
    Waiver {
        action: action.to_string(),
        guard: guard.to_string(),
        authority: "沪市监计量〔2025〕18号".to_string(),
        reason: "urgent revision ordered by the bureau".to_string(),
    }
}

/// Record a waiver.
pub fn record_waiver(action: &str, guard: &str) -> Command {
    Command::RecordWaiver(waiver(action, guard))
}

/// A meeting planned on `motion`, its documents sent on `documents_sent_on`.
pub fn meeting_schedule(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    documents_sent_on: &str,
    meeting_on: &str,
) -> MeetingSchedule {
    MeetingSchedule {
        meeting_id: meeting_id.to_string(),
        motion: motion.to_string(),
        form,
        meeting_on: day(meeting_on),
        documents_sent_on: day(documents_sent_on),
    }
}

/// Schedule a meeting.
pub fn schedule(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    documents_sent_on: &str,
    meeting_on: &str,
) -> Command {
    Command::ScheduleMeeting(meeting_schedule(
        meeting_id,
        motion,
        form,
        documents_sent_on,
        meeting_on,
    ))
}

/// How a vote went, in numbers. Voting members are `委员01`, `委员02`, ...; the first `present`
/// of them attend, and of those the first vote in favour, the next against, the next abstain,
/// and any left over do not vote. Non-voting participants attend besides.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ballot {
    /// Voting members on the roll.
    pub roll: usize,
    /// Voting members present.
    pub present: usize,
    /// Votes in favour.
    pub in_favour: usize,
    /// Votes against.
    pub against: usize,
    /// Abstentions.
    pub abstain: usize,
    /// Corresponding members and invited representatives present, who never vote.
    pub non_voting: usize,
}

/// The record of a meeting held on `held_on` with the votes of `ballot`.
pub fn meeting_record(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    held_on: &str,
    ballot: Ballot,
) -> MeetingRecord {
    let roll: Vec<String> = (1..=ballot.roll)
        .map(|number| format!("委员{number:02}"))
        .collect();
    let present: Vec<String> = roll.iter().take(ballot.present).cloned().collect();
    let choices = std::iter::repeat_n(VoteChoice::InFavour, ballot.in_favour)
        .chain(std::iter::repeat_n(VoteChoice::Against, ballot.against))
        .chain(std::iter::repeat_n(VoteChoice::Abstain, ballot.abstain));
    let votes = present
        .iter()
        .zip(choices)
        .map(|(member, choice)| Vote {
            member: member.clone(),
            choice,
        })
        .collect();
    let non_voting_present = (1..=ballot.non_voting)
        .map(|number| NonVotingParticipant {
            person: format!("通讯成员{number:02}"),
            capacity: if number % 2 == 0 {
                "invited_representative".to_string()
            } else {
                "corresponding_member".to_string()
            },
        })
        .collect();
    MeetingRecord {
        meeting_id: meeting_id.to_string(),
        motion: motion.to_string(),
        form,
        held_on: day(held_on),
        roll,
        present,
        non_voting_present,
        votes,
        minutes_sha256: None,
        drafting_unit_members: Vec::new(),
    }
}

/// Record a meeting held on `held_on` with the votes of `ballot`.
pub fn record_meeting(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    held_on: &str,
    ballot: Ballot,
) -> Command {
    Command::RecordMeeting(meeting_record(meeting_id, motion, form, held_on, ballot))
}

// ---------------------------------------------------------------------------------------------
// Events, for the "given" part of a test.

/// An event that happened on a local day (at 10:00) or at a local time, by `actor`.
pub fn event(when: &str, actor: &Actor, body: EventBody) -> Event {
    Event {
        occurred_at: at(when),
        actor: actor.clone(),
        body,
    }
}

/// The project was created in the definition's initial stage.
pub fn created(definition: &WorkflowDefinition, kind: &str) -> EventBody {
    EventBody::ProjectCreated {
        project: Box::new(new_project(definition, kind)),
        stage: definition.initial_stage.clone(),
        imported: None,
    }
}

/// The project moved by `action`.
pub fn moved(action: &str, from: &str, to: &str) -> EventBody {
    EventBody::ActionFired {
        action: action.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        reason: None,
        waived_guards: Vec::new(),
    }
}

/// A document of `kind` was attached.
pub fn attached(kind: &str) -> EventBody {
    EventBody::ArtifactAttached(artifact(kind))
}

/// Organisations `first..=last` were recorded as consulted.
pub fn consulted(first: usize, last: usize) -> EventBody {
    EventBody::OrganisationsConsultedRecorded {
        organisations: organisation_names(first, last),
    }
}

/// A comment was recorded.
pub fn commented(id: &str) -> EventBody {
    EventBody::CommentRecorded(comment(id, "单位01", "条款5.2的允许误差过严"))
}

/// A comment got a disposition.
pub fn disposed(id: &str, disposition: Disposition) -> EventBody {
    EventBody::CommentDisposed {
        comment_id: id.to_string(),
        disposition,
        reason: (disposition == Disposition::NotAccepted).then(|| "与上位规程不一致".to_string()),
    }
}

/// Something was signed off (by the event's actor, in the actor's role).
pub fn signed(subject: &str) -> EventBody {
    EventBody::SignedOff {
        subject: subject.to_string(),
    }
}

/// A meeting was scheduled.
pub fn scheduled(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    documents_sent_on: &str,
    meeting_on: &str,
) -> EventBody {
    EventBody::MeetingScheduled(meeting_schedule(
        meeting_id,
        motion,
        form,
        documents_sent_on,
        meeting_on,
    ))
}

/// A meeting was held with the votes of `ballot`.
pub fn met(
    meeting_id: &str,
    motion: &str,
    form: MeetingForm,
    held_on: &str,
    ballot: Ballot,
) -> EventBody {
    EventBody::MeetingRecorded(Box::new(meeting_record(
        meeting_id, motion, form, held_on, ballot,
    )))
}

/// A text field was recorded.
pub fn text_recorded(field: &str, text: &str) -> EventBody {
    EventBody::FieldRecorded {
        field: field.to_string(),
        value: FieldValue::Text(text.to_string()),
    }
}

/// A date field was recorded.
pub fn date_recorded(field: &str, date: &str) -> EventBody {
    EventBody::FieldRecorded {
        field: field.to_string(),
        value: FieldValue::Date(day(date)),
    }
}

/// The publication was recorded.
pub fn published(publication_date: &str, effective_date: &str) -> EventBody {
    EventBody::PublicationRecorded(publication(publication_date, effective_date))
}

/// A waiver was recorded.
pub fn waived(action: &str, guard: &str) -> EventBody {
    EventBody::WaiverRecorded(waiver(action, guard))
}

/// A history followed by more events.
pub fn with(mut history: Vec<Event>, more: Vec<Event>) -> Vec<Event> {
    history.extend(more);
    history
}

/// The metrology lifecycle's main line: each action, the stage it leaves and the stage it enters.
pub const MAIN_LINE: [(&str, &str, &str); 9] = [
    ("propose", "preresearch", "proposal"),
    ("approve_project", "proposal", "drafting"),
    ("open_consultation", "drafting", "consultation"),
    ("close_consultation", "consultation", "resolution"),
    ("submit_for_review", "resolution", "review"),
    ("pass_review", "review", "approval"),
    ("publish", "approval", "promotion"),
    ("enter_into_force", "promotion", "in_force"),
    ("open_reexamination", "in_force", "reexamination"),
];

/// The history of a metrology project of `kind` that went along the main line and entered
/// `stage` on `entered_on`: created 100 days before, each earlier step one day apart, each fired
/// by the usual person of the action's first role.
pub fn project_in(kind: &str, stage: &str, entered_on: &str) -> Vec<Event> {
    let definition = metrology();
    let entered = at(entered_on);
    let steps: Vec<(&str, &str, &str)> = if stage == definition.initial_stage {
        Vec::new()
    } else {
        let end = MAIN_LINE
            .iter()
            .position(|(_, _, to)| *to == stage)
            .unwrap_or_else(|| panic!("'{stage}' is not on the main line"));
        MAIN_LINE[..=end].to_vec()
    };
    let mut history = vec![Event {
        occurred_at: entered - chrono::Duration::days(100),
        actor: secretary(),
        body: created(definition, kind),
    }];
    let count = steps.len();
    for (index, (action, from, to)) in steps.into_iter().enumerate() {
        let days_before = i64::try_from(count - 1 - index).unwrap_or_default();
        let role = definition
            .transition_from(from, action)
            .and_then(|transition| transition.roles.first())
            .unwrap_or_else(|| panic!("'{action}' has a role"));
        history.push(Event {
            occurred_at: entered - chrono::Duration::days(days_before),
            actor: person(role),
            body: moved(action, from, to),
        });
    }
    history
}

// ---------------------------------------------------------------------------------------------
// Given / when / then.

/// A project's history, ready for a command.
pub struct Given<'d> {
    definition: &'d WorkflowDefinition,
    state: ProjectState,
}

/// Given these events (applied in order) under this definition.
pub fn given<'d>(definition: &'d WorkflowDefinition, history: &[Event]) -> Given<'d> {
    Given {
        definition,
        state: ProjectState::replay(history),
    }
}

impl Given<'_> {
    /// When `actor` issues `command` at the local time `when`.
    pub fn when(&self, actor: &Actor, command: Command, when: &str) -> Then {
        self.when_at(actor, command, at(when))
    }

    /// When `actor` issues `command` at the instant `now`.
    pub fn when_at(&self, actor: &Actor, command: Command, now: DateTime<Utc>) -> Then {
        let result = decide(&self.state, self.definition, &command, actor, now);
        Then { command, result }
    }

    /// The state the history folds into.
    pub fn state(&self) -> &ProjectState {
        &self.state
    }
}

/// What `decide` made of a command.
#[must_use = "a test says what it expects: then_accepted, then_events or then_rejected_with"]
pub struct Then {
    command: Command,
    result: Result<Vec<Event>, Rejection>,
}

impl Then {
    /// Then the command is accepted; its events.
    pub fn then_accepted(self) -> Vec<Event> {
        match self.result {
            Ok(events) => events,
            Err(rejection) => panic!(
                "{} should be accepted, but was refused:\n{}",
                self.command.kind_name(),
                explain(&rejection)
            ),
        }
    }

    /// Then exactly these events happen.
    pub fn then_events(self, expected: &[EventBody]) -> Vec<Event> {
        let events = self.then_accepted();
        let bodies: Vec<&EventBody> = events.iter().map(|event| &event.body).collect();
        let expected: Vec<&EventBody> = expected.iter().collect();
        assert_eq!(bodies, expected, "the events differ");
        events
    }

    /// Then the project moves to `stage` by one action with no guard waived, followed only by
    /// the deadline bookkeeping that entering a stage causes; the action's event body.
    pub fn then_moves_to(self, stage: &str) -> EventBody {
        let events = self.then_accepted();
        let body = events[0].body.clone();
        match &body {
            EventBody::ActionFired {
                to, waived_guards, ..
            } => {
                assert_eq!(to, stage);
                assert!(
                    waived_guards.is_empty(),
                    "nothing waived: {waived_guards:?}"
                );
            }
            other => panic!("a stage change expected, got {other:?}"),
        }
        assert_only_bookkeeping_follows(&events);
        body
    }

    /// Then the first event is `expected`, followed only by deadline bookkeeping; all the events.
    pub fn then_fires(self, expected: &EventBody) -> Vec<Event> {
        let events = self.then_accepted();
        assert_eq!(&events[0].body, expected);
        assert_only_bookkeeping_follows(&events);
        events
    }

    /// Then the command is refused; the rejection.
    pub fn then_rejected(self) -> Rejection {
        match self.result {
            Ok(events) => panic!(
                "{} should be refused, but was accepted: {events:?}",
                self.command.kind_name()
            ),
            Err(rejection) => rejection,
        }
    }

    /// Then the command is refused for exactly these reasons, in this order.
    pub fn then_rejected_with(self, codes: &[&str]) -> Rejection {
        let rejection = self.then_rejected();
        assert_eq!(
            rejection.codes(),
            codes,
            "the reasons differ:\n{}",
            explain(&rejection)
        );
        rejection
    }
}

/// Asserts that every event after the first is deadline or re-examination bookkeeping.
pub fn assert_only_bookkeeping_follows(events: &[Event]) {
    for event in events.iter().skip(1) {
        let kind = event.body.type_name();
        assert!(
            kind.starts_with("deadline_") || kind.starts_with("reexamination_"),
            "only deadline bookkeeping follows a stage change, not {kind}"
        );
    }
}

/// Every reason of a rejection, one a line, with code, guard, figures and both languages.
pub fn explain(rejection: &Rejection) -> String {
    let mut out = String::new();
    for reason in &rejection.reasons {
        let _ = writeln!(
            out,
            "- {} [{}] {:?}\n  {}\n  {}",
            reason.code,
            reason.guard.as_deref().unwrap_or("-"),
            reason.figures,
            reason.message.zh,
            reason.message.en
        );
    }
    out
}

/// The one reason with `code`.
pub fn reason<'r>(rejection: &'r Rejection, code: &str) -> &'r Unmet {
    let matching: Vec<&Unmet> = rejection
        .reasons
        .iter()
        .filter(|reason| reason.code == code)
        .collect();
    match matching.as_slice() {
        [one] => one,
        _ => panic!(
            "one reason '{code}' expected, found {}:\n{}",
            matching.len(),
            explain(rejection)
        ),
    }
}

/// A figure of a reason.
pub fn figure<'u>(reason: &'u Unmet, name: &str) -> &'u serde_json::Value {
    reason
        .figures
        .get(name)
        .unwrap_or_else(|| panic!("no figure '{name}' in {:?}", reason.figures))
}

/// The guard ids a rejection names, in order (`-` for reasons that are not guards).
pub fn guards_named(rejection: &Rejection) -> Vec<&str> {
    rejection
        .reasons
        .iter()
        .map(|reason| reason.guard.as_deref().unwrap_or("-"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenarios: a script of commands, every outcome rendered as a line of an event log.

/// A project driven command by command, keeping its events and a readable log.
pub struct Scenario<'d> {
    definition: &'d WorkflowDefinition,
    state: ProjectState,
    events: Vec<Event>,
    log: String,
    now: DateTime<Utc>,
}

impl<'d> Scenario<'d> {
    /// A scenario with no project yet, under `definition`.
    pub fn new(definition: &'d WorkflowDefinition) -> Scenario<'d> {
        Scenario {
            definition,
            state: ProjectState::new(),
            events: Vec::new(),
            log: String::new(),
            now: at("2025-01-01"),
        }
    }

    /// From now on, commands are issued at the local time `when`.
    pub fn on(&mut self, when: &str) -> &mut Self {
        let next = at(when);
        assert!(next >= self.now, "time runs forwards: {when}");
        self.now = next;
        self
    }

    /// A free comment in the log, to say what the next step is about.
    pub fn note(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.log, "# {text}");
        self
    }

    fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<Event>, Rejection> {
        decide(&self.state, self.definition, command, actor, self.now)
    }

    /// `actor` issues `command`, which must be accepted; its events are applied and logged.
    pub fn ok(&mut self, actor: &Actor, command: Command) -> &mut Self {
        match self.decide(actor, &command) {
            Ok(events) => {
                for event in events {
                    let _ = writeln!(self.log, "{}", event_line(&event, self.definition));
                    self.state.apply(&event);
                    self.events.push(event);
                }
            }
            Err(rejection) => panic!(
                "{} by {} should be accepted in {}, but:\n{}\nlog so far:\n{}",
                command.kind_name(),
                actor.id,
                self.state.stage(),
                explain(&rejection),
                self.log
            ),
        }
        self
    }

    /// `actor` issues `command`, which must be refused; the refusal and every reason are logged.
    pub fn refused(&mut self, actor: &Actor, command: Command) -> &mut Self {
        match self.decide(actor, &command) {
            Ok(events) => panic!(
                "{} by {} should be refused, but gave {events:?}\nlog so far:\n{}",
                command.kind_name(),
                actor.id,
                self.log
            ),
            Err(rejection) => {
                let _ = writeln!(
                    self.log,
                    "{}  {:<28} REFUSED {}",
                    local_time(self.now, self.definition),
                    actor_label(actor),
                    command_label(&command)
                );
                for reason in &rejection.reasons {
                    let guard = reason
                        .guard
                        .as_deref()
                        .map(|guard| format!(" [{guard}]"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        self.log,
                        "      - {}{guard}: {}",
                        reason.code, reason.message.en
                    );
                }
            }
        }
        self
    }

    /// The current stage.
    pub fn stage(&self) -> &str {
        self.state.stage()
    }

    /// The state so far.
    pub fn state(&self) -> &ProjectState {
        &self.state
    }

    /// Every event so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The log so far.
    pub fn log(&self) -> &str {
        &self.log
    }
}

fn local_time(instant: DateTime<Utc>, definition: &WorkflowDefinition) -> String {
    instant
        .with_timezone(&definition.local_utc_offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn actor_label(actor: &Actor) -> String {
    format!("{} ({})", actor.id, actor.role)
}

fn command_label(command: &Command) -> String {
    match command {
        Command::FireAction { action, .. } => format!("fire_action {action}"),
        Command::Cancel { .. } => "cancel".to_string(),
        Command::RecordWaiver(waiver) => {
            format!("record_waiver {}/{}", waiver.action, waiver.guard)
        }
        Command::SignOff { subject } => format!("sign_off {subject}"),
        Command::RecordField { field, .. } => format!("record_field {field}"),
        Command::AttachArtifact(artifact) => format!("attach_artifact {}", artifact.kind),
        other => other.kind_name().to_string(),
    }
}

fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// One line of the event log: local time, actor and role, event type and its key fields.
///
/// The body is read through its JSON form, so that the log shows recorded values (which the
/// engine's summary leaves out) without a match that every new event type would break.
pub fn event_line(event: &Event, definition: &WorkflowDefinition) -> String {
    let value = serde_json::to_value(&event.body).unwrap_or_default();
    let field = |name: &str| text(&value[name]);
    let count = |name: &str| value[name].as_array().map_or(0, Vec::len);
    let details = match event.body.type_name() {
        "project_created" => format!(
            "{} {} ({}) in {}",
            field("code"),
            field("specification_kind"),
            field("definition_id"),
            field("stage")
        ),
        "action_fired" => {
            let mut details = format!("{}: {} -> {}", field("action"), field("from"), field("to"));
            if value.get("reason").is_some() {
                details.push_str(&format!(", reason \"{}\"", field("reason")));
            }
            if count("waived_guards") > 0 {
                details.push_str(&format!(", waived {}", value["waived_guards"]));
            }
            details
        }
        "project_cancelled" => format!(
            "{}: {} -> {}, reason \"{}\"",
            field("action"),
            field("from"),
            field("to"),
            field("reason")
        ),
        "artifact_attached" => format!(
            "{} {} sha256 {}…",
            field("kind"),
            field("file_name"),
            field("sha256").chars().take(12).collect::<String>()
        ),
        "organisations_consulted_recorded" => {
            let names = value["organisations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            format!(
                "{} organisations ({} … {})",
                names.len(),
                names.first().map(text).unwrap_or_default(),
                names.last().map(text).unwrap_or_default()
            )
        }
        "comment_recorded" => format!(
            "{} from {}: {}",
            field("comment_id"),
            field("organisation"),
            field("text")
        ),
        "comment_disposed" => {
            let mut details = format!("{} {}", field("comment_id"), field("disposition"));
            if value.get("reason").is_some() {
                details.push_str(&format!(", reason \"{}\"", field("reason")));
            }
            details
        }
        "meeting_scheduled" => format!(
            "{} on {} ({}) on {}, documents sent {}",
            field("meeting_id"),
            field("motion"),
            field("form"),
            field("meeting_on"),
            field("documents_sent_on")
        ),
        "meeting_recorded" => {
            let votes = value["votes"].as_array().cloned().unwrap_or_default();
            let choices =
                |choice: &str| votes.iter().filter(|vote| vote["choice"] == choice).count();
            let non_voting = match count("non_voting_present") {
                0 => String::new(),
                guests => format!(" and {guests} non-voting"),
            };
            format!(
                "{} on {} ({}) held {}: roll {}, present {}{non_voting}, for {}, against {}, abstain {}",
                field("meeting_id"),
                field("motion"),
                field("form"),
                field("held_on"),
                count("roll"),
                count("present"),
                choices("in_favour"),
                choices("against"),
                choices("abstain")
            )
        }
        "signed_off" => field("subject"),
        "field_recorded" => {
            let recorded = &value["value"];
            let shown = recorded
                .as_object()
                .and_then(|object| object.values().next())
                .map(text)
                .unwrap_or_else(|| text(recorded));
            format!("{} = {shown}", field("field"))
        }
        "publication_recorded" => format!(
            "{}, published {}, effective {}",
            field("specification_number"),
            field("publication_date"),
            field("effective_date")
        ),
        "waiver_recorded" => format!(
            "{}/{} by {}: {}",
            field("action"),
            field("guard"),
            field("authority"),
            field("reason")
        ),
        // Deadline bookkeeping and anything added later: the engine's own one-line summary.
        _ => render::event_summary(&event.body, definition, Language::En),
    };
    format!(
        "{}  {:<28} {:<33} {details}",
        local_time(event.occurred_at, definition),
        actor_label(&event.actor),
        event.body.type_name()
    )
}
