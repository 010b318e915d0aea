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

use crate::Store;
use crate::error::StoreError;
use crate::transparency::kind_name;
use specflow_engine::LocalizedText;
use specflow_engine::stored_record::RecordKind;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::frontier::Frontier;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{NoteVerifier, SignatureVerifier, open_note};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// How many leaves a page of the walk reads.
const LEAF_PAGE: i64 = 10_000;

/// A record as the tree and the log name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    /// Its kind.
    pub kind: RecordKind,
    /// Its project or committee, as stored.
    pub subject: String,
    /// Its sequence.
    pub sequence: u64,
}

impl RecordRef {
    fn describe(&self) -> LocalizedText {
        let kind = self.kind.name();
        LocalizedText::new(
            format!("{} {} 第 {} 条记录", kind.zh, self.subject, self.sequence),
            format!("{} {} record {}", kind.en, self.subject, self.sequence),
        )
    }
}

/// One thing the database does that the checkpoint says it should not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFault {
    /// The tree holds fewer leaves than the checkpoint: truncated or rolled back.
    TreeShorter {
        /// Leaves in the database.
        tree_size: u64,
        /// The checkpoint's size.
        checkpoint_size: u64,
    },
    /// A leaf index is missing from the stored leaves.
    LeafMissing {
        /// The index.
        leaf_index: u64,
    },
    /// The record a leaf names is no longer in the log.
    RecordGone {
        /// The leaf.
        leaf_index: u64,
        /// The record.
        record: RecordRef,
    },
    /// The record a leaf names hashes differently now.
    RecordChanged {
        /// The leaf.
        leaf_index: u64,
        /// The record.
        record: RecordRef,
        /// The hash integrated.
        integrated: String,
        /// The hash stored now.
        stored: String,
    },
    /// The same record is in the tree twice.
    Duplicate {
        /// The second leaf.
        leaf_index: u64,
        /// The record.
        record: RecordRef,
    },
    /// A chain's records are not in the tree in sequence order.
    OutOfOrder {
        /// The leaf.
        leaf_index: u64,
        /// The record.
        record: RecordRef,
        /// The sequence the chain's next leaf should have had.
        expected: u64,
    },
    /// The first N leaves do not rebuild the checkpoint's root.
    RootDiffers {
        /// The checkpoint's size.
        checkpoint_size: u64,
        /// The first leaf whose hash differs from the one the database stored, when found.
        first_leaf: Option<u64>,
    },
    /// A checkpoint the log signed after N has a root the leaves do not rebuild.
    LaterCheckpointDiffers {
        /// Its size.
        tree_size: u64,
    },
    /// A record in the log that the sequencer refused.
    Refused {
        /// The record.
        record: RecordRef,
        /// Why (a refusal code).
        reason: String,
    },
    /// A record in the log that is neither in the tree, nor waiting, nor refused.
    NeverQueued {
        /// The record.
        record: RecordRef,
    },
}

