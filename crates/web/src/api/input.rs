//! What requests carry besides the token: JSON bodies, query strings, `Idempotency-Key` and
//! `If-Match`, each read so that a mistake is a problem naming its place, never a bare 400.
//!
//! Bodies are read within the route's `DefaultBodyLimit` (1 MiB for JSON): a larger one is 413.
//! A JSON body must say `Content-Type: application/json` (415 otherwise), and a body that does not
//! fit the route's type names the field path where it went wrong (`title.en`, `votes[2].choice`).

use crate::app::idempotency::{WriteRoute, scoped_command_id};
use crate::app::problem::{Problem, ProblemKind};
use crate::app::text_fields::check_json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use specflow_store::auth::Principal;
use uuid::Uuid;

/// The body limit of routes that read JSON.
pub const JSON_BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

/// The media types a spreadsheet upload is read from; a ZIP archive's bytes are read as XLSX
/// whatever is said.
const SPREADSHEET_MEDIA_TYPES: [&str; 5] = [
    "text/csv",
    "application/csv",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
];

/// Refuses (415) a body whose `Content-Type` says it is not a spreadsheet (CSV or XLSX); `what`
/// names the file in Chinese and English, as the refusal says it.
pub fn check_spreadsheet_media_type(
    headers: &HeaderMap,
    what: (&str, &str),
) -> Result<(), Problem> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = content_type
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if SPREADSHEET_MEDIA_TYPES.contains(&media_type.as_str()) {
        return Ok(());
    }
    let (zh, en) = what;
    Err(Problem::new(
        ProblemKind::UnsupportedMediaType,
        format!("{zh}应为 CSV 或 XLSX 文件，收到 {media_type}"),
        format!("{en} must be a CSV or XLSX file, not {media_type}"),
    ))
}

/// A JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

/// Reads the body within the route's limit: a larger one is 413.
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    ProblemKind::PayloadTooLarge,
                    "请求体超过此路径的大小上限",
                    "The body is larger than this route accepts",
                )
            } else {
                Problem::new(
                    ProblemKind::InvalidRequest,
                    format!("无法读取请求体：{}", rejection.body_text()),
                    format!("The body could not be read: {}", rejection.body_text()),
                )
            }
        })
}

/// Reads a body that must be JSON: 415 when the request does not say it is, 413 when it is
/// larger than the route accepts. Parsing is the caller's, with [`parse_json`].
pub async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    if !is_json(request.headers()) {
        return Err(Problem::new(
            ProblemKind::UnsupportedMediaType,
            "请求体应为 JSON：请发送 Content-Type: application/json",
            "The body must be JSON: send Content-Type: application/json",
        ));
    }
    body_bytes(request, state).await
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|media_type| media_type.trim().to_ascii_lowercase())
        .is_some_and(|media_type| {
            media_type == "application/json"
                || (media_type.starts_with("application/") && media_type.ends_with("+json"))
        })
}

/// Parses JSON into `T`, naming the field path of the first mistake.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let field = if path.is_empty() || path == "." {
            "(body)".to_string()
        } else {
            path
        };
        let (zh, en) = if inner.is_syntax() || inner.is_eof() {
            (
                format!("请求体不是有效的 JSON（{field}）：{inner}"),
                format!("The body is not valid JSON (at {field}): {inner}"),
            )
        } else {
            (
                format!("字段 {field} 有误：{inner}"),
                format!("The field {field} is wrong: {inner}"),
            )
        };
        Problem::invalid(&field, zh, en)
    })?;
    deserializer.end().map_err(|error| {
        Problem::invalid(
            "(body)",
            format!("JSON 之后还有多余内容：{error}"),
            format!("There is more after the JSON value: {error}"),
        )
    })?;
    // Read again as plain JSON to check every text it carries, whatever the route's type keeps
    // of it: a control character or an overlong field is refused before it reaches the engine.
    let texts: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
        Problem::invalid(
            "(body)",
            format!("请求体不是有效的 JSON：{error}"),
            format!("The body is not valid JSON: {error}"),
        )
    })?;
    check_json(&texts)?;
    Ok(value)
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody<T>, Problem> {
        json_bytes(request, state)
            .await
            .and_then(|bytes| parse_json(&bytes).map(JsonBody))
    }
}

/// A JSON body that may be left out (an empty body is `T::default()`).
#[derive(Debug, Clone)]
pub struct OptionalJsonBody<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<OptionalJsonBody<T>, Problem> {
        let declared_json = is_json(request.headers());
        let has_type = request.headers().contains_key(header::CONTENT_TYPE);
        let bytes = body_bytes(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(T::default()));
        }
        if has_type && !declared_json {
            return Err(Problem::new(
                ProblemKind::UnsupportedMediaType,
                "请求体应为 JSON：请发送 Content-Type: application/json",
                "The body must be JSON: send Content-Type: application/json",
            ));
        }
        parse_json(&bytes).map(OptionalJsonBody)
    }
}

