//! A record as a database or an export file holds it, before it is read as a project's or a
//! committee's record: every field as the text or number that was stored.
//!
//! Verification reads records through here, so that a field not written in its one canonical
//! form (`docs/audit-format.md`: a hash that is not 64 lowercase hexadecimal digits, an
//! upper-case UUID, an instant with an offset or nine fractional digits) is that record's fault,
//! reported with the others, instead of an error that stops the whole run; and an export hands
//! an auditor each record exactly as stored, even one that no longer reads.

use crate::audit::{
    AuditRecord, ChainFault, ChainVerifier, Digest256, VerifyFailure, canonical_instant,
};
use crate::committee::audit::{CommitteeChainVerifier, CommitteeRecord};
use crate::text::LocalizedText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which kind of log a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A project's log (`project_id`, format `specflow-audit-v1`).
    Project,
    /// A committee's log (`committee_id`, format `specflow-committee-audit-v1`).
    Committee,
}

impl RecordKind {
    /// The kind's name, in both languages, as verdicts name a chain.
    pub fn name(self) -> LocalizedText {
        match self {
            RecordKind::Project => LocalizedText::new("项目", "project"),
            RecordKind::Committee => LocalizedText::new("技术委员会", "committee"),
        }
    }
}

/// The field names a record has besides its subject's id, in the order they are hashed.
pub const RECORD_FIELDS: [&str; 10] = [
    "sequence",
    "recorded_at",
    "actor_id",
    "actor_role",
    "command_id",
    "event_type",
    "event_version",
    "event",
    "previous_hash",
    "hash",
];

/// A record with every field as stored. It is written as JSON exactly as a well-formed
/// [`AuditRecord`] or [`CommitteeRecord`] is, so an export of stored records is an export of
/// records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRecord {
    /// The project, for a project's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// The committee, for a committee's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_id: Option<String>,
    /// The sequence as stored.
    pub sequence: i64,
    /// The instant's text (the canonical text of what the database holds).
    pub recorded_at: String,
    /// Who caused it.
    pub actor_id: String,
    /// In which role.
    pub actor_role: String,
    /// The command's id as stored, or null.
    pub command_id: Option<String>,
    /// The event's type.
    pub event_type: String,
    /// The version of the event's shape, as stored.
    pub event_version: i64,
    /// The event's JSON text, byte for byte.
    pub event: String,
    /// The previous record's hash as stored.
    pub previous_hash: String,
    /// This record's hash as stored.
    pub hash: String,
}

/// Why a line of an export file is not a record at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", reason.en)]
pub struct UnreadableLine {
    /// The chain the line names, when it names one, so that chain is reported broken.
    pub chain: Option<(RecordKind, String)>,
    /// The sequence the line names, when it names one.
    pub sequence: Option<u64>,
    /// What is wrong, in both languages.
    pub reason: LocalizedText,
}

