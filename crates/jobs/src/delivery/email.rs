//! E-mail notifications (issue 20): an audience's e-mail channel gets each notification as a
//! multipart message (plain text and simple HTML) in the channel's language, sent through the
//! server's SMTP settings with `lettre`.
//!
//! The subject names the project's code and stage and what happened; the body says what happened,
//! what to do next and by when, and links to the project's page under the configured public
//! address. The message's `Message-ID` is made of the notification's id, the same on every
//! attempt, so a mail system or a person can drop a duplicate sent after a lost answer.
//!
//! The SMTP server is named by one URL, as `lettre` reads it: `smtps://user:pass@host:465`
//! (implicit TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS), or `smtp://host:25`
//! (no encryption, for a relay on the same machine).

use super::{DeliveryError, describe_error, letters, shorten};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;
use specflow_engine::Language;
use specflow_engine::report::escape_html;
use specflow_store::personal_email::{DIGEST_EVENT_TYPE, VERIFICATION_EVENT_TYPE};
use std::time::Duration;

/// Where e-mail goes out, and what it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// The SMTP server, as a URL (`smtps://…`, `smtp://…?tls=required`, `smtp://…`).
    pub smtp_url: String,
    /// The sender, such as `specflow <specflow@example.org>`.
    pub from: String,
    /// The address people reach the pages at (`https://specflow.example.org`), for links.
    pub public_url: Option<String>,
    /// A certificate authority (PEM) to trust for the SMTP server's certificate besides the
    /// system's: an organisation's own, as internal mail servers often have.
    pub ca_file: Option<std::path::PathBuf>,
}

/// An SMTP transport with the sender and the pages' address.
#[derive(Clone)]
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: Option<String>,
}

impl std::fmt::Debug for Mailer {
    /// The transport holds the SMTP password: never printed.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks the settings and builds the transport (no connection is made yet).
    pub(crate) fn new(settings: &EmailSettings) -> Result<Mailer, DeliveryError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|error| {
                DeliveryError::InvalidOptions(format!(
                    "the SMTP URL is not one specflow can use (smtps://user:password@host:465, smtp://user:password@host:587?tls=required or smtp://host:25): {}",
                    describe_error(&error)
                ))
            })?;
        if let Some(ca_file) = &settings.ca_file {
            builder = builder.tls(tls_trusting(&settings.smtp_url, ca_file)?);
        }
        let transport = builder.build();
        let from: Mailbox = settings.from.parse().map_err(|error| {
            DeliveryError::InvalidOptions(format!(
                "the sender `{}` is not an e-mail address (such as \"specflow <specflow@example.org>\"): {error}",
                settings.from
            ))
        })?;
        let public_url = settings
            .public_url
            .as_ref()
            .map(|url| url.trim_end_matches('/').to_string());
        Ok(Mailer {
            transport,
            from,
            public_url,
        })
    }

    /// Sends one notification to `addresses`; `Err` says why it was not accepted, as the
    /// outbox keeps it.
    pub(crate) async fn send(
        &self,
        notification_id: &str,
        body: &str,
        addresses: &[String],
        language: Language,
        timeout: Duration,
    ) -> Result<(), String> {
        let letter = compose_any(notification_id, body, language, self.public_url.as_deref())?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(letter.subject)
            .message_id(Some(format!("<{notification_id}@specflow>")));
        for address in addresses {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|error| format!("the address {address} cannot be sent to: {error}"))?;
            builder = builder.to(mailbox);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(letter.text, letter.html))
            .map_err(|error| shorten(&format!("the message cannot be built: {error}")))?;
        match tokio::time::timeout(timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(describe_error(&error)),
            Err(_) => Err(format!(
                "the SMTP server did not accept the message within {} ms",
                timeout.as_millis()
            )),
        }
    }

    /// Connects to the SMTP server and says hello, as `channel test` does before sending.
    pub(crate) async fn check_connection(&self, timeout: Duration) -> Result<(), String> {
        match tokio::time::timeout(timeout, self.transport.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err("the SMTP server did not answer as one".to_string()),
            Ok(Err(error)) => Err(describe_error(&error)),
            Err(_) => Err(format!(
                "the SMTP server did not answer within {} ms",
                timeout.as_millis()
            )),
        }
    }
}

