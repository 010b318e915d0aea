//! The public pages (issue 18, public oversight), on both backends: a specification is public
//! from its publication and then shows its milestones, each record's hash and its inclusion
//! proof against the latest checkpoint, which checks against the log's key; nothing of a project
//! that is not public, and nothing else of one that is, is shown; no sign-in is needed.

use crate::api::{Api, api, call};
use crate::reports::scenario_projects;
use crate::support::*;
use axum::http::{Method, StatusCode};
use chrono::DateTime;
use specflow_store::transparency::LogKey;
use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::hash::{Hash, leaf_hash};
use specflow_tlog::note::{SignatureVerifier, open_note};
use specflow_tlog::tree::check_record;

/// The scenario projects' codes: published and in force, stuck in consultation, cancelled.
const IN_FORCE: &str = "JJG(沪)-2026-001";
const IN_CONSULTATION: &str = "JJG(沪)-2026-002";
const CANCELLED: &str = "JJG(沪)-2026-003";

fn key() -> LogKey {
    LogKey::from_seed("specflow.test/log", &[9; 32]).unwrap()
}

/// A specification's public address, its code escaped as a browser would.
fn public_path(code: &str) -> String {
    let escaped: String = code
        .chars()
        .map(|character| match character {
            '(' | ')' | '-' => character.to_string(),
            character if character.is_ascii_alphanumeric() => character.to_string(),
            character => {
                let mut bytes = [0; 4];
                character
                    .encode_utf8(&mut bytes)
                    .bytes()
                    .map(|byte| format!("%{byte:02X}"))
                    .collect()
            }
        })
        .collect();
    format!("/public/{escaped}")
}

async fn scenarios(api: &Api) {
    let end = DateTime::parse_from_rfc3339("2027-03-02T00:00:00+08:00")
        .unwrap()
        .to_utc();
    scenario_projects(&api.store, &api.clock, None, end).await;
}

/// The records of the in-force project, sequence and hash, as the store holds them.
async fn record_hashes(api: &Api, code: &str) -> Vec<(u64, String)> {
    let project_id = api.store.project_id_by_code(code).await.unwrap().unwrap();
    let page = api.store.history(project_id, 0, 1000).await.unwrap();
    page.records
        .iter()
        .map(|record| (record.sequence, record.hash.to_hex()))
        .collect()
}

conformance!(
    a_published_specification_shows_its_milestones_and_proofs_to_anyone,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        scenarios(&api).await;
        let app = &api.app;

        // The list: only the published one, no sign-in needed.
        let list = call(Method::GET, "/public", None).empty(app).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text());
        let text = list.text();
        assert!(text.contains(IN_FORCE), "{text}");
        assert!(!text.contains(IN_CONSULTATION), "{text}");
        assert!(!text.contains(CANCELLED), "{text}");

        // Before any checkpoint, every milestone is pending.
        let page = call(Method::GET, &public_path(IN_FORCE), None)
            .empty(app)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let text = page.text();
        for milestone in ["approved", "consulted", "reviewed", "published", "in_force"] {
            assert!(
                text.contains(&format!("data-milestone=\"{milestone}\"")),
                "{milestone} missing: {text}"
            );
        }
        assert!(!text.contains("data-milestone=\"re_examined\""), "{text}");
        assert!(text.contains("待入日志"), "{text}");
        // Nothing else of the project: not its drafting unit, its committee or who acted.
        for private in ["上海市计量测试技术研究院", "SH-TC-01", "sec-wang"] {
            assert!(!text.contains(private), "{private} shown: {text}");
        }
        let records = record_hashes(&api, IN_FORCE).await;
        let milestone_rows = text.matches("<li class=\"milestone\"").count();
        assert_eq!(milestone_rows, 5, "{text}");
        // Each milestone's hash is its record's as the store holds it.
        for (_, hash) in records
            .iter()
            .filter(|(_, hash)| text.contains(hash.as_str()))
        {
            assert_eq!(hash.len(), 64);
        }
        assert_eq!(
            records
                .iter()
                .filter(|(_, hash)| text.contains(hash.as_str()))
                .count(),
            5,
            "{text}"
        );

        // The log signs a checkpoint; the proofs are there and check against its key.
        api.store.integrate_pending(&key(), 100_000).await.unwrap();
        let page = call(Method::GET, &public_path(IN_FORCE), None)
            .empty(app)
            .await
            .text();
        assert!(!page.contains("待入日志"), "{page}");
        assert_eq!(page.matches("已入日志").count(), 5, "{page}");
        let mut proved = 0;
        for (sequence, hash) in &records {
            let answer = call(
                Method::GET,
                &format!("{}/proofs/{sequence}", public_path(IN_FORCE)),
                None,
            )
            .empty(app)
            .await;
            if !page.contains(hash.as_str()) {
                assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
                continue;
            }
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            assert!(
                answer
                    .header("content-disposition")
                    .starts_with("attachment")
            );
            let proof = answer.json();
            assert_eq!(proof["record_hash"], hash.as_str());
            assert_eq!(proof["specification"], IN_FORCE);
            assert_proof_checks(&proof);
            proved += 1;
        }
        assert_eq!(proved, 5);
        // The verifier the page points to is served as shipped.
        let script = call(Method::GET, "/public/verify-audit.py", None)
            .empty(app)
            .await;
        assert_eq!(script.status, StatusCode::OK);
        assert_eq!(
            script.body(),
            include_bytes!("../../../tools/verify-audit.py").as_slice()
        );
    }
);

