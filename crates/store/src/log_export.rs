//! The transparency log's lines of an export, read from the database page by page after the
//! records (`log_lines.rs` holds their form; `docs/audit-format.md` says what each means).
//!
//! An export is not one snapshot: records keep being written and integrated while it streams.
//! Three rules make a faithful export of a live database verify:
//!
//! - the queue is read before the leaves: a record waiting then is either still waiting, or
//!   integrated by the time the leaves are read (integration takes it off the queue in the
//!   transaction that appends its leaf), so no exported record falls between the two reads;
//! - the leaves stop at the first leaf, past the tree's size when the export began, whose record
//!   was written after its chain was exported; its record and every later exported one are listed
//!   as waiting instead, since the export's tree ends before them;
//! - only checkpoints of the exported tree's size or less are written, since the others name
//!   leaves the export does not hold.
//!
//! A database whose log never signed a checkpoint exports no log lines, as before the log existed.

use crate::Store;
use crate::error::StoreError;
use crate::log_lines::{LeafLine, LogLine, PendingLine};
use crate::transparency::kind_of;
use specflow_engine::stored_record::RecordKind;
use sqlx::Row;
use std::collections::HashMap;

/// How many leaves, queued records or checkpoints one page reads.
const LOG_PAGE: i64 = 5_000;

/// Where the log's part of an export is.
#[derive(Debug)]
enum Phase {
    /// The queue, after this queue id.
    Pending { after: i64 },
    /// The leaves, after this index.
    Leaves { after: i64 },
    /// The records the leaves past the cut name, listed as waiting.
    LatePending,
    /// The checkpoints, after this size.
    Checkpoints { after: i64 },
    /// Written.
    Done,
}

/// The log's part of one export: which chains were exported how far, and what is written.
#[derive(Debug)]
pub struct LogExport {
    /// The tree's size when the export began.
    start_size: u64,
    /// Each exported chain's last sequence.
    exported: HashMap<(RecordKind, String), u64>,
    /// The leaves written so far: the exported tree's size once the leaves are done.
    leaves_written: u64,
    /// Whether the leaves stopped before the tree's end.
    cut: bool,
    /// Exported records past the cut.
    late: Vec<PendingLine>,
    phase: Phase,
}

impl LogExport {
    /// Notes that a chain's records were exported up to `sequence`.
    pub fn exported(&mut self, kind: RecordKind, subject: &str, sequence: u64) {
        let last = self
            .exported
            .entry((kind, subject.to_string()))
            .or_insert(0);
        *last = (*last).max(sequence);
    }

    fn was_exported(&self, kind: RecordKind, subject: &str, sequence: u64) -> bool {
        self.exported
            .get(&(kind, subject.to_string()))
            .is_some_and(|last| sequence <= *last)
    }
}

fn push_line(text: &mut String, line: &LogLine) {
    text.push_str(&line.to_json_line());
    text.push('\n');
}

impl Store {
    /// Begins the log's part of an export: call before the records are read, note each chain
    /// exported with [`LogExport::exported`], then take [`Store::log_export_page`] until `None`.
    pub async fn begin_log_export(&self) -> Result<LogExport, StoreError> {
        let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_checkpoints")
            .fetch_one(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let size: i64 =
            sqlx::query_scalar("SELECT tree_size FROM log_sequencer WHERE singleton = 1")
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(error))?
                .unwrap_or(0);
        Ok(LogExport {
            start_size: u64::try_from(size).unwrap_or(0),
            exported: HashMap::new(),
            leaves_written: 0,
            cut: false,
            late: Vec::new(),
            phase: if signed > 0 {
                Phase::Pending { after: -1 }
            } else {
                Phase::Done
            },
        })
    }

    /// The next lines of the log's part of an export (each ending in a newline), `None` at the
    /// end.
    pub async fn log_export_page(
        &self,
        export: &mut LogExport,
    ) -> Result<Option<String>, StoreError> {
        loop {
            let (text, next) = match export.phase {
                Phase::Pending { after } => self.pending_lines(export, after).await?,
                Phase::Leaves { after } => self.leaf_lines(export, after).await?,
                Phase::LatePending => {
                    let mut text = String::new();
                    for pending in std::mem::take(&mut export.late) {
                        push_line(&mut text, &LogLine::LogPending(pending));
                    }
                    (text, Phase::Checkpoints { after: -1 })
                }
                Phase::Checkpoints { after } => self.checkpoint_lines(export, after).await?,
                Phase::Done => return Ok(None),
            };
            export.phase = next;
            if !text.is_empty() {
                return Ok(Some(text));
            }
        }
    }

