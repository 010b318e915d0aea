//! The pure core of specflow's transparency log (issue 18).
//!
//! Every audit record becomes a leaf of one append-only Merkle tree (RFC 9162 section 2.1).
//! The log publishes the tree's head as a checkpoint (C2SP tlog-checkpoint), a signed note
//! (C2SP signed-note) with an Ed25519 signature; independent witnesses check that each new
//! checkpoint extends the last one they saw and cosign it (C2SP tlog-cosignature, tlog-witness).
//!
//! This crate does no I/O: it never reads the clock (timestamps are passed in), the network or a
//! database. The store keeps the tree's hashes in a table keyed by one integer
//! ([`tree::stored_hash_index`]) and asks this crate which indexes it needs and what to compute
//! from them; the witness server parses a request and asks [`witness::decide_add_checkpoint`]
//! what to answer. The encodings are described, with a worked example, in `docs/transparency.md`.
//!
//! ```
//! use specflow_tlog::{
//!     AddCheckpointRequest, Checkpoint, CosignatureSigner, MemoryTree, NoteSigner,
//!     WitnessedCheckpoint, decide_add_checkpoint, sign_note,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The log appends records and signs its tree head (seeds come from the OS's CSPRNG).
//! let mut tree = MemoryTree::new();
//! for record in ["record 0", "record 1", "record 2"] {
//!     tree.append(record.as_bytes())?;
//! }
//! let log = NoteSigner::from_seed("specflow.example/log", &[1; 32])?;
//! let checkpoint = Checkpoint::new("specflow.example/log", tree.size(), tree.root());
//! let signed = sign_note(&checkpoint.to_text()?, &log)?;
//!
//! // It asks a witness that cosigned size 1 before, with a consistency proof from 1.
//! let request = AddCheckpointRequest::new(1, tree.prove_tree(3, 1)?, &signed)?;
//! let body = request.to_body();
//!
//! // The witness parses the body, looks the origin up, and decides.
//! let witness = CosignatureSigner::from_seed("witness.example/w1", &[2; 32])?;
//! let request = AddCheckpointRequest::parse(body.as_bytes())?;
//! let stored = WitnessedCheckpoint { size: 1, root: tree.root_at(1)? };
//! let outcome =
//!     decide_add_checkpoint(&request, Some(&[log.verifier()]), Some(stored), &witness, 1_767_225_600)?;
//! assert_eq!(outcome.status(), 200);
//! assert!(outcome.body().starts_with("— witness.example/w1 "));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod cosignature;
pub mod frontier;
pub mod hash;
pub mod keys;
pub mod note;
pub mod tiles;
pub mod tree;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use cosignature::{CosignatureError, CosignatureSigner, CosignatureVerifier};
pub use frontier::Frontier;
pub use hash::{Hash, HashParseError, empty_tree_hash, leaf_hash, node_hash};
pub use keys::{KeyError, is_valid_key_name, key_id};
pub use note::{
    Note, NoteError, NoteSignature, NoteSigner, NoteVerifier, SignatureVerifier, VerifiedNote,
    open_note, sign_note,
};
pub use tiles::{Tile, TileError, TileLevel};
pub use tree::{
    HashReader, MemoryTree, ProofError, ReaderError, RecordProof, TreeError, TreeProof,
};
pub use witness::{
    AddCheckpointOutcome, AddCheckpointRequest, RequestError, WitnessedCheckpoint,
    decide_add_checkpoint,
};
