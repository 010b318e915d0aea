//! `decide`: all the rules. A command, an actor and an instant in; events or a rejection out.
//!
//! `decide` reads the state and the definition and never changes either; the caller appends the
//! events it returns and folds them with [`ProjectState::apply`]. It checks everything it can and
//! reports every reason at once: a wrong role and two missing artifacts come back together.
//!
//! [`decide`] itself only dispatches: it checks what must hold before any command on the project
//! is looked at (`preconditions`), then hands the command to the module of its family, each of
//! which holds that family's rules. [`decide_tick`] decides the passing of time through the same
//! path, so a rule the system breaks is refused and reported like anyone's.

mod actions;
mod artifacts;
mod consultation;
mod creation;
mod extensions;
mod meetings;
mod migration;
mod preconditions;
mod reasons;
mod register;
mod tick;
mod waivers;

pub use actions::{AvailableAction, available_actions};
pub use creation::is_published_stage;
pub use tick::{RefusedFollowUp, TickOutcome, decide_tick, tick};

use crate::command::{Actor, Command};
use crate::definition::WorkflowDefinition;
use crate::event::Event;
use crate::guard::Situation;
use crate::local_day::local_date;
use crate::rejection::Rejection;
use crate::state::ProjectState;
use chrono::{DateTime, Utc};

/// Decides a command: the events it causes, or every reason it is refused.
pub fn decide(
    state: &ProjectState,
    definition: &WorkflowDefinition,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Rejection> {
    match command {
        Command::CreateProject(project) => {
            return creation::decide_create(state, definition, project, actor, now);
        }
        Command::ImportProject(import) => {
            return creation::decide_import(state, definition, import, actor, now);
        }
        // Migration is decided against the new version, so it skips the check that the project
        // follows the definition given.
        Command::MigrateDefinition { to_version } => {
            return migration::decide_migration(state, definition, *to_version, actor, now);
        }
        _ => {}
    }
    if state.project.is_none() {
        return Err(reasons::project_not_created());
    }
    preconditions::check_project_takes_commands(state, definition, command, now)?;
    let situation = Situation {
        state,
        definition,
        actor,
        today: local_date(now, definition.local_utc_offset),
    };
    let body = match command {
        // Creation and migration were handled above; these arms only keep the match whole.
        Command::CreateProject(project) => {
            return creation::decide_create(state, definition, project, actor, now);
        }
        Command::ImportProject(import) => {
            return creation::decide_import(state, definition, import, actor, now);
        }
        Command::MigrateDefinition { to_version } => {
            return migration::decide_migration(state, definition, *to_version, actor, now);
        }
        Command::FireAction { action, reason } => {
            return actions::decide_fire_action(&situation, action, reason.as_deref(), now);
        }
        Command::Cancel { reason } => return actions::decide_cancel(&situation, reason, now),
        Command::AttachArtifact(artifact) => {
            artifacts::decide_attach_artifact(&situation, artifact)?
        }
        Command::RecordOrganisationsConsulted { organisations } => {
            consultation::decide_organisations_consulted(&situation, organisations)?
        }
        Command::RecordComment(comment) => {
            consultation::decide_record_comment(&situation, comment)?
        }
        Command::DisposeComment {
            comment_id,
            disposition,
            reason,
        } => consultation::decide_dispose_comment(
            &situation,
            comment_id,
            *disposition,
            reason.as_ref(),
        )?,
        Command::ScheduleMeeting(schedule) => {
            meetings::decide_schedule_meeting(&situation, schedule)?
        }
        Command::RecordMeeting(record) => meetings::decide_record_meeting(&situation, record)?,
        Command::SignOff { subject } => register::decide_sign_off(&situation, subject)?,
        Command::RecordField { field, value } => {
            register::decide_record_field(&situation, field, value)?
        }
        Command::RecordPublication(publication) => {
            register::decide_record_publication(&situation, publication)?
        }
        Command::FixPlan { due_dates } => register::decide_fix_plan(&situation, due_dates)?,
        Command::RecordWaiver(waiver) => waivers::decide_record_waiver(&situation, waiver)?,
        Command::RequestExtension {
            request_id,
            deadline,
            new_due_on,
            reason,
        } => extensions::decide_request_extension(
            &situation,
            extensions::ExtensionAsked {
                request_id,
                deadline,
                new_due_on: *new_due_on,
                reason,
            },
        )?,
        Command::GrantExtension { request_id, reason } => {
            extensions::decide_extension_decision(&situation, request_id, reason, true)?
        }
        Command::RefuseExtension { request_id, reason } => {
            extensions::decide_extension_decision(&situation, request_id, reason, false)?
        }
        Command::LiftFreeze { reason } => extensions::decide_lift_freeze(&situation, reason)?,
    };
    Ok(vec![reasons::event(now, actor, body)])
}
