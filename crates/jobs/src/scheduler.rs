//! The deadline scheduler: makes what the engine says is due happen, on time and exactly once.
//!
//! A round claims the projects whose next deadline has come (a bounded batch at a time, earliest
//! first), runs the engine's `tick` for each through the store's writer (one transaction per
//! batch on SQLite, one statement on PostgreSQL), and releases the claims. Between rounds it sleeps
//! until the earliest deadline in the database, waking early when a commit in this process sets an
//! earlier one, when another node announces one (PostgreSQL `LISTEN`), and at the latest after the
//! re-scan interval.
//!
//! Exactly once: the engine's `tick` emits each warning, miss, escalation and freeze once per due
//! date, however often it runs, because the state records what was emitted; and two nodes ticking
//! one project race on the audit log's key `(project_id, sequence)`, where the loser re-reads the
//! state and finds nothing left to do. Claims only share the work out.
//!
//! After downtime the first rounds catch up: everything past due fires in due order, batch by
//! batch, and every event carries both the instant it fell due and the instant it was noticed.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use specflow_engine::Event;
use specflow_engine::audit::AuditRecord;
use specflow_engine::committee::CommitteeEventBody;
use specflow_engine::committee::audit::CommitteeRecord;
use specflow_store::error::StoreError;
use specflow_store::metrics::{Metrics, label};
use specflow_store::{Backend, DEADLINE_CHANNEL, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How the scheduler works.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// How many due projects one claim takes at most.
    pub batch_size: usize,
    /// How long a claim holds a project against other nodes; a node that dies mid-batch delays
    /// its projects by at most this.
    pub lease: Duration,
    /// The longest the scheduler sleeps without looking at the database (the safety re-scan).
    /// Keep it no longer than the store's `deadline_announce_horizon`.
    pub rescan_interval: Duration,
    /// This node's name, in logs.
    pub node: String,
}

impl Default for SchedulerOptions {
    fn default() -> SchedulerOptions {
        SchedulerOptions {
            batch_size: 500,
            lease: Duration::from_secs(60),
            rescan_interval: Duration::from_secs(60),
            node: "specflow".to_string(),
        }
    }
}

/// What one pass over the due projects did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundReport {
    /// Projects claimed and ticked.
    pub projects_ticked: usize,
    /// Committees claimed and ticked (their terms' warnings and ends).
    pub committees_ticked: usize,
    /// Deadline events written.
    pub events_fired: usize,
    /// Ticks that failed (logged; the project is claimed again after its lease).
    pub failures: usize,
    /// The largest lateness seen (noticed minus due).
    pub max_lateness: Option<chrono::Duration>,
}

/// One deadline event the scheduler wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    /// The project.
    pub project_id: uuid::Uuid,
    /// The record's sequence.
    pub sequence: u64,
    /// The event type, such as `deadline_missed`.
    pub event_type: String,
    /// When it fell due.
    pub fell_due_at: DateTime<Utc>,
    /// When it was noticed (the record's instant).
    pub noticed_at: DateTime<Utc>,
}

/// The scheduler of one node.
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Store,
    options: SchedulerOptions,
    metrics: Arc<Metrics>,
}

impl Scheduler {
    /// A scheduler on `store`, recording into `metrics`.
    pub fn new(store: Store, options: SchedulerOptions, metrics: Arc<Metrics>) -> Scheduler {
        Scheduler {
            store,
            options,
            metrics,
        }
    }

