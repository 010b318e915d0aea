//! Server-side sessions of the pages: a random session id in the reader's cookie, its SHA-256 in
//! the database.
//!
//! A session is started by signing in (`accounts.rs`), with an account's name and password or
//! with an API token, and belongs to that account or token. Every page request reads it again
//! ([`Store::session`]): there is no cache, so a session revoked on one node (signing out,
//! disabling the account, resetting its password, revoking its token) is refused by every node at
//! the next request. A session that is not used for [`crate::StoreOptions::session_idle`] (12
//! hours by default) expires; each use pushes its expiry, at most once per
//! [`SESSION_TOUCH_SECONDS`] so that reading pages does not write on every request.
//!
//! The id is `sfs_` and 32 bytes of the operating system's CSPRNG in lowercase hex; only its
//! SHA-256 is stored, so a copy of the database resumes nobody's session, and it is looked up
//! through the primary key, never compared byte by byte.

use super::{Store, instant, micros};
use crate::accounts::duration_micros;
use crate::auth::{Principal, Role};
use crate::error::StoreError;
use crate::tokens::{random_hex, secret_sha256};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::str::FromStr;
use uuid::Uuid;

/// What every session id starts with, so that a leaked one is recognisable and never taken for
/// an API token.
pub const SESSION_PREFIX: &str = "sfs_";

/// A session's expiry moves forward at most once in this many seconds.
pub const SESSION_TOUCH_SECONDS: i64 = 60;

/// How long sessions that ended are kept before they are forgotten (for the investigation of an
/// incident: which sessions existed, and when they ended).
const ENDED_SESSIONS_KEPT_DAYS: i64 = 30;

/// Whom a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionOwner {
    /// An account, by its id.
    Account(Uuid),
    /// An API token, by its id.
    Token(Uuid),
}

/// A session just started: the only time its id exists outside the reader's cookie.
///
/// It is not `Serialize`, and `Debug` does not show the id, so it cannot end up in a log.
pub struct StartedSession {
    session_id: String,
    principal: Principal,
    expires_at: DateTime<Utc>,
}

