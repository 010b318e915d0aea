//! Daily digests (issue 20): each morning of a working day, each person who asked for one gets
//! an e-mail of what waits for them, made from their to-do list: what is overdue, deadlines
//! within 30 days, extension requests waiting for their decision, and what is blocked and why.
//!
//! When: at [`DigestOptions::send_at`] local time (08:30 Asia/Shanghai unless configured), on
//! working days by the calendars of the registered definitions (a day is a working day when
//! every calendar says so; with none, Monday to Friday). A round ([`write_due_digests`]) looks
//! for the latest such moment that has passed and writes the digest of that day for each person
//! who has none for it. So a node that was down for three days sends one digest when it comes
//! back, not three, and none on a holiday.
//!
//! Once per person per day across nodes: the store writes a digest only with its row of
//! `digests_sent`, whose key is the person and the date ([`Store::write_digest`]); the node that
//! loses the race writes nothing. The digest itself is a row of the outbox, delivered to the
//! person's verified address like their other e-mail.

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind};
use crate::app::todo::{TodoList, todo_list};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Utc, Weekday};
use specflow_engine::calendar::WorkingCalendar;
use specflow_engine::{Language, WorkflowDefinition};
use specflow_store::personal_email::{DIGEST_EVENT_TYPE, DigestBody, DigestItem, DigestSection};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How far back a round looks for the latest working day: longer than any holiday.
const LOOK_BACK_DAYS: u32 = 31;

/// When digests go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestOptions {
    /// The local time of day.
    pub send_at: NaiveTime,
    /// The local time zone's offset from UTC.
    pub offset: FixedOffset,
    /// How often a node looks whether digests are due.
    pub every: Duration,
}

