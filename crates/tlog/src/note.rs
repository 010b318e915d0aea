//! C2SP signed-note: a text signed by one or more keys, and its Ed25519 signatures.
//!
//! A signed note is the text (ending in a newline), a blank line, then one or more signature
//! lines `— <key name> <base64(key ID || signature)>`, each ending in a newline.
//! The whole note is UTF-8 without ASCII control characters other than the newline, and the text
//! is separated from the signatures by the *last* blank line, so the text may hold blank lines.
//!
//! Opening a note checks the signatures of the keys the caller knows and ignores the others, as
//! the specification requires: a log's checkpoint can then carry witnesses' cosignatures that a
//! client does not know. A known key's bad signature rejects the whole note.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, Verifier as _};

use crate::keys::{ALGORITHM_ED25519, KeyError, NamedPublicKey, NamedSigningKey};
pub use crate::keys::{is_valid_key_name, key_id};

/// The most signatures a note may carry; the specification asks verifiers to accept at least 16
/// and to limit them, and Go's implementation stops at 100.
pub const MAX_SIGNATURES: usize = 100;

/// The prefix of a signature line: an em dash (U+2014) and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a note could not be parsed, signed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is not valid UTF-8.
    #[error("a note must be UTF-8")]
    NotUtf8,
    /// The note holds an ASCII control character other than the newline.
    #[error("a note must not contain control characters other than newline")]
    ControlCharacter,
    /// The text is empty or does not end with a newline.
    #[error("a note's text must end with a newline")]
    TextMustEndWithNewline,
    /// There is no blank line followed by signature lines.
    #[error("a note must end with a blank line and signature lines")]
    MissingSignatures,
    /// A signature line is not `— <name> <base64>` with at least five bytes of signature.
    #[error("signature line {line} is malformed")]
    MalformedSignatureLine {
        /// The line's number among the signature lines, from 1.
        line: usize,
    },
    /// More than [`MAX_SIGNATURES`] signature lines.
    #[error("a note may carry at most {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signer's name is not a valid key name.
    #[error("a key name must be non-empty, without spaces or '+'")]
    BadKeyName,
    /// Two of the verifiers given have the same name and key ID.
    #[error("two verifiers share the name {name} and key ID {key_id:08x}")]
    AmbiguousKey {
        /// The shared name.
        name: String,
        /// The shared key ID.
        key_id: u32,
    },
    /// A known key's signature does not verify: the note must be rejected.
    #[error("the signature of {name}+{key_id:08x} does not verify")]
    InvalidSignature {
        /// The key's name.
        name: String,
        /// The key's ID.
        key_id: u32,
    },
    /// No signature is from a known key.
    #[error("the note has no signature from a known key")]
    NoKnownSignature,
}

/// One signature line of a note: who signed (name and key ID) and the signature bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The key's ID.
    pub key_id: u32,
    /// The signature, after the key ID (64 bytes for Ed25519, 72 for a cosignature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, `— <name> <base64(key ID || signature)>` and a newline.
    #[must_use]
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(4 + self.signature.len());
        payload.extend_from_slice(&self.key_id.to_be_bytes());
        payload.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(payload)
        )
    }

    /// Reads one signature line, without its newline; `number` names it in the error.
    ///
    /// # Errors
    ///
    /// [`NoteError::MalformedSignatureLine`] unless the line is `— <valid name> <base64>` and the
    /// base64 holds a key ID and at least one byte of signature.
    pub fn parse_line(line: &str, number: usize) -> Result<Self, NoteError> {
        let malformed = NoteError::MalformedSignatureLine { line: number };
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(malformed.clone())?;
        let (name, encoded) = rest.split_once(' ').ok_or(malformed.clone())?;
        if !is_valid_key_name(name) {
            return Err(malformed);
        }
        let bytes = STANDARD.decode(encoded).map_err(|_| malformed.clone())?;
        if bytes.len() < 5 {
            return Err(malformed);
        }
        let (id, signature) = bytes.split_at(4);
        Ok(Self {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
            signature: signature.to_vec(),
        })
    }
}

