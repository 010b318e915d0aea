//! The API's command-line client against the real binary serving a temporary database: a project
//! created, refused with its reasons, advanced through stages, shown, traced and looked for on the
//! overdue board, as people at a committee would; and `specflow demo` filling a database.

use specflow_engine::Command as EngineCommand;
use specflow_engine::scenario::parse_scenario;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const COMMITTEE: &str = "SH-TC-01";
const CODE: &str = "JJF(沪)-2026-900";
const TO_IN_FORCE: &str = include_str!("../workflows/scenarios/to-in-force.toml");

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `specflow serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
    database: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn serve(database: &str) -> Server {
    serve_with(database, &[])
}

/// `specflow serve` on a free port with extra environment variables.
pub(crate) fn serve_with(database: &str, environment: &[(&str, &str)]) -> Server {
    let listen = "127.0.0.1:0";
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["serve", "--listen", listen, "--database", database])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(environment.iter().copied())
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
    Server {
        child,
        address,
        database: database.to_string(),
    }
}

impl Server {
    /// Runs a client command against this server, in English.
    pub(crate) fn client(&self, token: &str, arguments: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(arguments)
            .args(["--language", "en"])
            .env("SPECFLOW_SERVER", format!("http://{}", self.address))
            .env("SPECFLOW_TOKEN", token)
            .output()
            .unwrap()
    }

    pub(crate) fn token(&self, arguments: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(["token", "create"])
            .args(arguments)
            .args(["--database", &self.database])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    }

    /// A raw POST, for what the client has no command for (uploads, recorded meetings).
    fn post(&self, token: &str, path: &str, content_type: &str, body: &[u8]) -> String {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.address,
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.1 201"),
            "{path}: {response}"
        );
        response
    }

    fn upload(&self, token: &str, kind: &str, file_name: &str) {
        self.upload_to(CODE, token, kind, file_name);
    }

    /// Uploads a small file as an artifact of `code`; returns its SHA-256.
    fn upload_to(&self, code: &str, token: &str, kind: &str, file_name: &str) -> String {
        let path = format!(
            "/api/v1/projects/{}/artifacts?kind={kind}&file_name={}",
            escape(code),
            escape(file_name)
        );
        let content = format!("{kind} of {code}");
        self.post(token, &path, "application/octet-stream", content.as_bytes());
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()))
    }

    fn command(&self, token: &str, command: &serde_json::Value) {
        self.command_to(CODE, token, command);
    }

    fn command_to(&self, code: &str, token: &str, command: &serde_json::Value) {
        let path = format!("/api/v1/projects/{}/commands", escape(code));
        self.post(
            token,
            &path,
            "application/json",
            command.to_string().as_bytes(),
        );
    }
}

/// A project code as one path segment.
fn escape(code: &str) -> String {
    code.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The scenario's proposal-evaluation meeting, held today.
fn proposal_meeting() -> serde_json::Value {
    let scenario = parse_scenario("to-in-force.toml", TO_IN_FORCE).unwrap();
    let step = scenario
        .steps
        .iter()
        .find(|step| matches!(step.command, EngineCommand::RecordMeeting(_)))
        .unwrap();
    let mut command = serde_json::to_value(&step.command).unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    command["held_on"] = serde_json::json!(today.to_string());
    command
}

fn a_project_goes_through_its_first_stages_with_the_client(database: &str) {
    let server = serve(database);
    let secretariat = server.token(&[
        "--name",
        "sec-wang",
        "--role",
        "secretariat",
        "--committee",
        COMMITTEE,
    ]);
    let supervisor = server.token(&["--name", "bureau-li", "--role", "supervisor"]);

    let created = server.client(
        &secretariat,
        &[
            "project",
            "create",
            "--code",
            CODE,
            "--title-zh",
            "数显卷尺校准规范",
            "--title-en",
            "Calibration specification for digital tape measures",
            "--kind",
            "calibration_specification",
            "--committee",
            COMMITTEE,
            "--drafting-unit",
            "上海市计量测试技术研究院",
        ],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created project"));

    // Proposing without a proposal or its evaluation is refused, with every reason in words.
    let blocked = server.client(&secretariat, &["advance", CODE, "propose"]);
    assert_eq!(blocked.status.code(), Some(1));
    let reasons = text(&blocked.stderr);
    assert!(reasons.contains("422"), "{reasons}");
    assert!(
        reasons
            .lines()
            .filter(|line| line.starts_with("  - "))
            .count()
            >= 1,
        "{reasons}"
    );
    let shown = server.client(&secretariat, &["project", "show", CODE]);
    assert!(
        text(&shown.stdout).contains("blocked propose"),
        "{}",
        text(&shown.stdout)
    );

    server.upload(&secretariat, "project_proposal", "proposal.pdf");
    server.command(&secretariat, &proposal_meeting());
    let proposed = server.client(
        &secretariat,
        &["advance", CODE, "propose", "--expect", "3", "--yes"],
    );
    assert!(proposed.status.success(), "{}", text(&proposed.stderr));

    // A stale expectation is refused.
    let stale = server.client(
        &supervisor,
        &["advance", CODE, "approve_project", "--expect", "1", "--yes"],
    );
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale.stdout));

    server.upload(&secretariat, "project_application", "application.pdf");
    server.upload(&secretariat, "task_statement", "task.pdf");
    let in_a_year = (chrono::Utc::now() + chrono::Duration::days(400)).date_naive();
    let in_half_a_year = (chrono::Utc::now() + chrono::Duration::days(180)).date_naive();
    server.command(
        &supervisor,
        &serde_json::json!({
            "command": "fix_plan",
            "due_dates": {
                "overall": in_a_year.to_string(),
                "drafting": in_half_a_year.to_string(),
                "resolution": in_a_year.to_string(),
            }
        }),
    );
    let approved = server.client(&supervisor, &["advance", CODE, "approve_project", "--yes"]);
    assert!(approved.status.success(), "{}", text(&approved.stderr));

    let shown = server.client(&secretariat, &["project", "show", CODE]);
    let shown = text(&shown.stdout);
    // The stage by its name in the definition, not its code.
    assert!(shown.contains("stage:      drafting since"), "{shown}");
    assert!(shown.contains("drafting deadline"), "{shown}");

    let listed = server.client(
        &secretariat,
        &["project", "list", "--stage", "drafting", "--json"],
    );
    let listed = text(&listed.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains(CODE), "{listed}");

    let history = server.client(&secretariat, &["history", CODE]);
    let history = text(&history.stdout);
    // Each record in words, not its raw event type.
    assert!(history.contains(&format!("created {CODE}")), "{history}");
    assert!(
        history.contains("propose the project: pre-research -> project approval"),
        "{history}"
    );
    assert!(!history.contains("project_created"), "{history}");
    let first = server.client(&secretariat, &["history", CODE, "--sequence", "1"]);
    assert!(
        text(&first.stdout).contains("stage pre-research"),
        "{}",
        text(&first.stdout)
    );

    // Nothing is overdue yet; the board is the supervisor's, not the secretariat's.
    let overdue = server.client(&supervisor, &["overdue"]);
    assert!(overdue.status.success(), "{}", text(&overdue.stderr));
    assert!(text(&overdue.stdout).contains("0 overdue project(s)"));
    let csv = server.client(&supervisor, &["overdue", "--csv"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let sorted = server.client(&supervisor, &["overdue", "--sort", "recently_overdue"]);
    assert!(sorted.status.success(), "{}", text(&sorted.stderr));
    let unsorted = server.client(&supervisor, &["overdue", "--sort", "alphabetical"]);
    assert_eq!(
        unsorted.status.code(),
        Some(2),
        "clap refuses an unknown order"
    );
    let refused = server.client(&secretariat, &["overdue"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("403"),
        "{}",
        text(&refused.stderr)
    );

    // Unknown projects, bad tokens and absent servers are plain errors.
    let missing = server.client(&secretariat, &["project", "show", "NO-SUCH"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("404"));
    let unknown = server.client(&format!("sft_{}", "0".repeat(64)), &["project", "list"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("401"),
        "{}",
        text(&unknown.stderr)
    );
    let nowhere = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "project",
            "list",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            &secretariat,
        ])
        .output()
        .unwrap();
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(
        text(&nowhere.stderr).contains("cannot reach the specflow server at http://127.0.0.1:9")
    );
}

#[test]
fn reports_are_printed_in_every_format_and_bad_requests_exit_1_with_the_problem() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let server = serve(&database);
    let secretariat = server.token(&[
        "--name",
        "sec-wang",
        "--role",
        "secretariat",
        "--committee",
        COMMITTEE,
    ]);
    let supervisor = server.token(&["--name", "bureau-li", "--role", "supervisor"]);
    let created = server.client(
        &secretariat,
        &[
            "project",
            "create",
            "--code",
            CODE,
            "--title-zh",
            "数显卷尺校准规范",
            "--title-en",
            "Calibration specification for digital tape measures",
            "--kind",
            "calibration_specification",
            "--committee",
            COMMITTEE,
            "--drafting-unit",
            "上海市计量测试技术研究院",
        ],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let year = chrono::Utc::now().format("%Y").to_string();

    let annual = server.client(
        &secretariat,
        &[
            "report",
            "annual",
            "--committee",
            COMMITTEE,
            "--year",
            &year,
        ],
    );
    assert!(annual.status.success(), "{}", text(&annual.stderr));
    let markdown = text(&annual.stdout);
    assert!(
        markdown.starts_with(&format!("# {COMMITTEE} annual work report {year}")),
        "{markdown}"
    );
    assert!(markdown.contains(CODE), "{markdown}");

    let term = server.client(
        &secretariat,
        &[
            "report",
            "term",
            "--committee",
            COMMITTEE,
            "--from",
            &format!("{year}-01-01"),
            "--to",
            &format!("{year}-12-31"),
            "--format",
            "html",
        ],
    );
    assert!(term.status.success(), "{}", text(&term.stderr));
    assert!(text(&term.stdout).starts_with("<!DOCTYPE html>"));

    let bureau = server.client(
        &supervisor,
        &["report", "bureau", "--year", &year, "--format", "json"],
    );
    assert!(bureau.status.success(), "{}", text(&bureau.stderr));
    let json: serde_json::Value = serde_json::from_slice(&bureau.stdout).unwrap();
    assert_eq!(json["kind"], "bureau");
    assert_eq!(json["projects"].as_array().unwrap().len(), 1);

    for (token, arguments, expected) in [
        (
            &secretariat,
            vec!["report", "bureau", "--year", year.as_str()],
            "403",
        ),
        (
            &supervisor,
            vec![
                "report",
                "annual",
                "--committee",
                "SH-TC-99",
                "--year",
                year.as_str(),
            ],
            "404",
        ),
        (
            &supervisor,
            vec![
                "report",
                "annual",
                "--committee",
                COMMITTEE,
                "--year",
                "99999",
            ],
            "year must be",
        ),
        (
            &supervisor,
            vec![
                "report",
                "term",
                "--committee",
                COMMITTEE,
                "--from",
                "2026-12-31",
                "--to",
                "2026-01-01",
            ],
            "before it starts",
        ),
    ] {
        let refused = server.client(token, &arguments);
        assert_eq!(refused.status.code(), Some(1), "{arguments:?}");
        assert!(
            text(&refused.stderr).contains(expected),
            "{arguments:?}: {}",
            text(&refused.stderr)
        );
    }
}

#[test]
fn the_client_drives_a_project_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    a_project_goes_through_its_first_stages_with_the_client(&database);
}

/// A PostgreSQL database made for one test, dropped when it ends (closing any connection left).
pub(crate) struct PostgresDatabase {
    admin: String,
    name: String,
    pub(crate) url: String,
}

impl PostgresDatabase {
    /// A fresh database on the server of `SPECFLOW_TEST_POSTGRES_URL`, or `None` (said on stderr)
    /// when it is not set.
    pub(crate) fn create() -> Option<PostgresDatabase> {
        let admin = match std::env::var("SPECFLOW_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: the client against PostgreSQL (set SPECFLOW_TEST_POSTGRES_URL to run it)"
                );
                return None;
            }
        };
        let name = format!("specflow_test_{}", uuid::Uuid::new_v4().simple());
        run_sql(&admin, &format!("CREATE DATABASE {name}"));
        let (base, query) = admin
            .split_once('?')
            .map_or((admin.as_str(), None), |(base, query)| (base, Some(query)));
        let base = match base.rfind('/') {
            Some(slash) if slash > "postgres://".len() => &base[..slash],
            _ => base,
        };
        let url = match query {
            Some(query) => format!("{base}/{name}?{query}"),
            None => format!("{base}/{name}"),
        };
        Some(PostgresDatabase { admin, name, url })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        run_sql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn run_sql(url: &str, statement: &str) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap_or_else(|error| {
            panic!("SPECFLOW_TEST_POSTGRES_URL is set but the server cannot be reached: {error}")
        });
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    });
}

#[test]
fn the_client_drives_a_project_on_postgres() {
    let Some(database) = PostgresDatabase::create() else {
        return;
    };
    a_project_goes_through_its_first_stages_with_the_client(&database.url);
}

#[test]
fn the_demo_fills_a_database_and_prints_a_token_per_role() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("demo.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["demo", "--no-serve", "--database", &database])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for role in [
        "admin",
        "supervisor",
        "secretariat",
        "chair",
        "member",
        "drafter",
        "auditor",
    ] {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(role) && line.contains("sft_")),
            "no {role} token: {stdout}"
        );
    }
    let counts = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = specflow_store::Store::open(&database, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let counts = store.stage_counts().await.unwrap();
        store.close().await;
        counts
    });
    let count = |stage: &str| -> u64 {
        counts
            .iter()
            .filter(|count| count.stage == stage)
            .map(|count| count.projects)
            .sum()
    };
    let total: u64 = counts.iter().map(|count| count.projects).sum();
    assert!(total >= 24, "{counts:?}");
    for stage in [
        "preresearch",
        "proposal",
        "drafting",
        "consultation",
        "resolution",
        "review",
        "approval",
        "promotion",
        "in_force",
        "reexamination",
        "cancelled",
    ] {
        assert!(count(stage) >= 1, "no project in {stage}: {counts:?}");
    }
    // Run again without --reset and without a terminal: the database is kept as it is.
    let again = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["demo", "--no-serve", "--database", &database])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!text(&again.stdout).contains("sft_"));
}

/// Replaces every string of `value` that is a key of `replacements`.
fn replace_strings(
    value: &mut serde_json::Value,
    replacements: &std::collections::HashMap<String, String>,
) {
    match value {
        serde_json::Value::String(text) => {
            if let Some(replacement) = replacements.get(text.as_str()) {
                *text = replacement.clone();
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                replace_strings(item, replacements);
            }
        }
        serde_json::Value::Object(members) => {
            for member in members.values_mut() {
                replace_strings(member, replacements);
            }
        }
        _ => {}
    }
}

/// Where Debian's `faketime` package puts the library that gives a process a clock of its own.
pub(crate) const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Whether the server's clock can be set: libfaketime is present. Without it the test says it was
/// skipped, unless `SPECFLOW_REQUIRE_FAKETIME` is set (as `.ci/run` does), when it fails.
pub(crate) fn faketime_available(test: &str) -> bool {
    if std::path::Path::new(LIBFAKETIME).exists() {
        return true;
    }
    assert!(
        std::env::var_os("SPECFLOW_REQUIRE_FAKETIME").is_none(),
        "{LIBFAKETIME} is missing: install Debian's faketime package (.ci/run does)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test} (it needs {LIBFAKETIME}: apt-get install faketime)"
    );
    false
}

/// The example lifecycle (`workflows/scenarios/to-in-force.toml`), from the creation of the
/// project to its entry into force, carried out against the real server by the command-line
/// client and the API, as each person in it would, on the scenario's dates: the server runs under
/// libfaketime, its clock set to each step's instant before the step (the client's clock is the
/// machine's own), so the consultation lasts its 30 days and the review is announced 30 days
/// ahead without the test waiting for them.
fn the_example_lifecycle_runs_through_the_client(database: &str) {
    let clock = tempfile::NamedTempFile::new().unwrap();
    let clock_path = clock.path().to_str().unwrap().to_string();
    let scenario = parse_scenario("to-in-force.toml", TO_IN_FORCE).unwrap();
    let set_clock = |at: chrono::DateTime<chrono::Utc>| {
        std::fs::write(&clock_path, at.format("@%Y-%m-%d %H:%M:%S\n").to_string()).unwrap();
    };
    set_clock(scenario.steps[0].at);
    let server = serve_with(
        database,
        &[
            ("LD_PRELOAD", LIBFAKETIME),
            ("FAKETIME_TIMESTAMP_FILE", &clock_path),
            ("FAKETIME_NO_CACHE", "1"),
            // Only the calendar clock moves; timers and timeouts keep the machine's.
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            ("TZ", "UTC"),
        ],
    );
    let EngineCommand::CreateProject(project) = &scenario.steps[0].command else {
        panic!("the scenario starts by creating its project");
    };
    let code = project.code.clone();
    let committee = project.committee.clone();
    let mut tokens = std::collections::HashMap::new();
    for (name, role) in [
        ("sec-wang", "secretariat"),
        ("chair-sun", "chair"),
        ("bureau-li", "supervisor"),
    ] {
        let mut arguments = vec!["--name", name, "--role", role];
        if role != "supervisor" {
            arguments.extend(["--committee", committee.as_str()]);
        }
        tokens.insert(role.to_string(), server.token(&arguments));
    }
    let mut fired = Vec::new();
    // The scenario's digests, and those of the files uploaded in their place.
    let mut uploaded_digests = std::collections::HashMap::new();
    for step in &scenario.steps {
        set_clock(step.at);
        if step.actor.role == "drafter" && !tokens.contains_key("drafter") {
            // A drafting group's token reaches its own project, which now exists.
            let token = server.token(&[
                "--name",
                "drafter-chen",
                "--role",
                "drafter",
                "--project",
                &code,
            ]);
            tokens.insert("drafter".to_string(), token);
        }
        let token = &tokens[&step.actor.role];
        match &step.command {
            EngineCommand::CreateProject(project) => {
                let created = server.client(
                    token,
                    &[
                        "project",
                        "create",
                        "--code",
                        &project.code,
                        "--title-zh",
                        &project.title.zh,
                        "--title-en",
                        &project.title.en,
                        "--kind",
                        &project.specification_kind,
                        "--committee",
                        &project.committee,
                        "--drafting-unit",
                        &project.drafting_unit,
                    ],
                );
                assert!(created.status.success(), "{}", text(&created.stderr));
            }
            EngineCommand::FireAction { action, .. } => {
                let advanced = server.client(token, &["advance", &code, action, "--yes"]);
                assert!(
                    advanced.status.success(),
                    "line {}: {action}: {}{}",
                    step.line,
                    text(&advanced.stdout),
                    text(&advanced.stderr)
                );
                fired.push(action.clone());
            }
            EngineCommand::AttachArtifact(artifact) => {
                let uploaded = server.upload_to(&code, token, &artifact.kind, &artifact.file_name);
                uploaded_digests.insert(artifact.sha256.clone(), uploaded);
            }
            command => {
                // A command naming a file (the minutes of a meeting) names the one uploaded.
                let mut command = serde_json::to_value(command).unwrap();
                replace_strings(&mut command, &uploaded_digests);
                server.command_to(&code, token, &command);
            }
        }
    }
    assert_eq!(
        fired,
        [
            "propose",
            "approve_project",
            "open_consultation",
            "close_consultation",
            "submit_for_review",
            "pass_review",
            "publish",
            "enter_into_force"
        ]
    );
    let supervisor = &tokens["supervisor"];
    let shown = server.client(supervisor, &["project", "show", &code]);
    let shown = text(&shown.stdout);
    assert!(shown.contains("stage:      in force since"), "{shown}");
    assert!(shown.contains("specification "), "{shown}");
    assert!(shown.contains("next re-examination due on"), "{shown}");
    // The history the server kept is the scenario's, step for step, and its chain verifies.
    let history = server.client(supervisor, &["history", &code, "--json"]);
    assert!(history.status.success(), "{}", text(&history.stderr));
    let history = text(&history.stdout);
    for event_type in [
        "project_created",
        "comment_disposed",
        "meeting_recorded",
        "publication_recorded",
    ] {
        assert!(
            history.contains(event_type),
            "{event_type} missing from {history}"
        );
    }
    drop(server);
    let verified = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "audit",
            "verify",
            "--project",
            &code,
            "--database",
            database,
        ])
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}

#[test]
fn the_example_lifecycle_runs_through_the_client_on_sqlite() {
    if !faketime_available("the example lifecycle through the client on SQLite") {
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    the_example_lifecycle_runs_through_the_client(&database);
}

#[test]
fn the_example_lifecycle_runs_through_the_client_on_postgres() {
    if !faketime_available("the example lifecycle through the client on PostgreSQL") {
        return;
    }
    let Some(database) = PostgresDatabase::create() else {
        return;
    };
    the_example_lifecycle_runs_through_the_client(&database.url);
}

#[test]
fn the_committee_client_forms_appoints_is_refused_by_a_rule_and_checks_the_composition() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let migrated = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["migrate", "--database", &database])
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let server = serve(&database);
    let bureau = server.token(&["--name", "bureau-li", "--role", "supervisor"]);
    let ok = |arguments: &[&str]| {
        let output = server.client(&bureau, arguments);
        assert!(
            output.status.success(),
            "{arguments:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    ok(&[
        "committee",
        "form",
        "--code",
        "SH-TC-05",
        "--name-zh",
        "上海市电学计量技术委员会",
        "--name-en",
        "Shanghai Electrical Metrology Committee",
        "--field",
        "electricity",
        "--composition-plan",
        "沪市监计量〔2026〕5号",
        "--formed-on",
        "2026-01-05",
    ]);
    ok(&[
        "committee",
        "start-term",
        "SH-TC-05",
        "--starts-on",
        "2026-01-05",
    ]);
    let chair = [
        "--organisation",
        "上海市计量测试技术研究院",
        "--title-level",
        "senior",
        "--metrology-professional",
        "--effective-on",
        "2026-01-05",
    ];
    let mut appoint_chair = vec![
        "committee",
        "appoint",
        "SH-TC-05",
        "--person",
        "张伟",
        "--role",
        "chair",
    ];
    appoint_chair.extend(chair);
    ok(&appoint_chair);
    let mut second_chair = vec![
        "committee",
        "appoint",
        "SH-TC-05",
        "--person",
        "李强",
        "--role",
        "chair",
    ];
    second_chair.extend(chair);
    let refused = server.client(&bureau, &second_chair);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("at most one chair"),
        "{}",
        text(&refused.stderr)
    );

    // The chair alone breaks the rules on vice chairs and the secretary-general: exit 1.
    let check = server.client(&bureau, &["committee", "check", "SH-TC-05"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains("[vice_chairs_at_least]"),
        "{}",
        text(&check.stdout)
    );
    assert!(
        text(&check.stdout).contains("BREACH"),
        "{}",
        text(&check.stdout)
    );
    for rule in ["vice_chairs_at_least", "one_secretary_general"] {
        ok(&[
            "committee",
            "waive",
            "SH-TC-05",
            "--rule",
            rule,
            "--reason",
            "being formed",
            "--authority",
            "沪市监计量〔2026〕6号",
        ]);
    }
    let compliant = ok(&["committee", "check", "SH-TC-05"]);
    assert!(compliant.contains("waived by"), "{compliant}");
    let roll = ok(&["committee", "roll", "SH-TC-05", "--on", "2026-02-01"]);
    assert!(roll.contains("张伟"), "{roll}");
    let verified = ok(&["committee", "verify", "SH-TC-05"]);
    assert!(verified.contains("verified: 5 record(s)"), "{verified}");
    // The independent verifier, written from docs/audit-format.md, verifies the printed log.
    let history = ok(&["committee", "history", "SH-TC-05", "--json"]);
    if let Ok(mut python) = Command::new("python3")
        .args(["tools/verify-audit.py", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        python
            .stdin
            .take()
            .unwrap()
            .write_all(history.as_bytes())
            .unwrap();
        let output = python.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(
            text(&output.stdout).contains("verified 5 records in 1 chain(s)"),
            "{}",
            text(&output.stdout)
        );
    }
    let unknown = server.client(&bureau, &["committee", "check", "SH-TC-99"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("There is no committee SH-TC-99"),
        "{}",
        text(&unknown.stderr)
    );
}