    async fn pending_lines(
        &self,
        export: &LogExport,
        after: i64,
    ) -> Result<(String, Phase), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT pending_id, record_kind, subject_id, sequence FROM log_pending \
             WHERE pending_id > $1 ORDER BY pending_id LIMIT {LOG_PAGE}"
        ))
        .bind(after)
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let mut text = String::new();
        let mut last = after;
        for row in &rows {
            last = row.try_get("pending_id").map_err(get)?;
            let kind = kind_of(&row.try_get::<String, _>("record_kind").map_err(get)?)?;
            let subject: String = row.try_get("subject_id").map_err(get)?;
            let sequence: i64 = row.try_get("sequence").map_err(get)?;
            let sequence = u64::try_from(sequence).unwrap_or(0);
            // Only exported records: one written since is in no chain of the file.
            if export.was_exported(kind, &subject, sequence) {
                push_line(
                    &mut text,
                    &LogLine::LogPending(PendingLine {
                        kind,
                        subject,
                        sequence,
                    }),
                );
            }
        }
        let next = if rows.len() as i64 == LOG_PAGE {
            Phase::Pending { after: last }
        } else {
            Phase::Leaves { after: -1 }
        };
        Ok((text, next))
    }

    async fn leaf_lines(
        &self,
        export: &mut LogExport,
        after: i64,
    ) -> Result<(String, Phase), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT leaf_index, record_kind, subject_id, sequence, record_hash FROM log_leaves \
             WHERE leaf_index > $1 ORDER BY leaf_index LIMIT {LOG_PAGE}"
        ))
        .bind(after)
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let mut text = String::new();
        let mut last = after;
        for row in &rows {
            last = row.try_get("leaf_index").map_err(get)?;
            let index = u64::try_from(last).unwrap_or(0);
            let kind = kind_of(&row.try_get::<String, _>("record_kind").map_err(get)?)?;
            let subject: String = row.try_get("subject_id").map_err(get)?;
            let sequence: i64 = row.try_get("sequence").map_err(get)?;
            let sequence = u64::try_from(sequence).unwrap_or(0);
            let exported = export.was_exported(kind, &subject, sequence);
            if !export.cut && index >= export.start_size && !exported {
                // Integrated after its chain was exported: the export's tree ends here.
                export.cut = true;
            }
            if export.cut {
                if exported {
                    export.late.push(PendingLine {
                        kind,
                        subject,
                        sequence,
                    });
                }
                continue;
            }
            export.leaves_written += 1;
            push_line(
                &mut text,
                &LogLine::LogLeaf(LeafLine {
                    index,
                    kind,
                    subject,
                    sequence,
                    record_hash: row.try_get("record_hash").map_err(get)?,
                }),
            );
        }
        let next = if rows.len() as i64 == LOG_PAGE {
            Phase::Leaves { after: last }
        } else {
            Phase::LatePending
        };
        Ok((text, next))
    }

    async fn checkpoint_lines(
        &self,
        export: &LogExport,
        after: i64,
    ) -> Result<(String, Phase), StoreError> {
        let page = LOG_PAGE / 50;
        let rows = sqlx::query(&format!(
            "SELECT tree_size, root_hash, note FROM log_checkpoints \
             WHERE tree_size > $1 AND tree_size <= $2 ORDER BY tree_size LIMIT {page}"
        ))
        .bind(after)
        .bind(i64::try_from(export.leaves_written).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let mut text = String::new();
        let mut last = after;
        for row in &rows {
            let checkpoint = self.checkpoint_of(row).await?;
            last = i64::try_from(checkpoint.tree_size).unwrap_or(i64::MAX);
            push_line(
                &mut text,
                &LogLine::LogCheckpoint(checkpoint.cosigned_note()),
            );
        }
        let next = if rows.len() as i64 == page {
            Phase::Checkpoints { after: last }
        } else {
            Phase::Done
        };
        Ok((text, next))
    }
}
