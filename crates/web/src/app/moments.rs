//! The moment a project is shown as of, read one way by both faces: a local date (its end, in
//! the definition's zone, as people write dates), an RFC 3339 instant (as scripts write them),
//! or a record's sequence; and refused when the project's log cannot show it.

use crate::app::problem::{Problem, ProblemKind};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use specflow_engine::audit::AsOf;

/// Which moment of a project's log is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Now.
    Present,
    /// The end of a local day.
    EndOfDay(NaiveDate, DateTime<Utc>),
    /// An instant given in RFC 3339.
    Instant(DateTime<Utc>),
    /// Right after a record.
    Record(u64),
}

impl Moment {
    /// Reads `as_of` (a local date or an RFC 3339 instant) or `sequence`, at most one of them;
    /// `offset` is the zone of the project's definition, where its days begin and end.
    pub fn read(
        as_of: Option<&str>,
        sequence: Option<&str>,
        offset: FixedOffset,
    ) -> Result<Moment, Problem> {
        match (as_of, sequence) {
            (None, None) => Ok(Moment::Present),
            (Some(text), None) => read_as_of(text.trim(), offset),
            (None, Some(text)) => read_sequence(text.trim()),
            (Some(_), Some(_)) => Err(Problem::invalid(
                "as_of",
                "请只给出日期（as_of）或记录序号（sequence）之一",
                "Give either a date (as_of) or a record's sequence, not both",
            )),
        }
    }

    /// The point of the log the moment names, `None` for the present.
    pub fn as_of(self) -> Option<AsOf> {
        match self {
            Moment::Present => None,
            Moment::EndOfDay(_, instant) | Moment::Instant(instant) => Some(AsOf::Instant(instant)),
            Moment::Record(sequence) => Some(AsOf::Sequence(sequence)),
        }
    }

    /// Refuses a moment the project's log cannot show: a record past its last one, or a time
    /// before it was created (which would show an empty project as if it had existed).
    pub fn check(
        self,
        head_sequence: u64,
        created_at: Option<DateTime<Utc>>,
        offset: FixedOffset,
    ) -> Result<Moment, Problem> {
        let instant = match self {
            Moment::Present => return Ok(self),
            // A record past the head does not exist (404); 0 is no record number at all (400).
            Moment::Record(sequence) if sequence == 0 || sequence > head_sequence => {
                let kind = if sequence == 0 {
                    ProblemKind::InvalidRequest
                } else {
                    ProblemKind::NotFound
                };
                return Err(Problem::new(
                    kind,
                    format!("该项目的记录序号为 1 至 {head_sequence}，没有第 {sequence} 号记录"),
                    format!(
                        "The project's records are numbered 1 to {head_sequence}; there is no record {sequence}"
                    ),
                )
                .with("field", "sequence"));
            }
            Moment::Record(_) => return Ok(self),
            Moment::EndOfDay(_, instant) | Moment::Instant(instant) => instant,
        };
        match created_at {
            Some(created) if instant < created => {
                let local = created
                    .with_timezone(&offset)
                    .format("%Y-%m-%d %H:%M")
                    .to_string();
                Err(Problem::invalid(
                    "as_of",
                    format!("项目创建于 {local}，此前没有可查看的状态"),
                    format!(
                        "The project was created at {local}; there is nothing to show before that"
                    ),
                ))
            }
            _ => Ok(self),
        }
    }
}

fn read_as_of(text: &str, offset: FixedOffset) -> Result<Moment, Problem> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(Moment::Instant(instant.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Problem::invalid(
            "as_of",
            format!(
                "as_of 应为日期，如 2026-03-01（当日结束时），或带时区的时刻，如 2026-03-01T09:00:00+08:00；收到 {text}"
            ),
            format!(
                "as_of must be a date such as 2026-03-01 (its end), or an instant with its offset such as 2026-03-01T09:00:00+08:00, not {text}"
            ),
        )
    })?;
    let next_midnight = day
        .succ_opt()
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .and_then(|midnight| offset.from_local_datetime(&midnight).single())
        .ok_or_else(|| Problem::invalid("as_of", "日期超出范围", "The date is out of range"))?;
    Ok(Moment::EndOfDay(
        day,
        next_midnight.with_timezone(&Utc) - Duration::microseconds(1),
    ))
}

fn read_sequence(text: &str) -> Result<Moment, Problem> {
    text.parse::<u64>()
        .ok()
        .filter(|sequence| i64::try_from(*sequence).is_ok())
        .map(Moment::Record)
        .ok_or_else(|| {
            Problem::invalid(
                "sequence",
                format!("记录序号应为正整数，收到 {text}"),
                format!("The record's sequence must be a whole number, not {text}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
    }
    use chrono::Offset as _;

    #[test]
    fn a_local_date_is_the_end_of_that_day_in_the_definitions_zone() {
        let moment = Moment::read(Some("2026-03-01"), None, shanghai());
        let expected = "2026-03-01T15:59:59.999999Z".parse::<DateTime<Utc>>().ok();
        match moment {
            Ok(Moment::EndOfDay(day, instant)) => {
                assert_eq!(day.to_string(), "2026-03-01");
                assert_eq!(Some(instant), expected);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_instant_is_taken_as_given_and_nonsense_is_refused() {
        assert!(matches!(
            Moment::read(Some("2026-03-01T09:00:00+08:00"), None, shanghai()),
            Ok(Moment::Instant(_))
        ));
        for bad in ["yesterday", "2026-02-30", "2026-03-01 09:00"] {
            assert!(Moment::read(Some(bad), None, shanghai()).is_err(), "{bad}");
        }
        assert!(Moment::read(None, Some("-1"), shanghai()).is_err());
        assert!(Moment::read(Some("2026-03-01"), Some("1"), shanghai()).is_err());
    }

    #[test]
    fn moments_the_log_cannot_show_are_refused() {
        let created = "2026-01-05T01:00:00Z".parse::<DateTime<Utc>>().ok();
        let check = |moment: Moment| moment.check(12, created, shanghai());
        assert!(check(Moment::Record(12)).is_ok());
        assert!(check(Moment::Record(13)).is_err());
        assert!(check(Moment::Record(0)).is_err());
        let before = Moment::read(Some("2026-01-04"), None, shanghai()).unwrap_or(Moment::Present);
        assert!(check(before).is_err());
        let same_day =
            Moment::read(Some("2026-01-05"), None, shanghai()).unwrap_or(Moment::Present);
        assert!(check(same_day).is_ok());
    }
}
