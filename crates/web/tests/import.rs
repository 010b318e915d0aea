//! Importing a bureau's projects from a spreadsheet (`app::import`), on SQLite and PostgreSQL:
//! a CSV and an XLSX with bad rows are previewed with every problem by row and column and write
//! nothing; good files create their projects at the stage reached with the imported dates and
//! the provenance in the audit record; an old draft is overdue after a tick; importing again
//! creates nothing; the template's example row imports as it is.

use crate::support::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use specflow_engine::committee::CommitteeCommand;
use specflow_engine::{Actor, LocalizedText};
use specflow_store::auth::{Principal, Role};
use specflow_store::metrics::Metrics;
use specflow_store::{CommitteeCommandRequest, Store, committee_id_of};
use specflow_web::app::AppState;
use specflow_web::app::import::{ImportFile, Preview, RowOutcome, import, preview};
use specflow_web::app::import_template::template;
use uuid::Uuid;

const HEADER: &str = "项目编号 code,中文名称 title_zh,英文名称 title_en,规范类型 specification_kind,技术委员会 committee,起草单位 drafting_unit,当前阶段 stage,立项日期 approved_on,征求意见日期 consulted_on,审定日期 reviewed_on,发布日期 published_on,进入当前阶段日期 stage_entered_on,规范编号 specification_number,实施日期 effective_on";

/// Three projects: drafting since 2023 (long overdue), published in 2023, and in comment
/// resolution (a stage with no date column of its own) since 2025-09-01.
fn good_csv() -> String {
    format!(
        "\u{feff}{HEADER}\n\
         JJF(沪)-2023-001,数字温度计校准规范,Digital thermometers,计量校准规范,SH-TC-01,上海市计量测试技术研究院,起草,2023/03/01,,,,,,\n\
         JJF(沪)-2022-002,压力表校准规范,Pressure gauges,calibration_specification,上海市长度计量技术委员会,上海市计量测试技术研究院,promotion,2022-03-01,2022-09-01,2023-03-01,2023-06-01,,JJF(沪) 1100-2023,2023-12-01\n\
         JJF(沪)-2025-003,流量计校准规范,Flow meters,calibration specification,SH-TC-01,上海市计量测试技术研究院,意见处理,2025-03-01,2025-06-01,,,2025-09-01,,\n"
    )
}

/// One problem per row, and a few rows with several.
fn bad_csv() -> String {
    format!(
        "{HEADER}\n\
         JJF(沪)-2024-010,,,计量校准规范,SH-TC-99,院,起草,2024-03-01,,,,,,\n\
         JJF(沪)-2024-011,乙,,规程X,SH-TC-01,院,起草,2024-13-01,,,,,,\n\
         JJF(沪)-2024-012,丙,,计量校准规范,SH-TC-01,院,起草,2024-03-01,2024-06-01,,,,,\n\
         JJF(沪)-2024-013,丁,,计量校准规范,SH-TC-01,院,征求意见,2024-05-01,2024-04-01,,,,,\n\
         JJF(沪)-2024-012,戊,,计量校准规范,SH-TC-01,院,起草,2024-03-01,,,,,,\n\
         JJF(沪)-2026-001,己,,计量校准规范,SH-TC-01,院,起草,2024-03-01,,,,,,\n\
         JJF(沪)-2024-016,庚,,计量校准规范,SH-TC-01,院,nowhere,2024-03-01,,,,,,\n"
    )
}

pub(crate) fn bureau_principal() -> Principal {
    Principal {
        token_id: Uuid::nil(),
        subject: "bureau-li".to_string(),
        role: Role::Supervisor,
        committee: None,
        project_id: None,
    }
}

pub(crate) async fn formed(store: &Store, code: &str) {
    let outcome = store
        .execute_committee(CommitteeCommandRequest {
            committee_id: committee_id_of(code),
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: Actor::new("bureau-li", "supervisor"),
            command: CommitteeCommand::Form {
                committee_id: committee_id_of(code),
                code: code.to_string(),
                name: LocalizedText::new(
                    "上海市长度计量技术委员会",
                    "Shanghai Length Metrology Committee",
                ),
                field: "length".into(),
                legal_metrology: false,
                composition_plan: "沪市监计量〔2026〕1号".into(),
                formed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            },
        })
        .await
        .unwrap();
    assert!(format!("{outcome:?}").contains("Accepted"), "{outcome:?}");
}

