//! Projects: which a principal may see and change, a project with its deadlines and available
//! actions in the reader's language, carrying out a command, and an artifact's download.
//!
//! The API's project routes and the project pages both call these, so a page can show nothing
//! the API would refuse, and a hidden project is the same 404 in both.

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind, require};
use crate::app::text_fields::{check_serialized, check_text};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specflow_engine::{Command, Language, ProjectState, available_actions};
use specflow_store::auth::{
    Principal, Visibility, can_read_everything, can_read_project, can_write_project,
};
use specflow_store::{CommandOutcome, CommandRequest, ProjectFilter, ProjectListPage, ProjectView};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// How many projects a page holds when the caller does not say.
const DEFAULT_PAGE: u32 = 50;

/// A stage's name from a definition in `language`, for lists that carry only the code; the code
/// itself when the definition cannot be loaded (a list is still worth showing).
pub async fn stage_name(
    state: &AppState,
    definition_id: &str,
    definition_version: u32,
    stage: &str,
    language: Language,
) -> String {
    match state
        .store
        .definition(definition_id, definition_version)
        .await
    {
        Ok(definition) => definition.stage_name(stage).get(language).to_string(),
        Err(_) => stage.to_string(),
    }
}

/// Checks a page size: 1 to 1000, [`DEFAULT_PAGE`] when absent.
pub fn page_limit(limit: Option<u32>) -> Result<u32, Problem> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(limit) if (1..=1000).contains(&limit) => Ok(limit),
        Some(limit) => Err(Problem::invalid(
            "limit",
            format!("limit 应在 1 至 1000 之间，收到 {limit}"),
            format!("limit must be 1 to 1000, not {limit}"),
        )),
    }
}

/// Finds a project by id or code and checks the caller may read it; a hidden project is answered
/// as a missing one.
pub async fn readable_project(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
) -> Result<Uuid, Problem> {
    let summary = state.store.resolve_project_summary(id_or_code).await?;
    require(
        principal,
        can_read_project(principal, &summary.committee, summary.project_id),
        id_or_code,
    )?;
    Ok(summary.project_id)
}

/// Finds a project by id or code and checks the caller may change it: hidden is 404, an
/// auditor's attempt 403. The facts it checks are fixed at creation, so a project whose state the
/// store has cached needs no query; otherwise the state is brought into the cache with the
/// projection in one query, for the writer to find ([`specflow_store::Store::resolve_write_target`]).
/// The web pages' forms are checked by it too.
pub async fn writable_target(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
) -> Result<specflow_store::WriteTarget, Problem> {
    let target = state.store.resolve_write_target(id_or_code).await?;
    require(
        principal,
        can_write_project(principal, &target.committee, target.project_id),
        id_or_code,
    )?;
    Ok(target)
}

/// As `writable_target`, with the project's state and definition, for a handler that decides
/// before it writes.
pub async fn writable_project(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
) -> Result<ProjectView, Problem> {
    project_view_if(state, principal, id_or_code, can_write_project).await
}

/// As `readable_project`, with the project's state and definition (by id, one query).
pub async fn readable_project_view(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
) -> Result<ProjectView, Problem> {
    project_view_if(state, principal, id_or_code, can_read_project).await
}

/// A project with its state and definition, if `access` lets the principal at it.
async fn project_view_if(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
    access: fn(&Principal, &str, Uuid) -> specflow_store::auth::Access,
) -> Result<ProjectView, Problem> {
    let view = state.store.resolve_project_view(id_or_code).await?;
    require(
        principal,
        access(principal, &view.summary.committee, view.summary.project_id),
        id_or_code,
    )?;
    Ok(view)
}

/// The project flags of every registered definition (the newest version of each), in order,
/// each once: what the project list may be filtered by.
pub async fn known_project_flags(
    state: &AppState,
) -> Result<Vec<specflow_engine::definition::ProjectFlag>, Problem> {
    let mut flags: Vec<specflow_engine::definition::ProjectFlag> = Vec::new();
    for id in state.store.definition_ids().await? {
        let definition = state.store.latest_definition(&id).await?;
        for flag in &definition.project_flags {
            if !flags.iter().any(|known| known.code == flag.code) {
                flags.push(flag.clone());
            }
        }
    }
    Ok(flags)
}

