//! The routes of committees as audited records: list and form them, appoint, reappoint, record
//! resignations, the secretariat and the bureau's waivers, start and end terms, and read a
//! committee's state, composition check, roll, history and verification as of any instant.
//!
//! Scoping is asked of [`specflow_store::auth`] (`can_read_committee`, `can_write_committee`): composition
//! records are the bureau's, terms also the committee's secretariat's, and a committee outside a
//! token's scope is answered as a missing one. The rules are the engine's (`committee::decide`
//! against the policy file); a refusal is 422 with every rule broken, in both languages.

use super::auth::Caller;
use super::input::{JsonBody, QueryParams, command_id, expected_sequence, json_bytes, parse_json};
use super::params::{CommitteePath, WriteHeaders};
use super::projects::LocalizedTextSchema;
use super::wire::{CommitteeStateView, CompositionView, RollEntryView, VerifyFailureView};
use crate::app::AppState;
use crate::app::committees::{
    committee_code, readable_committee, require_committee, visible_committees,
};
use crate::app::idempotency::WriteRoute;
use crate::app::problem::{Problem, ProblemKind, refusal};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specflow_engine::LocalizedText;
use specflow_engine::audit::AsOf;
use specflow_engine::committee::{
    CommitteeCommand, CommitteeWaiver, MemberProfile, check_composition, roll_on,
};
use specflow_engine::stored_record::StoredRecord;
use specflow_store::auth::{Access, CommitteeWrite, Principal, can_write_committee};
use specflow_store::error::StoreError;
use specflow_store::{CommitteeCommandRequest, CommitteeOutcome, committee_id_of};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

/// What a committee write answers: the records it appended and the committee's new head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommitteeWriteAnswer {
    /// The committee.
    pub committee_id: Uuid,
    /// Its code.
    pub code: String,
    /// The command's id (the `Idempotency-Key`, or one chosen by the server).
    pub command_id: Uuid,
    /// The first record appended.
    pub first_sequence: u64,
    /// The last record appended: send it as `If-Match` next.
    pub last_sequence: u64,
    /// The new head's hash.
    pub head_hash: String,
}

/// The body of `POST /committees`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "SH-TC-01",
    "name": {"zh": "上海市长度计量技术委员会", "en": "Shanghai Length Metrology Committee"},
    "field": "length",
    "legal_metrology": false,
    "composition_plan": "沪市监计量〔2026〕12号 组成方案",
    "formed_on": "2026-01-05"
}))]
pub struct FormBody {
    /// The committee's code, as projects and tokens name it.
    code: String,
    /// Its name in Chinese and English.
    #[schema(value_type = LocalizedTextSchema)]
    name: LocalizedText,
    /// Its field.
    field: String,
    /// Whether it is the legal-metrology committee.
    #[serde(default)]
    legal_metrology: bool,
    /// The composition plan reported to the bureau.
    composition_plan: String,
    /// The local day it was formed.
    formed_on: NaiveDate,
}

/// The body of an appointment or reappointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "person": "张伟", "organisation": "上海市计量测试技术研究院", "title_level": "senior",
    "administrative": false, "metrology_professional": true, "role": "chair", "effective_on": "2026-01-05"
}))]
pub struct AppointmentBody {
    /// The person.
    person: String,
    /// Their organisation.
    organisation: String,
    /// Their professional title level, one of the policy's (`none`, `junior`, `intermediate`, `associate_senior`, `senior`).
    title_level: String,
    /// Whether they are administrative staff.
    #[serde(default)]
    administrative: bool,
    /// Whether they are a metrology professional.
    #[serde(default)]
    metrology_professional: bool,
    /// Their role: `chair`, `vice_chair`, `secretary_general`, `member` or `corresponding_member`.
    role: String,
    /// The term; the current one when absent.
    #[serde(default)]
    term: Option<u32>,
    /// The first local day in office.
    effective_on: NaiveDate,
}

/// The body of `POST …/resignations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResignationBody {
    /// Who.
    person: String,
    /// The first local day no longer in office.
    effective_on: NaiveDate,
    /// The reason given, in words, as the log records it.
    reason: String,
}

