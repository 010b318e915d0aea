//! This node's view of each notification channel: what became of the last attempt to send there,
//! and since when it has been failing, for `/readyz`'s details (issue 20).
//!
//! The deliverer notes every attempt ([`Store::note_channel_attempt`]); nothing is written to the
//! database, as the answer is this node's own (another node may reach a receiver this one cannot),
//! and it starts empty with the process. A channel that has never been tried since is not shown:
//! `specflow channel test` tries one at once.

use crate::Store;
use crate::outbox::ChannelKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What this node last saw of one audience's channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelHealth {
    /// The audience.
    pub audience: String,
    /// How its notifications are sent.
    pub kind: ChannelKind,
    /// When it was last tried.
    pub last_attempt_at: DateTime<Utc>,
    /// When the attempts began failing, while they fail; `None` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

/// Every channel's last attempt on this node, by audience.
#[derive(Debug, Default)]
pub(crate) struct ChannelHealthBoard {
    channels: Mutex<BTreeMap<String, ChannelHealth>>,
}

impl Store {
    /// Notes an attempt to send to `audience`'s channel at `at`: `error` when it failed.
    pub fn note_channel_attempt(
        &self,
        audience: &str,
        kind: ChannelKind,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) {
        let Ok(mut channels) = self.inner.channel_health.channels.lock() else {
            return;
        };
        let earlier = channels.get(audience);
        let failing_since = error.map(|_| {
            earlier
                .filter(|earlier| earlier.kind == kind)
                .and_then(|earlier| earlier.failing_since)
                .unwrap_or(at)
        });
        channels.insert(
            audience.to_string(),
            ChannelHealth {
                audience: audience.to_string(),
                kind,
                last_attempt_at: at,
                failing_since,
                last_error: error.map(str::to_string),
            },
        );
    }

    /// Every channel tried on this node since it started, by audience.
    pub fn channel_health(&self) -> Vec<ChannelHealth> {
        self.inner
            .channel_health
            .channels
            .lock()
            .map(|channels| channels.values().cloned().collect())
            .unwrap_or_default()
    }
}
