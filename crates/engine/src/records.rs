//! The plain records that commands and events share: who acts, an artifact, a comment, a
//! meeting's schedule and record, a field's value, a publication, a waiver, a new project.
//!
//! An accepted command records them as given, so the command and the event that follows hold the
//! very same value. They live below both, so that neither commands nor events import the other;
//! [`crate::command`] re-exports them at their old paths.

use crate::text::LocalizedText;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// How a meeting is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingForm {
    /// Members meet (in person or on line) and vote there.
    Meeting,
    /// Members vote by letter (函审) without meeting.
    Letter,
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Vote {
    /// The member, as on the roll.
    pub member: String,
    /// How they voted.
    pub choice: VoteChoice,
}

/// Someone present who does not vote: a corresponding member or an invited representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
        self.tally_leaving_out(&[])
    }

    /// Counts as [`MeetingRecord::tally`] does, leaving the members flagged as from the drafting
    /// unit off the roll, out of those present and out of the votes: how a vote is judged when the
    /// members who must abstain (回避) are excluded from the count.
    pub fn tally_without_drafting_unit_members(&self) -> Tally {
        self.tally_leaving_out(&self.drafting_unit_members)
    }

    fn tally_leaving_out(&self, left_out: &[String]) -> Tally {
        let counts = |member: &&String| !left_out.contains(member);
        let mut tally = Tally {
            roll: self.roll.iter().filter(counts).count() as u64,
            present: self.present.iter().filter(counts).count() as u64,
            ..Tally::default()
        };
        for vote in self.votes.iter().filter(|vote| counts(&&vote.member)) {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Publication {
    /// The number given, such as `JJF(沪) 1100-2026`.
    pub specification_number: String,
    /// The local date of publication.
    pub publication_date: NaiveDate,
    /// The local date it takes effect.
    pub effective_date: NaiveDate,
}

/// A recorded exception to one guard of one action, granted by an authority with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// The flags it is given, each one of the definition's `[[project_flags]]` (such as being tied
    /// to legal or livelihood metrology); left out of the record when there are none, so records
    /// written before flags existed read and hash as they always did.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub flags: BTreeSet<String>,
}

/// A project's history brought in from another record (a bureau's spreadsheet), not recorded
/// here as it happened: which stages it reached and when, and where the history came from.
///
/// It rides on the `project_created` event that an import writes, so an auditor tells imported
/// history from recorded history by the event alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportedHistory {
    /// Where the history was read.
    pub source: ImportSource,
    /// The stages the project reached, in the definition's order, each with its local date; the
    /// last one is the stage it stands in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub milestones: Vec<Milestone>,
    /// The publication, when the specification was published before the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
}

/// The place in an imported file a project's history was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportSource {
    /// The file's SHA-256, in lowercase hex.
    pub file_sha256: String,
    /// The sheet (for a CSV file, the file's name).
    pub sheet: String,
    /// The row, as the spreadsheet numbers it (the header is row 1).
    pub row: u32,
}

/// A stage an imported project reached, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Milestone {
    /// The stage's code.
    pub stage: String,
    /// The local date it was reached.
    pub reached_on: NaiveDate,
    /// The instant the stay began: the start of `reached_on` in the definition's zone. The engine
    /// computes it at import (whatever the command said), so that the fold needs no definition.
    pub entered_at: DateTime<Utc>,
}
