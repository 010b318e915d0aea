//! Each account's calendar feed (issue 20): a secret address a calendar application subscribes
//! to without signing in, answering the account's deadlines and meetings as iCalendar.
//!
//! The secret is `sfc_` and 32 bytes of the operating system's CSPRNG in lowercase hex, shown
//! once when the address is made; only its SHA-256 is stored (`calendar_feeds`), as for sessions
//! and tokens. An account has at most one feed: making a new address replaces the old one, which
//! stops working at once on every node, and revoking deletes it. The feed reads as the account's
//! principal, so it shows what the person may see, and nothing once the account is disabled.

use crate::accounts::{ACCOUNT_COLUMNS, AccountSummary};
use crate::error::StoreError;
use crate::tokens::{random_hex, secret_sha256};
use crate::{Store, instant, micros};
use uuid::Uuid;

/// The prefix of a calendar feed's secret.
pub const CALENDAR_FEED_PREFIX: &str = "sfc_";

/// Whether `text` is shaped like a feed's secret: the prefix and 64 lowercase hexadecimal digits.
pub fn is_calendar_secret_shaped(text: &str) -> bool {
    text.strip_prefix(CALENDAR_FEED_PREFIX)
        .is_some_and(|secret| {
            secret.len() == 64
                && secret
                    .bytes()
                    .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        })
}

impl Store {
    /// Makes a new feed address for the account with this name, replacing its old one (which
    /// stops working), and returns its secret: the only time it can be read. `None` when there is
    /// no such account or it is disabled.
    pub async fn renew_calendar_feed(&self, account: &str) -> Result<Option<String>, StoreError> {
        let Some(account) = self.account(account).await? else {
            return Ok(None);
        };
        if account.disabled_at.is_some() {
            return Ok(None);
        }
        let secret = format!("{CALENDAR_FEED_PREFIX}{}", random_hex::<32>()?);
        let _turn = self.sqlite_write_turn().await;
        sqlx::query(
            "INSERT INTO calendar_feeds (account_id, secret_sha256, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256, created_at = excluded.created_at",
        )
        .bind(account.account_id.to_string())
        .bind(secret_sha256(&secret))
        .bind(micros(self.clock().now()))
        .execute(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        Ok(Some(secret))
    }

    /// Stops the feed of the account with this name. Says whether it had one.
    pub async fn revoke_calendar_feed(&self, account: &str) -> Result<bool, StoreError> {
        let Some(account) = self.account(account).await? else {
            return Ok(false);
        };
        let _turn = self.sqlite_write_turn().await;
        let deleted = sqlx::query("DELETE FROM calendar_feeds WHERE account_id = $1")
            .bind(account.account_id.to_string())
            .execute(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        Ok(deleted.rows_affected() > 0)
    }

    /// Since when the account has its feed, if it has one.
    pub async fn calendar_feed_since(
        &self,
        account_id: Uuid,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let created: Option<i64> =
            sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE account_id = $1")
                .bind(account_id.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
        created.map(instant).transpose()
    }

    /// The account whose feed has this secret, if it is current and the account not disabled.
    pub async fn calendar_feed_account(
        &self,
        secret: &str,
    ) -> Result<Option<AccountSummary>, StoreError> {
        if !is_calendar_secret_shaped(secret) {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "{ACCOUNT_COLUMNS} WHERE account_id = (SELECT account_id FROM calendar_feeds WHERE secret_sha256 = $1)"
        ))
        .bind(secret_sha256(secret))
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let account = row.map(|row| self.account_from_row(&row)).transpose()?;
        Ok(account.filter(|account| account.disabled_at.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_the_prefix_and_64_lowercase_hex_digits() {
        assert!(is_calendar_secret_shaped(&format!(
            "sfc_{}",
            "0a".repeat(32)
        )));
        assert!(!is_calendar_secret_shaped(&format!(
            "sfc_{}",
            "0A".repeat(32)
        )));
        assert!(!is_calendar_secret_shaped(&format!(
            "sfs_{}",
            "0a".repeat(32)
        )));
        assert!(!is_calendar_secret_shaped("sfc_00"));
        assert!(!is_calendar_secret_shaped(""));
    }
}
