//! A transition's guard entries as written, converted: what every guard entry has (its id, the
//! kinds it applies to, who may waive it), and the [`GuardReader`] through which each guard kind,
//! in its family's module, reads the fields of its own.
//!
//! It lives in the guard layer, below the loader that calls [`convert_guard`] for each entry, so
//! that the guard kinds never import the loader.

use super::{GUARD_KINDS, kind};
use crate::definition::Known;
use crate::definition::raw::RawGuard;
use crate::definition::validator::{Validator, checked_roles, list};
use crate::definition::{Guard, GuardRule};
use crate::duration::DurationSpec;
use std::collections::HashSet;
use std::fmt::Display;
use std::ops::Range;
use toml::Spanned;

/// What a guard kind's conversion reads its entry through: it reports problems at their place
/// with the guard's context (`action 'a', guard 'k': …`), knows the definition's codes, and
/// converts inner guards.
pub(crate) struct GuardReader<'v, 'text> {
    validator: &'v mut Validator<'text>,
    known: &'v Known,
    action: &'v str,
    /// `action 'a', guard 'k'`, the start of every problem with the guard.
    context: String,
    /// The place of the whole entry, for problems about what is missing from it.
    span: Range<usize>,
}

impl<'v> GuardReader<'v, '_> {
    /// The codes the definition declares.
    pub(crate) fn known(&self) -> &'v Known {
        self.known
    }

    /// Reports a problem with the guard at `span`.
    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Display) {
        let message = format!("{}: {message}", self.context);
        self.validator.error(span, message);
    }

    /// Reports a problem with the guard entry as a whole.
    pub(crate) fn error_at_guard(&mut self, message: impl Display) {
        self.error(self.span.clone(), message);
    }

    /// A field the kind needs; `None`, with a problem, when the entry lacks it.
    pub(crate) fn required<'r, T>(
        &mut self,
        name: &str,
        field: &'r Option<Spanned<T>>,
    ) -> Option<&'r Spanned<T>> {
        if field.is_none() {
            self.error_at_guard(format!("missing '{name}'"));
        }
        field.as_ref()
    }

    /// A code that must be one of `known` (the definition's `what`s), reported when it is not.
    pub(crate) fn reference(
        &mut self,
        what: &str,
        known: &HashSet<String>,
        value: &Spanned<String>,
    ) -> String {
        if !known.contains(value.get_ref()) {
            self.error(
                value.span(),
                format!(
                    "unknown {what} '{}'; known: {}",
                    value.get_ref(),
                    list(known)
                ),
            );
        }
        value.get_ref().clone()
    }

    /// A length of time, written as text such as "30 days".
    pub(crate) fn duration(&mut self, value: &Spanned<toml::Value>) -> Option<DurationSpec> {
        let Some(text) = value.get_ref().as_str() else {
            self.error(
                value.span(),
                "the length must be text such as \"30 days\", \"2 months\" or \"20 working days\"",
            );
            return None;
        };
        match text.parse::<DurationSpec>() {
            Ok(duration) => Some(duration),
            Err(error) => {
                self.error(value.span(), error);
                None
            }
        }
    }

    /// The guards listed in a combinator's `of`, each converted as a guard of the same action;
    /// their ids need only differ from each other.
    pub(crate) fn inner_guards(&mut self, of: &Spanned<Vec<Spanned<RawGuard>>>) -> Vec<Guard> {
        let mut inner_ids = HashSet::new();
        of.get_ref()
            .iter()
            .filter_map(|inner| {
                convert_guard(
                    self.validator,
                    self.known,
                    self.action,
                    inner,
                    &mut inner_ids,
                )
            })
            .collect()
    }
}

