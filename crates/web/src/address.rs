//! The request's address checked before routing: its path and query decoded once, so that invalid
//! UTF-8, a control character or an overlong segment or parameter is a 400 problem naming it, on
//! both faces and both backends alike, and an overlong address a 414 problem.
//!
//! Without this, a NUL in a project code in the path reached PostgreSQL, which refuses it (503),
//! while SQLite looked it up; invalid UTF-8 and a long address were answered with empty bodies.
//! It also turns the bare errors that layers and axum answer without a body (a wrong method under
//! the pages, a handler past its time) into problem documents, so that no error has an empty body.

use crate::app::REQUEST_ID;
use crate::app::problem::{Problem, ProblemKind, language_of};
use crate::app::text_fields::check_text;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use percent_encoding::percent_decode_str;

/// The longest path and query specflow reads, in bytes as sent: its own addresses are far
/// shorter, and hyper refuses much longer ones with an empty 414 of its own.
pub const MAX_ADDRESS_BYTES: usize = 8 * 1024;

/// The most characters of one path segment once decoded (a project's code or id, a digest).
pub const MAX_PATH_SEGMENT_CHARS: usize = 200;

/// Refuses an address specflow cannot read, before any route sees it.
pub async fn refuse_unreadable_addresses(request: Request, next: Next) -> Response {
    match check_address(&request) {
        Ok(()) => next.run(request).await,
        Err(problem) => in_reader_language(&problem, request.headers()),
    }
}

/// The problem rendered in the request's language with its id, as `render_problems` would: these
/// layers stand outside the API's and the pages' own.
fn in_reader_language(problem: &Problem, headers: &axum::http::HeaderMap) -> Response {
    let request_id = headers
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok());
    problem.response_in(language_of(headers), request_id)
}

fn check_address(request: &Request) -> Result<(), Problem> {
    let uri = request.uri();
    let length = uri.path().len() + uri.query().map_or(0, |query| query.len() + 1);
    if length > MAX_ADDRESS_BYTES {
        return Err(Problem::new(
            ProblemKind::UriTooLong,
            format!("请求地址长 {length} 字节，超过上限 {MAX_ADDRESS_BYTES} 字节"),
            format!("The address is {length} bytes long, more than the {MAX_ADDRESS_BYTES} bytes accepted"),
        )
        .with("max_length", MAX_ADDRESS_BYTES));
    }
    for segment in uri.path().split('/').filter(|segment| !segment.is_empty()) {
        let decoded = decoded("path", segment)?;
        check_segment(&decoded)?;
    }
    if let Some(query) = uri.query() {
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decoded("(query)", &name.replace('+', " "))?;
            check_text("(query)", "key", &name)?;
            let value = decoded(&name, &value.replace('+', " "))?;
            check_text(&name, &name, &value)?;
        }
    }
    Ok(())
}

/// A percent-decoded part of the address, or a problem naming `field` when it is not UTF-8.
fn decoded(field: &str, raw: &str) -> Result<String, Problem> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| {
            Problem::invalid(
                field,
                format!("{field} 不是有效的 UTF-8 文字"),
                format!("{field} is not valid UTF-8 text"),
            )
        })
}

/// A path segment: one line, no control character, within [`MAX_PATH_SEGMENT_CHARS`].
fn check_segment(segment: &str) -> Result<(), Problem> {
    if let Some(control) = segment.chars().find(|character| character.is_control()) {
        let code_point = format!("U+{:04X}", u32::from(control));
        return Err(Problem::invalid(
            "path",
            format!("路径含有控制字符 {code_point}，不能接受"),
            format!("The path holds the control character {code_point}, which is not accepted"),
        ));
    }
    let length = segment.chars().count();
    if length > MAX_PATH_SEGMENT_CHARS {
        return Err(Problem::invalid(
            "path",
            format!("路径的一段最多 {MAX_PATH_SEGMENT_CHARS} 个字符，收到 {length} 个"),
            format!(
                "A path segment takes at most {MAX_PATH_SEGMENT_CHARS} characters; one has {length}"
            ),
        )
        .with("max_length", MAX_PATH_SEGMENT_CHARS));
    }
    Ok(())
}

/// Turns an error answered without a problem document (a layer's empty 503, axum's 405 under the
/// pages, an extractor's plain-text rejection, `/readyz`'s plain 503) into one of its status, in
/// the reader's language, keeping what the plain text said as part of the detail. HTML pages and
/// problem documents pass as they are.
pub async fn render_bare_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bare = content_type.is_empty() || content_type.starts_with("text/plain");
    if !(status.is_client_error() || status.is_server_error()) || !bare {
        return response;
    }
    let (parts, body) = response.into_parts();
    // A plain error's words are a line or two; anything longer is cut, not buffered.
    let said = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let problem = match status {
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            ProblemKind::MethodNotAllowed,
            format!("路径 {path} 不支持 {method} 方法"),
            format!("{path} does not accept {method}"),
        ),
        // The request timeout answers with an empty body; `/readyz` says why it is not ready.
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT if said.is_empty() => {
            Problem::new(
                ProblemKind::Unavailable,
                "请求未能在时限内完成，请稍后再试",
                "The request did not finish in time; try again later",
            )
        }
        _ if said.is_empty() => Problem::bare(status),
        _ => Problem::new(
            ProblemKind::of_status(status),
            format!("请求失败（HTTP {}）：{said}", status.as_u16()),
            format!("The request failed (HTTP {}): {said}", status.as_u16()),
        ),
    };
    let mut rendered = in_reader_language(&problem, &headers);
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        rendered.headers_mut().insert(header::ALLOW, allow.clone());
    }
    rendered
}
