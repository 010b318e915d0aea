//! The routes of drafting groups and secretariats (and of the bureau, which may do all they do):
//! list and read projects, create one, send any command, fire an action, upload and download
//! artifacts.
//!
//! Scoping is asked of [`specflow_store::auth`] before anything is read or written; which role may do what
//! is the workflow definition's, checked by the engine against the caller's actor. Writes take an
//! `Idempotency-Key` (the caller's key for the request, so a retry gets the first answer) and an `If-Match` with the
//! sequence the caller saw (a stale one is 409 with the current sequence).

use super::auth::Caller;
use super::input::{
    JsonBody, OptionalJsonBody, QueryParams, command_id, expected_sequence, has_idempotency_key,
};
use crate::app::AppState;
use crate::app::exports::project_list;
use crate::app::filters::{self, GivenFilters, non_empty};
use crate::app::idempotency::WriteRoute;
use crate::app::problem::{Problem, ProblemKind};
use crate::app::projects::{
    ActionView, Creation, DeadlineView, Upload, WriteAnswer, action_views, artifact_download,
    attach_upload, carry_out, create, deadline_views, page_limit, roll_from_committee,
    visible_projects, writable_project, writable_target,
};
use crate::app::spreadsheet::{self, SheetFormat};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specflow_engine::command::NewProject;
use specflow_engine::{Command, LocalizedText};
use specflow_store::ProjectFilter;
use specflow_store::auth::Principal;
use utoipa::{IntoParams, ToSchema};

/// The query of `GET /projects`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this committee's projects: its code (`SH-TC-01`) or its name; an unknown one is a
    /// 400 listing the committees there are.
    #[param(example = "SH-TC-01")]
    committee: Option<String>,
    /// Only those in this stage: `definition/stage` (`metrology-spec/review`), or a stage's code
    /// or name when one workflow alone has it; an unknown or ambiguous one is a 400 listing the
    /// stages there are.
    stage: Option<String>,
    /// Only this drafting unit's; an unknown one is a 400 listing the units there are.
    drafting_unit: Option<String>,
    /// Only overdue ones (or only those not overdue).
    overdue: Option<bool>,
    /// Only those given this flag at creation, one a registered definition declares.
    #[param(example = "legal_or_livelihood_metrology")]
    flag: Option<String>,
    /// The `next_after` of the previous page.
    after: Option<String>,
    /// How many projects a page holds: 1 to 1000, 50 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `json` (the default), `csv` (UTF-8 with a byte-order mark, for Excel) or `xlsx` (an Excel
    /// workbook); without it, an `Accept` naming `text/csv` or the workbook's type chooses. Both
    /// hold every matching project (not a page), headers in the request's language.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// `GET /api/v1/projects`: the projects the caller may see, by code, keyset-paged; with
/// `format=csv` or `format=xlsx`, all of them as CSV or an Excel workbook.
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the projects the caller may see, or with `format=csv` or `format=xlsx` all of them as CSV or an Excel workbook", content(
        (super::wire::ProjectListPage = "application/json"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn list_projects(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Response, Problem> {
    let limit = page_limit(query.limit)?;
    let sheet = SheetFormat::requested(query.format.as_deref(), &headers, &["json"])?;
    let resolved = filters::resolve(
        &state,
        GivenFilters {
            committee: non_empty(query.committee),
            stage: non_empty(query.stage),
            drafting_unit: non_empty(query.drafting_unit),
        },
    )
    .await?;
    let filter = ProjectFilter {
        committee: resolved.committee,
        definition: resolved.definition,
        stage: resolved.stage,
        drafting_unit: resolved.drafting_unit,
        overdue: query.overdue,
        flag: query.flag,
    };
    let language = crate::app::problem::language_of(&headers);
    if let Some(format) = sheet {
        let table = project_list(&state, &principal, filter, language).await?;
        return spreadsheet::download(format, "projects", &[table]);
    }
    let mut page: super::wire::ProjectListPage =
        visible_projects(&state, &principal, filter, query.after.as_deref(), limit)
            .await?
            .into();
    for item in &mut page.items {
        item.stage_name = Some(
            crate::app::projects::stage_name(
                &state,
                &item.definition_id,
                item.definition_version,
                &item.stage,
                language,
            )
            .await,
        );
    }
    Ok(Json(page).into_response())
}

/// The body of `POST /api/v1/projects`: the engine's `NewProject` without the id, which the
/// server chooses; the definition's newest version when none is named.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "JJF(沪)-2026-001",
    "title": {"zh": "电子天平校准规范", "en": "Calibration specification for electronic balances"},
    "specification_kind": "calibration_specification",
    "committee": "SH-TC-01",
    "drafting_unit": "Shanghai Institute of Measurement",
    "definition_id": "metrology-spec",
    "flags": ["legal_or_livelihood_metrology"]
}))]
pub struct NewProjectBody {
    /// The project's human code, unique.
    code: String,
    /// Its title in Chinese (`zh`) and English (`en`).
    #[schema(value_type = LocalizedTextSchema)]
    title: LocalizedText,
    /// Its kind of specification.
    specification_kind: String,
    /// Its committee.
    committee: String,
    /// Its drafting unit.
    drafting_unit: String,
    /// The workflow definition it follows.
    definition_id: String,
    /// That definition's version; its newest when absent.
    #[serde(default)]
    definition_version: Option<u32>,
    /// The flags it is given, each one of the definition's project flags (for the metrology
    /// workflow, `legal_or_livelihood_metrology`: tied to legal or livelihood metrology, which
    /// asks for promotion before the effective date whatever the kind); none when absent.
    #[serde(default)]
    flags: std::collections::BTreeSet<String>,
}

