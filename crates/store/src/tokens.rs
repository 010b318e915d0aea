//! API tokens: created with a role and a scope, shown once, kept only as a hash, revoked.
//!
//! A token is `sft_` followed by 32 random bytes from the operating system's CSPRNG in lowercase
//! hex. The store keeps the SHA-256 of that text and never the text, so a copy of the database
//! (a backup, a leaked dump) authenticates nobody. Authentication looks the hash up through its
//! unique index: the secret is never compared byte by byte, so there is no timing to measure.
//!
//! Names are the subjects recorded in the audit log, so they are plain, unique, and never reused:
//! a revoked token keeps its row, and an actor id in a record names one token for ever.
//!
//! The scope follows the role ([`crate::auth::RoleScope`]): secretariat, chair and member tokens
//! name a committee, a drafter token names an existing project, and the others name neither. The
//! database's CHECK holds the same rule, in case a row is written by hand.
//!
//! Every request authenticates, and reading the token was one of the two or three statements a
//! request cost. A node keeps each token it authenticated for [`TOKEN_CACHE_SECONDS`]: a
//! revocation on this node takes effect at once (it empties the cache), one on another node
//! within that second. Expiry is checked against the clock on every request, cached or not.

use super::{Store, instant, is_unique_violation, micros};
use crate::auth::{
    AuthError, Principal, Role, RoleScope, TOKEN_PREFIX, TOKEN_SECRET_HEX_DIGITS, is_token_shaped,
};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;
use uuid::Uuid;

/// The longest token name accepted: it is shown in every audit record and log line.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;

/// The longest committee accepted (committees are free text such as
/// `SH-TC-01 上海市长度计量技术委员会`).
const MAX_COMMITTEE_CHARS: usize = 200;

/// How long a node trusts a token it read without reading it again: the longest a token revoked
/// on another node still authenticates here.
pub const TOKEN_CACHE_SECONDS: u64 = 1;

/// How many tokens a node keeps at most; past that, it starts again from none.
const TOKEN_CACHE_ENTRIES: usize = 4096;

/// Tokens recently read, by the SHA-256 of their text, with when (by the monotonic clock) they
/// were read.
///
/// Freshness is measured by `std::time::Instant`, not by the store's clock: it bounds how stale
/// a copy is in real time, and the store's clock may be a test's fixed instant.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (TokenSummary, std::time::Instant)>>,
}

impl TokenCache {
    fn get(&self, secret_sha256: &str) -> Option<TokenSummary> {
        let entries = self.entries.lock().ok()?;
        let (token, read_at) = entries.get(secret_sha256)?;
        (read_at.elapsed() < std::time::Duration::from_secs(TOKEN_CACHE_SECONDS))
            .then(|| token.clone())
    }

    fn put(&self, secret_sha256: String, token: TokenSummary, read_at: std::time::Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TOKEN_CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(secret_sha256, (token, read_at));
        }
    }

    /// Records in the cached copy, if any, that the token was used at `now`; how fresh the copy
    /// is does not change.
    fn mark_used(&self, secret_sha256: &str, now: DateTime<Utc>) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some((token, _)) = entries.get_mut(secret_sha256)
        {
            token.last_used_at = Some(now);
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// `last_used_at` moves at most once in this many seconds per token, so that a busy client does
/// not turn every request into a write.
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// The actor id of specflow itself (`Actor::system`): no token may pass for the scheduler.
const RESERVED_NAME: &str = "specflow";

/// Whether a token can be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    /// Authenticates.
    Active,
    /// Its expiry has passed.
    Expired,
    /// It was revoked.
    Revoked,
}

impl TokenStatus {
    /// `active`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Expired => "expired",
            TokenStatus::Revoked => "revoked",
        }
    }
}

impl std::fmt::Display for TokenStatus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A token as listed: everything but its secret, which the store does not have, and its hash,
/// which never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenSummary {
    /// Its id.
    pub token_id: Uuid,
    /// Its name: the subject of every audit record it causes.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The committee of a secretariat, chair or member token.
    pub committee: Option<String>,
    /// The project of a drafter token.
    pub project_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops authenticating, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last authenticated, to the minute ([`LAST_USED_RESOLUTION_SECONDS`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether it can be used, as of when it was read.
    pub status: TokenStatus,
}

/// A token just created: the only time its text exists outside the client.
///
/// It is neither `Serialize` nor shown by `Debug`, so it cannot end up in a log by accident.
pub struct CreatedToken {
    token_id: Uuid,
    bearer: String,
}

impl CreatedToken {
    /// The token's id.
    pub fn token_id(&self) -> Uuid {
        self.token_id
    }

    /// The bearer token, `sft_` and 64 hexadecimal digits: show it once; it cannot be recovered.
    pub fn bearer(&self) -> &str {
        &self.bearer
    }
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CreatedToken")
            .field("token_id", &self.token_id)
            .field("bearer", &format_args!("{TOKEN_PREFIX}***"))
            .finish()
    }
}

