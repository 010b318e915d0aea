//! Deadlines: when they start, when they fall due, and what has fallen due by an instant.
//!
//! Everything here is pure arithmetic on the state: `now` comes in as a value, and the state
//! already holds the instants computed when each deadline started, so [`next_deadline`] needs no
//! definition and the scheduler can sleep until it. [`fallen_due`] lists each warning, miss,
//! escalation and freeze exactly once per due date, in the order they fell due, however late or
//! often it is called. Whatever follows by the rules (opening a re-examination that fell due) is
//! decided by [`crate::decide::tick`], which sits above this module and calls into it.

use crate::calendar::CalendarError;
use crate::definition::{DeadlineRule, WorkflowDefinition};
use crate::duration::DurationSpec;
use crate::event::{DeadlineOutcome, DeadlineTimes, Event, EventBody};
use crate::local_day::local_date;
pub use crate::local_day::start_of_local_day;
use crate::records::Actor;
use crate::state::ProjectState;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

/// What falls due at a [`Deadline`] instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// The warning before a deadline.
    Warning,
    /// The deadline itself.
    Due,
    /// Escalation after the grace period.
    Escalation,
    /// The warning before a re-examination.
    ReexaminationWarning,
    /// A re-examination.
    Reexamination,
}

/// The next instant at which `tick` has something to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// When.
    pub at: DateTime<Utc>,
    /// What falls due.
    pub kind: DueKind,
    /// The deadline's id (`reexamination` for re-examinations).
    pub deadline: String,
    /// The local due date it belongs to.
    pub due_on: NaiveDate,
}

/// The instants of a deadline falling due on `due_on` under a rule's warning and escalation.
pub fn deadline_times(
    due_on: NaiveDate,
    warning_before: Option<DurationSpec>,
    escalate_after: Option<DurationSpec>,
    definition: &WorkflowDefinition,
) -> Result<DeadlineTimes, CalendarError> {
    let offset = definition.local_utc_offset;
    let calendar = definition.working_calendar();
    let day_after = |date: NaiveDate| {
        date.checked_add_days(Days::new(1))
            .ok_or(CalendarError::OutOfRange { date })
    };
    let warn_at = match warning_before {
        Some(lead) => Some(start_of_local_day(
            lead.subtract_from(due_on, calendar)?,
            offset,
        )),
        None => None,
    };
    let escalate_at = match escalate_after {
        Some(grace) => Some(start_of_local_day(
            day_after(grace.add_to(due_on, calendar)?)?,
            offset,
        )),
        None => None,
    };
    Ok(DeadlineTimes {
        due_on,
        warn_at,
        due_at: start_of_local_day(day_after(due_on)?, offset),
        escalate_at,
    })
}

fn rule_times(
    rule: &DeadlineRule,
    due_on: NaiveDate,
    definition: &WorkflowDefinition,
) -> Result<DeadlineTimes, CalendarError> {
    deadline_times(due_on, rule.warning_before, rule.escalate_after, definition)
}

/// The extended times of a running deadline moved to `new_due_on`.
pub fn extended_times(
    rule: &DeadlineRule,
    new_due_on: NaiveDate,
    definition: &WorkflowDefinition,
) -> Result<DeadlineTimes, CalendarError> {
    rule_times(rule, new_due_on, definition)
}

