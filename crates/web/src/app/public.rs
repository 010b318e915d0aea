//! Public oversight (社会监督): the specifications anyone may look at without signing in, and
//! for each its milestones with the inclusion proof of each milestone's record against the
//! transparency log's latest checkpoint.
//!
//! What is public is decided by the engine ([`specflow_engine::public`]): a project is public
//! from its first entry into its definition's `public_from` stage, and then only its code, title,
//! kind, current stage and milestones are shown. A project that is not public is answered as one
//! that does not exist, so the public routes cannot be used to learn which codes are taken.
//!
//! A milestone's proof is given only when the tree's leaf holds the very hash of the record the
//! database holds now; when they differ the page says so instead of offering a proof of
//! something else (an insider's edit shows up here for anyone to see).

use super::AppState;
use super::problem::{Problem, ProblemKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use specflow_engine::WorkflowDefinition;
use specflow_engine::public::{MilestoneReached, public_milestones, stages_once_public};
use specflow_engine::stored_record::RecordKind;
use specflow_store::transparency::StoredCheckpoint;
use specflow_store::{DefinitionStages, ProjectSummary};
use std::sync::Arc;

/// How many specifications a page of the public list shows.
pub const PUBLIC_PAGE: u32 = 50;

/// A page of the public list.
#[derive(Debug)]
pub struct PublicList {
    /// The public specifications on this page, by code.
    pub items: Vec<(ProjectSummary, Arc<WorkflowDefinition>)>,
    /// The code to continue after, when there are more.
    pub next_after: Option<String>,
}

/// One specification as the public sees it.
#[derive(Debug)]
pub struct PublicSpecification {
    /// Its code, titles, kind and current stage (the rest of the summary is not shown).
    pub summary: ProjectSummary,
    /// Its definition, for the names of its kind and stages.
    pub definition: Arc<WorkflowDefinition>,
    /// Its milestones, in order, each with its proof.
    pub milestones: Vec<PublicMilestoneProof>,
    /// The latest checkpoint the proofs are against, if the log has signed one.
    pub checkpoint: Option<StoredCheckpoint>,
    /// The log's verifier key, when this node holds the log's key.
    pub log_verifier: Option<String>,
}

/// A milestone with where its record stands in the log.
#[derive(Debug)]
pub struct PublicMilestoneProof {
    /// The milestone and its record.
    pub reached: MilestoneReached,
    /// Its standing in the log.
    pub standing: LogStanding,
}

/// Where a milestone's record stands in the transparency log.
#[derive(Debug)]
pub enum LogStanding {
    /// In the tree of the latest checkpoint, with the proof.
    Included(Box<PublicProof>),
    /// Not yet in a signed checkpoint (or the log is not kept).
    Pending,
    /// The tree holds another hash for this record than the database does.
    Mismatch {
        /// The hash the tree holds.
        in_tree: String,
    },
}

/// A milestone's inclusion proof, as downloaded: the fields of
/// `GET /api/v1/log/proofs/inclusion`'s answer, which `tools/verify-audit.py --inclusion`
/// checks, with what the record marks.
#[derive(Debug, Clone, Serialize)]
pub struct PublicProof {
    /// The specification's code.
    pub specification: String,
    /// The milestone's code, such as `published`.
    pub milestone: &'static str,
    /// The stage the record entered.
    pub stage: String,
    /// The record's sequence in the project's chain.
    pub sequence: u64,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: DateTime<Utc>,
    /// The record's leaf index, from 0.
    pub leaf_index: u64,
    /// The record's hash, the leaf's data.
    pub record_hash: String,
    /// The tree size the proof is against.
    pub tree_size: u64,
    /// The proof's hashes, base64, from the leaf's sibling up (RFC 9162).
    pub hashes: Vec<String>,
    /// The checkpoint of that size, as signed and cosigned.
    pub checkpoint: String,
}

/// A page of the public specifications, after the code `after`.
pub async fn public_list(state: &AppState, after: Option<&str>) -> Result<PublicList, Problem> {
    let mut candidates = Vec::new();
    for (definition_id, version) in state.store.definition_versions().await? {
        let definition = state.store.definition(&definition_id, version).await?;
        candidates.push(DefinitionStages {
            definition_id,
            version,
            stages: stages_once_public(&definition),
        });
    }
    let page = state
        .store
        .list_projects_in_stages(&candidates, after, PUBLIC_PAGE)
        .await?;
    let mut items = Vec::new();
    for summary in page.items {
        let (definition, milestones) = milestones_of(state, &summary).await?;
        if milestones.is_some() {
            items.push((summary, definition));
        }
    }
    Ok(PublicList {
        items,
        next_after: page.next_after,
    })
}

/// One public specification by its code, with its milestones and their proofs; a project that
/// is not public is "not found", as one that does not exist.
pub async fn public_specification(
    state: &AppState,
    code: &str,
) -> Result<PublicSpecification, Problem> {
    let summary = public_summary(state, code).await?;
    let (definition, milestones) = milestones_of(state, &summary).await?;
    let milestones = milestones.ok_or_else(|| not_public(code))?;
    let checkpoint = state.store.latest_checkpoint().await?;
    let mut proofs = Vec::with_capacity(milestones.len());
    for reached in milestones {
        let standing = standing_of(state, &summary, &reached, checkpoint.as_ref()).await?;
        proofs.push(PublicMilestoneProof { reached, standing });
    }
    Ok(PublicSpecification {
        summary,
        definition,
        milestones: proofs,
        checkpoint,
        log_verifier: state.store.log_key().map(|key| key.verifier().to_string()),
    })
}

/// The proof of one milestone record of a public specification, for download.
pub async fn public_proof(
    state: &AppState,
    code: &str,
    sequence: u64,
) -> Result<PublicProof, Problem> {
    let specification = public_specification(state, code).await?;
    let milestone = specification
        .milestones
        .into_iter()
        .find(|milestone| milestone.reached.sequence == sequence)
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::NotFound,
                format!("{code} 的第 {sequence} 号记录不是公开的里程碑"),
                format!("Record {sequence} of {code} is not a public milestone"),
            )
        })?;
    match milestone.standing {
        LogStanding::Included(proof) => Ok(*proof),
        LogStanding::Pending => Err(Problem::new(
            ProblemKind::NotFound,
            format!("{code} 的第 {sequence} 号记录尚未并入已签名的检查点，请稍后再试"),
            format!(
                "Record {sequence} of {code} is not in a signed checkpoint yet; try again shortly"
            ),
        )),
        LogStanding::Mismatch { in_tree } => Err(Problem::new(
            ProblemKind::Conflict,
            format!("{code} 的第 {sequence} 号记录与透明日志中的哈希 {in_tree} 不一致"),
            format!(
                "Record {sequence} of {code} differs from the hash {in_tree} in the transparency log"
            ),
        )),
    }
}

