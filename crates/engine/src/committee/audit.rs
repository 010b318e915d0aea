//! A committee's audit log: its events sealed into a hash chain exactly as a project's are.
//!
//! A committee record has the eleven fields of a project's record with `committee_id` in place of
//! `project_id`, and hashes them with the same canonical encoding (`docs/audit-format.md`) under
//! its own format name, [`COMMITTEE_AUDIT_FORMAT`], so that a committee record can never pass
//! for a project's. Verification checks the same links in the same order and replays the events
//! with the committee's structural check.

use super::{CommitteeEvent, CommitteeEventBody, CommitteeState};
use crate::audit::{
    AsOf, CanonicalFields, ChainFault, ChainLinks, Digest256, Head, Link, SealError, SealableEvent,
    SealedFields, VerifyFailure, canonical_hash, canonical_instant, seal_chain, seal_event,
};
use crate::command::Actor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The domain separator of committee records, hashed first.
pub const COMMITTEE_AUDIT_FORMAT: &str = "specflow-committee-audit-v1";

/// One sealed event of one committee's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeRecord {
    /// The committee.
    pub committee_id: Uuid,
    /// 1, 2, 3… without gaps.
    pub sequence: u64,
    /// When the event was recorded, to the microsecond, in UTC; written in its canonical text.
    #[serde(
        serialize_with = "serialize_instant",
        deserialize_with = "deserialize_instant"
    )]
    pub recorded_at: DateTime<Utc>,
    /// Who caused it.
    pub actor_id: String,
    /// In which role.
    pub actor_role: String,
    /// The command it came from; `None` for events specflow caused itself.
    pub command_id: Option<Uuid>,
    /// The event's type, such as `member_appointed`.
    pub event_type: String,
    /// The version of the event's shape.
    pub event_version: u32,
    /// The event as JSON text, exactly as hashed.
    pub event: String,
    /// The previous record's hash (zeros for the first record).
    pub previous_hash: Digest256,
    /// This record's hash.
    pub hash: Digest256,
}

fn serialize_instant<S: serde::Serializer>(
    instant: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&canonical_instant(*instant))
}

fn deserialize_instant<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(serde::de::Error::custom)
}

impl SealableEvent for CommitteeEvent {
    type Body = CommitteeEventBody;

    fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn event_type(&self) -> &'static str {
        self.body.type_name()
    }

    fn body(&self) -> &CommitteeEventBody {
        &self.body
    }
}

impl CommitteeRecord {
    /// Seals an event as record `sequence` after a record whose hash is `previous_hash`.
    pub fn seal(
        committee_id: Uuid,
        sequence: u64,
        previous_hash: Digest256,
        command_id: Option<Uuid>,
        event: &CommitteeEvent,
    ) -> Result<CommitteeRecord, SealError> {
        let link = Link {
            sequence,
            previous_hash,
        };
        seal_event(
            COMMITTEE_AUDIT_FORMAT,
            committee_id,
            link,
            command_id,
            event,
        )
        .map(|fields| CommitteeRecord::from_fields(committee_id, fields))
    }

    fn from_fields(committee_id: Uuid, fields: SealedFields) -> CommitteeRecord {
        CommitteeRecord {
            committee_id,
            sequence: fields.sequence,
            recorded_at: fields.recorded_at,
            actor_id: fields.actor_id,
            actor_role: fields.actor_role,
            command_id: fields.command_id,
            event_type: fields.event_type,
            event_version: fields.event_version,
            event: fields.event,
            previous_hash: fields.previous_hash,
            hash: fields.hash,
        }
    }

    /// The log's head once this record is its last.
    pub fn head(&self) -> Head {
        Head {
            sequence: self.sequence,
            hash: self.hash,
        }
    }

    /// The hash the record should have, from its fields (ignoring its `hash`).
    pub fn compute_hash(&self) -> Digest256 {
        canonical_hash(&CanonicalFields {
            format: COMMITTEE_AUDIT_FORMAT,
            subject_id: self.committee_id,
            sequence: self.sequence,
            recorded_at: self.recorded_at,
            actor_id: &self.actor_id,
            actor_role: &self.actor_role,
            command_id: self.command_id,
            event_type: &self.event_type,
            event_version: self.event_version,
            event: &self.event,
            previous_hash: self.previous_hash,
        })
    }

    /// The event the record holds.
    pub fn to_event(&self) -> Result<CommitteeEvent, serde_json::Error> {
        Ok(CommitteeEvent {
            occurred_at: self.recorded_at,
            actor: Actor {
                id: self.actor_id.clone(),
                role: self.actor_role.clone(),
            },
            body: serde_json::from_str::<CommitteeEventBody>(&self.event)?,
        })
    }
}

/// Seals a batch of events after the record `head` (or as the first records when `None`).
pub fn seal_all(
    committee_id: Uuid,
    head: Option<Head>,
    command_id: Option<Uuid>,
    events: &[CommitteeEvent],
) -> Result<Vec<CommitteeRecord>, SealError> {
    seal_chain(
        COMMITTEE_AUDIT_FORMAT,
        committee_id,
        head,
        command_id,
        events,
    )
    .map(|sealed| {
        sealed
            .into_iter()
            .map(|fields| CommitteeRecord::from_fields(committee_id, fields))
            .collect()
    })
}

