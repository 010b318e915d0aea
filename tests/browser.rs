//! The web pages in a real browser: headless Chromium driven through chromedriver, against the
//! real `specflow demo --no-serve` data served by the real `specflow serve`.
//!
//! A supervisor signs in, filters the overdue board (and the filter survives a reload), opens a
//! project and reads why an action is blocked, and opens a committee with its members,
//! composition check and annual report; a secretariat fires an allowed action; the project
//! is shown as of an earlier date and record; its chain is verified; the language is switched;
//! and a drafter who types another project's address is refused. Every page is saved as a
//! screenshot under `target/screenshots/`, where they stay for inspection when a test fails.
//!
//! Without `chromium` and `chromedriver` (a developer's machine), the test says it was skipped
//! and passes; with `SPECFLOW_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs both) it fails
//! instead.
//!
//! The WebDriver client and the starting of chromedriver are in `browser_support.rs`.

use crate::browser_support::{
    Browser, ELEMENT, browser_programs, open_browser, serve_demo, tokens,
};
use serde_json::json;

/// The demo's accounts, by role (name and password), from what `specflow demo` printed.
fn accounts(printed: &str) -> std::collections::HashMap<String, (String, String)> {
    printed
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [role, "name", name, "password", password, ..] => {
                    Some((role.to_string(), (name.to_string(), password.to_string())))
                }
                _ => None,
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_real_browser() {
    let Some(programs) = browser_programs("the_pages_work_in_a_real_browser") else {
        return;
    };

    let demo = serve_demo();
    let tokens = tokens(&demo.printed);
    let accounts = accounts(&demo.printed);
    let secretariat_account = accounts
        .get("secretariat")
        .cloned()
        .unwrap_or_else(|| panic!("no secretariat account in the demo's output: {accounts:?}"));
    let token = |role: &str| {
        tokens
            .get(role)
            .cloned()
            .unwrap_or_else(|| panic!("no {role} token in the demo's output: {tokens:?}"))
    };

    let (_driver, mut browser) = open_browser(&programs, &demo.site, "", &[demo.port]).await;
    browse(&mut browser, &token, &secretariat_account).await;
    browser.quit().await;
}

/// The header of the import's template, as the bureau's own files would have it.
const IMPORT_HEADER: &str = "项目编号 code,中文名称 title_zh,规范类型 specification_kind,技术委员会 committee,起草单位 drafting_unit,当前阶段 stage,立项日期 approved_on,征求意见日期 consulted_on";

/// The bureau brings two projects in from a spreadsheet on `/import`, reached from the
/// navigation: a file with a wrong row is previewed with the row's problem (422) and nothing can
/// be imported; the fixed file, sent from the preview's own form, is confirmed and imported whole,
/// and each project is one click away. Readable on a phone.
async fn import_projects(browser: &mut Browser) {
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("项目台账-初稿.csv");
    std::fs::write(
        &bad,
        format!(
            "{IMPORT_HEADER}\nJJF(沪)-2019-901,衡器检定装置校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,起草,2019-03-01,\nJJF(沪)-2019-902,称重传感器校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,征求意见,2019-03-01,2019-02-01\n"
        ),
    )
    .unwrap();
    let good = files.path().join("项目台账.csv");
    std::fs::write(
        &good,
        format!(
            "{IMPORT_HEADER}\nJJF(沪)-2019-901,衡器检定装置校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,起草,2019-03-01,\nJJF(沪)-2019-902,称重传感器校准规范,计量校准规范,SH-TC-01,上海市计量测试技术研究院,征求意见,2019-03-01,2019-09-01\n"
        ),
    )
    .unwrap();
    browser.click_to_new_page("nav a[href='/import']").await;
    browser.visit("import").await;
    browser.choose_file("#import-file", &bad).await;
    browser.click_to_new_page("#import-preview").await;
    browser.visit_with("import-preview-problems", &[422]).await;
    let problems = browser.text("#import-problems").await;
    assert!(
        problems.contains("3") && problems.contains("征求意见日期"),
        "the wrong row and column are not named: {problems}"
    );
    assert!(
        browser.find_all("#import-confirm").await.is_empty(),
        "a file with problems offers no import"
    );
    browser.window(390, 844).await;
    assert_eq!(
        browser.sideways_overflow().await,
        Some(0),
        "the import preview scrolls sideways on a phone"
    );
    browser.screenshot("import-preview-problems-phone").await;
    browser.window(1280, 800).await;

    browser.choose_file("#import-file", &good).await;
    browser.click_to_new_page("#import-preview").await;
    browser.visit("import-preview-ready").await;
    browser.click_to_new_page("#import-confirm").await;
    browser.visit("import-result").await;
    let result = browser.text("#import-result").await;
    assert!(result.contains("已创建项目：2"), "{result}");
    browser.window(390, 844).await;
    assert_eq!(browser.sideways_overflow().await, Some(0));
    browser.screenshot("import-result-phone").await;
    browser.window(1280, 800).await;
    browser.click_to_new_page("#import-rows td a").await;
    browser.visit("imported-project").await;
    assert!(browser.source().await.contains("JJF(沪)-2019-901"));
}

async fn browse(
    browser: &mut Browser,
    token: &dyn Fn(&str) -> String,
    secretariat_account: &(String, String),
) {
    // A supervisor signs in and filters the overdue board; the filter is in the address, so it
    // survives a reload.
    browser.goto("/overdue").await;
    assert!(browser.url().await.contains("/signin?next=%2Foverdue"));
    browser.sign_in(&token("supervisor"), "supervisor").await;
    assert!(
        browser.url().await.ends_with("/overdue"),
        "{}",
        browser.url().await
    );
    browser.screenshot("overdue-board").await;
    let committees = browser.find_all("#board-committee option").await;
    assert!(committees.len() >= 2, "no committee to filter by");
    let committee_value = {
        let element = &committees[1];
        browser
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/property/value"),
                None,
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    browser.choose("#board-committee", &committee_value).await;
    browser.choose("#board-sort", "recently_overdue").await;
    browser.click_through("#board-apply").await;
    let filtered = browser.url().await;
    assert!(
        filtered.contains("committee=") && filtered.contains("sort=recently_overdue"),
        "{filtered}"
    );
    browser.refresh().await;
    assert_eq!(browser.url().await, filtered);
    let source = browser.source().await;
    assert!(
        source.contains("<option value=\"recently_overdue\" selected"),
        "the order did not survive a reload"
    );
    let rows = browser.find_all("#board tbody tr").await;
    assert!(!rows.is_empty(), "the filtered board is empty: {source}");
    for row in browser.find_all("#board tbody tr td:nth-child(3)").await {
        let text = browser
            .call(reqwest::Method::GET, &format!("/element/{row}/text"), None)
            .await;
        assert_eq!(text.as_str().unwrap_or_default(), committee_value);
    }
    browser.screenshot("overdue-board-filtered").await;
    browser.screenshot_of("div.charts", "overdue-charts").await;
    assert!(
        browser
            .find_all("svg[aria-labelledby='chart-month-title'] rect")
            .await
            .len()
            >= 12
    );

    // A project from the board: its lifecycle, and a blocked action's reasons.
    browser.click_through("#board tbody tr td a").await;
    assert!(browser.url().await.contains("/projects/"));
    browser.screenshot("project-overdue").await;
    browser.screenshot_of("figure", "project-timeline").await;
    assert!(
        !browser
            .text("ol.lifecycle li[aria-current='step']")
            .await
            .is_empty()
    );
    let reasons = browser.find_all("ul.unmet li").await;
    assert!(
        !reasons.is_empty(),
        "no blocked action on {}",
        browser.url().await
    );
    assert!(!browser.text("ul.unmet li").await.is_empty());
    browser.window(390, 844).await;
    browser.screenshot("project-phone").await;
    browser.window(1280, 800).await;

    // The committees from the navigation, the demo's committee with its members and composition
    // check, and its annual report.
    browser.click_through("nav a[href='/committees']").await;
    assert!(browser.url().await.ends_with("/committees"));
    browser.screenshot("committees").await;
    browser.click_through("#committees tbody tr td a").await;
    assert!(browser.url().await.contains("/committees/"));
    assert!(
        !browser.find_all("#members tbody tr").await.is_empty(),
        "no member on {}",
        browser.url().await
    );
    assert!(!browser.text("#composition-result").await.is_empty());
    assert!(
        !browser.find_all("#waivers tbody tr").await.is_empty(),
        "the demo's waiver is not shown"
    );
    browser.screenshot("committee").await;
    browser.window(390, 844).await;
    browser.screenshot("committee-phone").await;
    browser.window(1280, 800).await;
    browser.click_through("#reports li a").await;
    assert!(browser.url().await.contains("/reports/annual?year="));
    assert!(browser.source().await.contains("<svg"));
    browser.screenshot("committee-annual-report").await;

    // The supervisor's to-do list leads with the overdue count and the board's link; the
    // navigation shows its count; readable on a phone too.
    browser.goto("/").await;
    assert!(
        browser.url().await.ends_with("/todo"),
        "{}",
        browser.url().await
    );
    assert!(
        browser
            .source()
            .await
            .contains("href=\"/overdue\">查看逾期看板")
    );
    assert!(browser.source().await.contains("class=\"count\""));
    browser.screenshot("todo-supervisor").await;
    browser.window(390, 844).await;
    browser.screenshot("todo-supervisor-phone").await;
    browser.window(1280, 800).await;
    import_projects(browser).await;
    browser.sign_out_from("/todo").await;

    // Anyone, signed out: the public specifications from the navigation, one specification's
    // milestones with their proofs, readable on a phone without scrolling sideways.
    browser.goto("/public").await;
    browser
        .click_through("#public-specifications tbody tr td a")
        .await;
    assert!(browser.url().await.contains("/public/"));
    let milestones = browser.find_all("#milestones li.milestone").await;
    assert!(milestones.len() >= 4, "{}", browser.source().await);
    assert_eq!(
        browser.find_all("#milestones a.proof").await.len(),
        milestones.len(),
        "a milestone without its proof: {}",
        browser.source().await
    );
    browser.screenshot("public-specification").await;
    browser.window(390, 844).await;
    assert_eq!(
        browser.sideways_overflow().await,
        Some(0),
        "the public page scrolls sideways on a phone"
    );
    browser.screenshot("public-specification-phone").await;
    browser.window(1280, 800).await;

    // A secretariat signs in with a name and password and fires an allowed action on one of its
    // committee's projects.
    let (account, password) = secretariat_account;
    browser.sign_in_as(account, password, "secretariat").await;
    // Everyone but auditors lands on their to-do list; the project list is a link away.
    assert!(
        browser.url().await.ends_with("/todo"),
        "{}",
        browser.url().await
    );
    browser.screenshot("todo-secretariat").await;
    // Their calendar feed, from the navigation: an address made (shown once) and served as
    // iCalendar, the page readable on a phone without scrolling sideways.
    browser.goto("/calendar").await;
    browser.screenshot("calendar").await;
    browser.click_to_new_page("#renew-feed").await;
    let feed_field = browser.find("#feed-url").await;
    let feed_url = browser.attribute(&feed_field, "value").await;
    assert!(feed_url.contains("/calendar/sfc_"), "{feed_url}");
    let feed = reqwest::get(&feed_url).await.unwrap();
    assert_eq!(feed.status(), reqwest::StatusCode::OK);
    assert!(feed.text().await.unwrap().contains("BEGIN:VEVENT"));
    browser.window(390, 844).await;
    assert_eq!(
        browser.sideways_overflow().await,
        Some(0),
        "the calendar page scrolls sideways on a phone"
    );
    browser.screenshot("calendar-phone").await;
    browser.window(1280, 800).await;
    // Their own e-mail, from the navigation: a wrong address refused beside the form (what was
    // typed kept), a good one waiting for its link, the choices saved; readable on a phone.
    browser.goto("/email").await;
    browser.type_into("#address", "wang.example.org").await;
    browser.click_to_new_page("#send-link").await;
    assert!(
        browser.text(".form-errors").await.contains("缺少 @"),
        "{}",
        browser.source().await
    );
    let typed = browser.find("#address").await;
    assert_eq!(browser.attribute(&typed, "value").await, "wang.example.org");
    browser.screenshot("email-refused").await;
    browser.type_into("#address", "wang@example.org").await;
    browser.click_to_new_page("#send-link").await;
    assert!(
        browser.text("#address-status").await.contains("等待确认"),
        "{}",
        browser.source().await
    );
    browser.click("input[value=deadline_missed]").await;
    browser.click_to_new_page("#save-choices").await;
    assert!(browser.text("p.notice").await.contains("已保存"));
    browser.screenshot("email").await;
    browser.window(390, 844).await;
    assert_eq!(
        browser.sideways_overflow().await,
        Some(0),
        "the e-mail page scrolls sideways on a phone"
    );
    browser.screenshot("email-phone").await;
    browser.window(1280, 800).await;
    browser.goto("/projects").await;
    browser.screenshot("projects-secretariat").await;
    let links: Vec<String> = {
        let mut links = Vec::new();
        for element in browser.find_all("table tbody td a").await {
            let href = browser
                .call(
                    reqwest::Method::GET,
                    &format!("/element/{element}/attribute/href"),
                    None,
                )
                .await;
            if let Some(href) = href.as_str() {
                links.push(href.to_string());
            }
        }
        links
    };
    let mut fired_on = None;
    for link in &links {
        browser.goto(link).await;
        let ready = browser
            .find_all(".action form[action*='/actions/'] button[type=submit]")
            .await;
        if ready.is_empty() {
            continue;
        }
        browser.screenshot("project-with-allowed-action").await;
        if !browser
            .find_all(".action form[action*='/actions/'] textarea")
            .await
            .is_empty()
        {
            browser
                .type_into(
                    ".action form[action*='/actions/'] textarea",
                    "浏览器测试：按计划推进。",
                )
                .await;
        }
        browser
            .click_through(".action form[action*='/actions/'] button[type=submit]")
            .await;
        // Every action changes the stage: a second page says what will happen first.
        assert!(
            !browser.find_all("#confirmation").await.is_empty(),
            "{}",
            browser.source().await
        );
        browser.screenshot("action-confirmation").await;
        browser.click_through("#confirm").await;
        fired_on = Some(link.clone());
        break;
    }
    let fired_on =
        fired_on.expect("no project of the secretariat's committee offers an allowed action");
    assert!(
        browser.url().await.contains("done="),
        "{}",
        browser.source().await
    );
    assert!(!browser.text("p.success").await.is_empty());
    browser.screenshot("action-fired").await;

    // The project as of an earlier date (the form's date field), and as of its first record.
    browser.goto(&fired_on).await;
    let element = browser.find("#as-of-date").await;
    browser
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "arguments[0].value = arguments[1];", "args": [{ELEMENT: element}, "2025-06-30"]})),
        )
        .await;
    browser.click_through("#as-of-submit").await;
    assert!(
        browser.url().await.contains("as_of=2025-06-30"),
        "{}",
        browser.url().await
    );
    assert!(browser.text("#as-of-banner").await.contains("2025-06-30"));
    assert!(
        browser.find_all(".action form").await.is_empty(),
        "a past view offers actions"
    );
    browser.screenshot("project-as-of-date").await;

    // Its audit log, the state right after record 1, and the chain verified.
    browser.goto(&format!("{fired_on}/history")).await;
    browser.screenshot("history").await;
    browser.click_through("#history tbody tr td a").await;
    assert!(browser.url().await.contains("sequence=1"));
    browser.screenshot("project-as-of-record").await;
    browser.goto(&format!("{fired_on}/history")).await;
    browser.click_through("#verify").await;
    let result = browser.text("#verify-result").await;
    assert!(result.contains("校验通过"), "{result}");
    browser.screenshot("verified").await;

    // English, remembered from page to page.
    browser.click_through("#language-switch").await;
    assert!(browser.source().await.contains("<html lang=\"en\">"));
    assert!(browser.text("h1").await.len() > 3);
    browser.goto("/").await;
    assert!(browser.text("h1").await.contains("My to-do list"));
    browser.screenshot("todo-english").await;
    browser.goto("/projects").await;
    assert!(browser.text("h1").await.contains("My projects"));
    browser.screenshot("english").await;
    browser.sign_out().await;

    // A drafter who types another project's address is refused as if it did not exist.
    browser.sign_in(&token("drafter"), "drafter").await;
    browser.screenshot("todo-drafter").await;
    browser.goto("/projects").await;
    let own = browser.find_all("table tbody td a").await;
    assert_eq!(own.len(), 1, "a drafter sees its one project");
    let own_link = browser
        .call(
            reqwest::Method::GET,
            &format!("/element/{}/attribute/href", own[0]),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string();
    let another = links
        .iter()
        .find(|link| **link != own_link)
        .expect("another project of the committee");
    browser.goto(another).await;
    let refusal = browser.text("div.error").await;
    assert!(refusal.contains("There is no project"), "{refusal}");
    browser.screenshot("drafter-refused").await;
}
