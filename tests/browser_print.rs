//! The pages on paper: headless Chromium prints the project page, its audit log, the overdue
//! board and a committee's annual report to A4 PDFs through DevTools (`Page.printToPDF`, as its
//! print dialogue does), in Chinese and in English, against the real demo served by the real
//! `specflow serve`.
//!
//! Each PDF is read back with poppler's `pdftotext -layout`: every printed page carries the
//! page's running head (a project's code, the board's or the report's title) and its page
//! number in the reader's language, the content's headings are there, and the frame
//! (navigation, language switch, sign-out) and the forms are not. The PDFs, and a picture of
//! each one's first page made with `pdftoppm`, are kept under `target/screenshots/`.
//!
//! Without Chromium, chromedriver or poppler-utils the test says it was skipped and passes; with
//! `SPECFLOW_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs them) it fails instead.

use crate::browser_support::{
    Browser, PdfTools, browser_programs, open_browser, pdf_tools, serve_demo, tokens,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// What one printed page must show and must not.
struct Expected<'words> {
    /// The text at the top of every printed page.
    running_head: &'words str,
    /// Text the content must hold somewhere.
    present: Vec<&'words str>,
    /// Text that must not be printed: the frame, and what is done on screen.
    absent: Vec<&'words str>,
    /// The fewest pages the content needs.
    at_least_pages: usize,
}

