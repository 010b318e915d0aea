//! The pure part of C2SP tlog-witness: `POST <prefix>/add-checkpoint`, its request body, and the
//! witness's decision, so the HTTP server around it is a thin face.
//!
//! The body is an old-size line `old <size>`, up to 63 consistency-proof lines (each a base64
//! hash), an empty line, then the log's signed checkpoint. The witness answers, in the order the
//! specification lists its checks:
//!
//! | answer | when |
//! | --- | --- |
//! | 400 | the body is malformed, or the old size is above the checkpoint's size |
//! | 404 | the checkpoint's origin is not a log the witness knows |
//! | 403 | no signature of the log's known keys verifies (or one of them fails) |
//! | 409, `text/x.tlog.size` | the old size is not the size the witness last cosigned (body: that size) |
//! | 409 | same size as last cosigned, another root hash: a fork |
//! | 422 | the consistency proof does not prove the old tree a prefix of the new one |
//! | 200 | cosignature lines; the caller persists the new state **before** answering |
//!
//! A rollback (a checkpoint smaller than the one cosigned) is caught by the 400 and the first 409
//! together: its old size must be the stored size, which is then above the checkpoint's size.
//! The server must compare the stored state and write the new one atomically (a compare-and-set
//! on the stored size), or two concurrent requests could roll the witness back.

use crate::checkpoint::{Checkpoint, CheckpointError, parse_decimal};
use crate::cosignature::{CosignatureError, CosignatureSigner};
use crate::hash::{Hash, empty_tree_hash};
use crate::note::{Note, NoteError, NoteSignature, NoteVerifier, SignatureVerifier, open_note};
use crate::tree::{ProofError, check_tree};

/// The most consistency-proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// The content type of a 409 answer's body, the witness's current size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The content type of every other answer.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Why a request (or, on the log's side, a witness's answer) is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not UTF-8.
    #[error("the body must be UTF-8")]
    NotUtf8,
    /// The first line is not `old <size>` with a decimal size without leading zeros.
    #[error("the body must start with the line old <size>")]
    BadOldLine,
    /// A proof line is not one base64 hash.
    #[error("consistency proof line {line} is not a base64 hash")]
    BadProofLine {
        /// The proof line's number, from 1.
        line: usize,
    },
    /// More than [`MAX_PROOF_LINES`] proof lines.
    #[error("a request carries at most {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    /// No empty line ends the proof.
    #[error("an empty line must separate the proof from the checkpoint")]
    MissingBlankLine,
    /// The signed checkpoint is not a well-formed signed note.
    #[error("the checkpoint is not a signed note: {0}")]
    Note(#[from] NoteError),
    /// The note's text is not a checkpoint.
    #[error("the note is not a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The old size is above the checkpoint's size.
    #[error("the old size {old} is above the checkpoint's size {size}")]
    OldSizeAboveCheckpoint {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// A 409 answer's body is not a size and a newline.
    #[error("the witness's size answer is malformed")]
    BadSizeBody,
}

/// An `add-checkpoint` request, parsed.
///
/// The signed checkpoint and what was read from it are private, so they cannot disagree; the
/// decision still reads the checkpoint again from the text whose signature it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    /// The size of the checkpoint the log believes the witness last cosigned (0 at first).
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    signed_checkpoint: String,
    note: Note,
    checkpoint: Checkpoint,
}

impl AddCheckpointRequest {
    /// A request for the log to send, checked as the witness will check it.
    ///
    /// # Errors
    ///
    /// [`RequestError`] when the proof is too long or the checkpoint is malformed.
    pub fn new(
        old_size: u64,
        proof: Vec<Hash>,
        signed_checkpoint: &str,
    ) -> Result<Self, RequestError> {
        if proof.len() > MAX_PROOF_LINES {
            return Err(RequestError::TooManyProofLines);
        }
        let note = Note::parse(signed_checkpoint)?;
        let checkpoint = Checkpoint::parse(&note.text)?;
        Ok(Self {
            old_size,
            proof,
            signed_checkpoint: signed_checkpoint.to_owned(),
            note,
            checkpoint,
        })
    }

