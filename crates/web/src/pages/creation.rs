//! Creating a project from the pages: `GET /projects/new` shows the form, `POST /projects/new`
//! creates the project through the API's own use-case (`app::projects::create`) and opens it.
//!
//! The form offers the committees the reader may create in (a secretariat its own, the bureau
//! every one) and the kinds of specification of every workflow whose definition lets the
//! reader's role create; a code left blank is proposed from the definition's format (the kind's
//! prefix, the year, the next free number). A refused form is shown again with what was typed
//! and every reason beside its field (422); nothing is written.

use super::forms::{FieldProblem, Values, value, values_of};
use super::layout::{self, Words};
use super::session::{CSRF_FIELD, SignedIn};
use crate::app::AppState;
use crate::app::idempotency::{WriteRoute, scoped_command_id};
use crate::app::problem::{Problem, ProblemKind};
use crate::app::projects::{Creation, create, proposed_code};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use specflow_engine::definition::CommandKind;
use specflow_engine::{LocalizedText, WorkflowDefinition};
use specflow_store::auth::{Principal, RoleScope};
use std::sync::Arc;
use uuid::Uuid;

/// What the form offers: the workflows the reader may create under, and the committees.
struct Choices {
    definitions: Vec<Arc<WorkflowDefinition>>,
    committees: Vec<(String, String)>,
}

async fn choices(
    state: &AppState,
    principal: &Principal,
    words: Words,
) -> Result<Choices, Problem> {
    let mut definitions = Vec::new();
    for id in state.store.definition_ids().await? {
        let definition = state.store.latest_definition(&id).await?;
        let may = definition
            .roles_for(CommandKind::CreateProject)
            .iter()
            .any(|role| role == principal.role.workflow_role());
        if may {
            definitions.push(definition);
        }
    }
    let committees = match (&principal.committee, principal.role.scope()) {
        (Some(committee), RoleScope::Committee) => vec![(committee.clone(), committee.clone())],
        _ => state
            .store
            .list_committees()
            .await?
            .into_iter()
            .map(|committee| {
                let label = format!("{} {}", committee.code, committee.name.get(words.0));
                (committee.code, label)
            })
            .collect(),
    };
    Ok(Choices {
        definitions,
        committees,
    })
}

/// `GET /projects/new`.
pub async fn creation_form(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    render(&state, &signed_in, &Values::new(), &[]).await
}

