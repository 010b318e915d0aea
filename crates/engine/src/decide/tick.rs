//! `tick`: the passing of time, decided like any command.
//!
//! What falls due is arithmetic on the state ([`crate::deadline::fallen_due`]); what follows from
//! it by the rules is decided here, through [`decide`](super::decide), so that the system obeys
//! the same rules as a person would. When a re-examination falls due, its opening action is
//! fired on the system's behalf; if the rules refuse it (the project is frozen, or a guard of the
//! action fails), the refusal comes back in [`TickOutcome::refused`] instead of vanishing, and
//! the events that fell due are kept either way, as the scheduler has always recorded them.

use super::decide;
use crate::command::{Actor, Command};
use crate::deadline::fallen_due;
use crate::definition::WorkflowDefinition;
use crate::event::Event;
use crate::rejection::Rejection;
use crate::state::ProjectState;
use chrono::{DateTime, Utc};

/// Everything `tick` decided at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct TickOutcome {
    /// The events to record, in order: what fell due, then what the rules made follow.
    pub events: Vec<Event>,
    /// A command `tick` gave on the system's behalf that the rules refused, with every reason.
    ///
    /// It is not retried: the re-examination is recorded as fallen due, and a person fires its
    /// opening action once the reasons are dealt with.
    pub refused: Option<RefusedFollowUp>,
}

/// A command that followed from the passing of time and was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedFollowUp {
    /// The command, as the system gave it.
    pub command: Command,
    /// Every reason it was refused.
    pub rejection: Rejection,
}

/// Decides what the passing of time to `now` causes: the warnings, misses, escalations, freezes
/// and re-examinations that fell due, each once, in order, then the opening of a re-examination
/// that fell due, or the reasons it was refused.
pub fn decide_tick(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    now: DateTime<Utc>,
) -> TickOutcome {
    let fallen = fallen_due(state, definition, now);
    let mut outcome = TickOutcome {
        events: fallen.events,
        refused: None,
    };
    let Some(rule) = definition
        .reexamination
        .as_ref()
        .filter(|_| fallen.reexamination_fell_due)
    else {
        return outcome;
    };
    // The opening is decided against the state with what fell due already applied, as if the
    // system gave the command right after recording it.
    let mut after = state.clone();
    for event in &outcome.events {
        after.apply(event);
    }
    let command = Command::FireAction {
        action: rule.open_action.clone(),
        reason: None,
    };
    match decide(&after, definition, &command, &Actor::system(), now) {
        Ok(opened) => outcome.events.extend(opened),
        Err(rejection) => outcome.refused = Some(RefusedFollowUp { command, rejection }),
    }
    outcome
}

/// The events [`decide_tick`] decides, for callers that record them and need nothing else.
///
/// A refused follow-up is left out here; callers that must tell someone about it (the scheduler,
/// a simulation) call [`decide_tick`].
pub fn tick(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    now: DateTime<Utc>,
) -> Vec<Event> {
    decide_tick(state, definition, now).events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::NewProject;
    use crate::event::{DeadlineTimes, EventBody};
    use crate::text::LocalizedText;
    use chrono::{Days, NaiveDate};

    const METROLOGY_TOML: &str = include_str!("../../../../workflows/metrology-spec.toml");

    fn in_force_and_frozen(definition: &WorkflowDefinition, due_on: NaiveDate) -> ProjectState {
        let Some(due_at) = due_on
            .checked_add_days(Days::new(1))
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|midnight| midnight.and_utc())
        else {
            panic!("the due instant exists");
        };
        let project = NewProject {
            project_id: uuid::Uuid::from_u128(7),
            code: "JJF(沪)-2020-001".to_string(),
            title: LocalizedText::new("示例", "Example"),
            specification_kind: "calibration_specification".to_string(),
            committee: "TC-1".to_string(),
            drafting_unit: "Unit".to_string(),
            definition_id: definition.id.clone(),
            definition_version: definition.version,
            flags: Default::default(),
        };
        let bodies = [
            EventBody::ProjectCreated {
                project: Box::new(project),
                stage: definition.initial_stage.clone(),
                imported: None,
            },
            EventBody::ActionFired {
                action: "publish".to_string(),
                from: definition.initial_stage.clone(),
                to: "in_force".to_string(),
                reason: None,
                waived_guards: Vec::new(),
            },
            EventBody::ReexaminationScheduled {
                stage: "in_force".to_string(),
                counted_from: NaiveDate::MIN,
                times: DeadlineTimes {
                    due_on,
                    warn_at: None,
                    due_at,
                    escalate_at: None,
                },
            },
            EventBody::ProjectFrozen {
                deadline: "reexamination".to_string(),
                fell_due_at: due_at,
            },
        ];
        let mut state = ProjectState::new();
        for body in bodies {
            state.apply(&Event {
                occurred_at: due_at - chrono::Duration::days(30),
                actor: Actor::system(),
                body,
            });
        }
        state
    }

    // Regression: tick used to drop the refused opening of a re-examination without a word.
    #[test]
    fn a_refused_reexamination_opening_is_reported_and_what_fell_due_is_kept() {
        let definition = match WorkflowDefinition::from_toml("metrology-spec.toml", METROLOGY_TOML)
        {
            Ok(definition) => definition,
            Err(error) => panic!("the shipped definition loads: {error}"),
        };
        let Some(due_on) = NaiveDate::from_ymd_opt(2025, 6, 30) else {
            panic!("a real date");
        };
        let state = in_force_and_frozen(&definition, due_on);
        let now = state
            .last_event_at
            .map_or(DateTime::<Utc>::MIN_UTC, |last| {
                last + chrono::Duration::days(31)
            });
        let outcome = decide_tick(&state, &definition, now);
        assert_eq!(outcome.events.len(), 1, "{:?}", outcome.events);
        assert!(matches!(
            outcome.events[0].body,
            EventBody::ReexaminationFellDue { .. }
        ));
        let Some(refused) = outcome.refused else {
            panic!("the opening is refused while the project is frozen");
        };
        assert_eq!(
            refused.command,
            Command::FireAction {
                action: "open_reexamination".to_string(),
                reason: None,
            }
        );
        let codes: Vec<&str> = refused
            .rejection
            .reasons
            .iter()
            .map(|reason| reason.code.as_str())
            .collect();
        assert_eq!(codes, ["project_frozen"]);
        assert_eq!(tick(&state, &definition, now), outcome.events);
    }
}
