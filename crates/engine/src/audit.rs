//! The audit log: every event sealed in a record that carries the hash of the record before it.
//!
//! A record's hash is SHA-256 over a canonical byte encoding of its fields (see
//! `docs/audit-format.md`): each field as a 4-byte big-endian length and its UTF-8 bytes, in a
//! fixed order, no floating point anywhere. The event itself is hashed as the exact JSON text
//! stored with the record, so a verifier in another language hashes bytes and never has to
//! re-serialise JSON. A record edited, removed from the middle or moved makes [`verify`] fail at
//! that record or the next; what a chain cannot show alone (an edit re-hashed to the end, a cut
//! tail) needs a head kept elsewhere, as the format document says.

use crate::command::Actor;
use crate::event::{EVENT_SCHEMA_VERSION, Event, EventBody};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// The domain separator hashed first, naming the encoding's version.
pub const AUDIT_FORMAT: &str = "specflow-audit-v1";

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest256(pub [u8; 32]);

impl Digest256 {
    /// The digest of nothing before the first record: 32 zero bytes.
    pub const GENESIS: Digest256 = Digest256([0; 32]);

    /// The digest as 64 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Digest256, hex::FromHexError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)?;
        Ok(Digest256(bytes))
    }

    /// The first 12 hexadecimal digits, for people.
    pub fn short(&self) -> String {
        let mut text = self.to_hex();
        text.truncate(12);
        text
    }
}

impl fmt::Debug for Digest256 {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Digest256({})", self.to_hex())
    }
}

impl fmt::Display for Digest256 {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_hex())
    }
}

impl Serialize for Digest256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest256::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// One sealed event of one project's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The project.
    pub project_id: Uuid,
    /// 1, 2, 3… without gaps.
    pub sequence: u64,
    /// When the event happened, to the microsecond, in UTC; written in its canonical text.
    #[serde(with = "canonical_instant_serde")]
    pub recorded_at: DateTime<Utc>,
    /// Who caused it.
    pub actor_id: String,
    /// In which role.
    pub actor_role: String,
    /// The command it came from, for idempotency; `None` for events specflow caused itself.
    pub command_id: Option<Uuid>,
    /// The event's type, such as `action_fired`.
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

/// The canonical text of an instant: RFC 3339, UTC, exactly six fractional digits, `Z`.
pub fn canonical_instant(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Micros, true)
}

mod canonical_instant_serde {
    //! Instants in records are written exactly as they are hashed, so an exported record can be
    //! verified by hashing its fields as text.

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        instant: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::canonical_instant(*instant))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// An instant cut to the microsecond, the precision records keep (and PostgreSQL stores).
pub fn to_record_precision(instant: DateTime<Utc>) -> DateTime<Utc> {
    instant.trunc_subsecs(6)
}

fn put(encoding: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths are u32: no field of a record approaches 4 GiB (artifacts are stored elsewhere).
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    encoding.extend_from_slice(&length.to_be_bytes());
    encoding.extend_from_slice(bytes);
}

fn put_decimal(encoding: &mut Vec<u8>, value: u64) {
    let mut buffer = itoa::Buffer::new();
    put(encoding, buffer.format(value).as_bytes());
}

