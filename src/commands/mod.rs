//! The subcommands: each turns parsed arguments into work and says how it went.

mod audit;
mod client;
mod committee;
mod database;
mod demo;
mod export;
mod import;
mod listener;
mod log;
mod outbox;
mod principals;
mod report;
mod schedule;
mod search;
mod serve;
mod simulate;
mod todo;
mod token;
mod user;
mod witness;
mod work;
mod workflow;

use crate::cli::{Cli, TopCommand};
use std::process::ExitCode;

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        // Handled in `main`, which has the raw command line it needs.
        TopCommand::Config(_) => Ok(ExitCode::SUCCESS),
        TopCommand::Workflow(command) => workflow::run(command),
        TopCommand::Migrate { database } => database::migrate(&database),
        TopCommand::Audit(command) => audit::run(command),
        TopCommand::Serve {
            listen,
            workflows,
            no_scheduler,
            database,
            scheduler,
            server,
            uploads,
            log,
            mail,
        } => serve::run(serve::Serving {
            listen,
            workflows: workflows.as_deref(),
            with_scheduler: !no_scheduler,
            database: &database,
            scheduler: &scheduler,
            server: &server,
            uploads: &uploads,
            log: &log,
            mail: &mail,
        }),
        TopCommand::Demo {
            database,
            listen,
            workflows,
            reset,
            no_serve,
        } => demo::run(&database.url, listen, workflows.as_deref(), reset, no_serve),
        TopCommand::Project(command) => client::project(command),
        TopCommand::Committee(command) => committee::run(command),
        TopCommand::Advance {
            code,
            action,
            reason,
            expect,
            yes,
            client,
        } => client::advance(&client, &code, &action, reason, expect, yes),
        TopCommand::Work(command) => work::run(command),
        TopCommand::Overdue {
            committee,
            sort,
            csv,
            export,
            client,
        } => client::overdue(&client, committee, sort, csv, &export),
        TopCommand::History {
            code,
            as_of,
            sequence,
            export,
            client,
        } => client::history(&client, &code, (as_of, sequence), &export),
        TopCommand::Report(command) => report::run(command),
        TopCommand::Todo { client } => todo::run(&client),
        TopCommand::Search {
            text,
            limit,
            client,
        } => search::run(&text, limit, &client),
        TopCommand::Outbox(command) => outbox::run_outbox(command),
        TopCommand::Webhook(command) => outbox::run_webhook(command),
        TopCommand::Channel(command) => outbox::run_channel(command),
        TopCommand::Import {
            file,
            dry_run,
            template,
            definition,
            actor,
            workflows,
            language,
            database,
        } => import::run(import::Importing {
            file: file.as_deref(),
            dry_run,
            template: template.as_deref(),
            definition: &definition,
            actor: &actor,
            workflows: workflows.as_deref(),
            language: language.into(),
            database: &database,
        }),
        TopCommand::Token(command) => token::run(command),
        TopCommand::User(command) => user::run(command),
        TopCommand::Scheduler {
            database,
            scheduler,
            log,
            mail,
        } => schedule::run_scheduler(&database, &scheduler, &log, &mail),
        TopCommand::Log(command) => log::run(command),
        TopCommand::Witness(command) => witness::run(command),
        TopCommand::Deadlines {
            due_within,
            committee,
            limit,
            language,
            json,
            database,
        } => schedule::deadlines(
            &database,
            due_within,
            committee.as_deref(),
            limit,
            language.into(),
            json,
        ),
        TopCommand::Simulate {
            workflow,
            scenario,
            calendars,
            language,
            jsonl,
            allow_rejections,
        } => simulate::run(
            &workflow,
            &scenario,
            calendars.as_deref(),
            language.into(),
            simulate::Output {
                jsonl,
                allow_rejections,
            },
        ),
    }
}
