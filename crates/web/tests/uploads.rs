//! Uploads through the API: content is kept only with its attachment, whatever happens to the
//! request (refused, conflicting, broken off), and uploads beyond the limits are 429.

use crate::api::{api, call, token};
use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use specflow_store::Store;
use specflow_store::auth::Role;
use tower::ServiceExt;

/// Asserts that the content rows are exactly the contents the log's `artifact_attached` records
/// name, counted from both sides; their number.
async fn content_rows_match_attachments(store: &Store, url: &str) -> usize {
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
    pool.close().await;
    assert_eq!(
        rows as usize,
        attached.len(),
        "content rows against attachments"
    );
    assert!(store.unattached_artifacts().await.unwrap().is_empty());
    attached.len()
}

conformance!(
    refused_conflicting_and_broken_off_uploads_store_nothing,
    |kind| async move {
        // Regression: an upload refused with 409 (stale If-Match) still stored its bytes, with
        // no record naming them.
        let Some(api) = api(kind).await else {
            return;
        };
        let url = api.url.clone();
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let path =
            format!("/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=p.pdf");
        // Refused by the engine: an unknown kind.
        call(
            Method::POST,
            &format!("/api/v1/projects/{project}/artifacts?kind=poem&file_name=p.txt"),
            Some(&secretariat),
        )
        .bytes(app, b"a poem".to_vec())
        .await
        .problem(422, "guard-rejected");
        // Conflicting: a stale If-Match.
        call(Method::POST, &path, Some(&secretariat))
            .header("if-match", "\"7\"")
            .bytes(app, b"stale draft".to_vec())
            .await
            .problem(409, "conflict");
        // Broken off: the client goes away in the middle of the body.
        let pieces: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(vec![b'x'; 64 * 1024]),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "client went away",
            )),
        ];
        let broken = app
            .clone()
            .oneshot(
                Request::builder()
                    .method(Method::POST)
                    .uri(&path)
                    .header("authorization", format!("Bearer {secretariat}"))
                    .header("content-type", "application/octet-stream")
                    .body(Body::from_stream(futures_util::stream::iter(pieces)))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(broken.status().is_client_error(), "{}", broken.status());
        assert_eq!(content_rows_match_attachments(&api.store, &url).await, 0);
        // Accepted: stored, with its record.
        let accepted = call(Method::POST, &path, Some(&secretariat))
            .header("if-match", "\"1\"")
            .bytes(app, b"the proposal".to_vec())
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
        assert_eq!(content_rows_match_attachments(&api.store, &url).await, 1);
    }
);

conformance!(
    uploads_beyond_the_callers_limit_are_429_with_retry_after,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let path =
            format!("/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=p.pdf");
        // The caller's two uploads in flight (the default per caller), held here.
        let first = api.store.begin_upload("sec-one").unwrap();
        let second = api.store.begin_upload("sec-one").unwrap();
        let refused = call(Method::POST, &path, Some(&secretariat))
            .bytes(app, b"the proposal".to_vec())
            .await;
        refused.problem(429, "too-many-requests");
        assert_eq!(refused.header("retry-after"), "10");
        // Another caller is not held back by this one's uploads.
        let other = token(
            &api.store,
            "sec-two",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let accepted = call(Method::POST, &path, Some(&other))
            .bytes(app, b"the proposal".to_vec())
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
        drop((first, second));
        let accepted = call(Method::POST, &path, Some(&secretariat))
            .bytes(app, b"the second proposal".to_vec())
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    }
);

conformance!(
    a_file_of_several_chunks_downloads_byte_for_byte,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let content: Vec<u8> = (0..specflow_store::ARTIFACT_CHUNK_BYTES * 2 + 777)
            .map(|index| (index % 253) as u8)
            .collect();
        let uploaded = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=p.pdf"),
            Some(&secretariat),
        )
        .bytes(app, content.clone())
        .await;
        assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text());
        let digest = uploaded.json()["sha256"].as_str().unwrap().to_string();
        let downloaded = call(
            Method::GET,
            &format!("/api/v1/artifacts/{digest}"),
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(downloaded.status, StatusCode::OK);
        assert_eq!(
            downloaded.header("content-length"),
            content.len().to_string()
        );
        assert!(downloaded.body() == content.as_slice(), "the bytes differ");
    }
);