const TOKEN_COLUMNS: &str = "SELECT token_id, name, role, committee, project_id, created_at, expires_at, revoked_at, last_used_at FROM api_tokens";

/// The stored form of a token's (or a session id's) text: SHA-256, lowercase hex.
pub(crate) fn secret_sha256(bearer: &str) -> String {
    hex::encode(Sha256::digest(bearer.as_bytes()))
}

/// A new token's text, from 32 bytes of the operating system's CSPRNG.
fn new_bearer() -> Result<String, StoreError> {
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        random_hex::<{ TOKEN_SECRET_HEX_DIGITS / 2 }>()?
    ))
}

/// `N` bytes of the operating system's CSPRNG, in lowercase hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, StoreError> {
    let mut secret = [0u8; N];
    getrandom::fill(&mut secret).map_err(|error| StoreError::Randomness(error.to_string()))?;
    Ok(hex::encode(secret))
}

/// Checks a token name: the subject of audit records and log lines, typed on command lines and
/// passed to `revoke`, so plain ASCII, never ambiguous with a token id, a token, or specflow.
fn check_token_name(name: &str) -> Result<(), StoreError> {
    check_subject_name("token", name)
}

/// Checks the name of a token or an account (`kind`): the subject of audit records and log
/// lines, typed on command lines, so plain ASCII, never ambiguous with an id, a token, or
/// specflow.
pub(crate) fn check_subject_name(kind: &str, name: &str) -> Result<(), StoreError> {
    let refuse = |why: String| Err(StoreError::InvalidRequest(why));
    if name.is_empty() {
        return refuse(format!(
            "the {kind} name must not be empty: it is the subject recorded in every audit record the {kind} causes, such as sec-wang"
        ));
    }
    if name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return refuse(format!(
            "the {kind} name `{name}` is longer than {MAX_TOKEN_NAME_CHARS} characters"
        ));
    }
    if let Some(bad) = name.chars().find(|character| {
        !(character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-' | '@'))
    }) {
        return refuse(format!(
            "the {kind} name `{name}` contains `{}`: use only letters a-z and A-Z, digits, `.`, `_`, `-` and `@`",
            bad.escape_debug()
        ));
    }
    if !name.starts_with(|first: char| first.is_ascii_alphanumeric()) {
        return refuse(format!(
            "the {kind} name `{name}` must start with a letter or a digit"
        ));
    }
    if Uuid::parse_str(name).is_ok() {
        return refuse(format!(
            "the {kind} name `{name}` is a UUID, which `revoke` would take for a token id: choose a name such as sec-wang"
        ));
    }
    if name.starts_with(TOKEN_PREFIX) {
        return refuse(format!(
            "the {kind} name `{name}` starts with `{TOKEN_PREFIX}` like a token itself: choose a name such as sec-wang"
        ));
    }
    if name == RESERVED_NAME {
        return refuse(format!(
            "the {kind} name `{RESERVED_NAME}` is reserved: it is the actor id of specflow's own scheduler"
        ));
    }
    Ok(())
}

/// Checks a committee as a token names it. Committees are free text on projects, matched
/// exactly, so only what can never match (empty, padded, control characters) is refused.
fn check_committee(committee: &str) -> Result<(), StoreError> {
    let refuse = |why: String| Err(StoreError::InvalidRequest(why));
    if committee.trim().is_empty() {
        return refuse(
            "the committee must not be empty: name it exactly as its projects do, such as SH-TC-01"
                .to_string(),
        );
    }
    if committee.trim() != committee {
        return refuse(format!(
            "the committee `{committee}` starts or ends with white space: name it exactly as its projects do"
        ));
    }
    if committee.chars().any(char::is_control) {
        return refuse(format!(
            "the committee `{}` contains a control character",
            committee.escape_debug()
        ));
    }
    if committee.chars().count() > MAX_COMMITTEE_CHARS {
        return refuse(format!(
            "the committee `{committee}` is longer than {MAX_COMMITTEE_CHARS} characters"
        ));
    }
    Ok(())
}

