//! `specflow demo`: a database full of realistic projects, tokens and accounts for every role,
//! and the service.
//!
//! The sample data is written through the store's real write path, never as hand-made rows: the
//! step sequences of the bundled scenarios (`workflows/scenarios/`) are moved back in time, given
//! their own project ids, codes and titles, and executed through `Store::execute` on a store whose
//! clock is moved by hand, with the deadline scheduler firing what falls due as time passes. So
//! every record is a genuine engine event, with a valid hash chain, and the overdue board, the
//! escalations and the freezes are the ones the scheduler itself wrote.

use super::database::runtime;
use super::serve;
use crate::cli::{DatabaseArgs, SchedulerArgs};
use crate::workflow_files::WorkflowSource;
use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use specflow_engine::scenario::{Scenario, parse_scenario};
use specflow_engine::{Actor, Command};
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::metrics::Metrics;
use specflow_store::{Clock, ManualClock, Role, Store, StoreOptions};
use specflow_store::{CommandOutcome, CommandRequest, ProjectFilter};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use uuid::Uuid;

/// The bundled scenarios, compiled in so that the demo does not depend on the working directory
/// for them (the definitions come from `--workflows`, `./workflows` or the binary).
const TO_IN_FORCE: &str = include_str!("../../workflows/scenarios/to-in-force.toml");
const OVERDUE: &str = include_str!("../../workflows/scenarios/overdue-with-extension.toml");
const CANCELLED: &str = include_str!("../../workflows/scenarios/cancelled.toml");
const REVIEW_FAILS: &str = include_str!("../../workflows/scenarios/review-fails-vote.toml");
const REEXAMINED: &str = include_str!("../../workflows/scenarios/reexamined-confirmed.toml");

/// The two committees of the demo.
const LENGTH_COMMITTEE: &str = "SH-TC-01";
const MECHANICS_COMMITTEE: &str = "SH-TC-03";

/// The demo's specifications tied to legal or livelihood metrology (trade settlement and
/// charging: truck scales, taxi meters, shop scales), created with the definition's
/// `legal_or_livelihood_metrology` mark, so the pages and filters show one.
const LEGAL_OR_LIVELIHOOD: &[&str] = &[
    "电子汽车衡检定规程",
    "出租汽车计价器检定规程",
    "固定式电子秤检定规程",
];

/// How one demo project is made: which scenario, moved how far back, cut where.
struct DemoProject {
    scenario: &'static str,
    /// How many weeks earlier than the scenario's own dates it runs. Whole weeks keep working
    /// days on working days; the shifted dates must stay within the calendars on file
    /// (`workflows/calendars/cn-2025.toml` and `cn-2026.toml`).
    weeks_earlier: i64,
    /// The project stops before the first step of this kind (a command name or an action).
    stop_before: Option<&'static str>,
    /// The secretariat opens the re-examination early, this many days before now.
    reexamination_opened_days_ago: Option<i64>,
    committee: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
}

const fn project(
    scenario: &'static str,
    weeks_earlier: i64,
    stop_before: Option<&'static str>,
    committee: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
) -> DemoProject {
    DemoProject {
        scenario,
        weeks_earlier,
        stop_before,
        reexamination_opened_days_ago: None,
        committee,
        title_zh,
        title_en,
    }
}

