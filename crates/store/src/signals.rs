//! Wake-ups from the writer to the scheduler and the deliverer, so neither polls blindly.
//!
//! After a commit the writer tells, in process:
//! - the scheduler, when a project's next deadline is now earlier than the instant the
//!   scheduler planned to wake at (a command set a near deadline);
//! - the deliverer, when the commit wrote notifications to the outbox.
//!
//! Nodes sharing a PostgreSQL database hear of near deadlines by `NOTIFY` (see
//! `Store::announce_deadline`); anything else is found by the scheduler's bounded re-scan.

use super::micros;
use specflow_engine::{ProjectState, next_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use tokio::sync::Notify;

/// The PostgreSQL channel on which nodes announce near deadlines to each other's schedulers.
pub const DEADLINE_CHANNEL: &str = "specflow_deadlines";

#[derive(Debug)]
pub(crate) struct Signals {
    /// Set by a write that put notifications in the outbox; the commit that follows wakes the deliverer.
    pub(crate) outbox_written: AtomicBool,
    outbox_wake: Arc<Notify>,
    /// When this process's scheduler plans to wake, in microseconds; `i64::MAX` when none waits.
    planned_wake: AtomicI64,
    /// The earliest next deadline written since the scheduler last took it.
    earliest_written: AtomicI64,
    deadline_wake: Arc<Notify>,
    /// Notified after every commit that wrote records: the transparency log's sequencer wakes.
    records_wake: Arc<Notify>,
}

impl Default for Signals {
    fn default() -> Signals {
        Signals {
            outbox_written: AtomicBool::new(false),
            outbox_wake: Arc::new(Notify::new()),
            planned_wake: AtomicI64::new(i64::MAX),
            earliest_written: AtomicI64::new(i64::MAX),
            deadline_wake: Arc::new(Notify::new()),
            records_wake: Arc::new(Notify::new()),
        }
    }
}

impl Signals {
    /// A committed write left a project in `state`: wake the scheduler if its next deadline
    /// comes before the scheduler's planned wake.
    pub(crate) fn deadline_written(&self, state: &ProjectState) {
        let Some(deadline) = next_deadline(state) else {
            return;
        };
        self.deadline_written_at(micros(deadline.at));
    }

    /// A committed write set a deadline (a project's or a committee's term) at `at` microseconds.
    pub(crate) fn deadline_written_at(&self, at: i64) {
        self.earliest_written.fetch_min(at, Ordering::AcqRel);
        if at < self.planned_wake.load(Ordering::Acquire) {
            self.deadline_wake.notify_one();
        }
    }

    /// A commit of records happened: wake the sequencer, and the deliverer if it wrote
    /// notifications.
    pub(crate) fn after_commit(&self) {
        self.records_wake.notify_one();
        if self.outbox_written.swap(false, Ordering::AcqRel) {
            self.outbox_wake.notify_one();
        }
    }

    pub(crate) fn records_wake(&self) -> Arc<Notify> {
        self.records_wake.clone()
    }

    pub(crate) fn outbox_wake(&self) -> Arc<Notify> {
        self.outbox_wake.clone()
    }

    pub(crate) fn deadline_wake(&self) -> Arc<Notify> {
        self.deadline_wake.clone()
    }

    /// The scheduler says when it will wake next (`i64::MAX`: not waiting).
    pub(crate) fn plan_wake(&self, at: i64) {
        self.planned_wake.store(at, Ordering::Release);
    }

    /// The earliest deadline written since the last call, if any.
    pub(crate) fn take_earliest_written(&self) -> Option<i64> {
        let at = self.earliest_written.swap(i64::MAX, Ordering::AcqRel);
        (at != i64::MAX).then_some(at)
    }
}
