//! Proving every chain the database holds, projects' and committees' alike, and exporting them.
//!
//! Verification starts from the logs, not from the projections: every subject with records is a
//! chain, and its records are read as stored ([`StoredRecord`]), so a field an insider wrote in
//! a form no specflow write produces (a malformed hash, an upper-case id) is that record's fault,
//! reported beside the other chains' verdicts, instead of an error that ends the run.
//! Only then is the projection asked where the log should end: a log without a projection row,
//! records past its head, a head that hashes differently, or records missing from the end are
//! each named at their own record.

use super::{Store, instant};
use crate::error::StoreError;
use specflow_engine::audit::{
    ChainFault, Digest256, VerifiedChain, VerifyFailure, canonical_instant,
};
use specflow_engine::committee::audit::VerifiedCommitteeChain;
use specflow_engine::stored_record::{ChainHead, RecordKind, StoredChainVerifier, StoredRecord};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::ops::ControlFlow;
use uuid::Uuid;

/// How many records a page of a long read holds.
const PAGE: i64 = 1000;

/// The tables of one kind of log: the log, its projection and the subject's column.
struct Tables {
    log: &'static str,
    projection: &'static str,
    subject: &'static str,
}

fn tables(kind: RecordKind) -> Tables {
    match kind {
        RecordKind::Project => Tables {
            log: "audit_records",
            projection: "projects",
            subject: "project_id",
        },
        RecordKind::Committee => Tables {
            log: "committee_records",
            projection: "committees",
            subject: "committee_id",
        },
    }
}

/// A chain's verdict: how far it holds, or its first bad record.
pub type ChainVerdict = Result<ChainHead, VerifyFailure>;

/// Where the chain stood after the records read so far.
struct Progress {
    verifier: StoredChainVerifier,
    last_sequence: u64,
    last_hash: Digest256,
    failure: Option<VerifyFailure>,
}

impl Progress {
    fn push(&mut self, stored: &StoredRecord) -> ControlFlow<()> {
        match self.verifier.push(stored) {
            Ok(hash) => {
                self.last_sequence = stored.position();
                self.last_hash = hash;
                ControlFlow::Continue(())
            }
            Err(failure) => {
                self.failure = Some(failure);
                ControlFlow::Break(())
            }
        }
    }

    fn head(&self) -> ChainHead {
        ChainHead {
            records: self.last_sequence,
            head_hash: self.last_hash,
        }
    }
}