impl LogFault {
    /// The fault in words, naming the first record concerned.
    pub fn describe(&self) -> LocalizedText {
        match self {
            LogFault::TreeShorter {
                tree_size,
                checkpoint_size,
            } => LocalizedText::new(
                format!(
                    "数据库中的树只有 {tree_size} 个叶子，检查点有 {checkpoint_size} 个：日志被截断或数据库被回滚；第一个缺失的叶子为 {tree_size}"
                ),
                format!(
                    "the database's tree has {tree_size} leaves, the checkpoint {checkpoint_size}: the log was truncated or the database rolled back; the first leaf missing is {tree_size}"
                ),
            ),
            LogFault::LeafMissing { leaf_index } => LocalizedText::new(
                format!("叶子 {leaf_index} 不在数据库中"),
                format!("leaf {leaf_index} is missing from the database"),
            ),
            LogFault::RecordGone { leaf_index, record } => {
                let record = record.describe();
                LocalizedText::new(
                    format!("叶子 {leaf_index}：{} 已从日志中删除", record.zh),
                    format!("leaf {leaf_index}: {} was deleted from the log", record.en),
                )
            }
            LogFault::RecordChanged {
                leaf_index,
                record,
                integrated,
                stored,
            } => {
                let record = record.describe();
                LocalizedText::new(
                    format!(
                        "叶子 {leaf_index}：{} 被改写（并入时哈希 {integrated}，现为 {stored}）",
                        record.zh
                    ),
                    format!(
                        "leaf {leaf_index}: {} was rewritten (hash {integrated} when integrated, {stored} now)",
                        record.en
                    ),
                )
            }
            LogFault::Duplicate { leaf_index, record } => {
                let record = record.describe();
                LocalizedText::new(
                    format!("叶子 {leaf_index}：{} 在树中出现两次", record.zh),
                    format!("leaf {leaf_index}: {} is in the tree twice", record.en),
                )
            }
            LogFault::OutOfOrder {
                leaf_index,
                record,
                expected,
            } => {
                let record = record.describe();
                LocalizedText::new(
                    format!(
                        "叶子 {leaf_index}：{} 顺序不对，该链此处应为第 {expected} 条",
                        record.zh
                    ),
                    format!(
                        "leaf {leaf_index}: {} is out of order; its chain's next record should be {expected}",
                        record.en
                    ),
                )
            }
            LogFault::RootDiffers {
                checkpoint_size,
                first_leaf,
            } => match first_leaf {
                Some(leaf) => LocalizedText::new(
                    format!(
                        "前 {checkpoint_size} 个叶子重算的根与检查点不符；第一个不同的叶子为 {leaf}"
                    ),
                    format!(
                        "the root rebuilt from the first {checkpoint_size} leaves is not the checkpoint's; the first leaf that differs is {leaf}"
                    ),
                ),
                None => LocalizedText::new(
                    format!(
                        "前 {checkpoint_size} 个叶子重算的根与检查点不符；树的存储哈希也被改写，无法仅凭此检查点定位"
                    ),
                    format!(
                        "the root rebuilt from the first {checkpoint_size} leaves is not the checkpoint's; the tree's stored hashes were rewritten too, so this checkpoint alone cannot locate the change"
                    ),
                ),
            },
            LogFault::LaterCheckpointDiffers { tree_size } => LocalizedText::new(
                format!(
                    "日志在之后签发的大小为 {tree_size} 的检查点与重算的根不符：检查点之后的历史被改写"
                ),
                format!(
                    "the checkpoint the log signed later at size {tree_size} does not match the rebuilt root: history after the checkpoint was rewritten"
                ),
            ),
            LogFault::Refused { record, reason } => {
                let record = record.describe();
                LocalizedText::new(
                    format!("{} 未用日志密钥写入，排序器拒绝并入（{reason}）", record.zh),
                    format!(
                        "{} was not written with the log's key; the sequencer refused it ({reason})",
                        record.en
                    ),
                )
            }
            LogFault::NeverQueued { record } => {
                let record = record.describe();
                LocalizedText::new(
                    format!(
                        "{} 在日志中，但既不在树中，也未排队或被拒绝：绕过触发器写入",
                        record.zh
                    ),
                    format!(
                        "{} is in the log but neither in the tree, nor queued, nor refused: written around the triggers",
                        record.en
                    ),
                )
            }
        }
    }
}

/// What checking the database against a checkpoint found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointVerification {
    /// The checkpoint's size.
    pub checkpoint_size: u64,
    /// Leaves in the database's tree.
    pub tree_size: u64,
    /// Records still waiting to be integrated.
    pub pending: u64,
    /// Every fault found, in the order found.
    pub faults: Vec<LogFault>,
}

impl CheckpointVerification {
    /// Whether the database agrees with the checkpoint.
    pub fn holds(&self) -> bool {
        self.faults.is_empty()
    }
}

/// A leaf as the walk reads it, with the hash its record has now (if it still exists).
struct WalkedLeaf {
    leaf_index: u64,
    record: RecordRef,
    integrated: String,
    stored: Option<String>,
}

/// Where the walk over the leaves is.
struct Walk {
    frontier: Frontier,
    next_sequence: HashMap<(RecordKind, String), u64>,
    seen: HashSet<(RecordKind, String, u64)>,
    root_at_checkpoint: Option<Hash>,
    roots: HashMap<u64, Hash>,
    faults: Vec<LogFault>,
}

/// Opens a checkpoint note with the log's verifier key and requires a cosignature of each
/// witness key given; the checkpoint, or why not, in words.
pub fn open_checkpoint(
    note: &str,
    log: &NoteVerifier,
    witnesses: &[specflow_tlog::cosignature::CosignatureVerifier],
) -> Result<Checkpoint, LocalizedText> {
    let mut verifiers: Vec<&dyn SignatureVerifier> = vec![log];
    verifiers.extend(
        witnesses
            .iter()
            .map(|witness| witness as &dyn SignatureVerifier),
    );
    let opened = open_note(note, &verifiers).map_err(|error| {
        LocalizedText::new(
            format!("检查点的签名不成立：{error}"),
            format!("the checkpoint's signatures do not hold: {error}"),
        )
    })?;
    let signed_by = |verifier: &dyn SignatureVerifier| {
        opened.verified.iter().any(|signature| {
            signature.name == verifier.name() && signature.key_id == verifier.key_id()
        })
    };
    if !signed_by(log) {
        return Err(LocalizedText::new(
            "检查点没有日志密钥的签名",
            "the checkpoint is not signed by the log's key",
        ));
    }
    for witness in witnesses {
        if !signed_by(witness) {
            return Err(LocalizedText::new(
                format!("检查点缺少见证方 {} 的联署", witness.name()),
                format!(
                    "the checkpoint lacks the cosignature of witness {}",
                    witness.name()
                ),
            ));
        }
    }
    Checkpoint::parse(&opened.text).map_err(|error| {
        LocalizedText::new(
            format!("不是检查点：{error}"),
            format!("not a checkpoint: {error}"),
        )
    })
}

