//! The notification outbox and the webhooks it is delivered to.
//!
//! The write path puts one row in `outbox` per audience that must hear about an audit record, in
//! the same transaction as the record; the deliverer ([`crate::delivery::Deliverer`]) posts each
//! row to its audience's webhook and moves it on: `pending` until a receiver answers 2xx
//! (`delivered`) or the webhook's attempts run out (`dead`). An operator sees the rows page by
//! page and sends dead ones back to `pending`.
//!
//! Claiming is a lease, not a lock held across the network: a claim adds one to `attempts` and
//! pushes `next_attempt_at` past the webhook's timeout, so the rows a crashed node had claimed fall
//! due again on their own and another node retries them. Delivery is therefore at least once, and
//! receivers drop duplicates by the notification id.

use super::page::{PageSize, cursor_fields, cursor_text};
use super::sql::Statement;
use super::{Backend, Store, instant, micros};
use crate::error::{StoreError, redact_url};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::Language;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// What a listed webhook shows instead of its secret.
pub const MASKED_SECRET: &str = "***";

/// The shortest timeout a webhook may have: below it, a healthy receiver across a network fails.
pub const MIN_WEBHOOK_TIMEOUT: Duration = Duration::from_millis(100);

/// The longest timeout a webhook may have: a claim's lease lasts the timeout, so a longer one
/// would hold a crashed node's claims for that long.
pub const MAX_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The longest audience name accepted.
const MAX_AUDIENCE_CHARS: usize = 64;

/// The error a notification waits with while its audience has no webhook.
pub const NO_WEBHOOK_ERROR: &str = "no webhook is configured for this audience";

/// How many ids one statement names at most (PostgreSQL and SQLite both take far more; this keeps
/// statements small).
const IDS_PER_STATEMENT: usize = 500;

/// A webhook as listed: where an audience's notifications go. The secret never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// The audience (a role of the workflow definitions, such as `secretariat`).
    pub audience: String,
    /// How notifications are sent there.
    pub kind: ChannelKind,
    /// The language of the words sent.
    pub language: Language,
    /// The URL notifications are posted to, with any password in it masked; for e-mail, the
    /// `mailto:` URI of its addresses.
    pub url: String,
    /// Always [`MASKED_SECRET`]: the secret is set, never shown.
    pub secret: &'static str,
    /// How many attempts a notification gets before it is dead-lettered.
    pub max_attempts: u32,
    /// How long one attempt may take, in milliseconds.
    pub timeout_millis: u64,
    /// When the webhook was last set.
    pub updated_at: DateTime<Utc>,
}

/// A webhook with its secret, for the deliverer alone.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// How notifications are sent.
    pub kind: ChannelKind,
    /// The language of the words sent.
    pub language: Language,
    /// Where notifications are posted (for e-mail, the `mailto:` URI of the addresses).
    pub url: String,
    /// The key of the HMAC signature.
    pub secret: String,
    /// Attempts before a notification is dead.
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
}

/// How an audience's notifications are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// An HTTP POST of the notification's JSON, signed with the channel's secret
    /// (docs/webhooks.md).
    Webhook,
    /// An e-mail to each address of a `mailto:` URI, through the server's SMTP settings.
    Email,
    /// A WeCom group robot (企业微信群机器人): its webhook URL holds its key; no signature.
    Wecom,
    /// A DingTalk custom robot (钉钉自定义机器人), signed with its `SEC…` secret when it has one.
    Dingtalk,
    /// A Feishu custom robot (飞书自定义机器人), signed with its secret when it has one.
    Feishu,
}

impl ChannelKind {
    /// The stored (and typed) name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
        }
    }

    /// Whether it is one of the group robots, which read Markdown and answer errors in their
    /// JSON.
    pub fn is_robot(self) -> bool {
        matches!(
            self,
            ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu
        )
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<ChannelKind, StoreError> {
        match text {
            "webhook" => Ok(ChannelKind::Webhook),
            "email" => Ok(ChannelKind::Email),
            "wecom" => Ok(ChannelKind::Wecom),
            "dingtalk" => Ok(ChannelKind::Dingtalk),
            "feishu" => Ok(ChannelKind::Feishu),
            other => Err(StoreError::InvalidRequest(format!(
                "the channel kind `{other}` is not one specflow sends to: use webhook, email, wecom, dingtalk or feishu"
            ))),
        }
    }
}

