//! The command line's shape: every subcommand and flag, parsed by clap.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// specflow: the lifecycle of metrology technical specifications, from pre-research to re-examination.
#[derive(Debug, Parser)]
#[command(name = "specflow", version, about, long_about = None)]
pub struct Cli {
    /// A configuration file (TOML; flags and SPECFLOW_* variables take precedence over it).
    #[arg(long, global = true, env = "SPECFLOW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Apply the database migrations (also done when the service starts).
    Migrate {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Verify and export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Serve specflow over HTTP (the API under /api/v1, /openapi.json, health, readiness and
    /// metrics), with the deadline scheduler and the webhook deliverer; migrates the database and
    /// registers the workflows on start, and stops gracefully on Ctrl-C or SIGTERM.
    Serve {
        /// The address to listen on.
        #[arg(long, env = "SPECFLOW_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The folder of workflow definitions (and `calendars/`, `committees/policy.toml`) to
        /// register on start; without it, `./workflows` when there is one, else the workflows
        /// built into specflow.
        #[arg(long, env = "SPECFLOW_WORKFLOWS")]
        workflows: Option<PathBuf>,
        /// Serve without the deadline scheduler (another node runs it).
        #[arg(long)]
        no_scheduler: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// How the scheduler runs.
        #[command(flatten)]
        scheduler: SchedulerArgs,
        /// What a client may hold of the server, and where metrics are served.
        #[command(flatten)]
        server: ServerArgs,
        /// How many uploads may run at once.
        #[command(flatten)]
        uploads: UploadArgs,
        /// The transparency log's key.
        #[command(flatten)]
        log: LogArgs,
        /// Where e-mail notifications go out.
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Make a demo database of realistic projects (through the real write path, with the
    /// scheduler firing their deadlines), print a token and an account for every role, and
    /// serve it. It is the default database every other command reads (sqlite://specflow.db),
    /// and a database with projects the demo did not make is never touched without --reset.
    Demo {
        /// The demo database (the shared default, so `deadlines`, `audit verify`, `token list`
        /// and the rest read it without --database).
        #[command(flatten)]
        database: DatabaseArgs,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The folder of workflow definitions (and `calendars/`, `committees/policy.toml`) to
        /// register; without it, `./workflows` when there is one, else the workflows built into
        /// specflow.
        #[arg(long, env = "SPECFLOW_WORKFLOWS")]
        workflows: Option<PathBuf>,
        /// Rebuild the database without asking when it already holds projects: a demo database
        /// is made again, and a database the demo did not make is deleted and replaced by the
        /// demo (SQLite files only).
        #[arg(long)]
        reset: bool,
        /// Make the database and the tokens, then stop instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Projects, through the HTTP API of a running service: list, show, create.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Committees as audited records, through the HTTP API: form, appoint, reappoint, resign,
    /// waive, terms, and the composition check, roll, history and verification.
    #[command(subcommand)]
    Committee(CommitteeCommand),
    /// Fire an action of a project through the HTTP API; a blocked action prints each unmet
    /// guard and exits 1. An action that changes the stage asks for confirmation on a terminal
    /// (without one, pass --yes).
    #[command(visible_alias = "fire")]
    Advance {
        /// The project's code or id.
        code: String,
        /// The action, such as propose or open_consultation.
        action: String,
        /// Why, where the transition asks for a reason.
        #[arg(long)]
        reason: Option<String>,
        /// Only if the project is still at this sequence (as `project show` printed it).
        #[arg(long, value_name = "SEQ")]
        expect: Option<u64>,
        /// Change the stage without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The work a stage needs, one command per form of the web pages: attach, comment,
    /// consulted, sign-off, meeting, extension, freeze, publication, plan, field, cancel.
    #[command(flatten)]
    Work(WorkCommand),
    /// The overdue board, through the HTTP API: longest overdue first unless `--sort` says
    /// otherwise.
    Overdue {
        /// Only this committee's projects.
        #[arg(long)]
        committee: Option<String>,
        /// The order: longest_overdue, recently_overdue or committee.
        #[arg(long, value_parser = ["longest_overdue", "recently_overdue", "committee"])]
        sort: Option<String>,
        /// Print the server's CSV instead of a table (as `--format csv`).
        #[arg(long, conflicts_with = "format")]
        csv: bool,
        /// The format, and the file a download goes to.
        #[command(flatten)]
        export: ExportArgs,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The token's to-do list through the HTTP API: actions it can fire now, deadlines within 30
    /// days earliest first, what blocks its projects, and for the bureau the extension requests
    /// waiting and the frozen projects.
    Todo {
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Find projects through the HTTP API: by a code or its beginning (parentheses of either
    /// width), a title in either language, a drafting unit, a specification number or a
    /// committee, Chinese substrings included; best first, within what the token may see.
    Search {
        /// What to look for.
        text: String,
        /// How many projects to list (1 to 50).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A project's audit records through the HTTP API, or its state as of an instant or a
    /// sequence.
    History {
        /// The project's code or id.
        code: String,
        /// The state as of this date (its end, in the project's zone: 2026-03-01) or instant
        /// (RFC 3339: 2026-03-01T09:00:00+08:00).
        #[arg(long, value_name = "DATE|INSTANT", conflicts_with = "sequence")]
        as_of: Option<String>,
        /// The state as of this record.
        #[arg(long, value_name = "N")]
        sequence: Option<u64>,
        /// The format of the records, and the file a download goes to.
        #[command(flatten)]
        export: ExportArgs,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Committee reports through the HTTP API: annual, end-of-term, and the bureau's across
    /// committees, as Markdown, HTML or JSON.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run the deadline scheduler and the webhook deliverer alone, without the HTTP service,
    /// until Ctrl-C or SIGTERM (several may run on one PostgreSQL database).
    Scheduler {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// How the scheduler runs.
        #[command(flatten)]
        scheduler: SchedulerArgs,
        /// The transparency log's key.
        #[command(flatten)]
        log: LogArgs,
        /// Where e-mail notifications go out.
        #[command(flatten)]
        mail: MailArgs,
    },
    /// The transparency log: its signing key and its latest checkpoint (docs/transparency.md).
    #[command(subcommand)]
    Log(LogCommand),
    /// An independent witness of a specflow log (C2SP tlog-witness): its key, and its server.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// The notification outbox: what was sent to whom, and what failed.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Where each audience's notifications are delivered (signed HTTP webhooks).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Each audience's channel: e-mail or a signed webhook; set, list, remove, and test (a test
    /// message sent now, with the receiver's answer).
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Import a bureau's existing projects with their history from a spreadsheet (XLSX or CSV):
    /// every row's problems are listed first (row, column, what is wrong) and nothing is written
    /// unless every row is clean; importing the same file again creates nothing. Opens the
    /// database, as `user` does, and records the import as the bureau (`--actor`).
    #[command(arg_required_else_help = true)]
    Import {
        /// The file to import (.xlsx or .csv).
        #[arg(required_unless_present = "template")]
        file: Option<PathBuf>,
        /// Only preview: list what would be created and every problem, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the template to fill in (XLSX) to this file instead of importing.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["file", "dry_run"])]
        template: Option<PathBuf>,
        /// The workflow definition the projects follow (its latest registered version).
        #[arg(long, default_value = "metrology-spec")]
        definition: String,
        /// Who the audit log names as having imported the projects (acting as the bureau).
        #[arg(long, default_value = "bureau-import")]
        actor: String,
        /// The folder of workflow definitions to register when `--definition` is not registered
        /// yet (a database no `specflow serve` has run on); without it, `./workflows` when there
        /// is one, else the workflows built into specflow.
        #[arg(long, env = "SPECFLOW_WORKFLOWS")]
        workflows: Option<PathBuf>,
        /// The language of the preview and its problems.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Bearer tokens for the HTTP API: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Accounts people sign in to the pages with (a name and a password): create, list,
    /// disable, reset-password, and each one's calendar feed (calendar).
    #[command(subcommand)]
    User(UserCommand),
    /// List the projects whose next deadline falls due soon (or has already passed unnoticed).
    Deadlines {
        /// How far ahead to look, in days, weeks or months as people write them: 30d, 2w, 1mo
        /// (a month counts 30 days).
        #[arg(long, default_value = "30d", value_parser = parse_horizon)]
        due_within: std::time::Duration,
        /// Only this committee's projects.
        #[arg(long)]
        committee: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// The language of stage and deadline names.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
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
        /// Exit 0 even when the engine rejected a step (a scenario that shows a refusal on
        /// purpose); without it a rejected step makes the exit status 1.
        #[arg(long)]
        allow_rejections: bool,
    },
}

/// `specflow report ...`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// A committee's annual work report (年度工作报告) for a calendar year.
    Annual {
        /// The committee, exactly as its tokens name it.
        #[arg(long)]
        committee: String,
        /// The year.
        #[arg(long)]
        year: i32,
        /// The format printed.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Md)]
        format: ReportFormatArg,
        /// The file the report is written to (`-` for standard output, which for xlsx must not be
        /// a terminal); without it, standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only this table of the report (with `--format csv` or `xlsx`), by its id such as
        /// `approved` or `overdue`; an id the report does not show is refused, naming those it does.
        #[arg(long, value_name = "ID")]
        table: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// A committee's end-of-term report (届末工作报告) over the term's days.
    Term {
        /// The committee, exactly as its tokens name it.
        #[arg(long)]
        committee: String,
        /// The term's first day, such as 2023-01-01.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// The term's last day (inclusive), such as 2026-12-31.
        #[arg(long, value_name = "DATE")]
        to: String,
        /// The format printed.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Md)]
        format: ReportFormatArg,
        /// The file the report is written to (`-` for standard output, which for xlsx must not be
        /// a terminal); without it, standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only this table of the report (with `--format csv` or `xlsx`), by its id such as
        /// `approved` or `overdue`; an id the report does not show is refused, naming those it does.
        #[arg(long, value_name = "ID")]
        table: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The bureau's report across every committee for a calendar year (supervisor, admin or
    /// auditor tokens).
    Bureau {
        /// The year.
        #[arg(long)]
        year: i32,
        /// The format printed.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Md)]
        format: ReportFormatArg,
        /// The file the report is written to (`-` for standard output, which for xlsx must not be
        /// a terminal); without it, standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only this table of the report (with `--format csv` or `xlsx`), by its id such as
        /// `approved` or `overdue`; an id the report does not show is refused, naming those it does.
        #[arg(long, value_name = "ID")]
        table: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// The format a report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormatArg {
    /// Markdown.
    Md,
    /// One self-contained HTML page with SVG charts.
    Html,
    /// The API's JSON, every figure with its projects and records.
    Json,
    /// The report's tables as CSV for Excel, one after another under their titles.
    Csv,
    /// The report's tables as an Excel workbook, a sheet each; needs `--output`.
    Xlsx,
}

/// How a list is given: printed as a table or JSON, or downloaded as CSV or an Excel workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    /// A table for people (the default).
    Table,
    /// The API's JSON, as `--json`.
    Json,
    /// CSV for Excel (a byte-order mark, headers in `--language`, local dates), to standard
    /// output or `--output`.
    Csv,
    /// An Excel workbook (dates as date cells, the header row frozen, filters on); needs
    /// `--output`.
    Xlsx,
}

/// The format of a list and where a download goes.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// table, json, csv or xlsx.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormatArg>,
    /// The file a CSV or a workbook is written to (`-` for standard output, which for xlsx must
    /// not be a terminal).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Which server the API commands talk to, as whom, and how they print.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The service's base URL.
    #[arg(long, env = "SPECFLOW_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The bearer token (see `specflow token create`).
    #[arg(long, env = "SPECFLOW_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The language of names and messages.
    #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
    pub language: LanguageArg,
    /// Print the API's JSON (JSON Lines for lists) instead of tables.
    #[arg(long)]
    pub json: bool,
}

// ---------------------------------------------------------------------------------------------
// The work a stage needs, through the HTTP API (src/commands/work.rs): one command for each form
// of the project page, each a command of the engine (docs/scenarios.md lists their fields).

/// A write to a project: the sequence it expects, and the server and token.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Only if the project is still at this sequence (as `project show` printed it).
    #[arg(long, value_name = "SEQ")]
    pub expect: Option<u64>,
    /// The server and the token.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// The commands that record the work of a stage.
#[derive(Debug, Subcommand)]
pub enum WorkCommand {
    /// Upload a file and attach it to a project as an artifact of a kind the definition names
    /// (a new version of a kind replaces the old one in the list, never in the history).
    Attach {
        /// The project's code or id.
        code: String,
        /// The file to upload.
        file: PathBuf,
        /// The kind of artifact, such as consultation_draft or minutes.
        #[arg(long)]
        kind: String,
        /// The file name recorded (default: the file's own name).
        #[arg(long)]
        file_name: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Comments received in consultation: add one, dispose of one, import a comment disposition
    /// table (意见汇总处理表, CSV or XLSX) all or none, list them.
    #[command(subcommand)]
    Comment(CommentCommand),
    /// Record organisations the consultation reached (names already recorded are ignored).
    Consulted {
        /// The project's code or id.
        code: String,
        /// The organisations.
        #[arg(required = true, value_name = "ORGANISATION")]
        organisations: Vec<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Sign something off in the token's role (completeness_check, review_draft_release…).
    SignOff {
        /// The project's code or id.
        code: String,
        /// What is signed off, as the definition names it.
        #[arg(long)]
        subject: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Meetings and votes by letter: schedule one, record one held with its votes.
    #[command(subcommand)]
    Meeting(MeetingCommand),
    /// Deadline extensions: request one, grant or refuse a request (the bureau).
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// The freeze of an overdue project: lift it (the bureau).
    #[command(subcommand)]
    Freeze(FreezeCommand),
    /// The publication: record its number and dates (the bureau).
    #[command(subcommand)]
    Publication(PublicationCommand),
    /// The plan issued at approval: fix the planned deadlines' dates (the bureau).
    #[command(subcommand)]
    Plan(PlanCommand),
    /// A field of the definition (such as implementation_transition_arrangement): record its value.
    #[command(subcommand)]
    Field(FieldCommand),
    /// Cancel a project, with a reason; asks for confirmation on a terminal (without one, pass
    /// --yes).
    Cancel {
        /// The project's code or id.
        code: String,
        /// Why, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// Cancel without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow comment ...`
#[derive(Debug, Subcommand)]
pub enum CommentCommand {
    /// Record one comment received.
    Add {
        /// The project's code or id.
        code: String,
        /// The organisation that sent it.
        #[arg(long)]
        organisation: String,
        /// The clause it is about.
        #[arg(long)]
        clause: Option<String>,
        /// What it says.
        #[arg(long)]
        text: String,
        /// Its id within the project (default: a fresh one, printed).
        #[arg(long)]
        id: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record (or change) a comment's disposition.
    Dispose {
        /// The project's code or id.
        code: String,
        /// The comment's id (as `comment list` prints it).
        comment_id: String,
        /// accepted, partly_accepted or not_accepted (or 采纳, 部分采纳, 不采纳).
        #[arg(long, value_parser = parse_disposition)]
        disposition: String,
        /// Why; required when not accepted.
        #[arg(long)]
        reason: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record every row of a comment disposition table (CSV or XLSX: organisation, clause,
    /// comment, disposition, reason) in one batch, all or none; a table with any problem prints
    /// every row's problem, records nothing and exits 1.
    Import {
        /// The project's code or id.
        code: String,
        /// The table.
        file: PathBuf,
        /// Only preview: print every row with its problems, record nothing.
        #[arg(long)]
        dry_run: bool,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// List a project's comments and their dispositions.
    List {
        /// The project's code or id.
        code: String,
        /// Only those without a disposition.
        #[arg(long)]
        undisposed: bool,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// A disposition as the engine names it, from its code or its Chinese name.
fn parse_disposition(value: &str) -> Result<String, String> {
    match value.trim() {
        "accepted" | "采纳" => Ok("accepted".to_string()),
        "partly_accepted" | "部分采纳" => Ok("partly_accepted".to_string()),
        "not_accepted" | "不采纳" | "未采纳" => Ok("not_accepted".to_string()),
        other => Err(format!(
            "{other} is not a disposition: accepted, partly_accepted or not_accepted (采纳, 部分采纳, 不采纳)"
        )),
    }
}

/// `specflow meeting ...`
#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Schedule a meeting (or a vote by letter) on a motion.
    Schedule {
        /// The project's code or id.
        code: String,
        /// The meeting's id within the project (default: a fresh one, printed).
        #[arg(long)]
        id: Option<String>,
        /// The motion, such as proposal_evaluation or review.
        #[arg(long)]
        motion: String,
        /// meeting, or letter for a vote by letter (函审).
        #[arg(long, default_value = "meeting", value_parser = ["meeting", "letter"])]
        form: String,
        /// The day it is held (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        on: String,
        /// The day the documents were sent to the members (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        documents_sent_on: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record a meeting held and its votes. The roll comes from the committee's record when it
    /// keeps one; otherwise pass --roll.
    Record {
        /// The project's code or id.
        code: String,
        /// The meeting's id (the scheduled one's, if it was scheduled).
        #[arg(long)]
        id: String,
        /// The motion, such as proposal_evaluation or review.
        #[arg(long)]
        motion: String,
        /// meeting, or letter for a vote by letter (函审).
        #[arg(long, default_value = "meeting", value_parser = ["meeting", "letter"])]
        form: String,
        /// The day it was held (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        held_on: String,
        /// The voting members on the roll, comma-separated (default: the committee's record).
        #[arg(long, value_delimiter = ',', value_name = "MEMBERS")]
        roll: Vec<String>,
        /// The voting members present, comma-separated (default: those who voted).
        #[arg(long, value_delimiter = ',', value_name = "MEMBERS")]
        present: Vec<String>,
        /// Members who voted in favour, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "MEMBERS")]
        in_favour: Vec<String>,
        /// Members who voted against, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "MEMBERS")]
        against: Vec<String>,
        /// Members who abstained, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "MEMBERS")]
        abstain: Vec<String>,
        /// A person present without a vote, as PERSON=CAPACITY (corresponding_member or
        /// invited_representative); repeat for each.
        #[arg(long, value_name = "PERSON=CAPACITY")]
        non_voting: Vec<String>,
        /// The SHA-256 of the minutes, attached before (`specflow attach … --kind minutes`).
        #[arg(long, value_name = "SHA256")]
        minutes: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow extension ...`
#[derive(Debug, Subcommand)]
pub enum ExtensionCommand {
    /// Ask for a running deadline to be extended.
    Request {
        /// The project's code or id.
        code: String,
        /// The deadline, such as drafting or overall.
        #[arg(long)]
        deadline: String,
        /// The date asked for (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        new_due_on: String,
        /// Why, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// The request's id within the project (default: a fresh one, printed).
        #[arg(long)]
        id: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Grant a pending request (the bureau).
    Grant {
        /// The project's code or id.
        code: String,
        /// The request's id.
        request_id: String,
        /// The grounds of the decision.
        #[arg(long)]
        reason: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Refuse a pending request (the bureau).
    Refuse {
        /// The project's code or id.
        code: String,
        /// The request's id.
        request_id: String,
        /// The grounds of the decision.
        #[arg(long)]
        reason: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow freeze ...`
#[derive(Debug, Subcommand)]
pub enum FreezeCommand {
    /// Lift the freeze of an overdue project.
    Lift {
        /// The project's code or id.
        code: String,
        /// Why, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow publication ...`
#[derive(Debug, Subcommand)]
pub enum PublicationCommand {
    /// Record the specification's number, publication date and effective date.
    Record {
        /// The project's code or id.
        code: String,
        /// The specification's number, such as "JJG(沪) 101-2026".
        #[arg(long)]
        number: String,
        /// The day it was published (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        published_on: String,
        /// The day it takes effect (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        effective_on: String,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow plan ...`
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Fix the dates by which planned deadlines fall due (never later than the definition's).
    Fix {
        /// The project's code or id.
        code: String,
        /// A planned deadline's date as DEADLINE=YYYY-MM-DD, such as drafting=2026-06-30; repeat
        /// for each.
        #[arg(long = "due", required = true, value_name = "DEADLINE=DATE")]
        due: Vec<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow field ...`
#[derive(Debug, Subcommand)]
pub enum FieldCommand {
    /// Record a field's value: text, a date or a project.
    #[command(group(clap::ArgGroup::new("value").required(true)))]
    Record {
        /// The project's code or id.
        code: String,
        /// The field, as the definition names it.
        field: String,
        /// A text value.
        #[arg(long, group = "value")]
        text: Option<String>,
        /// A date value (YYYY-MM-DD).
        #[arg(long, group = "value", value_name = "DATE")]
        date: Option<String>,
        /// A project value (its id).
        #[arg(long, group = "value", value_name = "ID")]
        project: Option<String>,
        /// The sequence expected, the server and the token.
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `specflow project ...`
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// List the projects the token may see, by code.
    List {
        /// Only this committee's projects.
        #[arg(long)]
        committee: Option<String>,
        /// Only projects in this stage.
        #[arg(long)]
        stage: Option<String>,
        /// Only overdue projects.
        #[arg(long)]
        overdue: bool,
        /// Only projects given this flag at creation, such as legal_or_livelihood_metrology.
        #[arg(long)]
        flag: Option<String>,
        /// The format, and the file a download goes to.
        #[command(flatten)]
        export: ExportArgs,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show a project: its stage, deadlines and the actions open to the token, with what blocks
    /// each.
    Show {
        /// The project's code or id.
        code: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Create a project (in pre-research).
    Create {
        /// Its code, such as JJF(沪)-2026-007.
        #[arg(long)]
        code: String,
        /// Its Chinese title.
        #[arg(long)]
        title_zh: String,
        /// Its English title.
        #[arg(long)]
        title_en: String,
        /// The kind of specification, such as verification_regulation.
        #[arg(long)]
        kind: String,
        /// The committee, exactly as its tokens name it.
        #[arg(long)]
        committee: String,
        /// The drafting unit.
        #[arg(long)]
        drafting_unit: String,
        /// The workflow definition.
        #[arg(long, default_value = "metrology-spec")]
        definition: String,
        /// A flag the project is given, one of the definition's project flags (repeatable), such
        /// as legal_or_livelihood_metrology: tied to legal or livelihood metrology, so it must
        /// finish promotion before its effective date whatever its kind.
        #[arg(long = "flag", value_name = "FLAG")]
        flags: Vec<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// Who is appointed, for `specflow committee appoint|reappoint`.
#[derive(Debug, Clone, clap::Args)]
pub struct MemberArgs {
    /// The person.
    #[arg(long)]
    pub person: String,
    /// Their organisation.
    #[arg(long)]
    pub organisation: String,
    /// Their professional title level: none, junior, intermediate, associate_senior or senior.
    #[arg(long)]
    pub title_level: String,
    /// They are administrative staff.
    #[arg(long)]
    pub administrative: bool,
    /// They are a metrology professional.
    #[arg(long)]
    pub metrology_professional: bool,
    /// Their role: chair, vice_chair, secretary_general, member or corresponding_member.
    #[arg(long, default_value = "member")]
    pub role: String,
    /// The term; the current one when absent.
    #[arg(long)]
    pub term: Option<u32>,
    /// The first local day in office (YYYY-MM-DD).
    #[arg(long)]
    pub effective_on: String,
}

/// `specflow committee ...`
#[derive(Debug, Subcommand)]
pub enum CommitteeCommand {
    /// List the committees the token may see.
    List {
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Form a committee (the bureau).
    Form {
        /// Its code, as projects and tokens name it.
        #[arg(long)]
        code: String,
        /// Its Chinese name.
        #[arg(long)]
        name_zh: String,
        /// Its English name.
        #[arg(long)]
        name_en: String,
        /// Its field.
        #[arg(long)]
        field: String,
        /// It is the legal-metrology committee.
        #[arg(long)]
        legal_metrology: bool,
        /// The composition plan reported to the bureau (its reference).
        #[arg(long)]
        composition_plan: String,
        /// The local day it was formed (YYYY-MM-DD).
        #[arg(long)]
        formed_on: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Appoint a person (the bureau); a rule broken without a waiver prints the rule and exits 1.
    Appoint {
        /// The committee's code or id.
        committee: String,
        /// Who.
        #[command(flatten)]
        member: MemberArgs,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Reappoint a person who served in an earlier term (the bureau).
    Reappoint {
        /// The committee's code or id.
        committee: String,
        /// Who.
        #[command(flatten)]
        member: MemberArgs,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Record a resignation (the bureau).
    Resign {
        /// The committee's code or id.
        committee: String,
        /// Who.
        #[arg(long)]
        person: String,
        /// The first local day no longer in office (YYYY-MM-DD).
        #[arg(long)]
        effective_on: String,
        /// The reason given, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Record the bureau's waiver of a composition rule.
    Waive {
        /// The committee's code or id.
        committee: String,
        /// The rule's code, such as max_per_organisation.
        #[arg(long)]
        rule: String,
        /// The person or organisation it covers; the whole committee when absent.
        #[arg(long)]
        subject: Option<String>,
        /// How far it relaxes a rule that sets a most: the count it allows, such as 22 members
        /// where the rule allows 20 (required for such rules; a breach beyond needs a further waiver).
        #[arg(long, value_name = "COUNT")]
        up_to: Option<u32>,
        /// The reason given, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// Who grants it (the bureau's decision and its number).
        #[arg(long)]
        authority: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Name the organisation that holds the secretariat (the bureau).
    Secretariat {
        /// The committee's code or id.
        committee: String,
        /// The organisation.
        #[arg(long)]
        organisation: String,
        /// From which local day (YYYY-MM-DD).
        #[arg(long)]
        since: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Start the next term (the bureau or the committee's secretariat).
    StartTerm {
        /// The committee's code or id.
        committee: String,
        /// Its first local day (YYYY-MM-DD).
        #[arg(long)]
        starts_on: String,
        /// Its last local day; by the policy's term length when absent.
        #[arg(long)]
        ends_on: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// End the current term before its planned last day.
    EndTerm {
        /// The committee's code or id.
        committee: String,
        /// Its last local day (YYYY-MM-DD).
        #[arg(long)]
        ended_on: String,
        /// The reason given, in words, as the log records it.
        #[arg(long)]
        reason: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Check the composition against every rule: every breach and every waiver.
    Check {
        /// The committee's code or id.
        committee: String,
        /// As the log stood at this instant (RFC 3339); now when absent.
        #[arg(long, value_name = "INSTANT")]
        as_of: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show the committee's state as of an instant.
    Show {
        /// The committee's code or id.
        committee: String,
        /// As the log stood at this instant (RFC 3339); now when absent.
        #[arg(long, value_name = "INSTANT")]
        as_of: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The roll of a meeting held on a day: everyone in office, and who votes.
    Roll {
        /// The committee's code or id.
        committee: String,
        /// The local day (YYYY-MM-DD); today when absent.
        #[arg(long)]
        on: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The committee's audit records.
    History {
        /// The committee's code or id.
        committee: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Verify the committee's hash chain.
    Verify {
        /// The committee's code or id.
        committee: String,
        /// The server and the token.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// How the deadline scheduler runs.
#[derive(Debug, Clone, clap::Args)]
pub struct SchedulerArgs {
    /// How many due projects one claim takes at most.
    #[arg(long, env = "SPECFLOW_SCHEDULER_BATCH_SIZE", default_value_t = 500)]
    pub scheduler_batch_size: usize,
    /// How long a claim holds a project against other nodes (e.g. 60s).
    #[arg(long, env = "SPECFLOW_SCHEDULER_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub scheduler_lease: std::time::Duration,
    /// The longest the scheduler sleeps without looking at the database (e.g. 60s).
    #[arg(long, env = "SPECFLOW_SCHEDULER_RESCAN", default_value = "60s", value_parser = humantime::parse_duration)]
    pub scheduler_rescan: std::time::Duration,
    /// This node's name in logs (default: the host name and process id).
    #[arg(long, env = "SPECFLOW_NODE_NAME")]
    pub node_name: Option<String>,
    /// The local time daily digests go out on working days, as HH:MM.
    #[arg(long, env = "SPECFLOW_DIGEST_AT", default_value = "08:30", value_parser = parse_time_of_day)]
    pub digest_at: chrono::NaiveTime,
    /// The offset from UTC of the digests' local time, such as +08:00 (Asia/Shanghai).
    #[arg(long, env = "SPECFLOW_DIGEST_UTC_OFFSET", default_value = "+08:00", value_parser = parse_utc_offset)]
    pub digest_utc_offset: chrono::FixedOffset,
}

/// A time of day typed as HH:MM.
fn parse_time_of_day(text: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("`{text}` is not a time of day as HH:MM, such as 08:30"))
}

/// An offset from UTC typed as +HH:MM or -HH:MM.
fn parse_utc_offset(text: &str) -> Result<chrono::FixedOffset, String> {
    text.parse::<chrono::FixedOffset>()
        .map_err(|_| format!("`{text}` is not an offset from UTC such as +08:00"))
}

/// The transparency log's signing key, for the processes that write records and sequence them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// The log's private key file (`specflow log key generate` writes one). With it, every
    /// record written is authenticated and checkpoints are signed; without it, none are.
    #[arg(long, env = "SPECFLOW_LOG_KEY", value_name = "FILE")]
    pub log_key: Option<PathBuf>,
    /// A witness each checkpoint is sent to, as URL=VERIFIER_KEY (the witness's address and the
    /// key `specflow witness key generate` printed); repeat for several.
    #[arg(
        long = "witness",
        env = "SPECFLOW_WITNESSES",
        value_name = "URL=VERIFIER_KEY",
        value_delimiter = ','
    )]
    pub witnesses: Vec<String>,
}

/// `specflow log ...`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// The log's signing key.
    #[command(subcommand)]
    Key(LogKeyCommand),
    /// Print the latest checkpoint, signed by the log and cosigned by the witnesses that
    /// answered, as a signed note (keep a copy outside the database to check it against later).
    Checkpoint {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `specflow log key ...`
#[derive(Debug, Subcommand)]
pub enum LogKeyCommand {
    /// Make a new Ed25519 key: the private key goes to FILE (mode 0600, never overwritten),
    /// the verifier key (safe to publish) to standard output.
    Generate {
        /// The log's name, its checkpoints' origin line, such as specflow.sh-metrology/log.
        #[arg(long)]
        name: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the verifier key of a private key file (to give witnesses and auditors again).
    Verifier {
        /// The private key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

/// `specflow witness ...`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// The witness's cosigning key.
    #[command(subcommand)]
    Key(WitnessKeyCommand),
    /// Serve POST /add-checkpoint: cosign each checkpoint of a known log that extends the last
    /// one cosigned (proved by its consistency proof), and refuse rollbacks and forks.
    Serve {
        /// The witness's private key file (`specflow witness key generate` writes one).
        #[arg(long, env = "SPECFLOW_WITNESS_KEY", value_name = "FILE")]
        key: PathBuf,
        /// The verifier key of a log to witness (`specflow log key generate` printed it); its
        /// name is the log's origin. Repeat for several logs, or several keys of one log.
        #[arg(long = "log", value_name = "VERIFIER_KEY", required = true)]
        logs: Vec<String>,
        /// The directory of the witness's state, one file per log (made when missing).
        #[arg(long, env = "SPECFLOW_WITNESS_STATE", value_name = "DIR")]
        state: PathBuf,
        /// The address to listen on.
        #[arg(
            long,
            env = "SPECFLOW_WITNESS_LISTEN",
            default_value = "127.0.0.1:7380"
        )]
        listen: std::net::SocketAddr,
    },
}

/// `specflow witness key ...`
#[derive(Debug, Subcommand)]
pub enum WitnessKeyCommand {
    /// Make a new Ed25519 cosigning key: the private key goes to FILE (mode 0600, never
    /// overwritten), the verifier key (to give to the logs' operators) to standard output.
    Generate {
        /// The witness's name, such as witness.nim.example/w1.
        #[arg(long)]
        name: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// What one client may hold of `specflow serve`, and where its metrics are served.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// How long a request's line and headers may take to arrive, counted from when the
    /// connection waits for them (e.g. 10s).
    #[arg(long, env = "SPECFLOW_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: std::time::Duration,
    /// How long a kept-alive connection may stay open with no request in flight and nothing
    /// sent either way (e.g. 5s); the header-read timeout closes it no later in any case.
    #[arg(long, env = "SPECFLOW_KEEP_ALIVE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub keep_alive_timeout: std::time::Duration,
    /// How long a request's body may go without a byte arriving (e.g. 30s).
    #[arg(long, env = "SPECFLOW_BODY_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub body_read_timeout: std::time::Duration,
    /// How long a request may take in all before it is answered 503 (e.g. 60s).
    #[arg(long, env = "SPECFLOW_REQUEST_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// How many connections are served at once; more wait to be accepted.
    #[arg(long, env = "SPECFLOW_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Where `/metrics` is served, apart from the API [default: 127.0.0.1:9464, skipped with a
    /// warning when taken]; `off` serves no metrics.
    #[arg(long, env = "SPECFLOW_METRICS_LISTEN", value_parser = parse_metrics_listen)]
    pub metrics_listen: Option<MetricsListen>,
}

impl Default for ServerArgs {
    fn default() -> ServerArgs {
        ServerArgs {
            header_read_timeout: std::time::Duration::from_secs(10),
            keep_alive_timeout: std::time::Duration::from_secs(5),
            body_read_timeout: std::time::Duration::from_secs(30),
            request_timeout: std::time::Duration::from_secs(60),
            max_connections: 1024,
            metrics_listen: None,
        }
    }
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    /// On this address.
    On(std::net::SocketAddr),
    /// Nowhere.
    Off,
}

fn parse_metrics_listen(text: &str) -> Result<MetricsListen, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(MetricsListen::Off);
    }
    text.parse()
        .map(MetricsListen::On)
        .map_err(|error| format!("{error}: an address such as 127.0.0.1:9464, or off"))
}

/// How many uploads the server takes at once; beyond either limit an upload is answered 429
/// with `Retry-After` before its body is read. Each running upload spools to a temporary file
/// and, while its content is copied, holds the database's writer.
#[derive(Debug, Clone, clap::Args)]
pub struct UploadArgs {
    /// Uploads running at once, everyone's together.
    #[arg(long, env = "SPECFLOW_MAX_CONCURRENT_UPLOADS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_uploads: u16,
    /// Uploads running at once for one caller (a token or an account).
    #[arg(long, env = "SPECFLOW_MAX_CONCURRENT_UPLOADS_PER_CALLER", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_uploads_per_caller: u16,
}

/// `specflow config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting of a subcommand (`serve` by default), its value and where it came
    /// from (flag, environment, configuration file or default), with passwords masked.
    Show {
        /// The subcommand, such as `serve` or `scheduler`.
        subcommand: Vec<String>,
    },
}

/// `specflow outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List notifications, newest last, with their delivery state.
    List {
        /// Only those pending, delivered or dead.
        #[arg(long)]
        status: Option<String>,
        /// Only those about this project (code or id).
        #[arg(long)]
        project: Option<String>,
        /// Only those for this audience (a role such as supervisor or secretariat).
        #[arg(long)]
        audience: Option<String>,
        /// Start after this cursor (printed at the end of a full page).
        #[arg(long)]
        after: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Queue dead notifications for delivery again.
    Retry {
        /// The notifications' ids.
        ids: Vec<String>,
        /// Every dead notification.
        #[arg(long, conflicts_with = "ids")]
        all_dead: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `specflow webhook ...`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Deliver an audience's notifications to URL, signed with SECRET (replaces any earlier one).
    Set {
        /// The audience: a role of the workflow definitions, such as supervisor or secretariat.
        audience: String,
        /// The receiver: an http or https URL.
        #[arg(value_name = "URL")]
        receiver: String,
        /// The signing secret (see docs/webhooks.md).
        #[arg(long, env = "SPECFLOW_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        /// Attempts before a notification is dead-lettered.
        #[arg(long, default_value_t = 8)]
        max_attempts: u32,
        /// How long one attempt may take, such as 10s.
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the webhooks (secrets masked).
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Stop delivering an audience's notifications (they wait in the outbox).
    Remove {
        /// The audience.
        audience: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// How an audience's notifications are sent.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChannelKindArg {
    /// A signed HTTP POST of the notification's JSON (docs/webhooks.md).
    Webhook,
    /// An e-mail to each address, through the server's SMTP settings (--smtp-url).
    Email,
    /// A WeCom group robot (企业微信群机器人): its webhook URL, with its key.
    Wecom,
    /// A DingTalk custom robot (钉钉自定义机器人): its webhook URL, and its SEC… secret if signed.
    Dingtalk,
    /// A Feishu custom robot (飞书自定义机器人): its webhook URL, and its secret if signed.
    Feishu,
}

impl From<ChannelKindArg> for specflow_store::outbox::ChannelKind {
    fn from(kind: ChannelKindArg) -> Self {
        match kind {
            ChannelKindArg::Webhook => specflow_store::outbox::ChannelKind::Webhook,
            ChannelKindArg::Email => specflow_store::outbox::ChannelKind::Email,
            ChannelKindArg::Wecom => specflow_store::outbox::ChannelKind::Wecom,
            ChannelKindArg::Dingtalk => specflow_store::outbox::ChannelKind::Dingtalk,
            ChannelKindArg::Feishu => specflow_store::outbox::ChannelKind::Feishu,
        }
    }
}

/// `specflow channel ...`
#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Send an audience's notifications by e-mail or to a signed webhook (replaces any earlier
    /// channel of the audience).
    Set {
        /// The audience: a role of the workflow definitions, such as supervisor or secretariat;
        /// with --person, an account's name.
        audience: String,
        /// How they are sent (a person's own channel is always e-mail).
        #[arg(long, value_enum, required_unless_present = "person")]
        kind: Option<ChannelKindArg>,
        /// Set a person's own e-mail: AUDIENCE names their account, and a message with a link
        /// that proves the address is sent to it; nothing else is sent there until it is opened.
        #[arg(long)]
        person: bool,
        /// With --person: the kinds of event they want e-mail about, separated by commas (such
        /// as deadline_missed,extension_granted); `channel list` shows the kinds.
        #[arg(long, value_delimiter = ',', requires = "person")]
        events: Vec<String>,
        /// With --person: they want the daily digest.
        #[arg(long, requires = "person")]
        digest: bool,
        /// For e-mail, the addresses, separated by commas; for a webhook or a robot, its http or
        /// https URL.
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// A webhook's signing secret (see docs/webhooks.md), or a DingTalk or Feishu robot's;
        /// e-mail and WeCom take none.
        #[arg(
            long,
            env = "SPECFLOW_WEBHOOK_SECRET",
            hide_env_values = true,
            default_value = ""
        )]
        secret: String,
        /// The language of the words sent.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// Attempts before a notification is dead-lettered.
        #[arg(long, default_value_t = 8)]
        max_attempts: u32,
        /// How long one attempt may take, such as 10s.
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the channels (secrets masked).
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Stop delivering an audience's notifications (they wait in the outbox), or with --person a
    /// person's own e-mail.
    Remove {
        /// The audience; with --person, an account's name.
        audience: String,
        /// Remove a person's own address.
        #[arg(long)]
        person: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Send a test message to an audience's channel now and report the receiver's answer; exit
    /// 1 when it was not accepted. Nothing is written to the outbox.
    Test {
        /// The audience; with --person, an account's name (its confirmed address).
        audience: String,
        /// Test a person's own e-mail.
        #[arg(long)]
        person: bool,
        /// Where e-mail goes out (as `specflow serve` would send it).
        #[command(flatten)]
        mail: MailArgs,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Where e-mail notifications go out, for the processes that deliver them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MailArgs {
    /// The SMTP server, as a URL: smtps://user:password@host:465 (implicit TLS),
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtp://host:25 (a local relay,
    /// unencrypted). Without it, e-mail channels' notifications wait, failing, until it is set.
    #[arg(long, env = "SPECFLOW_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of e-mail notifications.
    #[arg(
        long,
        env = "SPECFLOW_MAIL_FROM",
        default_value = "specflow <specflow@localhost>"
    )]
    pub mail_from: String,
    /// The address people reach the pages at, such as https://specflow.example.org: links in
    /// e-mail lead there.
    #[arg(long, env = "SPECFLOW_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A certificate authority (a PEM file) to trust for the SMTP server's certificate besides
    /// the system's, such as an organisation's own.
    #[arg(long, env = "SPECFLOW_SMTP_CA", value_name = "FILE")]
    pub smtp_ca: Option<PathBuf>,
}

impl MailArgs {
    /// The deliverer's e-mail settings, when an SMTP server is named.
    pub fn settings(&self) -> Option<specflow_jobs::delivery::email::EmailSettings> {
        self.smtp_url
            .as_ref()
            .map(|smtp_url| specflow_jobs::delivery::email::EmailSettings {
                smtp_url: smtp_url.clone(),
                from: self.mail_from.clone(),
                public_url: self.public_url.clone(),
                ca_file: self.smtp_ca.clone(),
            })
    }
}

/// `specflow token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once: specflow keeps only its SHA-256, so it cannot be shown
    /// again.
    Create {
        /// The token's name: the subject recorded in every audit record it causes, such as
        /// sec-wang (never reused, even after a revocation).
        #[arg(long)]
        name: String,
        /// What it may do: admin, supervisor, secretariat, chair, member, drafter or auditor.
        #[arg(long)]
        role: specflow_store::Role,
        /// The committee, exactly as its projects name it (secretariat, chair and member only).
        #[arg(long)]
        committee: Option<String>,
        /// The project, by code or id (drafter only).
        #[arg(long)]
        project: Option<String>,
        /// How long the token is valid, such as 90d (default: until revoked).
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<std::time::Duration>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List every token, revoked and expired ones too (never a secret).
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token: a running server refuses it within a second. Its name is not given out again.
    Revoke {
        /// The token's name or id.
        #[arg(value_name = "NAME")]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `specflow user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account: asks for the password twice on a terminal (or reads it from standard
    /// input with --password-stdin); specflow keeps only its Argon2id hash.
    Create {
        /// The person's name: the subject recorded in every audit record they cause, such as
        /// wang.li (never reused, even after the account is disabled, nor shared with a token).
        #[arg(long)]
        name: String,
        /// What they may do: admin, supervisor, secretariat, chair, member, drafter or auditor.
        #[arg(long)]
        role: specflow_store::Role,
        /// The committee, exactly as its projects name it (secretariat, chair and member only).
        #[arg(long)]
        committee: Option<String>,
        /// The project, by code or id (drafter only).
        #[arg(long)]
        project: Option<String>,
        /// Read the password from standard input (its first line) instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List every account, disabled ones too (never a password or its hash).
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The language of the table.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Disable an account and end its sessions on every node at once. Its name is not given
    /// out again.
    Disable {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Make a new address for an account's calendar feed (printed once; the old address stops
    /// working), or stop the feed with --stop.
    Calendar {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Stop the feed instead: its address stops working.
        #[arg(long)]
        stop: bool,
        /// The address people reach specflow at, which the feed's address starts with.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set a new password for an account (asked twice, or read with --password-stdin) and end
    /// its sessions; its failed sign-ins are forgotten.
    ResetPassword {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Read the password from standard input (its first line) instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `specflow audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prove the hash chains: of one project, of every project and committee in the database,
    /// or of an exported file (offline, no database). Each broken chain is named at its first bad
    /// record and the others are still proved; exit 1 when any chain is broken.
    Verify {
        /// One project, by code or id (default: every project and every committee).
        #[arg(long)]
        project: Option<String>,
        /// Verify an exported JSON Lines file instead of the database (offline; with
        /// --checkpoint, its transparency log lines are checked against the checkpoint too).
        #[arg(long, conflicts_with = "project")]
        file: Option<PathBuf>,
        /// Also check the database, or the exported file, against a checkpoint kept outside it
        /// (`specflow log checkpoint` printed it, or `GET /log/checkpoint` served it): its
        /// signatures, that the records rebuild its tree, and that what came after extends it.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "project",
            requires = "log_verifier"
        )]
        checkpoint: Option<PathBuf>,
        /// The log's verifier key (as `specflow log key generate` printed it), or a file holding
        /// it: the key the checkpoint must be signed with.
        #[arg(long, env = "SPECFLOW_LOG_VERIFIER", value_name = "KEY")]
        log_verifier: Option<String>,
        /// A witness's verifier key, or a file holding it, whose cosignature the checkpoint must
        /// carry (repeat for several witnesses).
        #[arg(long = "witness-key", value_name = "KEY", requires = "checkpoint")]
        witness_keys: Vec<String>,
        /// The language of the verdicts.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write the audit log as JSON Lines (docs/audit-format.md) to standard output: every
    /// project's and committee's record, exactly as stored, then the transparency log's leaves
    /// and signed checkpoints (not with --project).
    Export {
        /// One project, by code or id (default: every project and every committee).
        #[arg(long)]
        project: Option<String>,
        /// The language of the count printed on standard error.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
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
        /// The language of names, labels and guards.
        #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
        language: LanguageArg,
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

/// A horizon of deadlines in days, weeks or months (`30d`, `2w`, `1mo`; a month counts 30
/// days). Deadlines fall on local days, so hours, minutes and a bare number are refused with
/// what to write instead.
pub fn parse_horizon(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let hint = "write days, weeks or months, such as 30d, 2w or 1mo";
    let count: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a horizon: {hint}"))?;
    let days_per_unit = match unit.trim() {
        "d" | "day" | "days" | "天" => 1,
        "w" | "week" | "weeks" | "周" => 7,
        "mo" | "month" | "months" | "个月" | "月" => 30,
        "" => return Err(format!("\"{text}\" has no unit: {hint}")),
        other => {
            return Err(format!(
                "\"{other}\" is not a unit of a deadline horizon: {hint}"
            ));
        }
    };
    let days = count
        .checked_mul(days_per_unit)
        .filter(|days| *days <= 36_500)
        .ok_or_else(|| format!("\"{text}\" is too far ahead: at most 100 years"))?;
    Ok(std::time::Duration::from_secs(days * 86_400))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod upload_limit_tests {
    use super::Cli;
    use clap::Parser;

    #[test]
    fn upload_limits_default_sensibly_and_refuse_zero() {
        let parsed = Cli::try_parse_from(["specflow", "serve"]).unwrap();
        let crate::cli::TopCommand::Serve { uploads, .. } = parsed.command else {
            panic!("not serve");
        };
        assert_eq!(
            (
                uploads.max_concurrent_uploads,
                uploads.max_concurrent_uploads_per_caller
            ),
            (4, 2)
        );
        let parsed = Cli::try_parse_from([
            "specflow",
            "serve",
            "--max-concurrent-uploads=16",
            "--max-concurrent-uploads-per-caller=3",
        ])
        .unwrap();
        let crate::cli::TopCommand::Serve { uploads, .. } = parsed.command else {
            panic!("not serve");
        };
        assert_eq!(
            (
                uploads.max_concurrent_uploads,
                uploads.max_concurrent_uploads_per_caller
            ),
            (16, 3)
        );
        assert!(Cli::try_parse_from(["specflow", "serve", "--max-concurrent-uploads=0"]).is_err());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod horizon_tests {
    use super::parse_horizon;

    #[test]
    fn horizons_are_days_weeks_or_months() {
        let days = |text| parse_horizon(text).map(|duration| duration.as_secs() / 86_400);
        assert_eq!(days("30d"), Ok(30));
        assert_eq!(days("2w"), Ok(14));
        assert_eq!(days("1mo"), Ok(30));
        assert_eq!(days("3 months"), Ok(90));
        assert_eq!(days("10天"), Ok(10));
        for refused in ["30", "90m", "12h", "soon", "", "d"] {
            let error = parse_horizon(refused).unwrap_err();
            assert!(error.contains("30d, 2w or 1mo"), "{refused}: {error}");
        }
    }
}