async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    values: &Values,
    problems: &[FieldProblem],
) -> Response {
    let words = signed_in.viewer.words();
    let choices = match choices(state, &signed_in.principal, words).await {
        Ok(choices) => choices,
        Err(problem) => return signed_in.viewer.error_page(&problem),
    };
    if choices.definitions.is_empty() {
        return signed_in.viewer.error_page(&Problem::new(
            ProblemKind::Forbidden,
            "您的角色不能创建项目",
            "Your role may not create projects",
        ));
    }
    let title = words.pick("新建项目", "New project");
    let body = form_markup(signed_in, &choices, values, problems, words);
    let mut response = layout::page_response(&signed_in.viewer, title, body);
    if !problems.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

fn form_markup(
    signed_in: &SignedIn,
    choices: &Choices,
    values: &Values,
    problems: &[FieldProblem],
    words: Words,
) -> Markup {
    let shown = |name: &str| value(values, name).unwrap_or_default().to_string();
    let beside = |name: &str| {
        html! {
            @for problem in problems.iter().filter(|problem| problem.field.as_deref() == Some(name)) {
                p.field-error role="alert" { (problem.message.get(words.0)) }
            }
        }
    };
    let general: Vec<&FieldProblem> = problems
        .iter()
        .filter(|problem| problem.field.is_none())
        .collect();
    let chosen_kind = shown("kind");
    let chosen_committee = shown("committee");
    let formats: Vec<String> = choices
        .definitions
        .iter()
        .filter_map(|definition| definition.code_format.clone())
        .collect();
    html! {
        h1 { (words.pick("新建项目", "New project")) }
        @if !general.is_empty() {
            div.form-errors role="alert" {
                p { (words.pick("未能创建，原因：", "Not created, because:")) }
                ul { @for problem in &general { li { (problem.message.get(words.0)) } } }
            }
        }
        section.card {
            form.work method="post" action="/projects/new" {
                input type="hidden" name=(CSRF_FIELD) value=(signed_in.viewer.csrf.as_deref().unwrap_or_default());
                input type="hidden" name="command_id" value=(value(values, "command_id").map_or_else(|| Uuid::new_v4().to_string(), str::to_string));
                p {
                    label for="new-committee" { (words.pick("技术委员会", "Committee")) }
                    select #new-committee name="committee" required {
                        @for (code, label) in &choices.committees {
                            option value=(code) selected[*code == chosen_committee] { (label) }
                        }
                    }
                    (beside("committee"))
                }
                p {
                    label for="new-kind" { (words.pick("规范类型", "Kind of specification")) }
                    select #new-kind name="kind" required {
                        @for definition in &choices.definitions {
                            optgroup label=(format!("{} v{}", definition.title.get(words.0), definition.version)) {
                                @for kind in &definition.specification_kinds {
                                    @let code = format!("{}/{}", definition.id, kind.code);
                                    option value=(code) selected[code == chosen_kind] { (kind.name.get(words.0)) }
                                }
                            }
                        }
                    }
                    (beside("kind"))
                }
                @for definition in &choices.definitions {
                    @for flag in &definition.project_flags {
                        @let code = format!("{}/{}", definition.id, flag.code);
                        @let id = format!("new-flag-{}-{}", definition.id, flag.code);
                        p {
                            input #(id) type="checkbox" name="flag" value=(code) checked[flag_chosen(values, &code)];
                            " "
                            label for=(id) { (flag.name.get(words.0)) }
                            @if choices.definitions.len() > 1 {
                                span.muted { " (" (definition.title.get(words.0)) ")" }
                            }
                            @if let Some(source) = &flag.source {
                                br;
                                span.muted { (source) }
                            }
                        }
                    }
                }
                (beside("flags"))
                p {
                    label for="new-title-zh" { (words.pick("中文名称", "Title in Chinese")) }
                    input #new-title-zh type="text" name="title_zh" value=(shown("title_zh")) required;
                    (beside("title_zh"))
                }
                p {
                    label for="new-title-en" { (words.pick("英文名称", "Title in English")) }
                    input #new-title-en type="text" name="title_en" value=(shown("title_en")) required;
                    (beside("title_en"))
                }
                p {
                    label for="new-drafting-unit" { (words.pick("起草单位", "Drafting unit")) }
                    input #new-drafting-unit type="text" name="drafting_unit" value=(shown("drafting_unit")) required;
                    (beside("drafting_unit"))
                }
                p {
                    label for="new-code" { (words.pick("项目编号（可留空）", "Project code (may be left blank)")) }
                    input #new-code type="text" name="code" value=(shown("code"));
                    @if !formats.is_empty() {
                        span.muted { " " (words.pick("留空则按格式自动编号：", "Left blank, it is numbered by the format: ")) (formats.join(" / ")) }
                    }
                    (beside("code"))
                }
                p { button type="submit" #create-project { (words.pick("创建项目", "Create the project")) } }
            }
        }
    }
}

/// Whether the form's checkbox for a flag (`definition/flag`) was ticked.
fn flag_chosen(values: &Values, code: &str) -> bool {
    values
        .get("flag")
        .is_some_and(|ticked| ticked.iter().any(|value| value == code))
}

/// `POST /projects/new`.
pub async fn create_from_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Response {
    let values = values_of(&body);
    if let Err(problem) = signed_in.check_csrf(value(&values, CSRF_FIELD)) {
        return signed_in.viewer.error_page(&problem);
    }
    match create_project(&state, &signed_in, &values).await {
        Ok(project_id) => {
            Redirect::to(&format!("/projects/{project_id}?created=1")).into_response()
        }
        Err(Err(problem)) => signed_in.viewer.error_page(&problem),
        Err(Ok(problems)) => render(&state, &signed_in, &values, &problems).await,
    }
}