impl Store {
    /// Checks the database against `checkpoint` (whose signatures the caller checked).
    pub async fn verify_against_checkpoint(
        &self,
        checkpoint: &Checkpoint,
        log: &NoteVerifier,
    ) -> Result<CheckpointVerification, StoreError> {
        let later = self.later_checkpoints(checkpoint.size, log).await?;
        let mut walk = Walk {
            frontier: Frontier::new(),
            next_sequence: HashMap::new(),
            seen: HashSet::new(),
            root_at_checkpoint: (checkpoint.size == 0).then(|| Frontier::new().root()),
            roots: HashMap::new(),
            faults: Vec::new(),
        };
        let wanted: HashSet<u64> = later.iter().map(|(size, _)| *size).collect();
        let mut after = -1_i64;
        loop {
            let page = self.leaf_page(after).await?;
            for leaf in &page {
                walk.step(leaf, checkpoint.size, &wanted);
            }
            match page.last() {
                Some(last) if page.len() as i64 == LEAF_PAGE => {
                    after = i64::try_from(last.leaf_index).unwrap_or(i64::MAX);
                }
                _ => break,
            }
        }
        let tree_size = walk.frontier.size();
        let mut faults = std::mem::take(&mut walk.faults);
        if tree_size < checkpoint.size {
            faults.push(LogFault::TreeShorter {
                tree_size,
                checkpoint_size: checkpoint.size,
            });
        } else if walk.root_at_checkpoint != Some(checkpoint.root) {
            let first_leaf = self
                .first_leaf_differing_from_stored(checkpoint, log)
                .await?;
            faults.push(LogFault::RootDiffers {
                checkpoint_size: checkpoint.size,
                first_leaf,
            });
        }
        for (size, root) in later {
            if size <= tree_size && walk.roots.get(&size) != Some(&root) {
                faults.push(LogFault::LaterCheckpointDiffers { tree_size: size });
            }
        }
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
        let mut later = Vec::new();
        for row in rows {
            let note: String = row.try_get("note").map_err(get)?;
            // One whose signature fails is not the log's: not evidence either way.
            if let Ok(checkpoint) = open_checkpoint(&note, log, &[]) {
                later.push((checkpoint.size, checkpoint.root));
            }
        }
        Ok(later)
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
                        kind: record_kind(&kind)?,
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

impl Walk {
    /// One leaf: its place, its record, its order in its chain; then the tree grows by it.
    fn step(&mut self, leaf: &WalkedLeaf, checkpoint_size: u64, wanted: &HashSet<u64>) {
        let index = leaf.leaf_index;
        if index != self.frontier.size() {
            // A gap: the leaves from here on are not where they should be.
            self.faults.push(LogFault::LeafMissing {
                leaf_index: self.frontier.size(),
            });
        }
        let record = &leaf.record;
        match &leaf.stored {
            None => self.faults.push(LogFault::RecordGone {
                leaf_index: index,
                record: record.clone(),
            }),
            Some(stored) if *stored != leaf.integrated => {
                self.faults.push(LogFault::RecordChanged {
                    leaf_index: index,
                    record: record.clone(),
                    integrated: leaf.integrated.clone(),
                    stored: stored.clone(),
                });
            }
            Some(_) => {}
        }
        let key = (record.kind, record.subject.clone(), record.sequence);
        if !self.seen.insert(key) {
            self.faults.push(LogFault::Duplicate {
                leaf_index: index,
                record: record.clone(),
            });
        }
        let next = self
            .next_sequence
            .entry((record.kind, record.subject.clone()))
            .or_insert(1);
        if record.sequence != *next {
            self.faults.push(LogFault::OutOfOrder {
                leaf_index: index,
                record: record.clone(),
                expected: *next,
            });
        }
        *next = record.sequence + 1;
        // The tree is rebuilt from the records as they are now: an edited record changes it.
        let data = leaf
            .stored
            .as_deref()
            .unwrap_or(&leaf.integrated)
            .to_string();
        let bytes = Hash::from_hex(&data)
            .map(|hash| *hash.as_bytes())
            .unwrap_or_else(|_| *specflow_tlog::hash::empty_tree_hash().as_bytes());
        self.frontier.push(leaf_hash(&bytes));
        let size = self.frontier.size();
        if size == checkpoint_size {
            self.root_at_checkpoint = Some(self.frontier.root());
        }
        if wanted.contains(&size) {
            self.roots.insert(size, self.frontier.root());
        }
    }
}

fn record_kind(name: &str) -> Result<RecordKind, StoreError> {
    match name {
        "project" => Ok(RecordKind::Project),
        "committee" => Ok(RecordKind::Committee),
        other => Err(StoreError::Corrupt(format!(
            "the transparency log names a record kind {other:?}"
        ))),
    }
}
