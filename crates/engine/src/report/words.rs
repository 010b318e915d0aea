//! The words of a report, in Chinese and English, shared by the Markdown and HTML renderers.
//!
//! These are the report's own headings and labels, not workflow rules: stage, deadline, motion and
//! action names come from the definition and travel in the report itself.

use super::{CompositionChangeKind, DurationOutcome, Report, ReportKind};
use crate::definition::MeetingForm;
use crate::text::Language;

/// The report's title.
pub(super) fn title(report: &Report, language: Language) -> String {
    let year = report.period.first_day.format("%Y");
    let code = report.committee.as_deref().unwrap_or_default();
    let committee = match &report.committee_name {
        Some(name) if !name.get(language).is_empty() && !code.contains(name.get(language)) => {
            format!("{code} {}", name.get(language))
        }
        _ => code.to_string(),
    };
    match report.kind {
        ReportKind::Annual => language.pick(
            format!("{committee} {year} 年度工作报告"),
            format!("{committee} annual work report {year}"),
        ),
        ReportKind::Term => language.pick(
            format!("{committee} 届末工作报告"),
            format!("{committee} end-of-term report"),
        ),
        ReportKind::Bureau => language.pick(
            format!("{year} 年度计量技术委员会工作汇总报告"),
            format!("All technical committees: report for {year}"),
        ),
    }
}

/// The period in words.
pub(super) fn period(report: &Report, language: Language) -> String {
    let first = report.period.first_day;
    let last = report.period.last_day;
    language.pick(
        format!("报告期：{first} 至 {last}（含）"),
        format!("Period: {first} to {last} inclusive"),
    )
}

/// How the report was computed, and how to trace a figure; when any row comes from an imported
/// history, how that row was counted.
pub(super) fn provenance(report: &Report, language: Language) -> String {
    let mut provenance = replay_provenance(report, language);
    if report.has_imported_rows() {
        provenance.push_str(language.pick(
            "标注“导入”的行来自导入的项目历史（项目的 project_created 审计记录，#序号）：按导入文件所载的日期计入报告期，即使该记录是在报告期之后导入时写入的；这些日期来自导入文件，而非当时在本系统中记录。",
            " Rows marked \"imported\" come from an imported project history (the project's project_created audit record, #sequence): they count by the dates the imported file gives, even when that record was written at an import after the period; those dates were read from the file, not recorded here as they happened.",
        ));
    }
    provenance
}

/// The mark of a row an imported history dates, after its records.
pub(super) fn imported_mark(language: Language) -> &'static str {
    language.pick("（导入）", "(imported)")
}

fn replay_provenance(report: &Report, language: Language) -> String {
    // The period's end as people read it: the end of its last local day, not the instant.
    let last = report.period.last_day;
    language.pick(
        format!(
            "本报告由审计记录重放至报告期末（{last} 当日结束前的记录）计算得出，之后追加的记录不影响本报告。每项数字均列出所计项目及审计记录序号（#序号），可在该项目的审计记录中逐条查验。"
        ),
        format!(
            "Computed by replaying the audit records up to the period's end (records before the end of {last}); records appended later do not change it. Every figure lists the projects and audit record sequences (#sequence) it counts, to check one by one in the project's audit log."
        ),
    )
}

/// A duration outcome in words.
pub(super) fn outcome(outcome: DurationOutcome, language: Language) -> &'static str {
    match outcome {
        DurationOutcome::MetOnTime => language.pick("按期完成", "met on time"),
        DurationOutcome::MetLate => language.pick("逾期完成", "met late"),
        DurationOutcome::Running => language.pick("进行中", "running"),
        DurationOutcome::RunningOverdue => language.pick("进行中（已逾期）", "running, overdue"),
        DurationOutcome::ProjectEnded => language.pick("项目已终止", "project ended"),
        DurationOutcome::MetImported => language.pick(
            "已完成（导入，无到期日记录）",
            "met (imported; no due date on record)",
        ),
    }
}

/// A meeting form in words.
pub(super) fn form(form: MeetingForm, language: Language) -> &'static str {
    match form {
        MeetingForm::Meeting => language.pick("会议", "meeting"),
        MeetingForm::Letter => language.pick("函审", "by letter"),
    }
}

/// A composition change in words.
pub(super) fn change(kind: CompositionChangeKind, language: Language) -> &'static str {
    match kind {
        CompositionChangeKind::Appointed => language.pick("聘任", "appointed"),
        CompositionChangeKind::Reappointed => language.pick("续聘", "reappointed"),
        CompositionChangeKind::RoleChanged => language.pick("职务变更", "role changed"),
        CompositionChangeKind::Resigned => language.pick("辞任", "resigned"),
        CompositionChangeKind::TermEnded => language.pick("任期届满", "term ended"),
    }
}

/// Yes or no.
pub(super) fn yes_no(value: bool, language: Language) -> &'static str {
    if value {
        language.pick("是", "yes")
    } else {
        language.pick("否", "no")
    }
}

/// The "why" of an overdue stretch: its extensions and the reason the project ended, if it did.
pub(super) fn overdue_reasons(entry: &super::OverdueEntry, language: Language) -> Vec<String> {
    let mut reasons: Vec<String> = entry
        .extensions
        .iter()
        .map(|extension| {
            let decision = match extension.granted {
                Some(true) => language.pick("已批准", "granted"),
                Some(false) => language.pick("未批准", "refused"),
                None => language.pick("待决定", "pending"),
            };
            let grounds = extension
                .decision_reason
                .as_deref()
                .map(|reason| language.pick(format!("：{reason}"), format!(": {reason}")))
                .unwrap_or_default();
            language.pick(
                format!(
                    "{} 申请延期至 {}，理由：{}（{decision}{grounds}）",
                    extension.requested_on, extension.requested_due_on, extension.reason
                ),
                format!(
                    "{} extension to {} asked: {} ({decision}{grounds})",
                    extension.requested_on, extension.requested_due_on, extension.reason
                ),
            )
        })
        .collect();
    if let Some(reason) = &entry.ended_reason {
        reasons.push(language.pick(
            format!("项目撤销：{reason}"),
            format!("project cancelled: {reason}"),
        ));
    }
    if reasons.is_empty() {
        reasons.push(
            language
                .pick("未申请延期", "no extension asked")
                .to_string(),
        );
    }
    reasons
}
