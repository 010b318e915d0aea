//! Working-day arithmetic on the 2025 and 2026 Chinese calendars kept as data.

use chrono::NaiveDate;
use specflow_engine::WorkingCalendar;
use specflow_engine::calendar::CalendarError;
use specflow_engine::duration::{DurationSpec, DurationUnit};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn cn() -> WorkingCalendar {
    let mut calendar = WorkingCalendar::new("cn");
    calendar
        .add_year_file(
            "cn-2025.toml",
            include_str!("../../../workflows/calendars/cn-2025.toml"),
        )
        .unwrap();
    calendar
        .add_year_file(
            "cn-2026.toml",
            include_str!("../../../workflows/calendars/cn-2026.toml"),
        )
        .unwrap();
    calendar
}

#[test]
fn holidays_are_days_off_and_adjusted_weekends_are_worked() {
    let calendar = cn();
    let cases = [
        ("2025-01-01", false, "New Year's Day, a Wednesday"),
        ("2025-01-26", true, "Sunday worked for the Spring Festival"),
        ("2025-01-28", false, "Spring Festival eve, a Tuesday off"),
        ("2025-02-04", false, "last day of the Spring Festival break"),
        ("2025-02-05", true, "first Wednesday back"),
        (
            "2025-02-08",
            true,
            "Saturday worked for the Spring Festival",
        ),
        ("2025-04-27", true, "Sunday worked for Labour Day"),
        ("2025-05-05", false, "Labour Day break, a Monday"),
        ("2025-09-28", true, "Sunday worked for National Day"),
        ("2025-10-08", false, "National Day break, a Wednesday"),
        ("2025-10-11", true, "Saturday worked for National Day"),
        ("2025-10-12", false, "an ordinary Sunday"),
        ("2026-01-02", false, "New Year break, a Friday"),
        ("2026-01-04", true, "Sunday worked for New Year"),
        (
            "2026-02-14",
            true,
            "Saturday worked before the Spring Festival",
        ),
        ("2026-02-16", false, "Spring Festival, a Monday"),
        (
            "2026-02-23",
            false,
            "last day of the Spring Festival break, a Monday",
        ),
        ("2026-02-24", true, "first Tuesday back"),
        (
            "2026-02-28",
            true,
            "Saturday worked after the Spring Festival",
        ),
        ("2026-05-09", true, "Saturday worked for Labour Day"),
        ("2026-06-19", false, "Dragon Boat Festival, a Friday"),
        ("2026-09-20", true, "Sunday worked for National Day"),
        ("2026-09-25", false, "Mid-Autumn Festival, a Friday"),
        ("2026-10-07", false, "National Day break, a Wednesday"),
        ("2026-10-10", true, "Saturday worked for National Day"),
        ("2026-11-26", true, "an ordinary Thursday"),
        ("2026-11-28", false, "an ordinary Saturday"),
    ];
    for (day, working, why) in cases {
        assert_eq!(
            calendar.is_working_day(date(day)),
            Ok(working),
            "{day}: {why}"
        );
    }
}

#[test]
fn working_days_are_counted_across_holidays_and_adjusted_weekends() {
    let calendar = cn();
    // From Friday 2026-02-13: Saturday 14 is worked (1), then 15-23 are off, then Tuesday 24 (2).
    assert_eq!(
        calendar.add_working_days(date("2026-02-13"), 1),
        Ok(date("2026-02-14"))
    );
    assert_eq!(
        calendar.add_working_days(date("2026-02-13"), 2),
        Ok(date("2026-02-24"))
    );
    // Across National Day 2026: Wednesday 30 September + 1 is Thursday 8 October.
    assert_eq!(
        calendar.add_working_days(date("2026-09-30"), 1),
        Ok(date("2026-10-08"))
    );
    // Saturday 10 October is worked: Friday 9 + 1 = Saturday 10.
    assert_eq!(
        calendar.add_working_days(date("2026-10-09"), 1),
        Ok(date("2026-10-10"))
    );
    // Across the year boundary: Wednesday 31 December 2025 + 1 skips 1-3 January 2026, lands on Sunday 4 (worked).
    assert_eq!(
        calendar.add_working_days(date("2025-12-31"), 1),
        Ok(date("2026-01-04"))
    );
    // 20 working days from Monday 2026-03-02: four plain weeks, 30 March.
    assert_eq!(
        calendar.add_working_days(date("2026-03-02"), 20),
        Ok(date("2026-03-30"))
    );
    // Across Qingming (Saturday 4 to Monday 6 April 2026): Monday 30 March + 5 = Tuesday 7 April.
    assert_eq!(
        calendar.add_working_days(date("2026-03-30"), 5),
        Ok(date("2026-04-07"))
    );
    assert_eq!(
        calendar.subtract_working_days(date("2026-02-24"), 2),
        Ok(date("2026-02-13"))
    );
    // 8 and 9 October, and Saturday 10 October, which is worked.
    assert_eq!(
        calendar.working_days_between(date("2026-09-30"), date("2026-10-10")),
        Ok(3)
    );
    let twenty = DurationSpec::new(20, DurationUnit::WorkingDays);
    assert_eq!(
        twenty.add_to(date("2026-03-02"), Some(&calendar)),
        Ok(date("2026-03-30"))
    );
}

