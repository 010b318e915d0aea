//! The HTTP API under `/api/v1`, without a socket, on SQLite and PostgreSQL: the success paths
//! of every route, each kind of bad input answered with a problem document, and one table of
//! every route against every role and scope.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::{Value, json};
use sha2::Digest;
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_store::{ManualClock, Store, StoreOptions};
use specflow_web::{AppState, router};
use std::sync::Arc;
use tower::ServiceExt;

/// A router over a fresh store, with the store and clock behind it.
pub(crate) struct Api {
    pub(crate) app: Router,
    pub(crate) store: Store,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) metrics: Arc<Metrics>,
    /// The database's URL, for tests that tamper with it as an insider would.
    pub(crate) url: String,
    _keep: Keep,
}

pub(crate) async fn api(kind: Kind) -> Option<Api> {
    let (store, clock, keep, url) = store(kind).await?;
    let metrics = Metrics::shared();
    Some(Api {
        app: router(AppState {
            store: store.clone(),
            metrics: metrics.clone(),
        }),
        store,
        clock,
        metrics,
        url,
        _keep: keep,
    })
}

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn body(&self) -> &[u8] {
        &self.body
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// Asserts a problem document of `status` and `slug`, and returns it.
    pub(crate) fn problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.text()
        );
        let problem = self.json();
        assert_eq!(
            problem["type"],
            format!("https://specflow.dev/problems/{slug}"),
            "{problem}"
        );
        assert_eq!(problem["status"], status);
        assert!(problem["title"].is_string() && problem["detail"].is_string());
        problem
    }
}

/// One request to the router.
pub(crate) struct Call {
    builder: axum::http::request::Builder,
}

pub(crate) fn call(method: Method, path: &str, token: Option<&str>) -> Call {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    Call { builder }
}

impl Call {
    pub(crate) fn header(mut self, name: &str, value: &str) -> Call {
        self.builder = self.builder.header(name, value);
        self
    }

    async fn send(self, app: &Router, body: Body) -> Answer {
        let response = app
            .clone()
            .oneshot(self.builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn empty(self, app: &Router) -> Answer {
        self.send(app, Body::empty()).await
    }

    pub(crate) async fn json(self, app: &Router, value: &Value) -> Answer {
        self.header("content-type", "application/json")
            .send(app, Body::from(value.to_string()))
            .await
    }

    /// Sends `content` as a body of the media type `content_type`.
    pub(crate) async fn typed(self, app: &Router, content_type: &str, content: Vec<u8>) -> Answer {
        self.header("content-type", content_type)
            .send(app, Body::from(content))
            .await
    }

    pub(crate) async fn bytes(self, app: &Router, content: Vec<u8>) -> Answer {
        self.typed(app, "application/octet-stream", content).await
    }
}

pub(crate) async fn token(
    store: &Store,
    name: &str,
    role: Role,
    committee: Option<&str>,
    project: Option<&str>,
) -> String {
    let (created, _) = store
        .create_token(name, role, committee, project, None)
        .await
        .unwrap();
    created.bearer().to_string()
}

/// The body that creates project `number` of `committee`.
pub(crate) fn new_project(number: usize, committee: &str) -> Value {
    json!({
        "code": format!("JJF(沪)-2026-{number:03}"),
        "title": {"zh": format!("测试规范{number}"), "en": format!("test specification {number}")},
        "specification_kind": "calibration_specification",
        "committee": committee,
        "drafting_unit": "上海市计量测试技术研究院",
        "definition_id": "metrology-spec"
    })
}

/// A passing vote of nine members on the proposal evaluation, in the engine's command form.
fn passing_meeting() -> Value {
    let members: Vec<String> = (1..=9).map(|member| format!("member-{member}")).collect();
    let votes: Vec<Value> = members
        .iter()
        .map(|member| json!({"member": member, "choice": "in_favour"}))
        .collect();
    json!({
        "command": "record_meeting",
        "meeting_id": "M1",
        "motion": "proposal_evaluation",
        "form": "meeting",
        "held_on": "2026-01-05",
        "roll": members,
        "present": members,
        "votes": votes
    })
}

pub(crate) fn codes(problem: &Value) -> Vec<String> {
    problem["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reason| reason["code"].as_str().unwrap().to_string())
        .collect()
}

// Regression: a specification tied to legal or livelihood metrology had no way to be marked,
// so the promotion rule could not reach it (lifecycle-rules.md §4).
conformance!(
    a_project_is_marked_at_creation_and_the_list_filters_by_the_mark,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let mut marked = new_project(1, "SH-TC-01");
        marked["flags"] = json!(["legal_or_livelihood_metrology"]);
        let created = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &marked)
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let plain = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &new_project(2, "SH-TC-01"))
            .await;
        assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.text());

        let read = call(
            Method::GET,
            "/api/v1/projects/JJF(%E6%B2%AA)-2026-001",
            Some(&secretariat),
        )
        .empty(app)
        .await;
        let detail = read.json();
        assert_eq!(detail["flags"], json!(["legal_or_livelihood_metrology"]));
        assert_eq!(
            detail["state"]["project"]["flags"],
            json!(["legal_or_livelihood_metrology"])
        );

        let list = call(
            Method::GET,
            "/api/v1/projects?flag=legal_or_livelihood_metrology",
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text());
        let page = list.json();
        let codes: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["JJF(沪)-2026-001"]);

        // A flag nobody declares is an error naming it and the flags there are.
        let unknown = call(
            Method::GET,
            "/api/v1/projects?flag=livelihood",
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(
            unknown.status,
            StatusCode::BAD_REQUEST,
            "{}",
            unknown.text()
        );
        assert!(
            unknown
                .text()
                .contains("没有项目标记「livelihood」；可用：legal_or_livelihood_metrology"),
            "{}",
            unknown.text()
        );
        let mut wrong = new_project(3, "SH-TC-01");
        wrong["flags"] = json!(["livelihood"]);
        let refused = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &wrong)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text()
        );
        assert!(
            refused.text().contains("未知的项目标记「livelihood」"),
            "{}",
            refused.text()
        );
    }
);

