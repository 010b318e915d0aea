//! The API's own answer types: what clients read, separate from what the store keeps.
//!
//! The store's rows and pages are its own to change; the API answers with these types, converted
//! at the edge, so that a new column or a renamed field in the store does not change the wire
//! format by accident, and the OpenAPI document describes exactly what is sent.

mod committee;
mod verification;

pub use committee::{
    AppointmentView, BreachView, CheckedView, CommitteeProfileView, CommitteeStateView,
    CompositionView, RecordedWaiverView, RollEntryView, SecretariatView, TermView,
};
pub use verification::{ChainFaultView, ProjectVerificationAnswer, VerifyFailureView};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::audit::AuditRecord;
use specflow_engine::definition::MeetingForm;
use specflow_engine::event::{DeadlineOutcome, DeadlineTimes};
use specflow_engine::{LocalizedText, ProjectState, records, state};
use specflow_store as store;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A project's row in the projection: what lists and boards show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "project_id": "0b7e9c1a-3f5d-5e2a-9c4b-7d8e6f1a2b3c",
    "code": "JJF(沪)-2026-001",
    "title_zh": "电子天平校准规范",
    "title_en": "Calibration specification for electronic balances",
    "specification_kind": "calibration_specification",
    "committee": "SH-TC-01",
    "drafting_unit": "Shanghai Institute of Measurement",
    "definition_id": "metrology-spec",
    "definition_version": 1,
    "stage": "preresearch",
    "stage_since": "2026-03-02T01:30:00Z",
    "terminal": false,
    "next_deadline_at": "2026-06-23T15:59:59Z",
    "next_due_on": "2026-06-30",
    "overdue_since": null,
    "escalated": false,
    "frozen": false,
    "head_sequence": 1,
    "head_hash": "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea",
    "updated_at": "2026-03-02T01:30:00Z"
}))]
pub struct ProjectSummary {
    /// Its id.
    pub project_id: Uuid,
    /// Its human code.
    pub code: String,
    /// Its Chinese title.
    pub title_zh: String,
    /// Its English title.
    pub title_en: String,
    /// Its kind of specification.
    pub specification_kind: String,
    /// The flags it was given at creation (such as `legal_or_livelihood_metrology`); absent when
    /// none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// The definition it follows.
    pub definition_id: String,
    /// The version of that definition.
    pub definition_version: u32,
    /// Its current stage.
    pub stage: String,
    /// The stage's name from the definition, in the request's language (lists only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    /// Since when.
    pub stage_since: chrono::DateTime<chrono::Utc>,
    /// Whether the stage ends the lifecycle.
    pub terminal: bool,
    /// The next instant the scheduler has something to do for it (a warning, a deadline, an
    /// escalation), if any.
    pub next_deadline_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The next date something is due on, a local date in its definition's zone: what people
    /// are shown as its next deadline.
    #[schema(value_type = Option<String>, format = Date)]
    pub next_due_on: Option<chrono::NaiveDate>,
    /// Since when it is overdue (the earliest missed deadline still running), if it is.
    pub overdue_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether an overdue deadline was escalated to the bureau.
    pub escalated: bool,
    /// Whether it is frozen.
    pub frozen: bool,
    /// Its head sequence.
    pub head_sequence: u64,
    /// Its head hash.
    pub head_hash: String,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<store::ProjectSummary> for ProjectSummary {
    fn from(from: store::ProjectSummary) -> ProjectSummary {
        ProjectSummary {
            project_id: from.project_id,
            code: from.code,
            title_zh: from.title_zh,
            title_en: from.title_en,
            specification_kind: from.specification_kind,
            flags: from.flags,
            committee: from.committee,
            drafting_unit: from.drafting_unit,
            definition_id: from.definition_id,
            definition_version: from.definition_version,
            stage: from.stage,
            stage_name: None,
            stage_since: from.stage_since,
            terminal: from.terminal,
            next_deadline_at: from.next_deadline_at,
            next_due_on: from.next_due_on,
            overdue_since: from.overdue_since,
            escalated: from.escalated,
            frozen: from.frozen,
            head_sequence: from.head_sequence,
            head_hash: from.head_hash,
            updated_at: from.updated_at,
        }
    }
}

/// A page of projects and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectListPage {
    /// The projects.
    pub items: Vec<ProjectSummary>,
    /// Pass this as `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

impl From<store::ProjectListPage> for ProjectListPage {
    fn from(from: store::ProjectListPage) -> ProjectListPage {
        ProjectListPage {
            items: from.items.into_iter().map(Into::into).collect(),
            next_after: from.next_after,
        }
    }
}

/// A page of a project's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryPage {
    /// The records, in the form `docs/audit-format.md` describes.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<AuditRecord>,
    /// Pass this as `after_sequence` for the next page; `None` on the last page.
    pub next_after_sequence: Option<u64>,
    /// Each record in words for people, in the request's language, in the records' order: what
    /// happened, the actor's role and the local time, with names from the project's definition.
    #[serde(default)]
    pub readable: Vec<ReadableRecord>,
}

