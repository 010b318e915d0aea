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

/// The definition as a readable outline in `language`: stages, then transitions with roles and
/// guards in words. Codes stay as written, since they are what a definition file and the
/// command line use; every label and name is in the reader's language.
pub fn outline(definition: &WorkflowDefinition, language: Language) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} v{}: {}",
        definition.id,
        definition.version,
        definition.title.get(language)
    );
    let calendar = definition
        .calendar
        .clone()
        .unwrap_or_else(|| language.pick("无", "none").to_string());
    let _ = writeln!(
        out,
        "{}",
        language.pick(
            format!(
                "本地日：UTC{}；工作日日历：{calendar}",
                definition.local_utc_offset
            ),
            format!(
                "Local day: UTC{}; working-day calendar: {calendar}",
                definition.local_utc_offset
            ),
        )
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", language.pick("阶段", "Stages"));
    write_stages(&mut out, definition, language);
    write_project_flags(&mut out, definition, language);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", language.pick("流转", "Transitions"));
    for transition in &definition.transitions {
        write_transition(&mut out, transition, definition, language);
    }
    write_votes(&mut out, definition, language);
    out
}

/// The stages as a table: code, name, ISO code and whether the stage ends a project.
fn write_stages(out: &mut String, definition: &WorkflowDefinition, language: Language) {
    let rows: Vec<[String; 3]> = definition
        .stages
        .iter()
        .map(|stage| {
            let mut notes = Vec::new();
            if let Some(code) = &stage.iso_code {
                notes.push(format!("ISO {code}"));
            }
            if stage.terminal {
                notes.push(language.pick("终止", "terminal").to_string());
            }
            [
                stage.code.clone(),
                stage.name.get(language).to_string(),
                notes.join(language.pick("，", ", ")),
            ]
        })
        .collect();
    let headers = language.pick(["代码", "名称", "备注"], ["code", "name", "notes"]);
    write_table(out, &headers, &rows);
}

/// One transition: action, stages, name, roles, whether it needs a reason, and its guards.
fn write_transition(
    out: &mut String,
    transition: &crate::definition::Transition,
    definition: &WorkflowDefinition,
    language: Language,
) {
    let _ = writeln!(
        out,
        "  {}: {} -> {}    {}",
        transition.action,
        transition.from.join(", "),
        transition.to,
        transition.name.get(language)
    );
    let roles: Vec<String> = transition
        .roles
        .iter()
        .map(|role| format!("{role} ({})", definition.role_name(role).get(language)))
        .collect();
    let _ = writeln!(
        out,
        "      {}{}",
        language.pick("角色：", "roles: "),
        roles.join(", ")
    );
    if transition.requires_reason {
        let _ = writeln!(
            out,
            "      {}",
            language.pick("须说明理由", "needs a reason")
        );
    }
    for guard in &transition.guards {
        write_guard(out, guard, definition, language, 6);
    }
}

/// The flags a project may be given at creation, each with its source.
fn write_project_flags(out: &mut String, definition: &WorkflowDefinition, language: Language) {
    if definition.project_flags.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        language.pick("项目标记（创建时给出）", "Project flags, given at creation")
    );
    for flag in &definition.project_flags {
        let _ = writeln!(out, "  {}: {}", flag.code, flag.name.get(language));
        if let Some(source) = &flag.source {
            let _ = writeln!(out, "      {}{source}", language.pick("依据：", "source: "));
        }
    }
}

/// What drafting-unit members do in votes and how those who must abstain are counted.
fn write_votes(out: &mut String, definition: &WorkflowDefinition, language: Language) {
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
    let _ = writeln!(out, "{}", language.pick("表决", "Votes"));
    let sentence = language.pick(
        format!("  起草单位委员回避表决，{}", counted.0),
        format!("  drafting-unit members must abstain (回避), {}", counted.1),
    );
    let _ = writeln!(out, "{sentence}");
}