/// Puts [`canonical_instant`] of `instant`, writing the digits in place for years 0 to 9999
/// outside a leap second (every instant a record holds), and through chrono otherwise.
fn put_instant(encoding: &mut Vec<u8>, instant: DateTime<Utc>) {
    fn digits(field: &mut [u8], mut value: u32) {
        for digit in field.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    let naive = instant.naive_utc();
    let year = naive.year();
    let nanosecond = naive.nanosecond();
    if !(0..=9999).contains(&year) || nanosecond >= 1_000_000_000 {
        put(encoding, canonical_instant(instant).as_bytes());
        return;
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    digits(&mut text[0..4], year.unsigned_abs());
    digits(&mut text[5..7], naive.month());
    digits(&mut text[8..10], naive.day());
    digits(&mut text[11..13], naive.hour());
    digits(&mut text[14..16], naive.minute());
    digits(&mut text[17..19], naive.second());
    digits(&mut text[20..26], nanosecond / 1000);
    put(encoding, &text);
}

/// The eleven fields a record hashes, in order (`docs/audit-format.md`). Projects' and committees'
/// logs share the encoding and differ only in the format name hashed first and whose id the
/// subject is, so one verifier's code serves both.
pub(crate) struct CanonicalFields<'a> {
    /// The domain separator: [`AUDIT_FORMAT`] or a committee log's format name.
    pub format: &'a str,
    /// The project's or the committee's id.
    pub subject_id: Uuid,
    pub sequence: u64,
    pub recorded_at: DateTime<Utc>,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub command_id: Option<Uuid>,
    pub event_type: &'a str,
    pub event_version: u32,
    pub event: &'a str,
    pub previous_hash: Digest256,
}

/// SHA-256 over the canonical encoding of a record's fields.
pub(crate) fn canonical_hash(fields: &CanonicalFields<'_>) -> Digest256 {
    // The canonical encoding is laid out in one buffer and hashed in one call: the same bytes
    // as feeding the hasher field by field, without a call into it for every field.
    let mut encoding = Vec::with_capacity(
        256 + fields.actor_id.len() + fields.actor_role.len() + fields.event.len(),
    );
    put(&mut encoding, fields.format.as_bytes());
    let mut uuid_buffer = Uuid::encode_buffer();
    put(
        &mut encoding,
        fields
            .subject_id
            .hyphenated()
            .encode_lower(&mut uuid_buffer)
            .as_bytes(),
    );
    put_decimal(&mut encoding, fields.sequence);
    put_instant(&mut encoding, fields.recorded_at);
    put(&mut encoding, fields.actor_id.as_bytes());
    put(&mut encoding, fields.actor_role.as_bytes());
    match fields.command_id {
        Some(command_id) => put(
            &mut encoding,
            command_id
                .hyphenated()
                .encode_lower(&mut uuid_buffer)
                .as_bytes(),
        ),
        None => put(&mut encoding, b""),
    }
    put(&mut encoding, fields.event_type.as_bytes());
    put_decimal(&mut encoding, u64::from(fields.event_version));
    put(&mut encoding, fields.event.as_bytes());
    let mut hex_buffer = [0u8; 64];
    // Encoding 32 bytes into a 64-byte buffer always fits.
    let previous = hex::encode_to_slice(fields.previous_hash.0, &mut hex_buffer)
        .ok()
        .and_then(|()| std::str::from_utf8(&hex_buffer).ok())
        .unwrap_or("");
    put(&mut encoding, previous.as_bytes());
    Digest256(Sha256::digest(&encoding).into())
}

/// The links of a chain checked record by record: sequence, previous hash, own hash and time.
/// Shared by the project and committee verifiers, so both report the same faults in the same order.
#[derive(Debug)]
pub(crate) struct ChainLinks {
    pub expected_sequence: u64,
    pub previous_hash: Digest256,
    pub previous_time: Option<DateTime<Utc>>,
}

impl ChainLinks {
    /// Links expecting record 1.
    pub fn new() -> ChainLinks {
        ChainLinks {
            expected_sequence: 1,
            previous_hash: Digest256::GENESIS,
            previous_time: None,
        }
    }

    /// Checks a record's links; `computed` is what its fields hash to.
    pub fn check(
        &self,
        sequence: u64,
        previous_hash: Digest256,
        hash: Digest256,
        computed: Digest256,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), ChainFault> {
        if sequence != self.expected_sequence {
            return Err(ChainFault::Gap {
                expected: self.expected_sequence,
                found: sequence,
            });
        }
        if previous_hash != self.previous_hash {
            return Err(ChainFault::BrokenLink {
                expected: self.previous_hash.to_hex(),
                found: previous_hash.to_hex(),
            });
        }
        if computed != hash {
            return Err(ChainFault::HashMismatch {
                computed: computed.to_hex(),
                stored: hash.to_hex(),
            });
        }
        if let Some(previous) = self.previous_time
            && recorded_at < previous
        {
            return Err(ChainFault::TimeOutOfOrder {
                previous: canonical_instant(previous),
                this: canonical_instant(recorded_at),
            });
        }
        Ok(())
    }

    /// Moves past a record that checked.
    pub fn advance(&mut self, hash: Digest256, recorded_at: DateTime<Utc>) {
        self.expected_sequence += 1;
        self.previous_hash = hash;
        self.previous_time = Some(recorded_at);
    }
}

/// The last record of a log, which the next record links to: its sequence and its hash.
///
/// A log with no records yet has the head [`Head::EMPTY`] (or none: `seal_all` takes `None` for
/// it); its first record then links to [`Digest256::GENESIS`] with sequence 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Head {
    /// The last record's sequence (1, 2, 3…).
    pub sequence: u64,
    /// The last record's hash.
    pub hash: Digest256,
}