/// One audit record as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadableRecord {
    /// The record's sequence.
    pub sequence: u64,
    /// When it was recorded, as a local time in the definition's zone (`2026-03-01 09:00`).
    pub recorded_at_local: String,
    /// The actor's role, by its name in the definition.
    pub actor_role_name: String,
    /// What happened, in a sentence.
    pub summary: String,
}

impl From<store::HistoryPage> for HistoryPage {
    fn from(from: store::HistoryPage) -> HistoryPage {
        HistoryPage {
            records: from.records,
            next_after_sequence: from.next_after_sequence,
            readable: Vec::new(),
        }
    }
}

/// One committee in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommitteeSummary {
    /// Its id.
    pub committee_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    #[schema(value_type = Object)]
    pub name: LocalizedText,
    /// Its field.
    pub field: String,
    /// Whether it is the legal-metrology committee.
    pub legal_metrology: bool,
    /// The current term, if one runs.
    pub current_term: Option<u32>,
    /// When its term's warning or end falls due next.
    pub next_deadline_at: Option<DateTime<Utc>>,
    /// Records in its log.
    pub head_sequence: u64,
}

impl From<store::CommitteeSummary> for CommitteeSummary {
    fn from(from: store::CommitteeSummary) -> CommitteeSummary {
        CommitteeSummary {
            committee_id: from.committee_id,
            code: from.code,
            name: from.name,
            field: from.field,
            legal_metrology: from.legal_metrology,
            current_term: from.current_term,
            next_deadline_at: from.next_deadline_at,
            head_sequence: from.head_sequence,
        }
    }
}

/// Where a notification is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    /// Waiting for its next attempt (or for a webhook for its audience).
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed; it waits for an operator to retry it.
    Dead,
}

impl From<store::OutboxStatus> for OutboxStatus {
    fn from(from: store::OutboxStatus) -> OutboxStatus {
        match from {
            store::OutboxStatus::Pending => OutboxStatus::Pending,
            store::OutboxStatus::Delivered => OutboxStatus::Delivered,
            store::OutboxStatus::Dead => OutboxStatus::Dead,
        }
    }
}

/// A notification as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxEntry {
    /// Its id, sent with every attempt so that receivers can drop duplicates.
    pub notification_id: String,
    /// The project it is about.
    pub project_id: Uuid,
    /// The audit record it is about.
    pub sequence: u64,
    /// Who it is for.
    pub audience: String,
    /// The type of the event it reports.
    pub event_type: String,
    /// The JSON posted, byte for byte.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Where it is in its delivery.
    pub status: OutboxStatus,
    /// How many attempts were made (a claimed attempt counts even if its node died).
    pub attempts: u32,
    /// When it is tried next; only while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last failed attempt failed, kept after a later success to show what happened.
    pub last_error: Option<String>,
    /// When a receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<store::OutboxEntry> for OutboxEntry {
    fn from(from: store::OutboxEntry) -> OutboxEntry {
        OutboxEntry {
            notification_id: from.notification_id,
            project_id: from.project_id,
            sequence: from.sequence,
            audience: from.audience,
            event_type: from.event_type,
            body: from.body,
            created_at: from.created_at,
            status: from.status.into(),
            attempts: from.attempts,
            next_attempt_at: from.next_attempt_at,
            last_error: from.last_error,
            delivered_at: from.delivered_at,
        }
    }
}

