//! One project from creation to in force through the command line only, against the real server:
//! every step with the token of the role that performs it, on the dates of the example lifecycle
//! (`workflows/scenarios/to-in-force.toml`), the server's clock moved by libfaketime. Files are
//! attached with `specflow attach`, the consultation's comments recorded one by one and from a
//! comment disposition table (a bad row refused whole, then fixed), the chair signs off, meetings
//! are scheduled and recorded with their votes, and an extension is requested and granted.
//! Commands that change the stage are refused without a terminal unless `--yes` is given, and on
//! a terminal (a pseudo-terminal from util-linux's `script`) they ask, and only "y" goes ahead.

use crate::client_cli::{
    LIBFAKETIME, PostgresDatabase, Server, faketime_available, serve_with, text,
};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const CODE: &str = "JJG(沪)-2026-001";
const COMMITTEE: &str = "SH-TC-01";

/// The comment disposition table as the drafting group first sent it: row 4 is not accepted
/// without a reason, and row 5's disposition is not one.
const BAD_TABLE: &str = "电子汽车衡检定规程 意见汇总处理表,,,,,\n\
    序号,章条编号,意见内容,提出单位,处理意见,理由\n\
    1,6.3.1,偏载试验的加载位置建议增加示意图。,梅特勒-托利多,部分采纳,增加示意图，但不改变加载顺序。\n\
    2,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,\n\
    3,8.2,检定证书格式建议统一。,同济大学,同意,\n";

/// The same table, fixed.
const GOOD_TABLE: &str = "电子汽车衡检定规程 意见汇总处理表,,,,,\n\
    序号,章条编号,意见内容,提出单位,处理意见,理由\n\
    1,6.3.1,偏载试验的加载位置建议增加示意图。,梅特勒-托利多,部分采纳,增加示意图，但不改变加载顺序。\n\
    2,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,电子汽车衡属强制检定计量器具，检定周期不超过1年。\n\
    3,8.2,检定证书格式建议统一。,同济大学,采纳,\n";

/// The organisations the consultation reached (the scenario's twenty-two).
const ORGANISATIONS: [&str; 22] = [
    "上海市计量测试技术研究院",
    "华东国家计量测试中心",
    "上海市质量监督检验技术研究院",
    "中国计量科学研究院",
    "浙江省计量科学研究院",
    "江苏省计量科学研究院",
    "上海电气集团",
    "上海宝钢",
    "梅特勒-托利多",
    "上海大和衡器",
    "同济大学",
    "上海交通大学",
    "复旦大学",
    "华东理工大学",
    "上海市市场监管局浦东分局",
    "上海市市场监管局闵行分局",
    "上海衡器行业协会",
    "上海市计量协会",
    "安徽省计量科学研究院",
    "山东省计量科学研究院",
    "宁波市计量测试研究院",
    "苏州市计量测试院",
];

