//! What the browser tests share: finding Chromium and chromedriver (and poppler's PDF tools for
//! the print test), serving the demo, starting chromedriver and a session, and a small
//! WebDriver client (`Browser`) that clicks, types, uploads, saves screenshots and printed PDFs
//! under `target/screenshots/` and checks each page's status and console.
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
pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process killed when the test ends, however it ends.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in a process group of its own, killed as a group when the test ends: a test
/// that panics never closes its browser session, and Chromium's processes would outlive it.
pub(crate) struct RunningGroup(Child);

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

/// Chromium and chromedriver, found.
pub(crate) struct Programs {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// Chromium and chromedriver, or `None` after saying the test `test` was skipped; with
/// `SPECFLOW_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs both) a missing one fails.
pub(crate) fn browser_programs(test: &str) -> Option<Programs> {
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
            "skipped: {test} (chromium and chromedriver are not installed; CI installs them)"
        );
        return None;
    };
    Some(Programs {
        chromium,
        chromedriver,
    })
}

/// Poppler's `pdftotext` and `pdftoppm`, found.
pub(crate) struct PdfTools {
    pub(crate) pdftotext: PathBuf,
    pub(crate) pdftoppm: PathBuf,
}

/// Poppler's PDF tools, or `None` after saying the test `test` was skipped; with
/// `SPECFLOW_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs `poppler-utils` beside
/// Chromium) a missing one fails.
pub(crate) fn pdf_tools(test: &str) -> Option<PdfTools> {
    let required = std::env::var("SPECFLOW_REQUIRE_BROWSER").is_ok_and(|value| value == "1");
    let (Some(pdftotext), Some(pdftoppm)) =
        (find_program(&["pdftotext"]), find_program(&["pdftoppm"]))
    else {
        assert!(
            !required,
            "SPECFLOW_REQUIRE_BROWSER=1 but pdftotext or pdftoppm is not installed (apt-get install poppler-utils)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test} (poppler's pdftotext and pdftoppm are not installed; CI installs them)"
        );
        return None;
    };
    Some(PdfTools {
        pdftotext,
        pdftoppm,
    })
}

