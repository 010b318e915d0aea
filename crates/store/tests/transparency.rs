//! The transparency log in the store (issue 18), on both backends: records written with the
//! log's key are integrated once each into a tree whose root, inclusion proofs and consistency
//! proofs an outsider can check; a record inserted behind specflow's back is refused and named;
//! records written before the log had a key are adopted by its first checkpoint.

use crate::chains::{forge_record_past_the_head, formed_committee};
use crate::support::*;
use specflow_engine::stored_record::RecordKind;
use specflow_store::transparency::{LogKey, StoredCheckpoint};
use specflow_store::{Store, StoreOptions};
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{SignatureVerifier, open_note};
use specflow_tlog::tree::{MemoryTree, check_record, check_tree};
use std::sync::Arc;

fn key() -> Arc<LogKey> {
    Arc::new(LogKey::from_seed("specflow.test/log", &[7; 32]).unwrap())
}

/// A store on a fresh database holding the log's key.
async fn keyed_store(kind: Kind) -> Option<(Store, Keep, String)> {
    let (url, keep) = fresh_database(kind).await?;
    let clock = Arc::new(specflow_store::ManualClock::new(start()));
    let options = StoreOptions {
        log_key: Some(key()),
        ..StoreOptions::default()
    };
    let store = Store::open_with_clock(&url, options, clock).await.unwrap();
    store
        .register_workflow_folder(&workflows_folder())
        .await
        .unwrap();
    Some((store, keep, url))
}

/// Opens the checkpoint with the log's key and reads it.
fn opened(checkpoint: &StoredCheckpoint) -> Checkpoint {
    let verifier = key().verifier();
    let verifiers: [&dyn SignatureVerifier; 1] = [&verifier];
    let note = open_note(&checkpoint.cosigned_note(), &verifiers).unwrap();
    Checkpoint::parse(&note.text).unwrap()
}

/// Every leaf's record hash in tree order, read back as an auditor would from the records.
async fn leaves_of(raw: &sqlx::AnyPool) -> Vec<(String, String, i64, String)> {
    use sqlx::Row;
    sqlx::query(
        "SELECT record_kind, subject_id, sequence, record_hash FROM log_leaves ORDER BY leaf_index",
    )
    .fetch_all(raw)
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.get("record_kind"),
            row.get("subject_id"),
            row.get("sequence"),
            row.get("record_hash"),
        )
    })
    .collect()
}

fn memory_tree(leaves: &[(String, String, i64, String)]) -> MemoryTree {
    let data: Vec<[u8; 32]> = leaves
        .iter()
        .map(|(_, _, _, hash)| *Hash::from_hex(hash).unwrap().as_bytes())
        .collect();
    MemoryTree::from_leaves(data).unwrap()
}

conformance!(
    records_are_integrated_once_and_proved_against_signed_checkpoints,
    |kind| async move {
        let Some((store, _keep, url)) = keyed_store(kind).await else {
            return;
        };
        let first = created_project(&store, 1, "SH-TC-01").await;
        let committee = formed_committee(&store, "SH-TC-01").await;
        let integration = store.integrate_pending(&key(), 1000).await.unwrap();
        assert_eq!(integration.integrated, 3, "{integration:?}");
        assert!(integration.refused.is_empty(), "{integration:?}");
        let old = store.latest_checkpoint().await.unwrap().unwrap();
        assert_eq!(old.tree_size, 3);
        let old_checkpoint = opened(&old);
        assert_eq!(old_checkpoint.origin, "specflow.test/log");
        assert_eq!(old_checkpoint.size, 3);

        // More records, across projects and the committee: a second checkpoint.
        let second = created_project(&store, 2, "SH-TC-01").await;
        store
            .execute(request(
                first,
                secretariat(),
                attach("project_proposal", "proposal"),
            ))
            .await
            .unwrap();
        let integration = store.integrate_pending(&key(), 1000).await.unwrap();
        assert_eq!(integration.integrated, 2);
        // Nothing new: nothing integrated, no checkpoint.
        let idle = store.integrate_pending(&key(), 1000).await.unwrap();
        assert_eq!(idle.integrated, 0);
        assert!(idle.checkpoint.is_none());

        let new = store.latest_checkpoint().await.unwrap().unwrap();
        let new_checkpoint = opened(&new);
        assert_eq!(new_checkpoint.size, 5);

        // The root an outsider computes from the records, in the tree's order, is the signed one.
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let leaves = leaves_of(&raw).await;
        assert_eq!(leaves.len(), 5);
        let tree = memory_tree(&leaves);
        assert_eq!(tree.root(), new_checkpoint.root);
        assert_eq!(tree.root_at(3).unwrap(), old_checkpoint.root);
        // Every record is in once; each chain's records in sequence order.
        let mut seen = std::collections::BTreeSet::new();
        for (kind, subject, sequence, _) in &leaves {
            assert!(seen.insert((kind.clone(), subject.clone(), *sequence)));
        }
        assert!(seen.contains(&("committee".to_string(), committee.to_string(), 2)));
        assert!(seen.contains(&("project".to_string(), second.to_string(), 1)));

        // Inclusion of a project's record against the new checkpoint.
        let proof = store
            .inclusion_proof(RecordKind::Project, &first.to_string(), 2, 5)
            .await
            .unwrap()
            .unwrap();
        let leaf = leaf_hash(Hash::from_hex(&proof.record_hash).unwrap().as_bytes());
        check_record(
            &proof.hashes,
            5,
            &new_checkpoint.root,
            proof.leaf_index,
            &leaf,
        )
        .unwrap();
        // A record past the tree's size has no proof against it.
        assert!(
            store
                .inclusion_proof(RecordKind::Project, &first.to_string(), 2, 3)
                .await
                .unwrap()
                .is_none()
        );
        // The new tree extends the old one.
        let consistency = store.consistency_proof(3, 5).await.unwrap();
        check_tree(
            &consistency,
            5,
            &new_checkpoint.root,
            3,
            &old_checkpoint.root,
        )
        .unwrap();
        // The tree's tables are append-only.
        for statement in [
            "UPDATE log_leaves SET record_hash = 'x'",
            "DELETE FROM log_hashes",
            "DELETE FROM log_checkpoints",
        ] {
            assert!(
                sqlx::query(statement).execute(&raw).await.is_err(),
                "{statement} was allowed"
            );
        }
        raw.close().await;
    }
);

