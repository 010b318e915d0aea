//! Delivery of the notification outbox to a real webhook receiver (an HTTP server on a loopback
//! port), on SQLite and on PostgreSQL: retries with backoff, one acceptance per id, valid
//! signatures, dead letters and their retry, a hanging receiver, and webhook configuration.
//!
//! Backoffs are crossed by moving the store's `ManualClock`; only the hanging-receiver test waits
//! for real time (one webhook timeout), with margins far above any scheduling delay.

use crate::support::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use specflow_jobs::delivery::DeliveryOutcome;
use specflow_jobs::delivery::signature::{DEFAULT_TOLERANCE, SignatureError, sign};
use specflow_jobs::{Deliverer, DeliveryOptions, verify_signature};
use specflow_store::{Clock, ManualClock, StoreError, StoreOptions};
use specflow_store::{OutboxFilter, OutboxStatus, RetrySelection, Store, TestNotification};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Declares a test that runs once per backend.
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test = $body;
                test(Kind::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = $body;
                test(Kind::Postgres).await;
            }
        }
    };
}

/// How the receiver answers on one webhook path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// 200 for every request.
    Accept,
    /// 500 for the first `n` requests of each notification id, then 200.
    FailFirst(usize),
    /// 500 for every request.
    AlwaysFail,
    /// Never answers (within the test).
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    notification_id: String,
    body: Vec<u8>,
    content_type: String,
    signature: Result<(), SignatureError>,
    /// The status answered; 0 for a request left hanging.
    status: u16,
    arrived: Instant,
}

#[derive(Debug, Default)]
struct ReceiverState {
    paths: HashMap<String, (String, Behaviour)>,
    received: HashMap<String, Vec<Received>>,
}

#[derive(Debug, Clone)]
struct Shared {
    state: Arc<Mutex<ReceiverState>>,
    clock: Arc<ManualClock>,
}

