//! The HTTP API under load: the real `specflow serve` binary on loopback, driven by 32 clients.
//!
//! `cargo bench --bench api_load -- --backend sqlite|postgres [--part fire,read,board,floor]
//! [--clients 32] [--seconds 10] [--projects 12000] [--database URL] [--log-key FILE]
//! [--compare-raw]`
//!
//! Targets (issue 6), on PostgreSQL with 32 concurrent clients: firing actions at least 3,000 per
//! second with p99 under 50 ms (also run on SQLite, reported); reading a project p99 under 5 ms;
//! the overdue board's first page with 1,000,000 projects p99 under 20 ms; the server's resident
//! size under 150 MB throughout.
//!
//! 1. A fresh database (a temporary SQLite file, or a PostgreSQL database created through
//!    `SPECFLOW_BENCH_POSTGRES_URL` or `SPECFLOW_TEST_POSTGRES_URL` and dropped at the end) gets
//!    the workflows of `workflows/` and `--projects` projects of the metrology definition, spread
//!    over four committees, written through the store's real write path. Each is brought to the
//!    point where two actions can fire in turn: a proposal attached and the committee's vote
//!    recorded (so `propose` may fire), the application and the task statement attached (so the
//!    bureau's `approve_project` may then fire). A secretariat token per committee and a
//!    supervisor token are created.
//! 2. `specflow serve` (this package's binary, release build) starts on a free loopback port on
//!    that database, with its scheduler; the bench waits for `/readyz`.
//! 3. `fire`: each client takes its share of the projects and fires `propose` (as its committee's
//!    secretariat) then `approve_project` (as the bureau) on each, through
//!    `POST /api/v1/projects/{id}/actions/{action}`, one request at a time, until its projects run
//!    out or `--seconds` pass. Every answer must be 200; latencies are taken at the client, from
//!    sending the request to reading the whole answer.
//! 4. `read`: each client reads random projects (`GET /api/v1/projects/{id}`: the state, the
//!    deadlines and the available actions with their unmet guards) for `--seconds`.
//! 5. `board`: needs `--database URL` naming a database already loaded by the scale bench
//!    (`cargo bench -p specflow-store --bench scale -- --backend … --keep`, a million projects of
//!    which a tenth are overdue); a supervisor token is added to it, and the clients read the
//!    overdue board's first page (`GET /api/v1/overdue?limit=50`) for `--seconds`.
//! 6. With `--log-key FILE` (a key made by `specflow log key generate`), the transparency log
//!    (issue 18) is on: the seeding store holds the key, so each seeded record gets its
//!    authenticator, the seeded records are integrated before the server starts (so the timed
//!    part does not pay for them), and the server runs with `--log-key FILE` and its sequencer.
//!    Issue 18's targets: at most 10 % fewer fires a second than without the log, and an
//!    integration lag (commit to inclusion in a signed checkpoint) with p99 under 1 s.
//!    With or without the log, a watcher polls the public `GET /log/checkpoint` every 20 ms
//!    during `fire` (without the log it answers 404 after the same query, so both runs carry the
//!    same extra load), noting when each tree size was first seen. After `fire`, once every
//!    record is in a checkpoint the watcher saw, each record written during the run is matched
//!    to its leaf: its lag runs from the instant the writer sealed it (`recorded_at`, before its
//!    transaction commits, so never late) to the first sighting of a checkpoint covering its
//!    leaf (so never early), and, on the server's side, to the covering checkpoint's `signed_at`.
//!    Then the database is verified against the latest checkpoint
//!    (`Store::verify_against_checkpoint`, what `specflow audit verify --checkpoint` runs after
//!    the chains), timed, in records per second.
//! 7. `floor`: each client sends `GET /healthz` (no database, no work) for `--seconds`: what the
//!    HTTP stack and specflow's middleware cost alone, to set a read's figures against.
//! 8. Throughout, the server's resident size is sampled every 50 ms from `/proc/PID/status`; its
//!    peak (`VmHWM`) is read before it is stopped with SIGTERM.
//! 9. With `--compare-raw` (issue 19), before specflow's server starts, the same parts run
//!    against the least a JSON-over-HTTP service could do on the same database (`api_load/raw.rs`:
//!    one INSERT and COMMIT per fire, one SELECT by key per read, one keyset SELECT of 50 rows
//!    by the board's index per board page), in a process of its own, with the same clients for
//!    the same time; the last lines printed give each part's ratio to it:
//!    `fire ratio to raw: 0.NN (specflow N/s, p99 N ms, …; raw N/s, p99 N ms, …)`.
//!    Issue 19's targets: fires at least 0.7 of raw's rate with p99 at most twice raw's and the
//!    maximum at most five times specflow's p99; reads at least 0.5 of raw's rate with p99 at
//!    most twice raw's; the board's first page at 1,000,000 projects at least 0.5 of raw's.
//! 10. Each part's processor time is read from `/proc/PID/stat` (`utime` + `stime`, every
//!     thread) before and after it, for the server (specflow's or raw's), every process named
//!     `postgres` and the bench itself, and printed per request (`processor time per request:
//!     server N µs, PostgreSQL N µs, load generator N µs`); issue 19's target is PostgreSQL's
//!     per fire.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api_load/raw.rs"]
mod raw;