/// The demo's projects. Most run the full path to in force, cut by the present: the further back
/// they start, the further they have come. A few stall (and so fall overdue), one is frozen after
/// its escalation, one failed its review vote, one was cancelled and one is being re-examined.
// Long on purpose: it is a table of some thirty demo projects, one literal each, read top to
// bottom like the demo's cast; split, a reader would hunt for a project across functions.
fn demo_projects() -> Vec<DemoProject> {
    let mut projects = vec![
        project(
            TO_IN_FORCE,
            52,
            None,
            MECHANICS_COMMITTEE,
            "电子汽车衡检定规程",
            "Verification regulation for electronic truck scales",
        ),
        project(
            TO_IN_FORCE,
            46,
            None,
            LENGTH_COMMITTEE,
            "钢卷尺检定规程",
            "Verification regulation for steel tape measures",
        ),
        project(
            TO_IN_FORCE,
            40,
            None,
            LENGTH_COMMITTEE,
            "游标类卡尺检定规程",
            "Verification regulation for vernier callipers",
        ),
        project(
            TO_IN_FORCE,
            32,
            None,
            MECHANICS_COMMITTEE,
            "非自动衡器检定规程",
            "Verification regulation for non-automatic weighing instruments",
        ),
        project(
            TO_IN_FORCE,
            24,
            None,
            LENGTH_COMMITTEE,
            "外径千分尺检定规程",
            "Verification regulation for external micrometers",
        ),
        project(
            TO_IN_FORCE,
            16,
            None,
            MECHANICS_COMMITTEE,
            "出租汽车计价器检定规程",
            "Verification regulation for taximeters",
        ),
        project(
            TO_IN_FORCE,
            12,
            None,
            LENGTH_COMMITTEE,
            "手持式激光测距仪检定规程",
            "Verification regulation for hand-held laser distance meters",
        ),
        project(
            TO_IN_FORCE,
            6,
            None,
            MECHANICS_COMMITTEE,
            "电子天平检定规程",
            "Verification regulation for electronic balances",
        ),
        project(
            TO_IN_FORCE,
            2,
            None,
            LENGTH_COMMITTEE,
            "塞尺检定规程",
            "Verification regulation for feeler gauges",
        ),
        project(
            TO_IN_FORCE,
            -3,
            None,
            MECHANICS_COMMITTEE,
            "数字压力计检定规程",
            "Verification regulation for digital pressure gauges",
        ),
        project(
            TO_IN_FORCE,
            -7,
            None,
            LENGTH_COMMITTEE,
            "百分表检定规程",
            "Verification regulation for dial indicators",
        ),
        project(
            TO_IN_FORCE,
            -12,
            None,
            MECHANICS_COMMITTEE,
            "弹簧式精密压力表检定规程",
            "Verification regulation for precision spring pressure gauges",
        ),
        project(
            TO_IN_FORCE,
            -17,
            None,
            LENGTH_COMMITTEE,
            "量块检定规程",
            "Verification regulation for gauge blocks",
        ),
        project(
            TO_IN_FORCE,
            -22,
            None,
            MECHANICS_COMMITTEE,
            "扭矩扳子检定规程",
            "Verification regulation for torque wrenches",
        ),
        project(
            TO_IN_FORCE,
            -28,
            None,
            LENGTH_COMMITTEE,
            "光学经纬仪检定规程",
            "Verification regulation for optical theodolites",
        ),
        project(
            TO_IN_FORCE,
            -34,
            None,
            MECHANICS_COMMITTEE,
            "轴重秤检定规程",
            "Verification regulation for axle-load scales",
        ),
        project(
            TO_IN_FORCE,
            -43,
            None,
            LENGTH_COMMITTEE,
            "水准仪检定规程",
            "Verification regulation for levels",
        ),
        project(
            TO_IN_FORCE,
            -25,
            None,
            MECHANICS_COMMITTEE,
            "液压千斤顶检定规程",
            "Verification regulation for hydraulic jacks",
        ),
        project(
            TO_IN_FORCE,
            -31,
            None,
            LENGTH_COMMITTEE,
            "全站仪检定规程",
            "Verification regulation for total stations",
        ),
        project(
            TO_IN_FORCE,
            -38,
            None,
            MECHANICS_COMMITTEE,
            "自动轨道衡检定规程",
            "Verification regulation for automatic rail-weighbridges",
        ),
        // Newer projects, still early on.
        project(
            TO_IN_FORCE,
            -30,
            Some("approve_project"),
            LENGTH_COMMITTEE,
            "线纹尺检定规程",
            "Verification regulation for line scales",
        ),
        project(
            TO_IN_FORCE,
            -40,
            Some("propose"),
            MECHANICS_COMMITTEE,
            "称重传感器检定规程",
            "Verification regulation for load cells",
        ),
        project(
            TO_IN_FORCE,
            -44,
            Some("attach_artifact"),
            LENGTH_COMMITTEE,
            "坐标测量机检定规程",
            "Verification regulation for coordinate measuring machines",
        ),
        // Stalled projects: their drafts never came, so their deadlines passed.
        project(
            TO_IN_FORCE,
            30,
            Some("open_consultation"),
            MECHANICS_COMMITTEE,
            "动态公路车辆自动衡器检定规程",
            "Verification regulation for automatic weighing instruments for road vehicles in motion",
        ),
        project(
            TO_IN_FORCE,
            26,
            Some("pass_review"),
            LENGTH_COMMITTEE,
            "测长仪检定规程",
            "Verification regulation for length measuring machines",
        ),
        project(
            TO_IN_FORCE,
            22,
            Some("submit_for_review"),
            MECHANICS_COMMITTEE,
            "材料试验机检定规程",
            "Verification regulation for material testing machines",
        ),
        // Escalated and then frozen: the freeze is not lifted.
        project(
            OVERDUE,
            0,
            Some("lift_freeze"),
            LENGTH_COMMITTEE,
            "激光干涉仪检定规程",
            "Verification regulation for laser interferometers",
        ),
        project(
            OVERDUE,
            30,
            None,
            MECHANICS_COMMITTEE,
            "汽车衡称重显示控制器检定规程",
            "Verification regulation for weighing indicators of truck scales",
        ),
        project(
            REVIEW_FAILS,
            20,
            None,
            LENGTH_COMMITTEE,
            "圆度仪检定规程",
            "Verification regulation for roundness measuring instruments",
        ),
        project(
            REVIEW_FAILS,
            40,
            None,
            MECHANICS_COMMITTEE,
            "力标准机检定规程",
            "Verification regulation for force standard machines",
        ),
        project(
            CANCELLED,
            30,
            None,
            LENGTH_COMMITTEE,
            "刀口形直尺检定规程",
            "Verification regulation for knife-edge straightedges",
        ),
    ];
    projects.push(DemoProject {
        reexamination_opened_days_ago: Some(12),
        ..project(
            REEXAMINED,
            52,
            None,
            MECHANICS_COMMITTEE,
            "固定式电子秤检定规程",
            "Verification regulation for fixed electronic scales",
        )
    });
    projects
}