/// The body of `POST …/waivers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rule": "max_per_organisation", "subject": "上海市计量测试技术研究院", "up_to": 4, "reason": "The institute holds most of the field's standards", "authority": "沪市监计量〔2026〕15号"}))]
pub struct WaiverBody {
    /// The rule's code, as the policy names it.
    rule: String,
    /// The person or organisation it covers; the whole committee when absent.
    #[serde(default)]
    subject: Option<String>,
    /// The reason given, in words, as the log records it.
    reason: String,
    /// Who grants it: the bureau's decision and its number.
    authority: String,
    /// How far it relaxes a rule that sets a most (members, holders of a role, members from one
    /// organisation, administrative staff): the count it allows, above the rule's limit.
    /// Required for such rules, refused for others; a breach beyond it needs a further waiver.
    #[serde(default)]
    up_to: Option<u32>,
}

/// The body of `POST …/secretariat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretariatBody {
    /// The organisation that holds the secretariat.
    organisation: String,
    /// From which local day.
    since: NaiveDate,
}

/// The body of `POST …/terms`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartTermBody {
    /// Its first local day.
    starts_on: NaiveDate,
    /// Its last local day; by the policy's term length (4 years) when absent.
    #[serde(default)]
    ends_on: Option<NaiveDate>,
}

/// The body of `POST …/terms/end`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndTermBody {
    /// The term's last local day, before its planned end.
    ended_on: NaiveDate,
    /// Why it ends early.
    reason: String,
}

/// The query of the reads "as of": an instant, or now when absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// An RFC 3339 instant: the log as it stood then, judged on that instant's local day.
    #[param(example = "2026-03-01T00:00:00+08:00")]
    as_of: Option<String>,
}

/// The query of `GET …/roll`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RollQuery {
    /// The local day of the meeting.
    #[param(example = "2026-06-15")]
    on: Option<NaiveDate>,
}

/// A committee's state as of an instant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitteeStateAnswer {
    /// The committee.
    pub committee_id: Uuid,
    /// The instant the log was read as of.
    pub as_of: DateTime<Utc>,
    /// The committee's state as of then.
    pub state: CommitteeStateView,
}

/// The composition check of a committee.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompositionAnswer {
    /// The committee.
    pub committee_id: Uuid,
    /// The instant the log was read as of.
    pub as_of: DateTime<Utc>,
    /// Members in office, every breach (with the waiver covering it) and every waiver.
    pub check: CompositionView,
}

/// A committee's roll on a day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RollAnswer {
    /// The committee.
    pub committee_id: Uuid,
    /// The day.
    pub on: NaiveDate,
    /// Everyone in office, with whether each votes.
    pub roll: Vec<RollEntryView>,
}

/// A committee's log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitteeHistory {
    /// The committee.
    pub committee_id: Uuid,
    /// Every record, with its hashes, exactly as stored: a record that no longer reads is
    /// still shown, so an auditor can look at it.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<StoredRecord>,
}

/// What verifying a committee's log found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommitteeVerification {
    /// The committee.
    pub committee_id: Uuid,
    /// Whether the chain holds.
    pub valid: bool,
    /// How many records were checked, when it holds.
    pub records: Option<u64>,
    /// The last record's hash, when it holds.
    pub head_hash: Option<String>,
    /// Where and why the chain broke.
    pub failure: Option<VerifyFailureView>,
}

fn parse_as_of(as_of: Option<&str>) -> Result<Option<DateTime<Utc>>, Problem> {
    as_of
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|instant| instant.to_utc())
                .map_err(|error| {
                    Problem::invalid(
                        "as_of",
                        format!("as_of 应为 RFC 3339 时刻，如 2026-03-01T00:00:00+08:00：{error}"),
                        format!("as_of must be an RFC 3339 instant such as 2026-03-01T00:00:00+08:00: {error}"),
                    )
                })
        })
        .transpose()
}

