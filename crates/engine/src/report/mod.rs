//! Committee reports: the annual work report (年度工作报告), the end-of-term report (届末工作报告)
//! and the bureau-wide report, computed from audit records by replay as of the period's end.
//!
//! A report is a value built from the records of the projects it covers, fed one project at a
//! time to a [`ReportBuilder`] so that the service never holds more than one project's log.
//! Records at or after the period's end are ignored, so a report for a past year computed from
//! today's database equals the one computed at the end of that year, with one exception: an
//! imported project's history counts by the dates it gives, so an import written later adds the
//! milestones it dates within the period, each marked imported (docs/import.md).
//! Every figure carries the projects and the audit record sequences it counts ([`ProjectRef`],
//! `records`), so a reader can open `/api/v1/projects/{id}/history` and check it.
//!
//! What each milestone means comes from the definition: its `[milestones]` (the stage whose entry
//! marks a project proposed, approved or published), the transitions marked `cancels`, and the
//! `[reexamination]` rule; nothing here names a stage or an action.
//!
//! The committee's composition is not in the projects' logs: the service passes it in as a
//! [`CompositionSection`] when it has one, and the report says "not on record" when it has not.
//! The renderers (`markdown.rs`, `html.rs`) are pure functions of the report and a language;
//! `tables.rs` gives the same tables as typed cells, for spreadsheets. Every table has a stable
//! id ([`TABLE_IDS`]), so a page can link each table to a download of that table alone.

mod build;
mod document;
mod html;

/// Text made safe for HTML content and attribute values (the reports' own, reused by the
/// e-mail notifications' HTML part).
pub use html::escape as escape_html;
mod markdown;
mod tables;
mod words;

pub use build::{ReportBuilder, definition_as_of};
pub use document::TABLE_IDS;
pub use html::{TableLinks, to_html, to_html_fragment};
pub use markdown::to_markdown;
pub use tables::{ReportTable, TableCell, tables};

/// The report as pretty-printed JSON: every field, both languages of every name.
pub fn to_json(report: &Report) -> String {
    // Serialising the report's own types cannot fail: no map has a non-string key.
    serde_json::to_string_pretty(report).unwrap_or_default()
}

use crate::definition::MeetingForm;
use crate::text::LocalizedText;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a report cannot be computed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The period ends before it starts.
    #[error("the period ends on {last_day}, before it starts on {first_day}")]
    PeriodReversed {
        /// The first day asked for.
        first_day: NaiveDate,
        /// The last day asked for.
        last_day: NaiveDate,
    },
    /// The period's days cannot be turned into instants (a date at the edge of the calendar).
    #[error("the period {first_day} to {last_day} is outside the dates specflow can count")]
    PeriodOutOfRange {
        /// The first day asked for.
        first_day: NaiveDate,
        /// The last day asked for.
        last_day: NaiveDate,
    },
    /// A record could not be read as an event.
    #[error("project {project_id}, record {sequence}: {message}")]
    UnreadableRecord {
        /// The project.
        project_id: Uuid,
        /// The record's sequence.
        sequence: u64,
        /// What went wrong.
        message: String,
    },
}

/// Which report it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A committee's annual work report (年度工作报告).
    Annual,
    /// A committee's end-of-term report (届末工作报告), over the term's days.
    Term,
    /// The bureau's report across every committee for a year.
    Bureau,
}

/// The days a report covers, `first_day` to `last_day` inclusive, in the definition's local days,
/// and the instants they span: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPeriod {
    /// The first local day.
    pub first_day: NaiveDate,
    /// The last local day (inclusive).
    pub last_day: NaiveDate,
    /// The instant the first day starts.
    pub start: DateTime<Utc>,
    /// The instant after the last day ends: records at or after it are ignored.
    pub end: DateTime<Utc>,
}

impl ReportPeriod {
    /// The days `first_day` to `last_day` inclusive, as local days at `local_utc_offset`.
    pub fn new(
        first_day: NaiveDate,
        last_day: NaiveDate,
        local_utc_offset: FixedOffset,
    ) -> Result<ReportPeriod, ReportError> {
        if last_day < first_day {
            return Err(ReportError::PeriodReversed {
                first_day,
                last_day,
            });
        }
        let out_of_range = ReportError::PeriodOutOfRange {
            first_day,
            last_day,
        };
        let day_after = last_day.succ_opt().ok_or(out_of_range.clone())?;
        Ok(ReportPeriod {
            first_day,
            last_day,
            start: crate::deadline::start_of_local_day(first_day, local_utc_offset),
            end: crate::deadline::start_of_local_day(day_after, local_utc_offset),
        })
    }