impl StartedSession {
    /// The session id, `sfs_` and 64 hexadecimal digits: the cookie's value.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Who signed in.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// When the session expires unless it is used before.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

impl std::fmt::Debug for StartedSession {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StartedSession")
            .field("session_id", &format_args!("{SESSION_PREFIX}***"))
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why a session cookie does not sign anyone in. The pages ask the reader to sign in again in
/// every case; the variants keep the reason (and the subject, once known) for the log.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The text is not shaped like a session id.
    #[error("the session id is not a specflow session id")]
    Malformed,
    /// No session has this id (never started, or forgotten long after it ended).
    #[error("the session is unknown")]
    Unknown,
    /// The session was revoked: signed out, or its account disabled or its password reset.
    #[error("the session of {subject} was revoked at {revoked_at}")]
    Revoked {
        /// Whose session it was.
        subject: String,
        /// When it was revoked.
        revoked_at: DateTime<Utc>,
    },
    /// The session was not used for the idle limit.
    #[error("the session of {subject} expired at {expired_at}")]
    Expired {
        /// Whose session it was.
        subject: String,
        /// When it expired.
        expired_at: DateTime<Utc>,
    },
    /// The session's account was disabled.
    #[error("the account {subject} was disabled at {disabled_at}")]
    AccountDisabled {
        /// The account's name.
        subject: String,
        /// When it was disabled.
        disabled_at: DateTime<Utc>,
    },
    /// The session's API token was revoked or has expired.
    #[error("the token {subject} of the session no longer authenticates")]
    TokenEnded {
        /// The token's name.
        subject: String,
    },
    /// The store could not answer; the request is refused (deny by default).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    /// The subject the refusal is logged with, when it is known.
    pub fn subject(&self) -> Option<&str> {
        match self {
            SessionError::Revoked { subject, .. }
            | SessionError::Expired { subject, .. }
            | SessionError::AccountDisabled { subject, .. }
            | SessionError::TokenEnded { subject } => Some(subject),
            SessionError::Malformed | SessionError::Unknown | SessionError::Store(_) => None,
        }
    }
}

/// Whether `text` is shaped like a session id: the prefix and 64 lowercase hexadecimal digits.
pub fn is_session_shaped(text: &str) -> bool {
    text.strip_prefix(SESSION_PREFIX).is_some_and(|secret| {
        secret.len() == 64
            && secret
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The session's row and its owner's, in one statement: the account's or the token's name, role
/// and scope, and what ends it.
const SESSION_QUERY: &str = "SELECT s.account_id, s.token_id, s.last_seen_at, s.expires_at, s.revoked_at, \
    COALESCE(a.name, t.name) AS owner_name, COALESCE(a.role, t.role) AS owner_role, \
    COALESCE(a.committee, t.committee) AS owner_committee, COALESCE(a.project_id, t.project_id) AS owner_project_id, \
    a.disabled_at AS account_disabled_at, t.revoked_at AS token_revoked_at, t.expires_at AS token_expires_at \
    FROM sessions s LEFT JOIN accounts a ON a.account_id = s.account_id LEFT JOIN api_tokens t ON t.token_id = s.token_id \
    WHERE s.session_sha256 = $1";

impl Store {
    /// Starts a session for `principal`, owned by an account or a token, expiring after the idle
    /// limit; forgets sessions that ended more than 30 days ago.
    pub(crate) async fn start_session(
        &self,
        owner: SessionOwner,
        principal: Principal,
    ) -> Result<StartedSession, StoreError> {
        let session_id = format!("{SESSION_PREFIX}{}", random_hex::<32>()?);
        let now = self.clock().now();
        let expires_at = micros(now) + duration_micros(self.options().session_idle);
        let (account_id, token_id) = match owner {
            SessionOwner::Account(account_id) => (Some(account_id.to_string()), None),
            SessionOwner::Token(token_id) => (None, Some(token_id.to_string())),
        };
        let database = |error| self.database_error(error);
        let _turn = self.sqlite_write_turn().await;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(micros(now) - ENDED_SESSIONS_KEPT_DAYS * 86_400 * 1_000_000)
            .execute(self.pool())
            .await
            .map_err(database)?;
        sqlx::query("INSERT INTO sessions (session_sha256, account_id, token_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(secret_sha256(&session_id))
            .bind(account_id)
            .bind(token_id)
            .bind(micros(now))
            .bind(expires_at)
            .execute(self.pool())
            .await
            .map_err(database)?;
        Ok(StartedSession {
            session_id,
            principal,
            expires_at: instant(expires_at)?,
        })
    }

    /// The principal a session id stands for (for an account, its name is the subject), or why
    /// it is refused. Pushes the session's expiry forward, at most once a minute.
    pub async fn session(&self, session_id: &str) -> Result<Principal, SessionError> {
        if !is_session_shaped(session_id) {
            return Err(SessionError::Malformed);
        }
        let hash = secret_sha256(session_id);
        let now = self.clock().now();
        let get = |error: sqlx::Error| self.database_error(error);
        let Some(row) = sqlx::query(SESSION_QUERY)
            .bind(&hash)
            .fetch_optional(self.pool())
            .await
            .map_err(get)?
        else {
            return Err(SessionError::Unknown);
        };
        let corrupt = |what: &str| StoreError::Corrupt(format!("session: {what}"));
        let subject: Option<String> = row.try_get("owner_name").map_err(get)?;
        let subject = subject.ok_or_else(|| corrupt("neither an account nor a token"))?;
        let optional_instant = |value: Option<i64>| value.map(instant).transpose();
        if let Some(revoked_at) = optional_instant(row.try_get("revoked_at").map_err(get)?)? {
            return Err(SessionError::Revoked {
                subject,
                revoked_at,
            });
        }
        let expires_at: i64 = row.try_get("expires_at").map_err(get)?;
        if expires_at <= micros(now) {
            return Err(SessionError::Expired {
                subject,
                expired_at: instant(expires_at)?,
            });
        }
        if let Some(disabled_at) =
            optional_instant(row.try_get("account_disabled_at").map_err(get)?)?
        {
            return Err(SessionError::AccountDisabled {
                subject,
                disabled_at,
            });
        }
        let token_revoked: Option<i64> = row.try_get("token_revoked_at").map_err(get)?;
        let token_expires: Option<i64> = row.try_get("token_expires_at").map_err(get)?;
        if token_revoked.is_some() || token_expires.is_some_and(|at| at <= micros(now)) {
            return Err(SessionError::TokenEnded { subject });
        }
        let account_id: Option<String> = row.try_get("account_id").map_err(get)?;
        let token_id: Option<String> = row.try_get("token_id").map_err(get)?;
        let owner_id = account_id
            .or(token_id)
            .ok_or_else(|| corrupt("neither an account nor a token"))?;
        let role: String = row.try_get("owner_role").map_err(get)?;
        let project_id: Option<String> = row.try_get("owner_project_id").map_err(get)?;
        let principal = Principal {
            token_id: Uuid::parse_str(&owner_id).map_err(|_| corrupt("the owner's id"))?,
            subject,
            role: Role::from_str(&role).map_err(|_| corrupt("the role"))?,
            committee: row.try_get("owner_committee").map_err(get)?,
            project_id: project_id
                .map(|project_id| Uuid::parse_str(&project_id))
                .transpose()
                .map_err(|_| corrupt("the project id"))?,
        };
        let last_seen_at: i64 = row.try_get("last_seen_at").map_err(get)?;
        let stale = micros(now) - SESSION_TOUCH_SECONDS * 1_000_000;
        if last_seen_at <= stale {
            // The conditions are repeated so that concurrent requests on several nodes write once,
            // and a session revoked meanwhile is not brought back.
            let _turn = self.sqlite_write_turn().await;
            let touched = sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE session_sha256 = $3 AND revoked_at IS NULL AND last_seen_at <= $4")
                .bind(micros(now))
                .bind(micros(now) + duration_micros(self.options().session_idle))
                .bind(&hash)
                .bind(stale)
                .execute(self.pool())
                .await;
            if let Err(error) = touched {
                tracing::warn!(subject = %principal.subject, error = %self.database_error(error), "could not record when a session was last used");
            }
        }
        Ok(principal)
    }

    /// Ends the session with this id (signing out), on every node at once. Says whether it was
    /// ended now (`false` for an unknown session or one that had ended before).
    pub async fn end_session(&self, session_id: &str) -> Result<bool, StoreError> {
        if !is_session_shaped(session_id) {
            return Ok(false);
        }
        let _turn = self.sqlite_write_turn().await;
        let ended = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE session_sha256 = $2 AND revoked_at IS NULL",
        )
        .bind(micros(self.clock().now()))
        .bind(secret_sha256(session_id))
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(ended.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_recognisable_and_never_tokens() {
        let id = format!("{SESSION_PREFIX}{}", "ab".repeat(32));
        assert!(is_session_shaped(&id));
        assert!(!is_session_shaped(&format!("sft_{}", "ab".repeat(32))));
        assert!(!is_session_shaped("sfs_AB"));
        assert!(!crate::auth::is_token_shaped(&id));
    }

    #[test]
    fn started_sessions_never_show_their_id_in_debug() {
        let started = StartedSession {
            session_id: format!("{SESSION_PREFIX}{}", "cd".repeat(32)),
            principal: Principal {
                token_id: Uuid::from_u128(1),
                subject: "wang".to_string(),
                role: Role::Auditor,
                committee: None,
                project_id: None,
            },
            expires_at: DateTime::UNIX_EPOCH,
        };
        let shown = format!("{started:?}");
        assert!(!shown.contains("cdcd"), "{shown}");
    }
}