    /// Reads a request body.
    ///
    /// # Errors
    ///
    /// [`RequestError`] for every way the body is malformed (a 400 answer).
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let body = std::str::from_utf8(body).map_err(|_| RequestError::NotUtf8)?;
        let (old_line, mut rest) = body.split_once('\n').ok_or(RequestError::BadOldLine)?;
        let old_size = old_line
            .strip_prefix("old ")
            .and_then(parse_decimal)
            .ok_or(RequestError::BadOldLine)?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or(RequestError::MissingBlankLine)?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            let hash = Hash::from_base64(line).map_err(|_| RequestError::BadProofLine {
                line: proof.len() + 1,
            })?;
            proof.push(hash);
        }
        Self::new(old_size, proof, rest)
    }

    /// The request body.
    #[must_use]
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&hash.to_base64());
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.signed_checkpoint);
        body
    }

    /// The checkpoint's origin, by which the server finds the log's keys and stored state.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.checkpoint.origin
    }

    /// The signed checkpoint, as sent.
    #[must_use]
    pub fn signed_checkpoint(&self) -> &str {
        &self.signed_checkpoint
    }

    /// The signed note, its signatures not yet checked.
    #[must_use]
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The checkpoint the note states, its signatures not yet checked.
    #[must_use]
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
}

/// What a witness keeps for one log: the latest checkpoint it cosigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WitnessedCheckpoint {
    /// The tree size.
    pub size: u64,
    /// The root hash at that size.
    pub root: Hash,
}

/// The witness's answer to an `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddCheckpointOutcome {
    /// 200: persist `new_state` (atomically with the check), then answer the cosignature lines.
    Cosigned {
        /// The state to store for the log.
        new_state: WitnessedCheckpoint,
        /// The cosignature lines to answer with.
        cosignatures: Vec<NoteSignature>,
    },
    /// 400: the request is malformed.
    BadRequest(RequestError),
    /// 404: the witness does not know the checkpoint's origin.
    UnknownOrigin,
    /// 403: no known key of the log signed the checkpoint, or a known key's signature failed.
    Forbidden(NoteError),
    /// 409 with `text/x.tlog.size`: the old size is not the size last cosigned.
    SizeConflict {
        /// The size the witness last cosigned (0 if none).
        current_size: u64,
    },
    /// 409: a checkpoint of the size last cosigned with another root hash, a fork of the log.
    /// The witness may keep the request as evidence of the log's misbehaviour.
    RootConflict {
        /// The size both checkpoints state.
        size: u64,
        /// The root the witness cosigned.
        cosigned_root: Hash,
        /// The root the request states.
        requested_root: Hash,
    },
    /// 422: the consistency proof does not verify. The witness may keep the request as
    /// evidence, but must not cosign.
    InconsistentProof(ProofError),
}

impl AddCheckpointOutcome {
    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Cosigned { .. } => 200,
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin => 404,
            Self::SizeConflict { .. } | Self::RootConflict { .. } => 409,
            Self::InconsistentProof(_) => 422,
        }
    }

    /// The answer's content type.
    #[must_use]
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::SizeConflict { .. } => SIZE_CONTENT_TYPE,
            _ => TEXT_CONTENT_TYPE,
        }
    }

    /// The answer's body: the cosignature lines, the current size and a newline, or a short
    /// explanation.
    #[must_use]
    pub fn body(&self) -> String {
        match self {
            Self::Cosigned { cosignatures, .. } => {
                cosignatures.iter().map(NoteSignature::to_line).collect()
            }
            Self::BadRequest(error) => format!("{error}\n"),
            Self::UnknownOrigin => "unknown log origin\n".to_owned(),
            Self::Forbidden(error) => format!("{error}\n"),
            Self::SizeConflict { current_size } => format!("{current_size}\n"),
            Self::RootConflict { size, .. } => {
                format!("a checkpoint of size {size} with another root hash was cosigned\n")
            }
            Self::InconsistentProof(error) => format!("{error}\n"),
        }
    }
}

