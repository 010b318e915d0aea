//! The `specflow` command line.
//!
//! Parsing happens in two steps, as in ripgrep: clap turns arguments into [`cli::Cli`], and each
//! subcommand turns that into work. Only `main` decides the exit code: 0 for success, 1 for a
//! failure the user must act on (an invalid file, a rejected command), 2 for bad usage.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod workflow_files;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("specflow: {error:#}");
            ExitCode::FAILURE
        }
    }
}
