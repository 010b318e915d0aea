//! What of a project is public (社会监督, public oversight): the milestones its specification
//! reached, each with the record that marks it, from the day the project entered the stage its
//! definition makes it public from (`[milestones] public_from`, by default its publication).
//!
//! An imported project's history counts by its own dates: each imported milestone is a stage
//! entered on the day the file gives, cited by the `project_created` record that holds the
//! history and marked imported, so a reader can tell it from a milestone recorded as it happened.
//!
//! Nothing else of a project is public: not its documents, comments, votes or deadlines, and not
//! who fired an action. A milestone carries only its stage, its time and its record's sequence
//! and hash, which the transparency log proves included (docs/transparency.md); the hash commits
//! to the whole record, so an auditor holding the record can check what it says.

use crate::audit::AuditRecord;
use crate::definition::{Milestones, WorkflowDefinition};
use crate::event::EventBody;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A milestone the public page shows, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicMilestone {
    /// The bureau approved the project (立项批准).
    Approved,
    /// Its draft went out for public comments (征求意见).
    Consulted,
    /// The committee's review passed (审定).
    Reviewed,
    /// The specification was published (批准发布).
    Published,
    /// It took effect (实施).
    InForce,
    /// A periodic re-examination was opened (复查).
    ReExamined,
}

impl PublicMilestone {
    /// Every public milestone, in lifecycle order.
    pub const ALL: [PublicMilestone; 6] = [
        PublicMilestone::Approved,
        PublicMilestone::Consulted,
        PublicMilestone::Reviewed,
        PublicMilestone::Published,
        PublicMilestone::InForce,
        PublicMilestone::ReExamined,
    ];

    /// Its code, as in the definition's `[milestones]` table and the proofs' JSON.
    pub fn code(self) -> &'static str {
        match self {
            PublicMilestone::Approved => "approved",
            PublicMilestone::Consulted => "consulted",
            PublicMilestone::Reviewed => "reviewed",
            PublicMilestone::Published => "published",
            PublicMilestone::InForce => "in_force",
            PublicMilestone::ReExamined => "re_examined",
        }
    }

    /// Its name in Chinese and in English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            PublicMilestone::Approved => ("立项批准", "approved"),
            PublicMilestone::Consulted => ("征求意见", "consulted"),
            PublicMilestone::Reviewed => ("审定通过", "reviewed"),
            PublicMilestone::Published => ("批准发布", "published"),
            PublicMilestone::InForce => ("实施", "in force"),
            PublicMilestone::ReExamined => ("复查", "re-examined"),
        }
    }

    /// The stage whose entry marks it in `milestones`, if the definition names one.
    pub fn stage(self, milestones: &Milestones) -> Option<&str> {
        let stage = match self {
            PublicMilestone::Approved => &milestones.approved,
            PublicMilestone::Consulted => &milestones.consulted,
            PublicMilestone::Reviewed => &milestones.reviewed,
            PublicMilestone::Published => &milestones.published,
            PublicMilestone::InForce => &milestones.in_force,
            PublicMilestone::ReExamined => &milestones.re_examined,
        };
        stage.as_deref()
    }

    /// The milestone a stage's entry marks, if any.
    pub fn marked_by(stage: &str, milestones: &Milestones) -> Option<PublicMilestone> {
        PublicMilestone::ALL
            .into_iter()
            .find(|milestone| milestone.stage(milestones) == Some(stage))
    }
}

/// One milestone reached: the record of the action that entered its stage, or of the import
/// whose history dates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneReached {
    /// Which milestone.
    pub milestone: PublicMilestone,
    /// The stage entered.
    pub stage: String,
    /// The record's sequence in the project's chain.
    pub sequence: u64,
    /// When the record was written (for an imported milestone, at the import).
    pub recorded_at: DateTime<Utc>,
    /// When the stage was entered: the record's instant, or the start of the day an imported
    /// history gives.
    pub reached_at: DateTime<Utc>,
    /// For a milestone an imported history dates, the day it gives; `None` for one recorded as
    /// it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_on: Option<NaiveDate>,
    /// The record's hash, hex: the transparency log's leaf data.
    pub record_hash: String,
}

/// Why a project's public view cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {sequence} of the project does not parse: {message}")]
pub struct UnreadableRecord {
    /// The record's sequence.
    pub sequence: u64,
    /// What the parser said.
    pub message: String,
}

/// The public view of a project from its records in order: `None` while it is not public (it
/// never entered the definition's `public_from` stage), else every milestone it reached, in
/// order, a stage entered twice (in force again after a confirmation) giving two.
pub fn public_milestones(
    definition: &WorkflowDefinition,
    records: &[AuditRecord],
) -> Result<Option<Vec<MilestoneReached>>, UnreadableRecord> {
    let milestones = &definition.milestones;
    let Some(public_from) = milestones.public_from.as_deref() else {
        return Ok(None);
    };
    let mut public = false;
    let mut reached = Vec::new();
    for record in records {
        for entry in stages_entered(record)? {
            public |= entry.stage == public_from;
            if let Some(milestone) = PublicMilestone::marked_by(&entry.stage, milestones) {
                reached.push(MilestoneReached {
                    milestone,
                    stage: entry.stage,
                    sequence: record.sequence,
                    recorded_at: record.recorded_at,
                    reached_at: entry.at,
                    imported_on: entry.imported_on,
                    record_hash: record.hash.to_hex(),
                });
            }
        }
    }
    Ok(public.then_some(reached))
}

/// A stage a record says the project entered.
struct StageEntered {
    stage: String,
    at: DateTime<Utc>,
    imported_on: Option<NaiveDate>,
}

/// The stages a record says the project entered: the one an action entered, or each one an
/// imported history reached; only `action_fired` and `project_created` records are parsed, the
/// rest are passed over by their type.
fn stages_entered(record: &AuditRecord) -> Result<Vec<StageEntered>, UnreadableRecord> {
    if record.event_type != "action_fired" && record.event_type != "project_created" {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<EventBody>(&record.event) {
        Ok(EventBody::ActionFired { to, .. }) => Ok(vec![StageEntered {
            stage: to,
            at: record.recorded_at,
            imported_on: None,
        }]),
        Ok(EventBody::ProjectCreated {
            imported: Some(history),
            ..
        }) => Ok(history
            .milestones
            .into_iter()
            .map(|milestone| StageEntered {
                stage: milestone.stage,
                at: milestone.entered_at,
                imported_on: Some(milestone.reached_on),
            })
            .collect()),
        Ok(_) => Ok(Vec::new()),
        Err(error) => Err(UnreadableRecord {
            sequence: record.sequence,
            message: error.to_string(),
        }),
    }
}

/// The stages a project can stand in once it is public: the definition's `public_from` stage and
/// every stage reachable from it, in the definition's order. A project standing in one of them
/// may still not be public (when such a stage is also reachable another way), so the list finds
/// candidates and [`public_milestones`] decides.
pub fn stages_once_public(definition: &WorkflowDefinition) -> Vec<String> {
    let Some(public_from) = definition.milestones.public_from.as_deref() else {
        return Vec::new();
    };
    let mut reached = std::collections::BTreeSet::from([public_from.to_string()]);
    let mut frontier = vec![public_from.to_string()];
    while let Some(stage) = frontier.pop() {
        for transition in &definition.transitions {
            if transition.from.contains(&stage) && reached.insert(transition.to.clone()) {
                frontier.push(transition.to.clone());
            }
        }
    }
    definition
        .stages
        .iter()
        .filter(|stage| reached.contains(&stage.code))
        .map(|stage| stage.code.clone())
        .collect()
}
