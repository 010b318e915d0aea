//! The command line's shape: every subcommand and flag, parsed by clap.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// specflow: the lifecycle of metrology technical specifications, from pre-research to re-examination.
#[derive(Debug, Parser)]
#[command(name = "specflow", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: TopCommand,
}

/// The top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum TopCommand {
    /// Check, show and draw workflow definitions.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Run a scenario (timestamped commands) through the engine in memory and print the audit
    /// log, the deadlines and the final state. Rejected commands are printed with their reasons.
    Simulate {
        /// The workflow definition file.
        workflow: PathBuf,
        /// The scenario file (see docs/scenarios.md).
        scenario: PathBuf,
        /// Where the working-day calendars are (default: `calendars/` beside the definition).
        #[arg(long)]
        calendars: Option<PathBuf>,
        /// The language of names and messages.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// Print the audit records as JSON Lines instead of the report.
        #[arg(long)]
        jsonl: bool,
    },
}

/// `specflow workflow ...`
#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Validate definition files; print every problem with its place and exit 1 if any.
    Validate {
        /// The definition files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the working-day calendars are (default: `calendars/` beside each definition).
        #[arg(long)]
        calendars: Option<PathBuf>,
    },
    /// Show a definition's stages and transitions as a readable table.
    Show {
        /// The definition file.
        file: PathBuf,
        /// Where the working-day calendars are (default: `calendars/` beside the definition).
        #[arg(long)]
        calendars: Option<PathBuf>,
    },
    /// Draw a definition as a state diagram.
    Diagram {
        /// The definition file.
        file: PathBuf,
        /// The diagram language.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
        /// The language of stage names and labels.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
    },
}

/// A diagram language.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiagramFormat {
    /// Mermaid `stateDiagram-v2`, for Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// A language for names and messages.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LanguageArg {
    /// Chinese.
    Zh,
    /// English.
    En,
}

impl From<LanguageArg> for specflow_engine::Language {
    fn from(language: LanguageArg) -> Self {
        match language {
            LanguageArg::Zh => specflow_engine::Language::Zh,
            LanguageArg::En => specflow_engine::Language::En,
        }
    }
}
