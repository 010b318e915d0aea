//! Scenarios: timestamped commands run through the engine in memory, with time driven by the timestamps.
//!
//! A secretariat checks a plan with a scenario, and the engine's lifecycle tests are written as
//! scenarios. The format is documented in `docs/scenarios.md`: TOML, one `[[step]]` per command,
//! each with `at` (RFC 3339 with its offset), `actor = { id, role }` and the command's fields.
//! Between steps the simulation behaves like the scheduler: every deadline that falls due is
//! ticked at the instant it falls due, so warnings and misses appear in the log in order.

use crate::audit::{AuditRecord, SealError, seal_all};
use crate::command::{Actor, Command};
use crate::deadline::next_deadline;
use crate::decide::{RefusedFollowUp, decide, decide_tick};
use crate::definition::WorkflowDefinition;
use crate::event::Event;
use crate::location::{Problem, SourceText};
use crate::rejection::Rejection;
use crate::state::ProjectState;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

/// One command of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The line of the `[[step]]` header, for messages.
    pub line: usize,
    /// When the command is given.
    pub at: DateTime<Utc>,
    /// Who gives it.
    pub actor: Actor,
    /// The command.
    pub command: Command,
}

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The project the scenario runs; a fixed id unless the file gives one.
    pub project_id: Uuid,
    /// The commands, in time order.
    pub steps: Vec<Step>,
    /// The instant the simulation runs the clock to after the last step, if later.
    pub end: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    project_id: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    #[serde(default)]
    step: Vec<Spanned<toml::Table>>,
}

/// The project id scenarios use unless they give one.
pub const DEFAULT_SCENARIO_PROJECT: Uuid =
    Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_0001);

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

