//! E-mail channels (issue 20) against a real SMTP server: Python's `aiosmtpd` (from PyPI), started
//! on a loopback port and keeping what it receives in a Maildir, on SQLite and on PostgreSQL.
//!
//! The message received is parsed as MIME by Python's own `email` package (not by the code that
//! wrote it): both parts, the channel's language, the project's code and stage in the subject,
//! the link to the page, both addresses, and a `Message-ID` made of the notification's id. An
//! unreachable server and a server not configured fail the attempt, saying why, and keep the
//! notification pending; `send_test` reports the same; a malformed address is refused when set.
//! STARTTLS and implicit TLS are tried against `aiosmtpd` with a certificate signed by an
//! authority the test makes (`rcgen`): refused until that authority is given (`ca_file`).
//!
//! The Python with `aiosmtpd` is `SPECFLOW_TEST_SMTP_PYTHON` (`.ci/run` makes a virtualenv for it),
//! else `python3`; without it the test is skipped, unless `SPECFLOW_REQUIRE_SMTP=1` (set by CI).

use crate::support::*;
use serde_json::Value;
use specflow_engine::Language;
use specflow_jobs::delivery::DeliveryOutcome;
use specflow_jobs::delivery::email::EmailSettings;
use specflow_jobs::{Deliverer, DeliveryOptions};
use specflow_store::outbox::{ChannelKind, ChannelSettings};
use specflow_store::{OutboxStatus, StoreError, TestNotification};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A Python that has `aiosmtpd`, or `None` (after saying the test is skipped).
fn smtp_python() -> Option<PathBuf> {
    let python = std::env::var_os("SPECFLOW_TEST_SMTP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let present = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let required = std::env::var("SPECFLOW_REQUIRE_SMTP").is_ok_and(|value| value == "1");
    if !present {
        assert!(
            !required,
            "SPECFLOW_REQUIRE_SMTP=1 but {} has no aiosmtpd (pip install aiosmtpd)",
            python.display()
        );
        eprintln!(
            "skipped: no aiosmtpd in {} (CI installs it)",
            python.display()
        );
        return None;
    }
    Some(python)
}

/// A port nothing listens on, for now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `aiosmtpd` on a loopback port, keeping messages in a Maildir; killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    async fn start(python: &Path) -> SmtpServer {
        SmtpServer::start_with(python, &[]).await
    }

    /// With more of `aiosmtpd`'s options (its TLS certificate and key).
    async fn start_with(python: &Path, options: &[&std::ffi::OsStr]) -> SmtpServer {
        let maildir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(options)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A folder that does not exist yet: Python's `Maildir` makes it with its
            // `tmp`, `new` and `cur` (an existing empty folder is taken as made).
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// The messages received, as files of the Maildir.
    fn messages(&self) -> Vec<PathBuf> {
        let new = self.maildir.path().join("mail").join("new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(new)
            .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message file read by Python's `email` package: its headers and parts, as JSON.
fn parsed_by_python(python: &Path, message: &Path) -> Value {
    let script = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as file:
    message = email.message_from_binary_file(file, policy=email.policy.default)
parts = [part for part in message.walk() if not part.is_multipart()]
print(json.dumps({
    "subject": message["Subject"],
    "to": [str(address.addr_spec) for address in message["To"].addresses],
    "from": message["From"],
    "message_id": message["Message-ID"],
    "type": message.get_content_type(),
    "parts": [{"type": part.get_content_type(), "text": part.get_content()} for part in parts],
}))
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(message)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A notification of a missed deadline, as the write path would write it.
fn notification(audience: &str) -> TestNotification {
    let notification_id = Uuid::new_v4().to_string();
    let project_id = Uuid::new_v4();
    let body = serde_json::json!({
        "notification_id": notification_id,
        "audience": audience,
        "event_type": "deadline_missed",
        "project": {
            "id": project_id,
            "code": "JJF(沪)-2026-001",
            "title": {"zh": "电子天平校准规范", "en": "Calibration of electronic balances"},
            "committee": "SH-TC-01",
            "drafting_unit": "上海市计量测试技术研究院",
            "stage": "drafting",
            "stage_name": {"zh": "起草", "en": "drafting"},
        },
        "sequence": 9,
        "record_hash": "ab",
        "recorded_at": "2026-12-01T00:00:00Z",
        "fell_due_at": "2026-11-30T16:00:00Z",
        "what_happened": {"zh": "起草期限已过", "en": "The drafting deadline passed"},
        "what_next": {"zh": "请申请延期", "en": "Ask the bureau for an extension"},
    });
    TestNotification {
        notification_id,
        project_id,
        sequence: 9,
        audience: audience.to_string(),
        event_type: "deadline_missed".to_string(),
        body: body.to_string(),
    }
}

fn email_channel(addresses: &str, language: Language) -> ChannelSettings<'_> {
    ChannelSettings {
        kind: ChannelKind::Email,
        address: addresses,
        secret: "",
        language,
        max_attempts: 3,
        timeout: Duration::from_secs(10),
    }
}

fn settings(port: u16) -> EmailSettings {
    EmailSettings {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "specflow <specflow@example.org>".to_string(),
        public_url: Some("https://specflow.example.org/".to_string()),
        ca_file: None,
    }
}

conformance!(
    an_email_channel_sends_a_multipart_message_a_mime_parser_reads,
    |kind| async move {
        let Some(python) = smtp_python() else {
            return;
        };
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let server = SmtpServer::start(&python).await;
        store
            .set_channel(
                "secretariat",
                &email_channel("mailto:sec-a@example.org, sec-b@example.org", Language::En),
            )
            .await
            .unwrap();
        let sent = notification("secretariat");
        store.insert_notification_for_tests(&sent).await.unwrap();
        let deliverer = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&settings(server.port))
            .unwrap();
        let round = deliverer.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 1, "{round:?}");
        let messages = server.messages();
        assert_eq!(messages.len(), 1, "one message to both addresses");
        let message = parsed_by_python(&python, &messages[0]);
        assert_eq!(
            message["subject"],
            "[JJF(沪)-2026-001] drafting: The drafting deadline passed"
        );
        assert_eq!(
            message["to"],
            serde_json::json!(["sec-a@example.org", "sec-b@example.org"])
        );
        assert_eq!(
            message["message_id"],
            format!("<{}@specflow>", sent.notification_id)
        );
        assert_eq!(message["type"], "multipart/alternative");
        let parts = message["parts"].as_array().unwrap();
        let types: Vec<&str> = parts
            .iter()
            .map(|part| part["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["text/plain", "text/html"]);
        let link = format!("https://specflow.example.org/projects/{}", sent.project_id);
        for part in parts {
            let text = part["text"].as_str().unwrap();
            assert!(text.contains("Ask the bureau for an extension"), "{text}");
            assert!(text.contains(&link), "{text}");
            assert!(
                !text.contains("请申请延期"),
                "the channel is English: {text}"
            );
        }
        let delivered = store.outbox_entry(&sent.notification_id).await.unwrap();
        assert_eq!(
            delivered.map(|entry| entry.status),
            Some(OutboxStatus::Delivered)
        );
    }
);

conformance!(
    an_unreachable_or_unconfigured_smtp_server_fails_the_attempt_and_loses_nothing,
    |kind| async move {
        let Some(python) = smtp_python() else {
            return;
        };
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        // A malformed address is refused when the channel is set, saying which.
        let refused = store
            .set_channel(
                "bureau",
                &email_channel("bureau@example.org, not-an-address", Language::Zh),
            )
            .await;
        match refused {
            Err(StoreError::InvalidRequest(message)) => {
                assert!(message.contains("not-an-address"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        store
            .set_channel("bureau", &email_channel("bureau@example.org", Language::Zh))
            .await
            .unwrap();
        let sent = notification("bureau");
        store.insert_notification_for_tests(&sent).await.unwrap();
        // Without SMTP settings: the attempt fails, saying so.
        let without = Deliverer::new(store.clone(), DeliveryOptions::default()).unwrap();
        let round = without.deliver_due().await.unwrap();
        match &round.attempts[0].outcome {
            DeliveryOutcome::WillRetry { error, .. } => {
                assert!(error.contains("no SMTP server is configured"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        // This node's view of the channel, for `/readyz`: failing, with the reason.
        let health = store.channel_health();
        assert_eq!(health.len(), 1, "{health:?}");
        assert_eq!(health[0].audience, "bureau");
        assert!(health[0].failing_since.is_some());
        assert!(
            health[0]
                .last_error
                .as_deref()
                .is_some_and(|error| error.contains("no SMTP server")),
            "{health:?}"
        );
        // A server that is not there: the attempt fails, and `send_test` says the same.
        let closed = free_port();
        let unreachable = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&settings(closed))
            .unwrap();
        let targets = store.webhook_targets().await.unwrap();
        let tested = unreachable.send_test("bureau", &targets["bureau"]).await;
        assert!(tested.is_err(), "{tested:?}");
        let entry = store
            .outbox_entry(&sent.notification_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.status, OutboxStatus::Pending);
        assert_eq!(entry.attempts, 1);
        assert!(entry.last_error.is_some());
        // A real server accepts the test message, in the channel's language.
        let server = SmtpServer::start(&python).await;
        let reachable = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&settings(server.port))
            .unwrap();
        reachable
            .send_test("bureau", &targets["bureau"])
            .await
            .unwrap();
        let messages = server.messages();
        assert_eq!(messages.len(), 1);
        let message = parsed_by_python(&python, &messages[0]);
        assert!(
            message["subject"].as_str().unwrap().contains("测试通知"),
            "{message}"
        );
        // A misnamed SMTP URL is refused before anything is sent.
        let bad = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&EmailSettings {
                smtp_url: "http://127.0.0.1".to_string(),
                ..settings(server.port)
            });
        assert!(bad.is_err());
    }
);

/// A certificate authority, and a certificate for `localhost` it signed with its key, as PEM
/// files in `folder`: (the authority, the certificate, its key).
fn certificates(folder: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let authority_key = rcgen::KeyPair::generate().unwrap();
    let mut authority = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    authority.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(rcgen::DnType::CommonName, "specflow test mail authority");
    let authority = authority.self_signed(&authority_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &authority, &authority_key)
        .unwrap();
    let paths = (
        folder.join("authority.pem"),
        folder.join("server.pem"),
        folder.join("server.key"),
    );
    std::fs::write(&paths.0, authority.pem()).unwrap();
    std::fs::write(&paths.1, server.pem()).unwrap();
    std::fs::write(&paths.2, server_key.serialize_pem()).unwrap();
    paths
}

conformance!(
    starttls_and_implicit_tls_reach_a_server_whose_certificate_a_given_authority_signed,
    |kind| async move {
        let Some(python) = smtp_python() else {
            return;
        };
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let folder = tempfile::tempdir().unwrap();
        let (authority, certificate, key) = certificates(folder.path());
        let starttls = SmtpServer::start_with(
            &python,
            &[
                "--tlscert".as_ref(),
                certificate.as_os_str(),
                "--tlskey".as_ref(),
                key.as_os_str(),
            ],
        )
        .await;
        let implicit = SmtpServer::start_with(
            &python,
            &[
                "--smtpscert".as_ref(),
                certificate.as_os_str(),
                "--smtpskey".as_ref(),
                key.as_os_str(),
            ],
        )
        .await;
        store
            .set_channel("bureau", &email_channel("bureau@example.org", Language::Zh))
            .await
            .unwrap();
        let targets = store.webhook_targets().await.unwrap();
        let over = |url: String, ca_file: Option<PathBuf>| EmailSettings {
            smtp_url: url,
            ca_file,
            ..settings(0)
        };
        // The system does not trust the test authority: refused, saying why.
        let untrusted = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&over(
                format!("smtp://localhost:{}?tls=required", starttls.port),
                None,
            ))
            .unwrap();
        let refused = untrusted.send_test("bureau", &targets["bureau"]).await;
        assert!(refused.is_err(), "{refused:?}");
        assert!(starttls.messages().is_empty());
        // Trusting it: STARTTLS, then implicit TLS, each deliver.
        for (url, server) in [
            (
                format!("smtp://localhost:{}?tls=required", starttls.port),
                &starttls,
            ),
            (format!("smtps://localhost:{}", implicit.port), &implicit),
        ] {
            let trusting = Deliverer::new(store.clone(), DeliveryOptions::default())
                .unwrap()
                .with_email(&over(url.clone(), Some(authority.clone())))
                .unwrap();
            trusting
                .send_test("bureau", &targets["bureau"])
                .await
                .unwrap_or_else(|error| panic!("{url}: {error}"));
            assert_eq!(server.messages().len(), 1, "{url}");
        }
        // An authority for an unencrypted connection is a mistake, refused before sending.
        let plain = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&over(
                format!("smtp://localhost:{}", starttls.port),
                Some(authority),
            ));
        assert!(plain.is_err());
    }
);

conformance!(
    a_persons_proof_notifications_and_digest_reach_their_own_address,
    |kind| async move {
        use specflow_engine::command::Command;
        use specflow_store::auth::Role;
        use specflow_store::personal_email::{DigestBody, DigestItem, DigestSection};
        let Some(python) = smtp_python() else {
            return;
        };
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let server = SmtpServer::start(&python).await;
        let deliverer = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_email(&settings(server.port))
            .unwrap();
        let account = store
            .create_account(
                "wang",
                Role::Secretariat,
                Some("SH-TC-01"),
                None,
                "correct horse battery",
            )
            .await
            .unwrap();
        store
            .set_person_email("wang", "wang@example.org", Language::En)
            .await
            .unwrap()
            .unwrap();
        store
            .set_person_choices("wang", &["project_cancelled".to_string()], true)
            .await
            .unwrap();
        // The proving message: to the address typed, with the link to the confirmation page.
        assert_eq!(deliverer.deliver_due().await.unwrap().delivered(), 1);
        let proof = parsed_by_python(&python, &server.messages()[0]);
        assert_eq!(proof["to"], serde_json::json!(["wang@example.org"]));
        assert_eq!(proof["subject"], "specflow: confirm your e-mail address");
        let text = proof["parts"][0]["text"].as_str().unwrap();
        let link_start = text
            .find("https://specflow.example.org/email/verify/sfv_")
            .unwrap_or_else(|| panic!("{text}"));
        let secret: String = text[link_start..]
            .trim_start_matches("https://specflow.example.org/email/verify/")
            .chars()
            .take(68)
            .collect();
        assert!(store.verify_person_email(&secret).await.unwrap().is_some());
        // A notification they chose, about a project they may see.
        let project = created_project(&store, 1, "SH-TC-01").await;
        clock.advance(chrono::Duration::hours(1));
        store
            .execute(request(
                project,
                bureau(),
                Command::FireAction {
                    action: "cancel".to_string(),
                    reason: Some("merged".to_string()),
                },
            ))
            .await
            .unwrap();
        let round = deliverer.deliver_due().await.unwrap();
        let personal: Vec<_> = round
            .attempts
            .iter()
            .filter(|attempt| attempt.audience.starts_with("person:"))
            .collect();
        assert_eq!(personal.len(), 1, "{round:?}");
        assert_eq!(personal[0].outcome, DeliveryOutcome::Delivered);
        let messages = server.messages();
        assert_eq!(messages.len(), 2);
        let notice = messages
            .iter()
            .map(|message| parsed_by_python(&python, message))
            .find(|message| message["subject"] != proof["subject"])
            .unwrap();
        assert_eq!(notice["to"], serde_json::json!(["wang@example.org"]));
        assert!(
            notice["subject"]
                .as_str()
                .unwrap()
                .starts_with("[JJF(沪)-2026-001]"),
            "{notice}"
        );
        assert_eq!(
            notice["message_id"],
            format!("<{}@specflow>", personal[0].notification_id)
        );
        // The digest, already in their language, with its links.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
        let digest = DigestBody {
            notification_id: format!("digest.{}.{day}", account.account_id),
            event_type: "daily_digest".to_string(),
            account: "wang".to_string(),
            date: day,
            language: Language::En,
            sections: vec![DigestSection {
                title: "Overdue".to_string(),
                items: vec![DigestItem {
                    text: "JJF(沪)-2026-002: the drafting deadline was due on 2026-01-05"
                        .to_string(),
                    path: Some(format!("/projects/{project}")),
                }],
            }],
            truncated: false,
        };
        assert!(
            store
                .write_digest(
                    account.account_id,
                    day,
                    &serde_json::to_string(&digest).unwrap()
                )
                .await
                .unwrap()
        );
        assert_eq!(deliverer.deliver_due().await.unwrap().delivered(), 1);
        let digest = server
            .messages()
            .iter()
            .map(|message| parsed_by_python(&python, message))
            .find(|message| {
                message["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with("specflow daily digest")
            })
            .unwrap();
        assert_eq!(
            digest["subject"],
            "specflow daily digest 2026-01-06: 1 item"
        );
        for part in digest["parts"].as_array().unwrap() {
            let text = part["text"].as_str().unwrap();
            assert!(text.contains("the drafting deadline was due"), "{text}");
            assert!(
                text.contains(&format!("https://specflow.example.org/projects/{project}")),
                "{text}"
            );
        }
    }
);
