//! The transparency log's lines in an export (`docs/audit-format.md`, "The transparency log in
//! an export"), and the offline check of an export against a checkpoint kept outside the
//! database, without I/O.
//!
//! After its records an export of the whole database carries the tree: one `log_leaf` line per
//! leaf in tree order, one `log_pending` line per exported record still waiting to be integrated,
//! and one `log_checkpoint` line per signed checkpoint. Each line has one canonical text (compact
//! JSON, fields in the documented order), and a line in any other text is refused, as a record's
//! field is: what an independent verifier reads must be exactly what specflow wrote.
//!
//! [`ExportedLog`] gathers the records' hashes and those lines as a file is read, then walks the
//! leaves with the same [`Walk`] the database's check uses.

use crate::tree_walk::{
    CheckpointVerification, LogFault, RecordRef, RootVerdict, Walk, WalkedLeaf, later_checkpoints,
};
use serde::{Deserialize, Serialize};
use specflow_engine::LocalizedText;
use specflow_engine::stored_record::{RecordKind, StoredRecord};
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::note::NoteVerifier;
use std::collections::{HashMap, HashSet};

/// A leaf of the tree as an export writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafLine {
    /// The leaf's index, from 0.
    pub index: u64,
    /// The record's kind.
    pub kind: RecordKind,
    /// The record's project or committee, as stored.
    pub subject: String,
    /// The record's sequence.
    pub sequence: u64,
    /// The record's hash when it was integrated (64 lowercase hexadecimal digits).
    pub record_hash: String,
}

/// An exported record still waiting to be integrated when the export was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingLine {
    /// The record's kind.
    pub kind: RecordKind,
    /// The record's project or committee, as stored.
    pub subject: String,
    /// The record's sequence.
    pub sequence: u64,
}

/// One line of the transparency log in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LogLine {
    /// `{"log_leaf":{…}}`: a leaf, in tree order.
    LogLeaf(LeafLine),
    /// `{"log_pending":{…}}`: a record not in the exported tree yet.
    LogPending(PendingLine),
    /// `{"log_checkpoint":"…"}`: a signed checkpoint with its cosignature lines, as served.
    LogCheckpoint(String),
}

impl LogLine {
    /// Whether a line of an export is meant as a log line (the only lines that begin so), to be
    /// read with [`LogLine::from_json_line`] rather than as a record.
    pub fn is_log_line(line: &str) -> bool {
        line.starts_with("{\"log_")
    }

    /// Reads a log line, refusing any text but the canonical one.
    pub fn from_json_line(line: &str) -> Result<LogLine, LocalizedText> {
        let parsed: LogLine = serde_json::from_str(line).map_err(|error| {
            LocalizedText::new(
                format!("不是透明日志行：{error}"),
                format!("not a transparency log line: {error}"),
            )
        })?;
        if let LogLine::LogLeaf(leaf) = &parsed
            && !is_digest(&leaf.record_hash)
        {
            return Err(LocalizedText::new(
                format!("叶子 {} 的 record_hash 不是 64 位小写十六进制", leaf.index),
                format!(
                    "leaf {}: record_hash is not 64 lowercase hexadecimal digits",
                    leaf.index
                ),
            ));
        }
        if parsed.to_json_line() != line {
            return Err(LocalizedText::new(
                "透明日志行不是规范文本（紧凑 JSON，字段按规定顺序）",
                "the transparency log line is not in its canonical text (compact JSON, fields in the documented order)",
            ));
        }
        Ok(parsed)
    }

