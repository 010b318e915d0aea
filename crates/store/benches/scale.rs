//! The store at scale: a million projects and ten million records, loaded in bulk, then read.
//!
//! `cargo bench -p specflow-store --bench scale -- --backend sqlite|postgres [--projects 1000000]
//! [--records-per-project 10] [--samples 1000] [--database URL] [--keep]`
//!
//! Targets (issue 4): loading a project's current state under 2 ms, the first page of overdue
//! projects under 20 ms, and the bytes each record takes on disk reported.
//!
//! 1. The data is built without the store's writer (ten million decided commands would take
//!    hours) but from real histories: a few stories (a project still in pre-research, one in
//!    project approval, one drafting, one drafting and overdue, one cancelled) are made of the
//!    steps of `workflows/scenarios/to-in-force.toml` and `cancelled.toml`, moved in time, padded
//!    with revised attachments, and run through the engine's `simulate` with the metrology
//!    definition as registered in the store (with its calendars). Each project copies one such
//!    template with its own id, code, committee (one of 20) and drafting unit in the creation
//!    event, is sealed again with `seal_all` (every chain verifies) and replayed, and its
//!    projection row is the one the writer would store (`ProjectSummary::from_state`).
//!    About 10% of projects are overdue, by 1 to 150 days (those overdue more than 30 days are
//!    escalated too). The shortest overdue history has 11 records (creation, proposal, vote,
//!    proposal sent, two attachments, approval with its two deadlines, the warning, the miss),
//!    so with 10 records a project the overdue ones have 11 or 12 and as many records are taken
//!    off projects in pre-research or approval: the total stays projects × records-per-project.
//!    The data is as of 2026-11-01: the scheduler would have ticked everything due before then.
//! 2. A generator thread builds batches of rows while the async side inserts the previous batch
//!    with multi-row INSERTs into `audit_records` and `projects`, one transaction a batch. Only a
//!    few batches exist at a time. The `commands` table (idempotency) is left empty.
//!    PostgreSQL gets `VACUUM ANALYZE` afterwards (what autovacuum would do before long); SQLite's
//!    write-ahead log is checkpointed.
//! 3. A fresh store (cold state cache; the operating system's page cache is warm, the database
//!    fitting in memory) loads 20 projects to open its connections and read the definition, then
//!    times `Store::project` (projection row plus replay of the records) on `--samples` random
//!    projects, and `Store::list_overdue` 100 times each: the first page, the first page of one
//!    committee (cycling through the 20), and a page halfway down the list. Bytes per record are
//!    the database's size on disk over the number of records.
//!
//! SQLite runs on a file under the temporary directory unless `--database sqlite://PATH` is given;
//! PostgreSQL on a fresh database created through `SPECFLOW_BENCH_POSTGRES_URL` or
//! `SPECFLOW_TEST_POSTGRES_URL` unless `--database postgres://…` is given. A database created here
//! is deleted at the end unless `--keep`. A database that already holds projects is not loaded
//! again: only the measurements run (handy to try an index on a loaded database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Days, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use specflow_engine::audit::{AuditRecord, Head, seal_all};
use specflow_engine::command::{Artifact, Command};
use specflow_engine::event::{Event, EventBody};
use specflow_engine::scenario::{
    DEFAULT_SCENARIO_PROJECT, Scenario, Step, StepOutcome, parse_scenario, simulate,
};
use specflow_engine::{LocalizedText, ProjectState, WorkflowDefinition};
use specflow_store::{Backend, ProjectSummary};
use specflow_store::{Store, StoreOptions};
use sqlx::{AnyConnection, Connection, Executor, Row};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The instant the data is as of: every story ends before it and is ticked up to it.
const PRESENT: &str = "2026-11-01T00:00:00+08:00";

/// Projects per batch: one transaction, and the unit the generator hands over.
const BATCH_PROJECTS: usize = 5000;

/// Rows per INSERT statement (SQLite allows 32766 parameters, PostgreSQL 65535).
const RECORD_ROWS: usize = 2000;
const PROJECT_ROWS: usize = 1000;

const COMMITTEES: [&str; 20] = [
    "SH-TC-01",
    "SH-TC-02 上海市热工计量技术委员会",
    "SH-TC-03",
    "SH-TC-04 上海市电磁计量技术委员会",
    "SH-TC-05 上海市无线电计量技术委员会",
    "SH-TC-06 上海市时间频率计量技术委员会",
    "SH-TC-07 上海市声学计量技术委员会",
    "SH-TC-08 上海市光学计量技术委员会",
    "SH-TC-09 上海市电离辐射计量技术委员会",
    "SH-TC-10 上海市化学计量技术委员会",
    "SH-TC-11 上海市流量计量技术委员会",
    "SH-TC-12 上海市衡器计量技术委员会",
    "SH-TC-13 上海市医学计量技术委员会",
    "SH-TC-14 上海市环境监测计量技术委员会",
    "SH-TC-15 上海市交通计量技术委员会",
    "SH-TC-16 上海市能源计量技术委员会",
    "SH-TC-17 上海市几何量计量技术委员会",
    "SH-TC-18 上海市生物计量技术委员会",
    "SH-TC-19 上海市软件与数据计量技术委员会",
    "SH-TC-20 上海市碳计量技术委员会",
];

const DRAFTING_UNITS: [&str; 8] = [
    "上海市计量测试技术研究院",
    "华东国家计量测试中心",
    "上海市质量监督检验技术研究院",
    "上海市医疗器械检验研究院",
    "上海市环境监测中心",
    "上海市交通建设工程安全质量监督站",
    "上海电气集团股份有限公司",
    "同济大学",
];