/// Carries out a committee command: the answer, or the problem (422 with every rule broken,
/// 409 for a stale `If-Match`).
async fn carry_out(
    state: &AppState,
    principal: &Principal,
    committee_id: Uuid,
    code: &str,
    headers: &HeaderMap,
    command: CommitteeCommand,
) -> Result<CommitteeWriteAnswer, Problem> {
    let command_id = command_id(headers, principal, WriteRoute::CommitteeCommand)?;
    let expected = expected_sequence(headers)?;
    let kind = command.kind_name();
    let outcome = state
        .store
        .execute_committee(CommitteeCommandRequest {
            committee_id,
            command_id,
            expected_sequence: expected,
            actor: principal.actor(),
            command,
        })
        .await
        .map_err(|error| match error {
            StoreError::Conflict {
                expected, current, ..
            } => Problem::new(
                ProblemKind::Conflict,
                format!("技术委员会 {code} 已被他人修改：请求基于序号 {expected}，当前序号为 {current}；请重新读取后再试"),
                format!("Committee {code} changed meanwhile: the request expected sequence {expected}, the committee is at {current}; read it again and retry"),
            )
            .with("current_sequence", current)
            .with("expected_sequence", expected),
            other => Problem::from(other),
        })?;
    match outcome {
        CommitteeOutcome::Accepted {
            committee_id,
            first_sequence,
            last_sequence,
            head_hash,
        } => {
            tracing::info!(subject = %principal.subject, role = %principal.role, committee = %code, command = kind, first_sequence, last_sequence, "committee command accepted");
            Ok(CommitteeWriteAnswer {
                committee_id,
                code: code.to_string(),
                command_id,
                first_sequence,
                last_sequence,
                head_hash,
            })
        }
        CommitteeOutcome::Rejected(rejection) => {
            tracing::info!(subject = %principal.subject, role = %principal.role, committee = %code, command = kind, codes = ?rejection.codes(), "committee command rejected");
            Err(Problem::rejected(&rejection).with("command_id", command_id.to_string()))
        }
    }
}