/// A filter by a flag no registered definition declares is an error that lists those that exist,
/// never an empty list.
async fn check_flag_known(state: &AppState, flag: &str) -> Result<(), Problem> {
    let known = known_project_flags(state).await?;
    if known.iter().any(|candidate| candidate.code == flag) {
        return Ok(());
    }
    let codes: Vec<&str> = known
        .iter()
        .map(|candidate| candidate.code.as_str())
        .collect();
    Err(Problem::invalid(
        "flag",
        format!(
            "筛选条件 flag：没有项目标记「{flag}」；可用：{}",
            if codes.is_empty() {
                "（无）".to_string()
            } else {
                codes.join("、")
            }
        ),
        format!(
            "Filter flag: there is no project flag '{flag}'; flags are: {}",
            if codes.is_empty() {
                "(none)".to_string()
            } else {
                codes.join(", ")
            }
        ),
    ))
}

/// A page of the projects matching `filter` that `principal` may see, by code after `after`:
/// the API's list and the web pages' home page.
pub async fn visible_projects(
    state: &AppState,
    principal: &Principal,
    mut filter: ProjectFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<ProjectListPage, Problem> {
    let empty = ProjectListPage {
        items: Vec::new(),
        next_after: None,
    };
    if let Some(flag) = &filter.flag {
        check_flag_known(state, flag).await?;
    }
    match principal.visibility() {
        Visibility::Everything => {}
        Visibility::Committee(own) => {
            // Another committee asked for: nothing of it is visible, so the page is empty.
            if filter
                .committee
                .as_deref()
                .is_some_and(|asked| asked != own)
            {
                return Ok(empty);
            }
            filter.committee = Some(own.to_string());
        }
        Visibility::Project(project_id) => {
            // One project at most: the filters are checked on it rather than in the database.
            let Some(summary) = state.store.project_summary(project_id).await? else {
                return Ok(empty);
            };
            let matches = filter
                .committee
                .as_ref()
                .is_none_or(|c| *c == summary.committee)
                && filter.stage.as_ref().is_none_or(|s| *s == summary.stage)
                && filter
                    .drafting_unit
                    .as_ref()
                    .is_none_or(|d| *d == summary.drafting_unit)
                && filter
                    .overdue
                    .is_none_or(|overdue| overdue == summary.overdue_since.is_some())
                && filter
                    .flag
                    .as_ref()
                    .is_none_or(|flag| summary.flags.contains(flag))
                && after.is_none_or(|after| summary.code.as_str() > after);
            let items = if matches { vec![summary] } else { Vec::new() };
            return Ok(ProjectListPage {
                items,
                next_after: None,
            });
        }
        Visibility::Nothing => return Ok(empty),
    }
    Ok(state.store.list_projects(&filter, after, limit).await?)
}

/// What a write answers: the records it appended and the project's new head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "project_id": "0b7e9c1a-3f5d-5e2a-9c4b-7d8e6f1a2b3c",
    "command_id": "6a1f0d2e-4b3c-4d5e-8f70-9a8b7c6d5e4f",
    "first_sequence": 1,
    "last_sequence": 1,
    "head_hash": "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"
}))]
pub struct WriteAnswer {
    /// The project.
    pub project_id: Uuid,
    /// The command's id (derived from the caller, the route and the `Idempotency-Key`, when one
    /// was sent).
    pub command_id: Uuid,
    /// The first record appended.
    pub first_sequence: u64,
    /// The last record appended: the sequence to send as `If-Match` next.
    pub last_sequence: u64,
    /// The new head's hash.
    pub head_hash: String,
}

/// Carries out a command for a project: the records appended, or the problem the API answers
/// (409 for a stale `If-Match`, 422 with every unmet guard, 403 when the role may not).
/// The web pages carry out their forms through it too.
pub async fn carry_out(
    state: &AppState,
    principal: &Principal,
    project_id: Uuid,
    command_id: Uuid,
    expected_sequence: Option<u64>,
    command: Command,
) -> Result<WriteAnswer, Problem> {
    let request = CommandRequest {
        project_id,
        command_id,
        expected_sequence,
        actor: principal.actor(),
        command,
    };
    carry_out_with(state, principal, request, None).await
}