/// What a channel is set to: [`Store::set_channel`].
#[derive(Debug, Clone)]
pub struct ChannelSettings<'a> {
    /// How notifications are sent.
    pub kind: ChannelKind,
    /// An http(s) URL for a webhook; for e-mail, addresses separated by commas (or a `mailto:`
    /// URI of them).
    pub address: &'a str,
    /// A webhook's signing secret; empty for e-mail.
    pub secret: &'a str,
    /// The language of the words sent.
    pub language: Language,
    /// Attempts before a notification is dead.
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
}

/// The longest e-mail address (RFC 5321 allows 254 characters in a path).
const MAX_EMAIL_ADDRESS_CHARS: usize = 254;

/// Checks one e-mail address as people type it: a local part, one `@`, a domain with a dot,
/// nothing that would need quoting.
pub(crate) fn check_email_address(address: &str) -> Result<(), StoreError> {
    let refuse = |why: &str| {
        Err(StoreError::InvalidRequest(format!(
            "the e-mail address `{address}` {why}"
        )))
    };
    if address.chars().count() > MAX_EMAIL_ADDRESS_CHARS {
        return refuse("is longer than 254 characters");
    }
    let Some((local, domain)) = address.split_once('@') else {
        return refuse("has no `@`");
    };
    if local.is_empty() || domain.is_empty() {
        return refuse("needs a name before the `@` and a domain after it");
    }
    if domain.contains('@') {
        return refuse("has more than one `@`");
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return refuse("has no domain such as example.org after the `@`");
    }
    if let Some(bad) = address.chars().find(|character| {
        character.is_whitespace() || character.is_control() || "<>()[]\\,;:\"".contains(*character)
    }) {
        return refuse(&format!("contains `{bad}`"));
    }
    Ok(())
}

/// Checks an e-mail channel's addresses (`a@example.org, b@example.org`, or a `mailto:` URI of
/// them) and returns them as one `mailto:` URI.
pub fn check_email_addresses(text: &str) -> Result<String, StoreError> {
    let list = text.trim();
    let list = list.strip_prefix("mailto:").unwrap_or(list);
    let addresses: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .collect();
    if addresses.is_empty() {
        return Err(StoreError::InvalidRequest(
            "an e-mail channel needs at least one address, such as secretariat@example.org"
                .to_string(),
        ));
    }
    for address in &addresses {
        check_email_address(address)?;
    }
    Ok(format!("mailto:{}", addresses.join(",")))
}

/// The addresses of a `mailto:` URI as [`check_email_addresses`] wrote it.
pub fn email_addresses(mailto: &str) -> Vec<String> {
    mailto
        .strip_prefix("mailto:")
        .unwrap_or(mailto)
        .split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn language_code(language: Language) -> &'static str {
    match language {
        Language::Zh => "zh",
        Language::En => "en",
    }
}

pub(crate) fn language_of_code(code: &str) -> Result<Language, StoreError> {
    match code {
        "zh" => Ok(Language::Zh),
        "en" => Ok(Language::En),
        other => Err(StoreError::Corrupt(format!(
            "a channel's language is {other}"
        ))),
    }
}

/// Where a notification is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    /// Waiting for its next attempt (or for a webhook for its audience).
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed; it waits for an operator to retry it.
    Dead,
}

impl OutboxStatus {
    /// The stored (and shown) name: `pending`, `delivered` or `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Dead => "dead",
        }
    }
}

impl std::fmt::Display for OutboxStatus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for OutboxStatus {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<OutboxStatus, StoreError> {
        match text {
            "pending" => Ok(OutboxStatus::Pending),
            "delivered" => Ok(OutboxStatus::Delivered),
            "dead" => Ok(OutboxStatus::Dead),
            other => Err(StoreError::InvalidRequest(format!(
                "`{other}` is not a notification status: use pending, delivered or dead"
            ))),
        }
    }
}

/// A notification as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Its id, sent with every attempt so that receivers can drop duplicates.
    pub notification_id: String,
    /// The project it is about.
    pub project_id: Uuid,
    /// The audit record it is about.
    pub sequence: u64,
    /// Who it is for.
    pub audience: String,
    /// The type of the event it reports.
    pub event_type: String,
    /// The JSON posted, byte for byte.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Where it is in its delivery.
    pub status: OutboxStatus,
    /// How many attempts were made (a claimed attempt counts even if its node died).
    pub attempts: u32,
    /// When it is tried next; only while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last failed attempt failed, kept after a later success to show what happened.
    pub last_error: Option<String>,
    /// When a receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Which notifications a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    /// Only those in this status.
    pub status: Option<OutboxStatus>,
    /// Only those about this project.
    pub project_id: Option<Uuid>,
    /// Only those for this audience.
    pub audience: Option<String>,
}

