//! Errors as RFC 9457 problem documents: a stable `type`, a `title` and a `detail` in the
//! request's language, the `status`, and the request id as `instance`.
//!
//! Handlers and extractors return a [`Problem`] anywhere. It renders itself in Chinese (the
//! product's default) so that it is a complete answer on its own, and it also rides in the
//! response's extensions: [`render_problems`], the API's outermost layer, sees the request's
//! `Accept-Language` and id and renders it again in that language with its `instance`. That layer
//! also turns the bare errors axum answers by itself (no such route, wrong method) into problems,
//! so that every error of the API has the same shape.
//!
//! The titles and sentences here are the HTTP layer's own, not workflow rules, so they are data in
//! code; the engine's reasons (`unmet`) keep their codes, figures and both languages.

use crate::app::REQUEST_ID;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use specflow_engine::{Language, LocalizedText, Rejection, Unmet, human_size};
use specflow_store::auth::{Access, AuthError, Principal};
use specflow_store::error::StoreError;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How long a caller refused for too many uploads is asked to wait (`Retry-After`): long enough
/// for a running upload of a few megabytes to finish, short enough that a person barely waits.
pub const UPLOAD_RETRY_AFTER_SECONDS: u64 = 10;

/// Where the problem types live; each type is this and a stable slug.
pub const PROBLEM_TYPE_BASE: &str = "https://specflow.dev/problems/";

/// What went wrong, as a stable type with its status and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// No valid bearer token (401).
    Unauthenticated,
    /// The token may not do this (403).
    Forbidden,
    /// No such thing, or none the token may see (404).
    NotFound,
    /// The route exists but not with this method (405).
    MethodNotAllowed,
    /// Someone else wrote first, or the thing already exists (409).
    Conflict,
    /// The request is malformed or does not fit together (400).
    InvalidRequest,
    /// The engine refused the command: every unmet guard is listed (422).
    GuardRejected,
    /// The `Idempotency-Key` was already used by this caller on this route for a different
    /// request (another target, body or file): 422, as the IETF idempotency-key draft says.
    IdempotencyKeyReused,
    /// The body is larger than the route accepts (413).
    PayloadTooLarge,
    /// The body is not of the media type the route reads (415).
    UnsupportedMediaType,
    /// The address (path and query) is longer than specflow reads (414).
    UriTooLong,
    /// Too many requests of this kind are running: try again after `Retry-After` (429).
    TooManyRequests,
    /// The database cannot answer now (503).
    Unavailable,
    /// A fault of specflow's (500).
    Internal,
}