/// A page of notifications and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxPage {
    /// The notifications, oldest first.
    pub items: Vec<OutboxEntry>,
    /// Pass this as `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

impl From<store::OutboxPage> for OutboxPage {
    fn from(from: store::OutboxPage) -> OutboxPage {
        OutboxPage {
            items: from.items.into_iter().map(Into::into).collect(),
            next_after: from.next_after,
        }
    }
}

/// How many projects are in one stage of one committee, and how many of them are in trouble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"committee": "SH-TC-01", "stage": "drafting", "projects": 4, "overdue": 1, "escalated": 1, "frozen": 0}))]
pub struct StageCount {
    /// The committee.
    pub committee: String,
    /// The stage.
    pub stage: String,
    /// Projects in it.
    pub projects: u64,
    /// Of which overdue.
    pub overdue: u64,
    /// Of which escalated to the bureau.
    pub escalated: u64,
    /// Of which frozen.
    pub frozen: u64,
}

impl From<store::StageCount> for StageCount {
    fn from(from: store::StageCount) -> StageCount {
        StageCount {
            committee: from.committee,
            stage: from.stage,
            projects: from.projects,
            overdue: from.overdue,
            escalated: from.escalated,
            frozen: from.frozen,
        }
    }
}

/// A text in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocalizedTextView {
    /// The Chinese text.
    pub zh: String,
    /// The English text.
    pub en: String,
}

impl From<LocalizedText> for LocalizedTextView {
    fn from(from: LocalizedText) -> LocalizedTextView {
        LocalizedTextView {
            zh: from.zh,
            en: from.en,
        }
    }
}

/// Who acted, and in which role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    /// A stable id of the person or system, such as a token's subject.
    pub id: String,
    /// The role they acted in (`system` for specflow itself).
    pub role: String,
}

impl From<records::Actor> for ActorView {
    fn from(from: records::Actor) -> ActorView {
        ActorView {
            id: from.id,
            role: from.role,
        }
    }
}

/// A project's identity, as it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectIdentityView {
    /// Its id.
    pub project_id: Uuid,
    /// Its human code.
    pub code: String,
    /// Its title.
    pub title: LocalizedTextView,
    /// Its kind of specification.
    pub specification_kind: String,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// The definition it follows.
    pub definition_id: String,
    /// The version of that definition.
    pub definition_version: u32,
    /// The flags it was given at creation (such as `legal_or_livelihood_metrology`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

impl From<records::NewProject> for ProjectIdentityView {
    fn from(from: records::NewProject) -> ProjectIdentityView {
        ProjectIdentityView {
            project_id: from.project_id,
            code: from.code,
            title: from.title.into(),
            specification_kind: from.specification_kind,
            committee: from.committee,
            drafting_unit: from.drafting_unit,
            definition_id: from.definition_id,
            definition_version: from.definition_version,
            flags: from.flags.into_iter().collect(),
        }
    }
}

/// One stay of the project in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StageVisitView {
    /// The stage.
    pub stage: String,
    /// When the project entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left, if it has.
    pub left_at: Option<DateTime<Utc>>,
    /// The action that led here; `null` for the initial stage.
    pub entered_by_action: Option<String>,
    /// Who fired that action (or created the project).
    pub entered_by: ActorView,
}

impl From<state::StageVisit> for StageVisitView {
    fn from(from: state::StageVisit) -> StageVisitView {
        StageVisitView {
            stage: from.stage,
            entered_at: from.entered_at,
            left_at: from.left_at,
            entered_by_action: from.entered_by_action,
            entered_by: from.entered_by.into(),
        }
    }
}

/// An artifact attached to the project: its description (never its bytes), when, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArtifactView {
    /// Its kind, one of the definition's artifact kinds.
    pub kind: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of its content, 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// When it was attached.
    pub attached_at: DateTime<Utc>,
    /// By whom.
    pub attached_by: ActorView,
    /// The index in `visits` of the stage visit it was attached in.
    pub visit: usize,
}

