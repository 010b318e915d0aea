//! Commands: what people ask the engine to do.
//!
//! A command is a request that may be refused; [`crate::decide`] turns it into events or a
//! [`crate::Rejection`]. The records shared with events (who acts, an artifact, a comment, a
//! meeting) live in [`crate::records`], since an accepted command records them as given; they are
//! re-exported here, where callers have always found them.

pub use crate::records::{
    Actor, Artifact, Comment, Disposition, FieldValue, ImportSource, ImportedHistory,
    MeetingRecord, MeetingSchedule, Milestone, NewProject, NonVotingParticipant, Publication,
    Tally, Vote, VoteChoice, Waiver,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A request to the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Create a project in the definition's initial stage.
    CreateProject(NewProject),
    /// Create a project with the history it had before it was recorded here, read from a file.
    ImportProject(Box<ImportProject>),
    /// Fire an action from the current stage.
    FireAction {
        /// The action's code.
        action: String,
        /// A reason in words, where the transition asks for one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Attach an artifact.
    AttachArtifact(Artifact),
    /// Record organisations the consultation reached.
    RecordOrganisationsConsulted {
        /// Their names; names already recorded are ignored.
        organisations: Vec<String>,
    },
    /// Record a comment received.
    RecordComment(Comment),
    /// Record (or change) a comment's disposition.
    DisposeComment {
        /// The comment.
        comment_id: String,
        /// The decision.
        disposition: Disposition,
        /// Why; required when not accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Schedule a meeting.
    ScheduleMeeting(MeetingSchedule),
    /// Record a meeting held and its votes.
    RecordMeeting(MeetingRecord),
    /// Sign something off in one's role.
    SignOff {
        /// What is signed off, one of the definition's sign-offs.
        subject: String,
    },
    /// Record a field.
    RecordField {
        /// The field's code.
        field: String,
        /// Its value.
        value: FieldValue,
    },
    /// Record the publication and effective dates.
    RecordPublication(Publication),
    /// Cancel the project, with a reason.
    Cancel {
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Record a waiver of a guard.
    RecordWaiver(Waiver),
    /// Fix the plan: the dates by which planned deadlines fall due.
    FixPlan {
        /// The planned date of each deadline, by deadline id.
        due_dates: BTreeMap<String, NaiveDate>,
    },
    /// Ask for a deadline to be extended.
    RequestExtension {
        /// An id for the request, unique within the project.
        request_id: String,
        /// The deadline's id.
        deadline: String,
        /// The date asked for.
        new_due_on: NaiveDate,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Grant a pending extension request.
    GrantExtension {
        /// The request.
        request_id: String,
        /// The grounds of the decision.
        reason: String,
    },
    /// Refuse a pending extension request.
    RefuseExtension {
        /// The request.
        request_id: String,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Lift the freeze of an overdue project.
    LiftFreeze {
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// Move the project to a newer version of its definition (decided against the new version).
    MigrateDefinition {
        /// The version to move to.
        to_version: u32,
    },
}

impl Command {
    /// A short name of the command's kind, for logs and metrics.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Command::CreateProject(_) => "create_project",
            Command::ImportProject(_) => "import_project",
            Command::FireAction { .. } => "fire_action",
            Command::AttachArtifact(_) => "attach_artifact",
            Command::RecordOrganisationsConsulted { .. } => "record_organisations_consulted",
            Command::RecordComment(_) => "record_comment",
            Command::DisposeComment { .. } => "dispose_comment",
            Command::ScheduleMeeting(_) => "schedule_meeting",
            Command::RecordMeeting(_) => "record_meeting",
            Command::SignOff { .. } => "sign_off",
            Command::RecordField { .. } => "record_field",
            Command::RecordPublication(_) => "record_publication",
            Command::Cancel { .. } => "cancel",
            Command::RecordWaiver(_) => "record_waiver",
            Command::FixPlan { .. } => "fix_plan",
            Command::RequestExtension { .. } => "request_extension",
            Command::GrantExtension { .. } => "grant_extension",
            Command::RefuseExtension { .. } => "refuse_extension",
            Command::LiftFreeze { .. } => "lift_freeze",
            Command::MigrateDefinition { .. } => "migrate_definition",
        }
    }
}

/// A project brought in with its history so far ([`Command::ImportProject`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProject {
    /// The project, as a creation would give it.
    pub project: NewProject,
    /// The stages it reached and when, its publication, and where this was read.
    pub history: ImportedHistory,
}
