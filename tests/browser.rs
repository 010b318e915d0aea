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
//! The WebDriver protocol is spoken directly over HTTP with reqwest (already a dependency): the
//! dozen commands used here are plain JSON, and a WebDriver crate would add a second HTTP stack
//! and TLS backend to the build for them.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key WebDriver names elements by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in a process group of its own, killed as a group when the test ends: a test
/// that panics never closes its browser session, and Chromium's processes would outlive it.
struct RunningGroup(Child);

impl Drop for RunningGroup {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// The first program of `names` found on the `PATH` or in `/usr/bin` and `/usr/lib/chromium`.
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut folders: Vec<PathBuf> = std::env::split_paths(&path).collect();
    folders.push(PathBuf::from("/usr/bin"));
    folders.push(PathBuf::from("/usr/lib/chromium"));
    names.iter().find_map(|name| {
        folders
            .iter()
            .map(|folder| folder.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A free port in 18200–18299 (the range this project's tests and servers keep to), or in the
/// range `SPECFLOW_TEST_PORTS` names as `FIRST-LAST`, for a machine where those ports are taken.
fn free_port(skip: &[u16]) -> u16 {
    let (first, last) = std::env::var("SPECFLOW_TEST_PORTS")
        .ok()
        .and_then(|range| {
            let (first, last) = range.split_once('-')?;
            Some((first.trim().parse().ok()?, last.trim().parse().ok()?))
        })
        .unwrap_or((18200u16, 18299u16));
    (first..=last)
        .filter(|port| !skip.contains(port))
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .unwrap_or_else(|| panic!("no free port in {first}-{last}"))
}

/// Where screenshots go: `target/screenshots/`.
fn screenshots_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("screenshots");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// A WebDriver session.
struct Browser {
    http: reqwest::Client,
    session: String,
    site: String,
    screenshots: PathBuf,
    taken: usize,
}

impl Browser {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{method} {url}: {error}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        answer["value"].clone()
    }

    async fn goto(&self, path: &str) {
        self.call(
            reqwest::Method::POST,
            "/url",
            Some(json!({"url": format!("{}{path}", self.site)})),
        )
        .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|element| element[ELEMENT].as_str().map(str::to_string))
        .collect()
    }

    async fn find(&self, css: &str) -> String {
        let found = self.find_all(css).await;
        match found.into_iter().next() {
            Some(element) => element,
            None => panic!(
                "no element {css} on {}: {}",
                self.url().await,
                self.source().await
            ),
        }
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks something that leads to another page and waits until the browser is there: a
    /// click that submits a form may return before the next page has begun to load.
    async fn click_through(&self, css: &str) {
        let before = self.url().await;
        self.click(css).await;
        let started = Instant::now();
        while self.url().await == before {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "clicking {css} on {before} led nowhere"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Chooses the option of a `select` with this value, as a keyboard user would.
    async fn choose(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value=\"{value}\"]"))
            .await;
    }

    async fn refresh(&self) {
        self.call(reqwest::Method::POST, "/refresh", Some(json!({})))
            .await;
    }

    /// Lays the page out at `width` × `height` CSS pixels. Chromium will not make a window
    /// narrower than 500 pixels, so a phone's width is emulated through the DevTools protocol;
    /// without this a "390-pixel" screenshot is a crop of a 500-pixel layout.
    async fn window(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width.max(500), "height": height})),
        )
        .await;
        let metrics = if width < 500 {
            json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": true}})
        } else {
            json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
        };
        self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(metrics))
            .await;
    }

    /// Saves the page as `NN-name.png`.
    async fn screenshot(&mut self, name: &str) {
        use base64_decode::decode;
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = decode(encoded.as_str().unwrap_or_default());
        self.taken += 1;
        let path = self
            .screenshots
            .join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(&path, bytes).unwrap();
    }

    /// Signs in on the sign-in page, the one the browser is on (with where it was going) or a
    /// fresh one.
    /// Saves one element (a chart, the timeline) as `NN-name.png`.
    async fn screenshot_of(&mut self, css: &str, name: &str) {
        let element = self.find(css).await;
        let encoded = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/screenshot"),
                None,
            )
            .await;
        let bytes = base64_decode::decode(encoded.as_str().unwrap_or_default());
        self.taken += 1;
        let path = self
            .screenshots
            .join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(&path, bytes).unwrap();
    }

    async fn sign_in(&mut self, token: &str, name: &str) {
        self.sign_in_as("", token, name).await;
    }

    /// Signs in with an account's name and password (or, with no name, a token as the
    /// password), as `sign_in` does.
    async fn sign_in_as(&mut self, account: &str, password: &str, name: &str) {
        if !self.url().await.contains("/signin") {
            self.goto("/signin").await;
        }
        if !account.is_empty() {
            self.type_into("#name", account).await;
        }
        self.type_into("#password", password).await;
        self.screenshot(&format!("signin-{name}")).await;
        self.click_through("form[action='/signin'] button[type=submit]")
            .await;
        assert!(
            !self.url().await.contains("/signin"),
            "signing in as {name} failed: {}",
            self.source().await
        );
    }

    /// Signs out from a page of the site's frame (a report has none).
    async fn sign_out_from(&self, path: &str) {
        self.goto(path).await;
        self.sign_out().await;
    }

    async fn sign_out(&self) {
        self.click_through("#signout").await;
        assert!(self.url().await.contains("/signin"));
    }

    async fn quit(&self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

/// Base64 as WebDriver sends screenshots (the standard alphabet, padded); small enough to keep
/// here rather than add a crate for one call.
mod base64_decode {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |byte: u8| -> Option<u32> {
            match byte {
                b'A'..=b'Z' => Some(u32::from(byte - b'A')),
                b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
                b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
                b'+' => Some(62),
                b'/' => Some(63),
                _ => None,
            }
        };
        let digits: Vec<u32> = text.bytes().filter_map(value).collect();
        let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
        for chunk in digits.chunks(4) {
            let mut word = 0u32;
            for (index, digit) in chunk.iter().enumerate() {
                word |= digit << (18 - 6 * index);
            }
            let count = chunk.len().saturating_sub(1);
            for index in 0..count {
                bytes.push((word >> (16 - 8 * index)) as u8);
            }
        }
        bytes
    }
}

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