/// The frame's words, which no printed page may hold, in each language: the navigation's
/// entries found nowhere in the pages' content, the skip link, the language switch and the
/// sign-out button.
const FRAME_ZH: &[&str] = &["日历订阅", "邮件通知", "跳到正文", "English", "退出"];
const FRAME_EN: &[&str] = &["Calendar", "E-mail", "Skip to content", "中文", "Sign out"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_print_on_a4_in_both_languages() {
    let test = "the_pages_print_on_a4_in_both_languages";
    let Some(programs) = browser_programs(test) else {
        return;
    };
    let Some(tools) = pdf_tools(test) else {
        return;
    };
    let demo = serve_demo();
    let supervisor = tokens(&demo.printed)
        .get("supervisor")
        .cloned()
        .expect("the demo printed no supervisor token");
    let (code, project_id) = longest_project(&demo.site, &supervisor).await;

    let (_driver, mut browser) = open_browser(&programs, &demo.site, "print-", &[demo.port]).await;
    browser.goto("/signin").await;
    browser.sign_in(&supervisor, "supervisor").await;

    // The committee's first report, as its page links it (the demo's year is the clock's).
    browser.goto("/committees/SH-TC-01").await;
    browser.click_through("#reports li a").await;
    let report = browser.url().await.replacen(&demo.site, "", 1);
    assert!(report.contains("/reports/annual?year="), "{report}");

    // Chinese, the default.
    let project = format!("/projects/{project_id}");
    let pages = [
        (
            project.clone(),
            "project-zh",
            Expected {
                running_head: &code,
                present: vec![
                    "概况",
                    "生命周期",
                    "预研",
                    "征求意见",
                    "实施",
                    "时间线",
                    "期限",
                    "文件",
                ],
                absent: vec!["查看历史状态", "按日期查看"],
                at_least_pages: 2,
            },
        ),
        (
            format!("{project}/history"),
            "history-zh",
            Expected {
                running_head: &code,
                present: vec!["审计记录", "序号", "执行者", "事件"],
                absent: vec!["校验哈希链", "返回项目"],
                at_least_pages: 2,
            },
        ),
        (
            "/overdue".to_string(),
            "board-zh",
            Expected {
                running_head: "逾期看板",
                present: vec!["逾期看板", "所列：所有逾期项目", "逾期项目分布", "(沪)-20"],
                absent: vec!["下载 CSV", "清除"],
                at_least_pages: 1,
            },
        ),
        (
            report.clone(),
            "report-zh",
            Expected {
                running_head: "年度工作报告",
                present: vec!["年度工作报告", "SH-TC-01"],
                absent: vec![],
                at_least_pages: 2,
            },
        ),
    ];
    for (path, name, expected) in &pages {
        print_and_check(&mut browser, &tools, path, name, expected, FRAME_ZH).await;
    }

    // English, chosen with the language switch and remembered.
    // The switch returns to the page it was on, so the address does not change.
    browser.click_to_new_page("#language-switch").await;
    let pages = [
        (
            project.clone(),
            "project-en",
            Expected {
                running_head: &code,
                present: vec![
                    "Overview",
                    "Lifecycle",
                    "pre-research",
                    "public consultation",
                    "in force",
                    "Timeline",
                    "Deadlines",
                ],
                absent: vec!["See the project as it stood", "Show as of that date"],
                at_least_pages: 2,
            },
        ),
        (
            format!("{project}/history"),
            "history-en",
            Expected {
                running_head: &code,
                present: vec!["audit log", "Seq.", "Actor", "Event"],
                absent: vec!["Verify the hash chain", "Back to the project"],
                at_least_pages: 2,
            },
        ),
        (
            "/overdue".to_string(),
            "board-en",
            Expected {
                running_head: "Overdue board",
                present: vec![
                    "Overdue board",
                    "Listed: every overdue project",
                    "Overdue projects",
                    "(沪)-20",
                ],
                absent: vec!["Download CSV", "Clear"],
                at_least_pages: 1,
            },
        ),
        (
            report.clone(),
            "report-en",
            Expected {
                running_head: "annual work report",
                present: vec!["annual work report", "SH-TC-01"],
                absent: vec![],
                at_least_pages: 2,
            },
        ),
    ];
    for (path, name, expected) in &pages {
        print_and_check(&mut browser, &tools, path, name, expected, FRAME_EN).await;
    }
    browser.quit().await;
}

/// The demo's project with the most records, as the API lists them: its code and id. Its
/// audit log is the longest, so it must take more than one printed page.
async fn longest_project(site: &str, token: &str) -> (String, String) {
    let listed = reqwest::Client::new()
        .get(format!("{site}/api/v1/projects?limit=100"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let longest = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .max_by_key(|item| item["head_sequence"].as_u64().unwrap_or(0))
        .unwrap_or_else(|| panic!("the demo has no project: {listed}"));
    (
        longest["code"].as_str().unwrap_or_default().to_string(),
        longest["project_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Opens `path`, prints it to `PREFIXNN-name.pdf`, saves its first page as a picture beside it,
/// and checks its text against `expected` and the frame's words `frame`.
async fn print_and_check(
    browser: &mut Browser,
    tools: &PdfTools,
    path: &str,
    name: &str,
    expected: &Expected<'_>,
    frame: &[&str],
) {
    browser.goto(path).await;
    browser.visit(name).await;
    let pdf = browser.print_to_pdf(&format!("{name}-printed")).await;
    first_page_picture(tools, &pdf);
    let text = pdf_text(tools, &pdf);
    // pdftotext ends every page with a form feed.
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .collect();
    let count = pages.len();
    assert!(
        count >= expected.at_least_pages,
        "{name}: {count} printed pages, fewer than the {} its content needs:\n{text}",
        expected.at_least_pages
    );
    let english = frame == FRAME_EN;
    for (index, page) in pages.iter().enumerate() {
        let number = if english {
            format!("Page {} of {count}", index + 1)
        } else {
            format!("第 {} 页，共 {count} 页", index + 1)
        };
        assert!(
            page.contains(&number),
            "{name}: printed page {} lacks its number {number:?}:\n{page}",
            index + 1
        );
        assert!(
            page.contains(expected.running_head),
            "{name}: printed page {} lacks its running head {:?}:\n{page}",
            index + 1,
            expected.running_head
        );
    }
    for word in &expected.present {
        assert!(
            text.contains(word),
            "{name}: {word:?} is not printed:\n{text}"
        );
    }
    for word in frame.iter().chain(&expected.absent) {
        assert!(!text.contains(word), "{name}: {word:?} is printed:\n{text}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{name}: {count} A4 pages");
}

/// The PDF's text as `pdftotext -layout` lays it out.
fn pdf_text(tools: &PdfTools, pdf: &Path) -> String {
    let output = Command::new(&tools.pdftotext)
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pdftotext {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The PDF's first page as `NAME.png` beside it, at 60 dots an inch.
fn first_page_picture(tools: &PdfTools, pdf: &Path) {
    let stem = pdf.with_extension("");
    let status = Command::new(&tools.pdftoppm)
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&stem)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm {}", pdf.display());
    assert!(stem.with_extension("png").is_file());
}
