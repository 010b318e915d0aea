//! Lengths of time as the rules state them: calendar days, weeks, months, years or working days.
//!
//! A rule says "at least 30 days" or "at most 24 months" or "20 working days", and each of those
//! counts differently: months clamp to the end of the month (31 January plus one month is the
//! last day of February) and working days follow a calendar kept as data.
//! Every length is counted on local dates (the definition's day boundary), never in hours.

use crate::calendar::{CalendarError, WorkingCalendar};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The unit a rule counts its length in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Calendar days, weekends and holidays included.
    Days,
    /// Weeks of seven calendar days.
    Weeks,
    /// Calendar months, clamped to the end of a shorter month.
    Months,
    /// Years of twelve months, clamped like months (29 February plus one year is 28 February).
    Years,
    /// Working days by the calendar on file: weekdays that are not days off, plus worked weekend days.
    WorkingDays,
}

/// A length of time such as `30 days`, `12 weeks`, `24 months`, `5 years` or `20 working days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DurationSpec {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: DurationUnit,
}

/// Why a text is not a length of time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a length of time: write a whole number and a unit, such as '30 days', '12 weeks', '24 months', '5 years' or '20 working days'"
)]
pub struct DurationError(pub String);

impl DurationSpec {
    /// Builds a length of time.
    pub fn new(amount: u32, unit: DurationUnit) -> DurationSpec {
        DurationSpec { amount, unit }
    }

    /// Whether counting this length needs a working-day calendar.
    pub fn needs_calendar(self) -> bool {
        self.unit == DurationUnit::WorkingDays
    }

    /// The local date this length after `start` ends on.
    ///
    /// Working days are counted from the day after `start`: 1 working day after a Friday is the
    /// next Monday, unless that Monday is a day off.
    pub fn add_to(
        self,
        start: NaiveDate,
        calendar: Option<&WorkingCalendar>,
    ) -> Result<NaiveDate, CalendarError> {
        let overflow = || CalendarError::OutOfRange { date: start };
        match self.unit {
            DurationUnit::Days => start
                .checked_add_days(Days::new(u64::from(self.amount)))
                .ok_or_else(overflow),
            DurationUnit::Weeks => start
                .checked_add_days(Days::new(u64::from(self.amount) * 7))
                .ok_or_else(overflow),
            DurationUnit::Months => start
                .checked_add_months(Months::new(self.amount))
                .ok_or_else(overflow),
            DurationUnit::Years => start
                .checked_add_months(Months::new(self.amount.saturating_mul(12)))
                .ok_or_else(overflow),
            DurationUnit::WorkingDays => match calendar {
                Some(calendar) => calendar.add_working_days(start, self.amount),
                None => Err(CalendarError::NoCalendar),
            },
        }
    }

    /// The local date this length before `end` starts on (used for warnings "30 days before").
    pub fn subtract_from(
        self,
        end: NaiveDate,
        calendar: Option<&WorkingCalendar>,
    ) -> Result<NaiveDate, CalendarError> {
        let overflow = || CalendarError::OutOfRange { date: end };
        match self.unit {
            DurationUnit::Days => end
                .checked_sub_days(Days::new(u64::from(self.amount)))
                .ok_or_else(overflow),
            DurationUnit::Weeks => end
                .checked_sub_days(Days::new(u64::from(self.amount) * 7))
                .ok_or_else(overflow),
            DurationUnit::Months => end
                .checked_sub_months(Months::new(self.amount))
                .ok_or_else(overflow),
            DurationUnit::Years => end
                .checked_sub_months(Months::new(self.amount.saturating_mul(12)))
                .ok_or_else(overflow),
            DurationUnit::WorkingDays => match calendar {
                Some(calendar) => calendar.subtract_working_days(end, self.amount),
                None => Err(CalendarError::NoCalendar),
            },
        }
    }

    /// The length in Chinese, such as `30天`, `24个月` or `20个工作日`.
    pub fn describe_zh(self) -> String {
        let amount = self.amount;
        match self.unit {
            DurationUnit::Days => format!("{amount}天"),
            DurationUnit::Weeks => format!("{amount}周"),
            DurationUnit::Months => format!("{amount}个月"),
            DurationUnit::Years => format!("{amount}年"),
            DurationUnit::WorkingDays => format!("{amount}个工作日"),
        }
    }

    /// The length in English, such as `30 days`, `1 month` or `20 working days`.
    pub fn describe_en(self) -> String {
        let amount = self.amount;
        let plural = if amount == 1 { "" } else { "s" };
        match self.unit {
            DurationUnit::Days => format!("{amount} day{plural}"),
            DurationUnit::Weeks => format!("{amount} week{plural}"),
            DurationUnit::Months => format!("{amount} month{plural}"),
            DurationUnit::Years => format!("{amount} year{plural}"),
            DurationUnit::WorkingDays => format!("{amount} working day{plural}"),
        }
    }
}

impl fmt::Display for DurationSpec {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.describe_en())
    }
}

impl FromStr for DurationSpec {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<DurationSpec, DurationError> {
        let malformed = || DurationError(text.to_string());
        let trimmed = text.trim();
        let split_at = trimmed
            .find(|character: char| !character.is_ascii_digit())
            .ok_or_else(malformed)?;
        let (amount, unit) = trimmed.split_at(split_at);
        let amount: u32 = amount.parse().map_err(|_| malformed())?;
        let unit = unit.trim().to_ascii_lowercase();
        let unit = match unit.as_str() {
            "d" | "day" | "days" | "calendar day" | "calendar days" => DurationUnit::Days,
            "w" | "week" | "weeks" => DurationUnit::Weeks,
            "month" | "months" => DurationUnit::Months,
            "y" | "year" | "years" => DurationUnit::Years,
            "working day" | "working days" | "wd" => DurationUnit::WorkingDays,
            _ => return Err(malformed()),
        };
        Ok(DurationSpec { amount, unit })
    }
}

impl Serialize for DurationSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn parses_the_units_rules_use() {
        let cases = [
            ("30 days", DurationSpec::new(30, DurationUnit::Days)),
            ("12 weeks", DurationSpec::new(12, DurationUnit::Weeks)),
            ("24 months", DurationSpec::new(24, DurationUnit::Months)),
            ("5 years", DurationSpec::new(5, DurationUnit::Years)),
            (
                "20 working days",
                DurationSpec::new(20, DurationUnit::WorkingDays),
            ),
            ("30d", DurationSpec::new(30, DurationUnit::Days)),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<DurationSpec>(), Ok(expected), "{text}");
        }
        for text in [
            "",
            "days",
            "thirty days",
            "30 fortnights",
            "-3 days",
            "3.5 days",
        ] {
            assert!(
                text.parse::<DurationSpec>().is_err(),
                "{text} should be refused"
            );
        }
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        let one_month = DurationSpec::new(1, DurationUnit::Months);
        assert_eq!(
            one_month.add_to(date("2025-01-31"), None),
            Ok(date("2025-02-28"))
        );
        assert_eq!(
            one_month.add_to(date("2024-01-31"), None),
            Ok(date("2024-02-29"))
        );
        let one_year = DurationSpec::new(1, DurationUnit::Years);
        assert_eq!(
            one_year.add_to(date("2024-02-29"), None),
            Ok(date("2025-02-28"))
        );
    }

    #[test]
    fn working_days_without_a_calendar_are_not_computable() {
        let twenty = DurationSpec::new(20, DurationUnit::WorkingDays);
        assert_eq!(
            twenty.add_to(date("2026-03-02"), None),
            Err(CalendarError::NoCalendar)
        );
    }
}
