//! Reports through the store and the API, on SQLite and PostgreSQL: projects built from the example
//! scenarios through the real write path (the scheduler firing their deadlines), reports that
//! trace their figures to the stored records and do not change when records are appended after
//! their period, and every kind of bad input answered with a problem, never a 500.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use specflow_engine::Command;
use specflow_engine::report::ReportKind;
use specflow_engine::scenario::parse_scenario;
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_store::{Clock, ManualClock, Store};
use specflow_store::{CommandOutcome, CommandRequest, ReportRequest};
use specflow_web::{AppState, router};
use tower::ServiceExt;
use uuid::Uuid;

const COMMITTEE: &str = "SH-TC-01";
const OTHER_COMMITTEE: &str = "SH-TC-02";

/// The scenarios run, with the committee each project belongs to.
const SCENARIOS: [(&str, &str); 3] = [
    (
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
        COMMITTEE,
    ),
    (
        include_str!("../../../workflows/scenarios/overdue-with-extension.toml"),
        COMMITTEE,
    ),
    (
        include_str!("../../../workflows/scenarios/cancelled.toml"),
        OTHER_COMMITTEE,
    ),
];

/// Lets the scheduler fire everything due up to `until`, moving the clock as it goes.
pub(crate) async fn run_clock_to(
    store: &Store,
    clock: &ManualClock,
    scheduler: &Scheduler,
    until: DateTime<Utc>,
) {
    while let Some(next) = store.earliest_deadline().await.unwrap() {
        if next > until {
            break;
        }
        if next > clock.now() {
            clock.set(next);
        }
        let round = scheduler.run_due(None).await.unwrap();
        assert_eq!(round.failures, 0);
        if round.events_fired == 0 {
            break;
        }
    }
    if until > clock.now() {
        clock.set(until);
    }
}

/// Runs the scenarios' steps after `after` and up to `until` through the store, interleaved in
/// time, each as a project of its own; returns the project ids.
pub(crate) async fn scenario_projects(
    store: &Store,
    clock: &ManualClock,
    after: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
) -> Vec<Uuid> {
    let scheduler = Scheduler::new(
        store.clone(),
        SchedulerOptions::default(),
        Metrics::shared(),
    );
    let mut steps = Vec::new();
    let mut ids = Vec::new();
    for (index, (text, committee)) in SCENARIOS.iter().enumerate() {
        let scenario = parse_scenario("scenario", text).unwrap();
        let project_id = Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_2000 + index as u128);
        ids.push(project_id);
        for step in scenario.steps {
            if step.at > until {
                break;
            }
            if after.is_some_and(|after| step.at <= after) {
                continue;
            }
            let mut command = step.command;
            if let Command::CreateProject(project) = &mut command {
                project.project_id = project_id;
                project.code = format!("JJG(沪)-2026-{:03}", index + 1);
                project.committee = committee.to_string();
            }
            steps.push((step.at, project_id, step.actor, command));
        }
    }
    steps.sort_by_key(|(at, ..)| *at);
    for (at, project_id, actor, command) in steps {
        run_clock_to(store, clock, &scheduler, at).await;
        let outcome = store
            .execute(CommandRequest {
                project_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor,
                command,
            })
            .await
            .unwrap();
        // The scenarios refuse some steps on purpose; the rest must go through.
        let _ = matches!(outcome, CommandOutcome::Accepted { .. });
    }
    run_clock_to(store, clock, &scheduler, until).await;
    ids
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn annual(committee: Option<&str>, year: i32) -> ReportRequest {
    ReportRequest {
        kind: if committee.is_some() {
            ReportKind::Annual
        } else {
            ReportKind::Bureau
        },
        committee: committee.map(str::to_string),
        first_day: NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        last_day: NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
    }
}

