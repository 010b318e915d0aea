//! The transparency log's routes (docs/transparency.md).
//!
//! Public, unauthenticated and read-only, revealing no record's contents: `GET /log/checkpoint`
//! (the latest checkpoint, signed by the log and cosigned by the witnesses that answered) and
//! `GET /log/tile/…` (the tree's hashes as C2SP tlog-tiles). For callers who may read the record:
//! an inclusion proof of a project's or committee's record against a checkpoint, and for any
//! authenticated caller, a consistency proof between two tree sizes (under `/api/v1/log/proofs`).

use super::auth::Caller;
use super::input::QueryParams;
use crate::app::AppState;
use crate::app::committees::readable_committee;
use crate::app::problem::{Problem, ProblemKind};
use crate::app::projects::readable_project;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use specflow_engine::stored_record::RecordKind;
use specflow_store::transparency::StoredCheckpoint;
use specflow_tlog::tiles::Tile;
use utoipa::{IntoParams, ToSchema};

/// The content type of checkpoints and other signed notes.
const NOTE_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// `GET /log/checkpoint`: the latest checkpoint as a signed note, with the witnesses'
/// cosignature lines after the log's signature.
#[utoipa::path(
    get,
    path = "/log/checkpoint",
    tag = "transparency",
    responses(
        (status = 200, description = "The latest checkpoint (C2SP tlog-checkpoint in a signed note, cosigned)", content_type = "text/plain", body = String),
        (status = 404, description = "No checkpoint has been signed yet", content_type = "application/problem+json", body = super::openapi::ProblemDocument),
    )
)]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, Problem> {
    let checkpoint = latest(&state).await?;
    let mut response = (
        [(header::CONTENT_TYPE, NOTE_CONTENT_TYPE)],
        checkpoint.cosigned_note(),
    )
        .into_response();
    // A newer checkpoint may come at any moment: caches must ask again.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `GET /log/tile/…` alone, served beside the pages rather than in the OpenAPI document: a tile's
/// path is a file path of C2SP tlog-tiles (`tile/0/x001/234.p/7`), of any depth, which tiles
/// clients ask for as they would of a static file server, and which OpenAPI cannot state.
pub fn tile_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/log/tile/{*path}", axum::routing::get(tile))
        .layer(axum::middleware::from_fn(
            crate::app::problem::render_problems,
        ))
}

/// `GET /log/tile/{path}`: one tile of the tree's hashes (C2SP tlog-tiles), full tiles for ever
/// cacheable, partial ones (`.p/W`) only while the tree has not grown past them.
pub async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, Problem> {
    let tile = Tile::parse_path(&format!("tile/{path}")).map_err(|error| {
        Problem::new(
            ProblemKind::NotFound,
            format!("没有瓦片 tile/{path}：{error}"),
            format!("There is no tile tile/{path}: {error}"),
        )
    })?;
    let checkpoint = latest(&state).await?;
    let bytes = state
        .store
        .log_tile(&tile, checkpoint.tree_size)
        .await?
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::NotFound,
                format!("树的大小为 {}，尚无瓦片 tile/{path}", checkpoint.tree_size),
                format!(
                    "The tree has {} leaves and no tile tile/{path} yet",
                    checkpoint.tree_size
                ),
            )
        })?;
    let cache = if tile.is_partial() {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

async fn latest(state: &AppState) -> Result<StoredCheckpoint, Problem> {
    state.store.latest_checkpoint().await?.ok_or_else(|| {
        Problem::new(
            ProblemKind::NotFound,
            "透明日志尚未签发检查点（服务需以 --log-key 运行）",
            "The transparency log has not signed a checkpoint yet (the service runs with --log-key)",
        )
    })
}

/// The query of an inclusion proof: the record, and the tree size to prove it against.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The project (its id or code) whose record is proved; or give `committee`.
    project: Option<String>,
    /// The committee (its id or code) whose record is proved; or give `project`.
    committee: Option<String>,
    /// The record's sequence in its chain.
    #[param(minimum = 1)]
    sequence: u64,
    /// The tree size to prove against (default: the latest checkpoint's).
    #[param(minimum = 1)]
    tree_size: Option<u64>,
}

/// A record's place in the tree and the proof that the tree of `tree_size` holds it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionAnswer {
    /// The record's leaf index, from 0.
    pub leaf_index: u64,
    /// The record's hash, the leaf's data (the leaf hash is SHA-256 over 0x00 and its 32 bytes).
    pub record_hash: String,
    /// The tree size the proof is against.
    pub tree_size: u64,
    /// The proof's hashes, base64, from the leaf's sibling up (RFC 9162 inclusion proof).
    pub hashes: Vec<String>,
    /// The checkpoint of that size, as signed and cosigned, when one was signed at that size.
    pub checkpoint: Option<String>,
}