/// A webhook receiver on 127.0.0.1: one path per audience, each with its secret and behaviour.
struct Receiver {
    shared: Shared,
    address: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn hook(
    Path(name): Path<String>,
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let notification_id = header("specflow-notification-id");
    let (status, hang) = {
        let mut state = shared.state.lock().unwrap();
        let (secret, behaviour) = state.paths.get(&name).cloned().unwrap();
        let signature = verify_signature(
            &secret,
            &header("specflow-signature"),
            &body,
            shared.clock.now(),
            DEFAULT_TOLERANCE,
        );
        let received = state.received.entry(name).or_default();
        let earlier = received
            .iter()
            .filter(|request| request.notification_id == notification_id)
            .count();
        let (status, hang) = match behaviour {
            Behaviour::Accept => (StatusCode::OK, false),
            Behaviour::FailFirst(failures) if earlier < failures => {
                (StatusCode::INTERNAL_SERVER_ERROR, false)
            }
            Behaviour::FailFirst(_) => (StatusCode::OK, false),
            Behaviour::AlwaysFail => (StatusCode::INTERNAL_SERVER_ERROR, false),
            Behaviour::Hang => (StatusCode::OK, true),
        };
        received.push(Received {
            notification_id,
            body: body.to_vec(),
            content_type: header("content-type"),
            signature,
            status: if hang { 0 } else { status.as_u16() },
            arrived: Instant::now(),
        });
        (status, hang)
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    status
}

impl Receiver {
    async fn start(clock: Arc<ManualClock>) -> Receiver {
        let shared = Shared {
            state: Arc::new(Mutex::new(ReceiverState::default())),
            clock,
        };
        let app = Router::new()
            .route("/hooks/{name}", post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            shared,
            address,
            server,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("http://{}/hooks/{name}", self.address)
    }

    fn set(&self, name: &str, secret: &str, behaviour: Behaviour) {
        self.shared
            .state
            .lock()
            .unwrap()
            .paths
            .insert(name.to_string(), (secret.to_string(), behaviour));
    }

    fn received(&self, name: &str) -> Vec<Received> {
        self.shared
            .state
            .lock()
            .unwrap()
            .received
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// How many times each notification id was answered 2xx.
    fn accepted(&self, name: &str) -> HashMap<String, usize> {
        let mut accepted = HashMap::new();
        for request in self.received(name) {
            if (200..300).contains(&request.status) {
                *accepted.entry(request.notification_id).or_default() += 1;
            }
        }
        accepted
    }
}

fn notification(id: &str, audience: &str, project_id: Uuid, sequence: u64) -> TestNotification {
    TestNotification {
        notification_id: id.to_string(),
        project_id,
        sequence,
        audience: audience.to_string(),
        event_type: "deadline_missed".to_string(),
        body: format!(
            r#"{{"notification_id":"{id}","audience":"{audience}","project_id":"{project_id}","sequence":{sequence},"code":"JJF(沪)-2026-001"}}"#
        ),
    }
}

fn deliverer(store: &Store) -> Deliverer {
    Deliverer::new(store.clone(), DeliveryOptions::default()).unwrap()
}

fn seconds(seconds: i64) -> chrono::Duration {
    chrono::Duration::seconds(seconds)
}

conformance!(
    a_receiver_failing_twice_gets_each_notification_once_with_a_valid_signature,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("secretariat", "s3cret", Behaviour::FailFirst(2));
        store
            .set_webhook(
                "secretariat",
                &receiver.url("secretariat"),
                "s3cret",
                5,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let project = Uuid::new_v4();
        let notifications = [
            notification("n-1", "secretariat", project, 3),
            notification("n-2", "secretariat", project, 4),
        ];
        for notification in &notifications {
            store
                .insert_notification_for_tests(notification)
                .await
                .unwrap();
        }
        let deliverer = deliverer(&store);

        let first = deliverer.deliver_due().await.unwrap();
        assert_eq!((first.claimed(), first.retrying()), (2, 2), "{first:?}");
        let after_first = store.outbox_entry("n-1").await.unwrap().unwrap();
        assert_eq!(after_first.status, OutboxStatus::Pending);
        assert_eq!(after_first.attempts, 1);
        assert_eq!(
            after_first.last_error.as_deref(),
            Some("HTTP 500 Internal Server Error")
        );
        // The first backoff is between 1 and 2 seconds (2 s base, equal jitter).
        let wait = after_first.next_attempt_at.unwrap() - clock.now();
        assert!(wait >= seconds(1) && wait <= seconds(2), "{wait}");
        assert_eq!(
            deliverer.deliver_due().await.unwrap().claimed(),
            0,
            "nothing is due before the backoff ends"
        );

        clock.advance(seconds(2));
        let second = deliverer.deliver_due().await.unwrap();
        assert_eq!((second.claimed(), second.retrying()), (2, 2), "{second:?}");
        clock.advance(seconds(4));
        let third = deliverer.deliver_due().await.unwrap();
        assert_eq!((third.claimed(), third.delivered()), (2, 2), "{third:?}");
        assert!(third.attempts.iter().all(|attempt| attempt.attempt == 3));
        let delivered_at = clock.now();
        clock.advance(seconds(2 * 3600));
        assert_eq!(deliverer.deliver_due().await.unwrap().claimed(), 0);

        let received = receiver.received("secretariat");
        assert_eq!(received.len(), 6, "three requests per notification");
        for notification in &notifications {
            let requests: Vec<_> = received
                .iter()
                .filter(|request| request.notification_id == notification.notification_id)
                .collect();
            assert_eq!(requests.len(), 3);
            for request in requests {
                assert_eq!(request.signature, Ok(()));
                assert_eq!(request.body, notification.body.as_bytes());
                assert_eq!(request.content_type, "application/json");
            }
            let entry = store
                .outbox_entry(&notification.notification_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(entry.status, OutboxStatus::Delivered);
            assert_eq!(entry.attempts, 3);
            assert_eq!(entry.delivered_at, Some(delivered_at));
            assert_eq!(entry.next_attempt_at, None);
        }
        assert_eq!(
            receiver.accepted("secretariat"),
            HashMap::from([("n-1".to_string(), 1), ("n-2".to_string(), 1)]),
            "each id accepted exactly once"
        );
        let backlog = store.outbox_backlog().await.unwrap();
        assert_eq!(
            (backlog.pending, backlog.delivered, backlog.dead),
            (0, 2, 0)
        );
        assert_eq!(backlog.oldest_pending_created_at, None);
        store.close().await;
    }
);

conformance!(
    a_notification_is_dead_after_its_attempts_and_a_retry_delivers_it,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("bureau", "bureau-secret", Behaviour::AlwaysFail);
        store
            .set_webhook(
                "bureau",
                &receiver.url("bureau"),
                "bureau-secret",
                2,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        store
            .insert_notification_for_tests(&notification("dead-1", "bureau", Uuid::new_v4(), 9))
            .await
            .unwrap();
        let deliverer = deliverer(&store);
        assert_eq!(deliverer.deliver_due().await.unwrap().retrying(), 1);
        clock.advance(seconds(2));
        let last = deliverer.deliver_due().await.unwrap();
        assert_eq!(last.dead_lettered(), 1, "{last:?}");
        assert!(matches!(
            &last.attempts[0].outcome,
            DeliveryOutcome::DeadLettered { error } if error == "HTTP 500 Internal Server Error"
        ));
        let dead = store.outbox_entry("dead-1").await.unwrap().unwrap();
        assert_eq!(
            (dead.status, dead.attempts, dead.next_attempt_at),
            (OutboxStatus::Dead, 2, None)
        );
        clock.advance(seconds(86_400));
        assert_eq!(
            deliverer.deliver_due().await.unwrap().claimed(),
            0,
            "a dead notification is not tried again by itself"
        );
        let dead_list = store
            .list_outbox(
                &OutboxFilter {
                    status: Some(OutboxStatus::Dead),
                    ..OutboxFilter::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(dead_list.items, vec![dead]);
        assert_eq!(store.outbox_backlog().await.unwrap().dead, 1);

        receiver.set("bureau", "bureau-secret", Behaviour::Accept);
        assert_eq!(
            store
                .retry_notifications(&RetrySelection::Notifications(vec![
                    "no-such-notification".to_string()
                ]))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .retry_notifications(&RetrySelection::Notifications(vec!["dead-1".to_string()]))
                .await
                .unwrap(),
            1
        );
        let retried = store.outbox_entry("dead-1").await.unwrap().unwrap();
        assert_eq!(
            (retried.status, retried.attempts, retried.next_attempt_at),
            (OutboxStatus::Pending, 0, Some(clock.now()))
        );
        let round = deliverer.deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 1, "{round:?}");
        assert_eq!(round.attempts[0].attempt, 1);
        assert_eq!(
            store
                .retry_notifications(&RetrySelection::AllDead)
                .await
                .unwrap(),
            0,
            "a delivered notification is not retried"
        );
        assert_eq!(receiver.received("bureau").len(), 3);
        assert_eq!(
            receiver.accepted("bureau"),
            HashMap::from([("dead-1".to_string(), 1)])
        );
        store.close().await;
    }
);

conformance!(
    a_hanging_receiver_does_not_delay_another_audience_and_is_retried,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let receiver = Receiver::start(clock.clone()).await;
        let timeout = Duration::from_secs(1);
        receiver.set("bureau", "b", Behaviour::Hang);
        receiver.set("secretariat", "s", Behaviour::Accept);
        store
            .set_webhook("bureau", &receiver.url("bureau"), "b", 5, timeout)
            .await
            .unwrap();
        store
            .set_webhook(
                "secretariat",
                &receiver.url("secretariat"),
                "s",
                5,
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        // Attempted in id order: the hanging audience's notification starts first, so a deliverer
        // that waited for it would send the other one only after the timeout.
        let project = Uuid::new_v4();
        store
            .insert_notification_for_tests(&notification("a-bureau", "bureau", project, 1))
            .await
            .unwrap();
        store
            .insert_notification_for_tests(&notification(
                "b-secretariat",
                "secretariat",
                project,
                1,
            ))
            .await
            .unwrap();
        let deliverer = deliverer(&store);
        let started = Instant::now();
        let round = deliverer.deliver_due().await.unwrap();
        assert!(
            started.elapsed() >= timeout,
            "the round waited for the timeout"
        );
        let outcomes: HashMap<_, _> = round
            .attempts
            .iter()
            .map(|attempt| (attempt.notification_id.as_str(), &attempt.outcome))
            .collect();
        assert_eq!(outcomes["b-secretariat"], &DeliveryOutcome::Delivered);
        assert!(
            matches!(outcomes["a-bureau"], DeliveryOutcome::WillRetry { error, .. } if error == "no answer within the timeout of 1000 ms"),
            "{round:?}"
        );
        // The other audience's request was sent while the hanging one was still waiting, not
        // after it was cut off.
        let hung = &receiver.received("bureau")[0];
        let answered = &receiver.received("secretariat")[0];
        assert!(
            answered.arrived.saturating_duration_since(hung.arrived) < timeout,
            "the secretariat's notification arrived {:?} after the bureau's",
            answered.arrived.saturating_duration_since(hung.arrived)
        );
        let waiting = store.outbox_entry("a-bureau").await.unwrap().unwrap();
        assert_eq!(
            (waiting.status, waiting.attempts),
            (OutboxStatus::Pending, 1)
        );

        receiver.set("bureau", "b", Behaviour::Accept);
        clock.advance(seconds(2));
        let retry = deliverer.deliver_due().await.unwrap();
        assert_eq!(retry.delivered(), 1, "{retry:?}");
        assert_eq!(
            (
                retry.attempts[0].notification_id.as_str(),
                retry.attempts[0].attempt
            ),
            ("a-bureau", 2)
        );
        assert_eq!(
            receiver.accepted("bureau"),
            HashMap::from([("a-bureau".to_string(), 1)])
        );
        assert_eq!(
            receiver.accepted("secretariat"),
            HashMap::from([("b-secretariat".to_string(), 1)])
        );
        store.close().await;
    }
);

conformance!(
    an_unreachable_receiver_fails_with_a_reason_that_names_no_url,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        // A port that was just free: nothing listens there, so the connection is refused.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("http://{closed}/hooks/bureau?token=do-not-log");
        store
            .set_webhook("bureau", &url, "b", 1, Duration::from_secs(10))
            .await
            .unwrap();
        store
            .insert_notification_for_tests(&notification("u-1", "bureau", Uuid::new_v4(), 1))
            .await
            .unwrap();
        let round = deliverer(&store).deliver_due().await.unwrap();
        let DeliveryOutcome::DeadLettered { error } = &round.attempts[0].outcome else {
            panic!("one attempt allowed, so dead at once: {round:?}");
        };
        assert!(error.to_lowercase().contains("connect"), "{error}");
        assert!(!error.contains("do-not-log"), "{error}");
        let dead = store.outbox_entry("u-1").await.unwrap().unwrap();
        assert_eq!(dead.last_error.as_ref(), Some(error));
        store.close().await;
    }
);

conformance!(
    webhooks_are_checked_when_set_and_listed_without_their_secret,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let ten_seconds = Duration::from_secs(10);
        let refused = async |audience: &str, url: &str, secret: &str, attempts: u32, timeout| {
            let error = store
                .set_webhook(audience, url, secret, attempts, timeout)
                .await
                .unwrap_err();
            assert!(matches!(error, StoreError::InvalidRequest(_)), "{error:?}");
            error.to_string()
        };
        let malformed = refused("bureau", "hooks.example.org/in", "s", 3, ten_seconds).await;
        assert!(
            malformed.contains("the webhook URL `hooks.example.org/in` is malformed"),
            "{malformed}"
        );
        let ftp = refused("bureau", "ftp://hooks.example.org/in", "s", 3, ten_seconds).await;
        assert!(
            ftp.contains("uses the scheme `ftp`: only http and https are delivered to"),
            "{ftp}"
        );
        let empty_secret =
            refused("bureau", "https://hooks.example.org/in", "", 3, ten_seconds).await;
        assert!(
            empty_secret.contains("the webhook secret must not be empty"),
            "{empty_secret}"
        );
        let audience = refused(
            "Bureau",
            "https://hooks.example.org/in",
            "s",
            3,
            ten_seconds,
        )
        .await;
        assert!(audience.contains("contains `B`"), "{audience}");
        let empty_audience = refused("", "https://hooks.example.org/in", "s", 3, ten_seconds).await;
        assert!(
            empty_audience.contains("must not be empty"),
            "{empty_audience}"
        );
        let attempts = refused(
            "bureau",
            "https://hooks.example.org/in",
            "s",
            0,
            ten_seconds,
        )
        .await;
        assert!(attempts.contains("at least 1"), "{attempts}");
        for timeout in [Duration::from_millis(99), Duration::from_secs(301)] {
            let message = refused("bureau", "https://hooks.example.org/in", "s", 3, timeout).await;
            assert!(message.contains("between 100 ms and 5 min"), "{message}");
        }
        assert!(
            store.webhooks().await.unwrap().is_empty(),
            "nothing refused was stored"
        );

        let set = store
            .set_webhook(
                "bureau",
                "https://user:hunter2@hooks.example.org/in",
                "s3cret",
                4,
                Duration::from_millis(1500),
            )
            .await
            .unwrap();
        assert_eq!(set.secret, "***");
        assert!(!set.url.contains("hunter2"), "{}", set.url);
        store
            .set_webhook(
                "secretariat",
                "http://127.0.0.1:9/hook",
                "other",
                1,
                ten_seconds,
            )
            .await
            .unwrap();
        let listed = store.webhooks().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0], set);
        assert_eq!(
            (listed[0].max_attempts, listed[0].timeout_millis),
            (4, 1500)
        );
        let shown = serde_json::to_string(&listed).unwrap();
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2"),
            "{shown}"
        );

        store
            .set_webhook(
                "bureau",
                "https://hooks.example.org/v2",
                "new",
                6,
                ten_seconds,
            )
            .await
            .unwrap();
        let replaced = store.webhook("bureau").await.unwrap().unwrap();
        assert_eq!(
            (replaced.url.as_str(), replaced.max_attempts),
            ("https://hooks.example.org/v2", 6)
        );
        assert!(store.remove_webhook("bureau").await.unwrap());
        assert!(!store.remove_webhook("bureau").await.unwrap());
        assert_eq!(store.webhooks().await.unwrap().len(), 1);
        store.close().await;
    }
);

conformance!(
    the_outbox_lists_in_pages_by_status_and_project,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let (first_project, second_project) = (Uuid::new_v4(), Uuid::new_v4());
        // Two notifications share an instant, so the id breaks the tie.
        let rows = [
            ("o-1", "bureau", first_project),
            ("o-3", "secretariat", first_project),
            ("o-2", "secretariat", second_project),
            ("o-4", "bureau", second_project),
            ("o-5", "secretariat", first_project),
        ];
        for (index, (id, audience, project)) in rows.iter().enumerate() {
            if index != 2 {
                clock.advance(seconds(1));
            }
            store
                .insert_notification_for_tests(&notification(id, audience, *project, 1))
                .await
                .unwrap();
        }
        let collect = async |filter: OutboxFilter| {
            let mut ids = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list_outbox(&filter, after.as_deref(), 2)
                    .await
                    .unwrap();
                assert!(page.items.len() <= 2);
                ids.extend(page.items.into_iter().map(|entry| entry.notification_id));
                match page.next_after {
                    Some(next) => after = Some(next),
                    None => return ids,
                }
            }
        };
        assert_eq!(
            collect(OutboxFilter::default()).await,
            ["o-1", "o-2", "o-3", "o-4", "o-5"]
        );
        assert_eq!(
            collect(OutboxFilter {
                project_id: Some(first_project),
                ..OutboxFilter::default()
            })
            .await,
            ["o-1", "o-3", "o-5"]
        );
        assert_eq!(
            collect(OutboxFilter {
                audience: Some("bureau".to_string()),
                ..OutboxFilter::default()
            })
            .await,
            ["o-1", "o-4"]
        );

        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("bureau", "b", Behaviour::Accept);
        store
            .set_webhook(
                "bureau",
                &receiver.url("bureau"),
                "b",
                3,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(
            deliverer(&store).deliver_due().await.unwrap().delivered(),
            2
        );
        let delivered = OutboxFilter {
            status: Some(OutboxStatus::Delivered),
            ..OutboxFilter::default()
        };
        assert_eq!(collect(delivered).await, ["o-1", "o-4"]);
        let pending = OutboxFilter {
            status: Some(OutboxStatus::Pending),
            project_id: Some(first_project),
            ..OutboxFilter::default()
        };
        assert_eq!(collect(pending).await, ["o-3", "o-5"]);
        let backlog = store.outbox_backlog().await.unwrap();
        assert_eq!(
            (backlog.pending, backlog.delivered, backlog.dead),
            (3, 2, 0)
        );
        let oldest_pending = store.outbox_entry("o-3").await.unwrap().unwrap().created_at;
        assert_eq!(backlog.oldest_pending_created_at, Some(oldest_pending));

        let bad = store
            .list_outbox(&OutboxFilter::default(), Some("yesterday"), 2)
            .await
            .unwrap_err();
        assert!(matches!(bad, StoreError::InvalidRequest(_)), "{bad:?}");
        assert_eq!("dead".parse::<OutboxStatus>().unwrap(), OutboxStatus::Dead);
        assert!("lost".parse::<OutboxStatus>().is_err());
        store.close().await;
    }
);

