//! Local days: the calendar day an instant falls on, and the instant a day begins, by a fixed
//! offset from UTC.
//!
//! Definitions count deadlines and guards in local days (Asia/Shanghai keeps +08:00 all year),
//! while the log records instants in UTC; these two conversions are the only bridge between them,
//! kept here below everything else so that guards, deadlines and reports agree on where a day ends.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// The local date of an instant, by the definition's day boundary.
pub fn local_date(instant: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    instant.with_timezone(&offset).date_naive()
}

/// The instant a local day starts.
pub fn start_of_local_day(date: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    // A fixed offset has no gaps or folds, so the local midnight always maps to one instant.
    DateTime::<Utc>::from_naive_utc_and_offset(local - offset, Utc)
}
