//! The API's view of a broken chain: the first bad record and what is wrong with it.
//!
//! Written exactly as the engine's `VerifyFailure` was when the API answered with it, with the
//! fault's words added (`message`), so a client can show why without knowing every kind.

use crate::app::audit::ProjectVerification;
use serde::{Deserialize, Serialize};
use specflow_engine::audit::{ChainFault, VerifyFailure};
use utoipa::ToSchema;
use uuid::Uuid;

/// Why a chain does not verify, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainFaultView {
    /// The stored hash is not the hash of the record's fields: the record was edited.
    HashMismatch {
        /// What the fields hash to.
        computed: String,
        /// What the record says.
        stored: String,
    },
    /// The record does not point to the record before it.
    BrokenLink {
        /// The previous record's hash.
        expected: String,
        /// What this record says.
        found: String,
    },
    /// A sequence number is missing or repeated.
    Gap {
        /// The sequence number expected.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The record belongs to another project.
    WrongProject {
        /// The chain's project.
        expected: Uuid,
        /// The record's project.
        found: Uuid,
    },
    /// The record belongs to another committee.
    WrongCommittee {
        /// The chain's committee.
        expected: Uuid,
        /// The record's committee.
        found: Uuid,
    },
    /// Time went backwards.
    TimeOutOfOrder {
        /// The previous record's instant.
        previous: String,
        /// This record's instant.
        this: String,
    },
    /// The event text is not an event this build can read.
    UnreadableEvent {
        /// What went wrong.
        message: String,
    },
    /// The event could not have happened in the state before it.
    InvalidForState {
        /// The reason given.
        message: String,
    },
    /// A field is not written in its one canonical form.
    Malformed {
        /// The field's name.
        field: String,
        /// What the record holds there.
        found: String,
    },
    /// The record lies past the head the projection names.
    BeyondProjection {
        /// The last sequence the projection names.
        head_sequence: u64,
    },
    /// The record at the projection's head does not hash to what the projection says.
    HeadMismatch {
        /// The head hash the projection holds.
        projection: String,
        /// This record's hash.
        found: String,
    },
    /// The log ends before the head the projection names.
    MissingRecords {
        /// The last record the log holds (0 when none).
        last: u64,
        /// The last sequence the projection names.
        head_sequence: u64,
    },
    /// The log has records but no projection row.
    NoProjection {
        /// How many records the log holds.
        records: u64,
    },
}

impl From<ChainFault> for ChainFaultView {
    fn from(from: ChainFault) -> ChainFaultView {
        match from {
            ChainFault::HashMismatch { computed, stored } => {
                ChainFaultView::HashMismatch { computed, stored }
            }
            ChainFault::BrokenLink { expected, found } => {
                ChainFaultView::BrokenLink { expected, found }
            }
            ChainFault::Gap { expected, found } => ChainFaultView::Gap { expected, found },
            ChainFault::WrongProject { expected, found } => {
                ChainFaultView::WrongProject { expected, found }
            }
            ChainFault::WrongCommittee { expected, found } => {
                ChainFaultView::WrongCommittee { expected, found }
            }
            ChainFault::TimeOutOfOrder { previous, this } => {
                ChainFaultView::TimeOutOfOrder { previous, this }
            }
            ChainFault::UnreadableEvent { message } => ChainFaultView::UnreadableEvent { message },
            ChainFault::InvalidForState { message } => ChainFaultView::InvalidForState { message },
            ChainFault::Malformed { field, found } => ChainFaultView::Malformed { field, found },
            ChainFault::BeyondProjection { head_sequence } => {
                ChainFaultView::BeyondProjection { head_sequence }
            }
            ChainFault::HeadMismatch { projection, found } => {
                ChainFaultView::HeadMismatch { projection, found }
            }
            ChainFault::MissingRecords {
                last,
                head_sequence,
            } => ChainFaultView::MissingRecords {
                last,
                head_sequence,
            },
            ChainFault::NoProjection { records } => ChainFaultView::NoProjection { records },
        }
    }
}

/// The first bad record of a chain and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VerifyFailureView {
    /// The sequence number of the first bad record (as stored, or its position when unreadable).
    pub sequence: u64,
    /// What is wrong.
    pub fault: ChainFaultView,
    /// What is wrong, in words (English, as operators' logs say it).
    pub message: String,
}

impl From<VerifyFailure> for VerifyFailureView {
    fn from(from: VerifyFailure) -> VerifyFailureView {
        VerifyFailureView {
            message: from.to_string(),
            sequence: from.sequence,
            fault: from.fault.into(),
        }
    }
}

impl std::fmt::Display for VerifyFailureView {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.message)
    }
}

/// What verifying one project's chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectVerificationAnswer {
    /// The project.
    pub project_id: Uuid,
    /// Whether the chain holds.
    pub valid: bool,
    /// How many records were checked, when it holds.
    pub records: Option<u64>,
    /// The last record's hash, when it holds.
    pub head_hash: Option<String>,
    /// Where and why the chain broke.
    pub failure: Option<VerifyFailureView>,
}

impl From<ProjectVerification> for ProjectVerificationAnswer {
    fn from(from: ProjectVerification) -> ProjectVerificationAnswer {
        ProjectVerificationAnswer {
            project_id: from.project_id,
            valid: from.valid,
            records: from.records,
            head_hash: from.head_hash,
            failure: from.failure.map(Into::into),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::VerifyFailureView;
    use specflow_engine::audit::{ChainFault, VerifyFailure};
    use uuid::Uuid;

    /// Every kind of fault is written as the engine wrote it, with its words added, and reads
    /// back.
    #[test]
    fn a_failure_view_is_the_engine_failure_with_its_words() {
        let faults = [
            ChainFault::HashMismatch {
                computed: "aa".into(),
                stored: "bb".into(),
            },
            ChainFault::BrokenLink {
                expected: "aa".into(),
                found: "bb".into(),
            },
            ChainFault::Gap {
                expected: 3,
                found: 5,
            },
            ChainFault::WrongProject {
                expected: Uuid::from_u128(1),
                found: Uuid::from_u128(2),
            },
            ChainFault::WrongCommittee {
                expected: Uuid::from_u128(1),
                found: Uuid::from_u128(2),
            },
            ChainFault::TimeOutOfOrder {
                previous: "2026-01-02T00:00:00Z".into(),
                this: "2026-01-01T00:00:00Z".into(),
            },
            ChainFault::UnreadableEvent {
                message: "bad".into(),
            },
            ChainFault::InvalidForState {
                message: "bad".into(),
            },
            ChainFault::Malformed {
                field: "hash".into(),
                found: "XYZ".into(),
            },
            ChainFault::BeyondProjection { head_sequence: 3 },
            ChainFault::HeadMismatch {
                projection: "aa".into(),
                found: "bb".into(),
            },
            ChainFault::MissingRecords {
                last: 3,
                head_sequence: 5,
            },
            ChainFault::NoProjection { records: 3 },
        ];
        for fault in faults {
            let failure = VerifyFailure { sequence: 4, fault };
            let mut engine_json = serde_json::to_value(&failure).unwrap();
            let view = VerifyFailureView::from(failure.clone());
            let view_json = serde_json::to_value(&view).unwrap();
            engine_json["message"] = failure.to_string().into();
            assert_eq!(view_json, engine_json);
            assert_eq!(view.to_string(), failure.to_string());
            assert_eq!(
                serde_json::from_value::<VerifyFailureView>(view_json).unwrap(),
                view
            );
        }
    }
}