conformance!(
    notifications_for_an_audience_without_a_webhook_wait_for_one,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .insert_notification_for_tests(&notification("w-1", "drafter", Uuid::new_v4(), 2))
            .await
            .unwrap();
        let deliverer = deliverer(&store);
        assert_eq!(deliverer.deliver_due().await.unwrap().claimed(), 0);
        let waiting = store.outbox_entry("w-1").await.unwrap().unwrap();
        assert_eq!(waiting.status, OutboxStatus::Pending);
        assert_eq!(waiting.attempts, 0, "waiting for a webhook is no attempt");
        assert_eq!(
            waiting.last_error.as_deref(),
            Some("no webhook is configured for this audience")
        );
        assert!(waiting.next_attempt_at.unwrap() > clock.now());

        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("drafter", "d", Behaviour::Accept);
        store
            .set_webhook(
                "drafter",
                &receiver.url("drafter"),
                "d",
                3,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let round = deliverer.deliver_due().await.unwrap();
        assert_eq!(
            round.delivered(),
            1,
            "setting the webhook brings it back at once"
        );
        assert_eq!(round.attempts[0].attempt, 1);
        store.close().await;
    }
);

conformance!(
    two_deliverers_on_one_database_deliver_each_notification_once,
    |kind| async move {
        let Some((store, clock, _keep, url)) = store(kind).await else {
            return;
        };
        let other_node = Store::open_with_clock(&url, StoreOptions::default(), clock.clone())
            .await
            .unwrap();
        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("secretariat", "s", Behaviour::Accept);
        store
            .set_webhook(
                "secretariat",
                &receiver.url("secretariat"),
                "s",
                3,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let project = Uuid::new_v4();
        for sequence in 1..=40 {
            store
                .insert_notification_for_tests(&notification(
                    &format!("m-{sequence:02}"),
                    "secretariat",
                    project,
                    sequence,
                ))
                .await
                .unwrap();
        }
        let (here, there) = (deliverer(&store), deliverer(&other_node));
        let mut delivered = 0;
        for _ in 0..10 {
            let (a, b) = tokio::join!(here.deliver_due(), there.deliver_due());
            let (a, b) = (a.unwrap(), b.unwrap());
            if a.claimed() + b.claimed() == 0 {
                break;
            }
            delivered += a.delivered() + b.delivered();
        }
        assert_eq!(delivered, 40);
        let accepted = receiver.accepted("secretariat");
        assert_eq!(accepted.len(), 40);
        assert!(accepted.values().all(|count| *count == 1), "{accepted:?}");
        assert_eq!(receiver.received("secretariat").len(), 40);
        other_node.close().await;
        store.close().await;
    }
);

conformance!(
    the_delivery_loop_sends_when_woken_and_stops_on_shutdown,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("bureau", "b", Behaviour::Accept);
        store
            .set_webhook(
                "bureau",
                &receiver.url("bureau"),
                "b",
                3,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let wake = Arc::new(tokio::sync::Notify::new());
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(deliverer(&store).run(wake.clone(), shutdown));
        store
            .insert_notification_for_tests(&notification("l-1", "bureau", Uuid::new_v4(), 1))
            .await
            .unwrap();
        wake.notify_one();
        let deadline = Instant::now() + Duration::from_secs(20);
        while receiver.accepted("bureau").is_empty() {
            assert!(Instant::now() < deadline, "the loop did not deliver");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(20), running)
            .await
            .expect("the loop stops on shutdown")
            .unwrap();
        let entry = store.outbox_entry("l-1").await.unwrap().unwrap();
        assert_eq!(entry.status, OutboxStatus::Delivered);
        store.close().await;
    }
);

/// The worked example of docs/webhooks.md is what the code computes.
#[test]
fn the_documented_signature_example_holds() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/webhooks.md"
    ))
    .unwrap();
    let value = |prefix: &str| {
        let found: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix(prefix))
            .collect();
        assert_eq!(found.len(), 1, "one line starts with {prefix:?}");
        found[0].to_string()
    };
    let secret = value("secret: ");
    let timestamp: i64 = value("timestamp: ").parse().unwrap();
    let body = value("body: ");
    let header = value("Specflow-Signature: ");
    assert_eq!(sign(&secret, timestamp, body.as_bytes()), header);
    let signed_at = chrono::DateTime::from_timestamp(timestamp, 0).unwrap();
    assert_eq!(
        verify_signature(
            &secret,
            &header,
            body.as_bytes(),
            signed_at + seconds(60),
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
}

conformance!(
    a_write_puts_notifications_without_a_webhook_aside_and_the_others_due_at_once,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let receiver = Receiver::start(clock.clone()).await;
        receiver.set("secretariat", "s", Behaviour::Accept);
        store
            .set_webhook(
                "secretariat",
                &receiver.url("secretariat"),
                "s",
                3,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let project_id = created_project(&store, 1, "SH-TC-01").await;
        // Cancelling tells the drafting group (no webhook) and the secretariat (a webhook).
        let outcome = store
            .execute(request(
                project_id,
                bureau(),
                specflow_engine::Command::FireAction {
                    action: "cancel".to_string(),
                    reason: Some("the need has lapsed".to_string()),
                },
            ))
            .await
            .unwrap();
        assert!(
            matches!(outcome, specflow_store::CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let filter = OutboxFilter {
            project_id: Some(project_id),
            ..Default::default()
        };
        let page = store.list_outbox(&filter, None, 100).await.unwrap();
        let now = clock.now();
        let recheck =
            chrono::Duration::from_std(StoreOptions::default().unaddressed_notification_recheck)
                .unwrap();
        let mut audiences = Vec::new();
        for entry in page.items {
            assert_eq!(entry.status, OutboxStatus::Pending);
            assert_eq!(entry.attempts, 0);
            match entry.audience.as_str() {
                "secretariat" => {
                    assert_eq!(entry.next_attempt_at, Some(now), "due at once");
                    assert_eq!(entry.last_error, None);
                }
                _ => {
                    assert_eq!(entry.next_attempt_at, Some(now + recheck), "put aside");
                    assert_eq!(
                        entry.last_error.as_deref(),
                        Some("no webhook is configured for this audience")
                    );
                }
            }
            audiences.push(entry.audience);
        }
        audiences.sort();
        assert_eq!(audiences, ["drafter", "secretariat"]);

        // Only the addressed one is claimed and delivered; the other waits for its webhook.
        let round = deliverer(&store).deliver_due().await.unwrap();
        assert_eq!(round.delivered(), 1);
        assert_eq!(receiver.accepted("secretariat").len(), 1);
        store.close().await;
    }
);