/// The proof's checkpoint is the log's, and its path leads from the record's leaf to its root.
fn assert_proof_checks(proof: &serde_json::Value) {
    let verifier = key().verifier();
    let verifiers: [&dyn SignatureVerifier; 1] = [&verifier];
    let note = open_note(proof["checkpoint"].as_str().unwrap(), &verifiers).unwrap();
    let checkpoint = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(proof["tree_size"].as_u64().unwrap(), checkpoint.size);
    let hashes: Vec<Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hash| Hash::from_base64(hash.as_str().unwrap()).unwrap())
        .collect();
    let record = hex::decode(proof["record_hash"].as_str().unwrap()).unwrap();
    check_record(
        &hashes,
        checkpoint.size,
        &checkpoint.root,
        proof["leaf_index"].as_u64().unwrap(),
        &leaf_hash(&record),
    )
    .unwrap();
}

/// An error page's title and detail, without the request's id and address.
fn error_words(page: &str) -> String {
    let start = page.find("<div class=\"error\"").unwrap();
    let end = page[start..].find("请求编号").unwrap();
    page[start..start + end].to_string()
}

conformance!(
    a_project_that_is_not_public_is_answered_as_one_that_does_not_exist,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        scenarios(&api).await;
        api.store.integrate_pending(&key(), 100_000).await.unwrap();
        let app = &api.app;
        let unknown = call(Method::GET, &public_path("JJG(沪)-2099-999"), None)
            .empty(app)
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        for code in [IN_CONSULTATION, CANCELLED] {
            let answer = call(Method::GET, &public_path(code), None).empty(app).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
            // The same words as for a code nobody has, but for the code itself.
            assert_eq!(
                error_words(&answer.text()).replace(code, "CODE"),
                error_words(&unknown.text()).replace("JJG(沪)-2099-999", "CODE")
            );
            let proof = call(
                Method::GET,
                &format!("{}/proofs/1", public_path(code)),
                None,
            )
            .empty(app)
            .await;
            assert_eq!(proof.status, StatusCode::NOT_FOUND, "{}", proof.text());
        }
        // A record that is not a milestone, and a sequence that is not one.
        let not_milestone = call(
            Method::GET,
            &format!("{}/proofs/1", public_path(IN_FORCE)),
            None,
        )
        .empty(app)
        .await;
        assert_eq!(not_milestone.status, StatusCode::NOT_FOUND);
        assert!(
            not_milestone.text().contains("不是公开的里程碑"),
            "{}",
            not_milestone.text()
        );
        for bad in ["0", "x", "-1", "99999999999999999999999"] {
            let answer = call(
                Method::GET,
                &format!("{}/proofs/{bad}", public_path(IN_FORCE)),
                None,
            )
            .empty(app)
            .await;
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{bad}: {}",
                answer.text()
            );
            assert!(answer.text().contains("记录序号"), "{}", answer.text());
        }
        let bad_query = call(Method::GET, "/public?after=a&nonsense=1", None)
            .empty(app)
            .await;
        assert_eq!(bad_query.status, StatusCode::OK, "{}", bad_query.text());
    }
);

conformance!(
    a_milestone_record_an_insider_rewrote_is_shown_to_differ_from_the_log,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        scenarios(&api).await;
        api.store.integrate_pending(&key(), 100_000).await.unwrap();
        let app = &api.app;
        let page = call(Method::GET, &public_path(IN_FORCE), None)
            .empty(app)
            .await
            .text();
        let records = record_hashes(&api, IN_FORCE).await;
        let (sequence, old_hash) = records
            .iter()
            .rev()
            .find(|(_, hash)| page.contains(hash.as_str()))
            .unwrap()
            .clone();
        // The insider drops the guard and rewrites the in-force record's hash in place.
        let project_id = api
            .store
            .project_id_by_code(IN_FORCE)
            .await
            .unwrap()
            .unwrap();
        let raw = sqlx::AnyPool::connect(&api.url).await.unwrap();
        let drop_guard = match kind {
            Kind::Sqlite => "DROP TRIGGER audit_records_refuse_update",
            Kind::Postgres => "DROP TRIGGER audit_records_refuse_update ON audit_records",
        };
        sqlx::query(drop_guard).execute(&raw).await.unwrap();
        let forged = "ab".repeat(32);
        sqlx::query("UPDATE audit_records SET hash = $1 WHERE project_id = $2 AND sequence = $3")
            .bind(forged.clone())
            .bind(project_id.to_string())
            .bind(i64::try_from(sequence).unwrap())
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        let page = call(Method::GET, &public_path(IN_FORCE), None)
            .empty(app)
            .await
            .text();
        assert!(page.contains("与日志不符"), "{page}");
        assert!(page.contains(&forged), "{page}");
        // The log's hash is shown beside it, and no proof of the rewritten record is offered.
        assert!(page.contains(&old_hash), "{page}");
        assert_eq!(page.matches("已入日志").count(), 4, "{page}");
        let proof = call(
            Method::GET,
            &format!("{}/proofs/{sequence}", public_path(IN_FORCE)),
            None,
        )
        .empty(app)
        .await;
        assert_eq!(proof.status, StatusCode::CONFLICT, "{}", proof.text());
        assert!(proof.text().contains(&old_hash), "{}", proof.text());
    }
);