/// [`carry_out`], with the uploaded content an `attach_artifact` command attaches: the store
/// keeps the content only if the attachment is recorded, in the same transaction.
async fn carry_out_with(
    state: &AppState,
    principal: &Principal,
    request: CommandRequest,
    content: Option<specflow_store::SpooledArtifact>,
) -> Result<WriteAnswer, Problem> {
    // Both faces and uploads come through here: a control character or an overlong text is
    // refused before the store sees it (PostgreSQL would refuse a NUL with an error, SQLite keep
    // it), and an upload's content is then never stored.
    check_serialized(&request.command)?;
    let project_id = request.project_id;
    let command_id = request.command_id;
    let kind = request.command.kind_name();
    let action = match &request.command {
        Command::FireAction { action, .. } => action.clone(),
        _ => String::new(),
    };
    let outcome = match content {
        Some(content) => state.store.execute_attaching(request, content).await?,
        None => state.store.execute(request).await?,
    };
    match outcome {
        CommandOutcome::Accepted {
            project_id: answered,
            first_sequence,
            last_sequence,
            head_hash,
        } => {
            if answered != project_id {
                return Err(reused_key(principal));
            }
            tracing::info!(subject = %principal.subject, role = %principal.role, %project_id, command = kind, first_sequence, last_sequence, "command accepted");
            state
                .metrics
                .transitions
                .get_or_create(&vec![
                    ("command".to_string(), kind.to_string()),
                    ("action".to_string(), action),
                ])
                .inc();
            Ok(WriteAnswer {
                project_id,
                command_id,
                first_sequence,
                last_sequence,
                head_hash,
            })
        }
        CommandOutcome::Rejected {
            project_id: answered,
            rejection,
        } => {
            if answered != project_id {
                return Err(reused_key(principal));
            }
            for code in rejection.codes() {
                state
                    .metrics
                    .rejections
                    .get_or_create(&vec![("code".to_string(), code.to_string())])
                    .inc();
            }
            let problem = Problem::rejected(&rejection).with("command_id", command_id.to_string());
            if problem.kind == ProblemKind::Forbidden {
                // The definition does not let the role do this: a refusal like any other.
                tracing::warn!(subject = %principal.subject, role = %principal.role, %project_id, command = kind, reason = %rejection, status = 403, "refused: role not permitted");
            } else {
                tracing::info!(subject = %principal.subject, role = %principal.role, %project_id, command = kind, codes = ?rejection.codes(), "command rejected");
            }
            Err(problem)
        }
    }
}

/// An `Idempotency-Key` already used for a command to another project: answering with that
/// project's outcome would show it to a caller who may not see it.
fn reused_key(principal: &Principal) -> Problem {
    tracing::warn!(subject = %principal.subject, reason = "Idempotency-Key reused for another project", status = 409, "refused");
    Problem::new(
        ProblemKind::Conflict,
        "此 Idempotency-Key 已用于另一个项目的请求：每个请求应使用新的键",
        "This Idempotency-Key was already used for a request to another project: use a new key for each request",
    )
}

/// A deadline as a project page shows it: planned and actual dates and days left.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineView {
    /// The deadline's id in the definition.
    pub deadline: String,
    /// Its name in the request's language.
    pub name: String,
    /// The local date it started.
    pub started_on: NaiveDate,
    /// The due date first set, before any extension.
    pub original_due_on: Option<NaiveDate>,
    /// The date the plan set, if any.
    pub planned_due_on: Option<NaiveDate>,
    /// The current due date.
    pub due_on: Option<NaiveDate>,
    /// The instant it falls due.
    pub due_at: Option<DateTime<Utc>>,
    /// The local date its warning is given, when the definition warns before it.
    pub warns_on: Option<NaiveDate>,
    /// Local days from today to the due date; negative once it is past.
    pub days_left: Option<i64>,
    /// Whether it still runs.
    pub open: bool,
    /// Whether the current due date was missed.
    pub missed: bool,
    /// Whether it was escalated to the bureau.
    pub escalated: bool,
    /// How many extensions were granted.
    pub extensions_granted: u32,
    /// When it ended, once it has.
    pub closed_at: Option<DateTime<Utc>>,
    /// Days past the due date when it was met late.
    pub days_late: Option<i64>,
}

