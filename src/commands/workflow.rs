//! `specflow workflow validate|show|diagram`.

use crate::cli::{DiagramFormat, WorkflowCommand};
use crate::workflow_files::load_definition;
use specflow_engine::render;
use std::io::Write;
use std::process::ExitCode;

/// Runs a `workflow` subcommand.
pub fn run(command: WorkflowCommand) -> anyhow::Result<ExitCode> {
    match command {
        WorkflowCommand::Validate { files, calendars } => {
            let mut failed = false;
            let stdout = std::io::stdout();
            let mut stdout = stdout.lock();
            for file in &files {
                match load_definition(file, calendars.as_deref()) {
                    Ok(definition) => {
                        writeln!(
                            stdout,
                            "ok: {} ({} v{}, {} stages, {} transitions)",
                            file.display(),
                            definition.id,
                            definition.version,
                            definition.stages.len(),
                            definition.transitions.len()
                        )?;
                    }
                    Err(problems) => {
                        failed = true;
                        for problem in problems {
                            eprintln!("{problem}");
                        }
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        WorkflowCommand::Show {
            file,
            calendars,
            language,
        } => match load_definition(&file, calendars.as_deref()) {
            Ok(definition) => {
                print!("{}", render::outline(&definition, language.into()));
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => report(problems),
        },
        WorkflowCommand::Diagram {
            file,
            format,
            language,
        } => {
            // A diagram needs no calendar: it draws the rules, it does not count days.
            let text = std::fs::read_to_string(&file)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
            match specflow_engine::WorkflowDefinition::from_toml(&file.display().to_string(), &text)
            {
                Ok(definition) => {
                    let diagram = match format {
                        DiagramFormat::Mermaid => render::mermaid(&definition, language.into()),
                        DiagramFormat::Dot => render::dot(&definition, language.into()),
                    };
                    print!("{diagram}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => report(error.problems),
            }
        }
    }
}

fn report(problems: Vec<specflow_engine::Problem>) -> anyhow::Result<ExitCode> {
    for problem in problems {
        eprintln!("{problem}");
    }
    Ok(ExitCode::FAILURE)
}
