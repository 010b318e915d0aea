//! The e-mail a person gets for themselves besides notifications (issue 20): the message that
//! proves their address, and the daily digest.
//!
//! Both are rows of the outbox like any notification, so they are retried and dead-lettered the
//! same way. A digest's contents are worked out when it is written (by the web crate's
//! `app::digest`, which reads the person's to-do list) and kept as a [`DigestBody`]; this module
//! only lays them out, linking under the deliverer's public address.

use super::email::Letter;
use serde_json::Value;
use specflow_engine::Language;
use specflow_engine::report::escape_html;
use specflow_store::personal_email::{DigestBody, DigestSection};

/// The message that proves an address: a link to `/email/verify/{secret}` under `public_url`,
/// or the path alone when the server was given no public address.
pub(crate) fn verification_letter(notification: &Value, public_url: Option<&str>) -> Letter {
    let language = match notification.get("language").and_then(Value::as_str) {
        Some("en") => Language::En,
        _ => Language::Zh,
    };
    let text_of = |key: &str| {
        notification
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let path = format!("/email/verify/{}", text_of("secret"));
    let link = match public_url {
        Some(base) => format!("{base}{path}"),
        None => path,
    };
    let account = text_of("account");
    let subject = language
        .pick(
            "specflow：请确认你的邮箱地址",
            "specflow: confirm your e-mail address",
        )
        .to_string();
    let opening = match language {
        Language::Zh => format!(
            "specflow 账户 {account} 把这个地址设为接收通知的邮箱。打开下面的链接并确认，即可开始接收。"
        ),
        Language::En => format!(
            "The specflow account {account} set this address to receive its notifications. Open the link below and confirm to start receiving them."
        ),
    };
    let ignore = language.pick(
        "如果这不是你设置的，请忽略本邮件：不确认就不会寄出任何通知。",
        "If you did not set it, ignore this message: nothing is sent here until it is confirmed.",
    );
    let text = format!("{opening}\n\n{link}\n\n{ignore}\n");
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body><p>{}</p><p><a href=\"{}\">{}</a></p><p style=\"color:#5b6670\">{}</p></body></html>",
        language.pick("zh-CN", "en"),
        escape_html(&opening),
        escape_html(&link),
        escape_html(&link),
        escape_html(ignore)
    );
    Letter {
        subject,
        text,
        html,
    }
}

/// The message of a daily digest.
pub(crate) fn digest_letter(body: &str, public_url: Option<&str>) -> Result<Letter, String> {
    let digest: DigestBody = serde_json::from_str(body)
        .map_err(|error| format!("the digest is not one specflow wrote: {error}"))?;
    let language = digest.language;
    let count: usize = digest
        .sections
        .iter()
        .map(|section| section.items.len())
        .sum();
    let subject = match language {
        Language::Zh => format!("specflow 每日摘要 {}：{count} 项", digest.date),
        Language::En => format!(
            "specflow daily digest {}: {count} {}",
            digest.date,
            if count == 1 { "item" } else { "items" }
        ),
    };
    let mut text = String::new();
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body><h1 style=\"font-size:1.2em\">{}</h1>",
        language.pick("zh-CN", "en"),
        escape_html(&subject)
    );
    if digest.sections.is_empty() {
        let nothing = language.pick("今天没有等你处理的事项。", "Nothing waits for you today.");
        text.push_str(nothing);
        text.push('\n');
        html.push_str(&format!("<p>{}</p>", escape_html(nothing)));
    }
    for section in &digest.sections {
        write_section(section, public_url, &mut text, &mut html);
    }
    if digest.truncated {
        let more = language.pick(
            "你的项目多于一份摘要所能列出的；完整列表见待办页面。",
            "You have more projects than one digest lists; the to-do page has them all.",
        );
        text.push_str(&format!("\n{more}\n"));
        html.push_str(&format!("<p>{}</p>", escape_html(more)));
    }
    if let Some(base) = public_url {
        let todo = format!("{base}/todo");
        let label = language.pick("打开待办页面", "Open the to-do page");
        text.push_str(&format!("\n{label}: {todo}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(&todo),
            escape_html(label)
        ));
    }
    let footer = match language {
        Language::Zh => "你在 specflow 的“邮件通知”页面订阅了每日摘要，也可以在那里退订。",
        Language::En => {
            "You asked for this digest on specflow's e-mail page, where you can also stop it."
        }
    };
    text.push_str(&format!("\n-- \n{footer}\n"));
    html.push_str(&format!(
        "<p style=\"color:#5b6670\">{}</p></body></html>",
        escape_html(footer)
    ));
    Ok(Letter {
        subject,
        text,
        html,
    })
}

fn write_section(
    section: &DigestSection,
    public_url: Option<&str>,
    text: &mut String,
    html: &mut String,
) {
    text.push_str(&format!("\n{}\n", section.title));
    html.push_str(&format!(
        "<h2 style=\"font-size:1.05em\">{}</h2><ul>",
        escape_html(&section.title)
    ));
    for item in &section.items {
        let link = match (public_url, &item.path) {
            (Some(base), Some(path)) => Some(format!("{base}{path}")),
            _ => None,
        };
        match &link {
            Some(link) => {
                text.push_str(&format!("- {} <{link}>\n", item.text));
                html.push_str(&format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape_html(link),
                    escape_html(&item.text)
                ));
            }
            None => {
                text.push_str(&format!("- {}\n", item.text));
                html.push_str(&format!("<li>{}</li>", escape_html(&item.text)));
            }
        }
    }
    html.push_str("</ul>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use specflow_store::personal_email::DigestItem;

    #[test]
    fn the_verification_message_links_to_the_confirmation_page() {
        let notification = serde_json::json!({
            "event_type": "email_verification",
            "account": "li.na",
            "address": "li.na@example.org",
            "secret": "sfv_ab",
            "language": "en",
        });
        let letter = verification_letter(&notification, Some("https://specflow.example.org"));
        assert!(
            letter
                .text
                .contains("https://specflow.example.org/email/verify/sfv_ab"),
            "{}",
            letter.text
        );
        assert!(letter.subject.contains("confirm"), "{}", letter.subject);
        let chinese = verification_letter(
            &serde_json::json!({"secret": "sfv_ab", "account": "li.na", "language": "zh"}),
            None,
        );
        assert!(chinese.text.contains("/email/verify/sfv_ab"));
        assert!(chinese.subject.contains("确认"));
    }

    #[test]
    fn a_digest_lists_its_sections_with_links_and_counts_its_items() {
        let digest = DigestBody {
            notification_id: "digest.x.2026-12-07".to_string(),
            event_type: "daily_digest".to_string(),
            account: "li.na".to_string(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
            language: Language::Zh,
            sections: vec![DigestSection {
                title: "已逾期".to_string(),
                items: vec![DigestItem {
                    text: "JJF(沪)-2026-001 起草期限 <逾期 3 天>".to_string(),
                    path: Some("/projects/5bec".to_string()),
                }],
            }],
            truncated: false,
        };
        let body = serde_json::to_string(&digest).unwrap_or_default();
        let letter = match digest_letter(&body, Some("https://specflow.example.org")) {
            Ok(letter) => letter,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(letter.subject, "specflow 每日摘要 2026-12-07：1 项");
        assert!(
            letter
                .text
                .contains("https://specflow.example.org/projects/5bec")
        );
        assert!(letter.html.contains("&lt;逾期 3 天&gt;"), "{}", letter.html);
        assert!(digest_letter("{}", None).is_err());
    }
}