/// One unmet guard, in the request's language.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnmetView {
    /// The project's code (or, for a guard, its stable code).
    pub code: String,
    /// The guard's id in the definition, when a guard failed.
    pub guard: Option<String>,
    /// The figures behind the reason.
    #[schema(value_type = Object)]
    pub figures: BTreeMap<String, Value>,
    /// The reason in the request's language.
    pub message: String,
}

/// An action the project's stage offers, with why the caller cannot fire it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionView {
    /// The action's code.
    pub action: String,
    /// Its name in the request's language.
    pub name: String,
    /// The stage it leads to.
    pub to: String,
    /// That stage's name.
    pub to_name: String,
    /// The roles that may fire it.
    pub roles: Vec<String>,
    /// Whether it needs a reason in words.
    pub requires_reason: bool,
    /// Whether it cancels the project.
    pub cancels: bool,
    /// Whether the caller can fire it now.
    pub ready: bool,
    /// Every reason the caller cannot fire it now.
    pub unmet: Vec<UnmetView>,
}

/// A project's deadlines as of `now`: planned and actual dates, with local days left on the open
/// ones. The API's project and the web page's show the same figures.
pub fn deadline_views(
    project: &ProjectState,
    definition: &specflow_engine::WorkflowDefinition,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<DeadlineView> {
    let today = now.with_timezone(&definition.local_utc_offset).date_naive();
    project
        .deadlines
        .iter()
        .map(|entry| DeadlineView {
            deadline: entry.deadline.clone(),
            name: definition.deadline(&entry.deadline).map_or_else(
                || entry.deadline.clone(),
                |rule| rule.name.get(language).to_string(),
            ),
            started_on: entry.started_on,
            original_due_on: entry.original_due_on,
            planned_due_on: entry.planned_due_on,
            due_on: entry.times.map(|times| times.due_on),
            due_at: entry.times.map(|times| times.due_at),
            warns_on: entry
                .times
                .and_then(|times| times.warn_at)
                .map(|at| at.with_timezone(&definition.local_utc_offset).date_naive()),
            days_left: entry
                .times
                .filter(|_| entry.is_open())
                .map(|times| (times.due_on - today).num_days()),
            open: entry.is_open(),
            missed: entry.missed,
            escalated: entry.escalated,
            extensions_granted: entry.extensions_granted,
            closed_at: entry.closed.map(|(_, at)| at),
            days_late: entry.days_late,
        })
        .collect()
}

/// The actions of the project's stage for `principal`, each with every unmet guard in
/// `language`: the API's `available_actions` and the web page's buttons.
pub fn action_views(
    project: &ProjectState,
    definition: &specflow_engine::WorkflowDefinition,
    principal: &Principal,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<ActionView> {
    available_actions(project, definition, &principal.actor(), now)
        .into_iter()
        .map(|action| ActionView {
            ready: action.is_ready(),
            name: action.name.get(language).to_string(),
            to_name: action.to_name.get(language).to_string(),
            unmet: unmet_views(&action.unmet, language),
            action: action.action,
            to: action.to,
            roles: action.roles,
            requires_reason: action.requires_reason,
            cancels: action.cancels,
        })
        .collect()
}

fn unmet_views(unmet: &[specflow_engine::Unmet], language: Language) -> Vec<UnmetView> {
    unmet
        .iter()
        .map(|reason| UnmetView {
            code: reason.code.clone(),
            guard: reason.guard.clone(),
            figures: reason.figures.clone(),
            message: reason.message.get(language).to_string(),
        })
        .collect()
}

/// An artifact's content as a download, for anyone who may read a project it is attached to;
/// the API's route and the web pages' links answer alike.
pub async fn artifact_download(
    state: &AppState,
    principal: &Principal,
    sha256: &str,
) -> Result<Response, Problem> {
    let sha256 = sha256.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Problem::invalid(
            "sha256",
            "文件摘要应为 64 位十六进制数字",
            "The digest must be 64 hexadecimal digits",
        ));
    }
    let not_found = || {
        Problem::new(
            ProblemKind::NotFound,
            format!("没有摘要为 {sha256} 的文件"),
            format!("There is no artifact {sha256}"),
        )
    };
    if !can_read_everything(principal).is_allowed()
        && !state
            .store
            .artifact_attached_within(&sha256, principal.visibility())
            .await?
    {
        tracing::warn!(subject = %principal.subject, role = %principal.role, reason = %format!("{} may read no project with the artifact {sha256}", principal.describe().en), status = 404, "refused: hidden");
        return Err(not_found());
    }
    let content = state
        .store
        .artifact_stream(&sha256)
        .await?
        .ok_or_else(not_found)?;
    Ok(download_response(content, &sha256, None))
}