conformance!(
    a_secretariat_creates_reads_and_moves_a_project,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;

        // Created with an Idempotency-Key: a retry gets the same answer and the same project.
        let created = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .header("idempotency-key", "create-001")
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let answer = created.json();
        let project = answer["project_id"].as_str().unwrap().to_string();
        assert_eq!(
            created.header("location"),
            format!("/api/v1/projects/{project}")
        );
        assert_eq!(created.header("etag"), "\"1\"");
        assert_eq!(answer["first_sequence"], 1);
        let again = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .header("idempotency-key", "create-001")
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
        assert_eq!(again.json(), answer);

        // Read by code (percent-encoded) in English: stage, deadlines, actions with unmet guards.
        let read = call(
            Method::GET,
            "/api/v1/projects/JJF(%E6%B2%AA)-2026-001",
            Some(&secretariat),
        )
        .header("accept-language", "en-GB,en;q=0.9")
        .empty(app)
        .await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.text());
        assert_eq!(read.header("etag"), "\"1\"");
        let detail = read.json();
        assert_eq!(detail["project_id"], project.as_str());
        assert_eq!(detail["stage"], "preresearch");
        assert_eq!(detail["stage_name"], "pre-research");
        assert_eq!(detail["state"]["visits"][0]["stage"], "preresearch");
        assert_eq!(detail["state"]["visits"][0]["entered_by"]["id"], "sec-wang");
        let propose = detail["available_actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|action| action["action"] == "propose")
            .unwrap()
            .clone();
        assert_eq!(propose["ready"], false);
        assert!(propose["unmet"].as_array().unwrap().len() >= 2, "{propose}");
        assert!(propose["unmet"][0]["message"].as_str().unwrap().is_ascii());

        // Firing now is refused with every unmet guard, in Chinese by default.
        let refused = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/actions/propose"),
            Some(&secretariat),
        )
        .header("x-request-id", "req-propose-1")
        .empty(app)
        .await;
        let problem = refused.problem(422, "guard-rejected");
        assert_eq!(problem["instance"], "req-propose-1");
        assert_eq!(problem["title"], "条件未满足");
        let refused_codes = codes(&problem);
        assert!(refused_codes.len() >= 2, "{problem}");
        assert!(!refused_codes.contains(&"role_not_permitted".to_string()));
        assert!(problem["unmet"][0]["figures"].is_object(), "{problem}");

        // The proposal itself, uploaded, stored by its digest and attached.
        let content = b"%PDF-1.7 the project proposal".to_vec();
        let digest = hex::encode(sha2::Sha256::digest(&content));
        let uploaded = call(
            Method::POST,
            &format!(
                "/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=proposal.pdf"
            ),
            Some(&secretariat),
        )
        .header("if-match", "\"1\"")
        .bytes(app, content.clone())
        .await;
        assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text());
        assert_eq!(uploaded.json()["sha256"], digest.as_str());
        assert_eq!(uploaded.json()["last_sequence"], 2);
        assert_eq!(uploaded.header("etag"), "\"2\"");
        let downloaded = call(
            Method::GET,
            &format!("/api/v1/artifacts/{digest}"),
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(downloaded.status, StatusCode::OK);
        assert_eq!(downloaded.body, content);
        assert_eq!(
            downloaded.header("content-type"),
            "application/octet-stream"
        );

        // A write expecting an old sequence is a conflict that says where the project is.
        let stale = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("if-match", "\"1\"")
        .json(app, &passing_meeting())
        .await;
        let problem = stale.problem(409, "conflict");
        assert_eq!(problem["current_sequence"], 2);
        assert_eq!(stale.header("etag"), "\"2\"");

        // The meeting with the right sequence, twice under one key: carried out once.
        let meeting = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("if-match", "2")
        .header("idempotency-key", "meeting-M1")
        .json(app, &passing_meeting())
        .await;
        assert_eq!(meeting.status, StatusCode::OK, "{}", meeting.text());
        assert_eq!(meeting.json()["first_sequence"], 3);
        let replayed = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("if-match", "2")
        .header("idempotency-key", "meeting-M1")
        .json(app, &passing_meeting())
        .await;
        assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.text());
        assert_eq!(replayed.json(), meeting.json());

        // Now the action goes through, with a reason in the optional body.
        let fired = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/actions/propose"),
            Some(&secretariat),
        )
        .json(app, &json!({"reason": "evaluated"}))
        .await;
        assert_eq!(fired.status, StatusCode::OK, "{}", fired.text());
        let read = call(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            Some(&secretariat),
        )
        .empty(app)
        .await;
        assert_eq!(read.json()["stage"], "proposal");
        assert_eq!(
            read.json()["state"]["artifacts"][0]["sha256"],
            digest.as_str()
        );
        assert_eq!(read.json()["state"]["meetings"][0]["meeting_id"], "M1");

        // Every record names the token's subject and role.
        let project_id = uuid::Uuid::parse_str(&project).unwrap();
        let history = api.store.history(project_id, 0, 100).await.unwrap();
        assert_eq!(history.records.len(), 4);
        assert!(
            history
                .records
                .iter()
                .all(|record| record.actor_id == "sec-wang" && record.actor_role == "secretariat")
        );

        // The list shows it to its committee.
        let list = call(Method::GET, "/api/v1/projects", Some(&secretariat))
            .empty(app)
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);

        // Each route is counted under its declared path, refusals included.
        let metrics_app = specflow_web::metrics_router(AppState {
            store: api.store.clone(),
            metrics: api.metrics.clone(),
        });
        let metrics = call(Method::GET, "/metrics", None)
            .empty(&metrics_app)
            .await
            .text();
        for series in [
            "specflow_http_requests_total{route=\"/api/v1/projects\",status=\"201\"} 2",
            "specflow_http_requests_total{route=\"/api/v1/projects/{project}/actions/{action}\",status=\"422\"} 1",
            "specflow_http_requests_total{route=\"/api/v1/projects/{project}/commands\",status=\"409\"} 1",
            // Transitions per action, and rejections per guard code.
            "specflow_commands_accepted_total{command=\"fire_action\",action=\"propose\"} 1",
            "specflow_guard_rejections_total{code=\"artifacts_missing\"}",
        ] {
            assert!(metrics.contains(series), "{series} in {metrics}");
        }
    }
);

