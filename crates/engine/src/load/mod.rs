//! Loading a definition: parse the TOML, check the whole of it, report every problem with its place.
//!
//! Validation never stops at the first problem: a person fixing a file wants the full list.
//! It checks references (stages, roles, artifact kinds, fields, motions), the shape of the graph
//! (every stage reachable, every non-terminal stage has a way out, every action has a role),
//! and the values (fractions in (0, 1], well-formed durations, unique codes).
//!
//! [`validate`] reads the file section by section, each in a module of its own, in the order
//! problems are reported: the names the file declares (`vocabulary`), the stages (`stages`), the
//! transitions and their guards (`transitions`; each guard entry is read by the guard layer's
//! `crate::guard::convert_guard`, and each kind's own fields by its family in `crate::guard`),
//! the permissions and votes (`permissions`), the deadlines, extensions and re-examination
//! (`deadlines`), the milestones, the notifications (`notifications`), and last the shape of the
//! graph.
//!
//! The loader sits above the definition types, the events and the guards it builds on, so it is a
//! module of its own rather than a part of `crate::definition`; the [`Validator`] and the
//! [`Known`](crate::definition::Known) codes it shares with the guard kinds live below them.

mod deadlines;
mod notifications;
mod permissions;
mod stages;
mod transitions;
mod vocabulary;

pub use crate::definition::DefinitionError;
pub use crate::guard::GUARD_KINDS;

use crate::definition::WorkflowDefinition;
use crate::definition::raw::RawDefinition;
use crate::definition::validator::Validator;
use crate::duration::DurationSpec;
use crate::location::SourceText;
use chrono::{FixedOffset, Offset, Utc};
use toml::Spanned;

impl WorkflowDefinition {
    /// Loads and validates a definition from TOML text; `file_name` is used in problem reports.
    pub fn from_toml(file_name: &str, text: &str) -> Result<WorkflowDefinition, DefinitionError> {
        load(file_name, text)
    }
}

/// A length of time written as text, such as "30 days"; `None` (with a problem) when malformed.
fn plain_duration(
    validator: &mut Validator<'_>,
    context: &str,
    value: &Spanned<String>,
) -> Option<DurationSpec> {
    match value.get_ref().parse::<DurationSpec>() {
        Ok(duration) => Some(duration),
        Err(error) => {
            validator.error(value.span(), format!("{context}: {error}"));
            None
        }
    }
}

/// Loads and validates a definition.
pub fn load(file_name: &str, text: &str) -> Result<WorkflowDefinition, DefinitionError> {
    let source = SourceText::new(file_name, text);
    let raw: RawDefinition = toml::from_str(text).map_err(|error| DefinitionError {
        problems: vec![source.toml_problem(&error)],
    })?;
    let mut validator = Validator {
        source,
        problems: Vec::new(),
    };
    let mut definition = validate(&mut validator, raw);
    if validator.problems.is_empty() {
        crate::guard::describe_guards(&mut definition);
        Ok(definition)
    } else {
        Err(DefinitionError {
            problems: validator.problems,
        })
    }
}

/// The whole file, section by section in the order its problems are reported.
fn validate(validator: &mut Validator<'_>, raw: RawDefinition) -> WorkflowDefinition {
    let id_span = raw.id.span();
    let id = raw.id.into_inner();
    validator.check_code("definition", &id, id_span);
    let version = checked_version(validator, &raw.version);
    let local_utc_offset = checked_offset(validator, &raw.local_utc_offset);
    let calendar = raw.calendar.map(|calendar| {
        let span = calendar.span();
        let calendar = calendar.into_inner();
        validator.check_code("calendar", &calendar, span);
        calendar
    });
    let vocabulary = vocabulary::convert_vocabulary(
        validator,
        vocabulary::RawVocabulary {
            roles: raw.roles,
            specification_kinds: raw.specification_kinds,
            code_format: raw.code_format,
            project_flags: raw.project_flags,
            artifact_kinds: raw.artifact_kinds,
            motions: raw.motions,
            sign_offs: raw.sign_offs,
            fields: raw.fields,
        },
    );
    let (stages, stage_spans) = stages::convert_stages(validator, raw.stages);
    let known = vocabulary.known(&stages, &raw.transitions);
    let initial_stage = stages::checked_initial_stage(validator, &known, raw.initial_stage);
    let transitions = transitions::convert_transitions(validator, &known, raw.transitions);
    let permissions = permissions::convert_permissions(validator, &known, raw.permissions);
    let deadlines = deadlines::convert_deadlines(validator, &known, raw.deadlines);
    let extensions = raw
        .extensions
        .map(|extensions| deadlines::convert_extensions(validator, extensions.into_inner()))
        .unwrap_or_default();
    let reexamination = raw
        .reexamination
        .and_then(|rule| deadlines::convert_reexamination(validator, &known, rule.into_inner()));
    let milestones = raw
        .milestones
        .map(|milestones| stages::convert_milestones(validator, &known, milestones.into_inner()))
        .unwrap_or_default();
    let import_columns =
        stages::convert_import_columns(validator, &known, &stages, raw.import_columns);
    let notifications = raw
        .notifications
        .into_iter()
        .map(|rule| notifications::convert_notification(validator, &known, rule.into_inner()))
        .collect();
    let outgoing = transitions::outgoing_index(&transitions);
    let graph = stages::Graph {
        stages: &stages,
        stage_spans: &stage_spans,
        transitions: &transitions,
        outgoing: &outgoing,
        initial_stage: &initial_stage,
    };
    stages::check_graph(validator, &graph);
    let (drafting_unit_members, recused_members) = permissions::convert_votes(validator, raw.votes);
    WorkflowDefinition {
        id,
        version,
        title: raw.title,
        local_utc_offset,
        calendar,
        code_format: vocabulary.code_format,
        code_prefixes: vocabulary.code_prefixes,
        initial_stage,
        roles: vocabulary.roles,
        specification_kinds: vocabulary.specification_kinds,
        project_flags: vocabulary.project_flags,
        artifact_kinds: vocabulary.artifact_kinds,
        fields: vocabulary.fields,
        motions: vocabulary.motions,
        sign_offs: vocabulary.sign_offs,
        stages,
        transitions,
        permissions,
        deadlines,
        extensions,
        reexamination,
        milestones,
        import_columns,
        notifications,
        drafting_unit_members,
        recused_members,
        outgoing,
        working_calendar: None,
    }
}

fn checked_version(validator: &mut Validator<'_>, version: &Spanned<i64>) -> u32 {
    match u32::try_from(*version.get_ref()) {
        Ok(version) if version >= 1 => version,
        _ => {
            validator.error(version.span(), "version must be a whole number from 1 up");
            1
        }
    }
}

fn checked_offset(validator: &mut Validator<'_>, offset: &Spanned<String>) -> FixedOffset {
    match offset.get_ref().parse::<FixedOffset>() {
        Ok(parsed) => parsed,
        Err(_) => {
            validator.error(
                offset.span(),
                format!(
                    "local_utc_offset '{}' is not an offset such as +08:00",
                    offset.get_ref()
                ),
            );
            Utc.fix()
        }
    }
}
