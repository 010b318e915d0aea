//! The group robots of WeCom, DingTalk and Feishu (issue 20) against a local receiver that checks
//! each request exactly as the vendor documents it (the signature recomputed here from the
//! documented recipe, the message's JSON shape), on SQLite and on PostgreSQL: a vendor's error
//! code in a 200 answer is retried, a robot's notifications due together go as one message, and
//! a robot that has sent its minute's messages gets no more until the minute has passed.

use crate::support::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use specflow_engine::Language;
use specflow_jobs::delivery::DeliveryOutcome;
use specflow_jobs::{Deliverer, DeliveryOptions};
use specflow_store::outbox::{ChannelKind, ChannelSettings};
use specflow_store::{OutboxStatus, TestNotification};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const DINGTALK_SECRET: &str = "SECtest-dingtalk-secret";
const FEISHU_SECRET: &str = "feishu-test-secret";

/// What the receiver got, by vendor: each request's JSON, and whether its signature held.
#[derive(Debug, Default)]
struct Seen {
    requests: HashMap<String, Vec<(Value, bool)>>,
    /// Answer the next request of a vendor with its error code, once.
    refuse_next: HashMap<String, bool>,
}

type Shared = Arc<Mutex<Seen>>;

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a request as the vendor's documentation describes it.
fn signature_holds(vendor: &str, query: &HashMap<String, String>, body: &Value) -> bool {
    match vendor {
        // The query's `sign` arrives URL-decoded: the Base64 of HMAC-SHA256 keyed by the secret
        // over `timestamp + "\n" + secret`, the timestamp in milliseconds.
        "dingtalk" => {
            let (Some(timestamp), Some(sign)) = (query.get("timestamp"), query.get("sign")) else {
                return false;
            };
            query.get("access_token").map(String::as_str) == Some("dingtalk-token")
                && timestamp.len() == 13
                && *sign
                    == hmac_base64(
                        DINGTALK_SECRET.as_bytes(),
                        format!("{timestamp}\n{DINGTALK_SECRET}").as_bytes(),
                    )
                && body["msgtype"] == "markdown"
                && body["markdown"]["title"].is_string()
                && body["markdown"]["text"].is_string()
        }
        // `timestamp` in seconds and `sign` in the body: the Base64 of HMAC-SHA256 keyed by
        // `timestamp + "\n" + secret` over nothing.
        "feishu" => {
            let (Some(timestamp), Some(sign)) = (body["timestamp"].as_str(), body["sign"].as_str())
            else {
                return false;
            };
            timestamp.len() == 10
                && sign == hmac_base64(format!("{timestamp}\n{FEISHU_SECRET}").as_bytes(), b"")
                && body["msg_type"] == "post"
                && body["content"]["post"]["zh_cn"]["content"].is_array()
        }
        // No signature: the key is in the URL.
        "wecom" => {
            query.get("key").map(String::as_str) == Some("wecom-key")
                && body["msgtype"] == "markdown"
                && body["markdown"]["content"].is_string()
        }
        _ => false,
    }
}

async fn robot(
    Path(vendor): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    State(seen): State<Shared>,
    body: Bytes,
) -> String {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let holds = signature_holds(&vendor, &query, &body);
    let mut seen = seen.lock().unwrap();
    seen.requests
        .entry(vendor.clone())
        .or_default()
        .push((body, holds));
    let refuse = seen.refuse_next.remove(&vendor).unwrap_or(false);
    // Each vendor answers 200, with its own result code.
    match (vendor.as_str(), holds && !refuse) {
        ("feishu", true) => json!({"code": 0, "msg": "success", "data": {}}),
        ("feishu", false) => json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}}),
        (_, true) => json!({"errcode": 0, "errmsg": "ok"}),
        (_, false) => json!({"errcode": 310000, "errmsg": "sign not match"}),
    }
    .to_string()
}

async fn receiver() -> (String, Shared, tokio::task::JoinHandle<()>) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/robot/{vendor}", post(robot))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, seen, server)
}

