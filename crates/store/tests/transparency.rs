//! The transparency log in the store (issue 18), on both backends: records written with the
//! log's key are integrated once each into a tree whose root, inclusion proofs and consistency
//! proofs an outsider can check; a record inserted behind specflow's back is refused and named;
//! records written before the log had a key are adopted by its first checkpoint.

use crate::chains::{forge_record_past_the_head, formed_committee};
use crate::support::*;
use specflow_engine::stored_record::RecordKind;
use specflow_store::log_verify::LogFault;
use specflow_store::transparency::{LogKey, StoredCheckpoint};
use specflow_store::{Store, StoreOptions};
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{SignatureVerifier, open_note};
use specflow_tlog::tree::{MemoryTree, check_record, check_tree};
use std::sync::Arc;

pub(crate) fn key() -> Arc<LogKey> {
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
        sqlx::query("INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash, authenticator) VALUES ('project', $1, 3, $2, 'AAAA')")
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
    authenticators_of_the_previous_version_still_hold_and_another_keys_do_not,
    |kind| async move {
        use base64::Engine;
        let Some((store, _keep, url)) = keyed_store(kind).await else {
            return;
        };
        created_project(&store, 1, "SH-TC-01").await;
        store.integrate_pending(&key(), 100).await.unwrap();
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let hash = "cd".repeat(32);
        // A record a node of the previous version queued just before an upgrade: its
        // authenticator is the log key's Ed25519 signature (docs/transparency.md).
        let signer =
            specflow_tlog::note::NoteSigner::from_seed("specflow.test/log", &[7; 32]).unwrap();
        let message = format!("specflow-record-authenticator/v1\nproject\nupgraded\n1\n{hash}\n");
        let version_1 = base64::engine::general_purpose::STANDARD
            .encode(signer.sign(&message).unwrap().signature);
        // A record authenticated with another log's key.
        let other_key = LogKey::from_seed("specflow.test/log", &[8; 32]).unwrap();
        let forged = other_key.authenticate(RecordKind::Project, "forged", 1, &hash);
        for (subject, authenticator) in [("upgraded", version_1), ("forged", forged)] {
            sqlx::query("INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash, authenticator) VALUES ('project', $1, 1, $2, $3)")
                .bind(subject)
                .bind(hash.clone())
                .bind(authenticator)
                .execute(&raw)
                .await
                .unwrap();
        }
        let integration = store.integrate_pending(&key(), 100).await.unwrap();
        assert_eq!(integration.integrated, 1, "{integration:?}");
        assert_eq!(integration.refused.len(), 1, "{integration:?}");
        assert_eq!(integration.refused[0].subject, "forged");
        assert_eq!(integration.refused[0].reason, "bad_authenticator");
        raw.close().await;
    }
);