impl From<state::AttachedArtifact> for ArtifactView {
    fn from(from: state::AttachedArtifact) -> ArtifactView {
        ArtifactView {
            kind: from.artifact.kind,
            file_name: from.artifact.file_name,
            size_bytes: from.artifact.size_bytes,
            sha256: from.artifact.sha256,
            attached_at: from.attached_at,
            attached_by: from.attached_by.into(),
            visit: from.visit,
        }
    }
}

/// What the drafting group decided about a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DispositionView {
    /// Accepted (采纳).
    Accepted,
    /// Partly accepted (部分采纳).
    PartlyAccepted,
    /// Not accepted (未采纳).
    NotAccepted,
}

impl From<records::Disposition> for DispositionView {
    fn from(from: records::Disposition) -> DispositionView {
        match from {
            records::Disposition::Accepted => DispositionView::Accepted,
            records::Disposition::PartlyAccepted => DispositionView::PartlyAccepted,
            records::Disposition::NotAccepted => DispositionView::NotAccepted,
        }
    }
}

/// A comment's latest disposition; its reason is in the `comment_disposed` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedDispositionView {
    /// The decision.
    pub disposition: DispositionView,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A comment received in consultation; its text is in the `comment_recorded` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommentView {
    /// An id unique within the project.
    pub comment_id: String,
    /// The organisation that sent it.
    pub organisation: String,
    /// The clause it is about, if any.
    pub clause: Option<String>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The latest disposition, if any.
    pub disposition: Option<RecordedDispositionView>,
}

impl From<state::CommentEntry<'_>> for CommentView {
    fn from(from: state::CommentEntry<'_>) -> CommentView {
        CommentView {
            comment_id: from.comment_id.to_string(),
            organisation: from.organisation.to_string(),
            clause: from.clause.map(str::to_string),
            recorded_at: from.recorded_at,
            disposition: from.disposition.map(|recorded| RecordedDispositionView {
                disposition: recorded.disposition.into(),
                recorded_at: recorded.recorded_at,
            }),
        }
    }
}

/// How a meeting is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingFormView {
    /// Members meet (in person or on line) and vote there.
    Meeting,
    /// Members vote by letter (函审) without meeting.
    Letter,
}

impl From<MeetingForm> for MeetingFormView {
    fn from(from: MeetingForm) -> MeetingFormView {
        match from {
            MeetingForm::Meeting => MeetingFormView::Meeting,
            MeetingForm::Letter => MeetingFormView::Letter,
        }
    }
}

/// A meeting planned, with the day its documents went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledMeetingView {
    /// An id unique within the project.
    pub meeting_id: String,
    /// The motion it will vote on.
    pub motion: String,
    /// Whether members meet or vote by letter.
    pub form: MeetingFormView,
    /// The local date of the meeting (or the closing date of a vote by letter).
    pub meeting_on: NaiveDate,
    /// The local date the documents reached the members.
    pub documents_sent_on: NaiveDate,
    /// The index in `visits` of the stage visit it was scheduled in.
    pub visit: usize,
}

impl From<state::ScheduledMeeting> for ScheduledMeetingView {
    fn from(from: state::ScheduledMeeting) -> ScheduledMeetingView {
        let schedule = from.schedule;
        ScheduledMeetingView {
            meeting_id: schedule.meeting_id,
            motion: schedule.motion,
            form: schedule.form.into(),
            meeting_on: schedule.meeting_on,
            documents_sent_on: schedule.documents_sent_on,
            visit: from.visit,
        }
    }
}

/// How a member voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoteChoiceView {
    /// In favour.
    InFavour,
    /// Against.
    Against,
    /// Abstained.
    Abstain,
}

impl From<records::VoteChoice> for VoteChoiceView {
    fn from(from: records::VoteChoice) -> VoteChoiceView {
        match from {
            records::VoteChoice::InFavour => VoteChoiceView::InFavour,
            records::VoteChoice::Against => VoteChoiceView::Against,
            records::VoteChoice::Abstain => VoteChoiceView::Abstain,
        }
    }
}

/// One member's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VoteView {
    /// The member, as on the roll.
    pub member: String,
    /// How they voted.
    pub choice: VoteChoiceView,
}