/// An upload to attach: its kind, its file's name, and its content, spooled as it was read
/// ([`specflow_store::Store::begin_upload`]).
#[derive(Debug)]
pub struct Upload {
    /// The artifact kind, one of the definition's.
    pub kind: String,
    /// The file's name.
    pub file_name: String,
    /// The content, hashed and in a temporary file.
    pub content: specflow_store::SpooledArtifact,
}

/// An upload's outcome: the records appended and the content's digest and size.
#[derive(Debug)]
pub struct Attached {
    /// The records appended.
    pub write: WriteAnswer,
    /// The content's SHA-256, in lowercase hex.
    pub sha256: String,
    /// The content's size.
    pub size_bytes: u64,
}

/// Attaches an uploaded file with the `attach_artifact` command; the API's upload and the
/// upload form both call it.
///
/// The content is stored by the writer in the transaction that records the attachment, so a
/// refused command (a role that may not attach, a frozen project), a stale `If-Match` or any
/// failure stores nothing: no content is ever kept without a record naming it. A retry under
/// the same key with the same file is answered from the first outcome; with another file it is
/// refused (422), since the command names the file's digest.
pub async fn attach_upload(
    state: &AppState,
    principal: &Principal,
    view: &ProjectView,
    upload: Upload,
    command_id: Uuid,
    expected_sequence: Option<u64>,
) -> Result<Attached, Problem> {
    let sha256 = upload.content.sha256.clone();
    let size_bytes = upload.content.size_bytes;
    let request = CommandRequest {
        project_id: view.summary.project_id,
        command_id,
        expected_sequence,
        actor: principal.actor(),
        command: Command::AttachArtifact(specflow_engine::command::Artifact {
            kind: upload.kind,
            file_name: upload.file_name,
            size_bytes,
            sha256: sha256.clone(),
        }),
    };
    let write = carry_out_with(state, principal, request, Some(upload.content)).await?;
    Ok(Attached {
        write,
        sha256,
        size_bytes,
    })
}

/// Fills a meeting's roll from the committee's record as of the meeting's day: the voting members
/// then in office. Members of the project's drafting unit are flagged, and the definition decides
/// whether they must abstain. A caller may leave `roll` empty or send exactly that roll; any other
/// roll is refused, naming who is missing and who is not in office.
///
/// A project whose committee has no record (committees formed before specflow kept them) keeps
/// the roll its caller sends, as before.
pub async fn roll_from_committee(
    state: &AppState,
    committee: &str,
    drafting_unit: &str,
    mut record: specflow_engine::command::MeetingRecord,
) -> Result<specflow_engine::command::MeetingRecord, Problem> {
    let Some(roll) = state
        .store
        .committee_roll(committee, record.held_on)
        .await?
    else {
        return Ok(record);
    };
    let voting: Vec<String> = roll
        .iter()
        .filter(|entry| entry.votes)
        .map(|entry| entry.person.clone())
        .collect();
    if voting.is_empty() {
        return Err(Problem::invalid(
            "held_on",
            format!(
                "技术委员会 {committee} 在{}没有在任的表决委员",
                record.held_on
            ),
            format!(
                "Committee {committee} has no voting member in office on {}",
                record.held_on
            ),
        ));
    }
    if !record.roll.is_empty() {
        let given: std::collections::BTreeSet<&str> =
            record.roll.iter().map(String::as_str).collect();
        let real: std::collections::BTreeSet<&str> = voting.iter().map(String::as_str).collect();
        if given != real {
            let missing: Vec<&str> = real.difference(&given).copied().collect();
            let extra: Vec<&str> = given.difference(&real).copied().collect();
            return Err(Problem::invalid(
                "roll",
                format!(
                    "表决名册取自技术委员会 {committee} 在{}的在任表决委员：缺少 {}；不在任或不表决的 {}。请留空 roll 或按此填写",
                    record.held_on,
                    missing.join("、"),
                    extra.join("、")
                ),
                format!(
                    "The roll is taken from committee {committee}'s voting members in office on {}: missing {}; not in office or not voting {}. Leave roll empty or send exactly that",
                    record.held_on,
                    missing.join(", "),
                    extra.join(", ")
                ),
            )
            .with("roll", voting.clone()));
        }
    }
    record.drafting_unit_members = roll
        .iter()
        .filter(|entry| entry.votes && entry.organisation == drafting_unit)
        .map(|entry| entry.person.clone())
        .collect();
    record.roll = voting;
    Ok(record)
}

