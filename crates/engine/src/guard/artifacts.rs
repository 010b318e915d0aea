//! Documents: the guard that artifacts of given kinds are attached (`artifacts_present`).

use super::GuardReader;
use super::{GuardKind, Situation, join_names};
use crate::definition::raw::RawGuard;
use crate::definition::validator::list;
use crate::definition::{GuardRule, WorkflowDefinition};
use crate::rejection::Unmet;
use crate::text::LocalizedText;

/// `artifacts_present`: artifacts of each kind in `artifact_kinds` are attached.
pub(super) const ARTIFACTS_PRESENT: GuardKind = GuardKind {
    code: "artifacts_present",
    fields: &["artifact_kinds"],
    convert: convert_artifacts_present,
};

fn convert_artifacts_present(
    reader: &mut GuardReader<'_, '_>,
    raw: &RawGuard,
) -> Option<GuardRule> {
    let kinds = reader.required("artifact_kinds", &raw.artifact_kinds)?;
    if kinds.get_ref().is_empty() {
        reader.error(kinds.span(), "artifact_kinds lists nothing");
    }
    let known = reader.known();
    let mut artifact_kinds = Vec::new();
    for artifact in kinds.get_ref() {
        if !known.artifact_kinds.contains(artifact.get_ref()) {
            reader.error(
                artifact.span(),
                format!(
                    "unknown artifact kind '{}'; artifact kinds are: {}",
                    artifact.get_ref(),
                    list(&known.artifact_kinds)
                ),
            );
        }
        artifact_kinds.push(artifact.get_ref().clone());
    }
    Some(GuardRule::ArtifactsPresent { artifact_kinds })
}

pub(super) fn check_artifacts_present(
    artifact_kinds: &[String],
    situation: &Situation<'_>,
    unmet: &mut Vec<Unmet>,
) {
    let state = situation.state;
    if artifact_kinds.iter().all(|kind| state.has_artifact(kind)) {
        return;
    }
    let missing: Vec<&String> = artifact_kinds
        .iter()
        .filter(|kind| !state.has_artifact(kind))
        .collect();
    let names = join_names(
        missing
            .iter()
            .map(|kind| situation.definition.artifact_kind_name(kind)),
    );
    unmet.push(
        Unmet::new(
            "artifacts_missing",
            LocalizedText::new(
                format!("缺少{}", names.zh),
                format!("Missing: {}", names.en),
            ),
        )
        .with(
            "missing",
            missing.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
        ),
    );
}

pub(super) fn describe_artifacts_present(
    artifact_kinds: &[String],
    definition: &WorkflowDefinition,
) -> LocalizedText {
    let names = join_names(
        artifact_kinds
            .iter()
            .map(|kind| definition.artifact_kind_name(kind)),
    );
    LocalizedText::new(
        format!("已附{}", names.zh),
        format!("attached: {}", names.en),
    )
}

pub(super) fn label_artifacts_present(
    artifact_kinds: &[String],
    definition: &WorkflowDefinition,
) -> LocalizedText {
    match artifact_kinds {
        [only] => definition.artifact_kind_name(only),
        _ => {
            let count = artifact_kinds.len();
            LocalizedText::new(format!("{count}项附件"), format!("{count} documents"))
        }
    }
}