use sha2::{Digest, Sha256};
use specflow_engine::command::{Artifact, MeetingRecord, NewProject, Vote, VoteChoice};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::auth::Role;
use specflow_store::transparency::LogKey;
use specflow_store::{CommandOutcome, CommandRequest, ProjectFilter};
use specflow_store::{Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const COMMITTEES: [&str; 4] = ["SH-TC-01", "SH-TC-02", "SH-TC-03", "SH-TC-04"];

fn argument(name: &str) -> Option<String> {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|index| arguments.get(index + 1).cloned())
}

fn number_argument(name: &str, default: usize) -> usize {
    argument(name).map_or(default, |value| value.parse().unwrap())
}

fn postgres_admin_url() -> String {
    std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
        .expect(
            "set SPECFLOW_BENCH_POSTGRES_URL or SPECFLOW_TEST_POSTGRES_URL for --backend postgres",
        )
}

/// A database made for this run, removed at the end.
enum Database {
    /// The folder is kept until the end, when dropping it deletes the database.
    Sqlite {
        _folder: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
    Given(String),
}

impl Database {
    async fn create(backend: &str) -> Database {
        if let Some(url) = argument("--database") {
            return Database::Given(url);
        }
        match backend {
            "sqlite" => {
                let folder = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", folder.path().join("load.db").display());
                Database::Sqlite {
                    _folder: folder,
                    url,
                }
            }
            "postgres" => {
                use sqlx::{Connection, Executor};
                let admin = postgres_admin_url();
                let name = format!("specflow_bench_load_{}", Uuid::new_v4().simple());
                let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
                connection
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                let url = format!("{base}/{name}");
                Database::Postgres { admin, name, url }
            }
            other => panic!("--backend must be sqlite or postgres, not {other}"),
        }
    }

    fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. }
            | Database::Postgres { url, .. }
            | Database::Given(url) => url,
        }
    }

    async fn drop_database(self) {
        if let Database::Postgres { admin, name, .. } = self {
            use sqlx::{Connection, Executor};
            let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
            connection
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

fn secretariat(committee: &str) -> Actor {
    Actor::new(format!("bench-secretariat-{committee}"), "secretariat")
}

fn attach(kind: &str, content: &str) -> Command {
    Command::AttachArtifact(Artifact {
        kind: kind.to_string(),
        file_name: format!("{kind}.pdf"),
        size_bytes: content.len() as u64,
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
    })
}

fn proposal_vote() -> Command {
    let members: Vec<String> = (1..=9).map(|member| format!("member-{member}")).collect();
    Command::RecordMeeting(MeetingRecord {
        meeting_id: "M1".to_string(),
        motion: "proposal_evaluation".to_string(),
        form: MeetingForm::Meeting,
        held_on: chrono::Utc::now().date_naive(),
        roll: members.clone(),
        present: members.clone(),
        non_voting_present: Vec::new(),
        drafting_unit_members: Vec::new(),
        votes: members
            .into_iter()
            .map(|member| Vote {
                member,
                choice: VoteChoice::InFavour,
            })
            .collect(),
        minutes_sha256: None,
    })
}

/// A project of `committee` brought to where `propose`, then `approve_project`, may fire.
async fn seed_project(store: &Store, number: usize, committee: &str) -> Uuid {
    let project_id = Uuid::new_v4();
    let create = Command::CreateProject(NewProject {
        project_id,
        code: format!("JJF(沪)-2030-{number:06}"),
        title: LocalizedText::new(
            format!("负载测试规范{number}"),
            format!("load test specification {number}"),
        ),
        specification_kind: "calibration_specification".to_string(),
        committee: committee.to_string(),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: "metrology-spec".to_string(),
        definition_version: 1,
        flags: Default::default(),
    });
    for command in [
        create,
        attach("project_proposal", &format!("proposal {number}")),
        proposal_vote(),
        attach("project_application", &format!("application {number}")),
        attach("task_statement", &format!("task statement {number}")),
    ] {
        let outcome = store
            .execute(CommandRequest {
                project_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor: secretariat(committee),
                command,
            })
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommandOutcome::Accepted { .. }),
            "seeding project {number}: {outcome:?}"
        );
    }
    project_id
}

