//! A project's state: the fold of its events.
//!
//! [`ProjectState::apply`] only records what an event says; it never checks a rule and cannot
//! fail, so replaying a log always succeeds and always gives the state the live run had.
//! The state keeps what an auditor asks about: every stage visit with its dates, artifacts with
//! their digests, comments and dispositions, meetings and votes, sign-offs, waivers, and who did what.

use crate::command::{
    Actor, Artifact, Comment, Disposition, FieldValue, MeetingRecord, MeetingSchedule, NewProject,
    Publication, Waiver,
};
use crate::event::{Event, EventBody};
use chrono::{DateTime, Utc};
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

/// A disposition as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedDisposition {
    /// The decision.
    pub disposition: Disposition,
    /// Why, if given.
    pub reason: Option<String>,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// By whom.
    pub recorded_by: Actor,
}

/// A comment with its disposition, if it has one yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentEntry {
    /// The comment.
    #[serde(flatten)]
    pub comment: Comment,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The latest disposition.
    pub disposition: Option<RecordedDisposition>,
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
    pub comments: Vec<CommentEntry>,
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
    /// Who last fired each action, for four-eyes guards.
    pub last_actor_of_action: BTreeMap<String, Actor>,
    /// How many events have been applied.
    pub events_applied: u64,
    /// When the last event happened.
    pub last_event_at: Option<DateTime<Utc>>,
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

    fn enter_stage(&mut self, stage: &str, at: DateTime<Utc>, action: &str, actor: &Actor) {
        if let Some(current) = self.visits.last_mut() {
            current.left_at = Some(at);
        }
        self.visits.push(StageVisit {
            stage: stage.to_string(),
            entered_at: at,
            left_at: None,
            entered_by_action: Some(action.to_string()),
            entered_by: actor.clone(),
        });
        self.last_actor_of_action
            .insert(action.to_string(), actor.clone());
    }

    /// Records an event. It checks nothing and cannot fail: the rules were applied by `decide`.
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        let actor = &event.actor;
        let visit = self.current_visit();
        match &event.body {
            EventBody::ProjectCreated { project, stage } => {
                self.project = Some(project.clone());
                self.visits.push(StageVisit {
                    stage: stage.clone(),
                    entered_at: at,
                    left_at: None,
                    entered_by_action: None,
                    entered_by: actor.clone(),
                });
            }
            EventBody::ActionFired { action, to, .. } => self.enter_stage(to, at, action, actor),
            EventBody::ProjectCancelled {
                action, to, reason, ..
            } => {
                self.enter_stage(to, at, action, actor);
                self.cancellation_reason = Some(reason.clone());
            }
            EventBody::ArtifactAttached(artifact) => self.artifacts.push(AttachedArtifact {
                artifact: artifact.clone(),
                attached_at: at,
                attached_by: actor.clone(),
                visit,
            }),
            EventBody::OrganisationsConsultedRecorded { organisations } => {
                self.organisations_consulted
                    .extend(organisations.iter().cloned());
            }
            EventBody::CommentRecorded(comment) => self.comments.push(CommentEntry {
                comment: comment.clone(),
                recorded_at: at,
                disposition: None,
            }),
            EventBody::CommentDisposed {
                comment_id,
                disposition,
                reason,
            } => {
                if let Some(entry) = self
                    .comments
                    .iter_mut()
                    .find(|entry| &entry.comment.comment_id == comment_id)
                {
                    entry.disposition = Some(RecordedDisposition {
                        disposition: *disposition,
                        reason: reason.clone(),
                        recorded_at: at,
                        recorded_by: actor.clone(),
                    });
                }
            }
            EventBody::MeetingScheduled(schedule) => {
                self.scheduled_meetings.push(ScheduledMeeting {
                    schedule: schedule.clone(),
                    visit,
                })
            }
            EventBody::MeetingRecorded(record) => self.meetings.push(HeldMeeting {
                record: record.clone(),
                recorded_by: actor.clone(),
                visit,
            }),
            EventBody::SignedOff { subject } => self.sign_offs.push(SignOffEntry {
                subject: subject.clone(),
                signed_by: actor.clone(),
                signed_at: at,
                visit,
            }),
            EventBody::FieldRecorded { field, value } => {
                self.fields.insert(
                    field.clone(),
                    FieldEntry {
                        value: value.clone(),
                        recorded_at: at,
                        recorded_by: actor.clone(),
                    },
                );
            }
            EventBody::PublicationRecorded(publication) => {
                self.publication = Some(publication.clone());
            }
            EventBody::WaiverRecorded(waiver) => self.waivers.push(WaiverEntry {
                waiver: waiver.clone(),
                recorded_by: actor.clone(),
                recorded_at: at,
                visit,
            }),
        }
        self.events_applied += 1;
        self.last_event_at = Some(at);
    }
}
