//! The group robots of WeCom, DingTalk and Feishu (issue 20): each notification as Markdown in
//! the robot's own message format, signed as its vendor documents, its JSON answer read for the
//! vendor's error code, and its rate limit kept by batching (docs/notifications.md cites each
//! vendor's documentation).
//!
//! - WeCom (企业微信群机器人): `POST` the webhook URL (its `key` is the credential) with
//!   `{"msgtype":"markdown","markdown":{"content":…}}`; success is `{"errcode":0,…}`; at most 20
//!   messages a minute per robot; content at most 4,096 bytes.
//! - DingTalk (钉钉自定义机器人): `POST` the webhook URL with `&timestamp=` (milliseconds) and
//!   `&sign=` when the robot is signed: the standard Base64 of HMAC-SHA256 keyed by the `SEC…`
//!   secret over `timestamp + "\n" + secret`, URL-encoded; the body is
//!   `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`; success is `{"errcode":0,…}`; at
//!   most 20 messages a minute per robot.
//! - Feishu (飞书自定义机器人): `POST` the webhook URL with `{"msg_type":"post",…}` and, when
//!   signed, `"timestamp"` (seconds, as a string) and `"sign"`: the standard Base64 of
//!   HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an empty message; success is
//!   `{"code":0,…}`; at most 100 messages a minute per robot.
//!
//! Notifications due for one robot in a round go as one message, up to [`MAX_BATCH`]; a robot that
//! has sent its minute's messages gets no more until the minute has passed: its notifications wait,
//! the attempt not counted.

use super::email::compose;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use specflow_engine::Language;
use specflow_store::outbox::ChannelKind;

/// The most notifications one robot message carries.
pub const MAX_BATCH: usize = 10;

/// WeCom's largest Markdown content, in bytes.
const WECOM_MAX_BYTES: usize = 4096;

/// How many messages a robot of `kind` takes in a minute, as its vendor documents.
pub fn messages_per_minute(kind: ChannelKind) -> usize {
    match kind {
        ChannelKind::Feishu => 100,
        _ => 20,
    }
}

/// DingTalk's signature of `timestamp_millis` with `secret`, before URL encoding.
pub fn dingtalk_signature(secret: &str, timestamp_millis: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_hmac());
    mac.update(format!("{timestamp_millis}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Feishu's signature of `timestamp_seconds` with `secret`.
pub fn feishu_signature(secret: &str, timestamp_seconds: i64) -> String {
    let mac = Hmac::<Sha256>::new_from_slice(format!("{timestamp_seconds}\n{secret}").as_bytes())
        .unwrap_or_else(|_| unreachable_hmac());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// HMAC takes a key of any length: this is never reached.
fn unreachable_hmac() -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(&[0]) {
        Ok(mac) => mac,
        Err(_) => std::process::abort(),
    }
}

/// One notification as a Markdown section: what happened as a heading, what next, the facts and
/// the link.
fn markdown_section(
    body: &str,
    language: Language,
    public_url: Option<&str>,
) -> Result<(String, String), String> {
    let letter = compose(body, language, public_url)?;
    let mut lines = letter.text.lines();
    let what_happened = lines.next().unwrap_or_default().to_string();
    let mut markdown = format!("### {}\n", letter.subject);
    for line in letter.text.lines().skip(1) {
        if line.is_empty() || line == "-- " {
            continue;
        }
        markdown.push_str(&format!("> {line}\n"));
    }
    Ok((what_happened, markdown))
}

/// The request to send `bodies` (notifications' JSON, one message) to a robot: the URL to post
/// to and the JSON, at `now_millis`.
pub fn robot_request(
    kind: ChannelKind,
    url: &str,
    secret: &str,
    bodies: &[&str],
    language: Language,
    public_url: Option<&str>,
    now_millis: i64,
) -> Result<(String, Value), String> {
    let mut sections = Vec::with_capacity(bodies.len());
    let mut title = String::new();
    for body in bodies {
        let (what_happened, section) = markdown_section(body, language, public_url)?;
        if title.is_empty() {
            title = what_happened;
        }
        sections.push(section);
    }
    if bodies.len() > 1 {
        title = format!(
            "{}{}",
            language.pick("specflow 通知 ", "specflow: "),
            language.pick(
                &format!("{} 条", bodies.len()),
                &format!("{} notifications", bodies.len())
            )
        );
    }
    let text = sections.join("\n---\n");
    match kind {
        ChannelKind::Wecom => {
            let mut content = text;
            if content.len() > WECOM_MAX_BYTES {
                // Cut on a character boundary, saying so: the pages hold the rest.
                let mut end = WECOM_MAX_BYTES - 64;
                while !content.is_char_boundary(end) {
                    end -= 1;
                }
                content.truncate(end);
                content.push_str(language.pick(
                    "\n……（过长，请在页面查看）",
                    "\n… (too long: see the pages)",
                ));
            }
            Ok((
                url.to_string(),
                json!({"msgtype": "markdown", "markdown": {"content": content}}),
            ))
        }
        ChannelKind::Dingtalk => {
            let url = if secret.is_empty() {
                url.to_string()
            } else {
                let sign = dingtalk_signature(secret, now_millis);
                let encoded: String = form_urlencoded::byte_serialize(sign.as_bytes()).collect();
                let joiner = if url.contains('?') { '&' } else { '?' };
                format!("{url}{joiner}timestamp={now_millis}&sign={encoded}")
            };
            Ok((
                url,
                json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}}),
            ))
        }
        ChannelKind::Feishu => {
            let paragraphs: Vec<Value> = text
                .lines()
                .filter(|line| !line.is_empty())
                .map(|line| json!([{"tag": "text", "text": line.trim_start_matches("### ").trim_start_matches("> ")}]))
                .collect();
            let locale = language.pick("zh_cn", "en_us");
            let mut body = json!({
                "msg_type": "post",
                "content": {"post": {locale: {"title": title, "content": paragraphs}}},
            });
            if !secret.is_empty() {
                let seconds = now_millis.div_euclid(1000);
                body["timestamp"] = json!(seconds.to_string());
                body["sign"] = json!(feishu_signature(secret, seconds));
            }
            Ok((url.to_string(), body))
        }
        ChannelKind::Webhook | ChannelKind::Email => {
            Err(format!("a {kind} channel is not a robot"))
        }
    }
}

