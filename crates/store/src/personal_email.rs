//! Each person's own e-mail (issue 20): an address they prove is theirs by a link, the kinds of
//! event they want e-mail about, and whether they want the daily digest.
//!
//! A person's notifications are rows of the one outbox, delivered, retried and dead-lettered as
//! every other. The address is a channel of the outbox like an audience's: while it is
//! verified, `webhooks` holds an e-mail channel named `person:{account_id}`, and the writer fans
//! each record's notification out to the people who chose its kind of event and may see the
//! project, in the statement that writes the record ([`PERSONAL_FAN_OUT`]). The verification
//! message goes to a channel of its own, `verify:{account_id}`, as the address typed is not yet
//! trusted with notifications.
//!
//! The verification link's secret is `sfv_` and 32 random bytes in hex. Only its SHA-256 is kept
//! in `person_email`, until the address is verified. The message in the outbox carries the secret
//! itself until it is delivered, since the deliverer writes it into the link; an operator who
//! can read the outbox could prove an address on the person's behalf, and no more.

use crate::accounts::AccountSummary;
use crate::error::StoreError;
use crate::outbox::{check_email_address, language_code, language_of_code};
use crate::tokens::{random_hex, secret_sha256};
use crate::{Store, instant, micros};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::Language;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

/// The prefix of a verification link's secret.
pub const VERIFICATION_PREFIX: &str = "sfv_";

/// The event type of the verification message in the outbox.
pub const VERIFICATION_EVENT_TYPE: &str = "email_verification";

/// The event type of a daily digest in the outbox.
pub const DIGEST_EVENT_TYPE: &str = "daily_digest";

/// The prefix of a person's channel in `webhooks`: `person:{account_id}`.
pub const PERSON_AUDIENCE_PREFIX: &str = "person:";

/// The prefix of a person's verification channel in `webhooks`: `verify:{account_id}`.
pub const VERIFY_AUDIENCE_PREFIX: &str = "verify:";

/// How many attempts a person's e-mail gets before it is dead-lettered.
const PERSON_MAX_ATTEMPTS: i64 = 8;

/// How long one attempt at a person's e-mail may take.
const PERSON_TIMEOUT_MILLIS: i64 = 10_000;

/// The project id of outbox rows that belong to no project (verification messages, digests).
const NO_PROJECT: Uuid = Uuid::nil();

/// The shortest time between two verification messages to one person: the form cannot be used
/// to flood a mailbox.
pub const VERIFICATION_RESEND_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// The statement's tail that fans a record's notification out to each person who chose its kind
/// of event, may see the project and has a verified address (so a `person:` channel), on
/// SQLite. The values are (base id, project id, sequence, event type, body, created at,
/// committee).
pub(crate) const PERSONAL_FAN_OUT: &str = ") AS v \
     JOIN person_event_choices c ON c.event_type = v.column4 \
     JOIN accounts a ON a.account_id = c.account_id AND a.disabled_at IS NULL \
     JOIN webhooks w ON w.audience = 'person:' || c.account_id \
     WHERE a.role IN ('admin', 'supervisor', 'auditor') \
     OR (a.role IN ('secretariat', 'chair', 'member') AND a.committee = v.column7) \
     OR (a.role = 'drafter' AND a.project_id = v.column2)";

/// The same on PostgreSQL, through the function of migration 18, whose plan each connection
/// keeps: the join planned in every statement cost more than the rest of the fan-out.
pub(crate) const PERSONAL_FAN_OUT_POSTGRES: &str =
    ") AS v CROSS JOIN LATERAL person_fan_out(v.column4, v.column7, v.column2) AS c";

/// A person's e-mail settings as they see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonEmail {
    /// The account.
    pub account_id: Uuid,
    /// The account's name.
    pub name: String,
    /// The address as typed.
    pub address: String,
    /// The language of their e-mail.
    pub language: Language,
    /// When they proved the address is theirs; `None` while the link waits to be opened.
    pub verified_at: Option<DateTime<Utc>>,
    /// When the last verification message was written.
    pub verification_sent_at: DateTime<Utc>,
    /// Whether they want the daily digest.
    pub digest: bool,
    /// The kinds of event they want e-mail about, sorted.
    pub event_types: Vec<String>,
}

/// A person who wants the daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    /// Their account.
    pub account: AccountSummary,
    /// The language of their e-mail.
    pub language: Language,
    /// The local date of the last digest written for them.
    pub last_sent_on: Option<NaiveDate>,
    /// Since when they want it.
    pub since: Option<DateTime<Utc>>,
}