const INSTRUMENTS: [(&str, &str); 10] = [
    ("电子汽车衡", "electronic truck scales"),
    ("数字压力计", "digital pressure gauges"),
    ("超声波流量计", "ultrasonic flow meters"),
    ("心电图机", "electrocardiographs"),
    ("机动车测速仪", "vehicle speed meters"),
    ("电能表", "electricity meters"),
    ("声级计", "sound level meters"),
    ("pH计", "pH meters"),
    ("激光测距仪", "laser distance meters"),
    ("红外体温计", "infrared thermometers"),
];

struct Options {
    backend: Backend,
    projects: u64,
    records_per_project: usize,
    samples: usize,
    database: Option<String>,
    keep: bool,
}

fn options() -> Options {
    let arguments: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|index| arguments.get(index + 1).cloned())
    };
    let number = |name: &str, default: u64| {
        value(name).map_or(default, |text| {
            text.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name} wants a number, not {text}"))
        })
    };
    let backend = match value("--backend").as_deref() {
        Some("sqlite") => Backend::Sqlite,
        Some("postgres") => Backend::Postgres,
        other => panic!("--backend sqlite|postgres is required (got {other:?})"),
    };
    Options {
        backend,
        projects: number("--projects", 1_000_000),
        records_per_project: usize::try_from(number("--records-per-project", 10)).unwrap(),
        samples: usize::try_from(number("--samples", 1000)).unwrap(),
        database: value("--database"),
        keep: arguments.iter().any(|argument| argument == "--keep"),
    }
}

/// A deterministic mix of a number (splitmix64): the data is the same at every run.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random_uuid(seed: u64) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&mix(seed).to_le_bytes());
    bytes[8..].copy_from_slice(&mix(seed ^ 0x5555_5555_5555_5555).to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The id of project number `index`: a random-looking version 4 UUID, as the service makes.
fn project_id(index: u64) -> Uuid {
    random_uuid(index.wrapping_mul(0x1_0000).wrapping_add(0x70))
}

fn command_id(index: u64, group: usize) -> Uuid {
    random_uuid((index.wrapping_mul(0x1_0000) + 0x100 + group as u64) ^ 0xc0de_0000_0000_0000)
}

fn workflows() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../workflows"))
}

fn present() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(PRESENT)
        .unwrap()
        .with_timezone(&Utc)
}

/// The kinds of history a project can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Preresearch,
    Proposal,
    Drafting,
    Overdue,
    Cancelled,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Preresearch,
        Kind::Proposal,
        Kind::Drafting,
        Kind::Overdue,
        Kind::Cancelled,
    ];

    /// Out of 100 projects.
    fn weight(self) -> u64 {
        match self {
            Kind::Preresearch => 12,
            Kind::Proposal => 15,
            Kind::Drafting => 55,
            Kind::Overdue => 10,
            Kind::Cancelled => 8,
        }
    }

    /// The days before the present the story's anchor step lands, `[from, to)`.
    fn window(self) -> (u64, u64) {
        match self {
            Kind::Preresearch => (20, 200),
            Kind::Proposal => (20, 150),
            // Approved 40 to 330 days ago: the drafting deadline (12 months) is still ahead.
            Kind::Drafting => (40, 330),
            // Approved a year and 2 to 151 days ago: the drafting deadline was missed 1 to 150
            // days ago (escalated after 30).
            Kind::Overdue => (367, 517),
            Kind::Cancelled => (10, 300),
        }
    }

    /// Whether its record count may be lowered to make up for overdue projects' longer logs.
    fn flexible(self) -> bool {
        matches!(self, Kind::Preresearch | Kind::Proposal)
    }
}

/// The steps the stories are made of, at the times of the scenario files.
struct Steps {
    create: Step,
    proposal: Step,
    meeting: Step,
    propose: Step,
    application: Step,
    task: Step,
    approve: Step,
    drafts: Vec<Step>,
    cancel: Step,
}

fn load_steps() -> Steps {
    let read = |name: &str| {
        let path = workflows().join("scenarios").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        parse_scenario(name, &text).unwrap_or_else(|problems| panic!("{name}: {problems:?}"))
    };
    let to_in_force = read("to-in-force.toml");
    let cancelled = read("cancelled.toml");
    let find = |scenario: &Scenario, wanted: &dyn Fn(&Step) -> bool| {
        scenario
            .steps
            .iter()
            .find(|step| wanted(step))
            .cloned()
            .expect("a step of the scenario")
    };
    let attach = |kind: &'static str| move |step: &Step| matches!(&step.command, Command::AttachArtifact(artifact) if artifact.kind == kind);
    let fire = |action: &'static str| move |step: &Step| matches!(&step.command, Command::FireAction { action: fired, .. } if fired == action);
    Steps {
        create: find(&to_in_force, &|step| {
            matches!(step.command, Command::CreateProject(_))
        }),
        proposal: find(&to_in_force, &attach("project_proposal")),
        meeting: find(&to_in_force, &|step| {
            matches!(step.command, Command::RecordMeeting(_))
        }),
        propose: find(&to_in_force, &fire("propose")),
        application: find(&to_in_force, &attach("project_application")),
        task: find(&to_in_force, &attach("task_statement")),
        approve: find(&to_in_force, &fire("approve_project")),
        drafts: [
            "consultation_draft",
            "explanatory_note",
            "test_report",
            "uncertainty_evaluation",
        ]
        .into_iter()
        .map(|kind| find(&to_in_force, &attach(kind)))
        .collect(),
        cancel: find(&cancelled, &|step| {
            matches!(step.command, Command::Cancel { .. }) && step.actor.role == "supervisor"
        }),
    }
}

