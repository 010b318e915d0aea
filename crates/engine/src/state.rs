//! A project's state: the fold of its events.
//!
//! [`ProjectState::apply`] only records what an event says; it never checks a rule and cannot
//! fail, so replaying a log always succeeds and always gives the state the live run had.
//! The state keeps what an auditor asks about: every stage visit with its dates, artifacts with
//! their digests, comments and dispositions, meetings and votes, sign-offs, waivers, and who did what.
//! What no rule reads and a long project has thousands of, such as the text of each comment, stays
//! in the events alone (see [`crate::comments::CommentEntry`]).

pub use crate::comments::{CommentEntry, Comments, RecordedDisposition};
use crate::event::{DeadlineOutcome, DeadlineTimes};
use crate::event::{Event, EventBody};
use crate::records::{
    Actor, Artifact, Comment, FieldValue, ImportedHistory, MeetingRecord, MeetingSchedule,
    NewProject, Publication, Waiver,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One stay of the project in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageVisit {
    /// The stage.
    pub stage: String,
    /// When the project entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left, if it has.
    pub left_at: Option<DateTime<Utc>>,
    /// The action that led here; `None` for the initial stage.
    pub entered_by_action: Option<String>,
    /// Who fired that action (or created the project).
    pub entered_by: Actor,
}

/// An artifact as attached, with when, by whom and in which stage visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachedArtifact {
    /// The artifact.
    #[serde(flatten)]
    pub artifact: Artifact,
    /// When.
    pub attached_at: DateTime<Utc>,
    /// By whom.
    pub attached_by: Actor,
    /// The index of the stage visit it was attached in.
    pub visit: usize,
}

/// A scheduled meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledMeeting {
    /// The schedule.
    #[serde(flatten)]
    pub schedule: MeetingSchedule,
    /// The index of the stage visit it was scheduled in.
    pub visit: usize,
}

/// A meeting held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldMeeting {
    /// The record, with roll and votes.
    #[serde(flatten)]
    pub record: MeetingRecord,
    /// Who recorded it.
    pub recorded_by: Actor,
    /// The index of the stage visit it was held in.
    pub visit: usize,
}

/// A sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOffEntry {
    /// What was signed off.
    pub subject: String,
    /// By whom, in which role.
    pub signed_by: Actor,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The index of the stage visit it was given in.
    pub visit: usize,
}

/// A recorded field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldEntry {
    /// The value.
    pub value: FieldValue,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// By whom.
    pub recorded_by: Actor,
}

/// A waiver as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverEntry {
    /// The waiver.
    #[serde(flatten)]
    pub waiver: Waiver,
    /// Who recorded it.
    pub recorded_by: Actor,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The index of the stage visit it holds for.
    pub visit: usize,
}

/// A deadline as it runs: planned and actual dates, extensions, and which alarms have gone out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineEntry {
    /// The deadline's id in the definition.
    pub deadline: String,
    /// The local date it started.
    pub started_on: NaiveDate,
    /// The due date first set, before any extension.
    pub original_due_on: Option<NaiveDate>,
    /// The planned date from the plan, if any.
    pub planned_due_on: Option<NaiveDate>,
    /// The current times; `None` when the date cannot be computed.
    pub times: Option<DeadlineTimes>,
    /// Why the date cannot be computed, when it cannot.
    pub problem: Option<String>,
    /// Whether the warning for the current due date went out.
    pub warned: bool,
    /// Whether the current due date was missed.
    pub missed: bool,
    /// Whether the project was escalated for the current due date.
    pub escalated: bool,
    /// How many extensions were granted.
    pub extensions_granted: u32,
    /// How it ended, and when, once it has.
    pub closed: Option<(DeadlineOutcome, DateTime<Utc>)>,
    /// Days past the due date when it was met late.
    pub days_late: Option<i64>,
}

