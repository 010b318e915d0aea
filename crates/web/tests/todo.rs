//! The to-do list, through the API and the pages, on SQLite and PostgreSQL: each role sees its
//! own scope (a drafter their project, a secretariat its committee's, the bureau everything with
//! the extension requests waiting and the frozen projects), each blocked action keeps its guard's
//! kind and parameters, deadlines come earliest first, everyone but auditors lands on it, and the
//! navigation shows its count.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::Value;
use specflow_engine::command::NewProject;
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::CommandOutcome;
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_web::pages::{LANGUAGE_COOKIE, SESSION_COOKIE};
use specflow_web::{AppState, router};
use tower::ServiceExt;
use uuid::Uuid;

/// The workflow of these tests: open for 10 days, frozen a day after missing them.
const TODO_TEST: &str = include_str!("fixtures/todo-test.toml");

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    Answer {
        status,
        location,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

async fn api(app: &Router, token: &str) -> Value {
    let answer = send(
        app,
        Request::get("/api/v1/todo")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

/// A page read in a session signed in with `token` (the pages keep a session id, not the token).
async fn page(site: &Site, path: &str, token: &str, language: &str) -> Answer {
    let session = site
        .store
        .sign_in_with_token(token, "127.0.0.1")
        .await
        .unwrap()
        .session_id()
        .to_string();
    send(
        &site.app,
        Request::get(path)
            .header(
                "cookie",
                format!("{SESSION_COOKIE}={session}; {LANGUAGE_COOKIE}={language}"),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn accepted(store: &specflow_store::Store, project_id: Uuid, actor: Actor, command: Command) {
    let outcome = store
        .execute(request(project_id, actor, command))
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommandOutcome::Accepted { .. }),
        "{outcome:?}"
    );
}

/// The codes of a list's items (each item's `project.code`).
fn codes(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["project"]["code"].as_str().unwrap().to_string())
        .collect()
}

/// Three projects of the to-do workflow and a token per role:
/// T-1 (SH-TC-01) waits for its report; T-2 (SH-TC-01) has it, so `check` is ready, and asks
/// for an extension; T-3 (SH-TC-02) missed its deadline and is frozen.
struct Site {
    app: Router,
    store: specflow_store::Store,
    supervisor: String,
    secretariat: String,
    drafter: String,
    auditor: String,
    _keep: Keep,
}

async fn site(kind: Kind) -> Option<Site> {
    let (store, clock, keep, _url) = store(kind).await?;
    store
        .register_definition("todo-test.toml", TODO_TEST)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (number, committee) in [(1, "SH-TC-01"), (2, "SH-TC-01"), (3, "SH-TC-02")] {
        let project_id = Uuid::new_v4();
        accepted(
            &store,
            project_id,
            secretariat(),
            Command::CreateProject(NewProject {
                project_id,
                code: format!("T-{number}"),
                title: LocalizedText::new(
                    format!("待办测试{number}"),
                    format!("to-do test {number}"),
                ),
                specification_kind: "calibration_specification".to_string(),
                committee: committee.to_string(),
                drafting_unit: "上海市计量测试技术研究院".to_string(),
                definition_id: "todo-test".to_string(),
                definition_version: 1,
                flags: Default::default(),
            }),
        )
        .await;
        ids.push(project_id);
        // Created a day apart, so their deadlines fall due a day apart.
        clock.advance(Duration::days(1));
    }
    accepted(
        &store,
        ids[1],
        secretariat(),
        attach("report", "the report"),
    )
    .await;
    accepted(
        &store,
        ids[1],
        secretariat(),
        Command::RequestExtension {
            request_id: "ext-1".to_string(),
            deadline: "open".to_string(),
            new_due_on: chrono::NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
            reason: "实验室检修".to_string(),
        },
    )
    .await;
    // T-3's deadline (10 days from 2026-01-07) is missed, escalated a day later, and frozen.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-01-19T09:00:00+08:00")
            .unwrap()
            .to_utc(),
    );
    store.tick_project(ids[2]).await.unwrap();
    let token =
        |name: &'static str, role: Role, committee: Option<&'static str>, project: Option<Uuid>| {
            let store = store.clone();
            async move {
                let project = project.map(|id| id.to_string());
                let (created, _) = store
                    .create_token(name, role, committee, project.as_deref(), None)
                    .await
                    .unwrap();
                created.bearer().to_string()
            }
        };
    Some(Site {
        supervisor: token("bureau-li", Role::Supervisor, None, None).await,
        secretariat: token("sec-wang", Role::Secretariat, Some("SH-TC-01"), None).await,
        drafter: token("drafter-zhao", Role::Drafter, None, Some(ids[0])).await,
        auditor: token("audit-sun", Role::Auditor, None, None).await,
        app: router(AppState {
            store: store.clone(),
            metrics: Metrics::shared(),
        }),
        store: store.clone(),
        _keep: keep,
    })
}

conformance!(todo_shows_each_role_its_own_work, |kind| async move {
    let Some(site) = site(kind).await else {
        return;
    };
    let app = &site.app;

    // A drafter sees their project only: nothing they may fire, the report that blocks `check`
    // with the guard's kind and the missing kind, and the project's deadline.
    let drafter = api(app, &site.drafter).await;
    assert_eq!(drafter["role"], "drafter");
    assert_eq!(codes(&drafter["ready"]), Vec::<String>::new());
    assert_eq!(codes(&drafter["blocked"]), ["T-1"]);
    let blocked = &drafter["blocked"][0];
    assert_eq!(blocked["action"], "check");
    assert_eq!(blocked["yours"], false);
    assert_eq!(blocked["roles"], serde_json::json!(["secretariat"]));
    let guard = &blocked["guards"][0];
    assert_eq!(guard["kind"], "artifacts_present", "{guard}");
    assert_eq!(
        guard["parameters"]["artifact_kinds"],
        serde_json::json!(["report"]),
        "{guard}"
    );
    assert!(
        guard["message"].as_str().unwrap().contains("报告"),
        "{guard}"
    );
    assert_eq!(codes(&drafter["deadlines"]), ["T-1"]);
    assert_eq!(drafter["deadlines"][0]["due_on"], "2026-01-15");
    assert_eq!(drafter["deadlines"][0]["days_left"], -4);
    assert!(drafter["supervision"].is_null());
    assert_eq!(drafter["projects_examined"], 1);
    assert_eq!(drafter["truncated"], false);

    // A secretariat sees its committee's: `check` ready on T-2, blocked on T-1, deadlines
    // earliest first; never T-3 of another committee.
    let secretariat = api(app, &site.secretariat).await;
    assert_eq!(codes(&secretariat["ready"]), ["T-2"]);
    assert_eq!(secretariat["ready"][0]["action"], "check");
    assert_eq!(codes(&secretariat["blocked"]), ["T-1"]);
    assert_eq!(secretariat["blocked"][0]["yours"], true);
    assert_eq!(codes(&secretariat["deadlines"]), ["T-1", "T-2"]);
    assert!(secretariat["supervision"].is_null());
    assert!(!secretariat.to_string().contains("T-3"));

    // The bureau sees every project, the extension request waiting, the frozen project and the
    // overdue count; cancelling is never on the list.
    let supervisor = api(app, &site.supervisor).await;
    assert_eq!(codes(&supervisor["deadlines"]), ["T-1", "T-2", "T-3"]);
    assert_eq!(supervisor["deadlines"][2]["missed"], true);
    assert_eq!(supervisor["deadlines"][2]["escalated"], true);
    assert_eq!(codes(&supervisor["ready"]), Vec::<String>::new());
    let supervision = &supervisor["supervision"];
    assert_eq!(codes(&supervision["extension_requests"]), ["T-2"]);
    assert_eq!(supervision["extension_requests"][0]["request_id"], "ext-1");
    assert_eq!(
        supervision["extension_requests"][0]["requested_due_on"],
        "2026-02-20"
    );
    assert_eq!(codes(&supervision["frozen"]), ["T-3"]);
    assert_eq!(supervision["overdue"], 1);
    assert_eq!(supervision["frozen_total"], 1);

    // An auditor changes nothing: an empty list.
    let auditor = api(app, &site.auditor).await;
    assert_eq!(auditor["projects_examined"], 0);
    assert_eq!(auditor["ready"], serde_json::json!([]));
    assert!(auditor["supervision"].is_null());

    // In English, names and reasons are English.
    let english = send(
        app,
        Request::get("/api/v1/todo")
            .header("authorization", format!("Bearer {}", site.drafter))
            .header("accept-language", "en")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(english["blocked"][0]["name"], "check");
    assert_eq!(english["deadlines"][0]["name"], "time to close");

    // Without a token: 401, as every API route.
    let anonymous = send(
        app,
        Request::get("/api/v1/todo").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
});

conformance!(
    everyone_but_auditors_lands_on_the_todo_page,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };

        // A drafter lands on the to-do page, which shows their project and no other, with the count
        // in the navigation (one deadline, and the report they must upload) and the way to the
        // project list.
        let home = page(&site, "/", &site.drafter, "zh").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.location, "/todo");
        let todo = page(&site, "/todo", &site.drafter, "zh").await;
        assert_eq!(todo.status, StatusCode::OK, "{}", todo.body);
        assert!(todo.body.contains("我的待办"), "{}", todo.body);
        assert!(
            todo.body.contains("T-1") && !todo.body.contains("T-2"),
            "{}",
            todo.body
        );
        assert!(
            todo.body.contains(
                "<a href=\"/todo\" aria-current=\"page\">待办 <span class=\"count\">2</span></a>"
            ),
            "{}",
            todo.body
        );
        // The missing report is the drafter's to upload: listed as their work, linked to the form.
        assert!(todo.body.contains("id=\"work\""), "{}", todo.body);
        assert!(
            todo.body
                .contains("?form=attach&amp;kind=report#form-attach"),
            "{}",
            todo.body
        );
        assert!(todo.body.contains("href=\"/projects\""), "{}", todo.body);
        assert!(
            todo.body.contains("data-guard-kind=\"artifacts_present\""),
            "{}",
            todo.body
        );
        assert!(todo.body.contains("已逾期 4 天"), "{}", todo.body);
        // The count follows the reader to every page.
        let projects = page(&site, "/projects", &site.drafter, "zh").await;
        assert_eq!(projects.status, StatusCode::OK, "{}", projects.body);
        assert!(projects.body.contains("我的项目"), "{}", projects.body);
        assert!(
            projects
                .body
                .contains("待办 <span class=\"count\">2</span>"),
            "{}",
            projects.body
        );
        // An old address of the list with filters goes to the list.
        let filtered = page(&site, "/?stage=open", &site.drafter, "zh").await;
        assert_eq!(filtered.status, StatusCode::SEE_OTHER);
        assert_eq!(filtered.location, "/projects?stage=open");

        // A secretariat's page: its committee's projects, `check` ready on T-2.
        let secretariat = page(&site, "/todo", &site.secretariat, "zh").await;
        assert!(secretariat.body.contains("T-2") && !secretariat.body.contains("T-3"));
        assert!(
            secretariat.body.contains("现在可以做"),
            "{}",
            secretariat.body
        );

        // A supervisor's page leads with the overdue count and the board's link, then the
        // extension request and the frozen project; in English by the switch.
        let supervisor = page(&site, "/todo", &site.supervisor, "zh").await;
        assert_eq!(supervisor.status, StatusCode::OK, "{}", supervisor.body);
        let lead = supervisor.body.find("逾期项目 1 个").unwrap();
        let board = supervisor
            .body
            .find("href=\"/overdue\">查看逾期看板")
            .unwrap();
        let extensions = supervisor.body.find("待决定的延期申请").unwrap();
        assert!(lead < board && board < extensions, "{}", supervisor.body);
        assert!(supervisor.body.contains("ext-1") && supervisor.body.contains("已冻结的项目"));
        let english = page(&site, "/todo", &site.supervisor, "en").await;
        assert!(
            english.body.contains("1 overdue project(s)"),
            "{}",
            english.body
        );
        assert!(
            english.body.contains("To do <span class=\"count\">"),
            "{}",
            english.body
        );

        // An auditor keeps the project list as home, with no to-do entry in the navigation.
        let auditor = page(&site, "/", &site.auditor, "zh").await;
        assert_eq!(auditor.status, StatusCode::OK, "{}", auditor.body);
        assert!(auditor.body.contains("我的项目"), "{}", auditor.body);
        assert!(auditor.body.contains("T-3"), "{}", auditor.body);
        assert!(!auditor.body.contains("href=\"/todo\""), "{}", auditor.body);
        assert!(
            auditor.body.contains("href=\"/projects\""),
            "{}",
            auditor.body
        );
    }
);