/// Someone present who does not vote: a corresponding member or an invited representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NonVotingParticipantView {
    /// The person.
    pub person: String,
    /// In what capacity, such as `corresponding_member` or `invited_representative`.
    pub capacity: String,
}

/// A meeting held (or a vote by letter closed), with its roll and every vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeldMeetingView {
    /// An id unique within the project; the same as its schedule's, if it was scheduled.
    pub meeting_id: String,
    /// The motion voted on.
    pub motion: String,
    /// Whether members met or voted by letter.
    pub form: MeetingFormView,
    /// The local date it was held (or the vote closed).
    pub held_on: NaiveDate,
    /// Every voting member eligible on that date.
    pub roll: Vec<String>,
    /// The voting members present (for a vote by letter: those who answered).
    pub present: Vec<String>,
    /// Others present who may speak but never vote or count.
    #[serde(default)]
    pub non_voting_present: Vec<NonVotingParticipantView>,
    /// Each vote cast by a voting member present.
    pub votes: Vec<VoteView>,
    /// The SHA-256 of the minutes, an attached artifact; absent when none was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes_sha256: Option<String>,
    /// Voting members on the roll who belong to the project's drafting unit; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafting_unit_members: Vec<String>,
    /// Who recorded it.
    pub recorded_by: ActorView,
    /// The index in `visits` of the stage visit it was held in.
    pub visit: usize,
}

impl From<state::HeldMeeting> for HeldMeetingView {
    fn from(from: state::HeldMeeting) -> HeldMeetingView {
        let record = from.record;
        HeldMeetingView {
            meeting_id: record.meeting_id,
            motion: record.motion,
            form: record.form.into(),
            held_on: record.held_on,
            roll: record.roll,
            present: record.present,
            non_voting_present: record
                .non_voting_present
                .into_iter()
                .map(|participant| NonVotingParticipantView {
                    person: participant.person,
                    capacity: participant.capacity,
                })
                .collect(),
            votes: record
                .votes
                .into_iter()
                .map(|vote| VoteView {
                    member: vote.member,
                    choice: vote.choice.into(),
                })
                .collect(),
            minutes_sha256: record.minutes_sha256,
            drafting_unit_members: record.drafting_unit_members,
            recorded_by: from.recorded_by.into(),
            visit: from.visit,
        }
    }
}

/// A sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignOffView {
    /// What was signed off.
    pub subject: String,
    /// By whom, in which role.
    pub signed_by: ActorView,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The index in `visits` of the stage visit it was given in.
    pub visit: usize,
}

impl From<state::SignOffEntry> for SignOffView {
    fn from(from: state::SignOffEntry) -> SignOffView {
        SignOffView {
            subject: from.subject,
            signed_by: from.signed_by.into(),
            signed_at: from.signed_at,
            visit: from.visit,
        }
    }
}

/// The value of a recorded field: one key naming its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldValueView {
    /// Free text.
    Text(String),
    /// A local date.
    Date(NaiveDate),
    /// Another project's id.
    Project(Uuid),
}

impl From<records::FieldValue> for FieldValueView {
    fn from(from: records::FieldValue) -> FieldValueView {
        match from {
            records::FieldValue::Text(text) => FieldValueView::Text(text),
            records::FieldValue::Date(date) => FieldValueView::Date(date),
            records::FieldValue::Project(project) => FieldValueView::Project(project),
        }
    }
}

/// A field's latest value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldView {
    /// The value.
    pub value: FieldValueView,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// By whom.
    pub recorded_by: ActorView,
}

impl From<state::FieldEntry> for FieldView {
    fn from(from: state::FieldEntry) -> FieldView {
        FieldView {
            value: from.value.into(),
            recorded_at: from.recorded_at,
            recorded_by: from.recorded_by.into(),
        }
    }
}

/// The bureau's publication of the specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicationView {
    /// The number given, such as `JJF(沪) 1100-2026`.
    pub specification_number: String,
    /// The local date of publication.
    pub publication_date: NaiveDate,
    /// The local date it takes effect.
    pub effective_date: NaiveDate,
}