impl Head {
    /// The head of a log with no records yet: sequence 0 and the genesis hash, which the first
    /// record links to. Sealing after it is sealing after `None`.
    pub const EMPTY: Head = Head {
        sequence: 0,
        hash: Digest256::GENESIS,
    };

    /// The sequence the next record takes.
    pub fn next_sequence(&self) -> u64 {
        self.sequence + 1
    }
}

/// Why an event could not be sealed into a record. Nothing is sealed then: a record never holds
/// an empty or partial event.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The event's body could not be written as the JSON text the record holds and hashes.
    #[error(
        "the {event_type} event for record {sequence} of {subject_id} cannot be encoded as JSON: {source}"
    )]
    Unencodable {
        /// The project's or the committee's id.
        subject_id: Uuid,
        /// The sequence the record would have had.
        sequence: u64,
        /// The event's type, such as `action_fired`.
        event_type: &'static str,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },
}

/// An event as a log seals it: when, by whom, its type, and the body stored as JSON text.
/// Implemented by a project's and a committee's events, so both are sealed by the same code.
pub(crate) trait SealableEvent {
    /// The body, written as the record's `event` text.
    type Body: Serialize;
    /// When it happened.
    fn occurred_at(&self) -> DateTime<Utc>;
    /// Who caused it.
    fn actor(&self) -> &Actor;
    /// Its type, such as `action_fired`.
    fn event_type(&self) -> &'static str;
    /// Its body.
    fn body(&self) -> &Self::Body;
}

impl SealableEvent for Event {
    type Body = EventBody;

    fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn event_type(&self) -> &'static str {
        self.body.type_name()
    }

    fn body(&self) -> &EventBody {
        &self.body
    }
}

/// Where a record goes in its chain: its sequence and the hash of the record before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub sequence: u64,
    pub previous_hash: Digest256,
}

/// A sealed record's fields, whatever its log: a project's and a committee's record are these
/// beside the subject's id.
pub(crate) struct SealedFields {
    pub sequence: u64,
    pub recorded_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    pub command_id: Option<Uuid>,
    pub event_type: String,
    pub event_version: u32,
    pub event: String,
    pub previous_hash: Digest256,
    pub hash: Digest256,
}

/// Seals one event into the log `format` of `subject_id`, at `link`.
pub(crate) fn seal_event<E: SealableEvent>(
    format: &str,
    subject_id: Uuid,
    link: Link,
    command_id: Option<Uuid>,
    event: &E,
) -> Result<SealedFields, SealError> {
    let event_type = event.event_type();
    let event_json =
        serde_json::to_string(event.body()).map_err(|source| SealError::Unencodable {
            subject_id,
            sequence: link.sequence,
            event_type,
            source,
        })?;
    let recorded_at = to_record_precision(event.occurred_at());
    let actor = event.actor();
    let hash = canonical_hash(&CanonicalFields {
        format,
        subject_id,
        sequence: link.sequence,
        recorded_at,
        actor_id: &actor.id,
        actor_role: &actor.role,
        command_id,
        event_type,
        event_version: EVENT_SCHEMA_VERSION,
        event: &event_json,
        previous_hash: link.previous_hash,
    });
    Ok(SealedFields {
        sequence: link.sequence,
        recorded_at,
        actor_id: actor.id.clone(),
        actor_role: actor.role.clone(),
        command_id,
        event_type: event_type.to_string(),
        event_version: EVENT_SCHEMA_VERSION,
        event: event_json,
        previous_hash: link.previous_hash,
        hash,
    })
}

