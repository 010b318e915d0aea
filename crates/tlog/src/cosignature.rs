//! C2SP tlog-cosignature, the Ed25519 `cosignature/v1` type: a witness's timestamped statement
//! that a checkpoint is the largest consistent tree head it has seen for that log.
//!
//! The witness signs, with Ed25519, the message
//!
//! ```text
//! cosignature/v1
//! time <POSIX seconds>
//! <the checkpoint's note text, extension lines included>
//! ```
//!
//! and writes it as a note signature line whose bytes are the key ID (SHA-256 of the name, a
//! newline, the type byte 0x04 and the public key, first four bytes), the timestamp as 8 bytes
//! big-endian, and the 64-byte signature. The timestamp is passed in; this crate never reads the
//! clock.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer as _, Verifier as _};

use crate::keys::{ALGORITHM_COSIGNATURE_V1, KeyError, NamedPublicKey, NamedSigningKey};
use crate::note::{NoteError, NoteSignature, SignatureVerifier, check_text};

/// The header line of the signed message, its domain separation.
pub const COSIGNATURE_HEADER: &str = "cosignature/v1\n";

/// The largest timestamp a cosignature may carry: 2^63 - 1.
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The length of a cosignature after its key ID: timestamp (8) and Ed25519 signature (64).
pub const COSIGNATURE_LENGTH: usize = 8 + 64;

/// Why a cosignature could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The checkpoint text is not a note's text.
    #[error("the cosigned text is not a note text: {0}")]
    Note(#[from] NoteError),
    /// The timestamp is above 2^63 - 1.
    #[error("a cosignature's timestamp must not exceed 2^63 - 1")]
    TimestampTooLarge,
    /// The signature line names another key.
    #[error("the signature is not from this witness key")]
    OtherKey,
    /// The signature is not 72 bytes (timestamp and Ed25519 signature).
    #[error("a cosignature is {COSIGNATURE_LENGTH} bytes after its key ID, not {0}")]
    WrongLength(usize),
    /// The signature does not verify over the message at its timestamp.
    #[error("the cosignature does not verify")]
    Invalid,
}

/// The message a cosignature signs: the header, the time line, then the checkpoint's text.
///
/// # Errors
///
/// [`CosignatureError`] when the text is not a note text or the timestamp is too large.
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Result<String, CosignatureError> {
    check_text(checkpoint_text)?;
    if timestamp > MAX_TIMESTAMP {
        return Err(CosignatureError::TimestampTooLarge);
    }
    Ok(format!(
        "{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}"
    ))
}

/// A witness's Ed25519 cosigning key with its name (signature type 0x04).
#[derive(Debug, Clone)]
pub struct CosignatureSigner {
    key: NamedSigningKey,
}

impl CosignatureSigner {
    /// A cosigner from a 32-byte Ed25519 seed.
    ///
    /// # Errors
    ///
    /// [`KeyError::BadName`] when `name` is not a valid key name.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        NamedSigningKey::from_seed(name, ALGORITHM_COSIGNATURE_V1, seed).map(|key| Self { key })
    }

    /// A cosigner from `PRIVATE+KEY+<name>+<key ID>+<base64(0x04 || seed)>`.
    ///
    /// The private key string of a cosigner is specflow's own choice: C2SP fixes only the
    /// verifier key. It follows the note key's form with the cosignature's type byte, so one
    /// key string cannot be mistaken for the other's.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for every way the string is malformed or inconsistent.
    pub fn from_private_key(text: &str) -> Result<Self, KeyError> {
        NamedSigningKey::parse(text, ALGORITHM_COSIGNATURE_V1).map(|key| Self { key })
    }

    /// The private key string; keep it secret.
    #[must_use]
    pub fn private_key_string(&self) -> String {
        self.key.format(ALGORITHM_COSIGNATURE_V1)
    }

    /// The witness key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The witness key's ID.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key.key_id
    }

    /// The verifier of this witness's cosignatures.
    #[must_use]
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            key: self.key.public(),
        }
    }

    /// Cosigns a checkpoint's note text at `timestamp` (POSIX seconds).
    ///
    /// # Errors
    ///
    /// [`CosignatureError`] when the text is not a note text or the timestamp is too large.
    pub fn cosign(
        &self,
        checkpoint_text: &str,
        timestamp: u64,
    ) -> Result<NoteSignature, CosignatureError> {
        let message = cosigned_message(checkpoint_text, timestamp)?;
        let signature = self.key.key.sign(message.as_bytes());
        let mut bytes = Vec::with_capacity(COSIGNATURE_LENGTH);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(NoteSignature {
            name: self.key.name.clone(),
            key_id: self.key.key_id,
            signature: bytes,
        })
    }
}

