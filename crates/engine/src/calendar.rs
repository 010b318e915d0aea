//! Working-day calendars, one data file a year.
//!
//! China's working days follow the State Council's yearly holiday notice: weekdays that become
//! days off, and weekend days that become working days (调休).
//! Each year lives in `workflows/calendars/<name>-<year>.toml`; a date outside every year on
//! file is reported as not computable, never guessed.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::location::{Problem, SourceText};
use crate::text::LocalizedText;

/// Why a working-day count cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The count runs into a year for which no calendar is on file.
    #[error(
        "{date} falls in {year}, for which no working-day calendar is on file; the deadline cannot be computed"
    )]
    YearNotOnFile {
        /// The first date the count could not classify.
        date: NaiveDate,
        /// Its year.
        year: i32,
    },
    /// The rule counts working days but the definition has no calendar attached.
    #[error("the rule counts working days but no working-day calendar is attached")]
    NoCalendar,
    /// The date arithmetic left chrono's range.
    #[error("date arithmetic from {date} left the representable range")]
    OutOfRange {
        /// The date the arithmetic started from.
        date: NaiveDate,
    },
}

impl CalendarError {
    /// Why the count cannot be made, in both languages.
    pub fn message(&self) -> LocalizedText {
        match self {
            CalendarError::YearNotOnFile { date, year } => LocalizedText::new(
                format!("{date} 属于 {year} 年，该年的工作日历尚未登记，期限无法计算"),
                self.to_string(),
            ),
            CalendarError::NoCalendar => {
                LocalizedText::new("规则按工作日计算，但未附工作日历", self.to_string())
            }
            CalendarError::OutOfRange { date } => LocalizedText::new(
                format!("自 {date} 起的日期计算超出可表示的范围"),
                self.to_string(),
            ),
        }
    }

    /// The error a `deadline_set` event recorded as text (its English message), read back so the
    /// log can show it in Chinese too; `None` for a text no calendar error writes.
    pub fn from_recorded(text: &str) -> Option<CalendarError> {
        if text == CalendarError::NoCalendar.to_string() {
            return Some(CalendarError::NoCalendar);
        }
        if let Some(rest) = text.strip_prefix("date arithmetic from ") {
            let date = rest.strip_suffix(" left the representable range")?;
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            return Some(CalendarError::OutOfRange { date });
        }
        let (date, rest) = text.split_once(" falls in ")?;
        let (year, _) = rest.split_once(", for which no working-day calendar is on file")?;
        let error = CalendarError::YearNotOnFile {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
            year: year.parse().ok()?,
        };
        (error.to_string() == text).then_some(error)
    }
}

/// One year's days off and worked weekend days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarYear {
    /// Weekdays (or weekend days) that are days off.
    pub days_off: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays that are working days.
    pub working_weekend_days: BTreeSet<NaiveDate>,
    /// The holidays of the year, for display.
    pub holidays: Vec<Holiday>,
    /// Where the year's rules come from (the notice's title and number).
    pub source: String,
}

/// A named holiday of a calendar year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// Its name.
    pub name: LocalizedText,
    /// First day off.
    pub first_day_off: NaiveDate,
    /// Last day off.
    pub last_day_off: NaiveDate,
    /// Weekend days worked to make up for it.
    pub working_days: Vec<NaiveDate>,
}

/// A working-day calendar made of yearly files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingCalendar {
    /// The calendar's name, such as `cn`.
    pub name: String,
    years: BTreeMap<i32, CalendarYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendarYear {
    calendar: String,
    year: i32,
    source: String,
    #[serde(default)]
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: LocalizedText,
    days_off: RawRange,
    #[serde(default)]
    working_days: Vec<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: toml::value::Datetime,
    to: toml::value::Datetime,
}

fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    match (value.date, value.time, value.offset) {
        (Some(date), None, None) => NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        _ => None,
    }
}

impl WorkingCalendar {
    /// An empty calendar called `name`, to which yearly files are added.
    pub fn new(name: impl Into<String>) -> WorkingCalendar {
        WorkingCalendar {
            name: name.into(),
            years: BTreeMap::new(),
        }
    }

    /// Its name, as definitions name it (`cn`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The years on file.
    pub fn years(&self) -> impl Iterator<Item = (&i32, &CalendarYear)> {
        self.years.iter()
    }