/// A query string of type `T`, whose mistakes name the parameter.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<QueryParams<T>, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(QueryParams)
            .map_err(|error| {
                let path = error.path().to_string();
                let field = if path.is_empty() || path == "." {
                    "(query)".to_string()
                } else {
                    path
                };
                let inner = error.into_inner();
                Problem::invalid(
                    &field,
                    format!("查询参数有误（{field}）：{inner}"),
                    format!("The query parameter {field} is wrong: {inner}"),
                )
            })
    }
}

/// The command id a write is carried out under: from `Idempotency-Key`, scoped to the caller and
/// the route ([`scoped_command_id`]), so that a retried request is answered with the first
/// answer and nobody else's key can name the same command; a fresh id without the header.
pub fn command_id(
    headers: &HeaderMap,
    principal: &Principal,
    route: WriteRoute,
) -> Result<Uuid, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(Uuid::new_v4());
    };
    let key = value
        .to_str()
        .ok()
        .map(|key| key.trim().trim_matches('"'))
        .filter(|key| !key.is_empty() && key.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS)
        .ok_or_else(|| {
            Problem::invalid(
                "Idempotency-Key",
                format!("Idempotency-Key 应为 1 至 {MAX_IDEMPOTENCY_KEY_CHARS} 个可见 ASCII 字符"),
                format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"
                ),
            )
        })?;
    Ok(scoped_command_id(principal, route, key))
}

/// Whether the request names an `Idempotency-Key`.
pub fn has_idempotency_key(headers: &HeaderMap) -> bool {
    headers.contains_key("idempotency-key")
}

/// The sequence `If-Match` expects (`"12"`, `12` or `W/"12"`), if the header is there.
pub fn expected_sequence(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|text| text.trim())
        .map(|text| text.strip_prefix("W/").unwrap_or(text).trim_matches('"'))
        .and_then(|text| text.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::invalid(
                "If-Match",
                "If-Match 应为项目的序号，例如 \"12\"",
                "If-Match must be the project's sequence, such as \"12\"",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        en: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: Inner,
        count: u32,
    }

    fn field_of(problem: &Problem) -> String {
        problem.extensions["field"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn json_mistakes_name_their_field() {
        let error = parse_json::<Outer>(br#"{"title": {"en": 5}, "count": 1}"#).err();
        assert_eq!(error.as_ref().map(field_of).as_deref(), Some("title.en"));
        let error = parse_json::<Outer>(br#"{"title": {"en": "x"}, "count": 1, "extra": 1}"#).err();
        assert_eq!(error.as_ref().map(field_of).as_deref(), Some("extra"));
        let error = parse_json::<Outer>(br#"{"title": "#).err();
        assert!(error.is_some());
        assert!(parse_json::<Outer>(br#"{"title": {"en": "x"}, "count": 1}"#).is_ok());
        assert!(parse_json::<Outer>(br#"{"title": {"en": "x"}, "count": 1} 7"#).is_err());
    }

    #[test]
    fn idempotency_keys_and_if_match_are_read_strictly() {
        let principal = Principal {
            token_id: Uuid::nil(),
            subject: "secretariat-tc1".to_string(),
            role: specflow_store::auth::Role::Secretariat,
            committee: Some("TC1".to_string()),
            project_id: None,
        };
        let route = WriteRoute::Command;
        let mut headers = HeaderMap::new();
        headers.insert(
            "idempotency-key",
            HeaderValue::from_static("00000000-0000-0000-0000-000000000007"),
        );
        let from_uuid = command_id(&headers, &principal, route).ok();
        assert_eq!(from_uuid, command_id(&headers, &principal, route).ok());
        assert_ne!(
            from_uuid,
            Some(Uuid::from_u128(7)),
            "a UUID key is scoped too"
        );
        headers.insert("idempotency-key", HeaderValue::from_static("order-17"));
        let derived = command_id(&headers, &principal, route).ok();
        assert_eq!(derived, command_id(&headers, &principal, route).ok());
        assert_ne!(derived, from_uuid);
        headers.insert("idempotency-key", HeaderValue::from_static(""));
        assert!(command_id(&headers, &principal, route).is_err());
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"12\""));
        assert_eq!(expected_sequence(&headers).ok(), Some(Some(12)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"3\""));
        assert_eq!(expected_sequence(&headers).ok(), Some(Some(3)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert!(expected_sequence(&headers).is_err());
    }
}
