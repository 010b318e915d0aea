//! Webhook signatures: HMAC-SHA256 over the timestamp and the body, as `docs/webhooks.md` says.
//!
//! The header is `Specflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! The timestamp is inside the signed text so that a captured delivery cannot be replayed later
//! than the receiver's tolerance; the body is signed byte for byte, so receivers must verify the
//! raw body before parsing it.

use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Specflow-Signature";

/// The header that carries the notification id, for receivers to drop duplicates.
pub const NOTIFICATION_ID_HEADER: &str = "Specflow-Notification-Id";

/// How long after signing a receiver should accept a delivery, unless it has a reason to differ.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<seconds>,v1=<hex>`.
    #[error("the {SIGNATURE_HEADER} header is malformed: {0}")]
    Malformed(String),
    /// The signature is older (or further in the future) than the tolerance allows.
    #[error(
        "the delivery was signed at {signed_at} (Unix seconds), {distance_seconds} s from now ({now}); the tolerance is {tolerance_seconds} s"
    )]
    OutsideTolerance {
        /// The header's timestamp.
        signed_at: i64,
        /// The receiver's time.
        now: i64,
        /// How far apart the two are.
        distance_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
    /// No `v1` signature matches the secret and the body.
    #[error("no v1 signature in the header matches the body and the secret")]
    Mismatch,
}

/// HMAC-SHA256 over `parts` one after the other.
///
/// The key is brought to the block size as HMAC itself does (hashed when longer, padded with
/// zeros), so that keying cannot fail: `new_from_slice` returns a `Result` for key lengths that
/// HMAC in fact accepts all of, and a delivery must not have a failure path for it.
fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    const BLOCK: usize = 64;
    let mut key = [0u8; BLOCK];
    if secret.len() > BLOCK {
        key[..32].copy_from_slice(&Sha256::digest(secret));
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    let mut mac = <HmacSha256 as KeyInit>::new(&key.into());
    for part in parts {
        mac.update(part);
    }
    mac
}

fn mac_of(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    hmac_sha256(
        secret.as_bytes(),
        &[timestamp.to_string().as_bytes(), b".", body],
    )
}

/// The `Specflow-Signature` header value for `body` signed with `secret` at `timestamp`
/// (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let signature = mac_of(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

/// Checks a `Specflow-Signature` header against the raw `body` and the shared `secret`: the
/// timestamp must be within `tolerance` of `now` and one `v1` signature must match (compared in
/// constant time). Unknown keys are ignored, so a later scheme can be added beside `v1`.
pub fn verify_signature(
    secret: &str,
    header_value: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header_value.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed(format!(
                "`{part}` is not key=value"
            )));
        };
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed(
                        "the timestamp t= appears twice".to_string(),
                    ));
                }
                timestamp = Some(value.parse::<i64>().map_err(|_| {
                    SignatureError::Malformed(format!("the timestamp `{value}` is not a number"))
                })?);
            }
            "v1" => signatures.push(hex::decode(value).map_err(|_| {
                SignatureError::Malformed(format!("the signature `{value}` is not hexadecimal"))
            })?),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Malformed(
            "there is no timestamp t=".to_string(),
        ));
    };
    if signatures.is_empty() {
        return Err(SignatureError::Malformed(
            "there is no v1= signature".to_string(),
        ));
    }
    let distance_seconds = now.timestamp().abs_diff(timestamp);
    if distance_seconds > tolerance.as_secs() {
        return Err(SignatureError::OutsideTolerance {
            signed_at: timestamp,
            now: now.timestamp(),
            distance_seconds,
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    let expected = mac_of(secret, timestamp, body);
    if signatures
        .iter()
        .any(|signature| expected.clone().verify_slice(signature).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap_or_else(|| panic!("{seconds} is out of range"))
    }

    #[test]
    fn a_signature_verifies_and_anything_changed_does_not() {
        let header = sign("s3cret", 1_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1000000,v1="));
        let tolerance = Duration::from_secs(300);
        assert_eq!(
            verify_signature("s3cret", &header, b"{\"a\":1}", at(1_000_100), tolerance),
            Ok(())
        );
        assert_eq!(
            verify_signature("s3cret", &header, b"{\"a\":2}", at(1_000_100), tolerance),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("other", &header, b"{\"a\":1}", at(1_000_100), tolerance),
            Err(SignatureError::Mismatch)
        );
        let replayed = header.replace("t=1000000", "t=1000200");
        assert_eq!(
            verify_signature("s3cret", &replayed, b"{\"a\":1}", at(1_000_200), tolerance),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify_signature("s3cret", &header, b"{\"a\":1}", at(1_000_301), tolerance),
            Err(SignatureError::OutsideTolerance {
                distance_seconds: 301,
                ..
            })
        ));
        assert!(matches!(
            verify_signature("s3cret", &header, b"{\"a\":1}", at(999_000), tolerance),
            Err(SignatureError::OutsideTolerance { .. })
        ));
    }

    /// RFC 4231, test cases 1 (a short key) and 6 (a key longer than the block, hashed first).
    #[test]
    fn keys_of_any_length_give_the_standard_hmac() {
        let short = hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"]);
        assert_eq!(
            hex::encode(short.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let long = hmac_sha256(
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            hex::encode(long.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn any_matching_v1_is_enough_and_unknown_keys_are_ignored() {
        let good = sign("s3cret", 50, b"body");
        let good_hex = good.split_once(",v1=").map_or("", |(_, hex)| hex);
        let header = format!("t=50,v0=zz,v1={},v1={good_hex}", "00".repeat(32));
        assert_eq!(
            verify_signature("s3cret", &header, b"body", at(50), DEFAULT_TOLERANCE),
            Ok(())
        );
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        for (header, words) in [
            ("", "not key=value"),
            ("v1=00", "no timestamp"),
            ("t=5", "no v1= signature"),
            ("t=five,v1=00", "not a number"),
            ("t=5,t=6,v1=00", "appears twice"),
            ("t=5,v1=xyz", "not hexadecimal"),
        ] {
            let Err(error) = verify_signature("s", header, b"", at(5), DEFAULT_TOLERANCE) else {
                panic!("{header} was accepted");
            };
            assert!(matches!(error, SignatureError::Malformed(_)), "{header}");
            assert!(error.to_string().contains(words), "{header}: {error}");
        }
    }
}
