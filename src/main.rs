//! The `specflow` command line.
//!
//! Parsing happens in two steps, as in ripgrep: clap turns arguments into [`cli::Cli`], and each
//! subcommand turns that into work. Only `main` decides the exit code: 0 for success, 1 for a
//! failure the user must act on (an invalid file, a rejected command), 2 for bad usage.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod workflow_files;

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = cli::Cli::command();
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let config_path = config::locate(&arguments);
    let arguments = match &config_path {
        Some(path) => match config::apply(&command, arguments, path) {
            Ok((arguments, _)) => arguments,
            Err(error) => {
                eprintln!("specflow: {error}");
                return ExitCode::from(2);
            }
        },
        None => arguments,
    };
    let cli = cli::Cli::parse_from(arguments);
    if let cli::TopCommand::Config(cli::ConfigCommand::Show { subcommand }) = &cli.command {
        return match config::show(&command, subcommand, config_path.as_deref()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("specflow: {error:#}");
                ExitCode::from(2)
            }
        };
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("specflow: {error:#}");
            ExitCode::FAILURE
        }
    }
}