    /// Parses one yearly calendar file and adds it, reporting every problem with its place.
    pub fn add_year_file(&mut self, file_name: &str, text: &str) -> Result<i32, Vec<Problem>> {
        let source = SourceText::new(file_name, text);
        let raw: RawCalendarYear =
            toml::from_str(text).map_err(|error| vec![source.toml_problem(&error)])?;
        let mut problems = Vec::new();
        let place = |problems: &mut Vec<Problem>, message: String| {
            problems.push(source.problem_without_place(message));
        };
        if raw.calendar != self.name {
            place(
                &mut problems,
                format!(
                    "the file is for calendar '{}', not '{}'",
                    raw.calendar, self.name
                ),
            );
        }
        if self.years.contains_key(&raw.year) {
            place(
                &mut problems,
                format!("the year {} is already on file", raw.year),
            );
        }
        let mut year = CalendarYear {
            source: raw.source,
            ..CalendarYear::default()
        };
        for holiday in raw.holidays {
            let (Some(from), Some(to)) = (
                toml_date(&holiday.days_off.from),
                toml_date(&holiday.days_off.to),
            ) else {
                place(
                    &mut problems,
                    format!(
                        "holiday '{}': days_off must be plain dates such as 2026-01-01",
                        holiday.name.en
                    ),
                );
                continue;
            };
            if to < from {
                place(
                    &mut problems,
                    format!(
                        "holiday '{}': the last day off {to} is before the first {from}",
                        holiday.name.en
                    ),
                );
                continue;
            }
            for day in from.iter_days().take_while(|day| *day <= to) {
                if day.year() != raw.year && !(day.year() == raw.year + 1 && day.month() == 1) {
                    place(
                        &mut problems,
                        format!(
                            "holiday '{}': {day} is not in {}",
                            holiday.name.en, raw.year
                        ),
                    );
                }
                year.days_off.insert(day);
            }
            let mut working_days = Vec::new();
            for worked in &holiday.working_days {
                let Some(worked) = toml_date(worked) else {
                    place(
                        &mut problems,
                        format!(
                            "holiday '{}': working_days must be plain dates",
                            holiday.name.en
                        ),
                    );
                    continue;
                };
                if !matches!(worked.weekday(), Weekday::Sat | Weekday::Sun) {
                    place(
                        &mut problems,
                        format!(
                            "holiday '{}': {worked} is a {}, not a weekend day; only a Saturday or Sunday can be made a working day",
                            holiday.name.en,
                            worked.weekday()
                        ),
                    );
                }
                year.working_weekend_days.insert(worked);
                working_days.push(worked);
            }
            year.holidays.push(Holiday {
                name: holiday.name,
                first_day_off: from,
                last_day_off: to,
                working_days,
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.years.insert(raw.year, year);
        Ok(raw.year)
    }

    /// Whether `date` is a working day, or an error when its year is not on file.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = self
            .years
            .get(&date.year())
            .ok_or(CalendarError::YearNotOnFile {
                date,
                year: date.year(),
            })?;
        if year.days_off.contains(&date) {
            return Ok(false);
        }
        if year.working_weekend_days.contains(&date) {
            return Ok(true);
        }
        Ok(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The date on which `count` working days after `start` are complete.
    pub fn add_working_days(
        &self,
        start: NaiveDate,
        count: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = start;
        let mut remaining = count;
        while remaining > 0 {
            day = day
                .succ_opt()
                .ok_or(CalendarError::OutOfRange { date: start })?;
            if self.is_working_day(day)? {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// The date `count` working days before `end`.
    pub fn subtract_working_days(
        &self,
        end: NaiveDate,
        count: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = end;
        let mut remaining = count;
        while remaining > 0 {
            day = day
                .pred_opt()
                .ok_or(CalendarError::OutOfRange { date: end })?;
            if self.is_working_day(day)? {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// How many working days lie in `(start, end]`.
    pub fn working_days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = start;
        while day < end {
            day = day
                .succ_opt()
                .ok_or(CalendarError::OutOfRange { date: start })?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::CalendarError;
    use chrono::NaiveDate;

    // A deadline_set event records its calendar problem as English text; the log reads it back
    // to show it in Chinese, so every error must survive the round trip.
    #[test]
    fn every_calendar_error_is_read_back_from_the_text_a_deadline_event_records() {
        let date = NaiveDate::from_ymd_opt(2031, 1, 2).unwrap_or_else(|| panic!("a real date"));
        for error in [
            CalendarError::YearNotOnFile { date, year: 2031 },
            CalendarError::NoCalendar,
            CalendarError::OutOfRange { date },
        ] {
            assert_eq!(
                CalendarError::from_recorded(&error.to_string()),
                Some(error.clone())
            );
            assert!(
                !error.message().zh.contains("calendar"),
                "{}",
                error.message().zh
            );
        }
        assert_eq!(CalendarError::from_recorded("something else"), None);
    }
}