#[test]
fn a_count_past_the_last_year_on_file_is_not_computable() {
    let calendar = cn();
    assert_eq!(
        calendar.add_working_days(date("2026-12-30"), 5),
        Err(CalendarError::YearNotOnFile {
            date: date("2027-01-01"),
            year: 2027
        })
    );
    assert_eq!(
        calendar.is_working_day(date("2024-12-31")),
        Err(CalendarError::YearNotOnFile {
            date: date("2024-12-31"),
            year: 2024
        })
    );
}

#[test]
fn months_clamp_to_month_ends_and_leap_years() {
    let month = DurationSpec::new(1, DurationUnit::Months);
    assert_eq!(
        month.add_to(date("2025-01-31"), None),
        Ok(date("2025-02-28"))
    );
    assert_eq!(
        month.add_to(date("2028-01-31"), None),
        Ok(date("2028-02-29"))
    );
    assert_eq!(
        month.add_to(date("2026-03-31"), None),
        Ok(date("2026-04-30"))
    );
    let two_years = DurationSpec::new(24, DurationUnit::Months);
    assert_eq!(
        two_years.add_to(date("2026-02-02"), None),
        Ok(date("2028-02-02"))
    );
    let five_years = DurationSpec::new(5, DurationUnit::Years);
    assert_eq!(
        five_years.add_to(date("2028-02-29"), None),
        Ok(date("2033-02-28"))
    );
    assert_eq!(
        month.subtract_from(date("2026-03-31"), None),
        Ok(date("2026-02-28"))
    );
}

#[test]
fn malformed_calendar_files_report_their_place_and_never_panic() {
    let mut calendar = WorkingCalendar::new("cn");
    let problems = calendar
        .add_year_file("bad.toml", "calendar = \"cn\"\nyear = 2027\nsource = \"x\"\n[[holidays]]\nname = { zh = \"a\", en = \"b\" }\ndays_off = { from = 2027-02-10, to = 2027-02-01 }\n")
        .unwrap_err();
    assert!(
        problems[0].message.contains("is before the first"),
        "{problems:?}"
    );
    let problems = calendar
        .add_year_file("bad.toml", "calendar = \"cn\"\nyear = 2027\nsource = \"x\"\n[[holidays]]\nname = { zh = \"a\", en = \"b\" }\ndays_off = { from = 2027-02-10, to = 2027-02-11 }\nworking_days = [2027-02-10]\n")
        .unwrap_err();
    assert!(
        problems[0].message.contains("not a weekend day"),
        "{problems:?}"
    );
    let problems = calendar
        .add_year_file("bad.toml", "calendar = \"cn\"\nyear = \"twenty\"\n")
        .unwrap_err();
    assert_eq!(problems[0].line, Some(2), "{problems:?}");
    let problems = calendar
        .add_year_file(
            "bad.toml",
            "calendar = \"us\"\nyear = 2027\nsource = \"x\"\n",
        )
        .unwrap_err();
    assert!(problems[0].message.contains("not 'cn'"), "{problems:?}");
    for text in ["", "[[[", "year = 2027", "calendar = 1"] {
        assert!(
            calendar.add_year_file("bad.toml", text).is_err(),
            "{text:?} should be refused"
        );
    }
}
