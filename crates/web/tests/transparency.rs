//! The transparency log's routes (issue 18), on both backends: the cosigned checkpoint and the
//! tiles are public and reveal no record; inclusion proofs are for callers who may read the
//! record, consistency proofs for any caller; both check against the signed checkpoint.

use crate::api::{api, call, new_project, token};
use crate::support::*;
use axum::http::{Method, StatusCode};
use specflow_store::auth::Role;
use specflow_store::transparency::LogKey;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{SignatureVerifier, open_note};
use specflow_tlog::tiles::Tile;
use specflow_tlog::tree::{check_record, check_tree};

fn key() -> LogKey {
    LogKey::from_seed("specflow.test/log", &[9; 32]).unwrap()
}

fn opened(note: &str) -> Checkpoint {
    let verifier = key().verifier();
    let verifiers: [&dyn SignatureVerifier; 1] = [&verifier];
    Checkpoint::parse(&open_note(note, &verifiers).unwrap().text).unwrap()
}

fn hashes(answer: &serde_json::Value) -> Vec<Hash> {
    answer["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hash| Hash::from_base64(hash.as_str().unwrap()).unwrap())
        .collect()
}

conformance!(
    checkpoints_and_tiles_are_public_and_proofs_check_against_them,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        // Before the first checkpoint: a problem, not an empty answer.
        call(Method::GET, "/log/checkpoint", None)
            .empty(app)
            .await
            .problem(404, "not-found");
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let outsider = token(
            &api.store,
            "sec-two",
            Role::Secretariat,
            Some("SH-TC-02"),
            None,
        )
        .await;
        let created = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        api.store.integrate_pending(&key(), 100).await.unwrap();
        let old = call(Method::GET, "/log/checkpoint", None).empty(app).await;
        assert_eq!(old.status, StatusCode::OK, "{}", old.text());
        let old = opened(&old.text());
        assert_eq!(old.size, 1);
        for number in 2..=3 {
            call(Method::POST, "/api/v1/projects", Some(&secretariat))
                .json(app, &new_project(number, "SH-TC-01"))
                .await;
        }
        // Records written without the key after the first checkpoint are refused: this store
        // holds none, so sign them as a keyed writer would before integrating.
        sign_pending(&api.url).await;
        api.store.integrate_pending(&key(), 100).await.unwrap();
        let served = call(Method::GET, "/log/checkpoint", None).empty(app).await;
        assert_eq!(served.header("cache-control"), "no-cache");
        let new = opened(&served.text());
        assert_eq!(new.size, 3);

        // The tile of the three leaf hashes, partial, public.
        let tile = call(Method::GET, "/log/tile/0/000.p/3", None)
            .empty(app)
            .await;
        assert_eq!(tile.status, StatusCode::OK, "{}", tile.text());
        assert_eq!(tile.body().len(), 3 * 32);
        let decoded = Tile::parse_path("tile/0/000.p/3")
            .unwrap()
            .decode(tile.body())
            .unwrap();
        // A tile the tree does not hold yet, and a path that is no tile.
        call(Method::GET, "/log/tile/0/000.p/9", None)
            .empty(app)
            .await
            .problem(404, "not-found");
        call(Method::GET, "/log/tile/0/x1/2", None)
            .empty(app)
            .await
            .problem(404, "not-found");

        // Inclusion of the first project's creation, by its code.
        let code = "JJF(沪)-2026-001";
        let path = format!(
            "/api/v1/log/proofs/inclusion?project={}&sequence=1",
            code.replace('(', "%28")
                .replace(')', "%29")
                .replace('沪', "%E6%B2%AA")
        );
        call(Method::GET, &path, None)
            .empty(app)
            .await
            .problem(401, "unauthenticated");
        call(Method::GET, &path, Some(&outsider))
            .empty(app)
            .await
            .problem(404, "not-found");
        let proof = call(Method::GET, &path, Some(&secretariat))
            .empty(app)
            .await;
        assert_eq!(proof.status, StatusCode::OK, "{}", proof.text());
        let proof = proof.json();
        let record_hash = Hash::from_hex(proof["record_hash"].as_str().unwrap()).unwrap();
        let leaf = leaf_hash(record_hash.as_bytes());
        assert_eq!(
            decoded[proof["leaf_index"].as_u64().unwrap() as usize],
            leaf
        );
        check_record(
            &hashes(&proof),
            3,
            &new.root,
            proof["leaf_index"].as_u64().unwrap(),
            &leaf,
        )
        .unwrap();
        assert_eq!(opened(proof["checkpoint"].as_str().unwrap()), new);
        // Consistency of the two checkpoints.
        let consistency = call(
            Method::GET,
            "/api/v1/log/proofs/consistency?from=1",
            Some(&outsider),
        )
        .empty(app)
        .await;
        assert_eq!(consistency.status, StatusCode::OK, "{}", consistency.text());
        check_tree(&hashes(&consistency.json()), 3, &new.root, 1, &old.root).unwrap();
        let past = call(
            Method::GET,
            "/api/v1/log/proofs/consistency?from=1&to=9",
            Some(&outsider),
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        assert_eq!(past["field"], "to");
    }
);

conformance!(
    the_export_streams_the_log_after_the_records_and_holds_against_the_checkpoint,
    |kind| async move {
        use specflow_engine::stored_record::StoredRecord;
        use specflow_store::log_lines::{ExportedLog, LogLine};
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let auditor = token(&api.store, "audit-one", Role::Auditor, None, None).await;
        // Before the log signs anything, an export is records alone, as it always was.
        call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        let before = call(Method::GET, "/api/v1/export", Some(&auditor))
            .empty(app)
            .await;
        assert!(!before.text().contains("{\"log_"), "{}", before.text());
        api.store.integrate_pending(&key(), 100).await.unwrap();
        let checkpoint = call(Method::GET, "/log/checkpoint", None).empty(app).await;
        let checkpoint = opened(&checkpoint.text());
        // A record written since is listed as waiting.
        call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &new_project(2, "SH-TC-01"))
            .await;
        let export = call(Method::GET, "/api/v1/export", Some(&auditor))
            .empty(app)
            .await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.text());
        let text = export.text();
        let mut log = ExportedLog::default();
        for line in text.lines() {
            if LogLine::is_log_line(line) {
                log.log_line(LogLine::from_json_line(line).unwrap());
            } else {
                log.record(&StoredRecord::from_json_line(line).unwrap());
            }
        }
        assert_eq!(log.size(), (1, 1), "{text}");
        let verification = log.verify(&checkpoint, &key().verifier());
        assert!(verification.holds(), "{verification:?}");
        assert_eq!((verification.tree_size, verification.pending), (1, 1));
        // One project's export has no log lines.
        let one = call(
            Method::GET,
            "/api/v1/export?project=JJF%28%E6%B2%AA%29-2026-001",
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.text());
        assert!(!one.text().contains("{\"log_"), "{}", one.text());
    }
);

/// Stores the key's authenticator for every queued record, as a writer holding it would have.
async fn sign_pending(url: &str) {
    use specflow_engine::stored_record::RecordKind;
    use sqlx::Row;
    let raw = sqlx::AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT pending_id, record_kind, subject_id, sequence, record_hash FROM log_pending",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    for row in rows {
        let kind: String = row.get("record_kind");
        let subject: String = row.get("subject_id");
        let sequence: i64 = row.get("sequence");
        let hash: String = row.get("record_hash");
        let record_kind = if kind == "project" {
            RecordKind::Project
        } else {
            RecordKind::Committee
        };
        let pending_id: i64 = row.get("pending_id");
        let authenticator = key().authenticate(record_kind, &subject, sequence as u64, &hash);
        sqlx::query("UPDATE log_pending SET authenticator = $1 WHERE pending_id = $2")
            .bind(authenticator)
            .bind(pending_id)
            .execute(&raw)
            .await
            .unwrap();
    }
    raw.close().await;
}
