//! One project from pre-research to in force entirely through the web pages, in headless
//! Chromium against the real `specflow serve`, every step signed in as the person whose role
//! performs it, on the dates of the example lifecycle (`workflows/scenarios/to-in-force.toml`),
//! the server's clock moved by libfaketime as in `work_cli.rs`.
//!
//! The secretariat creates the project from `/projects/new`, uploads documents (the first from
//! the link beside the unmet guard), schedules and records meetings with each member's vote in
//! the form's table, and fires the actions through their confirmation pages; the bureau fixes the
//! plan, grants the drafting group's extension and records publication; the chair signs off; the
//! drafting group imports the comment disposition table, refused with its one bad row and then
//! recorded once fixed. Every page visited is saved as `lifecycle-NN-name.png` under
//! `target/screenshots/` (a few at 390 pixels wide), and every page must answer without a 5xx and
//! leave no error in the browser's console.
//!
//! Only the committee (its members, whose roll a meeting's form shows) and the tokens are set
//! up outside the pages, with the command line, as the bureau would before any project.

use crate::browser_support::{Browser, browser_programs, open_browser};
use crate::client_cli::{LIBFAKETIME, Server, faketime_available, serve_with, text};
use std::collections::HashMap;
use std::path::PathBuf;

const CODE: &str = "JJG(沪)-2026-001";
const COMMITTEE: &str = "SH-TC-01";
const DRAFTING_UNIT: &str = "上海市计量测试技术研究院";

/// The committee's voting members (person, organisation, role), none from the drafting unit, so
/// that none must abstain; the first twelve attend the meetings.
const MEMBERS: [(&str, &str, &str); 15] = [
    ("张伟", "同济大学", "chair"),
    ("李红", "上海交通大学", "vice_chair"),
    ("王强", "上海电气集团股份有限公司", "vice_chair"),
    ("赵敏", "华东理工大学", "secretary_general"),
    ("陈刚", "复旦大学", "member"),
    ("刘洋", "上海光学仪器研究所", "member"),
    ("杨静", "中国计量大学", "member"),
    ("黄磊", "上海市质量监督检验技术研究院", "member"),
    ("周婷", "华东国家计量测试中心", "member"),
    ("吴斌", "上海材料研究所", "member"),
    ("徐丽", "上海理工大学", "member"),
    ("孙涛", "上海宝钢", "member"),
    ("胡军", "上海市计量协会", "member"),
    ("朱琳", "浙江省计量科学研究院", "member"),
    ("马超", "江苏省计量科学研究院", "member"),
];

/// A corresponding member: on the committee's record, never on the voting roll.
const CORRESPONDING: (&str, &str) = ("郭芳", "上海衡器行业协会");

/// The comment disposition table as the drafting group first sent it: row 2 is not accepted
/// without a reason.
const BAD_TABLE: &str = "电子汽车衡检定规程 意见汇总处理表,,,,,\n\
    序号,章条编号,意见内容,提出单位,处理意见,理由\n\
    1,6.3.1,偏载试验的加载位置建议增加示意图。,梅特勒-托利多,部分采纳,增加示意图，但不改变加载顺序。\n\
    2,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,\n\
    3,8.2,检定证书格式建议统一。,同济大学,采纳,\n";

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

/// The lifecycle in the browser: who is signed in, the server's clock, the project's page.
struct Life<'a> {
    browser: Browser,
    server: &'a Server,
    clock: String,
    tokens: HashMap<&'static str, String>,
    signed_in: Option<&'static str>,
    /// The project's page, `/projects/{id}`, once created.
    project: String,
    files: tempfile::TempDir,
}

