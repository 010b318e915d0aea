//! Delivery of the notification outbox: signed HTTP webhooks, retried with backoff, dead-lettered.
//!
//! The [`Deliverer`] claims due notifications (a lease, see the store's `outbox` module), posts each
//! to its audience's webhook with the signature of [`signature`], and records the answer: 2xx
//! delivers; anything else (a status, a refused connection, a timeout) is retried after an
//! exponential backoff with jitter, until the webhook's attempts run out and the notification is
//! dead. Every attempt has its own task and its own timeout, so a receiver that hangs holds one
//! slot of the deliverer and nothing else: other notifications, and the scheduler, go on.
//!
//! Time comes from the store's clock; a test moves a `ManualClock` past a backoff and calls
//! [`Deliverer::deliver_due`] instead of waiting.

pub mod email;
pub mod letters;
pub mod robot;
pub mod signature;

use chrono::{DateTime, Utc};
use email::{EmailSettings, Mailer};
use serde::Serialize;
use signature::{NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, sign};
use specflow_store::Store;
use specflow_store::clock::Clock;
use specflow_store::error::StoreError;
use specflow_store::outbox::{ChannelKind, ClaimedNotification, WebhookTarget, email_addresses};
use specflow_store::personal_email::person_of_audience;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The longest `last_error` kept: enough for a status line or an error chain, not for a page.
const MAX_ERROR_CHARS: usize = 200;

/// The shortest pause between two claims when nothing was claimable, so that a due row that
/// cannot be claimed (locked by another node for a moment) does not spin the loop.
const MIN_PAUSE: Duration = Duration::from_millis(10);

/// How the deliverer works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// How many attempts may be in flight at once (and how many notifications a round claims).
    pub concurrency: usize,
    /// The backoff after the first failed attempt; it doubles with each further failure.
    pub backoff_base: Duration,
    /// The longest backoff.
    pub backoff_cap: Duration,
    /// The longest the loop sleeps without looking for due notifications (another node, or the
    /// write path without a wake-up, may have added some).
    pub max_poll_interval: Duration,
    /// How much longer than the webhook's timeout a claim lasts before another deliverer may take
    /// the notification over: room for recording the answer.
    pub lease_margin: Duration,
    /// On shutdown, how long attempts in flight may still finish; the rest are abandoned and
    /// retried when their lease runs out.
    pub shutdown_grace: Duration,
    /// After a wake-up, how long the loop waits before it claims, so that the wake-ups of many
    /// commits make one round: every commit that writes notifications wakes the deliverer, and a
    /// round is two statements, which at a thousand commits a second would double the
    /// database's work (found by the API load bench).
    pub wake_coalescing: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> DeliveryOptions {
        DeliveryOptions {
            concurrency: 16,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(60 * 60),
            max_poll_interval: Duration::from_secs(1),
            lease_margin: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            wake_coalescing: Duration::from_millis(50),
        }
    }
}

impl DeliveryOptions {
    /// The longest backoff after failed attempt number `attempt` (1 for the first):
    /// `min(backoff_base * 2^(attempt-1), backoff_cap)`. The backoff drawn is between half of it
    /// and all of it ("equal jitter"), so that receivers that failed together are not all
    /// retried together, and none is retried at once.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.backoff_base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.backoff_cap)
            .min(self.backoff_cap)
    }

    fn check(&self) -> Result<(), DeliveryError> {
        let invalid = |what: &str| Err(DeliveryError::InvalidOptions(what.to_string()));
        if self.concurrency == 0 {
            return invalid("concurrency must be at least 1");
        }
        if self.backoff_base.is_zero() {
            return invalid("backoff_base must be longer than zero");
        }
        if self.backoff_cap < self.backoff_base {
            return invalid("backoff_cap must not be shorter than backoff_base");
        }
        if self.max_poll_interval.is_zero() {
            return invalid("max_poll_interval must be longer than zero");
        }
        Ok(())
    }
}