fn write_guard(
    out: &mut String,
    guard: &Guard,
    definition: &WorkflowDefinition,
    language: Language,
    indent: usize,
) {
    let text = describe(guard, definition);
    let waiver = if guard.waivable_by.is_empty() {
        String::new()
    } else {
        let roles: Vec<String> = guard
            .waivable_by
            .iter()
            .map(|role| definition.role_name(role).get(language).to_string())
            .collect();
        language.pick(
            format!("  [可由{}豁免]", roles.join("、")),
            format!("  [waivable by {}]", roles.join(", ")),
        )
    };
    let _ = writeln!(
        out,
        "{:indent$}- [{}] {}{waiver}",
        "",
        guard.id,
        text.get(language)
    );
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

/// Where an imported project's history came from, said after its creation, so that history pages
/// and exports tell imported history from recorded history.
fn imported_words(
    history: &crate::records::ImportedHistory,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let source = &history.source;
    let file: String = source.file_sha256.chars().take(12).collect();
    let (sheet, row) = (&source.sheet, source.row);
    let dates: Vec<String> = history
        .milestones
        .iter()
        .map(|milestone| {
            let stage = definition.stage_name(&milestone.stage);
            format!("{} {}", stage.get(language), milestone.reached_on)
        })
        .collect();
    language.pick(
        format!(
            "；自文件 {file} 工作表「{sheet}」第 {row} 行导入（{}）",
            dates.join("、")
        ),
        format!(
            "; imported from sheet \"{sheet}\" row {row} of file {file} ({})",
            dates.join(", ")
        ),
    )
}

/// One event in a line, for logs and simulations, in `language`: names of stages, actions,
/// deadlines and documents from the definition, sizes in human units, dates as local days.
// Longer than the house's 150 lines on purpose: one arm per event type in one match, so the
// compiler checks that every event has a summary in both languages; split by family, a new
// event could fall through a catch-all arm unnoticed. The deadline events, whose words share a
// shape, are written by `deadline_summary` from their own exhaustive match.
pub fn event_summary(
    body: &crate::event::EventBody,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    use crate::event::EventBody;
    let stage = |code: &str| definition.stage_name(code).get(language).to_string();
    let deadline = |id: &str| deadline_in_sentence(definition, id, language);
    let pick = |zh: String, en: String| language.pick(zh, en);
    match body {
        EventBody::ProjectCreated {
            project,
            stage: initial,
            imported,
        } => {
            let (code, title) = (&project.code, project.title.get(language));
            let kind = definition.specification_kind_name(&project.specification_kind);
            let kind = kind.get(language);
            let initial = stage(initial);
            let created = pick(
                format!("创建项目 {code}「{title}」（{kind}），阶段：{initial}"),
                format!("created {code} \"{title}\" ({kind}) in {initial}"),
            );
            match imported {
                Some(history) => {
                    format!("{created}{}", imported_words(history, definition, language))
                }
                None => created,
            }
        }
        EventBody::ActionFired {
            action,
            from,
            to,
            reason,
            waived_guards,
        } => {
            let name = transition_name(definition, from, action, language);
            let (from_name, to_name) = (stage(from), stage(to));
            let mut line = pick(
                format!("{name}：{from_name} → {to_name}"),
                format!("{name}: {from_name} -> {to_name}"),
            );
            if let Some(reason) = reason {
                line.push_str(&pick(
                    format!("；理由：{reason}"),
                    format!("; reason: {reason}"),
                ));
            }
            if !waived_guards.is_empty() {
                let guards: Vec<String> = waived_guards
                    .iter()
                    .map(|guard| guard_name(definition, action, guard, language))
                    .collect();
                line.push_str(&pick(
                    format!("；豁免条件：{}", guards.join("、")),
                    format!("; waived: {}", guards.join(", ")),
                ));
            }
            line
        }
        EventBody::ProjectCancelled {
            from, to, reason, ..
        } => {
            let (from, to) = (stage(from), stage(to));
            pick(
                format!("撤销项目：{from} → {to}；理由：{reason}"),
                format!("cancelled: {from} -> {to}; reason: {reason}"),
            )
        }
        EventBody::ArtifactAttached(artifact) => {
            let kind = definition.artifact_kind_name(&artifact.kind);
            let (kind, file) = (kind.get(language), &artifact.file_name);
            let size = crate::text::human_size(artifact.size_bytes);
            let hash = artifact.sha256.get(..12).unwrap_or(&artifact.sha256);
            pick(
                format!("附上{kind} \"{file}\"（{size}，sha256 {hash}）"),
                format!("attached {kind} \"{file}\" ({size}, sha256 {hash})"),
            )
        }
        EventBody::OrganisationsConsultedRecorded { organisations } => {
            let count = organisations.len();
            pick(
                format!("新增征求意见单位 {count} 家"),
                format!("+{count} organisations consulted"),
            )
        }
        EventBody::CommentRecorded(comment) => {
            let (id, from) = (&comment.comment_id, &comment.organisation);
            pick(
                format!("收到{from}的意见 {id}"),
                format!("comment {id} from {from}"),
            )
        }
        EventBody::CommentDisposed {
            comment_id,
            disposition,
            reason,
        } => {
            let decision = disposition.name();
            let mut line = pick(
                format!("意见 {comment_id} 处理为：{}", decision.zh),
                format!("comment {comment_id}: {}", decision.en),
            );
            if let Some(reason) = reason {
                line.push_str(&pick(format!("（{reason}）"), format!(" ({reason})")));
            }
            line
        }
        EventBody::MeetingScheduled(schedule) => {
            let motion = definition.motion_name(&schedule.motion);
            let (id, on, sent) = (
                &schedule.meeting_id,
                schedule.meeting_on,
                schedule.documents_sent_on,
            );
            match schedule.form {
                crate::records::MeetingForm::Meeting => pick(
                    format!(
                        "{}会议 {id} 定于 {on} 召开（材料于 {sent} 送达）",
                        motion.zh
                    ),
                    format!(
                        "{} meeting {id} scheduled for {on} (documents sent {sent})",
                        motion.en
                    ),
                ),
                crate::records::MeetingForm::Letter => pick(
                    format!(
                        "{}函审 {id} 定于 {on} 截止（材料于 {sent} 送达）",
                        motion.zh
                    ),
                    format!(
                        "{} vote by letter {id} closing {on} (documents sent {sent})",
                        motion.en
                    ),
                ),
            }
        }
        EventBody::MeetingRecorded(record) => meeting_summary(record, definition, language),
        EventBody::SignedOff { subject } => {
            let subject = definition.sign_off_name(subject);
            pick(
                format!("签认：{}", subject.zh),
                format!("signed off: {}", subject.en),
            )
        }
        EventBody::FieldRecorded { field, .. } => {
            let field = definition.field_name(field);
            pick(
                format!("登记{}", field.zh),
                format!("recorded {}", field.en),
            )
        }
        EventBody::PublicationRecorded(publication) => {
            let (number, on, effective) = (
                &publication.specification_number,
                publication.publication_date,
                publication.effective_date,
            );
            pick(
                format!("发布 {number}，发布日期 {on}，实施日期 {effective}"),
                format!("published {number} on {on}, effective {effective}"),
            )
        }
        EventBody::WaiverRecorded(waiver) => {
            let action = definition.action_name(&waiver.action);
            let guard = guard_name(definition, &waiver.action, &waiver.guard, language);
            let (authority, reason) = (&waiver.authority, &waiver.reason);
            pick(
                format!(
                    "豁免「{}」的条件「{guard}」，依据：{authority}；理由：{reason}",
                    action.zh
                ),
                format!(
                    "waiver of \"{guard}\" for \"{}\" by {authority}: {reason}",
                    action.en
                ),
            )
        }
        EventBody::PlanFixed { due_dates } => {
            let dates: Vec<String> = due_dates
                .iter()
                .map(|(id, date)| {
                    language.pick(
                        format!("{}{date}", deadline(id)),
                        format!("{} {date}", deadline(id)),
                    )
                })
                .collect();
            pick(
                format!("确定计划：{}", dates.join("，")),
                format!("plan fixed: {}", dates.join(", ")),
            )
        }
        EventBody::DeadlineSet { .. }
        | EventBody::DeadlineClosed { .. }
        | EventBody::DeadlineWarningGiven { .. }
        | EventBody::DeadlineMissed { .. }
        | EventBody::ProjectEscalated { .. }
        | EventBody::ProjectFrozen { .. } => deadline_summary(body, definition, language),
        EventBody::FreezeLifted { reason } => pick(
            format!("解除冻结：{reason}"),
            format!("freeze lifted: {reason}"),
        ),
        EventBody::ExtensionRequested {
            request_id,
            deadline: id,
            requested_due_on,
            reason,
            ..
        } => {
            let name = deadline(id);
            pick(
                format!("申请延期 {request_id}：{name}延至 {requested_due_on}；理由：{reason}"),
                format!(
                    "extension {request_id} of {name} to {requested_due_on} requested: {reason}"
                ),
            )
        }
        EventBody::ExtensionGranted {
            request_id,
            deadline: id,
            times,
            ..
        } => {
            let (name, due) = (deadline(id), times.due_on);
            pick(
                format!("批准延期 {request_id}：{name}现于 {due} 到期"),
                format!("extension {request_id} granted: {name} now due {due}"),
            )
        }
        EventBody::ExtensionRefused {
            request_id, reason, ..
        } => pick(
            format!("不批准延期 {request_id}：{reason}"),
            format!("extension {request_id} refused: {reason}"),
        ),
        EventBody::ReexaminationScheduled {
            counted_from,
            times,
            ..
        } => {
            let due = times.due_on;
            pick(
                format!("复查于 {due} 到期（自 {counted_from} 起算）"),
                format!("re-examination due {due} (counted from {counted_from})"),
            )
        }
        EventBody::ReexaminationWarningGiven { due_on, .. } => pick(
            format!("预警：复查将于 {due_on} 到期"),
            format!("warning: re-examination due {due_on}"),
        ),
        EventBody::ReexaminationFellDue { due_on, .. } => pick(
            format!("复查到期（{due_on}）"),
            format!("re-examination fell due ({due_on})"),
        ),
        EventBody::DefinitionMigrated {
            from_version,
            to_version,
        } => pick(
            format!("工作流定义由第 {from_version} 版迁移至第 {to_version} 版"),
            format!("migrated from version {from_version} to {to_version}"),
        ),
    }
}

/// The deadline events in a line: a deadline set, closed, warned of, missed, escalated, frozen.
fn deadline_summary(
    body: &crate::event::EventBody,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    use crate::event::{DeadlineOutcome, EventBody};
    let deadline = |id: &str| deadline_in_sentence(definition, id, language);
    let pick = |zh: String, en: String| language.pick(zh, en);
    match body {
        EventBody::DeadlineSet {
            deadline: id,
            times,
            planned_due_on,
            problem,
            ..
        } => {
            let name = deadline(id);
            match (times, problem) {
                (Some(times), _) => {
                    let due = times.due_on;
                    let (planned_zh, planned_en) = planned_due_on.map_or_else(
                        || (String::new(), String::new()),
                        |date| (format!("（计划 {date}）"), format!(" (planned {date})")),
                    );
                    pick(
                        format!("{name}起算，于 {due} 到期{planned_zh}"),
                        format!("deadline {name} due {due}{planned_en}"),
                    )
                }
                (None, Some(problem)) => {
                    let zh = crate::calendar::CalendarError::from_recorded(problem)
                        .map_or_else(|| problem.clone(), |error| error.message().zh);
                    pick(
                        format!("{name}无法计算：{zh}"),
                        format!("deadline {name}: not computable: {problem}"),
                    )
                }
                (None, None) => pick(
                    format!("{name}无法计算"),
                    format!("deadline {name}: not computable"),
                ),
            }
        }
        EventBody::DeadlineClosed {
            deadline: id,
            outcome,
            days_late,
        } => {
            let name = deadline(id);
            match (outcome, days_late) {
                (DeadlineOutcome::Met, Some(days)) => pick(
                    format!("{name}逾期 {days} 天完成"),
                    format!("deadline {name} met, {} late", days_in_english(*days)),
                ),
                (DeadlineOutcome::Met, None) => pick(
                    format!("{name}按期完成"),
                    format!("deadline {name} met on time"),
                ),
                (DeadlineOutcome::ProjectEnded, _) => pick(
                    format!("{name}不再计算：项目已终止"),
                    format!("deadline {name} dropped: the project ended"),
                ),
            }
        }
        EventBody::DeadlineWarningGiven {
            deadline: id,
            due_on,
            ..
        } => {
            let name = deadline(id);
            pick(
                format!("预警：{name}将于 {due_on} 到期"),
                format!("warning: {name} due {due_on}"),
            )
        }
        EventBody::DeadlineMissed {
            deadline: id,
            due_on,
            ..
        } => {
            let name = deadline(id);
            pick(
                format!("逾期：{name}应于 {due_on} 完成"),
                format!("OVERDUE: {name} was due {due_on}"),
            )
        }
        EventBody::ProjectEscalated {
            deadline: id,
            due_on,
            ..
        } => {
            let name = deadline(id);
            pick(
                format!("逾期上报督办：{name}应于 {due_on} 完成"),
                format!("escalated to the bureau: {name} was due {due_on}"),
            )
        }
        EventBody::ProjectFrozen { deadline: id, .. } => {
            let name = deadline(id);
            pick(
                format!("项目冻结：{name}逾期未完成"),
                format!("FROZEN: {name} overdue"),
            )
        }
        // Every other event is summarised by `event_summary`, which sends only these here.
        other => event_summary(other, definition, language),
    }
}

/// A meeting's record in a line: the motion, when and how it met, and the tally.
fn meeting_summary(
    record: &crate::records::MeetingRecord,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let tally = record.tally();
    let motion = definition.motion_name(&record.motion);
    let (id, on) = (&record.meeting_id, record.held_on);
    let (roll, present) = (tally.roll, tally.present);
    let (for_, against, abstain) = (tally.in_favour, tally.against, tally.abstain);
    let non_voting = record.non_voting_present.len();
    match record.form {
        crate::records::MeetingForm::Meeting => language.pick(
            format!(
                "{}会议 {id} 于 {on} 召开（现场会议）：应到 {roll}，实到 {present}，赞成 {for_}，反对 {against}，弃权 {abstain}，到会不表决 {non_voting}",
                motion.zh
            ),
            format!(
                "{} meeting {id} held {on} (at a meeting): roll {roll}, present {present}, for {for_}, against {against}, abstain {abstain}, non-voting {non_voting}",
                motion.en
            ),
        ),
        crate::records::MeetingForm::Letter => language.pick(
            format!(
                "{}函审 {id} 于 {on} 截止（函审）：应投票 {roll}，回函 {present}，赞成 {for_}，反对 {against}，弃权 {abstain}，不表决 {non_voting}",
                motion.zh
            ),
            format!(
                "{} meeting {id} held {on} (by letter): roll {roll}, present {present}, for {for_}, against {against}, abstain {abstain}, non-voting {non_voting}",
                motion.en
            ),
        ),
    }
}

/// A deadline's name as a sentence quotes it: in 「」 in Chinese, as it is in English.
fn deadline_in_sentence(definition: &WorkflowDefinition, id: &str, language: Language) -> String {
    let name = deadline_name(definition, id, language);
    language.pick(format!("「{name}」"), name)
}

/// A deadline's name from the definition, or its id when the definition does not know it.
fn deadline_name(definition: &WorkflowDefinition, id: &str, language: Language) -> String {
    definition.deadline(id).map_or_else(
        || id.to_string(),
        |rule| rule.name.get(language).to_string(),
    )
}

/// The name of the transition an action fires from a stage (or of the action wherever it is
/// fired, when the stage no longer has it).
fn transition_name(
    definition: &WorkflowDefinition,
    from: &str,
    action: &str,
    language: Language,
) -> String {
    definition.transition_from(from, action).map_or_else(
        || definition.action_name(action).get(language).to_string(),
        |transition| transition.name.get(language).to_string(),
    )
}

/// A guard of an action in a few words (its short label), or its id when the definition does not
/// know it.
fn guard_name(
    definition: &WorkflowDefinition,
    action: &str,
    guard: &str,
    language: Language,
) -> String {
    definition
        .transitions
        .iter()
        .filter(|transition| transition.action == action)
        .flat_map(|transition| &transition.guards)
        .find(|candidate| candidate.id == guard)
        .map_or_else(
            || guard.to_string(),
            |found| {
                short_label(&found.rule, definition)
                    .get(language)
                    .to_string()
            },
        )
}

/// A number of days in English: `1 day`, `3 days`.
fn days_in_english(days: i64) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
}