conformance!(
    a_record_inserted_behind_specflows_back_is_refused_and_named,
    |kind| async move {
        let Some((store, _keep, url)) = keyed_store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        store.integrate_pending(&key(), 1000).await.unwrap();
        // An insider appends a record with a valid hash (INSERT is allowed on the log).
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        forge_record_past_the_head(&store, &raw, project).await;
        let integration = store.integrate_pending(&key(), 1000).await.unwrap();
        assert_eq!(integration.integrated, 0);
        assert_eq!(integration.refused.len(), 1, "{integration:?}");
        let refusal = &integration.refused[0];
        assert_eq!(
            (refusal.kind, refusal.subject.clone(), refusal.sequence),
            (RecordKind::Project, project.to_string(), 2)
        );
        assert_eq!(refusal.reason, "no_authenticator");
        assert_eq!(store.log_refusals().await.unwrap(), integration.refused);
        assert_eq!(
            store.latest_checkpoint().await.unwrap().unwrap().tree_size,
            1
        );
        // A forged authenticator is refused too.
        sqlx::query("INSERT INTO log_authenticators (record_kind, subject_id, sequence, signature) VALUES ('project', $1, 3, 'AAAA')")
            .bind(project.to_string())
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query("INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash) VALUES ('project', $1, 3, $2)")
            .bind(project.to_string())
            .bind("ab".repeat(32))
            .execute(&raw)
            .await
            .unwrap();
        let integration = store.integrate_pending(&key(), 1000).await.unwrap();
        assert_eq!(integration.refused[0].reason, "bad_authenticator");
        raw.close().await;
    }
);

conformance!(
    records_written_before_the_log_had_a_key_are_adopted_by_its_first_checkpoint,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        for number in 1..=3 {
            created_project(&store, number, "SH-TC-01").await;
        }
        formed_committee(&store, "SH-TC-02").await;
        assert_eq!(store.log_pending_count().await.unwrap(), 5);
        // The first integration takes the whole queue, whatever the batch limit.
        let integration = store.integrate_pending(&key(), 2).await.unwrap();
        assert_eq!(integration.integrated, 5, "{integration:?}");
        assert_eq!(store.log_pending_count().await.unwrap(), 0);
        // After it, a record without an authenticator is refused: this store has no key.
        created_project(&store, 4, "SH-TC-01").await;
        let integration = store.integrate_pending(&key(), 2).await.unwrap();
        assert_eq!(integration.integrated, 0);
        assert_eq!(integration.refused[0].reason, "no_authenticator");
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        assert_eq!(leaves_of(&raw).await.len(), 5);
        raw.close().await;
    }
);

conformance!(
    two_sequencers_at_once_integrate_each_record_once,
    |kind| async move {
        let Some((store, _keep, url)) = keyed_store(kind).await else {
            return;
        };
        store.integrate_pending(&key(), 10).await.unwrap();
        for number in 1..=12 {
            created_project(&store, number, "SH-TC-01").await;
        }
        let racing = |store: Store| async move {
            let mut total = 0;
            loop {
                let integration = store.integrate_pending(&key(), 3).await.unwrap();
                if integration.integrated == 0 {
                    return total;
                }
                total += integration.integrated;
            }
        };
        let (left, right) = tokio::join!(racing(store.clone()), racing(store.clone()));
        assert_eq!(left + right, 12);
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let leaves = leaves_of(&raw).await;
        assert_eq!(leaves.len(), 12);
        let checkpoint = opened(&store.latest_checkpoint().await.unwrap().unwrap());
        assert_eq!(checkpoint.root, memory_tree(&leaves).root());
        raw.close().await;
    }
);