/// A story: steps up to the filler point, attachments to pad it, steps after, and the step whose
/// time the day offset sets.
struct Story {
    head: Vec<Step>,
    fillers: Vec<Step>,
    /// The revision the first filler is (2 when the head attached the first version already).
    first_revision: usize,
    tail: Vec<Step>,
    anchor: DateTime<Utc>,
}

fn story(steps: &Steps, kind: Kind) -> Story {
    let s = steps;
    let (head, fillers, first_revision, tail, anchor) = match kind {
        Kind::Preresearch => (
            vec![s.create.clone()],
            vec![s.proposal.clone()],
            1,
            vec![],
            s.create.at,
        ),
        Kind::Proposal => (
            vec![
                s.create.clone(),
                s.proposal.clone(),
                s.meeting.clone(),
                s.propose.clone(),
                s.application.clone(),
                s.task.clone(),
            ],
            vec![s.application.clone(), s.task.clone()],
            2,
            vec![],
            s.propose.at,
        ),
        Kind::Drafting | Kind::Overdue => (
            vec![
                s.create.clone(),
                s.proposal.clone(),
                s.meeting.clone(),
                s.propose.clone(),
                s.application.clone(),
                s.task.clone(),
                s.approve.clone(),
            ],
            s.drafts.clone(),
            1,
            vec![],
            s.approve.at,
        ),
        Kind::Cancelled => (
            vec![
                s.create.clone(),
                s.proposal.clone(),
                s.meeting.clone(),
                s.propose.clone(),
            ],
            vec![s.application.clone(), s.task.clone()],
            1,
            vec![s.cancel.clone()],
            s.cancel.at,
        ),
    };
    Story {
        head,
        fillers,
        first_revision,
        tail,
        anchor,
    }
}

/// Moves every date inside a command (meeting days, planned dates…) by `days`.
fn shift_dates(value: &mut serde_json::Value, days: i64) {
    match value {
        serde_json::Value::String(text) => {
            if text.len() == 10
                && let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            {
                let moved = if days >= 0 {
                    date.checked_add_days(Days::new(days.unsigned_abs()))
                } else {
                    date.checked_sub_days(Days::new(days.unsigned_abs()))
                };
                *text = moved.unwrap().format("%Y-%m-%d").to_string();
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|item| shift_dates(item, days))
        }
        serde_json::Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| shift_dates(field, days)),
        _ => {}
    }
}

fn shifted(step: &Step, days: i64) -> Step {
    let mut command = serde_json::to_value(&step.command).unwrap();
    shift_dates(&mut command, days);
    Step {
        line: step.line,
        at: step.at + chrono::Duration::days(days),
        actor: step.actor.clone(),
        command: serde_json::from_value(command).unwrap(),
    }
}

/// Revision `revision` of an attachment: another file name, size and hash.
fn revised(step: &Step, revision: usize) -> Step {
    let mut step = step.clone();
    if revision > 1
        && let Command::AttachArtifact(artifact) = &mut step.command
    {
        let (stem, extension) = artifact
            .file_name
            .rsplit_once('.')
            .unwrap_or((&artifact.file_name, "pdf"));
        let file_name = format!("{stem}（第{revision}稿）.{extension}");
        let sha256 = hex::encode(Sha256::digest(file_name.as_bytes()));
        step.command = Command::AttachArtifact(Artifact {
            kind: artifact.kind.clone(),
            size_bytes: artifact.size_bytes + revision as u64 * 1013,
            file_name,
            sha256,
        });
    }
    step
}

/// A history to copy: its events and how they group into commands (or ticks).
struct Template {
    events: Vec<Event>,
    /// Each group's length, and whether a command (rather than the scheduler) caused it.
    groups: Vec<(usize, bool)>,
}

struct Catalogue {
    definition: Arc<WorkflowDefinition>,
    stories: HashMap<Kind, Story>,
    cores: HashMap<(Kind, u64), usize>,
    templates: HashMap<(Kind, u64, usize), Arc<Template>>,
}

impl Catalogue {
    fn new(definition: Arc<WorkflowDefinition>) -> Catalogue {
        let steps = load_steps();
        Catalogue {
            definition,
            stories: Kind::ALL
                .into_iter()
                .map(|kind| (kind, story(&steps, kind)))
                .collect(),
            cores: HashMap::new(),
            templates: HashMap::new(),
        }
    }

    /// The steps of `kind`'s story moved to `day` (days into its window), with `fillers` fillers.
    fn scenario(&self, kind: Kind, day: u64, fillers: usize) -> Scenario {
        let story = &self.stories[&kind];
        let (from, _) = kind.window();
        let target = present() - chrono::Duration::days(i64::try_from(from + day).unwrap());
        let days = (target.date_naive() - story.anchor.date_naive()).num_days();
        let mut steps: Vec<Step> = story.head.iter().map(|step| shifted(step, days)).collect();
        let tail: Vec<Step> = story.tail.iter().map(|step| shifted(step, days)).collect();
        if fillers > 0 {
            let after = steps.last().unwrap().at;
            let before = tail.first().map_or(present(), |step| step.at);
            let spacing = ((before - after) / i32::try_from(fillers + 1).unwrap())
                .min(chrono::Duration::days(1));
            for filler in 0..fillers {
                let base = &story.fillers[filler % story.fillers.len()];
                let mut step = revised(base, story.first_revision + filler / story.fillers.len());
                step.at = after + spacing * i32::try_from(filler + 1).unwrap();
                steps.push(step);
            }
        }
        steps.extend(tail);
        Scenario {
            project_id: DEFAULT_SCENARIO_PROJECT,
            steps,
            end: Some(present()),
        }
    }