conformance!(
    a_report_for_a_past_year_does_not_change_when_records_are_appended_after_it,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let end_of_2026 = instant("2027-01-01T08:00:00+08:00");
        scenario_projects(&store, &clock, None, end_of_2026).await;
        let at_the_end_of_2026 = store.report(&annual(Some(COMMITTEE), 2026)).await.unwrap();
        // The projects go on into 2027: new records, some by the scheduler.
        scenario_projects(
            &store,
            &clock,
            Some(end_of_2026),
            instant("2027-03-02T00:00:00+08:00"),
        )
        .await;
        let later = store.report(&annual(Some(COMMITTEE), 2026)).await.unwrap();
        assert_eq!(at_the_end_of_2026, later);
        let in_2027 = store.report(&annual(Some(COMMITTEE), 2027)).await.unwrap();
        assert_ne!(in_2027, later);
        assert_eq!(later.committees, vec![COMMITTEE.to_string()]);
        assert_eq!(later.projects.len(), 2);
        let bureau = store.report(&annual(None, 2026)).await.unwrap();
        assert_eq!(bureau.projects.len(), 3);
        assert_eq!(bureau.milestones.cancelled.len(), 1);
    }
);

conformance!(
    a_figure_matches_a_count_of_the_stored_records,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let ids =
            scenario_projects(&store, &clock, None, instant("2027-03-02T00:00:00+08:00")).await;
        let report = store.report(&annual(Some(COMMITTEE), 2026)).await.unwrap();
        let period = report.period;
        // Meetings held in 2026, counted from each project's history as the API serves it.
        let mut meetings = Vec::new();
        for project_id in ids.iter().take(2) {
            let page = store.history(*project_id, 0, 1000).await.unwrap();
            for record in page.records {
                if record.event_type == "meeting_recorded" && record.recorded_at < period.end {
                    let event: Value = serde_json::from_str(&record.event).unwrap();
                    let held_on: NaiveDate = event["held_on"].as_str().unwrap().parse().unwrap();
                    if period.contains_day(held_on) {
                        meetings.push((*project_id, record.sequence));
                    }
                }
            }
        }
        let mut reported: Vec<(Uuid, u64)> = report
            .meetings
            .iter()
            .map(|meeting| (meeting.project.project_id, meeting.records[0]))
            .collect();
        meetings.sort();
        reported.sort();
        assert!(!meetings.is_empty());
        assert_eq!(reported, meetings);
    }
);

async fn get(app: &axum::Router, path: &str, token: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(
            Request::get(path)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).to_string(),
    )
}

/// A router over the scenario's projects as of 2026-12-01: the router, a supervisor's token, the
/// committee's report routes, and the database kept while the test runs.
async fn scenario_api(kind: Kind) -> Option<(axum::Router, String, String, Keep)> {
    let (store, clock, keep, _url) = store(kind).await?;
    scenario_projects(&store, &clock, None, instant("2026-12-01T00:00:00+08:00")).await;
    let app = router(AppState {
        store: store.clone(),
        metrics: Metrics::shared(),
    });
    let (created, _) = store
        .create_token("bureau-li", Role::Supervisor, None, None, None)
        .await
        .unwrap();
    let supervisor = created.bearer().to_string();
    let base = format!("/api/v1/committees/{COMMITTEE}/reports");
    Some((app, supervisor, base, keep))
}