fn notification(audience: &str, number: usize) -> TestNotification {
    let notification_id = Uuid::new_v4().to_string();
    let project_id = Uuid::new_v4();
    let body = json!({
        "notification_id": notification_id,
        "audience": audience,
        "event_type": "deadline_missed",
        "project": {
            "id": project_id,
            "code": format!("JJF(沪)-2026-{number:03}"),
            "title": {"zh": format!("测试规范{number}"), "en": format!("test specification {number}")},
            "committee": "SH-TC-01",
            "drafting_unit": "上海市计量测试技术研究院",
            "stage": "drafting",
            "stage_name": {"zh": "起草", "en": "drafting"},
        },
        "sequence": 9,
        "record_hash": "ab",
        "recorded_at": "2026-12-01T00:00:00Z",
        "what_happened": {"zh": "起草期限已过", "en": "The drafting deadline passed"},
        "what_next": {"zh": "请申请延期", "en": "Ask for an extension"},
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

fn robot_channel<'a>(kind: ChannelKind, url: &'a str, secret: &'a str) -> ChannelSettings<'a> {
    ChannelSettings {
        kind,
        address: url,
        secret,
        language: Language::Zh,
        max_attempts: 5,
        timeout: Duration::from_secs(5),
    }
}

conformance!(
    each_robot_gets_its_vendors_format_and_signature_and_a_vendor_error_is_retried,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let (base, seen, _server) = receiver().await;
        let dingtalk = format!("{base}/robot/dingtalk?access_token=dingtalk-token");
        let feishu = format!("{base}/robot/feishu");
        let wecom = format!("{base}/robot/wecom?key=wecom-key");
        for (audience, channel) in [
            (
                "secretariat",
                robot_channel(ChannelKind::Dingtalk, &dingtalk, DINGTALK_SECRET),
            ),
            (
                "supervisor",
                robot_channel(ChannelKind::Feishu, &feishu, FEISHU_SECRET),
            ),
            ("drafter", robot_channel(ChannelKind::Wecom, &wecom, "")),
        ] {
            store.set_channel(audience, &channel).await.unwrap();
        }
        // A WeCom robot takes no secret: refused, saying why.
        assert!(
            store
                .set_channel(
                    "chair",
                    &robot_channel(ChannelKind::Wecom, &wecom, "secret")
                )
                .await
                .is_err()
        );
        seen.lock()
            .unwrap()
            .refuse_next
            .insert("dingtalk".to_string(), true);
        let mut sent = Vec::new();
        for (number, audience) in ["secretariat", "supervisor", "drafter"]
            .into_iter()
            .enumerate()
        {
            let notification = notification(audience, number + 1);
            store
                .insert_notification_for_tests(&notification)
                .await
                .unwrap();
            sent.push(notification);
        }
        let deliverer = Deliverer::new(store.clone(), DeliveryOptions::default())
            .unwrap()
            .with_public_url(Some("https://specflow.example.org".to_string()));
        let round = deliverer.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 2, "{round:?}");
        let refused = round
            .attempts
            .iter()
            .find(|attempt| attempt.audience == "secretariat")
            .unwrap();
        match &refused.outcome {
            DeliveryOutcome::WillRetry { error, .. } => {
                assert!(error.contains("310000"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        // After the backoff the DingTalk robot takes it.
        clock.advance(chrono::Duration::minutes(5));
        let round = deliverer.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 1, "{round:?}");
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        for vendor in ["dingtalk", "feishu", "wecom"] {
            let requests = &seen.requests[vendor];
            assert!(
                requests.iter().all(|(_, holds)| *holds),
                "{vendor}: {requests:?}"
            );
        }
        let wecom_text = seen.requests["wecom"][0].0["markdown"]["content"]
            .as_str()
            .unwrap();
        assert!(wecom_text.contains("JJF(沪)-2026-003"), "{wecom_text}");
        assert!(wecom_text.contains("请申请延期"), "{wecom_text}");
        assert!(
            wecom_text.contains(&format!(
                "https://specflow.example.org/projects/{}",
                sent[2].project_id
            )),
            "{wecom_text}"
        );
        for notification in &sent {
            let entry = store
                .outbox_entry(&notification.notification_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(entry.status, OutboxStatus::Delivered);
        }
    }
);

conformance!(
    a_robot_gets_notifications_due_together_as_one_message_and_at_most_its_minutes_messages,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let (base, seen, _server) = receiver().await;
        let dingtalk = format!("{base}/robot/dingtalk?access_token=dingtalk-token");
        store
            .set_channel(
                "secretariat",
                &robot_channel(ChannelKind::Dingtalk, &dingtalk, DINGTALK_SECRET),
            )
            .await
            .unwrap();
        // Twelve due at once: one round, two messages (ten and two).
        for number in 0..12 {
            store
                .insert_notification_for_tests(&notification("secretariat", number))
                .await
                .unwrap();
        }
        let together = Deliverer::new(store.clone(), DeliveryOptions::default()).unwrap();
        let round = together.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 12, "{round:?}");
        {
            let seen = seen.lock().unwrap();
            let requests = &seen.requests["dingtalk"];
            assert_eq!(requests.len(), 2);
            let text: String = requests
                .iter()
                .map(|(body, _)| body["markdown"]["text"].as_str().unwrap().to_string())
                .collect();
            for number in 0..12 {
                assert!(
                    text.contains(&format!("JJF(沪)-2026-{number:03}")),
                    "{number}: {text}"
                );
            }
        }
        // One at a time (a deliverer that claims one a round): DingTalk's 20 a minute, then a
        // wait until the minute is over, the attempt not counted. The minute's count is kept in
        // the database, so the two messages the other deliverer sent count: 18 more go.
        let one_by_one = Deliverer::new(
            store.clone(),
            DeliveryOptions {
                concurrency: 1,
                ..DeliveryOptions::default()
            },
        )
        .unwrap();
        let mut waiting = Vec::new();
        for number in 100..121 {
            let notification = notification("secretariat", number);
            store
                .insert_notification_for_tests(&notification)
                .await
                .unwrap();
            waiting.push(notification);
        }
        let mut delivered = 0;
        let mut limited = None;
        for _ in 0..21 {
            let round = one_by_one.deliver_due().await.unwrap();
            delivered += round.delivered();
            if let Some(attempt) = round
                .attempts
                .iter()
                .find(|attempt| matches!(attempt.outcome, DeliveryOutcome::RateLimited { .. }))
            {
                limited = Some(attempt.clone());
            }
        }
        assert_eq!(delivered, 18);
        let limited = limited.expect("the 21st message of the minute waits");
        let entry = store
            .outbox_entry(&limited.notification_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((entry.status, entry.attempts), (OutboxStatus::Pending, 0));
        clock.advance(chrono::Duration::seconds(61));
        let round = one_by_one.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 1, "{round:?}");
        assert_eq!(seen.lock().unwrap().requests["dingtalk"].len(), 2 + 19);
    }
);
