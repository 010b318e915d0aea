//! The command line as a new user meets it: `specflow demo` in an empty directory (the workflows
//! built into the binary, the default database), every database command of the README's tour
//! reading that database without `--database`, and every client command's output in the default
//! language, Chinese, against the served demo, with no English prose outside codes, names and
//! identifiers.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `specflow` run in `folder`, with no configuration or server from the environment.
fn specflow(folder: &Path, arguments: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specflow"));
    command
        .args(arguments)
        .current_dir(folder)
        .env_remove("SPECFLOW_DATABASE_URL")
        .env_remove("SPECFLOW_WORKFLOWS")
        .env_remove("SPECFLOW_CONFIG")
        .stdin(Stdio::null());
    command
}

/// A `specflow serve` started in a folder, stopped when dropped.
struct Served {
    child: Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(folder: &Path) -> Served {
        let mut child = specflow(folder, &["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let address = first_line
            .trim()
            .strip_prefix("specflow is serving on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
            .to_string();
        Served { child, address }
    }

    /// A client command in the default language, with `token`.
    fn client(&self, folder: &Path, token: &str, arguments: &[&str]) -> Output {
        specflow(folder, arguments)
            .env("SPECFLOW_SERVER", format!("http://{}", self.address))
            .env("SPECFLOW_TOKEN", token)
            .output()
            .unwrap()
    }
}

/// The English message catalogue of the command line: the words of its English headers, labels
/// and sentences (and the small words that glue English prose together). None may appear as a
/// word of its own in Chinese output; codes (`in_force`, `[artifacts_present]`), identifiers
/// (`sec-wang`, `SHA-256`) and names are not words of prose and are let through.
const ENGLISH_CATALOGUE: &[&str] = &[
    "the",
    "and",
    "of",
    "to",
    "in",
    "on",
    "by",
    "with",
    "for",
    "since",
    "as",
    "at",
    "is",
    "are",
    "not",
    "no",
    "yes",
    "every",
    "code",
    "title",
    "stage",
    "overdue",
    "frozen",
    "committee",
    "committees",
    "deadline",
    "deadlines",
    "due",
    "days",
    "day",
    "left",
    "open",
    "closed",
    "missed",
    "actions",
    "action",
    "ready",
    "blocked",
    "sequence",
    "drafting",
    "project",
    "projects",
    "record",
    "records",
    "recorded",
    "event",
    "person",
    "organisation",
    "role",
    "votes",
    "term",
    "starts",
    "ends",
    "ended",
    "resigned",
    "name",
    "field",
    "legal",
    "verified",
    "waiver",
    "breach",
    "rule",
    "holds",
    "escalated",
    "secretariat",
    "formed",
    "member",
    "members",
    "appointed",
    "done",
    "created",
    "comment",
    "comments",
    "disposition",
    "clause",
    "today",
    "extension",
    "requests",
    "waiting",
    "head",
    "hash",
    "actor",
    "seq",
    "yours",
    "chair",
    "supervisor",
    "drafter",
    "auditor",
    "bytes",
    "problems",
    "row",
    "file",
    "only",
    "until",
    "lifted",
    "possible",
    "or",
    "cancellation",
    "board",
    "specification",
    "report",
];

/// The words of English prose in `output`: runs of ASCII letters standing alone, not part of a
/// code or an identifier (joined by `_`, `-`, `.`, `/`, `@`, or holding digits), nor a command
/// quoted between backticks.
fn english_words(output: &str) -> Vec<String> {
    // What stands between backticks is a command to type, not prose.
    let output: String = output
        .split('`')
        .enumerate()
        .filter(|(index, _)| index % 2 == 0)
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join(" ");
    let mut found = Vec::new();
    let is_part = |c: char| c.is_ascii_alphanumeric() || "_-./@:".contains(c);
    for token in output.split(|c: char| !is_part(c)) {
        let token = token.trim_matches(|c: char| ".:-".contains(c));
        if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let word = token.to_ascii_lowercase();
        if ENGLISH_CATALOGUE.contains(&word.as_str()) {
            found.push(token.to_string());
        }
    }
    found
}

/// Fails with the command and its output when the Chinese output holds English prose. What
/// people recorded (`recorded`: reasons typed in whatever language their authors chose) is data,
/// not the command line's words, and is left out.
fn assert_chinese(what: &str, output: &Output, recorded: &[String]) {
    assert!(
        output.status.success(),
        "{what}: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(!stdout.trim().is_empty(), "{what}: printed nothing");
    let mut prose = stdout.clone();
    for text in recorded {
        prose = prose.replace(text.as_str(), " ");
    }
    let english = english_words(&prose);
    assert!(
        english.is_empty(),
        "{what} printed English words {english:?} in Chinese:\n{stdout}"
    );
}

/// Every string recorded under a key `reason` in a JSON document.
fn reasons_in(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("reason", serde_json::Value::String(reason)) => found.push(reason.clone()),
                    _ => reasons_in(field, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| reasons_in(item, found)),
        _ => {}
    }
}

/// The token the demo printed for `role`.
fn token_of(demo_output: &str, role: &str) -> String {
    demo_output
        .lines()
        .find(|line| line.trim_start().starts_with(role) && line.contains("sft_"))
        .and_then(|line| {
            line.split_whitespace()
                .find(|word| word.starts_with("sft_"))
        })
        .unwrap_or_else(|| panic!("no {role} token in {demo_output}"))
        .to_string()
}

#[test]
fn the_demo_runs_from_an_empty_folder_and_every_command_speaks_chinese() {
    let folder = tempfile::tempdir().unwrap();
    let here = folder.path();

    // The demo in an empty folder: the workflows built into specflow, the default database.
    let demo = specflow(here, &["demo", "--no-serve"]).output().unwrap();
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    assert!(
        text(&demo.stderr).contains("built into specflow"),
        "{}",
        text(&demo.stderr)
    );
    assert!(here.join("specflow.db").is_file());
    let printed = text(&demo.stdout);

    // Every database command of the tour reads the demo without --database.
    for arguments in [
        &["deadlines"][..],
        &["audit", "verify"],
        &["token", "list"],
        &["outbox", "list"],
        &["user", "list"],
    ] {
        let output = specflow(here, arguments).output().unwrap();
        assert!(
            output.status.success(),
            "{arguments:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
    }
    // The deadlines and the chains' verdicts, in the default language.
    assert_chinese(
        "deadlines",
        &specflow(here, &["deadlines"]).output().unwrap(),
        &[],
    );
    let verified = specflow(here, &["audit", "verify"]).output().unwrap();
    assert_chinese("audit verify", &verified, &[]);
    assert!(
        text(&verified.stdout).contains("个断裂"),
        "{}",
        text(&verified.stdout)
    );
    let tokens = text(&specflow(here, &["token", "list"]).output().unwrap().stdout);
    assert!(tokens.contains("demo-supervisor"), "{tokens}");
    // The tokens and accounts, in the default language: roles, scopes and statuses in words.
    for arguments in [
        &["token", "list"][..],
        &["user", "list"],
        &["outbox", "list"],
    ] {
        let output = specflow(here, arguments).output().unwrap();
        assert_chinese(&arguments.join(" "), &output, &[]);
        assert!(
            text(&output.stdout).contains("市场监管局"),
            "{}",
            text(&output.stdout)
        );
    }

    // Run again: the demo's database is kept, and nothing is printed twice.
    let again = specflow(here, &["demo", "--no-serve"]).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!text(&again.stdout).contains("sft_"));

    let served = Served::start(here);
    let supervisor = token_of(&printed, "supervisor");
    let secretariat = token_of(&printed, "secretariat");
    let committee = "SH-TC-01";

    // A project with a long history: the first in force of the length committee.
    let list = served.client(here, &secretariat, &["project", "list", "--json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let projects: Vec<serde_json::Value> = text(&list.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let in_force = projects
        .iter()
        .find(|project| project["stage"] == "in_force")
        .unwrap_or_else(|| panic!("no project in force: {projects:?}"));
    let code = in_force["code"].as_str().unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();

    let supervisor_commands: &[&[&str]] = &[
        &["project", "list"],
        &["project", "show", code],
        &["overdue"],
        &["todo"],
        &["comment", "list", code],
        &["committee", "list"],
        &["committee", "show", committee],
        &["committee", "check", committee],
        &["committee", "roll", committee],
        &["committee", "history", committee],
        &["committee", "verify", committee],
        &["history", code, "--sequence", "3"],
    ];
    // The reasons the bureau recorded for its waivers, as the committee's check answers them.
    let check = served.client(
        here,
        &supervisor,
        &["committee", "check", committee, "--json"],
    );
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let mut recorded = Vec::new();
    reasons_in(&check, &mut recorded);
    assert!(!recorded.is_empty(), "{check}");
    for arguments in supervisor_commands {
        let output = served.client(here, &supervisor, arguments);
        assert_chinese(&format!("{arguments:?}"), &output, &recorded);
    }
    let secretariat_commands: &[&[&str]] = &[&["todo"], &["project", "list"]];
    for arguments in secretariat_commands {
        let output = served.client(here, &secretariat, arguments);
        assert_chinese(&format!("secretariat {arguments:?}"), &output, &recorded);
    }

    // The history: headers, local times without seconds, role names. Its sentences are the
    // engine's audit-log summaries, which the event column shows as the server wrote them.
    let history = served.client(here, &supervisor, &["history", code]);
    assert!(history.status.success(), "{}", text(&history.stderr));
    let out = text(&history.stdout);
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(english_words(header).is_empty(), "{out}");
    assert!(header.contains("序号") && header.contains("事件"), "{out}");
    let first = lines.next().unwrap_or_default();
    let cells: Vec<&str> = first
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(cells.first(), Some(&"1"), "{out}");
    // A local time to the minute (`2025-11-27 09:00`), not a UTC instant with microseconds.
    let time = cells.get(1).copied().unwrap_or_default();
    assert!(
        time.len() == 16 && time.as_bytes()[10] == b' ' && !time.contains('Z'),
        "{out}"
    );
    assert!(!first.contains("project_created"), "raw event type: {out}");
    assert!(
        english_words(cells.get(2).copied().unwrap_or_default()).is_empty(),
        "the actor's role as a code: {out}"
    );

    // The committee's report, as the server writes it in Chinese.
    let report = served.client(
        here,
        &supervisor,
        &[
            "report",
            "annual",
            "--committee",
            committee,
            "--year",
            &year,
        ],
    );
    assert!(report.status.success(), "{}", text(&report.stderr));

    // --json is JSON even when refused: a blocked action's reasons as the problem document.
    let refused = served.client(
        here,
        &supervisor,
        &["advance", code, "approve_project", "--yes", "--json"],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    let problem: serde_json::Value = serde_json::from_slice(&refused.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", text(&refused.stdout)));
    assert!(problem["status"].as_u64().is_some(), "{problem}");
    assert!(problem["detail"].is_string(), "{problem}");
    // And `committee show` prints a table, JSON only when asked.
    let show = served.client(here, &supervisor, &["committee", "show", committee]);
    assert!(serde_json::from_slice::<serde_json::Value>(&show.stdout).is_err());
    let show = served.client(
        here,
        &supervisor,
        &["committee", "show", committee, "--json"],
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&show.stdout).is_ok());
}

#[test]
fn the_demo_leaves_a_database_it_did_not_make_alone() {
    let folder = tempfile::tempdir().unwrap();
    let here = folder.path();
    let database = format!("sqlite://{}", here.join("specflow.db").display());
    // Someone's database: one project, made through the store as `specflow serve` would.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = specflow_store::Store::open(&database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
        store.register_workflow_folder(&workflows).await.unwrap();
        let scenario = specflow_engine::scenario::parse_scenario(
            "to-in-force.toml",
            include_str!("../workflows/scenarios/to-in-force.toml"),
        )
        .unwrap();
        let step = &scenario.steps[0];
        let outcome = store
            .execute(specflow_store::CommandRequest {
                project_id: scenario.project_id,
                command_id: uuid::Uuid::new_v4(),
                expected_sequence: None,
                actor: step.actor.clone(),
                command: step.command.clone(),
            })
            .await
            .unwrap();
        assert!(
            matches!(outcome, specflow_store::CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        store.close().await;
    });
    let refused = specflow(here, &["demo", "--no-serve"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    assert!(
        text(&refused.stderr).contains("--reset"),
        "{}",
        text(&refused.stderr)
    );
    // Still someone's database: no demo token was made.
    let tokens = specflow(here, &["token", "list"]).output().unwrap();
    assert!(
        !text(&tokens.stdout).contains("demo-"),
        "{}",
        text(&tokens.stdout)
    );
    // With --reset it is replaced by the demo.
    let reset = specflow(here, &["demo", "--no-serve", "--reset"])
        .output()
        .unwrap();
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(text(&reset.stdout).contains("sft_"));
}