conformance!(
    reports_answer_every_format_and_every_bad_input_with_a_problem,
    |kind| async move {
        let Some((app, supervisor, base, _keep)) = scenario_api(kind).await else {
            return;
        };

        let (status, content_type, body) =
            get(&app, &format!("{base}/annual?year=2026"), &supervisor).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(content_type, "application/json");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["kind"], "annual");
        assert_eq!(json["committee"], COMMITTEE);
        assert!(
            !json["milestones"]["approved"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let (status, content_type, body) = get(
            &app,
            &format!("{base}/annual?year=2026&format=md&lang=en"),
            &supervisor,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/markdown; charset=utf-8");
        assert!(
            body.starts_with("# SH-TC-01 annual work report 2026"),
            "{body}"
        );
        let (status, content_type, body) = get(
            &app,
            &format!("{base}/annual?year=2026&format=html"),
            &supervisor,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(
            body.contains("年度工作报告") && body.contains("<svg"),
            "{body}"
        );
        let (status, _, body) = get(
            &app,
            &format!("{base}/term?from=2026-01-01&to=2026-06-30&format=md"),
            &supervisor,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("届末工作报告"));
        let (status, _, body) = get(&app, "/api/v1/reports/annual?year=2026", &supervisor).await;
        assert_eq!(status, StatusCode::OK);
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["committees"].as_array().unwrap().len(), 2);

        // A year with no data: an empty but valid report.
        let (status, _, body) = get(&app, &format!("{base}/annual?year=2019"), &supervisor).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["projects"], serde_json::json!([]));
        assert_eq!(json["overdue_by_month"].as_array().unwrap().len(), 12);

        // Bad input: a problem document naming what is wrong, never a 500.
        for (path, status, field) in [
            (
                "/api/v1/committees/SH-TC-99/reports/annual?year=2026".to_string(),
                404,
                None,
            ),
            (format!("{base}/annual?year=99999"), 400, Some("year")),
            (format!("{base}/annual?year=1066"), 400, Some("year")),
            (format!("{base}/annual?year=-5"), 400, Some("year")),
            (format!("{base}/annual?year=twenty"), 400, Some("year")),
            (format!("{base}/annual"), 400, None),
            (
                format!("{base}/annual?year=2026&format=pdf"),
                400,
                Some("format"),
            ),
            (
                format!("{base}/annual?year=2026&lang=fr"),
                400,
                Some("lang"),
            ),
            (format!("{base}/annual?year=2026&colour=red"), 400, None),
            (
                format!("{base}/term?from=2026-12-31&to=2026-01-01"),
                400,
                Some("to"),
            ),
            (
                format!("{base}/term?from=2026-02-30&to=2026-12-31"),
                400,
                Some("from"),
            ),
            (
                format!("{base}/term?from=0001-01-01&to=2026-12-31"),
                400,
                Some("from"),
            ),
            (format!("{base}/term?from=2026-01-01"), 400, None),
            (
                "/api/v1/reports/annual?year=10000".to_string(),
                400,
                Some("year"),
            ),
        ] {
            let (answered, content_type, body) = get(&app, &path, &supervisor).await;
            assert_eq!(answered.as_u16(), status, "{path}: {body}");
            assert_eq!(content_type, "application/problem+json", "{path}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            if let Some(field) = field {
                assert_eq!(problem["field"], field, "{path}: {problem}");
            }
        }
    }
);

/// The text between `start` and the next `end` after it, from `from` on.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let begin = text.find(start)? + start.len();
    let length = text[begin..].find(end)?;
    Some(&text[begin..begin + length])
}

/// The HTML text of a header cell as a reader sees it.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// One table of a report page: its id, its headers and how many rows it shows.
struct PageTable {
    id: String,
    headers: Vec<String>,
    rows: usize,
    /// The addresses of its Excel and CSV links.
    xlsx: String,
    csv: String,
}

/// Every table of a report page, as the page draws it.
fn page_tables(body: &str) -> Vec<PageTable> {
    let mut tables = Vec::new();
    for piece in body.split("<table id=\"table-").skip(1) {
        let id = piece[..piece.find('"').unwrap()].to_string();
        let table = &piece[..piece.find("</table>").unwrap()];
        let header_row = between(table, "<thead><tr>", "</tr></thead>").unwrap();
        let headers = header_row
            .split("<th>")
            .skip(1)
            .map(|cell| unescape(cell.trim_end_matches("</th>")))
            .collect();
        let rows = between(table, "<tbody>", "</tbody>")
            .unwrap()
            .matches("<tr>")
            .count();
        let link = |format: &str| {
            let marker = format!("id=\"table-{id}-{format}\" href=\"");
            unescape(
                between(table, &marker, "\"")
                    .unwrap_or_else(|| panic!("no {format} link by {id}: {table}")),
            )
        };
        tables.push(PageTable {
            xlsx: link("xlsx"),
            csv: link("csv"),
            id,
            headers,
            rows,
        });
    }
    tables
}

