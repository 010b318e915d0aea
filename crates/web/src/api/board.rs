//! The bureau's routes: the overdue board (JSON pages, a streamed CSV or an Excel workbook), the counts per stage and
//! committee, and the notification outbox.
//!
//! The overdue board and the outbox are the supervisors' and administrators' (`can_supervise`);
//! the counts are statistics over every project (`can_read_everything`), so auditors see them too.
//! Extensions, freezes and cancellations are commands (`POST …/commands`), which the engine lets
//! only the definition's bureau role carry out.

use super::auth::Caller;
use super::input::{JsonBody, QueryParams};
use crate::app::AppState;
use crate::app::board::{OverdueItem, overdue_export};
use crate::app::filters::{self, GivenFilters, non_empty};
use crate::app::problem::{Problem, require};
use crate::app::projects::page_limit;
use crate::app::spreadsheet::SheetFormat;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use specflow_store::auth::{can_read_everything, can_supervise};
use specflow_store::{OutboxFilter, OutboxStatus, OverdueFilter, OverdueSort, RetrySelection};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The query of `GET /overdue`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this committee's projects: its code (`SH-TC-01`) or its name; an unknown one is a
    /// 400 listing the committees there are.
    committee: Option<String>,
    /// Only those in this stage: `definition/stage` (`metrology-spec/review`), or a stage's code
    /// or name when one workflow alone has it; an unknown or ambiguous one is a 400 listing the
    /// stages there are.
    stage: Option<String>,
    /// Only this drafting unit's; an unknown one is a 400 listing the units there are.
    drafting_unit: Option<String>,
    /// Only escalated ones (or only those not escalated yet).
    escalated: Option<bool>,
    /// The order: `longest_overdue` (the default), `recently_overdue`, or `committee` (committee
    /// by committee, longest overdue first in each). A cursor belongs to the order it came from.
    #[param(pattern = "^(longest_overdue|recently_overdue|committee)$")]
    sort: Option<String>,
    /// The `next_after` of the previous page.
    after: Option<String>,
    /// How many projects a page holds: 1 to 1000, 50 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `json` (the default), `csv` (UTF-8 with a byte-order mark, for Excel) or `xlsx` (an Excel
    /// workbook); without it, an `Accept` naming `text/csv` or the workbook's type chooses. Both
    /// hold the whole board from `after` on, headers in the request's language.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// A page of the overdue board.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverduePage {
    /// The overdue projects.
    pub items: Vec<OverdueItem>,
    /// Pass this as `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
}

/// `GET /api/v1/overdue`: every overdue project, longest overdue first unless `sort` says
/// otherwise, keyset-paged; with
/// `format=csv`, the whole board from `after` on as CSV with a header row, streamed page by page,
/// and with `format=xlsx` as an Excel workbook.
#[utoipa::path(
    get,
    path = "/overdue",
    tag = "board",
    params(OverdueQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the overdue board, or with `format=csv` or `format=xlsx` the whole board as CSV or an Excel workbook", content(
        (OverduePage = "application/json"),
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )))
)]
pub async fn overdue(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: axum::http::HeaderMap,
    QueryParams(query): QueryParams<OverdueQuery>,
) -> Result<Response, Problem> {
    require(&principal, can_supervise(&principal), "overdue")?;
    let limit = page_limit(query.limit)?;
    let sort = match query.sort.as_deref() {
        None => OverdueSort::default(),
        Some(name) => OverdueSort::from_name(name).ok_or_else(|| {
            let names = OverdueSort::ALL.map(OverdueSort::name).join(", ");
            Problem::invalid(
                "sort",
                format!("sort 应为 {names} 之一，收到 {name}"),
                format!("sort must be one of {names}, not {name}"),
            )
        })?,
    };
    let resolved = filters::resolve(
        &state,
        GivenFilters {
            committee: non_empty(query.committee),
            stage: non_empty(query.stage),
            drafting_unit: non_empty(query.drafting_unit),
        },
    )
    .await?;
    let filter = OverdueFilter {
        committee: resolved.committee,
        definition: resolved.definition,
        stage: resolved.stage,
        drafting_unit: resolved.drafting_unit,
        escalated: query.escalated,
        sort,
    };
    let language = crate::app::problem::language_of(&headers);
    match SheetFormat::requested(query.format.as_deref(), &headers, &["json"])? {
        None => {
            let page = state
                .store
                .list_overdue_matching(&filter, query.after.as_deref(), limit)
                .await?;
            let now = state.store.clock().now();
            let mut items = Vec::with_capacity(page.items.len());
            for summary in page.items {
                let name = crate::app::projects::stage_name(
                    &state,
                    &summary.definition_id,
                    summary.definition_version,
                    &summary.stage,
                    language,
                )
                .await;
                if let Some(mut item) = OverdueItem::read(&state.store, summary, now).await? {
                    item.stage_name = Some(name);
                    items.push(item);
                }
            }
            Ok(Json(OverduePage {
                items,
                next_after: page.next_after,
            })
            .into_response())
        }
        Some(format) => {
            overdue_export(&state, filter, query.after.as_deref(), format, language).await
        }
    }
}

