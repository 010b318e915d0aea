//! Events: what happened, in the past tense, as recorded in the audit log.
//!
//! Events are the only source of truth: a project's state is a fold of its events
//! ([`crate::ProjectState::apply`]). They are serialised into the audit log and must stay
//! readable for decades, so a variant is never changed in place: a new shape gets a new variant
//! (or a new [`EVENT_SCHEMA_VERSION`] with an upcaster), and old ones keep replaying.

use crate::command::{
    Actor, Artifact, Comment, Disposition, FieldValue, MeetingRecord, MeetingSchedule, NewProject,
    Publication, Waiver,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The project was created in the given stage.
    ProjectCreated {
        /// The project as created.
        #[serde(flatten)]
        project: NewProject,
        /// The stage it started in.
        stage: String,
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
        /// Why.
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
    MeetingRecorded(MeetingRecord),
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
}

impl EventBody {
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
        }
    }
}