fn written(answer: &CommitteeWriteAnswer, created: bool) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(answer)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", answer.last_sequence)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if created
        && let Ok(location) =
            HeaderValue::from_str(&format!("/api/v1/committees/{}", answer.committee_id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `GET /api/v1/committees`: the committees the caller may see, by code.
#[utoipa::path(
    get,
    path = "/committees",
    tag = "committees",
    security(("bearer" = [])),
    responses((status = 200, description = "The committees the caller may see", body = Vec<super::wire::CommitteeSummary>))
)]
pub async fn list_committees(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<super::wire::CommitteeSummary>>, Problem> {
    Ok(Json(
        visible_committees(&state, &principal)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `POST /api/v1/committees`: forms a committee (the bureau). Its id follows from its code.
#[utoipa::path(
    post,
    path = "/committees",
    tag = "committees",
    params(super::params::CreationHeaders),
    request_body(content = FormBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 201, description = "The committee was formed; `Location` names it", body = CommitteeWriteAnswer,
        headers(("Location" = String, description = "The new committee"), ("ETag" = String, description = "The sequence to send as `If-Match` next"))))
)]
pub async fn form_committee(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<FormBody>,
) -> Result<Response, Problem> {
    let code = body.code.trim().to_string();
    match can_write_committee(&principal, &code, CommitteeWrite::Composition) {
        Access::Allowed => {}
        // Nothing exists yet that could be hidden: refusing to form is plainly forbidden.
        Access::Forbidden(reason) => {
            return Err(refusal(&principal, Access::Forbidden(reason), &code));
        }
        Access::Hidden(reason) => {
            return Err(refusal(
                &principal,
                Access::Forbidden(crate::app::problem::outside_scope(&reason)),
                &code,
            ));
        }
    }
    if code.is_empty() {
        return Err(Problem::invalid(
            "code",
            "技术委员会代号为空",
            "The committee's code is empty",
        ));
    }
    let committee_id = committee_id_of(&code);
    let command = CommitteeCommand::Form {
        committee_id,
        code: code.clone(),
        name: body.name,
        field: body.field,
        legal_metrology: body.legal_metrology,
        composition_plan: body.composition_plan,
        formed_on: body.formed_on,
    };
    let answer = carry_out(&state, &principal, committee_id, &code, &headers, command).await?;
    Ok(written(&answer, true))
}

fn member_of(body: AppointmentBody) -> (MemberProfile, Option<u32>, NaiveDate) {
    (
        MemberProfile {
            person: body.person,
            organisation: body.organisation,
            title_level: body.title_level,
            administrative: body.administrative,
            metrology_professional: body.metrology_professional,
            role: body.role,
        },
        body.term,
        body.effective_on,
    )
}

/// A write to an existing committee: where it is served, whose write it is, what a success
/// means, and how its body becomes a command. The seven writes differ only in these, so one
/// handler ([`write_committee`]) serves them all and this table declares each once, for the
/// router and the OpenAPI document alike.
struct CommitteeWriteRoute {
    /// The path under `/api/v1`.
    path: &'static str,
    /// The operation's id in the OpenAPI document.
    operation_id: &'static str,
    /// What the operation does, in the document.
    summary: &'static str,
    /// What a success means, in the document.
    answered: &'static str,
    /// The bureau's composition records, or the terms its secretariat may also write.
    kind: CommitteeWrite,
    /// The body's schema: its name and the schema itself.
    body_schema: fn() -> (String, RefOr<Schema>),
    /// The body, parsed (a mistake names its field), as the command it asks for.
    command: fn(&[u8]) -> Result<CommitteeCommand, Problem>,
}

/// The writes to an existing committee (forming one is `form_committee`, whose id follows from
/// its code).
static COMMITTEE_WRITES: [CommitteeWriteRoute; 7] = [
    CommitteeWriteRoute {
        path: "/committees/{committee}/appointments",
        operation_id: "appoint",
        summary: "Appoints a person (the bureau)",
        answered: "The appointment was recorded",
        kind: CommitteeWrite::Composition,
        body_schema: schema_of::<AppointmentBody>,
        command: |bytes| {
            let (member, term, effective_on) = member_of(parse_json(bytes)?);
            Ok(CommitteeCommand::Appoint {
                member,
                term,
                effective_on,
            })
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/reappointments",
        operation_id: "reappoint",
        summary: "Reappoints a person who served in an earlier term (the bureau)",
        answered: "The reappointment was recorded",
        kind: CommitteeWrite::Composition,
        body_schema: schema_of::<AppointmentBody>,
        command: |bytes| {
            let (member, term, effective_on) = member_of(parse_json(bytes)?);
            Ok(CommitteeCommand::Reappoint {
                member,
                term,
                effective_on,
            })
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/resignations",
        operation_id: "resign",
        summary: "Records a resignation (the bureau)",
        answered: "The resignation was recorded",
        kind: CommitteeWrite::Composition,
        body_schema: schema_of::<ResignationBody>,
        command: |bytes| {
            let body: ResignationBody = parse_json(bytes)?;
            Ok(CommitteeCommand::Resign {
                person: body.person,
                effective_on: body.effective_on,
                reason: body.reason,
            })
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/waivers",
        operation_id: "waive",
        summary: "Records the bureau's waiver of a composition rule",
        answered: "The waiver was recorded",
        kind: CommitteeWrite::Composition,
        body_schema: schema_of::<WaiverBody>,
        command: |bytes| {
            let body: WaiverBody = parse_json(bytes)?;
            Ok(CommitteeCommand::Waive(CommitteeWaiver {
                rule: body.rule,
                subject: body.subject,
                reason: body.reason,
                authority: body.authority,
                up_to: body.up_to,
            }))
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/secretariat",
        operation_id: "assign_secretariat",
        summary: "Names the secretariat's organisation (the bureau)",
        answered: "The secretariat was recorded",
        kind: CommitteeWrite::Composition,
        body_schema: schema_of::<SecretariatBody>,
        command: |bytes| {
            let body: SecretariatBody = parse_json(bytes)?;
            Ok(CommitteeCommand::AssignSecretariat {
                organisation: body.organisation,
                since: body.since,
            })
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/terms",
        operation_id: "start_term",
        summary: "Starts the next term (the bureau or the committee's secretariat)",
        answered: "The term was started",
        kind: CommitteeWrite::Term,
        body_schema: schema_of::<StartTermBody>,
        command: |bytes| {
            let body: StartTermBody = parse_json(bytes)?;
            Ok(CommitteeCommand::StartTerm {
                starts_on: body.starts_on,
                ends_on: body.ends_on,
            })
        },
    },
    CommitteeWriteRoute {
        path: "/committees/{committee}/terms/end",
        operation_id: "end_term",
        summary: "Ends the current term before its planned last day (the scheduler ends it on time by itself)",
        answered: "The term ended and its end-of-term report fell due",
        kind: CommitteeWrite::Term,
        body_schema: schema_of::<EndTermBody>,
        command: |bytes| {
            let body: EndTermBody = parse_json(bytes)?;
            Ok(CommitteeCommand::EndTerm {
                ended_on: body.ended_on,
                reason: body.reason,
            })
        },
    },
];

fn schema_of<Body: ToSchema>() -> (String, RefOr<Schema>) {
    (Body::name().into_owned(), Body::schema())
}

/// The committee writes of [`COMMITTEE_WRITES`]: each route served by [`write_committee`] and
/// documented from its line of the table, with the shared path and write parameters.
pub fn write_routes() -> OpenApiRouter<AppState> {
    COMMITTEE_WRITES
        .iter()
        .fold(OpenApiRouter::new(), |router, route| {
            let handler = move |State(state): State<AppState>,
                                Caller(principal): Caller,
                                Path(id_or_code): Path<String>,
                                headers: HeaderMap,
                                request: Request| async move {
                write_committee(route, &state, &principal, &id_or_code, &headers, request).await
            };
            let mut router = router.route(route.path, post(handler));
            document_write(router.get_openapi_mut(), route);
            router
        })
}

/// A write to an existing committee: scope first, then the body, then the engine.
async fn write_committee(
    route: &CommitteeWriteRoute,
    state: &AppState,
    principal: &Principal,
    id_or_code: &str,
    headers: &HeaderMap,
    request: Request,
) -> Result<Response, Problem> {
    let committee_id = state
        .store
        .resolve_committee(id_or_code)
        .await?
        .ok_or_else(|| Problem::committee_not_found(id_or_code))?;
    let code = committee_code(state, committee_id, id_or_code).await?;
    require_committee(
        principal,
        can_write_committee(principal, &code, route.kind),
        id_or_code,
    )?;
    let bytes = json_bytes(request, state).await?;
    let command = (route.command)(&bytes)?;
    let answer = carry_out(state, principal, committee_id, &code, headers, command).await?;
    Ok(written(&answer, false))
}

/// Adds one committee write's operation to the document, as a `#[utoipa::path]` would.
fn document_write(document: &mut Document, route: &CommitteeWriteRoute) {
    let (body_name, body_schema) = (route.body_schema)();
    let mut parameters = CommitteePath::into_params(|| None);
    parameters.extend(WriteHeaders::into_params(|| None));
    let operation = OperationBuilder::new()
        .tag("committees")
        .operation_id(Some(route.operation_id))
        .summary(Some(route.summary))
        .parameters(Some(parameters))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(&body_name)))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new().description(route.answered).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(CommitteeWriteAnswer::name())))
                    .build(),
            ),
        )
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        .build();
    document
        .paths
        .add_path_operation(route.path, vec![HttpMethod::Post], operation);
    let components = document.components.get_or_insert_with(Default::default);
    components.schemas.insert(body_name, body_schema);
    components.schemas.insert(
        CommitteeWriteAnswer::name().into_owned(),
        CommitteeWriteAnswer::schema(),
    );
}