/// The shifted form of a command: every date in it moved by `by`. Dates are found by shape in the
/// command's JSON (the form scenarios are written in), so every kind of command is covered.
fn shift_dates(command: &Command, by: Duration) -> anyhow::Result<Command> {
    fn shift(value: &mut serde_json::Value, by: Duration) {
        match value {
            serde_json::Value::String(text) => {
                if text.len() == 10
                    && let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    && let Some(shifted) = date.checked_add_signed(by)
                {
                    *text = shifted.format("%Y-%m-%d").to_string();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| shift(item, by)),
            serde_json::Value::Object(fields) => {
                fields.values_mut().for_each(|field| shift(field, by))
            }
            _ => {}
        }
    }
    let mut value = serde_json::to_value(command)?;
    shift(&mut value, by);
    Ok(serde_json::from_value(value)?)
}

/// Whether a step is of the kind a project stops before.
fn is_kind(command: &Command, kind: &str) -> bool {
    match command {
        Command::FireAction { action, .. } => action == kind,
        _ => command.kind_name() == kind,
    }
}

/// One step to run: when, on which project, by whom, what.
struct PlannedStep {
    at: DateTime<Utc>,
    project_id: Uuid,
    actor: Actor,
    command: Command,
}

/// The projects' steps, interleaved in time order, all before `now`.
fn plan(now: DateTime<Utc>) -> anyhow::Result<(Vec<PlannedStep>, usize)> {
    let shanghai = FixedOffset::east_opt(8 * 3600).context("the offset of Shanghai")?;
    let mut steps = Vec::new();
    let mut numbers: BTreeMap<i32, u32> = BTreeMap::new();
    let projects = demo_projects();
    let mut parsed: BTreeMap<&'static str, Scenario> = BTreeMap::new();
    // The spread of stages was chosen for a present of late November 2026; a later present moves
    // every project by the same whole weeks, so the demo keeps its shape in any year (given the
    // working-day calendars of the years it reaches).
    let reference = shanghai
        .with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
        .single()
        .context("the demo's reference day")?
        .with_timezone(&Utc);
    let weeks_since_reference = (now - reference).num_weeks();
    for (index, demo) in projects.iter().enumerate() {
        let scenario = match parsed.get(demo.scenario) {
            Some(scenario) => scenario.clone(),
            None => {
                let scenario =
                    parse_scenario("bundled scenario", demo.scenario).map_err(|problems| {
                        anyhow::anyhow!("a bundled scenario does not parse: {problems:?}")
                    })?;
                parsed.insert(demo.scenario, scenario.clone());
                scenario
            }
        };
        let by = Duration::weeks(weeks_since_reference - demo.weeks_earlier);
        let project_id =
            Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_0000 + index as u128 + 1);
        let mut last_at = None;
        for step in &scenario.steps {
            if demo
                .stop_before
                .is_some_and(|kind| is_kind(&step.command, kind))
            {
                break;
            }
            let at = step.at + by;
            if at >= now {
                break;
            }
            let mut command = shift_dates(&step.command, by)?;
            if let Command::CreateProject(new) = &mut command {
                let year = at.with_timezone(&shanghai).year();
                let number = numbers.entry(year).or_insert(0);
                *number += 1;
                new.project_id = project_id;
                new.code = format!("JJG(沪)-{year}-{number:03}");
                new.title.zh = demo.title_zh.to_string();
                new.title.en = demo.title_en.to_string();
                new.committee = demo.committee.to_string();
                if LEGAL_OR_LIVELIHOOD.contains(&demo.title_zh) {
                    new.flags
                        .insert("legal_or_livelihood_metrology".to_string());
                }
            }
            last_at = Some(at);
            steps.push(PlannedStep {
                at,
                project_id,
                actor: step.actor.clone(),
                command,
            });
        }
        if let (Some(days), Some(last_at)) = (demo.reexamination_opened_days_ago, last_at) {
            let local = (now - Duration::days(days)).with_timezone(&shanghai);
            let at = shanghai
                .with_ymd_and_hms(local.year(), local.month(), local.day(), 9, 30, 0)
                .single()
                .context("a morning in Shanghai")?
                .with_timezone(&Utc);
            if at > last_at {
                steps.push(PlannedStep {
                    at,
                    project_id,
                    actor: Actor::new("sec-wang", "secretariat"),
                    command: Command::FireAction {
                        action: "open_reexamination".to_string(),
                        reason: Some("计量器具技术发展较快，提前启动复查。".to_string()),
                    },
                });
            }
        }
    }
    // Stable: one project's steps at the same instant keep their order.
    steps.sort_by_key(|step| step.at);
    Ok((steps, projects.len()))
}

/// Moves the clock to each deadline falling due up to `until`, letting the scheduler fire it.
async fn advance_to(
    store: &Store,
    clock: &ManualClock,
    scheduler: &Scheduler,
    until: DateTime<Utc>,
) -> anyhow::Result<()> {
    while let Some(next) = store.earliest_deadline().await? {
        if next > until {
            break;
        }
        if next > clock.now() {
            clock.set(next);
        }
        let report = scheduler.run_due(None).await?;
        if report.failures > 0 {
            anyhow::bail!(
                "the scheduler failed {} time(s) while filling the demo",
                report.failures
            );
        }
        if report.events_fired == 0 {
            break;
        }
    }
    if until > clock.now() {
        clock.set(until);
    }
    Ok(())
}

