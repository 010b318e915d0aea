//! Accounts: people who sign in to the pages with a name and a password.
//!
//! An account is bound to a role and a scope exactly as an API token is
//! ([`crate::auth::RoleScope`]: secretariat, chair and member name a committee, a drafter an
//! existing project, the others neither), and its name is the subject of every audit record the
//! person causes, so names are plain, unique for ever (a disabled account keeps its row), and
//! never shared with a token.
//!
//! The password is never stored: only its Argon2id hash with the default parameters of RustCrypto's
//! `argon2` crate (19 MiB, two passes, one lane) and a random 16-byte salt, in the PHC string
//! format, which carries its parameters so that they can be raised later without breaking old
//! hashes. Hashing and verifying are slow on purpose, so they run on tokio's blocking threads and
//! never hold up the executor.
//!
//! Signing in ([`Store::sign_in`]) is throttled in the database, so the limits hold across nodes:
//! failures are counted per typed name (whether or not an account has it, so the throttle reveals
//! nothing) and per client address within [`SigninThrottle::window`]; at the limit, sign-ins for
//! that name or from that address are refused without looking at the password until the lockout
//! ends. A success forgets the name's failures, never the address's. A name that no account has
//! is checked against a fixed hash all the same, so that the time taken does not say whether the
//! name exists.
//!
//! A successful sign-in starts a server-side session (`sessions.rs`); disabling an account or
//! resetting its password revokes its sessions, on every node at once.

use super::sessions::SessionOwner;
use super::{Store, instant, is_unique_violation, micros};
use crate::auth::{AuthError, Principal, Role};
use crate::error::StoreError;
use crate::sessions::StartedSession;
use crate::tokens::check_subject_name;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;
use uuid::Uuid;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The longest password accepted, in bytes: hashing a megabyte on every attempt would be a way
/// to keep the server busy.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The longest typed name or address kept in the throttle table.
const MAX_THROTTLE_KEY_CHARS: usize = 200;

/// How failed sign-ins are limited (part of [`crate::StoreOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigninThrottle {
    /// The window failures are counted in, from the first failure counted.
    pub window: Duration,
    /// Failures for one typed name within the window that lock the name out (5 by default).
    pub failures_per_name: u32,
    /// Failures from one client address within the window that lock the address out (30 by
    /// default: an office behind one address has many people mistyping).
    pub failures_per_address: u32,
    /// How long a name or an address stays locked out (15 minutes by default, as the window).
    pub lockout: Duration,
}

impl Default for SigninThrottle {
    fn default() -> SigninThrottle {
        SigninThrottle {
            window: Duration::from_secs(15 * 60),
            failures_per_name: 5,
            failures_per_address: 30,
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// An account as listed: everything but its password hash, which never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    /// Its id.
    pub account_id: Uuid,
    /// Its name: the subject of every audit record the person causes.
    pub name: String,
    /// What the person may do.
    pub role: Role,
    /// The committee of a secretariat, chair or member.
    pub committee: Option<String>,
    /// The project of a drafter.
    pub project_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its password was last set.
    pub password_changed_at: DateTime<Utc>,
    /// When it was disabled, if it was.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl AccountSummary {
    /// The principal the person acts as: the account's id, name, role and scope.
    pub fn principal(&self) -> Principal {
        Principal {
            token_id: self.account_id,
            subject: self.name.clone(),
            role: self.role,
            committee: self.committee.clone(),
            project_id: self.project_id,
        }
    }
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    /// No account has this name, or the password is not its password: the two are one answer,
    /// so that nobody learns which names exist.
    #[error("the name or the password is wrong")]
    WrongCredentials,
    /// Too many failures for this name or from this address: no sign-in is tried until `until`.
    #[error("too many failed sign-ins: try again after {until}")]
    Throttled {
        /// When the lockout ends.
        until: DateTime<Utc>,
    },
    /// The password is right but the account is disabled.
    #[error("the account {name} was disabled at {disabled_at}")]
    Disabled {
        /// The account's name.
        name: String,
        /// When it was disabled.
        disabled_at: DateTime<Utc>,
    },
    /// A token given instead of a password was refused (malformed, unknown, revoked, expired).
    #[error(transparent)]
    Token(AuthError),
    /// The store could not answer; nobody is signed in (deny by default).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SigninError {
    /// The subject the refusal is logged with, when it is known.
    pub fn subject(&self) -> Option<&str> {
        match self {
            SigninError::Disabled { name, .. } => Some(name),
            SigninError::Token(error) => error.subject(),
            SigninError::WrongCredentials
            | SigninError::Throttled { .. }
            | SigninError::Store(_) => None,
        }
    }
}

impl From<AuthError> for SigninError {
    fn from(error: AuthError) -> SigninError {
        match error {
            AuthError::Store(error) => SigninError::Store(error),
            other => SigninError::Token(other),
        }
    }
}

/// Which counter a failed sign-in adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThrottleKind {
    Name,
    Address,
}

impl ThrottleKind {
    fn as_str(self) -> &'static str {
        match self {
            ThrottleKind::Name => "name",
            ThrottleKind::Address => "address",
        }
    }
}