impl ProblemKind {
    /// The stable slug that ends the type URI.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::Unauthenticated => "unauthenticated",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::InvalidRequest => "invalid-request",
            ProblemKind::GuardRejected => "guard-rejected",
            ProblemKind::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::UriTooLong => "uri-too-long",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Unavailable => "unavailable",
            ProblemKind::Internal => "internal",
        }
    }

    /// The type URI.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_BASE}{}", self.slug())
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::InvalidRequest => StatusCode::BAD_REQUEST,
            ProblemKind::GuardRejected => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::UriTooLong => StatusCode::URI_TOO_LONG,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title: the same for every problem of the type.
    pub fn title(self) -> LocalizedText {
        let (zh, en) = match self {
            ProblemKind::Unauthenticated => ("未认证", "Not authenticated"),
            ProblemKind::Forbidden => ("无权操作", "Forbidden"),
            ProblemKind::NotFound => ("未找到", "Not found"),
            ProblemKind::MethodNotAllowed => ("不支持的请求方法", "Method not allowed"),
            ProblemKind::Conflict => ("冲突", "Conflict"),
            ProblemKind::InvalidRequest => ("请求无效", "Invalid request"),
            ProblemKind::GuardRejected => ("条件未满足", "Guards not met"),
            ProblemKind::IdempotencyKeyReused => (
                "幂等键已用于另一请求",
                "Idempotency key used for another request",
            ),
            ProblemKind::PayloadTooLarge => ("请求体过大", "Payload too large"),
            ProblemKind::UnsupportedMediaType => ("不支持的媒体类型", "Unsupported media type"),
            ProblemKind::UriTooLong => ("请求地址过长", "URI too long"),
            ProblemKind::TooManyRequests => ("请求过多", "Too many requests"),
            ProblemKind::Unavailable => ("服务暂不可用", "Service unavailable"),
            ProblemKind::Internal => ("内部错误", "Internal error"),
        };
        LocalizedText::new(zh, en)
    }

    /// The kind a bare status answered by axum itself stands for.
    pub fn of_status(status: StatusCode) -> ProblemKind {
        match status {
            StatusCode::UNAUTHORIZED => ProblemKind::Unauthenticated,
            StatusCode::FORBIDDEN => ProblemKind::Forbidden,
            StatusCode::NOT_FOUND => ProblemKind::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ProblemKind::MethodNotAllowed,
            StatusCode::CONFLICT => ProblemKind::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ProblemKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemKind::UnsupportedMediaType,
            StatusCode::URI_TOO_LONG => ProblemKind::UriTooLong,
            StatusCode::UNPROCESSABLE_ENTITY => ProblemKind::GuardRejected,
            StatusCode::TOO_MANY_REQUESTS => ProblemKind::TooManyRequests,
            StatusCode::SERVICE_UNAVAILABLE => ProblemKind::Unavailable,
            status if status.is_client_error() => ProblemKind::InvalidRequest,
            _ => ProblemKind::Internal,
        }
    }
}

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The type.
    pub kind: ProblemKind,
    /// What happened this time, in both languages.
    pub detail: LocalizedText,
    /// The engine's reasons, for a refused command.
    pub unmet: Vec<Unmet>,
    /// Members added as they are (`current_sequence`, `field`…).
    pub extensions: Map<String, Value>,
}

impl Problem {
    /// A problem of `kind` with a detail in both languages.
    pub fn new(kind: ProblemKind, zh: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem {
            kind,
            detail: LocalizedText::new(zh, en),
            unmet: Vec::new(),
            extensions: Map::new(),
        }
    }

    /// Adds an extension member.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Problem {
        self.extensions.insert(name.to_string(), value.into());
        self
    }

    /// A request body or parameter that is not what the route reads; `field` names where.
    pub fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::InvalidRequest, zh, en).with("field", field)
    }

    /// The answer for a project that does not exist, and for one the caller may not see: the
    /// same words, so that a hidden project cannot be told from a missing one.
    pub fn project_not_found(id_or_code: &str) -> Problem {
        Problem::new(
            ProblemKind::NotFound,
            format!("项目「{id_or_code}」不存在"),
            format!("There is no project {id_or_code}"),
        )
    }

    /// The answer for a committee that does not exist, and for one the caller may not see.
    pub fn committee_not_found(id_or_code: &str) -> Problem {
        Problem::new(
            ProblemKind::NotFound,
            format!("技术委员会「{id_or_code}」不存在"),
            format!("There is no committee {id_or_code}"),
        )
    }

    /// The engine's refusal of a command: 422 with every unmet guard, or 403 when one of the
    /// reasons is that the caller's role may not do it at all (the definition's roles decide).
    pub fn rejected(rejection: &Rejection) -> Problem {
        let role_refused = rejection
            .reasons
            .iter()
            .any(|reason| reason.code == "role_not_permitted");
        let count = rejection.reasons.len();
        let mut problem = if role_refused {
            Problem::new(
                ProblemKind::Forbidden,
                format!(
                    "工作流定义不允许此角色执行该操作；共 {count} 项原因：{}",
                    rejection.explain(Language::Zh).replace('\n', "；")
                ),
                format!(
                    "The workflow definition does not let this role do that; {count} reason(s): {}",
                    rejection.explain(Language::En).replace('\n', "; ")
                ),
            )
        } else {
            Problem::new(
                ProblemKind::GuardRejected,
                format!(
                    "命令被拒绝，{count} 项条件未满足：{}",
                    rejection.explain(Language::Zh).replace('\n', "；")
                ),
                format!(
                    "The command was refused, {count} condition(s) not met: {}",
                    rejection.explain(Language::En).replace('\n', "; ")
                ),
            )
        };
        problem.unmet = rejection.reasons.clone();
        problem
    }

    /// The document in `language`, with the request id as `instance`.
    pub fn body(&self, language: Language, request_id: Option<&str>) -> Value {
        let mut body = Map::new();
        body.insert("type".to_string(), json!(self.kind.type_uri()));
        body.insert("title".to_string(), json!(self.kind.title().get(language)));
        body.insert("status".to_string(), json!(self.kind.status().as_u16()));
        body.insert("detail".to_string(), json!(self.detail.get(language)));
        if let Some(request_id) = request_id {
            body.insert("instance".to_string(), json!(request_id));
        }
        if !self.unmet.is_empty() {
            let unmet: Vec<Value> = self
                .unmet
                .iter()
                .map(|reason| {
                    json!({
                        "code": reason.code,
                        "guard": reason.guard,
                        "figures": reason.figures,
                        "message": reason.message.get(language),
                    })
                })
                .collect();
            body.insert("unmet".to_string(), Value::Array(unmet));
        }
        for (name, value) in &self.extensions {
            body.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }

    /// The problem of a status answered without words of its own.
    pub fn bare(status: StatusCode) -> Problem {
        Problem::new(
            ProblemKind::of_status(status),
            format!("请求失败（HTTP {}）", status.as_u16()),
            format!("The request failed (HTTP {})", status.as_u16()),
        )
    }

    /// The response in `language`, with the request id as `instance`: for layers outside
    /// [`render_problems`], which know the request.
    pub fn response_in(&self, language: Language, request_id: Option<&str>) -> Response {
        let body = self.body(language, request_id);
        let mut response = (
            self.kind.status(),
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body.to_string(),
        )
            .into_response();
        if self.kind == ProblemKind::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"specflow\""),
            );
        }
        if let Some(Value::Number(seconds)) = self.extensions.get("retry_after_seconds")
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Some(Value::Number(current)) = self.extensions.get("current_sequence")
            && let Ok(value) = HeaderValue::from_str(&format!("\"{current}\""))
        {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    }
}