impl DeadlineEntry {
    /// Whether it is still running.
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// An extension request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionRequestEntry {
    /// The request's id.
    pub request_id: String,
    /// The deadline.
    pub deadline: String,
    /// The due date when asked.
    pub current_due_on: NaiveDate,
    /// The date asked for.
    pub requested_due_on: NaiveDate,
    /// The reason given, in words, as the log records it.
    pub reason: String,
    /// Who asked.
    pub requested_by: Actor,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The decision: granted or not, by whom, when, why.
    pub decision: Option<ExtensionDecision>,
}

/// The decision on an extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionDecision {
    /// Whether it was granted.
    pub granted: bool,
    /// Who decided.
    pub decided_by: Actor,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// The grounds.
    pub reason: String,
}

/// The freeze of an overdue project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreezeEntry {
    /// The deadline whose escalation froze it.
    pub deadline: String,
    /// When the freeze fell due.
    pub since: DateTime<Utc>,
}

/// The next periodic re-examination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReexaminationEntry {
    /// The stage it watches (the specification in force).
    pub stage: String,
    /// The date the interval is counted from.
    pub counted_from: NaiveDate,
    /// When it falls due.
    pub times: DeadlineTimes,
    /// Whether the warning went out.
    pub warned: bool,
    /// Whether it fell due.
    pub fell_due: bool,
    /// Whether the project left the stage since (the re-examination was opened).
    pub settled: bool,
}

/// The state of one project, as of the last event applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ProjectState {
    /// The project's identity; `None` until it is created.
    pub project: Option<NewProject>,
    /// Every stage visit, oldest first; the last is the current stage.
    pub visits: Vec<StageVisit>,
    /// Artifacts attached, oldest first.
    pub artifacts: Vec<AttachedArtifact>,
    /// Organisations the consultation reached.
    pub organisations_consulted: BTreeSet<String>,
    /// Comments, in the order recorded.
    pub comments: Comments,
    /// Meetings scheduled.
    pub scheduled_meetings: Vec<ScheduledMeeting>,
    /// Meetings held.
    pub meetings: Vec<HeldMeeting>,
    /// Sign-offs given.
    pub sign_offs: Vec<SignOffEntry>,
    /// Fields recorded, latest value each.
    pub fields: BTreeMap<String, FieldEntry>,
    /// The publication, once recorded.
    pub publication: Option<Publication>,
    /// Waivers recorded.
    pub waivers: Vec<WaiverEntry>,
    /// The reason the project was cancelled, if it was.
    pub cancellation_reason: Option<String>,
    /// The plan's dates, by deadline id, once fixed.
    pub plan: BTreeMap<String, NaiveDate>,
    /// Every deadline started, oldest first.
    pub deadlines: Vec<DeadlineEntry>,
    /// Extension requests, oldest first.
    pub extension_requests: Vec<ExtensionRequestEntry>,
    /// The freeze, while the project is frozen.
    pub frozen: Option<FreezeEntry>,
    /// The next re-examination, once the specification is in force.
    pub reexamination: Option<ReexaminationEntry>,
    /// How many re-examinations have fallen due.
    pub reexaminations_due: u32,
    /// Who last fired each action, for four-eyes guards.
    pub last_actor_of_action: BTreeMap<String, Actor>,
    /// How many events have been applied.
    pub events_applied: u64,
    /// When the last event happened.
    pub last_event_at: Option<DateTime<Utc>>,
}

/// A value the fold keeps: moved out of an owned event, or copied from a borrowed one.
trait Keep<T> {
    fn keep(self) -> T;
}

impl<T> Keep<T> for T {
    fn keep(self) -> T {
        self
    }
}

impl<T: Clone> Keep<T> for &T {
    fn keep(self) -> T {
        self.clone()
    }
}

/// A value the fold keeps from a box in the event (the event's rarest large parts are boxed, so
/// that every event is small): moved out of an owned box, or copied from a borrowed one.
trait Unbox<T> {
    fn unbox(self) -> T;
}