/// Seals a batch of events into the log `format` of `subject_id` after `head` (or as its first
/// records when `None`), each linked to the one before; stops at the first event that cannot be
/// sealed.
pub(crate) fn seal_chain<E: SealableEvent>(
    format: &str,
    subject_id: Uuid,
    head: Option<Head>,
    command_id: Option<Uuid>,
    events: &[E],
) -> Result<Vec<SealedFields>, SealError> {
    let mut link = Link {
        sequence: head.map_or(1, |head| head.next_sequence()),
        previous_hash: head.map_or(Digest256::GENESIS, |head| head.hash),
    };
    let mut sealed = Vec::with_capacity(events.len());
    for event in events {
        let fields = seal_event(format, subject_id, link, command_id, event)?;
        link = Link {
            sequence: link.sequence + 1,
            previous_hash: fields.hash,
        };
        sealed.push(fields);
    }
    Ok(sealed)
}

impl AuditRecord {
    /// Seals an event as record `sequence` after a record whose hash is `previous_hash`.
    pub fn seal(
        project_id: Uuid,
        sequence: u64,
        previous_hash: Digest256,
        command_id: Option<Uuid>,
        event: &Event,
    ) -> Result<AuditRecord, SealError> {
        let link = Link {
            sequence,
            previous_hash,
        };
        seal_event(AUDIT_FORMAT, project_id, link, command_id, event)
            .map(|fields| AuditRecord::from_fields(project_id, fields))
    }

