//! Attaching an artifact: a document of a kind the definition knows, named by its SHA-256.
//!
//! The engine never sees the file itself, only its kind, name, size and digest; the digest is
//! what guards and meeting minutes refer to, so it must be well formed, and the same file is not
//! attached twice as the same kind.

use super::reasons::{blank, body_unless, check_permission, invalid};
use crate::command::Artifact;
use crate::definition::CommandKind;
use crate::event::EventBody;
use crate::guard::Situation;
use crate::rejection::{Rejection, Unmet};
use crate::text::LocalizedText;

/// Decides attaching an artifact.
pub(super) fn decide_attach_artifact(
    situation: &Situation<'_>,
    artifact: &Artifact,
) -> Result<EventBody, Rejection> {
    let (state, definition) = (situation.state, situation.definition);
    let mut reasons = Vec::new();
    check_permission(
        definition,
        situation.actor,
        CommandKind::AttachArtifact,
        &mut reasons,
    );
    if !definition
        .artifact_kinds
        .iter()
        .any(|kind| kind.code == artifact.kind)
    {
        let kinds: Vec<&str> = definition
            .artifact_kinds
            .iter()
            .map(|kind| kind.code.as_str())
            .collect();
        reasons.push(invalid(
            "kind",
            format!(
                "未知的附件类型「{}」；可用类型：{}",
                artifact.kind,
                kinds.join("、")
            ),
            format!(
                "Unknown artifact kind '{}'; kinds are: {}",
                artifact.kind,
                kinds.join(", ")
            ),
        ));
    }
    if blank(&artifact.file_name) {
        reasons.push(invalid(
            "file_name",
            "文件名为空".to_string(),
            "The file name is empty".to_string(),
        ));
    }
    if !is_sha256(&artifact.sha256) {
        reasons.push(invalid(
            "sha256",
            format!("「{}」不是64位小写十六进制的SHA-256摘要", artifact.sha256),
            format!(
                "'{}' is not a SHA-256 digest of 64 lowercase hexadecimal digits",
                artifact.sha256
            ),
        ));
    }
    if state.artifacts.iter().any(|attached| {
        attached.artifact.kind == artifact.kind && attached.artifact.sha256 == artifact.sha256
    }) {
        reasons.push(
            Unmet::new(
                "artifact_already_attached",
                LocalizedText::new(
                    "同一文件已作为该类型附件上传".to_string(),
                    "This very file is already attached as this kind".to_string(),
                ),
            )
            .with("sha256", artifact.sha256.as_str()),
        );
    }
    body_unless(EventBody::ArtifactAttached(artifact.clone()), reasons)
}

/// Whether a text is a SHA-256 digest written as 64 lowercase hexadecimal digits.
fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}