/// A simulation as text: the log with rejections in place, the deadlines, and the final state.
pub fn simulation_report(
    report: &crate::scenario::SimulationReport,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let mut out = String::new();
    let (project, offset) = (report.project_id, definition.local_utc_offset);
    let _ = writeln!(
        out,
        "{}",
        language.pick(
            format!("项目 {project} 的审计日志（时间为 UTC{offset}）"),
            format!("Audit log of project {project} (times in UTC{offset})"),
        )
    );
    write_simulation_log(&mut out, report, definition, language);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", language.pick("期限", "Deadlines"));
    write_deadline_table(&mut out, &report.state, definition, language);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", language.pick("最终状态", "Final state"));
    write_final_state(&mut out, &report.state, definition, language);
    write_simulation_tallies(&mut out, report, language);
    out
}

/// Who acted, as the log shows it: the actor's id and the name of the role they acted in.
fn actor_cell(
    actor_id: &str,
    role: &str,
    definition: &WorkflowDefinition,
    language: Language,
) -> String {
    let role = definition.role_name(role);
    language.pick(
        format!("{actor_id}（{}）", role.zh),
        format!("{actor_id} ({})", role.en),
    )
}

/// `text` padded with spaces to `width` terminal columns, counting wide characters as two.
fn pad_to(text: &str, width: usize) -> String {
    let padding = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(padding))
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
    // The actor column is as wide as its widest cell, so the summaries line up in either language.
    let record_actors = report
        .records
        .iter()
        .map(|record| actor_cell(&record.actor_id, &record.actor_role, definition, language));
    let step_actors = report.outcomes.iter().filter_map(|outcome| match outcome {
        StepOutcome::Rejected { step, .. } => Some(actor_cell(
            &step.actor.id,
            &step.actor.role,
            definition,
            language,
        )),
        StepOutcome::Accepted { .. } => None,
    });
    let width = record_actors
        .chain(step_actors)
        .map(|cell| display_width(&cell))
        .max()
        .unwrap_or(0);
    let log = LogWriter {
        definition,
        language,
        actor_width: width,
    };
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
            log.record(out, record);
            printed += 1;
        }
        if let StepOutcome::Rejected { step, rejection } = outcome {
            log.rejected_step(out, step, rejection);
        }
    }
    for record in report.records.iter().skip(printed) {
        log.record(out, record);
    }
}