    fn from_fields(project_id: Uuid, fields: SealedFields) -> AuditRecord {
        AuditRecord {
            project_id,
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
            format: AUDIT_FORMAT,
            subject_id: self.project_id,
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
    pub fn to_event(&self) -> Result<Event, serde_json::Error> {
        Ok(Event {
            occurred_at: self.recorded_at,
            actor: Actor {
                id: self.actor_id.clone(),
                role: self.actor_role.clone(),
            },
            body: serde_json::from_str::<EventBody>(&self.event)?,
        })
    }
}

/// Seals a batch of events after the record `head` (or as the first records when `head` is `None`).
pub fn seal_all(
    project_id: Uuid,
    head: Option<Head>,
    command_id: Option<Uuid>,
    events: &[Event],
) -> Result<Vec<AuditRecord>, SealError> {
    seal_chain(AUDIT_FORMAT, project_id, head, command_id, events).map(|sealed| {
        sealed
            .into_iter()
            .map(|fields| AuditRecord::from_fields(project_id, fields))
            .collect()
    })
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainFault {
    /// The stored hash is not the hash of the record's fields: the record was edited.
    #[error("hash mismatch: the record's fields hash to {computed}, but it says {stored}")]
    HashMismatch {
        /// What the fields hash to.
        computed: String,
        /// What the record says.
        stored: String,
    },
    /// The record does not point to the record before it.
    #[error("broken link: previous_hash is {found}, but the record before hashes to {expected}")]
    BrokenLink {
        /// The previous record's hash.
        expected: String,
        /// What this record says.
        found: String,
    },
    /// A sequence number is missing or repeated.
    #[error("gap: expected sequence {expected}, found {found}")]
    Gap {
        /// The sequence number expected.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The record belongs to another project.
    #[error("the record belongs to project {found}, not {expected}")]
    WrongProject {
        /// The chain's project.
        expected: Uuid,
        /// The record's project.
        found: Uuid,
    },
    /// The record belongs to another committee.
    #[error("the record belongs to committee {found}, not {expected}")]
    WrongCommittee {
        /// The chain's committee.
        expected: Uuid,
        /// The record's committee.
        found: Uuid,
    },
    /// Time went backwards.
    #[error("out-of-order time: recorded at {this}, before the previous record at {previous}")]
    TimeOutOfOrder {
        /// The previous record's instant.
        previous: String,
        /// This record's instant.
        this: String,
    },
    /// The event text is not an event this build can read.
    #[error("the event cannot be read: {message}")]
    UnreadableEvent {
        /// What went wrong.
        message: String,
    },
    /// The event could not have happened in the state before it.
    #[error("the event is invalid for the state it was applied to: {message}")]
    InvalidForState {
        /// The reason given, in words, as the log records it.
        message: String,
    },
    /// A field is not written in its one canonical form (`docs/audit-format.md`): a hash that
    /// is not 64 lowercase hexadecimal digits, an upper-case UUID, an instant with an offset or
    /// more than six fractional digits, a negative number, or a field outside the documented set.
    #[error("the field {field} is not in its canonical form: {found}")]
    Malformed {
        /// The field's name.
        field: String,
        /// What the record holds there.
        found: String,
    },
    /// The record lies past the head the projection names: no write of specflow put it there,
    /// since a write moves the projection and the log together.
    #[error("the record lies past the projection's head, record {head_sequence}")]
    BeyondProjection {
        /// The last sequence the projection names.
        head_sequence: u64,
    },
    /// The record at the projection's head does not hash to what the projection says it does:
    /// the log was rewritten from here or earlier and re-hashed.
    #[error("the projection's head is {projection}, but this record hashes to {found}")]
    HeadMismatch {
        /// The head hash the projection holds.
        projection: String,
        /// This record's hash.
        found: String,
    },
    /// The log ends before the head the projection names: records were taken from its end.
    #[error(
        "missing records: the log ends at record {last}, but the projection's head is record {head_sequence}"
    )]
    MissingRecords {
        /// The last record the log holds (0 when none).
        last: u64,
        /// The last sequence the projection names.
        head_sequence: u64,
    },
    /// The log has records but no projection row: the project or committee has vanished from
    /// every list and page.
    #[error("the log has {records} records but no projection row")]
    NoProjection {
        /// How many records the log holds.
        records: u64,
    },
}

/// The first bad record of a chain and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("record {sequence}: {fault}")]
pub struct VerifyFailure {
    /// The sequence number of the first bad record (as stored, or its position when unreadable).
    pub sequence: u64,
    /// What is wrong.
    pub fault: ChainFault,
}

impl ChainFault {
    /// What is wrong, in both languages. The detail of an unreadable or inapplicable event is
    /// the reader's or the fold's own text, given as it is.
    pub fn message(&self) -> LocalizedText {
        match self {
            ChainFault::HashMismatch { computed, stored } => LocalizedText::new(
                format!("哈希不符：记录各字段的哈希为 {computed}，记录所载为 {stored}"),
                self.to_string(),
            ),
            ChainFault::BrokenLink { expected, found } => LocalizedText::new(
                format!(
                    "链接断裂：所载前一条记录的哈希为 {found}，而前一条记录的哈希为 {expected}"
                ),
                self.to_string(),
            ),
            ChainFault::Gap { expected, found } => LocalizedText::new(
                format!("序号不连续：应为 {expected}，实为 {found}"),
                self.to_string(),
            ),
            ChainFault::WrongProject { expected, found } => LocalizedText::new(
                format!("该记录属于项目 {found}，而非 {expected}"),
                self.to_string(),
            ),
            ChainFault::WrongCommittee { expected, found } => LocalizedText::new(
                format!("该记录属于技术委员会 {found}，而非 {expected}"),
                self.to_string(),
            ),
            ChainFault::TimeOutOfOrder { previous, this } => LocalizedText::new(
                format!("时间倒序：记录时间 {this} 早于前一条记录的 {previous}"),
                self.to_string(),
            ),
            ChainFault::UnreadableEvent { message } => {
                LocalizedText::new(format!("事件无法读取：{message}"), self.to_string())
            }
            ChainFault::InvalidForState { message } => LocalizedText::new(
                format!("事件与其之前的状态不符：{message}"),
                self.to_string(),
            ),
            ChainFault::Malformed { field, found } => LocalizedText::new(
                format!("字段 {field} 不是规范写法：{found}"),
                self.to_string(),
            ),
            ChainFault::BeyondProjection { head_sequence } => LocalizedText::new(
                format!("该记录在投影的链头（第 {head_sequence} 条）之后"),
                self.to_string(),
            ),
            ChainFault::HeadMismatch { projection, found } => LocalizedText::new(
                format!("投影所载链头哈希为 {projection}，而该记录的哈希为 {found}"),
                self.to_string(),
            ),
            ChainFault::MissingRecords {
                last,
                head_sequence,
            } => LocalizedText::new(
                format!("记录缺失：日志止于第 {last} 条，而投影的链头为第 {head_sequence} 条"),
                self.to_string(),
            ),
            ChainFault::NoProjection { records } => LocalizedText::new(
                format!("日志有 {records} 条记录，却没有投影行"),
                self.to_string(),
            ),
        }
    }
}

impl VerifyFailure {
    /// The first bad record and what is wrong with it, in both languages.
    pub fn message(&self) -> LocalizedText {
        let (sequence, fault) = (self.sequence, self.fault.message());
        LocalizedText::new(
            format!("第 {sequence} 条记录：{}", fault.zh),
            format!("record {sequence}: {}", fault.en),
        )
    }
}

/// A verified chain: how many records, and its head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedChain {
    /// The project.
    pub project_id: Option<Uuid>,
    /// Records checked.
    pub records: u64,
    /// The last record's hash.
    pub head_hash: Digest256,
}

/// Verifies a chain one record at a time, so a long log can stream through in constant memory
/// (apart from the project state it replays).
#[derive(Debug)]
pub struct ChainVerifier {
    project_id: Option<Uuid>,
    links: ChainLinks,
    state: ProjectState,
}

impl Default for ChainVerifier {
    /// A verifier expecting record 1 (a derived default would expect record 0).
    fn default() -> ChainVerifier {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    /// A verifier expecting record 1.
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            project_id: None,
            links: ChainLinks::new(),
            state: ProjectState::new(),
        }
    }

