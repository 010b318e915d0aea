//! Definitions rendered for people: a readable outline, and state diagrams (Mermaid, Graphviz DOT).
//!
//! These are pure text functions so that the command line, the web pages and the docs all draw
//! the same picture of a definition.

use crate::definition::{Comparison, Counter, Guard, GuardRule, Threshold, WorkflowDefinition};
use crate::guard::describe;
use crate::text::{Language, LocalizedText};
use std::fmt::Write;

/// A short summary of a guard, for diagram edge labels.
pub fn short_summary(guard: &Guard, definition: &WorkflowDefinition, language: Language) -> String {
    let text = short_rule(&guard.rule, definition);
    let text = text.get(language).to_string();
    if guard.applies_to.is_empty() {
        text
    } else {
        match language {
            Language::Zh => format!("{text}（部分类型）"),
            Language::En => format!("{text} (some kinds)"),
        }
    }
}

fn threshold_short(threshold: &Threshold) -> String {
    let sign = match threshold.comparison {
        Comparison::AtLeast => "≥",
        Comparison::MoreThan => ">",
        Comparison::AtMost => "≤",
    };
    format!("{sign}{}", threshold.fraction)
}

fn short_rule(rule: &GuardRule, definition: &WorkflowDefinition) -> LocalizedText {
    match rule {
        GuardRule::ArtifactsPresent { artifact_kinds } => {
            let count = artifact_kinds.len();
            if count == 1 {
                let name = definition.artifact_kind_name(&artifact_kinds[0]);
                LocalizedText::new(name.zh, name.en)
            } else {
                LocalizedText::new(format!("{count}项附件"), format!("{count} documents"))
            }
        }
        GuardRule::TimeInStageAtLeast { minimum } => LocalizedText::new(
            format!("≥{}", minimum.describe_zh()),
            format!("≥{}", minimum.describe_en()),
        ),
        GuardRule::NoticeBeforeMeeting { minimum, .. } => LocalizedText::new(
            format!("提前{}送达", minimum.describe_zh()),
            format!("notice ≥{}", minimum.describe_en()),
        ),
        GuardRule::CountAtLeast { counter, minimum } => match counter {
            Counter::OrganisationsConsulted => LocalizedText::new(
                format!("≥{minimum}家单位"),
                format!("≥{minimum} organisations"),
            ),
            Counter::CommentsRecorded => {
                LocalizedText::new(format!("≥{minimum}条意见"), format!("≥{minimum} comments"))
            }
        },
        GuardRule::CommentsAllDisposed => {
            LocalizedText::new("意见均已处理", "all comments disposed")
        }
        GuardRule::VoteHeld { motion, .. } => {
            let motion = definition.motion_name(motion);
            LocalizedText::new(
                format!("已表决{}", motion.zh),
                format!("{} voted", motion.en),
            )
        }
        GuardRule::VotePasses {
            quorum,
            in_favour,
            against,
            ..
        } => {
            let mut zh = Vec::new();
            let mut en = Vec::new();
            if let Some(quorum) = quorum {
                zh.push(format!("出席{}", threshold_short(quorum)));
                en.push(format!("quorum {}", threshold_short(quorum)));
            }
            if let Some(in_favour) = in_favour {
                zh.push(format!("赞成{}", threshold_short(in_favour)));
                en.push(format!("for {}", threshold_short(in_favour)));
            }
            if let Some(against) = against {
                zh.push(format!("反对{}", threshold_short(against)));
                en.push(format!("against {}", threshold_short(against)));
            }
            LocalizedText::new(
                format!("表决 {}", zh.join(" ")),
                format!("vote {}", en.join(" ")),
            )
        }
        GuardRule::SignedOff { by_role, .. } => {
            let role = definition.role_name(by_role);
            LocalizedText::new(format!("{}签署", role.zh), format!("signed by {}", role.en))
        }
        GuardRule::DifferentActor { .. } => LocalizedText::new("四眼原则", "four eyes"),
        GuardRule::FieldRecorded { field } => {
            let field = definition.field_name(field);
            LocalizedText::new(
                format!("已记录{}", field.zh),
                format!("{} recorded", field.en),
            )
        }
        GuardRule::DateOrder { .. } => LocalizedText::new("日期先后", "date order"),
        GuardRule::All(guards) => LocalizedText::new(
            format!("全部{}项", guards.len()),
            format!("all of {}", guards.len()),
        ),
        GuardRule::Any(guards) => LocalizedText::new(
            format!("{}项择一", guards.len()),
            format!("one of {}", guards.len()),
        ),
        GuardRule::Not(inner) => {
            let inner = short_rule(&inner.rule, definition);
            LocalizedText::new(format!("非（{}）", inner.zh), format!("not ({})", inner.en))
        }
    }
}

