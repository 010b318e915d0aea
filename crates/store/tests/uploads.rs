//! Uploaded content: stored in chunks with its attachment in one transaction, or not at all;
//! uploads bounded in number per caller and in all.

use crate::support::*;
use specflow_engine::Command;
use specflow_engine::command::Artifact;
use specflow_store::{ARTIFACT_CHUNK_BYTES, CommandOutcome, Store, StoreError, StoreOptions};
use std::sync::Arc;

/// The command that attaches `content` as `kind`.
fn attach_content(kind: &str, content: &[u8]) -> Command {
    use sha2::Digest;
    Command::AttachArtifact(Artifact {
        kind: kind.to_string(),
        file_name: format!("{kind}.pdf"),
        size_bytes: content.len() as u64,
        sha256: hex::encode(sha2::Sha256::digest(content)),
    })
}

/// Content spanning three chunks, the last one short.
fn large_content() -> Vec<u8> {
    (0..ARTIFACT_CHUNK_BYTES * 2 + 12_345)
        .map(|index| (index % 251) as u8)
        .collect()
}

/// Asserts that the content rows are exactly the contents the log's `artifact_attached` records
/// name, counted from both sides; their number.
pub(crate) async fn content_rows_match_attachments(store: &Store, url: &str) -> usize {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM artifacts")
        .fetch_one(&pool)
        .await
        .unwrap();
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event FROM audit_records WHERE event_type = 'artifact_attached'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let attached: std::collections::BTreeSet<String> = events
        .iter()
        .map(|event| {
            let at = event.find("\"sha256\":\"").unwrap() + "\"sha256\":\"".len();
            event[at..at + 64].to_string()
        })
        .collect();
    assert_eq!(
        rows as usize,
        attached.len(),
        "content rows against attachments"
    );
    assert_eq!(
        store.unattached_artifacts().await.unwrap(),
        Vec::<String>::new()
    );
    pool.close().await;
    attached.len()
}

conformance!(
    content_is_stored_in_chunks_with_its_attachment_and_only_then,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let content = large_content();
        let command = attach_content("project_proposal", &content);
        let Command::AttachArtifact(artifact) = &command else {
            unreachable!()
        };
        let digest = artifact.sha256.clone();

        // Refused by the engine (an unknown kind): nothing stored.
        let refused = store
            .execute_attaching(
                request(project, secretariat(), attach_content("poem", &content)),
                store.spool_artifact("sec", &content).await.unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(refused, CommandOutcome::Rejected { .. }),
            "{refused:?}"
        );
        assert_eq!(store.artifact(&digest).await.unwrap(), None);

        // A stale If-Match: a conflict, nothing stored.
        let mut stale = request(project, secretariat(), command.clone());
        stale.expected_sequence = Some(7);
        let conflict = store
            .execute_attaching(stale, store.spool_artifact("sec", &content).await.unwrap())
            .await
            .unwrap_err();
        assert!(conflict.is_conflict(), "{conflict}");
        assert_eq!(store.artifact(&digest).await.unwrap(), None);

        // A command naming other content than the file: refused before the writer.
        let mismatch = store
            .execute_attaching(
                request(
                    project,
                    secretariat(),
                    attach_content("project_proposal", b"other"),
                ),
                store.spool_artifact("sec", &content).await.unwrap(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(mismatch, StoreError::InvalidRequest(_)),
            "{mismatch}"
        );
        assert_eq!(content_rows_match_attachments(&store, &url).await, 0);

        // Accepted: stored, read back byte for byte across its chunks.
        let accepted = store
            .execute_attaching(
                request(project, secretariat(), command.clone()),
                store.spool_artifact("sec", &content).await.unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(accepted, CommandOutcome::Accepted { .. }),
            "{accepted:?}"
        );
        assert_eq!(
            store.artifact(&digest).await.unwrap(),
            Some(content.clone())
        );
        // The same content attached to another project is stored once.
        let other = created_project(&store, 2, "SH-TC-01").await;
        let again = store
            .execute_attaching(
                request(other, secretariat(), command),
                store.spool_artifact("sec", &content).await.unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(again, CommandOutcome::Accepted { .. }),
            "{again:?}"
        );
        assert_eq!(store.artifact(&digest).await.unwrap(), Some(content));
        assert_eq!(store.artifact(&"0".repeat(64)).await.unwrap(), None);
        assert_eq!(content_rows_match_attachments(&store, &url).await, 1);
    }
);

conformance!(
    an_upload_past_the_limit_is_refused_as_it_is_read,
    |kind| async move {
        let Some((url, _keep)) = fresh_database(kind).await else {
            return;
        };
        let options = StoreOptions {
            max_artifact_bytes: 10,
            ..StoreOptions::default()
        };
        let store = Store::open_with_clock(
            &url,
            options,
            Arc::new(specflow_store::ManualClock::new(start())),
        )
        .await
        .unwrap();
        let mut spool = store.begin_upload("sec").unwrap();
        spool.write(b"ten bytes!").await.unwrap();
        let error = spool.write(b"+").await.unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::ArtifactTooLarge {
                    size: 11,
                    limit: 10
                }
            ),
            "{error}"
        );
    }
);

conformance!(
    uploads_are_bounded_per_caller_and_in_all,
    |kind| async move {
        let Some((url, _keep)) = fresh_database(kind).await else {
            return;
        };
        let options = StoreOptions {
            max_concurrent_uploads: 3,
            max_concurrent_uploads_per_caller: 2,
            ..StoreOptions::default()
        };
        let store = Store::open_with_clock(
            &url,
            options,
            Arc::new(specflow_store::ManualClock::new(start())),
        )
        .await
        .unwrap();
        let first = store.begin_upload("alice").unwrap();
        let second = store.begin_upload("alice").unwrap();
        let refused = store.begin_upload("alice").unwrap_err();
        assert!(
            matches!(
                refused,
                StoreError::TooManyUploads {
                    limit: 2,
                    per_caller: true
                }
            ),
            "{refused}"
        );
        let third = store.begin_upload("bob").unwrap();
        let refused = store.begin_upload("carol").unwrap_err();
        assert!(
            matches!(
                refused,
                StoreError::TooManyUploads {
                    limit: 3,
                    per_caller: false
                }
            ),
            "{refused}"
        );
        // A finished (or dropped) upload gives its place back, whatever became of it.
        drop(first);
        let spooled = second.finish().await.unwrap();
        assert!(store.begin_upload("alice").is_ok());
        drop(spooled);
        drop(third);
        let _one = store.begin_upload("alice").unwrap();
        let _two = store.begin_upload("alice").unwrap();
    }
);