impl Life<'_> {
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

    /// Moves the server's clock to `local` and starts there as `role` would, on the to-do list:
    /// signing in when the session ended (a session idle for hours ends, and the clock moves by
    /// days) or someone else was signed in.
    async fn on(&mut self, local: &str, role: &'static str) {
        self.at(local);
        self.browser.goto("/todo").await;
        if self.browser.url().await.contains("/signin") {
            self.signed_in = None;
        }
        if self.signed_in != Some(role) {
            if self.signed_in.is_some() {
                self.browser.sign_out().await;
            }
            self.browser.goto("/signin").await;
            self.browser.visit(&format!("signin-{role}")).await;
            let token = self.tokens[role].clone();
            // A token is accepted as the password, without a name.
            self.browser.type_into("#password", &token).await;
            self.browser
                .click_through("form[action='/signin'] button[type=submit]")
                .await;
            self.signed_in = Some(role);
        }
        let landed = self.browser.url().await;
        assert!(landed.ends_with("/todo"), "{role} is on {landed}");
        let day = local.split('T').next().unwrap_or_default();
        self.browser.visit(&format!("todo-{role}-{day}")).await;
    }

    /// Opens the project's page with one work form open (`?form=slug`).
    async fn open_form(&mut self, slug: &str, name: &str) {
        self.browser
            .goto(&format!("{}?form={slug}#form-{slug}", self.project))
            .await;
        assert!(
            !self
                .browser
                .find_all(&format!("details#form-{slug}[open] form.work"))
                .await
                .is_empty(),
            "the form {slug} is not open: {}",
            self.browser.source().await
        );
        self.browser.visit(name).await;
    }

    /// Sends the open form `slug`; it must be done: back on the project's page, saying so.
    async fn send_form(&mut self, slug: &str, name: &str) {
        self.browser
            .click_through(&format!(
                "details#form-{slug} form.work button[type=submit]"
            ))
            .await;
        let url = self.browser.url().await;
        assert!(
            url.contains(&format!("saved={slug}")),
            "the form {slug} was not done: {url}: {}",
            self.browser.source().await
        );
        assert!(!self.browser.text("p.success").await.is_empty());
        self.browser.visit(name).await;
    }

    /// Writes a file to upload; returns its path.
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Uploads a small file of `kind` through the open upload form; returns its SHA-256.
    async fn upload(&mut self, kind: &str, file_name: &str, step: &str) -> String {
        let content = format!("{kind} of {CODE}");
        let path = self.file(file_name, &content);
        self.browser
            .choose("details#form-attach select[name=kind]", kind)
            .await;
        self.browser
            .choose_file("details#form-attach input[type=file][name=file]", &path)
            .await;
        self.send_form("attach", step).await;
        let listed = self.browser.source().await;
        assert!(listed.contains(file_name), "{file_name} is not listed");
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()))
    }

    /// Opens the upload form and uploads a file; returns its SHA-256.
    async fn attach(&mut self, kind: &str, file_name: &str) -> String {
        self.open_form("attach", &format!("upload-form-{kind}"))
            .await;
        self.upload(kind, file_name, &format!("uploaded-{kind}"))
            .await
    }

    /// Fires an action from its button on the project's page, confirms on the second page, and
    /// checks the stage it leads to.
    async fn fire(&mut self, action: &str, stage_name: &str) {
        self.browser.goto(&self.project).await;
        self.browser.visit(&format!("before-{action}")).await;
        let button = format!(".action form[action$='/actions/{action}'] button[type=submit]");
        assert!(
            !self.browser.find_all(&button).await.is_empty(),
            "{action} cannot be fired: {}",
            self.browser.text(&format!("#action-{action}")).await
        );
        self.browser.click_through(&button).await;
        assert!(
            !self.browser.find_all("#confirmation").await.is_empty(),
            "{}",
            self.browser.source().await
        );
        self.browser.visit(&format!("confirm-{action}")).await;
        self.browser.click_through("#confirm").await;
        let url = self.browser.url().await;
        assert!(url.contains(&format!("done={action}")), "{url}");
        assert_eq!(self.browser.text("#current-stage").await, stage_name);
        self.browser.visit(&format!("fired-{action}")).await;
    }

    /// Schedules a meeting through the form; returns the meeting's id the form proposed.
    async fn schedule(&mut self, motion: &str, meeting_on: &str, documents_sent_on: &str) {
        self.open_form("schedule-meeting", &format!("schedule-form-{motion}"))
            .await;
        let form = "details#form-schedule-meeting";
        self.browser
            .choose(&format!("{form} select[name=motion]"), motion)
            .await;
        self.browser
            .choose(&format!("{form} select[name=form]"), "meeting")
            .await;
        self.browser
            .set_value(&format!("{form} input[name=meeting_on]"), meeting_on)
            .await;
        self.browser
            .set_value(
                &format!("{form} input[name=documents_sent_on]"),
                documents_sent_on,
            )
            .await;
        self.send_form("schedule-meeting", &format!("scheduled-{motion}"))
            .await;
    }

    /// Records the meeting waiting to be recorded through the form: the first twelve members
    /// present, `in_favour` of them in favour, one abstaining and the rest against, the
    /// corresponding member among those who attended without a vote.
    async fn record_meeting(&mut self, in_favour: usize, minutes: Option<&str>, name: &str) {
        self.open_form("record-meeting", &format!("record-form-{name}"))
            .await;
        let form = "details#form-record-meeting";
        // The roll is the committee's voting members on the meeting's day, from its record.
        let mut roll = Vec::new();
        for checkbox in self
            .browser
            .find_all(&format!("{form} input[type=checkbox][name=present]"))
            .await
        {
            roll.push(self.browser.attribute(&checkbox, "value").await);
        }
        let mut expected: Vec<String> = MEMBERS
            .iter()
            .map(|(person, _, _)| (*person).to_string())
            .collect();
        roll.sort();
        expected.sort();
        assert_eq!(roll, expected, "the form's roll is not the committee's");
        for (index, (person, _, _)) in MEMBERS.iter().take(12).enumerate() {
            self.browser
                .click(&format!("{form} input[name=present][value='{person}']"))
                .await;
            let choice = if index < in_favour {
                "in_favour"
            } else if index == 11 {
                "abstain"
            } else {
                "against"
            };
            self.browser
                .choose(&format!("{form} select[name='vote:{person}']"), choice)
                .await;
        }
        self.browser
            .type_into(
                &format!("{form} textarea[name=non_voting]"),
                &format!("{}，通讯委员", CORRESPONDING.0),
            )
            .await;
        if let Some(minutes) = minutes {
            self.browser
                .choose(&format!("{form} select[name=minutes]"), minutes)
                .await;
        }
        self.browser.window(390, 844).await;
        self.browser
            .screenshot(&format!("record-form-{name}-phone"))
            .await;
        self.browser.window(1280, 800).await;
        self.send_form("record-meeting", &format!("recorded-{name}"))
            .await;
        // The meetings table tallies the roll of fifteen, twelve present and their votes.
        let tally = format!("15 12 {in_favour} {} 1", 11 - in_favour);
        let mut rows = Vec::new();
        for row in self.browser.find_all("tbody tr").await {
            let cells = self.browser.element_text(&row).await;
            rows.push(cells.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        assert!(
            rows.iter().any(|row| row.ends_with(&tally)),
            "no meeting tallied {tally}: {rows:#?}"
        );
    }

    /// Records a field through the form.
    async fn record_field(&mut self, field: &str, value: &str) {
        self.open_form("record-field", &format!("field-form-{field}"))
            .await;
        self.browser
            .choose("details#form-record-field select[name=field]", field)
            .await;
        self.browser
            .type_into("details#form-record-field textarea[name=value]", value)
            .await;
        self.send_form("record-field", &format!("recorded-{field}"))
            .await;
    }

    /// Signs off through the form.
    async fn sign_off(&mut self, subject: &str) {
        self.open_form("sign-off", &format!("sign-off-form-{subject}"))
            .await;
        self.browser
            .choose("details#form-sign-off select[name=subject]", subject)
            .await;
        self.send_form("sign-off", &format!("signed-off-{subject}"))
            .await;
    }
}

/// The supervisor forms the committee with its roll as of the scenario's first day, through the
/// command line (the committee's appointments have no page).
fn form_the_committee(server: &Server, supervisor: &str) {
    let ok = |arguments: &[&str]| {
        let output = server.client(supervisor, arguments);
        assert!(
            output.status.success(),
            "{arguments:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
    };
    ok(&[
        "committee",
        "form",
        "--code",
        COMMITTEE,
        "--name-zh",
        "上海市长度计量技术委员会",
        "--name-en",
        "Shanghai Length Metrology Committee",
        "--field",
        "长度 length",
        "--composition-plan",
        "沪市监计量〔2026〕1号",
        "--formed-on",
        "2026-01-05",
    ]);
    ok(&[
        "committee",
        "start-term",
        COMMITTEE,
        "--starts-on",
        "2026-01-05",
    ]);
    let everyone = MEMBERS.iter().copied().chain(std::iter::once((
        CORRESPONDING.0,
        CORRESPONDING.1,
        "corresponding_member",
    )));
    for (person, organisation, role) in everyone {
        ok(&[
            "committee",
            "appoint",
            COMMITTEE,
            "--person",
            person,
            "--organisation",
            organisation,
            "--title-level",
            "senior",
            "--metrology-professional",
            "--role",
            role,
            "--effective-on",
            "2026-01-05",
        ]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_runs_entirely_through_the_pages() {
    let Some(programs) = browser_programs("the_lifecycle_runs_entirely_through_the_pages") else {
        return;
    };
    if !faketime_available("the lifecycle through the pages") {
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let clock = tempfile::NamedTempFile::new().unwrap();
    let clock_path = clock.path().to_str().unwrap().to_string();
    std::fs::write(&clock_path, "@2026-01-05 01:00:00\n").unwrap();
    let server = serve_with(
        &database,
        &[
            ("LD_PRELOAD", LIBFAKETIME),
            ("FAKETIME_TIMESTAMP_FILE", &clock_path),
            ("FAKETIME_NO_CACHE", "1"),
            // Only the calendar clock moves; timers and timeouts keep the machine's.
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
    form_the_committee(&server, &tokens["supervisor"]);

    let site = format!("http://{}", server.address);
    let (_driver, browser) = open_browser(&programs, &site, "lifecycle-", &[]).await;
    let mut life = Life {
        browser,
        server: &server,
        clock: clock_path,
        tokens,
        signed_in: None,
        project: String::new(),
        files: tempfile::tempdir().unwrap(),
    };
    pre_research(&mut life).await;
    proposal_and_drafting(&mut life).await;
    consultation(&mut life).await;
    resolution(&mut life).await;
    review_and_approval(&mut life).await;
    promotion_to_in_force(&mut life).await;
    life.browser.quit().await;
}

/// Pre-research: the project created from the form, the proposal uploaded from the link beside
/// the unmet guard, the evaluation meeting scheduled and recorded with its vote, proposed.
async fn pre_research(life: &mut Life<'_>) {
    life.on("2026-01-05T09:00", "secretariat").await;
    life.browser.goto("/projects/new").await;
    life.browser.visit("new-project-form").await;
    life.browser
        .choose("select[name=committee]", COMMITTEE)
        .await;
    life.browser
        .choose(
            "select[name=kind]",
            "metrology-spec/verification_regulation",
        )
        .await;
    life.browser
        .type_into("input[name=title_zh]", "电子汽车衡检定规程")
        .await;
    life.browser
        .type_into(
            "input[name=title_en]",
            "Verification regulation for electronic truck scales",
        )
        .await;
    life.browser
        .type_into("input[name=drafting_unit]", DRAFTING_UNIT)
        .await;
    life.browser.type_into("input[name=code]", CODE).await;
    life.browser.screenshot("new-project-filled").await;
    life.browser.click_through("#create-project").await;
    let created = life.browser.url().await;
    let path = created
        .split_once("/projects/")
        .map(|(_, rest)| {
            rest.split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    assert!(
        uuid::Uuid::parse_str(&path).is_ok(),
        "not a project's page: {created}"
    );
    life.project = format!("/projects/{path}");
    assert_eq!(life.browser.text("#current-stage").await, "预研");
    life.browser.visit("project-created").await;
    life.browser.window(390, 844).await;
    life.browser.screenshot("project-created-phone").await;
    life.browser.window(1280, 800).await;
    // The drafting group's token reaches its own project, which now exists.
    let drafter = life.server.token(&[
        "--name",
        "drafter-chen",
        "--role",
        "drafter",
        "--project",
        CODE,
    ]);
    life.tokens.insert("drafter", drafter);

    // The missing proposal is a link beside the blocked action, to the upload form with its
    // kind chosen.
    life.on("2026-01-06T10:00", "secretariat").await;
    life.browser.goto(&life.project.clone()).await;
    life.browser
        .click_through("#action-propose a.clear[href*='form=attach']")
        .await;
    let opened = life.browser.url().await;
    assert!(opened.contains("kind=project_proposal"), "{opened}");
    life.browser.visit("upload-form-from-guard").await;
    let chosen = life
        .browser
        .find("details#form-attach select[name=kind] option[value=project_proposal]")
        .await;
    assert_eq!(life.browser.attribute(&chosen, "selected").await, "true");
    life.upload("project_proposal", "项目建议书.pdf", "uploaded-proposal")
        .await;

    life.on("2026-01-06T10:30", "secretariat").await;
    life.schedule("proposal_evaluation", "2026-01-20", "2026-01-06")
        .await;
    life.on("2026-01-20T16:00", "secretariat").await;
    life.record_meeting(9, None, "evaluation").await;

    life.on("2026-01-21T09:00", "secretariat").await;
    life.fire("propose", "立项").await;
}

/// Proposal and drafting: the application documents, the plan fixed and the project approved by
/// the bureau; an extension requested by the drafting group and granted; the drafts uploaded,
/// the completeness signed off and the consultation opened.
async fn proposal_and_drafting(life: &mut Life<'_>) {
    life.on("2026-01-22T09:00", "secretariat").await;
    life.attach("project_application", "项目申报书.pdf").await;
    life.attach("task_statement", "计划任务书.pdf").await;

    life.on("2026-01-30T09:00", "supervisor").await;
    life.open_form("fix-plan", "fix-plan-form").await;
    for (deadline, day) in [
        ("overall", "2027-06-30"),
        ("drafting", "2026-06-30"),
        ("resolution", "2026-09-30"),
    ] {
        life.browser
            .set_value(
                &format!("details#form-fix-plan input[name='due:{deadline}']"),
                day,
            )
            .await;
    }
    life.send_form("fix-plan", "plan-fixed").await;
    life.on("2026-02-02T09:00", "supervisor").await;
    life.fire("approve_project", "起草").await;

    // The drafting group asks for a month more; the bureau grants it.
    life.on("2026-04-25T10:00", "drafter").await;
    life.open_form("request-extension", "extension-request-form")
        .await;
    let form = "details#form-request-extension";
    life.browser
        .choose(&format!("{form} select[name=deadline]"), "drafting")
        .await;
    life.browser
        .set_value(&format!("{form} input[name=new_due_on]"), "2026-07-31")
        .await;
    life.browser
        .type_into(
            &format!("{form} textarea[name=reason]"),
            "试验数据需补充夏季环境条件。",
        )
        .await;
    life.send_form("request-extension", "extension-requested")
        .await;
    life.on("2026-04-28T10:00", "supervisor").await;
    life.open_form("decide-extension", "extension-decision-form")
        .await;
    let form = "details#form-decide-extension";
    let request = life
        .browser
        .find(&format!("{form} select[name=request] option"))
        .await;
    assert!(
        life.browser
            .element_text(&request)
            .await
            .contains("2026-07-31"),
        "the request does not show the date asked for"
    );
    life.browser
        .choose(&format!("{form} select[name=decision]"), "grant")
        .await;
    life.browser
        .type_into(&format!("{form} textarea[name=reason]"), "同意延期一个月。")
        .await;
    life.send_form("decide-extension", "extension-granted")
        .await;
    assert!(
        life.browser.source().await.contains("2026-07-31"),
        "the drafting deadline is not moved"
    );

    life.on("2026-05-28T10:00", "drafter").await;
    for (kind, name) in [
        ("consultation_draft", "征求意见稿.docx"),
        ("explanatory_note", "编制说明.docx"),
        ("test_report", "试验报告.pdf"),
        ("uncertainty_evaluation", "不确定度评定报告.pdf"),
    ] {
        life.attach(kind, name).await;
    }
    life.on("2026-06-01T08:30", "secretariat").await;
    life.sign_off("completeness_check").await;
    life.on("2026-06-01T09:00", "secretariat").await;
    life.fire("open_consultation", "征求意见").await;
}

/// Consultation: the organisations reached, a first comment recorded, the consultation closed
/// after its thirty days.
async fn consultation(life: &mut Life<'_>) {
    life.on("2026-06-10T10:00", "secretariat").await;
    life.open_form("consulted", "consulted-form").await;
    life.browser
        .type_into(
            "details#form-consulted textarea[name=organisations]",
            &ORGANISATIONS.join("\n"),
        )
        .await;
    life.send_form("consulted", "consulted").await;
    life.on("2026-06-20T10:00", "secretariat").await;
    life.open_form("comment", "comment-form").await;
    let form = "details#form-comment";
    life.browser
        .type_into(&format!("{form} input[name=comment_id]"), "C1")
        .await;
    life.browser
        .type_into(
            &format!("{form} input[name=organisation]"),
            "中国计量科学研究院",
        )
        .await;
    life.browser
        .type_into(&format!("{form} input[name=clause]"), "5.2")
        .await;
    life.browser
        .type_into(
            &format!("{form} textarea[name=text]"),
            "最大允许误差的表述应与OIML R76一致。",
        )
        .await;
    life.send_form("comment", "comment-recorded").await;
    life.on("2026-07-06T09:00", "secretariat").await;
    life.fire("close_consultation", "意见处理").await;
}

/// Resolution: the comment disposition table imported (refused with its bad row, then recorded
/// fixed), the first comment disposed of, the review draft released by the chair, the review
/// meeting scheduled thirty days ahead.
async fn resolution(life: &mut Life<'_>) {
    life.on("2026-07-10T10:00", "drafter").await;
    import_the_comment_table(life).await;
    life.open_form("dispose", "dispose-form").await;
    let form = "details#form-dispose";
    life.browser
        .choose(&format!("{form} select[name=comment]"), "C1")
        .await;
    life.browser
        .choose(&format!("{form} select[name=disposition]"), "accepted")
        .await;
    life.send_form("dispose", "comment-disposed").await;

    life.on("2026-07-15T10:00", "drafter").await;
    life.attach("disposition_table", "意见汇总处理表.csv").await;
    life.attach("review_draft", "送审稿.docx").await;

    life.on("2026-08-05T15:00", "chair").await;
    life.sign_off("review_draft_release").await;

    life.on("2026-08-10T09:00", "secretariat").await;
    life.schedule("review", "2026-09-15", "2026-08-10").await;
    life.on("2026-08-12T09:00", "secretariat").await;
    life.fire("submit_for_review", "审定").await;
}

/// The drafting group's comment disposition table: the first version's bad row is shown in the
/// preview (422) and nothing can be recorded; the fixed table, sent again from the preview's own
/// upload form, is recorded whole.
async fn import_the_comment_table(life: &mut Life<'_>) {
    life.open_form("comment-table", "comment-table-form").await;
    let bad = life.file("意见汇总处理表-初稿.csv", BAD_TABLE);
    life.browser
        .choose_file(
            "details#form-comment-table input[type=file][name=file]",
            &bad,
        )
        .await;
    life.browser
        .click_through("details#form-comment-table form button[type=submit]")
        .await;
    life.browser
        .visit_with("comment-table-refused", &[422])
        .await;
    let problems = life
        .browser
        .find_all("#comment-table-preview tr.row-problem")
        .await;
    assert_eq!(problems.len(), 1, "{}", life.browser.source().await);
    let problem = life.browser.element_text(&problems[0]).await;
    assert!(problem.contains("7.1"), "{problem}");
    assert!(
        life.browser
            .find_all("#record-comment-table")
            .await
            .is_empty(),
        "a table with a bad row can be recorded"
    );
    life.browser.window(390, 844).await;
    life.browser.screenshot("comment-table-refused-phone").await;
    life.browser.window(1280, 800).await;

    // Fixed, the table is sent again from the preview; every row is fine, and recorded at once.
    let good = life.file("意见汇总处理表.csv", GOOD_TABLE);
    life.browser
        .choose_file("#comment-table-preview input[type=file][name=file]", &good)
        .await;
    life.browser
        .click_to_new_page("#comment-table-preview form button[type=submit]")
        .await;
    life.browser.visit("comment-table-ready").await;
    assert!(
        life.browser
            .find_all("#comment-table-preview tr.row-problem")
            .await
            .is_empty(),
        "{}",
        life.browser.source().await
    );
    life.browser.click_through("#record-comment-table").await;
    let url = life.browser.url().await;
    assert!(url.contains("saved=comment-table"), "{url}");
    life.browser.visit("comment-table-recorded").await;
    let comments = life.browser.source().await;
    for clause in ["5.2", "6.3.1", "7.1", "8.2"] {
        assert!(comments.contains(clause), "comment on {clause} missing");
    }
}

/// Review and approval: the minutes uploaded, the review meeting recorded with its vote and
/// minutes, the transition arrangement recorded, the review passed; the approval draft, the
/// publication recorded and published by the bureau.
async fn review_and_approval(life: &mut Life<'_>) {
    life.on("2026-09-15T17:00", "secretariat").await;
    let minutes = life.attach("minutes", "审定会议纪要.pdf").await;
    life.on("2026-09-15T17:30", "secretariat").await;
    life.record_meeting(10, Some(&minutes), "review").await;
    life.on("2026-09-16T09:00", "secretariat").await;
    life.record_field(
        "implementation_transition_arrangement",
        "自实施之日起，在用电子汽车衡按新规程进行后续检定。",
    )
    .await;
    life.on("2026-09-16T09:30", "secretariat").await;
    life.fire("pass_review", "报批").await;

    life.on("2026-11-05T10:00", "secretariat").await;
    life.attach("approval_draft", "报批稿.pdf").await;
    life.on("2026-11-20T09:00", "supervisor").await;
    life.open_form("publication", "publication-form").await;
    let form = "details#form-publication";
    life.browser
        .type_into(
            &format!("{form} input[name=specification_number]"),
            "JJG(沪) 101-2026",
        )
        .await;
    life.browser
        .set_value(
            &format!("{form} input[name=publication_date]"),
            "2026-11-20",
        )
        .await;
    life.browser
        .set_value(&format!("{form} input[name=effective_date]"), "2027-03-01")
        .await;
    life.send_form("publication", "publication-recorded").await;
    life.on("2026-11-20T09:30", "supervisor").await;
    life.fire("publish", "宣贯").await;
}

/// Promotion and entry into force on the effective date; the project's page shows it in force.
async fn promotion_to_in_force(life: &mut Life<'_>) {
    life.on("2027-01-15T16:00", "drafter").await;
    life.attach("promotion_record", "宣贯培训记录.pdf").await;
    life.on("2027-01-15T16:05", "drafter").await;
    life.record_field("promotion_completed_on", "2027-01-15")
        .await;
    life.on("2027-03-01T09:00", "secretariat").await;
    life.fire("enter_into_force", "实施").await;
    assert_eq!(
        life.browser
            .text("ol.lifecycle li[aria-current='step']")
            .await,
        "实施"
    );
    life.browser.window(390, 844).await;
    life.browser.screenshot("in-force-phone").await;
    life.browser.window(1280, 800).await;
    life.browser
        .goto(&format!("{}/history", life.project))
        .await;
    life.browser.visit("history").await;
    life.browser.click_through("#verify").await;
    let verified = life.browser.text("#verify-result").await;
    assert!(verified.contains("校验通过"), "{verified}");
    life.browser.visit("verified").await;
}