/// `text` as a URL query value.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The peak and current resident sizes of a process, in KiB, from `/proc/PID/status`.
fn resident_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, log_key: Option<&Path>) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Process::new(env!("CARGO_BIN_EXE_specflow"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", database_url, "--workflows", "workflows"]);
        if let Some(key) = log_key {
            command.arg("--log-key").arg(key);
        }
        // `SPECFLOW_BENCH_SERVER_LOG` sets the server's `RUST_LOG` (`sqlx::query=debug` lists
        // every statement with its time, to find what a part spends its time on).
        let server_log =
            std::env::var("SPECFLOW_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_string());
        let child = command
            .env("RUST_LOG", server_log)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(answer) = client.get(format!("{base}/readyz")).send().await
                && answer.status().is_success()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server { child, base }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    /// SIGTERM, as an operator would, so it finishes in-flight work; also when the bench panics,
    /// so a failed run leaves no server behind.
    fn drop(&mut self) {
        let _ = Process::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The raw baseline server (`api_load/raw.rs`): this bench's own binary again, in a process of
/// its own, killed when dropped.
struct RawServer {
    child: Child,
    base: String,
}

impl RawServer {
    fn start(database_url: &str, subjects_file: &Path) -> RawServer {
        use std::io::BufRead;
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args(["--bench", "--serve-raw", database_url, "--raw-subjects"])
            .arg(subjects_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the raw server said {line:?}"))
            .to_string();
        RawServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each part's figures, specflow's or the raw server's.
#[derive(Default)]
struct PartFigures {
    fire: Option<Summary>,
    read: Option<Summary>,
    board: Option<Summary>,
    floor: Option<Summary>,
}

/// Runs the raw baseline's version of each part asked for, on the same database, with the same
/// clients and time.
async fn raw_parts(
    url: &str,
    parts: &[&str],
    seeded: &[(Uuid, usize)],
    clients: usize,
    seconds: u64,
) -> PartFigures {
    let subjects = tempfile::NamedTempFile::new().unwrap();
    let names: Vec<String> = seeded.iter().map(|(id, _)| id.to_string()).collect();
    std::fs::write(subjects.path(), names.join("\n")).unwrap();
    let server = RawServer::start(url, subjects.path());
    let mut figures = PartFigures::default();
    let subject_paths = |route: &str| -> Arc<Vec<String>> {
        Arc::new(
            names
                .iter()
                .map(|name| format!("/raw/{route}/{name}"))
                .collect(),
        )
    };
    let raw_pid = server.child.id();
    if parts.contains(&"fire") {
        let meter = CpuMeter::start(raw_pid);
        let (tally, elapsed) = requests_for(
            &server.base,
            "",
            clients,
            seconds,
            subject_paths("fire"),
            reqwest::Method::POST,
        )
        .await;
        figures.fire = Some(
            tally
                .report("raw fire (one INSERT and COMMIT)", elapsed, "baseline")
                .with_cpu(meter),
        );
    }
    if parts.contains(&"read") {
        let meter = CpuMeter::start(raw_pid);
        let (tally, elapsed) =
            read_for(&server.base, "", clients, seconds, subject_paths("read")).await;
        figures.read = Some(
            tally
                .report("raw read (one SELECT by key)", elapsed, "baseline")
                .with_cpu(meter),
        );
    }
    if parts.contains(&"floor") {
        let paths = Arc::new(vec!["/raw/healthz".to_string()]);
        let meter = CpuMeter::start(raw_pid);
        let (tally, elapsed) = read_for(&server.base, "", clients, seconds, paths).await;
        figures.floor = Some(
            tally
                .report("raw floor (no work)", elapsed, "baseline")
                .with_cpu(meter),
        );
    }
    if parts.contains(&"board") {
        let paths = Arc::new(vec!["/raw/board".to_string()]);
        let meter = CpuMeter::start(raw_pid);
        let (tally, elapsed) = read_for(&server.base, "", clients, seconds, paths).await;
        figures.board = Some(
            tally
                .report(
                    "raw board (one keyset SELECT of 50 rows)",
                    elapsed,
                    "baseline",
                )
                .with_cpu(meter),
        );
    }
    figures
}

/// Processor time in microseconds of one process (every thread), from `/proc/PID/stat`'s
/// `utime` and `stime`.
fn cpu_micros(pid: u32, ticks_per_second: u64) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name, in parentheses, may hold spaces: fields are counted after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the name, `utime` and `stime` are the 12th and 13th fields (14 and 15 in proc(5)).
    let ticks = |index: usize| -> u64 {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) * 1_000_000 / ticks_per_second.max(1)
}

/// Processor time in microseconds of every process named `postgres` (the server's backends
/// and its background writers alike).
fn postgres_cpu_micros(ticks_per_second: u64) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(|pid| cpu_micros(pid, ticks_per_second))
        .sum()
}

/// The processor time a part took, per request: the server's (specflow's or raw's), the
/// database server's (PostgreSQL; SQLite runs inside the server) and this load generator's.
#[derive(Clone, Copy, Default)]
struct CpuPerRequest {
    server_micros: f64,
    postgres_micros: f64,
    client_micros: f64,
}

/// Processor times at the start of a part.
struct CpuMeter {
    server_pid: u32,
    ticks_per_second: u64,
    server: u64,
    postgres: u64,
    client: u64,
}

impl CpuMeter {
    fn start(server_pid: u32) -> CpuMeter {
        let ticks_per_second = Process::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100);
        CpuMeter {
            server_pid,
            ticks_per_second,
            server: cpu_micros(server_pid, ticks_per_second),
            postgres: postgres_cpu_micros(ticks_per_second),
            client: cpu_micros(std::process::id(), ticks_per_second),
        }
    }

    /// The time since `start`, per request, printed as one line.
    fn finish(self, requests: usize) -> CpuPerRequest {
        let per_request =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / requests.max(1) as f64;
        let cpu = CpuPerRequest {
            server_micros: per_request(
                cpu_micros(self.server_pid, self.ticks_per_second),
                self.server,
            ),
            postgres_micros: per_request(postgres_cpu_micros(self.ticks_per_second), self.postgres),
            client_micros: per_request(
                cpu_micros(std::process::id(), self.ticks_per_second),
                self.client,
            ),
        };
        println!(
            "  processor time per request: server {:.0} µs, PostgreSQL {:.0} µs, load generator {:.0} µs",
            cpu.server_micros, cpu.postgres_micros, cpu.client_micros
        );
        cpu
    }
}

/// Samples the server's resident size until told to stop; returns the largest current size seen.
fn watch_memory(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut largest = 0;
        while !stop.load(Ordering::Relaxed) {
            largest = largest.max(resident_kib(pid).1);
            std::thread::sleep(Duration::from_millis(50));
        }
        largest
    })
}

/// Latencies in microseconds and the failures of one measured part.
#[derive(Default)]
struct Tally {
    latencies_micros: Vec<u64>,
    failures: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_micros.extend(other.latencies_micros);
        self.failures.extend(other.failures);
    }

    fn report(mut self, label: &str, elapsed: Duration, target: &str) -> Summary {
        self.latencies_micros.sort_unstable();
        let count = self.latencies_micros.len();
        let quantile = |q: f64| {
            let index = ((count as f64 * q).ceil() as usize).clamp(1, count.max(1)) - 1;
            self.latencies_micros.get(index).copied().unwrap_or(0) as f64 / 1000.0
        };
        println!(
            "{label}: {count} requests in {:.2} s = {:.0} per second; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({target})",
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64(),
            quantile(0.50),
            quantile(0.90),
            quantile(0.99),
            quantile(1.0),
        );
        assert!(
            self.failures.is_empty(),
            "{} request(s) failed, first: {}",
            self.failures.len(),
            self.failures[0]
        );
        Summary {
            per_second: count as f64 / elapsed.as_secs_f64(),
            p99_ms: quantile(0.99),
            max_ms: quantile(1.0),
            requests: count,
            cpu: CpuPerRequest::default(),
        }
    }
}

/// A part's figures, for the ratio lines of `--compare-raw`.
#[derive(Clone, Copy)]
struct Summary {
    per_second: f64,
    p99_ms: f64,
    max_ms: f64,
    requests: usize,
    cpu: CpuPerRequest,
}

impl Summary {
    /// With the processor time the part took since `meter` started, per request.
    fn with_cpu(mut self, meter: CpuMeter) -> Summary {
        self.cpu = meter.finish(self.requests);
        self
    }
}

/// `fire ratio to raw: 0.NN (specflow N/s, p99 N ms; raw N/s, p99 N ms)`.
fn ratio_line(part: &str, specflow: Summary, raw: Summary) -> String {
    format!(
        "{part} ratio to raw: {:.2} (specflow {:.0}/s, p99 {:.1} ms, max {:.1} ms; raw {:.0}/s, p99 {:.1} ms, max {:.1} ms; p99 {:.2} times raw's; processor per request: specflow {:.0} µs + PostgreSQL {:.0} µs, raw {:.0} µs + PostgreSQL {:.0} µs)",
        specflow.per_second / raw.per_second,
        specflow.per_second,
        specflow.p99_ms,
        specflow.max_ms,
        raw.per_second,
        raw.p99_ms,
        raw.max_ms,
        specflow.p99_ms / raw.p99_ms,
        specflow.cpu.server_micros,
        specflow.cpu.postgres_micros,
        raw.cpu.server_micros,
        raw.cpu.postgres_micros,
    )
}

async fn timed(request: reqwest::RequestBuilder, tally: &mut Tally) -> Option<String> {
    let sent = Instant::now();
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            tally
                .latencies_micros
                .push(sent.elapsed().as_micros() as u64);
            if status.is_success() {
                Some(body)
            } else {
                tally.failures.push(format!("{status}: {body}"));
                None
            }
        }
        Err(error) => {
            tally.failures.push(error.to_string());
            None
        }
    }
}

