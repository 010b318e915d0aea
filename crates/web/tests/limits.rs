//! Issue 17: what a request may carry and how every refusal is answered, on SQLite and
//! PostgreSQL alike: control characters and overlong texts refused with 400 naming the field,
//! unreadable addresses refused before routing, every error a problem document, the API's
//! caching headers, metrics kept off the API's listener, and handlers held to a time limit.

use crate::api::{api, call, token};
use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_web::{AppState, metrics_router, with_service_layers};
use std::time::Duration;
use tower::ServiceExt;

fn new_project(code: &str, title_en: &str) -> Value {
    json!({
        "code": code,
        "title": {"zh": "测试规范", "en": title_en},
        "specification_kind": "calibration_specification",
        "committee": "SH-TC-01",
        "drafting_unit": "上海市计量测试技术研究院",
        "definition_id": "metrology-spec"
    })
}

// Regression: a NUL in a title was 503 on PostgreSQL (the database refused it) and sealed into
// the log on SQLite; a 1 MB title and a 65,000-character file name were sealed too.
conformance!(
    control_characters_and_overlong_texts_are_refused_by_name,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let projects = "/api/v1/projects";
        let refused = |field: &str, problem: &Value| {
            assert_eq!(problem["field"], field, "{problem}");
        };
        let problem = call(Method::POST, projects, Some(&secretariat))
            .header("accept-language", "en")
            .json(app, &new_project("JJF(沪)-2026-001", "a\u{0}b"))
            .await
            .problem(400, "invalid-request");
        refused("title.en", &problem);
        assert!(
            problem["detail"].as_str().unwrap().contains("U+0000"),
            "{problem}"
        );
        let problem = call(Method::POST, projects, Some(&secretariat))
            .json(app, &new_project("JJF(沪)\n2026-001", "fine"))
            .await
            .problem(400, "invalid-request");
        refused("code", &problem);
        let problem = call(Method::POST, projects, Some(&secretariat))
            .json(app, &new_project(&"码".repeat(65), "fine"))
            .await
            .problem(400, "invalid-request");
        refused("code", &problem);
        assert_eq!(problem["max_length"], 64, "{problem}");
        let problem = call(Method::POST, projects, Some(&secretariat))
            .json(
                app,
                &new_project("JJF(沪)-2026-001", &"t".repeat(1_000_000 / 2)),
            )
            .await
            .problem(400, "invalid-request");
        refused("title.en", &problem);
        // Nothing was created by any of them.
        let list = call(Method::GET, projects, Some(&secretariat))
            .empty(app)
            .await;
        assert_eq!(
            list.json()["items"].as_array().unwrap().len(),
            0,
            "{}",
            list.text()
        );

        let created = call(Method::POST, projects, Some(&secretariat))
            .json(app, &new_project("JJF(沪)-2026-001", "fine"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let project = created.json()["project_id"].as_str().unwrap().to_string();
        // A reason is prose: a NUL is refused in it, by name, before the engine sees it.
        let problem = call(
            Method::POST,
            &format!("{projects}/{project}/actions/propose"),
            Some(&secretariat),
        )
        .json(app, &json!({"reason": "line one\u{0}"}))
        .await
        .problem(400, "invalid-request");
        refused("reason", &problem);
        // An uploaded file's name is a query parameter of its own limit.
        let upload = |file_name: String| {
            let path = format!(
                "{projects}/{project}/artifacts?kind=draft&file_name={}",
                percent(&file_name)
            );
            call(Method::POST, &path, Some(&secretariat))
        };
        let problem = upload("a".repeat(256))
            .bytes(app, b"draft".to_vec())
            .await
            .problem(400, "invalid-request");
        refused("file_name", &problem);
        assert_eq!(problem["max_length"], 255, "{problem}");
        let problem = upload("draft\u{0}.pdf".to_string())
            .bytes(app, b"draft".to_vec())
            .await
            .problem(400, "invalid-request");
        refused("file_name", &problem);
        let head = call(
            Method::GET,
            &format!("{projects}/{project}"),
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(head.json()["head_sequence"], 1, "{}", head.text());

        // A NUL or invalid UTF-8 in the path, a control character in a query parameter.
        let problem = call(
            Method::GET,
            &format!("{projects}/JJF%00-1"),
            Some(&secretariat),
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        refused("path", &problem);
        call(
            Method::GET,
            &format!("{projects}/%FF%FE"),
            Some(&secretariat),
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        let problem = call(
            Method::GET,
            &format!("{projects}?committee=SH%00"),
            Some(&secretariat),
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        refused("committee", &problem);
        let problem = call(
            Method::GET,
            &format!("{projects}?committee=%C3%28"),
            Some(&secretariat),
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        refused("committee", &problem);
        // An address longer than specflow reads.
        let long = format!("{projects}?after={}", "a".repeat(9 * 1024));
        call(Method::GET, &long, Some(&secretariat))
            .empty(app)
            .await
            .problem(414, "uri-too-long");
    }
);

/// A text as a query parameter carries it, every byte but letters and digits escaped.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

// Regression: JSON answers could be kept by caches; `/metrics` answered beside the API without a
// token, with per-committee counts the API refuses to a committee's own members.
conformance!(
    api_answers_are_not_cached_and_metrics_live_elsewhere,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        for answer in [
            call(Method::GET, "/api/v1/projects", Some(&secretariat))
                .empty(app)
                .await,
            call(Method::GET, "/api/v1/projects", None).empty(app).await,
            call(Method::GET, "/api/v1/nowhere", None).empty(app).await,
        ] {
            assert_eq!(answer.header("cache-control"), "no-store", "{answer:?}");
            assert_eq!(
                answer.header("x-content-type-options"),
                "nosniff",
                "{answer:?}"
            );
        }
        // `/metrics` is not on the API's listener; the metrics router serves it.
        // (The pages answer an unknown address with their own friendly page.)
        let answer = call(Method::GET, "/metrics", None).empty(app).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
        assert!(
            !answer.text().contains("specflow_projects"),
            "{}",
            answer.text()
        );
        let metrics = metrics_router(AppState {
            store: api.store.clone(),
            metrics: Metrics::shared(),
        });
        let response = metrics
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// Regression: nothing bounded how long a handler ran, and errors answered by layers had empty
// bodies.
conformance!(
    a_handler_past_its_time_is_a_problem_document,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let state = AppState {
            store: api.store.clone(),
            metrics: Metrics::shared(),
        };
        // A handler that would never finish, inside the service's own layers.
        let never = axum::Router::new().route(
            "/never",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "done"
            }),
        );
        let impatient = with_service_layers(never, state, Duration::from_millis(50));
        let started = std::time::Instant::now();
        let problem = call(Method::GET, "/never", None)
            .header("accept-language", "en")
            .empty(&impatient)
            .await
            .problem(503, "unavailable");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            problem["detail"].as_str().unwrap().contains("in time"),
            "{problem}"
        );
        // A wrong method on a page is a problem document too, not an empty body.
        let answer = call(Method::DELETE, "/healthz", None).empty(&api.app).await;
        answer.problem(405, "method-not-allowed");
    }
);

#[test]
fn the_openapi_document_states_the_limits_it_enforces() {
    let document = serde_json::to_value(specflow_web::api::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["NewProjectBody"]["properties"]["code"]["maxLength"], 64,
        "{}",
        schemas["NewProjectBody"]
    );
    assert_eq!(
        schemas["LocalizedTextSchema"]["properties"]["en"]["maxLength"],
        300
    );
    let upload = &document["paths"]["/api/v1/projects/{project}/artifacts"]["post"]["parameters"];
    let file_name = upload
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "file_name")
        .unwrap();
    assert_eq!(file_name["schema"]["maxLength"], 255, "{file_name}");
    let project = upload
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "project")
        .unwrap();
    assert_eq!(
        project["schema"]["maxLength"],
        specflow_web::address::MAX_PATH_SEGMENT_CHARS
    );
}