impl<T> Unbox<T> for Box<T> {
    fn unbox(self) -> T {
        *self
    }
}

impl<T: Clone> Unbox<T> for &Box<T> {
    fn unbox(self) -> T {
        T::clone(self)
    }
}

/// The fold of one event body into the state, written once for `apply` (a borrowed body, whose
/// kept parts are copied) and `apply_owned` (an owned one, whose kept parts are moved): every
/// value the state keeps goes through `Keep::keep`, and everything else is only looked at.
macro_rules! fold_event {
    ($state:ident, $body:expr, $at:ident, $actor:ident, $visit:ident) => {
        match $body {
            EventBody::ProjectCreated {
                project,
                stage,
                imported,
            } => {
                $state.project = Some(project.unbox());
                let imported = imported.as_ref();
                match imported {
                    Some(history) if !history.milestones.is_empty() => {
                        $state.enter_imported(history, $actor.keep())
                    }
                    _ => $state.visits.push(StageVisit {
                        stage: stage.keep(),
                        entered_at: $at,
                        left_at: None,
                        entered_by_action: None,
                        entered_by: $actor.keep(),
                    }),
                }
                if let Some(history) = imported {
                    $state.publication = history.publication.clone();
                }
            }
            EventBody::ActionFired { action, to, .. } => {
                $state.enter_stage(to.keep(), $at, action.keep(), $actor.keep())
            }
            EventBody::ProjectCancelled {
                action, to, reason, ..
            } => {
                $state.enter_stage(to.keep(), $at, action.keep(), $actor.keep());
                $state.cancellation_reason = Some(reason.keep());
            }
            EventBody::ArtifactAttached(artifact) => $state.artifacts.push(AttachedArtifact {
                artifact: artifact.keep(),
                attached_at: $at,
                attached_by: $actor.keep(),
                visit: $visit,
            }),
            EventBody::OrganisationsConsultedRecorded { organisations } => {
                let organisations: Vec<String> = organisations.keep();
                $state.organisations_consulted.extend(organisations);
            }
            EventBody::CommentRecorded(Comment {
                comment_id,
                organisation,
                clause,
                text: _,
            }) => {
                // The text is not kept: it stays in the event (see `CommentEntry`).
                $state
                    .comments
                    .record(&comment_id, &organisation, clause.as_deref(), $at)
            }
            EventBody::CommentDisposed {
                comment_id,
                disposition,
                ..
            } => $state.comments.dispose(
                &comment_id,
                RecordedDisposition {
                    disposition: disposition.keep(),
                    recorded_at: $at,
                },
            ),
            EventBody::MeetingScheduled(schedule) => {
                $state.scheduled_meetings.push(ScheduledMeeting {
                    schedule: schedule.keep(),
                    visit: $visit,
                })
            }
            EventBody::MeetingRecorded(record) => $state.meetings.push(HeldMeeting {
                record: record.unbox(),
                recorded_by: $actor.keep(),
                visit: $visit,
            }),
            EventBody::SignedOff { subject } => $state.sign_offs.push(SignOffEntry {
                subject: subject.keep(),
                signed_by: $actor.keep(),
                signed_at: $at,
                visit: $visit,
            }),
            EventBody::FieldRecorded { field, value } => {
                $state.fields.insert(
                    field.keep(),
                    FieldEntry {
                        value: value.keep(),
                        recorded_at: $at,
                        recorded_by: $actor.keep(),
                    },
                );
            }
            EventBody::PublicationRecorded(publication) => {
                $state.publication = Some(publication.keep());
            }
            EventBody::WaiverRecorded(waiver) => $state.waivers.push(WaiverEntry {
                waiver: waiver.keep(),
                recorded_by: $actor.keep(),
                recorded_at: $at,
                visit: $visit,
            }),
            EventBody::PlanFixed { due_dates } => {
                $state.plan = due_dates.keep();
            }
            EventBody::DeadlineSet {
                deadline,
                started_on,
                times,
                planned_due_on,
                problem,
            } => {
                let times: Option<DeadlineTimes> = times.keep();
                $state.deadlines.push(DeadlineEntry {
                    deadline: deadline.keep(),
                    started_on: started_on.keep(),
                    original_due_on: times.as_ref().map(|times| times.due_on),
                    planned_due_on: planned_due_on.keep(),
                    times,
                    problem: problem.keep(),
                    warned: false,
                    missed: false,
                    escalated: false,
                    extensions_granted: 0,
                    closed: None,
                    days_late: None,
                })
            }
            EventBody::DeadlineClosed {
                deadline,
                outcome,
                days_late,
            } => {
                if let Some(entry) = $state.open_deadline_mut(&deadline) {
                    entry.closed = Some((outcome.keep(), $at));
                    entry.days_late = days_late.keep();
                }
            }
            EventBody::DeadlineWarningGiven { deadline, .. } => {
                if let Some(entry) = $state.open_deadline_mut(&deadline) {
                    entry.warned = true;
                }
            }
            EventBody::DeadlineMissed { deadline, .. } => {
                if let Some(entry) = $state.open_deadline_mut(&deadline) {
                    entry.missed = true;
                }
            }
            EventBody::ProjectEscalated { deadline, .. } => {
                if let Some(entry) = $state.open_deadline_mut(&deadline) {
                    entry.escalated = true;
                }
            }
            EventBody::ProjectFrozen {
                deadline,
                fell_due_at,
            } => {
                $state.frozen = Some(FreezeEntry {
                    deadline: deadline.keep(),
                    since: fell_due_at.keep(),
                });
            }
            EventBody::FreezeLifted { .. } => $state.frozen = None,
            EventBody::ExtensionRequested {
                request_id,
                deadline,
                current_due_on,
                requested_due_on,
                reason,
            } => $state.extension_requests.push(ExtensionRequestEntry {
                request_id: request_id.keep(),
                deadline: deadline.keep(),
                current_due_on: current_due_on.keep(),
                requested_due_on: requested_due_on.keep(),
                reason: reason.keep(),
                requested_by: $actor.keep(),
                requested_at: $at,
                decision: None,
            }),
            EventBody::ExtensionGranted {
                request_id,
                deadline,
                times,
                reason,
            } => {
                $state.decide_request(&request_id, true, $actor.keep(), $at, reason.keep());
                if let Some(entry) = $state.open_deadline_mut(&deadline) {
                    entry.times = Some(times.keep());
                    entry.warned = false;
                    entry.missed = false;
                    entry.escalated = false;
                    entry.extensions_granted += 1;
                }
            }
            EventBody::ExtensionRefused {
                request_id, reason, ..
            } => $state.decide_request(&request_id, false, $actor.keep(), $at, reason.keep()),
            EventBody::ReexaminationScheduled {
                stage,
                counted_from,
                times,
            } => {
                $state.reexamination = Some(ReexaminationEntry {
                    stage: stage.keep(),
                    counted_from: counted_from.keep(),
                    times: times.keep(),
                    warned: false,
                    fell_due: false,
                    settled: false,
                });
            }
            EventBody::ReexaminationWarningGiven { .. } => {
                if let Some(reexamination) = &mut $state.reexamination {
                    reexamination.warned = true;
                }
            }
            EventBody::ReexaminationFellDue { .. } => {
                if let Some(reexamination) = &mut $state.reexamination {
                    reexamination.fell_due = true;
                }
                $state.reexaminations_due += 1;
            }
            EventBody::DefinitionMigrated { to_version, .. } => {
                if let Some(project) = &mut $state.project {
                    project.definition_version = to_version.keep();
                }
            }
        }
    };
}