/// A page of notifications and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxPage {
    /// The notifications, oldest first.
    pub items: Vec<OutboxEntry>,
    /// Pass this as `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

/// Which dead notifications to send back to pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetrySelection {
    /// Every dead notification.
    AllDead,
    /// These notifications, those of them that are dead.
    Notifications(Vec<String>),
}

/// How many notifications are in each status (for the backlog metric and the status page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxBacklog {
    /// Waiting for an attempt.
    pub pending: u64,
    /// Accepted by a receiver.
    pub delivered: u64,
    /// Waiting for an operator.
    pub dead: u64,
    /// When the oldest pending notification was written: how far delivery lags.
    pub oldest_pending_created_at: Option<DateTime<Utc>>,
}

/// A notification the deliverer claimed: what it posts, and the attempt this is.
#[derive(Debug, Clone)]
pub struct ClaimedNotification {
    /// Its id, which receivers drop duplicates by.
    pub notification_id: String,
    /// Who it is for.
    pub audience: String,
    /// The JSON posted, byte for byte.
    pub body: String,
    /// The attempt this claim is (1 for the first).
    pub attempt: u32,
}

/// A notification as the write path would enqueue it, for tests of delivery.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct TestNotification {
    pub notification_id: String,
    pub project_id: Uuid,
    pub sequence: u64,
    pub audience: String,
    pub event_type: String,
    pub body: String,
}

const OUTBOX_COLUMNS: &str = "SELECT notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at, last_error, delivered_at FROM outbox";

/// Checks an audience name: it is a role code of the definitions, and it appears in URLs and
/// command lines, so plain lowercase ASCII only.
fn check_audience(audience: &str) -> Result<(), StoreError> {
    if audience.is_empty() {
        return Err(StoreError::InvalidRequest(
            "the audience must not be empty: name a role of the workflow definitions, such as secretariat".to_string(),
        ));
    }
    if audience.chars().count() > MAX_AUDIENCE_CHARS {
        return Err(StoreError::InvalidRequest(format!(
            "the audience `{audience}` is longer than {MAX_AUDIENCE_CHARS} characters"
        )));
    }
    if let Some(bad) = audience
        .chars()
        .find(|character| !matches!(character, 'a'..='z' | '0'..='9' | '_' | '-'))
    {
        return Err(StoreError::InvalidRequest(format!(
            "the audience `{audience}` contains `{bad}`: use only lowercase letters a-z, digits, `_` and `-`"
        )));
    }
    Ok(())
}

/// Checks a webhook URL and returns it as it will be requested.
fn check_webhook_url(url: &str) -> Result<String, StoreError> {
    let shown = redact_url(url);
    let parsed = url::Url::parse(url.trim()).map_err(|error| {
        StoreError::InvalidRequest(format!("the webhook URL `{shown}` is malformed: {error}"))
    })?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            return Err(StoreError::InvalidRequest(format!(
                "the webhook URL `{shown}` uses the scheme `{other}`: only http and https are delivered to"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(StoreError::InvalidRequest(format!(
            "the webhook URL `{shown}` names no host"
        )));
    }
    Ok(parsed.to_string())
}

fn check_timeout(timeout: Duration) -> Result<(), StoreError> {
    if timeout < MIN_WEBHOOK_TIMEOUT || timeout > MAX_WEBHOOK_TIMEOUT {
        return Err(StoreError::InvalidRequest(format!(
            "the webhook timeout must be between 100 ms and 5 min (300000 ms), not {} ms",
            timeout.as_millis()
        )));
    }
    Ok(())
}

/// Cuts a cursor `created_at_micros:notification_id` into its parts. Ids may contain `:`; the
/// number before the first one may not.
fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || {
        StoreError::InvalidRequest(format!(
            "the cursor `{cursor}` is not one a previous page returned"
        ))
    };
    let [created_at, notification_id] = cursor_fields::<2>(cursor).ok_or_else(bad)?;
    let created_at = created_at.parse::<i64>().map_err(|_| bad())?;
    Ok((created_at, notification_id.to_string()))
}

fn count(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is {value}")))
}

fn attempts_of(value: i64, notification_id: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| {
        StoreError::Corrupt(format!(
            "notification {notification_id} has {value} attempts"
        ))
    })
}

