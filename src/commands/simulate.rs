//! `specflow simulate WORKFLOW SCENARIO`: a scenario through the engine, in memory.

use crate::workflow_files::load_definition;
use specflow_engine::Language;
use specflow_engine::render::simulation_report;
use specflow_engine::scenario::{StepOutcome, parse_scenario, simulate};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// How the simulation reports.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// The audit records as JSON Lines instead of the report.
    pub jsonl: bool,
    /// Exit 0 even when a step was rejected.
    pub allow_rejections: bool,
}

/// Runs the simulation and prints its report; exit 1 when a file is invalid, and when the engine
/// rejected a step unless rejections are allowed (so a script or CI can rely on the status).
pub fn run(
    workflow: &Path,
    scenario_path: &Path,
    calendars: Option<&Path>,
    language: Language,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let definition = match load_definition(workflow, calendars) {
        Ok(definition) => definition,
        Err(problems) => {
            for problem in problems {
                eprintln!("{problem}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let text = std::fs::read_to_string(scenario_path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", scenario_path.display()))?;
    let scenario = match parse_scenario(&scenario_path.display().to_string(), &text) {
        Ok(scenario) => scenario,
        Err(problems) => {
            for problem in problems {
                eprintln!("{problem}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = simulate(&definition, &scenario)?;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    if output.jsonl {
        for record in &report.records {
            serde_json::to_writer(&mut stdout, record)?;
            writeln!(stdout)?;
        }
    } else {
        write!(
            stdout,
            "{}",
            simulation_report(&report, &definition, language)
        )?;
    }
    let rejected = report
        .outcomes
        .iter()
        .filter(|outcome| matches!(outcome, StepOutcome::Rejected { .. }))
        .count();
    if rejected == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{}",
        language.pick(
            format!("{rejected} 个步骤被驳回，原因见报告"),
            format!("{rejected} step(s) were rejected; see the report for the reasons"),
        )
    );
    Ok(if output.allow_rejections {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