impl StoredRecord {
    /// Reads one line of an export: a JSON object with exactly the documented fields (one of
    /// `project_id` and `committee_id`, and [`RECORD_FIELDS`]), nothing more and nothing less.
    pub fn from_json_line(line: &str) -> Result<StoredRecord, UnreadableLine> {
        let value: serde_json::Value = serde_json::from_str(line).map_err(|error| {
            unreadable(
                None,
                None,
                format!("不是 JSON：{error}"),
                format!("not JSON: {error}"),
            )
        })?;
        let Some(object) = value.as_object() else {
            return Err(unreadable(
                None,
                None,
                "不是 JSON 对象".to_string(),
                "not a JSON object".to_string(),
            ));
        };
        let subject_text = |key: &str| {
            object
                .get(key)
                .and_then(|id| id.as_str())
                .map(str::to_string)
        };
        let chain = match (subject_text("project_id"), subject_text("committee_id")) {
            (Some(project), None) => Some((RecordKind::Project, project)),
            (None, Some(committee)) => Some((RecordKind::Committee, committee)),
            _ => None,
        };
        let sequence = object.get("sequence").and_then(serde_json::Value::as_u64);
        if chain.is_none() {
            return Err(unreadable(
                None,
                sequence,
                "须有 project_id 或 committee_id 之一（文本）".to_string(),
                "needs exactly one of project_id and committee_id, as text".to_string(),
            ));
        }
        let unknown: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|key| {
                !RECORD_FIELDS.contains(key) && *key != "project_id" && *key != "committee_id"
            })
            .collect();
        if !unknown.is_empty() {
            let names = unknown.join(", ");
            return Err(unreadable(
                chain,
                sequence,
                format!("含有规定之外的字段：{names}"),
                format!("holds fields outside the documented set: {names}"),
            ));
        }
        let missing: Vec<&str> = RECORD_FIELDS
            .iter()
            .copied()
            .filter(|field| !object.contains_key(*field))
            .collect();
        if !missing.is_empty() {
            let names = missing.join(", ");
            return Err(unreadable(
                chain,
                sequence,
                format!("缺少字段：{names}"),
                format!("lacks fields: {names}"),
            ));
        }
        serde_json::from_value(value.clone()).map_err(|error| {
            unreadable(
                chain,
                sequence,
                format!("字段类型不对：{error}"),
                format!("a field has the wrong type: {error}"),
            )
        })
    }

    /// The kind of log the record belongs to and its subject's id as stored.
    pub fn chain(&self) -> (RecordKind, &str) {
        match (&self.project_id, &self.committee_id) {
            (_, Some(committee)) => (RecordKind::Committee, committee),
            (Some(project), None) => (RecordKind::Project, project),
            (None, None) => (RecordKind::Project, ""),
        }
    }

    /// The sequence as a verdict names it (0 for a negative one, which is itself reported).
    pub fn position(&self) -> u64 {
        u64::try_from(self.sequence).unwrap_or(0)
    }

    /// Reads the record as a project's record, refusing any field not in its canonical form.
    pub fn to_project_record(&self) -> Result<AuditRecord, VerifyFailure> {
        let fields = self.canonical_fields("project_id", self.project_id.as_deref())?;
        Ok(AuditRecord {
            project_id: fields.subject_id,
            sequence: fields.sequence,
            recorded_at: fields.recorded_at,
            actor_id: self.actor_id.clone(),
            actor_role: self.actor_role.clone(),
            command_id: fields.command_id,
            event_type: self.event_type.clone(),
            event_version: fields.event_version,
            event: self.event.clone(),
            previous_hash: fields.previous_hash,
            hash: fields.hash,
        })
    }

    /// Reads the record as a committee's record, refusing any field not in its canonical form.
    pub fn to_committee_record(&self) -> Result<CommitteeRecord, VerifyFailure> {
        let fields = self.canonical_fields("committee_id", self.committee_id.as_deref())?;
        Ok(CommitteeRecord {
            committee_id: fields.subject_id,
            sequence: fields.sequence,
            recorded_at: fields.recorded_at,
            actor_id: self.actor_id.clone(),
            actor_role: self.actor_role.clone(),
            command_id: fields.command_id,
            event_type: self.event_type.clone(),
            event_version: fields.event_version,
            event: self.event.clone(),
            previous_hash: fields.previous_hash,
            hash: fields.hash,
        })
    }

    fn canonical_fields(
        &self,
        subject_field: &str,
        subject: Option<&str>,
    ) -> Result<CanonicalValues, VerifyFailure> {
        let fail = |field: &str, found: String| VerifyFailure {
            sequence: self.position(),
            fault: ChainFault::Malformed {
                field: field.to_string(),
                found,
            },
        };
        let subject = subject.unwrap_or_default();
        Ok(CanonicalValues {
            subject_id: canonical_uuid(subject)
                .ok_or_else(|| fail(subject_field, subject.to_string()))?,
            sequence: u64::try_from(self.sequence)
                .ok()
                .filter(|sequence| *sequence >= 1)
                .ok_or_else(|| fail("sequence", self.sequence.to_string()))?,
            recorded_at: canonical_instant_of(&self.recorded_at)
                .ok_or_else(|| fail("recorded_at", self.recorded_at.clone()))?,
            command_id: match &self.command_id {
                None => None,
                Some(text) => {
                    Some(canonical_uuid(text).ok_or_else(|| fail("command_id", text.clone()))?)
                }
            },
            event_version: u32::try_from(self.event_version)
                .map_err(|_| fail("event_version", self.event_version.to_string()))?,
            previous_hash: canonical_digest(&self.previous_hash)
                .ok_or_else(|| fail("previous_hash", self.previous_hash.clone()))?,
            hash: canonical_digest(&self.hash).ok_or_else(|| fail("hash", self.hash.clone()))?,
        })
    }
}