    /// Claims and ticks every project due now, batch after batch, until none is left or
    /// `stop` says so (checked between batches, so a batch is never left half done).
    pub async fn run_due(
        &self,
        stop: Option<&watch::Receiver<bool>>,
    ) -> Result<RoundReport, StoreError> {
        let mut report = RoundReport::default();
        loop {
            if stop.is_some_and(|stop| *stop.borrow()) {
                break;
            }
            let now = self.store.clock().now();
            let lease = chrono::Duration::from_std(self.options.lease)
                .unwrap_or(chrono::Duration::seconds(60));
            let claimed = self
                .store
                .claim_due_projects(now, now + lease, self.options.batch_size)
                .await?;
            if claimed.is_empty() {
                break;
            }
            // Submitted together, the ticks reach the writer together and commit in few batches.
            let results = join_all(
                claimed
                    .iter()
                    .map(|claim| self.store.tick_project(claim.project_id)),
            )
            .await;
            let mut released = Vec::with_capacity(claimed.len());
            for (claim, result) in claimed.iter().zip(results) {
                report.projects_ticked += 1;
                match result {
                    Ok(records) => {
                        // Writing the records released the claim; a tick that found nothing
                        // left to fire (another node was first) wrote nothing, so release it.
                        if records.is_empty() {
                            released.push(claim.project_id);
                        }
                        for firing in firings(&records) {
                            self.observe(&firing, &mut report);
                        }
                    }
                    Err(error) => {
                        // Its lease holds it back for a while, so a failing project does not
                        // spin; the error is the operator's to see.
                        report.failures += 1;
                        self.metrics.scheduler_errors.inc();
                        tracing::error!(node = %self.options.node, project = %claim.project_id, %error, "a due project could not be ticked; it is retried after its lease");
                    }
                }
            }
            if !released.is_empty() {
                self.store.release_claims(&released).await?;
            }
            if claimed.len() < self.options.batch_size {
                break;
            }
        }
        self.run_due_committees(stop, &mut report).await?;
        Ok(report)
    }

    /// Records the committees' term warnings, term ends and end-of-term reports that are due,
    /// each once (the committee's log records what fired, and its key decides races).
    async fn run_due_committees(
        &self,
        stop: Option<&watch::Receiver<bool>>,
        report: &mut RoundReport,
    ) -> Result<(), StoreError> {
        loop {
            if stop.is_some_and(|stop| *stop.borrow()) {
                return Ok(());
            }
            let now = self.store.clock().now();
            let lease = chrono::Duration::from_std(self.options.lease)
                .unwrap_or(chrono::Duration::seconds(60));
            let claimed = self
                .store
                .claim_due_committees(now, now + lease, self.options.batch_size)
                .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            for committee_id in &claimed {
                report.committees_ticked += 1;
                match self.store.tick_committee(*committee_id).await {
                    Ok(records) => {
                        if records.is_empty() {
                            self.store.release_committee_claim(*committee_id).await?;
                        }
                        for firing in committee_firings(&records) {
                            self.observe(&firing, report);
                        }
                    }
                    Err(error) => {
                        report.failures += 1;
                        self.metrics.scheduler_errors.inc();
                        tracing::error!(node = %self.options.node, committee = %committee_id, %error, "a due committee could not be ticked; it is retried after its lease");
                    }
                }
            }
            if claimed.len() < self.options.batch_size {
                return Ok(());
            }
        }
    }

    fn observe(&self, firing: &Firing, report: &mut RoundReport) {
        let lateness = firing.noticed_at - firing.fell_due_at;
        let seconds = lateness.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        self.metrics
            .scheduler_lateness_seconds
            .observe(seconds.max(0.0));
        self.metrics
            .scheduler_firings
            .get_or_create(&label("event_type", &firing.event_type))
            .inc();
        report.events_fired += 1;
        report.max_lateness = Some(
            report
                .max_lateness
                .map_or(lateness, |max| max.max(lateness)),
        );
        tracing::info!(
            node = %self.options.node,
            project = %firing.project_id,
            sequence = firing.sequence,
            event = %firing.event_type,
            fell_due_at = %firing.fell_due_at,
            noticed_at = %firing.noticed_at,
            lateness_ms = lateness.num_milliseconds(),
            "deadline fired"
        );
    }

