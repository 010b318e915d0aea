//! The limits every text a request carries must keep, whichever face it came through: no control
//! characters, and a most number of characters per field.
//!
//! PostgreSQL refuses a NUL character in text while SQLite stores it, so a NUL in a title was a 503
//! on one backend and a sealed record on the other; and with no length limit, a 1 MB title and a
//! 65,000-character file name were sealed into the log for ever. Both are refused here, with 400
//! naming the field, before anything reaches the engine or the database.
//!
//! A field's rule follows from its name ([`rule_for`]), the last name in its path, because the same
//! names (`code`, `title`, `reason`, `file_name`…) mean the same thing in every body, query and
//! command; the parts of a localized text (`title.zh`) are titles and names. The OpenAPI document
//! states the same limits as `maxLength` (`api::openapi` reads them from [`rule_for`]).

use crate::app::problem::Problem;
use serde_json::Value;

/// The most characters of a prose field (a comment's text, a reason).
pub const PROSE_MAX_CHARS: usize = 10_000;

/// The most characters of a one-line field this module does not name.
pub const LINE_MAX_CHARS: usize = 500;

/// What a text field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// The most characters (Unicode scalar values, as JSON Schema's `maxLength` counts them).
    pub max_chars: usize,
    /// Whether line breaks and tabs are allowed (prose); every other control character never is.
    pub prose: bool,
}

/// The rule of the field called `name`.
pub fn rule_for(name: &str) -> TextRule {
    let line = |max_chars| TextRule {
        max_chars,
        prose: false,
    };
    match name {
        // Prose: what people write in sentences, kept as they wrote it.
        "text" | "reason" | "comment" | "description" | "notes" => TextRule {
            max_chars: PROSE_MAX_CHARS,
            prose: true,
        },
        "code" => line(64),
        "sha256" | "minutes_sha256" => line(64),
        "file_name" => line(255),
        // A localized text's parts (`title.zh`) are titles and names.
        "title" | "name" | "stage_name" | "zh" | "en" => line(300),
        "organisation"
        | "organisations"
        | "drafting_unit"
        | "authority"
        | "committee"
        | "person"
        | "member"
        | "roll"
        | "present"
        | "drafting_unit_members"
        | "capacity"
        | "clause"
        | "specification_number" => line(200),
        _ if name.ends_with("_id") || name == "id" => line(128),
        _ => line(LINE_MAX_CHARS),
    }
}

/// Checks one text against the rule of the field called `name`; `field` is its whole path, which
/// the problem names.
pub fn check_text(field: &str, name: &str, text: &str) -> Result<(), Problem> {
    let rule = rule_for(name);
    if let Some(control) = text
        .chars()
        .find(|character| is_refused_control(*character, rule.prose))
    {
        let code_point = format!("U+{:04X}", u32::from(control));
        return Err(Problem::invalid(
            field,
            format!("字段 {field} 含有控制字符 {code_point}，不能接受"),
            format!(
                "The field {field} holds the control character {code_point}, which is not accepted"
            ),
        ));
    }
    let length = text.chars().count();
    if length > rule.max_chars {
        let limit = rule.max_chars;
        return Err(Problem::invalid(
            field,
            format!("字段 {field} 最多 {limit} 个字符，收到 {length} 个"),
            format!("The field {field} takes at most {limit} characters; it has {length}"),
        )
        .with("max_length", limit));
    }
    Ok(())
}

/// Whether `character` is a control character the field may not hold: every one (C0, DEL, C1) but
/// line breaks and tabs in prose.
fn is_refused_control(character: char, prose: bool) -> bool {
    character.is_control() && !(prose && matches!(character, '\n' | '\r' | '\t'))
}

/// Checks every string of a JSON value, object keys included, naming the first bad one by its
/// path (`title.en`, `votes[2].member`).
pub fn check_json(value: &Value) -> Result<(), Problem> {
    check_value(value, "", "")
}

/// Checks every text of a value as its JSON form names it: what the pages' forms and the comment
/// table make into commands is checked by the same rules as the API's bodies.
pub fn check_serialized<T: serde::Serialize>(value: &T) -> Result<(), Problem> {
    let json = serde_json::to_value(value).map_err(|error| {
        Problem::new(
            crate::app::problem::ProblemKind::Internal,
            format!("无法检查请求的文字：{error}"),
            format!("The request's texts could not be checked: {error}"),
        )
    })?;
    check_json(&json)
}

fn check_value(value: &Value, path: &str, name: &str) -> Result<(), Problem> {
    match value {
        Value::String(text) => check_text(display_path(path), name, text),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_value(item, &format!("{path}[{index}]"), name)),
        Value::Object(members) => members.iter().try_for_each(|(key, member)| {
            let member_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            // A key is named by its own path; a map's keys (deadline ids) are one-line names.
            check_text(&member_path, "key", key)?;
            check_value(member, &member_path, key)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(body)" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(result: Result<(), Problem>) -> Option<String> {
        result
            .err()
            .and_then(|problem| problem.extensions["field"].as_str().map(str::to_string))
    }

    #[test]
    fn control_characters_are_refused_but_prose_keeps_its_line_breaks() {
        assert_eq!(
            field_of(check_json(
                &json!({"title": {"zh": "标题", "en": "a\u{0}b"}})
            )),
            Some("title.en".to_string())
        );
        assert_eq!(
            field_of(check_json(
                &json!({"votes": [{"member": "a"}, {"member": "b\u{1b}"}]})
            )),
            Some("votes[1].member".to_string())
        );
        assert_eq!(
            field_of(check_json(&json!({"code": "JJF\n1"}))),
            Some("code".to_string())
        );
        assert_eq!(
            field_of(check_json(
                &json!({"due_dates": {"draft\u{7f}": "2026-01-01"}})
            )),
            Some("due_dates.draft\u{7f}".to_string())
        );
        assert_eq!(
            field_of(check_json(&json!({"reason": "no\u{85}"}))),
            Some("reason".to_string())
        );
        assert!(check_json(&json!({"text": "第一行\n第二行\r\n\t缩进", "reason": "a\tb"})).is_ok());
        assert_eq!(
            field_of(check_json(&json!({"text": "a\u{0}b"}))),
            Some("text".to_string())
        );
    }

    #[test]
    fn each_field_has_its_most_characters() {
        let long_code = "码".repeat(65);
        let problem = check_json(&json!({"code": long_code})).err();
        assert_eq!(
            problem
                .as_ref()
                .map(|problem| problem.extensions["max_length"].clone()),
            Some(json!(64))
        );
        assert!(check_json(&json!({"code": "码".repeat(64)})).is_ok());
        assert!(check_text("file_name", "file_name", &"a".repeat(255)).is_ok());
        assert!(check_text("file_name", "file_name", &"a".repeat(256)).is_err());
        assert!(check_json(&json!({"title": {"zh": "题".repeat(300)}})).is_ok());
        assert_eq!(
            field_of(check_json(&json!({"title": {"zh": "题".repeat(301)}}))),
            Some("title.zh".to_string())
        );
        assert!(check_json(&json!({"text": "字".repeat(PROSE_MAX_CHARS)})).is_ok());
        assert!(check_json(&json!({"text": "字".repeat(PROSE_MAX_CHARS + 1)})).is_err());
        assert!(check_json(&json!({"colour": "x".repeat(LINE_MAX_CHARS + 1)})).is_err());
    }
}
