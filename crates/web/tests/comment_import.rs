//! Importing a comment disposition table (意见汇总处理表) through the API, on SQLite and
//! PostgreSQL: the preview shows every row's problem and records nothing, a table with a bad row
//! is refused whole, the fixed table is recorded in one batch, XLSX reads like CSV, and the route
//! answers every role and scope as the other writes do.

use crate::api::{api, codes, token};
use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use specflow_store::auth::Role;
use tower::ServiceExt;

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The table with one bad row (row 4: not accepted without a reason) and one unknown disposition.
const BAD_TABLE: &str = "电子汽车衡检定规程 意见汇总处理表,,,,,\n\
    序号,章条编号,意见内容,提出单位,处理意见,理由\n\
    1,5.2,最大允许误差的表述应与OIML R76一致。,中国计量科学研究院,采纳,\n\
    2,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,\n\
    3,6.3.1,偏载试验的加载位置建议增加示意图。,梅特勒-托利多,同意,\n";

/// The same table, fixed.
const GOOD_TABLE: &str = "电子汽车衡检定规程 意见汇总处理表,,,,,\n\
    序号,章条编号,意见内容,提出单位,处理意见,理由\n\
    1,5.2,最大允许误差的表述应与OIML R76一致。,中国计量科学研究院,采纳,\n\
    2,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,属强制检定计量器具\n\
    3,6.3.1,偏载试验的加载位置建议增加示意图。,梅特勒-托利多,部分采纳,增加示意图\n\
    4,,术语应统一。,同济大学,,\n";