/// What setting an address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressChange {
    /// The address was already this person's, verified: nothing to prove again.
    AlreadyVerified,
    /// A verification message to the address is in the outbox.
    VerificationSent,
}

/// Why an address was not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressRefusal {
    /// No such account, or it is disabled.
    NoAccount,
    /// A verification message went out less than [`VERIFICATION_RESEND_AFTER`] ago.
    TooSoon {
        /// When another may be sent.
        retry_at: DateTime<Utc>,
    },
}

/// Whether `text` is shaped like a verification secret: the prefix and 64 lowercase hex digits.
pub fn is_verification_secret_shaped(text: &str) -> bool {
    text.strip_prefix(VERIFICATION_PREFIX)
        .is_some_and(|secret| {
            secret.len() == 64
                && secret
                    .bytes()
                    .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// The account id a `person:` or `verify:` channel belongs to.
pub fn person_of_audience(audience: &str) -> Option<Uuid> {
    audience
        .strip_prefix(PERSON_AUDIENCE_PREFIX)
        .or_else(|| audience.strip_prefix(VERIFY_AUDIENCE_PREFIX))
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The JSON of a verification message in the outbox: what the deliverer needs to write it.
#[derive(Serialize)]
struct VerificationBody<'a> {
    notification_id: &'a str,
    event_type: &'static str,
    account: &'a str,
    address: &'a str,
    secret: &'a str,
    language: &'static str,
}

impl Store {
    /// Sets the e-mail address of the account `name` and writes a verification message to it,
    /// unless it is already the account's verified address (then only the language changes).
    /// A new address replaces the old one at once: no more notifications go to the old one.
    pub async fn set_person_email(
        &self,
        name: &str,
        address: &str,
        language: Language,
    ) -> Result<Result<AddressChange, AddressRefusal>, StoreError> {
        let address = address.trim();
        check_email_address(address)?;
        let Some(account) = self.active_account(name).await? else {
            return Ok(Err(AddressRefusal::NoAccount));
        };
        let now = self.clock().now();
        let current = self.person_email(account.account_id).await?;
        if let Some(current) = &current {
            if current.address == address && current.verified_at.is_some() {
                self.set_person_language(&account, address, language, now)
                    .await?;
                return Ok(Ok(AddressChange::AlreadyVerified));
            }
            let retry_at = current.verification_sent_at + VERIFICATION_RESEND_AFTER;
            if current.verified_at.is_none() && now < retry_at {
                return Ok(Err(AddressRefusal::TooSoon { retry_at }));
            }
        }
        self.write_verification(&account, address, language, now, current.as_ref())
            .await?;
        Ok(Ok(AddressChange::VerificationSent))
    }

    /// Writes the unverified address, its secret's hash, the `verify:` channel and the message,
    /// in one transaction, and takes away the `person:` channel until the link is opened.
    async fn write_verification(
        &self,
        account: &AccountSummary,
        address: &str,
        language: Language,
        now: DateTime<Utc>,
        current: Option<&PersonEmail>,
    ) -> Result<(), StoreError> {
        let secret = format!("{VERIFICATION_PREFIX}{}", random_hex::<32>()?);
        let account_id = account.account_id.to_string();
        let notification_id = format!("verify.{account_id}.{}", micros(now));
        let body = serde_json::to_string(&VerificationBody {
            notification_id: &notification_id,
            event_type: VERIFICATION_EVENT_TYPE,
            account: &account.name,
            address,
            secret: &secret,
            language: language_code(language),
        })
        .map_err(|error| StoreError::Corrupt(format!("a verification message: {error}")))?;
        let digest = current.is_some_and(|current| current.digest);
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        sqlx::query(
            "INSERT INTO person_email (account_id, address, language, verified_at, verification_sha256, verification_sent_at, digest, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $5) \
             ON CONFLICT (account_id) DO UPDATE SET address = excluded.address, language = excluded.language, verified_at = NULL, \
             verification_sha256 = excluded.verification_sha256, verification_sent_at = excluded.verification_sent_at, updated_at = excluded.updated_at",
        )
        .bind(&account_id)
        .bind(address)
        .bind(language_code(language))
        .bind(secret_sha256(&secret))
        .bind(micros(now))
        .bind(i64::from(digest))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        sqlx::query("DELETE FROM webhooks WHERE audience = $1")
            .bind(format!("{PERSON_AUDIENCE_PREFIX}{account_id}"))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        upsert_person_channel(
            &mut transaction,
            &format!("{VERIFY_AUDIENCE_PREFIX}{account_id}"),
            address,
            language,
            now,
        )
        .await
        .map_err(database)?;
        // An earlier message's link no longer proves anything: it is not sent.
        sqlx::query(
            "UPDATE outbox SET status = 'dead', last_error = 'a newer verification message replaced it' \
             WHERE audience = $1 AND status = 'pending'",
        )
        .bind(format!("{VERIFY_AUDIENCE_PREFIX}{account_id}"))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        sqlx::query(
            "INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at) \
             VALUES ($1, $2, 0, $3, $4, $5, $6, 'pending', 0, $6)",
        )
        .bind(&notification_id)
        .bind(NO_PROJECT.to_string())
        .bind(format!("{VERIFY_AUDIENCE_PREFIX}{account_id}"))
        .bind(VERIFICATION_EVENT_TYPE)
        .bind(&body)
        .bind(micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        self.inner
            .signals
            .outbox_written
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Changes the language of a verified address's e-mail.
    async fn set_person_language(
        &self,
        account: &AccountSummary,
        address: &str,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        sqlx::query("UPDATE person_email SET language = $1, updated_at = $2 WHERE account_id = $3")
            .bind(language_code(language))
            .bind(micros(now))
            .bind(account.account_id.to_string())
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        upsert_person_channel(
            &mut transaction,
            &format!("{PERSON_AUDIENCE_PREFIX}{}", account.account_id),
            address,
            language,
            now,
        )
        .await
        .map_err(database)?;
        transaction.commit().await.map_err(database)
    }

    /// The address a verification secret would prove, and whose, without proving it (the page
    /// the link opens asks before it acts, as mail scanners open links).
    pub async fn pending_verification(
        &self,
        secret: &str,
    ) -> Result<Option<PersonEmail>, StoreError> {
        if !is_verification_secret_shaped(secret) {
            return Ok(None);
        }
        let account_id: Option<String> = sqlx::query_scalar(
            "SELECT account_id FROM person_email WHERE verification_sha256 = $1",
        )
        .bind(secret_sha256(secret))
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        match account_id.and_then(|id| Uuid::parse_str(&id).ok()) {
            Some(account_id) => self.person_email(account_id).await,
            None => Ok(None),
        }
    }

    /// Proves the address the secret was sent to: from now on the person's chosen notifications
    /// go there. `None` when no address waits for this secret (wrong, used, or replaced).
    pub async fn verify_person_email(
        &self,
        secret: &str,
    ) -> Result<Option<PersonEmail>, StoreError> {
        let Some(pending) = self.pending_verification(secret).await? else {
            return Ok(None);
        };
        let now = self.clock().now();
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        let proved = sqlx::query(
            "UPDATE person_email SET verified_at = $1, verification_sha256 = NULL, updated_at = $1 \
             WHERE account_id = $2 AND verification_sha256 = $3",
        )
        .bind(micros(now))
        .bind(pending.account_id.to_string())
        .bind(secret_sha256(secret))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        if proved.rows_affected() == 0 {
            return Ok(None);
        }
        upsert_person_channel(
            &mut transaction,
            &format!("{PERSON_AUDIENCE_PREFIX}{}", pending.account_id),
            &pending.address,
            pending.language,
            now,
        )
        .await
        .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        drop(_turn);
        self.person_email(pending.account_id).await
    }

    /// Sets the kinds of event the account `name` wants e-mail about, and whether it wants the
    /// daily digest. `false` when there is no such active account.
    pub async fn set_person_choices(
        &self,
        name: &str,
        event_types: &[String],
        digest: bool,
    ) -> Result<bool, StoreError> {
        let Some(account) = self.active_account(name).await? else {
            return Ok(false);
        };
        for event_type in event_types {
            check_event_type(event_type)?;
        }
        let account_id = account.account_id.to_string();
        let now = self.clock().now();
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        sqlx::query("DELETE FROM person_event_choices WHERE account_id = $1")
            .bind(&account_id)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        let mut unique: Vec<&String> = event_types.iter().collect();
        unique.sort();
        unique.dedup();
        for event_type in unique {
            sqlx::query(
                "INSERT INTO person_event_choices (event_type, account_id) VALUES ($1, $2)",
            )
            .bind(event_type)
            .bind(&account_id)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        }
        sqlx::query(
            "UPDATE person_email SET digest_since = CASE WHEN digest = 0 THEN $1 ELSE digest_since END, \
             digest = 1, updated_at = $1 WHERE account_id = $2 AND $3 = 1",
        )
        .bind(micros(now))
        .bind(&account_id)
        .bind(i64::from(digest))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        sqlx::query(
            "UPDATE person_email SET digest = 0, digest_since = NULL, updated_at = $1 WHERE account_id = $2 AND $3 = 0",
        )
            .bind(micros(now))
            .bind(&account_id)
            .bind(i64::from(digest))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(true)
    }

    /// Forgets the account's address: no more e-mail of its own, nor digests. Its choices stay,
    /// for an address set later. Says whether it had one.
    pub async fn remove_person_email(&self, name: &str) -> Result<bool, StoreError> {
        let Some(account) = self.account(name).await? else {
            return Ok(false);
        };
        let account_id = account.account_id.to_string();
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        let removed = sqlx::query("DELETE FROM person_email WHERE account_id = $1")
            .bind(&account_id)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        sqlx::query("DELETE FROM webhooks WHERE audience IN ($1, $2)")
            .bind(format!("{PERSON_AUDIENCE_PREFIX}{account_id}"))
            .bind(format!("{VERIFY_AUDIENCE_PREFIX}{account_id}"))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(removed.rows_affected() > 0)
    }

    /// The e-mail settings of an account, if it has set an address.
    pub async fn person_email(&self, account_id: Uuid) -> Result<Option<PersonEmail>, StoreError> {
        let row = sqlx::query(
            "SELECT p.account_id, a.name, p.address, p.language, p.verified_at, p.verification_sent_at, p.digest \
             FROM person_email p JOIN accounts a ON a.account_id = p.account_id WHERE p.account_id = $1",
        )
        .bind(account_id.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut person = self.person_email_from_row(&row)?;
        person.event_types = self.person_event_types(account_id).await?;
        Ok(Some(person))
    }

    /// The kinds of event an account chose, sorted (with or without an address).
    pub async fn person_event_types(&self, account_id: Uuid) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT event_type FROM person_event_choices WHERE account_id = $1 ORDER BY event_type",
        )
        .bind(account_id.to_string())
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))
    }

    /// Every person's e-mail settings, by name.
    pub async fn person_emails(&self) -> Result<Vec<PersonEmail>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.account_id, a.name, p.address, p.language, p.verified_at, p.verification_sent_at, p.digest \
             FROM person_email p JOIN accounts a ON a.account_id = p.account_id ORDER BY a.name",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let mut people = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut person = self.person_email_from_row(row)?;
            person.event_types = self.person_event_types(person.account_id).await?;
            people.push(person);
        }
        Ok(people)
    }

    /// The active accounts with a verified address that want the daily digest.
    pub async fn digest_recipients(&self) -> Result<Vec<DigestRecipient>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.account_id, a.name, a.role, a.committee, a.project_id, a.created_at, a.password_changed_at, a.disabled_at, \
             p.language, p.digest_since, (SELECT MAX(d.local_date) FROM digests_sent d WHERE d.account_id = a.account_id) AS last_date \
             FROM accounts a JOIN person_email p ON p.account_id = a.account_id \
             WHERE a.disabled_at IS NULL AND p.digest = 1 AND p.verified_at IS NOT NULL ORDER BY a.name",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let get = |error: sqlx::Error| self.database_error(error);
        let mut recipients = Vec::with_capacity(rows.len());
        for row in &rows {
            let language: String = row.try_get("language").map_err(get)?;
            let last: Option<String> = row.try_get("last_date").map_err(get)?;
            let since: Option<i64> = row.try_get("digest_since").map_err(get)?;
            let last_sent_on = last
                .map(|date| {
                    NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| {
                        StoreError::Corrupt(format!("a digest's local date is {date}"))
                    })
                })
                .transpose()?;
            recipients.push(DigestRecipient {
                account: self.account_from_row(row)?,
                language: language_of_code(&language)?,
                last_sent_on,
                since: since.map(instant).transpose()?,
            });
        }
        Ok(recipients)
    }

    /// Writes the digest of `local_date` for the account to the outbox, unless one was written
    /// for that date already (by this node or another): says whether this call wrote it.
    pub async fn write_digest(
        &self,
        account_id: Uuid,
        local_date: NaiveDate,
        body: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock().now();
        let account = account_id.to_string();
        let date = local_date.format("%Y-%m-%d").to_string();
        let database = |error: sqlx::Error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(database)?;
        let claimed = sqlx::query(
            "INSERT INTO digests_sent (account_id, local_date, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&account)
        .bind(&date)
        .bind(micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        if claimed.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO outbox (notification_id, project_id, sequence, audience, event_type, body, created_at, status, attempts, next_attempt_at) \
             VALUES ($1, $2, 0, $3, $4, $5, $6, 'pending', 0, $6)",
        )
        .bind(format!("digest.{account}.{date}"))
        .bind(NO_PROJECT.to_string())
        .bind(format!("{PERSON_AUDIENCE_PREFIX}{account}"))
        .bind(DIGEST_EVENT_TYPE)
        .bind(body)
        .bind(micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        self.inner
            .signals
            .outbox_written
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(true)
    }

    /// The account `name`, unless there is none or it is disabled.
    async fn active_account(&self, name: &str) -> Result<Option<AccountSummary>, StoreError> {
        Ok(self
            .account(name)
            .await?
            .filter(|account| account.disabled_at.is_none()))
    }

    fn person_email_from_row(&self, row: &AnyRow) -> Result<PersonEmail, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let account_id: String = row.try_get("account_id").map_err(get)?;
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("person_email {account_id}: {what}"));
        let language: String = row.try_get("language").map_err(get)?;
        let verified_at: Option<i64> = row.try_get("verified_at").map_err(get)?;
        Ok(PersonEmail {
            account_id: Uuid::parse_str(&account_id).map_err(|_| corrupt("account id"))?,
            name: row.try_get("name").map_err(get)?,
            address: row.try_get("address").map_err(get)?,
            language: language_of_code(&language)?,
            verified_at: verified_at.map(instant).transpose()?,
            verification_sent_at: instant(row.try_get("verification_sent_at").map_err(get)?)?,
            digest: row.try_get::<i64, _>("digest").map_err(get)? == 1,
            event_types: Vec::new(),
        })
    }
}

