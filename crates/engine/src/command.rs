//! Commands: what people ask the engine to do, and who they are.
//!
//! A command is a request that may be refused; [`crate::decide`] turns it into events or a
//! [`crate::Rejection`]. The records shared with events (an artifact, a comment, a meeting) live
//! here too, since an accepted command records them as given.

use crate::definition::MeetingForm;
use crate::text::LocalizedText;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Who acts: a person or system, and the role they act in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// A stable id of the person or system, such as a token's subject.
    pub id: String,
    /// The role they act in, one of the definition's roles (or `system` for the scheduler).
    pub role: String,
}

impl Actor {
    /// An actor with an id and a role.
    pub fn new(id: impl Into<String>, role: impl Into<String>) -> Actor {
        Actor {
            id: id.into(),
            role: role.into(),
        }
    }

    /// specflow itself, for events no person caused (a deadline passing).
    pub fn system() -> Actor {
        Actor::new("specflow", "system")
    }
}

/// A file attached to a project. The engine sees only its description, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Its kind, one of the definition's artifact kinds.
    pub kind: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of its content, 64 lowercase hexadecimal digits.
    pub sha256: String,
}

/// A comment received during consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// An id unique within the project, such as the row number in the comment table.
    pub comment_id: String,
    /// The organisation that sent it.
    pub organisation: String,
    /// The clause it is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// What it says.
    pub text: String,
}

/// What the drafting group decided about a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Accepted (采纳).
    Accepted,
    /// Partly accepted (部分采纳).
    PartlyAccepted,
    /// Not accepted (未采纳); needs a reason.
    NotAccepted,
}

impl Disposition {
    /// Its name for people.
    pub fn name(self) -> LocalizedText {
        match self {
            Disposition::Accepted => LocalizedText::new("采纳", "accepted"),
            Disposition::PartlyAccepted => LocalizedText::new("部分采纳", "partly accepted"),
            Disposition::NotAccepted => LocalizedText::new("未采纳", "not accepted"),
        }
    }
}

/// A meeting planned, with the day its documents went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSchedule {
    /// An id unique within the project.
    pub meeting_id: String,
    /// The motion it will vote on, one of the definition's motions.
    pub motion: String,
    /// Whether members meet or vote by letter.
    pub form: MeetingForm,
    /// The local date of the meeting (or the closing date of a vote by letter).
    pub meeting_on: NaiveDate,
    /// The local date the documents reached the members.
    pub documents_sent_on: NaiveDate,
}

/// How a member voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteChoice {
    /// In favour.
    InFavour,
    /// Against.
    Against,
    /// Abstained.
    Abstain,
}

/// One member's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The member, as on the roll.
    pub member: String,
    /// How they voted.
    pub choice: VoteChoice,
}

/// Someone present who does not vote: a corresponding member or an invited representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonVotingParticipant {
    /// The person.
    pub person: String,
    /// In what capacity, such as `corresponding_member` or `invited_representative`.
    pub capacity: String,
}

/// A meeting held (or a vote by letter closed), with its roll and every vote.
///
/// The record carries the roll itself, so the engine needs no committee lookup: the service
/// fills it from the committee as of the meeting date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRecord {
    /// An id unique within the project; the same id as its schedule, if it was scheduled.
    pub meeting_id: String,
    /// The motion voted on.
    pub motion: String,
    /// Whether members met or voted by letter.
    pub form: MeetingForm,
    /// The local date it was held (or the vote closed).
    pub held_on: NaiveDate,
    /// Every voting member eligible on that date.
    pub roll: Vec<String>,
    /// The voting members present (for a vote by letter: those who answered).
    pub present: Vec<String>,
    /// Others present who may speak but never vote or count.
    #[serde(default)]
    pub non_voting_present: Vec<NonVotingParticipant>,
    /// Each vote cast by a voting member present.
    pub votes: Vec<Vote>,
    /// The SHA-256 of the minutes, an artifact already attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes_sha256: Option<String>,
    /// Voting members on the roll who belong to the project's drafting unit, flagged by the
    /// service from the committee's record; the definition's `[votes]` says whether they abstain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafting_unit_members: Vec<String>,
}

/// The counts of a meeting's vote, from its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Tally {
    /// Voting members on the roll.
    pub roll: u64,
    /// Voting members present.
    pub present: u64,
    /// Votes in favour.
    pub in_favour: u64,
    /// Votes against.
    pub against: u64,
    /// Abstentions.
    pub abstain: u64,
}

impl Tally {
    /// Votes for or against; abstentions and members who did not vote are excluded.
    pub fn votes_cast(&self) -> u64 {
        self.in_favour + self.against
    }
}

impl MeetingRecord {
    /// Counts the roll, the voting members present and the votes; non-voting participants never count.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally {
            roll: self.roll.len() as u64,
            present: self.present.len() as u64,
            ..Tally::default()
        };
        for vote in &self.votes {
            match vote.choice {
                VoteChoice::InFavour => tally.in_favour += 1,
                VoteChoice::Against => tally.against += 1,
                VoteChoice::Abstain => tally.abstain += 1,
            }
        }
        tally
    }
}

/// The value of a recorded field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    /// Free text.
    Text(String),
    /// A local date.
    Date(NaiveDate),
    /// Another project's id.
    Project(Uuid),
}

/// The bureau's publication of a specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// The number given, such as `JJF(沪) 1100-2026`.
    pub specification_number: String,
    /// The local date of publication.
    pub publication_date: NaiveDate,
    /// The local date it takes effect.
    pub effective_date: NaiveDate,
}

/// A recorded exception to one guard of one action, granted by an authority with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// The action whose guard is waived.
    pub action: String,
    /// The guard's id within that action.
    pub guard: String,
    /// Who grants it, in words (for example the bureau's decision and its number).
    pub authority: String,
    /// The reason given, in words, as the log records it.
    pub reason: String,
}

/// Everything needed to create a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProject {
    /// Its id, chosen by the caller (the engine generates nothing).
    pub project_id: Uuid,
    /// Its human code, such as `JJF(沪)-2026-007`.
    pub code: String,
    /// Its title.
    pub title: LocalizedText,
    /// Its specification kind, one of the definition's.
    pub specification_kind: String,
    /// The committee responsible.
    pub committee: String,
    /// The drafting unit.
    pub drafting_unit: String,
    /// The definition it follows, pinned for its whole life.
    pub definition_id: String,
    /// The version of that definition.
    pub definition_version: u32,
}

/// A request to the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Create a project in the definition's initial stage.
    CreateProject(NewProject),
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
