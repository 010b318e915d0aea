//! The transparency log's sequencer: integrates newly committed audit records into the Merkle
//! tree in batches and signs a checkpoint of each new tree (docs/transparency.md).
//!
//! One node at a time sequences, by a lease on the tree's row (`log_sequencer`); the others wait
//! and take over when the lease runs out. Exactly-once integration does not rest on the lease:
//! each batch appends leaves, removes them from the queue and moves the tree's size in one
//! transaction under the row's lock (see `Store::integrate_pending`).
//!
//! The sequencer wakes after each commit on its own node, and polls for records written on other
//! nodes. Having woken, it waits a moment so that the commits of a busy second share a batch and
//! a checkpoint rather than one each.
//!
//! Each round that signs a checkpoint announces its size on a watch channel
//! ([`Sequencer::signed_checkpoints`]), which the witness clients wait on; the sequencer never
//! waits for them.

use chrono::{DateTime, Utc};
use specflow_store::Store;
use specflow_store::error::StoreError;
use specflow_store::transparency::{Integration, LogKey, kind_name};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How the sequencer works.
#[derive(Debug, Clone)]
pub struct SequencerOptions {
    /// This node's name, in the lease and in logs.
    pub node: String,
    /// How long the lease holds the sequencer for this node; a node that dies holds it up by at
    /// most this.
    pub lease: Duration,
    /// How often it looks for records written on other nodes.
    pub poll_interval: Duration,
    /// How long it waits after a wake-up before integrating, so that near commits share a batch:
    /// each integration is a transaction with its own commit, which on SQLite holds the one
    /// write lock the API's writer needs (issue 18's bench: 12 % of the fires at 50 ms).
    pub gather: Duration,
    /// The most records one transaction integrates.
    pub batch_limit: u32,
}

impl Default for SequencerOptions {
    fn default() -> SequencerOptions {
        SequencerOptions {
            node: "specflow".to_string(),
            lease: Duration::from_secs(10),
            poll_interval: Duration::from_millis(250),
            gather: Duration::from_millis(250),
            batch_limit: 5_000,
        }
    }
}

/// The sequencer of one node.
#[derive(Debug, Clone)]
pub struct Sequencer {
    store: Store,
    key: Arc<LogKey>,
    options: SequencerOptions,
    /// The size of the last checkpoint signed here, for whoever waits on new checkpoints.
    signed: Arc<watch::Sender<u64>>,
    /// Until when this node last took the lease: renewed only once half of it has passed, so a
    /// busy sequencer does not commit (and on SQLite take the write lock) twice a round.
    held_until: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

/// What one round did: records integrated and refused, and the last checkpoint signed.
#[derive(Debug, Clone, Default)]
pub struct SequencerRound {
    /// Whether this node held the lease (when not, it did nothing).
    pub leading: bool,
    /// Records integrated.
    pub integrated: u64,
    /// Records refused.
    pub refused: u64,
    /// The tree size of the last checkpoint signed this round.
    pub checkpoint_size: Option<u64>,
}

impl Sequencer {
    /// A sequencer on `store`, signing with `key`.
    pub fn new(store: Store, key: Arc<LogKey>, options: SequencerOptions) -> Sequencer {
        Sequencer {
            store,
            key,
            options,
            signed: Arc::new(watch::channel(0).0),
            held_until: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Changes to the size of each checkpoint this sequencer signs (the witness clients wait on
    /// it).
    pub fn signed_checkpoints(&self) -> watch::Receiver<u64> {
        self.signed.subscribe()
    }

    /// Takes the lease if it is free or ours, then integrates batch after batch until the queue
    /// is empty.
    pub async fn run_once(&self) -> Result<SequencerRound, StoreError> {
        let mut round = SequencerRound::default();
        if !self.hold_lease().await? {
            return Ok(round);
        }
        round.leading = true;
        loop {
            let integration = self
                .store
                .integrate_pending(&self.key, self.options.batch_limit)
                .await?;
            self.report(&integration);
            round.integrated += integration.integrated;
            round.refused += integration.refused.len() as u64;
            let taken = integration.integrated + integration.refused.len() as u64;
            if let Some(checkpoint) = &integration.checkpoint {
                round.checkpoint_size = Some(checkpoint.tree_size);
            }
            if taken < u64::from(self.options.batch_limit) {
                if let Some(size) = round.checkpoint_size {
                    self.signed.send_replace(size);
                }
                return Ok(round);
            }
        }
    }

    /// Whether this node holds the lease: taken or renewed when it is not held, or when half of
    /// it has passed. Skipping a renewal is safe: no other node takes a lease before it runs out,
    /// and exactly-once integration rests on `integrate_pending`'s transaction, not on the lease.
    async fn hold_lease(&self) -> Result<bool, StoreError> {
        let now = self.store.clock().now();
        let lease =
            chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::seconds(10));
        let held_until = *self
            .held_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held_until.is_some_and(|until| until - now > lease / 2) {
            return Ok(true);
        }
        let until = now + lease;
        let held = self
            .store
            .claim_sequencer(&self.options.node, until)
            .await?;
        *self
            .held_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = held.then_some(until);
        Ok(held)
    }

    fn report(&self, integration: &Integration) {
        for refusal in &integration.refused {
            tracing::error!(
                node = %self.options.node,
                kind = kind_name(refusal.kind),
                subject = %refusal.subject,
                sequence = refusal.sequence,
                reason = %refusal.reason,
                "the transparency log refused a record that was not written with its key"
            );
        }
        if let Some(checkpoint) = &integration.checkpoint {
            tracing::debug!(
                node = %self.options.node,
                size = checkpoint.tree_size,
                integrated = integration.integrated,
                "checkpoint signed"
            );
        }
    }

    /// Runs until `shutdown` turns true, then gives the lease back.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let wake = self.store.records_wake();
        tracing::info!(node = %self.options.node, origin = %self.key.origin(), "transparency log sequencer started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(error) = self.run_once().await {
                tracing::error!(node = %self.options.node, %error, "a sequencer round failed; retrying");
            }
            tokio::select! {
                () = tokio::time::sleep(self.options.poll_interval) => {}
                () = wake.notified() => {
                    tokio::time::sleep(self.options.gather).await;
                }
                _ = shutdown.changed() => {}
            }
        }
        *self
            .held_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        if let Err(error) = self.store.release_sequencer(&self.options.node).await {
            tracing::warn!(node = %self.options.node, %error, "the sequencer's lease was not given back; it runs out by itself");
        }
        tracing::info!(node = %self.options.node, "transparency log sequencer stopped");
    }
}
