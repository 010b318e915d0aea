//! A soak bench (issue 17): two `specflow serve` nodes on one PostgreSQL database, a mixed load,
//! and one node killed with SIGKILL and restarted every `--kill-every` seconds.
//!
//! `cargo bench --bench soak -- [--minutes 10] [--kill-every 30] [--clients 8] [--pause-ms 25]
//! [--fire-pool 300] [--upload-projects 200] [--uploads-per-project 20]
//! [--deadline-projects-per-minute 60]`
//!
//! 1. A fresh PostgreSQL database is created through `SPECFLOW_BENCH_POSTGRES_URL` or
//!    `SPECFLOW_TEST_POSTGRES_URL` (and dropped at the end). The bench registers the workflows of
//!    `workflows/` and seeds, through the store's real write path, projects where `propose` and
//!    then `approve_project` may fire (the fire pool, topped up while the run goes on) and
//!    projects in drafting that receive uploads.
//! 2. Two nodes, `a` and `b`, run the release `specflow serve` on free loopback ports, both with
//!    their scheduler (a short lease and re-scan, so a killed node's claims run out within the
//!    run). Node `b` is killed with SIGKILL every `--kill-every` seconds and started again on the
//!    same port. Node `a` is never killed: its resident size is sampled at each kill, and growth
//!    is judged from the middle of the run to the end (its caches fill during the first minutes).
//!    Node `b`'s is compared at the same point of each of its lives (just before each kill).
//! 3. Clients spread requests over both nodes: reads of projects and of the overdue board, fires
//!    of `propose` and `approve_project`, and uploads of a few KB (each project in drafting takes
//!    `--uploads-per-project` and is then replaced by a fresh one, so that states stay the same
//!    size and memory measures the service rather than ever longer logs). A write carries an
//!    `Idempotency-Key` and is sent again, with the same key, to the other node when a node does
//!    not answer or answers 503, until some node answers. Connection errors and 503s are counted
//!    apart from other 5xx, and each is placed in or out of node `b`'s restart windows.
//! 4. Deadline firings: while the load runs, a store in the bench with its clock 27 months in the
//!    past creates projects and approves them, so their drafting and overall deadlines (warnings,
//!    misses, escalations, a freeze) are due at once in real time. Those writes announce the
//!    deadlines to the nodes (`NOTIFY`), whose schedulers race to claim and fire them.
//! 5. At the end the load stops, node `b` is up again, the bench waits until nothing is due, and
//!    then checks through the store: every acknowledged write is in the log under its command id,
//!    no deadline event is in any log twice, and every project's chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Utc;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use specflow_engine::command::{Artifact, MeetingRecord, NewProject, Vote, VoteChoice};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::auth::Role;
use specflow_store::{Clock, CommandOutcome, CommandRequest, ManualClock, Store, StoreOptions};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const COMMITTEES: [&str; 4] = ["SH-TC-01", "SH-TC-02", "SH-TC-03", "SH-TC-04"];

/// The event types a scheduler's tick writes, each at most once per deadline instance.
const DEADLINE_EVENT_TYPES: [&str; 6] = [
    "deadline_warning_given",
    "deadline_missed",
    "project_escalated",
    "project_frozen",
    "reexamination_warning_given",
    "reexamination_fell_due",
];

/// How long a write is sent again, node after node, before the bench gives it up.
const WRITE_GIVE_UP: Duration = Duration::from_secs(60);

/// After a restarted node is ready, how long its failures still count as the restart's.
const RESTART_GRACE: Duration = Duration::from_secs(2);

fn argument(name: &str) -> Option<String> {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|index| arguments.get(index + 1).cloned())
}

fn number_argument(name: &str, default: u64) -> u64 {
    argument(name).map_or(default, |value| value.parse().unwrap())
}

/// The run's settings, from the command line.
#[derive(Debug, Clone)]
struct Settings {
    run_for: Duration,
    kill_every: Duration,
    clients: usize,
    pause: Duration,
    fire_pool: usize,
    upload_projects: usize,
    uploads_per_project: u32,
    deadline_projects_per_minute: u64,
}

impl Settings {
    fn from_arguments() -> Settings {
        let seconds = argument("--seconds").map(|value| value.parse::<u64>().unwrap());
        let minutes = number_argument("--minutes", 10);
        Settings {
            run_for: Duration::from_secs(seconds.unwrap_or(minutes * 60)),
            kill_every: Duration::from_secs(number_argument("--kill-every", 30)),
            clients: number_argument("--clients", 8) as usize,
            pause: Duration::from_millis(number_argument("--pause-ms", 25)),
            fire_pool: number_argument("--fire-pool", 300) as usize,
            upload_projects: number_argument("--upload-projects", 200) as usize,
            uploads_per_project: number_argument("--uploads-per-project", 20) as u32,
            deadline_projects_per_minute: number_argument("--deadline-projects-per-minute", 60),
        }
    }
}

/// A PostgreSQL database made for this run, dropped at the end.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Database {
        use sqlx::{Connection, Executor};
        let admin = std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
            .expect("set SPECFLOW_BENCH_POSTGRES_URL or SPECFLOW_TEST_POSTGRES_URL");
        let name = format!("specflow_bench_soak_{}", Uuid::new_v4().simple());
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        connection
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Database { admin, name, url }
    }
}