/// Whether a robot accepted a message: a 2xx answer whose JSON says so (`errcode` 0 for WeCom
/// and DingTalk, `code` 0 for Feishu). The vendors answer most errors with 200 and a code.
pub fn robot_accepted(kind: ChannelKind, status: u16, answer: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {}", super::shorten(answer)));
    }
    let parsed: Value = serde_json::from_str(answer)
        .map_err(|_| format!("the robot's answer is not JSON: {}", super::shorten(answer)))?;
    let (code, message) = match kind {
        ChannelKind::Feishu => (
            parsed.get("code").or_else(|| parsed.get("StatusCode")),
            parsed.get("msg").or_else(|| parsed.get("StatusMessage")),
        ),
        _ => (parsed.get("errcode"), parsed.get("errmsg")),
    };
    match code.and_then(Value::as_i64) {
        Some(0) => Ok(()),
        Some(code) => Err(format!(
            "the robot refused the message: code {code}, {}",
            message.and_then(Value::as_str).unwrap_or_default()
        )),
        None => Err(format!(
            "the robot's answer has no result code: {}",
            super::shorten(answer)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendors' own sample code (their documentation's Python), run on fixed inputs: an
    /// independent implementation to check the signatures against.
    fn python_signature(script: &str) -> Option<String> {
        let output = std::process::Command::new("python3")
            .args(["-c", script])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    #[test]
    fn dingtalk_signs_as_its_documentation_s_python_does() {
        let script = "import hmac, hashlib, base64\ntimestamp = '1577262236757'\nsecret = 'SEC1f5e3c4d'\nstring_to_sign = '{}\\n{}'.format(timestamp, secret)\nhmac_code = hmac.new(secret.encode('utf-8'), string_to_sign.encode('utf-8'), digestmod=hashlib.sha256).digest()\nprint(base64.b64encode(hmac_code).decode())";
        let Some(expected) = python_signature(script) else {
            panic!("python3 is needed to check the signature against the vendor's sample");
        };
        assert_eq!(
            dingtalk_signature("SEC1f5e3c4d", 1_577_262_236_757),
            expected
        );
    }

    #[test]
    fn feishu_signs_as_its_documentation_s_python_does() {
        let script = "import hmac, base64\nfrom hashlib import sha256\ntimestamp = '1599360473'\nsecret = 'demo-secret'\nkey = f'{timestamp}\\n{secret}'\nhmac_code = hmac.new(key.encode('utf-8'), ''.encode('utf-8'), digestmod=sha256).digest()\nprint(base64.b64encode(hmac_code).decode('utf-8'))";
        let Some(expected) = python_signature(script) else {
            panic!("python3 is needed to check the signature against the vendor's sample");
        };
        assert_eq!(feishu_signature("demo-secret", 1_599_360_473), expected);
    }

    #[test]
    fn an_error_code_in_a_200_answer_is_a_failure() {
        assert!(
            robot_accepted(ChannelKind::Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok()
        );
        let refused = robot_accepted(
            ChannelKind::Dingtalk,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
        );
        assert!(
            matches!(&refused, Err(message) if message.contains("310000")),
            "{refused:?}"
        );
        assert!(
            robot_accepted(
                ChannelKind::Feishu,
                200,
                r#"{"code":19021,"msg":"sign match fail"}"#
            )
            .is_err()
        );
        assert!(robot_accepted(ChannelKind::Feishu, 200, r#"{"code":0,"msg":"success"}"#).is_ok());
        assert!(robot_accepted(ChannelKind::Wecom, 200, "not json").is_err());
        assert!(robot_accepted(ChannelKind::Wecom, 502, "").is_err());
    }
}