/// The TLS of `smtp_url`'s connection (implicit or STARTTLS, as its scheme and `tls=` say),
/// trusting the certificate authority in `ca_file` besides the system's.
fn tls_trusting(smtp_url: &str, ca_file: &std::path::Path) -> Result<Tls, DeliveryError> {
    let invalid = |what: String| DeliveryError::InvalidOptions(what);
    let pem = std::fs::read(ca_file).map_err(|error| {
        invalid(format!(
            "cannot read the SMTP server's certificate authority {}: {error}",
            ca_file.display()
        ))
    })?;
    let certificate = Certificate::from_pem(&pem).map_err(|error| {
        invalid(format!(
            "{} is not a PEM certificate: {}",
            ca_file.display(),
            describe_error(&error)
        ))
    })?;
    let url = url::Url::parse(smtp_url)
        .map_err(|error| invalid(format!("the SMTP URL is malformed: {error}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| invalid("the SMTP URL names no host".to_string()))?
        .to_string();
    let tls_query = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.to_string());
    let parameters = TlsParameters::builder(host)
        .add_root_certificate(certificate)
        .build()
        .map_err(|error| invalid(format!("the SMTP TLS settings: {}", describe_error(&error))))?;
    match (url.scheme(), tls_query.as_deref()) {
        ("smtps", _) => Ok(Tls::Wrapper(parameters)),
        ("smtp", Some("required")) => Ok(Tls::Required(parameters)),
        ("smtp", Some("opportunistic")) => Ok(Tls::Opportunistic(parameters)),
        _ => Err(invalid(
            "a certificate authority for the SMTP server needs an encrypted connection: smtps://… or smtp://…?tls=required".to_string(),
        )),
    }
}

/// The event type of `specflow channel test`'s message.
pub const TEST_EVENT_TYPE: &str = "channel_test";

/// A notification's message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// A text of the notification's JSON in `language` (`{"zh": …, "en": …}`), or empty.
fn localized(value: &Value, language: Language) -> String {
    let key = match language {
        Language::Zh => "zh",
        Language::En => "en",
    };
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn text_of(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The message of any row of the outbox: a person's verification message or digest, or a
/// notification ([`compose`]), whose footer names the row's id.
fn compose_any(
    notification_id: &str,
    body: &str,
    language: Language,
    public_url: Option<&str>,
) -> Result<Letter, String> {
    let notification: Value = serde_json::from_str(body)
        .map_err(|error| format!("the notification is not JSON: {error}"))?;
    match notification.get("event_type").and_then(Value::as_str) {
        Some(VERIFICATION_EVENT_TYPE) => {
            Ok(letters::verification_letter(&notification, public_url))
        }
        Some(DIGEST_EVENT_TYPE) => letters::digest_letter(body, public_url),
        _ => {
            let mut letter = compose(body, language, public_url)?;
            // A person's copy carries the record's id in its JSON; the footer names the row's.
            let named = text_of(&notification, "notification_id");
            if !named.is_empty() && named != notification_id {
                letter.text = letter.text.replace(&named, notification_id);
                letter.html = letter.html.replace(&named, notification_id);
            }
            Ok(letter)
        }
    }
}

/// The message of a notification (its JSON as the outbox holds it, docs/webhooks.md), in
/// `language`, linking under `public_url` when there is one.
pub fn compose(body: &str, language: Language, public_url: Option<&str>) -> Result<Letter, String> {
    let notification: Value = serde_json::from_str(body)
        .map_err(|error| format!("the notification is not JSON: {error}"))?;
    let pick = |zh: &str, en: &str| language.pick(zh, en).to_string();
    let what_happened = localized(&notification["what_happened"], language);
    let what_next = localized(&notification["what_next"], language);
    let (subject_code, mut facts, link) = if let Some(project) = notification.get("project") {
        let code = text_of(project, "code");
        let stage = localized(&project["stage_name"], language);
        let facts = vec![
            (
                pick("项目", "Project"),
                format!("{code} {}", localized(&project["title"], language)),
            ),
            (pick("阶段", "Stage"), stage.clone()),
        ];
        let link = public_url.map(|base| format!("{base}/projects/{}", text_of(project, "id")));
        (format!("[{code}] {stage}"), facts, link)
    } else if let Some(committee) = notification.get("committee") {
        let code = text_of(committee, "code");
        let facts = vec![(
            pick("技术委员会", "Committee"),
            format!("{code} {}", text_of(committee, "name")),
        )];
        let link = public_url.map(|base| format!("{base}/committees/{code}"));
        (format!("[{code}]"), facts, link)
    } else if text_of(&notification, "event_type") == TEST_EVENT_TYPE {
        // `specflow channel test`'s message: about the channel, so no project and no link.
        ("[specflow]".to_string(), Vec::new(), None)
    } else {
        return Err("the notification names neither a project nor a committee".to_string());
    };
    if let Some(due) = notification.get("fell_due_at").and_then(Value::as_str) {
        facts.push((pick("到期时间", "Fell due at"), due.to_string()));
    }
    let separator = language.pick("：", ": ");
    let subject = format!("{subject_code}{separator}{what_happened}");
    let next_label = pick("下一步", "What next");
    let mut text = format!("{what_happened}\n\n{next_label}{separator}{what_next}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body><p><strong>{}</strong></p><p>{}{}{}</p><table>",
        language.pick("zh-CN", "en"),
        escape_html(&what_happened),
        escape_html(&next_label),
        escape_html(separator),
        escape_html(&what_next)
    );
    for (label, value) in &facts {
        text.push_str(&format!("{label}{separator}{value}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(label),
            escape_html(value)
        ));
    }
    html.push_str("</table>");
    if let Some(link) = &link {
        let open = pick("打开页面", "Open the page");
        text.push_str(&format!("\n{open}{separator}{link}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(link),
            escape_html(&open)
        ));
    }
    let footer = format!(
        "{}{separator}{}",
        pick("specflow 通知编号", "specflow notification"),
        text_of(&notification, "notification_id")
    );
    text.push_str(&format!("\n-- \n{footer}\n"));
    html.push_str(&format!(
        "<p style=\"color:#5b6670\">{}</p></body></html>",
        escape_html(&footer)
    ));
    Ok(Letter {
        subject,
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"notification_id":"7d1c","audience":"secretariat","event_type":"deadline_missed","project":{"id":"5bec","code":"JJF(沪)-2026-001","title":{"zh":"电子天平<校准>","en":"Balances"},"committee":"SH-TC-01","drafting_unit":"x","stage":"drafting","stage_name":{"zh":"起草","en":"drafting"}},"sequence":9,"record_hash":"ab","recorded_at":"2026-12-01T00:00:00Z","fell_due_at":"2026-11-30T16:00:00Z","what_happened":{"zh":"起草期限已过","en":"The drafting deadline passed"},"what_next":{"zh":"请申请延期","en":"Ask for an extension"}}"#;

    #[test]
    fn a_notification_reads_in_the_channels_language_with_its_link() {
        let chinese = match compose(BODY, Language::Zh, Some("https://specflow.example.org")) {
            Ok(letter) => letter,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(chinese.subject, "[JJF(沪)-2026-001] 起草：起草期限已过");
        assert!(
            chinese.text.contains("下一步：请申请延期"),
            "{}",
            chinese.text
        );
        assert!(
            chinese
                .text
                .contains("https://specflow.example.org/projects/5bec"),
            "{}",
            chinese.text
        );
        // The title's angle brackets are escaped in HTML, not in the plain text.
        assert!(
            chinese.html.contains("电子天平&lt;校准&gt;"),
            "{}",
            chinese.html
        );
        assert!(chinese.text.contains("电子天平<校准>"), "{}", chinese.text);
        let english = match compose(BODY, Language::En, None) {
            Ok(letter) => letter,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(
            english.subject,
            "[JJF(沪)-2026-001] drafting: The drafting deadline passed"
        );
        assert!(!english.text.contains("http"), "{}", english.text);
    }

    #[test]
    fn a_body_that_is_not_a_notification_is_refused_with_why() {
        assert!(compose("not json", Language::Zh, None).is_err());
        assert!(compose("{}", Language::Zh, None).is_err());
    }
}