impl From<records::Publication> for PublicationView {
    fn from(from: records::Publication) -> PublicationView {
        PublicationView {
            specification_number: from.specification_number,
            publication_date: from.publication_date,
            effective_date: from.effective_date,
        }
    }
}

/// A recorded exception to one guard of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaiverView {
    /// The action whose guard is waived.
    pub action: String,
    /// The guard's id within that action.
    pub guard: String,
    /// Who grants it, in words.
    pub authority: String,
    /// The reason given.
    pub reason: String,
    /// Who recorded it.
    pub recorded_by: ActorView,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The index in `visits` of the stage visit it holds for.
    pub visit: usize,
}

impl From<state::WaiverEntry> for WaiverView {
    fn from(from: state::WaiverEntry) -> WaiverView {
        WaiverView {
            action: from.waiver.action,
            guard: from.waiver.guard,
            authority: from.waiver.authority,
            reason: from.waiver.reason,
            recorded_by: from.recorded_by.into(),
            recorded_at: from.recorded_at,
            visit: from.visit,
        }
    }
}

/// The instants at which a deadline's warning, due date and escalation fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeadlineTimesView {
    /// The local due date.
    pub due_on: NaiveDate,
    /// When the warning falls due; absent when the rule has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
    /// When the deadline is missed: the end of the due date.
    pub due_at: DateTime<Utc>,
    /// When an overdue project is escalated; absent when the rule does not escalate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_at: Option<DateTime<Utc>>,
}

impl From<DeadlineTimes> for DeadlineTimesView {
    fn from(from: DeadlineTimes) -> DeadlineTimesView {
        DeadlineTimesView {
            due_on: from.due_on,
            warn_at: from.warn_at,
            due_at: from.due_at,
            escalate_at: from.escalate_at,
        }
    }
}

/// How a deadline ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineOutcomeView {
    /// The project reached the stage that meets it.
    Met,
    /// The project ended (cancelled, withdrawn) before meeting it.
    ProjectEnded,
}

impl From<DeadlineOutcome> for DeadlineOutcomeView {
    fn from(from: DeadlineOutcome) -> DeadlineOutcomeView {
        match from {
            DeadlineOutcome::Met => DeadlineOutcomeView::Met,
            DeadlineOutcome::ProjectEnded => DeadlineOutcomeView::ProjectEnded,
        }
    }
}

/// A deadline as it runs: planned and actual dates, extensions, and which alarms went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeadlineStateView {
    /// The deadline's id in the definition.
    pub deadline: String,
    /// The local date it started.
    pub started_on: NaiveDate,
    /// The due date first set, before any extension.
    pub original_due_on: Option<NaiveDate>,
    /// The planned date from the plan, if any.
    pub planned_due_on: Option<NaiveDate>,
    /// The current times; `null` when the date cannot be computed.
    pub times: Option<DeadlineTimesView>,
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
    /// How it ended and when, as a pair `[outcome, instant]`, once it has.
    pub closed: Option<(DeadlineOutcomeView, DateTime<Utc>)>,
    /// Days past the due date when it was met late.
    pub days_late: Option<i64>,
}

impl From<state::DeadlineEntry> for DeadlineStateView {
    fn from(from: state::DeadlineEntry) -> DeadlineStateView {
        DeadlineStateView {
            deadline: from.deadline,
            started_on: from.started_on,
            original_due_on: from.original_due_on,
            planned_due_on: from.planned_due_on,
            times: from.times.map(Into::into),
            problem: from.problem,
            warned: from.warned,
            missed: from.missed,
            escalated: from.escalated,
            extensions_granted: from.extensions_granted,
            closed: from.closed.map(|(outcome, at)| (outcome.into(), at)),
            days_late: from.days_late,
        }
    }
}

/// The decision on an extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionDecisionView {
    /// Whether it was granted.
    pub granted: bool,
    /// Who decided.
    pub decided_by: ActorView,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// The grounds.
    pub reason: String,
}

/// An extension request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionRequestView {
    /// The request's id.
    pub request_id: String,
    /// The deadline.
    pub deadline: String,
    /// The due date when asked.
    pub current_due_on: NaiveDate,
    /// The date asked for.
    pub requested_due_on: NaiveDate,
    /// The reason given.
    pub reason: String,
    /// Who asked.
    pub requested_by: ActorView,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The decision, once made.
    pub decision: Option<ExtensionDecisionView>,
}

