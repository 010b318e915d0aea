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

/// The router's source registers every route through `routes!` (or the committee writes'
/// table), which documents it as it registers it: a plain `.route(` would serve a route the
/// document does not show.
#[test]
fn every_route_is_declared_through_its_documentation() {
    let source = include_str!("../../web/src/api/mod.rs");
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !code.contains(".route("),
        "api/mod.rs registers a route without documenting it: use `.routes(routes!(handler))`"
    );
    assert!(code.matches(".routes(routes!(").count() >= 25);
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
    // The committee writes come from their table, documented like any other route.
    for path in [
        "/api/v1/committees/{committee}/appointments",
        "/api/v1/committees/{committee}/reappointments",
        "/api/v1/committees/{committee}/resignations",
        "/api/v1/committees/{committee}/waivers",
        "/api/v1/committees/{committee}/secretariat",
        "/api/v1/committees/{committee}/terms",
        "/api/v1/committees/{committee}/terms/end",
    ] {
        assert!(
            documented.contains(&("post".to_string(), path.to_string())),
            "{path} is not documented"
        );
        let operation = &document["paths"][path]["post"];
        assert!(
            operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string()
        );
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|parameter| parameter["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            parameters,
            ["committee", "Idempotency-Key", "If-Match"],
            "{path}"
        );
    }
    assert!(documented.len() >= 37, "{documented:?}");
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
    // Every documented route is served: none falls through to "no such route" or a wrong method.
    for (method, path) in &documented {
        let uri = path
            .replace("{project}", "SH-TC-01")
            .replace("{action}", "propose")
            .replace("{sha256}", &"0".repeat(64))
            .replace("{committee}", "SH-TC-01");
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
