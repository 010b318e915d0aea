//! The parameters many routes share, declared once for the OpenAPI document: the project or
//! committee a path names, and the headers of a write.
//!
//! Handlers read the values through their extractors (`Path`, [`super::input::command_id`],
//! [`super::input::expected_sequence`]); these types only describe them, so a description or an
//! example is written in one place.

use serde::Deserialize;
use utoipa::IntoParams;

/// A route under `/projects/{project}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProjectPath {
    /// The project's id or code.
    #[param(example = "JJF(沪)-2026-001")]
    pub project: String,
}

/// A route under `/committees/{committee}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CommitteePath {
    /// The committee's id or code.
    #[param(example = "SH-TC-01")]
    pub committee: String,
}

/// The headers of a write to something that exists: the command's id for retries, and the
/// sequence the caller saw.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct WriteHeaders {
    /// The caller's key for this request, scoped to the caller and the route: the same request
    /// sent again with the same key gets the first answer; a different request (another target,
    /// body or file) with the same key is refused with 422 `idempotency-key-reused`.
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
    /// The sequence the caller saw, such as `"12"`: a stale one is 409.
    #[param(rename = "If-Match")]
    pub if_match: Option<String>,
}

/// The header of a creation: the command's id, from which the new thing's id follows, so a
/// retried creation names the same thing.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CreationHeaders {
    /// The caller's key for this request, scoped to the caller and the route: the same request
    /// sent again with the same key gets the first answer; a different request (another target,
    /// body or file) with the same key is refused with 422 `idempotency-key-reused`.
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
}

/// A file sent or answered as its bytes: a string of binary format in the OpenAPI document (a
/// `Vec<u8>` would be described as an array of integers, and a client would send JSON).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BinaryFile(pub Vec<u8>);