    /// The calendar year `year`, 1 January to 31 December, as local days at `local_utc_offset`.
    pub fn year(year: i32, local_utc_offset: FixedOffset) -> Result<ReportPeriod, ReportError> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1);
        let last = NaiveDate::from_ymd_opt(year, 12, 31);
        match (first, last) {
            (Some(first), Some(last)) => ReportPeriod::new(first, last, local_utc_offset),
            _ => Err(ReportError::PeriodOutOfRange {
                first_day: NaiveDate::MIN,
                last_day: NaiveDate::MIN,
            }),
        }
    }

    /// Whether an instant falls within the period.
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }

    /// Whether a local day falls within the period.
    pub fn contains_day(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }

    /// The months the period touches, as `(year, month)`, in order.
    pub fn months(&self) -> Vec<(i32, u32)> {
        let mut months = Vec::new();
        let (mut year, mut month) = (self.first_day.year(), self.first_day.month());
        let last = (self.last_day.year(), self.last_day.month());
        while (year, month) <= last {
            months.push((year, month));
            if month == 12 {
                year += 1;
                month = 1;
            } else {
                month += 1;
            }
        }
        months
    }
}

/// A project a figure counts: its id (for `/api/v1/projects/{id}/history`), code and committee.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProjectRef {
    /// The project's id.
    pub project_id: Uuid,
    /// Its human code, such as `JJF(沪)-2026-007`.
    pub code: String,
    /// Its committee.
    pub committee: String,
}

/// The headline figures of one committee, for the bureau: each counts entries listed in the
/// report's sections, where their projects and records are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeFigures {
    /// The committee.
    pub committee: String,
    /// Projects existing before the period's end.
    pub projects: u64,
    /// Projects proposed in the period.
    pub proposed: u64,
    /// Projects approved in the period.
    pub approved: u64,
    /// Specifications published in the period.
    pub published: u64,
    /// Projects cancelled in the period.
    pub cancelled: u64,
    /// Projects overdue at some time in the period.
    pub overdue_projects: u64,
    /// Meetings held in the period.
    pub meetings: u64,
}

/// A project the report covers, with the stage it was in at the period's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectEntry {
    /// The project.
    pub project: ProjectRef,
    /// Its title.
    pub title: LocalizedText,
    /// Its stage at the period's end.
    pub stage: String,
    /// The stage's name.
    pub stage_name: LocalizedText,
    /// The last record before the period's end: the state the report replayed.
    pub records: Vec<u64>,
}

/// A project reaching a milestone (proposed, approved, published, cancelled) in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneEntry {
    /// The project.
    pub project: ProjectRef,
    /// Its title.
    pub title: LocalizedText,
    /// The local day it happened.
    pub on: NaiveDate,
    /// The stage entered.
    pub stage: String,
    /// The stage's name.
    pub stage_name: LocalizedText,
    /// The reason given, for a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether it comes from an imported history: dated by the imported file, and counted by
    /// that date though its record (`project_created`) may have been written after the period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// The sequence of the record that counts.
    pub records: Vec<u64>,
}

/// The projects that reached each milestone in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MilestoneSection {
    /// Entered the definition's `proposed` stage.
    pub proposed: Vec<MilestoneEntry>,
    /// Entered the definition's `approved` stage.
    pub approved: Vec<MilestoneEntry>,
    /// Entered the definition's `published` stage for the first time.
    pub published: Vec<MilestoneEntry>,
    /// Cancelled by a transition that `cancels`.
    pub cancelled: Vec<MilestoneEntry>,
}

/// How a deadline stood at the end of its stay, or at the period's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationOutcome {
    /// Met on or before its due date.
    MetOnTime,
    /// Met after its due date.
    MetLate,
    /// Still running at the period's end, not yet due.
    Running,
    /// Still running at the period's end, past its due date.
    RunningOverdue,
    /// The project ended (cancelled, withdrawn) before meeting it.
    ProjectEnded,
    /// Met, by the dates of an imported history: when it was due is not on record.
    MetImported,
}

