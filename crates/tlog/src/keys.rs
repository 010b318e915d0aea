//! Key names, key IDs and the text forms of keys shared by signed notes and cosignatures.
//!
//! A verifier key is written `<name>+<key ID as 8 hex digits>+<base64(type || public key)>` and
//! a private key `PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>`, as Go's
//! `golang.org/x/mod/sumdb/note` writes them (C2SP signed-note calls the first form a vkey).
//! The key ID is the first four bytes of SHA-256(name || "\n" || type || public key), so a key
//! string whose ID does not match its name and key is refused: it was mistyped or tampered with.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 note signatures (C2SP signed-note).
pub const ALGORITHM_ED25519: u8 = 0x01;

/// The signature type byte of timestamped Ed25519 witness cosignatures (C2SP tlog-cosignature).
pub const ALGORITHM_COSIGNATURE_V1: u8 = 0x04;

/// Why a key or key string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name is empty, or holds a Unicode space or a `+`.
    #[error("a key name must be non-empty, without spaces or '+'")]
    BadName,
    /// The string does not have the parts of a key string.
    #[error("a key string must be <name>+<8 hex digits>+<base64 key>")]
    Malformed,
    /// The string is not a private key (`PRIVATE+KEY+…`).
    #[error("a private key string starts with PRIVATE+KEY+")]
    NotPrivateKey,
    /// The key ID is not 8 hex digits.
    #[error("a key ID must be 8 hex digits")]
    BadKeyId,
    /// The key material is not standard base64.
    #[error("the key is not standard base64")]
    NotBase64,
    /// The key is of another signature type than the one expected.
    #[error("the key's signature type is {found:#04x}, expected {expected:#04x}")]
    WrongAlgorithm {
        /// The type this key string must carry.
        expected: u8,
        /// The type it carries (0 when it carries no byte at all).
        found: u8,
    },
    /// The key material has the wrong length.
    #[error("the key is {found} bytes, expected {expected}")]
    WrongLength {
        /// The length an Ed25519 key or seed has.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The key ID does not match the name and key: mistyped, or another key's ID.
    #[error("the key ID does not match the key's name and public key")]
    KeyIdMismatch,
    /// The 32 bytes are not an Ed25519 public key.
    #[error("the bytes are not an Ed25519 public key")]
    InvalidPublicKey,
}

/// Whether `name` may name a key: non-empty, no Unicode space and no `+`.
#[must_use]
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key ID: the first four bytes, big-endian, of SHA-256(name || "\n" || type || key).
#[must_use]
pub fn key_id(name: &str, algorithm: u8, public_key: &[u8]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([algorithm]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A named Ed25519 public key with its ID, as read from a verifier key string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedPublicKey {
    pub(crate) name: String,
    pub(crate) key_id: u32,
    pub(crate) key: VerifyingKey,
}

/// A named Ed25519 signing key with the ID of its public key.
#[derive(Debug, Clone)]
pub(crate) struct NamedSigningKey {
    pub(crate) name: String,
    pub(crate) key_id: u32,
    pub(crate) key: SigningKey,
}

impl NamedPublicKey {
    pub(crate) fn new(name: &str, algorithm: u8, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::BadName);
        }
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, algorithm, public_key),
            key,
        })
    }

    pub(crate) fn parse(text: &str, algorithm: u8) -> Result<Self, KeyError> {
        let (name, rest) = text.split_once('+').ok_or(KeyError::Malformed)?;
        let (id_text, key_text) = rest.split_once('+').ok_or(KeyError::Malformed)?;
        let id = parse_key_id(id_text)?;
        let key_bytes = decode_typed_key(name, key_text, algorithm)?;
        let key = Self::new(name, algorithm, &key_bytes)?;
        if key.key_id != id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(key)
    }

    pub(crate) fn format(&self, algorithm: u8) -> String {
        let mut typed = Vec::with_capacity(33);
        typed.push(algorithm);
        typed.extend_from_slice(self.key.as_bytes());
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(typed)
        );
        text
    }
}

impl NamedSigningKey {
    pub(crate) fn from_seed(name: &str, algorithm: u8, seed: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::BadName);
        }
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, algorithm, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    pub(crate) fn parse(text: &str, algorithm: u8) -> Result<Self, KeyError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::NotPrivateKey)?;
        let (name, rest) = rest.split_once('+').ok_or(KeyError::Malformed)?;
        let (id_text, seed_text) = rest.split_once('+').ok_or(KeyError::Malformed)?;
        let id = parse_key_id(id_text)?;
        let seed = decode_typed_key(name, seed_text, algorithm)?;
        let key = Self::from_seed(name, algorithm, &seed)?;
        // The ID names the public key, so it can only be checked once the key is derived.
        if key.key_id != id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(key)
    }

    pub(crate) fn format(&self, algorithm: u8) -> String {
        let mut typed = Vec::with_capacity(33);
        typed.push(algorithm);
        typed.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(typed)
        )
    }

    pub(crate) fn public(&self) -> NamedPublicKey {
        NamedPublicKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }
}

fn parse_key_id(text: &str) -> Result<u32, KeyError> {
    // from_str_radix alone would take a sign; the ID is exactly eight hex digits.
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::BadKeyId);
    }
    u32::from_str_radix(text, 16).map_err(|_| KeyError::BadKeyId)
}

fn decode_typed_key(name: &str, text: &str, algorithm: u8) -> Result<[u8; 32], KeyError> {
    if !is_valid_key_name(name) {
        return Err(KeyError::BadName);
    }
    let bytes = STANDARD.decode(text).map_err(|_| KeyError::NotBase64)?;
    let (&found, key) = bytes.split_first().ok_or(KeyError::WrongAlgorithm {
        expected: algorithm,
        found: 0,
    })?;
    if found != algorithm {
        return Err(KeyError::WrongAlgorithm {
            expected: algorithm,
            found,
        });
    }
    <[u8; 32]>::try_from(key).map_err(|_| KeyError::WrongLength {
        expected: 32,
        found: key.len(),
    })
}