    fn run(&self, kind: Kind, day: u64, fillers: usize) -> Vec<AuditRecord> {
        let scenario = self.scenario(kind, day, fillers);
        let report = simulate(&self.definition, &scenario).unwrap();
        for outcome in &report.outcomes {
            if let StepOutcome::Rejected { step, rejection } = outcome {
                panic!(
                    "{kind:?} day {day}: step {:?} was rejected: {rejection}",
                    step.command
                );
            }
        }
        let overdue = report
            .state
            .deadlines
            .iter()
            .any(|entry| entry.is_open() && entry.missed);
        assert_eq!(overdue, kind == Kind::Overdue, "{kind:?} day {day}");
        report.records
    }

    /// How many records `kind`'s story has on `day` without fillers.
    fn core(&mut self, kind: Kind, day: u64) -> usize {
        if let Some(core) = self.cores.get(&(kind, day)) {
            return *core;
        }
        let core = self.run(kind, day, 0).len();
        self.cores.insert((kind, day), core);
        core
    }

    /// The history of `kind` on `day` with exactly `records` records (at least its core).
    fn template(&mut self, kind: Kind, day: u64, records: usize) -> Arc<Template> {
        if let Some(template) = self.templates.get(&(kind, day, records)) {
            return template.clone();
        }
        let core = self.core(kind, day);
        assert!(records >= core, "{kind:?} needs at least {core} records");
        let sealed = self.run(kind, day, records - core);
        assert_eq!(sealed.len(), records, "{kind:?} day {day}");
        let mut groups: Vec<(usize, bool)> = Vec::new();
        for (index, record) in sealed.iter().enumerate() {
            let same = index > 0 && {
                let previous = &sealed[index - 1];
                previous.command_id == record.command_id
                    && (record.command_id.is_some() || previous.recorded_at == record.recorded_at)
            };
            match groups.last_mut() {
                Some((length, _)) if same => *length += 1,
                _ => groups.push((1, record.command_id.is_some())),
            }
        }
        let template = Arc::new(Template {
            events: sealed
                .iter()
                .map(|record| record.to_event().unwrap())
                .collect(),
            groups,
        });
        self.templates
            .insert((kind, day, records), template.clone());
        template
    }
}

/// What the generator hands to the inserter.
struct Batch {
    projects: Vec<ProjectSummary>,
    records: Vec<AuditRecord>,
    event_bytes: u64,
}

/// Builds the projects in order, `BATCH_PROJECTS` at a time.
struct Generator {
    catalogue: Catalogue,
    /// How many projects there are in all.
    projects: u64,
    records_per_project: usize,
    /// Records given beyond `records_per_project` so far, still to take off flexible projects.
    debt: usize,
    kinds: BTreeMap<Kind, u64>,
    stages: BTreeMap<String, u64>,
    overdue: u64,
}

impl Generator {
    fn kind_of(index: u64) -> Kind {
        let mut roll = mix(index ^ 0x6b69_6e64) % 100;
        for kind in Kind::ALL {
            if roll < kind.weight() {
                return kind;
            }
            roll -= kind.weight();
        }
        Kind::Drafting
    }

    fn project(&mut self, index: u64, records: &mut Vec<AuditRecord>) -> ProjectSummary {
        let n = self.records_per_project;
        let mut kind = Generator::kind_of(index);
        let (from, to) = kind.window();
        let mut day = mix(index ^ 0x6461_7973) % (to - from);
        let last_few = index + 64 >= self.projects;
        if (kind != Kind::Overdue && self.catalogue.core(kind, day) > n)
            || (last_few && self.debt > 0)
        {
            // Too few records for this story, or the last few projects making up for overdue
            // ones: a project in pre-research instead.
            kind = Kind::Preresearch;
            day %= Kind::Preresearch.window().1 - Kind::Preresearch.window().0;
        }
        let core = self.catalogue.core(kind, day);
        let count = if core > n {
            self.debt += core - n;
            core
        } else if kind.flexible() && self.debt > 0 {
            let count = core.max(n - self.debt.min(n));
            self.debt -= n - count;
            count
        } else {
            n
        };
        let template = self.catalogue.template(kind, day, count);
        let id = project_id(index);
        let committee = COMMITTEES[usize::try_from(mix(index ^ 0x636f_6d6d) % 20).unwrap()];
        let unit = DRAFTING_UNITS[usize::try_from(mix(index ^ 0x756e_6974) % 8).unwrap()];
        let (instrument_zh, instrument_en) =
            INSTRUMENTS[usize::try_from(mix(index ^ 0x696e_7374) % 10).unwrap()];
        let regulation = mix(index ^ 0x6b69_6e64_0001).is_multiple_of(2);
        let mut state = ProjectState::new();
        let mut head: Option<Head> = None;
        let mut next = 0;
        for (group, (length, by_command)) in template.groups.iter().enumerate() {
            let mut events = template.events[next..next + length].to_vec();
            next += length;
            let year = events[0].occurred_at.format("%Y").to_string();
            if let Some(EventBody::ProjectCreated { project, .. }) =
                events.first_mut().map(|event| &mut event.body)
            {
                project.project_id = id;
                project.committee = committee.to_string();
                project.drafting_unit = unit.to_string();
                if regulation {
                    project.code = format!("JJG(沪)-{year}-{:07}", index + 1);
                    project.specification_kind = "verification_regulation".to_string();
                    project.title = LocalizedText::new(
                        format!("{instrument_zh}检定规程"),
                        format!("Verification regulation for {instrument_en}"),
                    );
                } else {
                    project.code = format!("JJF(沪)-{year}-{:07}", index + 1);
                    project.specification_kind = "calibration_specification".to_string();
                    project.title = LocalizedText::new(
                        format!("{instrument_zh}校准规范"),
                        format!("Calibration specification for {instrument_en}"),
                    );
                }
            }
            let command = by_command.then(|| command_id(index, group));
            let sealed = seal_all(id, head, command, &events).unwrap();
            head = sealed.last().map(AuditRecord::head);
            for event in events {
                state.apply_owned(event);
            }
            records.extend(sealed);
        }
        let row = ProjectSummary::from_state(id, &state, head.unwrap(), &self.catalogue.definition)
            .unwrap();
        *self.kinds.entry(kind).or_default() += 1;
        *self.stages.entry(row.stage.clone()).or_default() += 1;
        if row.overdue_since.is_some() {
            self.overdue += 1;
        }
        row
    }