impl Store {
    /// Sets the webhook of `audience` (replacing any), after checking every value; pending
    /// notifications for the audience fall due at once, so that a fixed URL is tried straight away.
    ///
    /// Refuses, with a message that says what is wrong, an audience that is empty or not plain
    /// `[a-z0-9_-]`, a URL that does not parse, is not http(s) or names no host, an empty secret,
    /// zero attempts, and a timeout outside 100 ms to 5 min.
    pub async fn set_webhook(
        &self,
        audience: &str,
        url: &str,
        secret: &str,
        max_attempts: u32,
        timeout: Duration,
    ) -> Result<Webhook, StoreError> {
        self.set_channel(
            audience,
            &ChannelSettings {
                kind: ChannelKind::Webhook,
                address: url,
                secret,
                language: Language::Zh,
                max_attempts,
                timeout,
            },
        )
        .await
    }

    /// Sets the channel of `audience` (replacing any), after checking every value, as
    /// [`Store::set_webhook`] does for a webhook; an e-mail channel needs at least one address,
    /// each checked, and no secret.
    pub async fn set_channel(
        &self,
        audience: &str,
        settings: &ChannelSettings<'_>,
    ) -> Result<Webhook, StoreError> {
        check_audience(audience)?;
        let (url, secret) = match settings.kind {
            ChannelKind::Webhook => {
                if settings.secret.is_empty() {
                    return Err(StoreError::InvalidRequest(
                        "the webhook secret must not be empty: every delivery is signed with it"
                            .to_string(),
                    ));
                }
                (check_webhook_url(settings.address)?, settings.secret)
            }
            ChannelKind::Email => {
                if !settings.secret.is_empty() {
                    return Err(StoreError::InvalidRequest(
                        "an e-mail channel takes no secret: the SMTP server's login is the server's setting (--smtp-url)"
                            .to_string(),
                    ));
                }
                (check_email_addresses(settings.address)?, "")
            }
            ChannelKind::Wecom => {
                if !settings.secret.is_empty() {
                    return Err(StoreError::InvalidRequest(
                        "a WeCom robot takes no secret: its key is in its webhook URL (…/cgi-bin/webhook/send?key=…)"
                            .to_string(),
                    ));
                }
                (check_webhook_url(settings.address)?, "")
            }
            // A robot secured by keywords or addresses instead of a signature has no secret.
            ChannelKind::Dingtalk | ChannelKind::Feishu => {
                (check_webhook_url(settings.address)?, settings.secret)
            }
        };
        let (max_attempts, timeout) = (settings.max_attempts, settings.timeout);
        if max_attempts == 0 {
            return Err(StoreError::InvalidRequest(
                "max_attempts must be at least 1".to_string(),
            ));
        }
        check_timeout(timeout)?;
        let timeout_millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let now = self.clock().now();
        let database = |error: sqlx::Error| self.database_error(error);
        let mut transaction = self.pool().begin().await.map_err(database)?;
        sqlx::query(
            "INSERT INTO webhooks (audience, url, secret, max_attempts, timeout_millis, updated_at, kind, language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (audience) DO UPDATE SET url = excluded.url, secret = excluded.secret, max_attempts = excluded.max_attempts, timeout_millis = excluded.timeout_millis, updated_at = excluded.updated_at, kind = excluded.kind, language = excluded.language",
        )
        .bind(audience)
        .bind(&url)
        .bind(secret)
        .bind(i64::from(max_attempts))
        .bind(i64::try_from(timeout_millis).unwrap_or(i64::MAX))
        .bind(micros(now))
        .bind(settings.kind.as_str())
        .bind(language_code(settings.language))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        // Notifications that waited for a webhook (or backed off from a broken one) go now. A
        // claim in flight may be sent twice because of this; delivery is at least once anyway.
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND audience = $2 AND next_attempt_at > $1",
        )
        .bind(micros(now))
        .bind(audience)
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(Webhook {
            audience: audience.to_string(),
            kind: settings.kind,
            language: settings.language,
            url: redact_url(&url),
            secret: MASKED_SECRET,
            max_attempts,
            timeout_millis,
            updated_at: now,
        })
    }

    /// Removes the webhook of `audience`; says whether there was one. Its pending notifications
    /// stay pending until a webhook is set again.
    pub async fn remove_webhook(&self, audience: &str) -> Result<bool, StoreError> {
        let removed = sqlx::query("DELETE FROM webhooks WHERE audience = $1")
            .bind(audience)
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(removed.rows_affected() > 0)
    }

    /// Every webhook, by audience, secrets masked.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        // People's own channels (`person:…`, `verify:…`) are listed with their people.
        let rows = sqlx::query("SELECT audience, kind, language, url, max_attempts, timeout_millis, updated_at FROM webhooks WHERE audience NOT LIKE '%:%' ORDER BY audience")
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        rows.iter().map(|row| self.webhook_from_row(row)).collect()
    }

    /// The webhook of `audience`, secret masked.
    pub async fn webhook(&self, audience: &str) -> Result<Option<Webhook>, StoreError> {
        let row = sqlx::query("SELECT audience, kind, language, url, max_attempts, timeout_millis, updated_at FROM webhooks WHERE audience = $1")
            .bind(audience)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        row.map(|row| self.webhook_from_row(&row)).transpose()
    }

    fn webhook_from_row(&self, row: &AnyRow) -> Result<Webhook, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let audience: String = row.try_get("audience").map_err(get)?;
        let url: String = row.try_get("url").map_err(get)?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("webhook {audience}: {what}"));
        let kind: String = row.try_get("kind").map_err(get)?;
        let language: String = row.try_get("language").map_err(get)?;
        Ok(Webhook {
            kind: ChannelKind::from_str(&kind).map_err(|_| corrupt("kind"))?,
            language: language_of_code(&language)?,
            url: redact_url(&url),
            secret: MASKED_SECRET,
            max_attempts: u32::try_from(row.try_get::<i64, _>("max_attempts").map_err(get)?)
                .map_err(|_| corrupt("max_attempts"))?,
            timeout_millis: u64::try_from(row.try_get::<i64, _>("timeout_millis").map_err(get)?)
                .map_err(|_| corrupt("timeout_millis"))?,
            updated_at: instant(row.try_get("updated_at").map_err(get)?)?,
            audience,
        })
    }

    /// Every webhook with its secret, by audience, for the deliverer.
    pub async fn webhook_targets(&self) -> Result<HashMap<String, WebhookTarget>, StoreError> {
        let rows =
            sqlx::query("SELECT audience, kind, language, url, secret, max_attempts, timeout_millis FROM webhooks")
                .fetch_all(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let mut targets = HashMap::with_capacity(rows.len());
        for row in &rows {
            let audience: String = row.try_get("audience").map_err(get)?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("webhook {audience}: {what}"));
            let kind: String = row.try_get("kind").map_err(get)?;
            let language: String = row.try_get("language").map_err(get)?;
            let target = WebhookTarget {
                kind: ChannelKind::from_str(&kind).map_err(|_| corrupt("kind"))?,
                language: language_of_code(&language)?,
                url: row.try_get("url").map_err(get)?,
                secret: row.try_get("secret").map_err(get)?,
                max_attempts: u32::try_from(row.try_get::<i64, _>("max_attempts").map_err(get)?)
                    .map_err(|_| corrupt("max_attempts"))?,
                timeout: Duration::from_millis(
                    u64::try_from(row.try_get::<i64, _>("timeout_millis").map_err(get)?)
                        .map_err(|_| corrupt("timeout_millis"))?,
                ),
            };
            targets.insert(audience, target);
        }
        Ok(targets)
    }

    fn outbox_entry_from_row(&self, row: &AnyRow) -> Result<OutboxEntry, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let notification_id: String = row.try_get("notification_id").map_err(get)?;
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("notification {notification_id}: {what}"));
        let project: String = row.try_get("project_id").map_err(get)?;
        let status: String = row.try_get("status").map_err(get)?;
        let status = OutboxStatus::from_str(&status).map_err(|_| corrupt("status"))?;
        let optional_instant = |value: Option<i64>| value.map(instant).transpose();
        Ok(OutboxEntry {
            project_id: Uuid::parse_str(&project).map_err(|_| corrupt("project id"))?,
            sequence: u64::try_from(row.try_get::<i64, _>("sequence").map_err(get)?)
                .map_err(|_| corrupt("sequence"))?,
            audience: row.try_get("audience").map_err(get)?,
            event_type: row.try_get("event_type").map_err(get)?,
            body: row.try_get("body").map_err(get)?,
            created_at: instant(row.try_get("created_at").map_err(get)?)?,
            status,
            attempts: attempts_of(row.try_get("attempts").map_err(get)?, &notification_id)?,
            next_attempt_at: if status == OutboxStatus::Pending {
                Some(instant(row.try_get("next_attempt_at").map_err(get)?)?)
            } else {
                None
            },
            last_error: row.try_get("last_error").map_err(get)?,
            delivered_at: optional_instant(row.try_get("delivered_at").map_err(get)?)?,
            notification_id,
        })
    }

    /// Notifications matching `filter`, oldest first, `limit` (1 to 1000) at a time after the
    /// cursor `after` (as returned in `next_after`).
    pub async fn list_outbox(
        &self,
        filter: &OutboxFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<OutboxPage, StoreError> {
        let (after_micros, after_id) = match after {
            Some(cursor) => parse_cursor(cursor)?,
            None => (i64::MIN, String::new()),
        };
        let size = PageSize::new(limit);
        // The cursor is a row value, as in `list_overdue`: with a status the scan starts in the
        // index outbox_by_status at the cursor and stops after the page.
        let mut statement = Statement::new(format!(
            "{OUTBOX_COLUMNS} WHERE (created_at, notification_id) > ("
        ));
        statement
            .push_bind(after_micros)
            .push(", ")
            .push_bind(after_id)
            .push(")");
        if let Some(status) = filter.status {
            statement
                .push(" AND status = ")
                .push_bind(status.as_str().to_string());
        }
        if let Some(project_id) = filter.project_id {
            statement
                .push(" AND project_id = ")
                .push_bind(project_id.to_string());
        }
        if let Some(audience) = &filter.audience {
            statement
                .push(" AND audience = ")
                .push_bind(audience.clone());
        }
        statement.push(&format!(
            " ORDER BY created_at, notification_id LIMIT {}",
            size.rows_to_read()
        ));
        let rows = statement
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let mut items = rows
            .iter()
            .map(|row| self.outbox_entry_from_row(row))
            .collect::<Result<Vec<_>, _>>()?;
        let next_after = size.cut(&mut items, |last| {
            cursor_text(&[&micros(last.created_at), &last.notification_id])
        });
        Ok(OutboxPage { items, next_after })
    }

    /// One notification, by id.
    pub async fn outbox_entry(
        &self,
        notification_id: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        let row = sqlx::query(&format!("{OUTBOX_COLUMNS} WHERE notification_id = $1"))
            .bind(notification_id)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        row.map(|row| self.outbox_entry_from_row(&row)).transpose()
    }

    /// Sends dead notifications (all of them, or those named) back to pending, with no attempts
    /// made and the next one due now; returns how many. Named notifications that are not dead are
    /// left as they are. Wake the deliverer afterwards to send them at once.
    pub async fn retry_notifications(&self, selection: &RetrySelection) -> Result<u64, StoreError> {
        let now = micros(self.clock().now());
        let database = |error: sqlx::Error| self.database_error(error);
        let retry = || {
            let mut statement = Statement::new(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ",
            );
            statement.push_bind(now).push(" WHERE status = 'dead'");
            statement
        };
        match selection {
            RetrySelection::AllDead => {
                let retried = retry().execute(self.pool()).await.map_err(database)?;
                Ok(retried.rows_affected())
            }
            RetrySelection::Notifications(ids) => {
                let mut transaction = self.pool().begin().await.map_err(database)?;
                let mut retried = 0;
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let mut statement = retry();
                    statement.push(" AND notification_id IN (");
                    statement.push_list(chunk.iter().cloned());
                    statement.push(")");
                    retried += statement
                        .execute(&mut *transaction)
                        .await
                        .map_err(database)?
                        .rows_affected();
                }
                transaction.commit().await.map_err(database)?;
                Ok(retried)
            }
        }
    }

    /// How many notifications are in each status, and how old the oldest pending one is.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        let database = |error: sqlx::Error| self.database_error(error);
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS notifications FROM outbox GROUP BY status")
                .fetch_all(self.pool())
                .await
                .map_err(database)?;
        let mut backlog = OutboxBacklog::default();
        for row in &rows {
            let status: String = row.try_get("status").map_err(database)?;
            let notifications = count(
                row.try_get("notifications").map_err(database)?,
                "a notification count",
            )?;
            match OutboxStatus::from_str(&status) {
                Ok(OutboxStatus::Pending) => backlog.pending = notifications,
                Ok(OutboxStatus::Delivered) => backlog.delivered = notifications,
                Ok(OutboxStatus::Dead) => backlog.dead = notifications,
                Err(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "a notification has the status {status}"
                    )));
                }
            }
        }
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE status = 'pending'")
                .fetch_one(self.pool())
                .await
                .map_err(database)?;
        backlog.oldest_pending_created_at = oldest.map(instant).transpose()?;
        Ok(backlog)
    }

    /// Writes a pending notification, due now, as the write path does. For tests of delivery
    /// while the write path's own notifications are not there; not part of the API.
    #[doc(hidden)]
    pub async fn insert_notification_for_tests(
        &self,
        notification: &TestNotification,
    ) -> Result<(), StoreError> {
        let now = micros(self.clock().now());
        sqlx::query("INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7)")
            .bind(&notification.notification_id)
            .bind(notification.project_id.to_string())
            .bind(i64::try_from(notification.sequence).unwrap_or(i64::MAX))
            .bind(&notification.audience)
            .bind(&notification.event_type)
            .bind(&notification.body)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// On SQLite, `INDEXED BY outbox_due` for the deliverer's statements over due notifications.
    ///
    /// Without statistics SQLite's planner takes `status = 'pending'` as selective and walks
    /// every pending row by `outbox_by_status`, whose first column has three values, rather
    /// than the partial index of pending rows in due order: with tens of thousands parked
    /// for want of a webhook, each of the deliverer's wake-ups (one per commit, under load)
    /// spent 15 ms in three such statements, two of them holding the write lock. PostgreSQL
    /// plans by its statistics and needs no hint.
    fn outbox_due_index_hint(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => " INDEXED BY outbox_due",
            Backend::Postgres => "",
        }
    }

    /// Moves due notifications of audiences without a webhook to `until`, saying why, so that
    /// they leave the range of due rows every claim scans (a pile of them would otherwise be
    /// read on every round). Setting a webhook brings them back at once.
    pub async fn park_unaddressed_notifications(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE outbox{} SET next_attempt_at = $1, last_error = $2 \
             WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.audience = outbox.audience)",
            self.outbox_due_index_hint()
        );
        let _turn = self.sqlite_write_turn().await;
        let parked = sqlx::query(&sql)
            .bind(micros(until))
            .bind(NO_WEBHOOK_ERROR)
            .bind(micros(now))
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(parked.rows_affected())
    }

    /// Claims up to `limit` due notifications whose audience has a webhook: each gets one more
    /// attempt and a lease (its next attempt pushed to `now + lease_margin + the webhook's
    /// timeout`) in the same statement, so no two deliverers claim the same row and a crashed
    /// one's claims come due again when the lease ends.
    pub async fn claim_due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease_margin: Duration,
    ) -> Result<Vec<ClaimedNotification>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // PostgreSQL nodes skip rows another node is claiming instead of waiting for it; SQLite has
        // one writer at a time, so the statement alone is atomic.
        // The claimed rows are checked again by the outer statement (on PostgreSQL another node
        // may have claimed one between the subquery's read and its lock); on SQLite, whose
        // planner would otherwise walk every pending row by `outbox_by_status` to apply that
        // check, it is written `+column` so that the rows are found by their key.
        let (skip_locked, pending) = match self.backend() {
            Backend::Postgres => ("FOR UPDATE SKIP LOCKED", "status"),
            Backend::Sqlite => ("", "+status"),
        };
        let due = match self.backend() {
            Backend::Postgres => "next_attempt_at",
            Backend::Sqlite => "+next_attempt_at",
        };
        let index = self.outbox_due_index_hint();
        let picked = format!(
            "SELECT o.notification_id FROM outbox o{index} \
             WHERE o.status = 'pending' AND o.next_attempt_at <= $2 \
             AND EXISTS (SELECT 1 FROM webhooks w WHERE w.audience = o.audience) \
             ORDER BY o.next_attempt_at, o.notification_id LIMIT {limit} {skip_locked}"
        );
        // On PostgreSQL the rows are picked once, in a materialized CTE: as a sub-SELECT of `IN`
        // the planner may run the pick again for each row it updates, and with SKIP LOCKED each
        // run skips the rows the runs before locked, so a claim of one took every due row
        // (found by the robots' rate-limit test).
        let (with, from) = match self.backend() {
            Backend::Postgres => (
                format!("WITH picked AS MATERIALIZED ({picked}) "),
                "SELECT notification_id FROM picked".to_string(),
            ),
            Backend::Sqlite => (String::new(), picked),
        };
        let sql = format!(
            "{with}UPDATE outbox SET attempts = attempts + 1, \
             next_attempt_at = $1 + 1000 * COALESCE((SELECT w.timeout_millis FROM webhooks w WHERE w.audience = outbox.audience), 0) \
             WHERE notification_id IN ({from}) \
             AND {pending} = 'pending' AND {due} <= $2 \
             RETURNING notification_id, audience, body, attempts"
        );
        let lease_base = now
            + chrono::Duration::from_std(lease_margin).unwrap_or_else(|_| chrono::Duration::zero());
        let _turn = self.sqlite_write_turn().await;
        let rows = sqlx::query(&sql)
            .bind(micros(lease_base))
            .bind(micros(now))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let mut claimed = rows
            .iter()
            .map(|row| {
                let notification_id: String = row.try_get("notification_id").map_err(get)?;
                Ok(ClaimedNotification {
                    attempt: attempts_of(row.try_get("attempts").map_err(get)?, &notification_id)?,
                    audience: row.try_get("audience").map_err(get)?,
                    body: row.try_get("body").map_err(get)?,
                    notification_id,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING follows no order; by id, rounds and their logs read the same on both backends.
        claimed.sort_by(|one, other| one.notification_id.cmp(&other.notification_id));
        Ok(claimed)
    }

    /// Gives back a claim that was not attempted (its webhook was removed meanwhile): the attempt
    /// is not counted and the notification is due again at once.
    pub async fn release_claim(
        &self,
        claimed: &ClaimedNotification,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.sqlite_write_turn().await;
        sqlx::query("UPDATE outbox SET attempts = attempts - 1, next_attempt_at = $1 WHERE notification_id = $2 AND status = 'pending' AND attempts = $3")
            .bind(micros(now))
            .bind(&claimed.notification_id)
            .bind(i64::from(claimed.attempt))
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// Records that a receiver accepted a notification. Acceptance wins over anything another
    /// node recorded meanwhile (a lease that ran out while this attempt was still going).
    pub async fn record_delivered(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.sqlite_write_turn().await;
        sqlx::query("UPDATE outbox SET status = 'delivered', delivered_at = $1 WHERE notification_id = $2 AND status <> 'delivered'")
            .bind(micros(now))
            .bind(notification_id)
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// Records a failed attempt: the notification waits for `next_attempt_at`, or is dead. Only
    /// if it is still this attempt's: when the lease ran out and another node claimed it again,
    /// that node's attempt decides. Says whether it was recorded.
    pub async fn record_failure(
        &self,
        claimed: &ClaimedNotification,
        error: &str,
        dead: bool,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let status = if dead {
            OutboxStatus::Dead
        } else {
            OutboxStatus::Pending
        };
        let _turn = self.sqlite_write_turn().await;
        let recorded = sqlx::query("UPDATE outbox SET status = $1, next_attempt_at = $2, last_error = $3 WHERE notification_id = $4 AND status = 'pending' AND attempts = $5")
            .bind(status.as_str())
            .bind(micros(next_attempt_at))
            .bind(error)
            .bind(&claimed.notification_id)
            .bind(i64::from(claimed.attempt))
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(recorded.rows_affected() > 0)
    }

    /// When the earliest pending notification falls due (leases and parked ones included), for
    /// the deliverer's sleep.
    pub async fn earliest_pending_attempt(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT MIN(next_attempt_at) FROM outbox{} WHERE status = 'pending'",
            self.outbox_due_index_hint()
        );
        let earliest: Option<i64> = sqlx::query_scalar(&sql)
            .fetch_one(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        earliest.map(instant).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
        match result {
            Err(error) => error.to_string(),
            Ok(value) => panic!("accepted: {value:?}"),
        }
    }

    #[test]
    fn urls_are_checked_with_a_reason() {
        assert_eq!(
            check_webhook_url("https://hooks.example.org/specflow?x=1").ok(),
            Some("https://hooks.example.org/specflow?x=1".to_string())
        );
        let malformed = refusal(check_webhook_url("not a url"));
        assert!(malformed.contains("is malformed"), "{malformed}");
        let ftp = refusal(check_webhook_url("ftp://files.example.org/in"));
        assert!(ftp.contains("scheme `ftp`"), "{ftp}");
        let password = refusal(check_webhook_url("ftp://user:hunter2@files.example.org/in"));
        assert!(!password.contains("hunter2"), "{password}");
        assert!(check_webhook_url("http://").is_err());
    }

    #[test]
    fn audiences_are_plain_role_codes() {
        assert!(check_audience("secretariat").is_ok());
        assert!(check_audience("drafting_unit-2").is_ok());
        assert!(check_audience("").is_err());
        let upper = refusal(check_audience("Bureau"));
        assert!(upper.contains("contains `B`"), "{upper}");
        assert!(check_audience(&"a".repeat(65)).is_err());
    }

    #[test]
    fn cursors_keep_ids_with_colons() {
        assert_eq!(
            parse_cursor("1767574800000000:project:7:bureau").ok(),
            Some((1_767_574_800_000_000, "project:7:bureau".to_string()))
        );
        assert!(parse_cursor("yesterday:id").is_err());
        assert!(parse_cursor("12345").is_err());
    }
}