/// Every problem as `(row, column, code)`, the column in English.
fn problems(preview: &Preview) -> Vec<(u32, String, String)> {
    preview
        .all_problems()
        .into_iter()
        .map(|problem| {
            let column = problem
                .column
                .as_ref()
                .map(|column| column.en.clone())
                .unwrap_or_default();
            (problem.row, column, problem.code.clone())
        })
        .collect()
}

fn has(found: &[(u32, String, String)], row: u32, column: &str, code: &str) -> bool {
    found
        .iter()
        .any(|(r, c, k)| *r == row && c.contains(column) && k == code)
}

async fn setup(kind: Kind) -> Option<(AppState, Keep)> {
    let (store, _clock, keep, _url) = store(kind).await?;
    formed(&store, "SH-TC-01").await;
    created_project(&store, 1, "SH-TC-01").await;
    let state = AppState {
        store,
        metrics: Metrics::shared(),
    };
    Some((state, keep))
}

async fn project_count(store: &Store) -> usize {
    store
        .list_projects(&Default::default(), None, 100)
        .await
        .unwrap()
        .items
        .len()
}

conformance!(
    a_bad_csv_is_previewed_with_every_problem_by_row_and_column_and_nothing_is_written,
    |kind| async move {
        let Some((state, _keep)) = setup(kind).await else {
            return;
        };
        let principal = bureau_principal();
        let csv = bad_csv();
        let file = ImportFile {
            name: "bad.csv",
            bytes: csv.as_bytes(),
        };
        let imported = import(&state, &principal, file, None).await.unwrap();
        assert!(imported.outcomes.is_empty());
        let found = problems(&imported.preview);
        assert!(has(&found, 2, "title_zh", "missing_value"), "{found:?}");
        assert!(
            has(&found, 2, "committee", "unknown_committee"),
            "{found:?}"
        );
        assert!(
            has(
                &found,
                3,
                "specification_kind",
                "unknown_specification_kind"
            ),
            "{found:?}"
        );
        assert!(has(&found, 3, "approved_on", "not_a_date"), "{found:?}");
        assert!(
            has(&found, 4, "consulted_on", "date_after_stage_reached"),
            "{found:?}"
        );
        assert!(
            has(&found, 5, "consulted_on", "dates_out_of_order"),
            "{found:?}"
        );
        assert!(has(&found, 6, "code", "code_repeated"), "{found:?}");
        assert!(has(&found, 7, "code", "code_taken"), "{found:?}");
        assert!(has(&found, 8, "stage", "unknown_stage"), "{found:?}");
        let message = &imported.preview.all_problems()[0].message;
        assert!(!message.zh.is_empty() && !message.en.is_empty());
        assert_eq!(project_count(&state.store).await, 1, "nothing was written");
    }
);

