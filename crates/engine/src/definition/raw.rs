//! The definition file as written, before validation, with the place of every value.
//!
//! Values keep their spans (`toml::Spanned`) so that validation can say where a problem is.
//! Guards are one flat struct rather than a tagged enum because serde's tagged enums buffer
//! their content and lose spans; validation checks which fields each guard kind takes.

use crate::text::LocalizedText;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefinition {
    pub id: Spanned<String>,
    pub version: Spanned<i64>,
    pub title: LocalizedText,
    pub local_utc_offset: Spanned<String>,
    pub calendar: Option<Spanned<String>>,
    pub code_format: Option<Spanned<String>>,
    pub initial_stage: Spanned<String>,
    #[serde(default)]
    pub roles: Vec<Spanned<RawNamed>>,
    #[serde(default)]
    pub specification_kinds: Vec<Spanned<RawKind>>,
    #[serde(default)]
    pub project_flags: Vec<Spanned<RawFlag>>,
    #[serde(default)]
    pub artifact_kinds: Vec<Spanned<RawNamed>>,
    #[serde(default)]
    pub motions: Vec<Spanned<RawNamed>>,
    #[serde(default)]
    pub sign_offs: Vec<Spanned<RawNamed>>,
    #[serde(default)]
    pub fields: Vec<Spanned<RawField>>,
    #[serde(default)]
    pub stages: Vec<Spanned<RawStage>>,
    #[serde(default)]
    pub transitions: Vec<Spanned<RawTransition>>,
    #[serde(default)]
    pub permissions: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub deadlines: Vec<Spanned<RawDeadline>>,
    pub extensions: Option<Spanned<RawExtensions>>,
    pub reexamination: Option<Spanned<RawReexamination>>,
    pub milestones: Option<Spanned<RawMilestones>>,
    #[serde(default)]
    pub import_columns: Vec<Spanned<RawImportColumn>>,
    #[serde(default)]
    pub notifications: Vec<Spanned<RawNotification>>,
    pub votes: Option<Spanned<RawVotes>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVotes {
    pub drafting_unit_members: Spanned<String>,
    pub recused_members: Option<Spanned<String>>,
    pub source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotification {
    pub on: Spanned<Vec<Spanned<String>>>,
    pub entering: Option<Vec<Spanned<String>>>,
    pub audiences: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeadline {
    pub id: Spanned<String>,
    pub name: LocalizedText,
    pub starts_when_entering: Spanned<String>,
    pub met_when_entering: Option<Vec<Spanned<String>>>,
    pub limit: Spanned<String>,
    #[serde(default)]
    pub planned: bool,
    pub warning_before: Option<Spanned<String>>,
    pub escalate_after: Option<Spanned<String>>,
    #[serde(default)]
    pub freeze_on_escalation: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtensions {
    pub max_count: Option<Spanned<i64>>,
    pub max_total: Option<Spanned<String>>,
    pub request_at_least_before: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReexamination {
    pub stage: Spanned<String>,
    pub interval: Spanned<String>,
    pub open_action: Spanned<String>,
    pub restart_on_action: Option<Spanned<String>>,
    pub warning_before: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMilestones {
    pub proposed: Option<Spanned<String>>,
    pub approved: Option<Spanned<String>>,
    pub consulted: Option<Spanned<String>>,
    pub reviewed: Option<Spanned<String>>,
    pub published: Option<Spanned<String>>,
    pub in_force: Option<Spanned<String>>,
    pub re_examined: Option<Spanned<String>>,
    pub public_from: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawImportColumn {
    pub column: Spanned<String>,
    pub name: LocalizedText,
    pub stage: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNamed {
    pub code: Spanned<String>,
    pub name: LocalizedText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFlag {
    pub code: Spanned<String>,
    pub name: LocalizedText,
    pub source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKind {
    pub code: Spanned<String>,
    pub name: LocalizedText,
    pub code_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub code: Spanned<String>,
    pub name: LocalizedText,
    #[serde(rename = "type")]
    pub value_type: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    pub code: Spanned<String>,
    pub name: LocalizedText,
    pub iso_code: Option<String>,
    #[serde(default)]
    pub terminal: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTransition {
    pub action: Spanned<String>,
    pub name: LocalizedText,
    pub from: Spanned<Vec<Spanned<String>>>,
    pub to: Spanned<String>,
    pub roles: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub guards: Vec<Spanned<RawGuard>>,
    #[serde(default)]
    pub requires_reason: bool,
    #[serde(default)]
    pub cancels: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGuard {
    pub guard: Spanned<String>,
    pub id: Option<Spanned<String>>,
    pub applies_to: Option<Vec<Spanned<String>>>,
    pub applies_to_flagged: Option<Vec<Spanned<String>>>,
    pub waivable_by: Option<Vec<Spanned<String>>>,
    pub artifact_kinds: Option<Spanned<Vec<Spanned<String>>>>,
    pub minimum: Option<Spanned<toml::Value>>,
    pub motion: Option<Spanned<String>>,
    pub form: Option<Spanned<String>>,
    pub counter: Option<Spanned<String>>,
    pub quorum: Option<Spanned<RawThreshold>>,
    pub in_favour: Option<Spanned<RawThreshold>>,
    pub against: Option<Spanned<RawThreshold>>,
    pub subject: Option<Spanned<String>>,
    pub by_role: Option<Spanned<String>>,
    pub than_action: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub earlier: Option<Spanned<String>>,
    pub later: Option<Spanned<String>>,
    pub allow_equal: Option<Spanned<bool>>,
    pub of: Option<Spanned<Vec<Spanned<RawGuard>>>>,
}

impl RawGuard {
    /// The fields a guard kind may take, by name, each with its place when it is written: a
    /// kind refuses those it does not take (`GuardKind::fields`). A new field goes here too.
    pub(crate) fn given_fields(&self) -> [(&'static str, Option<Range<usize>>); 16] {
        [
            ("artifact_kinds", place(&self.artifact_kinds)),
            ("minimum", place(&self.minimum)),
            ("motion", place(&self.motion)),
            ("form", place(&self.form)),
            ("counter", place(&self.counter)),
            ("quorum", place(&self.quorum)),
            ("in_favour", place(&self.in_favour)),
            ("against", place(&self.against)),
            ("subject", place(&self.subject)),
            ("by_role", place(&self.by_role)),
            ("than_action", place(&self.than_action)),
            ("field", place(&self.field)),
            ("earlier", place(&self.earlier)),
            ("later", place(&self.later)),
            ("allow_equal", place(&self.allow_equal)),
            ("of", place(&self.of)),
        ]
    }
}

fn place<T>(value: &Option<Spanned<T>>) -> Option<Range<usize>> {
    value.as_ref().map(Spanned::span)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThreshold {
    pub at_least: Option<Spanned<String>>,
    pub more_than: Option<Spanned<String>>,
    pub at_most: Option<Spanned<String>>,
    pub of: Option<Spanned<String>>,
}