/// What `name = $1 OR token_id = $1` is matched with: an id in the stored (lowercase, hyphenated)
/// form however it was typed, a name as it is. Names are never UUIDs, so the two cannot clash.
fn token_key(name_or_id: &str) -> String {
    Uuid::parse_str(name_or_id).map_or_else(|_| name_or_id.to_string(), |id| id.to_string())
}

fn status_at(
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
) -> TokenStatus {
    if revoked_at.is_some() {
        TokenStatus::Revoked
    } else if expires_at.is_some_and(|expires_at| expires_at <= now) {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

impl Store {
    /// The committee or project a new token or account (`kind`) of `role` is scoped to, checked
    /// as its role requires: a committee for secretariat, chair and member, an existing project
    /// (by code or id) for a drafter, neither for the others.
    pub(crate) async fn resolve_scope(
        &self,
        kind: &str,
        role: Role,
        committee: Option<&str>,
        project: Option<&str>,
    ) -> Result<(Option<String>, Option<Uuid>), StoreError> {
        let refuse = |why: String| Err(StoreError::InvalidRequest(why));
        let scope = match (role.scope(), committee, project) {
            (RoleScope::Committee, Some(committee), None) => {
                check_committee(committee)?;
                (Some(committee.to_string()), None)
            }
            (RoleScope::Committee, None, _) => {
                return refuse(format!(
                    "a {role} {kind} needs a committee: its holder sees only that committee's projects"
                ));
            }
            (RoleScope::Committee, Some(_), Some(project)) => {
                return refuse(format!(
                    "a {role} {kind} is scoped to a committee, not to a project: drop the project `{project}`"
                ));
            }
            (RoleScope::Project, None, Some(project)) => {
                let project_id = self.resolve_project(project).await.map_err(|error| match error {
                    StoreError::ProjectNotFound(_) => StoreError::InvalidRequest(format!(
                        "the drafter's project `{project}` does not exist: name an existing project by its code or id"
                    )),
                    other => other,
                })?;
                (None, Some(project_id))
            }
            (RoleScope::Project, _, None) => {
                return refuse(format!(
                    "a drafter {kind} needs a project (its code or id): its holder sees only that project"
                ));
            }
            (RoleScope::Project, Some(committee), Some(_)) => {
                return refuse(format!(
                    "a drafter {kind} is scoped to its project, not to a committee: drop the committee `{committee}`"
                ));
            }
            (RoleScope::Everything, None, None) => (None, None),
            (RoleScope::Everything, Some(committee), _) => {
                return refuse(format!(
                    "a {role} {kind} sees every project and takes no committee: drop the committee `{committee}`"
                ));
            }
            (RoleScope::Everything, None, Some(project)) => {
                return refuse(format!(
                    "a {role} {kind} sees every project and takes no project: drop the project `{project}`"
                ));
            }
        };
        Ok(scope)
    }

    /// Creates a token named `name` with `role` and its scope, valid until `expires_at` (or until
    /// revoked). Returns the bearer text, which exists only in the returned [`CreatedToken`], and
    /// the token as it will be listed.
    ///
    /// Refuses, with a message that says what is wrong: a name that is empty, longer than 64
    /// characters, not plain (`A-Z a-z 0-9 . _ - @`, starting with a letter or digit), a UUID,
    /// `sft_…`, `specflow`, or already used by any token, even a revoked one; a committee missing
    /// for secretariat, chair and member or given for another role; a project missing for a
    /// drafter, given for another role, or not found (by code or id); an expiry not in the future.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        committee: Option<&str>,
        project: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(CreatedToken, TokenSummary), StoreError> {
        check_token_name(name)?;
        let refuse = |why: String| Err(StoreError::InvalidRequest(why));
        let (committee, project_id) = self
            .resolve_scope("token", role, committee, project)
            .await?;
        if self.account_exists(name).await? {
            return refuse(format!(
                "an account is named `{name}`: a token and an account never share a name, so that each audit record's subject names one of them; choose another name, such as {name}-api"
            ));
        }
        let now = self.clock().now();
        if let Some(expires_at) = expires_at
            && expires_at <= now
        {
            return refuse(format!(
                "the expiry {expires_at} is not in the future (it is now {now})"
            ));
        }
        let token_id = Uuid::new_v4();
        let bearer = new_bearer()?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (token_id, name, role, committee, project_id, secret_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token_id.to_string())
        .bind(name)
        .bind(role.as_str())
        .bind(committee.clone())
        .bind(project_id.map(|project_id| project_id.to_string()))
        .bind(secret_sha256(&bearer))
        .bind(micros(now))
        .bind(expires_at.map(micros))
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                let earlier = match self.token(name).await? {
                    Some(TokenSummary {
                        revoked_at: Some(revoked_at),
                        ..
                    }) => format!(" (revoked at {revoked_at})"),
                    _ => String::new(),
                };
                return refuse(format!(
                    "a token named `{name}` already exists{earlier}: names are never reused, so that each audit record's subject names one token; choose another name, such as {name}-2"
                ));
            }
            Err(error) => return Err(self.database_error(error)),
        }
        let summary = TokenSummary {
            token_id,
            name: name.to_string(),
            role,
            committee,
            project_id,
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
            status: TokenStatus::Active,
        };
        Ok((CreatedToken { token_id, bearer }, summary))
    }

    /// The principal a bearer token stands for, or why it is refused: not shaped like a token,
    /// unknown, revoked, or expired (each its own error, with the token's name once it is known).
    ///
    /// Records when the token was last used, at most once a minute per token; a failure to
    /// record it is logged and does not refuse a valid token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError> {
        if !is_token_shaped(bearer) {
            return Err(AuthError::Malformed);
        }
        let secret = secret_sha256(bearer);
        let now = self.clock().now();
        let token = match self.inner.tokens.get(&secret) {
            Some(token) => token,
            None => {
                let read_at = std::time::Instant::now();
                let row = sqlx::query(&format!("{TOKEN_COLUMNS} WHERE secret_sha256 = $1"))
                    .bind(&secret)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(|error| self.database_error(error))?;
                let Some(row) = row else {
                    return Err(AuthError::Unknown);
                };
                let token = self.token_from_row(&row, now)?;
                self.inner
                    .tokens
                    .put(secret.clone(), token.clone(), read_at);
                token
            }
        };
        if let Some(revoked_at) = token.revoked_at {
            return Err(AuthError::Revoked {
                token_id: token.token_id,
                name: token.name,
                revoked_at,
            });
        }
        if let Some(expired_at) = token.expires_at.filter(|expires_at| *expires_at <= now) {
            return Err(AuthError::Expired {
                token_id: token.token_id,
                name: token.name,
                expired_at,
            });
        }
        let stale = micros(now) - LAST_USED_RESOLUTION_SECONDS * 1_000_000;
        if token
            .last_used_at
            .is_none_or(|last_used_at| micros(last_used_at) <= stale)
        {
            // The condition is repeated in the statement so that concurrent requests on several
            // nodes write it once, not once each.
            let _turn = self.sqlite_write_turn().await;
            let recorded = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)")
                .bind(micros(now))
                .bind(token.token_id.to_string())
                .bind(stale)
                .execute(self.pool())
                .await;
            match recorded {
                // The cached copy learns it too, so that the next requests do not write.
                Ok(_) => self.inner.tokens.mark_used(&secret, now),
                Err(error) => tracing::warn!(
                    token = %token.name,
                    error = %self.database_error(error),
                    "could not record when an API token was last used"
                ),
            }
        }
        Ok(Principal {
            token_id: token.token_id,
            subject: token.name,
            role: token.role,
            committee: token.committee,
            project_id: token.project_id,
        })
    }

    /// Every token, oldest first, revoked and expired ones included; never a secret or a hash.
    pub async fn tokens(&self) -> Result<Vec<TokenSummary>, StoreError> {
        let rows = sqlx::query(&format!("{TOKEN_COLUMNS} ORDER BY created_at, name"))
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let now = self.clock().now();
        rows.iter()
            .map(|row| self.token_from_row(row, now))
            .collect()
    }

    /// The token with this name or id.
    pub async fn token(&self, name_or_id: &str) -> Result<Option<TokenSummary>, StoreError> {
        let row = sqlx::query(&format!("{TOKEN_COLUMNS} WHERE name = $1 OR token_id = $1"))
            .bind(token_key(name_or_id))
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        let now = self.clock().now();
        row.map(|row| self.token_from_row(&row, now)).transpose()
    }

    /// Revokes the token with this name or id, from now on; says whether it was revoked now
    /// (`false` for no such token, or one revoked before, whose revocation instant stays).
    pub async fn revoke_token(&self, name_or_id: &str) -> Result<bool, StoreError> {
        let revoked = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE (name = $2 OR token_id = $2) AND revoked_at IS NULL")
            .bind(micros(self.clock().now()))
            .bind(token_key(name_or_id))
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        // This node stops accepting it at once; other nodes within `TOKEN_CACHE_SECONDS`.
        self.inner.tokens.clear();
        Ok(revoked.rows_affected() > 0)
    }

    fn token_from_row(&self, row: &AnyRow, now: DateTime<Utc>) -> Result<TokenSummary, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let token_id: String = row.try_get("token_id").map_err(get)?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("API token {token_id}: {what}"));
        let role: String = row.try_get("role").map_err(get)?;
        let project_id: Option<String> = row.try_get("project_id").map_err(get)?;
        let optional_instant = |value: Option<i64>| value.map(instant).transpose();
        let expires_at = optional_instant(row.try_get("expires_at").map_err(get)?)?;
        let revoked_at = optional_instant(row.try_get("revoked_at").map_err(get)?)?;
        Ok(TokenSummary {
            role: Role::from_str(&role).map_err(|_| corrupt(&format!("the role {role}")))?,
            project_id: project_id
                .map(|project_id| Uuid::parse_str(&project_id))
                .transpose()
                .map_err(|_| corrupt("the project id"))?,
            name: row.try_get("name").map_err(get)?,
            committee: row.try_get("committee").map_err(get)?,
            created_at: instant(row.try_get("created_at").map_err(get)?)?,
            last_used_at: optional_instant(row.try_get("last_used_at").map_err(get)?)?,
            status: status_at(now, expires_at, revoked_at),
            expires_at,
            revoked_at,
            token_id: Uuid::parse_str(&token_id).map_err(|_| corrupt("the id"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(result: Result<(), StoreError>) -> String {
        match result {
            Err(error) => error.to_string(),
            Ok(()) => panic!("accepted"),
        }
    }

    #[test]
    fn bearers_are_random_shaped_tokens_and_stored_as_their_hash() {
        let one = new_bearer().unwrap_or_default();
        let other = new_bearer().unwrap_or_default();
        assert!(is_token_shaped(&one), "{one}");
        assert_ne!(one, other);
        let hash = secret_sha256(&one);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&one[TOKEN_PREFIX.len()..]));
        // The SHA-256 of the text `abc`, as published in FIPS 180-2.
        assert_eq!(
            secret_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn created_tokens_never_show_their_text_in_debug() {
        let created = CreatedToken {
            token_id: Uuid::from_u128(7),
            bearer: format!("sft_{}", "ab".repeat(32)),
        };
        let shown = format!("{created:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains("sft_***"), "{shown}");
    }

    #[test]
    fn names_are_plain_and_unambiguous() {
        for good in [
            "sec-wang",
            "bureau.li",
            "wang@example.org",
            "drafter_7",
            "7up",
        ] {
            assert!(check_token_name(good).is_ok(), "{good}");
        }
        assert!(refusal(check_token_name("")).contains("must not be empty"));
        let space = refusal(check_token_name("sec wang"));
        assert!(space.contains("contains ` `"), "{space}");
        let chinese = refusal(check_token_name("王秘书"));
        assert!(chinese.contains("contains `王`"), "{chinese}");
        let newline = refusal(check_token_name("sec\nwang"));
        assert!(newline.contains("contains `\\n`"), "{newline}");
        assert!(refusal(check_token_name("-sec")).contains("must start with a letter or a digit"));
        assert!(refusal(check_token_name(&"a".repeat(65))).contains("longer than 64"));
        assert!(refusal(check_token_name("67e55044-10b1-426f-9247-bb680e5fe0c8")).contains("UUID"));
        assert!(refusal(check_token_name("sft_abc")).contains("like a token itself"));
        assert!(refusal(check_token_name("specflow")).contains("reserved"));
    }

    #[test]
    fn committees_must_be_able_to_match_a_project() {
        assert!(check_committee("SH-TC-01").is_ok());
        assert!(check_committee("SH-TC-01 上海市长度计量技术委员会").is_ok());
        assert!(refusal(check_committee(" ")).contains("must not be empty"));
        assert!(refusal(check_committee("SH-TC-01 ")).contains("white space"));
        assert!(refusal(check_committee("SH\tTC")).contains("control character"));
        assert!(refusal(check_committee(&"委".repeat(201))).contains("longer than 200"));
    }

    #[test]
    fn status_prefers_revoked_then_expired() {
        let now = DateTime::UNIX_EPOCH + chrono::Duration::days(10);
        let past = Some(DateTime::UNIX_EPOCH);
        let future = Some(now + chrono::Duration::days(1));
        assert_eq!(status_at(now, None, None), TokenStatus::Active);
        assert_eq!(status_at(now, future, None), TokenStatus::Active);
        assert_eq!(status_at(now, Some(now), None), TokenStatus::Expired);
        assert_eq!(status_at(now, past, None), TokenStatus::Expired);
        assert_eq!(status_at(now, past, past), TokenStatus::Revoked);
    }
}
