//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! the types' `ToSchema` derivations, and served unauthenticated at `GET /openapi.json`.
//!
//! The handlers declare their own successes; the errors every API route can answer (any of them
//! may meet a bad token, a bad parameter or an unavailable database, and `render_problems` turns
//! each into an RFC 9457 problem) are added here once, as `application/problem+json`, so that a
//! route cannot forget one. The engine's types are described as plain objects where they appear,
//! because the engine must not depend on utoipa.

use crate::app::text_fields::rule_for;
use axum::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// An RFC 9457 problem document, as every error of the API is answered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://specflow.dev/problems/not-found",
    "title": "Not found",
    "status": 404,
    "detail": "There is no project SH-TC-99",
    "instance": "5f0c8a1e-2b3d-4c5e-8f90-1a2b3c4d5e6f"
}))]
pub struct ProblemDocument {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The kind's title, in the request's language.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time, in the request's language.
    pub detail: String,
    /// The request's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// For a refused command: every unmet guard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmet: Option<Vec<UnmetReason>>,
}

/// One unmet guard of a refused command.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnmetReason {
    /// The reason's stable code.
    pub code: String,
    /// The guard that is not met, if the reason is a guard's.
    pub guard: Option<String>,
    /// The figures the reason was computed from.
    #[schema(value_type = Object)]
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The reason, in the request's language.
    pub message: String,
}

/// The error statuses an API route may answer, with what each means.
const API_PROBLEMS: [(StatusCode, &str); 12] = [
    (
        StatusCode::BAD_REQUEST,
        "A parameter, header or body is malformed, holds a control character or is longer than its field's `maxLength`",
    ),
    (
        StatusCode::URI_TOO_LONG,
        "The path and query are longer than specflow reads",
    ),
    (StatusCode::UNAUTHORIZED, "No valid bearer token"),
    (StatusCode::FORBIDDEN, "The token may not do this"),
    (
        StatusCode::NOT_FOUND,
        "No such thing, or none the token may see",
    ),
    (
        StatusCode::CONFLICT,
        "Someone else wrote first, or the thing already exists",
    ),
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "The body is larger than the route accepts",
    ),
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "The body is not JSON"),
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        "The engine refused the command (every unmet guard is listed), or the Idempotency-Key was used for a different request",
    ),
    (
        StatusCode::TOO_MANY_REQUESTS,
        "Too many uploads are running, the caller's or everyone's: try again after Retry-After",
    ),
    (StatusCode::INTERNAL_SERVER_ERROR, "A fault of specflow's"),
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The database cannot answer now",
    ),
];

/// The statuses only a route that takes a body can answer: a body too large or not JSON, a stale
/// `If-Match` or a taken code, a command the engine refuses, too many uploads at once. Reads and
/// the bodiless verifications never answer them, so their operations do not list them.
const BODY_PROBLEMS: [StatusCode; 5] = [
    StatusCode::CONFLICT,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
    StatusCode::UNPROCESSABLE_ENTITY,
    StatusCode::TOO_MANY_REQUESTS,
];

/// Adds the bearer scheme and the problem answers of every API route.
struct ApiConventions;

impl Modify for ApiConventions {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sft_…")
                    .description(Some("An API token, created with `specflow token create`"))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let operations: [&mut Option<Operation>; 4] = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let takes_body = operation.request_body.is_some();
                for (status, description) in API_PROBLEMS {
                    if !takes_body && BODY_PROBLEMS.contains(&status) {
                        continue;
                    }
                    operation
                        .responses
                        .responses
                        .entry(status.as_u16().to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    crate::app::problem::PROBLEM_JSON,
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ProblemDocument")))
                                        .build(),
                                )
                                .into()
                        });
                }
            }
        }
    }
}

