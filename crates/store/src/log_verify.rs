//! Checking the database against a checkpoint kept outside it (issue 18): what the chains alone
//! cannot prove.
//!
//! The chains catch an edited or missing record only when compared with something the database
//! cannot change. Given a checkpoint whose signatures the caller has already checked (its size N
//! and root R), this reads the tree's leaves in order and the record each leaf names, and finds:
//!
//! - a tree shorter than N (the log truncated, or the database rolled back to an older backup),
//!   named at the first leaf missing;
//! - a leaf whose record is gone (deleted), or whose record's hash is no longer the one
//!   integrated (edited, even with the rest of its chain re-hashed), named at that leaf;
//! - a record in the tree twice, or a chain whose records are not in the tree in sequence order
//!   (swapped), named at the leaf;
//! - a root of the first N leaves, rebuilt here from the records' hashes, that is not R: the
//!   tree's own tables were rewritten; named at the first leaf whose hash differs from the one
//!   the database stored, when the stored hashes still agree with R;
//! - a signed checkpoint stored after N whose root the leaves do not rebuild (history rewritten
//!   after the checkpoint);
//! - a record that is in the log but not in the tree: refused by the sequencer (written without
//!   the log's key), or never queued at all (inserted with the triggers off), each named.
//!
//! Records still waiting to be integrated are counted, not faulted: the next checkpoint covers
//! them.
//!
//! This module only reads: the walk itself is `tree_walk.rs`, pure, and the offline check of an
//! export (`log_lines.rs`) walks the same way.

use crate::Store;
use crate::error::StoreError;
use crate::transparency::{kind_name, kind_of};
pub use crate::tree_walk::{CheckpointVerification, LogFault, RecordRef, open_checkpoint};
use crate::tree_walk::{RootVerdict, Walk, WalkedLeaf, later_checkpoints};
use specflow_engine::stored_record::RecordKind;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::NoteVerifier;
use sqlx::Row;

/// How many leaves a page of the walk reads.
const LEAF_PAGE: i64 = 10_000;

impl Store {
    /// Checks the database against `checkpoint` (whose signatures the caller checked).
    pub async fn verify_against_checkpoint(
        &self,
        checkpoint: &Checkpoint,
        log: &NoteVerifier,
    ) -> Result<CheckpointVerification, StoreError> {
        let later = self.later_checkpoints(checkpoint.size, log).await?;
        let mut walk = Walk::new(checkpoint, later);
        let mut after = -1_i64;
        loop {
            let page = self.leaf_page(after).await?;
            for leaf in &page {
                walk.step(leaf);
            }
            match page.last() {
                Some(last) if page.len() as i64 == LEAF_PAGE => {
                    after = i64::try_from(last.leaf_index).unwrap_or(i64::MAX);
                }
                _ => break,
            }
        }
        let tree_size = walk.tree_size();
        let first_leaf = match walk.root_verdict() {
            RootVerdict::Differs => {
                self.first_leaf_differing_from_stored(checkpoint, log)
                    .await?
            }
            RootVerdict::Holds | RootVerdict::Shorter => None,
        };
        let mut faults = walk.finish(first_leaf);
        faults.extend(self.records_outside_the_tree().await?);
        Ok(CheckpointVerification {
            checkpoint_size: checkpoint.size,
            tree_size,
            pending: self.log_pending_count().await?,
            faults,
        })
    }