/// Decides the answer to a parsed request.
///
/// `log_keys` is the log's configured keys, or `None` when the witness does not know the origin;
/// `stored` is the latest checkpoint cosigned for it, if any; `timestamp` (POSIX seconds) is
/// the time the cosignature states.
///
/// # Errors
///
/// [`CosignatureError::TimestampTooLarge`] when `timestamp` is above 2^63 - 1: the witness's own
/// fault, not the request's.
pub fn decide_add_checkpoint(
    request: &AddCheckpointRequest,
    log_keys: Option<&[NoteVerifier]>,
    stored: Option<WitnessedCheckpoint>,
    witness: &CosignatureSigner,
    timestamp: u64,
) -> Result<AddCheckpointOutcome, CosignatureError> {
    let Some(log_keys) = log_keys else {
        return Ok(AddCheckpointOutcome::UnknownOrigin);
    };
    let (text, checkpoint) = match verified_checkpoint(request, log_keys) {
        Ok(verified) => verified,
        Err(refusal) => return Ok(refusal),
    };
    if let Err(refusal) = check_consistency(request, &checkpoint, stored) {
        return Ok(refusal);
    }
    let cosignature = witness.cosign(&text, timestamp)?;
    Ok(AddCheckpointOutcome::Cosigned {
        new_state: WitnessedCheckpoint {
            size: checkpoint.size,
            root: checkpoint.root,
        },
        cosignatures: vec![cosignature],
    })
}

/// The text whose signature by a known key of the log verified, and the checkpoint read from it.
fn verified_checkpoint(
    request: &AddCheckpointRequest,
    log_keys: &[NoteVerifier],
) -> Result<(String, Checkpoint), AddCheckpointOutcome> {
    let keys: Vec<&dyn SignatureVerifier> = log_keys
        .iter()
        .map(|key| key as &dyn SignatureVerifier)
        .collect();
    let opened =
        open_note(&request.signed_checkpoint, &keys).map_err(AddCheckpointOutcome::Forbidden)?;
    // Read again from the verified text, so that what is checked and cosigned is exactly what
    // the log signed.
    let checkpoint = Checkpoint::parse(&opened.text)
        .map_err(|error| AddCheckpointOutcome::BadRequest(RequestError::Checkpoint(error)))?;
    Ok((opened.text, checkpoint))
}

/// Every check of sizes, roots and the proof before cosigning, each refusal as its answer.
fn check_consistency(
    request: &AddCheckpointRequest,
    checkpoint: &Checkpoint,
    stored: Option<WitnessedCheckpoint>,
) -> Result<(), AddCheckpointOutcome> {
    let old = request.old_size;
    if old > checkpoint.size {
        return Err(AddCheckpointOutcome::BadRequest(
            RequestError::OldSizeAboveCheckpoint {
                old,
                size: checkpoint.size,
            },
        ));
    }
    let stored = stored.unwrap_or(WitnessedCheckpoint {
        size: 0,
        root: empty_tree_hash(),
    });
    if old != stored.size {
        return Err(AddCheckpointOutcome::SizeConflict {
            current_size: stored.size,
        });
    }
    if old == checkpoint.size && old > 0 && checkpoint.root != stored.root {
        return Err(AddCheckpointOutcome::RootConflict {
            size: old,
            cosigned_root: stored.root,
            requested_root: checkpoint.root,
        });
    }
    if checkpoint.size == 0 && checkpoint.root != empty_tree_hash() {
        // The empty tree has one root (RFC 9162): anything else is no tree at all.
        return Err(AddCheckpointOutcome::InconsistentProof(
            ProofError::RootMismatch,
        ));
    }
    check_tree(
        &request.proof,
        checkpoint.size,
        &checkpoint.root,
        old,
        &stored.root,
    )
    .map_err(AddCheckpointOutcome::InconsistentProof)
}

/// Reads a 409 answer's `text/x.tlog.size` body (on the log's side).
///
/// # Errors
///
/// [`RequestError::BadSizeBody`] unless it is a decimal without leading zeros and a newline.
pub fn parse_size_body(body: &[u8]) -> Result<u64, RequestError> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|text| text.strip_suffix('\n'))
        .and_then(parse_decimal)
        .ok_or(RequestError::BadSizeBody)
}

/// Reads a 200 answer's cosignature lines (on the log's side); their signatures are checked by
/// opening the checkpoint with them appended, or by [`crate::CosignatureVerifier`].
///
/// # Errors
///
/// [`RequestError::Note`] when the body is not one or more signature lines.
pub fn parse_cosignature_response(body: &[u8]) -> Result<Vec<NoteSignature>, RequestError> {
    let text = std::str::from_utf8(body).map_err(|_| RequestError::NotUtf8)?;
    // The lines are a note's signature block: parse them as one after a placeholder text.
    let note = Note::parse(&format!("-\n\n{text}"))?;
    Ok(note.signatures)
}
