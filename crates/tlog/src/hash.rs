//! RFC 9162 section 2.1 hashing: the one place the tree's domain separation lives.
//!
//! A leaf hashes as SHA-256(0x00 || data) and an interior node as SHA-256(0x01 || left || right),
//! so no leaf can be passed off as a node (the second-preimage attack the prefixes prevent).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The size of a hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash of a leaf, an interior node or a tree.
///
/// `Debug` and `Display` show it in lower-case hex, as the documents and tests write it;
/// [`Hash::to_base64`] is the form checkpoints and proofs on the wire use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Why a text is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// The text is not standard, padded, canonical base64.
    #[error("a hash must be standard base64")]
    NotBase64,
    /// The text is not an even number of hex digits.
    #[error("a hash must be hex digits")]
    NotHex,
    /// The text decodes to something other than 32 bytes.
    #[error("a hash must be 32 bytes, not {0}")]
    WrongLength(usize),
}

impl Hash {
    /// The hash's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// The hash in standard padded base64 (44 characters), as checkpoints and proofs carry it.
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads a hash from standard padded base64; anything but exactly 32 bytes is refused.
    ///
    /// # Errors
    ///
    /// [`HashParseError`] when the text is not canonical base64 or not 32 bytes long.
    pub fn from_base64(text: &str) -> Result<Self, HashParseError> {
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| HashParseError::NotBase64)?;
        Self::from_slice(&bytes)
    }

    /// The hash in lower-case hex (64 characters).
    #[must_use]
    pub fn to_hex(&self) -> String {
        let mut text = String::with_capacity(2 * HASH_SIZE);
        for byte in self.0 {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        text
    }

    /// Reads a hash from hex digits (either case).
    ///
    /// # Errors
    ///
    /// [`HashParseError`] when the text is not hex or not 32 bytes long.
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let digits = text.as_bytes();
        if !digits.len().is_multiple_of(2) {
            return Err(HashParseError::NotHex);
        }
        let mut bytes = Vec::with_capacity(digits.len() / 2);
        for pair in digits.chunks_exact(2) {
            let high = hex_value(pair[0]).ok_or(HashParseError::NotHex)?;
            let low = hex_value(pair[1]).ok_or(HashParseError::NotHex)?;
            bytes.push(high << 4 | low);
        }
        Self::from_slice(&bytes)
    }

    /// A hash from exactly 32 bytes.
    ///
    /// # Errors
    ///
    /// [`HashParseError::WrongLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashParseError> {
        <[u8; HASH_SIZE]>::try_from(bytes)
            .map(Self)
            .map_err(|_| HashParseError::WrongLength(bytes.len()))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_hex())
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The hash of a leaf: SHA-256(0x00 || data).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The hash of the empty tree: SHA-256 of no bytes (RFC 9162 section 2.1.1).
#[must_use]
pub fn empty_tree_hash() -> Hash {
    Hash(Sha256::digest([]).into())
}
