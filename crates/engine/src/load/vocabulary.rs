//! The names a definition declares, which the rest of the file refers to: roles, specification
//! kinds (with their code prefixes and the format of project codes), artifact kinds, motions,
//! sign-offs and fields.

use crate::definition::raw::{RawField, RawFlag, RawKind, RawNamed, RawTransition};
use crate::definition::validator::Validator;
use crate::definition::{FieldDefinition, FieldType, Known, NamedItem, ProjectFlag, Stage};
use std::collections::{BTreeMap, HashMap, HashSet};
use toml::Spanned;

/// The declaring sections of the file as written.
pub(super) struct RawVocabulary {
    pub(super) roles: Vec<Spanned<RawNamed>>,
    pub(super) specification_kinds: Vec<Spanned<RawKind>>,
    pub(super) code_format: Option<Spanned<String>>,
    pub(super) project_flags: Vec<Spanned<RawFlag>>,
    pub(super) artifact_kinds: Vec<Spanned<RawNamed>>,
    pub(super) motions: Vec<Spanned<RawNamed>>,
    pub(super) sign_offs: Vec<Spanned<RawNamed>>,
    pub(super) fields: Vec<Spanned<RawField>>,
}

/// The declared names, checked: each code well formed and unique.
pub(super) struct Vocabulary {
    pub(super) roles: Vec<NamedItem>,
    pub(super) specification_kinds: Vec<NamedItem>,
    pub(super) code_prefixes: BTreeMap<String, String>,
    pub(super) code_format: Option<String>,
    pub(super) project_flags: Vec<ProjectFlag>,
    pub(super) artifact_kinds: Vec<NamedItem>,
    pub(super) motions: Vec<NamedItem>,
    pub(super) sign_offs: Vec<NamedItem>,
    pub(super) fields: Vec<FieldDefinition>,
    field_types: HashMap<String, FieldType>,
}

impl Vocabulary {
    /// The codes the rest of the file may name: these, the stages and the transitions' actions.
    pub(super) fn known(&self, stages: &[Stage], transitions: &[Spanned<RawTransition>]) -> Known {
        let codes = |items: &[NamedItem]| items.iter().map(|item| item.code.clone()).collect();
        Known {
            stages: stages.iter().map(|stage| stage.code.clone()).collect(),
            roles: codes(&self.roles),
            specification_kinds: codes(&self.specification_kinds),
            project_flags: self
                .project_flags
                .iter()
                .map(|flag| flag.code.clone())
                .collect(),
            artifact_kinds: codes(&self.artifact_kinds),
            fields: self.field_types.clone(),
            motions: codes(&self.motions),
            sign_offs: codes(&self.sign_offs),
            actions: transitions
                .iter()
                .map(|transition| transition.get_ref().action.get_ref().clone())
                .collect(),
        }
    }
}

/// The items of one declaring section, each code well formed and unique.
fn named_items(
    validator: &mut Validator<'_>,
    what: &str,
    raw: Vec<Spanned<RawNamed>>,
) -> Vec<NamedItem> {
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(raw.len());
    for item in raw {
        let item = item.into_inner();
        let code_span = item.code.span();
        let code = item.code.into_inner();
        validator.check_code(what, &code, code_span.clone());
        if !seen.insert(code.clone()) {
            validator.error(code_span, format!("duplicate {what} code '{code}'"));
            continue;
        }
        items.push(NamedItem {
            code,
            name: item.name,
        });
    }
    items
}

pub(super) fn convert_vocabulary(validator: &mut Validator<'_>, raw: RawVocabulary) -> Vocabulary {
    let roles = named_items(validator, "role", raw.roles);
    let mut code_prefixes = BTreeMap::new();
    let kinds_as_named: Vec<Spanned<RawNamed>> = raw
        .specification_kinds
        .into_iter()
        .map(|kind| {
            let span = kind.span();
            let kind = kind.into_inner();
            if let Some(prefix) = kind.code_prefix {
                code_prefixes.insert(kind.code.get_ref().clone(), prefix);
            }
            Spanned::new(
                span,
                RawNamed {
                    code: kind.code,
                    name: kind.name,
                },
            )
        })
        .collect();
    let specification_kinds = named_items(validator, "specification kind", kinds_as_named);
    let code_format = raw
        .code_format
        .map(|format| checked_code_format(validator, format, &specification_kinds, &code_prefixes));
    let project_flags = project_flags(validator, raw.project_flags);
    let artifact_kinds = named_items(validator, "artifact kind", raw.artifact_kinds);
    let motions = named_items(validator, "motion", raw.motions);
    let sign_offs = named_items(validator, "sign-off", raw.sign_offs);
    let (fields, field_types) = convert_fields(validator, raw.fields);
    Vocabulary {
        roles,
        specification_kinds,
        code_prefixes,
        code_format,
        project_flags,
        artifact_kinds,
        motions,
        sign_offs,
        fields,
        field_types,
    }
}