/// The problem travels in the response so that [`render_problems`] can render it again in the
/// request's language.
#[derive(Debug, Clone)]
struct Rendered(Problem);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = self.response_in(Language::default(), None);
        response.extensions_mut().insert(Rendered(self));
        response
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        match &error {
            StoreError::ProjectNotFound(project) => Problem::project_not_found(project),
            StoreError::Conflict {
                project_id,
                expected,
                current,
            } => Problem::new(
                ProblemKind::Conflict,
                format!(
                    "项目 {project_id} 已被他人修改：请求基于序号 {expected}，当前序号为 {current}；请重新读取后再试"
                ),
                format!(
                    "Project {project_id} changed meanwhile: the request expected sequence {expected}, the project is at {current}; read it again and retry"
                ),
            )
            .with("current_sequence", *current)
            .with("expected_sequence", *expected),
            StoreError::InvalidRequest(reason) => Problem::new(
                ProblemKind::InvalidRequest,
                format!("请求无效：{reason}"),
                format!("Invalid request: {reason}"),
            ),
            StoreError::DefinitionNotFound { id, version } => Problem::invalid(
                "definition_version",
                format!("工作流定义 {id} 版本 {version} 未注册"),
                format!("The workflow definition {id} version {version} is not registered"),
            ),
            StoreError::InvalidDefinition { .. } => Problem::new(
                ProblemKind::InvalidRequest,
                format!("工作流定义无效：{error}"),
                format!("The workflow definition is invalid: {error}"),
            ),
            StoreError::CodesTaken { codes } => Problem::new(
                ProblemKind::Conflict,
                format!("其他项目已使用编号 {}：编号只能对应一个项目", codes.join("、")),
                format!(
                    "Other projects already have the codes {}: a code names one project",
                    codes.join(", ")
                ),
            )
            .with("codes", codes.clone()),
            StoreError::CommandIdReused { command_id } => {
                tracing::warn!(%command_id, reason = "Idempotency-Key reused for a different request", status = 422, "refused");
                Problem::new(
                    ProblemKind::IdempotencyKeyReused,
                    "此 Idempotency-Key 已用于另一个请求（目标、内容或文件不同）：同一请求重发时才可使用同一键，新的请求请使用新的键",
                    "This Idempotency-Key was already used for a different request (another target, body or file): send the same key only with the same request, and a new key with a new one",
                )
            }
            StoreError::TooManyUploads { limit, per_caller } => {
                let (zh, en) = if *per_caller {
                    (
                        format!("您已有 {limit} 个上传正在进行：请等这些完成后再上传"),
                        format!("You already have {limit} uploads running: wait for them to finish and try again"),
                    )
                } else {
                    (
                        format!("服务器正在处理 {limit} 个上传，已达上限：请稍后再试"),
                        format!("The server is taking {limit} uploads, its limit: try again shortly"),
                    )
                };
                Problem::new(ProblemKind::TooManyRequests, zh, en)
                    .with("retry_after_seconds", UPLOAD_RETRY_AFTER_SECONDS)
            }
            StoreError::ArtifactTooLarge { size, limit } => {
                let (size_words, limit_words) = too_large_sizes(*size, *limit);
                Problem::new(
                    ProblemKind::PayloadTooLarge,
                    format!("文件大小为 {}，上限为 {}", size_words.zh, limit_words.zh),
                    format!("The file is {}; the limit is {}", size_words.en, limit_words.en),
                )
                .with("limit_bytes", *limit)
            }
            StoreError::Unavailable { .. }
            | StoreError::Spool { .. }
            | StoreError::Database { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::Migration { .. }
            | StoreError::UnsupportedUrl { .. }
            | StoreError::ShuttingDown => {
                // The cause names the database: it goes to the log, not to the caller.
                tracing::error!(%error, "the database could not answer a request");
                Problem::new(
                    ProblemKind::Unavailable,
                    "数据库暂时无法响应，请稍后重试",
                    "The database cannot answer now; try again later",
                )
            }
            StoreError::Corrupt(_)
            | StoreError::Randomness(_)
            | StoreError::LogKeyMismatch { .. }
            | StoreError::EventNotEncodable(_) => {
                tracing::error!(%error, "a request failed on specflow's side");
                Problem::new(
                    ProblemKind::Internal,
                    "服务内部错误，已记录日志（见请求编号）",
                    "specflow failed on its side; the log has the details under the request id",
                )
            }
        }
    }
}

