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

/// Where the database is.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// The database URL: sqlite://FILE (the embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long = "database",
        env = "SPECFLOW_DATABASE_URL",
        default_value = "sqlite://specflow.db"
    )]
    pub url: String,
}

/// The top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum TopCommand {
    /// Apply the database migrations (also done when the service starts).
    Migrate {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Verify and export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
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

/// `specflow audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prove the hash chains: of one project, of the whole database, or of an exported file
    /// (offline, no database). Exit 1 and name the first bad record when a chain is broken.
    Verify {
        /// One project, by code or id (default: every project).
        #[arg(long)]
        project: Option<String>,
        /// Verify an exported JSON Lines file instead of the database.
        #[arg(long, conflicts_with = "project")]
        file: Option<PathBuf>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write the audit log as JSON Lines (docs/audit-format.md) to standard output.
    Export {
        /// One project, by code or id (default: every project).
        #[arg(long)]
        project: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
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