/// `GET /api/v1/committees/{committee}?as_of=RFC3339`: the committee's state as its log stood
/// then (now when absent).
#[utoipa::path(
    get,
    path = "/committees/{committee}",
    tag = "committees",
    params(super::params::CommitteePath, AsOfQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The committee's state", body = CommitteeStateAnswer))
)]
pub async fn read_committee(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<AsOfQuery>,
) -> Result<Json<CommitteeStateAnswer>, Problem> {
    let as_of = parse_as_of(query.as_of.as_deref())?;
    let (committee_id, _) = readable_committee(&state, &principal, &id_or_code).await?;
    let as_of = as_of.unwrap_or_else(|| state.store.clock().now());
    let replayed = state
        .store
        .committee_state_as_of(committee_id, Some(AsOf::Instant(as_of)))
        .await?;
    Ok(Json(CommitteeStateAnswer {
        committee_id,
        as_of,
        state: replayed.into(),
    }))
}

/// `GET /api/v1/committees/{committee}/composition?as_of=RFC3339`: the composition on that
/// instant's local day, as the log stood then, with every breach and every waiver.
#[utoipa::path(
    get,
    path = "/committees/{committee}/composition",
    tag = "committees",
    params(super::params::CommitteePath, AsOfQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The composition check", body = CompositionAnswer))
)]
pub async fn check(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<AsOfQuery>,
) -> Result<Json<CompositionAnswer>, Problem> {
    let as_of = parse_as_of(query.as_of.as_deref())?;
    let (committee_id, _) = readable_committee(&state, &principal, &id_or_code).await?;
    let as_of = as_of.unwrap_or_else(|| state.store.clock().now());
    let policy = state.store.committee_policy();
    let replayed = state
        .store
        .committee_state_as_of(committee_id, Some(AsOf::Instant(as_of)))
        .await?;
    let day = as_of.with_timezone(&policy.local_utc_offset).date_naive();
    Ok(Json(CompositionAnswer {
        committee_id,
        as_of,
        check: check_composition(&replayed, &policy, day).into(),
    }))
}