/// The demo's tokens, by role, from what `specflow demo` printed.
fn tokens(printed: &str) -> std::collections::HashMap<String, String> {
    printed
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let role = words.next()?;
            let token = words.next().filter(|token| token.starts_with("sft_"))?;
            Some((role.to_string(), token.to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_real_browser() {
    let required = std::env::var("SPECFLOW_REQUIRE_BROWSER").is_ok_and(|value| value == "1");
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            !required,
            "SPECFLOW_REQUIRE_BROWSER=1 but chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the_pages_work_in_a_real_browser (chromium and chromedriver are not installed; CI installs them)"
        );
        return;
    };

    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("demo.db").display());
    let specflow = env!("CARGO_BIN_EXE_specflow");
    let demo = Command::new(specflow)
        .args(["demo", "--no-serve", "--database", &database])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let tokens = tokens(&String::from_utf8_lossy(&demo.stdout));
    let accounts = accounts(&String::from_utf8_lossy(&demo.stdout));
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

    let server_port = free_port(&[]);
    let mut server = Command::new(specflow)
        .args(["serve", "--listen", &format!("127.0.0.1:{server_port}")])
        .env("SPECFLOW_DATABASE_URL", &database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let _server = Running(server);
    let site = first_line
        .trim()
        .strip_prefix("specflow is serving on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_string();

    let driver_port = free_port(&[server_port]);
    let _driver = RunningGroup(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let driver = format!("http://127.0.0.1:{driver_port}");
    let started = Instant::now();
    loop {
        let ready = match http.get(format!("{driver}/status")).send().await {
            Ok(response) => response
                .text()
                .await
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .is_some_and(|status| status["value"]["ready"] == true),
            Err(_) => false,
        };
        if ready {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800", "--lang=zh-CN"],
        },
    }}});
    let created = http
        .post(format!("{driver}/session"))
        .header("content-type", "application/json")
        .body(capabilities.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    let session_id = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
        .to_string();
    let mut browser = Browser {
        http: http.clone(),
        session: format!("{driver}/session/{session_id}"),
        site,
        screenshots: screenshots_folder(),
        taken: 0,
    };
    browse(&mut browser, &token, &secretariat_account).await;
    browser.quit().await;
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
    browser.sign_out_from("/todo").await;

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