impl Store {
    /// A record as stored, whatever its kind: text and numbers as the row holds them, the
    /// instant in its canonical text (or its microseconds when they are no instant at all).
    fn stored_record_of(&self, kind: RecordKind, row: &AnyRow) -> Result<StoredRecord, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let subject: String = row.try_get(tables(kind).subject).map_err(get)?;
        let micros: i64 = row.try_get("recorded_at").map_err(get)?;
        let recorded_at = instant(micros)
            .map(canonical_instant)
            .unwrap_or_else(|_| micros.to_string());
        let (project_id, committee_id) = match kind {
            RecordKind::Project => (Some(subject), None),
            RecordKind::Committee => (None, Some(subject)),
        };
        Ok(StoredRecord {
            project_id,
            committee_id,
            sequence: row.try_get("sequence").map_err(get)?,
            recorded_at,
            actor_id: row.try_get("actor_id").map_err(get)?,
            actor_role: row.try_get("actor_role").map_err(get)?,
            command_id: row.try_get("command_id").map_err(get)?,
            event_type: row.try_get("event_type").map_err(get)?,
            event_version: row.try_get("event_version").map_err(get)?,
            event: row.try_get("event").map_err(get)?,
            previous_hash: row.try_get("previous_hash").map_err(get)?,
            hash: row.try_get("hash").map_err(get)?,
        })
    }

    /// Up to `limit` of a chain's records as stored, in sequence order, after sequence `after`:
    /// a page of an export that streams.
    pub async fn stored_records_page(
        &self,
        kind: RecordKind,
        subject: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut page = Vec::new();
        self.each_stored_record(kind, subject, after, |stored| {
            page.push(stored.clone());
            Ok(if page.len() >= limit.max(1) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })
        .await?;
        Ok(page)
    }

    /// Visits a chain's records as stored, in sequence order, after `after`, page by page.
    async fn each_stored_record(
        &self,
        kind: RecordKind,
        subject: &str,
        mut after: i64,
        mut visit: impl FnMut(&StoredRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let Tables {
            log,
            subject: column,
            ..
        } = tables(kind);
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {column}, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash FROM {log} WHERE {column} = $1 AND sequence > $2 ORDER BY sequence LIMIT {PAGE}"
            ))
            .bind(subject.to_string())
            .bind(after)
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            for row in &rows {
                let stored = self.stored_record_of(kind, row)?;
                after = stored.sequence;
                if visit(&stored)?.is_break() {
                    return Ok(());
                }
            }
            if rows.len() < PAGE as usize {
                return Ok(());
            }
        }
    }

    /// The head the projection names for a subject: its sequence and hash, if it has a row.
    async fn projection_head(
        &self,
        kind: RecordKind,
        subject: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let Tables {
            projection,
            subject: column,
            ..
        } = tables(kind);
        let row = sqlx::query(&format!(
            "SELECT head_sequence, head_hash FROM {projection} WHERE {column} = $1"
        ))
        .bind(subject.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        row.map(|row| {
            let get = |error: sqlx::Error| self.database_error(error);
            Ok((
                row.try_get("head_sequence").map_err(get)?,
                row.try_get("head_hash").map_err(get)?,
            ))
        })
        .transpose()
    }

    /// Verifies one chain of `kind` from its log, then checks it ends where its projection says.
    ///
    /// The projection is read after the log: a write puts its records and its projection in one
    /// transaction, so a projection read later is never behind the log read before it. When it
    /// is ahead (a write landed meanwhile), the records since are read once more before the end
    /// is judged.
    pub async fn verify_chain(
        &self,
        kind: RecordKind,
        subject: &str,
    ) -> Result<ChainVerdict, StoreError> {
        let mut progress = Progress {
            verifier: StoredChainVerifier::new(kind),
            last_sequence: 0,
            last_hash: Digest256::GENESIS,
            failure: None,
        };
        let mut read_again = true;
        loop {
            let after = i64::try_from(progress.last_sequence).unwrap_or(i64::MAX);
            self.each_stored_record(kind, subject, after, |stored| Ok(progress.push(stored)))
                .await?;
            if let Some(failure) = progress.failure.take() {
                return Ok(Err(failure));
            }
            let projection = self.projection_head(kind, subject).await?;
            match judge_end(&progress, projection.clone()) {
                End::Holds => return Ok(Ok(progress.head())),
                End::Broken(failure) => return Ok(Err(failure)),
                End::ProjectionAhead if read_again => read_again = false,
                End::ProjectionAhead => {
                    return Ok(Err(missing_records(&progress, projection)));
                }
            }
        }
    }

    /// Verifies a project's chain page by page, and that the log ends where the projection says.
    pub async fn verify_project(
        &self,
        project_id: Uuid,
    ) -> Result<Result<VerifiedChain, VerifyFailure>, StoreError> {
        let verdict = self
            .verify_chain(RecordKind::Project, &project_id.to_string())
            .await?;
        Ok(verdict.map(|head| VerifiedChain {
            project_id: (head.records > 0).then_some(project_id),
            records: head.records,
            head_hash: head.head_hash,
        }))
    }

    /// Verifies a committee's chain, and that the log ends where the committee's row says.
    pub async fn verify_committee(
        &self,
        committee_id: Uuid,
    ) -> Result<Result<VerifiedCommitteeChain, VerifyFailure>, StoreError> {
        let verdict = self
            .verify_chain(RecordKind::Committee, &committee_id.to_string())
            .await?;
        Ok(verdict.map(|head| VerifiedCommitteeChain {
            committee_id: (head.records > 0).then_some(committee_id),
            records: head.records,
            head_hash: head.head_hash,
        }))
    }

    /// The subjects of `kind` that have records, as stored (a malformed id included, so its
    /// chain is reported), `limit` at a time after `after`.
    pub async fn chains_with_records(
        &self,
        kind: RecordKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let Tables {
            log,
            subject: column,
            ..
        } = tables(kind);
        sqlx::query_scalar(&format!(
            "SELECT DISTINCT {column} FROM {log} WHERE {column} > $1 ORDER BY {column} LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .bind(after.unwrap_or_default().to_string())
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))
    }

    /// The code a person knows a subject by, from its projection row, if it has one.
    pub async fn chain_code(
        &self,
        kind: RecordKind,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        let Tables {
            projection,
            subject: column,
            ..
        } = tables(kind);
        sqlx::query_scalar(&format!(
            "SELECT code FROM {projection} WHERE {column} = $1"
        ))
        .bind(subject.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))
    }

    /// A committee's records exactly as stored, in order, however they read.
    pub async fn committee_records_as_stored(
        &self,
        committee_id: Uuid,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut records = Vec::new();
        self.each_stored_record(
            RecordKind::Committee,
            &committee_id.to_string(),
            0,
            |stored| {
                records.push(stored.clone());
                Ok(ControlFlow::Continue(()))
            },
        )
        .await?;
        Ok(records)
    }

    /// Writes one chain's records as stored, one JSON object a line; returns how many.
    pub async fn export_chain_jsonl(
        &self,
        kind: RecordKind,
        subject: &str,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, StoreError> {
        Ok(self.export_chain(kind, subject, out).await?.0)
    }

    /// Writes one chain's records as stored; how many, and the last sequence written.
    async fn export_chain(
        &self,
        kind: RecordKind,
        subject: &str,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<(u64, u64), StoreError> {
        let mut count = 0;
        let mut last = 0;
        self.each_stored_record(kind, subject, 0, |stored| {
            let line = serde_json::to_string(stored)
                .map_err(|error| StoreError::Corrupt(error.to_string()))?;
            writeln!(out, "{line}").map_err(export_failed)?;
            count += 1;
            last = stored.position();
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        Ok((count, last))
    }

    /// Writes the records of one project, or of every project and then every committee followed
    /// by the transparency log's lines (`log_lines.rs`), as stored, as JSON Lines; returns how
    /// many records.
    pub async fn export_jsonl(
        &self,
        project: Option<Uuid>,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, StoreError> {
        if let Some(project) = project {
            // One project's leaves could not rebuild any root: its export carries no log lines.
            return self
                .export_chain_jsonl(RecordKind::Project, &project.to_string(), out)
                .await;
        }
        let mut log = self.begin_log_export().await?;
        let mut written = 0;
        for kind in [RecordKind::Project, RecordKind::Committee] {
            let mut after: Option<String> = None;
            loop {
                let subjects = self
                    .chains_with_records(kind, after.as_deref(), 500)
                    .await?;
                let Some(last) = subjects.last().cloned() else {
                    break;
                };
                for subject in &subjects {
                    let (count, last_sequence) = self.export_chain(kind, subject, out).await?;
                    written += count;
                    log.exported(kind, subject, last_sequence);
                }
                after = Some(last);
            }
        }
        while let Some(lines) = self.log_export_page(&mut log).await? {
            out.write_all(lines.as_bytes()).map_err(export_failed)?;
        }
        Ok(written)
    }
}

fn export_failed(error: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("writing the export: {error}"))
}

/// What the projection says of a chain that held record by record.
enum End {
    /// The log ends at the projection's head, which hashes as the projection says.
    Holds,
    /// The end is wrong, at the record named.
    Broken(VerifyFailure),
    /// The projection names a later head: a write may have landed since the log was read.
    ProjectionAhead,
}

fn judge_end(progress: &Progress, projection: Option<(i64, String)>) -> End {
    let last = progress.last_sequence;
    let Some((head_sequence, head_hash)) = projection else {
        if last == 0 {
            return End::Holds;
        }
        return End::Broken(VerifyFailure {
            sequence: last,
            fault: ChainFault::NoProjection { records: last },
        });
    };
    let head_sequence = u64::try_from(head_sequence).unwrap_or(0);
    if head_sequence > last {
        return End::ProjectionAhead;
    }
    if head_sequence < last {
        // The records past the head verify as a chain, so an insider sealed them; the first of
        // them is named by its own sequence.
        return End::Broken(VerifyFailure {
            sequence: head_sequence + 1,
            fault: ChainFault::BeyondProjection { head_sequence },
        });
    }
    if head_hash != progress.last_hash.to_hex() {
        return End::Broken(VerifyFailure {
            sequence: last,
            fault: ChainFault::HeadMismatch {
                projection: head_hash,
                found: progress.last_hash.to_hex(),
            },
        });
    }
    End::Holds
}

fn missing_records(progress: &Progress, projection: Option<(i64, String)>) -> VerifyFailure {
    let head_sequence = projection
        .and_then(|(sequence, _)| u64::try_from(sequence).ok())
        .unwrap_or(0);
    VerifyFailure {
        sequence: progress.last_sequence + 1,
        fault: ChainFault::MissingRecords {
            last: progress.last_sequence,
            head_sequence,
        },
    }
}
