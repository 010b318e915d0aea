//! Artifact contents, addressed by SHA-256 and stored once, in the database itself so that every
//! node serves the same files.

use super::{Store, micros};
use crate::auth::Visibility;
use crate::error::StoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A stored artifact's address and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredArtifact {
    /// The SHA-256 of the content, 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Whether this call stored it (false when the same content was already there).
    pub newly_stored: bool,
}

impl Store {
    /// Stores an artifact's content, refusing it before writing anything when it is too large.
    pub async fn put_artifact(&self, content: &[u8]) -> Result<StoredArtifact, StoreError> {
        let size = content.len() as u64;
        let limit = self.inner.options.max_artifact_bytes;
        if size > limit {
            return Err(StoreError::ArtifactTooLarge { size, limit });
        }
        let sha256 = hex::encode(Sha256::digest(content));
        let result = sqlx::query(
            "INSERT INTO artifacts (sha256, size_bytes, content, stored_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha256)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(content.to_vec())
        .bind(micros(self.inner.clock.now()))
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(StoredArtifact {
            sha256,
            size_bytes: size,
            newly_stored: result.rows_affected() > 0,
        })
    }

    /// An artifact's content by its SHA-256.
    pub async fn artifact(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT content FROM artifacts WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))
    }

    /// Whether an artifact with this SHA-256 is attached to a project the visibility covers: the
    /// rule for who may download it (anyone who may read a project that has it).
    ///
    /// Read from the log, where each attachment is an `artifact_attached` record naming the
    /// digest; the digest is checked to be 64 hexadecimal digits first, so it cannot act as a
    /// `LIKE` pattern. For a committee this scans the attachments of the whole log, which is
    /// acceptable for downloads; an index of attachments would make it a lookup.
    pub async fn artifact_attached_within(
        &self,
        sha256: &str,
        visibility: Visibility<'_>,
    ) -> Result<bool, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let pattern = format!("%\"sha256\":\"{sha256}\"%");
        let found: Option<i64> = match visibility {
            Visibility::Everything => {
                sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM audit_records WHERE event_type = 'artifact_attached' AND event LIKE $1 LIMIT 1")
                    .bind(pattern)
                    .fetch_optional(self.pool())
                    .await
            }
            Visibility::Committee(committee) => {
                sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM audit_records JOIN projects ON projects.project_id = audit_records.project_id WHERE projects.committee = $1 AND audit_records.event_type = 'artifact_attached' AND audit_records.event LIKE $2 LIMIT 1")
                    .bind(committee.to_string())
                    .bind(pattern)
                    .fetch_optional(self.pool())
                    .await
            }
            Visibility::Project(project_id) => {
                sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM audit_records WHERE project_id = $1 AND event_type = 'artifact_attached' AND event LIKE $2 LIMIT 1")
                    .bind(project_id.to_string())
                    .bind(pattern)
                    .fetch_optional(self.pool())
                    .await
            }
            Visibility::Nothing => return Ok(false),
        }
        .map_err(|error| self.database_error(error))?;
        Ok(found.is_some())
    }
}