    /// The checkpoints the log signed after `size` whose signature holds, with their roots.
    async fn later_checkpoints(
        &self,
        size: u64,
        log: &NoteVerifier,
    ) -> Result<Vec<(u64, Hash)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tree_size, note FROM log_checkpoints WHERE tree_size > $1 ORDER BY tree_size",
        )
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let notes = rows
            .iter()
            .map(|row| row.try_get::<String, _>("note").map_err(get))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(later_checkpoints(
            notes.iter().map(String::as_str),
            size,
            log,
        ))
    }

    /// A page of leaves after `after`, each with its record's hash now.
    async fn leaf_page(&self, after: i64) -> Result<Vec<WalkedLeaf>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT l.leaf_index, l.record_kind, l.subject_id, l.sequence, l.record_hash, \
             COALESCE(a.hash, c.hash) AS stored_hash FROM log_leaves l \
             LEFT JOIN audit_records a ON l.record_kind = 'project' AND a.project_id = l.subject_id AND a.sequence = l.sequence \
             LEFT JOIN committee_records c ON l.record_kind = 'committee' AND c.committee_id = l.subject_id AND c.sequence = l.sequence \
             WHERE l.leaf_index > $1 ORDER BY l.leaf_index LIMIT {LEAF_PAGE}"
        ))
        .bind(after)
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("record_kind").map_err(get)?;
                let leaf_index: i64 = row.try_get("leaf_index").map_err(get)?;
                let sequence: i64 = row.try_get("sequence").map_err(get)?;
                Ok(WalkedLeaf {
                    leaf_index: u64::try_from(leaf_index).unwrap_or(u64::MAX),
                    record: RecordRef {
                        kind: kind_of(&kind)?,
                        subject: row.try_get("subject_id").map_err(get)?,
                        sequence: u64::try_from(sequence).unwrap_or(0),
                    },
                    integrated: row.try_get("record_hash").map_err(get)?,
                    stored: row.try_get("stored_hash").map_err(get)?,
                })
            })
            .collect()
    }

    /// When the database's stored tree still has the checkpoint's root, the first leaf whose
    /// hash (rebuilt from its record) differs from the stored leaf hash.
    async fn first_leaf_differing_from_stored(
        &self,
        checkpoint: &Checkpoint,
        log: &NoteVerifier,
    ) -> Result<Option<u64>, StoreError> {
        let stored_root = match self.checkpoint_at(checkpoint.size).await? {
            Some(stored) => open_checkpoint(&stored.note, log, &[])
                .ok()
                .map(|opened| opened.root),
            None => None,
        };
        let stored_tree_root = match specflow_tlog::tree::indexes_for_tree_hash(checkpoint.size) {
            Ok(indexes) => match self.log_hashes(&indexes).await {
                Ok(hashes) => specflow_tlog::tree::tree_hash_from(checkpoint.size, &hashes).ok(),
                // Hashes missing or mangled: the stored tree is no guide.
                Err(_) => None,
            },
            Err(_) => None,
        };
        if stored_root != Some(checkpoint.root) || stored_tree_root != Some(checkpoint.root) {
            return Ok(None);
        }
        let mut after = -1_i64;
        loop {
            let page = self.leaf_page(after).await?;
            for leaf in &page {
                if leaf.leaf_index >= checkpoint.size {
                    return Ok(None);
                }
                let index = specflow_tlog::tree::stored_hash_index(0, leaf.leaf_index)
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
                let stored = self.log_hashes(&[index]).await?;
                let rebuilt = leaf
                    .stored
                    .as_deref()
                    .and_then(|hash| Hash::from_hex(hash).ok())
                    .map(|hash| leaf_hash(hash.as_bytes()));
                if stored.first().copied() != rebuilt {
                    return Ok(Some(leaf.leaf_index));
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == LEAF_PAGE => {
                    after = i64::try_from(last.leaf_index).unwrap_or(i64::MAX);
                }
                _ => return Ok(None),
            }
        }
    }

    /// Records in the logs that are not in the tree and are not waiting: refused or never
    /// queued, each named.
    async fn records_outside_the_tree(&self) -> Result<Vec<LogFault>, StoreError> {
        let mut faults = Vec::new();
        for (kind, log, subject) in [
            (RecordKind::Project, "audit_records", "project_id"),
            (RecordKind::Committee, "committee_records", "committee_id"),
        ] {
            let name = kind_name(kind);
            let rows = sqlx::query(&format!(
                "SELECT r.{subject} AS subject_id, r.sequence, f.reason FROM {log} r \
                 LEFT JOIN log_leaves l ON l.record_kind = '{name}' AND l.subject_id = r.{subject} AND l.sequence = r.sequence \
                 LEFT JOIN log_pending p ON p.record_kind = '{name}' AND p.subject_id = r.{subject} AND p.sequence = r.sequence \
                 LEFT JOIN log_refusals f ON f.record_kind = '{name}' AND f.subject_id = r.{subject} AND f.sequence = r.sequence \
                 WHERE l.leaf_index IS NULL AND p.pending_id IS NULL ORDER BY r.{subject}, r.sequence"
            ))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            let get = |error: sqlx::Error| self.database_error(error);
            for row in rows {
                let sequence: i64 = row.try_get("sequence").map_err(get)?;
                let record = RecordRef {
                    kind,
                    subject: row.try_get("subject_id").map_err(get)?,
                    sequence: u64::try_from(sequence).unwrap_or(0),
                };
                let reason: Option<String> = row.try_get("reason").map_err(get)?;
                faults.push(match reason {
                    Some(reason) => LogFault::Refused { record, reason },
                    None => LogFault::NeverQueued { record },
                });
            }
        }
        Ok(faults)
    }
}