/// The definition as a readable outline: stages, then transitions with roles and guards in words.
pub fn outline(definition: &WorkflowDefinition) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} v{}: {} / {}",
        definition.id, definition.version, definition.title.zh, definition.title.en
    );
    let _ = writeln!(
        out,
        "Local day: UTC{}; working-day calendar: {}",
        definition.local_utc_offset,
        definition.calendar.as_deref().unwrap_or("none")
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Stages / 阶段");
    let rows: Vec<[String; 4]> = definition
        .stages
        .iter()
        .map(|stage| {
            [
                stage.code.clone(),
                stage.name.zh.clone(),
                stage.name.en.clone(),
                format!(
                    "{}{}",
                    stage
                        .iso_code
                        .as_deref()
                        .map(|code| format!("ISO {code}"))
                        .unwrap_or_default(),
                    if stage.terminal {
                        "  (terminal / 终止)"
                    } else {
                        ""
                    }
                ),
            ]
        })
        .collect();
    write_table(&mut out, &["code", "中文", "English", "notes"], &rows);
    let _ = writeln!(out);
    let _ = writeln!(out, "Transitions / 流转");
    for transition in &definition.transitions {
        let _ = writeln!(
            out,
            "  {}: {} -> {}    {} / {}",
            transition.action,
            transition.from.join(", "),
            transition.to,
            transition.name.zh,
            transition.name.en
        );
        let roles: Vec<String> = transition
            .roles
            .iter()
            .map(|role| {
                let name = definition.role_name(role);
                format!("{role} ({} / {})", name.zh, name.en)
            })
            .collect();
        let _ = writeln!(out, "      roles: {}", roles.join(", "));
        if transition.requires_reason {
            let _ = writeln!(out, "      needs a reason / 须说明理由");
        }
        for guard in &transition.guards {
            write_guard(&mut out, guard, definition, 6);
        }
    }
    out
}

fn write_guard(out: &mut String, guard: &Guard, definition: &WorkflowDefinition, indent: usize) {
    let text = describe(guard, definition);
    let waiver = if guard.waivable_by.is_empty() {
        String::new()
    } else {
        format!("  [waivable by {}]", guard.waivable_by.join(", "))
    };
    let _ = writeln!(out, "{:indent$}- [{}] {}", "", guard.id, text.zh);
    let _ = writeln!(out, "{:indent$}  {}{waiver}", "", text.en);
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| {
            // CJK ideographs, full-width forms and punctuation take two columns in a terminal.
            let code = u32::from(character);
            if (0x1100..=0x115F).contains(&code)
                || (0x2E80..=0xA4CF).contains(&code)
                || (0xAC00..=0xD7A3).contains(&code)
                || (0xF900..=0xFAFF).contains(&code)
                || (0xFE30..=0xFE4F).contains(&code)
                || (0xFF00..=0xFF60).contains(&code)
                || (0xFFE0..=0xFFE6).contains(&code)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Writes rows as columns aligned for a terminal, counting wide characters as two columns.
pub fn write_table<const N: usize>(out: &mut String, headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for (index, header) in headers.iter().enumerate() {
        widths[index] = display_width(header);
    }
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(display_width(cell));
        }
    }
    let mut write_row = |cells: Vec<&str>| {
        let mut line = String::from("  ");
        for (index, cell) in cells.iter().enumerate() {
            line.push_str(cell);
            if index + 1 < N {
                let padding = widths[index] - display_width(cell) + 2;
                line.push_str(&" ".repeat(padding));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    };
    write_row(headers.to_vec());
    for row in rows {
        write_row(row.iter().map(String::as_str).collect());
    }
}

fn edge_label(
    transition: &crate::definition::Transition,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let mut parts = vec![transition.action.clone()];
    let summaries: Vec<String> = transition
        .guards
        .iter()
        .map(|guard| short_summary(guard, definition, language))
        .collect();
    if !summaries.is_empty() {
        parts.push(summaries.join(", "));
    }
    parts.join(" | ")
}

fn mermaid_escape(text: &str) -> String {
    text.replace([':', ';', '"', '#'], " ")
        .replace('<', "‹")
        .replace('>', "›")
}

/// A Mermaid `stateDiagram-v2` of the definition; edges carry the action and a guard summary.
pub fn mermaid(definition: &WorkflowDefinition, language: Language) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for stage in &definition.stages {
        let name = stage.name.get(language);
        let _ = writeln!(
            out,
            "    state \"{}\" as {}",
            mermaid_escape(name),
            stage.code
        );
    }
    let _ = writeln!(out, "    [*] --> {}", definition.initial_stage);
    for transition in &definition.transitions {
        let label = mermaid_escape(&edge_label(transition, definition, language));
        for from in &transition.from {
            let _ = writeln!(out, "    {from} --> {} : {label}", transition.to);
        }
    }
    for stage in definition.stages.iter().filter(|stage| stage.terminal) {
        let _ = writeln!(out, "    {} --> [*]", stage.code);
    }
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Graphviz DOT digraph of the definition; edges carry the action and a guard summary.
pub fn dot(definition: &WorkflowDefinition, language: Language) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&definition.id));
    let _ = writeln!(out, "    rankdir=TB;");
    let _ = writeln!(out, "    node [shape=box, style=rounded];");
    let _ = writeln!(out, "    start [shape=point];");
    for stage in &definition.stages {
        let shape = if stage.terminal {
            ", peripheries=2"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    \"{}\" [label=\"{}\"{shape}];",
            dot_escape(&stage.code),
            dot_escape(stage.name.get(language))
        );
    }
    let _ = writeln!(
        out,
        "    start -> \"{}\";",
        dot_escape(&definition.initial_stage)
    );
    for transition in &definition.transitions {
        let label = dot_escape(&edge_label(transition, definition, language));
        for from in &transition.from {
            let _ = writeln!(
                out,
                "    \"{}\" -> \"{}\" [label=\"{label}\"];",
                dot_escape(from),
                dot_escape(&transition.to)
            );
        }
    }
    out.push_str("}\n");
    out
}