/// `GET /api/v1/counts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsAnswer {
    counts: Vec<super::wire::StageCount>,
}

/// `GET /api/v1/counts`: projects per committee and stage, with how many are overdue,
/// escalated and frozen.
#[utoipa::path(
    get,
    path = "/counts",
    tag = "board",
    security(("bearer" = [])),
    responses((status = 200, description = "Projects per committee and stage", body = CountsAnswer))
)]
pub async fn counts(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<CountsAnswer>, Problem> {
    require(&principal, can_read_everything(&principal), "counts")?;
    Ok(Json(CountsAnswer {
        counts: state
            .store
            .stage_counts()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// The query of `GET /outbox`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only those in this status: `pending`, `delivered` or `dead`.
    #[param(pattern = "^(pending|delivered|dead)$")]
    status: Option<String>,
    /// Only those about this project (its id).
    project: Option<Uuid>,
    /// Only those for this audience.
    audience: Option<String>,
    /// The `next_after` of the previous page.
    after: Option<String>,
    /// How many notifications a page holds: 1 to 1000, 50 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// `GET /api/v1/outbox`: notifications, oldest first, keyset-paged.
#[utoipa::path(
    get,
    path = "/outbox",
    tag = "board",
    params(OutboxQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of notifications", body = super::wire::OutboxPage))
)]
pub async fn outbox(
    State(state): State<AppState>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams<OutboxQuery>,
) -> Result<Json<super::wire::OutboxPage>, Problem> {
    require(&principal, can_supervise(&principal), "outbox")?;
    let limit = page_limit(query.limit)?;
    let status = query
        .status
        .as_deref()
        .map(OutboxStatus::from_str)
        .transpose()
        .map_err(|error| Problem::invalid("status", error.to_string(), error.to_string()))?;
    let filter = OutboxFilter {
        status,
        project_id: query.project,
        audience: query.audience,
    };
    Ok(Json(
        state
            .store
            .list_outbox(&filter, query.after.as_deref(), limit)
            .await?
            .into(),
    ))
}

/// The body of `POST /outbox/retry`: either every dead notification or the ones named.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"all_dead": true}))]
pub struct RetryBody {
    /// Every dead notification.
    #[serde(default)]
    all_dead: bool,
    /// These notifications, those of them that are dead.
    #[serde(default)]
    notification_ids: Vec<String>,
}

/// What a retry did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetryAnswer {
    retried: u64,
}

/// `POST /api/v1/outbox/retry`: sends dead notifications back to pending and wakes the deliverer.
#[utoipa::path(
    post,
    path = "/outbox/retry",
    tag = "board",
    request_body(content = RetryBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 200, description = "How many notifications went back to pending", body = RetryAnswer))
)]
pub async fn retry_outbox(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<RetryBody>,
) -> Result<Json<RetryAnswer>, Problem> {
    require(&principal, can_supervise(&principal), "outbox")?;
    let selection = match (body.all_dead, body.notification_ids.is_empty()) {
        (true, true) => RetrySelection::AllDead,
        (false, false) => RetrySelection::Notifications(body.notification_ids),
        (true, false) | (false, true) => {
            return Err(Problem::invalid(
                "notification_ids",
                "请给出 all_dead: true 或 notification_ids 之一（不可同时给出）",
                "Give either all_dead: true or notification_ids, not both",
            ));
        }
    };
    let retried = state.store.retry_notifications(&selection).await?;
    tracing::info!(subject = %principal.subject, retried, "dead notifications sent back to pending");
    state.store.outbox_wake().notify_waiters();
    Ok(Json(RetryAnswer { retried }))
}