/// Why a deliverer cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The options do not fit together.
    #[error("invalid delivery options: {0}")]
    InvalidOptions(String),
    /// The HTTP client cannot be built (its TLS setup failed).
    #[error("cannot build the webhook HTTP client: {0}")]
    HttpClient(String),
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// The attempt failed and the notification is tried again at `next_attempt_at`.
    WillRetry {
        /// Why it failed.
        error: String,
        /// When it is tried again.
        next_attempt_at: DateTime<Utc>,
    },
    /// The attempt failed and was the last one allowed: the notification is dead.
    DeadLettered {
        /// Why it failed.
        error: String,
    },
    /// The audience's webhook was removed between the claim and the attempt: nothing was sent,
    /// and the notification waits for a webhook.
    NoWebhook,
    /// The audience's robot had sent its minute's messages: nothing was sent, the attempt is not
    /// counted, and the notification is due again at `next_attempt_at`.
    RateLimited {
        /// When the robot takes messages again.
        next_attempt_at: DateTime<Utc>,
    },
}

/// One attempt of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    /// The notification.
    pub notification_id: String,
    /// Its audience.
    pub audience: String,
    /// Which attempt this was (1 for the first).
    pub attempt: u32,
    /// What became of it.
    pub outcome: DeliveryOutcome,
}

/// What one round of [`Deliverer::deliver_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryRound {
    /// Every attempt, by notification id.
    pub attempts: Vec<DeliveryAttempt>,
}

impl DeliveryRound {
    /// How many notifications were attempted or released.
    pub fn claimed(&self) -> usize {
        self.attempts.len()
    }

    /// How many were delivered.
    pub fn delivered(&self) -> usize {
        self.count(|outcome| matches!(outcome, DeliveryOutcome::Delivered))
    }

    /// How many failed and will be retried.
    pub fn retrying(&self) -> usize {
        self.count(|outcome| matches!(outcome, DeliveryOutcome::WillRetry { .. }))
    }

    /// How many were dead-lettered.
    pub fn dead_lettered(&self) -> usize {
        self.count(|outcome| matches!(outcome, DeliveryOutcome::DeadLettered { .. }))
    }

    fn count(&self, which: impl Fn(&DeliveryOutcome) -> bool) -> usize {
        self.attempts
            .iter()
            .filter(|attempt| which(&attempt.outcome))
            .count()
    }
}

/// How /readyz names every person's own e-mail channel.
pub const PEOPLES_EMAIL: &str = "people's e-mail";

/// The delivery worker. Cloning it is cheap: clones share the store and the HTTP client.
#[derive(Debug, Clone)]
pub struct Deliverer {
    store: Store,
    client: reqwest::Client,
    options: DeliveryOptions,
    /// The SMTP transport for e-mail channels, when the server has one.
    mailer: Option<Mailer>,
    /// The address people reach the pages at, for links in robots' messages.
    public_url: Option<String>,
}

/// An error, with its causes, on one line and short: what `last_error` keeps.
fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    shorten(&text)
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(MAX_ERROR_CHARS - 1).collect();
        short.push('…');
        short
    }
}

/// A round's claimed notifications as batches to send: a robot's together (at most
/// [`robot::MAX_BATCH`] a message, in the order claimed), everything else one by one.
fn batches(
    claimed: Vec<ClaimedNotification>,
    targets: &HashMap<String, WebhookTarget>,
) -> Vec<(Vec<ClaimedNotification>, Option<WebhookTarget>)> {
    let mut batches: Vec<(Vec<ClaimedNotification>, Option<WebhookTarget>)> = Vec::new();
    let mut open_robot_batch: HashMap<String, usize> = HashMap::new();
    for claimed in claimed {
        let target = targets.get(&claimed.audience).cloned();
        match target.as_ref().filter(|target| target.kind.is_robot()) {
            Some(robot) => {
                let open = open_robot_batch
                    .get(&robot.url)
                    .copied()
                    .filter(|index| batches[*index].0.len() < robot::MAX_BATCH);
                match open {
                    Some(index) => batches[index].0.push(claimed),
                    None => {
                        open_robot_batch.insert(robot.url.clone(), batches.len());
                        batches.push((vec![claimed], target));
                    }
                }
            }
            None => batches.push((vec![claimed], target)),
        }
    }
    batches
}