conformance!(
    each_table_of_a_report_page_downloads_alone_in_the_language_it_was_read_in,
    |kind| async move {
        let Some(site) = crate::pages::site(kind).await else {
            return;
        };
        scenario_projects(
            &site.store,
            &site.clock,
            None,
            instant("2026-12-31T12:00:00+08:00"),
        )
        .await;
        // The clock has moved on a year: a session of today's.
        let session_id = site
            .store
            .sign_in_with_token(&site.supervisor_token, "127.0.0.1")
            .await
            .unwrap()
            .session_id()
            .to_string();
        let supervisor = crate::pages::session(&session_id);
        let english_cookie = format!("{supervisor}; {}=en", specflow_web::pages::LANGUAGE_COOKIE);
        for (cookies, lang, summary_header) in [
            (supervisor.clone(), "zh", "项目"),
            (english_cookie.clone(), "en", "Figure"),
        ] {
            let page = crate::pages::send(
                &site.app,
                crate::pages::get("/committees/SH-TC-01/reports/annual?year=2026", &cookies),
            )
            .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            // The whole report's downloads stay at the top.
            assert!(
                page.body
                    .contains("href=\"/committees/SH-TC-01/reports/annual.xlsx?year=2026\""),
                "{}",
                page.body
            );
            let tables = page_tables(&page.body);
            let ids: Vec<&str> = tables.iter().map(|table| table.id.as_str()).collect();
            for id in [
                "summary",
                "approved",
                "stage_durations",
                "meetings",
                "projects",
            ] {
                assert!(ids.contains(&id), "{id} not in {ids:?}");
            }
            // One pair of links per table, and none anywhere else.
            assert_eq!(
                page.body
                    .matches("class=\"table-downloads no-print\"")
                    .count(),
                tables.len()
            );
            assert_eq!(tables[0].headers[0], summary_header);
            for table in &tables {
                let id = &table.id;
                let base = "/committees/SH-TC-01/reports/annual";
                assert_eq!(
                    table.csv,
                    format!("{base}.csv?year=2026&table={id}&lang={lang}")
                );
                assert_eq!(
                    table.xlsx,
                    format!("{base}.xlsx?year=2026&table={id}&lang={lang}")
                );
                // Followed without a language cookie: the link's `lang` decides.
                let csv =
                    crate::pages::send(&site.app, crate::pages::get(&table.csv, &supervisor)).await;
                assert_eq!(csv.status, StatusCode::OK, "{id}: {}", csv.body);
                assert!(
                    csv.header("content-disposition")
                        .contains(&format!("SH-TC-01-annual-2026-01-01-2026-12-31-{id}.csv")),
                    "{}",
                    csv.header("content-disposition")
                );
                let text = csv.body.trim_start_matches('\u{feff}');
                let records: Vec<Vec<String>> = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(text.as_bytes())
                    .records()
                    .map(|record| record.unwrap().iter().map(str::to_string).collect())
                    .collect();
                // This table only: its headers first, then its rows, no other table's title.
                assert_eq!(records[0], table.headers, "{id}: {text}");
                assert_eq!(records.len(), table.rows + 1, "{id}: {text}");
                let workbook =
                    crate::pages::send(&site.app, crate::pages::get(&table.xlsx, &supervisor))
                        .await;
                assert_eq!(workbook.status, StatusCode::OK, "{id}");
                let response = site
                    .app
                    .clone()
                    .oneshot(crate::pages::get(&table.xlsx, &supervisor))
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{id}");
                let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
                    .await
                    .unwrap();
                let (sheets, rows) = workbook_rows(&bytes);
                assert_eq!(sheets, 1, "{id}");
                assert_eq!(rows[0], table.headers, "{id}");
                assert_eq!(rows.len(), table.rows + 1, "{id}");
            }
        }

        // A table the report does not have, or no table at all: a problem page naming the
        // tables it has, in the reader's language, never a 5xx.
        let base = "/committees/SH-TC-01/reports/annual.csv?year=2026";
        for (query, cookies, status, words) in [
            (
                "&table=nonsense",
                &supervisor,
                StatusCode::BAD_REQUEST,
                "没有名为「nonsense」的表",
            ),
            (
                "&table=nonsense",
                &english_cookie,
                StatusCode::BAD_REQUEST,
                "There is no table 'nonsense'",
            ),
            (
                "&table=per_committee",
                &english_cookie,
                StatusCode::NOT_FOUND,
                "This report has no table 'per_committee'",
            ),
            (
                "&lang=fr",
                &supervisor,
                StatusCode::BAD_REQUEST,
                "lang 应为 zh 或 en",
            ),
        ] {
            let answer = crate::pages::send(
                &site.app,
                crate::pages::get(&format!("{base}{query}"), cookies),
            )
            .await;
            assert_eq!(answer.status, status, "{query}: {}", answer.body);
            assert!(answer.body.contains(words), "{query}: {}", answer.body);
            if query.contains("table") {
                assert!(
                    answer.body.contains("summary") && answer.body.contains("meetings"),
                    "{}",
                    answer.body
                );
            }
        }
        // The report page itself takes no table.
        let page = crate::pages::send(
            &site.app,
            crate::pages::get(
                "/committees/SH-TC-01/reports/annual?year=2026&table=summary",
                &supervisor,
            ),
        )
        .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
    }
);