impl From<state::ExtensionRequestEntry> for ExtensionRequestView {
    fn from(from: state::ExtensionRequestEntry) -> ExtensionRequestView {
        ExtensionRequestView {
            request_id: from.request_id,
            deadline: from.deadline,
            current_due_on: from.current_due_on,
            requested_due_on: from.requested_due_on,
            reason: from.reason,
            requested_by: from.requested_by.into(),
            requested_at: from.requested_at,
            decision: from.decision.map(|decision| ExtensionDecisionView {
                granted: decision.granted,
                decided_by: decision.decided_by.into(),
                decided_at: decision.decided_at,
                reason: decision.reason,
            }),
        }
    }
}

/// The freeze of an overdue project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FreezeView {
    /// The deadline whose escalation froze it.
    pub deadline: String,
    /// When the freeze fell due.
    pub since: DateTime<Utc>,
}

/// The next periodic re-examination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReexaminationView {
    /// The stage it watches (the specification in force).
    pub stage: String,
    /// The date the interval is counted from.
    pub counted_from: NaiveDate,
    /// When it falls due.
    pub times: DeadlineTimesView,
    /// Whether the warning went out.
    pub warned: bool,
    /// Whether it fell due.
    pub fell_due: bool,
    /// Whether the project left the stage since (the re-examination was opened).
    pub settled: bool,
}

impl From<state::ReexaminationEntry> for ReexaminationView {
    fn from(from: state::ReexaminationEntry) -> ReexaminationView {
        ReexaminationView {
            stage: from.stage,
            counted_from: from.counted_from,
            times: from.times.into(),
            warned: from.warned,
            fell_due: from.fell_due,
            settled: from.settled,
        }
    }
}

/// A project's state as the API shows it: what happened to the project, as its log replays it.
///
/// The engine's `ProjectState` is its own to change; this is converted from it field by field, so
/// a change there is a compile error here rather than a silent change of the wire format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectStateView {
    /// The project's identity; `null` before it is created (a replay to sequence 0).
    pub project: Option<ProjectIdentityView>,
    /// Every stage visit, oldest first; the last is the current stage.
    pub visits: Vec<StageVisitView>,
    /// Artifacts attached, oldest first.
    pub artifacts: Vec<ArtifactView>,
    /// Organisations the consultation reached, in sorted order, each once.
    pub organisations_consulted: Vec<String>,
    /// Comments, in the order recorded.
    pub comments: Vec<CommentView>,
    /// Meetings scheduled.
    pub scheduled_meetings: Vec<ScheduledMeetingView>,
    /// Meetings held.
    pub meetings: Vec<HeldMeetingView>,
    /// Sign-offs given.
    pub sign_offs: Vec<SignOffView>,
    /// Fields recorded, the latest value of each, by field name.
    pub fields: BTreeMap<String, FieldView>,
    /// The publication, once recorded.
    pub publication: Option<PublicationView>,
    /// Waivers recorded.
    pub waivers: Vec<WaiverView>,
    /// The reason the project was cancelled, if it was.
    pub cancellation_reason: Option<String>,
    /// The plan's dates, by deadline id, once fixed.
    pub plan: BTreeMap<String, NaiveDate>,
    /// Every deadline started, oldest first.
    pub deadlines: Vec<DeadlineStateView>,
    /// Extension requests, oldest first.
    pub extension_requests: Vec<ExtensionRequestView>,
    /// The freeze, while the project is frozen.
    pub frozen: Option<FreezeView>,
    /// The next re-examination, once the specification is in force.
    pub reexamination: Option<ReexaminationView>,
    /// How many re-examinations have fallen due.
    pub reexaminations_due: u32,
    /// Who last fired each action, by action (what four-eyes guards compare).
    pub last_actor_of_action: BTreeMap<String, ActorView>,
    /// How many records have been applied.
    pub events_applied: u64,
    /// When the last record happened.
    pub last_event_at: Option<DateTime<Utc>>,
}