/// Why an e-mail channel cannot be sent to: the server has no SMTP settings.
fn no_smtp() -> String {
    "no SMTP server is configured: start specflow with --smtp-url and --mail-from".to_string()
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl Deliverer {
    /// A deliverer for `store`'s outbox.
    pub fn new(store: Store, options: DeliveryOptions) -> Result<Deliverer, DeliveryError> {
        options.check()?;
        let client = reqwest::Client::builder()
            // A redirect would send a signed notification somewhere nobody configured; a
            // receiver that moved is told to change its webhook by the failures.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("specflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| DeliveryError::HttpClient(describe_error(&error)))?;
        Ok(Deliverer {
            store,
            client,
            options,
            mailer: None,
            public_url: None,
        })
    }

    /// The same deliverer, sending e-mail channels' notifications through `settings`' SMTP
    /// server. Without it, an e-mail channel's notifications fail, saying so, and are retried.
    pub fn with_email(mut self, settings: &EmailSettings) -> Result<Deliverer, DeliveryError> {
        self.mailer = Some(Mailer::new(settings)?);
        Ok(self)
    }

    /// The same deliverer, linking robots' messages to the pages under `public_url`
    /// (`https://specflow.example.org`).
    pub fn with_public_url(mut self, public_url: Option<String>) -> Deliverer {
        self.public_url = public_url.map(|url| url.trim_end_matches('/').to_string());
        self
    }

    /// Sends a test message to `target` now and says how it went: what `specflow channel test`
    /// reports. A webhook gets a signed test notification; an e-mail channel's SMTP server is
    /// connected to, then each address is sent the test message.
    pub async fn send_test(&self, audience: &str, target: &WebhookTarget) -> Result<(), String> {
        if target.kind == ChannelKind::Email {
            let mailer = self.mailer.as_ref().ok_or_else(no_smtp)?;
            mailer.check_connection(target.timeout).await?;
        }
        let now = self.clock().now();
        let notification_id = format!("test-{}", uuid::Uuid::new_v4());
        let body = serde_json::json!({
            "notification_id": notification_id,
            "audience": audience,
            "event_type": email::TEST_EVENT_TYPE,
            "recorded_at": now,
            "what_happened": {"zh": "这是 specflow 的测试通知：此渠道可以收到通知。", "en": "This is a test notification from specflow: this channel receives notifications."},
            "what_next": {"zh": "无需处理。", "en": "Nothing to do."},
        })
        .to_string();
        let claimed = ClaimedNotification {
            notification_id,
            audience: audience.to_string(),
            body,
            attempt: 1,
        };
        self.send(&claimed, target).await
    }

    /// The options it runs with.
    pub fn options(&self) -> &DeliveryOptions {
        &self.options
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.store.clock()
    }

    /// Claims up to `limit` due notifications, with the webhooks they go to, after moving aside
    /// those whose audience has no webhook.
    async fn claim(
        &self,
        limit: usize,
    ) -> Result<(Vec<ClaimedNotification>, HashMap<String, WebhookTarget>), StoreError> {
        let now = self.clock().now();
        self.store
            .park_unaddressed_notifications(
                now,
                now + chrono_duration(self.store.options().unaddressed_notification_recheck),
            )
            .await?;
        let claimed = self
            .store
            .claim_due_notifications(now, limit, self.options.lease_margin)
            .await?;
        if claimed.is_empty() {
            return Ok((claimed, HashMap::new()));
        }
        // Read after claiming, so that a webhook set in between is used with its new values.
        let targets = self.store.webhook_targets().await?;
        Ok((claimed, targets))
    }

    /// One round: claims the due notifications (as many as `concurrency`), posts them all at
    /// once, each with its webhook's timeout, and records every answer. Returns when every
    /// attempt has ended; an error means the claim (or recording an answer) failed, and the
    /// claimed notifications are retried when their lease runs out.
    pub async fn deliver_due(&self) -> Result<DeliveryRound, StoreError> {
        let (claimed, targets) = self.claim(self.options.concurrency).await?;
        let batches = futures_util::future::join_all(
            batches(claimed, &targets)
                .into_iter()
                .map(|(claimed, target)| self.attempt_batch(claimed, target)),
        )
        .await;
        let mut round = DeliveryRound::default();
        for attempts in batches {
            round.attempts.extend(attempts?);
        }
        Ok(round)
    }

    /// Sends one batch ([`batches`]): a robot's notifications as one message, anything else one
    /// by one; records what became of each.
    async fn attempt_batch(
        &self,
        claimed: Vec<ClaimedNotification>,
        target: Option<WebhookTarget>,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let Some(robot) = target.as_ref().filter(|target| target.kind.is_robot()) else {
            let mut attempts = Vec::with_capacity(claimed.len());
            for claimed in claimed {
                attempts.push(self.attempt(claimed, target.clone()).await?);
            }
            return Ok(attempts);
        };
        if let Some(free_at) = self.robot_is_full(robot).await? {
            let mut attempts = Vec::with_capacity(claimed.len());
            for claimed in claimed {
                self.store.release_claim(&claimed, free_at).await?;
                attempts.push(self.report(
                    claimed,
                    DeliveryOutcome::RateLimited {
                        next_attempt_at: free_at,
                    },
                ));
            }
            return Ok(attempts);
        }
        let failure = self.post_robot(&claimed, robot).await.err();
        let mut attempts = Vec::with_capacity(claimed.len());
        for claimed in claimed {
            let outcome = self.record(&claimed, robot, failure.clone()).await?;
            attempts.push(self.report(claimed, outcome));
        }
        Ok(attempts)
    }

    /// When a robot that has sent its minute's messages takes one again; `None` when it may
    /// send now (and the send is counted, in the database, so that every node's sends count).
    async fn robot_is_full(
        &self,
        robot: &WebhookTarget,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.store
            .take_robot_turn(
                &robot.url,
                robot::messages_per_minute(robot.kind),
                chrono::Duration::minutes(1),
                self.clock().now(),
            )
            .await
    }

    /// Posts notifications to a robot as one message; `Err` says why it was not accepted.
    async fn post_robot(
        &self,
        claimed: &[ClaimedNotification],
        robot: &WebhookTarget,
    ) -> Result<(), String> {
        let bodies: Vec<&str> = claimed
            .iter()
            .map(|claimed| claimed.body.as_str())
            .collect();
        let public_url = self.public_url.as_deref();
        let (url, body) = robot::robot_request(
            robot.kind,
            &robot.url,
            &robot.secret,
            &bodies,
            robot.language,
            public_url,
            self.clock().now().timestamp_millis(),
        )?;
        let response = self
            .client
            .post(&url)
            .timeout(robot.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let answer = response.text().await.unwrap_or_default();
                robot::robot_accepted(robot.kind, status, &answer)
            }
            Err(error) if error.is_timeout() => Err(format!(
                "no answer within the timeout of {} ms",
                robot.timeout.as_millis()
            )),
            // The URL is left out: it holds the robot's key.
            Err(error) => Err(describe_error(&error.without_url())),
        }
    }

    /// Records what became of one attempt at `target`: delivered, retried later or dead.
    async fn record(
        &self,
        claimed: &ClaimedNotification,
        target: &WebhookTarget,
        failure: Option<String>,
    ) -> Result<DeliveryOutcome, StoreError> {
        let now = self.clock().now();
        // People's own addresses are one line of /readyz, which anyone may read: it names no
        // account, and the mail server's trouble shows there all the same.
        let channel = match person_of_audience(&claimed.audience) {
            Some(_) => PEOPLES_EMAIL,
            None => claimed.audience.as_str(),
        };
        self.store
            .note_channel_attempt(channel, target.kind, now, failure.as_deref());
        Ok(match failure {
            None => {
                self.store
                    .record_delivered(&claimed.notification_id, now)
                    .await?;
                DeliveryOutcome::Delivered
            }
            Some(error) if claimed.attempt >= target.max_attempts => {
                self.store
                    .record_failure(claimed, &error, true, now)
                    .await?;
                DeliveryOutcome::DeadLettered { error }
            }
            Some(error) => {
                let next_attempt_at = now + chrono_duration(self.retry_delay(claimed.attempt));
                self.store
                    .record_failure(claimed, &error, false, next_attempt_at)
                    .await?;
                DeliveryOutcome::WillRetry {
                    error,
                    next_attempt_at,
                }
            }
        })
    }

    /// Posts one claimed notification and records what became of it.
    async fn attempt(
        &self,
        claimed: ClaimedNotification,
        target: Option<WebhookTarget>,
    ) -> Result<DeliveryAttempt, StoreError> {
        let Some(target) = target else {
            self.store
                .release_claim(&claimed, self.clock().now())
                .await?;
            return Ok(self.report(claimed, DeliveryOutcome::NoWebhook));
        };
        let failure = self.send(&claimed, &target).await.err();
        let outcome = self.record(&claimed, &target, failure).await?;
        Ok(self.report(claimed, outcome))
    }

    /// The backoff after failed attempt `attempt`: between half of
    /// [`DeliveryOptions::backoff_ceiling`] and all of it.
    fn retry_delay(&self, attempt: u32) -> Duration {
        let ceiling = self.options.backoff_ceiling(attempt);
        let half = ceiling / 2;
        half + (ceiling - half).mul_f64(fastrand::f64())
    }

    /// Sends the notification by its channel's kind; `Err` says why it was not accepted.
    async fn send(
        &self,
        claimed: &ClaimedNotification,
        target: &WebhookTarget,
    ) -> Result<(), String> {
        match target.kind {
            ChannelKind::Webhook => self.post(claimed, target).await,
            ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu => {
                self.post_robot(std::slice::from_ref(claimed), target).await
            }
            ChannelKind::Email => {
                let mailer = self.mailer.as_ref().ok_or_else(no_smtp)?;
                mailer
                    .send(
                        &claimed.notification_id,
                        &claimed.body,
                        &email_addresses(&target.url),
                        target.language,
                        target.timeout,
                    )
                    .await
            }
        }
    }

    /// Posts the notification to a webhook; `Err` says why it was not accepted.
    async fn post(
        &self,
        claimed: &ClaimedNotification,
        target: &WebhookTarget,
    ) -> Result<(), String> {
        let signed_at = self.clock().now().timestamp();
        let response = self
            .client
            .post(&target.url)
            .timeout(target.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(NOTIFICATION_ID_HEADER, &claimed.notification_id)
            .header(
                SIGNATURE_HEADER,
                sign(&target.secret, signed_at, claimed.body.as_bytes()),
            )
            .body(claimed.body.clone())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) if response.status().is_redirection() => Err(shorten(&format!(
                "HTTP {}: webhooks do not follow redirects; set the webhook to the final URL",
                response.status()
            ))),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(error) if error.is_timeout() => Err(format!(
                "no answer within the timeout of {} ms",
                target.timeout.as_millis()
            )),
            // The URL is left out: the webhook list shows it, with any password masked.
            Err(error) => Err(describe_error(&error.without_url())),
        }
    }

    fn report(&self, claimed: ClaimedNotification, outcome: DeliveryOutcome) -> DeliveryAttempt {
        let (id, audience, attempt) =
            (&claimed.notification_id, &claimed.audience, claimed.attempt);
        match &outcome {
            DeliveryOutcome::Delivered => {
                tracing::info!(notification = %id, audience = %audience, attempt, "notification delivered");
            }
            DeliveryOutcome::WillRetry {
                error,
                next_attempt_at,
            } => {
                tracing::warn!(notification = %id, audience = %audience, attempt, %error, %next_attempt_at, "notification delivery failed; will retry");
            }
            DeliveryOutcome::DeadLettered { error } => {
                tracing::error!(notification = %id, audience = %audience, attempt, %error, "notification dead-lettered: no attempts left");
            }
            DeliveryOutcome::NoWebhook => {
                tracing::info!(notification = %id, audience = %audience, "webhook removed before the attempt; notification left pending");
            }
            DeliveryOutcome::RateLimited { next_attempt_at } => {
                tracing::info!(notification = %id, audience = %audience, %next_attempt_at, "the robot has sent its minute's messages; notification waits");
            }
        }
        DeliveryAttempt {
            notification_id: claimed.notification_id,
            audience: claimed.audience,
            attempt,
            outcome,
        }
    }

    /// How long to sleep when nothing more is due: until the earliest pending notification falls
    /// due, at most `max_poll_interval`.
    async fn pause(&self) -> Duration {
        let ceiling = self.options.max_poll_interval;
        match self.store.earliest_pending_attempt().await {
            Ok(Some(earliest)) => (earliest - self.clock().now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(MIN_PAUSE, ceiling.max(MIN_PAUSE)),
            Ok(None) => ceiling,
            Err(error) => {
                tracing::warn!(%error, "cannot read when the next notification is due");
                ceiling
            }
        }
    }

    /// Delivers until `shutdown` turns true (or its sender is dropped).
    ///
    /// Claims as many due notifications as there are free slots (`concurrency`), each attempt in
    /// a task of its own, so a hanging receiver holds one slot for at most its timeout and the
    /// others go on. When nothing is due it sleeps until the earliest pending notification falls
    /// due (at most `max_poll_interval`), until `wake` is notified (the write path does, after
    /// writing notifications; the API does, after a retry) or until an attempt ends.
    /// On shutdown it claims nothing more and lets attempts in flight finish for
    /// `shutdown_grace`; those still going are abandoned and retried after their lease.
    pub async fn run(self, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
        let mut in_flight: JoinSet<()> = JoinSet::new();
        tracing::info!(
            concurrency = self.options.concurrency,
            "notification delivery started"
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            while let Some(ended) = in_flight.try_join_next() {
                log_task_end(ended);
            }
            let free = self.options.concurrency.saturating_sub(in_flight.len());
            let pause = if free == 0 {
                // Every slot is busy: wait for one to end (or for the poll interval).
                self.options.max_poll_interval
            } else {
                match self.claim(free).await {
                    Ok((claimed, targets)) => {
                        let all_slots_filled = claimed.len() == free;
                        for (claimed, target) in batches(claimed, &targets) {
                            let deliverer = self.clone();
                            in_flight.spawn(async move {
                                if let Err(error) = deliverer.attempt_batch(claimed, target).await {
                                    tracing::warn!(%error, "cannot record a delivery attempt; it is retried when its lease runs out");
                                }
                            });
                        }
                        if all_slots_filled {
                            // More may be due: look again as soon as a slot is free.
                            continue;
                        }
                        self.pause().await
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot claim due notifications");
                        self.options.max_poll_interval
                    }
                }
            };
            tokio::select! {
                _ = wake.notified() => {
                    // Later wake-ups in this pause are taken by the round that follows it.
                    tokio::select! {
                        _ = tokio::time::sleep(self.options.wake_coalescing) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(ended) = in_flight.join_next(), if !in_flight.is_empty() => log_task_end(ended),
                _ = tokio::time::sleep(pause) => {}
            }
        }
        let still_in_flight = in_flight.len();
        if still_in_flight > 0 {
            tracing::info!(
                still_in_flight,
                "notification delivery stopping: letting attempts in flight finish"
            );
            let drained = tokio::time::timeout(self.options.shutdown_grace, async {
                while let Some(ended) = in_flight.join_next().await {
                    log_task_end(ended);
                }
            })
            .await;
            if drained.is_err() {
                tracing::warn!(
                    abandoned = in_flight.len(),
                    "attempts still in flight are abandoned; they are retried when their lease runs out"
                );
                in_flight.abort_all();
            }
        }
        tracing::info!("notification delivery stopped");
    }
}

fn log_task_end(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended
        && error.is_panic()
    {
        tracing::error!(%error, "a delivery attempt panicked; it is retried when its lease runs out");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = DeliveryOptions::default();
        assert_eq!(options.backoff_ceiling(1), Duration::from_secs(2));
        assert_eq!(options.backoff_ceiling(2), Duration::from_secs(4));
        assert_eq!(options.backoff_ceiling(3), Duration::from_secs(8));
        assert_eq!(options.backoff_ceiling(11), Duration::from_secs(2048));
        assert_eq!(options.backoff_ceiling(12), Duration::from_secs(3600));
        assert_eq!(options.backoff_ceiling(u32::MAX), Duration::from_secs(3600));
        assert_eq!(options.backoff_ceiling(0), Duration::from_secs(2));
    }

    #[test]
    fn options_that_do_not_fit_are_refused() {
        let zero = DeliveryOptions {
            concurrency: 0,
            ..DeliveryOptions::default()
        };
        assert!(zero.check().is_err());
        let inverted = DeliveryOptions {
            backoff_cap: Duration::from_secs(1),
            ..DeliveryOptions::default()
        };
        assert!(matches!(
            inverted.check(),
            Err(DeliveryError::InvalidOptions(reason)) if reason.contains("backoff_cap")
        ));
        assert!(DeliveryOptions::default().check().is_ok());
    }

    #[test]
    fn long_errors_are_cut_on_a_character() {
        let long = "失败".repeat(300);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MAX_ERROR_CHARS);
        assert!(short.ends_with('…'));
    }
}
