//! Carrying out a work form: `POST /projects/{project}/forms/{form}`.
//!
//! The body is read (a file upload as `multipart/form-data`, every other form as
//! `application/x-www-form-urlencoded`), its CSRF token checked, the fields made into the
//! engine's command by [`forms::command_of`], and the command carried out by the API's own
//! use-cases. Done, the project's page is shown again with what was done; refused, the page is
//! shown with the form open, what was typed kept and every reason beside its field (422), and
//! nothing is written.

use super::forms::{self, FieldProblem, FormKind, Retry, Values, value, values_of};
use super::projects::render_project;
use super::session::{CSRF_FIELD, SignedIn};
use crate::app::AppState;
use crate::app::idempotency::{WriteRoute, scoped_command_id};
use crate::app::problem::{Problem, ProblemKind};
use crate::app::projects::{
    Upload, attach_upload, carry_out, roll_from_committee, writable_project,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use specflow_engine::Command;
use specflow_engine::definition::FieldType;
use specflow_store::{SpooledArtifact, StoreError};
use uuid::Uuid;

/// What a form sent: its fields, and the file of an upload.
struct Submission {
    values: Values,
    /// The file of an upload form, with its name: spooled as it was read, never held whole.
    file: Option<(String, SpooledArtifact)>,
}

/// Why a form was not carried out.
enum Refusal {
    /// Something the user can fix in the form: shown beside the fields.
    Form(Vec<FieldProblem>),
    /// Anything else (a missing project, a forbidden role, a stale page): an error page.
    Page(Problem),
}

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Refusal {
        match problem.kind {
            ProblemKind::GuardRejected
            | ProblemKind::InvalidRequest
            | ProblemKind::PayloadTooLarge
            | ProblemKind::Conflict => Refusal::Form(FieldProblem::from_problem(&problem)),
            _ => Refusal::Page(problem),
        }
    }
}

/// `POST /projects/{project}/forms/{form}`.
pub async fn submit_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id_or_code, slug)): Path<(String, String)>,
    request: Request,
) -> Response {
    let Some(form) = FormKind::from_slug(&slug) else {
        return signed_in.viewer.error_page(&Problem::new(
            ProblemKind::NotFound,
            format!("没有表单 {slug}"),
            format!("There is no form {slug}"),
        ));
    };
    let submission = match read_submission(request, &state, &signed_in.principal.subject).await {
        Ok(submission) => submission,
        Err(problem) => return signed_in.viewer.error_page(&problem),
    };
    if let Err(problem) = signed_in.check_csrf(value(&submission.values, CSRF_FIELD)) {
        return signed_in.viewer.error_page(&problem);
    }
    let values = submission.values.clone();
    match carry_out_form(&state, &signed_in, &id_or_code, form, submission).await {
        Ok(project_id) => {
            Redirect::to(&format!("/projects/{project_id}?saved={}", form.slug())).into_response()
        }
        Err(Refusal::Page(problem)) => signed_in.viewer.error_page(&problem),
        Err(Refusal::Form(problems)) => {
            let retry = Retry {
                form,
                values,
                problems,
            };
            let mut response =
                render_project(&state, &signed_in, &id_or_code, None, Some(&retry)).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
    }
}

/// Reads the body: multipart for an upload, URL-encoded for everything else.
async fn read_submission(
    request: Request,
    state: &AppState,
    caller: &str,
) -> Result<Submission, Problem> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if !is_multipart {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(&rejection.body_text()))?;
        return Ok(Submission {
            values: values_of(&body),
            file: None,
        });
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| unreadable(&rejection.body_text()))?;
    let mut submission = Submission {
        values: Values::new(),
        file: None,
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| too_large_or_unreadable(&error))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        if let Some(file_name) = file_name.filter(|_| name == "file") {
            let content = spool_field(state, caller, field).await?;
            submission.file = Some((file_name, content));
            continue;
        }
        let content = field
            .bytes()
            .await
            .map_err(|error| too_large_or_unreadable(&error))?;
        submission
            .values
            .entry(name)
            .or_default()
            .push(String::from_utf8_lossy(&content).into_owned());
    }
    Ok(submission)
}

/// Reads a form's file as it arrives, hashing and spooling each piece, so that memory does not
/// grow with the file; refused when too many uploads run (429) or the file passes the limit.
async fn spool_field(
    state: &AppState,
    caller: &str,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<SpooledArtifact, Problem> {
    let mut spool = state.store.begin_upload(caller)?;
    while let Some(piece) = field
        .chunk()
        .await
        .map_err(|error| too_large_or_unreadable(&error))?
    {
        spool.write(&piece).await.map_err(|error| match error {
            StoreError::ArtifactTooLarge { .. } => file_too_large(),
            other => Problem::from(other),
        })?;
    }
    Ok(spool.finish().await?)
}

fn unreadable(why: &str) -> Problem {
    Problem::new(
        ProblemKind::InvalidRequest,
        format!("无法读取表单：{why}"),
        format!("The form could not be read: {why}"),
    )
}

fn file_too_large() -> Problem {
    Problem::invalid(
        "file",
        "文件超过大小上限，未保存",
        "The file is larger than the limit and was not stored",
    )
    .with("status", 413)
}

fn too_large_or_unreadable(error: &axum::extract::multipart::MultipartError) -> Problem {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        file_too_large()
    } else {
        unreadable(&error.body_text())
    }
}

