//! Excel out and CSV for Excel (issue 21), on SQLite and PostgreSQL: the overdue board, a project
//! list, a project's audit log and a report as workbooks and CSV, from the API (`format=` and
//! `Accept`) and from the pages' download links.
//!
//! Each answer's status, content type and file name are checked here; each workbook is also read
//! by an independent reader, Python's `openpyxl`, which must find the headers in Chinese, real date
//! cells, the header row frozen, filters on and the columns' widths set. The Python with
//! `openpyxl` is `SPECFLOW_TEST_XLSX_PYTHON` (`.ci/run` makes a virtualenv for it), else
//! `python3`; without `openpyxl` that reading is skipped, unless `SPECFLOW_REQUIRE_XLSX=1` (set by
//! CI), which makes it fail.

use crate::api::{Answer, api, call, project_in_drafting, token};
use crate::pages::{get, send, session, site};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use specflow_store::auth::Role;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What `openpyxl` reads of each worksheet: its title, header row, date cells (column, value and
/// number format), frozen panes, filter range and column widths.
const READ_WORKBOOK: &str = r#"
import json, sys, openpyxl
workbook = openpyxl.load_workbook(sys.argv[1])
sheets = []
for sheet in workbook.worksheets:
    dates = [
        {"column": cell.column_letter, "value": cell.value.isoformat(), "format": cell.number_format}
        for row in sheet.iter_rows(min_row=2) for cell in row if cell.is_date
    ]
    sheets.append({
        "title": sheet.title,
        "header": [cell.value for cell in sheet[1]],
        "dates": dates,
        "freeze": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        # One <col> element may set several adjacent columns of the same width.
        "widths": {
            openpyxl.utils.get_column_letter(column): dimension.width
            for dimension in sheet.column_dimensions.values() if dimension.customWidth
            for column in range(dimension.min, dimension.max + 1)
        },
    })
print(json.dumps(sheets, ensure_ascii=False))
"#;

/// A Python that has `openpyxl`, or `None` (after saying the reading is skipped).
fn xlsx_python() -> Option<PathBuf> {
    let python = std::env::var_os("SPECFLOW_TEST_XLSX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let present = Command::new(&python)
        .args(["-c", "import openpyxl"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let required = std::env::var("SPECFLOW_REQUIRE_XLSX").is_ok_and(|value| value == "1");
    if !present {
        assert!(
            !required,
            "SPECFLOW_REQUIRE_XLSX=1 but {} has no openpyxl (pip install openpyxl)",
            python.display()
        );
        eprintln!(
            "skipped reading the workbooks: no openpyxl in {} (CI installs it)",
            python.display()
        );
        return None;
    }
    Some(python)
}

/// The worksheets as `openpyxl` reads them, or `None` without `openpyxl`.
pub(crate) fn read_workbook(bytes: &[u8]) -> Option<Vec<Value>> {
    let python = xlsx_python()?;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("export.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new(python)
        .args(["-c", READ_WORKBOOK])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openpyxl could not read the workbook: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sheets: Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(sheets.as_array().unwrap().clone())
}

/// Asserts what every sheet of an export holds: the header row frozen, filters over it, a width
/// for every column, and the headers given.
pub(crate) fn assert_sheet_layout(sheet: &Value, headers: &[&str]) {
    assert_eq!(sheet["freeze"], "A2", "{sheet}");
    let filter = sheet["filter"].as_str().unwrap_or_default();
    assert!(filter.starts_with("A1:"), "{sheet}");
    let header: Vec<&str> = sheet["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell.as_str().unwrap_or_default())
        .collect();
    assert_eq!(&header[..headers.len()], headers, "{sheet}");
    assert_eq!(
        sheet["widths"].as_object().unwrap().len(),
        header.len(),
        "{sheet}"
    );
}

/// The date cells of a sheet's column.
fn dates_in(sheet: &Value, column: &str) -> Vec<(String, String)> {
    sheet["dates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|date| date["column"] == column)
        .map(|date| {
            (
                date["value"].as_str().unwrap().to_string(),
                date["format"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts a download: 200, its media type, and its file name.
fn assert_download(answer: &Answer, media_type: &str, file_name: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(
        answer.header("content-type").starts_with(media_type),
        "{}",
        answer.header("content-type")
    );
    let disposition = answer.header("content-disposition");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(file_name),
        "{disposition}"
    );
    if media_type == XLSX {
        // A workbook is a zip archive.
        assert!(answer.body().starts_with(b"PK"), "not a workbook");
    }
}

/// A CSV for Excel: the UTF-8 byte-order mark, then `header` first.
fn assert_csv(answer: &Answer, file_name: &str, header: &str) -> String {
    assert_download(answer, "text/csv", file_name);
    assert!(
        answer.body().starts_with(&[0xEF, 0xBB, 0xBF]),
        "no byte-order mark"
    );
    let text = answer.text();
    let text = text.trim_start_matches('\u{feff}');
    assert!(text.starts_with(header), "{text}");
    text.to_string()
}

conformance!(
    the_board_the_list_the_log_and_a_report_export_to_excel_and_csv,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let supervisor = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let project = project_in_drafting(&api.store, 1).await;
        api.clock.advance(chrono::Duration::days(500));
        assert!(!api.store.tick_project(project).await.unwrap().is_empty());
        let board = call(Method::GET, "/api/v1/overdue", Some(&supervisor))
            .empty(app)
            .await
            .json();
        let due_on = board["items"][0]["due_on"].as_str().unwrap().to_string();

        // The board as a workbook, by `format` and by `Accept`, and as CSV in both languages.
        let workbook = call(
            Method::GET,
            "/api/v1/overdue?format=xlsx",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_download(&workbook, XLSX, "filename=\"overdue.xlsx\"");
        if let Some(sheets) = read_workbook(workbook.body()) {
            let sheet = &sheets[0];
            assert_sheet_layout(sheet, &["编号", "中文名称", "英文名称", "技术委员会"]);
            // The missed deadline's due date is a date cell holding the local date.
            assert_eq!(
                dates_in(sheet, "G"),
                vec![(format!("{due_on}T00:00:00"), "yyyy-mm-dd".to_string())],
                "{sheet}"
            );
        }
        let accepted = call(Method::GET, "/api/v1/overdue", Some(&supervisor))
            .header("accept", XLSX)
            .empty(app)
            .await;
        assert_download(&accepted, XLSX, "overdue.xlsx");
        let csv = call(Method::GET, "/api/v1/overdue?format=csv", Some(&supervisor))
            .empty(app)
            .await;
        let text = assert_csv(
            &csv,
            "overdue.csv",
            "编号,中文名称,英文名称,技术委员会,起草单位,阶段,到期日,逾期天数,已上报,已冻结,项目标识\r\n",
        );
        assert!(text.contains(&format!(",{due_on},")), "{text}");
        let english = call(Method::GET, "/api/v1/overdue?format=csv", Some(&supervisor))
            .header("accept-language", "en")
            .empty(app)
            .await;
        assert_csv(
            &english,
            "overdue.csv",
            "Code,Title (Chinese),Title (English)",
        );
        call(Method::GET, "/api/v1/overdue?format=pdf", Some(&supervisor))
            .empty(app)
            .await
            .problem(400, "invalid-request");

        // Every project of a list, with its instants as local dates and times.
        let list = call(
            Method::GET,
            "/api/v1/projects?format=xlsx",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_download(&list, XLSX, "filename=\"projects.xlsx\"");
        if let Some(sheets) = read_workbook(list.body()) {
            let sheet = &sheets[0];
            assert_sheet_layout(
                sheet,
                &[
                    "编号",
                    "中文名称",
                    "英文名称",
                    "技术委员会",
                    "起草单位",
                    "阶段",
                    "进入阶段",
                ],
            );
            let since = dates_in(sheet, "G");
            assert_eq!(since.len(), 1, "{sheet}");
            assert_eq!(since[0].1, "yyyy-mm-dd hh:mm", "{sheet}");
        }
        let list_csv = call(
            Method::GET,
            "/api/v1/projects?format=csv",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_csv(&list_csv, "projects.csv", "编号,中文名称");

        // A project's whole log: sequence, local time, actor, role, the event in words, hash.
        let history = format!("/api/v1/projects/{project}/history");
        let log = call(
            Method::GET,
            &format!("{history}?format=xlsx"),
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_download(&log, XLSX, "history-JJF");
        let head = api.store.head_sequence(project).await.unwrap();
        if let Some(sheets) = read_workbook(log.body()) {
            let sheet = &sheets[0];
            assert_sheet_layout(sheet, &["序号", "时间", "执行者", "角色", "事件", "哈希"]);
            // The first record was written at the tests' start, 09:00 in Shanghai.
            let times = dates_in(sheet, "B");
            assert_eq!(times.len() as u64, head, "{sheet}");
            assert_eq!(
                times[0],
                (
                    "2026-01-05T09:00:00".to_string(),
                    "yyyy-mm-dd hh:mm".to_string()
                )
            );
        }
        let log_csv = call(
            Method::GET,
            &format!("{history}?format=csv"),
            Some(&supervisor),
        )
        .empty(app)
        .await;
        let text = assert_csv(
            &log_csv,
            "history-",
            "序号,时间,执行者,角色,事件,哈希\r\n1,2026-01-05 09:00,",
        );
        assert_eq!(text.lines().count() as u64, head + 1, "{text}");

        // A report's tables, a sheet each.
        let report = call(
            Method::GET,
            "/api/v1/committees/SH-TC-01/reports/annual?year=2026&format=xlsx",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_download(&report, XLSX, "SH-TC-01-annual-2026-01-01-2026-12-31.xlsx");
        if let Some(sheets) = read_workbook(report.body()) {
            assert!(sheets.len() > 1, "{sheets:?}");
            assert_sheet_layout(&sheets[0], &["项目", "数量"]);
            let titles: Vec<&str> = sheets.iter().filter_map(|s| s["title"].as_str()).collect();
            assert!(
                titles.iter().any(|title| title.contains("逾期")),
                "{titles:?}"
            );
        }
        let report_csv = call(
            Method::GET,
            "/api/v1/committees/SH-TC-01/reports/annual?year=2026&format=csv",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_csv(&report_csv, "annual", "一、概况\r\n项目,数量\r\n");
    }
);

conformance!(
    the_pages_link_each_table_to_its_downloads,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let supervisor = session(&site.supervisor);
        let project = site.own_project;

        // The project list: links beside the table, with the page's filters.
        let home = send(&site.app, get("/projects?overdue=no", &supervisor)).await;
        assert!(
            home.body.contains("href=\"/projects.xlsx?overdue=no\"")
                && home.body.contains("href=\"/projects.csv?overdue=no\""),
            "{}",
            home.body
        );
        let list = send(&site.app, get("/projects.xlsx?overdue=no", &supervisor)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(list.header("content-type"), XLSX);
        assert!(list.header("content-disposition").contains("projects.xlsx"));
        let list_csv = send(&site.app, get("/projects.csv", &supervisor)).await;
        assert!(
            list_csv.body.starts_with("\u{feff}编号,中文名称"),
            "{}",
            list_csv.body
        );

        // The board: Excel beside the CSV, for the bureau only.
        let board = send(&site.app, get("/overdue", &supervisor)).await;
        assert!(
            board
                .body
                .contains("id=\"board-xlsx\" href=\"/overdue.xlsx\""),
            "{}",
            board.body
        );
        let workbook = send(&site.app, get("/overdue.xlsx", &supervisor)).await;
        assert_eq!(workbook.status, StatusCode::OK);
        assert_eq!(workbook.header("content-type"), XLSX);
        let drafter = session(&site.drafter);
        let refused = send(&site.app, get("/overdue.xlsx", &drafter)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        // The history: its whole log, for whoever reads the project.
        let history = send(
            &site.app,
            get(&format!("/projects/{project}/history"), &supervisor),
        )
        .await;
        assert!(
            history
                .body
                .contains(&format!("href=\"/projects/{project}/history.xlsx\"")),
            "{}",
            history.body
        );
        let log = send(
            &site.app,
            get(&format!("/projects/{project}/history.csv"), &drafter),
        )
        .await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        assert!(log.body.starts_with("\u{feff}序号,时间"), "{}", log.body);
        let hidden = send(
            &site.app,
            get(
                &format!("/projects/{}/history.xlsx", site.other_project),
                &drafter,
            ),
        )
        .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);

        // A report: its tables as a workbook.
        let report = send(
            &site.app,
            get("/committees/SH-TC-01/reports/annual?year=2026", &supervisor),
        )
        .await;
        assert!(
            report
                .body
                .contains("href=\"/committees/SH-TC-01/reports/annual.xlsx?year=2026\""),
            "{}",
            report.body
        );
        let tables = send(
            &site.app,
            get(
                "/committees/SH-TC-01/reports/annual.xlsx?year=2026",
                &supervisor,
            ),
        )
        .await;
        assert_eq!(tables.status, StatusCode::OK, "{}", tables.body);
        assert_eq!(tables.header("content-type"), XLSX);
        let english = send(
            &site.app,
            get(
                "/committees/SH-TC-01/reports/annual.csv?year=2026",
                &format!("{supervisor}; {}=en", specflow_web::pages::LANGUAGE_COOKIE),
            ),
        )
        .await;
        assert!(
            english.body.starts_with("\u{feff}1. Summary"),
            "{}",
            english.body
        );
    }
);