/// The document's frame: its title, tags and shared schemas; the routes add their paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "specflow",
        description = "The lifecycle of metrology technical specifications, as a workflow engine: its HTTP API."
    ),
    components(schemas(ProblemDocument, UnmetReason, crate::app::reports::ReportFormat)),
    tags(
        (name = "service", description = "Health, readiness and this document (metrics are served on a listener of their own)"),
        (name = "projects", description = "Drafting groups and secretariats: projects, commands, artifacts"),
        (name = "audit", description = "Auditors: history, state as of a point, verification, export"),
        (name = "board", description = "The bureau: the overdue board, counts and the outbox"),
        (name = "reports", description = "Committees' annual and end-of-term reports, and the bureau's report across committees"),
        (name = "committees", description = "Committees as audited records: composition, waivers, terms, rolls"),
        (name = "transparency", description = "The transparency log: the cosigned checkpoint (public), inclusion and consistency proofs (docs/transparency.md)"),
    )
)]
pub struct ApiDoc;

/// What every operation of the document shares, added once its paths are known: the crate's
/// version, the bearer scheme, and the problem answers of every API route.
pub fn add_conventions(document: &mut Document) {
    document.info.version = env!("CARGO_PKG_VERSION").to_string();
    ApiConventions.modify(document);
    add_text_limits(document);
}

/// States the limits `app::text_fields` enforces as `maxLength`: on every string parameter (a
/// path segment's own limit for path parameters) and every string property of the schemas that
/// request bodies name, and the schemas those name in turn. Answers are left as they are: a
/// record sealed before the limits existed may hold a longer text.
///
/// The document is edited as JSON, where a string property is one shape, rather than through
/// utoipa's many schema variants (an optional string is a `oneOf` or a type list there).
fn add_text_limits(document: &mut Document) {
    let Ok(mut value) = serde_json::to_value(&*document) else {
        return;
    };
    let mut pending = Vec::new();
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|item| item.values_mut())
        {
            limit_parameters(operation);
            if let Some(body) = operation.get("requestBody") {
                collect_references(body, &mut pending);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(schema) = value.pointer_mut(&format!("/components/schemas/{name}")) else {
            continue;
        };
        collect_references(schema, &mut pending);
        limit_properties(schema);
    }
    if let Ok(limited) = serde_json::from_value(value) {
        *document = limited;
    }
}

/// The `maxLength` of an operation's string parameters.
fn limit_parameters(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        let name = parameter["name"].as_str().unwrap_or_default().to_string();
        // Headers are not text fields: only the idempotency key's own limit is enforced, so only
        // it is stated (a stated limit the server does not enforce misleads a client).
        let limit = match parameter["in"].as_str() {
            Some("path") => crate::address::MAX_PATH_SEGMENT_CHARS,
            Some("header") if name.eq_ignore_ascii_case("idempotency-key") => {
                crate::api::input::MAX_IDEMPOTENCY_KEY_CHARS
            }
            Some("header") => continue,
            _ => rule_for(&name).max_chars,
        };
        if let Some(schema) = parameter.get_mut("schema") {
            limit_string(schema, limit);
        }
    }
}

/// The `maxLength` of a schema's string properties, by their names, in its `allOf`/`oneOf` parts
/// too.
fn limit_properties(schema: &mut Value) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            limit_string(property, rule_for(name).max_chars);
        }
    }
    for combination in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(combination).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(limit_properties);
        }
    }
}

/// Sets `maxLength` on a string schema, an optional one and the items of an array of them.
fn limit_string(schema: &mut Value, limit: usize) {
    let is_string = match &schema["type"] {
        Value::String(kind) => kind == "string",
        Value::Array(kinds) => kinds.iter().any(|kind| kind == "string"),
        _ => false,
    };
    if is_string && let Some(object) = schema.as_object_mut() {
        object.insert("maxLength".to_string(), json!(limit));
    }
    if let Some(items) = schema.get_mut("items") {
        limit_string(items, limit);
    }
    for combination in ["oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(combination).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(|part| limit_string(part, limit));
        }
    }
}

/// The component names a part of the document refers to (`#/components/schemas/NAME`).
fn collect_references(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            if let Some(name) = members
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
            {
                names.push(name.to_string());
            }
            members
                .values()
                .for_each(|member| collect_references(member, names));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, names)),
        _ => {}
    }
}

/// The document, built once from the same declarations as the router.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| super::routes(usize::MAX).1)
}

/// `GET /openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Json<&'static Document> {
    Json(document())
}