/// What the fill did.
struct Filled {
    projects: usize,
    accepted: usize,
    rejected: usize,
}

/// Runs the plan through a store whose clock is moved by hand, ending at `now`.
async fn fill(
    url: &str,
    workflows: &WorkflowSource,
    now: DateTime<Utc>,
    address: &str,
) -> anyhow::Result<Filled> {
    let (steps, projects) = plan(now)?;
    let start = steps.first().map_or(now, |step| step.at);
    let clock = Arc::new(ManualClock::new(start));
    let options = StoreOptions {
        // The demo is rebuilt in seconds if lost; durability per commit would only slow it.
        sqlite_synchronous: specflow_store::SqliteSynchronous::Normal,
        ..StoreOptions::default()
    };
    let store = Store::open_with_clock(url, options, clock.clone()).await?;
    workflows.register(&store).await?;
    if let Some(policy) = workflows.committee_policy()? {
        store.set_committee_policy(policy);
    }
    let scheduler = Scheduler::new(
        store.clone(),
        SchedulerOptions::default(),
        Metrics::shared(),
    );
    form_demo_committees(&store, now).await?;
    let mut filled = Filled {
        projects,
        accepted: 0,
        rejected: 0,
    };
    // The scenario's digest of each document attached, by project, and the stored one's.
    let mut digests: BTreeMap<(Uuid, String), String> = BTreeMap::new();
    for mut step in steps {
        advance_to(&store, &clock, &scheduler, step.at).await?;
        // A document is stored for real, so every download of the demo answers with a file;
        // minutes recorded later name the stored document's digest instead of the scenario's.
        let mut content = None;
        match &mut step.command {
            Command::AttachArtifact(artifact) => {
                let document = demo_document(
                    &artifact.kind,
                    &artifact.file_name,
                    step.project_id,
                    step.at,
                );
                let stored = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&document));
                digests.insert(
                    (step.project_id, std::mem::take(&mut artifact.sha256)),
                    stored.clone(),
                );
                artifact.sha256 = stored;
                artifact.size_bytes = document.len() as u64;
                // Stored with its attachment, as an upload is.
                content = Some(store.spool_artifact("demo", &document).await?);
            }
            Command::RecordMeeting(record) => {
                if let Some(minutes) = record.minutes_sha256.as_mut()
                    && let Some(stored) = digests.get(&(step.project_id, minutes.clone()))
                {
                    minutes.clone_from(stored);
                }
            }
            _ => {}
        }
        let request = CommandRequest {
            project_id: step.project_id,
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: step.actor,
            command: step.command,
        };
        let outcome = match content {
            Some(content) => store.execute_attaching(request, content).await?,
            None => store.execute(request).await?,
        };
        // Some scenarios are refused on purpose (a vote that fails); the rest are counted.
        match outcome {
            CommandOutcome::Accepted { .. } => filled.accepted += 1,
            CommandOutcome::Rejected { .. } => filled.rejected += 1,
        }
    }
    advance_to(&store, &clock, &scheduler, now).await?;
    // The committees' term warnings fall due apart from any project deadline.
    scheduler.run_due(None).await?;
    create_tokens_and_report(&store).await?;
    create_accounts_and_report(&store, address).await?;
    store.close().await;
    Ok(filled)
}

/// A small document standing for an attached one: a one-page PDF naming its kind, project and
/// day when the name ends in `.pdf`, plain text otherwise. Its digest and size replace the
/// scenario's.
fn demo_document(kind: &str, file_name: &str, project_id: Uuid, at: DateTime<Utc>) -> Vec<u8> {
    // The project and the instant make each document its own, as two real files would be.
    let line = format!(
        "specflow demo document: {kind}, project {project_id}, {}",
        at.format("%Y-%m-%d %H:%M")
    );
    if !file_name.to_ascii_lowercase().ends_with(".pdf") {
        return format!("{line}\n{file_name}\n").into_bytes();
    }
    // PDF text strings escape backslashes and parentheses; the kind codes have neither.
    let text = line
        .replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)");
    let stream = format!("BT /F1 14 Tf 72 770 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", index + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

/// One member of a demo committee: person, organisation, title level, administrative staff,
/// metrology professional, role.
type DemoMember = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
    &'static str,
);

const SIMT: &str = "上海市计量测试技术研究院";

