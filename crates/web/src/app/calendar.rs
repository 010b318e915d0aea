//! A person's calendar feed (issue 20): the deadlines and meetings of the projects they may see,
//! as an iCalendar file (RFC 5545) a calendar application subscribes to at a secret address.
//!
//! Each deadline that runs gives an all-day event on its local due date and, when its rule warns,
//! another on the local date of the warning; a re-examination that is coming gives one on its due
//! date; each meeting or vote by letter gives one on its date (the held date once it is recorded).
//! Dates are the definition's local dates, written as floating `DATE` values, so no time zone can
//! move them to the day before.
//!
//! Every event's `UID` is made of what identifies it and never of its date: the project, the
//! deadline and the day it started running (or the meeting's id and its occurrence). So when an
//! extension moves a due date, calendar applications move the event rather than add a second
//! one; `SEQUENCE` counts the extensions granted, as RFC 5545 asks of a revised event.
//!
//! The projects are those [`for_each_open_project`] visits for the account's principal (open
//! ones, each state through the store's cache), at most [`MAX_FEED_PROJECTS`]; the feed's
//! description says when it stopped short.

use crate::app::AppState;
use crate::app::problem::Problem;
use crate::app::todo::{ScanLimits, for_each_open_project};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};
use specflow_engine::records::MeetingForm;
use specflow_engine::{Language, WorkflowDefinition};
use specflow_store::ProjectView;
use specflow_store::accounts::AccountSummary;

/// Open projects one feed covers at most: a calendar application fetches the feed every hour or
/// so, and each fetch must stay cheap.
pub const MAX_FEED_PROJECTS: u32 = 1000;

/// Projection rows (terminal ones included) one feed reads at most.
pub const MAX_FEED_ROWS: u32 = 20_000;

/// How often calendar applications are asked to fetch the feed again (RFC 7986 `REFRESH-INTERVAL`).
const REFRESH_HOURS: i64 = 1;

/// The host part of every event's `UID` (RFC 5545 suggests a domain on the right of an `@`).
const UID_DOMAIN: &str = "specflow";

/// The feed of `account`, in `language`, with links to the pages under `base_url`
/// (`https://host`, no trailing slash).
pub async fn calendar_feed(
    state: &AppState,
    account: &AccountSummary,
    language: Language,
    base_url: &str,
) -> Result<String, Problem> {
    let principal = account.principal();
    let now = state.store.clock().now();
    // `Calendar::new` would add the crate's own PRODID, and RFC 5545 allows one.
    let mut calendar = Calendar::empty();
    calendar.append_property(Property::new("VERSION", "2.0"));
    calendar.append_property(Property::new("PRODID", "-//specflow//calendar feed//ZH"));
    calendar.append_property(Property::new("CALSCALE", "GREGORIAN"));
    calendar.name(&format!(
        "specflow · {}",
        language.pick("截止日期与会议", "deadlines and meetings")
    ));
    calendar.timezone("Asia/Shanghai");
    calendar.ttl(&Duration::hours(REFRESH_HOURS));
    let limits = ScanLimits {
        projects: MAX_FEED_PROJECTS,
        rows: MAX_FEED_ROWS,
    };
    let mut events = Vec::new();
    let scan = for_each_open_project(state, &principal, limits, |view| {
        let project = FeedProject {
            view,
            language,
            base_url,
            stamp: view.state.last_event_at.unwrap_or(now),
        };
        project.deadline_events(&mut events);
        project.reexamination_event(&mut events);
        project.meeting_events(&mut events);
    })
    .await?;
    let separator = language.pick("：", ": ");
    let description = if scan.truncated {
        format!(
            "{}{separator}{}",
            account.name,
            language.pick(
                &format!("只含前 {} 个进行中的项目（按编号）", scan.examined),
                &format!("only the first {} open projects, by code", scan.examined),
            )
        )
    } else {
        format!(
            "{}{separator}{}",
            account.name,
            language.pick(
                &format!("{} 个进行中的项目", scan.examined),
                &format!("{} open projects", scan.examined),
            )
        )
    };
    calendar.description(&description);
    for event in events {
        calendar.push(event);
    }
    Ok(calendar.to_string())
}