/// `GET /api/v1/log/proofs/inclusion`: the proof that a record is in the tree.
#[utoipa::path(
    get,
    path = "/log/proofs/inclusion",
    tag = "transparency",
    params(InclusionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record's inclusion proof", body = InclusionAnswer),
        (status = 404, description = "No such record in the tree of that size (not yet integrated, or past it)", content_type = "application/problem+json", body = super::openapi::ProblemDocument),
    )
)]
pub async fn inclusion_proof(
    State(state): State<AppState>,
    Caller(principal): Caller,
    QueryParams(query): QueryParams<InclusionQuery>,
) -> Result<Json<InclusionAnswer>, Problem> {
    let (kind, subject) = match (&query.project, &query.committee) {
        (Some(project), None) => (
            RecordKind::Project,
            readable_project(&state, &principal, project)
                .await?
                .to_string(),
        ),
        (None, Some(committee)) => (
            RecordKind::Committee,
            readable_committee(&state, &principal, committee)
                .await?
                .0
                .to_string(),
        ),
        _ => {
            return Err(Problem::invalid(
                "project",
                "请给出 project 或 committee 之一",
                "Give either project or committee",
            ));
        }
    };
    let tree_size = tree_size_or_latest(&state, query.tree_size, "tree_size").await?;
    let proof = state
        .store
        .inclusion_proof(kind, &subject, query.sequence, tree_size)
        .await?
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::NotFound,
                format!(
                    "大小为 {tree_size} 的树中没有第 {} 号记录（可能尚未并入日志）",
                    query.sequence
                ),
                format!(
                    "The tree of {tree_size} leaves holds no record {} (it may not be integrated yet)",
                    query.sequence
                ),
            )
        })?;
    let checkpoint = state.store.checkpoint_at(tree_size).await?;
    Ok(Json(InclusionAnswer {
        leaf_index: proof.leaf_index,
        record_hash: proof.record_hash,
        tree_size,
        hashes: proof.hashes.iter().map(|hash| hash.to_base64()).collect(),
        checkpoint: checkpoint.map(|checkpoint| checkpoint.cosigned_note()),
    }))
}

/// The query of a consistency proof.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size.
    #[param(minimum = 1)]
    from: u64,
    /// The newer tree size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    to: Option<u64>,
}

/// The proof that the tree of `to` leaves extends the tree of `from`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyAnswer {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
    /// The proof's hashes, base64 (RFC 9162 consistency proof).
    pub hashes: Vec<String>,
    /// The checkpoint of the newer size, as signed and cosigned, when one was signed at it.
    pub checkpoint: Option<String>,
}

/// `GET /api/v1/log/proofs/consistency`: the proof that one tree extends an older one.
#[utoipa::path(
    get,
    path = "/log/proofs/consistency",
    tag = "transparency",
    params(ConsistencyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consistency proof", body = ConsistencyAnswer),
        (status = 400, description = "The sizes are out of order or past the tree", content_type = "application/problem+json", body = super::openapi::ProblemDocument),
    )
)]
pub async fn consistency_proof(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    QueryParams(query): QueryParams<ConsistencyQuery>,
) -> Result<Json<ConsistencyAnswer>, Problem> {
    let to = tree_size_or_latest(&state, query.to, "to").await?;
    if query.from == 0 || query.from > to {
        return Err(Problem::invalid(
            "from",
            format!("from 应在 1 至 {to} 之间，收到 {}", query.from),
            format!("from must be from 1 to {to}, not {}", query.from),
        ));
    }
    let hashes = state.store.consistency_proof(query.from, to).await?;
    let checkpoint = state.store.checkpoint_at(to).await?;
    Ok(Json(ConsistencyAnswer {
        from: query.from,
        to,
        hashes: hashes.iter().map(|hash| hash.to_base64()).collect(),
        checkpoint: checkpoint.map(|checkpoint| checkpoint.cosigned_note()),
    }))
}

/// The tree size asked for, checked against the latest checkpoint's, or that size.
async fn tree_size_or_latest(
    state: &AppState,
    asked: Option<u64>,
    field: &str,
) -> Result<u64, Problem> {
    let latest = latest(state).await?.tree_size;
    match asked {
        None => Ok(latest),
        Some(size) if size >= 1 && size <= latest => Ok(size),
        Some(size) => Err(Problem::invalid(
            field,
            format!("{field} 应在 1 至 {latest}（最新检查点的大小）之间，收到 {size}"),
            format!(
                "{field} must be from 1 to {latest} (the latest checkpoint's size), not {size}"
            ),
        )),
    }
}