impl ProjectState {
    /// The state before any event: no project.
    pub fn new() -> ProjectState {
        ProjectState::default()
    }

    /// Replays events from the beginning.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> ProjectState {
        let mut state = ProjectState::new();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// The current stage's code; empty before the project is created.
    pub fn stage(&self) -> &str {
        self.visits.last().map_or("", |visit| visit.stage.as_str())
    }

    /// The index of the current stage visit.
    pub fn current_visit(&self) -> usize {
        self.visits.len().saturating_sub(1)
    }

    /// When the project entered its current stage.
    pub fn stage_entered_at(&self) -> Option<DateTime<Utc>> {
        self.visits.last().map(|visit| visit.entered_at)
    }

    /// The specification kind, or an empty text before creation.
    pub fn specification_kind(&self) -> &str {
        self.project
            .as_ref()
            .map_or("", |project| project.specification_kind.as_str())
    }

    /// Whether the project was given the flag `flag` at its creation.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.project
            .as_ref()
            .is_some_and(|project| project.flags.contains(flag))
    }

    /// Whether an artifact of `kind` is attached.
    pub fn has_artifact(&self, kind: &str) -> bool {
        self.artifacts
            .iter()
            .any(|attached| attached.artifact.kind == kind)
    }

    /// The latest meeting on `motion` held in the current stage visit.
    pub fn latest_meeting_in_current_visit(&self, motion: &str) -> Option<&HeldMeeting> {
        let visit = self.current_visit();
        self.meetings
            .iter()
            .rev()
            .find(|meeting| meeting.visit == visit && meeting.record.motion == motion)
    }

    /// The latest meeting scheduled on `motion`, in any stage visit.
    pub fn latest_scheduled_meeting(&self, motion: &str) -> Option<&ScheduledMeeting> {
        self.scheduled_meetings
            .iter()
            .rev()
            .find(|meeting| meeting.schedule.motion == motion)
    }

    /// When the project last entered `stage`.
    pub fn last_entered(&self, stage: &str) -> Option<DateTime<Utc>> {
        self.visits
            .iter()
            .rev()
            .find(|visit| visit.stage == stage)
            .map(|visit| visit.entered_at)
    }

    /// Whether a comment with this id is recorded.
    pub fn has_comment(&self, comment_id: &str) -> bool {
        self.comments.contains(comment_id)
    }

    /// The running deadline with id `deadline`, if any.
    pub fn open_deadline(&self, deadline: &str) -> Option<&DeadlineEntry> {
        self.deadlines
            .iter()
            .rev()
            .find(|entry| entry.deadline == deadline && entry.is_open())
    }

    fn open_deadline_mut(&mut self, deadline: &str) -> Option<&mut DeadlineEntry> {
        self.deadlines
            .iter_mut()
            .rev()
            .find(|entry| entry.deadline == deadline && entry.is_open())
    }

    /// Whether any running deadline has been missed.
    pub fn is_overdue(&self) -> bool {
        self.deadlines
            .iter()
            .any(|entry| entry.is_open() && entry.missed)
    }

    /// The stays an imported history tells of: each milestone's stage from the start of its date
    /// until the next one's, the last one current; the initial stage from the creation when the
    /// history reached none (the caller makes that stay, as for any creation).
    fn enter_imported(&mut self, history: &ImportedHistory, actor: Actor) {
        for milestone in &history.milestones {
            if let Some(current) = self.visits.last_mut() {
                current.left_at = Some(milestone.entered_at);
            }
            self.visits.push(StageVisit {
                stage: milestone.stage.clone(),
                entered_at: milestone.entered_at,
                left_at: None,
                entered_by_action: None,
                entered_by: actor.clone(),
            });
        }
    }

    fn enter_stage(&mut self, stage: String, at: DateTime<Utc>, action: String, actor: Actor) {
        if let Some(current) = self.visits.last_mut() {
            current.left_at = Some(at);
            if let Some(reexamination) = &mut self.reexamination
                && reexamination.stage == current.stage
            {
                reexamination.settled = true;
            }
        }
        // Replacing the value keeps the key already there, as `insert` would, without copying the action.
        match self.last_actor_of_action.get_mut(&action) {
            Some(last) => *last = actor.clone(),
            None => {
                self.last_actor_of_action
                    .insert(action.clone(), actor.clone());
            }
        }
        self.visits.push(StageVisit {
            stage,
            entered_at: at,
            left_at: None,
            entered_by_action: Some(action),
            entered_by: actor,
        });
    }

    fn decide_request(
        &mut self,
        request_id: &str,
        granted: bool,
        actor: Actor,
        at: DateTime<Utc>,
        reason: String,
    ) {
        if let Some(request) = self
            .extension_requests
            .iter_mut()
            .find(|request| request.request_id == request_id)
        {
            request.decision = Some(ExtensionDecision {
                granted,
                decided_by: actor,
                decided_at: at,
                reason,
            });
        }
    }

    /// Whether `event` could have happened in this state: the structural checks an auditor's
    /// replay makes without the definition (a stage change starts from the current stage, a
    /// disposition names a recorded comment, an alarm names a running deadline…).
    pub fn check_applicable(&self, event: &EventBody) -> Result<(), String> {
        if self.project.is_none() {
            return match event {
                EventBody::ProjectCreated { .. } => Ok(()),
                other => Err(format!(
                    "a {} event before the project was created",
                    other.type_name()
                )),
            };
        }
        let stage = self.stage();
        let running = |deadline: &str| {
            if self.open_deadline(deadline).is_some() {
                Ok(())
            } else {
                Err(format!("no deadline '{deadline}' is running"))
            }
        };
        match event {
            EventBody::ProjectCreated { .. } => Err("the project was created twice".to_string()),
            EventBody::ActionFired { from, action, .. }
            | EventBody::ProjectCancelled { from, action, .. } => {
                if from == stage {
                    Ok(())
                } else {
                    Err(format!(
                        "'{action}' left stage '{from}', but the project was in '{stage}'"
                    ))
                }
            }
            EventBody::CommentRecorded(comment) if self.has_comment(&comment.comment_id) => Err(
                format!("comment '{}' was recorded twice", comment.comment_id),
            ),
            EventBody::CommentDisposed { comment_id, .. } => {
                if self.has_comment(comment_id) {
                    Ok(())
                } else {
                    Err(format!(
                        "a disposition of comment '{comment_id}', which was never recorded"
                    ))
                }
            }
            EventBody::DeadlineClosed { deadline, .. }
            | EventBody::DeadlineWarningGiven { deadline, .. }
            | EventBody::DeadlineMissed { deadline, .. }
            | EventBody::ProjectEscalated { deadline, .. }
            | EventBody::ExtensionGranted { deadline, .. } => running(deadline),
            EventBody::ExtensionRefused { request_id, .. } => {
                if self
                    .extension_requests
                    .iter()
                    .rev()
                    .any(|request| &request.request_id == request_id && request.decision.is_none())
                {
                    Ok(())
                } else {
                    Err(format!(
                        "a decision on extension request '{request_id}', which is not pending"
                    ))
                }
            }
            EventBody::FreezeLifted { .. } if self.frozen.is_none() => {
                Err("a freeze was lifted, but the project was not frozen".to_string())
            }
            EventBody::ReexaminationWarningGiven { .. }
            | EventBody::ReexaminationFellDue { .. }
                if self.reexamination.is_none() =>
            {
                Err("a re-examination fell due, but none was scheduled".to_string())
            }
            EventBody::DefinitionMigrated { from_version, .. } => match &self.project {
                Some(project) if project.definition_version == *from_version => Ok(()),
                _ => Err(format!(
                    "a migration from version {from_version}, which the project did not follow"
                )),
            },
            _ => Ok(()),
        }
    }

    /// Records an event. It checks nothing and cannot fail: the rules were applied by `decide`.
    /// It copies only what the state keeps, so a replay of events held elsewhere (a cached log,
    /// the writer's freshly sealed records) neither copies nor frees the rest.
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        let actor = &event.actor;
        let visit = self.current_visit();
        fold_event!(self, &event.body, at, actor, visit);
        self.events_applied += 1;
        self.last_event_at = Some(at);
    }

    /// Records an event it may take apart, so that a replay of parsed records copies nothing.
    /// The same fold as `apply` (one macro writes both): moving what the state keeps instead of
    /// copying it.
    pub fn apply_owned(&mut self, event: Event) {
        let at = event.occurred_at;
        let actor = event.actor;
        let visit = self.current_visit();
        fold_event!(self, event.body, at, actor, visit);
        self.events_applied += 1;
        self.last_event_at = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Disposition;
    use chrono::TimeZone;

    fn event(minute: i64, body: EventBody) -> Event {
        let start = Utc
            .with_ymd_and_hms(2026, 6, 1, 1, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("a valid instant"));
        Event {
            occurred_at: start + chrono::Duration::minutes(minute),
            actor: Actor::new("sec-wang", "secretariat"),
            body,
        }
    }

    fn comment(comment_id: &str, organisation: &str) -> EventBody {
        EventBody::CommentRecorded(Comment {
            comment_id: comment_id.to_string(),
            organisation: organisation.to_string(),
            clause: Some("4.2".to_string()),
            text: "检定周期建议由1年延长至2年。".to_string(),
        })
    }

    fn disposal(comment_id: &str, disposition: Disposition) -> EventBody {
        EventBody::CommentDisposed {
            comment_id: comment_id.to_string(),
            disposition,
            reason: Some("与现行国家规程保持一致。".to_string()),
        }
    }

    #[test]
    fn dispositions_find_their_comments_after_the_index_has_grown() {
        let organisations = ["单位甲", "单位乙", "单位丙"];
        let mut events: Vec<Event> = (0..5000)
            .map(|index| {
                let organisation = organisations[index % organisations.len()];
                event(index as i64, comment(&format!("C{index}"), organisation))
            })
            .collect();
        events.extend((0..5000).step_by(7).map(|index| {
            event(
                10_000 + index as i64,
                disposal(&format!("C{index}"), Disposition::NotAccepted),
            )
        }));
        events.push(event(20_000, disposal("C5000", Disposition::Accepted)));
        let state = ProjectState::replay(&events);

        assert_eq!(state.comments.len(), 5000);
        for (index, entry) in state.comments.iter().enumerate() {
            assert_eq!(entry.comment_id, format!("C{index}"));
            assert_eq!(entry.disposition.is_some(), index % 7 == 0, "C{index}");
            assert!(state.has_comment(entry.comment_id));
        }
        assert!(
            !state.has_comment("C5000"),
            "a disposition records no comment"
        );
        assert_eq!(
            state.comments.get(7).map(|entry| entry.disposition),
            Some(Some(RecordedDisposition {
                disposition: Disposition::NotAccepted,
                recorded_at: events[5001].occurred_at,
            }))
        );
        assert_eq!(
            state.comments.find("C3").map(|entry| entry.organisation),
            Some("单位甲")
        );
        // One text per organisation, shared by its comments.
        assert_eq!(state.comments.organisation_count(), organisations.len());
        assert_eq!(state.clone(), state);
    }

    #[test]
    fn a_repeated_comment_id_leaves_the_first_comment_in_place() {
        let events = [
            event(0, comment("C1", "单位甲")),
            event(1, comment("C1", "单位乙")),
            event(2, disposal("C1", Disposition::Accepted)),
        ];
        let state = ProjectState::replay(&events);
        assert_eq!(state.comments.len(), 2);
        let entries: Vec<_> = state.comments.iter().collect();
        assert_eq!(entries[0].organisation, "单位甲");
        assert_eq!(entries[1].organisation, "单位乙");
        assert!(entries[0].disposition.is_some());
        assert!(entries[1].disposition.is_none());
        assert_eq!(state.comments.find("C1"), Some(entries[0]));
    }
}
