//! Artifact contents, addressed by SHA-256 and stored once, in the database itself so that every
//! node serves the same files.
//!
//! Content is stored in chunks of [`ARTIFACT_CHUNK_BYTES`] (`artifact_chunks`), copied from an
//! upload's spooled file by the writer inside the transaction that records the attachment
//! ([`Store::execute_attaching`]); rows stored before chunks keep their content in
//! `artifacts.content` (their `chunk_count` is 0).

use super::uploads::{ARTIFACT_CHUNK_BYTES, SpooledArtifact};
use super::{Store, micros};
use crate::auth::Visibility;
use crate::error::StoreError;
use sqlx::{AnyConnection, Row};
use tokio::io::AsyncReadExt;

/// An artifact's content as its chunks, read one at a time.
pub struct ArtifactStream {
    /// The content's size in bytes.
    pub size_bytes: u64,
    /// The chunks, in order.
    pub pieces: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<Vec<u8>, StoreError>> + Send + 'static>,
    >,
}

impl std::fmt::Debug for ArtifactStream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ArtifactStream")
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Copies an upload's content into the database, a chunk at a time, on a connection inside
    /// the transaction that writes its attachment: a content row never stands without it.
    /// Content already stored (the same file attached before) is not copied again.
    pub(crate) async fn copy_content(
        &self,
        connection: &mut AnyConnection,
        content: &SpooledArtifact,
    ) -> Result<(), StoreError> {
        let chunk_count = content.size_bytes.div_ceil(ARTIFACT_CHUNK_BYTES as u64);
        // The content column stays empty for chunked rows; rows from before chunks keep theirs.
        let inserted = sqlx::query(
            "INSERT INTO artifacts (sha256, size_bytes, content, stored_at, chunk_count) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&content.sha256)
        .bind(i64::try_from(content.size_bytes).unwrap_or(i64::MAX))
        .bind(Vec::<u8>::new())
        .bind(micros(self.inner.clock.now()))
        .bind(i64::try_from(chunk_count).unwrap_or(i64::MAX))
        .execute(&mut *connection)
        .await
        .map_err(|error| self.database_error(error))?;
        if inserted.rows_affected() == 0 {
            return Ok(());
        }
        let spool_error = |error: std::io::Error| StoreError::Spool {
            reason: error.to_string(),
            source: Some(std::sync::Arc::new(error)),
        };
        let mut file = content.reader().await?;
        let mut chunk = vec![0_u8; ARTIFACT_CHUNK_BYTES];
        for index in 0..chunk_count {
            let filled = read_up_to(&mut file, &mut chunk)
                .await
                .map_err(spool_error)?;
            sqlx::query(
                "INSERT INTO artifact_chunks (sha256, chunk_index, content) VALUES ($1, $2, $3)",
            )
            .bind(&content.sha256)
            .bind(i64::try_from(index).unwrap_or(i64::MAX))
            .bind(chunk[..filled].to_vec())
            .execute(&mut *connection)
            .await
            .map_err(|error| self.database_error(error))?;
        }
        Ok(())
    }

    /// An artifact's content by its SHA-256, as a stream of its chunks read one at a time (each
    /// its own query), so a download holds one chunk in memory however large the file; with
    /// the content's size. `None` when no such content is stored.
    pub async fn artifact_stream(
        &self,
        sha256: &str,
    ) -> Result<Option<ArtifactStream>, StoreError> {
        let row = sqlx::query("SELECT size_bytes, chunk_count FROM artifacts WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let get = |error: sqlx::Error| self.database_error(error);
        let size_bytes: i64 = row.try_get("size_bytes").map_err(get)?;
        let chunk_count: i64 = row.try_get("chunk_count").map_err(get)?;
        if chunk_count == 0 {
            // Stored before chunks: one piece, as it was kept.
            let content = self.artifact(sha256).await?.unwrap_or_default();
            let pieces = futures_util::stream::iter([Ok(content)]);
            return Ok(Some(ArtifactStream {
                size_bytes: u64::try_from(size_bytes).unwrap_or(0),
                pieces: Box::pin(pieces),
            }));
        }
        let store = self.clone();
        let sha256 = sha256.to_string();
        let pieces = futures_util::stream::try_unfold(0_i64, move |index| {
            let store = store.clone();
            let sha256 = sha256.clone();
            async move {
                if index >= chunk_count {
                    return Ok(None);
                }
                let chunk: Vec<u8> = sqlx::query_scalar(
                    "SELECT content FROM artifact_chunks WHERE sha256 = $1 AND chunk_index = $2",
                )
                .bind(&sha256)
                .bind(index)
                .fetch_one(store.pool())
                .await
                .map_err(|error| store.database_error(error))?;
                Ok(Some((chunk, index + 1)))
            }
        });
        Ok(Some(ArtifactStream {
            size_bytes: u64::try_from(size_bytes).unwrap_or(0),
            pieces: Box::pin(pieces),
        }))
    }

    /// An artifact's content by its SHA-256, read whole (the demo and tests; downloads use
    /// [`Store::artifact_stream`]).
    pub async fn artifact(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT content, chunk_count FROM artifacts WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let get = |error: sqlx::Error| self.database_error(error);
        let chunk_count: i64 = row.try_get("chunk_count").map_err(get)?;
        if chunk_count == 0 {
            return row.try_get("content").map(Some).map_err(get);
        }
        let mut content = Vec::new();
        for index in 0..chunk_count {
            let chunk: Vec<u8> = sqlx::query_scalar(
                "SELECT content FROM artifact_chunks WHERE sha256 = $1 AND chunk_index = $2",
            )
            .bind(sha256)
            .bind(index)
            .fetch_one(self.pool())
            .await
            .map_err(get)?;
            content.extend_from_slice(&chunk);
        }
        Ok(Some(content))
    }

    /// The digests of stored content that no `artifact_attached` record names: always none,
    /// since content is stored only with its attachment; for tests and operators to check.
    pub async fn unattached_artifacts(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT sha256 FROM artifacts WHERE NOT EXISTS (SELECT 1 FROM audit_records WHERE audit_records.event_type = 'artifact_attached' AND audit_records.event LIKE '%\"sha256\":\"' || artifacts.sha256 || '\"%') ORDER BY sha256",
        )
        .fetch_all(self.pool())
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

/// Reads into `buffer` until it is full or the file ends; how much was read.
async fn read_up_to(file: &mut tokio::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = file.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}
