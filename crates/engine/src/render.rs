//! Definitions rendered for people: a readable outline, and state diagrams (Mermaid, Graphviz DOT).
//!
//! These are pure text functions so that the command line, the web pages and the docs all draw
//! the same picture of a definition.

use crate::definition::{Guard, WorkflowDefinition};
use crate::guard::{describe, short_label};
use crate::text::{Language, LocalizedText};
use std::fmt::Write;

/// A short summary of a guard, for diagram edge labels.
pub fn short_summary(guard: &Guard, definition: &WorkflowDefinition, language: Language) -> String {
    let text = short_label(&guard.rule, definition);
    let text = text.get(language).to_string();
    // A guard that applies to some kinds, or to projects carrying a flag, does not bind every
    // project: the edge says so.
    if guard.applies_to.is_empty() && guard.applies_to_flagged.is_empty() {
        text
    } else {
        match language {
            Language::Zh => format!("{text}（部分项目）"),
            Language::En => format!("{text} (some projects)"),
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
    write_project_flags(&mut out, definition);
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
    write_votes(&mut out, definition);
    out
}

/// The flags a project may be given at creation, each with its source.
fn write_project_flags(out: &mut String, definition: &WorkflowDefinition) {
    if definition.project_flags.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Project flags, given at creation / 项目标记（创建时给出）"
    );
    for flag in &definition.project_flags {
        let _ = writeln!(out, "  {}: {} / {}", flag.code, flag.name.zh, flag.name.en);
        if let Some(source) = &flag.source {
            let _ = writeln!(out, "      source: {source}");
        }
    }
}

/// What drafting-unit members do in votes and how those who must abstain are counted.
fn write_votes(out: &mut String, definition: &WorkflowDefinition) {
    use crate::definition::{DraftingUnitMembers, RecusedMembers};
    if definition.drafting_unit_members != DraftingUnitMembers::Abstain {
        return;
    }
    let counted = match definition.recused_members {
        RecusedMembers::CountedAsPresent => (
            "计入应到与出席人数，按弃权计",
            "counted on the roll and as present, abstaining",
        ),
        RecusedMembers::Excluded => (
            "不计入应到与出席人数",
            "left out of the roll and of those present",
        ),
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "Votes / 表决");
    let _ = writeln!(out, "  起草单位委员回避表决，{}", counted.0);
    let _ = writeln!(
        out,
        "  drafting-unit members must abstain (回避), {}",
        counted.1
    );
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

/// An instant as the definition's local time, such as `2026-03-01 09:00`.
pub fn local_time(
    instant: chrono::DateTime<chrono::Utc>,
    definition: &WorkflowDefinition,
) -> String {
    instant
        .with_timezone(&definition.local_utc_offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// One event in a line, for logs and simulations.
// Longer than the house's 150 lines on purpose: one short arm per event type in one match, so
// the compiler checks that every event has a summary; split by family, a new event could fall
// through a catch-all arm unnoticed.
pub fn event_summary(
    body: &crate::event::EventBody,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    use crate::event::{DeadlineOutcome, EventBody};
    let stage = |code: &str| definition.stage_name(code).get(language).to_string();
    let deadline = |id: &str| {
        definition.deadline(id).map_or_else(
            || id.to_string(),
            |rule| rule.name.get(language).to_string(),
        )
    };
    match body {
        EventBody::ProjectCreated {
            project,
            stage: initial,
        } => format!(
            "created {} \"{}\" ({}) in {}",
            project.code,
            project.title.get(language),
            definition
                .specification_kind_name(&project.specification_kind)
                .get(language),
            stage(initial)
        ),
        EventBody::ActionFired {
            action,
            from,
            to,
            reason,
            waived_guards,
        } => {
            let mut line = format!("{action}: {} -> {}", stage(from), stage(to));
            if let Some(reason) = reason {
                let _ = write!(line, "; reason: {reason}");
            }
            if !waived_guards.is_empty() {
                let _ = write!(line, "; waived: {}", waived_guards.join(", "));
            }
            line
        }
        EventBody::ProjectCancelled {
            from, to, reason, ..
        } => {
            format!(
                "cancelled: {} -> {}; reason: {reason}",
                stage(from),
                stage(to)
            )
        }
        EventBody::ArtifactAttached(artifact) => format!(
            "attached {} \"{}\" ({} bytes, sha256 {})",
            definition.artifact_kind_name(&artifact.kind).get(language),
            artifact.file_name,
            artifact.size_bytes,
            artifact.sha256.get(..12).unwrap_or(&artifact.sha256)
        ),
        EventBody::OrganisationsConsultedRecorded { organisations } => {
            format!("+{} organisations consulted", organisations.len())
        }
        EventBody::CommentRecorded(comment) => {
            format!(
                "comment {} from {}",
                comment.comment_id, comment.organisation
            )
        }
        EventBody::CommentDisposed {
            comment_id,
            disposition,
            reason,
        } => {
            let mut line = format!("comment {comment_id}: {}", disposition.name().get(language));
            if let Some(reason) = reason {
                let _ = write!(line, " ({reason})");
            }
            line
        }
        EventBody::MeetingScheduled(schedule) => format!(
            "{} meeting {} scheduled for {} (documents sent {})",
            definition.motion_name(&schedule.motion).get(language),
            schedule.meeting_id,
            schedule.meeting_on,
            schedule.documents_sent_on
        ),
        EventBody::MeetingRecorded(record) => {
            let tally = record.tally();
            format!(
                "{} meeting {} held {} ({}): roll {}, present {}, for {}, against {}, abstain {}, non-voting {}",
                definition.motion_name(&record.motion).get(language),
                record.meeting_id,
                record.held_on,
                match record.form {
                    crate::definition::MeetingForm::Meeting => "at a meeting",
                    crate::definition::MeetingForm::Letter => "by letter",
                },
                tally.roll,
                tally.present,
                tally.in_favour,
                tally.against,
                tally.abstain,
                record.non_voting_present.len()
            )
        }
        EventBody::SignedOff { subject } => {
            format!(
                "signed off: {}",
                definition.sign_off_name(subject).get(language)
            )
        }
        EventBody::FieldRecorded { field, .. } => {
            format!("recorded {}", definition.field_name(field).get(language))
        }
        EventBody::PublicationRecorded(publication) => format!(
            "published {} on {}, effective {}",
            publication.specification_number,
            publication.publication_date,
            publication.effective_date
        ),
        EventBody::WaiverRecorded(waiver) => format!(
            "waiver of {}/{} by {}: {}",
            waiver.action, waiver.guard, waiver.authority, waiver.reason
        ),
        EventBody::PlanFixed { due_dates } => {
            let dates: Vec<String> = due_dates
                .iter()
                .map(|(id, date)| format!("{} {date}", deadline(id)))
                .collect();
            format!("plan fixed: {}", dates.join(", "))
        }
        EventBody::DeadlineSet {
            deadline: id,
            times,
            planned_due_on,
            problem,
            ..
        } => match (times, problem) {
            (Some(times), _) => {
                let planned = planned_due_on
                    .map(|date| format!(" (planned {date})"))
                    .unwrap_or_default();
                format!("deadline {} due {}{planned}", deadline(id), times.due_on)
            }
            (None, Some(problem)) => {
                format!("deadline {}: not computable: {problem}", deadline(id))
            }
            (None, None) => format!("deadline {}: not computable", deadline(id)),
        },
        EventBody::DeadlineClosed {
            deadline: id,
            outcome,
            days_late,
        } => match (outcome, days_late) {
            (DeadlineOutcome::Met, Some(days)) => {
                format!("deadline {} met, {days} days late", deadline(id))
            }
            (DeadlineOutcome::Met, None) => format!("deadline {} met on time", deadline(id)),
            (DeadlineOutcome::ProjectEnded, _) => {
                format!("deadline {} dropped: the project ended", deadline(id))
            }
        },
        EventBody::DeadlineWarningGiven {
            deadline: id,
            due_on,
            ..
        } => {
            format!("warning: {} due {due_on}", deadline(id))
        }
        EventBody::DeadlineMissed {
            deadline: id,
            due_on,
            ..
        } => {
            format!("OVERDUE: {} was due {due_on}", deadline(id))
        }
        EventBody::ProjectEscalated {
            deadline: id,
            due_on,
            ..
        } => {
            format!("escalated to the bureau: {} was due {due_on}", deadline(id))
        }
        EventBody::ProjectFrozen { deadline: id, .. } => {
            format!("FROZEN: {} overdue", deadline(id))
        }
        EventBody::FreezeLifted { reason } => format!("freeze lifted: {reason}"),
        EventBody::ExtensionRequested {
            request_id,
            deadline: id,
            requested_due_on,
            reason,
            ..
        } => format!(
            "extension {request_id} of {} to {requested_due_on} requested: {reason}",
            deadline(id)
        ),
        EventBody::ExtensionGranted {
            request_id,
            deadline: id,
            times,
            ..
        } => format!(
            "extension {request_id} granted: {} now due {}",
            deadline(id),
            times.due_on
        ),
        EventBody::ExtensionRefused {
            request_id, reason, ..
        } => format!("extension {request_id} refused: {reason}"),
        EventBody::ReexaminationScheduled {
            counted_from,
            times,
            ..
        } => format!(
            "re-examination due {} (counted from {counted_from})",
            times.due_on
        ),
        EventBody::ReexaminationWarningGiven { due_on, .. } => {
            format!("warning: re-examination due {due_on}")
        }
        EventBody::ReexaminationFellDue { due_on, .. } => {
            format!("re-examination fell due ({due_on})")
        }
        EventBody::DefinitionMigrated {
            from_version,
            to_version,
        } => format!("migrated from version {from_version} to {to_version}"),
    }
}

/// A simulation as text: the log with rejections in place, the deadlines, and the final state.
pub fn simulation_report(
    report: &crate::scenario::SimulationReport,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Audit log of project {} (times in UTC{})",
        report.project_id, definition.local_utc_offset
    );
    write_simulation_log(&mut out, report, definition, language);
    let _ = writeln!(out);
    let _ = writeln!(out, "Deadlines");
    write_deadline_table(&mut out, &report.state, definition, language);
    let _ = writeln!(out);
    let _ = writeln!(out, "Final state");
    write_final_state(&mut out, &report.state, definition, language);
    write_simulation_tallies(&mut out, report);
    out
}

/// The audit log, with each rejected step printed where it happened: after the records sealed
/// at or before its instant.
fn write_simulation_log(
    out: &mut String,
    report: &crate::scenario::SimulationReport,
    definition: &WorkflowDefinition,
    language: Language,
) {
    use crate::scenario::StepOutcome;
    let mut printed = 0usize;
    for outcome in &report.outcomes {
        let printed_before = printed;
        let still_before = |record: &crate::audit::AuditRecord| match outcome {
            StepOutcome::Accepted { sequences, .. } => record.sequence <= sequences.1,
            StepOutcome::Rejected { step, .. } => record.recorded_at <= step.at,
        };
        for record in report.records.iter().skip(printed_before) {
            if !still_before(record) {
                break;
            }
            write_record(out, record, definition, language);
            printed += 1;
        }
        if let StepOutcome::Rejected { step, rejection } = outcome {
            write_rejected_step(out, step, rejection, definition, language);
        }
    }
    for record in report.records.iter().skip(printed) {
        write_record(out, record, definition, language);
    }
}

/// One record of the log in a line: sequence, local time, actor, summary and short hash.
fn write_record(
    out: &mut String,
    record: &crate::audit::AuditRecord,
    definition: &WorkflowDefinition,
    language: Language,
) {
    let summary = record
        .to_event()
        .map(|event| event_summary(&event.body, definition, language))
        .unwrap_or_else(|error| format!("(unreadable event: {error})"));
    let _ = writeln!(
        out,
        "  {:>4}  {}  {:<28}  {}  [{}]",
        record.sequence,
        local_time(record.recorded_at, definition),
        format!("{} ({})", record.actor_id, record.actor_role),
        summary,
        record.hash.short()
    );
}

/// A rejected step: what was asked, by whom, from which scenario line, and every reason.
fn write_rejected_step(
    out: &mut String,
    step: &crate::scenario::Step,
    rejection: &crate::rejection::Rejection,
    definition: &WorkflowDefinition,
    language: Language,
) {
    let what = match &step.command {
        crate::command::Command::FireAction { action, .. } => {
            format!("fire_action {action}")
        }
        other => other.kind_name().to_string(),
    };
    let _ = writeln!(
        out,
        "     ✗  {}  {:<28}  REJECTED {what} (scenario line {})",
        local_time(step.at, definition),
        format!("{} ({})", step.actor.id, step.actor.role),
        step.line
    );
    for reason in &rejection.reasons {
        let _ = writeln!(
            out,
            "          - {}: {}",
            reason.code,
            reason.message.get(language)
        );
    }
}

/// Every deadline the project ran, as a table, then its re-examination if one is scheduled.
fn write_deadline_table(
    out: &mut String,
    state: &crate::state::ProjectState,
    definition: &WorkflowDefinition,
    language: Language,
) {
    let rows: Vec<[String; 6]> = state
        .deadlines
        .iter()
        .map(|entry| deadline_row(entry, definition, language))
        .collect();
    write_table(
        out,
        &[
            "deadline", "started", "planned", "original", "due", "status",
        ],
        &rows,
    );
    if let Some(reexamination) = &state.reexamination {
        let _ = writeln!(
            out,
            "  re-examination due {} (counted from {}){}",
            reexamination.times.due_on,
            reexamination.counted_from,
            if reexamination.settled {
                ", opened"
            } else {
                ""
            }
        );
    }
}

/// One deadline's row: name, start, planned, original and current due dates, and status.
fn deadline_row(
    entry: &crate::state::DeadlineEntry,
    definition: &WorkflowDefinition,
    language: Language,
) -> [String; 6] {
    let name = definition.deadline(&entry.deadline).map_or_else(
        || entry.deadline.clone(),
        |rule| rule.name.get(language).to_string(),
    );
    let status = match (&entry.closed, entry.missed) {
        (Some((crate::event::DeadlineOutcome::Met, _)), _) => match entry.days_late {
            Some(days) => format!("met {days} days late"),
            None => "met".to_string(),
        },
        (Some((crate::event::DeadlineOutcome::ProjectEnded, _)), _) => "dropped".to_string(),
        (None, true) => "OVERDUE".to_string(),
        (None, false) => "running".to_string(),
    };
    let date = |date: Option<chrono::NaiveDate>| {
        date.map_or_else(|| "-".to_string(), |date| date.to_string())
    };
    [
        name,
        entry.started_on.to_string(),
        date(entry.planned_due_on),
        date(entry.original_due_on),
        date(entry.times.map(|times| times.due_on)),
        format!(
            "{status}{}",
            if entry.extensions_granted > 0 {
                format!(", {} extension(s)", entry.extensions_granted)
            } else {
                String::new()
            }
        ),
    ]
}

/// Where the project ended up: what it is, its stage and path, what it holds, and what is next.
fn write_final_state(
    out: &mut String,
    state: &crate::state::ProjectState,
    definition: &WorkflowDefinition,
    language: Language,
) {
    if let Some(project) = &state.project {
        let _ = writeln!(
            out,
            "  project: {} \"{}\"",
            project.code,
            project.title.get(language)
        );
        let _ = writeln!(
            out,
            "  definition: {} v{}",
            project.definition_id, project.definition_version
        );
    }
    if let Some(visit) = state.visits.last() {
        let _ = writeln!(
            out,
            "  stage: {} since {}{}",
            definition.stage_name(&visit.stage).get(language),
            local_time(visit.entered_at, definition),
            if state.frozen.is_some() {
                " (FROZEN)"
            } else {
                ""
            }
        );
    }
    let path: Vec<String> = state
        .visits
        .iter()
        .map(|visit| {
            definition
                .stage_name(&visit.stage)
                .get(language)
                .to_string()
        })
        .collect();
    let _ = writeln!(out, "  path: {}", path.join(" -> "));
    write_holdings(out, state);
    write_next_deadline(out, state, definition, language);
}

/// What the project holds: artifacts, consultation, meetings, and the publication if any.
fn write_holdings(out: &mut String, state: &crate::state::ProjectState) {
    let disposed = state
        .comments
        .iter()
        .filter(|entry| entry.disposition.is_some())
        .count();
    let _ = writeln!(
        out,
        "  artifacts: {}; organisations consulted: {}; comments: {} ({} disposed); meetings: {}",
        state.artifacts.len(),
        state.organisations_consulted.len(),
        state.comments.len(),
        disposed,
        state.meetings.len()
    );
    if let Some(publication) = &state.publication {
        let _ = writeln!(
            out,
            "  published: {} on {}, effective {}",
            publication.specification_number,
            publication.publication_date,
            publication.effective_date
        );
    }
}

/// The next instant `tick` will act at, and what falls due then.
fn write_next_deadline(
    out: &mut String,
    state: &crate::state::ProjectState,
    definition: &WorkflowDefinition,
    language: Language,
) {
    use crate::deadline::DueKind;
    let Some(next) = crate::deadline::next_deadline(state) else {
        let _ = writeln!(out, "  next deadline: none");
        return;
    };
    let what = match next.kind {
        DueKind::Warning => "the warning before",
        DueKind::Due => "the end of",
        DueKind::Escalation => "the escalation of",
        DueKind::ReexaminationWarning => "the warning before",
        DueKind::Reexamination => "the start of",
    };
    let periodic = matches!(
        next.kind,
        DueKind::ReexaminationWarning | DueKind::Reexamination
    );
    let name = match definition.deadline(&next.deadline) {
        Some(rule) if !periodic => rule.name.clone(),
        _ => LocalizedText::new("定期复查", "the periodic re-examination"),
    };
    let _ = writeln!(
        out,
        "  next deadline: {what} {} (due {}), at {}",
        name.get(language),
        next.due_on,
        local_time(next.at, definition)
    );
}

/// How many steps were accepted and rejected, and whether the log's chain verifies.
fn write_simulation_tallies(out: &mut String, report: &crate::scenario::SimulationReport) {
    use crate::scenario::StepOutcome;
    let rejected = report
        .outcomes
        .iter()
        .filter(|outcome| matches!(outcome, StepOutcome::Rejected { .. }))
        .count();
    let _ = writeln!(
        out,
        "  steps: {} accepted, {rejected} rejected",
        report.outcomes.len() - rejected
    );
    match crate::audit::verify(&report.records) {
        Ok(chain) => {
            let _ = writeln!(
                out,
                "  chain: {} records verified, head {}",
                chain.records,
                chain.head_hash.short()
            );
        }
        Err(failure) => {
            let _ = writeln!(out, "  chain: BROKEN at {failure}");
        }
    }
}