/// The length committee: officers, members from institutes, universities and enterprises, a
/// corresponding member, and four members from SIMT under the bureau's waiver.
const LENGTH_MEMBERS: [DemoMember; 15] = [
    ("张伟", SIMT, "senior", false, true, "chair"),
    ("李红", "同济大学", "senior", false, true, "vice_chair"),
    (
        "王强",
        "上海电气集团股份有限公司",
        "senior",
        false,
        true,
        "vice_chair",
    ),
    ("赵敏", SIMT, "senior", false, true, "secretary_general"),
    ("陈刚", SIMT, "associate_senior", false, true, "member"),
    ("刘洋", SIMT, "associate_senior", false, true, "member"),
    ("杨静", "上海交通大学", "senior", false, true, "member"),
    (
        "黄磊",
        "华东理工大学",
        "associate_senior",
        false,
        true,
        "member",
    ),
    (
        "周婷",
        "上海市质量监督检验技术研究院",
        "associate_senior",
        false,
        true,
        "member",
    ),
    (
        "吴斌",
        "上海光学仪器研究所",
        "senior",
        false,
        true,
        "member",
    ),
    ("徐丽", "中国计量大学", "senior", false, true, "member"),
    (
        "孙涛",
        "上海市浦东新区市场监督管理局",
        "none",
        true,
        false,
        "member",
    ),
    (
        "胡军",
        "上海市计量协会",
        "intermediate",
        true,
        false,
        "member",
    ),
    (
        "朱琳",
        "海克斯康制造智能技术（青岛）有限公司",
        "senior",
        false,
        true,
        "member",
    ),
    (
        "马超",
        "中国计量科学研究院",
        "senior",
        false,
        true,
        "corresponding_member",
    ),
];

/// The mechanics committee, whose young expert holds an intermediate title under a waiver.
const MECHANICS_MEMBERS: [DemoMember; 9] = [
    (
        "郑宏",
        "上海市计量测试技术研究院",
        "senior",
        false,
        true,
        "chair",
    ),
    ("冯雪", "上海大学", "senior", false, true, "vice_chair"),
    (
        "蒋平",
        "上海航天精密机械研究所",
        "senior",
        false,
        true,
        "secretary_general",
    ),
    (
        "沈杰",
        "上海材料研究所",
        "associate_senior",
        false,
        true,
        "member",
    ),
    ("韩梅", "上海理工大学", "senior", false, true, "member"),
    (
        "曹阳",
        "上海振华重工（集团）股份有限公司",
        "associate_senior",
        false,
        true,
        "member",
    ),
    (
        "邓凯",
        "梅特勒-托利多（常州）精密仪器有限公司",
        "intermediate",
        false,
        true,
        "member",
    ),
    (
        "许晴",
        "上海市市场监督管理局",
        "none",
        true,
        false,
        "member",
    ),
    (
        "袁博",
        "浙江省计量科学研究院",
        "senior",
        false,
        true,
        "corresponding_member",
    ),
];

/// Forms the demo's two committees as audited records, through the store's committee write path:
/// the length committee's term started 46 months ago (so its 90-day warning has gone out), the
/// mechanics committee's a year ago; each has its secretariat, its members and one waiver.
async fn form_demo_committees(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    use specflow_engine::LocalizedText;
    use specflow_engine::committee::{CommitteeCommand, CommitteeWaiver, MemberProfile};
    use specflow_store::{CommitteeCommandRequest, CommitteeOutcome, committee_id_of};
    let shanghai = FixedOffset::east_opt(8 * 3600).context("the offset of Shanghai")?;
    let today = now.with_timezone(&shanghai).date_naive();
    let months_ago = |months: u32| {
        today
            .checked_sub_months(chrono::Months::new(months))
            .context("a demo date")
    };
    let committees = [
        (
            LENGTH_COMMITTEE,
            LocalizedText::new("上海市长度计量技术委员会", "Shanghai Length Metrology Committee"),
            "长度 length",
            months_ago(46)?,
            SIMT,
            &LENGTH_MEMBERS[..],
            CommitteeWaiver {
                rule: "max_per_organisation".to_string(),
                subject: Some(SIMT.to_string()),
                reason: "上海市计量测试技术研究院承担本市长度计量基准和大部分社会公用计量标准 / SIMT keeps the city's length standards".to_string(),
                authority: "沪市监计量〔2023〕101号".to_string(),
                // The four SIMT members; a fifth would need a further waiver.
                up_to: Some(4),
            },
        ),
        (
            MECHANICS_COMMITTEE,
            LocalizedText::new("上海市力学计量技术委员会", "Shanghai Mechanics Metrology Committee"),
            "力学 mechanics",
            months_ago(12)?,
            "上海材料研究所",
            &MECHANICS_MEMBERS[..],
            CommitteeWaiver {
                rule: "professional_title".to_string(),
                subject: Some("邓凯".to_string()),
                reason: "称重传感器领域的青年专家，具有同等资历 / a young expert in load cells of equivalent standing".to_string(),
                authority: "沪市监计量〔2025〕37号".to_string(),
                up_to: None,
            },
        ),
    ];
    let bureau = Actor::new("bureau-li", "supervisor");
    for (code, name, field, starts_on, secretariat, members, waiver) in committees {
        let committee_id = committee_id_of(code);
        let mut commands = vec![
            CommitteeCommand::Form {
                committee_id,
                code: code.to_string(),
                name,
                field: field.to_string(),
                legal_metrology: false,
                composition_plan: format!("{code} 组成方案（报市市场监督管理局）"),
                formed_on: starts_on,
            },
            CommitteeCommand::AssignSecretariat {
                organisation: secretariat.to_string(),
                since: starts_on,
            },
            CommitteeCommand::StartTerm {
                starts_on,
                ends_on: None,
            },
            // The waiver comes first: the appointment it covers would be refused without it.
            CommitteeCommand::Waive(waiver),
        ];
        for (person, organisation, title_level, administrative, professional, role) in members {
            commands.push(CommitteeCommand::Appoint {
                member: MemberProfile {
                    person: (*person).to_string(),
                    organisation: (*organisation).to_string(),
                    title_level: (*title_level).to_string(),
                    administrative: *administrative,
                    metrology_professional: *professional,
                    role: (*role).to_string(),
                },
                term: None,
                effective_on: starts_on,
            });
        }
        for command in commands {
            let outcome = store
                .execute_committee(CommitteeCommandRequest {
                    committee_id,
                    command_id: Uuid::new_v4(),
                    expected_sequence: None,
                    actor: bureau.clone(),
                    command,
                })
                .await?;
            if let CommitteeOutcome::Rejected(rejection) = outcome {
                anyhow::bail!("the demo committee {code} was refused: {rejection}");
            }
        }
    }
    Ok(())
}