/// The new project's id; or the problems to show on the form (`Ok`), or an error page (`Err`).
async fn create_project(
    state: &AppState,
    signed_in: &SignedIn,
    values: &Values,
) -> Result<Uuid, Result<Vec<FieldProblem>, Problem>> {
    let words = signed_in.viewer.words();
    let choices = choices(state, &signed_in.principal, words)
        .await
        .map_err(Err)?;
    let mut problems = Vec::new();
    let mut required = |name: &str| match value(values, name) {
        Some(text) => Some(text.to_string()),
        None => {
            problems.push(FieldProblem {
                field: Some(name.to_string()),
                message: LocalizedText::new("此项必填", "This is required"),
            });
            None
        }
    };
    let committee = required("committee");
    let kind = required("kind");
    let title_zh = required("title_zh");
    let title_en = required("title_en");
    let drafting_unit = required("drafting_unit");
    let chosen = kind
        .as_deref()
        .and_then(|kind| kind.split_once('/'))
        .and_then(|(id, kind)| {
            choices
                .definitions
                .iter()
                .find(|definition| definition.id == id)
                .map(|definition| (definition.clone(), kind.to_string()))
        });
    if kind.is_some() && chosen.is_none() {
        problems.push(FieldProblem {
            field: Some("kind".to_string()),
            message: LocalizedText::new("请从列表中选择规范类型", "Choose the kind from the list"),
        });
    }
    let (
        Some(committee),
        Some(title_zh),
        Some(title_en),
        Some(drafting_unit),
        Some((definition, kind)),
    ) = (committee, title_zh, title_en, drafting_unit, chosen)
    else {
        return Err(Ok(problems));
    };
    let code = match value(values, "code") {
        Some(code) => code.to_string(),
        None => {
            let year = chrono::Datelike::year(
                &state
                    .store
                    .clock()
                    .now()
                    .with_timezone(&definition.local_utc_offset),
            );
            match proposed_code(state, &definition, &kind, year)
                .await
                .map_err(Err)?
            {
                Some(code) => code,
                None => {
                    return Err(Ok(vec![FieldProblem {
                        field: Some("code".to_string()),
                        message: LocalizedText::new(
                            "此工作流没有编号格式：请填写项目编号",
                            "This workflow has no code format: give the project's code",
                        ),
                    }]));
                }
            }
        }
    };
    let command_id = value(values, "command_id")
        .and_then(|text| Uuid::parse_str(text).ok())
        .unwrap_or_else(Uuid::new_v4);
    // Only the flags of the chosen kind's workflow count; the others' boxes belong to other kinds.
    let flags = values
        .get("flag")
        .into_iter()
        .flatten()
        .filter_map(|ticked| ticked.split_once('/'))
        .filter(|(id, _)| *id == definition.id)
        .map(|(_, flag)| flag.to_string())
        .collect();
    let request = Creation {
        code,
        title: LocalizedText::new(title_zh, title_en),
        specification_kind: kind,
        committee,
        drafting_unit,
        definition_id: definition.id.clone(),
        definition_version: Some(definition.version),
        flags,
    };
    // The form's command id makes a resent form (a double click) the same creation.
    // Scoped to the person, as the API scopes its keys: another's form id names another project.
    let command_id = scoped_command_id(
        &signed_in.principal,
        WriteRoute::CreateProject,
        &command_id.to_string(),
    );
    match create(state, &signed_in.principal, request, command_id, None, true).await {
        Ok(answer) => Ok(answer.project_id),
        Err(problem)
            if matches!(
                problem.kind,
                ProblemKind::GuardRejected | ProblemKind::InvalidRequest | ProblemKind::Conflict
            ) =>
        {
            Err(Ok(FieldProblem::from_problem(&problem)))
        }
        Err(problem) => Err(Err(problem)),
    }
}

/// Whether the reader may create a project under some registered workflow: the project list
/// links to the form only then.
pub(super) async fn may_create(state: &AppState, principal: &Principal) -> bool {
    if specflow_store::auth::is_read_only(principal) {
        return false;
    }
    let Ok(ids) = state.store.definition_ids().await else {
        return false;
    };
    for id in ids {
        if let Ok(definition) = state.store.latest_definition(&id).await
            && definition
                .roles_for(CommandKind::CreateProject)
                .iter()
                .any(|role| role == principal.role.workflow_role())
        {
            return true;
        }
    }
    false
}