/// Every string of a command's fields shaped like a date (`YYYY-MM-DD`, alone or starting an
/// instant) that names no day of the calendar: its field's path, its text, and why.
fn impossible_dates(table: &toml::Table, prefix: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) => {
                if let Some(why) = why_not_a_date(text) {
                    found.push((path, text.clone(), why));
                }
            }
            toml::Value::Table(inner) => found.extend(impossible_dates(inner, &path)),
            toml::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let path = format!("{path}[{index}]");
                    match item {
                        toml::Value::Table(inner) => found.extend(impossible_dates(inner, &path)),
                        toml::Value::String(text) => {
                            if let Some(why) = why_not_a_date(text) {
                                found.push((path, text.clone(), why));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Why text shaped like a date is not one (`None` when it is one, or is not shaped like one).
fn why_not_a_date(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(index, byte)| {
            if index == 4 || index == 7 {
                *byte == b'-'
            } else {
                byte.is_ascii_digit()
            }
        })
        && (bytes.len() == 10 || matches!(bytes[10], b'T' | b't' | b' '));
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let year_number = i32::try_from(year).ok()?;
    if chrono::NaiveDate::from_ymd_opt(year_number, month, day).is_some() {
        return None;
    }
    if !(1..=12).contains(&month) {
        return Some(format!("there is no month {month}; write YYYY-MM-DD"));
    }
    let days_in_month = (28..=31)
        .rev()
        .find(|last| chrono::NaiveDate::from_ymd_opt(year_number, month, *last).is_some())
        .unwrap_or(28);
    Some(format!(
        "{year}-{month:02} has {days_in_month} days, so there is no day {day}"
    ))
}

/// Where a string value's quoted text first appears at or after `from`, to point at its line.
fn value_offset(text: &str, from: usize, value: &str) -> Option<usize> {
    let rest = text.get(from..)?;
    ["\"", "'"]
        .iter()
        .filter_map(|quote| rest.find(&format!("{quote}{value}{quote}")))
        .min()
        .map(|found| from + found)
}

/// Parses a scenario, reporting every problem with its line; times that go backwards are refused.
pub fn parse_scenario(file_name: &str, text: &str) -> Result<Scenario, Vec<Problem>> {
    let source = SourceText::new(file_name, text);
    let raw: RawScenario =
        toml::from_str(text).map_err(|error| vec![source.toml_problem(&error)])?;
    let mut problems = Vec::new();
    let project_id = match &raw.project_id {
        None => DEFAULT_SCENARIO_PROJECT,
        Some(text) => Uuid::parse_str(text.get_ref()).unwrap_or_else(|_| {
            problems.push(source.problem_at(
                text.span(),
                format!("project_id '{}' is not a UUID", text.get_ref()),
            ));
            DEFAULT_SCENARIO_PROJECT
        }),
    };
    let end = raw.end.as_ref().and_then(|end| {
        let parsed = parse_instant(end.get_ref());
        if parsed.is_none() {
            problems.push(source.problem_at(
                end.span(),
                format!(
                    "end '{}' is not an RFC 3339 instant such as 2026-03-01T09:00:00+08:00",
                    end.get_ref()
                ),
            ));
        }
        parsed
    });
    let mut steps: Vec<Step> = Vec::new();
    for step in raw.step {
        let span = step.span();
        let (line, _) = source.line_and_column(span.start);
        let mut table = step.into_inner();
        let place = |message: String| source.problem_at(span.clone(), message);
        let at = match table.remove("at") {
            Some(toml::Value::String(text)) => match parse_instant(&text) {
                Some(at) => at,
                None if why_not_a_date(&text).is_some() => {
                    let why = why_not_a_date(&text).unwrap_or_default();
                    let offset = value_offset(source.text, span.start, &text).unwrap_or(span.start);
                    problems.push(source.problem_at(
                        offset..offset,
                        format!("step: 'at' = \"{text}\" is not a date: {why}"),
                    ));
                    continue;
                }
                None => {
                    problems.push(place(format!(
                        "step: 'at' = '{text}' is not an RFC 3339 instant such as 2026-03-01T09:00:00+08:00"
                    )));
                    continue;
                }
            },
            Some(_) => {
                problems.push(place("step: 'at' must be a quoted RFC 3339 instant, such as \"2026-03-01T09:00:00+08:00\"".to_string()));
                continue;
            }
            None => {
                problems.push(place(
                    "step: missing 'at', the instant of the command".to_string(),
                ));
                continue;
            }
        };
        let actor = match table.remove("actor").map(toml::Value::try_into::<Actor>) {
            Some(Ok(actor)) => actor,
            Some(Err(error)) => {
                problems.push(place(format!(
                    "step: 'actor' must be {{ id = \"…\", role = \"…\" }}: {}",
                    error.message()
                )));
                continue;
            }
            None => {
                problems.push(place(
                    "step: missing 'actor = { id = \"…\", role = \"…\" }'".to_string(),
                ));
                continue;
            }
        };
        let impossible_dates = impossible_dates(&table, "");
        let command = match toml::Value::Table(table).try_into::<Command>() {
            Ok(command) => command,
            // A date that does not exist (2026-02-30) is reported with its field and its own
            // line; the deserializer alone would only say "input is out of range".
            Err(_) if !impossible_dates.is_empty() => {
                for (field, value, why) in impossible_dates {
                    let offset =
                        value_offset(source.text, span.start, &value).unwrap_or(span.start);
                    problems.push(source.problem_at(
                        offset..offset,
                        format!("step: '{field}' = \"{value}\" is not a date: {why}"),
                    ));
                }
                continue;
            }
            Err(error) => {
                problems.push(place(format!(
                    "step: the command is not valid: {}",
                    error.message().trim()
                )));
                continue;
            }
        };
        if let Some(previous) = steps.last()
            && at < previous.at
        {
            problems.push(place(format!(
                "step at line {line}: time goes backwards ({} is before the previous step's {} at line {})",
                at.to_rfc3339(),
                previous.at.to_rfc3339(),
                previous.line
            )));
            continue;
        }
        steps.push(Step {
            line,
            at,
            actor,
            command,
        });
    }
    if let (Some(end), Some(last)) = (end, steps.last())
        && end < last.at
    {
        problems.push(source.problem_without_place(format!(
            "end {} is before the last step at line {}",
            end.to_rfc3339(),
            last.line
        )));
    }
    if problems.is_empty() {
        Ok(Scenario {
            project_id,
            steps,
            end,
        })
    } else {
        Err(problems)
    }
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Accepted: the records it produced.
    Accepted {
        /// The step.
        step: Step,
        /// The sequence numbers of its records, first and last.
        sequences: (u64, u64),
    },
    /// Refused, with every reason.
    Rejected {
        /// The step.
        step: Step,
        /// The reason given, in words, as the log records it.
        rejection: Rejection,
    },
}

/// The result of a simulation: the audit log, what happened to each step, and the final state.
#[derive(Debug, Clone)]
pub struct SimulationReport {
    /// The project.
    pub project_id: Uuid,
    /// Every record, in order.
    pub records: Vec<AuditRecord>,
    /// Every step's outcome, in order.
    pub outcomes: Vec<StepOutcome>,
    /// The state after the last step and the final clock run.
    pub state: ProjectState,
    /// What the clock's ticks gave on the system's behalf and the rules refused, each with the
    /// instant it was noticed (a re-examination that fell due while the project was frozen).
    pub refused_follow_ups: Vec<(DateTime<Utc>, RefusedFollowUp)>,
}

struct Log {
    project_id: Uuid,
    records: Vec<AuditRecord>,
    state: ProjectState,
    refused_follow_ups: Vec<(DateTime<Utc>, RefusedFollowUp)>,
}

impl Log {
    fn append(
        &mut self,
        events: Vec<Event>,
        command_id: Option<Uuid>,
    ) -> Result<(u64, u64), SealError> {
        let head = self.records.last().map(AuditRecord::head);
        let first = head.map_or(1, |head| head.next_sequence());
        let sealed = seal_all(self.project_id, head, command_id, &events)?;
        for event in events {
            self.state.apply_owned(event);
        }
        self.records.extend(sealed);
        Ok((
            first,
            self.records.last().map_or(0, |record| record.sequence),
        ))
    }

    /// Ticks at every instant something falls due, up to `until`, as the scheduler would.
    fn run_clock_to(
        &mut self,
        definition: &WorkflowDefinition,
        until: DateTime<Utc>,
    ) -> Result<(), SealError> {
        while let Some(next) = next_deadline(&self.state) {
            if next.at > until {
                break;
            }
            // A deadline can fall due in the past (a planned date already passed when a stage is
            // re-entered); it is noticed now, never before the last record, so time never runs backwards.
            let noticed_at = self
                .state
                .last_event_at
                .map_or(next.at, |last| last.max(next.at));
            let outcome = decide_tick(&self.state, definition, noticed_at);
            if let Some(refused) = outcome.refused {
                self.refused_follow_ups.push((noticed_at, refused));
            }
            let events = outcome.events;
            if events.is_empty() {
                // Nothing more can fire (the project ended between ticks): stop rather than spin.
                break;
            }
            self.append(events, None)?;
        }
        Ok(())
    }
}

/// The id a scenario's step gets as its command id: derived from the step's position, so runs repeat exactly.
fn step_command_id(index: usize) -> Uuid {
    Uuid::from_u128(0x5bec_f10e_c0de_4000_8000_0000_0000_0000 + index as u128)
}

/// Why a simulation stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// An event the engine decided could not be sealed into a record.
    #[error("the simulation stopped: {0}")]
    Seal(#[from] SealError),
}

/// Runs a scenario through the engine in memory.
pub fn simulate(
    definition: &WorkflowDefinition,
    scenario: &Scenario,
) -> Result<SimulationReport, SimulationError> {
    let mut log = Log {
        project_id: scenario.project_id,
        records: Vec::new(),
        state: ProjectState::new(),
        refused_follow_ups: Vec::new(),
    };
    let mut outcomes = Vec::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        log.run_clock_to(definition, step.at)?;
        match decide(&log.state, definition, &step.command, &step.actor, step.at) {
            Ok(events) => {
                let sequences = log.append(events, Some(step_command_id(index)))?;
                outcomes.push(StepOutcome::Accepted {
                    step: step.clone(),
                    sequences,
                });
            }
            Err(rejection) => outcomes.push(StepOutcome::Rejected {
                step: step.clone(),
                rejection,
            }),
        }
    }
    if let Some(end) = scenario.end {
        log.run_clock_to(definition, end)?;
    }
    Ok(SimulationReport {
        project_id: scenario.project_id,
        records: log.records,
        outcomes,
        state: log.state,
        refused_follow_ups: log.refused_follow_ups,
    })
}