/// The demo's tokens, by role, from what `specflow demo` printed.
pub(crate) fn tokens(printed: &str) -> std::collections::HashMap<String, String> {
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

/// The demo's data served by the real `specflow serve`, stopped and removed when dropped.
pub(crate) struct ServedDemo {
    /// What `specflow demo` printed: its tokens and accounts.
    pub(crate) printed: String,
    /// The site's address, such as `http://127.0.0.1:18201`.
    pub(crate) site: String,
    /// The server's port, which chromedriver must not take.
    pub(crate) port: u16,
    _server: Running,
    _folder: tempfile::TempDir,
}

/// Writes `specflow demo --no-serve` into a fresh SQLite database and serves it on a free port.
pub(crate) fn serve_demo() -> ServedDemo {
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
    let port = free_port(&[]);
    let mut server = Command::new(specflow)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
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
    let server = Running(server);
    let site = first_line
        .trim()
        .strip_prefix("specflow is serving on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_string();
    ServedDemo {
        printed: String::from_utf8_lossy(&demo.stdout).into_owned(),
        site,
        port,
        _server: server,
        _folder: folder,
    }
}

/// A free port in 18200–18299 (the range this project's tests and servers keep to), or in the
/// range `SPECFLOW_TEST_PORTS` names as `FIRST-LAST`, for a machine where those ports are taken.
pub(crate) fn free_port(skip: &[u16]) -> u16 {
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

/// Where screenshots go: `target/screenshots/`, emptied of this test's earlier screenshots (those
/// named `PREFIX` and a digit), so that two browser tests running at once keep each other's.
fn screenshots_folder(prefix: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    for entry in std::fs::read_dir(&folder).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|first: char| first.is_ascii_digit()));
        if ours && (name.ends_with(".png") || name.ends_with(".pdf")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    folder
}

/// Starts chromedriver on a free port (not one of `skip`) and a headless Chromium session on
/// `site`, 1280 × 800, in Chinese, keeping the console's messages so a test can check them;
/// screenshots are named `PREFIXNN-name.png`. The returned process ends the browser when dropped.
pub(crate) async fn open_browser(
    programs: &Programs,
    site: &str,
    prefix: &str,
    skip: &[u16],
) -> (RunningGroup, Browser) {
    let driver_port = free_port(skip);
    let driver_process = RunningGroup(
        Command::new(&programs.chromedriver)
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
        // The console's messages, read by `Browser::console_errors`.
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "binary": programs.chromium.display().to_string(),
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
    let browser = Browser {
        http,
        session: format!("{driver}/session/{session_id}"),
        site: site.to_string(),
        screenshots: screenshots_folder(prefix),
        prefix: prefix.to_string(),
        taken: 0,
    };
    (driver_process, browser)
}

/// A WebDriver session.
pub(crate) struct Browser {
    http: reqwest::Client,
    session: String,
    site: String,
    screenshots: PathBuf,
    prefix: String,
    taken: usize,
}

impl Browser {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
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

    pub(crate) async fn goto(&self, path: &str) {
        self.call(
            reqwest::Method::POST,
            "/url",
            Some(json!({"url": format!("{}{path}", self.site)})),
        )
        .await;
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) async fn find_all(&self, css: &str) -> Vec<String> {
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

    pub(crate) async fn find(&self, css: &str) -> String {
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

    pub(crate) async fn click(&self, css: &str) {
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
    pub(crate) async fn click_through(&self, css: &str) {
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

    /// Clicks something that loads a page, perhaps at the same address (a form that posts to
    /// where it was shown), and waits until the new page is there: its document is another.
    pub(crate) async fn click_to_new_page(&self, css: &str) {
        let before = self.find("html").await;
        self.click(css).await;
        let started = Instant::now();
        while self.find_all("html").await.first() == Some(&before) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "clicking {css} on {} loaded no page",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
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

    /// Chooses a file for a file input, as a person picking it in the file dialogue would.
    pub(crate) async fn choose_file(&self, css: &str, path: &Path) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": path.display().to_string()})),
        )
        .await;
    }

    /// Sets a field's value directly: the way to fill a `type=date` input, whose keyboard entry
    /// depends on the browser's locale.
    pub(crate) async fn set_value(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "arguments[0].value = arguments[1];", "args": [{ELEMENT: element}, value]})),
        )
        .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.element_text(&element).await
    }

    pub(crate) async fn element_text(&self, element: &str) -> String {
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

    /// An element's attribute, or the empty string.
    pub(crate) async fn attribute(&self, element: &str, name: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Chooses the option of a `select` with this value, as a keyboard user would.
    pub(crate) async fn choose(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value=\"{value}\"]"))
            .await;
    }

    pub(crate) async fn refresh(&self) {
        self.call(reqwest::Method::POST, "/refresh", Some(json!({})))
            .await;
    }

    /// Lays the page out at `width` × `height` CSS pixels. Chromium will not make a window
    /// narrower than 500 pixels, so a phone's width is emulated through the DevTools protocol;
    /// without this a "390-pixel" screenshot is a crop of a 500-pixel layout.
    pub(crate) async fn window(&self, width: u32, height: u32) {
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

    /// How many CSS pixels the page is wider than the window: 0 when it does not scroll
    /// sideways.
    pub(crate) async fn sideways_overflow(&self) -> Option<i64> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return document.documentElement.scrollWidth - document.documentElement.clientWidth;", "args": []})),
        )
        .await
        .as_i64()
    }

    fn next_screenshot_path(&mut self, name: &str) -> PathBuf {
        self.next_path(name, "png")
    }

    fn next_path(&mut self, name: &str, extension: &str) -> PathBuf {
        self.taken += 1;
        self.screenshots.join(format!(
            "{}{:02}-{name}.{extension}",
            self.prefix, self.taken
        ))
    }

    /// Prints the page as Chromium's print dialogue would (DevTools' `Page.printToPDF`: A4, the
    /// page's own `@page` rules and backgrounds, no header or footer of the browser's own) and
    /// saves the PDF as `PREFIXNN-name.pdf`.
    pub(crate) async fn print_to_pdf(&mut self, name: &str) -> PathBuf {
        let printed = self
            .call(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(json!({"cmd": "Page.printToPDF", "params": {
                    "paperWidth": 8.27,
                    "paperHeight": 11.69,
                    "printBackground": true,
                    "preferCSSPageSize": true,
                    "displayHeaderFooter": false,
                }})),
            )
            .await;
        let bytes = base64_decode::decode(printed["data"].as_str().unwrap_or_default());
        assert!(bytes.starts_with(b"%PDF-"), "{name}: no PDF came back");
        let path = self.next_path(name, "pdf");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Saves the page as `PREFIXNN-name.png`.
    pub(crate) async fn screenshot(&mut self, name: &str) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64_decode::decode(encoded.as_str().unwrap_or_default());
        let path = self.next_screenshot_path(name);
        std::fs::write(&path, bytes).unwrap();
    }

    /// Saves one element (a chart, the timeline) as `PREFIXNN-name.png`.
    pub(crate) async fn screenshot_of(&mut self, css: &str, name: &str) {
        let element = self.find(css).await;
        let encoded = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/screenshot"),
                None,
            )
            .await;
        let bytes = base64_decode::decode(encoded.as_str().unwrap_or_default());
        let path = self.next_screenshot_path(name);
        std::fs::write(&path, bytes).unwrap();
    }

    /// The HTTP status of the page the browser shows, from the Navigation Timing API (WebDriver
    /// itself does not say), or `None` where the browser does not tell it.
    pub(crate) async fn status(&self) -> Option<u64> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "const entry = performance.getEntriesByType('navigation')[0]; return entry ? entry.responseStatus : null;",
                "args": [],
            })),
        )
        .await
        .as_u64()
    }

    /// The console's errors since it was last read (Chromium's `SEVERE` entries: script errors,
    /// refused styles or images, and every response of status 400 or more it loaded).
    pub(crate) async fn console_errors(&self) -> Vec<Value> {
        self.call(
            reqwest::Method::POST,
            "/se/log",
            Some(json!({"type": "browser"})),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect()
    }

    /// Checks the page the browser shows and saves it as `PREFIXNN-name.png`: its status must be
    /// one of `statuses` (so never a 5xx), and the console must hold no error but the page's own
    /// expected 4xx status and the browser's request for `/favicon.ico`, which the site does
    /// not serve.
    pub(crate) async fn visit_with(&mut self, name: &str, statuses: &[u64]) {
        let url = self.url().await;
        let status = self.status().await;
        assert!(
            status.is_some_and(|status| statuses.contains(&status)),
            "{name}: {url} answered {status:?}, not one of {statuses:?}: {}",
            self.source().await
        );
        let expected_status = status
            .filter(|status| *status >= 400)
            .map(|status| format!("status of {status}"));
        let errors: Vec<Value> = self
            .console_errors()
            .await
            .into_iter()
            .filter(|entry| {
                let message = entry["message"].as_str().unwrap_or_default();
                let network = entry["source"] == "network";
                let favicon = network && message.contains("/favicon.ico ");
                let expected = network
                    && expected_status
                        .as_ref()
                        .is_some_and(|expected| message.contains(expected.as_str()));
                !favicon && !expected
            })
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the console has errors on {url}: {errors:#?}"
        );
        self.screenshot(name).await;
    }

    /// Checks the page (status 200, no console error) and saves it as `PREFIXNN-name.png`.
    pub(crate) async fn visit(&mut self, name: &str) {
        self.visit_with(name, &[200]).await;
    }

    /// Signs in on the sign-in page, the one the browser is on (with where it was going) or a
    /// fresh one.
    pub(crate) async fn sign_in(&mut self, token: &str, name: &str) {
        self.sign_in_as("", token, name).await;
    }

    /// Signs in with an account's name and password (or, with no name, a token as the
    /// password), as `sign_in` does.
    pub(crate) async fn sign_in_as(&mut self, account: &str, password: &str, name: &str) {
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
    pub(crate) async fn sign_out_from(&self, path: &str) {
        self.goto(path).await;
        self.sign_out().await;
    }

    pub(crate) async fn sign_out(&self) {
        self.click_through("#signout").await;
        assert!(self.url().await.contains("/signin"));
    }

    pub(crate) async fn quit(&self) {
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
