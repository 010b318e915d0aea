//! The subcommands: each turns parsed arguments into work and says how it went.

mod audit;
mod database;
mod simulate;
mod workflow;

use crate::cli::{Cli, TopCommand};
use std::process::ExitCode;

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        TopCommand::Workflow(command) => workflow::run(command),
        TopCommand::Migrate { database } => database::migrate(&database),
        TopCommand::Audit(command) => audit::run(command),
        TopCommand::Simulate {
            workflow,
            scenario,
            calendars,
            language,
            jsonl,
        } => simulate::run(
            &workflow,
            &scenario,
            calendars.as_deref(),
            language.into(),
            jsonl,
        ),
    }
}