/// Writes the lines of a simulation's log in one language, its actor column `actor_width` wide.
struct LogWriter<'a> {
    definition: &'a WorkflowDefinition,
    language: Language,
    actor_width: usize,
}

impl LogWriter<'_> {
    /// One record of the log in a line: sequence, local time, actor, summary and short hash.
    fn record(&self, out: &mut String, record: &crate::audit::AuditRecord) {
        let (definition, language) = (self.definition, self.language);
        let summary = record
            .to_event()
            .map(|event| event_summary(&event.body, definition, language))
            .unwrap_or_else(|error| {
                language.pick(
                    format!("（无法读取的事件：{error}）"),
                    format!("(unreadable event: {error})"),
                )
            });
        let actor = actor_cell(&record.actor_id, &record.actor_role, definition, language);
        let _ = writeln!(
            out,
            "  {:>4}  {}  {}  {}  [{}]",
            record.sequence,
            local_time(record.recorded_at, definition),
            pad_to(&actor, self.actor_width),
            summary,
            record.hash.short()
        );
    }

    /// A rejected step: what was asked, by whom, from which scenario line, and every reason.
    fn rejected_step(
        &self,
        out: &mut String,
        step: &crate::scenario::Step,
        rejection: &crate::rejection::Rejection,
    ) {
        let (definition, language) = (self.definition, self.language);
        let what = command_name(&step.command, definition)
            .get(language)
            .to_string();
        let actor = actor_cell(&step.actor.id, &step.actor.role, definition, language);
        let line = step.line;
        let _ = writeln!(
            out,
            "     ✗  {}  {}  {}",
            local_time(step.at, definition),
            pad_to(&actor, self.actor_width),
            language.pick(
                format!("驳回：{what}（情景文件第 {line} 行）"),
                format!("REJECTED {what} (scenario line {line})"),
            )
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
}

/// What a command asks for, in words: the action's name for a fired action, the document,
/// motion, sign-off or field it concerns for the others.
fn command_name(
    command: &crate::command::Command,
    definition: &WorkflowDefinition,
) -> LocalizedText {
    use crate::command::Command;
    let both = |zh: &str, en: &str, name: LocalizedText| {
        LocalizedText::new(format!("{zh}{}", name.zh), format!("{en}{}", name.en))
    };
    let quoting = |zh: (&str, &str), en: (&str, &str), name: LocalizedText| {
        LocalizedText::new(
            format!("{}「{}」{}", zh.0, name.zh, zh.1),
            format!("{}\"{}\"{}", en.0, name.en, en.1),
        )
    };
    match command {
        Command::CreateProject(_) => LocalizedText::new("创建项目", "create the project"),
        Command::ImportProject(_) => LocalizedText::new("导入项目", "import the project"),
        Command::FireAction { action, .. } => definition.action_name(action),
        Command::Cancel { .. } => LocalizedText::new("撤销项目", "cancel the project"),
        Command::AttachArtifact(artifact) => both(
            "附上",
            "attach the ",
            definition.artifact_kind_name(&artifact.kind),
        ),
        Command::RecordOrganisationsConsulted { .. } => {
            LocalizedText::new("登记征求意见单位", "record organisations consulted")
        }
        Command::RecordComment(_) => LocalizedText::new("登记意见", "record a comment"),
        Command::DisposeComment { .. } => LocalizedText::new("处理意见", "dispose of a comment"),
        Command::ScheduleMeeting(schedule) => quoting(
            ("安排", "会议"),
            ("schedule the ", " meeting"),
            definition.motion_name(&schedule.motion),
        ),
        Command::RecordMeeting(record) => quoting(
            ("登记", "会议结果"),
            ("record the ", " meeting"),
            definition.motion_name(&record.motion),
        ),
        Command::SignOff { subject } => quoting(
            ("签认", ""),
            ("sign off ", ""),
            definition.sign_off_name(subject),
        ),
        Command::RecordField { field, .. } => both("登记", "record ", definition.field_name(field)),
        Command::RecordPublication(_) => LocalizedText::new("登记发布", "record the publication"),
        Command::RecordWaiver(_) => LocalizedText::new("登记豁免", "record a waiver"),
        Command::FixPlan { .. } => LocalizedText::new("确定计划", "fix the plan"),
        Command::RequestExtension { .. } => LocalizedText::new("申请延期", "request an extension"),
        Command::GrantExtension { .. } => LocalizedText::new("批准延期", "grant an extension"),
        Command::RefuseExtension { .. } => LocalizedText::new("不批准延期", "refuse an extension"),
        Command::LiftFreeze { .. } => LocalizedText::new("解除冻结", "lift the freeze"),
        Command::MigrateDefinition { .. } => {
            LocalizedText::new("迁移工作流定义版本", "move to a newer definition version")
        }
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
    let headers = language.pick(
        ["期限", "起算", "计划", "原定到期", "到期", "状态"],
        [
            "deadline", "started", "planned", "original", "due", "status",
        ],
    );
    write_table(out, &headers, &rows);
    if let Some(reexamination) = &state.reexamination {
        let (due, from) = (reexamination.times.due_on, reexamination.counted_from);
        let opened = if reexamination.settled {
            language.pick("，已启动", ", opened")
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {}{opened}",
            language.pick(
                format!("复查于 {due} 到期（自 {from} 起算）"),
                format!("re-examination due {due} (counted from {from})"),
            )
        );
    }
}

/// One deadline's row: name, start, planned, original and current due dates, and status.
fn deadline_row(
    entry: &crate::state::DeadlineEntry,
    definition: &WorkflowDefinition,
    language: Language,
) -> [String; 6] {
    use crate::event::DeadlineOutcome;
    let name = deadline_name(definition, &entry.deadline, language);
    let status = match (&entry.closed, entry.missed) {
        (Some((DeadlineOutcome::Met, _)), _) => match entry.days_late {
            Some(days) => language.pick(
                format!("逾期 {days} 天完成"),
                format!("met {} late", days_in_english(days)),
            ),
            None => language.pick("按期完成", "met").to_string(),
        },
        (Some((DeadlineOutcome::ProjectEnded, _)), _) => {
            language.pick("项目终止，不再计算", "dropped").to_string()
        }
        (None, true) => language.pick("逾期", "OVERDUE").to_string(),
        (None, false) => language.pick("进行中", "running").to_string(),
    };
    let extensions = match entry.extensions_granted {
        0 => String::new(),
        count => language.pick(
            format!("，延期 {count} 次"),
            format!(", {count} extension(s)"),
        ),
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
        format!("{status}{extensions}"),
    ]
}

/// Where the project ended up: what it is, its stage and path, what it holds, and what is next.
fn write_final_state(
    out: &mut String,
    state: &crate::state::ProjectState,
    definition: &WorkflowDefinition,
    language: Language,
) {
    let pick = |zh: String, en: String| language.pick(zh, en);
    if let Some(project) = &state.project {
        let (code, title) = (&project.code, project.title.get(language));
        let (id, version) = (&project.definition_id, project.definition_version);
        let _ = writeln!(
            out,
            "  {}",
            pick(
                format!("项目：{code}「{title}」"),
                format!("project: {code} \"{title}\"")
            )
        );
        let _ = writeln!(
            out,
            "  {}",
            pick(
                format!("工作流定义：{id} 第 {version} 版"),
                format!("definition: {id} v{version}")
            )
        );
    }
    if let Some(visit) = state.visits.last() {
        let stage = definition.stage_name(&visit.stage);
        let since = local_time(visit.entered_at, definition);
        let frozen = state.frozen.is_some();
        let _ = writeln!(
            out,
            "  {}",
            pick(
                format!(
                    "阶段：{}，自 {since} 起{}",
                    stage.zh,
                    if frozen { "（已冻结）" } else { "" }
                ),
                format!(
                    "stage: {} since {since}{}",
                    stage.en,
                    if frozen { " (FROZEN)" } else { "" }
                ),
            )
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
    let _ = writeln!(
        out,
        "  {}",
        pick(
            format!("路径：{}", path.join(" → ")),
            format!("path: {}", path.join(" -> "))
        )
    );
    write_holdings(out, state, language);
    write_next_deadline(out, state, definition, language);
}

/// What the project holds: artifacts, consultation, meetings, and the publication if any.
fn write_holdings(out: &mut String, state: &crate::state::ProjectState, language: Language) {
    let disposed = state
        .comments
        .iter()
        .filter(|entry| entry.disposition.is_some())
        .count();
    let (artifacts, consulted) = (state.artifacts.len(), state.organisations_consulted.len());
    let (comments, meetings) = (state.comments.len(), state.meetings.len());
    let _ = writeln!(
        out,
        "  {}",
        language.pick(
            format!("文件 {artifacts} 份；征求意见单位 {consulted} 家；意见 {comments} 条（已处理 {disposed} 条）；会议 {meetings} 次"),
            format!("artifacts: {artifacts}; organisations consulted: {consulted}; comments: {comments} ({disposed} disposed); meetings: {meetings}"),
        )
    );
    if let Some(publication) = &state.publication {
        let (number, on, effective) = (
            &publication.specification_number,
            publication.publication_date,
            publication.effective_date,
        );
        let _ = writeln!(
            out,
            "  {}",
            language.pick(
                format!("已发布：{number}，发布日期 {on}，实施日期 {effective}"),
                format!("published: {number} on {on}, effective {effective}"),
            )
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
        let _ = writeln!(
            out,
            "  {}",
            language.pick("下一期限：无", "next deadline: none")
        );
        return;
    };
    let periodic = matches!(
        next.kind,
        DueKind::ReexaminationWarning | DueKind::Reexamination
    );
    let name = match definition.deadline(&next.deadline) {
        Some(rule) if !periodic => rule.name.clone(),
        _ => LocalizedText::new("定期复查", "the periodic re-examination"),
    };
    let what = match next.kind {
        DueKind::Warning | DueKind::ReexaminationWarning => LocalizedText::new(
            format!("{}的预警", name.zh),
            format!("the warning before {}", name.en),
        ),
        DueKind::Due => LocalizedText::new(
            format!("{}到期", name.zh),
            format!("the end of {}", name.en),
        ),
        DueKind::Escalation => LocalizedText::new(
            format!("{}逾期上报", name.zh),
            format!("the escalation of {}", name.en),
        ),
        DueKind::Reexamination => LocalizedText::new(
            format!("{}开始", name.zh),
            format!("the start of {}", name.en),
        ),
    };
    let (due, at) = (next.due_on, local_time(next.at, definition));
    let _ = writeln!(
        out,
        "  {}",
        language.pick(
            format!("下一期限：{}（{due} 到期），于 {at}", what.zh),
            format!("next deadline: {} (due {due}), at {at}", what.en),
        )
    );
}

/// How many steps were accepted and rejected, and whether the log's chain verifies.
fn write_simulation_tallies(
    out: &mut String,
    report: &crate::scenario::SimulationReport,
    language: Language,
) {
    use crate::scenario::StepOutcome;
    let rejected = report
        .outcomes
        .iter()
        .filter(|outcome| matches!(outcome, StepOutcome::Rejected { .. }))
        .count();
    let accepted = report.outcomes.len() - rejected;
    let _ = writeln!(
        out,
        "  {}",
        language.pick(
            format!("步骤：接受 {accepted}，驳回 {rejected}"),
            format!("steps: {accepted} accepted, {rejected} rejected"),
        )
    );
    let chain = match crate::audit::verify(&report.records) {
        Ok(chain) => {
            let (records, head) = (chain.records, chain.head_hash.short());
            language.pick(
                format!("哈希链：{records} 条记录校验通过，末条哈希 {head}"),
                format!("chain: {records} records verified, head {head}"),
            )
        }
        Err(failure) => {
            let message = failure.message();
            language.pick(
                format!("哈希链：断裂，{}", message.zh),
                format!("chain: BROKEN at {}", message.en),
            )
        }
    };
    let _ = writeln!(out, "  {chain}");
}