/// A verified committee chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedCommitteeChain {
    /// The committee.
    pub committee_id: Option<Uuid>,
    /// Records checked.
    pub records: u64,
    /// The last record's hash.
    pub head_hash: Digest256,
}

/// Verifies a committee's chain one record at a time.
#[derive(Debug)]
pub struct CommitteeChainVerifier {
    committee_id: Option<Uuid>,
    links: ChainLinks,
    state: CommitteeState,
}

impl Default for CommitteeChainVerifier {
    fn default() -> CommitteeChainVerifier {
        CommitteeChainVerifier::new()
    }
}

impl CommitteeChainVerifier {
    /// A verifier expecting record 1.
    pub fn new() -> CommitteeChainVerifier {
        CommitteeChainVerifier {
            committee_id: None,
            links: ChainLinks::new(),
            state: CommitteeState::new(),
        }
    }

    /// Checks the next record.
    pub fn push(&mut self, record: &CommitteeRecord) -> Result<(), VerifyFailure> {
        let fail = |fault| VerifyFailure {
            sequence: record.sequence,
            fault,
        };
        match self.committee_id {
            None => self.committee_id = Some(record.committee_id),
            Some(expected) if expected != record.committee_id => {
                return Err(fail(ChainFault::WrongCommittee {
                    expected,
                    found: record.committee_id,
                }));
            }
            Some(_) => {}
        }
        self.links
            .check(
                record.sequence,
                record.previous_hash,
                record.hash,
                record.compute_hash(),
                record.recorded_at,
            )
            .map_err(fail)?;
        let event = record.to_event().map_err(|error| {
            fail(ChainFault::UnreadableEvent {
                message: error.to_string(),
            })
        })?;
        if event.body.type_name() != record.event_type {
            return Err(fail(ChainFault::UnreadableEvent {
                message: format!(
                    "the record says {} but holds a {} event",
                    record.event_type,
                    event.body.type_name()
                ),
            }));
        }
        self.state
            .check_applicable(&event.body)
            .map_err(|message| fail(ChainFault::InvalidForState { message }))?;
        self.state.apply(&event);
        self.links.advance(record.hash, record.recorded_at);
        Ok(())
    }

    /// The result so far.
    pub fn finish(self) -> VerifiedCommitteeChain {
        VerifiedCommitteeChain {
            committee_id: self.committee_id,
            records: self.links.expected_sequence - 1,
            head_hash: self.links.previous_hash,
        }
    }

    /// The state replayed so far.
    pub fn state(&self) -> &CommitteeState {
        &self.state
    }
}

/// Proves a committee's chain, or names the first bad record and why.
pub fn verify(records: &[CommitteeRecord]) -> Result<VerifiedCommitteeChain, VerifyFailure> {
    let mut verifier = CommitteeChainVerifier::new();
    for record in records {
        verifier.push(record)?;
    }
    Ok(verifier.finish())
}

/// The committee's state as of a sequence number or an instant, by folding a prefix of its log.
pub fn replay_as_of<'a>(
    records: impl IntoIterator<Item = &'a CommitteeRecord>,
    as_of: AsOf,
) -> Result<CommitteeState, VerifyFailure> {
    let mut state = CommitteeState::new();
    for record in records {
        let included = match as_of {
            AsOf::Sequence(sequence) => record.sequence <= sequence,
            AsOf::Instant(instant) => record.recorded_at <= instant,
        };
        if !included {
            break;
        }
        let event = record.to_event().map_err(|error| VerifyFailure {
            sequence: record.sequence,
            fault: ChainFault::UnreadableEvent {
                message: error.to_string(),
            },
        })?;
        state.apply(&event);
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = include_str!("../../../../docs/audit-format.md");

    fn block_after(marker: &str) -> &'static str {
        let after = DOCUMENT.split(marker).nth(1).unwrap_or_default();
        let start = after.find('\n').map_or(0, |index| index + 1);
        let body = &after[start..];
        let body = body.split_once('\n').map_or("", |(_, rest)| rest);
        body.split("```").next().unwrap_or_default().trim()
    }

    #[test]
    fn worked_committee_example_in_the_documentation_hashes_as_stated() {
        let record: CommitteeRecord =
            serde_json::from_str(block_after("<!-- example-committee-record -->"))
                .unwrap_or_else(|error| panic!("{error}"));
        let expected = block_after("<!-- example-committee-hash -->");
        assert_eq!(record.compute_hash().to_hex(), expected);
        assert_eq!(record.hash.to_hex(), expected);
        // The example is a real event: it reads, and our serialisation writes it byte for byte.
        let event = record.to_event().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            serde_json::to_string(&event.body).unwrap_or_default(),
            record.event
        );
        assert!(verify(std::slice::from_ref(&record)).is_ok());
    }

    // Committee sealing shares the project log's code: the documented committee record must
    // still be what sealing its event gives, byte for byte.
    #[test]
    fn sealing_the_documented_committee_event_gives_the_documented_record() {
        let record: CommitteeRecord =
            serde_json::from_str(block_after("<!-- example-committee-record -->"))
                .unwrap_or_else(|error| panic!("{error}"));
        let event = record.to_event().unwrap_or_else(|error| panic!("{error}"));
        let sealed = CommitteeRecord::seal(
            record.committee_id,
            record.sequence,
            record.previous_hash,
            record.command_id,
            &event,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(sealed, record);
    }
}