/// Sets the e-mail channel `audience` of a person in `webhooks`, to one address.
async fn upsert_person_channel(
    connection: &mut sqlx::AnyConnection,
    audience: &str,
    address: &str,
    language: Language,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhooks (audience, url, secret, max_attempts, timeout_millis, updated_at, kind, language) VALUES ($1, $2, '', $3, $4, $5, 'email', $6) \
         ON CONFLICT (audience) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at, language = excluded.language",
    )
    .bind(audience)
    .bind(format!("mailto:{address}"))
    .bind(PERSON_MAX_ATTEMPTS)
    .bind(PERSON_TIMEOUT_MILLIS)
    .bind(micros(now))
    .bind(language_code(language))
    .execute(connection)
    .await
    .map(|_| ())
}

/// Checks an event type as chosen: a lowercase identifier such as `deadline_missed`.
fn check_event_type(event_type: &str) -> Result<(), StoreError> {
    let well_formed = !event_type.is_empty()
        && event_type.len() <= 64
        && event_type
            .chars()
            .all(|character| matches!(character, 'a'..='z' | '0'..='9' | '_'));
    if well_formed {
        Ok(())
    } else {
        Err(StoreError::InvalidRequest(format!(
            "`{event_type}` is not a kind of event: use names such as deadline_missed"
        )))
    }
}