/// A refused authorization, logged with the subject and the reason. A hidden project is answered
/// exactly as a missing one (`what` names what was asked for), a forbidden one with the reason.
pub fn refusal(principal: &Principal, access: Access, what: &str) -> Problem {
    match access {
        Access::Allowed => Problem::new(
            ProblemKind::Internal,
            "授权判断不一致",
            "The authorization check contradicted itself",
        ),
        Access::Hidden(reason) => {
            tracing::warn!(subject = %principal.subject, role = %principal.role, %reason, status = 404, "refused: hidden");
            Problem::project_not_found(what)
        }
        Access::Forbidden(reason) => {
            tracing::warn!(subject = %principal.subject, role = %principal.role, reason = %reason.en, status = 403, "refused: forbidden");
            Problem::new(
                ProblemKind::Forbidden,
                format!("此令牌无权执行该操作：{}", reason.zh),
                format!("This token may not do that: {}", reason.en),
            )
        }
    }
}

/// The reason to refuse creating something outside the caller's scope, where nothing exists yet
/// that could be hidden: `reason` is the scope check's own (English) words.
pub fn outside_scope(reason: &str) -> specflow_engine::LocalizedText {
    specflow_engine::LocalizedText::new(
        "要创建的技术委员会或项目不在此令牌的范围内".to_string(),
        reason.to_string(),
    )
}