impl From<ProjectState> for ProjectStateView {
    fn from(from: ProjectState) -> ProjectStateView {
        ProjectStateView {
            project: from.project.map(Into::into),
            visits: from.visits.into_iter().map(Into::into).collect(),
            artifacts: from.artifacts.into_iter().map(Into::into).collect(),
            organisations_consulted: from.organisations_consulted.into_iter().collect(),
            comments: from.comments.iter().map(Into::into).collect(),
            scheduled_meetings: from
                .scheduled_meetings
                .into_iter()
                .map(Into::into)
                .collect(),
            meetings: from.meetings.into_iter().map(Into::into).collect(),
            sign_offs: from.sign_offs.into_iter().map(Into::into).collect(),
            fields: from
                .fields
                .into_iter()
                .map(|(name, field)| (name, field.into()))
                .collect(),
            publication: from.publication.map(Into::into),
            waivers: from.waivers.into_iter().map(Into::into).collect(),
            cancellation_reason: from.cancellation_reason,
            plan: from.plan,
            deadlines: from.deadlines.into_iter().map(Into::into).collect(),
            extension_requests: from
                .extension_requests
                .into_iter()
                .map(Into::into)
                .collect(),
            frozen: from.frozen.map(|freeze| FreezeView {
                deadline: freeze.deadline,
                since: freeze.since,
            }),
            reexamination: from.reexamination.map(Into::into),
            reexaminations_due: from.reexaminations_due,
            last_actor_of_action: from
                .last_actor_of_action
                .into_iter()
                .map(|(action, actor)| (action, actor.into()))
                .collect(),
            events_applied: from.events_applied,
            last_event_at: from.last_event_at,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::ProjectStateView;
    use specflow_engine::WorkflowDefinition;
    use specflow_engine::scenario::{parse_scenario, simulate};
    use std::sync::Arc;

    /// The example scenarios, which between them reach every part of a project's state.
    const SCENARIOS: [&str; 9] = [
        include_str!("../../../../../workflows/scenarios/cancelled.toml"),
        include_str!("../../../../../workflows/scenarios/consultation-too-short.toml"),
        include_str!("../../../../../workflows/scenarios/overdue-with-extension.toml"),
        include_str!("../../../../../workflows/scenarios/reexamined-confirmed.toml"),
        include_str!("../../../../../workflows/scenarios/reexamined-revised.toml"),
        include_str!("../../../../../workflows/scenarios/reexamined-withdrawn.toml"),
        include_str!("../../../../../workflows/scenarios/review-fails-vote.toml"),
        include_str!("../../../../../workflows/scenarios/review-without-quorum.toml"),
        include_str!("../../../../../workflows/scenarios/to-in-force.toml"),
    ];

    fn metrology() -> WorkflowDefinition {
        let mut calendar = specflow_engine::WorkingCalendar::new("cn");
        for (name, text) in [
            (
                "cn-2025.toml",
                include_str!("../../../../../workflows/calendars/cn-2025.toml"),
            ),
            (
                "cn-2026.toml",
                include_str!("../../../../../workflows/calendars/cn-2026.toml"),
            ),
        ] {
            calendar.add_year_file(name, text).unwrap();
        }
        WorkflowDefinition::from_toml(
            "metrology-spec.toml",
            include_str!("../../../../../workflows/metrology-spec.toml"),
        )
        .unwrap()
        .with_calendar(Arc::new(calendar))
    }

    /// The API's view of a state is written exactly as the engine's state was when the API
    /// answered with it, so moving to the view changed no client's JSON; and it reads back.
    #[test]
    fn the_state_view_is_written_as_the_engine_state_was() {
        let definition = metrology();
        for text in SCENARIOS {
            let scenario = parse_scenario("scenario.toml", text).unwrap();
            let state = simulate(&definition, &scenario).unwrap().state;
            let engine_json = serde_json::to_string(&state).unwrap();
            let view = ProjectStateView::from(state);
            let view_json = serde_json::to_string(&view).unwrap();
            assert_eq!(view_json, engine_json);
            let read_back: ProjectStateView = serde_json::from_str(&view_json).unwrap();
            assert_eq!(read_back, view);
        }
    }
}
