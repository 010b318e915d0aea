//! Combinators: guards made of other guards, `all`, `any` and `not`, whose inner guards are
//! listed in `of`.

use super::GuardReader;
use super::{GuardKind, Situation, applies, check, describe, join_names, short_label};
use crate::definition::raw::RawGuard;
use crate::definition::{Guard, GuardRule, WorkflowDefinition};
use crate::rejection::Unmet;
use crate::text::LocalizedText;
use std::ops::Range;

/// `all`: every inner guard holds.
pub(super) const ALL: GuardKind = GuardKind {
    code: "all",
    fields: &["of"],
    convert: convert_all,
};

/// `any`: at least one inner guard holds.
pub(super) const ANY: GuardKind = GuardKind {
    code: "any",
    fields: &["of"],
    convert: convert_any,
};

/// `not`: the one inner guard does not hold.
pub(super) const NOT: GuardKind = GuardKind {
    code: "not",
    fields: &["of"],
    convert: convert_not,
};

/// The inner guards listed in `of`, with the place of the list.
fn inner_guards(
    reader: &mut GuardReader<'_, '_>,
    raw: &RawGuard,
) -> Option<(Range<usize>, Vec<Guard>)> {
    let Some(inner) = raw.of.as_ref() else {
        reader.error_at_guard("missing 'of', the list of inner guards");
        return None;
    };
    Some((inner.span(), reader.inner_guards(inner)))
}

/// The inner guards of `all` and `any`, at least one.
fn some_inner_guards(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<Vec<Guard>> {
    let (span, guards) = inner_guards(reader, raw)?;
    if guards.is_empty() {
        reader.error(span, "'of' lists no guard");
        return None;
    }
    Some(guards)
}

fn convert_all(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    some_inner_guards(reader, raw).map(GuardRule::All)
}

fn convert_any(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    some_inner_guards(reader, raw).map(GuardRule::Any)
}

fn convert_not(reader: &mut GuardReader<'_, '_>, raw: &RawGuard) -> Option<GuardRule> {
    let (span, mut guards) = inner_guards(reader, raw)?;
    if guards.len() != 1 {
        reader.error(span, "'not' takes exactly one guard in 'of'");
        return None;
    }
    Some(GuardRule::Not(Box::new(guards.remove(0))))
}

pub(super) fn check_all(guards: &[Guard], situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    for inner in guards {
        check(inner, situation, unmet);
    }
}

pub(super) fn check_any(guards: &[Guard], situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    let mut alternatives = Vec::new();
    for inner in guards {
        let mut inner_unmet = Vec::new();
        check(inner, situation, &mut inner_unmet);
        if inner_unmet.is_empty() {
            return;
        }
        alternatives.extend(inner_unmet);
    }
    let zh: Vec<&str> = alternatives
        .iter()
        .map(|reason| reason.message.zh.as_str())
        .collect();
    let en: Vec<&str> = alternatives
        .iter()
        .map(|reason| reason.message.en.as_str())
        .collect();
    unmet.push(
        Unmet::new(
            "no_alternative_met",
            LocalizedText::new(
                format!("以下条件须满足其一，但均未满足：{}", zh.join("；")),
                format!(
                    "One of these is required, and none holds: {}",
                    en.join("; ")
                ),
            ),
        )
        .with(
            "alternatives",
            alternatives
                .iter()
                .map(|reason| reason.code.as_str())
                .collect::<Vec<_>>(),
        ),
    );
}

pub(super) fn check_not(inner: &Guard, situation: &Situation<'_>, unmet: &mut Vec<Unmet>) {
    let mut inner_unmet = Vec::new();
    check(inner, situation, &mut inner_unmet);
    if !inner_unmet.is_empty() || !applies(inner, situation.state) {
        return;
    }
    let description = describe(inner, situation.definition);
    unmet.push(
        Unmet::new(
            "condition_holds",
            LocalizedText::new(
                format!(
                    "此操作仅在下列条件不成立时可用，但它成立：{}",
                    description.zh
                ),
                format!(
                    "This step is only for when the following does not hold, and it does: {}",
                    description.en
                ),
            ),
        )
        .with("condition", inner.rule.kind_code()),
    );
}

pub(super) fn describe_all(guards: &[Guard], definition: &WorkflowDefinition) -> LocalizedText {
    let inner = join_names(guards.iter().map(|guard| describe(guard, definition)));
    LocalizedText::new(
        format!("全部满足：{}", inner.zh),
        format!("all of: {}", inner.en),
    )
}

pub(super) fn describe_any(guards: &[Guard], definition: &WorkflowDefinition) -> LocalizedText {
    let inner = LocalizedText::new(
        guards
            .iter()
            .map(|guard| describe(guard, definition).zh)
            .collect::<Vec<_>>()
            .join("；或"),
        guards
            .iter()
            .map(|guard| describe(guard, definition).en)
            .collect::<Vec<_>>()
            .join("; or "),
    );
    LocalizedText::new(
        format!("满足其一：{}", inner.zh),
        format!("any of: {}", inner.en),
    )
}

pub(super) fn describe_not(inner: &Guard, definition: &WorkflowDefinition) -> LocalizedText {
    let inner = describe(inner, definition);
    LocalizedText::new(format!("并非：{}", inner.zh), format!("not: {}", inner.en))
}

pub(super) fn label_all(guards: &[Guard]) -> LocalizedText {
    LocalizedText::new(
        format!("全部{}项", guards.len()),
        format!("all of {}", guards.len()),
    )
}

pub(super) fn label_any(guards: &[Guard]) -> LocalizedText {
    LocalizedText::new(
        format!("{}项择一", guards.len()),
        format!("one of {}", guards.len()),
    )
}

pub(super) fn label_not(inner: &Guard, definition: &WorkflowDefinition) -> LocalizedText {
    let inner = short_label(&inner.rule, definition);
    LocalizedText::new(format!("非（{}）", inner.zh), format!("not ({})", inner.en))
}