/// `GET /api/v1/committees/{committee}/roll?on=DATE`: everyone in office on a local day (today
/// when absent), with whether each votes: the roll a meeting held that day is recorded with.
#[utoipa::path(
    get,
    path = "/committees/{committee}/roll",
    tag = "committees",
    params(super::params::CommitteePath, RollQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The roll", body = RollAnswer))
)]
pub async fn roll(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
    QueryParams(query): QueryParams<RollQuery>,
) -> Result<Json<RollAnswer>, Problem> {
    let (committee_id, _) = readable_committee(&state, &principal, &id_or_code).await?;
    let policy = state.store.committee_policy();
    let on = query.on.unwrap_or_else(|| {
        state
            .store
            .clock()
            .now()
            .with_timezone(&policy.local_utc_offset)
            .date_naive()
    });
    let current = state
        .store
        .committee_state_as_of(committee_id, None)
        .await?;
    Ok(Json(RollAnswer {
        committee_id,
        on,
        roll: roll_on(&current, &policy, on)
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// `GET /api/v1/committees/{committee}/history`: the committee's whole log with its hashes.
#[utoipa::path(
    get,
    path = "/committees/{committee}/history",
    operation_id = "committee_history",
    tag = "committees",
    params(super::params::CommitteePath),
    security(("bearer" = [])),
    responses((status = 200, description = "The committee's records", body = CommitteeHistory))
)]
pub async fn history(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
) -> Result<Json<CommitteeHistory>, Problem> {
    let (committee_id, _) = readable_committee(&state, &principal, &id_or_code).await?;
    Ok(Json(CommitteeHistory {
        committee_id,
        records: state
            .store
            .committee_records_as_stored(committee_id)
            .await?,
    }))
}

/// `POST /api/v1/committees/{committee}/verify`: proves the committee's chain or names its first
/// bad record.
#[utoipa::path(
    post,
    path = "/committees/{committee}/verify",
    tag = "committees",
    params(super::params::CommitteePath),
    security(("bearer" = [])),
    responses((status = 200, description = "What verification found", body = CommitteeVerification))
)]
pub async fn verify(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id_or_code): Path<String>,
) -> Result<Json<CommitteeVerification>, Problem> {
    let (committee_id, _) = readable_committee(&state, &principal, &id_or_code).await?;
    Ok(Json(
        match state.store.verify_committee(committee_id).await? {
            Ok(chain) => CommitteeVerification {
                committee_id,
                valid: true,
                records: Some(chain.records),
                head_hash: Some(chain.head_hash.to_hex()),
                failure: None,
            },
            Err(failure) => {
                tracing::error!(%committee_id, %failure, "a committee's audit log does not verify");
                CommitteeVerification {
                    committee_id,
                    valid: false,
                    records: None,
                    head_hash: None,
                    failure: Some(failure.into()),
                }
            }
        },
    ))
}