/// The deadline and re-examination events that entering `to` from `from` by `action` causes.
///
/// `decide` calls this after a transition, and on creation (with `from` empty), so that
/// the state records each deadline's instants and `apply` never needs the definition.
pub fn events_on_entering(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    from: &str,
    to: &str,
    action: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<EventBody> {
    let mut events = Vec::new();
    let today = local_date(now, definition.local_utc_offset);
    let ends_project = definition.stage(to).is_some_and(|stage| stage.terminal);
    for entry in state.deadlines.iter().filter(|entry| entry.is_open()) {
        let rule = definition.deadline(&entry.deadline);
        let outcome = if ends_project {
            Some(DeadlineOutcome::ProjectEnded)
        } else if rule.is_none_or(|rule| rule.is_met_by(from, to)) {
            Some(DeadlineOutcome::Met)
        } else {
            None
        };
        if let Some(outcome) = outcome {
            let days_late = entry
                .times
                .map(|times| (today - times.due_on).num_days())
                .filter(|days| *days > 0 && outcome == DeadlineOutcome::Met);
            events.push(EventBody::DeadlineClosed {
                deadline: entry.deadline.clone(),
                outcome,
                days_late,
            });
        }
    }
    if ends_project {
        return events;
    }
    for rule in definition
        .deadlines
        .iter()
        .filter(|rule| rule.starts_when_entering == to)
    {
        let already_running = state.open_deadline(&rule.id).is_some()
            && !events.iter().any(|event| matches!(event, EventBody::DeadlineClosed { deadline, .. } if deadline == &rule.id));
        if already_running {
            continue;
        }
        let planned_due_on = if rule.planned {
            state.plan.get(&rule.id).copied()
        } else {
            None
        };
        // The plan may set an earlier date, never a later one than the definition allows.
        let due_on = match (
            rule.limit.add_to(today, definition.working_calendar()),
            planned_due_on,
        ) {
            (Ok(limit_due), Some(planned)) => Ok(planned.min(limit_due)),
            (Ok(limit_due), None) => Ok(limit_due),
            // The limit runs past the calendars on file, but the planned date comes before the
            // first day that cannot be counted, so it is certainly within the limit.
            (Err(CalendarError::YearNotOnFile { date, .. }), Some(planned)) if planned < date => {
                Ok(planned)
            }
            (Err(error), _) => Err(error),
        };
        let computed = due_on.and_then(|due_on| rule_times(rule, due_on, definition));
        let (times, problem) = match computed {
            Ok(times) => (Some(times), None),
            Err(error) => (None, Some(error.to_string())),
        };
        events.push(EventBody::DeadlineSet {
            deadline: rule.id.clone(),
            started_on: today,
            times,
            planned_due_on,
            problem,
        });
    }
    if let Some(rule) = &definition.reexamination
        && rule.stage == to
    {
        let restarts = rule
            .restart_on_action
            .as_deref()
            .is_some_and(|restart| Some(restart) == action);
        let counted_from = if restarts {
            today
        } else {
            state
                .publication
                .as_ref()
                .map_or(today, |publication| publication.publication_date)
        };
        if let Ok(times) = rule
            .interval
            .add_to(counted_from, definition.working_calendar())
            .and_then(|due_on| deadline_times(due_on, rule.warning_before, None, definition))
        {
            events.push(EventBody::ReexaminationScheduled {
                stage: to.to_string(),
                counted_from,
                times,
            });
        }
    }
    events
}

/// Everything still to fall due, earliest first.
fn pending(state: &ProjectState) -> Vec<Deadline> {
    let mut due = Vec::new();
    if state.project.is_none() {
        return due;
    }
    for entry in state.deadlines.iter().filter(|entry| entry.is_open()) {
        let Some(times) = entry.times else { continue };
        let mut push = |at: DateTime<Utc>, kind: DueKind| {
            due.push(Deadline {
                at,
                kind,
                deadline: entry.deadline.clone(),
                due_on: times.due_on,
            });
        };
        if !entry.warned
            && let Some(warn_at) = times.warn_at
            && warn_at < times.due_at
        {
            push(warn_at, DueKind::Warning);
        }
        if !entry.missed {
            push(times.due_at, DueKind::Due);
        }
        if !entry.escalated
            && let Some(escalate_at) = times.escalate_at
        {
            push(escalate_at, DueKind::Escalation);
        }
    }
    if let Some(reexamination) = &state.reexamination
        && !reexamination.settled
    {
        let times = reexamination.times;
        if !reexamination.warned
            && let Some(warn_at) = times.warn_at
        {
            due.push(Deadline {
                at: warn_at,
                kind: DueKind::ReexaminationWarning,
                deadline: "reexamination".to_string(),
                due_on: times.due_on,
            });
        }
        if !reexamination.fell_due {
            due.push(Deadline {
                at: times.due_at,
                kind: DueKind::Reexamination,
                deadline: "reexamination".to_string(),
                due_on: times.due_on,
            });
        }
    }
    due.sort_by_key(|due| due.at);
    due
}

/// The next date something is due on: the earliest due date (a local date in the definition's
/// zone) of the running deadlines not yet missed and of a re-examination not yet fallen due.
///
/// This is the date people are shown as "next deadline"; [`next_deadline`] may be a warning's
/// or an escalation's instant, which is when the scheduler must wake, not when anything is due.
pub fn next_due_on(state: &ProjectState) -> Option<NaiveDate> {
    pending(state)
        .into_iter()
        .filter(|due| matches!(due.kind, DueKind::Due | DueKind::Reexamination))
        .map(|due| due.due_on)
        .min()
}

/// The next instant at which `tick` will emit something, if any.
pub fn next_deadline(state: &ProjectState) -> Option<Deadline> {
    fn consider<'a>(
        earliest: &mut Option<(DateTime<Utc>, &'a str, DueKind, NaiveDate)>,
        at: DateTime<Utc>,
        id: &'a str,
        kind: DueKind,
        due_on: NaiveDate,
    ) {
        if earliest.is_none_or(|(current, ..)| at < current) {
            *earliest = Some((at, id, kind, due_on));
        }
    }
    let mut earliest: Option<(DateTime<Utc>, &str, DueKind, NaiveDate)> = None;
    for entry in &state.deadlines {
        if !entry.is_open() {
            continue;
        }
        let Some(times) = entry.times else { continue };
        if !entry.warned
            && let Some(warn_at) = times.warn_at
            && warn_at < times.due_at
        {
            consider(
                &mut earliest,
                warn_at,
                &entry.deadline,
                DueKind::Warning,
                times.due_on,
            );
        } else if !entry.missed {
            consider(
                &mut earliest,
                times.due_at,
                &entry.deadline,
                DueKind::Due,
                times.due_on,
            );
        } else if !entry.escalated
            && let Some(escalate_at) = times.escalate_at
        {
            consider(
                &mut earliest,
                escalate_at,
                &entry.deadline,
                DueKind::Escalation,
                times.due_on,
            );
        }
    }
    if let Some(reexamination) = &state.reexamination
        && !reexamination.settled
    {
        let times = reexamination.times;
        if !reexamination.warned
            && let Some(warn_at) = times.warn_at
        {
            consider(
                &mut earliest,
                warn_at,
                "reexamination",
                DueKind::ReexaminationWarning,
                times.due_on,
            );
        } else if !reexamination.fell_due {
            consider(
                &mut earliest,
                times.due_at,
                "reexamination",
                DueKind::Reexamination,
                times.due_on,
            );
        }
    }
    earliest.map(|(at, id, kind, due_on)| Deadline {
        at,
        kind,
        deadline: id.to_string(),
        due_on,
    })
}

/// What has fallen due by an instant, as [`fallen_due`] finds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FallenDue {
    /// The warnings, misses, escalations, freezes and re-examination events, in the order they
    /// fell due, each by the system at the instant it was noticed.
    pub events: Vec<Event>,
    /// Whether a re-examination fell due among them, so that its opening action is to be decided.
    pub reexamination_fell_due: bool,
}