impl Default for DigestOptions {
    fn default() -> DigestOptions {
        DigestOptions {
            send_at: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or(NaiveTime::MIN),
            offset: crate::app::todo::shanghai(),
            every: Duration::from_secs(60),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestRound {
    /// The local date whose digests were due, if any was.
    pub date: Option<NaiveDate>,
    /// Digests this node wrote.
    pub written: usize,
    /// People whose digest of that date was written already (by this node or another).
    pub already_sent: usize,
}

/// The latest working day whose sending time has passed at `now`, looking back at most
/// [`LOOK_BACK_DAYS`].
pub fn latest_digest_date(
    now: DateTime<Utc>,
    options: &DigestOptions,
    is_working_day: &dyn Fn(NaiveDate) -> bool,
) -> Option<NaiveDate> {
    let local = now.with_timezone(&options.offset);
    let today = local.date_naive();
    (0..=LOOK_BACK_DAYS)
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(u64::from(back))))
        .filter(|day| *day < today || local.time() >= options.send_at)
        .find(|day| is_working_day(*day))
}

/// Whether `date` is a working day by every calendar given; Monday to Friday when none is (or
/// when a calendar does not have the year on file).
pub fn is_working_day(calendars: &[&WorkingCalendar], date: NaiveDate) -> bool {
    let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    if calendars.is_empty() {
        return weekday;
    }
    calendars.iter().all(|calendar| match calendar.is_working_day(date) {
        Ok(working) => working,
        Err(error) => {
            tracing::warn!(%date, %error, "a calendar does not know the date; counting Monday to Friday");
            weekday
        }
    })
}

/// The newest version of each registered definition that has a working-day calendar, one per
/// calendar.
async fn calendars(state: &AppState) -> Result<Vec<Arc<WorkflowDefinition>>, Problem> {
    let mut definitions: Vec<Arc<WorkflowDefinition>> = Vec::new();
    for id in state.store.definition_ids().await? {
        let definition = state.store.latest_definition(&id).await?;
        let Some(calendar) = definition.working_calendar() else {
            continue;
        };
        let known = definitions.iter().any(|known| {
            known
                .working_calendar()
                .is_some_and(|known| known.name() == calendar.name())
        });
        if !known {
            definitions.push(definition);
        }
    }
    Ok(definitions)
}

/// Writes the digests due at the store's clock's now: for each person who wants one and has no
/// digest for the latest working day whose time has passed.
pub async fn write_due_digests(
    state: &AppState,
    options: &DigestOptions,
) -> Result<DigestRound, Problem> {
    let now = state.store.clock().now();
    let definitions = calendars(state).await?;
    let calendars: Vec<&WorkingCalendar> = definitions
        .iter()
        .filter_map(|definition| definition.working_calendar())
        .collect();
    let Some(date) = latest_digest_date(now, options, &|day| is_working_day(&calendars, day))
    else {
        return Ok(DigestRound::default());
    };
    let mut round = DigestRound {
        date: Some(date),
        ..DigestRound::default()
    };
    let due_at = date
        .and_time(options.send_at)
        .and_local_timezone(options.offset)
        .single()
        .map(|local| local.with_timezone(&Utc));
    for recipient in state.store.digest_recipients().await? {
        let (account, language) = (recipient.account, recipient.language);
        if recipient.last_sent_on.is_some_and(|last| last >= date) {
            round.already_sent += 1;
            continue;
        }
        // Asked for after the day's time: the first digest is the next one.
        if recipient
            .since
            .zip(due_at)
            .is_some_and(|(since, due_at)| since > due_at)
        {
            continue;
        }
        let list = todo_list(state, &account.principal(), language).await?;
        let body = digest_body(&account.name, account.account_id, date, language, &list);
        let body = serde_json::to_string(&body).map_err(|error| {
            Problem::new(
                ProblemKind::Internal,
                format!("摘要无法写成 JSON：{error}"),
                format!("a digest could not be written as JSON: {error}"),
            )
        })?;
        if state
            .store
            .write_digest(account.account_id, date, &body)
            .await?
        {
            round.written += 1;
        } else {
            round.already_sent += 1;
        }
    }
    Ok(round)
}

/// A person's digest of `date`, from their to-do list, in `language`.
pub fn digest_body(
    account: &str,
    account_id: uuid::Uuid,
    date: NaiveDate,
    language: Language,
    list: &TodoList,
) -> DigestBody {
    let pick = |zh: &str, en: &str| language.pick(zh, en).to_string();
    let project_path = |id: uuid::Uuid| Some(format!("/projects/{id}"));
    let (overdue, coming): (Vec<_>, Vec<_>) = list
        .deadlines
        .iter()
        .partition(|deadline| deadline.missed || deadline.days_left < 0);
    let overdue = overdue
        .into_iter()
        .map(|deadline| DigestItem {
            text: match language {
                Language::Zh => format!(
                    "{} {}：{}于 {} 到期，已逾期 {} 天",
                    deadline.project.code,
                    deadline.project.title,
                    deadline.name,
                    deadline.due_on,
                    -deadline.days_left.min(0)
                ),
                Language::En => format!(
                    "{} {}: {} was due on {}, {} days ago",
                    deadline.project.code,
                    deadline.project.title,
                    deadline.name,
                    deadline.due_on,
                    -deadline.days_left.min(0)
                ),
            },
            path: project_path(deadline.project.project_id),
        })
        .collect();
    let coming = coming
        .into_iter()
        .map(|deadline| DigestItem {
            text: match language {
                Language::Zh => format!(
                    "{} {}：{}于 {} 到期，还有 {} 天",
                    deadline.project.code,
                    deadline.project.title,
                    deadline.name,
                    deadline.due_on,
                    deadline.days_left
                ),
                Language::En => format!(
                    "{} {}: {} is due on {}, in {} days",
                    deadline.project.code,
                    deadline.project.title,
                    deadline.name,
                    deadline.due_on,
                    deadline.days_left
                ),
            },
            path: project_path(deadline.project.project_id),
        })
        .collect();
    let extensions = list
        .supervision
        .iter()
        .flat_map(|supervision| &supervision.extension_requests)
        .map(|request| DigestItem {
            text: match language {
                Language::Zh => format!(
                    "{}：{} 申请把{}从 {} 延至 {}（理由：{}）",
                    request.project.code,
                    request.requested_by,
                    request.deadline_name,
                    request.current_due_on,
                    request.requested_due_on,
                    request.reason
                ),
                Language::En => format!(
                    "{}: {} asks to move {} from {} to {} (reason: {})",
                    request.project.code,
                    request.requested_by,
                    request.deadline_name,
                    request.current_due_on,
                    request.requested_due_on,
                    request.reason
                ),
            },
            path: project_path(request.project.project_id),
        })
        .collect();
    let blocked = list
        .blocked
        .iter()
        .map(|action| {
            let reasons: Vec<&str> = action
                .guards
                .iter()
                .map(|guard| guard.message.as_str())
                .collect();
            DigestItem {
                text: match language {
                    Language::Zh => format!(
                        "{}：“{}”受阻：{}",
                        action.project.code,
                        action.name,
                        reasons.join("；")
                    ),
                    Language::En => format!(
                        "{}: “{}” is blocked: {}",
                        action.project.code,
                        action.name,
                        reasons.join("; ")
                    ),
                },
                path: project_path(action.project.project_id),
            }
        })
        .collect();
    let sections = [
        (pick("已逾期", "Overdue"), overdue),
        (pick("30 天内到期", "Due within 30 days"), coming),
        (
            pick("等你决定的延期申请", "Extension requests waiting for you"),
            extensions,
        ),
        (pick("受阻的事项及原因", "Blocked, and why"), blocked),
    ]
    .into_iter()
    .filter(|(_, items): &(String, Vec<DigestItem>)| !items.is_empty())
    .map(|(title, items)| DigestSection { title, items })
    .collect();
    DigestBody {
        notification_id: format!("digest.{account_id}.{date}"),
        event_type: DIGEST_EVENT_TYPE.to_string(),
        account: account.to_string(),
        date,
        language,
        sections,
        truncated: list.truncated,
    }
}

/// Writes due digests every [`DigestOptions::every`] until `shutdown` turns true. A failed round
/// is logged and tried again at the next.
pub async fn run(state: AppState, options: DigestOptions, mut shutdown: watch::Receiver<bool>) {
    loop {
        match write_due_digests(&state, &options).await {
            Ok(round) if round.written > 0 => {
                tracing::info!(date = ?round.date, written = round.written, "daily digests written")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error.detail.en, "daily digests: a round failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(options.every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|instant| instant.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_latest_digest_is_todays_after_its_time_and_the_last_working_days_before() {
        let options = DigestOptions::default();
        let weekdays = |day: NaiveDate| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        // Monday 2026-12-07, 08:29 and 08:30 in Shanghai.
        assert_eq!(
            latest_digest_date(at("2026-12-07T00:29:00Z"), &options, &weekdays),
            Some(date("2026-12-04"))
        );
        assert_eq!(
            latest_digest_date(at("2026-12-07T00:30:00Z"), &options, &weekdays),
            Some(date("2026-12-07"))
        );
        // Sunday: Friday's.
        assert_eq!(
            latest_digest_date(at("2026-12-06T04:00:00Z"), &options, &weekdays),
            Some(date("2026-12-04"))
        );
        // A holiday is skipped as a weekend is.
        let holiday = |day: NaiveDate| weekdays(day) && day != date("2026-12-07");
        assert_eq!(
            latest_digest_date(at("2026-12-07T04:00:00Z"), &options, &holiday),
            Some(date("2026-12-04"))
        );
    }
}