/// A guard entry as the rule it states, or `None` when it has a problem that leaves no rule;
/// `ids` are the ids already taken among its siblings.
pub(crate) fn convert_guard(
    validator: &mut Validator<'_>,
    known: &Known,
    action: &str,
    guard: &Spanned<RawGuard>,
    ids: &mut HashSet<String>,
) -> Option<Guard> {
    let span = guard.span();
    let raw = guard.get_ref();
    let kind_span = raw.guard.span();
    let kind_code = raw.guard.get_ref();
    let context = format!("action '{action}', guard '{kind_code}'");
    let id = checked_id(validator, action, raw, span.clone(), ids);
    let applies_to = checked_applies_to(validator, known, &context, raw);
    let applies_to_flagged = checked_applies_to_flagged(validator, known, &context, raw);
    let waivable_by = checked_roles(
        validator,
        &known.roles,
        raw.waivable_by.as_deref().unwrap_or_default(),
        |role| format!("{context}: unknown role '{role}' in waivable_by"),
    );
    let Some(kind) = kind(kind_code) else {
        validator.error(
            kind_span,
            format!(
                "{context}: unknown guard kind '{kind_code}'; guard kinds are: {}",
                GUARD_KINDS.join(", ")
            ),
        );
        return None;
    };
    let mut reader = GuardReader {
        validator,
        known,
        action,
        context,
        span,
    };
    let rule: GuardRule = (kind.convert)(&mut reader, raw)?;
    for (name, field_span) in raw.given_fields() {
        if let Some(field_span) = field_span
            && !kind.fields.contains(&name)
        {
            reader.error(
                field_span,
                format!("'{name}' does not apply to this guard kind"),
            );
        }
    }
    Some(Guard {
        id,
        applies_to,
        applies_to_flagged,
        waivable_by,
        rule,
        description: None,
    })
}

/// The guard's id (its kind's code when not given), unique among its siblings.
fn checked_id(
    validator: &mut Validator<'_>,
    action: &str,
    raw: &RawGuard,
    span: Range<usize>,
    ids: &mut HashSet<String>,
) -> String {
    let id = match &raw.id {
        Some(id) => {
            validator.check_code("guard id", id.get_ref(), id.span());
            id.get_ref().clone()
        }
        None => raw.guard.get_ref().clone(),
    };
    let id_span = raw.id.as_ref().map_or(span, Spanned::span);
    if !ids.insert(id.clone()) {
        validator.error(
            id_span,
            format!("action '{action}': two guards have the id '{id}'; give one an explicit 'id'"),
        );
    }
    id
}

/// The specification kinds the guard applies to, each one the definition declares.
fn checked_applies_to(
    validator: &mut Validator<'_>,
    known: &Known,
    context: &str,
    raw: &RawGuard,
) -> Vec<String> {
    let mut applies_to = Vec::new();
    for kind_code in raw.applies_to.iter().flatten() {
        if !known.specification_kinds.contains(kind_code.get_ref()) {
            validator.error(
                kind_code.span(),
                format!(
                    "{context}: unknown specification kind '{}' in applies_to; kinds are: {}",
                    kind_code.get_ref(),
                    list(&known.specification_kinds)
                ),
            );
        }
        applies_to.push(kind_code.get_ref().clone());
    }
    applies_to
}

/// The project flags that make the guard apply, each one the definition declares.
fn checked_applies_to_flagged(
    validator: &mut Validator<'_>,
    known: &Known,
    context: &str,
    raw: &RawGuard,
) -> Vec<String> {
    let mut flags = Vec::new();
    for flag in raw.applies_to_flagged.iter().flatten() {
        if !known.project_flags.contains(flag.get_ref()) {
            let declared = if known.project_flags.is_empty() {
                "the definition declares no [[project_flags]]".to_string()
            } else {
                format!("flags are: {}", list(&known.project_flags))
            };
            validator.error(
                flag.span(),
                format!(
                    "{context}: unknown project flag '{}' in applies_to_flagged; {declared}",
                    flag.get_ref()
                ),
            );
        }
        flags.push(flag.get_ref().clone());
    }
    flags
}
