//! Reading a definition file as written: the [`Validator`] that collects every problem at its
//! place, and the checks shared by the loader's sections and the guard kinds' conversions.
//!
//! It sits with the raw file (`raw.rs`) below everything else, so that the guard layer can read
//! its kinds' entries without importing the loader above it.

use crate::location::{Problem, SourceText};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// The problems found so far in one definition file.
pub(crate) struct Validator<'text> {
    pub(crate) source: SourceText<'text>,
    pub(crate) problems: Vec<Problem>,
}

impl Validator<'_> {
    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(self.source.problem_at(span, message));
    }

    pub(crate) fn error_without_place(&mut self, message: impl Into<String>) {
        self.problems
            .push(self.source.problem_without_place(message));
    }

    pub(crate) fn check_code(&mut self, what: &str, code: &str, span: Range<usize>) {
        let well_formed = !code.is_empty()
            && code.chars().all(|character| {
                character.is_ascii_lowercase()
                    || character.is_ascii_digit()
                    || character == '_'
                    || character == '-'
            });
        if !well_formed {
            self.error(
                span,
                format!(
                    "{what} code '{code}' must be non-empty lowercase letters, digits, '_' or '-'"
                ),
            );
        }
    }
}

/// The roles as written, each checked against the definition's roles; an unknown one is reported
/// at its place as `unknown(role)` followed by the list of roles.
pub(crate) fn checked_roles(
    validator: &mut Validator<'_>,
    known_roles: &HashSet<String>,
    roles: &[Spanned<String>],
    unknown: impl Fn(&str) -> String,
) -> Vec<String> {
    roles
        .iter()
        .map(|role| {
            if !known_roles.contains(role.get_ref()) {
                validator.error(
                    role.span(),
                    format!(
                        "{}; roles are: {}",
                        unknown(role.get_ref()),
                        list(known_roles)
                    ),
                );
            }
            role.get_ref().clone()
        })
        .collect()
}

/// The codes in sorted order, comma-separated, for messages that list what is known.
pub(crate) fn list(items: &HashSet<String>) -> String {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|item| item.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
