//! `specflow todo` against the real binary serving a temporary database: a secretariat's list
//! shows the action its project waits for with every unmet guard, `--json` is the API's document,
//! and the bureau's list leads with the overdue count.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

const COMMITTEE: &str = "SH-TC-01";
const CODE: &str = "JJF(沪)-2026-950";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `specflow serve` on a free port, stopped when dropped.
struct Server {
    child: Child,
    address: String,
    database: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let address = first_line
            .trim()
            .strip_prefix("specflow is serving on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
            .to_string();
        Server {
            child,
            address,
            database: database.to_string(),
        }
    }

    /// Runs a client command against this server, in `language`.
    fn client(&self, token: &str, language: &str, arguments: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(arguments)
            .args(["--language", language])
            .env("SPECFLOW_SERVER", format!("http://{}", self.address))
            .env("SPECFLOW_TOKEN", token)
            .output()
            .unwrap()
    }

    fn token(&self, arguments: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_specflow"))
            .args(["token", "create"])
            .args(arguments)
            .args(["--database", &self.database])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    }
}

#[test]
fn specflow_todo_prints_a_persons_work_as_a_table_and_as_json() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let server = Server::start(&database);
    let secretariat = server.token(&[
        "--name",
        "sec-wang",
        "--role",
        "secretariat",
        "--committee",
        COMMITTEE,
    ]);
    let supervisor = server.token(&["--name", "bureau-li", "--role", "supervisor"]);
    let auditor = server.token(&["--name", "audit-sun", "--role", "auditor"]);
    let created = server.client(
        &secretariat,
        "en",
        &[
            "project",
            "create",
            "--code",
            CODE,
            "--title-zh",
            "数显卷尺校准规范",
            "--title-en",
            "Calibration specification for digital tape measures",
            "--kind",
            "calibration_specification",
            "--committee",
            COMMITTEE,
            "--drafting-unit",
            "上海市计量测试技术研究院",
        ],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));

    // The secretariat's table: nothing ready, `propose` blocked with every reason.
    let table = server.client(&secretariat, "en", &["todo"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let out = text(&table.stdout);
    assert!(out.contains("Ready for you now (0)"), "{out}");
    assert!(out.contains("Blocked actions (1)"), "{out}");
    assert!(
        out.contains(&format!("{CODE} propose the project")),
        "{out}"
    );
    assert!(out.contains(", yours)"), "{out}");
    assert!(
        out.lines().filter(|line| line.starts_with("  - ")).count() >= 2,
        "{out}"
    );
    assert!(!out.contains("Extension requests"), "{out}");

    // In Chinese by default.
    let chinese = server.client(&secretariat, "zh", &["todo"]);
    assert!(
        text(&chinese.stdout).contains("受阻的操作（1）"),
        "{}",
        text(&chinese.stdout)
    );

    // `--json`: the API's document, each guard with its kind and parameters.
    let json = server.client(&secretariat, "en", &["todo", "--json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(list["role"], "secretariat");
    assert_eq!(list["blocked"][0]["project"]["code"], CODE);
    assert_eq!(list["blocked"][0]["action"], "propose");
    let artifacts = list["blocked"][0]["guards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|guard| guard["kind"] == "artifacts_present")
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        artifacts["parameters"]["artifact_kinds"].is_array(),
        "{artifacts}"
    );

    // The bureau's list leads with the overdue count and the board.
    let bureau = server.client(&supervisor, "en", &["todo"]);
    let out = text(&bureau.stdout);
    assert!(
        out.starts_with("0 overdue project(s) (0 frozen); the board: specflow overdue"),
        "{out}"
    );
    assert!(out.contains("Extension requests waiting (0)"), "{out}");
    assert!(out.contains("Frozen projects (0)"), "{out}");

    // `specflow search`: by two Chinese characters of the title, and by the code typed with
    // full-width parentheses; the match marked; a query of punctuation refused in words.
    let found = server.client(&supervisor, "zh", &["search", "卷尺"]);
    assert!(found.status.success(), "{}", text(&found.stderr));
    let out = text(&found.stdout);
    assert!(
        out.contains(CODE) && out.contains("数显【卷尺】校准规范"),
        "{out}"
    );
    let by_code = server.client(
        &secretariat,
        "en",
        &["search", "JJF（沪）-2026-95", "--json"],
    );
    let answer: serde_json::Value = serde_json::from_slice(&by_code.stdout).unwrap();
    assert_eq!(answer["hits"][0]["code"], CODE);
    assert_eq!(answer["hits"][0]["field"], "code");
    let refused = server.client(&supervisor, "en", &["search", "（）"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("at least two letters or digits"),
        "{}",
        text(&refused.stderr)
    );

    // An auditor has nothing to do.
    let audit = server.client(&auditor, "en", &["todo", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(list["projects_examined"], 0);

    // Without a token: the API's 401 in words, exit 1.
    let anonymous = server.client("", "en", &["todo"]);
    assert_eq!(
        anonymous.status.code(),
        Some(1),
        "{}",
        text(&anonymous.stdout)
    );
}