/// One deadline that ran during the period: how long it took against how long it was allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDurationEntry {
    /// The project.
    pub project: ProjectRef,
    /// The deadline's id in the definition.
    pub deadline: String,
    /// The deadline's name.
    pub deadline_name: LocalizedText,
    /// The stage whose entry started it.
    pub stage: String,
    /// The stage's name.
    pub stage_name: LocalizedText,
    /// The local day it started.
    pub started_on: NaiveDate,
    /// The due date first set (the plan's, when the plan set one), before any extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_due_on: Option<NaiveDate>,
    /// The due date at the end, after extensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_due_on: Option<NaiveDate>,
    /// The local day it was met or dropped; `None` while it still ran at the period's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<NaiveDate>,
    /// Days from its start to its end (or to the period's end).
    pub actual_days: i64,
    /// Days the first due date allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_days: Option<i64>,
    /// Extensions granted.
    pub extensions_granted: u32,
    /// How it stood.
    pub outcome: DurationOutcome,
    /// Whether it is a stay an imported history tells of (from one imported milestone to the
    /// one that met it), rather than a deadline specflow ran.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// The records: the deadline set, extended, missed and closed (for an imported stay, the
    /// `project_created` record that holds the history).
    pub records: Vec<u64>,
}

/// The stays of one deadline, taken together: the chart's bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDurationSummary {
    /// The deadline's id.
    pub deadline: String,
    /// Its name.
    pub deadline_name: LocalizedText,
    /// How many stays ended (met or dropped) in the period.
    pub ended: u64,
    /// Their mean actual length in days, rounded down.
    pub mean_actual_days: i64,
    /// Their mean planned length in days, rounded down, over those with a planned date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_planned_days: Option<i64>,
    /// How many were met late.
    pub met_late: u64,
}

/// An extension asked for on an overdue deadline, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionEntry {
    /// The local day it was asked for.
    pub requested_on: NaiveDate,
    /// The due date asked for.
    pub requested_due_on: NaiveDate,
    /// Why, as the requester wrote it.
    pub reason: String,
    /// Whether it was granted; `None` while undecided at the period's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<bool>,
    /// The grounds of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    /// The records: the request and its decision.
    pub records: Vec<u64>,
}

/// A stretch of time a project was past a deadline, overlapping the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueEntry {
    /// The project.
    pub project: ProjectRef,
    /// The deadline's id.
    pub deadline: String,
    /// Its name.
    pub deadline_name: LocalizedText,
    /// The due date missed.
    pub due_on: NaiveDate,
    /// The local day it stopped being overdue (met, extended, project ended); `None` when it was
    /// still overdue at the period's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// Days overdue: from the due date to `until`, or to the period's last day.
    pub days_overdue: i64,
    /// Whether it was escalated to the bureau.
    pub escalated: bool,
    /// Whether the project was frozen for it.
    pub frozen: bool,
    /// Why: the extensions asked for on this deadline.
    pub extensions: Vec<ExtensionEntry>,
    /// The cancellation reason, when the project ended while overdue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_reason: Option<String>,
    /// The records: missed, escalated, frozen and what ended it.
    pub records: Vec<u64>,
}

/// How many projects were overdue at some time in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCount {
    /// The month, as `YYYY-MM`.
    pub month: String,
    /// How many distinct projects.
    pub count: u64,
    /// Those projects.
    pub projects: Vec<ProjectRef>,
}

/// A re-examination falling due, opened or settled in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReexaminationEntry {
    /// The project.
    pub project: ProjectRef,
    /// Its title.
    pub title: LocalizedText,
    /// The local day it happened.
    pub on: NaiveDate,
    /// For a settled one: the action that settled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The action's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_name: Option<LocalizedText>,
    /// The record that counts.
    pub records: Vec<u64>,
}

/// Re-examinations: due, opened and done in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReexaminationSection {
    /// Fell due.
    pub due: Vec<ReexaminationEntry>,
    /// Opened (the definition's `open_action`).
    pub opened: Vec<ReexaminationEntry>,
    /// Settled: an action leaving the re-examination stage, with its outcome.
    pub done: Vec<ReexaminationEntry>,
}