/// Walks project `number` of SH-TC-01 to drafting through the store, as the secretariat and the
/// bureau would.
pub(crate) async fn project_in_drafting(store: &Store, number: usize) -> uuid::Uuid {
    use specflow_engine::Command;
    let project = created_project(store, number, "SH-TC-01").await;
    let meeting: specflow_engine::command::MeetingRecord = serde_json::from_value({
        let mut meeting = passing_meeting();
        meeting.as_object_mut().unwrap().remove("command");
        meeting
    })
    .unwrap();
    let fire = |action: &str| Command::FireAction {
        action: action.to_string(),
        reason: None,
    };
    for (actor, command) in [
        (secretariat(), attach("project_proposal", "p")),
        (secretariat(), Command::RecordMeeting(meeting)),
        (secretariat(), fire("propose")),
        (secretariat(), attach("project_application", "a")),
        (secretariat(), attach("task_statement", "t")),
        (bureau(), fire("approve_project")),
    ] {
        let outcome = store
            .execute(request(project, actor, command))
            .await
            .unwrap();
        assert!(
            matches!(outcome, specflow_store::CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
    }
    project
}

conformance!(
    the_bureau_and_auditors_see_the_board_the_counts_and_the_logs,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let supervisor = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let auditor = token(&api.store, "audit-zhao", Role::Auditor, None, None).await;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let project = project_in_drafting(&api.store, 1).await;
        let commands = format!("/api/v1/projects/{project}/commands");

        // An extension asked by the secretariat, which may not decide it; the bureau grants it.
        let asked = call(Method::POST, &commands, Some(&secretariat))
            .json(
                app,
                &json!({"command": "request_extension", "request_id": "X1", "deadline": "drafting", "new_due_on": "2027-03-31", "reason": "more tests"}),
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
        let grant = json!({"command": "grant_extension", "request_id": "X1", "reason": "agreed"});
        let problem = call(Method::POST, &commands, Some(&secretariat))
            .json(app, &grant)
            .await
            .problem(403, "forbidden");
        assert!(codes(&problem).contains(&"role_not_permitted".to_string()));
        // An auditor's write is refused in the reader's language, reason included: Chinese by
        // default, no English sentence inside it.
        let refused = call(Method::POST, &commands, Some(&auditor))
            .json(app, &grant)
            .await
            .problem(403, "forbidden");
        let detail = refused["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("只能查看"), "{refused}");
        // Who was refused is named in Chinese too: the role's name, not its code.
        assert!(detail.contains("（审计）"), "{refused}");
        assert!(!detail.contains("changes none"), "{refused}");
        assert!(!detail.contains("(auditor)"), "{refused}");
        let granted = call(Method::POST, &commands, Some(&supervisor))
            .json(app, &grant)
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{}", granted.text());

        // Far past the extended drafting deadline: overdue and escalated.
        api.clock.advance(chrono::Duration::days(500));
        assert!(!api.store.tick_project(project).await.unwrap().is_empty());
        let board = call(Method::GET, "/api/v1/overdue?limit=10", Some(&supervisor))
            .empty(app)
            .await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.text());
        let items = board.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{}", board.text());
        assert_eq!(items[0]["project_id"], project.to_string());
        assert_eq!(items[0]["stage"], "drafting");
        assert_eq!(items[0]["committee"], "SH-TC-01");
        assert_eq!(items[0]["escalated"], true);
        // The board's due date is the missed deadline's own due date (its instant is the start
        // of the next day): the same day the project's deadlines say.
        let detail = call(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            Some(&supervisor),
        )
        .empty(app)
        .await
        .json();
        let missed: Vec<Value> = detail["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|deadline| deadline["missed"] == true)
            .map(|deadline| deadline["due_on"].clone())
            .collect();
        assert!(
            missed.contains(&items[0]["due_on"]),
            "{missed:?} {}",
            items[0]
        );
        let days = items[0]["days_overdue"].as_i64().unwrap();
        assert!(days > 30 && days < 500, "{days}");
        // A committee no project has is an error naming it and listing those there are, never
        // an empty board that reads as "nothing overdue".
        let unknown = call(
            Method::GET,
            "/api/v1/overdue?committee=SH-TC-02",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_eq!(
            unknown.status,
            StatusCode::BAD_REQUEST,
            "{}",
            unknown.text()
        );
        assert!(
            unknown.text().contains("SH-TC-02") && unknown.text().contains("SH-TC-01"),
            "{}",
            unknown.text()
        );
        // The list's next due date is the drafting deadline's due date, a local date; the
        // scheduler's next instant (a warning or an escalation) is another matter.
        let listed = call(
            Method::GET,
            "/api/v1/projects?committee=SH-TC-01",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
        let shown = call(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            Some(&supervisor),
        )
        .empty(app)
        .await;
        let shown_json = shown.json();
        let running: Vec<&str> = shown_json["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|deadline| deadline["open"] == true && deadline["missed"] == false)
            .filter_map(|deadline| deadline["due_on"].as_str())
            .collect();
        let listed_due = listed.json()["items"][0]["next_due_on"].clone();
        match running.iter().min() {
            Some(earliest) => assert_eq!(listed_due, json!(earliest), "{}", shown.text()),
            None => assert_eq!(listed_due, Value::Null, "{}", shown.text()),
        }
        let stage = call(
            Method::GET,
            "/api/v1/overdue?stage=metrology-spec/drafting",
            Some(&supervisor),
        )
        .empty(app)
        .await;
        assert_eq!(stage.status, StatusCode::OK, "{}", stage.text());
        assert_eq!(stage.json()["items"].as_array().unwrap().len(), 1);
        let csv = call(Method::GET, "/api/v1/overdue?format=csv", Some(&supervisor))
            .empty(app)
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.header("content-type").starts_with("text/csv"));
        let text = csv.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        // For Excel: a byte-order mark, headers in the reader's language, yes and no in words.
        assert!(lines[0].starts_with("\u{feff}编号,中文名称,英文名称,技术委员会"));
        assert!(lines[1].starts_with("JJF(沪)-2026-001,测试规范1,test specification 1,SH-TC-01"));
        assert!(lines[1].contains(&format!(",{days},是,")), "{text}");

        let counts = call(Method::GET, "/api/v1/counts", Some(&auditor))
            .empty(app)
            .await;
        assert_eq!(counts.status, StatusCode::OK);
        assert_eq!(
            counts.json()["counts"][0],
            json!({"committee": "SH-TC-01", "stage": "drafting", "projects": 1, "overdue": 1, "escalated": 1, "frozen": 0})
        );

        // The auditor pages through the history with its hashes.
        let head = api.store.head_sequence(project).await.unwrap();
        let page = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/history?limit=2"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let first = page.json();
        assert_eq!(first["records"].as_array().unwrap().len(), 2);
        assert_eq!(first["next_after_sequence"], 2);
        assert_eq!(
            first["records"][1]["previous_hash"],
            first["records"][0]["hash"]
        );
        let rest = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/history?after=2&limit=1000"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(
            rest.json()["records"].as_array().unwrap().len() as u64,
            head - 2
        );
        assert_eq!(rest.json()["next_after_sequence"], Value::Null);

        // The state as of the first record, and as of the start instant.
        let state = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/state?sequence=1"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(state.status, StatusCode::OK, "{}", state.text());
        assert_eq!(state.json()["stage"], "preresearch");
        let state = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/state?as_of=2026-01-05T09:00:00%2B08:00"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(state.status, StatusCode::OK, "{}", state.text());
        assert_eq!(state.json()["stage"], "drafting");
        let state = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/state?as_of=2025-12-31T00:00:00Z"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        // Before the project existed: an error, not an empty project as if it had existed.
        assert_eq!(state.status, StatusCode::BAD_REQUEST, "{}", state.text());
        assert!(state.text().contains("2026-01-05"), "{}", state.text());
        // A local date is the end of that day in the definition's zone, as on the pages.
        let state = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/state?as_of=2026-01-05"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(state.status, StatusCode::OK, "{}", state.text());
        assert_eq!(state.json()["stage"], "drafting");
        let past = call(
            Method::GET,
            &format!("/api/v1/projects/{project}/state?sequence=9999"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(past.status, StatusCode::NOT_FOUND, "{}", past.text());
        assert_eq!(past.json()["field"], "sequence");

        // Verification of the project and of everything.
        let verified = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/verify"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(verified.status, StatusCode::OK);
        assert_eq!(verified.json()["valid"], true);
        assert_eq!(verified.json()["records"], head);
        let everything = call(Method::POST, "/api/v1/verify", Some(&auditor))
            .empty(app)
            .await;
        assert_eq!(everything.status, StatusCode::OK);
        assert_eq!(
            (
                everything.json()["valid"].clone(),
                everything.json()["projects"].clone(),
                everything.json()["records"].clone()
            ),
            (json!(true), json!(1), json!(head))
        );

        // The export: one JSON line per record, as the audit format says.
        let export = call(Method::GET, "/api/v1/export", Some(&auditor))
            .empty(app)
            .await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(export.header("content-type"), "application/x-ndjson");
        let lines: Vec<Value> = export
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len() as u64, head);
        assert_eq!(lines[0]["sequence"], 1);
        let records: Vec<specflow_engine::AuditRecord> = export
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(specflow_engine::verify(&records).is_ok());

        // The outbox holds the notifications the writes caused; retrying finds nothing dead.
        let outbox = call(Method::GET, "/api/v1/outbox?limit=5", Some(&supervisor))
            .empty(app)
            .await;
        assert_eq!(outbox.status, StatusCode::OK, "{}", outbox.text());
        assert_eq!(outbox.json()["items"].as_array().unwrap().len(), 5);
        assert!(outbox.json()["next_after"].is_string());
        let retried = call(Method::POST, "/api/v1/outbox/retry", Some(&supervisor))
            .json(app, &json!({"all_dead": true}))
            .await;
        assert_eq!(retried.status, StatusCode::OK, "{}", retried.text());
        assert_eq!(retried.json()["retried"], 0);

        // The bureau cancels the project.
        let cancelled = call(Method::POST, &commands, Some(&supervisor))
            .json(app, &json!({"command": "cancel", "reason": "abandoned"}))
            .await;
        assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());
        let read = call(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            Some(&auditor),
        )
        .empty(app)
        .await;
        assert_eq!(read.json()["stage"], "cancelled");
        assert_eq!(read.json()["available_actions"], json!([]));
    }
);

conformance!(bad_input_is_answered_with_problems, |kind| async move {
    let Some(api) = api(kind).await else {
        return;
    };
    let app = &api.app;
    let secretariat = token(
        &api.store,
        "sec-wang",
        Role::Secretariat,
        Some("SH-TC-01"),
        None,
    )
    .await;
    let projects = "/api/v1/projects";

    // Malformed JSON, a wrong type deep in the body, an unknown field, a missing one.
    let answer = call(Method::POST, projects, Some(&secretariat))
        .header("content-type", "application/json")
        .send(app, Body::from("{\"code\": "))
        .await;
    answer.problem(400, "invalid-request");
    let mut body = new_project(1, "SH-TC-01");
    body["title"]["en"] = json!(7);
    let problem = call(Method::POST, projects, Some(&secretariat))
        .header("accept-language", "en")
        .json(app, &body)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "title.en", "{problem}");
    assert_eq!(problem["title"], "Invalid request");
    let mut body = new_project(1, "SH-TC-01");
    body["colour"] = json!("red");
    let problem = call(Method::POST, projects, Some(&secretariat))
        .json(app, &body)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "colour", "{problem}");
    let mut body = new_project(1, "SH-TC-01");
    body.as_object_mut().unwrap().remove("committee");
    let problem = call(Method::POST, projects, Some(&secretariat))
        .json(app, &body)
        .await
        .problem(400, "invalid-request");
    assert!(
        problem["detail"].as_str().unwrap().contains("committee"),
        "{problem}"
    );
    // A command with a wrong vote deep inside names its path.
    let created = call(Method::POST, projects, Some(&secretariat))
        .json(app, &new_project(1, "SH-TC-01"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let project = created.json()["project_id"].as_str().unwrap().to_string();
    let commands = format!("/api/v1/projects/{project}/commands");
    let mut meeting = passing_meeting();
    meeting["votes"][2]["choice"] = json!("maybe");
    let problem = call(Method::POST, &commands, Some(&secretariat))
        .json(app, &meeting)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "votes[2].choice", "{problem}");
    let problem = call(Method::POST, &commands, Some(&secretariat))
        .json(app, &json!({"command": "launch_rocket"}))
        .await
        .problem(400, "invalid-request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("launch_rocket"),
        "{problem}"
    );
    // A creation sent as a command is pointed to its route.
    let mut creation = new_project(2, "SH-TC-01");
    creation["command"] = json!("create_project");
    creation["project_id"] = json!(uuid::Uuid::new_v4());
    creation["definition_version"] = json!(1);
    let problem = call(Method::POST, &commands, Some(&secretariat))
        .json(app, &creation)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "command");

    // Not JSON at all, and a body past the limit.
    call(Method::POST, projects, Some(&secretariat))
        .header("content-type", "text/plain")
        .send(app, Body::from("hello"))
        .await
        .problem(415, "unsupported-media-type");
    let huge = json!({"code": "x".repeat(2 << 20)});
    call(Method::POST, projects, Some(&secretariat))
        .json(app, &huge)
        .await
        .problem(413, "payload-too-large");

    // Taken codes, unknown definitions, bad headers and parameters.
    let problem = call(Method::POST, projects, Some(&secretariat))
        .json(app, &new_project(1, "SH-TC-01"))
        .await
        .problem(409, "conflict");
    assert_eq!(problem["field"], "code");
    let mut body = new_project(3, "SH-TC-01");
    body["definition_id"] = json!("no-such-workflow");
    call(Method::POST, projects, Some(&secretariat))
        .json(app, &body)
        .await
        .problem(400, "invalid-request");
    let mut body = new_project(3, "SH-TC-01");
    body["definition_version"] = json!(99);
    let problem = call(Method::POST, projects, Some(&secretariat))
        .json(app, &body)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "definition_version");
    let problem = call(Method::POST, &commands, Some(&secretariat))
        .header("if-match", "*")
        .json(app, &passing_meeting())
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "If-Match");
    let problem = call(Method::GET, "/api/v1/projects?limit=0", Some(&secretariat))
        .empty(app)
        .await
        .problem(400, "invalid-request");
    assert_eq!(problem["field"], "limit");
    let problem = call(
        Method::GET,
        "/api/v1/projects?overdue=perhaps",
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    assert_eq!(problem["field"], "overdue", "{problem}");
    let problem = call(
        Method::GET,
        "/api/v1/projects?colour=red",
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    assert!(
        problem["detail"].as_str().unwrap().contains("colour"),
        "{problem}"
    );
    call(
        Method::GET,
        &format!("/api/v1/projects/{project}/state"),
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    call(
        Method::GET,
        &format!("/api/v1/projects/{project}/state?as_of=yesterday"),
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    call(
        Method::GET,
        "/api/v1/artifacts/not-a-digest",
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    call(
        Method::GET,
        &format!("/api/v1/artifacts/{}", "0".repeat(64)),
        Some(&secretariat),
    )
    .empty(app)
    .await
    .problem(404, "not-found");
    let supervisor = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
    call(Method::GET, "/api/v1/overdue?format=xml", Some(&supervisor))
        .empty(app)
        .await
        .problem(400, "invalid-request");
    let problem = call(
        Method::GET,
        "/api/v1/overdue?sort=alphabetical",
        Some(&supervisor),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    assert_eq!(problem["field"], "sort", "{problem}");
    // A cursor of one order is refused by another.
    call(
        Method::GET,
        &format!(
            "/api/v1/overdue?sort=committee&after=1:{}",
            uuid::Uuid::new_v4()
        ),
        Some(&supervisor),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    call(
        Method::GET,
        "/api/v1/overdue?after=garbage",
        Some(&supervisor),
    )
    .empty(app)
    .await
    .problem(400, "invalid-request");
    call(Method::POST, "/api/v1/outbox/retry", Some(&supervisor))
        .json(app, &json!({}))
        .await
        .problem(400, "invalid-request");

    // Unknown projects, routes and methods.
    let problem = call(
        Method::GET,
        &format!("/api/v1/projects/{}", uuid::Uuid::new_v4()),
        Some(&secretariat),
    )
    .header("x-request-id", "req-404")
    .empty(app)
    .await
    .problem(404, "not-found");
    assert_eq!(problem["instance"], "req-404");
    call(Method::GET, "/api/v1/nothing-here", Some(&secretariat))
        .empty(app)
        .await
        .problem(404, "not-found");
    let answer = call(Method::DELETE, projects, Some(&secretariat))
        .empty(app)
        .await;
    answer.problem(405, "method-not-allowed");
    assert!(
        answer.header("allow").contains("GET"),
        "{:?}",
        answer.headers
    );

    // Tokens: none, not a bearer, malformed, unknown, revoked, expired.
    let answer = call(Method::GET, projects, None).empty(app).await;
    answer.problem(401, "unauthenticated");
    assert!(answer.header("www-authenticate").starts_with("Bearer"));
    call(Method::GET, projects, None)
        .header("authorization", "Basic c2VjOnNlY3JldA==")
        .empty(app)
        .await
        .problem(401, "unauthenticated");
    call(Method::GET, projects, Some("sft_short"))
        .empty(app)
        .await
        .problem(401, "unauthenticated");
    call(
        Method::GET,
        projects,
        Some(&format!("sft_{}", "ab".repeat(32))),
    )
    .empty(app)
    .await
    .problem(401, "unauthenticated");
    let revoked = token(
        &api.store,
        "sec-gone",
        Role::Secretariat,
        Some("SH-TC-01"),
        None,
    )
    .await;
    assert!(api.store.revoke_token("sec-gone").await.unwrap());
    let problem = call(Method::GET, projects, Some(&revoked))
        .header("accept-language", "en")
        .empty(app)
        .await
        .problem(401, "unauthenticated");
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    let (expiring, _) = api
        .store
        .create_token(
            "sec-brief",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
            Some(start() + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    api.clock.advance(chrono::Duration::hours(2));
    call(Method::GET, projects, Some(expiring.bearer()))
        .empty(app)
        .await
        .problem(401, "unauthenticated");
    // The request id is echoed on problems as on everything else.
    let answer = call(Method::GET, projects, None)
        .header("x-request-id", "trace-401")
        .empty(app)
        .await;
    assert_eq!(answer.header("x-request-id"), "trace-401");
    assert_eq!(answer.json()["instance"], "trace-401");
});

conformance!(
    an_artifact_larger_than_the_limit_is_refused,
    |kind| async move {
        let Some((url, _keep)) = fresh_database(kind).await else {
            return;
        };
        let clock = Arc::new(ManualClock::new(start()));
        let options = StoreOptions {
            max_artifact_bytes: 1024,
            ..StoreOptions::default()
        };
        let store = Store::open_with_clock(&url, options, clock).await.unwrap();
        store
            .register_workflow_folder(&workflows_folder())
            .await
            .unwrap();
        let app = router(AppState {
            store: store.clone(),
            metrics: Metrics::shared(),
        });
        let project = created_project(&store, 1, "SH-TC-01").await;
        let secretariat = token(
            &store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let path =
            format!("/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=p.pdf");
        let problem = call(Method::POST, &path, Some(&secretariat))
            .bytes(&app, vec![b'x'; 1025])
            .await
            .problem(413, "payload-too-large");
        assert!(problem["detail"].is_string());
        let fits = call(Method::POST, &path, Some(&secretariat))
            .bytes(&app, vec![b'x'; 1024])
            .await;
        assert_eq!(fits.status, StatusCode::OK, "{}", fits.text());
        // An unknown artifact kind is the engine's to refuse, and nothing is stored for it.
        let content = b"never stored".to_vec();
        let refused = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/artifacts?kind=poem&file_name=p.txt"),
            Some(&secretariat),
        )
        .bytes(&app, content.clone())
        .await;
        refused.problem(422, "guard-rejected");
        let digest = hex::encode(sha2::Sha256::digest(&content));
        assert_eq!(store.artifact(&digest).await.unwrap(), None);
        call(
            Method::POST,
            &format!("/api/v1/projects/{project}/artifacts?kind=minutes"),
            Some(&secretariat),
        )
        .bytes(&app, b"x".to_vec())
        .await
        .problem(400, "invalid-request");
    }
);

/// Who calls, in the table: a role and its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Admin,
    Supervisor,
    SecretariatOfItsCommittee,
    SecretariatOfAnotherCommittee,
    Chair,
    Member,
    DrafterOfTheProject,
    DrafterOfAnotherProject,
    Auditor,
}

const EVERYONE: [Who; 9] = [
    Who::Admin,
    Who::Supervisor,
    Who::SecretariatOfItsCommittee,
    Who::SecretariatOfAnotherCommittee,
    Who::Chair,
    Who::Member,
    Who::DrafterOfTheProject,
    Who::DrafterOfAnotherProject,
    Who::Auditor,
];

/// Reads of the project: everyone in scope; the others are told it does not exist.
fn project_reader(who: Who) -> u16 {
    match who {
        Who::SecretariatOfAnotherCommittee | Who::DrafterOfAnotherProject => 404,
        _ => 200,
    }
}

/// What spans every project: admin, supervisor and auditor.
fn everything_reader(who: Who) -> u16 {
    match who {
        Who::Admin | Who::Supervisor | Who::Auditor => 200,
        _ => 403,
    }
}

/// A committee's reports: whoever reads every project, and the committee's own roles; another
/// committee's secretariat is told it does not exist, a drafter (one project) is refused.
fn committee_report_reader(who: Who) -> u16 {
    match who {
        Who::SecretariatOfAnotherCommittee => 404,
        Who::DrafterOfTheProject | Who::DrafterOfAnotherProject => 403,
        _ => 200,
    }
}

/// The bureau's board and outbox: admin and supervisor.
fn supervisor_only(who: Who) -> u16 {
    match who {
        Who::Admin | Who::Supervisor => 200,
        _ => 403,
    }
}

/// Reads of a committee's record: everyone of its scope and those who read everything; the others
/// (another committee's, drafters) are told it does not exist.
fn committee_reader(who: Who) -> u16 {
    match who {
        Who::SecretariatOfAnotherCommittee
        | Who::DrafterOfTheProject
        | Who::DrafterOfAnotherProject => 404,
        _ => 200,
    }
}

/// A write to a committee's record: out of scope is 404; the bureau (admin, supervisor) and, for
/// terms, the committee's own secretariat get `allowed`; anyone else in scope 403.
fn committee_writer(who: Who, terms: bool, allowed: u16) -> u16 {
    match who {
        Who::SecretariatOfAnotherCommittee
        | Who::DrafterOfTheProject
        | Who::DrafterOfAnotherProject => 404,
        Who::Admin | Who::Supervisor => allowed,
        Who::SecretariatOfItsCommittee if terms => allowed,
        _ => 403,
    }
}

/// A write the definition lets `roles` make: out of scope is 404, an auditor 403, a role the
/// definition does not name 403 (the engine's `role_not_permitted`), else `allowed`.
fn writer(who: Who, roles: &[&str], allowed: u16) -> u16 {
    let role = match who {
        Who::SecretariatOfAnotherCommittee | Who::DrafterOfAnotherProject => return 404,
        Who::Auditor => return 403,
        Who::Admin => "admin",
        Who::Supervisor => "supervisor",
        Who::SecretariatOfItsCommittee => "secretariat",
        Who::Chair => "chair",
        Who::Member => "member",
        Who::DrafterOfTheProject => "drafter",
    };
    if roles.contains(&role) { allowed } else { 403 }
}

conformance!(
    every_route_answers_every_role_and_scope,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let store = &api.store;
        let project = created_project(store, 1, "SH-TC-01").await;
        let other_project = created_project(store, 2, "SH-TC-02").await;
        // An artifact of the project, to download.
        let content = b"the proposal".to_vec();
        let digest = hex::encode(sha2::Sha256::digest(&content));
        store
            .execute_attaching(
                request(
                    project,
                    secretariat(),
                    attach("project_proposal", "the proposal"),
                ),
                store.spool_artifact("sec", &content).await.unwrap(),
            )
            .await
            .unwrap();
        // The committee SH-TC-01 as an audited record, formed by the bureau.
        let formed = store
            .execute_committee(specflow_store::CommitteeCommandRequest {
                committee_id: specflow_store::committee_id_of("SH-TC-01"),
                command_id: uuid::Uuid::new_v4(),
                expected_sequence: None,
                actor: bureau(),
                command: specflow_engine::committee::CommitteeCommand::Form {
                    committee_id: specflow_store::committee_id_of("SH-TC-01"),
                    code: "SH-TC-01".into(),
                    name: specflow_engine::LocalizedText::new("长度", "length"),
                    field: "length".into(),
                    legal_metrology: false,
                    composition_plan: "plan".into(),
                    formed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
                },
            })
            .await
            .unwrap();
        assert!(matches!(
            formed,
            specflow_store::CommitteeOutcome::Accepted { .. }
        ));
        let mut tokens = std::collections::HashMap::new();
        for who in EVERYONE {
            let (name, role, committee, scoped_project) = match who {
                Who::Admin => ("t-admin", Role::Admin, None, None),
                Who::Supervisor => ("t-supervisor", Role::Supervisor, None, None),
                Who::SecretariatOfItsCommittee => {
                    ("t-sec", Role::Secretariat, Some("SH-TC-01"), None)
                }
                Who::SecretariatOfAnotherCommittee => {
                    ("t-sec-other", Role::Secretariat, Some("SH-TC-02"), None)
                }
                Who::Chair => ("t-chair", Role::Chair, Some("SH-TC-01"), None),
                Who::Member => ("t-member", Role::Member, Some("SH-TC-01"), None),
                Who::DrafterOfTheProject => ("t-drafter", Role::Drafter, None, Some(project)),
                Who::DrafterOfAnotherProject => {
                    ("t-drafter-other", Role::Drafter, None, Some(other_project))
                }
                Who::Auditor => ("t-auditor", Role::Auditor, None, None),
            };
            let scoped_project = scoped_project.map(|id| id.to_string());
            tokens.insert(
                who,
                token(store, name, role, committee, scoped_project.as_deref()).await,
            );
        }

        /// What a route is sent.
        enum Send {
            Nothing,
            Json(Value),
            Bytes(Vec<u8>),
        }
        type Expect = Box<dyn Fn(Who) -> u16>;
        let p = format!("/api/v1/projects/{project}");
        let c = "/api/v1/committees/SH-TC-01";
        let mut routes: Vec<(Method, String, Send, Expect)> = vec![
            (
                Method::GET,
                "/api/v1/projects".to_string(),
                Send::Nothing,
                Box::new(|_| 200),
            ),
            (
                Method::GET,
                p.clone(),
                Send::Nothing,
                Box::new(project_reader),
            ),
            (
                Method::GET,
                format!("{p}/history"),
                Send::Nothing,
                Box::new(project_reader),
            ),
            (
                Method::GET,
                format!("{p}/state?sequence=1"),
                Send::Nothing,
                Box::new(project_reader),
            ),
            (
                Method::POST,
                format!("{p}/verify"),
                Send::Nothing,
                Box::new(project_reader),
            ),
            (
                Method::GET,
                format!("/api/v1/artifacts/{digest}"),
                Send::Nothing,
                Box::new(project_reader),
            ),
            (
                Method::POST,
                "/api/v1/verify".to_string(),
                Send::Nothing,
                Box::new(everything_reader),
            ),
            (
                Method::GET,
                "/api/v1/export".to_string(),
                Send::Nothing,
                Box::new(everything_reader),
            ),
            (
                Method::GET,
                "/api/v1/counts".to_string(),
                Send::Nothing,
                Box::new(everything_reader),
            ),
            (
                Method::GET,
                "/api/v1/overdue".to_string(),
                Send::Nothing,
                Box::new(supervisor_only),
            ),
            (
                Method::GET,
                "/api/v1/committees/SH-TC-01/reports/annual?year=2026".to_string(),
                Send::Nothing,
                Box::new(committee_report_reader),
            ),
            (
                Method::GET,
                "/api/v1/committees/SH-TC-01/reports/term?from=2025-01-01&to=2026-12-31&format=md"
                    .to_string(),
                Send::Nothing,
                Box::new(committee_report_reader),
            ),
            (
                Method::GET,
                "/api/v1/reports/annual?year=2026&format=html".to_string(),
                Send::Nothing,
                Box::new(everything_reader),
            ),
            (
                Method::GET,
                "/api/v1/overdue?format=csv".to_string(),
                Send::Nothing,
                Box::new(supervisor_only),
            ),
            (
                Method::GET,
                "/api/v1/overdue?sort=recently_overdue".to_string(),
                Send::Nothing,
                Box::new(supervisor_only),
            ),
            (
                Method::GET,
                "/api/v1/outbox".to_string(),
                Send::Nothing,
                Box::new(supervisor_only),
            ),
            (
                Method::POST,
                "/api/v1/outbox/retry".to_string(),
                Send::Json(json!({"all_dead": true})),
                Box::new(supervisor_only),
            ),
            // Creating in the committee SH-TC-01: the definition lets secretariat and supervisor.
            (
                Method::POST,
                "/api/v1/projects".to_string(),
                Send::Json(new_project(0, "SH-TC-01")),
                Box::new(|who| match who {
                    Who::SecretariatOfAnotherCommittee | Who::DrafterOfAnotherProject => 403,
                    Who::DrafterOfTheProject => 403,
                    _ => writer(who, &["secretariat", "supervisor"], 201),
                }),
            ),
            (
                Method::POST,
                format!("{p}/commands"),
                Send::Json(
                    json!({"command": "record_field", "field": "implementation_transition_arrangement", "value": {"text": "none"}}),
                ),
                Box::new(|who| writer(who, &["secretariat", "drafter", "supervisor"], 200)),
            ),
            // Proposing needs a vote that has not happened: the secretariat gets the guards.
            (
                Method::POST,
                format!("{p}/actions/propose"),
                Send::Nothing,
                Box::new(|who| writer(who, &["secretariat"], 422)),
            ),
            (
                Method::POST,
                format!("{p}/artifacts?kind=minutes&file_name=minutes.pdf"),
                Send::Bytes(b"minutes".to_vec()),
                Box::new(|who| {
                    writer(who, &["drafter", "secretariat", "chair", "supervisor"], 200)
                }),
            ),
            // Committees: reads by scope; composition writes the bureau's, terms also the
            // secretariat's. Each write is refused by the engine (422), so the table leaves the
            // committee as it found it.
            (
                Method::GET,
                "/api/v1/committees".to_string(),
                Send::Nothing,
                Box::new(|_| 200),
            ),
            // Everyone has a to-do list, within their scope (an auditor's is empty).
            (
                Method::GET,
                "/api/v1/todo".to_string(),
                Send::Nothing,
                Box::new(|_| 200),
            ),
            (
                Method::GET,
                c.to_string(),
                Send::Nothing,
                Box::new(committee_reader),
            ),
            (
                Method::GET,
                format!("{c}/composition"),
                Send::Nothing,
                Box::new(committee_reader),
            ),
            (
                Method::GET,
                format!("{c}/roll?on=2026-01-05"),
                Send::Nothing,
                Box::new(committee_reader),
            ),
            (
                Method::GET,
                format!("{c}/history"),
                Send::Nothing,
                Box::new(committee_reader),
            ),
            (
                Method::POST,
                format!("{c}/verify"),
                Send::Nothing,
                Box::new(committee_reader),
            ),
            (
                Method::POST,
                "/api/v1/committees".to_string(),
                Send::Json(
                    json!({"code": "x", "name": {"zh": "新", "en": "new"}, "field": "mass", "composition_plan": "plan", "formed_on": "2026-01-05"}),
                ),
                Box::new(|who| match who {
                    Who::Admin | Who::Supervisor => 201,
                    _ => 403,
                }),
            ),
            (
                Method::POST,
                format!("{c}/appointments"),
                Send::Json(
                    json!({"person": "p", "organisation": "o", "title_level": "senior", "role": "president", "effective_on": "2026-01-05"}),
                ),
                Box::new(|who| committee_writer(who, false, 422)),
            ),
            (
                Method::POST,
                format!("{c}/reappointments"),
                Send::Json(
                    json!({"person": "p", "organisation": "o", "title_level": "senior", "role": "member", "effective_on": "2026-01-05"}),
                ),
                Box::new(|who| committee_writer(who, false, 422)),
            ),
            (
                Method::POST,
                format!("{c}/resignations"),
                Send::Json(
                    json!({"person": "nobody", "effective_on": "2026-01-05", "reason": "r"}),
                ),
                Box::new(|who| committee_writer(who, false, 422)),
            ),
            (
                Method::POST,
                format!("{c}/waivers"),
                Send::Json(json!({"rule": "no_such_rule", "reason": "r", "authority": "a"})),
                Box::new(|who| committee_writer(who, false, 422)),
            ),
            (
                Method::POST,
                format!("{c}/secretariat"),
                Send::Json(json!({"organisation": " ", "since": "2026-01-05"})),
                Box::new(|who| committee_writer(who, false, 422)),
            ),
            (
                Method::POST,
                format!("{c}/terms"),
                Send::Json(json!({"starts_on": "2026-01-05", "ends_on": "2025-01-05"})),
                Box::new(|who| committee_writer(who, true, 422)),
            ),
            (
                Method::POST,
                format!("{c}/terms/end"),
                Send::Json(json!({"ended_on": "2026-01-05", "reason": "r"})),
                Box::new(|who| committee_writer(who, true, 422)),
            ),
        ];
        let mut failures = Vec::new();
        let mut number = 10;
        for (method, path, send, expect) in routes.iter_mut() {
            // Without a token every route is 401.
            let answer = call(method.clone(), path, None).empty(app).await;
            if answer.status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "{method} {path} without a token: {}",
                    answer.status
                ));
            }
            for who in EVERYONE {
                let token = &tokens[&who];
                let request = call(method.clone(), path, Some(token));
                let answer = match send {
                    Send::Nothing => request.empty(app).await,
                    Send::Json(value) => {
                        if value.get("code").is_some() {
                            // Each creation needs a code of its own.
                            number += 1;
                            value["code"] = json!(format!("JJF(沪)-2026-{number:03}"));
                        }
                        request.json(app, value).await
                    }
                    Send::Bytes(bytes) => {
                        // The same file twice is refused: each upload is a file of its own.
                        number += 1;
                        let mut bytes = bytes.clone();
                        bytes.extend(number.to_string().bytes());
                        request.bytes(app, bytes).await
                    }
                };
                let expected = expect(who);
                if answer.status.as_u16() != expected {
                    failures.push(format!(
                        "{method} {path} as {who:?}: expected {expected}, got {} {}",
                        answer.status,
                        answer.text()
                    ));
                } else if expected >= 400 {
                    let slug = match expected {
                        403 => "forbidden",
                        404 => "not-found",
                        _ => "guard-rejected",
                    };
                    let problem = answer.problem(expected, slug);
                    // A hidden project is answered exactly as a missing one.
                    if expected == 404 && path.starts_with(&p) {
                        assert_eq!(
                            problem["detail"],
                            format!("项目「{project}」不存在"),
                            "{method} {path} as {who:?}"
                        );
                    }
                    // A hidden committee is answered exactly as a missing one.
                    if expected == 404 && path.starts_with(c) {
                        assert_eq!(
                            problem["detail"], "技术委员会「SH-TC-01」不存在",
                            "{method} {path} as {who:?}"
                        );
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // Lists show each caller its scope only.
        let visible = |who: Who| {
            let token = tokens[&who].clone();
            async move {
                let answer = call(Method::GET, "/api/v1/projects?limit=1000", Some(&token))
                    .empty(app)
                    .await;
                let mut committees: Vec<String> = answer.json()["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|item| item["committee"].as_str().unwrap().to_string())
                    .collect();
                committees.dedup();
                (answer.json()["items"].as_array().unwrap().len(), committees)
            }
        };
        let (all, _) = visible(Who::Auditor).await;
        assert_eq!(
            all, 4,
            "two projects and the two the supervisor and secretariat created"
        );
        let (count, committees) = visible(Who::SecretariatOfAnotherCommittee).await;
        assert_eq!((count, committees), (1, vec!["SH-TC-02".to_string()]));
        let (count, _) = visible(Who::DrafterOfTheProject).await;
        assert_eq!(count, 1);
        let (count, committees) = visible(Who::Member).await;
        assert_eq!((count, committees), (3, vec!["SH-TC-01".to_string()]));
        let drafter_filtered = call(
            Method::GET,
            "/api/v1/projects?committee=SH-TC-02",
            Some(&tokens[&Who::DrafterOfTheProject]),
        )
        .empty(app)
        .await;
        assert_eq!(drafter_filtered.json()["items"], json!([]));
    }
);
