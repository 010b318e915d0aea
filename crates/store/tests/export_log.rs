//! An export's transparency log checked offline against a checkpoint (issue 18): the export holds
//! against the checkpoint it was made under, and each attack of `transparency.rs`, done by an
//! insider on the exported file instead of the database, is named at its leaf or record.
//!
//! The export itself is made on both backends; the attacks edit its text, which is the same
//! whichever backend wrote it, so they run on an SQLite export.

use crate::support::*;
use crate::transparency::{checkpointed, key};
use specflow_engine::stored_record::{RecordKind, StoredRecord};
use specflow_store::Store;
use specflow_store::log_lines::{ExportedLog, LogLine};
use specflow_store::log_verify::{CheckpointVerification, LogFault};
use specflow_tlog::checkpoint::Checkpoint;

/// The whole export as text.
async fn export(store: &Store) -> String {
    let mut out = Vec::new();
    store.export_jsonl(None, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

/// Checks an export's text against the checkpoint as `audit verify --file --checkpoint` does.
fn verify_text(text: &str, checkpoint: &Checkpoint) -> CheckpointVerification {
    let mut log = ExportedLog::default();
    for line in text.lines() {
        if LogLine::is_log_line(line) {
            log.log_line(LogLine::from_json_line(line).unwrap());
        } else {
            log.record(&StoredRecord::from_json_line(line).unwrap());
        }
    }
    log.verify(checkpoint, &key().verifier())
}

fn faults(text: &str, checkpoint: &Checkpoint) -> Vec<LogFault> {
    verify_text(text, checkpoint).faults
}

/// The lines of an export, with a record's line found by its chain and sequence.
struct Lines(Vec<String>);

impl Lines {
    fn of(text: &str) -> Lines {
        Lines(text.lines().map(str::to_string).collect())
    }

    fn text(&self) -> String {
        self.0.iter().map(|line| format!("{line}\n")).collect()
    }

    fn record_line(&self, project: uuid::Uuid, sequence: u64) -> usize {
        self.0
            .iter()
            .position(|line| {
                StoredRecord::from_json_line(line).is_ok_and(|stored| {
                    stored.chain() == (RecordKind::Project, project.to_string().as_str())
                        && stored.position() == sequence
                })
            })
            .unwrap()
    }

    fn leaf_line(&self, project: uuid::Uuid, sequence: u64) -> usize {
        self.0
            .iter()
            .position(|line| {
                matches!(LogLine::from_json_line(line), Ok(LogLine::LogLeaf(leaf))
                    if leaf.subject == project.to_string() && leaf.sequence == sequence)
            })
            .unwrap()
    }

    fn leaf_index(&self, project: uuid::Uuid, sequence: u64) -> u64 {
        match LogLine::from_json_line(&self.0[self.leaf_line(project, sequence)]) {
            Ok(LogLine::LogLeaf(leaf)) => leaf.index,
            other => panic!("{other:?}"),
        }
    }

    /// Rewrites a project's records from `sequence` on with `edit`, re-hashing each and linking
    /// it to the one before, as an insider covering an edit does.
    fn rehash_from(&mut self, project: uuid::Uuid, sequence: u64, edit: impl Fn(&mut String)) {
        let mut previous = None;
        for at in sequence.. {
            let Some(line) = self.0.iter().position(|line| {
                StoredRecord::from_json_line(line).is_ok_and(|stored| {
                    stored.chain().1 == project.to_string() && stored.position() == at
                })
            }) else {
                break;
            };
            let stored = StoredRecord::from_json_line(&self.0[line]).unwrap();
            let mut record = stored.to_project_record().unwrap();
            if at == sequence {
                edit(&mut record.event);
            }
            if let Some(previous) = previous {
                record.previous_hash = previous;
            }
            record.hash = record.compute_hash();
            previous = Some(record.hash);
            self.0[line] = serde_json::to_string(&StoredRecord::from(&record)).unwrap();
        }
    }
}

/// An SQLite export of the checkpointed store, with the checkpoint and the first project.
async fn sqlite_export() -> (String, Checkpoint, uuid::Uuid, Keep) {
    let (store, keep, _url, checkpoint, first) = checkpointed(Kind::Sqlite).await.unwrap();
    let text = export(&store).await;
    store.close().await;
    (text, checkpoint, first, keep)
}

conformance!(
    an_export_carries_the_tree_and_holds_against_the_checkpoint,
    |kind| async move {
        let Some((store, _keep, _url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        // One more record integrated and one waiting: the export lists it as waiting.
        for content in ["e", "f"] {
            store
                .execute(request(
                    first,
                    secretariat(),
                    attach("project_proposal", content),
                ))
                .await
                .unwrap();
            if content == "e" {
                store.integrate_pending(&key(), 1000).await.unwrap();
            }
        }
        let text = export(&store).await;
        let count = |prefix: &str| text.lines().filter(|line| line.starts_with(prefix)).count();
        assert_eq!(count("{\"log_leaf\""), 9, "{text}");
        assert_eq!(count("{\"log_pending\""), 1, "{text}");
        assert_eq!(count("{\"log_checkpoint\""), 2, "{text}");
        let verification = verify_text(&text, &checkpoint);
        assert!(verification.holds(), "{verification:?}");
        assert_eq!((verification.tree_size, verification.pending), (9, 1));
        // Every log line is written in its one canonical text, and after every record.
        let first_log = text.lines().position(LogLine::is_log_line).unwrap();
        for line in text.lines().skip(first_log) {
            assert_eq!(LogLine::from_json_line(line).unwrap().to_json_line(), line);
        }
        // One project's export carries no log lines.
        let mut one = Vec::new();
        store.export_jsonl(Some(first), &mut one).await.unwrap();
        assert!(!String::from_utf8(one).unwrap().contains("{\"log_"));
        store.close().await;
    }
);

conformance!(
    a_record_integrated_after_its_chain_was_exported_ends_the_exports_tree,
    |kind| async move {
        let Some((store, _keep, _url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        // The export's steps, as export_jsonl takes them, with a write and its integration
        // landing between the records and the log's lines.
        let mut out = Vec::new();
        let mut log = store.begin_log_export().await.unwrap();
        for chain_kind in [RecordKind::Project, RecordKind::Committee] {
            for subject in store
                .chains_with_records(chain_kind, None, 100)
                .await
                .unwrap()
            {
                let count = store
                    .export_chain_jsonl(chain_kind, &subject, &mut out)
                    .await
                    .unwrap();
                log.exported(chain_kind, &subject, count);
            }
        }
        for content in ["late", "later"] {
            store
                .execute(request(
                    first,
                    secretariat(),
                    attach("project_proposal", content),
                ))
                .await
                .unwrap();
            store.integrate_pending(&key(), 1000).await.unwrap();
        }
        while let Some(lines) = store.log_export_page(&mut log).await.unwrap() {
            out.extend_from_slice(lines.as_bytes());
        }
        let text = String::from_utf8(out).unwrap();
        // The tree stops before the records the file does not hold, and so do its checkpoints.
        let verification = verify_text(&text, &checkpoint);
        assert!(verification.holds(), "{verification:?}");
        assert_eq!((verification.tree_size, verification.pending), (8, 0));
        assert_eq!(text.matches("{\"log_checkpoint\"").count(), 1, "{text}");
        store.close().await;
    }
);

conformance!(
    a_database_whose_log_never_signed_exports_no_log_lines,
    |kind| async move {
        let Some((url, _keep)) = fresh_database(kind).await else {
            return;
        };
        let store = Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        store
            .register_workflow_folder(&workflows_folder())
            .await
            .unwrap();
        created_project(&store, 1, "SH-TC-01").await;
        let text = export(&store).await;
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains("{\"log_"));
        store.close().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_record_line_is_named_at_its_leaf() {
    let (text, checkpoint, first, _keep) = sqlite_export().await;
    let mut lines = Lines::of(&text);
    let leaf = lines.leaf_index(first, 2);
    let at = lines.record_line(first, 2);
    lines.0.remove(at);
    let found = faults(&lines.text(), &checkpoint);
    assert!(
        matches!(&found[0], LogFault::RecordGone { leaf_index, record } if *leaf_index == leaf && record.sequence == 2),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_record_with_its_chain_rehashed_is_named_at_its_leaf() {
    let (text, checkpoint, first, _keep) = sqlite_export().await;
    let mut lines = Lines::of(&text);
    let leaf = lines.leaf_index(first, 2);
    lines.rehash_from(first, 2, |event| {
        *event = event.replace("project_proposal.pdf", "forged.pdf");
    });
    let found = faults(&lines.text(), &checkpoint);
    assert!(
        matches!(&found[0], LogFault::RecordChanged { leaf_index, record, .. } if *leaf_index == leaf && record.sequence == 2),
        "{found:?}"
    );
    // The leaf lines still rebuild the checkpoint: the root's fault is located too.
    assert!(
        found.contains(&LogFault::RootDiffers {
            checkpoint_size: 8,
            first_leaf: Some(leaf)
        }),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_lines_rewritten_with_the_records_still_miss_the_root() {
    let (text, checkpoint, first, _keep) = sqlite_export().await;
    let mut lines = Lines::of(&text);
    lines.rehash_from(first, 2, |event| {
        *event = event.replace("project_proposal.pdf", "forged.pdf");
    });
    // The insider makes the leaf lines name the new hashes as well.
    for sequence in [2, 3] {
        let record =
            StoredRecord::from_json_line(&lines.0[lines.record_line(first, sequence)]).unwrap();
        let at = lines.leaf_line(first, sequence);
        let Ok(LogLine::LogLeaf(mut leaf)) = LogLine::from_json_line(&lines.0[at]) else {
            panic!("a leaf line");
        };
        leaf.record_hash = record.hash;
        lines.0[at] = LogLine::LogLeaf(leaf).to_json_line();
    }
    assert_eq!(
        faults(&lines.text(), &checkpoint),
        vec![LogFault::RootDiffers {
            checkpoint_size: 8,
            first_leaf: None
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_leaf_lines_swapped_are_out_of_order() {
    let (text, checkpoint, first, _keep) = sqlite_export().await;
    let mut lines = Lines::of(&text);
    let (one, two) = (lines.leaf_line(first, 1), lines.leaf_line(first, 2));
    let one_index = lines.leaf_index(first, 1);
    // The leaves' contents swap; each line keeps its index, so the tree's shape holds.
    let read = |at: usize| match LogLine::from_json_line(&lines.0[at]) {
        Ok(LogLine::LogLeaf(leaf)) => leaf,
        other => panic!("{other:?}"),
    };
    let (mut first_leaf, mut second_leaf) = (read(one), read(two));
    std::mem::swap(&mut first_leaf.index, &mut second_leaf.index);
    lines.0[one] = LogLine::LogLeaf(second_leaf).to_json_line();
    lines.0[two] = LogLine::LogLeaf(first_leaf).to_json_line();
    let found = faults(&lines.text(), &checkpoint);
    assert!(
        matches!(&found[0], LogFault::OutOfOrder { leaf_index, expected: 1, .. } if *leaf_index == one_index),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|fault| matches!(fault, LogFault::RootDiffers { .. })),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_export_is_shorter_than_the_checkpoint() {
    let (text, checkpoint, _first, _keep) = sqlite_export().await;
    let kept: String = text
        .lines()
        .filter(|line| match LogLine::from_json_line(line) {
            Ok(LogLine::LogLeaf(leaf)) => leaf.index < 5,
            Ok(LogLine::LogCheckpoint(_)) => false,
            _ => true,
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(faults(&kept, &checkpoint).contains(&LogFault::TreeShorter {
        tree_size: 5,
        checkpoint_size: 8
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_record_line_without_a_leaf_is_named() {
    let (text, checkpoint, first, _keep) = sqlite_export().await;
    let mut lines = Lines::of(&text);
    // A fourth record that chains onto the third, sealed as specflow would seal it.
    let third = StoredRecord::from_json_line(&lines.0[lines.record_line(first, 3)]).unwrap();
    let mut forged = third.to_project_record().unwrap();
    forged.sequence = 4;
    forged.previous_hash = forged.hash;
    forged.hash = forged.compute_hash();
    let at = lines.record_line(first, 3) + 1;
    lines.0.insert(
        at,
        serde_json::to_string(&StoredRecord::from(&forged)).unwrap(),
    );
    let found = faults(&lines.text(), &checkpoint);
    assert!(
        matches!(&found[..], [LogFault::OutsideTheTree { record }] if record.sequence == 4 && record.subject == first.to_string()),
        "{found:?}"
    );
    assert!(found[0].describe().zh.contains("既不在文件的树中"));
}