/// What a typed name or an address is counted under: trimmed, in lower case (so that `Wang` and
/// `wang` share a counter), and cut to a bounded length.
fn throttle_key(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .take(MAX_THROTTLE_KEY_CHARS)
        .collect()
}

/// Checks a new password: long enough to resist guessing, short enough to hash quickly, and
/// never taken for an API token by the sign-in form.
pub fn check_password(password: &str) -> Result<(), StoreError> {
    let characters = password.chars().count();
    if characters < MIN_PASSWORD_CHARS {
        return Err(StoreError::InvalidRequest(format!(
            "the password has {characters} characters; it needs at least {MIN_PASSWORD_CHARS}: a short phrase is easier to remember and harder to guess"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::InvalidRequest(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.starts_with(crate::auth::TOKEN_PREFIX) {
        return Err(StoreError::InvalidRequest(format!(
            "the password starts with `{}` like an API token, which the sign-in form would take for one: choose another",
            crate::auth::TOKEN_PREFIX
        )));
    }
    if password.trim() != password {
        return Err(StoreError::InvalidRequest(
            "the password starts or ends with white space, which is easy to lose when typing it: remove it".to_string(),
        ));
    }
    Ok(())
}

/// The Argon2id hash of `password` with a fresh random salt, as a PHC string. Slow on purpose:
/// call it on a blocking thread.
fn hash_password(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| StoreError::Randomness(error.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| {
        StoreError::Randomness(format!("the salt could not be encoded: {error}"))
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            StoreError::InvalidRequest(format!("the password cannot be hashed: {error}"))
        })
}

/// Whether `password` is the one `hash` was made from. A hash that cannot be read matches
/// nothing. Slow on purpose: call it on a blocking thread.
fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash no password is known to match, checked when no account has the typed name, so that
/// such an attempt takes as long as a wrong password.
fn stand_in_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut text = [0u8; 32];
        // Without randomness the stand-in is a fixed text; it is never an account's password.
        let _ = getrandom::fill(&mut text);
        hash_password(&hex::encode(text)).unwrap_or_default()
    })
}

/// Runs a slow password computation on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        StoreError::InvalidRequest(format!("the password check was interrupted: {error}"))
    })
}

pub(crate) const ACCOUNT_COLUMNS: &str = "SELECT account_id, name, role, committee, project_id, created_at, password_changed_at, disabled_at FROM accounts";

