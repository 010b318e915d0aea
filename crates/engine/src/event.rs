//! Events: what happened, in the past tense, as recorded in the audit log.
//!
//! Events are the only source of truth: a project's state is a fold of its events
//! ([`crate::ProjectState::apply`]). They are serialised into the audit log and must stay
//! readable for decades, so a variant is never changed in place: a new shape gets a new variant
//! (or a new [`EVENT_SCHEMA_VERSION`] with an upcaster), and old ones keep replaying.

use crate::records::{
    Actor, Artifact, Comment, Disposition, FieldValue, ImportedHistory, MeetingRecord,
    MeetingSchedule, NewProject, Publication, Waiver,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the event shapes written by this build.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// One thing that happened to a project: when, by whom, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The instant it happened (the `now` the command was decided at).
    pub occurred_at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub body: EventBody,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The project was created in the given stage.
    ProjectCreated {
        /// The project as created.
        #[serde(flatten)]
        project: Box<NewProject>,
        /// The stage it started in (for an imported project, the stage it had reached).
        stage: String,
        /// The history brought in with it, when it was imported rather than proposed here; left
        /// out of records written otherwise, so that they read and hash as they always did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        imported: Option<Box<ImportedHistory>>,
    },
    /// An action was fired and the project moved from one stage to another.
    ActionFired {
        /// The action.
        action: String,
        /// The stage left.
        from: String,
        /// The stage entered.
        to: String,
        /// The reason given, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The guards that did not hold but were waived by a recorded waiver.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waived_guards: Vec<String>,
    },
    /// The project was cancelled before publication.
    ProjectCancelled {
        /// The cancelling action.
        action: String,
        /// The stage left.
        from: String,
        /// The terminal stage entered.
        to: String,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// An artifact was attached.
    ArtifactAttached(Artifact),
    /// Organisations were recorded as consulted (only those not recorded before).
    OrganisationsConsultedRecorded {
        /// The organisations newly recorded.
        organisations: Vec<String>,
    },
    /// A comment was recorded.
    CommentRecorded(Comment),
    /// A comment's disposition was recorded.
    CommentDisposed {
        /// The comment.
        comment_id: String,
        /// The decision.
        disposition: Disposition,
        /// Why, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A meeting was scheduled.
    MeetingScheduled(MeetingSchedule),
    /// A meeting was held and its votes recorded.
    MeetingRecorded(Box<MeetingRecord>),
    /// Something was signed off by the actor, in the actor's role.
    SignedOff {
        /// What was signed off.
        subject: String,
    },
    /// A field was recorded.
    FieldRecorded {
        /// The field.
        field: String,
        /// Its value.
        value: FieldValue,
    },
    /// The bureau published the specification.
    PublicationRecorded(Publication),
    /// A waiver of a guard was recorded.
    WaiverRecorded(Waiver),
    /// The plan was fixed: planned dates for deadlines.
    PlanFixed {
        /// The planned date of each deadline.
        due_dates: BTreeMap<String, NaiveDate>,
    },
    /// A deadline started running.
    DeadlineSet {
        /// The deadline's id.
        deadline: String,
        /// The local date it started.
        started_on: NaiveDate,
        /// When it falls due, or `None` when it cannot be computed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        times: Option<DeadlineTimes>,
        /// The planned date, when the plan set one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        planned_due_on: Option<NaiveDate>,
        /// Why the date cannot be computed, when it cannot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// A running deadline ended: met, or dropped because the project ended.
    DeadlineClosed {
        /// The deadline's id.
        deadline: String,
        /// How it ended.
        outcome: DeadlineOutcome,
        /// Days past the due date, when met late.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        days_late: Option<i64>,
    },
    /// The warning before a deadline went out.
    DeadlineWarningGiven {
        /// The deadline's id.
        deadline: String,
        /// Its due date.
        due_on: NaiveDate,
        /// When the warning fell due (the event's own instant is when it was noticed).
        fell_due_at: DateTime<Utc>,
    },
    /// A deadline passed without being met: the project is overdue.
    DeadlineMissed {
        /// The deadline's id.
        deadline: String,
        /// Its due date.
        due_on: NaiveDate,
        /// When it fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// An overdue project was escalated to the bureau after the grace period.
    ProjectEscalated {
        /// The deadline's id.
        deadline: String,
        /// Its due date.
        due_on: NaiveDate,
        /// When escalation fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// An overdue project was frozen: no action but extension or cancellation until the freeze is lifted.
    ProjectFrozen {
        /// The deadline's id.
        deadline: String,
        /// When the freeze fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// The freeze was lifted.
    FreezeLifted {
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// An extension was asked for.
    ExtensionRequested {
        /// The request's id.
        request_id: String,
        /// The deadline.
        deadline: String,
        /// The due date at the time of the request.
        current_due_on: NaiveDate,
        /// The date asked for.
        requested_due_on: NaiveDate,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// An extension was granted and the deadline moved.
    ExtensionGranted {
        /// The request's id.
        request_id: String,
        /// The deadline.
        deadline: String,
        /// The new times.
        times: DeadlineTimes,
        /// The grounds.
        reason: String,
    },
    /// An extension was refused.
    ExtensionRefused {
        /// The request's id.
        request_id: String,
        /// The deadline.
        deadline: String,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// The next re-examination was scheduled.
    ReexaminationScheduled {
        /// The stage it applies to (the specification in force).
        stage: String,
        /// The local date the interval is counted from.
        counted_from: NaiveDate,
        /// When it falls due.
        times: DeadlineTimes,
    },
    /// The warning before a re-examination went out.
    ReexaminationWarningGiven {
        /// Its due date.
        due_on: NaiveDate,
        /// When the warning fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// A re-examination fell due.
    ReexaminationFellDue {
        /// Its due date.
        due_on: NaiveDate,
        /// When it fell due.
        fell_due_at: DateTime<Utc>,
    },
    /// The project moved to a newer version of its definition.
    DefinitionMigrated {
        /// The version left.
        from_version: u32,
        /// The version now followed.
        to_version: u32,
    },
}

/// How a running deadline ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineOutcome {
    /// The project reached the stage that meets it.
    Met,
    /// The project ended (cancelled, withdrawn) before meeting it.
    ProjectEnded,
}

/// The instants at which a deadline's warning, due date and escalation fall.
///
/// A deadline "on" a local day ends at the end of that day, so `due_at` is the start of the next
/// local day; a warning goes out at the start of its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeadlineTimes {
    /// The local due date.
    pub due_on: NaiveDate,
    /// When the warning falls due, if the rule has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
    /// When the deadline is missed: the end of the due date.
    pub due_at: DateTime<Utc>,
    /// When an overdue project is escalated, if the rule escalates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_at: Option<DateTime<Utc>>,
}

/// Every event type name, as [`EventBody::type_name`] gives them; a definition's notification
/// rules name these.
pub const EVENT_TYPES: [&str; 28] = [
    "project_created",
    "action_fired",
    "project_cancelled",
    "artifact_attached",
    "organisations_consulted_recorded",
    "comment_recorded",
    "comment_disposed",
    "meeting_scheduled",
    "meeting_recorded",
    "signed_off",
    "field_recorded",
    "publication_recorded",
    "waiver_recorded",
    "plan_fixed",
    "deadline_set",
    "deadline_closed",
    "deadline_warning_given",
    "deadline_missed",
    "project_escalated",
    "project_frozen",
    "freeze_lifted",
    "extension_requested",
    "extension_granted",
    "extension_refused",
    "reexamination_scheduled",
    "reexamination_warning_given",
    "reexamination_fell_due",
    "definition_migrated",
];

impl EventBody {
    /// When a deadline event fell due; its record's own instant is when it was noticed.
    pub fn fell_due_at(&self) -> Option<DateTime<Utc>> {
        match self {
            EventBody::DeadlineWarningGiven { fell_due_at, .. }
            | EventBody::DeadlineMissed { fell_due_at, .. }
            | EventBody::ProjectEscalated { fell_due_at, .. }
            | EventBody::ProjectFrozen { fell_due_at, .. }
            | EventBody::ReexaminationWarningGiven { fell_due_at, .. }
            | EventBody::ReexaminationFellDue { fell_due_at, .. } => Some(*fell_due_at),
            _ => None,
        }
    }

    /// The event's type name as stored in the audit log.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::ProjectCreated { .. } => "project_created",
            EventBody::ActionFired { .. } => "action_fired",
            EventBody::ProjectCancelled { .. } => "project_cancelled",
            EventBody::ArtifactAttached(_) => "artifact_attached",
            EventBody::OrganisationsConsultedRecorded { .. } => "organisations_consulted_recorded",
            EventBody::CommentRecorded(_) => "comment_recorded",
            EventBody::CommentDisposed { .. } => "comment_disposed",
            EventBody::MeetingScheduled(_) => "meeting_scheduled",
            EventBody::MeetingRecorded(_) => "meeting_recorded",
            EventBody::SignedOff { .. } => "signed_off",
            EventBody::FieldRecorded { .. } => "field_recorded",
            EventBody::PublicationRecorded(_) => "publication_recorded",
            EventBody::WaiverRecorded(_) => "waiver_recorded",
            EventBody::PlanFixed { .. } => "plan_fixed",
            EventBody::DeadlineSet { .. } => "deadline_set",
            EventBody::DeadlineClosed { .. } => "deadline_closed",
            EventBody::DeadlineWarningGiven { .. } => "deadline_warning_given",
            EventBody::DeadlineMissed { .. } => "deadline_missed",
            EventBody::ProjectEscalated { .. } => "project_escalated",
            EventBody::ProjectFrozen { .. } => "project_frozen",
            EventBody::FreezeLifted { .. } => "freeze_lifted",
            EventBody::ExtensionRequested { .. } => "extension_requested",
            EventBody::ExtensionGranted { .. } => "extension_granted",
            EventBody::ExtensionRefused { .. } => "extension_refused",
            EventBody::ReexaminationScheduled { .. } => "reexamination_scheduled",
            EventBody::ReexaminationWarningGiven { .. } => "reexamination_warning_given",
            EventBody::ReexaminationFellDue { .. } => "reexamination_fell_due",
            EventBody::DefinitionMigrated { .. } => "definition_migrated",
        }
    }
}