/// A witness's public cosigning key with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    key: NamedPublicKey,
}

impl CosignatureVerifier {
    /// A verifier from a name and a 32-byte Ed25519 public key.
    ///
    /// # Errors
    ///
    /// [`KeyError`] when the name is invalid or the bytes are not a public key.
    pub fn from_public_key(name: &str, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        NamedPublicKey::new(name, ALGORITHM_COSIGNATURE_V1, public_key).map(|key| Self { key })
    }

    /// A verifier from its vkey, `<name>+<key ID>+<base64(0x04 || public key)>`.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for every way the string is malformed or inconsistent.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        NamedPublicKey::parse(text, ALGORITHM_COSIGNATURE_V1).map(|key| Self { key })
    }

    /// The 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.key.to_bytes()
    }

    /// Checks a cosignature line over a checkpoint's note text and returns its timestamp.
    ///
    /// # Errors
    ///
    /// [`CosignatureError`] when the line is another key's, malformed, or does not verify.
    pub fn verify_cosignature(
        &self,
        checkpoint_text: &str,
        signature: &NoteSignature,
    ) -> Result<u64, CosignatureError> {
        if signature.name != self.key.name || signature.key_id != self.key.key_id {
            return Err(CosignatureError::OtherKey);
        }
        let (timestamp, ed25519) = split_cosignature(&signature.signature)?;
        let message = cosigned_message(checkpoint_text, timestamp)?;
        self.key
            .key
            .verify(message.as_bytes(), &ed25519)
            .map_err(|_| CosignatureError::Invalid)?;
        Ok(timestamp)
    }
}

fn split_cosignature(bytes: &[u8]) -> Result<(u64, Signature), CosignatureError> {
    let array = <&[u8; COSIGNATURE_LENGTH]>::try_from(bytes)
        .map_err(|_| CosignatureError::WrongLength(bytes.len()))?;
    let (time, signature) = array.split_at(8);
    let mut time_bytes = [0u8; 8];
    time_bytes.copy_from_slice(time);
    let timestamp = u64::from_be_bytes(time_bytes);
    if timestamp > MAX_TIMESTAMP {
        return Err(CosignatureError::TimestampTooLarge);
    }
    let signature = Signature::from_slice(signature).map_err(|_| CosignatureError::Invalid)?;
    Ok((timestamp, signature))
}

impl FromStr for CosignatureVerifier {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        Self::parse(text)
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.key.format(ALGORITHM_COSIGNATURE_V1))
    }
}

impl SignatureVerifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.key.name
    }

    fn key_id(&self) -> u32 {
        self.key.key_id
    }

    /// A cosignature verifies over the note's text when it is a valid `cosignature/v1` at the
    /// timestamp it carries, so a client can open a cosigned checkpoint with witness keys.
    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        let Ok((timestamp, ed25519)) = split_cosignature(signature) else {
            return false;
        };
        cosigned_message(text, timestamp)
            .is_ok_and(|message| self.key.key.verify(message.as_bytes(), &ed25519).is_ok())
    }
}