/// The summary of the project with `code`; codes only, so that ids reveal nothing here.
async fn public_summary(state: &AppState, code: &str) -> Result<ProjectSummary, Problem> {
    let Some(project_id) = state.store.project_id_by_code(code).await? else {
        return Err(not_public(code));
    };
    state
        .store
        .project_summary(project_id)
        .await?
        .ok_or_else(|| not_public(code))
}

/// The project's definition and its public milestones (`None` while it is not public).
async fn milestones_of(
    state: &AppState,
    summary: &ProjectSummary,
) -> Result<(Arc<WorkflowDefinition>, Option<Vec<MilestoneReached>>), Problem> {
    let definition = state
        .store
        .definition(&summary.definition_id, summary.definition_version)
        .await?;
    let records = state
        .store
        .records_before(summary.project_id, DateTime::<Utc>::MAX_UTC)
        .await?;
    let milestones = public_milestones(&definition, &records).map_err(|error| {
        Problem::new(
            ProblemKind::Internal,
            format!("项目 {} 的记录无法读取：{error}", summary.code),
            format!(
                "A record of project {} cannot be read: {error}",
                summary.code
            ),
        )
    })?;
    Ok((definition, milestones))
}

/// Where a milestone's record stands against the latest checkpoint.
async fn standing_of(
    state: &AppState,
    summary: &ProjectSummary,
    reached: &MilestoneReached,
    checkpoint: Option<&StoredCheckpoint>,
) -> Result<LogStanding, Problem> {
    let Some(checkpoint) = checkpoint else {
        return Ok(LogStanding::Pending);
    };
    let proof = state
        .store
        .inclusion_proof(
            RecordKind::Project,
            &summary.project_id.to_string(),
            reached.sequence,
            checkpoint.tree_size,
        )
        .await?;
    let Some(proof) = proof else {
        return Ok(LogStanding::Pending);
    };
    if proof.record_hash != reached.record_hash {
        return Ok(LogStanding::Mismatch {
            in_tree: proof.record_hash,
        });
    }
    Ok(LogStanding::Included(Box::new(PublicProof {
        specification: summary.code.clone(),
        milestone: reached.milestone.code(),
        stage: reached.stage.clone(),
        sequence: reached.sequence,
        recorded_at: reached.recorded_at,
        leaf_index: proof.leaf_index,
        record_hash: proof.record_hash,
        tree_size: checkpoint.tree_size,
        hashes: proof.hashes.iter().map(|hash| hash.to_base64()).collect(),
        checkpoint: checkpoint.cosigned_note(),
    })))
}

fn not_public(code: &str) -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        format!("没有公开的规范 {code}"),
        format!("There is no public specification {code}"),
    )
}