fn unreadable(
    chain: Option<(RecordKind, String)>,
    sequence: Option<u64>,
    zh: String,
    en: String,
) -> UnreadableLine {
    UnreadableLine {
        chain,
        sequence,
        reason: LocalizedText::new(zh, en),
    }
}

/// The fields that have a canonical text, read from it.
struct CanonicalValues {
    subject_id: Uuid,
    sequence: u64,
    recorded_at: DateTime<Utc>,
    command_id: Option<Uuid>,
    event_version: u32,
    previous_hash: Digest256,
    hash: Digest256,
}

/// A UUID written lowercase with hyphens, and nothing else.
fn canonical_uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text)
        .ok()
        .filter(|id| id.hyphenated().to_string() == text)
}

/// 64 lowercase hexadecimal digits, and nothing else.
fn canonical_digest(text: &str) -> Option<Digest256> {
    Digest256::from_hex(text)
        .ok()
        .filter(|digest| digest.to_hex() == text)
}

/// RFC 3339 in UTC with six fractional digits and `Z`, and nothing else.
fn canonical_instant_of(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
        .filter(|instant| canonical_instant(*instant) == text)
}

impl From<&AuditRecord> for StoredRecord {
    fn from(record: &AuditRecord) -> StoredRecord {
        StoredRecord {
            project_id: Some(record.project_id.to_string()),
            committee_id: None,
            sequence: i64::try_from(record.sequence).unwrap_or(i64::MAX),
            recorded_at: canonical_instant(record.recorded_at),
            actor_id: record.actor_id.clone(),
            actor_role: record.actor_role.clone(),
            command_id: record.command_id.map(|id| id.to_string()),
            event_type: record.event_type.clone(),
            event_version: i64::from(record.event_version),
            event: record.event.clone(),
            previous_hash: record.previous_hash.to_hex(),
            hash: record.hash.to_hex(),
        }
    }
}

impl From<&CommitteeRecord> for StoredRecord {
    fn from(record: &CommitteeRecord) -> StoredRecord {
        StoredRecord {
            project_id: None,
            committee_id: Some(record.committee_id.to_string()),
            sequence: i64::try_from(record.sequence).unwrap_or(i64::MAX),
            recorded_at: canonical_instant(record.recorded_at),
            actor_id: record.actor_id.clone(),
            actor_role: record.actor_role.clone(),
            command_id: record.command_id.map(|id| id.to_string()),
            event_type: record.event_type.clone(),
            event_version: i64::from(record.event_version),
            event: record.event.clone(),
            previous_hash: record.previous_hash.to_hex(),
            hash: record.hash.to_hex(),
        }
    }
}

/// A chain that held: how many records and its last hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// Records checked.
    pub records: u64,
    /// The last record's hash (zeros when there were none).
    pub head_hash: Digest256,
}

/// Verifies one chain of stored records of either kind, one record at a time: the record's
/// fields read in their canonical form, then the checks of its kind's verifier.
#[derive(Debug)]
pub enum StoredChainVerifier {
    /// A project's chain (each verifier boxed: their replayed states differ much in size).
    Project(Box<ChainVerifier>),
    /// A committee's chain.
    Committee(Box<CommitteeChainVerifier>),
}