/// The namespace of the ids of projects created with an idempotency key: a retried creation
/// must name the same project, so its id follows from the command id.
const PROJECT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x0c3e_51a7_8f2d_4b90_a6e4_19d7_3b5c_8e21);

/// A project to create, as the API's body and the creation form give it.
#[derive(Debug, Clone)]
pub struct Creation {
    /// The project's code, unique.
    pub code: String,
    /// Its title in Chinese and English.
    pub title: specflow_engine::LocalizedText,
    /// Its kind of specification.
    pub specification_kind: String,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// The workflow definition it follows.
    pub definition_id: String,
    /// That definition's version; its newest when absent.
    pub definition_version: Option<u32>,
    /// The flags it is given, each one of the definition's `[[project_flags]]` (such as being
    /// tied to legal or livelihood metrology); the engine refuses one it does not declare.
    pub flags: std::collections::BTreeSet<String>,
}

/// Creates a project in the principal's scope: refused (403) outside it, 409 when the code is
/// taken, and otherwise whatever the engine says. `is_retry` (an idempotency key was sent) makes
/// the project's id follow from the command's, so a retry names the same project.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    request: Creation,
    command_id: Uuid,
    expected_sequence: Option<u64>,
    is_retry: bool,
) -> Result<WriteAnswer, Problem> {
    // The code is looked up before the command is carried out, so its texts are checked first.
    check_creation_texts(&request)?;
    let project_id = if is_retry {
        Uuid::new_v5(&PROJECT_ID_NAMESPACE, command_id.as_bytes())
    } else {
        Uuid::new_v4()
    };
    match can_write_project(principal, &request.committee, project_id) {
        specflow_store::auth::Access::Allowed => {}
        // Nothing exists yet that could be hidden: refusing to create is plainly forbidden.
        specflow_store::auth::Access::Forbidden(reason) => {
            return Err(crate::app::problem::refusal(
                principal,
                specflow_store::auth::Access::Forbidden(reason),
                &request.code,
            ));
        }
        specflow_store::auth::Access::Hidden(reason) => {
            return Err(crate::app::problem::refusal(
                principal,
                specflow_store::auth::Access::Forbidden(crate::app::problem::outside_scope(
                    &reason,
                )),
                &request.code,
            ));
        }
    }
    let definition_version = match request.definition_version {
        Some(version) => version,
        None => {
            state
                .store
                .latest_definition(&request.definition_id)
                .await
                .map_err(|_| {
                    Problem::invalid(
                        "definition_id",
                        format!("工作流定义 {} 未注册", request.definition_id),
                        format!(
                            "The workflow definition {} is not registered",
                            request.definition_id
                        ),
                    )
                })?
                .version
        }
    };
    // The code is unique: a taken one is a conflict, said before the writer would refuse it.
    if let Some(existing) = state.store.project_id_by_code(&request.code).await?
        && existing != project_id
    {
        return Err(Problem::new(
            ProblemKind::Conflict,
            format!("项目编号 {} 已被使用", request.code),
            format!("The project code {} is already taken", request.code),
        )
        .with("field", "code"));
    }
    let command = Command::CreateProject(specflow_engine::command::NewProject {
        project_id,
        code: request.code,
        title: request.title,
        specification_kind: request.specification_kind,
        committee: request.committee,
        drafting_unit: request.drafting_unit,
        definition_id: request.definition_id,
        definition_version,
        flags: request.flags,
    });
    carry_out(
        state,
        principal,
        project_id,
        command_id,
        expected_sequence,
        command,
    )
    .await
}