    fn batch(&mut self, first: u64, count: u64) -> Batch {
        let mut records = Vec::with_capacity(usize::try_from(count).unwrap() * 12);
        let projects = (first..first + count)
            .map(|index| self.project(index, &mut records))
            .collect();
        let event_bytes = records.iter().map(|record| record.event.len() as u64).sum();
        Batch {
            projects,
            records,
            event_bytes,
        }
    }
}

/// `rows` tuples of `width` parameters: `$1, $2…` on PostgreSQL, plain `?` on SQLite, whose
/// parser looks each `$N` name up among those before it (quadratic in a 22,000-parameter statement).
fn placeholders(backend: Backend, rows: usize, width: usize) -> String {
    let mut next = 1;
    (0..rows)
        .map(|_| {
            let tuple = (next..next + width)
                .map(|index| match backend {
                    Backend::Postgres => format!("${index}"),
                    Backend::Sqlite => "?".to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ");
            next += width;
            format!("({tuple})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// INSERT statements by number of rows, built once.
struct Statements {
    backend: Backend,
    records: HashMap<usize, String>,
    projects: HashMap<usize, String>,
}

impl Statements {
    fn records(&mut self, rows: usize) -> &str {
        self.records.entry(rows).or_insert_with(|| {
            format!(
                "INSERT INTO audit_records (project_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash) VALUES {}",
                placeholders(self.backend, rows, 11)
            )
        })
    }

    fn projects(&mut self, rows: usize) -> &str {
        self.projects.entry(rows).or_insert_with(|| {
            format!(
                "INSERT INTO projects (project_id, code, title_zh, title_en, specification_kind, committee, drafting_unit, definition_id, definition_version, stage, stage_since, terminal, next_deadline_at, overdue_since, escalated, frozen, head_sequence, head_hash, updated_at) VALUES {}",
                placeholders(self.backend, rows, 19)
            )
        })
    }
}

async fn insert(connection: &mut AnyConnection, statements: &mut Statements, batch: &Batch) {
    let mut transaction = connection.begin().await.unwrap();
    for chunk in batch.records.chunks(RECORD_ROWS) {
        let mut query = sqlx::query(statements.records(chunk.len()));
        for record in chunk {
            query = query
                .bind(record.project_id.to_string())
                .bind(i64::try_from(record.sequence).unwrap())
                .bind(record.recorded_at.timestamp_micros())
                .bind(record.actor_id.as_str())
                .bind(record.actor_role.as_str())
                .bind(record.command_id.map(|id| id.to_string()))
                .bind(record.event_type.as_str())
                .bind(i64::from(record.event_version))
                .bind(record.event.as_str())
                .bind(record.previous_hash.to_hex())
                .bind(record.hash.to_hex());
        }
        query.execute(&mut *transaction).await.unwrap();
    }
    for chunk in batch.projects.chunks(PROJECT_ROWS) {
        let mut query = sqlx::query(statements.projects(chunk.len()));
        for row in chunk {
            query = query
                .bind(row.project_id.to_string())
                .bind(row.code.as_str())
                .bind(row.title_zh.as_str())
                .bind(row.title_en.as_str())
                .bind(row.specification_kind.as_str())
                .bind(row.committee.as_str())
                .bind(row.drafting_unit.as_str())
                .bind(row.definition_id.as_str())
                .bind(i64::from(row.definition_version))
                .bind(row.stage.as_str())
                .bind(row.stage_since.timestamp_micros())
                .bind(i64::from(row.terminal))
                .bind(row.next_deadline_at.map(|at| at.timestamp_micros()))
                .bind(row.overdue_since.map(|at| at.timestamp_micros()))
                .bind(i64::from(row.escalated))
                .bind(i64::from(row.frozen))
                .bind(i64::try_from(row.head_sequence).unwrap())
                .bind(row.head_hash.as_str())
                .bind(row.updated_at.timestamp_micros());
        }
        query.execute(&mut *transaction).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

fn human(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Builds and inserts the data; returns the number of records.
async fn load(url: &str, options: &Options, definition: Arc<WorkflowDefinition>) -> u64 {
    let projects = options.projects;
    let records_per_project = options.records_per_project;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(2);
    let generator = std::thread::spawn(move || {
        let mut generator = Generator {
            catalogue: Catalogue::new(definition),
            projects,
            records_per_project,
            debt: 0,
            kinds: BTreeMap::new(),
            stages: BTreeMap::new(),
            overdue: 0,
        };
        let mut busy = Duration::ZERO;
        let mut first = 0;
        while first < projects {
            let count = (projects - first).min(BATCH_PROJECTS as u64);
            let started = Instant::now();
            let batch = generator.batch(first, count);
            busy += started.elapsed();
            if sender.blocking_send(batch).is_err() {
                break;
            }
            first += count;
        }
        (generator, busy)
    });
    let mut connection = AnyConnection::connect(url).await.unwrap();
    match options.backend {
        Backend::Sqlite => {
            // The file keeps write-ahead logging from the store; a bulk load needs no fsync per
            // transaction, and a large page cache keeps the B-tree's inner pages at hand.
            connection
                .execute("PRAGMA synchronous = NORMAL")
                .await
                .unwrap();
            connection
                .execute("PRAGMA cache_size = -1048576")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            connection
                .execute("SET synchronous_commit = off")
                .await
                .unwrap();
        }
    }
    let mut statements = Statements {
        backend: options.backend,
        records: HashMap::new(),
        projects: HashMap::new(),
    };
    let started = Instant::now();
    let mut inserting = Duration::ZERO;
    let mut loaded_projects = 0u64;
    let mut loaded_records = 0u64;
    let mut event_bytes = 0u64;
    let mut last_report = Instant::now();
    while let Some(batch) = receiver.recv().await {
        let insert_started = Instant::now();
        insert(&mut connection, &mut statements, &batch).await;
        inserting += insert_started.elapsed();
        loaded_projects += batch.projects.len() as u64;
        loaded_records += batch.records.len() as u64;
        event_bytes += batch.event_bytes;
        if last_report.elapsed() >= Duration::from_secs(30) || loaded_projects == projects {
            last_report = Instant::now();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "  {:>5.1}%  {} projects, {} records in {:.0} s: {:.0} records/s",
                loaded_projects as f64 * 100.0 / projects as f64,
                human(loaded_projects),
                human(loaded_records),
                seconds,
                loaded_records as f64 / seconds
            );
        }
    }
    let (generator, generating) = generator.join().unwrap();
    let elapsed = started.elapsed();
    connection.close().await.unwrap();
    println!(
        "loaded {} projects and {} records in {:.1} s: {:.0} records/s, {:.0} projects/s (building rows {:.1} s on one thread, inserting {:.1} s on another)",
        human(loaded_projects),
        human(loaded_records),
        elapsed.as_secs_f64(),
        loaded_records as f64 / elapsed.as_secs_f64(),
        loaded_projects as f64 / elapsed.as_secs_f64(),
        generating.as_secs_f64(),
        inserting.as_secs_f64()
    );
    println!(
        "  histories: {}",
        generator
            .catalogue
            .templates
            .keys()
            .fold(
                BTreeMap::<(Kind, usize), u64>::new(),
                |mut counts, (kind, _, records)| {
                    *counts.entry((*kind, *records)).or_default() += 1;
                    counts
                }
            )
            .iter()
            .map(|((kind, records), templates)| format!(
                "{kind:?} with {records} records ({templates} variants)"
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  projects by story: {}",
        generator
            .kinds
            .iter()
            .map(|(kind, count)| format!("{kind:?} {}", human(*count)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  projects by stage: {}; overdue {} ({:.1}%)",
        generator
            .stages
            .iter()
            .map(|(stage, count)| format!("{stage} {}", human(*count)))
            .collect::<Vec<_>>()
            .join(", "),
        human(generator.overdue),
        generator.overdue as f64 * 100.0 / loaded_projects.max(1) as f64
    );
    println!(
        "  event JSON averages {:.0} bytes a record",
        event_bytes as f64 / loaded_records.max(1) as f64
    );
    if generator.debt > 0 {
        println!(
            "  note: {} records more than projects × records-per-project (too few flexible projects)",
            generator.debt
        );
    }
    loaded_records
}

async fn after_load(url: &str, backend: Backend) {
    let started = Instant::now();
    let mut connection = AnyConnection::connect(url).await.unwrap();
    match backend {
        Backend::Sqlite => {
            connection
                .execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .unwrap();
            println!(
                "checkpointed the write-ahead log in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Backend::Postgres => {
            connection.execute("VACUUM ANALYZE").await.unwrap();
            println!(
                "VACUUM ANALYZE in {:.1} s (what autovacuum would do after a bulk load)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    connection.close().await.unwrap();
}

/// Search (issue 21): the projects loaded around the writer are indexed as the migration would
/// index them, then `Store::search_projects` is timed as the bureau would call it, on two-
/// character Chinese queries (parts of the instruments' names, each matching a tenth of the
/// projects) and on code prefixes (a project's code without its last two digits), `--samples`
/// each after a warm-up.
async fn measure_search(store: &Store, url: &str, options: &Options, projects: u64) {
    let started = Instant::now();
    let indexed = store.index_unsearched_projects().await.unwrap();
    if indexed > 0 {
        println!(
            "indexed {} projects for search in {:.1} s",
            human(indexed),
            started.elapsed().as_secs_f64()
        );
    }
    let bureau = specflow_store::Principal {
        token_id: Uuid::nil(),
        subject: "bureau".to_string(),
        role: specflow_store::Role::Supervisor,
        committee: None,
        project_id: None,
    };
    const CHINESE: [&str; 10] = [
        "汽车", "压力", "流量", "心电", "测速", "电能", "声级", "测距", "体温", "规程",
    ];
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut codes = Vec::with_capacity(options.samples);
    for sample in 0..options.samples as u64 {
        let index = mix(sample ^ 0x7365_6172_6368) % projects;
        let code: String = sqlx::query_scalar("SELECT code FROM projects WHERE project_id = $1")
            .bind(project_id(index).to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
        // Without its last two digits, and typed with full-width parentheses.
        let prefix: String = code.chars().take(code.chars().count() - 2).collect();
        codes.push(prefix.replace('(', "（").replace(')', "）"));
    }
    pool.close().await;
    for (name, queries) in [
        (
            "a two-character Chinese query",
            CHINESE
                .iter()
                .map(|query| query.to_string())
                .collect::<Vec<_>>(),
        ),
        ("a code prefix", codes),
    ] {
        for query in queries.iter().take(5) {
            store
                .search_projects(&bureau, query, 20)
                .await
                .unwrap()
                .unwrap();
        }
        let mut latencies = Vec::with_capacity(options.samples);
        let mut found = 0usize;
        for sample in 0..options.samples {
            let query = &queries[sample % queries.len()];
            let started = Instant::now();
            let hits = store
                .search_projects(&bureau, query, 20)
                .await
                .unwrap()
                .unwrap();
            latencies.push(started.elapsed());
            found += hits.len();
        }
        let (p50, p99, max, mean) = percentiles(latencies);
        println!(
            "Store::search_projects, {name} ({} samples, {:.1} hits each): p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms, mean {mean:.3} ms (target: p99 under 50 ms)",
            options.samples,
            found as f64 / options.samples as f64
        );
    }
}

/// p50, p99 and max of durations, in milliseconds.
fn percentiles(mut durations: Vec<Duration>) -> (f64, f64, f64, f64) {
    durations.sort();
    let at = |fraction: f64| {
        let index = ((durations.len() as f64 * fraction).ceil() as usize).clamp(1, durations.len());
        durations[index - 1].as_secs_f64() * 1000.0
    };
    let mean =
        durations.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / durations.len() as f64;
    (at(0.50), at(0.99), at(1.0), mean)
}

// About 200 lines, left whole on purpose: it is the benchmark's script of timed reads, each
// warmed up and then measured and printed in the order `docs/performance.md` quotes them;
// split, the warm-ups would sit away from what they warm.
async fn measure(url: &str, options: &Options, records: u64) {
    let store = Store::open(url, StoreOptions::default()).await.unwrap();
    let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&sqlx::AnyPool::connect(url).await.unwrap())
        .await
        .unwrap();
    let projects = u64::try_from(projects).unwrap();
    // A running service has read the definition (once per process) and holds open connections
    // with their prepared statements: 20 loads of other projects get there before timing.
    for warm_up in 0..20u64 {
        let index = mix(warm_up ^ 0x7761_726d) % projects;
        let _ = store.project(project_id(index)).await.unwrap();
    }

    let mut latencies = Vec::with_capacity(options.samples);
    let mut replayed = 0u64;
    for sample in 0..options.samples as u64 {
        let index = mix(sample ^ 0x7361_6d70_6c65) % projects;
        let id = project_id(index);
        let started = Instant::now();
        let view = store.project(id).await.unwrap().expect("a loaded project");
        latencies.push(started.elapsed());
        assert_eq!(view.summary.project_id, id);
        assert_eq!(view.state.stage(), view.summary.stage);
        replayed += view.summary.head_sequence;
    }
    let (p50, p99, max, mean) = percentiles(latencies);
    println!(
        "Store::project over {} random projects ({:.1} records each): p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms, mean {mean:.3} ms (target: under 2 ms)",
        options.samples,
        replayed as f64 / options.samples as f64
    );

    // A cursor halfway down the overdue list, for a page deep in it.
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let overdue: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE overdue_since IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    let middle = sqlx::query(&format!(
        "SELECT overdue_since, project_id FROM projects WHERE overdue_since IS NOT NULL ORDER BY overdue_since, project_id LIMIT 1 OFFSET {}",
        overdue / 2
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    let cursor = format!(
        "{}:{}",
        middle.get::<i64, _>("overdue_since"),
        middle.get::<String, _>("project_id")
    );
    for (label, committee, after) in [
        ("first page of 50", false, None),
        (
            "first page of 50 of one committee of 20 (cycling)",
            true,
            None,
        ),
        (
            "page of 50 halfway down the list (after a cursor)",
            false,
            Some(cursor.as_str()),
        ),
    ] {
        let mut latencies = Vec::with_capacity(100);
        let mut first = None;
        for run in 0..100usize {
            let committee = committee.then(|| COMMITTEES[run % COMMITTEES.len()]);
            let started = Instant::now();
            let page = store.list_overdue(committee, after, 50).await.unwrap();
            let elapsed = started.elapsed();
            latencies.push(elapsed);
            first.get_or_insert(elapsed);
            // A full page, unless the run is too small to fill one (a committee's, say).
            assert!(!page.items.is_empty() && page.items.len() <= 50);
            assert_eq!(page.next_after.is_some(), page.items.len() == 50);
            assert!(
                page.items
                    .windows(2)
                    .all(|pair| pair[0].overdue_since <= pair[1].overdue_since)
            );
            if let Some(committee) = committee {
                assert!(page.items.iter().all(|item| item.committee == committee));
            }
            if after.is_some() {
                let since = middle.get::<i64, _>("overdue_since");
                assert!(
                    page.items
                        .iter()
                        .all(|item| item.overdue_since.unwrap().timestamp_micros() >= since)
                );
            }
        }
        let (p50, p99, max, _) = percentiles(latencies);
        println!(
            "list_overdue {label}, 100 runs: p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms, first run {:.3} ms (target: under 20 ms)",
            first.unwrap().as_secs_f64() * 1000.0
        );
    }

    // The chains verify and end where the projection says.
    for sample in 0..20u64 {
        let id = project_id(mix(sample ^ 0x7665_7269_6679) % projects);
        store.verify_project(id).await.unwrap().unwrap();
    }
    println!("20 random chains verified against their projection rows");
    measure_search(&store, url, options, projects).await;
    store.close().await;

    let records = if records > 0 {
        records
    } else {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_records")
            .fetch_one(&pool)
            .await
            .unwrap();
        u64::try_from(count).unwrap()
    };
    println!(
        "{} projects, {} records, {} overdue",
        human(projects),
        human(records),
        human(u64::try_from(overdue).unwrap())
    );
    let per_record = |bytes: u64| bytes as f64 / records as f64;
    let gib = |bytes: u64| bytes as f64 / (1u64 << 30) as f64;
    match options.backend {
        Backend::Sqlite => {
            let path = sqlite_path(url);
            let file = std::fs::metadata(&path).map_or(0, |metadata| metadata.len());
            let wal = std::fs::metadata(format!("{}-wal", path.display()))
                .map_or(0, |metadata| metadata.len());
            println!(
                "SQLite file {:.2} GiB + WAL {:.2} GiB: {:.0} bytes per record on disk, everything included",
                gib(file),
                gib(wal),
                per_record(file + wal)
            );
            let started = Instant::now();
            match sqlx::query(
                "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC",
            )
            .fetch_all(&pool)
            .await
            {
                Ok(rows) => {
                    let sizes: Vec<(String, i64)> = rows
                        .iter()
                        .map(|row| (row.get("name"), row.get("bytes")))
                        .collect();
                    let audit: i64 = sizes
                        .iter()
                        .filter(|(name, _)| name.contains("audit_records"))
                        .map(|(_, bytes)| bytes)
                        .sum();
                    println!(
                        "  dbstat ({:.0} s): audit_records {:.2} GiB, {:.0} bytes per record; {}",
                        started.elapsed().as_secs_f64(),
                        gib(u64::try_from(audit).unwrap()),
                        per_record(u64::try_from(audit).unwrap()),
                        sizes
                            .iter()
                            .filter(|(name, _)| !name.contains("audit_records"))
                            .take(8)
                            .map(|(name, bytes)| format!(
                                "{name} {:.0} MiB",
                                *bytes as f64 / (1u64 << 20) as f64
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Err(error) => println!("  dbstat is not available: {error}"),
            }
        }
        Backend::Postgres => {
            let size = |sql: &'static str| {
                let pool = pool.clone();
                async move {
                    let bytes: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                    u64::try_from(bytes).unwrap()
                }
            };
            let heap = size("SELECT pg_table_size('audit_records')").await;
            let indexes = size("SELECT pg_indexes_size('audit_records')").await;
            let total = size("SELECT pg_total_relation_size('audit_records')").await;
            let projection = size("SELECT pg_total_relation_size('projects')").await;
            let database = size("SELECT pg_database_size(current_database())").await;
            println!(
                "PostgreSQL audit_records {:.2} GiB (table {:.2} GiB with TOAST, primary key {:.2} GiB): {:.0} bytes per record",
                gib(total),
                gib(heap),
                gib(indexes),
                per_record(total)
            );
            println!(
                "  projects {:.2} GiB with its indexes; whole database {:.2} GiB: {:.0} bytes per record, everything included",
                gib(projection),
                gib(database),
                per_record(database)
            );
        }
    }
    pool.close().await;
}

fn sqlite_path(url: &str) -> PathBuf {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap())
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("SPECFLOW_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SPECFLOW_TEST_POSTGRES_URL"))
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where to run, and what to delete at the end (a file, or a database through an admin URL).
enum Place {
    Given,
    SqliteFile(PathBuf),
    PostgresDatabase { admin: String, name: String },
}

async fn place(options: &Options) -> (String, Place) {
    if let Some(url) = &options.database {
        return (url.clone(), Place::Given);
    }
    match options.backend {
        Backend::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("specflow-scale-{}.db", Uuid::new_v4().simple()));
            (
                format!("sqlite://{}", path.display()),
                Place::SqliteFile(path),
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url().expect(
                "set SPECFLOW_BENCH_POSTGRES_URL or SPECFLOW_TEST_POSTGRES_URL, or pass --database",
            );
            let name = format!(
                "specflow_scale_{}",
                &Uuid::new_v4().simple().to_string()[..8]
            );
            let mut connection = AnyConnection::connect(&admin).await.unwrap();
            connection
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            connection.close().await.unwrap();
            let base = &admin[..admin.rfind('/').unwrap()];
            (
                format!("{base}/{name}"),
                Place::PostgresDatabase { admin, name },
            )
        }
    }
}

async fn clean_up(place: &Place, keep: bool, url: &str) {
    match place {
        _ if keep => println!("kept {url}"),
        Place::Given => {}
        Place::SqliteFile(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            println!("deleted {}", path.display());
        }
        Place::PostgresDatabase { admin, name } => {
            let mut connection = AnyConnection::connect(admin).await.unwrap();
            connection
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
            connection.close().await.unwrap();
            println!("dropped database {name}");
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".to_string());
    format!(
        "{} core(s), {cpu}",
        std::thread::available_parallelism().map_or(1, |cores| cores.get())
    )
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let options = options();
    let started = Instant::now();
    let (url, place) = place(&options).await;
    println!(
        "scale: {:?}, {} projects × {} records, {} samples, on {}",
        options.backend,
        human(options.projects),
        options.records_per_project,
        options.samples,
        machine()
    );
    println!("database: {}", url.split('?').next().unwrap_or(&url));
    if let Place::SqliteFile(path) = &place {
        // The store creates the file; its folder must exist.
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).unwrap();
    }
    let opening = Instant::now();
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    println!(
        "opened the store and applied any pending migration in {:.1} s",
        opening.elapsed().as_secs_f64()
    );
    store.register_workflow_folder(&workflows()).await.unwrap();
    let definition = store.definition("metrology-spec", 1).await.unwrap();
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&sqlx::AnyPool::connect(&url).await.unwrap())
        .await
        .unwrap();
    store.close().await;
    let records = if existing > 0 {
        println!(
            "the database already holds {} projects: measuring only",
            human(u64::try_from(existing).unwrap())
        );
        0
    } else {
        let records = load(&url, &options, definition).await;
        after_load(&url, options.backend).await;
        records
    };
    let measuring = Instant::now();
    measure(&url, &options, records).await;
    println!(
        "measured in {:.0} s; {:.0} s in all",
        measuring.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    clean_up(&place, options.keep, &url).await;
}