/// A short text in Chinese and English (the engine's `LocalizedText`).
#[derive(Debug, ToSchema)]
pub struct LocalizedTextSchema {
    /// The Chinese text.
    pub zh: String,
    /// The English text.
    pub en: String,
}

/// The answer to an accepted write: `body`, with the new head as `ETag` (the next `If-Match`),
/// and for a creation 201 with the project's `Location`.
fn written(answer: &WriteAnswer, created: bool, body: impl Serialize) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", answer.last_sequence)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if created
        && let Ok(location) =
            HeaderValue::from_str(&format!("/api/v1/projects/{}", answer.project_id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /api/v1/projects`: creates a project in the caller's scope.
#[utoipa::path(
    post,
    path = "/projects",
    tag = "projects",
    params(
        super::params::CreationHeaders,
    ),
    request_body(content = NewProjectBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 201, description = "The project was created; `Location` names it and `ETag` is its sequence", body = WriteAnswer,
        headers(("Location" = String, description = "The new project"), ("ETag" = String, description = "The sequence to send as `If-Match` next"))))
)]
pub async fn create_project(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewProjectBody>,
) -> Result<Response, Problem> {
    let command_id = command_id(&headers, &principal, WriteRoute::CreateProject)?;
    let expected = expected_sequence(&headers)?;
    let request = Creation {
        code: body.code,
        title: body.title,
        specification_kind: body.specification_kind,
        committee: body.committee,
        drafting_unit: body.drafting_unit,
        definition_id: body.definition_id,
        definition_version: body.definition_version,
        flags: body.flags,
    };
    let is_retry = has_idempotency_key(&headers);
    let answer = create(&state, &principal, request, command_id, expected, is_retry).await?;
    Ok(written(&answer, true, &answer))
}

/// `GET /api/v1/projects/{project}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectDetail {
    /// The project's row: code, titles, stage, deadlines due, head.
    #[serde(flatten)]
    pub summary: super::wire::ProjectSummary,
    /// The current stage's name in the request's language.
    pub stage_name: String,
    /// Its deadlines, with local days left on the open ones.
    pub deadlines: Vec<DeadlineView>,
    /// The actions of its stage, each with the caller's unmet guards.
    pub available_actions: Vec<ActionView>,
    /// The project's state, as its log replays it.
    pub state: super::wire::ProjectStateView,
}

/// `GET /api/v1/projects/{project}`: the project, its state, deadlines with days left, and the
/// actions of its stage with each one's unmet guards for the caller, in the request's language.
#[utoipa::path(
    get,
    path = "/projects/{project}",
    tag = "projects",
    params(
        super::params::ProjectPath,
        ("Accept-Language" = Option<String>, Header, description = "`zh` (the default) or `en`"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The project; `ETag` is its sequence", body = ProjectDetail,
        headers(("ETag" = String, description = "The sequence to send as `If-Match`"))))
)]
pub async fn read_project(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let language = crate::app::problem::language_of(&headers);
    let view = crate::app::projects::readable_project_view(&state, &principal, &id_or_code).await?;
    let now = state.store.clock().now();
    let deadlines = deadline_views(&view.state, &view.definition, language, now);
    let actions = action_views(&view.state, &view.definition, &principal, language, now);
    let head = view.summary.head_sequence;
    let detail = ProjectDetail {
        stage_name: view
            .definition
            .stage_name(&view.summary.stage)
            .get(language)
            .to_string(),
        summary: view.summary.into(),
        deadlines,
        available_actions: actions,
        state: view.state.into(),
    };
    let mut response = Json(detail).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{head}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `POST /api/v1/projects/{project}/commands`: any command but a creation, in the engine's JSON
/// form (`{"command": "fire_action", "action": "propose"}`).
#[utoipa::path(
    post,
    path = "/projects/{project}/commands",
    tag = "projects",
    params(
        super::params::ProjectPath,
        super::params::WriteHeaders,
    ),
    request_body(content = Object, content_type = "application/json", description = "A command in the engine's JSON form, tagged by `command`",
        example = json!({"command": "fire_action", "action": "propose"})),
    security(("bearer" = [])),
    responses((status = 200, description = "The command was carried out", body = WriteAnswer,
        headers(("ETag" = String, description = "The sequence to send as `If-Match` next"))))
)]
pub async fn send_command(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, Problem> {
    let command = command_of(body)?;
    if matches!(command, Command::CreateProject(_)) {
        return Err(Problem::invalid(
            "command",
            "创建项目请使用 POST /api/v1/projects",
            "Create projects with POST /api/v1/projects",
        ));
    }
    let command_id = command_id(&headers, &principal, WriteRoute::Command)?;
    let expected = expected_sequence(&headers)?;
    let target = writable_target(&state, &principal, &id_or_code).await?;
    let command = match command {
        Command::RecordMeeting(record) => Command::RecordMeeting(
            roll_from_committee(&state, &target.committee, &target.drafting_unit, record).await?,
        ),
        other => other,
    };
    let answer = carry_out(
        &state,
        &principal,
        target.project_id,
        command_id,
        expected,
        command,
    )
    .await?;
    Ok(written(&answer, false, &answer))
}

/// A command in the engine's JSON form, with the path of the first mistake.
///
/// The engine's `Command` is tagged by its `command` member, and serde reads such an enum through
/// a buffer that forgets where it was; so when that loses the path, the payload of the commands
/// that carry nested records is read again as its own type, which knows the path
/// (`votes[2].choice`).
fn command_of(body: Value) -> Result<Command, Problem> {
    let error = match serde_json::from_value::<Command>(body.clone()) {
        Ok(command) => return Ok(command),
        Err(error) => error,
    };
    let message = error.to_string();
    let tag = body
        .get("command")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut payload = body;
    if let Some(object) = payload.as_object_mut() {
        object.remove("command");
    }
    fn path_of<T: serde::de::DeserializeOwned>(payload: &Value) -> Option<String> {
        serde_path_to_error::deserialize::<_, T>(payload)
            .err()
            .map(|error| error.path().to_string())
            .filter(|path| !path.is_empty() && path != ".")
    }
    use specflow_engine::command as engine;
    let field = match tag.as_deref() {
        None => Some("command".to_string()),
        Some("record_meeting") => path_of::<engine::MeetingRecord>(&payload),
        Some("schedule_meeting") => path_of::<engine::MeetingSchedule>(&payload),
        Some("record_comment") => path_of::<engine::Comment>(&payload),
        Some("attach_artifact") => path_of::<engine::Artifact>(&payload),
        Some("record_publication") => path_of::<engine::Publication>(&payload),
        Some("record_waiver") => path_of::<engine::Waiver>(&payload),
        Some("create_project") => path_of::<NewProject>(&payload),
        Some(_) if message.contains("unknown variant") => Some("command".to_string()),
        Some(_) => None,
    }
    .unwrap_or_else(|| "(body)".to_string());
    Err(Problem::invalid(
        &field,
        format!("命令有误（{field}）：{message}"),
        format!("The command is wrong (at {field}): {message}"),
    ))
}

/// The optional body of `POST …/actions/{action}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The drafting group asked for it"}))]
pub struct FireBody {
    /// Why, for actions that require a reason.
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/projects/{project}/actions/{action}`: fires an action, with an optional reason.
#[utoipa::path(
    post,
    path = "/projects/{project}/actions/{action}",
    tag = "projects",
    params(
        super::params::ProjectPath,
        ("action" = String, Path, description = "The action, as the definition names it", example = "propose"),
        super::params::WriteHeaders,
    ),
    request_body(content = Option<FireBody>, content_type = "application/json", description = "Optional"),
    security(("bearer" = [])),
    responses((status = 200, description = "The action was fired", body = WriteAnswer,
        headers(("ETag" = String, description = "The sequence to send as `If-Match` next"))))
)]
pub async fn fire_action(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id_or_code, action)): Path<(String, String)>,
    headers: HeaderMap,
    OptionalJsonBody(body): OptionalJsonBody<FireBody>,
) -> Result<Response, Problem> {
    let command_id = command_id(&headers, &principal, WriteRoute::FireAction)?;
    let expected = expected_sequence(&headers)?;
    let target = writable_target(&state, &principal, &id_or_code).await?;
    let command = Command::FireAction {
        action,
        reason: body.reason,
    };
    let answer = carry_out(
        &state,
        &principal,
        target.project_id,
        command_id,
        expected,
        command,
    )
    .await?;
    Ok(written(&answer, false, &answer))
}

/// The query of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The kind of artifact, as the definition names it.
    #[param(example = "draft")]
    kind: String,
    /// The file's name.
    #[param(example = "draft-v1.pdf")]
    file_name: String,
}

/// What an upload answers: the write, and where the content is.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadAnswer {
    #[serde(flatten)]
    write: WriteAnswer,
    sha256: String,
    size_bytes: u64,
}

/// `POST /api/v1/projects/{project}/artifacts?kind=…&file_name=…`: the body is the file itself.
/// It is stored content-addressed and attached with the `attach_artifact` command.
///
/// The body is hashed and spooled to a temporary file as it arrives, then stored in the
/// transaction that records the attachment: a refused or conflicting upload stores nothing.
/// Uploads running at once are bounded per caller and in all (429 with `Retry-After` beyond).
#[utoipa::path(
    post,
    path = "/projects/{project}/artifacts",
    tag = "projects",
    params(
        super::params::ProjectPath,
        UploadQuery,
        super::params::WriteHeaders,
    ),
    request_body(content = super::params::BinaryFile, content_type = "application/octet-stream", description = "The file itself"),
    security(("bearer" = [])),
    responses((status = 200, description = "The file was stored and attached", body = UploadAnswer,
        headers(("ETag" = String, description = "The sequence to send as `If-Match` next"))))
)]
pub async fn upload_artifact(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<UploadQuery>,
    request: Request,
) -> Result<Response, Problem> {
    let headers = request.headers().clone();
    let command_id = command_id(&headers, &principal, WriteRoute::Upload)?;
    let expected = expected_sequence(&headers)?;
    let view = writable_project(&state, &principal, &id_or_code).await?;
    let content = spool_body(&state, &principal, request).await?;
    let upload = Upload {
        kind: query.kind,
        file_name: query.file_name,
        content,
    };
    let attached = attach_upload(&state, &principal, &view, upload, command_id, expected).await?;
    Ok(upload_answer(
        attached.write,
        attached.sha256,
        attached.size_bytes,
    ))
}

/// Reads an upload's body as it arrives, hashing each piece and spooling it to a temporary file,
/// so that memory does not grow with the file; refused (429) before reading when the caller or
/// the server already runs as many uploads as allowed, and (413) as soon as it passes the limit.
async fn spool_body(
    state: &AppState,
    principal: &Principal,
    request: Request,
) -> Result<specflow_store::SpooledArtifact, Problem> {
    let mut spool = state.store.begin_upload(&principal.subject)?;
    let mut body = request.into_body().into_data_stream();
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|error| {
            Problem::new(
                ProblemKind::InvalidRequest,
                format!("上传中断，文件未保存：{error}"),
                format!("The upload broke off and nothing was stored: {error}"),
            )
        })?;
        spool.write(&piece).await?;
    }
    Ok(spool.finish().await?)
}

fn upload_answer(write: WriteAnswer, sha256: String, size_bytes: u64) -> Response {
    let answer = UploadAnswer {
        write,
        sha256,
        size_bytes,
    };
    written(&answer.write, false, &answer)
}

/// `GET /api/v1/artifacts/{sha256}`: an artifact's content, for anyone who may read a project it
/// is attached to (admin, supervisor and auditor: any stored artifact).
#[utoipa::path(
    get,
    path = "/artifacts/{sha256}",
    tag = "projects",
    params(("sha256" = String, Path, description = "The content's SHA-256, 64 hexadecimal digits", pattern = "^[0-9a-fA-F]{64}$",
        example = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
    security(("bearer" = [])),
    responses((status = 200, description = "The content, as uploaded", content_type = "application/octet-stream", body = super::params::BinaryFile,
        headers(("ETag" = String, description = "The digest"))))
)]
pub async fn download_artifact(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(sha256): Path<String>,
) -> Result<Response, Problem> {
    artifact_download(&state, &principal, &sha256).await
}