/// The texts of a creation held to their rules (`app::text_fields`), as the API's body is.
fn check_creation_texts(request: &Creation) -> Result<(), Problem> {
    check_text("code", "code", &request.code)?;
    check_text("title.zh", "zh", &request.title.zh)?;
    check_text("title.en", "en", &request.title.en)?;
    check_text(
        "specification_kind",
        "specification_kind",
        &request.specification_kind,
    )?;
    check_text("committee", "committee", &request.committee)?;
    check_text("drafting_unit", "drafting_unit", &request.drafting_unit)?;
    check_text("definition_id", "definition_id", &request.definition_id)?;
    request
        .flags
        .iter()
        .try_for_each(|flag| check_text("flags", "flags", flag))
}

/// The first code of the definition's format not yet taken for a kind in a year (`None` when the
/// definition sets no format): what the creation form proposes when the code is left blank.
///
/// Numbers are tried in order, one indexed lookup each; a committee plans tens of projects a
/// year, so this stays a handful of queries.
pub async fn proposed_code(
    state: &AppState,
    definition: &specflow_engine::WorkflowDefinition,
    kind: &str,
    year: i32,
) -> Result<Option<String>, Problem> {
    for number in 1..=9_999 {
        let Some(code) = definition.format_code(kind, year, number) else {
            return Ok(None);
        };
        if state.store.project_id_by_code(&code).await?.is_none() {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

/// A document attached to a project, as a download named as it was uploaded: the project's
/// page links to it. The reader must be able to read the project; the digest must be one the
/// project attached (its latest name for those bytes is the one given).
pub async fn project_artifact_download(
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
    sha256: &str,
) -> Result<Response, Problem> {
    let project_id = readable_project(state, principal, id_or_code).await?;
    let sha256 = sha256.to_ascii_lowercase();
    let not_found = || {
        Problem::new(
            ProblemKind::NotFound,
            format!("项目没有摘要为 {sha256} 的文件"),
            format!("The project has no artifact {sha256}"),
        )
    };
    let view = state
        .store
        .project(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(id_or_code))?;
    let file_name = view
        .state
        .artifacts
        .iter()
        .rev()
        .find(|attached| attached.artifact.sha256 == sha256)
        .map(|attached| attached.artifact.file_name.clone())
        .ok_or_else(not_found)?;
    let content = state
        .store
        .artifact_stream(&sha256)
        .await?
        .ok_or_else(not_found)?;
    Ok(download_response(content, &sha256, Some(&file_name)))
}

/// The answer of a download: the bytes, their media type (from the file's name when known),
/// `Content-Disposition` with the original name (RFC 6266: an ASCII `filename` and the exact
/// UTF-8 name as `filename*`, RFC 8187), `nosniff` and the digest as the `ETag`.
///
/// The content is streamed a chunk at a time, with its length announced; a database failure in
/// the middle ends the body early, which the client sees as a short download against the
/// announced length.
pub fn download_response(
    content: specflow_store::ArtifactStream,
    sha256: &str,
    file_name: Option<&str>,
) -> Response {
    let size_bytes = content.size_bytes;
    let pieces = content.pieces.inspect_err(|error| {
        tracing::error!(%error, "a download broke off: the database failed mid-stream");
    });
    let mut response = axum::body::Body::from_stream(pieces).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size_bytes));
    let media_type = file_name
        .and_then(|name| mime_guess::from_path(name).first_raw())
        .unwrap_or("application/octet-stream");
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Some(name) = file_name
        && let Ok(value) = HeaderValue::from_str(&content_disposition(name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // The bytes are served as they were uploaded; no browser should guess and run them.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the plain name for old clients (non-ASCII
/// characters, quotes, backslashes and controls as `_`), and every byte of the real name
/// percent-encoded but RFC 8187's attr-chars.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|character| {
            if character.is_ascii()
                && !character.is_ascii_control()
                && !matches!(character, '"' | '\\')
            {
                character
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod download_tests {
    use super::content_disposition;

    #[test]
    fn a_chinese_name_is_sent_exactly_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("项目建议书 v2.pdf"),
            "attachment; filename=\"_____ v2.pdf\"; filename*=UTF-8''%E9%A1%B9%E7%9B%AE%E5%BB%BA%E8%AE%AE%E4%B9%A6%20v2.pdf"
        );
        assert_eq!(
            content_disposition("a\"b.csv"),
            "attachment; filename=\"a_b.csv\"; filename*=UTF-8''a%22b.csv"
        );
    }
}