/// A daily digest as the outbox keeps it: already in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestBody {
    /// The outbox row's id.
    pub notification_id: String,
    /// Always `daily_digest`.
    pub event_type: String,
    /// The account's name.
    pub account: String,
    /// The local date it is the digest of.
    pub date: chrono::NaiveDate,
    /// Its language.
    pub language: Language,
    /// The sections with something in them, in order; none when nothing waits.
    pub sections: Vec<DigestSection>,
    /// Whether the person's projects were more than one digest examines.
    pub truncated: bool,
}

/// A section of a digest: a heading and its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSection {
    /// The heading.
    pub title: String,
    /// The lines.
    pub items: Vec<DigestItem>,
}

/// A line of a digest, with the page it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// What the line says.
    pub text: String,
    /// The path of the page it links to, such as `/projects/{id}`.
    pub path: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_secrets_have_the_prefix_and_64_hex_digits() {
        assert!(is_verification_secret_shaped(&format!(
            "sfv_{}",
            "0a".repeat(32)
        )));
        assert!(!is_verification_secret_shaped(&format!(
            "sfc_{}",
            "0a".repeat(32)
        )));
        assert!(!is_verification_secret_shaped("sfv_0A"));
    }

    #[test]
    fn person_channels_name_their_account() {
        let id = Uuid::from_u128(7);
        assert_eq!(person_of_audience(&format!("person:{id}")), Some(id));
        assert_eq!(person_of_audience(&format!("verify:{id}")), Some(id));
        assert_eq!(person_of_audience("secretariat"), None);
    }

    #[test]
    fn event_types_are_lowercase_identifiers() {
        assert!(check_event_type("deadline_missed").is_ok());
        assert!(check_event_type("Deadline").is_err());
        assert!(check_event_type("").is_err());
    }
}