/// Who the demo's tokens and accounts are, one per role: the token's name, the account's name,
/// the role and its scope (a committee or a project code).
type DemoGrant = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<String>,
);

/// One grant per role; the drafter's project is one still being drafted, so that the drafter has
/// work to do.
async fn demo_grants(store: &Store) -> anyhow::Result<[DemoGrant; 7]> {
    let filter = ProjectFilter {
        committee: Some(LENGTH_COMMITTEE.to_string()),
        stage: Some("drafting".to_string()),
        overdue: Some(false),
        ..ProjectFilter::default()
    };
    let drafter_project = store
        .list_projects(&filter, None, 1)
        .await?
        .items
        .into_iter()
        .next()
        .map(|project| project.code)
        .context("the demo made no project")?;
    Ok([
        ("demo-admin", "zhou.admin", Role::Admin, None, None),
        ("demo-supervisor", "li.bureau", Role::Supervisor, None, None),
        (
            "demo-secretariat",
            "wang.secretariat",
            Role::Secretariat,
            Some(LENGTH_COMMITTEE),
            None,
        ),
        (
            "demo-chair",
            "chen.chair",
            Role::Chair,
            Some(LENGTH_COMMITTEE),
            None,
        ),
        (
            "demo-member",
            "zhang.member",
            Role::Member,
            Some(LENGTH_COMMITTEE),
            None,
        ),
        (
            "demo-drafter",
            "zhao.drafter",
            Role::Drafter,
            None,
            Some(drafter_project),
        ),
        ("demo-auditor", "sun.auditor", Role::Auditor, None, None),
    ])
}

/// What a grant reaches, in words.
fn grant_scope(committee: Option<&str>, project: Option<&str>) -> String {
    match (committee, project) {
        (Some(committee), _) => committee.to_string(),
        (None, Some(project)) => format!("project {project}"),
        (None, None) => "every project".to_string(),
    }
}

/// One token per role, printed with what it reaches.
async fn create_tokens_and_report(store: &Store) -> anyhow::Result<()> {
    println!("tokens (shown once; specflow keeps only their SHA-256):");
    for (name, _, role, committee, project) in demo_grants(store).await? {
        let (created, _) = store
            .create_token(name, role, committee, project.as_deref(), None)
            .await?;
        let scope = grant_scope(committee, project.as_deref());
        println!("  {:<12} {}  ({scope})", role.to_string(), created.bearer());
    }
    Ok(())
}

/// One account per role for the pages, each with a random password printed once.
/// Each demo account with its password and its calendar feed's address under `address` (both
/// shown once: specflow keeps only their hashes).
async fn create_accounts_and_report(store: &Store, address: &str) -> anyhow::Result<()> {
    println!(
        "accounts for the pages (passwords shown once; specflow keeps only their Argon2id hash):"
    );
    for (_, name, role, committee, project) in demo_grants(store).await? {
        // 64 random bits as four groups of four hexadecimal digits: enough for a demo, and easy
        // to type.
        let random = Uuid::new_v4().simple().to_string();
        let password = format!(
            "{}-{}-{}-{}",
            &random[0..4],
            &random[4..8],
            &random[8..12],
            &random[12..16]
        );
        store
            .create_account(name, role, committee, project.as_deref(), &password)
            .await?;
        let scope = grant_scope(committee, project.as_deref());
        println!(
            "  {:<12} name {name:<17} password {password}  ({scope})",
            role.to_string()
        );
        if let Some(secret) = store.renew_calendar_feed(name).await? {
            println!(
                "  {:<12} calendar feed {}",
                "",
                specflow_web::app::calendar::feed_url(address, &secret)
            );
        }
    }
    Ok(())
}

/// The path of an SQLite URL's file, if it names one.
fn sqlite_file(url: &str) -> Option<&str> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// What a database holds before the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// No projects (a new file, or a database only migrated).
    Empty,
    /// Projects the demo made: it has the demo's administrator token.
    Demo,
    /// Projects the demo did not make: someone's work, never touched without `--reset`.
    Other,
}

/// The database every command reads unless told otherwise (`DatabaseArgs`).
const DEFAULT_DATABASE: &str = "sqlite://specflow.db";

