//! Who may do what besides firing actions: the `[permissions]` of each kind of command, and
//! `[votes]`, what members from the project's drafting unit may do in a committee vote.

use crate::definition::Known;
use crate::definition::raw::RawVotes;
use crate::definition::validator::{Validator, checked_roles};
use crate::definition::{CommandKind, DraftingUnitMembers, RecusedMembers};
use std::collections::BTreeMap;
use toml::Spanned;

/// The roles that may issue each kind of command, in the order of [`CommandKind`].
pub(super) fn convert_permissions(
    validator: &mut Validator<'_>,
    known: &Known,
    raw: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
) -> Vec<(CommandKind, Vec<String>)> {
    let mut permissions = Vec::new();
    for (key, roles_value) in raw {
        let span = roles_value.span();
        let Some(kind) = CommandKind::from_code(&key) else {
            let kinds: Vec<&str> = CommandKind::ALL.iter().map(|kind| kind.code()).collect();
            validator.error(
                span,
                format!(
                    "[permissions]: unknown command '{key}'; commands are: {}",
                    kinds.join(", ")
                ),
            );
            continue;
        };
        let permitted = checked_roles(validator, &known.roles, roles_value.get_ref(), |role| {
            format!("[permissions] {key}: unknown role '{role}'")
        });
        permissions.push((kind, permitted));
    }
    permissions.sort_by_key(|(kind, _)| *kind);
    permissions
}

/// What drafting-unit members do in votes, and how those who must abstain are counted; they vote
/// when the definition says nothing, and abstainers count as present unless it says otherwise.
pub(super) fn convert_votes(
    validator: &mut Validator<'_>,
    raw: Option<Spanned<RawVotes>>,
) -> (DraftingUnitMembers, RecusedMembers) {
    let Some(votes) = raw.map(Spanned::into_inner) else {
        return (DraftingUnitMembers::Vote, RecusedMembers::default());
    };
    let drafting_unit_members = match votes.drafting_unit_members.get_ref().as_str() {
        _ if votes
            .source
            .as_deref()
            .is_some_and(|source| source.trim().is_empty()) =>
        {
            validator.error(
                votes.drafting_unit_members.span(),
                "votes.source is empty: cite where the rule comes from, or leave it out",
            );
            DraftingUnitMembers::Vote
        }
        "vote" => DraftingUnitMembers::Vote,
        "abstain" => DraftingUnitMembers::Abstain,
        other => {
            validator.error(
                votes.drafting_unit_members.span(),
                format!("votes.drafting_unit_members: '{other}' is neither 'vote' nor 'abstain'"),
            );
            DraftingUnitMembers::Vote
        }
    };
    let recused_members = match &votes.recused_members {
        None => RecusedMembers::default(),
        Some(value) if drafting_unit_members != DraftingUnitMembers::Abstain => {
            validator.error(
                value.span(),
                "votes.recused_members says how members who must abstain are counted, but drafting_unit_members is not 'abstain': no member must abstain",
            );
            RecusedMembers::default()
        }
        Some(value) => match value.get_ref().as_str() {
            "counted_as_present" => RecusedMembers::CountedAsPresent,
            "excluded" => RecusedMembers::Excluded,
            other => {
                validator.error(
                    value.span(),
                    format!(
                        "votes.recused_members: '{other}' is neither 'counted_as_present' nor 'excluded'"
                    ),
                );
                RecusedMembers::default()
            }
        },
    };
    (drafting_unit_members, recused_members)
}