conformance!(
    a_good_csv_creates_each_project_at_its_stage_with_its_dates_once_and_an_old_draft_is_overdue,
    |kind| async move {
        let Some((state, _keep)) = setup(kind).await else {
            return;
        };
        let principal = bureau_principal();
        let csv = good_csv();
        let file = ImportFile {
            name: "projects.csv",
            bytes: csv.as_bytes(),
        };
        let first = preview(&state, &principal, file, None).await.unwrap();
        assert!(first.is_clean(), "{:?}", problems(&first));
        assert_eq!(
            project_count(&state.store).await,
            1,
            "a preview writes nothing"
        );
        let imported = import(&state, &principal, file, None).await.unwrap();
        let outcomes: Vec<RowOutcome> = imported.outcomes.iter().map(|(_, _, o)| *o).collect();
        assert_eq!(outcomes, vec![RowOutcome::Created; 3]);
        assert_eq!(project_count(&state.store).await, 4);

        let drafting = &imported.preview.rows[0];
        let view = state
            .store
            .project(drafting.project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.state.stage(), "drafting");
        let published = state
            .store
            .project(imported.preview.rows[1].project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(published.state.stage(), "promotion");
        assert_eq!(published.state.visits.len(), 4);
        assert_eq!(
            published
                .state
                .publication
                .as_ref()
                .unwrap()
                .specification_number,
            "JJF(沪) 1100-2023"
        );
        let resolution = state
            .store
            .project(imported.preview.rows[2].project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resolution.state.stage(), "resolution");

        // The audit record says the project was imported, from which file, sheet and row.
        let history = state
            .store
            .history(drafting.project_id, 0, 10)
            .await
            .unwrap();
        let created = &history.records[0];
        assert_eq!(created.event_type, "project_created");
        let event: serde_json::Value = serde_json::from_str(&created.event).unwrap();
        let source = &event["imported"]["source"];
        assert_eq!(source["file_sha256"], imported.preview.file_sha256.as_str());
        assert_eq!(source["sheet"], "projects.csv");
        assert_eq!(source["row"], 2);
        assert_eq!(
            event["imported"]["milestones"][0]["reached_on"],
            "2023-03-01"
        );

        // Drafting since 2023: after a tick (what the scheduler runs) it is on the overdue board.
        state.store.tick_project(drafting.project_id).await.unwrap();
        let overdue = state.store.list_overdue(None, None, 50).await.unwrap();
        assert!(
            overdue
                .items
                .iter()
                .any(|item| item.project_id == drafting.project_id),
            "{overdue:?}"
        );

        // The same file again creates nothing.
        let again = import(&state, &principal, file, None).await.unwrap();
        let outcomes: Vec<RowOutcome> = again.outcomes.iter().map(|(_, _, o)| *o).collect();
        assert_eq!(outcomes, vec![RowOutcome::AlreadyImported; 3]);
        assert_eq!(project_count(&state.store).await, 4);
        let history = state
            .store
            .history(drafting.project_id, 0, 100)
            .await
            .unwrap();
        assert_eq!(history.records[0].sequence, 1);
        assert!(
            history
                .records
                .iter()
                .filter(|r| r.event_type == "project_created")
                .count()
                == 1
        );
    }
);

/// A date as year, month and day.
type Ymd = (u16, u8, u8);

/// A row of the XLSX test file: code, title, stage, approval date and consultation date.
type XlsxRow<'a> = (&'a str, &'a str, &'a str, Ymd, Option<Ymd>);

/// An XLSX file with English headers and Excel date cells, one good row and one bad.
fn xlsx(good_only: bool) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Bureau list").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let headers = [
        "code",
        "Chinese title",
        "specification kind",
        "committee",
        "drafting unit",
        "stage",
        "approval date",
        "consultation date",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    let rows: &[XlsxRow<'_>] = &[
        (
            "JJF(沪)-2024-021",
            "电子天平校准规范",
            "public consultation",
            (2024, 3, 1),
            Some((2025, 11, 1)),
        ),
        (
            "JJF(沪)-2024-022",
            "砝码校准规范",
            "drafting",
            (2024, 3, 1),
            Some((2024, 6, 1)),
        ),
    ];
    let rows = if good_only { &rows[..1] } else { rows };
    for (index, (code, title, stage, approved, consulted)) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, *code).unwrap();
        sheet.write_string(row, 1, *title).unwrap();
        sheet
            .write_string(row, 2, "calibration_specification")
            .unwrap();
        sheet.write_string(row, 3, "SH-TC-01").unwrap();
        sheet
            .write_string(row, 4, "上海市计量测试技术研究院")
            .unwrap();
        sheet.write_string(row, 5, *stage).unwrap();
        let (y, m, d) = *approved;
        sheet
            .write_datetime_with_format(row, 6, ExcelDateTime::from_ymd(y, m, d).unwrap(), &date)
            .unwrap();
        if let Some((y, m, d)) = consulted {
            sheet
                .write_datetime_with_format(
                    row,
                    7,
                    ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                    &date,
                )
                .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

conformance!(
    an_xlsx_with_english_headers_and_date_cells_reads_as_a_csv_does,
    |kind| async move {
        let Some((state, _keep)) = setup(kind).await else {
            return;
        };
        let principal = bureau_principal();
        let bad = xlsx(false);
        let file = ImportFile {
            name: "bureau.xlsx",
            bytes: &bad,
        };
        let imported = import(&state, &principal, file, None).await.unwrap();
        assert!(imported.outcomes.is_empty());
        let found = problems(&imported.preview);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            has(&found, 3, "consultation date", "date_after_stage_reached"),
            "{found:?}"
        );
        assert_eq!(project_count(&state.store).await, 1);

        let good = xlsx(true);
        let file = ImportFile {
            name: "bureau.xlsx",
            bytes: &good,
        };
        let imported = import(&state, &principal, file, None).await.unwrap();
        assert_eq!(
            imported.outcomes.len(),
            1,
            "{:?}",
            problems(&imported.preview)
        );
        assert_eq!(imported.preview.sheet, "Bureau list");
        let view = state
            .store
            .project(imported.preview.rows[0].project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.state.stage(), "consultation");
        let entered = view.state.visits.last().unwrap().entered_at;
        assert_eq!(entered.to_rfc3339(), "2025-10-31T16:00:00+00:00");
    }
);