/// The flags a project may be given at creation, each code well formed and unique, each source
/// (when given) saying something.
fn project_flags(validator: &mut Validator<'_>, raw: Vec<Spanned<RawFlag>>) -> Vec<ProjectFlag> {
    let mut sources = HashMap::new();
    let as_named: Vec<Spanned<RawNamed>> = raw
        .into_iter()
        .map(|flag| {
            let span = flag.span();
            let flag = flag.into_inner();
            if let Some(source) = flag.source {
                if source.trim().is_empty() {
                    validator.error(
                        flag.code.span(),
                        format!(
                            "project flag '{}': source is empty: cite where the rule comes from, or leave it out",
                            flag.code.get_ref()
                        ),
                    );
                }
                sources.insert(flag.code.get_ref().clone(), source);
            }
            Spanned::new(
                span,
                RawNamed {
                    code: flag.code,
                    name: flag.name,
                },
            )
        })
        .collect();
    named_items(validator, "project flag", as_named)
        .into_iter()
        .map(|item| ProjectFlag {
            source: sources.remove(&item.code),
            code: item.code,
            name: item.name,
        })
        .collect()
}

/// The format of project codes: only known placeholders, `{number}` always, and `{prefix}` only
/// when every specification kind has a prefix.
fn checked_code_format(
    validator: &mut Validator<'_>,
    format: Spanned<String>,
    specification_kinds: &[NamedItem],
    code_prefixes: &BTreeMap<String, String>,
) -> String {
    let span = format.span();
    let format = format.into_inner();
    let mut rest = format.as_str();
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let end = after.find('}').unwrap_or(after.len());
        let placeholder = &after[..(end + 1).min(after.len())];
        if !["{prefix}", "{year}", "{number}"].contains(&placeholder) {
            validator.error(
                span.clone(),
                format!("code_format: unknown placeholder '{placeholder}'; use {{prefix}}, {{year}} and {{number}}"),
            );
        }
        rest = &after[placeholder.len().max(1)..];
    }
    if !format.contains("{number}") {
        validator.error(
            span.clone(),
            "code_format must contain {number}, so that codes differ".to_string(),
        );
    }
    if format.contains("{prefix}") {
        for kind in specification_kinds {
            if !code_prefixes.contains_key(&kind.code) {
                validator.error(
                    span.clone(),
                    format!("code_format uses {{prefix}} but specification kind '{}' has no code_prefix", kind.code),
                );
            }
        }
    }
    format
}

/// The fields a project may record, with the type of each by code.
fn convert_fields(
    validator: &mut Validator<'_>,
    raw: Vec<Spanned<RawField>>,
) -> (Vec<FieldDefinition>, HashMap<String, FieldType>) {
    let mut fields = Vec::new();
    let mut field_types = HashMap::new();
    for field in raw {
        let field = field.into_inner();
        let code_span = field.code.span();
        let code = field.code.into_inner();
        validator.check_code("field", &code, code_span.clone());
        let value_type = match field.value_type.get_ref().as_str() {
            "text" => FieldType::Text,
            "date" => FieldType::Date,
            "project" => FieldType::Project,
            other => {
                validator.error(
                    field.value_type.span(),
                    format!("field '{code}': unknown type '{other}'; use text, date or project"),
                );
                FieldType::Text
            }
        };
        if field_types.insert(code.clone(), value_type).is_some() {
            validator.error(code_span, format!("duplicate field code '{code}'"));
            continue;
        }
        fields.push(FieldDefinition {
            code,
            name: field.name,
            value_type,
        });
    }
    (fields, field_types)
}
