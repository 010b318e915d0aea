//! C2SP tlog-checkpoint: the note text that states a log's tree head.
//!
//! ```text
//! <origin>
//! <tree size in decimal>
//! <root hash in base64>
//! [extension lines…]
//! ```
//!
//! Parsing is strict, so that one tree head has one text and a signature over it cannot be
//! re-read as another: the size has no leading zeros (except `0` itself), the root is exactly 32
//! bytes of canonical base64, the origin and every extension line are non-empty.

use std::fmt;

use crate::hash::{Hash, HashParseError};
use crate::note::{NoteError, check_text};

/// Why a text is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a note's text (a control character, or no final newline).
    #[error("not a note text: {0}")]
    Note(#[from] NoteError),
    /// The text has fewer than three lines.
    #[error("a checkpoint has an origin, a size and a root hash")]
    TooFewLines,
    /// The origin line is empty.
    #[error("a checkpoint's origin must not be empty")]
    EmptyOrigin,
    /// The size is not a decimal number without leading zeros that fits in 64 bits.
    #[error("a checkpoint's size must be a decimal without leading zeros")]
    BadSize,
    /// The root hash is not 32 bytes of standard base64.
    #[error("a checkpoint's root hash is malformed: {0}")]
    BadRootHash(#[from] HashParseError),
    /// An extension line is empty.
    #[error("a checkpoint's extension lines must not be empty")]
    EmptyExtensionLine,
}

/// A log's tree head: its origin, size and root hash, and any extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, a schema-less URL such as `specflow.example/log`.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The root hash of the tree of `size` leaves (RFC 9162 MTH).
    pub root: Hash,
    /// Opaque extension lines, each non-empty; the specification does not recommend them.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    #[must_use]
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Reads a checkpoint from a note's text (the part the log signs, with its final newline).
    ///
    /// # Errors
    ///
    /// [`CheckpointError`] for every way the text is not a checkpoint.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        check_text(text)?;
        let body = text.strip_suffix('\n').unwrap_or(text);
        let mut lines = body.split('\n');
        let origin = lines.next().ok_or(CheckpointError::TooFewLines)?;
        let size = lines.next().ok_or(CheckpointError::TooFewLines)?;
        let root = lines.next().ok_or(CheckpointError::TooFewLines)?;
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::EmptyExtensionLine);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size: parse_decimal(size).ok_or(CheckpointError::BadSize)?,
            root: Hash::from_base64(root)?,
            extensions,
        })
    }

    /// The checkpoint's note text, to be signed.
    ///
    /// # Errors
    ///
    /// [`CheckpointError`] when the origin is empty or holds a newline or control character, or
    /// an extension line is empty or does.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        let text = self.to_string();
        // Reading it back is the one definition of a well-formed checkpoint.
        Self::parse(&text)?;
        Ok(text)
    }
}

impl fmt::Display for Checkpoint {
    /// The note text, written as is; [`Checkpoint::to_text`] also checks it.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(formatter, "{}", self.origin)?;
        writeln!(formatter, "{}", self.size)?;
        writeln!(formatter, "{}", self.root.to_base64())?;
        for line in &self.extensions {
            writeln!(formatter, "{line}")?;
        }
        Ok(())
    }
}

/// An ASCII decimal without leading zeros (`0` alone is zero) that fits in a `u64`.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok()
}