/// The token every demo database has, which marks it as the demo's.
const DEMO_MARK_TOKEN: &str = "demo-admin";

/// What the database already holds.
async fn existing(url: &str) -> anyhow::Result<Existing> {
    if let Some(file) = sqlite_file(url)
        && !Path::new(file).exists()
    {
        return Ok(Existing::Empty);
    }
    let store = Store::open(url, StoreOptions::default()).await?;
    let any = !store
        .list_projects(&ProjectFilter::default(), None, 1)
        .await?
        .items
        .is_empty();
    let demo = store
        .tokens()
        .await?
        .iter()
        .any(|token| token.name == DEMO_MARK_TOKEN);
    store.close().await;
    Ok(match (any, demo) {
        (false, _) => Existing::Empty,
        (true, true) => Existing::Demo,
        (true, false) => Existing::Other,
    })
}

/// Asks on a terminal whether to reset; anything but yes is no.
fn ask_to_reset() -> anyhow::Result<bool> {
    eprint!("reset the demo database? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Removes the demo's SQLite file and its journal. A PostgreSQL database is not emptied here:
/// dropping someone's tables on a typo would be too costly, so it is recreated by hand.
fn reset(url: &str) -> anyhow::Result<()> {
    let Some(file) = sqlite_file(url) else {
        anyhow::bail!(
            "{url} already holds projects; the demo resets SQLite files only: drop and recreate the database, then run the demo again"
        );
    };
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{file}{suffix}");
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error).with_context(|| format!("cannot remove {path}")),
        }
    }
    Ok(())
}

/// The demo's transparency-log key, beside its SQLite file (`specflow.db.log-key`), made the
/// first time; `None` for a database that is not a file (the operator brings a key there).
fn demo_log_key(url: &str) -> anyhow::Result<Option<std::path::PathBuf>> {
    let Some(file) = sqlite_file(url) else {
        return Ok(None);
    };
    let path = std::path::PathBuf::from(format!("{file}.log-key"));
    if !path.exists() {
        crate::commands::log::write_new_key("specflow.demo/log", &path)?;
    }
    Ok(Some(path))
}

/// Integrates the demo's records (all written before the log, so adopted) and signs the first
/// checkpoint, so that `specflow log checkpoint` and the public pages have one at once.
async fn first_checkpoint(url: &str, key: &std::path::Path) -> anyhow::Result<()> {
    let args = crate::cli::LogArgs {
        log_key: Some(key.to_path_buf()),
        ..crate::cli::LogArgs::default()
    };
    let Some(key) = crate::commands::log::load_key(&args)? else {
        return Ok(());
    };
    let store = Store::open(url, StoreOptions::default()).await?;
    let integration = store.integrate_pending(&key, 10_000).await?;
    store.close().await;
    eprintln!(
        "transparency log {}: {} records in its first checkpoint; verifier key {}",
        key.origin(),
        integration.integrated,
        key.verifier()
    );
    Ok(())
}