/// Emits what has fallen due by `now`: warnings, misses, escalations, freezes and
/// re-examinations, each once, in the order they fell due.
///
/// This is the arithmetic half of `tick`; [`crate::decide::tick`] adds what the rules make follow.
pub fn fallen_due(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    now: DateTime<Utc>,
) -> FallenDue {
    // The common case, nothing due, must stay cheap: the scheduler calls this for every project it wakes for.
    match next_deadline(state) {
        Some(next) if next.at <= now => {}
        _ => return FallenDue::default(),
    }
    if definition
        .stage(state.stage())
        .is_none_or(|stage| stage.terminal)
    {
        return FallenDue::default();
    }
    let system = Actor::system();
    let mut events = Vec::new();
    let mut frozen = state.frozen.is_some();
    let mut reexamination_fell_due = false;
    for due in pending(state).into_iter().filter(|due| due.at <= now) {
        let body = match due.kind {
            DueKind::Warning => EventBody::DeadlineWarningGiven {
                deadline: due.deadline,
                due_on: due.due_on,
                fell_due_at: due.at,
            },
            DueKind::Due => EventBody::DeadlineMissed {
                deadline: due.deadline,
                due_on: due.due_on,
                fell_due_at: due.at,
            },
            DueKind::Escalation => {
                let freezes = definition
                    .deadline(&due.deadline)
                    .is_some_and(|rule| rule.freeze_on_escalation);
                events.push(Event {
                    occurred_at: now,
                    actor: system.clone(),
                    body: EventBody::ProjectEscalated {
                        deadline: due.deadline.clone(),
                        due_on: due.due_on,
                        fell_due_at: due.at,
                    },
                });
                if freezes && !frozen {
                    frozen = true;
                    EventBody::ProjectFrozen {
                        deadline: due.deadline,
                        fell_due_at: due.at,
                    }
                } else {
                    continue;
                }
            }
            DueKind::ReexaminationWarning => EventBody::ReexaminationWarningGiven {
                due_on: due.due_on,
                fell_due_at: due.at,
            },
            DueKind::Reexamination => {
                reexamination_fell_due = true;
                EventBody::ReexaminationFellDue {
                    due_on: due.due_on,
                    fell_due_at: due.at,
                }
            }
        };
        events.push(Event {
            occurred_at: now,
            actor: system.clone(),
            body,
        });
    }
    FallenDue {
        events,
        reexamination_fell_due,
    }
}