conformance!(
    the_templates_example_row_imports_as_it_is,
    |kind| async move {
        let Some((state, _keep)) = setup(kind).await else {
            return;
        };
        let definition = state
            .store
            .latest_definition("metrology-spec")
            .await
            .unwrap();
        let committees = state.store.list_committees().await.unwrap();
        let bytes = template(&definition, &committees).unwrap();
        let file = ImportFile {
            name: "template.xlsx",
            bytes: &bytes,
        };
        let preview = preview(&state, &bureau_principal(), file, None)
            .await
            .unwrap();
        assert!(preview.is_clean(), "{:?}", problems(&preview));
        assert_eq!(preview.rows.len(), 1);
        assert_eq!(preview.rows[0].stage, "consultation");
    }
);

conformance!(
    the_bureau_previews_then_imports_a_file_from_the_import_page,
    |kind| async move {
        use crate::pages::{get, post, send, session, site};
        use axum::http::StatusCode;
        use specflow_web::pages::csrf_token_for;
        let Some(site) = site(kind).await else {
            return;
        };
        formed(&site.store, "SH-TC-01").await;
        let secretariat = send(&site.app, get("/import", &session(&site.secretariat))).await;
        assert_eq!(
            secretariat.status,
            StatusCode::FORBIDDEN,
            "{}",
            secretariat.body
        );

        let cookie = session(&site.supervisor);
        let csrf = csrf_token_for(&site.supervisor);
        let page = send(&site.app, get("/import", &cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("href=\"/import/template.xlsx\""),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("enctype=\"multipart/form-data\""),
            "{}",
            page.body
        );
        let template = send(&site.app, get("/import/template.xlsx", &cookie)).await;
        assert_eq!(template.status, StatusCode::OK);
        assert!(template.header("content-type").contains("spreadsheetml"));

        let before = project_count(&site.store).await;
        let bad = bad_csv();
        let preview = send(
            &site.app,
            crate::forms::upload(
                "/import",
                &cookie,
                &[("csrf", &csrf)],
                Some(("bad.csv", bad.as_bytes())),
            ),
        )
        .await;
        assert_eq!(
            preview.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains("id=\"import-problems\""),
            "{}",
            preview.body
        );
        assert!(preview.body.contains("SH-TC-99"), "{}", preview.body);
        assert!(
            !preview.body.contains("id=\"import-confirm\""),
            "{}",
            preview.body
        );
        assert_eq!(project_count(&site.store).await, before);

        let good = good_csv();
        let preview = send(
            &site.app,
            crate::forms::upload(
                "/import",
                &cookie,
                &[("csrf", &csrf)],
                Some(("projects.csv", good.as_bytes())),
            ),
        )
        .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(
            preview.body.contains("id=\"import-confirm\""),
            "{}",
            preview.body
        );
        assert_eq!(
            project_count(&site.store).await,
            before,
            "a preview writes nothing"
        );

        // A file changed between the preview and the confirmation is refused.
        let tampered = send(
            &site.app,
            post(
                "/import",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("file_name", "projects.csv"),
                    ("table", &hex::encode(bad.as_bytes())),
                    ("sha256", &preview.field("sha256")),
                    ("confirmed", "yes"),
                ],
            ),
        )
        .await;
        assert_eq!(
            tampered.status,
            StatusCode::BAD_REQUEST,
            "{}",
            tampered.body
        );
        assert_eq!(project_count(&site.store).await, before);

        let confirmed = send(
            &site.app,
            post(
                "/import",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("file_name", "projects.csv"),
                    ("table", &preview.field("table")),
                    ("sha256", &preview.field("sha256")),
                    ("confirmed", "yes"),
                ],
            ),
        )
        .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        assert!(
            confirmed.body.contains("id=\"import-result\""),
            "{}",
            confirmed.body
        );
        assert_eq!(project_count(&site.store).await, before + 3);
    }
);