/// How many sheets a workbook has, and its first sheet's rows as text.
fn workbook_rows(bytes: &[u8]) -> (usize, Vec<Vec<String>>) {
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = workbook.sheet_names();
    let range = workbook.worksheet_range(&names[0]).unwrap();
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    calamine::Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    (names.len(), rows)
}

conformance!(
    the_api_downloads_one_table_of_a_report_and_documents_how,
    |kind| async move {
        let Some((app, supervisor, base, _keep)) = scenario_api(kind).await else {
            return;
        };

        let (status, content_type, body) = get(
            &app,
            &format!("{base}/annual?year=2026&format=csv&table=approved&lang=en"),
            &supervisor,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(content_type.starts_with("text/csv"));
        assert!(
            body.starts_with("\u{feff}Project,Title,Date,Stage,Reason,Records\r\n"),
            "{body}"
        );
        assert!(!body.contains("1. Summary"), "{body}");
        let (status, _, body) = get(
            &app,
            "/api/v1/reports/annual?year=2026&format=csv&table=per_committee",
            &supervisor,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.starts_with("\u{feff}技术委员会,项目"), "{body}");

        for (path, status) in [
            (
                format!("{base}/annual?year=2026&format=csv&table=nope"),
                400,
            ),
            (
                format!("{base}/annual?year=2026&format=xlsx&table=per_committee"),
                404,
            ),
            (
                format!("{base}/annual?year=2026&format=json&table=approved"),
                400,
            ),
            (
                format!("{base}/term?from=2026-01-01&to=2026-06-30&table=approved"),
                400,
            ),
        ] {
            let (answered, content_type, body) = get(&app, &path, &supervisor).await;
            assert_eq!(answered.as_u16(), status, "{path}: {body}");
            assert_eq!(content_type, "application/problem+json", "{path}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["field"], "table", "{path}: {problem}");
            if status == 404 || path.contains("nope") {
                let tables = problem["tables"].as_array().unwrap();
                assert!(tables.contains(&Value::from("approved")), "{problem}");
            }
        }

        // The document states the parameter on each report operation, naming every id.
        let (_, _, body) = get(&app, "/openapi.json", &supervisor).await;
        let document: Value = serde_json::from_str(&body).unwrap();
        for path in [
            "/api/v1/committees/{committee}/reports/annual",
            "/api/v1/committees/{committee}/reports/term",
            "/api/v1/reports/annual",
        ] {
            let parameters = document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap_or_else(|| panic!("{path}"));
            let table = parameters
                .iter()
                .find(|parameter| parameter["name"] == "table")
                .unwrap_or_else(|| panic!("no table parameter on {path}"));
            let description = table["description"].as_str().unwrap();
            for id in specflow_engine::report::TABLE_IDS {
                assert!(
                    description.contains(&format!("`{id}`")),
                    "{id}: {description}"
                );
            }
        }
    }
);