/// A note as written: its text and every signature on it, none of them checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, with its final newline.
    pub text: String,
    /// The signatures, in the order they appear.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Reads a signed note's bytes (a request body, say), refusing anything but UTF-8.
    ///
    /// # Errors
    ///
    /// [`NoteError`] for every way the note is malformed.
    pub fn parse_bytes(signed: &[u8]) -> Result<Self, NoteError> {
        Self::parse(std::str::from_utf8(signed).map_err(|_| NoteError::NotUtf8)?)
    }

    /// Reads a signed note into its text and signatures, without checking any signature.
    ///
    /// # Errors
    ///
    /// [`NoteError`] for every way the note is malformed.
    pub fn parse(signed: &str) -> Result<Self, NoteError> {
        check_characters(signed)?;
        let split = signed.rfind("\n\n").ok_or(NoteError::MissingSignatures)?;
        let text = &signed[..=split];
        let block = &signed[split + 2..];
        let Some(lines) = block.strip_suffix('\n') else {
            return Err(NoteError::MissingSignatures);
        };
        if lines.is_empty() {
            return Err(NoteError::MissingSignatures);
        }
        let mut signatures = Vec::new();
        for (index, line) in lines.split('\n').enumerate() {
            if index >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(NoteSignature::parse_line(line, index + 1)?);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as written: its text, a blank line and its signature lines.
    ///
    /// # Errors
    ///
    /// [`NoteError`] when the text is not a note's text, a signer's name is invalid or there is
    /// no signature.
    pub fn to_signed_text(&self) -> Result<String, NoteError> {
        check_text(&self.text)?;
        if self.signatures.is_empty() {
            return Err(NoteError::MissingSignatures);
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let mut signed = self.text.clone();
        signed.push('\n');
        for signature in &self.signatures {
            if !is_valid_key_name(&signature.name) {
                return Err(NoteError::BadKeyName);
            }
            signed.push_str(&signature.to_line());
        }
        Ok(signed)
    }
}

/// A note whose signatures from known keys all verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The signed text, with its final newline.
    pub text: String,
    /// The signatures of known keys, each verified (one per key).
    pub verified: Vec<NoteSignature>,
    /// The signatures of keys the caller does not know, unchecked (each line once).
    pub unverified: Vec<NoteSignature>,
}

/// A key that checks signatures on a note's text: a log's Ed25519 key ([`NoteVerifier`]) or a
/// witness's cosigning key ([`crate::CosignatureVerifier`]).
pub trait SignatureVerifier {
    /// The key's name.
    fn name(&self) -> &str;
    /// The key's ID.
    fn key_id(&self) -> u32;
    /// Whether `signature` (the bytes after the key ID) signs `text`.
    fn verify(&self, text: &str, signature: &[u8]) -> bool;
}

/// A log's Ed25519 signing key with its name (signature type 0x01).
#[derive(Debug, Clone)]
pub struct NoteSigner {
    key: NamedSigningKey,
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed (from the operating system's CSPRNG, say).
    ///
    /// # Errors
    ///
    /// [`KeyError::BadName`] when `name` is not a valid key name.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        NamedSigningKey::from_seed(name, ALGORITHM_ED25519, seed).map(|key| Self { key })
    }

    /// A signer from its private key string, `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>`.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for every way the string is malformed or inconsistent.
    pub fn from_private_key(text: &str) -> Result<Self, KeyError> {
        NamedSigningKey::parse(text, ALGORITHM_ED25519).map(|key| Self { key })
    }

    /// The private key string, as Go's `note.GenerateKey` writes it; keep it secret.
    #[must_use]
    pub fn private_key_string(&self) -> String {
        self.key.format(ALGORITHM_ED25519)
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The key's ID.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key.key_id
    }

    /// A 32-byte secret for one purpose, derived from the private key: SHA-256 over `purpose`,
    /// a zero byte and the key's 32-byte seed. Whoever holds the key can derive it again; the
    /// secret does not reveal the key, and secrets for different purposes are unrelated.
    #[must_use]
    pub fn derived_secret(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(purpose.as_bytes());
        hasher.update([0u8]);
        hasher.update(self.key.key.to_bytes());
        hasher.finalize().into()
    }

    /// The verifier of this signer's signatures.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            key: self.key.public(),
        }
    }

    /// Signs a note's text.
    ///
    /// # Errors
    ///
    /// [`NoteError`] when `text` is not a note's text.
    pub fn sign(&self, text: &str) -> Result<NoteSignature, NoteError> {
        check_text(text)?;
        Ok(NoteSignature {
            name: self.key.name.clone(),
            key_id: self.key.key_id,
            signature: self.key.key.sign(text.as_bytes()).to_bytes().to_vec(),
        })
    }
}