/// Members `from` to `to` of the committee, comma-separated.
fn members(from: u32, to: u32) -> String {
    (from..=to)
        .map(|number| format!("member-{number:02}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The lifecycle, step by step; each step sets the server's clock first.
struct Lifecycle<'a> {
    server: &'a Server,
    clock: String,
    tokens: HashMap<&'static str, String>,
    folder: tempfile::TempDir,
}

impl Lifecycle<'_> {
    /// Sets the server's clock to a local instant (+08:00) such as "2026-01-05T09:00".
    fn at(&self, local: &str) {
        let instant = chrono::DateTime::parse_from_rfc3339(&format!("{local}:00+08:00"))
            .unwrap()
            .to_utc();
        std::fs::write(
            &self.clock,
            instant.format("@%Y-%m-%d %H:%M:%S\n").to_string(),
        )
        .unwrap();
    }

    /// Runs a command as `role`, without asserting anything.
    fn run(&self, role: &str, arguments: &[&str]) -> Output {
        self.server.client(&self.tokens[role], arguments)
    }

    /// Runs a command as `role`; it must succeed. Returns what it printed.
    fn ok(&self, role: &str, arguments: &[&str]) -> String {
        let output = self.run(role, arguments);
        assert!(
            output.status.success(),
            "{role} {arguments:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Runs a command as `role`; it must be refused (exit 1). Returns what it said on stderr.
    fn refused(&self, role: &str, arguments: &[&str]) -> String {
        let output = self.run(role, arguments);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{role} {arguments:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stderr)
    }

    /// Writes a file to upload; returns its path.
    fn file(&self, name: &str, content: &str) -> String {
        let path = self.folder.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// Attaches a small file of `kind` as `role`; returns the JSON answer.
    fn attach(&self, role: &str, kind: &str, name: &str) -> serde_json::Value {
        let path = self.file(name, &format!("{kind} of {CODE}"));
        let printed = self.ok(role, &["attach", CODE, &path, "--kind", kind, "--json"]);
        serde_json::from_str(printed.trim()).unwrap()
    }

    /// The project as the API shows it, as JSON.
    fn project(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok("supervisor", &["project", "show", CODE, "--json"])).unwrap()
    }

    fn stage(&self) -> String {
        self.project()["stage"].as_str().unwrap().to_string()
    }
}

fn the_lifecycle_runs_through_the_work_commands(database: &str) {
    let clock = tempfile::NamedTempFile::new().unwrap();
    let clock_path = clock.path().to_str().unwrap().to_string();
    std::fs::write(&clock_path, "@2026-01-05 01:00:00\n").unwrap();
    let server = serve_with(
        database,
        &[
            ("LD_PRELOAD", LIBFAKETIME),
            ("FAKETIME_TIMESTAMP_FILE", &clock_path),
            ("FAKETIME_NO_CACHE", "1"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            ("TZ", "UTC"),
        ],
    );
    let mut tokens = HashMap::new();
    for (name, role) in [
        ("sec-wang", "secretariat"),
        ("chair-sun", "chair"),
        ("bureau-li", "supervisor"),
    ] {
        let mut arguments = vec!["--name", name, "--role", role];
        if role != "supervisor" {
            arguments.extend(["--committee", COMMITTEE]);
        }
        tokens.insert(role, server.token(&arguments));
    }
    let mut life = Lifecycle {
        server: &server,
        clock: clock_path,
        tokens,
        folder: tempfile::tempdir().unwrap(),
    };

    pre_research_and_proposal(&mut life);
    drafting(&life);
    consultation(&life);
    resolution(&life);
    review_and_approval(&life);
    promotion_to_in_force(&life);
    a_cancellation_is_asked_on_a_terminal(&life);
    drop(life);
    drop(server);
    let verified = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["audit", "verify", "--project", CODE, "--database", database])
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}

/// Pre-research and proposal: created, the proposal evaluated, proposed (confirmed with --yes),
/// approved.
fn pre_research_and_proposal(life: &mut Lifecycle<'_>) {
    // Pre-research: the secretariat creates the project, attaches the proposal and records the
    // committee's evaluation.
    life.at("2026-01-05T09:00");
    life.ok(
        "secretariat",
        &[
            "project",
            "create",
            "--code",
            CODE,
            "--title-zh",
            "电子汽车衡检定规程",
            "--title-en",
            "Verification regulation for electronic truck scales",
            "--kind",
            "verification_regulation",
            "--committee",
            COMMITTEE,
            "--drafting-unit",
            "上海市计量测试技术研究院",
        ],
    );
    let drafter = life.server.token(&[
        "--name",
        "drafter-chen",
        "--role",
        "drafter",
        "--project",
        CODE,
    ]);
    life.tokens.insert("drafter", drafter);
    life.at("2026-01-06T10:00");
    life.attach("secretariat", "project_proposal", "项目建议书.pdf");
    life.at("2026-01-20T16:00");
    let recorded = life.ok(
        "secretariat",
        &[
            "meeting",
            "record",
            CODE,
            "--id",
            "M-EVAL-1",
            "--motion",
            "proposal_evaluation",
            "--held-on",
            "2026-01-20",
            "--roll",
            &members(1, 15),
            "--present",
            &members(1, 12),
            "--in-favour",
            &members(1, 9),
            "--against",
            &members(10, 11),
            "--abstain",
            &members(12, 12),
            "--non-voting",
            "corr-hu=corresponding_member",
        ],
    );
    assert!(
        recorded.contains("meeting M-EVAL-1 recorded: 9 in favour, 2 against, 1 abstaining"),
        "{recorded}"
    );

    // Proposing changes the stage: without a terminal it needs --yes, and nothing happens.
    life.at("2026-01-21T09:00");
    let unconfirmed = life.refused("secretariat", &["advance", CODE, "propose"]);
    assert!(unconfirmed.contains("--yes"), "{unconfirmed}");
    assert_eq!(life.stage(), "preresearch");
    life.ok("secretariat", &["advance", CODE, "propose", "--yes"]);
    assert_eq!(life.stage(), "proposal");

    // Proposal: the application and task statement, the plan fixed by the bureau, approval.
    life.at("2026-01-22T09:00");
    life.attach("secretariat", "project_application", "项目申报书.pdf");
    life.attach("secretariat", "task_statement", "计划任务书.pdf");
    life.at("2026-01-30T09:00");
    let fixed = life.ok(
        "supervisor",
        &[
            "plan",
            "fix",
            CODE,
            "--due",
            "overall=2027-06-30",
            "--due",
            "drafting=2026-06-30",
            "--due",
            "resolution=2026-09-30",
        ],
    );
    assert!(fixed.contains("plan fixed: 3 deadline(s)"), "{fixed}");
    life.at("2026-02-02T09:00");
    life.ok("supervisor", &["fire", CODE, "approve_project", "--yes"]);
}

/// Drafting: an extension requested and granted, the drafts attached, the completeness signed off.
fn drafting(life: &Lifecycle<'_>) {
    // Drafting: the drafting group asks for a month more, and the bureau grants it.
    life.at("2026-04-25T10:00");
    let requested = life.ok(
        "drafter",
        &[
            "extension",
            "request",
            CODE,
            "--id",
            "EXT-1",
            "--deadline",
            "drafting",
            "--new-due-on",
            "2026-07-31",
            "--reason",
            "试验数据需补充夏季环境条件。",
        ],
    );
    assert!(
        requested.contains("extension EXT-1 requested"),
        "{requested}"
    );
    // Deciding is the bureau's: the drafting group is refused, with the reason in words.
    let not_theirs = life.refused(
        "drafter",
        &["extension", "grant", CODE, "EXT-1", "--reason", "同意"],
    );
    assert!(not_theirs.contains("403"), "{not_theirs}");
    life.at("2026-04-28T10:00");
    life.ok(
        "supervisor",
        &[
            "extension",
            "grant",
            CODE,
            "EXT-1",
            "--reason",
            "同意延期一个月。",
        ],
    );
    let project = life.project();
    let drafting = project["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|deadline| deadline["deadline"] == "drafting")
        .unwrap()
        .clone();
    assert_eq!(drafting["due_on"], "2026-07-31", "{drafting}");
    assert_eq!(drafting["extensions_granted"], 1);

    life.at("2026-05-28T10:00");
    for (kind, name) in [
        ("consultation_draft", "征求意见稿.docx"),
        ("explanatory_note", "编制说明.docx"),
        ("test_report", "试验报告.pdf"),
        ("uncertainty_evaluation", "不确定度评定报告.pdf"),
    ] {
        life.attach("drafter", kind, name);
    }
    life.at("2026-06-01T08:30");
    life.ok(
        "secretariat",
        &["sign-off", CODE, "--subject", "completeness_check"],
    );
    life.at("2026-06-01T09:00");
    life.ok(
        "secretariat",
        &["advance", CODE, "open_consultation", "--yes"],
    );
}

/// Consultation: the organisations reached and a first comment.
fn consultation(life: &Lifecycle<'_>) {
    // Consultation: organisations reached, one comment recorded as it came in.
    life.at("2026-06-10T10:00");
    let mut consulted = vec!["consulted", CODE];
    consulted.extend(ORGANISATIONS);
    let said = life.ok("secretariat", &consulted);
    assert!(said.contains("22 organisation(s) consulted"), "{said}");
    life.at("2026-06-20T10:00");
    life.ok(
        "secretariat",
        &[
            "comment",
            "add",
            CODE,
            "--id",
            "C1",
            "--organisation",
            "中国计量科学研究院",
            "--clause",
            "5.2",
            "--text",
            "最大允许误差的表述应与OIML R76一致。",
        ],
    );
    life.at("2026-07-06T09:00");
    life.ok(
        "secretariat",
        &["advance", CODE, "close_consultation", "--yes"],
    );
}

/// Resolution: the comment table refused whole, then recorded; the review draft released by the chair.
fn resolution(life: &Lifecycle<'_>) {
    // Resolution: the rest of the comments come from the drafting group's table. Its first
    // version has two bad rows: the preview shows both, and nothing is recorded.
    life.at("2026-07-10T10:00");
    let bad = life.file("意见汇总处理表-初稿.csv", BAD_TABLE);
    let preview = life.run("drafter", &["comment", "import", CODE, &bad, "--dry-run"]);
    assert_eq!(preview.status.code(), Some(1));
    let table = text(&preview.stdout);
    assert!(
        table.contains("reason: A comment not accepted needs a reason"),
        "{table}"
    );
    assert!(
        table.contains("disposition: The disposition \"同意\""),
        "{table}"
    );
    let refused = life.refused("drafter", &["comment", "import", CODE, &bad]);
    assert!(refused.contains("nothing was recorded"), "{refused}");
    let listed = life.ok("drafter", &["comment", "list", CODE]);
    assert!(listed.contains("1 comment(s)"), "{listed}");
    // Fixed, the whole table is recorded at once.
    let good = life.file("意见汇总处理表.csv", GOOD_TABLE);
    let imported = life.ok("drafter", &["comment", "import", CODE, &good]);
    assert!(
        imported.contains("3 comment(s) recorded, 3 with a disposition"),
        "{imported}"
    );
    // The comment recorded in the consultation is disposed of on its own; a refusal without
    // its reason says why.
    let no_reason = life.refused(
        "drafter",
        &[
            "comment",
            "dispose",
            CODE,
            "C1",
            "--disposition",
            "not_accepted",
        ],
    );
    assert!(no_reason.contains("needs a reason"), "{no_reason}");
    life.ok(
        "drafter",
        &["comment", "dispose", CODE, "C1", "--disposition", "采纳"],
    );
    let listed = life.ok("drafter", &["comment", "list", CODE]);
    assert!(
        listed.contains("4 comment(s), 0 without a disposition"),
        "{listed}"
    );
    let undisposed = life.ok(
        "drafter",
        &["comment", "list", CODE, "--undisposed", "--json"],
    );
    assert!(undisposed.trim().is_empty(), "{undisposed}");

    life.at("2026-07-15T10:00");
    let table_file = life.file("意见汇总处理表.csv", GOOD_TABLE);
    life.ok(
        "drafter",
        &["attach", CODE, &table_file, "--kind", "disposition_table"],
    );
    life.attach("drafter", "review_draft", "送审稿.docx");
    life.at("2026-08-05T15:00");
    let signed = life.ok(
        "chair",
        &["sign-off", CODE, "--subject", "review_draft_release"],
    );
    assert!(
        signed.contains("review_draft_release signed off"),
        "{signed}"
    );
    life.at("2026-08-10T09:00");
    life.ok(
        "secretariat",
        &[
            "meeting",
            "schedule",
            CODE,
            "--id",
            "M-REV-1",
            "--motion",
            "review",
            "--on",
            "2026-09-15",
            "--documents-sent-on",
            "2026-08-10",
        ],
    );
    life.at("2026-08-12T09:00");
    life.ok(
        "secretariat",
        &["advance", CODE, "submit_for_review", "--yes"],
    );
}

/// Review and approval: the meeting held with its minutes, the publication recorded.
fn review_and_approval(life: &Lifecycle<'_>) {
    // Review: the meeting held, its minutes attached and named in its record.
    life.at("2026-09-15T17:00");
    let minutes = life.attach("secretariat", "minutes", "审定会议纪要.pdf");
    let minutes = minutes["sha256"].as_str().unwrap().to_string();
    life.at("2026-09-15T17:30");
    life.ok(
        "secretariat",
        &[
            "meeting",
            "record",
            CODE,
            "--id",
            "M-REV-1",
            "--motion",
            "review",
            "--held-on",
            "2026-09-15",
            "--roll",
            &members(1, 15),
            "--present",
            &members(1, 12),
            "--in-favour",
            &members(1, 10),
            "--against",
            &members(11, 11),
            "--abstain",
            &members(12, 12),
            "--non-voting",
            "corr-hu=corresponding_member",
            "--minutes",
            &minutes,
        ],
    );
    life.at("2026-09-16T09:00");
    life.ok(
        "secretariat",
        &[
            "field",
            "record",
            CODE,
            "implementation_transition_arrangement",
            "--text",
            "自实施之日起，在用电子汽车衡按新规程进行后续检定。",
        ],
    );
    life.at("2026-09-16T09:30");
    life.ok("secretariat", &["advance", CODE, "pass_review", "--yes"]);

    // Approval and publication by the bureau.
    life.at("2026-11-05T10:00");
    life.attach("secretariat", "approval_draft", "报批稿.pdf");
    life.at("2026-11-20T09:00");
    life.ok(
        "supervisor",
        &[
            "publication",
            "record",
            CODE,
            "--number",
            "JJG(沪) 101-2026",
            "--published-on",
            "2026-11-20",
            "--effective-on",
            "2027-03-01",
        ],
    );
    life.at("2026-11-20T09:30");
    life.ok("supervisor", &["advance", CODE, "publish", "--yes"]);
}

/// Promotion and entry into force; the history holds every kind of record the commands made.
fn promotion_to_in_force(life: &Lifecycle<'_>) {
    // Promotion, then in force on the effective date.
    life.at("2027-01-15T16:00");
    life.attach("drafter", "promotion_record", "宣贯培训记录.pdf");
    life.at("2027-01-15T16:05");
    life.ok(
        "drafter",
        &[
            "field",
            "record",
            CODE,
            "promotion_completed_on",
            "--date",
            "2027-01-15",
        ],
    );
    life.at("2027-03-01T09:00");
    // Cancelling needs confirmation too; without a terminal it is refused and nothing happens.
    let not_cancelled = life.refused("secretariat", &["cancel", CODE, "--reason", "not meant"]);
    assert!(not_cancelled.contains("--yes"), "{not_cancelled}");
    let entered = life.ok(
        "secretariat",
        &["advance", CODE, "enter_into_force", "--yes", "--json"],
    );
    let entered: serde_json::Value = serde_json::from_str(entered.trim()).unwrap();
    assert!(entered["last_sequence"].as_u64().unwrap() > 40, "{entered}");
    assert_eq!(life.stage(), "in_force");

    // The history holds every kind of record the commands made, and its chain verifies.
    let history = life.ok("supervisor", &["history", CODE, "--json"]);
    for event_type in [
        "artifact_attached",
        "meeting_recorded",
        "meeting_scheduled",
        "comment_recorded",
        "comment_disposed",
        "organisations_consulted_recorded",
        "signed_off",
        "plan_fixed",
        "extension_requested",
        "extension_granted",
        "field_recorded",
        "publication_recorded",
    ] {
        assert!(
            history.contains(&format!("\"event_type\":\"{event_type}\"")),
            "{event_type} missing from the history"
        );
    }
}

/// On a terminal a stage change is asked: "n" leaves the project as it was, "y" goes ahead. The
/// terminal is util-linux's `script`, which runs the command on a pseudo-terminal fed from the
/// test's pipe; without it the test says so and stops here.
fn a_cancellation_is_asked_on_a_terminal(life: &Lifecycle<'_>) {
    const OTHER: &str = "JJG(沪)-2026-002";
    if !std::path::Path::new("/usr/bin/script").exists() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the confirmation on a terminal (it needs util-linux's script)"
        );
        return;
    }
    life.ok(
        "secretariat",
        &[
            "project",
            "create",
            "--code",
            OTHER,
            "--title-zh",
            "电子吊秤检定规程",
            "--title-en",
            "Verification regulation for electronic crane scales",
            "--kind",
            "verification_regulation",
            "--committee",
            COMMITTEE,
            "--drafting-unit",
            "上海市计量测试技术研究院",
        ],
    );
    let on_a_terminal = |answer: &str| -> Output {
        let command = format!(
            "{} cancel '{OTHER}' --reason '立项前撤回' --language en",
            env!("CARGO_BIN_EXE_specflow")
        );
        let mut child = Command::new("/usr/bin/script")
            .args(["-qec", &command, "/dev/null"])
            .env("SPECFLOW_SERVER", format!("http://{}", life.server.address))
            .env("SPECFLOW_TOKEN", &life.tokens["supervisor"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let stage = || -> String {
        let shown = life.ok("supervisor", &["project", "show", OTHER, "--json"]);
        let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
        shown["stage"].as_str().unwrap().to_string()
    };
    let declined = on_a_terminal("n\n");
    let said = text(&declined.stdout);
    assert!(!declined.status.success(), "{said}");
    assert!(said.contains("Go ahead? [y/N]"), "{said}");
    assert!(said.contains("not confirmed: nothing was done"), "{said}");
    assert_eq!(stage(), "preresearch");
    let confirmed = on_a_terminal("y\n");
    let said = text(&confirmed.stdout);
    assert!(
        confirmed.status.success(),
        "{said}{}",
        text(&confirmed.stderr)
    );
    assert!(said.contains("project cancelled"), "{said}");
    assert_eq!(stage(), "cancelled");
}

#[test]
fn a_project_goes_to_in_force_through_the_work_commands_on_sqlite() {
    if !faketime_available("the lifecycle through the work commands on SQLite") {
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    the_lifecycle_runs_through_the_work_commands(&database);
}

#[test]
fn a_project_goes_to_in_force_through_the_work_commands_on_postgres() {
    if !faketime_available("the lifecycle through the work commands on PostgreSQL") {
        return;
    }
    let Some(database) = PostgresDatabase::create() else {
        return;
    };
    the_lifecycle_runs_through_the_work_commands(&database.url);
}