/// Goes ahead when `access` allows, else answers the refusal (logged).
pub fn require(principal: &Principal, access: Access, what: &str) -> Result<(), Problem> {
    if access.is_allowed() {
        Ok(())
    } else {
        Err(refusal(principal, access, what))
    }
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Problem {
        let error = match error {
            // The token could not be checked: the database's problem, not the caller's.
            AuthError::Store(store) => return Problem::from(store),
            other => other,
        };
        let subject = error.subject().unwrap_or("-").to_string();
        let problem = match &error {
            AuthError::Store(_) => Problem::new(
                ProblemKind::Unavailable,
                "数据库暂时无法响应，请稍后重试",
                "The database cannot answer now; try again later",
            ),
            AuthError::Malformed => Problem::new(
                ProblemKind::Unauthenticated,
                "令牌格式不正确：应为 sft_ 加 64 位十六进制数字",
                "The bearer token is not a specflow token: expected sft_ and 64 hexadecimal digits",
            ),
            AuthError::Unknown => Problem::new(
                ProblemKind::Unauthenticated,
                "令牌无效",
                "The bearer token is unknown",
            ),
            AuthError::Revoked { revoked_at, .. } => Problem::new(
                ProblemKind::Unauthenticated,
                format!("令牌已于 {revoked_at} 吊销"),
                format!("The token was revoked at {revoked_at}"),
            ),
            AuthError::Expired { expired_at, .. } => Problem::new(
                ProblemKind::Unauthenticated,
                format!("令牌已于 {expired_at} 过期"),
                format!("The token expired at {expired_at}"),
            ),
        };
        tracing::warn!(%subject, reason = %error, status = 401, "refused: not authenticated");
        problem
    }
}

/// The language a request reads: the first tag of `Accept-Language`, by quality, that specflow
/// speaks (`en…` or `zh…`); Chinese when none is.
pub fn language_of(headers: &HeaderMap) -> Language {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Language::default();
    };
    let mut tags: Vec<(f32, usize, &str)> = value
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|quality| quality.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0 && !tag.is_empty()).then_some((quality, position, tag))
        })
        .collect();
    // Highest quality first; equal qualities keep the order the client wrote.
    tags.sort_by(|left, right| right.0.total_cmp(&left.0).then(left.1.cmp(&right.1)));
    tags.into_iter()
        .map(|(_, _, tag)| tag.to_ascii_lowercase())
        .find(|tag| tag.starts_with("en") || tag.starts_with("zh"))
        .map_or_else(Language::default, |tag| Language::from_tag(&tag))
}