/// Fires `propose` then `approve_project` on each project, `clients` at a time.
async fn fire(
    base: &str,
    projects: &[(Uuid, usize)],
    secretariat_tokens: &[String],
    supervisor_token: &str,
    clients: usize,
    seconds: u64,
) -> (Tally, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let shares: Vec<Vec<(Uuid, usize)>> = (0..clients)
        .map(|client| {
            projects
                .iter()
                .copied()
                .skip(client)
                .step_by(clients)
                .collect()
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let base = base.to_string();
            let secretariat_tokens = secretariat_tokens.to_vec();
            let supervisor_token = supervisor_token.to_string();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut tally = Tally::default();
                'projects: for (project_id, committee) in share {
                    for (action, token) in [
                        ("propose", &secretariat_tokens[committee]),
                        ("approve_project", &supervisor_token),
                    ] {
                        if Instant::now() >= deadline {
                            break 'projects;
                        }
                        let request = http
                            .post(format!(
                                "{base}/api/v1/projects/{project_id}/actions/{action}"
                            ))
                            .bearer_auth(token);
                        timed(request, &mut tally).await;
                    }
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.unwrap());
    }
    (tally, started.elapsed())
}

/// Sends GETs of `paths` (cycled) from `clients` clients for `seconds`.
async fn read_for(
    base: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    paths: Arc<Vec<String>>,
) -> (Tally, Duration) {
    requests_for(base, token, clients, seconds, paths, reqwest::Method::GET).await
}