conformance!(
    an_upgrade_keeps_the_queue_with_its_authenticators_and_queues_what_comes_after,
    |kind| async move {
        let Some((url, _keep)) = fresh_database(kind).await else {
            return;
        };
        // A database as the previous version left it: migrated to 0012, a record queued with
        // its authenticator in a row of its own, another without one.
        let raw_url = match kind {
            Kind::Sqlite => format!("{url}?mode=rwc"),
            Kind::Postgres => url.clone(),
        };
        let raw = sqlx::AnyPool::connect(&raw_url).await.unwrap();
        let folder = match kind {
            Kind::Sqlite => "migrations/sqlite",
            Kind::Postgres => "migrations/postgres",
        };
        let mut migrator = sqlx::migrate::Migrator::new(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
        )
        .await
        .unwrap();
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|migration| migration.version <= 12)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator.run(&raw).await.unwrap();
        for (subject, hash) in [("signed", "ab".repeat(32)), ("unsigned", "cd".repeat(32))] {
            sqlx::query("INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash) VALUES ('project', $1, 1, $2)")
                .bind(subject)
                .bind(hash)
                .execute(&raw)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO log_authenticators (record_kind, subject_id, sequence, signature) VALUES ('project', 'signed', 1, 'c2lnbmF0dXJl')")
            .execute(&raw)
            .await
            .unwrap();
        // The new version migrates it.
        let options = StoreOptions {
            log_key: Some(key()),
            ..StoreOptions::default()
        };
        let store = Store::open(&url, options).await.unwrap();
        store
            .register_workflow_folder(&workflows_folder())
            .await
            .unwrap();
        let queued: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT subject_id, authenticator FROM log_pending ORDER BY pending_id")
                .fetch_all(&raw)
                .await
                .unwrap();
        assert_eq!(
            queued,
            vec![
                ("signed".to_string(), Some("c2lnbmF0dXJl".to_string())),
                ("unsigned".to_string(), None),
            ]
        );
        // A record written now is queued after them, with its authenticator from its row.
        let project = created_project(&store, 1, "SH-TC-01").await;
        let queued: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT sequence, record_hash, authenticator FROM log_pending WHERE subject_id = $1 ORDER BY pending_id",
        )
        .bind(project.to_string())
        .fetch_all(&raw)
        .await
        .unwrap();
        assert!(!queued.is_empty());
        for (index, (sequence, hash, authenticator)) in queued.iter().enumerate() {
            assert_eq!(*sequence, index as i64 + 1, "{queued:?}");
            assert_eq!(
                authenticator.as_deref(),
                Some(
                    key()
                        .authenticate(
                            RecordKind::Project,
                            &project.to_string(),
                            *sequence as u64,
                            hash
                        )
                        .as_str()
                )
            );
        }
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

/// Drops every guard an insider with the database's password can drop: the logs', the
/// projection's and the tree's.
async fn drop_every_guard(raw: &sqlx::AnyPool, kind: Kind) {
    let triggers: &[(&str, &str)] = match kind {
        Kind::Sqlite => &[
            ("audit_records_refuse_update", "audit_records"),
            ("audit_records_refuse_delete", "audit_records"),
            ("projects_refuse_delete", "projects"),
            ("log_leaves_refuse_update", "log_leaves"),
            ("log_leaves_refuse_delete", "log_leaves"),
            ("log_hashes_refuse_update", "log_hashes"),
            ("log_hashes_refuse_delete", "log_hashes"),
        ],
        Kind::Postgres => &[
            ("audit_records_refuse_update", "audit_records"),
            ("audit_records_refuse_delete", "audit_records"),
            ("projects_refuse_delete", "projects"),
            ("log_leaves_refuse_change", "log_leaves"),
            ("log_hashes_refuse_change", "log_hashes"),
        ],
    };
    for (trigger, table) in triggers {
        let statement = match kind {
            Kind::Sqlite => format!("DROP TRIGGER {trigger}"),
            Kind::Postgres => format!("DROP TRIGGER {trigger} ON {table}"),
        };
        sqlx::query(&statement).execute(raw).await.unwrap();
    }
}

/// A keyed store with two projects of three records each and a committee of two, all in a
/// signed checkpoint; the checkpoint as an auditor keeps it, and the first project.
pub(crate) async fn checkpointed(
    kind: Kind,
) -> Option<(Store, Keep, String, Checkpoint, uuid::Uuid)> {
    let (store, keep, url) = keyed_store(kind).await?;
    let first = created_project(&store, 1, "SH-TC-01").await;
    let second = created_project(&store, 2, "SH-TC-01").await;
    for (project, content) in [(first, "a"), (second, "b"), (first, "c"), (second, "d")] {
        store
            .execute(request(
                project,
                secretariat(),
                attach("project_proposal", content),
            ))
            .await
            .unwrap();
    }
    formed_committee(&store, "SH-TC-01").await;
    store.integrate_pending(&key(), 1000).await.unwrap();
    let checkpoint = opened(&store.latest_checkpoint().await.unwrap().unwrap());
    assert_eq!(checkpoint.size, 8);
    Some((store, keep, url, checkpoint, first))
}

async fn faults(store: &Store, checkpoint: &Checkpoint) -> Vec<LogFault> {
    store
        .verify_against_checkpoint(checkpoint, &key().verifier())
        .await
        .unwrap()
        .faults
}

/// The leaf index of a project's record.
async fn leaf_of(raw: &sqlx::AnyPool, project: uuid::Uuid, sequence: i64) -> u64 {
    let index: i64 = sqlx::query_scalar(
        "SELECT leaf_index FROM log_leaves WHERE record_kind = 'project' AND subject_id = $1 AND sequence = $2",
    )
    .bind(project.to_string())
    .bind(sequence)
    .fetch_one(raw)
    .await
    .unwrap();
    index as u64
}

conformance!(
    an_untouched_database_holds_against_its_checkpoint,
    |kind| async move {
        let Some((store, _keep, _url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        // Later writes, integrated and waiting, extend it.
        store
            .execute(request(
                first,
                secretariat(),
                attach("project_proposal", "e"),
            ))
            .await
            .unwrap();
        store.integrate_pending(&key(), 1000).await.unwrap();
        store
            .execute(request(
                first,
                secretariat(),
                attach("project_proposal", "f"),
            ))
            .await
            .unwrap();
        let verification = store
            .verify_against_checkpoint(&checkpoint, &key().verifier())
            .await
            .unwrap();
        assert!(verification.holds(), "{verification:?}");
        assert_eq!(verification.tree_size, 9);
        assert_eq!(verification.pending, 1);
    }
);

conformance!(
    deleting_a_projects_last_records_and_moving_its_projection_back_is_named,
    |kind| async move {
        let Some((store, _keep, url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        drop_every_guard(&raw, kind).await;
        sqlx::query("DELETE FROM audit_records WHERE project_id = $1 AND sequence >= 2")
            .bind(first.to_string())
            .execute(&raw)
            .await
            .unwrap();
        let head: String = sqlx::query_scalar(
            "SELECT hash FROM audit_records WHERE project_id = $1 AND sequence = 1",
        )
        .bind(first.to_string())
        .fetch_one(&raw)
        .await
        .unwrap();
        sqlx::query("UPDATE projects SET head_sequence = 1, head_hash = $2 WHERE project_id = $1")
            .bind(first.to_string())
            .bind(head)
            .execute(&raw)
            .await
            .unwrap();
        // The chain alone holds now; the checkpoint does not.
        assert!(store.verify_project(first).await.unwrap().is_ok());
        let found = faults(&store, &checkpoint).await;
        let leaf = leaf_of(&raw, first, 2).await;
        assert!(
            matches!(&found[0], LogFault::RecordGone { leaf_index, record } if *leaf_index == leaf && record.sequence == 2),
            "{found:?}"
        );
        assert!(
            found[0].describe().zh.contains("已从日志中删除"),
            "{found:?}"
        );
        raw.close().await;
    }
);

conformance!(
    an_edited_record_with_its_chain_rehashed_is_named_at_its_leaf,
    |kind| async move {
        let Some((store, _keep, url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        drop_every_guard(&raw, kind).await;
        // The insider rewrites record 2 and re-hashes it, record 3 and the head, and even
        // makes the tree's leaves say the new hashes: only the stored tree hashes remain.
        let records = store.history(first, 0, 100).await.unwrap().records;
        let mut previous = records[0].hash;
        for (index, record) in records.iter().enumerate().skip(1) {
            let mut record = record.clone();
            if index == 1 {
                record.event = record.event.replace("project_proposal.pdf", "forged.pdf");
            }
            record.previous_hash = previous;
            record.hash = record.compute_hash();
            previous = record.hash;
            for statement in [
                "UPDATE audit_records SET event = $3, previous_hash = $4, hash = $5 WHERE project_id = $1 AND sequence = $2",
                "UPDATE log_leaves SET record_hash = $5 WHERE record_kind = 'project' AND subject_id = $1 AND sequence = $2 AND $3 <> $4",
            ] {
                sqlx::query(statement)
                    .bind(first.to_string())
                    .bind(record.sequence as i64)
                    .bind(record.event.clone())
                    .bind(record.previous_hash.to_hex())
                    .bind(record.hash.to_hex())
                    .execute(&raw)
                    .await
                    .unwrap();
            }
        }
        sqlx::query("UPDATE projects SET head_hash = $2 WHERE project_id = $1")
            .bind(first.to_string())
            .bind(previous.to_hex())
            .execute(&raw)
            .await
            .unwrap();
        assert!(store.verify_project(first).await.unwrap().is_ok());
        let found = faults(&store, &checkpoint).await;
        let leaf = leaf_of(&raw, first, 2).await;
        assert_eq!(
            found,
            vec![LogFault::RootDiffers {
                checkpoint_size: 8,
                first_leaf: Some(leaf)
            }]
        );
        raw.close().await;
    }
);

conformance!(
    a_forged_record_a_swap_a_truncation_and_a_rollback_are_each_named,
    |kind| async move {
        let Some((store, _keep, url, checkpoint, first)) = checkpointed(kind).await else {
            return;
        };
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        // A record appended with a valid hash: the sequencer refuses it, verify names it.
        forge_record_past_the_head(&store, &raw, first).await;
        store.integrate_pending(&key(), 1000).await.unwrap();
        let found = faults(&store, &checkpoint).await;
        assert!(
            matches!(&found[..], [LogFault::Refused { record, reason }] if record.sequence == 4 && reason == "no_authenticator"),
            "{found:?}"
        );

        // Two leaves of one chain swapped.
        drop_every_guard(&raw, kind).await;
        let (one, two) = (leaf_of(&raw, first, 1).await, leaf_of(&raw, first, 2).await);
        for (leaf, sequence) in [(one, -2_i64), (two, 1), (one, 2)] {
            let target = if sequence == -2 { one } else { leaf };
            sqlx::query("UPDATE log_leaves SET sequence = $2 WHERE leaf_index = $1")
                .bind(target as i64)
                .bind(sequence)
                .execute(&raw)
                .await
                .unwrap();
        }
        // (the hashes swap with the sequences, as a swap of the rows would)
        let hash_of = |sequence: i64| {
            let raw = raw.clone();
            async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT hash FROM audit_records WHERE project_id = $1 AND sequence = $2",
                )
                .bind(first.to_string())
                .bind(sequence)
                .fetch_one(&raw)
                .await
                .unwrap()
            }
        };
        for (leaf, sequence) in [(one, 2_i64), (two, 1)] {
            sqlx::query("UPDATE log_leaves SET record_hash = $2 WHERE leaf_index = $1")
                .bind(leaf as i64)
                .bind(hash_of(sequence).await)
                .execute(&raw)
                .await
                .unwrap();
        }
        let found = faults(&store, &checkpoint).await;
        assert!(
            matches!(&found[0], LogFault::OutOfOrder { leaf_index, expected: 1, .. } if *leaf_index == one),
            "{found:?}"
        );

        // The whole log truncated, or rolled back to a backup from before the checkpoint.
        sqlx::query("DELETE FROM log_leaves WHERE leaf_index >= 5")
            .execute(&raw)
            .await
            .unwrap();
        let found = faults(&store, &checkpoint).await;
        assert!(
            found.contains(&LogFault::TreeShorter {
                tree_size: 5,
                checkpoint_size: 8
            }),
            "{found:?}"
        );
        raw.close().await;
    }
);

conformance!(
    a_key_of_another_log_is_refused_rather_than_split_the_tree,
    |kind| async move {
        let Some((store, _keep, _url)) = keyed_store(kind).await else {
            return;
        };
        created_project(&store, 1, "SH-TC-01").await;
        store.integrate_pending(&key(), 100).await.unwrap();
        created_project(&store, 2, "SH-TC-01").await;
        let other = LogKey::from_seed("other.test/log", &[8; 32]).unwrap();
        let refused = store.integrate_pending(&other, 100).await.unwrap_err();
        assert!(
            refused.to_string().contains("other.test/log")
                && refused.to_string().contains("specflow.test/log"),
            "{refused}"
        );
        // Nothing was taken from the queue: the right key integrates it.
        assert_eq!(store.log_pending_count().await.unwrap(), 1);
        assert_eq!(
            store
                .integrate_pending(&key(), 100)
                .await
                .unwrap()
                .integrated,
            1
        );
    }
);

/// A record whose transaction took its place in the queue early but commits while the sequencer
/// is in the middle of a batch (after the sequencer read the queue) must stay queued: removing
/// the queue "up to the last record read" would drop it, never to be integrated. Only PostgreSQL
/// lets a commit in there; on SQLite the sequencer holds the write lock throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_committed_during_an_integration_is_integrated_by_the_next() {
    let Some((store, _keep, url)) = keyed_store(Kind::Postgres).await else {
        return;
    };
    created_project(&store, 1, "SH-TC-01").await;
    store.integrate_pending(&key(), 100).await.unwrap();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    // The late record takes its place in the queue, uncommitted, with a valid authenticator.
    let late_hash = "ab".repeat(32);
    let mut late = raw.begin().await.unwrap();
    let authenticator = key().authenticate(RecordKind::Project, "late", 1, &late_hash);
    sqlx::query("INSERT INTO log_pending (record_kind, subject_id, sequence, record_hash, authenticator) VALUES ('project', 'late', 1, $1, $2)")
        .bind(late_hash.clone())
        .bind(authenticator)
        .execute(&mut *late)
        .await
        .unwrap();
    // A record queued after it commits first.
    created_project(&store, 2, "SH-TC-01").await;
    // The sequencer reads the queue (the second record only), then waits to write its leaves.
    let mut blocker = raw.begin().await.unwrap();
    sqlx::query("LOCK TABLE log_leaves IN SHARE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let sequencing = {
        let store = store.clone();
        tokio::spawn(async move { store.integrate_pending(&key(), 100).await })
    };
    wait_for_a_lock_wait(&raw).await;
    // The late record commits now, and then the sequencer goes on.
    late.commit().await.unwrap();
    blocker.commit().await.unwrap();
    let integration = sequencing.await.unwrap().unwrap();
    assert_eq!(integration.integrated, 1, "{integration:?}");
    assert_eq!(
        store.log_pending_count().await.unwrap(),
        1,
        "the late record was taken off the queue without being integrated"
    );
    let next = store.integrate_pending(&key(), 100).await.unwrap();
    assert_eq!(next.integrated, 1, "{next:?}");
    raw.close().await;
}

/// Waits until a session of this database waits for a lock.
async fn wait_for_a_lock_wait(raw: &sqlx::AnyPool) {
    let started = std::time::Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE NOT l.granted AND d.datname = current_database()",
        )
        .fetch_one(raw)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the sequencer never waited for the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
