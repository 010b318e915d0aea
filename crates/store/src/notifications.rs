//! Notifications written with the records that cause them: one outbox row per audience.
//!
//! The engine's `notices_for` says who hears of an event and in which words; this module turns a
//! notice into the row (and the exact JSON body a webhook receives) that the writer inserts in
//! the same transaction as the audit record, so a record never exists without its notifications
//! and a notification never exists without its record.

use super::micros;
use crate::error::StoreError;
use serde::Serialize;
use specflow_engine::audit::AuditRecord;
use specflow_engine::notify::{Notice, notices_for};
use specflow_engine::{Event, LocalizedText, ProjectState, WorkflowDefinition};
use uuid::Uuid;

/// A row of `outbox`, as the writer inserts it (pending, no attempt yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotificationRow {
    pub notification_id: Uuid,
    pub project_id: Uuid,
    pub sequence: u64,
    pub audience: String,
    pub event_type: String,
    pub body: String,
    pub created_at: i64,
    /// For the row fanned out to people (one per record with notices, audience
    /// [`PERSONAL_AUDIENCE`]): the project's committee, which says who may see it. `None` for an
    /// audience's row.
    pub fan_out_committee: Option<String>,
}

/// The audience of a record's notification for the people who chose its kind of event: the
/// writer turns the row into one per person ([`crate::personal_email::PERSONAL_FAN_OUT`]).
pub(crate) const PERSONAL_AUDIENCE: &str = "person";

/// The JSON a webhook receives: everything needed to act, without calling back.
#[derive(Serialize)]
struct NotificationBody<'a> {
    notification_id: Uuid,
    audience: &'a str,
    event_type: &'a str,
    project: ProjectRef<'a>,
    sequence: u64,
    record_hash: String,
    /// When the record was written: for a deadline, when the scheduler noticed it.
    recorded_at: chrono::DateTime<chrono::Utc>,
    /// For a deadline, when it fell due.
    #[serde(skip_serializing_if = "Option::is_none")]
    fell_due_at: Option<chrono::DateTime<chrono::Utc>>,
    what_happened: &'a LocalizedText,
    what_next: &'a LocalizedText,
}

#[derive(Serialize)]
struct ProjectRef<'a> {
    id: Uuid,
    code: &'a str,
    title: &'a LocalizedText,
    committee: &'a str,
    drafting_unit: &'a str,
    stage: &'a str,
    stage_name: LocalizedText,
}

/// The id of the notification of record `sequence` of `project_id` for `audience`: the same
/// inputs give the same id, so a write redone after a lost race cannot notify twice.
pub(crate) fn notification_id(project_id: Uuid, sequence: u64, audience: &str) -> Uuid {
    Uuid::new_v5(&project_id, format!("{sequence}/{audience}").as_bytes())
}

/// The outbox rows of one record, whose event has just been applied to `state_after`.
pub(crate) fn rows_for(
    definition: &WorkflowDefinition,
    state_after: &ProjectState,
    event: &Event,
    record: &AuditRecord,
) -> Result<Vec<NotificationRow>, StoreError> {
    if definition.notifications.is_empty() {
        return Ok(Vec::new());
    }
    let Some(project) = &state_after.project else {
        return Ok(Vec::new());
    };
    let mut notices = notices_for(definition, state_after, event);
    // The people's row carries the same words as the audiences' (they differ only in audience).
    if let Some(first) = notices.first() {
        notices.push(Notice {
            audience: PERSONAL_AUDIENCE.to_string(),
            ..first.clone()
        });
    }
    notices
        .into_iter()
        .map(|notice: Notice| {
            let notification_id =
                notification_id(record.project_id, record.sequence, &notice.audience);
            let stage = state_after.stage();
            let body = NotificationBody {
                notification_id,
                audience: &notice.audience,
                event_type: &notice.event_type,
                project: ProjectRef {
                    id: record.project_id,
                    code: &project.code,
                    title: &project.title,
                    committee: &project.committee,
                    drafting_unit: &project.drafting_unit,
                    stage,
                    stage_name: definition.stage_name(stage),
                },
                sequence: record.sequence,
                record_hash: record.hash.to_hex(),
                recorded_at: record.recorded_at,
                fell_due_at: event.body.fell_due_at(),
                what_happened: &notice.what_happened,
                what_next: &notice.what_next,
            };
            let body = serde_json::to_string(&body)
                .map_err(|error| StoreError::Corrupt(format!("a notification body: {error}")))?;
            let fan_out_committee =
                (notice.audience == PERSONAL_AUDIENCE).then(|| project.committee.clone());
            Ok(NotificationRow {
                fan_out_committee,
                notification_id,
                project_id: record.project_id,
                sequence: record.sequence,
                audience: notice.audience,
                event_type: notice.event_type,
                body,
                created_at: micros(record.recorded_at),
            })
        })
        .collect()
}
