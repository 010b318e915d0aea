//! The clock, injected: the real one in production, a hand-moved one in tests.
//!
//! The engine never reads the time; the service reads it here and passes it in, cut to the
//! microsecond that records keep.

use chrono::{DateTime, Utc};
use specflow_engine::audit::to_record_precision;
use std::sync::Mutex;

/// Where the service gets the time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, to the microsecond.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_record_precision(Utc::now())
    }
}

/// A clock that moves only when told to, for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(to_record_precision(start)),
        }
    }

    /// Sets the time.
    pub fn set(&self, instant: DateTime<Utc>) {
        if let Ok(mut now) = self.now.lock() {
            *now = to_record_precision(instant);
        }
    }

    /// Moves the time forward.
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now
            .lock()
            .map(|now| *now)
            .unwrap_or_else(|poisoned| *poisoned.into_inner())
    }
}