impl StoredChainVerifier {
    /// A verifier of a chain of `kind`, expecting record 1.
    pub fn new(kind: RecordKind) -> StoredChainVerifier {
        match kind {
            RecordKind::Project => StoredChainVerifier::Project(Box::default()),
            RecordKind::Committee => StoredChainVerifier::Committee(Box::default()),
        }
    }

    /// Checks the next record; its hash when it holds.
    pub fn push(&mut self, stored: &StoredRecord) -> Result<Digest256, VerifyFailure> {
        match self {
            StoredChainVerifier::Project(verifier) => {
                let record = stored.to_project_record()?;
                verifier.push(&record)?;
                Ok(record.hash)
            }
            StoredChainVerifier::Committee(verifier) => {
                let record = stored.to_committee_record()?;
                verifier.push(&record)?;
                Ok(record.hash)
            }
        }
    }

    /// The chain so far.
    pub fn finish(self) -> ChainHead {
        let (records, head_hash) = match self {
            StoredChainVerifier::Project(verifier) => {
                let chain = verifier.finish();
                (chain.records, chain.head_hash)
            }
            StoredChainVerifier::Committee(verifier) => {
                let chain = verifier.finish();
                (chain.records, chain.head_hash)
            }
        };
        ChainHead { records, head_hash }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::audit::ChainFault;

    const DOCUMENT: &str = include_str!("../../../docs/audit-format.md");

    fn example_line() -> &'static str {
        let after = DOCUMENT
            .split("<!-- example-record -->")
            .nth(1)
            .unwrap_or_default();
        after.lines().nth(2).unwrap_or_default()
    }

    fn malformed_field(line: &str) -> String {
        let stored = StoredRecord::from_json_line(line).unwrap();
        match stored.to_project_record() {
            Err(VerifyFailure {
                fault: ChainFault::Malformed { field, .. },
                ..
            }) => field,
            other => panic!("expected a malformed field, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_record_reads_and_is_written_back_byte_for_byte() {
        let line = example_line();
        let stored = StoredRecord::from_json_line(line).unwrap();
        let record = stored.to_project_record().unwrap();
        assert_eq!(StoredRecord::from(&record), stored);
        let written = serde_json::to_value(&stored).unwrap();
        assert_eq!(written, serde_json::to_value(&record).unwrap());
    }

    // `audit verify --file` used to accept and re-format non-canonical text, which an
    // independent verifier hashing the text as it appears could not reproduce.
    #[test]
    fn every_non_canonical_spelling_is_refused_by_name() {
        let line = example_line();
        let cases = [
            ("eb90c2e7", "EB90C2E7", "hash"),
            ("5becf10e-c0de", "5BECF10E-C0DE", "command_id"),
            ("5becf10e-0000-4000", "5BECF10E-0000-4000", "project_id"),
            (
                "2026-01-21T01:00:00.000000Z",
                "2026-01-21T09:00:00.000000+08:00",
                "recorded_at",
            ),
            (
                "2026-01-21T01:00:00.000000Z",
                "2026-01-21T01:00:00.000000000Z",
                "recorded_at",
            ),
            ("\"sequence\": 4", "\"sequence\": 0", "sequence"),
        ];
        for (from, to, field) in cases {
            assert!(line.contains(from), "{from}");
            assert_eq!(malformed_field(&line.replacen(from, to, 1)), field, "{to}");
        }
    }

    #[test]
    fn fields_outside_the_documented_set_and_missing_fields_are_refused() {
        let line = example_line();
        let extra = line.replacen("{", "{\"note\": \"x\", ", 1);
        let refused = StoredRecord::from_json_line(&extra).unwrap_err();
        assert!(refused.reason.en.contains("note"), "{refused}");
        assert_eq!(refused.sequence, Some(4));
        assert_eq!(
            refused.chain.map(|(kind, _)| kind),
            Some(RecordKind::Project)
        );
        let missing = line.replacen("\"command_id\"", "\"command\"", 1);
        let refused = StoredRecord::from_json_line(&missing).unwrap_err();
        assert!(refused.reason.en.contains("command"), "{refused}");
        assert!(StoredRecord::from_json_line("[1]").is_err());
    }
}