/// `specflow demo`.
pub fn run(
    url: &str,
    listen: SocketAddr,
    workflows: Option<&Path>,
    reset_asked: bool,
    no_serve: bool,
) -> anyhow::Result<ExitCode> {
    let workflows = WorkflowSource::choose(workflows)?;
    eprintln!("{}", workflows.describe());
    let address = if listen.port() == 0 {
        "the address printed below".to_string()
    } else {
        format!("http://{listen}")
    };
    // With a port the system picks, feeds are printed as paths under the address printed later.
    let feed_base = if listen.port() == 0 {
        String::new()
    } else {
        address.clone()
    };
    let fresh = runtime()?.block_on(async {
        let existing = existing(url).await?;
        if existing == Existing::Other && !reset_asked {
            anyhow::bail!(
                "{url} holds projects the demo did not make, so the demo leaves it alone: pass --database for another database, or --reset to delete this one and build the demo in its place"
            );
        }
        let reset_now = match existing {
            Existing::Empty => false,
            Existing::Other => true,
            Existing::Demo => {
                reset_asked || (std::io::stdin().is_terminal() && ask_to_reset()?)
            }
        };
        if existing == Existing::Demo && !reset_now {
            eprintln!(
                "{url} already holds the demo: kept as it is, its tokens were shown when it was made (pass --reset to rebuild the demo)"
            );
            return Ok::<bool, anyhow::Error>(false);
        }
        if reset_now {
            reset(url)?;
        }
        let started = std::time::Instant::now();
        let now = specflow_store::SystemClock.now();
        let filled = fill(url, &workflows, now, &feed_base).await?;
        if let Some(key) = demo_log_key(url)? {
            first_checkpoint(url, &key).await?;
        }
        eprintln!(
            "demo database {url}: {} projects, {} commands accepted and {} refused as their scenarios intend, in {:.1}s",
            filled.projects,
            filled.accepted,
            filled.rejected,
            started.elapsed().as_secs_f64()
        );
        Ok(true)
    })?;
    if fresh {
        println!(
            "sign in at {address}/signin with a name and password above (or paste a token as the password)"
        );
        println!("try: specflow project list --server {address} --token <a token above>");
        println!("or:  curl -H 'Authorization: Bearer <a token above>' {address}/api/v1/projects");
        if url == DEFAULT_DATABASE {
            println!(
                "the demo is the default database ({url}): specflow deadlines, audit verify, token list and outbox list read it as they are"
            );
        } else {
            println!(
                "the commands that read the database need --database {url} (or SPECFLOW_DATABASE_URL)"
            );
        }
    }
    std::io::stdout().flush()?;
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let scheduler = SchedulerArgs {
        scheduler_batch_size: 500,
        scheduler_lease: std::time::Duration::from_secs(60),
        scheduler_rescan: std::time::Duration::from_secs(60),
        node_name: None,
        digest_at: specflow_web::app::digest::DigestOptions::default().send_at,
        digest_utc_offset: specflow_web::app::digest::DigestOptions::default().offset,
    };
    let database = DatabaseArgs {
        url: url.to_string(),
    };
    let folder = match &workflows {
        WorkflowSource::Folder(folder) => Some(folder.as_path()),
        WorkflowSource::Embedded => None,
    };
    let uploads = crate::cli::UploadArgs {
        max_concurrent_uploads: 4,
        max_concurrent_uploads_per_caller: 2,
    };
    serve::run(serve::Serving {
        listen,
        workflows: folder,
        with_scheduler: true,
        database: &database,
        scheduler: &scheduler,
        server: &crate::cli::ServerArgs::default(),
        uploads: &uploads,
        log: &crate::cli::LogArgs {
            log_key: demo_log_key(url)?,
            ..crate::cli::LogArgs::default()
        },
        // The demo sends no e-mail: its channels are for `specflow channel set` to add.
        mail: &crate::cli::MailArgs::default(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn shifting_moves_every_date_of_a_command_and_nothing_else() {
        let command: Command = serde_json::from_value(serde_json::json!({
            "command": "fix_plan",
            "due_dates": { "overall": "2027-06-30", "drafting": "2026-06-30" }
        }))
        .unwrap();
        let shifted =
            serde_json::to_value(shift_dates(&command, Duration::weeks(-52)).unwrap()).unwrap();
        assert_eq!(shifted["due_dates"]["overall"], "2026-07-01");
        assert_eq!(shifted["due_dates"]["drafting"], "2025-07-01");
        assert_eq!(shifted["command"], "fix_plan");
    }

    #[test]
    fn the_plan_is_in_time_order_before_now_with_one_creation_per_project() {
        let now = Utc::now();
        let (steps, projects) = plan(now).unwrap();
        assert!(steps.windows(2).all(|pair| pair[0].at <= pair[1].at));
        assert!(steps.iter().all(|step| step.at < now));
        let creations = steps
            .iter()
            .filter(|step| matches!(step.command, Command::CreateProject(_)))
            .count();
        assert_eq!(creations, projects);
    }

    /// The committee and bureau reports on the demo data as it stands on the demo's reference
    /// day, filled through the real write path and the scheduler, against committed snapshots.
    #[test]
    fn reports_on_the_demo_data_match_their_snapshots() {
        use specflow_engine::Language;
        use specflow_engine::report::{ReportKind, to_json, to_markdown};
        use specflow_store::ReportRequest;

        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("demo.db").display());
        let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let now = shanghai
            .with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc);
        runtime().unwrap().block_on(async {
            fill(&url, &WorkflowSource::Folder(workflows), now, "")
                .await
                .unwrap();
            let store = Store::open(&url, StoreOptions::default()).await.unwrap();
            // Every document the demo lists can be downloaded: its bytes are stored.
            let page = store
                .list_projects(&ProjectFilter::default(), None, 1000)
                .await
                .unwrap();
            let mut documents = 0;
            for summary in &page.items {
                let view = store.project(summary.project_id).await.unwrap().unwrap();
                for attached in &view.state.artifacts {
                    let content = store.artifact(&attached.artifact.sha256).await.unwrap();
                    let content = content.unwrap_or_else(|| {
                        panic!(
                            "{}: {} not stored",
                            summary.code, attached.artifact.file_name
                        )
                    });
                    assert_eq!(content.len() as u64, attached.artifact.size_bytes);
                    documents += 1;
                }
            }
            assert!(documents > 20, "{documents} documents");
            let year = |kind, committee: Option<&str>| ReportRequest {
                kind,
                committee: committee.map(str::to_string),
                first_day: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                last_day: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            };
            let committee = store
                .report(&year(ReportKind::Annual, Some(LENGTH_COMMITTEE)))
                .await
                .unwrap();
            insta::assert_snapshot!("demo_committee_2026_json", to_json(&committee));
            insta::assert_snapshot!(
                "demo_committee_2026_markdown_zh",
                to_markdown(&committee, Language::Zh)
            );
            insta::assert_snapshot!(
                "demo_committee_2026_markdown_en",
                to_markdown(&committee, Language::En)
            );
            let bureau = store.report(&year(ReportKind::Bureau, None)).await.unwrap();
            assert_eq!(bureau.committees.len(), 2);
            insta::assert_snapshot!(
                "demo_bureau_2026_markdown_en",
                to_markdown(&bureau, Language::En)
            );
            store.close().await;
        });
    }
}