/// Makes the command and carries it out; the project's id when done.
async fn carry_out_form(
    state: &AppState,
    signed_in: &SignedIn,
    id_or_code: &str,
    form: FormKind,
    submission: Submission,
) -> Result<Uuid, Refusal> {
    let principal = &signed_in.principal;
    let view = writable_project(state, principal, id_or_code).await?;
    if !form.allowed(&view.definition, &view.summary, principal) {
        return Err(Refusal::Page(Problem::new(
            ProblemKind::Forbidden,
            format!(
                "您的角色不能使用「{}」",
                form.title(super::layout::Words(specflow_engine::Language::Zh))
            ),
            format!(
                "Your role may not use \"{}\"",
                form.title(super::layout::Words(specflow_engine::Language::En))
            ),
        )));
    }
    let values = &submission.values;
    let command_id = match value(values, "command_id") {
        Some(text) => Uuid::parse_str(text).map_err(|_| {
            Problem::invalid(
                "command_id",
                "表单中的命令编号无效",
                "The form's command id is not valid",
            )
        })?,
        None => Uuid::new_v4(),
    };
    // Scoped to the person, as the API scopes its keys.
    let route = if matches!(form, FormKind::Attach) {
        WriteRoute::Upload
    } else {
        WriteRoute::Command
    };
    let command_id = scoped_command_id(principal, route, &command_id.to_string());
    let expected = value(values, "sequence")
        .map(|text| {
            text.parse::<u64>().map_err(|_| {
                Problem::invalid(
                    "sequence",
                    "表单中的记录序号无效",
                    "The form's sequence is not valid",
                )
            })
        })
        .transpose()?;
    let project_id = view.summary.project_id;
    let values =
        resolve_project_field(state, principal, &view.definition, form, values.clone()).await?;
    let command =
        forms::command_of(form, &values, &view.state, &view.definition).map_err(Refusal::Form)?;
    match command {
        Command::AttachArtifact(artifact) => {
            let Some((file_name, content)) = submission
                .file
                .filter(|(_, content)| content.size_bytes > 0)
            else {
                return Err(Refusal::Form(vec![FieldProblem {
                    field: Some("file".to_string()),
                    message: specflow_engine::LocalizedText::new(
                        "请选择一个非空文件",
                        "Choose a file that is not empty",
                    ),
                }]));
            };
            let upload = Upload {
                kind: artifact.kind,
                file_name,
                content,
            };
            attach_upload(state, principal, &view, upload, command_id, expected).await?;
        }
        Command::RecordMeeting(record) => {
            let record = roll_from_committee(
                state,
                &view.summary.committee,
                &view.summary.drafting_unit,
                record,
            )
            .await?;
            carry_out(
                state,
                principal,
                project_id,
                command_id,
                expected,
                Command::RecordMeeting(record),
            )
            .await?;
        }
        command => {
            carry_out(state, principal, project_id, command_id, expected, command).await?;
        }
    }
    Ok(project_id)
}

/// A project field's value as people type it, a project's code, made into the project's id.
async fn resolve_project_field(
    state: &AppState,
    principal: &specflow_store::auth::Principal,
    definition: &specflow_engine::WorkflowDefinition,
    form: FormKind,
    mut values: Values,
) -> Result<Values, Refusal> {
    if form != FormKind::RecordField {
        return Ok(values);
    }
    let is_project = value(&values, "field").is_some_and(|field| {
        definition
            .fields
            .iter()
            .any(|known| known.code == field && known.value_type == FieldType::Project)
    });
    let Some(code) = value(&values, "value").map(str::to_string) else {
        return Ok(values);
    };
    if !is_project || Uuid::parse_str(&code).is_ok() {
        return Ok(values);
    }
    // Only a project the user may see can be named, so a code cannot be probed through here.
    match crate::app::projects::readable_project(state, principal, &code).await {
        Ok(project_id) => {
            values.insert("value".to_string(), vec![project_id.to_string()]);
            Ok(values)
        }
        Err(_) => Err(Refusal::Form(vec![FieldProblem {
            field: Some("value".to_string()),
            message: specflow_engine::LocalizedText::new(
                format!("没有编号为「{code}」的项目"),
                format!("There is no project {code}"),
            ),
        }])),
    }
}