    /// Runs until `shutdown` turns true: rounds, and sleeps between them until the earliest
    /// deadline, an announcement of an earlier one, or the re-scan interval.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let wake = self.store.deadline_wake();
        let listener = self.listen_to_other_nodes();
        tracing::info!(node = %self.options.node, database = %self.store.database(), "scheduler started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Deadlines written from here on are found by this round or the sleep that follows.
            let _ = self.store.take_earliest_deadline_written();
            let mut wake_at = match self.round(&shutdown).await {
                Ok(earliest) => earliest,
                Err(error) => {
                    self.metrics.scheduler_errors.inc();
                    tracing::error!(node = %self.options.node, %error, "scheduler round failed; retrying after the re-scan interval");
                    None
                }
            };
            let now = self.store.clock().now();
            let rescan = now
                + chrono::Duration::from_std(self.options.rescan_interval)
                    .unwrap_or(chrono::Duration::seconds(60));
            wake_at = Some(wake_at.map_or(rescan, |at| at.min(rescan)));
            self.store.plan_scheduler_wake(wake_at);
            // A commit between the query and the plan did not see the plan: look at what it wrote.
            if let Some(written) = self.store.take_earliest_deadline_written() {
                wake_at = wake_at.map(|at| at.min(written));
            }
            let sleep = wake_at
                .and_then(|at| (at - now).to_std().ok())
                .unwrap_or(Duration::ZERO);
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            self.store.plan_scheduler_wake(None);
        }
        if let Some(listener) = listener {
            listener.abort();
        }
        tracing::info!(node = %self.options.node, "scheduler stopped");
    }

    /// One round, then the earliest deadline still ahead.
    async fn round(
        &self,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let report = self.run_due(Some(shutdown)).await?;
        if report.projects_ticked > 0 {
            tracing::debug!(
                node = %self.options.node,
                projects = report.projects_ticked,
                events = report.events_fired,
                failures = report.failures,
                "scheduler round"
            );
        }
        let earliest = match (
            self.store.earliest_deadline().await?,
            self.store.earliest_committee_deadline().await?,
        ) {
            (Some(project), Some(committee)) => Some(project.min(committee)),
            (project, committee) => project.or(committee),
        };
        let now = self.store.clock().now();
        // A deadline already past is held by another node's lease (or failed here): look again
        // when the lease may have run out rather than spinning.
        Ok(earliest.map(|at| {
            if at <= now {
                now + chrono::Duration::from_std(
                    self.options.lease.min(self.options.rescan_interval),
                )
                .unwrap_or(chrono::Duration::seconds(60))
            } else {
                at
            }
        }))
    }

    /// On PostgreSQL, a task that wakes this scheduler when another node announces a near deadline.
    fn listen_to_other_nodes(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.store.backend() != Backend::Postgres {
            return None;
        }
        let url = self.store.connect_url()?;
        let wake = self.store.deadline_wake();
        let node = self.options.node.clone();
        Some(tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if let Err(error) = listener.listen(DEADLINE_CHANNEL).await {
                            tracing::warn!(%node, %error, "could not listen for deadlines announced by other nodes");
                        } else {
                            // `recv` reconnects by itself after a lost connection.
                            while listener.recv().await.is_ok() {
                                wake.notify_one();
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%node, %error, "could not connect to listen for deadlines announced by other nodes");
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }
}

/// The deadline events among records a tick wrote.
pub fn firings(records: &[AuditRecord]) -> Vec<Firing> {
    records
        .iter()
        .filter_map(|record| {
            let event: Event = record.to_event().ok()?;
            let fell_due_at = event.body.fell_due_at()?;
            Some(Firing {
                project_id: record.project_id,
                sequence: record.sequence,
                event_type: record.event_type.clone(),
                fell_due_at,
                noticed_at: record.recorded_at,
            })
        })
        .collect()
}

/// The firings among a committee's records (its `project_id` is the committee's id): a term's
/// warning and its end, each with the instant it fell due.
pub fn committee_firings(records: &[CommitteeRecord]) -> Vec<Firing> {
    let mut term_end = None;
    records
        .iter()
        .filter_map(|record| {
            let event = record.to_event().ok()?;
            let fell_due_at = match event.body {
                CommitteeEventBody::TermEndingWarned { fell_due_at, .. } => fell_due_at,
                CommitteeEventBody::TermEnded { fell_due_at, .. } => {
                    term_end = fell_due_at;
                    fell_due_at?
                }
                CommitteeEventBody::EndOfTermReportDue { .. } => term_end?,
                _ => return None,
            };
            Some(Firing {
                project_id: record.committee_id,
                sequence: record.sequence,
                event_type: format!("committee.{}", record.event_type),
                fell_due_at,
                noticed_at: record.recorded_at,
            })
        })
        .collect()
}