/// Renders every error of the API as a problem document in the request's language, with the
/// request id as `instance`; bare errors axum answered itself (an unknown route, a wrong method,
/// an oversized body) become problems of their status.
pub async fn render_problems(request: Request, next: Next) -> Response {
    let language = language_of(request.headers());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let response = next.run(request).await;
    if let Some(Rendered(problem)) = response.extensions().get::<Rendered>().cloned() {
        let mut rendered = problem.response_in(language, request_id.as_deref());
        // Keep what the handler set besides the body (an `Allow`, a `Location`…).
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE
                && name != header::CONTENT_LENGTH
                && !rendered.headers().contains_key(name)
            {
                rendered.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return rendered;
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let kind = ProblemKind::of_status(status);
        let problem = match kind {
            ProblemKind::NotFound => Problem::new(
                kind,
                format!("没有路径 {path}"),
                format!("There is no route {path}"),
            ),
            ProblemKind::MethodNotAllowed => Problem::new(
                kind,
                format!("路径 {path} 不支持 {method} 方法"),
                format!("{path} does not accept {method}"),
            ),
            _ => Problem::new(
                kind,
                format!("请求失败（HTTP {}）", status.as_u16()),
                format!("The request failed (HTTP {})", status.as_u16()),
            ),
        };
        let mut rendered = problem.response_in(language, request_id.as_deref());
        if let Some(allow) = response.headers().get(header::ALLOW) {
            rendered.headers_mut().insert(header::ALLOW, allow.clone());
        }
        return rendered;
    }
    response
}

/// A file's size and the limit it passed, in human units, or in bytes when the units would show
/// them equal (a 1025-byte file against a limit of 1024 bytes: both "1.0 KB").
fn too_large_sizes(size: u64, limit: u64) -> (LocalizedText, LocalizedText) {
    let (size_shown, limit_shown) = (human_size(size), human_size(limit));
    if size_shown != limit_shown {
        return (
            LocalizedText::new(size_shown.clone(), size_shown),
            LocalizedText::new(limit_shown.clone(), limit_shown),
        );
    }
    let in_bytes =
        |bytes: u64| LocalizedText::new(format!("{bytes} 字节"), format!("{bytes} bytes"));
    (in_bytes(size), in_bytes(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept_language: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(accept_language) {
            headers.insert(header::ACCEPT_LANGUAGE, value);
        }
        headers
    }

    #[test]
    fn a_file_too_large_reads_in_human_units_or_in_bytes_when_they_would_look_equal() {
        let (size, limit) = too_large_sizes(3 * 1024 * 1024, 2 * 1024 * 1024);
        assert_eq!((size.zh.as_str(), limit.en.as_str()), ("3.0 MB", "2.0 MB"));
        let (size, limit) = too_large_sizes(1025, 1024);
        assert_eq!(
            (size.zh.as_str(), limit.en.as_str()),
            ("1025 字节", "1024 bytes")
        );
    }

    #[test]
    fn the_language_is_the_best_tag_specflow_speaks() {
        assert_eq!(language_of(&HeaderMap::new()), Language::Zh);
        assert_eq!(language_of(&headers("en-GB")), Language::En);
        assert_eq!(language_of(&headers("zh-CN,en;q=0.8")), Language::Zh);
        assert_eq!(language_of(&headers("zh;q=0.5, en;q=0.9")), Language::En);
        assert_eq!(language_of(&headers("fr, en;q=0.3")), Language::En);
        assert_eq!(language_of(&headers("fr, de")), Language::Zh);
        assert_eq!(language_of(&headers("en;q=0, zh")), Language::Zh);
    }

    #[test]
    fn a_rejection_lists_every_reason_and_a_role_refusal_is_forbidden() {
        let guard = Unmet::new(
            "time_in_stage_too_short",
            LocalizedText::new("太短", "too short"),
        )
        .with("days_elapsed", 3)
        .for_guard("minimum_days");
        let role = Unmet::new("role_not_permitted", LocalizedText::new("无权", "may not"));
        let problem = Problem::rejected(&Rejection {
            reasons: vec![guard.clone()],
        });
        assert_eq!(problem.kind, ProblemKind::GuardRejected);
        let body = problem.body(Language::En, Some("req-1"));
        assert_eq!(body["status"], 422);
        assert_eq!(body["type"], "https://specflow.dev/problems/guard-rejected");
        assert_eq!(body["instance"], "req-1");
        assert_eq!(body["unmet"][0]["code"], "time_in_stage_too_short");
        assert_eq!(body["unmet"][0]["figures"]["days_elapsed"], 3);
        assert_eq!(body["unmet"][0]["message"], "too short");
        let problem = Problem::rejected(&Rejection {
            reasons: vec![role, guard],
        });
        assert_eq!(problem.kind, ProblemKind::Forbidden);
        assert_eq!(
            problem.body(Language::Zh, None)["unmet"][1]["message"],
            "太短"
        );
    }

    #[test]
    fn store_errors_map_to_statuses_that_blame_the_right_side() {
        let status = |error: StoreError| Problem::from(error).kind.status().as_u16();
        assert_eq!(status(StoreError::ProjectNotFound("x".to_string())), 404);
        assert_eq!(status(StoreError::InvalidRequest("x".to_string())), 400);
        assert_eq!(
            status(StoreError::Conflict {
                project_id: uuid::Uuid::nil(),
                expected: 1,
                current: 2
            }),
            409
        );
        assert_eq!(
            status(StoreError::ArtifactTooLarge { size: 2, limit: 1 }),
            413
        );
        assert_eq!(
            status(StoreError::DefinitionNotFound {
                id: "x".to_string(),
                version: 9
            }),
            400
        );
        assert_eq!(
            status(StoreError::Database {
                database: "d".to_string(),
                reason: "gone".to_string(),
                source: None,
            }),
            503
        );
        assert_eq!(status(StoreError::ShuttingDown), 503);
        assert_eq!(status(StoreError::Corrupt("x".to_string())), 500);
        let conflict = Problem::from(StoreError::Conflict {
            project_id: uuid::Uuid::nil(),
            expected: 1,
            current: 2,
        });
        assert_eq!(conflict.body(Language::En, None)["current_sequence"], 2);
    }
}