/// A meeting held (or vote by letter closed) in the period, with attendance and votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingEntry {
    /// The project it was about.
    pub project: ProjectRef,
    /// The meeting's id.
    pub meeting_id: String,
    /// The motion voted on.
    pub motion: String,
    /// The motion's name.
    pub motion_name: LocalizedText,
    /// Meeting or letter.
    pub form: MeetingForm,
    /// The local day held.
    pub held_on: NaiveDate,
    /// Voting members on the roll.
    pub roll: u64,
    /// Voting members present.
    pub present: u64,
    /// Non-voting participants present.
    pub non_voting_present: u64,
    /// Votes in favour.
    pub in_favour: u64,
    /// Votes against.
    pub against: u64,
    /// Abstentions.
    pub abstain: u64,
    /// The record.
    pub records: Vec<u64>,
}

/// A committee member as the committee's record has them at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositionMember {
    /// The person.
    pub person: String,
    /// Their organisation.
    pub organisation: String,
    /// Their role on the committee (chair, vice chair, secretary-general, member…).
    pub role: LocalizedText,
    /// Whether they are administrative staff.
    #[serde(default)]
    pub administrative: bool,
    /// The day their current term started.
    pub term_started_on: NaiveDate,
    /// The day it ends, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_ends_on: Option<NaiveDate>,
}

/// What changed in the composition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompositionChangeKind {
    /// Appointed.
    Appointed,
    /// Reappointed for a new term.
    Reappointed,
    /// Role changed.
    RoleChanged,
    /// Resigned.
    Resigned,
    /// The term ended.
    TermEnded,
}

/// One change of composition in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositionChange {
    /// The day it took effect.
    pub on: NaiveDate,
    /// What changed.
    pub kind: CompositionChangeKind,
    /// The person.
    pub person: String,
    /// Their organisation.
    pub organisation: String,
    /// Their role (the new one, for a role change).
    pub role: LocalizedText,
    /// The committee record's sequence, for traceability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
}

/// A waiver of a composition rule in force during the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositionWaiver {
    /// The rule waived, in words.
    pub rule: LocalizedText,
    /// The reason given, in words, as the log records it.
    pub reason: String,
    /// Who granted it (the bureau's decision and its number).
    pub authority: String,
    /// The day it was recorded.
    pub recorded_on: NaiveDate,
    /// The committee record's sequence, for traceability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
}

/// The committee's composition over the period, supplied by the committee's own record.
///
/// The report takes it as given: the committee module builds it by replaying the committee's log
/// as of the period's start and end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CompositionSection {
    /// The members on the period's first day.
    pub at_start: Vec<CompositionMember>,
    /// The members on the period's last day.
    pub at_end: Vec<CompositionMember>,
    /// The changes in between, in order.
    pub changes: Vec<CompositionChange>,
    /// The waivers of composition rules in force.
    pub waivers: Vec<CompositionWaiver>,
}

/// A report: everything a committee (or the bureau) reports on for a period, each figure with the
/// projects and records it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Which report.
    pub kind: ReportKind,
    /// The committee; `None` for the bureau-wide report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee: Option<String>,
    /// The committee's name from its own record, shown beside its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_name: Option<crate::text::LocalizedText>,
    /// The period.
    pub period: ReportPeriod,
    /// The committees whose projects it covers.
    pub committees: Vec<String>,
    /// The headline figures per committee.
    pub by_committee: Vec<CommitteeFigures>,
    /// Every project that existed before the period's end, with its stage then.
    pub projects: Vec<ProjectEntry>,
    /// Projects proposed, approved, published and cancelled in the period.
    pub milestones: MilestoneSection,
    /// Each deadline that ran in the period, against its plan.
    pub stage_durations: Vec<StageDurationEntry>,
    /// The same, taken together per deadline.
    pub stage_duration_summary: Vec<StageDurationSummary>,
    /// Stretches overdue in the period, with how long and why.
    pub overdue: Vec<OverdueEntry>,
    /// Projects overdue per month of the period.
    pub overdue_by_month: Vec<MonthCount>,
    /// Re-examinations due, opened and done.
    pub reexaminations: ReexaminationSection,
    /// Meetings held, with attendance.
    pub meetings: Vec<MeetingEntry>,
    /// The composition, when the committee's record supplies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition: Option<CompositionSection>,
}

impl Report {
    /// Whether any row comes from an imported history, which the report's provenance then
    /// explains.
    pub fn has_imported_rows(&self) -> bool {
        let milestones = &self.milestones;
        [
            &milestones.proposed,
            &milestones.approved,
            &milestones.published,
            &milestones.cancelled,
        ]
        .into_iter()
        .flatten()
        .any(|entry| entry.imported)
            || self.stage_durations.iter().any(|entry| entry.imported)
    }
}