/// One project's events.
struct FeedProject<'a> {
    view: &'a ProjectView,
    language: Language,
    base_url: &'a str,
    /// When the project's information was last revised: its last record's instant (`DTSTAMP`).
    stamp: DateTime<Utc>,
}

impl FeedProject<'_> {
    fn definition(&self) -> &WorkflowDefinition {
        &self.view.definition
    }

    fn pick<'text>(&self, zh: &'text str, en: &'text str) -> &'text str {
        self.language.pick(zh, en)
    }

    /// The colon between a label and its value: full-width in Chinese.
    fn colon(&self) -> &'static str {
        self.language.pick("：", ": ")
    }

    /// The project's page.
    fn link(&self) -> String {
        format!(
            "{}/projects/{}",
            self.base_url, self.view.summary.project_id
        )
    }

    /// A `UID` made of `parts` after the project's id.
    fn uid(&self, parts: &[&str]) -> String {
        format!(
            "{}.{}@{UID_DOMAIN}",
            self.view.summary.project_id,
            parts.join(".")
        )
    }

    /// The project's title, stage and page, as an event's description.
    fn description(&self, first_line: &str) -> String {
        let summary = &self.view.summary;
        let colon = self.colon();
        format!(
            "{first_line}\n{}{colon}{}\n{}{colon}{}\n{}",
            self.pick("项目", "Project"),
            self.language.pick(&summary.title_zh, &summary.title_en),
            self.pick("阶段", "Stage"),
            self.definition()
                .stage_name(&summary.stage)
                .get(self.language),
            self.link()
        )
    }

    /// An all-day event on `date`, with what every event carries.
    fn all_day(&self, uid: &str, date: NaiveDate, summary: &str, description: &str) -> Event {
        let mut event = Event::new();
        event
            .uid(uid)
            .timestamp(self.stamp)
            .starts(date)
            .ends(date + Duration::days(1))
            .summary(summary)
            .description(description)
            .url(&self.link())
            .append_property(Property::new("TRANSP", "TRANSPARENT"));
        event
    }

    fn deadline_name(&self, deadline: &str) -> String {
        self.definition().deadline(deadline).map_or_else(
            || deadline.to_string(),
            |rule| rule.name.get(self.language).to_string(),
        )
    }

    /// Each running deadline's due date, and its warning when the rule warns.
    fn deadline_events(&self, events: &mut Vec<Event>) {
        let code = &self.view.summary.code;
        let offset = self.definition().local_utc_offset;
        for entry in self
            .view
            .state
            .deadlines
            .iter()
            .filter(|entry| entry.closed.is_none())
        {
            let Some(times) = entry.times else {
                continue;
            };
            let name = self.deadline_name(&entry.deadline);
            let started = entry.started_on.to_string();
            let overdue = if entry.missed {
                self.pick("（已逾期）", " (overdue)")
            } else {
                ""
            };
            let due_line = format!(
                "{}{}{}{overdue}",
                self.pick("截止日期", "Due on"),
                self.colon(),
                times.due_on
            );
            let mut due = self.all_day(
                &self.uid(&["deadline", &entry.deadline, &started, "due"]),
                times.due_on,
                &format!("{code} {name}{}{overdue}", self.pick(" 截止", " due")),
                &self.description(&due_line),
            );
            due.sequence(entry.extensions_granted);
            events.push(due.done());
            if let Some(warn_at) = times.warn_at {
                let mut warning = self.all_day(
                    &self.uid(&["deadline", &entry.deadline, &started, "warning"]),
                    warn_at.with_timezone(&offset).date_naive(),
                    &format!(
                        "{code} {name}{}{}",
                        self.pick(" 预警：", " warning: due on "),
                        times.due_on
                    ),
                    &self.description(&due_line),
                );
                warning.sequence(entry.extensions_granted);
                events.push(warning.done());
            }
        }
    }

    /// The coming re-examination of a specification in force.
    fn reexamination_event(&self, events: &mut Vec<Event>) {
        let Some(entry) = &self.view.state.reexamination else {
            return;
        };
        if entry.settled {
            return;
        }
        let due_line = format!(
            "{}{}{}",
            self.pick("复审到期", "Re-examination due on"),
            self.colon(),
            entry.times.due_on
        );
        let event = self.all_day(
            &self.uid(&["reexamination", &entry.counted_from.to_string()]),
            entry.times.due_on,
            &format!(
                "{} {}",
                self.view.summary.code,
                self.pick("复审到期", "re-examination due")
            ),
            &self.description(&due_line),
        );
        events.push(event);
    }

    /// Each meeting or vote by letter, scheduled or held, once: a held one on the day it was held.
    ///
    /// A meeting is scheduled in one stage visit and held in a later one, and an id may come
    /// back (a second review meeting after a failed one), so occurrences are counted per id: the
    /// `k`-th meeting held under an id is `meeting.{id}.{k}`, and a schedule not yet held is the
    /// next one, so that holding it keeps its `UID`.
    fn meeting_events(&self, events: &mut Vec<Event>) {
        let state = &self.view.state;
        let mut held_per_id: std::collections::BTreeMap<&str, usize> = Default::default();
        for held in &state.meetings {
            let record = &held.record;
            let occurrence = held_per_id.entry(record.meeting_id.as_str()).or_default();
            events.push(self.meeting_event(
                &record.meeting_id,
                *occurrence,
                &record.motion,
                record.form,
                record.held_on,
                true,
            ));
            *occurrence += 1;
        }
        for scheduled in &state.scheduled_meetings {
            let schedule = &scheduled.schedule;
            let held = state.meetings.iter().any(|held| {
                held.visit >= scheduled.visit && held.record.meeting_id == schedule.meeting_id
            });
            if !held {
                let occurrence = held_per_id
                    .get(schedule.meeting_id.as_str())
                    .copied()
                    .unwrap_or(0);
                events.push(self.meeting_event(
                    &schedule.meeting_id,
                    occurrence,
                    &schedule.motion,
                    schedule.form,
                    schedule.meeting_on,
                    false,
                ));
            }
        }
    }

    fn meeting_event(
        &self,
        meeting_id: &str,
        occurrence: usize,
        motion: &str,
        form: MeetingForm,
        date: NaiveDate,
        held: bool,
    ) -> Event {
        let kind = match form {
            MeetingForm::Meeting => self.pick("会议", "meeting"),
            MeetingForm::Letter => self.pick("函审", "vote by letter"),
        };
        let motion_name = self.definition().motion_name(motion);
        let motion_name = motion_name.get(self.language);
        let status = if held {
            self.pick("（已举行）", " (held)")
        } else {
            ""
        };
        let colon = self.colon();
        let line = format!("{kind} {meeting_id}{colon}{motion_name}{status}");
        let mut event = self.all_day(
            &self.uid(&["meeting", meeting_id, &occurrence.to_string()]),
            date,
            &format!(
                "{} {kind}{colon}{motion_name}{status}",
                self.view.summary.code
            ),
            &self.description(&line),
        );
        event.status(EventStatus::Confirmed);
        event.done()
    }
}

/// The address the request reached the service at, `http://host` or `https://host` (behind a
/// proxy that says `X-Forwarded-Proto: https`), for links back to it. A `Host` that is not a
/// plain host name or address is not echoed: `http://localhost` stands in.
pub fn base_url_of(headers: &axum::http::HeaderMap) -> String {
    let scheme = if headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
    {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && host
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// A feed's address: `{base_url}/calendar/{secret}.ics`.
pub fn feed_url(base_url: &str, secret: &str) -> String {
    format!("{base_url}/calendar/{secret}.ics")
}
