//! The HTTP service's routes, without a socket: health, readiness, metrics and request ids.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use specflow_store::metrics::Metrics;
use specflow_web::{AppState, router};
use tower::ServiceExt;

async fn get(
    app: &axum::Router,
    path: &str,
    request_id: Option<&str>,
) -> (StatusCode, String, String) {
    let mut request = Request::get(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let id = response
        .headers()
        .get("x-request-id")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap(), id)
}

conformance!(health_readiness_and_metrics, |kind| async move {
    let Some((store, _clock, _keep, url)) = store(kind).await else {
        return;
    };
    created_project(&store, 1, "SH-TC-01").await;
    let metrics = Metrics::shared();
    let app = router(AppState {
        store: store.clone(),
        metrics: metrics.clone(),
    });
    let (status, body, id) = get(&app, "/healthz", Some("trace-42")).await;
    assert_eq!(
        (status, body.as_str(), id.as_str()),
        (StatusCode::OK, "ok\n", "trace-42")
    );
    // An id that could forge log lines is replaced by a fresh one.
    let (_, _, id) = get(&app, "/healthz", Some("bad id\twith spaces")).await;
    assert_eq!(id.len(), 36, "{id}");
    let (status, _, id) = get(&app, "/nowhere", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(id.len(), 36);
    let (status, body, _) = get(&app, "/readyz", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ready\n"));
    // A channel the deliverer found failing is in the details; the node stays ready.
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-04T08:30:00Z")
        .unwrap()
        .to_utc();
    store.note_channel_attempt(
        "secretariat",
        specflow_store::outbox::ChannelKind::Dingtalk,
        at,
        Some("the robot refused the message: code 310000, sign not match"),
    );
    store.note_channel_attempt(
        "supervisor",
        specflow_store::outbox::ChannelKind::Email,
        at,
        None,
    );
    let (status, body, _) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        "ready\nchannel secretariat (dingtalk): failing since 2026-12-04T08:30:00Z, last tried 2026-12-04T08:30:00Z: the robot refused the message: code 310000, sign not match\nchannel supervisor (email): delivering, last at 2026-12-04T08:30:00Z\n"
    );
    // `/metrics` is served on a listener of its own (`metrics_router`), not beside the API.
    let (status, _, _) = get(&app, "/metrics", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let metrics_app = specflow_web::metrics_router(AppState {
        store: store.clone(),
        metrics,
    });
    let (status, body, _) = get(&metrics_app, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("specflow_projects{stage=\"preresearch\"} 1"),
        "{body}"
    );
    // Served without a token, the gauges name no committee (issue 17): per-committee counts
    // are `/api/v1/counts`'s, for those who may read everything.
    assert!(!body.contains("SH-TC-01"), "{body}");
    assert!(body.contains("specflow_overdue_projects 0"), "{body}");
    assert!(
        body.contains("specflow_outbox_notifications{status=\"dead\"} 0"),
        "{body}"
    );
    // The transparency log's queue: no log key here, so nothing is integrated.
    assert!(body.contains("specflow_log_tree_size 0"), "{body}");
    assert!(body.contains("specflow_log_refused_records 0"), "{body}");
    assert!(!body.contains("specflow_log_checkpoint_size"), "{body}");
    // Once a checkpoint is signed and a witness cosigned it: how fresh each is.
    let key =
        specflow_store::transparency::LogKey::from_seed("specflow.test/log", &[9; 32]).unwrap();
    store.integrate_pending(&key, 100).await.unwrap();
    store
        .add_cosignature(1, "witness.example/one", "— witness.example/one AAAA\n")
        .await
        .unwrap();
    let (_, body, _) = get(&metrics_app, "/metrics", None).await;
    assert!(body.contains("specflow_log_checkpoint_size 1"), "{body}");
    assert!(
        body.contains(&format!(
            "specflow_log_checkpoint_signed_timestamp_seconds {}",
            start().timestamp()
        )),
        "{body}"
    );
    assert!(
        body.contains("specflow_log_witness_cosigned_size{witness=\"witness.example/one\"} 1"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "specflow_log_witness_last_cosignature_timestamp_seconds{{witness=\"witness.example/one\"}} {}",
            start().timestamp()
        )),
        "{body}"
    );
    assert!(
        body.contains("specflow_http_requests_total{route=\"/healthz\",status=\"200\"} 2"),
        "{body}"
    );
    assert!(
        body.contains("specflow_http_requests_total{route=\"unmatched\",status=\"404\"} 2"),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"));
    // A database migrated by a newer specflow is not ready.
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (9999, 'from the future', CURRENT_TIMESTAMP, TRUE, $1, 0)")
        .bind(vec![0u8; 48])
        .execute(&sqlx::AnyPool::connect(&url).await.unwrap())
        .await
        .unwrap();
    let (status, body, _) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("9999"), "{body}");
});