    /// The line's canonical text, without the newline.
    pub fn to_json_line(&self) -> String {
        // A line of strings and integers always writes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn is_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// A record's place in its log.
type RecordKey = (RecordKind, String, u64);

/// What an export holds of the transparency log, gathered line by line: the records' hashes,
/// the leaves, the records named as waiting, and the checkpoints.
#[derive(Debug, Default)]
pub struct ExportedLog {
    records: HashMap<RecordKey, String>,
    leaves: Vec<LeafLine>,
    pending: HashSet<RecordKey>,
    checkpoints: Vec<String>,
}

impl ExportedLog {
    /// Notes a record line (however its chain fares): its hash as written.
    pub fn record(&mut self, stored: &StoredRecord) {
        let (kind, subject) = stored.chain();
        self.records.insert(
            (kind, subject.to_string(), stored.position()),
            stored.hash.clone(),
        );
    }

    /// Notes a log line.
    pub fn log_line(&mut self, line: LogLine) {
        match line {
            LogLine::LogLeaf(leaf) => self.leaves.push(leaf),
            LogLine::LogPending(pending) => {
                self.pending
                    .insert((pending.kind, pending.subject, pending.sequence));
            }
            LogLine::LogCheckpoint(note) => self.checkpoints.push(note),
        }
    }

    /// How many leaves and checkpoints the file carries.
    pub fn size(&self) -> (u64, usize) {
        (self.leaves.len() as u64, self.checkpoints.len())
    }

    /// Checks the export against `checkpoint` (whose signatures the caller checked), as
    /// [`crate::Store::verify_against_checkpoint`] checks the database: the leaves rebuild its
    /// root, each leaf's record is in the file with the hash integrated, once and in its chain's
    /// order, the file's later checkpoints are rebuilt too, and every record of the file is in
    /// the tree or named as waiting.
    pub fn verify(&self, checkpoint: &Checkpoint, log: &NoteVerifier) -> CheckpointVerification {
        let later = later_checkpoints(
            self.checkpoints.iter().map(String::as_str),
            checkpoint.size,
            log,
        );
        let mut walk = Walk::new(checkpoint, later);
        for leaf in &self.leaves {
            let key = (leaf.kind, leaf.subject.clone(), leaf.sequence);
            walk.step(&WalkedLeaf {
                leaf_index: leaf.index,
                record: record_ref(&key),
                integrated: leaf.record_hash.clone(),
                stored: self.records.get(&key).cloned(),
            });
        }
        let tree_size = walk.tree_size();
        let first_leaf = match walk.root_verdict() {
            RootVerdict::Differs => walk.located_by_the_leaves(),
            RootVerdict::Holds | RootVerdict::Shorter => None,
        };
        let mut outside: Vec<&RecordKey> = self
            .records
            .keys()
            .filter(|(kind, subject, sequence)| !walk.holds_record(*kind, subject, *sequence))
            .collect();
        let pending = outside
            .iter()
            .filter(|key| self.pending.contains(**key))
            .count() as u64;
        outside.retain(|key| !self.pending.contains(*key));
        outside.sort();
        let mut faults = walk.finish(first_leaf);
        faults.extend(outside.into_iter().map(|key| LogFault::OutsideTheTree {
            record: record_ref(key),
        }));
        CheckpointVerification {
            checkpoint_size: checkpoint.size,
            tree_size,
            pending,
            faults,
        }
    }
}

fn record_ref((kind, subject, sequence): &RecordKey) -> RecordRef {
    RecordRef {
        kind: *kind,
        subject: subject.clone(),
        sequence: *sequence,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LEAF: &str = r#"{"log_leaf":{"index":0,"kind":"project","subject":"5becf10e-0000-4000-8000-000000000001","sequence":1,"record_hash":"38f39ab61af4a508198fe3189b9231975352a0450987a09082919c84b87da24f"}}"#;

    const DOCUMENT: &str = include_str!("../../../docs/audit-format.md");

    #[test]
    fn the_documented_log_lines_read_in_their_canonical_text() {
        let section = DOCUMENT
            .split("## The transparency log in an export")
            .nth(1)
            .unwrap();
        let block = section.split("```json\n").nth(1).unwrap();
        let lines: Vec<&str> = block.split("```").next().unwrap().lines().collect();
        assert_eq!(lines.len(), 3);
        for line in lines {
            assert!(LogLine::is_log_line(line));
            LogLine::from_json_line(line).unwrap();
        }
    }

    #[test]
    fn a_log_line_reads_only_in_its_canonical_text() {
        let leaf = LogLine::from_json_line(LEAF).unwrap();
        assert_eq!(leaf.to_json_line(), LEAF);
        let pending = r#"{"log_pending":{"kind":"committee","subject":"x","sequence":2}}"#;
        assert!(LogLine::from_json_line(pending).is_ok());
        let checkpoint = "{\"log_checkpoint\":\"o\\n1\\nAAAA\\n\\n— o AAAA\\n\"}";
        assert!(LogLine::from_json_line(checkpoint).is_ok());
        for refused in [
            LEAF.replace(":0,", ": 0,"),
            LEAF.replace(
                "\"index\":0,\"kind\":\"project\"",
                "\"kind\":\"project\",\"index\":0",
            ),
            LEAF.replace("38f39ab6", "38F39AB6"),
            LEAF.replace("\"sequence\":1", "\"sequence\":1,\"extra\":1"),
            LEAF.replace("\"project\"", "\"Project\""),
            LEAF.replace("}}", "},\"log_pending\":null}"),
            "{\"log_checkpoint\":\"\\u2014\"}".to_string(),
        ] {
            assert!(LogLine::from_json_line(&refused).is_err(), "{refused}");
        }
        assert!(LogLine::is_log_line(LEAF));
        assert!(!LogLine::is_log_line("{\"project_id\":1}"));
    }
}
