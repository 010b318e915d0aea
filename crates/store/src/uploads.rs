//! Uploads on their way in: bounded in number, hashed while they are read, spooled to a
//! temporary file, and stored in the database only in the transaction that records their
//! attachment.
//!
//! A file is never held in memory whole. The body is read in the pieces the connection delivers,
//! each hashed and appended to an anonymous temporary file (`tempfile::tempfile`: `O_TMPFILE` on
//! Linux, elsewhere unlinked as soon as it is created). It has no name in any directory, so the
//! operating system frees it when the last handle closes: a refused, failed or abandoned upload,
//! and a server killed in the middle of one, leave no file behind and need no sweep at start. The writer then copies the file into `artifact_chunks` a chunk at a time
//! ([`ARTIFACT_CHUNK_BYTES`]) inside the transaction that writes the `artifact_attached` record:
//! a refused command, a stale `If-Match` or a crash stores nothing, so no content row is ever
//! without a record naming it.
//!
//! How many uploads run at once is bounded in all and per caller
//! ([`crate::StoreOptions::max_concurrent_uploads`] and
//! [`crate::StoreOptions::max_concurrent_uploads_per_caller`]); beyond either, an upload is
//! refused before its body is read ([`StoreError::TooManyUploads`]).

use crate::Store;
use crate::error::StoreError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The size of the pieces artifact content is stored in: each is one row of `artifact_chunks`,
/// so the writer holds one piece in memory at a time however large the file.
pub const ARTIFACT_CHUNK_BYTES: usize = 1024 * 1024;

/// The uploads running now, in all and per caller.
#[derive(Debug)]
pub(crate) struct UploadGate {
    all: Arc<Semaphore>,
    limit: usize,
    per_caller_limit: usize,
    per_caller: Mutex<HashMap<String, usize>>,
}

impl UploadGate {
    pub(crate) fn new(limit: usize, per_caller_limit: usize) -> UploadGate {
        UploadGate {
            all: Arc::new(Semaphore::new(limit.max(1))),
            limit: limit.max(1),
            per_caller_limit: per_caller_limit.max(1),
            per_caller: Mutex::new(HashMap::new()),
        }
    }
}

/// One running upload's place: given back when dropped, whatever became of the upload.
#[derive(Debug)]
struct UploadPermit {
    _all: OwnedSemaphorePermit,
    gate: Arc<UploadGate>,
    caller: String,
}

impl Drop for UploadPermit {
    fn drop(&mut self) {
        if let Ok(mut per_caller) = self.gate.per_caller.lock()
            && let Some(count) = per_caller.get_mut(&self.caller)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_caller.remove(&self.caller);
            }
        }
    }
}

/// An upload being read: write its pieces in order, then [`ArtifactSpool::finish`].
#[derive(Debug)]
pub struct ArtifactSpool {
    file: tokio::fs::File,
    hasher: Sha256,
    size_bytes: u64,
    limit: u64,
    permit: UploadPermit,
}

/// An upload read whole: its digest and size, and its content in an anonymous temporary file
/// that the operating system frees when this is dropped. Given to [`Store::execute_attaching`], which stores the content
/// with the attachment or not at all.
#[derive(Debug)]
pub struct SpooledArtifact {
    /// The content's SHA-256, 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    file: std::fs::File,
    _permit: UploadPermit,
}

impl SpooledArtifact {
    /// The content from its start, for the writer to read a chunk at a time (again, if the write
    /// is redone after a lost race).
    pub(crate) async fn reader(&self) -> Result<tokio::fs::File, StoreError> {
        use tokio::io::AsyncSeekExt;
        let mut file = tokio::fs::File::from_std(self.file.try_clone().map_err(spool_error)?);
        file.seek(std::io::SeekFrom::Start(0))
            .await
            .map_err(spool_error)?;
        Ok(file)
    }
}

fn spool_error(error: std::io::Error) -> StoreError {
    StoreError::Spool {
        reason: error.to_string(),
        source: Some(Arc::new(error)),
    }
}

impl ArtifactSpool {
    /// Appends a piece of the upload: hashed, then written to the temporary file. Refused as
    /// soon as the upload passes the size limit, so an over-large body is not read to its end.
    pub async fn write(&mut self, piece: &[u8]) -> Result<(), StoreError> {
        let size = self.size_bytes + piece.len() as u64;
        if size > self.limit {
            return Err(StoreError::ArtifactTooLarge {
                size,
                limit: self.limit,
            });
        }
        self.hasher.update(piece);
        self.file.write_all(piece).await.map_err(spool_error)?;
        self.size_bytes = size;
        Ok(())
    }

    /// The upload read whole, flushed to its file.
    pub async fn finish(mut self) -> Result<SpooledArtifact, StoreError> {
        self.file.flush().await.map_err(spool_error)?;
        self.file.sync_data().await.map_err(spool_error)?;
        Ok(SpooledArtifact {
            sha256: hex::encode(self.hasher.finalize()),
            size_bytes: self.size_bytes,
            file: self.file.into_std().await,
            _permit: self.permit,
        })
    }
}

impl Store {
    /// Starts an upload for `caller` (a token's or an account's name): refused with
    /// [`StoreError::TooManyUploads`] when the caller, or everyone together, already has as many
    /// running as the options allow.
    pub fn begin_upload(&self, caller: &str) -> Result<ArtifactSpool, StoreError> {
        let gate = self.inner.uploads.clone();
        let all = gate
            .all
            .clone()
            .try_acquire_owned()
            .map_err(|_| StoreError::TooManyUploads {
                limit: gate.limit,
                per_caller: false,
            })?;
        {
            let mut per_caller = gate
                .per_caller
                .lock()
                .map_err(|_| StoreError::Corrupt("the upload counts were poisoned".to_string()))?;
            let count = per_caller.entry(caller.to_string()).or_insert(0);
            if *count >= gate.per_caller_limit {
                return Err(StoreError::TooManyUploads {
                    limit: gate.per_caller_limit,
                    per_caller: true,
                });
            }
            *count += 1;
        }
        let permit = UploadPermit {
            _all: all,
            gate: gate.clone(),
            caller: caller.to_string(),
        };
        let file = tempfile::tempfile().map_err(spool_error)?;
        Ok(ArtifactSpool {
            file: tokio::fs::File::from_std(file),
            hasher: Sha256::new(),
            size_bytes: 0,
            limit: self.inner.options.max_artifact_bytes,
            permit,
        })
    }

    /// Spools content already in memory (the demo's files, tests): the same path as an upload.
    pub async fn spool_artifact(
        &self,
        caller: &str,
        content: &[u8],
    ) -> Result<SpooledArtifact, StoreError> {
        let mut spool = self.begin_upload(caller)?;
        spool.write(content).await?;
        spool.finish().await
    }
}