impl Store {
    /// Creates an account named `name` with `role` and its scope, and `password`, of which only
    /// the Argon2id hash is kept.
    ///
    /// Refuses, with a message that says what is wrong: a name as tokens refuse them (empty, too
    /// long, not plain, a UUID, `sft_…`, `specflow`), one used by any account, even a disabled
    /// one, or by a token; a scope that does not fit the role (as for tokens); a password shorter
    /// than [`MIN_PASSWORD_CHARS`] characters, longer than [`MAX_PASSWORD_BYTES`] bytes, or
    /// starting or ending with white space.
    pub async fn create_account(
        &self,
        name: &str,
        role: Role,
        committee: Option<&str>,
        project: Option<&str>,
        password: &str,
    ) -> Result<AccountSummary, StoreError> {
        check_subject_name("account", name)?;
        let (committee, project_id) = self
            .resolve_scope("account", role, committee, project)
            .await?;
        check_password(password)?;
        let refuse = |why: String| Err(StoreError::InvalidRequest(why));
        if self.token(name).await?.is_some() {
            return refuse(format!(
                "a token is named `{name}`: an account and a token never share a name, so that each audit record's subject names one of them; choose another name"
            ));
        }
        let password = password.to_string();
        let hash = blocking(move || hash_password(&password)).await??;
        let now = self.clock().now();
        let account_id = Uuid::new_v4();
        let inserted = sqlx::query(
            "INSERT INTO accounts (account_id, name, role, committee, project_id, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(account_id.to_string())
        .bind(name)
        .bind(role.as_str())
        .bind(committee.clone())
        .bind(project_id.map(|project_id| project_id.to_string()))
        .bind(hash)
        .bind(micros(now))
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                return refuse(format!(
                    "an account named `{name}` already exists: names are never reused, so that each audit record's subject names one person; choose another name, such as {name}-2"
                ));
            }
            Err(error) => return Err(self.database_error(error)),
        }
        Ok(AccountSummary {
            account_id,
            name: name.to_string(),
            role,
            committee,
            project_id,
            created_at: now,
            password_changed_at: now,
            disabled_at: None,
        })
    }

    /// Every account, oldest first, disabled ones included; never a password hash.
    pub async fn accounts(&self) -> Result<Vec<AccountSummary>, StoreError> {
        let rows = sqlx::query(&format!("{ACCOUNT_COLUMNS} ORDER BY created_at, name"))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        rows.iter().map(|row| self.account_from_row(row)).collect()
    }

    /// The account with this name.
    pub async fn account(&self, name: &str) -> Result<Option<AccountSummary>, StoreError> {
        let row = sqlx::query(&format!("{ACCOUNT_COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        row.map(|row| self.account_from_row(&row)).transpose()
    }

    /// Whether an account has this name, disabled or not.
    pub(crate) async fn account_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.account(name).await?.is_some())
    }

    /// Disables the account with this name from now on and revokes its sessions, in one
    /// transaction, so that the person is signed out on every node at once. Says whether it was
    /// disabled now (`false` for no such account, or one disabled before, whose instant stays).
    pub async fn disable_account(&self, name: &str) -> Result<bool, StoreError> {
        let now = micros(self.clock().now());
        let database = |error| self.database_error(error);
        let mut transaction = self.pool().begin().await.map_err(database)?;
        let disabled = sqlx::query(
            "UPDATE accounts SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL",
        )
        .bind(now)
        .bind(name)
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        self.revoke_account_sessions(&mut transaction, name, now)
            .await?;
        transaction.commit().await.map_err(database)?;
        Ok(disabled.rows_affected() > 0)
    }

    /// Sets a new password for the account with this name, revokes its sessions (whoever knew
    /// the old password is signed out everywhere) and forgets the failed sign-ins of its name.
    /// Says whether there is such an account; a disabled account stays disabled. The password is
    /// checked as [`Store::create_account`] checks it.
    pub async fn reset_password(&self, name: &str, password: &str) -> Result<bool, StoreError> {
        check_password(password)?;
        if !self.account_exists(name).await? {
            return Ok(false);
        }
        let password = password.to_string();
        let hash = blocking(move || hash_password(&password)).await??;
        let now = micros(self.clock().now());
        let database = |error| self.database_error(error);
        let mut transaction = self.pool().begin().await.map_err(database)?;
        let changed = sqlx::query(
            "UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE name = $3",
        )
        .bind(hash)
        .bind(now)
        .bind(name)
        .execute(&mut *transaction)
        .await
        .map_err(database)?;
        self.revoke_account_sessions(&mut transaction, name, now)
            .await?;
        sqlx::query("DELETE FROM signin_throttle WHERE kind = 'name' AND throttle_key = $1")
            .bind(throttle_key(name))
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        transaction.commit().await.map_err(database)?;
        Ok(changed.rows_affected() > 0)
    }

    async fn revoke_account_sessions(
        &self,
        transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
        name: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE account_id IN (SELECT account_id FROM accounts WHERE name = $2) AND revoked_at IS NULL")
            .bind(now)
            .bind(name)
            .execute(&mut **transaction)
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// Signs a person in with their account's name and password, from the client `address`, and
    /// starts a session; or says why not.
    ///
    /// A name or an address locked out by earlier failures is refused at once with when to try
    /// again ([`SigninError::Throttled`]), before the password is looked at. A wrong password and
    /// an unknown name are the same [`SigninError::WrongCredentials`] and both count as failures
    /// of the name and of the address. A right password of a disabled account is
    /// [`SigninError::Disabled`]. A success forgets the failures of the name.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: &str,
    ) -> Result<StartedSession, SigninError> {
        let name_key = throttle_key(name);
        let address_key = throttle_key(address);
        let now = self.clock().now();
        self.refuse_if_locked(
            &[
                (ThrottleKind::Name, &name_key),
                (ThrottleKind::Address, &address_key),
            ],
            now,
        )
        .await?;
        let row = sqlx::query(
            "SELECT account_id, name, role, committee, project_id, created_at, password_changed_at, disabled_at, password_hash FROM accounts WHERE name = $1",
        )
        .bind(name.trim())
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let (account, hash) = match &row {
            Some(row) => (
                Some(self.account_from_row(row)?),
                row.try_get::<String, _>("password_hash")
                    .map_err(|error| self.database_error(error))?,
            ),
            None => (None, stand_in_hash().to_string()),
        };
        let typed = password.to_string();
        let matches = password.len() <= MAX_PASSWORD_BYTES
            && blocking(move || verify_password(&hash, &typed)).await?;
        let account = match account {
            Some(account) if matches => account,
            _ => {
                self.count_signin_failure(ThrottleKind::Name, &name_key, now)
                    .await?;
                self.count_signin_failure(ThrottleKind::Address, &address_key, now)
                    .await?;
                return Err(SigninError::WrongCredentials);
            }
        };
        if let Some(disabled_at) = account.disabled_at {
            return Err(SigninError::Disabled {
                name: account.name,
                disabled_at,
            });
        }
        sqlx::query("DELETE FROM signin_throttle WHERE kind = 'name' AND throttle_key = $1")
            .bind(&name_key)
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(self
            .start_session(
                SessionOwner::Account(account.account_id),
                account.principal(),
            )
            .await?)
    }

    /// Signs in with an API token pasted into the sign-in form, from the client `address`, and
    /// starts a session that belongs to the token (it ends when the token is revoked or expires).
    /// Throttled per address like [`Store::sign_in`]; a refused token counts as a failure.
    pub async fn sign_in_with_token(
        &self,
        bearer: &str,
        address: &str,
    ) -> Result<StartedSession, SigninError> {
        let address_key = throttle_key(address);
        let now = self.clock().now();
        self.refuse_if_locked(&[(ThrottleKind::Address, &address_key)], now)
            .await?;
        match self.authenticate(bearer.trim()).await {
            Ok(principal) => Ok(self
                .start_session(SessionOwner::Token(principal.token_id), principal)
                .await?),
            Err(AuthError::Store(error)) => Err(SigninError::Store(error)),
            Err(error) => {
                self.count_signin_failure(ThrottleKind::Address, &address_key, now)
                    .await?;
                Err(SigninError::from(error))
            }
        }
    }

    /// Refuses with [`SigninError::Throttled`] when any of these counters is locked out now,
    /// naming the latest end of a lockout.
    async fn refuse_if_locked(
        &self,
        counters: &[(ThrottleKind, &str)],
        now: DateTime<Utc>,
    ) -> Result<(), SigninError> {
        let mut until: Option<i64> = None;
        for (kind, key) in counters {
            let locked: Option<i64> = sqlx::query_scalar(
                "SELECT locked_until FROM signin_throttle WHERE kind = $1 AND throttle_key = $2 AND locked_until > $3",
            )
            .bind(kind.as_str())
            .bind(*key)
            .bind(micros(now))
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?
            .flatten();
            until = until.max(locked);
        }
        match until {
            Some(until) => Err(SigninError::Throttled {
                until: instant(until)?,
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in against a name or an address, in one statement (so that nodes
    /// counting at once lose no failure): a window older than the limit's starts again at one,
    /// and reaching the limit locks the counter out.
    async fn count_signin_failure(
        &self,
        kind: ThrottleKind,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let throttle = self.options().signin_throttle;
        let limit = match kind {
            ThrottleKind::Name => throttle.failures_per_name,
            ThrottleKind::Address => throttle.failures_per_address,
        };
        let window_start = micros(now) - duration_micros(throttle.window);
        let locked_until = micros(now) + duration_micros(throttle.lockout);
        sqlx::query(
            "INSERT INTO signin_throttle (kind, throttle_key, window_started_at, failures, locked_until) \
             VALUES ($1, $2, $3, 1, CASE WHEN 1 >= $5 THEN $6 ELSE NULL END) \
             ON CONFLICT (kind, throttle_key) DO UPDATE SET \
               window_started_at = CASE WHEN signin_throttle.window_started_at <= $4 THEN $3 ELSE signin_throttle.window_started_at END, \
               failures = CASE WHEN signin_throttle.window_started_at <= $4 THEN 1 ELSE signin_throttle.failures + 1 END, \
               locked_until = CASE WHEN (CASE WHEN signin_throttle.window_started_at <= $4 THEN 1 ELSE signin_throttle.failures + 1 END) >= $5 THEN $6 ELSE signin_throttle.locked_until END",
        )
        .bind(kind.as_str())
        .bind(key)
        .bind(micros(now))
        .bind(window_start)
        .bind(i64::from(limit))
        .bind(locked_until)
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    pub(crate) fn account_from_row(&self, row: &AnyRow) -> Result<AccountSummary, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let account_id: String = row.try_get("account_id").map_err(get)?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("account {account_id}: {what}"));
        let role: String = row.try_get("role").map_err(get)?;
        let project_id: Option<String> = row.try_get("project_id").map_err(get)?;
        let disabled_at: Option<i64> = row.try_get("disabled_at").map_err(get)?;
        Ok(AccountSummary {
            role: Role::from_str(&role).map_err(|_| corrupt(&format!("the role {role}")))?,
            project_id: project_id
                .map(|project_id| Uuid::parse_str(&project_id))
                .transpose()
                .map_err(|_| corrupt("the project id"))?,
            name: row.try_get("name").map_err(get)?,
            committee: row.try_get("committee").map_err(get)?,
            created_at: instant(row.try_get("created_at").map_err(get)?)?,
            password_changed_at: instant(row.try_get("password_changed_at").map_err(get)?)?,
            disabled_at: disabled_at.map(instant).transpose()?,
            account_id: Uuid::parse_str(&account_id).map_err(|_| corrupt("the id"))?,
        })
    }
}

/// A length of time in microseconds, the stored form of instants.
pub(crate) fn duration_micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_and_verified() {
        let hash = hash_password("correct horse battery").unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery "));
        assert!(!verify_password("not a hash", "correct horse battery"));
        let again = hash_password("correct horse battery").unwrap_or_default();
        assert_ne!(hash, again, "each hash has its own salt");
    }

    #[test]
    fn passwords_must_be_long_enough() {
        let refusal = |password: &str| match check_password(password) {
            Err(error) => error.to_string(),
            Ok(()) => String::new(),
        };
        assert!(refusal("short").contains("at least 10"));
        assert!(refusal("密码密码密码密码密").contains("has 9 characters"));
        assert!(check_password("密码密码密码密码密码").is_ok());
        assert!(refusal(" ten chars long").contains("white space"));
        assert!(refusal(&"x".repeat(1025)).contains("longer than 1024"));
    }

    #[test]
    fn throttle_keys_ignore_case_and_padding() {
        assert_eq!(throttle_key(" Wang "), "wang");
        assert_eq!(throttle_key(&"a".repeat(500)).len(), MAX_THROTTLE_KEY_CHARS);
    }
}