    /// Checks the next record.
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), VerifyFailure> {
        self.push_hashed(record, record.compute_hash())
    }

    /// Checks the next record, whose fields hash to `computed` (worked out elsewhere, perhaps
    /// on another core).
    fn push_hashed(
        &mut self,
        record: &AuditRecord,
        computed: Digest256,
    ) -> Result<(), VerifyFailure> {
        let fail = |fault| VerifyFailure {
            sequence: record.sequence,
            fault,
        };
        match self.project_id {
            None => self.project_id = Some(record.project_id),
            Some(expected) if expected != record.project_id => {
                return Err(fail(ChainFault::WrongProject {
                    expected,
                    found: record.project_id,
                }));
            }
            Some(_) => {}
        }
        self.links
            .check(
                record.sequence,
                record.previous_hash,
                record.hash,
                computed,
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
        self.state.apply_owned(event);
        self.links.advance(record.hash, record.recorded_at);
        Ok(())
    }

    /// The result so far.
    pub fn finish(self) -> VerifiedChain {
        VerifiedChain {
            project_id: self.project_id,
            records: self.links.expected_sequence - 1,
            head_hash: self.links.previous_hash,
        }
    }

    /// The state replayed so far.
    pub fn state(&self) -> &ProjectState {
        &self.state
    }
}

/// Proves a project's chain, or names the first bad record and why.
///
/// A long chain is hashed on a second thread, a chunk at a time, while this thread checks the
/// links and replays the events: the two halves of the work take about as long as each other,
/// so verifying takes little more than replaying. This is computation only, no I/O.
pub fn verify(records: &[AuditRecord]) -> Result<VerifiedChain, VerifyFailure> {
    const CHUNK: usize = 512;
    let mut verifier = ChainVerifier::new();
    if records.len() < 2 * CHUNK {
        for record in records {
            verifier.push(record)?;
        }
        return Ok(verifier.finish());
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Digest256>>(4);
        let hasher = std::thread::Builder::new().spawn_scoped(scope, move || {
            for chunk in records.chunks(CHUNK) {
                let hashes = chunk.iter().map(AuditRecord::compute_hash).collect();
                // The receiver is gone when verification stopped at a bad record.
                if sender.send(hashes).is_err() {
                    break;
                }
            }
        });
        for chunk in records.chunks(CHUNK) {
            // Without a second thread (the system refused one), hash here.
            let hashes = match &hasher {
                Ok(_) => receiver.recv().unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            if hashes.len() == chunk.len() {
                for (record, computed) in chunk.iter().zip(hashes) {
                    verifier.push_hashed(record, computed)?;
                }
            } else {
                for record in chunk {
                    verifier.push(record)?;
                }
            }
        }
        Ok(verifier.finish())
    })
}