/// A log's Ed25519 public key with its name, which checks its signatures on notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    key: NamedPublicKey,
}

impl NoteVerifier {
    /// A verifier from a name and a 32-byte Ed25519 public key.
    ///
    /// # Errors
    ///
    /// [`KeyError`] when the name is invalid or the bytes are not a public key.
    pub fn from_public_key(name: &str, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        NamedPublicKey::new(name, ALGORITHM_ED25519, public_key).map(|key| Self { key })
    }

    /// A verifier from its key string, `<name>+<key ID>+<base64(0x01 || public key)>`.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for every way the string is malformed or inconsistent.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        NamedPublicKey::parse(text, ALGORITHM_ED25519).map(|key| Self { key })
    }

    /// The 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.key.to_bytes()
    }
}

impl FromStr for NoteVerifier {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        Self::parse(text)
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.key.format(ALGORITHM_ED25519))
    }
}

impl SignatureVerifier for NoteVerifier {
    fn name(&self) -> &str {
        &self.key.name
    }

    fn key_id(&self) -> u32 {
        self.key.key_id
    }

    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .is_ok_and(|signature| self.key.key.verify(text.as_bytes(), &signature).is_ok())
    }
}

/// Signs `text` with `signer` and writes the signed note.
///
/// # Errors
///
/// [`NoteError`] when `text` is not a note's text.
pub fn sign_note(text: &str, signer: &NoteSigner) -> Result<String, NoteError> {
    let signature = signer.sign(text)?;
    Note {
        text: text.to_owned(),
        signatures: vec![signature],
    }
    .to_signed_text()
}

/// Opens a signed note: checks every signature whose name and key ID match a known verifier,
/// sets the others aside unchecked, and succeeds only if at least one known key signed.
///
/// # Errors
///
/// [`NoteError`] when the note is malformed, two verifiers share a name and ID, a known key's
/// signature fails, or no known key signed.
pub fn open_note(
    signed: &str,
    verifiers: &[&dyn SignatureVerifier],
) -> Result<VerifiedNote, NoteError> {
    let note = Note::parse(signed)?;
    check_unambiguous(verifiers)?;
    let mut verified = Vec::new();
    let mut unverified = Vec::new();
    let mut seen_known = HashSet::new();
    let mut seen_unknown = HashSet::new();
    for signature in note.signatures {
        let known = verifiers
            .iter()
            .find(|v| v.name() == signature.name && v.key_id() == signature.key_id);
        let Some(verifier) = known else {
            // Each unknown line once; they may be cosignatures of witnesses the caller ignores.
            if seen_unknown.insert(signature.clone()) {
                unverified.push(signature);
            }
            continue;
        };
        // A key that signed twice is checked once, as Go's implementation does.
        if !seen_known.insert((signature.name.clone(), signature.key_id)) {
            continue;
        }
        if !verifier.verify(&note.text, &signature.signature) {
            return Err(NoteError::InvalidSignature {
                name: signature.name,
                key_id: signature.key_id,
            });
        }
        verified.push(signature);
    }
    if verified.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok(VerifiedNote {
        text: note.text,
        verified,
        unverified,
    })
}

fn check_unambiguous(verifiers: &[&dyn SignatureVerifier]) -> Result<(), NoteError> {
    let mut seen = HashSet::new();
    for verifier in verifiers {
        if !seen.insert((verifier.name(), verifier.key_id())) {
            return Err(NoteError::AmbiguousKey {
                name: verifier.name().to_owned(),
                key_id: verifier.key_id(),
            });
        }
    }
    Ok(())
}

/// Refuses ASCII control characters other than the newline, anywhere in a note.
fn check_characters(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

/// Checks a text to be signed: no control characters, and a final newline.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    check_characters(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::TextMustEndWithNewline);
    }
    Ok(())
}
