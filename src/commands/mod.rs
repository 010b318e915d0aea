//! The subcommands: each turns parsed arguments into work and says how it went.

mod workflow;

use crate::cli::{Cli, TopCommand};
use std::process::ExitCode;

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        TopCommand::Workflow(command) => workflow::run(command),
    }
}