/// Posts a table to the import route; returns the status and the JSON answer.
async fn import(
    app: &Router,
    token: &str,
    project: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
    idempotency_key: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::post(format!("/api/v1/projects/{project}/comments/import{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .header("accept-language", "en");
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, value)
}

/// The project's comments, as the API reads them.
async fn comments(api: &crate::api::Api, project: uuid::Uuid) -> usize {
    let view = api.store.project(project).await.unwrap().unwrap();
    view.state.comments.len()
}

conformance!(
    a_table_with_a_bad_row_is_previewed_refused_whole_then_recorded_once_fixed,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let id = project.to_string();
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;

        // The preview: every row, with its problems, and nothing recorded.
        let (status, preview) = import(
            app,
            &secretariat,
            &id,
            "?dry_run=true",
            CSV,
            BAD_TABLE.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["recorded"], false);
        assert_eq!(preview["ready"], false);
        assert_eq!(preview["comments"], 3);
        let rows = preview["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["row"], 3);
        assert!(rows[0]["problems"].as_array().unwrap().is_empty());
        // The table's own numbers (序号) are the comments' ids.
        assert_eq!(rows[0]["comment_id"], "1");
        assert_eq!(rows[2]["comment_id"], "3");
        assert_eq!(rows[1]["problems"][0]["code"], "reason_missing");
        assert_eq!(rows[1]["problems"][0]["column"], "reason");
        assert_eq!(
            rows[1]["problems"][0]["message"],
            "A comment not accepted needs a reason"
        );
        assert_eq!(rows[2]["problems"][0]["code"], "disposition_unknown");
        assert_eq!(rows[2]["disposition"], "同意");
        assert_eq!(api.store.head_sequence(project).await.unwrap(), 1);

        // Recording it is refused whole, with every row's problem, and nothing is recorded.
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            BAD_TABLE.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(codes(&problem), ["reason_missing", "disposition_unknown"]);
        assert_eq!(problem["unmet"][0]["figures"]["row"], 4);
        assert!(
            problem["unmet"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Row 4, reason:"),
            "{problem}"
        );
        assert_eq!(api.store.head_sequence(project).await.unwrap(), 1);
        assert_eq!(comments(&api, project).await, 0);

        // Fixed, it is recorded: four comments and three dispositions in one batch.
        let (status, recorded) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            GOOD_TABLE.as_bytes().to_vec(),
            Some("import-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{recorded}");
        assert_eq!(recorded["recorded"], true);
        assert_eq!(recorded["comments"], 4);
        assert_eq!(recorded["dispositions"], 3);
        assert_eq!(recorded["first_sequence"], 2);
        assert_eq!(recorded["last_sequence"], 8);
        let view = api.store.project(project).await.unwrap().unwrap();
        assert_eq!(view.state.comments.len(), 4);
        let state = serde_json::to_value(&view.state).unwrap();
        let dispositions: Vec<Value> = state["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|comment| comment["disposition"].clone())
            .collect();
        assert_eq!(
            dispositions.iter().filter(|value| !value.is_null()).count(),
            3,
            "{state}"
        );
        // The same request again is answered with the first outcome; nothing is repeated.
        let (status, again) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            GOOD_TABLE.as_bytes().to_vec(),
            Some("import-1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["last_sequence"], 8);
        assert_eq!(api.store.head_sequence(project).await.unwrap(), 8);
        assert_eq!(again["rows"], recorded["rows"]);
        let ids: Vec<&str> = view
            .state
            .comments
            .iter()
            .map(|comment| comment.comment_id)
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        // The same table sent again as a new request names the numbers already recorded, in
        // the number column, and records nothing.
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            GOOD_TABLE.as_bytes().to_vec(),
            Some("import-2"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["unmet"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Row 3, number: A comment with id '1' is already recorded"),
            "{problem}"
        );
        assert_eq!(api.store.head_sequence(project).await.unwrap(), 8);
    }
);

conformance!(
    a_table_without_numbers_gets_fresh_ids_and_a_repeated_number_is_refused,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let id = project.to_string();
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let unnumbered = "提出单位,意见内容\n中国计量科学研究院,应与OIML R76一致\n";
        let (status, preview) = import(
            app,
            &secretariat,
            &id,
            "?dry_run=true",
            CSV,
            unnumbered.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert!(
            preview["rows"][0]["comment_id"]
                .as_str()
                .unwrap()
                .starts_with("C-"),
            "{preview}"
        );
        let repeated = "序号,提出单位,意见内容\n1,中国计量科学研究院,一\n１,同济大学,二\n";
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            repeated.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(codes(&problem), ["number_repeated"]);
        assert_eq!(
            problem["unmet"][0]["message"],
            "Row 3, number: The number \"1\" is already given to row 2"
        );
        assert_eq!(api.store.head_sequence(project).await.unwrap(), 1);
    }
);

conformance!(
    an_xlsx_table_is_imported_like_a_csv_one_and_other_files_are_refused,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let id = project.to_string();
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let workbook = xlsx(
            &[
                &["意见汇总处理表"],
                &[],
                &["序号", "章条", "意见内容", "提出单位", "处理意见", "理由"],
                &[
                    "1",
                    "5.2",
                    "应与OIML R76一致",
                    "中国计量科学研究院",
                    "采纳",
                    "",
                ],
                &["2", "7.1", "周期延长", "上海大和衡器", "不采纳", ""],
            ],
            2,
        );
        let (status, preview) = import(
            app,
            &secretariat,
            &id,
            "?dry_run=true",
            XLSX,
            workbook.clone(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        let rows = preview["rows"].as_array().unwrap();
        assert_eq!(rows[0]["row"], 5);
        assert_eq!(rows[0]["organisation"], "中国计量科学研究院");
        assert_eq!(rows[0]["clause"], "5.2");
        assert_eq!(rows[0]["disposition"], "accepted");
        assert_eq!(rows[1]["row"], 6);
        assert_eq!(rows[1]["problems"][0]["code"], "reason_missing");
        // Sent as an octet stream, the workbook is still read as one.
        let (status, _) = import(
            app,
            &secretariat,
            &id,
            "?dry_run=true",
            "application/octet-stream",
            workbook,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // A cell a billion rows down, or one whose reference overflows the reader's arithmetic
        // (found by fuzzing), is an unreadable file: no allocation of every row above it, no
        // panic. Each answers the preview with the file's problem.
        for first_row in [1_000_000_000, 9_999_999_999] {
            let (status, preview) = import(
                app,
                &secretariat,
                &id,
                "?dry_run=true",
                XLSX,
                xlsx(&[&["提出单位", "意见内容"]], first_row),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{preview}");
            assert_eq!(
                preview["problems"][0]["code"], "file_unreadable",
                "{preview}"
            );
            assert_eq!(preview["ready"], false);
        }
        let fixed = xlsx(
            &[
                &["提出单位", "意见内容", "处理意见", "理由"],
                &["中国计量科学研究院", "应与OIML R76一致", "采纳", ""],
            ],
            1,
        );
        let (status, recorded) = import(app, &secretariat, &id, "", XLSX, fixed, None).await;
        assert_eq!(status, StatusCode::OK, "{recorded}");
        assert_eq!(comments(&api, project).await, 1);
        // A file that is neither: the file's problem, nothing recorded.
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            b"a,b\n1,2\n".to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(codes(&problem), ["header_missing"]);
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            "application/json",
            b"{}".to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
        assert_eq!(comments(&api, project).await, 1);
    }
);

conformance!(
    the_import_answers_every_role_and_scope_like_the_other_writes,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let store = &api.store;
        let project = created_project(store, 1, "SH-TC-01").await;
        let other_project = created_project(store, 2, "SH-TC-02").await;
        let id = project.to_string();
        let callers = [
            ("t-admin", Role::Admin, None, None, 403),
            ("t-supervisor", Role::Supervisor, None, None, 403),
            ("t-sec", Role::Secretariat, Some("SH-TC-01"), None, 200),
            (
                "t-sec-other",
                Role::Secretariat,
                Some("SH-TC-02"),
                None,
                404,
            ),
            ("t-chair", Role::Chair, Some("SH-TC-01"), None, 403),
            ("t-member", Role::Member, Some("SH-TC-01"), None, 403),
            ("t-drafter", Role::Drafter, None, Some(project), 200),
            (
                "t-drafter-other",
                Role::Drafter,
                None,
                Some(other_project),
                404,
            ),
            ("t-auditor", Role::Auditor, None, None, 403),
        ];
        for (name, role, committee, scoped, expected) in callers {
            let scoped = scoped.map(|id| id.to_string());
            let bearer = token(store, name, role, committee, scoped.as_deref()).await;
            let table = format!("单位,意见\n中国计量科学研究院,{name} 的意见\n");
            let (status, answer) =
                import(app, &bearer, &id, "", CSV, table.into_bytes(), None).await;
            assert_eq!(status.as_u16(), expected, "{name}: {answer}");
            if expected == 403 && role != Role::Auditor {
                assert_eq!(codes(&answer), ["role_not_permitted"], "{name}");
            }
        }
        // Only the secretariat's and the drafter's comments were recorded.
        assert_eq!(comments(&api, project).await, 2);
        // Without a token: 401.
        let response = app
            .clone()
            .oneshot(
                Request::post(format!("/api/v1/projects/{id}/comments/import"))
                    .header("content-type", CSV)
                    .body(Body::from("单位,意见\n"))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
);

/// A minimal XLSX workbook (stored, not compressed) whose first sheet holds `rows` as inline
/// strings, starting at `first_row` (1-based) in column B.
fn xlsx(rows: &[&[&str]], first_row: usize) -> Vec<u8> {
    use std::io::Write;
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (index, row) in rows.iter().enumerate() {
        let number = first_row + index;
        sheet.push_str(&format!(r#"<row r="{number}">"#));
        for (column, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let letter = char::from(b'B' + column as u8);
            let text = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            sheet.push_str(&format!(
                r#"<c r="{letter}{number}" t="inlineStr"><is><t>{text}</t></is></c>"#
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="意见汇总处理表" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in files {
        archive.start_file(name, options).unwrap();
        archive.write_all(content.as_bytes()).unwrap();
    }
    archive.finish().unwrap().into_inner()
}

// Regression (issue 17): a cell's text went into the log unchecked; a NUL in it was a 503 on
// PostgreSQL. A control character or an overlong text is its row's problem, in its column.
conformance!(
    a_cell_with_a_control_character_or_too_long_a_text_is_its_rows_problem,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let id = project.to_string();
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let long_comment = "长".repeat(10_001);
        let table = format!(
            "序号,章条编号,意见内容,提出单位,处理意见,理由\n\
             1,5.2,表述应统一。,中国计量\u{0}科学研究院,采纳,\n\
             2,7.1,{long_comment},同济大学,采纳,\n\
             3,6.1,术语应统一。,上海大和衡器,采纳,\n"
        );
        let (status, preview) = import(
            app,
            &secretariat,
            &id,
            "?dry_run=true",
            CSV,
            table.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["ready"], false, "{preview}");
        let rows = preview["rows"].as_array().unwrap();
        assert_eq!(rows[0]["problems"][0]["code"], "text_refused", "{preview}");
        assert_eq!(
            rows[0]["problems"][0]["column"], "organisation",
            "{preview}"
        );
        assert_eq!(rows[1]["problems"][0]["code"], "text_refused", "{preview}");
        assert_eq!(rows[1]["problems"][0]["column"], "comment", "{preview}");
        assert!(
            rows[2]["problems"].as_array().unwrap().is_empty(),
            "{preview}"
        );
        let (status, problem) = import(
            app,
            &secretariat,
            &id,
            "",
            CSV,
            table.as_bytes().to_vec(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(comments(&api, project).await, 0);
    }
);
