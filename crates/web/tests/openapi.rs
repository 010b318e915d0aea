//! The OpenAPI document at `/openapi.json`: it parses, it is OpenAPI 3.1, and it documents every
//! route the router serves, no more and no fewer.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use specflow_store::metrics::Metrics;
use specflow_web::{AppState, router};
use std::collections::BTreeSet;
use tower::ServiceExt;

/// Every route the service serves. A route added to the router must be added here, and then to
/// the document, or this file's tests fail.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/api/v1/projects"),
    ("post", "/api/v1/projects"),
    ("get", "/api/v1/projects/{project}"),
    ("post", "/api/v1/projects/{project}/commands"),
    ("post", "/api/v1/projects/{project}/actions/{action}"),
    ("post", "/api/v1/projects/{project}/artifacts"),
    ("get", "/api/v1/artifacts/{sha256}"),
    ("get", "/api/v1/projects/{project}/history"),
    ("get", "/api/v1/projects/{project}/state"),
    ("post", "/api/v1/projects/{project}/verify"),
    ("post", "/api/v1/verify"),
    ("get", "/api/v1/export"),
    ("get", "/api/v1/overdue"),
    ("get", "/api/v1/counts"),
    ("get", "/api/v1/outbox"),
    ("post", "/api/v1/outbox/retry"),
    ("get", "/api/v1/committees/{committee}/reports/annual"),
    ("get", "/api/v1/committees/{committee}/reports/term"),
    ("get", "/api/v1/reports/annual"),
    ("get", "/api/v1/committees"),
    ("post", "/api/v1/committees"),
    ("get", "/api/v1/committees/{committee}"),
    ("post", "/api/v1/committees/{committee}/appointments"),
    ("post", "/api/v1/committees/{committee}/reappointments"),
    ("post", "/api/v1/committees/{committee}/resignations"),
    ("post", "/api/v1/committees/{committee}/waivers"),
    ("post", "/api/v1/committees/{committee}/secretariat"),
    ("post", "/api/v1/committees/{committee}/terms"),
    ("post", "/api/v1/committees/{committee}/terms/end"),
    ("get", "/api/v1/committees/{committee}/composition"),
    ("get", "/api/v1/committees/{committee}/roll"),
    ("get", "/api/v1/committees/{committee}/history"),
    ("post", "/api/v1/committees/{committee}/verify"),
];

/// The routes the router declares, read from its source: `(method, path)` for each method of
/// each `.route(…)`, with the API's routes under `/api/v1`. Reading the source is what lets a
/// route added there without a line in [`ROUTES`] fail this test.
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/api/mod.rs");
    let mut routes = BTreeSet::new();
    let api_starts = source.find("pub fn router").unwrap();
    let api_ends = source.find("pub fn service_routes").unwrap();
    for (start, _) in source.match_indices(".route(") {
        let rest = &source[start + ".route(".len()..];
        let open = rest.find('"').unwrap();
        let close = open + 1 + rest[open + 1..].find('"').unwrap();
        let path = &rest[open + 1..close];
        // The handlers run to the `.route(`'s closing parenthesis.
        let mut depth = 1;
        let mut end = 0;
        for (index, character) in rest.char_indices() {
            match character {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = index;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &rest[close..end];
        let full = if start > api_starts && start < api_ends {
            format!("/api/v1{path}")
        } else {
            path.to_string()
        };
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = handlers
                .match_indices(&format!("{method}("))
                .any(|(at, _)| {
                    at == 0
                        || !handlers.as_bytes()[at - 1].is_ascii_alphanumeric()
                            && handlers.as_bytes()[at - 1] != b'_'
                });
            if called {
                routes.insert((method.to_string(), full.clone()));
            }
        }
    }
    routes
}

fn listed_routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect()
}

#[test]
fn the_list_names_every_route_the_router_declares() {
    assert_eq!(declared_routes(), listed_routes());
}

conformance!(openapi_json_documents_every_route, |kind| async move {
    let Some((store, _clock, _keep, _url)) = store(kind).await else {
        return;
    };
    let app = router(AppState {
        store: store.clone(),
        metrics: Metrics::shared(),
    });
    // Served without a token.
    let response = app
        .clone()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let document: Value = serde_json::from_slice(&body).unwrap();
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert_eq!(document["info"]["title"], "specflow");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert((method.clone(), path.clone()));
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents no success"
            );
            if path.starts_with("/api/v1/") {
                // Every API operation needs the token and answers its errors as problems.
                assert_eq!(
                    operation["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
                for status in ["400", "401", "404", "500"] {
                    assert!(
                        responses[status]["content"]["application/problem+json"].is_object(),
                        "{method} {path} does not document its {status} problem"
                    );
                }
            }
        }
    }
    assert_eq!(documented, listed_routes());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    // Every `$ref` names a schema the document defines (a validator refuses the document else).
    // Operation ids are unique (a validator refuses the document else).
    let mut operation_ids = BTreeSet::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                assert!(
                    operation_ids.insert(id.to_string()),
                    "operationId {id} is used twice"
                );
            }
        }
    }
    let mut dangling = BTreeSet::new();
    dangling_references(&document, &document, &mut dangling);
    assert!(dangling.is_empty(), "references to no schema: {dangling:?}");
    // Every listed route is served: none falls through to "no such route" or a wrong method.
    for (method, path) in ROUTES {
        let uri = path
            .replace("{project}", "SH-TC-01")
            .replace("{action}", "propose")
            .replace("{sha256}", &"0".repeat(64));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .clone()
            .oneshot(
                Request::builder()
                    .method(method.clone())
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("There is no route") && !body.contains("没有路径"),
            "{method} {uri}: {body}"
        );
    }
});

/// Collects the `$ref`s under `value` that point nowhere in `document`.
fn dangling_references(value: &Value, document: &Value, dangling: &mut BTreeSet<String>) {
    match value {
        Value::Object(members) => {
            if let Some(Value::String(reference)) = members.get("$ref") {
                let target = reference
                    .strip_prefix("#/")
                    .map(|path| path.split('/').fold(document, |node, part| &node[part]));
                if target.is_none_or(Value::is_null) {
                    dangling.insert(reference.clone());
                }
            }
            for member in members.values() {
                dangling_references(member, document, dangling);
            }
        }
        Value::Array(items) => {
            for item in items {
                dangling_references(item, document, dangling);
            }
        }
        _ => {}
    }
}