/// Sends requests of `method` to `paths` (cycled) from `clients` clients for `seconds`.
async fn requests_for(
    base: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    paths: Arc<Vec<String>>,
    method: reqwest::Method,
) -> (Tally, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let base = base.to_string();
            let token = token.to_string();
            let paths = paths.clone();
            let next = next.clone();
            let method = method.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let index = next.fetch_add(7919, Ordering::Relaxed) as usize % paths.len();
                    let request = http
                        .request(method.clone(), format!("{base}{}", paths[index]))
                        .bearer_auth(&token);
                    timed(request, &mut tally).await;
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.unwrap());
    }
    (tally, started.elapsed())
}

/// The transparency log's side of a run: the key file given with `--log-key` and its key.
struct LogSetup {
    path: PathBuf,
    key: Arc<LogKey>,
}

fn log_setup() -> Option<LogSetup> {
    let path = PathBuf::from(argument("--log-key")?);
    let text = std::fs::read_to_string(&path).unwrap();
    let key = LogKey::from_private_key(&text).expect("--log-key names a log's private key");
    Some(LogSetup {
        path,
        key: Arc::new(key),
    })
}

/// Integrates every queued record (the seeding's) before the server starts, so that the timed
/// part pays only for its own records.
async fn integrate_all(store: &Store, key: &LogKey) {
    let started = Instant::now();
    let mut integrated = 0;
    loop {
        let integration = store.integrate_pending(key, 5_000).await.unwrap();
        assert!(
            integration.refused.is_empty(),
            "the log refused seeded records: {:?}",
            integration.refused
        );
        if integration.integrated == 0 {
            break;
        }
        integrated += integration.integrated;
    }
    println!(
        "integrated the {integrated} seeded records into the log in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The tree sizes `GET /log/checkpoint` answered, each with the wall-clock instant (µs) it was
/// first read, polled every 20 ms until told to stop.
struct CheckpointWatch {
    stop: Arc<AtomicBool>,
    largest: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Vec<(i64, u64)>>,
}

impl CheckpointWatch {
    fn start(base: &str) -> CheckpointWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let largest = Arc::new(AtomicU64::new(0));
        let url = format!("{base}/log/checkpoint");
        let task = tokio::spawn(Self::poll(url, stop.clone(), largest.clone()));
        CheckpointWatch {
            stop,
            largest,
            task,
        }
    }

    async fn poll(url: String, stop: Arc<AtomicBool>, largest: Arc<AtomicU64>) -> Vec<(i64, u64)> {
        let http = reqwest::Client::new();
        let mut sightings = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            if let Ok(answer) = http.get(&url).send().await {
                let success = answer.status().is_success();
                let text = answer.text().await.unwrap_or_default();
                // Read after the whole answer arrived: a sighting is never early.
                let at = chrono::Utc::now().timestamp_micros();
                let size = text
                    .lines()
                    .nth(1)
                    .and_then(|line| line.parse::<u64>().ok());
                if let Some(size) =
                    size.filter(|size| success && *size > largest.load(Ordering::Relaxed))
                {
                    largest.store(size, Ordering::Relaxed);
                    sightings.push((at, size));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        sightings
    }

    /// Waits until a checkpoint covering every record of the database was seen (up to 60 s),
    /// then stops polling.
    async fn finish(self, url: &str) -> Vec<(i64, u64)> {
        let started = Instant::now();
        loop {
            let records = records_in(url).await;
            if self.largest.load(Ordering::Relaxed) >= records {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no checkpoint covered all {records} records within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }

    /// With the log, reports the integration lag of the records written since `since` (µs);
    /// without it, only stops polling (the answers were all 404).
    async fn conclude(self, url: &str, since: i64) {
        let sightings = self.finish(url).await;
        report_lag(url, since, &sightings).await;
    }
}

async fn records_in(url: &str) -> u64 {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM audit_records) + (SELECT COUNT(*) FROM committee_records)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    u64::try_from(count).unwrap()
}

/// Quantiles of lags in microseconds, as milliseconds.
fn lag_line(mut lags: Vec<i64>) -> String {
    lags.sort_unstable();
    let count = lags.len();
    let quantile = |q: f64| {
        let index = ((count as f64 * q).ceil() as usize).clamp(1, count.max(1)) - 1;
        lags.get(index).copied().unwrap_or(0) as f64 / 1000.0
    };
    format!(
        "{count} records: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        quantile(0.50),
        quantile(0.90),
        quantile(0.99),
        quantile(1.0)
    )
}

/// The first instant in `covering` (instant, tree size; sizes increasing) whose tree holds
/// leaf `index`.
fn covered_at(covering: &[(i64, u64)], index: u64) -> Option<i64> {
    let position = covering.partition_point(|(_, size)| *size <= index);
    covering.get(position).map(|(at, _)| *at)
}

/// Each record written since `since` (µs): from its sealing to the first sighting of a
/// checkpoint covering its leaf, and to the covering checkpoint's signing on the server.
async fn report_lag(url: &str, since: i64, sightings: &[(i64, u64)]) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let leaves: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT l.leaf_index, a.recorded_at FROM log_leaves l JOIN audit_records a \
         ON l.record_kind = 'project' AND a.project_id = l.subject_id AND a.sequence = l.sequence \
         WHERE a.recorded_at >= $1",
    )
    .bind(since)
    .fetch_all(&pool)
    .await
    .unwrap();
    let signed: Vec<(i64, i64)> =
        sqlx::query_as("SELECT signed_at, tree_size FROM log_checkpoints ORDER BY tree_size")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let signed: Vec<(i64, u64)> = signed
        .into_iter()
        .map(|(at, size)| (at, u64::try_from(size).unwrap()))
        .collect();
    let lag = |covering: &[(i64, u64)]| -> Vec<i64> {
        leaves
            .iter()
            .map(|(leaf, recorded)| {
                let covered = covered_at(covering, u64::try_from(*leaf).unwrap());
                covered.expect("a record without a covering checkpoint") - recorded
            })
            .collect()
    };
    println!(
        "integration lag, sealed to a covering checkpoint seen at GET /log/checkpoint: {} (target: p99 under 1 s)",
        lag_line(lag(sightings))
    );
    println!(
        "integration lag, sealed to the covering checkpoint's signed_at on the server: {}; {} checkpoints signed during the run",
        lag_line(lag(&signed)),
        signed.iter().filter(|(at, _)| *at >= since).count()
    );
}

/// The database checked against its latest checkpoint, as `specflow audit verify --checkpoint`
/// does after the chains, in records (leaves) a second.
async fn report_verification(url: &str, key: &LogKey) {
    let store = Store::open(url, StoreOptions::default()).await.unwrap();
    let checkpoint = store.latest_checkpoint().await.unwrap().unwrap();
    let verifier = key.verifier();
    let opened = specflow_store::log_verify::open_checkpoint(&checkpoint.note, &verifier, &[])
        .expect("the latest checkpoint opens with the log's key");
    let started = Instant::now();
    let verification = store
        .verify_against_checkpoint(&opened, &verifier)
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert!(verification.holds(), "{:?}", verification.faults);
    println!(
        "verified the database against its checkpoint of {} leaves in {elapsed:.2} s = {:.0} records per second",
        checkpoint.tree_size,
        checkpoint.tree_size as f64 / elapsed
    );
    store.close().await;
}

async fn token(store: &Store, name: &str, role: Role, committee: Option<&str>) -> String {
    let name = format!("{name}-{}", Uuid::new_v4().simple());
    let (created, _) = store
        .create_token(&name, role, committee, None, None)
        .await
        .unwrap();
    created.bearer().to_string()
}

/// `projects` projects seeded through the store, 64 at a time, each with its committee's number.
async fn seed_all(store: &Store, projects: usize) -> Vec<(Uuid, usize)> {
    use futures_util::StreamExt;
    let started = Instant::now();
    let seeded: Vec<(Uuid, usize)> = futures_util::stream::iter(0..projects)
        .map(|number| {
            let store = store.clone();
            async move {
                let committee = number % COMMITTEES.len();
                (
                    seed_project(&store, number, COMMITTEES[committee]).await,
                    committee,
                )
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    println!(
        "seeded {} projects (5 commands each) through the store in {:.1} s",
        seeded.len(),
        started.elapsed().as_secs_f64()
    );
    seeded
}

#[tokio::main]
async fn main() {
    if let Some(url) = argument("--serve-raw") {
        raw::serve(&url, argument("--raw-subjects").as_deref()).await;
        return;
    }
    let backend = argument("--backend").unwrap_or_else(|| "sqlite".to_string());
    let parts = argument("--part").unwrap_or_else(|| "fire,read".to_string());
    let parts: Vec<&str> = parts.split(',').collect();
    let clients = number_argument("--clients", 32);
    let seconds = number_argument("--seconds", 10) as u64;
    let projects = number_argument("--projects", 12_000);
    let log = log_setup();
    let database = Database::create(&backend).await;
    let url = database.url().to_string();
    println!(
        "backend {backend}, {clients} clients, parts {parts:?}, transparency log {}",
        if log.is_some() { "on" } else { "off" }
    );

    let options = StoreOptions {
        log_key: log.as_ref().map(|log| log.key.clone()),
        ..StoreOptions::default()
    };
    let store = Store::open(&url, options).await.unwrap();
    store
        .register_workflow_folder(std::path::Path::new("workflows"))
        .await
        .unwrap();
    let supervisor_token = token(&store, "bench-bureau", Role::Supervisor, None).await;
    let mut secretariat_tokens = Vec::new();
    for committee in COMMITTEES {
        secretariat_tokens.push(
            token(
                &store,
                &format!("bench-secretariat-{committee}"),
                Role::Secretariat,
                Some(committee),
            )
            .await,
        );
    }
    let seeded = if parts.contains(&"fire") || parts.contains(&"read") {
        seed_all(&store, projects).await
    } else {
        Vec::new()
    };
    let overdue_present = store
        .list_overdue(None, None, 1)
        .await
        .map(|page| !page.items.is_empty())
        .unwrap_or(false);
    // The committees that have overdue projects, for the board filtered by committee.
    let mut board_committees: Vec<String> = store
        .list_overdue(None, None, 1000)
        .await
        .map(|page| page.items.into_iter().map(|item| item.committee).collect())
        .unwrap_or_default();
    board_committees.sort();
    board_committees.dedup();
    let total_projects = store
        .list_projects(&ProjectFilter::default(), None, 1)
        .await
        .map(|page| page.items.len())
        .unwrap_or(0);
    if let Some(log) = &log {
        integrate_all(&store, &log.key).await;
    }
    store.close().await;
    let compare_raw = std::env::args().any(|argument| argument == "--compare-raw");
    let raw = if compare_raw {
        Some(raw_parts(&url, &parts, &seeded, clients, seconds).await)
    } else {
        None
    };
    let mut figures = PartFigures::default();

    let server = Server::start(&url, log.as_ref().map(|log| log.path.as_path())).await;
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watcher = watch_memory(server.pid(), stop_watch.clone());
    println!(
        "server pid {}, resident {} KiB after start",
        server.pid(),
        resident_kib(server.pid()).1
    );

    if parts.contains(&"fire") {
        let since = chrono::Utc::now().timestamp_micros();
        // Without a log key no checkpoint is signed: polling for one would only add load.
        let watch = log.is_some().then(|| CheckpointWatch::start(&server.base));
        let meter = CpuMeter::start(server.pid());
        let (tally, elapsed) = fire(
            &server.base,
            &seeded,
            &secretariat_tokens,
            &supervisor_token,
            clients,
            seconds,
        )
        .await;
        figures.fire = Some(tally.report(
            &format!("fire actions ({backend})"),
            elapsed,
            "target (issue 19): at least 0.7 of raw's rate, p99 at most twice raw's, max at most five times p99",
        ).with_cpu(meter));
        if let Some(watch) = watch {
            watch.conclude(&url, since).await;
        }
    }
    if parts.contains(&"read") {
        let paths: Vec<String> = seeded
            .iter()
            .map(|(project_id, _)| format!("/api/v1/projects/{project_id}"))
            .collect();
        let meter = CpuMeter::start(server.pid());
        let (tally, elapsed) = read_for(
            &server.base,
            &supervisor_token,
            clients,
            seconds,
            Arc::new(paths),
        )
        .await;
        figures.read = Some(
            tally
                .report(
                    &format!("read a project ({backend})"),
                    elapsed,
                    "target (issue 19): at least 0.5 of raw's rate, p99 at most twice raw's",
                )
                .with_cpu(meter),
        );
    }
    if parts.contains(&"floor") {
        let paths = Arc::new(vec!["/healthz".to_string()]);
        let meter = CpuMeter::start(server.pid());
        let (tally, elapsed) =
            read_for(&server.base, &supervisor_token, clients, seconds, paths).await;
        figures.floor = Some(
            tally
                .report(
                    &format!("floor: GET /healthz through the whole stack ({backend})"),
                    elapsed,
                    "no target: how much of a read is the HTTP stack and its middleware",
                )
                .with_cpu(meter),
        );
    }
    if parts.contains(&"board") {
        assert!(
            overdue_present && total_projects > 0,
            "--part board needs --database naming a database loaded by the scale bench"
        );
        let paths = vec!["/api/v1/overdue?limit=50".to_string()];
        let meter = CpuMeter::start(server.pid());
        let (tally, elapsed) = read_for(
            &server.base,
            &supervisor_token,
            clients,
            seconds,
            Arc::new(paths),
        )
        .await;
        figures.board = Some(
            tally
                .report(
                    &format!("overdue board, first page of 50 ({backend})"),
                    elapsed,
                    "target (issue 19) with 1,000,000 projects: at least 0.5 of raw's rate",
                )
                .with_cpu(meter),
        );
        let paths: Vec<String> = board_committees
            .iter()
            .map(|committee| {
                format!(
                    "/api/v1/overdue?limit=50&committee={}",
                    percent_encoded(committee)
                )
            })
            .collect();
        println!("  ({} committees, cycled)", paths.len());
        let (tally, elapsed) = read_for(
            &server.base,
            &supervisor_token,
            clients,
            seconds,
            Arc::new(paths),
        )
        .await;
        tally.report(
            &format!("overdue board, one committee's first page of 50 ({backend})"),
            elapsed,
            "target with 1,000,000 projects: p99 under 20 ms",
        );
    }

    stop_watch.store(true, Ordering::Relaxed);
    let largest_sampled = watcher.join().unwrap();
    let (peak, current) = resident_kib(server.pid());
    println!(
        "server resident size: peak (VmHWM) {:.1} MiB, largest sampled {:.1} MiB, at the end {:.1} MiB (target: under 150 MB throughout)",
        peak as f64 / 1024.0,
        largest_sampled as f64 / 1024.0,
        current as f64 / 1024.0
    );
    drop(server);
    if let Some(log) = &log {
        report_verification(&url, &log.key).await;
    }
    if let Some(raw) = raw {
        for (part, specflow, raw) in [
            ("fire", figures.fire, raw.fire),
            ("read", figures.read, raw.read),
            ("board", figures.board, raw.board),
            ("floor", figures.floor, raw.floor),
        ] {
            if let (Some(specflow), Some(raw)) = (specflow, raw) {
                println!("{}", ratio_line(part, specflow, raw));
            }
        }
    }
    database.drop_database().await;
}