/// Posts a file to `POST /api/v1/imports/projects`, in English; returns the status and the
/// JSON answer.
async fn post_import(
    app: &axum::Router,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (axum::http::StatusCode, serde_json::Value) {
    let path = format!("/api/v1/imports/projects{query}");
    let answer = crate::api::call(axum::http::Method::POST, &path, Some(token))
        .header("accept-language", "en")
        .typed(app, content_type, body)
        .await;
    (answer.status, answer.json())
}

conformance!(
    the_api_previews_refuses_a_bad_file_whole_imports_a_good_one_once_and_serves_the_template,
    |kind| async move {
        use axum::http::StatusCode;
        let Some(api) = crate::api::api(kind).await else {
            return;
        };
        formed(&api.store, "SH-TC-01").await;
        let bureau = crate::api::token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let secretariat = crate::api::token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let app = &api.app;

        // A secretariat may not import: the bureau's.
        let (status, refused) =
            post_import(app, &secretariat, "", "text/csv", good_csv().into_bytes()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

        // The preview of a bad file: every row with its problems in English, nothing written.
        let (status, preview) = post_import(
            app,
            &bureau,
            "?dry_run=true&file_name=bad.csv",
            "text/csv",
            bad_csv().into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["imported"], false);
        assert_eq!(preview["ready"], false);
        assert_eq!(preview["sheet"], "bad.csv");
        let rows = preview["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0]["row"], 2);
        assert_eq!(rows[0]["outcome"], "refused");
        let codes: Vec<&str> = rows[0]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|problem| problem["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"missing_value"), "{codes:?}");
        assert_eq!(project_count(&api.store).await, 0);

        // Importing it is refused whole: a 422 naming each problem's row and column.
        let (status, problem) =
            post_import(app, &bureau, "", "text/csv", bad_csv().into_bytes()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let reasons = problem["unmet"].as_array().unwrap();
        assert!(reasons.len() >= 8, "{problem}");
        assert!(
            reasons
                .iter()
                .any(|reason| reason["code"] == "unknown_stage"
                    && reason["figures"]["row"] == 8
                    && reason["figures"]["column"] == "当前阶段 stage"),
            "{problem}"
        );
        assert_eq!(project_count(&api.store).await, 0);

        // A file that is not a spreadsheet at all, said so.
        let (status, problem) =
            post_import(app, &bureau, "", "application/json", b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");

        // The good file: previewed, imported in one go, and again creates nothing.
        let (status, preview) = post_import(
            app,
            &bureau,
            "?dry_run=true",
            "text/csv",
            good_csv().into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["ready"], true);
        assert!(
            preview["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|row| row["outcome"] == "would_create")
        );
        let (status, imported) =
            post_import(app, &bureau, "", "text/csv", good_csv().into_bytes()).await;
        assert_eq!(status, StatusCode::OK, "{imported}");
        assert_eq!(imported["imported"], true);
        assert_eq!(imported["created"], 3);
        assert_eq!(project_count(&api.store).await, 3);
        let (status, again) =
            post_import(app, &bureau, "", "text/csv", good_csv().into_bytes()).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["created"], 0);
        assert_eq!(again["already_imported"], 3);
        assert_eq!(project_count(&api.store).await, 3);

        // The template, as a workbook.
        let template = crate::api::call(
            axum::http::Method::GET,
            "/api/v1/imports/projects/template",
            Some(&bureau),
        )
        .empty(app)
        .await;
        assert_eq!(template.status, StatusCode::OK);
        assert!(template.body().starts_with(b"PK\x03\x04"));
    }
);

conformance!(
    imported_milestones_count_by_their_dates_in_the_reports_and_on_the_public_page,
    |kind| async move {
        let Some(site) = crate::pages::site(kind).await else {
            return;
        };
        formed(&site.store, "SH-TC-01").await;
        let state = AppState {
            store: site.store.clone(),
            metrics: Metrics::shared(),
        };
        // Published in 2023, imported in 2026.
        let csv = format!(
            "\u{feff}{HEADER}\n\
             JJF(沪)-2023-001,数字温度计校准规范,Digital thermometers,计量校准规范,SH-TC-01,上海市计量测试技术研究院,promotion,2023-01-10,2023-03-01,2023-05-01,2023-06-01,,JJF(沪) 1100-2023,2023-12-01\n"
        );
        let file = ImportFile {
            name: "projects.csv",
            bytes: csv.as_bytes(),
        };
        let imported = import(&state, &bureau_principal(), file, None)
            .await
            .unwrap();
        assert_eq!(
            imported
                .outcomes
                .iter()
                .map(|(_, _, o)| *o)
                .collect::<Vec<_>>(),
            vec![RowOutcome::Created]
        );

        // The 2023 report, written before the import's record existed in its period.
        let report = site
            .store
            .report(&specflow_store::ReportRequest {
                kind: specflow_engine::report::ReportKind::Annual,
                committee: Some("SH-TC-01".to_string()),
                first_day: chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
                last_day: chrono::NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
            })
            .await
            .unwrap();
        for entries in [&report.milestones.approved, &report.milestones.published] {
            assert_eq!(entries.len(), 1, "{report:#?}");
            assert!(entries[0].imported && entries[0].records == vec![1]);
            assert_eq!(entries[0].project.code, "JJF(沪)-2023-001");
        }
        assert_eq!(report.projects.len(), 1);

        let cookie = crate::pages::session(&site.supervisor);
        let english = format!("{cookie}; {}=en", specflow_web::pages::LANGUAGE_COOKIE);
        for (cookies, mark, provenance) in [
            (
                cookie.clone(),
                "（导入）",
                "标注“导入”的行来自导入的项目历史",
            ),
            (
                english,
                "(imported)",
                "come from an imported project history",
            ),
        ] {
            let page = crate::pages::send(
                &site.app,
                crate::pages::get("/committees/SH-TC-01/reports/annual?year=2023", &cookies),
            )
            .await;
            assert_eq!(page.status, axum::http::StatusCode::OK, "{}", page.body);
            assert!(page.body.contains(provenance), "{}", page.body);
            for table in ["approved", "published"] {
                let start = page
                    .body
                    .find(&format!("<table id=\"table-{table}\">"))
                    .unwrap();
                let end = start + page.body[start..].find("</table>").unwrap();
                let html = &page.body[start..end];
                assert!(html.contains("JJF(沪)-2023-001"), "{html}");
                assert!(
                    html.contains(&format!("#1</a> <span class=\"imported\">{mark}</span>")),
                    "{html}"
                );
            }
            // The year of the import counts none of them again.
            let later = crate::pages::send(
                &site.app,
                crate::pages::get("/committees/SH-TC-01/reports/annual?year=2026", &cookies),
            )
            .await;
            assert!(!later.body.contains("class=\"imported\""), "{}", later.body);
        }

        // Public since its imported publication, each milestone dated by the file and marked.
        let code = percent_encoding::utf8_percent_encode(
            "JJF(沪)-2023-001",
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        let list = crate::pages::send(&site.app, crate::pages::get("/public", "")).await;
        assert!(list.body.contains("JJF(沪)-2023-001"), "{}", list.body);
        let public =
            crate::pages::send(&site.app, crate::pages::get(&format!("/public/{code}"), "")).await;
        assert_eq!(public.status, axum::http::StatusCode::OK, "{}", public.body);
        for (milestone, day) in [
            ("approved", "2023-01-10"),
            ("consulted", "2023-03-01"),
            ("reviewed", "2023-05-01"),
            ("published", "2023-06-01"),
        ] {
            let marker = format!("data-milestone=\"{milestone}\" data-imported=\"true\"");
            let start = public
                .body
                .find(&marker)
                .unwrap_or_else(|| panic!("{marker}: {}", public.body));
            let item = &public.body[start..start + public.body[start..].find("</li>").unwrap()];
            assert!(item.contains(&format!("datetime=\"{day}\"")), "{item}");
            assert!(item.contains("导入") && item.contains("记录 1"), "{item}");
        }
    }
);