/// Where to stop a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the record with this sequence number.
    Sequence(u64),
    /// After the last record at or before this instant.
    Instant(DateTime<Utc>),
}

/// The state of a project as of a sequence number or an instant, by folding a prefix of its log.
pub fn replay_as_of<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    as_of: AsOf,
) -> Result<ProjectState, VerifyFailure> {
    let mut state = ProjectState::new();
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
        state.apply_owned(event);
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = include_str!("../../../docs/audit-format.md");

    fn block_after(marker: &str) -> &'static str {
        let after = DOCUMENT.split(marker).nth(1).unwrap_or_default();
        let start = after.find('\n').map_or(0, |index| index + 1);
        let body = &after[start..];
        let body = body.split_once('\n').map_or("", |(_, rest)| rest);
        body.split("```").next().unwrap_or_default().trim()
    }

    #[test]
    fn worked_example_in_the_documentation_hashes_as_stated() {
        let record: AuditRecord = serde_json::from_str(block_after("<!-- example-record -->"))
            .unwrap_or_else(|error| panic!("{error}"));
        let expected = block_after("<!-- example-hash -->");
        assert_eq!(record.compute_hash().to_hex(), expected);
        assert_eq!(record.hash.to_hex(), expected);
    }

    // Sealing moved to code shared with committee logs: the documented record must still be
    // what sealing its event gives, byte for byte.
    #[test]
    fn sealing_the_documented_event_gives_the_documented_record() {
        let record: AuditRecord = serde_json::from_str(block_after("<!-- example-record -->"))
            .unwrap_or_else(|error| panic!("{error}"));
        let event = record.to_event().unwrap_or_else(|error| panic!("{error}"));
        let sealed = AuditRecord::seal(
            record.project_id,
            record.sequence,
            record.previous_hash,
            record.command_id,
            &event,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(sealed, record);
    }

    // Sealing used to store an empty event when serialisation failed; it must refuse instead.
    #[test]
    fn an_event_that_cannot_be_encoded_is_not_sealed() {
        struct Unencodable;
        impl Serialize for Unencodable {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no JSON for this"))
            }
        }
        struct Broken(Actor, Unencodable);
        impl SealableEvent for Broken {
            type Body = Unencodable;
            fn occurred_at(&self) -> DateTime<Utc> {
                DateTime::<Utc>::UNIX_EPOCH
            }
            fn actor(&self) -> &Actor {
                &self.0
            }
            fn event_type(&self) -> &'static str {
                "broken"
            }
            fn body(&self) -> &Unencodable {
                &self.1
            }
        }
        let event = Broken(Actor::new("someone", "secretariat"), Unencodable);
        let result = seal_chain(AUDIT_FORMAT, Uuid::nil(), None, None, &[event]);
        match result {
            Err(SealError::Unencodable {
                sequence: 1,
                event_type: "broken",
                ..
            }) => {}
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("an unencodable event was sealed"),
        }
    }

    #[test]
    fn instants_are_put_exactly_as_their_canonical_text() {
        let instants = [
            "0000-01-01T00:00:00Z",
            "0999-12-31T23:59:59.999999Z",
            "1970-01-01T00:00:00Z",
            "2026-01-05T01:00:00.000001Z",
            "2026-06-30T15:59:60.5Z",
            "2026-12-31T23:59:59.123456789Z",
            "9999-12-31T23:59:59.999999Z",
        ];
        let mut all: Vec<DateTime<Utc>> = instants
            .iter()
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .unwrap_or_else(|error| panic!("{text}: {error}"))
                    .with_timezone(&Utc)
            })
            .collect();
        all.extend([DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]);
        let mut seconds = -62_000_000_000_i64;
        while seconds < 260_000_000_000 {
            if let Some(instant) =
                DateTime::from_timestamp(seconds, (seconds % 1_000_000_007) as u32 % 1_000_000_000)
            {
                all.push(instant);
            }
            seconds += 987_654_321;
        }
        for instant in all {
            let mut encoding = Vec::new();
            put_instant(&mut encoding, instant);
            let mut expected = Vec::new();
            put(&mut expected, canonical_instant(instant).as_bytes());
            assert_eq!(encoding, expected, "{instant:?}");
        }
    }
}
