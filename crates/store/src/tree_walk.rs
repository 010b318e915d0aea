//! The walk over a transparency log's leaves that checks them against a checkpoint, without I/O:
//! the database's check (`log_verify.rs`, which reads the leaves from the tables) and an export's
//! (`log_lines.rs`, which reads them from the file) feed it the same leaves and get the same
//! faults, so the two can never disagree on what a deleted, rewritten, duplicated or swapped
//! record is.
//!
//! The walk rebuilds the tree with a frontier (O(log n) hashes) from the records' hashes as they
//! are now, and the tree as the log integrated it from the leaves' own hashes beside it, so that a
//! root that differs can be located at its first leaf when the leaves themselves still agree with
//! the checkpoint.

use specflow_engine::LocalizedText;
use specflow_engine::stored_record::RecordKind;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::frontier::Frontier;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{NoteVerifier, SignatureVerifier, open_note};
use std::collections::{HashMap, HashSet};

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
    /// The record in words.
    pub fn describe(&self) -> LocalizedText {
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
    /// A leaf index is missing from the stored or exported leaves.
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
    /// A record in an export that is neither in the export's tree nor named as waiting.
    OutsideTheTree {
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
                format!("叶子 {leaf_index} 缺失（其后的叶子序号不是 {leaf_index}）"),
                format!("leaf {leaf_index} is missing (the leaf after it has another index)"),
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
                        "前 {checkpoint_size} 个叶子重算的根与检查点不符；树自身的哈希（数据库存储的哈希，或导出文件的叶子行）也被改写，无法仅凭此检查点定位"
                    ),
                    format!(
                        "the root rebuilt from the first {checkpoint_size} leaves is not the checkpoint's; the tree's own hashes (the database's stored hashes, or an export's leaf lines) were rewritten too, so this checkpoint alone cannot locate the change"
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
            LogFault::OutsideTheTree { record } => {
                let record = record.describe();
                LocalizedText::new(
                    format!(
                        "{} 在导出文件中，但既不在文件的树中，也未列为待并入",
                        record.zh
                    ),
                    format!(
                        "{} is in the export but neither in its tree nor listed as waiting",
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

/// A leaf as the walk reads it, with the hash its record has now (`None` when the record is
/// gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkedLeaf {
    /// The leaf's index, as stored or exported.
    pub leaf_index: u64,
    /// The record it names.
    pub record: RecordRef,
    /// The record's hash when it was integrated, as the leaf holds it.
    pub integrated: String,
    /// The record's hash now, when the record is still there.
    pub stored: Option<String>,
}

/// What the leaves say of the checkpoint's root, once walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootVerdict {
    /// The first N leaves rebuild the checkpoint's root.
    Holds,
    /// Fewer than N leaves.
    Shorter,
    /// The first N leaves rebuild another root: the caller may locate the first leaf that
    /// differs before calling [`Walk::finish`].
    Differs,
}

/// Where the walk over the leaves is: the tree rebuilt so far, each chain's next sequence, the
/// records seen, and the faults found.
#[derive(Debug)]
pub struct Walk {
    checkpoint_size: u64,
    checkpoint_root: Hash,
    /// The tree rebuilt from the records' hashes now.
    frontier: Frontier,
    /// The tree as the leaves' own hashes make it.
    integrated: Frontier,
    /// The index of the leaf before.
    last_index: Option<u64>,
    next_sequence: HashMap<(RecordKind, String), u64>,
    seen: HashSet<(RecordKind, String, u64)>,
    root_at_checkpoint: Option<Hash>,
    integrated_root_at_checkpoint: Option<Hash>,
    first_changed_leaf: Option<u64>,
    later: Vec<(u64, Hash)>,
    wanted: HashSet<u64>,
    roots: HashMap<u64, Hash>,
    faults: Vec<LogFault>,
}

impl Walk {
    /// A walk checking the leaves against `checkpoint`, and against `later` checkpoints (each
    /// size with its root, signatures already checked) where the leaves reach them.
    pub fn new(checkpoint: &Checkpoint, later: Vec<(u64, Hash)>) -> Walk {
        let empty = (checkpoint.size == 0).then(|| Frontier::new().root());
        Walk {
            checkpoint_size: checkpoint.size,
            checkpoint_root: checkpoint.root,
            frontier: Frontier::new(),
            integrated: Frontier::new(),
            last_index: None,
            next_sequence: HashMap::new(),
            seen: HashSet::new(),
            root_at_checkpoint: empty,
            integrated_root_at_checkpoint: empty,
            first_changed_leaf: None,
            wanted: later.iter().map(|(size, _)| *size).collect(),
            later,
            roots: HashMap::new(),
            faults: Vec::new(),
        }
    }

    /// How many leaves were walked.
    pub fn tree_size(&self) -> u64 {
        self.frontier.size()
    }

    /// Whether the walk met this record at a leaf.
    pub fn holds_record(&self, kind: RecordKind, subject: &str, sequence: u64) -> bool {
        self.seen.contains(&(kind, subject.to_string(), sequence))
    }

    /// One leaf: its place, its record, its order in its chain; then the tree grows by it.
    pub fn step(&mut self, leaf: &WalkedLeaf) {
        let index = leaf.leaf_index;
        let expected = self.last_index.map_or(0, |last| last.saturating_add(1));
        if index != expected {
            // A gap, named once: the leaves after it follow on from this one.
            self.faults.push(LogFault::LeafMissing {
                leaf_index: expected,
            });
        }
        self.last_index = Some(index);
        self.check_record(leaf);
        self.check_order(leaf);
        // The tree is rebuilt from the records as they are now: an edited record changes it.
        let now = leaf.stored.as_deref().unwrap_or(&leaf.integrated);
        self.frontier.push(leaf_hash(&hash_bytes(now)));
        self.integrated
            .push(leaf_hash(&hash_bytes(&leaf.integrated)));
        let size = self.frontier.size();
        if size == self.checkpoint_size {
            self.root_at_checkpoint = Some(self.frontier.root());
            self.integrated_root_at_checkpoint = Some(self.integrated.root());
        }
        if self.wanted.contains(&size) {
            self.roots.insert(size, self.frontier.root());
        }
    }

    /// The leaf's record is still there, with the hash it was integrated with.
    fn check_record(&mut self, leaf: &WalkedLeaf) {
        let index = leaf.leaf_index;
        let record = &leaf.record;
        let changed = match &leaf.stored {
            None => {
                self.faults.push(LogFault::RecordGone {
                    leaf_index: index,
                    record: record.clone(),
                });
                true
            }
            Some(stored) if *stored != leaf.integrated => {
                self.faults.push(LogFault::RecordChanged {
                    leaf_index: index,
                    record: record.clone(),
                    integrated: leaf.integrated.clone(),
                    stored: stored.clone(),
                });
                true
            }
            Some(_) => false,
        };
        if changed && self.first_changed_leaf.is_none() {
            self.first_changed_leaf = Some(index);
        }
    }

    /// The leaf's record is in the tree once, and after the record before it in its chain.
    fn check_order(&mut self, leaf: &WalkedLeaf) {
        let index = leaf.leaf_index;
        let record = &leaf.record;
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
    }

    /// What the leaves walked say of the checkpoint's root.
    pub fn root_verdict(&self) -> RootVerdict {
        if self.tree_size() < self.checkpoint_size {
            RootVerdict::Shorter
        } else if self.root_at_checkpoint == Some(self.checkpoint_root) {
            RootVerdict::Holds
        } else {
            RootVerdict::Differs
        }
    }

    /// When the leaves' own hashes still rebuild the checkpoint's root, the first leaf whose
    /// record is gone or hashes otherwise: where the change is, from the leaves alone.
    pub fn located_by_the_leaves(&self) -> Option<u64> {
        (self.integrated_root_at_checkpoint == Some(self.checkpoint_root))
            .then_some(self.first_changed_leaf)
            .flatten()
            .filter(|leaf| *leaf < self.checkpoint_size)
    }

    /// Every fault found, the root's verdict with it (`first_leaf` where the caller located a
    /// root that differs), then each later checkpoint the leaves reach and do not rebuild.
    pub fn finish(self, first_leaf: Option<u64>) -> Vec<LogFault> {
        let tree_size = self.tree_size();
        let verdict = self.root_verdict();
        let mut faults = self.faults;
        match verdict {
            RootVerdict::Holds => {}
            RootVerdict::Shorter => faults.push(LogFault::TreeShorter {
                tree_size,
                checkpoint_size: self.checkpoint_size,
            }),
            RootVerdict::Differs => faults.push(LogFault::RootDiffers {
                checkpoint_size: self.checkpoint_size,
                first_leaf,
            }),
        }
        for (size, root) in &self.later {
            if *size <= tree_size && self.roots.get(size) != Some(root) {
                faults.push(LogFault::LaterCheckpointDiffers { tree_size: *size });
            }
        }
        faults
    }
}

/// A record hash's 32 bytes; a hash that is not one (only an insider's edit makes one) counts as
/// the empty tree's hash, which no record has, so the root it rebuilds differs.
fn hash_bytes(text: &str) -> [u8; 32] {
    Hash::from_hex(text)
        .map(|hash| *hash.as_bytes())
        .unwrap_or_else(|_| *specflow_tlog::hash::empty_tree_hash().as_bytes())
}

/// The checkpoints among `notes` that `log` signed after `size`, with their roots; a note whose
/// signature fails is not the log's, and not evidence either way.
pub fn later_checkpoints<'a>(
    notes: impl IntoIterator<Item = &'a str>,
    size: u64,
    log: &NoteVerifier,
) -> Vec<(u64, Hash)> {
    let mut later: Vec<(u64, Hash)> = notes
        .into_iter()
        .filter_map(|note| open_checkpoint(note, log, &[]).ok())
        .filter(|checkpoint| checkpoint.size > size)
        .map(|checkpoint| (checkpoint.size, checkpoint.root))
        .collect();
    later.sort_by_key(|(size, _)| *size);
    later.dedup();
    later
}