impl Drop for Database {
    /// Drops the database also when the bench fails, from a thread with a runtime of its own
    /// (this may run while the bench's runtime unwinds).
    fn drop(&mut self) {
        use sqlx::{Connection, Executor};
        let admin = self.admin.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
                connection.execute(statement.as_str()).await.unwrap();
            });
        });
        if dropping.join().is_err() {
            eprintln!("could not drop the bench's database {}", self.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeding, through the store's write path.

fn secretariat(committee: &str) -> Actor {
    Actor::new(format!("bench-secretariat-{committee}"), "secretariat")
}

fn bureau() -> Actor {
    Actor::new("bench-bureau", "supervisor")
}

fn attach(kind: &str, content: &str) -> Command {
    Command::AttachArtifact(Artifact {
        kind: kind.to_string(),
        file_name: format!("{kind}.pdf"),
        size_bytes: content.len() as u64,
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
    })
}

fn proposal_vote(held_on: chrono::NaiveDate) -> Command {
    let members: Vec<String> = (1..=9).map(|member| format!("member-{member}")).collect();
    Command::RecordMeeting(MeetingRecord {
        meeting_id: "M1".to_string(),
        motion: "proposal_evaluation".to_string(),
        form: MeetingForm::Meeting,
        held_on,
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

fn fire(action: &str) -> Command {
    Command::FireAction {
        action: action.to_string(),
        reason: None,
    }
}

/// Carries out `commands` on a new project, in order, each of which must be accepted.
async fn seed_project(
    store: &Store,
    code: String,
    committee: &str,
    commands: Vec<(Actor, Command)>,
) -> Uuid {
    let project_id = Uuid::new_v4();
    let create = Command::CreateProject(NewProject {
        project_id,
        code: code.clone(),
        title: LocalizedText::new(
            format!("浸泡测试规范{code}"),
            format!("soak test specification {code}"),
        ),
        specification_kind: "calibration_specification".to_string(),
        committee: committee.to_string(),
        drafting_unit: "上海市计量测试技术研究院".to_string(),
        definition_id: "metrology-spec".to_string(),
        definition_version: 1,
        flags: Default::default(),
    });
    let steps = std::iter::once((secretariat(committee), create)).chain(commands);
    for (actor, command) in steps {
        let outcome = store
            .execute(CommandRequest {
                project_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor,
                command,
            })
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommandOutcome::Accepted { .. }),
            "seeding project {code}: {outcome:?}"
        );
    }
    project_id
}

/// The commands that bring a created project to where `propose` may fire, then `approve_project`.
fn ready_to_propose(
    committee: &str,
    number: u64,
    held_on: chrono::NaiveDate,
) -> Vec<(Actor, Command)> {
    let actor = secretariat(committee);
    vec![
        (
            actor.clone(),
            attach("project_proposal", &format!("proposal {number}")),
        ),
        (actor.clone(), proposal_vote(held_on)),
        (
            actor.clone(),
            attach("project_application", &format!("application {number}")),
        ),
        (
            actor,
            attach("task_statement", &format!("task statement {number}")),
        ),
    ]
}

/// The commands that bring a created project into drafting, where its deadlines start.
fn into_drafting(
    committee: &str,
    number: u64,
    held_on: chrono::NaiveDate,
) -> Vec<(Actor, Command)> {
    let mut commands = ready_to_propose(committee, number, held_on);
    commands.push((secretariat(committee), fire("propose")));
    commands.push((bureau(), fire("approve_project")));
    commands
}

/// A project where `propose` may fire, waiting for a client; `next_step` 0 is `propose`,
/// 1 `approve_project`.
#[derive(Debug, Clone, Copy)]
struct FireWork {
    project_id: Uuid,
    committee: usize,
    next_step: usize,
}

/// Projects numbered from here on get codes no other seeding uses.
static NEXT_PROJECT_NUMBER: AtomicU64 = AtomicU64::new(1);

fn next_code(series: u32) -> (u64, String) {
    let number = NEXT_PROJECT_NUMBER.fetch_add(1, Ordering::Relaxed);
    (number, format!("JJF(沪)-{series}-{number:06}"))
}

/// Seeds `count` projects ready for `propose`, 8 at a time.
async fn seed_fire_work(store: &Store, count: usize) -> Vec<FireWork> {
    futures_util::stream::iter(0..count)
        .map(|index| {
            let store = store.clone();
            async move {
                let committee = index % COMMITTEES.len();
                let (number, code) = next_code(2030);
                let today = Utc::now().date_naive();
                let commands = ready_to_propose(COMMITTEES[committee], number, today);
                let project_id = seed_project(&store, code, COMMITTEES[committee], commands).await;
                FireWork {
                    project_id,
                    committee,
                    next_step: 0,
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// A project in drafting that clients upload drafts to, and how many it has had.
#[derive(Debug, Clone, Copy)]
struct UploadTarget {
    project_id: Uuid,
    committee: usize,
    uploads: u32,
}

/// Seeds `count` projects in drafting, which clients upload drafts to.
async fn seed_upload_projects(store: &Store, count: usize) -> Vec<UploadTarget> {
    futures_util::stream::iter(0..count)
        .map(|index| {
            let store = store.clone();
            async move {
                let committee = index % COMMITTEES.len();
                let (number, code) = next_code(2031);
                let today = Utc::now().date_naive();
                let commands = into_drafting(COMMITTEES[committee], number, today);
                UploadTarget {
                    project_id: seed_project(&store, code, COMMITTEES[committee], commands).await,
                    committee,
                    uploads: 0,
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// Keeps the pools from running dry: whenever fewer than `low_water` projects wait for
/// `propose`, seeds `low_water` more; whenever the upload pool has lost projects (each leaves it
/// after `--uploads-per-project` uploads, so no project's state grows without bound and the
/// nodes' memory measures the service, not ever longer logs), seeds their replacements.
async fn keep_pools_filled(
    store: Store,
    shared: Arc<Shared>,
    low_water: usize,
    upload_projects: usize,
) -> (usize, usize) {
    let (mut fire_seeded, mut upload_seeded) = (0, 0);
    while !shared.stop.load(Ordering::Relaxed) {
        let waiting = shared
            .fire_pool
            .lock()
            .unwrap()
            .iter()
            .filter(|work| work.next_step == 0)
            .count();
        let missing_uploads =
            upload_projects.saturating_sub(shared.upload_projects.lock().unwrap().len());
        if waiting >= low_water && missing_uploads == 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if waiting < low_water {
            let fresh = seed_fire_work(&store, low_water).await;
            fire_seeded += fresh.len();
            shared.fire_pool.lock().unwrap().extend(fresh);
        }
        if missing_uploads > 0 {
            let fresh = seed_upload_projects(&store, missing_uploads).await;
            upload_seeded += fresh.len();
            shared.upload_projects.lock().unwrap().extend(fresh);
        }
    }
    (fire_seeded, upload_seeded)
}

/// Creates projects approved 27 months ago, `per_minute` a minute, until told to stop: their
/// drafting and overall deadlines have all passed, so the nodes' schedulers fire them at once.
/// Returns how many it created.
async fn create_due_projects(
    store: Store,
    clock: Arc<ManualClock>,
    per_minute: u64,
    stop: Arc<AtomicBool>,
) -> u64 {
    let mut created = 0;
    if per_minute == 0 {
        return created;
    }
    let mut every = tokio::time::interval(Duration::from_secs(60) / per_minute as u32);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        every.tick().await;
        // 820 days (27 months) ago: past the overall deadline (24 months) and its escalation
        // (30 days more), so every warning, miss, escalation and the freeze are due now.
        clock.set(Utc::now() - chrono::Duration::days(820));
        let committee = (created as usize) % COMMITTEES.len();
        let (number, code) = next_code(2032);
        let held_on = clock.now().date_naive();
        let commands = into_drafting(COMMITTEES[committee], number, held_on);
        seed_project(&store, code, COMMITTEES[committee], commands).await;
        created += 1;
    }
    created
}

async fn token(store: &Store, name: &str, role: Role, committee: Option<&str>) -> String {
    let name = format!("{name}-{}", Uuid::new_v4().simple());
    let (created, _) = store
        .create_token(&name, role, committee, None, None)
        .await
        .unwrap();
    created.bearer().to_string()
}

// ---------------------------------------------------------------------------------------------
// Nodes.

/// The peak and current resident sizes of a process, in KiB, from `/proc/PID/status`.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `specflow serve` process, which can be killed and started again on the same port.
struct Node {
    name: &'static str,
    port: u16,
    database_url: String,
    child: Option<Child>,
}

impl Node {
    /// A node on a free loopback port, not started yet.
    fn new(name: &'static str, database_url: &str) -> Node {
        Node {
            name,
            port: free_port(),
            database_url: database_url.to_string(),
            child: None,
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Starts the process and waits until `/readyz` answers 200.
    async fn start(&mut self) {
        // A short lease and re-scan: a node killed mid-batch holds its claims for seconds, not a
        // minute, so the run sees those projects fired by the other node.
        let child = Process::new(env!("CARGO_BIN_EXE_specflow"))
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--database", &self.database_url, "--workflows", "workflows"])
            .args(["--scheduler-lease", "10s", "--scheduler-rescan", "10s"])
            .args(["--node-name", self.name])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(answer) = client.get(format!("{}/readyz", self.base())).send().await
                && answer.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "node {} did not become ready",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no graceful shutdown, in-flight work lost.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, as an operator would stop it.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Process::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    /// A failed run leaves no server behind.
    fn drop(&mut self) {
        self.stop();
    }
}

/// When node `b` was killed, and when it answered `/readyz` again.
#[derive(Debug, Clone, Copy)]
struct RestartWindow {
    killed_at: Instant,
    ready_at: Instant,
}

impl RestartWindow {
    fn holds(&self, at: Instant) -> bool {
        at >= self.killed_at && at <= self.ready_at + RESTART_GRACE
    }
}

/// What the killer saw: node `b`'s restart windows and its resident size just before each kill,
/// that is at the same point of each of its lives, and node `a`'s at the same instants.
#[derive(Debug, Default)]
struct KillerReport {
    windows: Vec<RestartWindow>,
    resident_before_kill_kib: Vec<u64>,
    other_node_resident_kib: Vec<u64>,
    restart_seconds: Vec<f64>,
}

/// Kills node `b` every `every` and starts it again, until told to stop; returns the node (up).
/// Samples the resident size of node `a` (`other_pid`) at each kill.
async fn kill_repeatedly(
    mut node: Node,
    other_pid: u32,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> (Node, KillerReport) {
    let mut report = KillerReport::default();
    let mut next_kill = Instant::now() + every;
    loop {
        while Instant::now() < next_kill {
            if stop.load(Ordering::Relaxed) {
                return (node, report);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        report
            .resident_before_kill_kib
            .push(resident_kib(node.pid()));
        report.other_node_resident_kib.push(resident_kib(other_pid));
        let killed_at = Instant::now();
        node.kill();
        node.start().await;
        let ready_at = Instant::now();
        report
            .restart_seconds
            .push((ready_at - killed_at).as_secs_f64());
        report.windows.push(RestartWindow {
            killed_at,
            ready_at,
        });
        next_kill = ready_at + every;
    }
}

// ---------------------------------------------------------------------------------------------
// Clients.

/// An answer that is not a success, with when and from which node (0 is `a`, 1 is `b`).
#[derive(Debug, Clone)]
struct Incident {
    at: Instant,
    node: usize,
    kind: IncidentKind,
}

#[derive(Debug, Clone)]
enum IncidentKind {
    /// No answer: refused, reset, or timed out.
    Connection(String),
    /// 503: the node or its database cannot answer now.
    Unavailable,
    /// Any other 5xx.
    ServerError(u16, String),
    /// A 4xx, which this load never should get.
    ClientError(u16, String),
}

/// A write answered 2xx: the records it says it appended.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct AcknowledgedWrite {
    project_id: Uuid,
    command_id: Uuid,
    first_sequence: u64,
    last_sequence: u64,
}

/// What one client did.
#[derive(Debug, Default)]
struct ClientTally {
    served: BTreeMap<&'static str, u64>,
    attempts: u64,
    incidents: Vec<Incident>,
    acknowledged: Vec<AcknowledgedWrite>,
    writes_given_up: u64,
}

/// What every client shares.
struct Shared {
    bases: [String; 2],
    supervisor_token: String,
    secretariat_tokens: Vec<String>,
    read_targets: Vec<Uuid>,
    upload_projects: Mutex<Vec<UploadTarget>>,
    uploads_per_project: u32,
    fire_pool: Arc<Mutex<VecDeque<FireWork>>>,
    pause: Duration,
    stop: Arc<AtomicBool>,
}

/// How one attempt went.
enum Attempt {
    Answered(reqwest::StatusCode, String),
    NoAnswer(String),
}

async fn attempt(request: reqwest::RequestBuilder) -> Attempt {
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            match answer.text().await {
                Ok(body) => Attempt::Answered(status, body),
                Err(error) => Attempt::NoAnswer(error.to_string()),
            }
        }
        Err(error) => Attempt::NoAnswer(error.to_string()),
    }
}

/// Counts a failed attempt; whether it is worth sending again (no answer, or 503).
fn note_failure(tally: &mut ClientTally, node: usize, outcome: Attempt) -> bool {
    let (kind, again) = match outcome {
        Attempt::NoAnswer(error) => (IncidentKind::Connection(error), true),
        Attempt::Answered(status, _) if status == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
            (IncidentKind::Unavailable, true)
        }
        Attempt::Answered(status, body) if status.is_server_error() => {
            (IncidentKind::ServerError(status.as_u16(), body), false)
        }
        Attempt::Answered(status, body) => {
            (IncidentKind::ClientError(status.as_u16(), body), false)
        }
    };
    tally.incidents.push(Incident {
        at: Instant::now(),
        node,
        kind,
    });
    again
}

/// Sends a read to one node and, when it does not answer or answers 503, to the other.
async fn read(
    http: &reqwest::Client,
    shared: &Shared,
    tally: &mut ClientTally,
    first_node: usize,
    path: &str,
    label: &'static str,
) {
    for node in [first_node, 1 - first_node] {
        tally.attempts += 1;
        let request = http
            .get(format!("{}{path}", shared.bases[node]))
            .bearer_auth(&shared.supervisor_token);
        match attempt(request).await {
            Attempt::Answered(status, _) if status.is_success() => {
                *tally.served.entry(label).or_default() += 1;
                return;
            }
            outcome => {
                if !note_failure(tally, node, outcome) {
                    return;
                }
            }
        }
    }
}

/// Sends a write under one `Idempotency-Key` to one node after the other until one answers
/// something else than 503; its acknowledgement when it was a success.
async fn write(
    http: &reqwest::Client,
    shared: &Shared,
    tally: &mut ClientTally,
    first_node: usize,
    label: &'static str,
    build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Option<AcknowledgedWrite> {
    let key = Uuid::new_v4().to_string();
    let started = Instant::now();
    let mut node = first_node;
    while started.elapsed() < WRITE_GIVE_UP {
        tally.attempts += 1;
        let request = build(http, &shared.bases[node]).header("Idempotency-Key", &key);
        match attempt(request).await {
            Attempt::Answered(status, body) if status.is_success() => {
                let acknowledged: AcknowledgedWrite = serde_json::from_str(&body).unwrap();
                *tally.served.entry(label).or_default() += 1;
                tally.acknowledged.push(acknowledged);
                return Some(acknowledged);
            }
            outcome => {
                if !note_failure(tally, node, outcome) {
                    return None;
                }
            }
        }
        node = 1 - node;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tally.writes_given_up += 1;
    None
}

/// Fires the next step of a project from the pool, if any waits; puts it back for its next step.
async fn fire_next(
    http: &reqwest::Client,
    shared: &Shared,
    tally: &mut ClientTally,
    node: usize,
) -> bool {
    let Some(work) = shared.fire_pool.lock().unwrap().pop_front() else {
        return false;
    };
    let (action, token) = match work.next_step {
        0 => ("propose", &shared.secretariat_tokens[work.committee]),
        _ => ("approve_project", &shared.supervisor_token),
    };
    let path = format!("/api/v1/projects/{}/actions/{action}", work.project_id);
    let written = write(http, shared, tally, node, "fire", |http, base| {
        http.post(format!("{base}{path}")).bearer_auth(token)
    })
    .await;
    if written.is_some() && work.next_step == 0 {
        shared.fire_pool.lock().unwrap().push_back(FireWork {
            next_step: 1,
            ..work
        });
    }
    true
}

/// Uploads a draft of 2 to 8 KB to a project in drafting.
async fn upload(
    http: &reqwest::Client,
    shared: &Shared,
    tally: &mut ClientTally,
    node: usize,
    rng: &mut fastrand::Rng,
) {
    let target = {
        let mut targets = shared.upload_projects.lock().unwrap();
        if targets.is_empty() {
            return;
        }
        let index = rng.usize(..targets.len());
        targets[index].uploads += 1;
        let target = targets[index];
        if target.uploads >= shared.uploads_per_project {
            targets.swap_remove(index);
        }
        target
    };
    let UploadTarget {
        project_id,
        committee,
        ..
    } = target;
    let mut content = vec![0_u8; rng.usize(2048..8192)];
    rng.fill(&mut content);
    let token = &shared.secretariat_tokens[committee];
    let path = format!(
        "/api/v1/projects/{project_id}/artifacts?kind=consultation_draft&file_name=draft-{}.pdf",
        rng.u32(..)
    );
    write(http, shared, tally, node, "upload", |http, base| {
        http.post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("Content-Type", "application/octet-stream")
            .body(content.clone())
    })
    .await;
}

/// One client: until told to stop, a request at a time, spread over both nodes.
async fn client(shared: Arc<Shared>, seed: u64) -> ClientTally {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = ClientTally::default();
    let mut turn = seed as usize;
    while !shared.stop.load(Ordering::Relaxed) {
        turn += 1;
        let node = turn % 2;
        match rng.u32(..100) {
            0..40 => {
                let project_id = shared.read_targets[rng.usize(..shared.read_targets.len())];
                read(
                    &http,
                    &shared,
                    &mut tally,
                    node,
                    &format!("/api/v1/projects/{project_id}"),
                    "read a project",
                )
                .await;
            }
            40..50 => {
                read(
                    &http,
                    &shared,
                    &mut tally,
                    node,
                    "/api/v1/overdue?limit=50",
                    "read the overdue board",
                )
                .await
            }
            50..75 => {
                if !fire_next(&http, &shared, &mut tally, node).await {
                    upload(&http, &shared, &mut tally, node, &mut rng).await;
                }
            }
            _ => upload(&http, &shared, &mut tally, node, &mut rng).await,
        }
        if !shared.pause.is_zero() {
            tokio::time::sleep(shared.pause).await;
        }
    }
    tally
}

// ---------------------------------------------------------------------------------------------
// The checks at the end, through the store.

/// What the log says at the end.
#[derive(Debug, Default)]
struct LogCheck {
    projects: u64,
    records: u64,
    chains_verified: u64,
    chain_failures: Vec<String>,
    deadline_firings: u64,
    duplicate_firings: Vec<String>,
    acknowledged_checked: u64,
    lost_writes: Vec<String>,
}

/// Every record of a project, in order.
async fn all_records(store: &Store, project_id: Uuid) -> Vec<specflow_engine::audit::AuditRecord> {
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = store.history(project_id, after, 1000).await.unwrap();
        records.extend(page.records);
        match page.next_after_sequence {
            Some(next) => after = next,
            None => return records,
        }
    }
}

/// The deadline events of a log that name the same instance (type, deadline, instant) twice.
fn duplicate_firings_in(records: &[specflow_engine::audit::AuditRecord], check: &mut LogCheck) {
    let mut seen = HashSet::new();
    for record in records
        .iter()
        .filter(|record| DEADLINE_EVENT_TYPES.contains(&record.event_type.as_str()))
    {
        check.deadline_firings += 1;
        let event: serde_json::Value = serde_json::from_str(&record.event).unwrap();
        let instance = (
            record.event_type.clone(),
            event["deadline"].to_string(),
            event["fell_due_at"].to_string(),
        );
        if !seen.insert(instance.clone()) {
            check.duplicate_firings.push(format!(
                "project {} sequence {}: {instance:?} fired again",
                record.project_id, record.sequence
            ));
        }
    }
}

/// Whether every acknowledged write of a project is in its log under its command id.
fn lost_writes_in(
    records: &[specflow_engine::audit::AuditRecord],
    acknowledged: &[AcknowledgedWrite],
    check: &mut LogCheck,
) {
    for write in acknowledged {
        check.acknowledged_checked += 1;
        for sequence in write.first_sequence..=write.last_sequence {
            let found = records
                .get(sequence as usize - 1)
                .filter(|record| record.sequence == sequence);
            if found.and_then(|record| record.command_id) != Some(write.command_id) {
                check.lost_writes.push(format!(
                    "project {} sequence {sequence}: acknowledged for command {}, the log has {:?}",
                    write.project_id,
                    write.command_id,
                    found.map(|record| record.command_id)
                ));
            }
        }
    }
}

async fn check_log(store: &Store, acknowledged: &[AcknowledgedWrite]) -> LogCheck {
    let mut by_project: HashMap<Uuid, Vec<AcknowledgedWrite>> = HashMap::new();
    for write in acknowledged {
        by_project.entry(write.project_id).or_default().push(*write);
    }
    let mut check = LogCheck::default();
    let mut after = None;
    loop {
        let ids = store.project_ids_with_records(after, 500).await.unwrap();
        let Some(last) = ids.last().copied() else {
            break;
        };
        for project_id in ids {
            check.projects += 1;
            let records = all_records(store, project_id).await;
            check.records += records.len() as u64;
            duplicate_firings_in(&records, &mut check);
            lost_writes_in(
                &records,
                by_project.remove(&project_id).as_deref().unwrap_or(&[]),
                &mut check,
            );
            match store.verify_project(project_id).await.unwrap() {
                Ok(_) => check.chains_verified += 1,
                Err(failure) => check
                    .chain_failures
                    .push(format!("project {project_id}: {failure:?}")),
            }
        }
        after = Some(last);
    }
    for (project_id, writes) in by_project {
        check.lost_writes.push(format!(
            "project {project_id}: {} acknowledged write(s), no log at all",
            writes.len()
        ));
    }
    check
}

/// Waits until no deadline is due (both nodes up); false when some still are after `patience`.
async fn wait_until_nothing_due(store: &Store, patience: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < patience {
        match store.earliest_deadline().await.unwrap() {
            Some(earliest) if earliest <= Utc::now() => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            _ => return true,
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// The run and its summary.

/// The incidents of all clients, sorted into what a restart explains and what it does not.
#[derive(Debug, Default)]
struct IncidentSummary {
    connection_errors_in_restarts: u64,
    unavailable_in_restarts: u64,
    connection_errors_otherwise: Vec<String>,
    unavailable_otherwise: Vec<String>,
    server_errors: Vec<String>,
    client_errors: Vec<String>,
}

fn sort_incidents(incidents: &[Incident], windows: &[RestartWindow]) -> IncidentSummary {
    let mut summary = IncidentSummary::default();
    for incident in incidents {
        let in_restart =
            incident.node == 1 && windows.iter().any(|window| window.holds(incident.at));
        let node = ["a", "b"][incident.node];
        match (&incident.kind, in_restart) {
            (IncidentKind::Connection(_), true) => summary.connection_errors_in_restarts += 1,
            (IncidentKind::Unavailable, true) => summary.unavailable_in_restarts += 1,
            (IncidentKind::Connection(error), false) => summary
                .connection_errors_otherwise
                .push(format!("node {node}: {error}")),
            (IncidentKind::Unavailable, false) => summary
                .unavailable_otherwise
                .push(format!("node {node}: 503")),
            (IncidentKind::ServerError(status, body), _) => summary
                .server_errors
                .push(format!("node {node}: {status} {body}")),
            (IncidentKind::ClientError(status, body), _) => summary
                .client_errors
                .push(format!("node {node}: {status} {body}")),
        }
    }
    summary
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn growth_percent(from: u64, to: u64) -> f64 {
    if from == 0 {
        0.0
    } else {
        (to as f64 - from as f64) * 100.0 / from as f64
    }
}

fn print_list(label: &str, items: &[String]) {
    println!("{label}: {}", items.len());
    for item in items.iter().take(5) {
        println!("  {item}");
    }
}

/// Resident sizes of the two nodes at the points the summary compares.
#[derive(Debug, Default)]
struct MemoryFigures {
    a_ready_kib: u64,
    a_end_kib: u64,
    b_ready_kib: u64,
}

/// Prints the summary; returns the failures of the run's promises.
/// Everything a run found, for its summary.
struct RunOutcome {
    settings: Settings,
    elapsed: Duration,
    tally: ClientTally,
    incidents: IncidentSummary,
    killer: KillerReport,
    memory: MemoryFigures,
    due_projects: u64,
    drained: bool,
    check: LogCheck,
}

fn summarise(run: &RunOutcome) -> Vec<String> {
    let RunOutcome {
        settings,
        elapsed,
        tally,
        incidents,
        killer,
        memory,
        due_projects,
        drained,
        check,
    } = run;
    println!("--- soak summary ---");
    println!(
        "ran {:.0} s, {} clients, pause {} ms, node b killed every {} s",
        elapsed.as_secs_f64(),
        settings.clients,
        settings.pause.as_millis(),
        settings.kill_every.as_secs()
    );
    let served: u64 = tally.served.values().sum();
    println!(
        "requests served (2xx): {served} ({:.0} per second), of {} attempts",
        served as f64 / elapsed.as_secs_f64(),
        tally.attempts
    );
    for (label, count) in &tally.served {
        println!("  {label}: {count}");
    }
    println!(
        "node b killed {} times; back ready after {:.1} s on average (longest {:.1} s)",
        killer.windows.len(),
        killer.restart_seconds.iter().sum::<f64>() / killer.restart_seconds.len().max(1) as f64,
        killer.restart_seconds.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "connection errors while node b restarted: {} (sent again to the other node)",
        incidents.connection_errors_in_restarts
    );
    println!(
        "503 while node b restarted: {}",
        incidents.unavailable_in_restarts
    );
    print_list(
        "connection errors outside restarts",
        &incidents.connection_errors_otherwise,
    );
    print_list("503 outside restarts", &incidents.unavailable_otherwise);
    print_list("other 5xx", &incidents.server_errors);
    print_list("4xx", &incidents.client_errors);
    println!(
        "writes given up after {} s without an answer: {}",
        WRITE_GIVE_UP.as_secs(),
        tally.writes_given_up
    );
    println!(
        "acknowledged writes: {}; checked in the log: {}",
        tally.acknowledged.len(),
        check.acknowledged_checked
    );
    print_list("acknowledged writes lost", &check.lost_writes);
    println!(
        "projects created with their deadlines already due: {due_projects}; deadline events fired: {}; everything due fired by the end: {drained}",
        check.deadline_firings
    );
    print_list("duplicate firings", &check.duplicate_firings);
    println!(
        "chains verified: {} of {} projects ({} records)",
        check.chains_verified, check.projects, check.records
    );
    print_list("chains failing", &check.chain_failures);
    // Node a's caches (4,096 project states, tokens, the pool's connections and their prepared
    // statements) fill during the first minutes; growth is judged from the middle of the run on.
    let series = &killer.other_node_resident_kib;
    let a_middle = series.get(series.len() / 2).copied().unwrap_or(0);
    let a_growth = growth_percent(a_middle, memory.a_end_kib);
    println!(
        "node a (never killed) resident: {:.1} MiB when ready, {:.1} MiB at the middle of the run, {:.1} MiB at the end ({a_growth:+.1} % over the second half); at each kill: {}",
        mib(memory.a_ready_kib),
        mib(a_middle),
        mib(memory.a_end_kib),
        series
            .iter()
            .map(|kib| format!("{:.1}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let lives = &killer.resident_before_kill_kib;
    let b_growth = growth_percent(
        lives.first().copied().unwrap_or(0),
        lives.last().copied().unwrap_or(0),
    );
    println!(
        "node b resident: {:.1} MiB when first ready; just before each kill (same point of each life): {} ({b_growth:+.1} % from the first life to the last)",
        mib(memory.b_ready_kib),
        lives
            .iter()
            .map(|kib| format!("{:.1}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut failures = Vec::new();
    let mut require = |holds: bool, what: &str| {
        if !holds {
            failures.push(what.to_string());
        }
    };
    require(incidents.server_errors.is_empty(), "5xx other than 503");
    require(
        incidents.unavailable_otherwise.is_empty(),
        "503 outside a restart",
    );
    require(
        incidents.connection_errors_otherwise.is_empty(),
        "connection errors outside a restart",
    );
    require(incidents.client_errors.is_empty(), "4xx");
    require(tally.writes_given_up == 0, "writes given up");
    require(check.lost_writes.is_empty(), "acknowledged writes lost");
    require(check.duplicate_firings.is_empty(), "duplicate firings");
    require(*drained, "deadlines still due at the end");
    require(check.chain_failures.is_empty(), "chains failing");
    require(
        a_growth <= 20.0,
        "node a grew by more than 20 % over the second half",
    );
    require(
        b_growth <= 20.0,
        "node b grew by more than 20 % between lives",
    );
    failures
}

/// The tokens and projects the clients start with.
struct Seeded {
    supervisor_token: String,
    secretariat_tokens: Vec<String>,
    fire_pool: VecDeque<FireWork>,
    upload_projects: Vec<UploadTarget>,
    read_targets: Vec<Uuid>,
}

async fn seed(store: &Store, settings: &Settings) -> Seeded {
    let supervisor_token = token(store, "soak-bureau", Role::Supervisor, None).await;
    let mut secretariat_tokens = Vec::new();
    for committee in COMMITTEES {
        secretariat_tokens.push(
            token(
                store,
                &format!("soak-secretariat-{committee}"),
                Role::Secretariat,
                Some(committee),
            )
            .await,
        );
    }
    let seeding = Instant::now();
    let fire_pool: VecDeque<FireWork> = seed_fire_work(store, settings.fire_pool).await.into();
    let upload_projects = seed_upload_projects(store, settings.upload_projects).await;
    println!(
        "seeded {} projects ready to fire and {} in drafting in {:.1} s",
        fire_pool.len(),
        upload_projects.len(),
        seeding.elapsed().as_secs_f64()
    );
    let read_targets: Vec<Uuid> = fire_pool
        .iter()
        .map(|work| work.project_id)
        .chain(upload_projects.iter().map(|target| target.project_id))
        .collect();
    Seeded {
        supervisor_token,
        secretariat_tokens,
        fire_pool,
        upload_projects,
        read_targets,
    }
}

/// A store of the bench's own whose clock stands 27 months in the past, so the projects it
/// approves have their deadlines due already; a long announce horizon makes its writes wake the
/// nodes' schedulers (`NOTIFY`) at once.
async fn open_past_store(url: &str) -> (Store, Arc<ManualClock>) {
    let past_clock = Arc::new(ManualClock::new(Utc::now() - chrono::Duration::days(820)));
    let options = StoreOptions {
        deadline_announce_horizon: Duration::from_secs(10 * 366 * 24 * 3600),
        ..StoreOptions::default()
    };
    let past_store = Store::open_with_clock(url, options, past_clock.clone())
        .await
        .unwrap();
    (past_store, past_clock)
}

impl ClientTally {
    fn merge(&mut self, other: ClientTally) {
        self.attempts += other.attempts;
        self.writes_given_up += other.writes_given_up;
        self.incidents.extend(other.incidents);
        self.acknowledged.extend(other.acknowledged);
        for (label, count) in other.served {
            *self.served.entry(label).or_default() += count;
        }
    }
}

#[tokio::main]
async fn main() {
    let settings = Settings::from_arguments();
    println!("{settings:?}");
    let database = Database::create().await;
    let store = Store::open(&database.url, StoreOptions::default())
        .await
        .unwrap();
    store
        .register_workflow_folder(std::path::Path::new("workflows"))
        .await
        .unwrap();
    let Seeded {
        supervisor_token,
        secretariat_tokens,
        fire_pool,
        upload_projects,
        read_targets,
    } = seed(&store, &settings).await;

    let mut node_a = Node::new("soak-a", &database.url);
    let mut node_b = Node::new("soak-b", &database.url);
    node_a.start().await;
    node_b.start().await;
    let mut memory = MemoryFigures {
        a_ready_kib: resident_kib(node_a.pid()),
        b_ready_kib: resident_kib(node_b.pid()),
        ..MemoryFigures::default()
    };

    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        bases: [node_a.base(), node_b.base()],
        supervisor_token,
        secretariat_tokens,
        read_targets,
        upload_projects: Mutex::new(upload_projects),
        uploads_per_project: settings.uploads_per_project,
        fire_pool: Arc::new(Mutex::new(fire_pool)),
        pause: settings.pause,
        stop: stop.clone(),
    });
    let (past_store, past_clock) = open_past_store(&database.url).await;
    let started = Instant::now();
    let due_creator = tokio::spawn(create_due_projects(
        past_store.clone(),
        past_clock,
        settings.deadline_projects_per_minute,
        stop.clone(),
    ));
    let refiller = tokio::spawn(keep_pools_filled(
        store.clone(),
        shared.clone(),
        settings.fire_pool / 2,
        settings.upload_projects,
    ));
    let killer_stop = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn(kill_repeatedly(
        node_b,
        node_a.pid(),
        settings.kill_every,
        killer_stop.clone(),
    ));
    let clients: Vec<_> = (0..settings.clients)
        .map(|index| tokio::spawn(client(shared.clone(), index as u64 + 1)))
        .collect();

    tokio::time::sleep(settings.run_for).await;
    memory.a_end_kib = resident_kib(node_a.pid());
    stop.store(true, Ordering::Relaxed);
    let mut tally = ClientTally::default();
    for handle in clients {
        tally.merge(handle.await.unwrap());
    }
    let elapsed = started.elapsed();
    let due_projects = due_creator.await.unwrap();
    let (fire_seeded, upload_seeded) = refiller.await.unwrap();
    killer_stop.store(true, Ordering::Relaxed);
    let (mut node_b, killer_report) = killer.await.unwrap();
    println!(
        "load stopped; {fire_seeded} projects ready to fire and {upload_seeded} in drafting were seeded during the run; waiting for the schedulers to fire what is due"
    );
    let drained = wait_until_nothing_due(&store, Duration::from_secs(120)).await;
    node_a.stop();
    node_b.stop();

    let incidents = sort_incidents(&tally.incidents, &killer_report.windows);
    let check = check_log(&store, &tally.acknowledged).await;
    let failures = summarise(&RunOutcome {
        settings,
        elapsed,
        tally,
        incidents,
        killer: killer_report,
        memory,
        due_projects,
        drained,
        check,
    });
    past_store.close().await;
    store.close().await;
    drop(database);
    assert!(
        failures.is_empty(),
        "the soak broke its promises: {failures:?}"
    );
    println!("every promise held");
}
