//! The API's own answer types: what clients read, separate from what the store keeps.
//!
//! The store's rows and pages are its own to change; the API answers with these types, converted
//! at the edge, so that a new column or a renamed field in the store does not change the wire
//! format by accident, and the OpenAPI document describes exactly what is sent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use specflow_engine::LocalizedText;
use specflow_engine::audit::AuditRecord;
use specflow_store as store;
use utoipa::ToSchema;
use uuid::Uuid;

/// A project's row in the projection: what lists and boards show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
    "next_deadline_at": "2026-06-30T15:59:59Z",
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
    /// Since when.
    pub stage_since: chrono::DateTime<chrono::Utc>,
    /// Whether the stage ends the lifecycle.
    pub terminal: bool,
    /// The next instant something falls due, if any.
    pub next_deadline_at: Option<chrono::DateTime<chrono::Utc>>,
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
            committee: from.committee,
            drafting_unit: from.drafting_unit,
            definition_id: from.definition_id,
            definition_version: from.definition_version,
            stage: from.stage,
            stage_since: from.stage_since,
            terminal: from.terminal,
            next_deadline_at: from.next_deadline_at,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryPage {
    /// The records, in the form `docs/audit-format.md` describes.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<AuditRecord>,
    /// Pass this as `after_sequence` for the next page; `None` on the last page.
    pub next_after_sequence: Option<u64>,
}

impl From<store::HistoryPage> for HistoryPage {
    fn from(from: store::HistoryPage) -> HistoryPage {
        HistoryPage {
            records: from.records,
            next_after_sequence: from.next_after_sequence,
        }
    }
}

/// One committee in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
