//! The client's downloads (issue 21) against the real binary serving a temporary database:
//! `--format xlsx --output FILE` and `--format csv` of `project list`, `overdue`, `history` and
//! `report`, and a workbook refused without a file to write it to.

use crate::client_cli::{serve_with, text};

const COMMITTEE: &str = "SH-TC-01";
const CODE: &str = "JJF(沪)-2026-901";

#[test]
fn lists_logs_and_reports_download_as_excel_and_csv() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let server = serve_with(&database, &[]);
    let secretariat = server.token(&[
        "--name",
        "sec-wang",
        "--role",
        "secretariat",
        "--committee",
        COMMITTEE,
    ]);
    let supervisor = server.token(&["--name", "bureau-li", "--role", "supervisor"]);
    let created = server.client(
        &secretariat,
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

    // A workbook goes to the file named, never to standard output unasked.
    let workbook = folder.path().join("projects.xlsx");
    let written = server.client(
        &secretariat,
        &[
            "project",
            "list",
            "--format",
            "xlsx",
            "--output",
            workbook.to_str().unwrap(),
        ],
    );
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"));
    let refused = server.client(&secretariat, &["project", "list", "--format", "xlsx"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("--output"),
        "{}",
        text(&refused.stderr)
    );
    let pointless = server.client(&secretariat, &["project", "list", "--output", "x.csv"]);
    assert!(!pointless.status.success());

    // CSV for Excel on standard output: the byte-order mark, headers in --language.
    let csv = server.client(&secretariat, &["project", "list", "--format", "csv"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    assert!(
        text(&csv.stdout).starts_with("\u{feff}Code,Title (Chinese),Title (English),Committee"),
        "{}",
        text(&csv.stdout)
    );
    assert!(text(&csv.stdout).contains(CODE), "{}", text(&csv.stdout));
    // --format json is --json.
    let json = server.client(&secretariat, &["project", "list", "--format", "json"]);
    assert!(
        text(&json.stdout).starts_with('{'),
        "{}",
        text(&json.stdout)
    );

    // The whole log, to a file.
    let log = folder.path().join("history.csv");
    let written = server.client(
        &secretariat,
        &[
            "history",
            CODE,
            "--format",
            "csv",
            "--output",
            log.to_str().unwrap(),
        ],
    );
    assert!(written.status.success(), "{}", text(&written.stderr));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.starts_with("\u{feff}Sequence,Time,Actor,Role,Event,Hash\r\n1,"),
        "{log}"
    );

    // The board, and a report's tables.
    let board = folder.path().join("overdue.xlsx");
    let written = server.client(
        &supervisor,
        &[
            "overdue",
            "--format",
            "xlsx",
            "--output",
            board.to_str().unwrap(),
        ],
    );
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(std::fs::read(&board).unwrap().starts_with(b"PK"));
    let year = chrono::Utc::now().format("%Y").to_string();
    let report = folder.path().join("report.xlsx");
    let written = server.client(
        &secretariat,
        &[
            "report",
            "annual",
            "--committee",
            COMMITTEE,
            "--year",
            &year,
            "--format",
            "xlsx",
            "--output",
            report.to_str().unwrap(),
        ],
    );
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(std::fs::read(&report).unwrap().starts_with(b"PK"));
    // The report's tables as CSV, all of them or one by its id.
    let report_csv = |more: &[&str]| {
        let mut arguments = vec![
            "report",
            "annual",
            "--committee",
            COMMITTEE,
            "--year",
            &year,
            "--format",
            "csv",
        ];
        arguments.extend_from_slice(more);
        server.client(&secretariat, &arguments)
    };
    let all_tables = report_csv(&[]);
    assert!(
        text(&all_tables.stdout).starts_with("\u{feff}1. Summary\r\nFigure,Count\r\n"),
        "{}",
        text(&all_tables.stdout)
    );

    // One table by its id; an id the report does not have is refused, naming those it has.
    let summary = report_csv(&["--table", "summary"]);
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    let summary = text(&summary.stdout);
    assert!(
        summary.starts_with("\u{feff}Figure,Count\r\n") && !summary.contains("2. "),
        "{summary}"
    );
    let nowhere = report_csv(&["--table", "nowhere"]);
    assert!(!nowhere.status.success());
    assert!(
        text(&nowhere.stderr).contains("summary"),
        "the refusal names the tables: {}",
        text(&nowhere.stderr)
    );
}
