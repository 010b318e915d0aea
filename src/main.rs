//! The `specflow` command line.
//!
//! Parsing happens in two steps, as in ripgrep: clap turns arguments into [`cli::Cli`], and each
//! subcommand turns that into work. Only `main` decides the exit code: 0 for success, 1 for a
//! failure the user must act on (an invalid file, a rejected command), 2 for bad usage.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod witness;
mod workflow_files;

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: a request builds and drops many small strings (a
/// project's state, its JSON), and glibc's allocator took 15 % of the server's time reading
/// projects under the API load bench (docs/performance.md, issue 19).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    end_quietly_on_a_closed_pipe();
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
        // A writer that reports the closed pipe as an error ends as quietly as `print!` does.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(BROKEN_PIPE_STATUS as u8),
        Err(error) => {
            eprintln!("specflow: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The exit status of a process that wrote to a closed pipe: 128 + SIGPIPE (13), as the shell
/// reports it for `yes | head`.
const BROKEN_PIPE_STATUS: i32 = 128 + 13;

/// Ends the program quietly when its output goes to a pipe that closed (`specflow … | head`).
///
/// Rust ignores SIGPIPE, so `print!` into a closed pipe panics with "failed printing to stdout".
/// Restoring the signal's default needs `unsafe` (which this crate forbids), so the panic hook
/// recognises that one panic and exits with the broken pipe's status and no message; every other
/// panic is reported as before.
fn end_quietly_on_a_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        report(info);
    }));
}

/// Whether an error comes from writing into a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
