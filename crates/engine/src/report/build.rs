//! Computing a report: each project's records replayed up to the period's end, with the sequence
//! of every record that a figure counts kept beside the state.
//!
//! The fold is [`ProjectState::apply_owned`], the same as every replay; this module only watches
//! the events go by to remember which record did what, since the state keeps no sequences.

use super::{
    CommitteeFigures, CompositionSection, DurationOutcome, ExtensionEntry, MeetingEntry,
    MilestoneEntry, MilestoneSection, MonthCount, OverdueEntry, ProjectEntry, ProjectRef,
    ReexaminationEntry, ReexaminationSection, Report, ReportError, ReportKind, ReportPeriod,
    StageDurationEntry, StageDurationSummary,
};
use crate::audit::AuditRecord;
use crate::definition::WorkflowDefinition;
use crate::event::{DeadlineOutcome, EventBody};
use crate::state::ProjectState;
use crate::text::LocalizedText;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The definition a project followed as of `end`: its id and version, from its `project_created`
/// and `definition_migrated` records before `end` (only those records are parsed).
///
/// The service asks this before [`ReportBuilder::add_project`], to load the definition the report
/// should name stages with: a project migrated after the period is reported as it stood.
pub fn definition_as_of(
    records: &[AuditRecord],
    end: DateTime<Utc>,
) -> Result<Option<(String, u32)>, ReportError> {
    let mut found = None;
    for record in records.iter().take_while(|record| record.recorded_at < end) {
        if record.event_type != "project_created" && record.event_type != "definition_migrated" {
            continue;
        }
        match read(record)? {
            EventBody::ProjectCreated { project, .. } => {
                found = Some((project.definition_id, project.definition_version));
            }
            EventBody::DefinitionMigrated { to_version, .. } => {
                if let Some((_, version)) = &mut found {
                    *version = to_version;
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

fn read(record: &AuditRecord) -> Result<EventBody, ReportError> {
    record
        .to_event()
        .map(|event| event.body)
        .map_err(|error| ReportError::UnreadableRecord {
            project_id: record.project_id,
            sequence: record.sequence,
            message: error.to_string(),
        })
}

/// A stretch of time one deadline was missed, as the records went by.
struct OverdueStretch {
    due_on: NaiveDate,
    fell_due_at: DateTime<Utc>,
    escalated: bool,
    frozen: bool,
    /// When it stopped (met, extended, dropped), and whether the project ended then.
    ended: Option<(DateTime<Utc>, bool)>,
    records: Vec<u64>,
}

/// The records of one deadline entry (same index as `ProjectState::deadlines`).
#[derive(Default)]
struct DeadlineTrace {
    records: Vec<u64>,
    stretches: Vec<OverdueStretch>,
}

impl DeadlineTrace {
    fn open_stretch(&mut self) -> Option<&mut OverdueStretch> {
        self.stretches
            .last_mut()
            .filter(|stretch| stretch.ended.is_none())
    }

    fn end_stretch(&mut self, at: DateTime<Utc>, sequence: u64, project_ended: bool) {
        if let Some(stretch) = self.open_stretch() {
            stretch.ended = Some((at, project_ended));
            stretch.records.push(sequence);
        }
    }
}

/// The records of one extension request (same index as `ProjectState::extension_requests`).
struct ExtensionTrace {
    deadline_index: Option<usize>,
    records: Vec<u64>,
}

/// Builds a report from one project at a time; [`ReportBuilder::finish`] sorts and totals.
#[derive(Debug)]
pub struct ReportBuilder {
    report: Report,
    committees: BTreeSet<String>,
    /// The deadlines in the order the definitions list them, for the summary and the chart.
    deadline_order: Vec<(String, LocalizedText)>,
    /// Per month (as `(year, month)`), the projects overdue at some time in it.
    overdue_months: BTreeMap<(i32, u32), BTreeMap<ProjectRef, ()>>,
}

impl ReportBuilder {
    /// A report of `kind` for `committee` (`None`: every committee) over `period`, with no project yet.
    pub fn new(kind: ReportKind, committee: Option<String>, period: ReportPeriod) -> ReportBuilder {
        let overdue_months = period
            .months()
            .into_iter()
            .map(|month| (month, BTreeMap::new()))
            .collect();
        ReportBuilder {
            report: Report {
                kind,
                committee,
                period,
                committees: Vec::new(),
                by_committee: Vec::new(),
                projects: Vec::new(),
                milestones: MilestoneSection::default(),
                stage_durations: Vec::new(),
                stage_duration_summary: Vec::new(),
                overdue: Vec::new(),
                overdue_by_month: Vec::new(),
                reexaminations: ReexaminationSection::default(),
                meetings: Vec::new(),
                composition: None,
            },
            committees: BTreeSet::new(),
            deadline_order: Vec::new(),
            overdue_months,
        }
    }

    /// The period being reported on.
    pub fn period(&self) -> ReportPeriod {
        self.report.period
    }

    /// Adds one project: its records in sequence order (those at or after the period's end are
    /// ignored) and the definition it followed as of the period's end ([`definition_as_of`]).
    /// A project created after the period's end adds nothing.
    pub fn add_project(
        &mut self,
        records: &[AuditRecord],
        definition: &WorkflowDefinition,
    ) -> Result<(), ReportError> {
        let period = self.report.period;
        let offset = definition.local_utc_offset;
        let local_day = |instant: DateTime<Utc>| local_day(instant, offset);
        let milestones = &definition.milestones;
        // The stage a re-examination runs in: where the definition's opening action leads.
        let reexamination_stage = definition.reexamination.as_ref().and_then(|rule| {
            definition
                .transition_from(&rule.stage, &rule.open_action)
                .map(|transition| transition.to.clone())
        });
        let open_action = definition
            .reexamination
            .as_ref()
            .map(|rule| rule.open_action.clone());
        for rule in &definition.deadlines {
            if !self.deadline_order.iter().any(|(id, _)| id == &rule.id) {
                self.deadline_order
                    .push((rule.id.clone(), rule.name.clone()));
            }
        }

        let mut state = ProjectState::new();
        let mut project: Option<(ProjectRef, LocalizedText)> = None;
        let mut stages_entered: HashSet<String> = HashSet::new();
        let mut deadlines: Vec<DeadlineTrace> = Vec::new();
        let mut extensions: Vec<ExtensionTrace> = Vec::new();
        let mut milestone_hits: Vec<(Milestone, MilestoneHit)> = Vec::new();
        let mut reexamination_hits: Vec<(ReexaminationKind, NaiveDate, Option<String>, u64)> =
            Vec::new();
        let mut meetings: Vec<(crate::command::MeetingRecord, u64)> = Vec::new();

        for record in records
            .iter()
            .take_while(|record| record.recorded_at < period.end)
        {
            let event = record
                .to_event()
                .map_err(|error| ReportError::UnreadableRecord {
                    project_id: record.project_id,
                    sequence: record.sequence,
                    message: error.to_string(),
                })?;
            let sequence = record.sequence;
            let at = event.occurred_at;
            let in_period = period.contains(at);
            let open_index = |state: &ProjectState, deadline: &str| {
                state
                    .deadlines
                    .iter()
                    .rposition(|entry| entry.deadline == deadline && entry.is_open())
            };
            let mut entered: Option<&str> = None;
            match &event.body {
                EventBody::ProjectCreated {
                    project: new,
                    stage,
                } => {
                    project = Some((
                        ProjectRef {
                            project_id: new.project_id,
                            code: new.code.clone(),
                            committee: new.committee.clone(),
                        },
                        new.title.clone(),
                    ));
                    entered = Some(stage);
                }
                EventBody::ActionFired {
                    action, from, to, ..
                } => {
                    entered = Some(to);
                    if in_period {
                        if open_action.as_deref() == Some(action.as_str()) {
                            reexamination_hits.push((
                                ReexaminationKind::Opened,
                                local_day(at),
                                None,
                                sequence,
                            ));
                        }
                        if reexamination_stage.as_deref() == Some(from.as_str()) {
                            reexamination_hits.push((
                                ReexaminationKind::Done,
                                local_day(at),
                                Some(action.clone()),
                                sequence,
                            ));
                        }
                    }
                }
                EventBody::ProjectCancelled { to, reason, .. } if in_period => {
                    milestone_hits.push((
                        Milestone::Cancelled,
                        MilestoneHit {
                            on: local_day(at),
                            stage: to.clone(),
                            reason: Some(reason.clone()),
                            sequence,
                        },
                    ));
                }
                EventBody::MeetingRecorded(meeting) if period.contains_day(meeting.held_on) => {
                    meetings.push((crate::command::MeetingRecord::clone(meeting), sequence));
                }
                EventBody::DeadlineSet { .. } => {
                    deadlines.push(DeadlineTrace {
                        records: vec![sequence],
                        stretches: Vec::new(),
                    });
                }
                EventBody::DeadlineClosed {
                    deadline, outcome, ..
                } => {
                    if let Some(trace) =
                        open_index(&state, deadline).and_then(|index| deadlines.get_mut(index))
                    {
                        trace.records.push(sequence);
                        trace.end_stretch(at, sequence, *outcome == DeadlineOutcome::ProjectEnded);
                    }
                }
                EventBody::DeadlineMissed {
                    deadline,
                    due_on,
                    fell_due_at,
                } => {
                    if let Some(trace) =
                        open_index(&state, deadline).and_then(|index| deadlines.get_mut(index))
                    {
                        trace.records.push(sequence);
                        trace.stretches.push(OverdueStretch {
                            due_on: *due_on,
                            fell_due_at: *fell_due_at,
                            escalated: false,
                            frozen: false,
                            ended: None,
                            records: vec![sequence],
                        });
                    }
                }
                EventBody::ProjectEscalated { deadline, .. } => {
                    if let Some(stretch) = open_index(&state, deadline)
                        .and_then(|index| deadlines.get_mut(index))
                        .and_then(DeadlineTrace::open_stretch)
                    {
                        stretch.escalated = true;
                        stretch.records.push(sequence);
                    }
                }
                EventBody::ProjectFrozen { deadline, .. } => {
                    if let Some(stretch) = open_index(&state, deadline)
                        .and_then(|index| deadlines.get_mut(index))
                        .and_then(DeadlineTrace::open_stretch)
                    {
                        stretch.frozen = true;
                        stretch.records.push(sequence);
                    }
                }
                EventBody::ExtensionRequested { deadline, .. } => {
                    extensions.push(ExtensionTrace {
                        deadline_index: open_index(&state, deadline),
                        records: vec![sequence],
                    });
                }
                EventBody::ExtensionGranted {
                    request_id,
                    deadline,
                    ..
                } => {
                    if let Some(trace) = request_index(&state, request_id)
                        .and_then(|index| extensions.get_mut(index))
                    {
                        trace.records.push(sequence);
                    }
                    if let Some(trace) =
                        open_index(&state, deadline).and_then(|index| deadlines.get_mut(index))
                    {
                        trace.records.push(sequence);
                        // A new due date ends the stretch: the project is on time again.
                        trace.end_stretch(at, sequence, false);
                    }
                }
                EventBody::ExtensionRefused { request_id, .. } => {
                    if let Some(trace) = request_index(&state, request_id)
                        .and_then(|index| extensions.get_mut(index))
                    {
                        trace.records.push(sequence);
                    }
                }
                EventBody::ReexaminationFellDue { fell_due_at, .. }
                    if period.contains(*fell_due_at) =>
                {
                    reexamination_hits.push((
                        ReexaminationKind::Due,
                        local_day(*fell_due_at),
                        None,
                        sequence,
                    ));
                }
                _ => {}
            }
            if let Some(stage) = entered {
                let first_entry = stages_entered.insert(stage.to_string());
                if in_period {
                    for (milestone, milestone_stage) in [
                        (Milestone::Proposed, &milestones.proposed),
                        (Milestone::Approved, &milestones.approved),
                        (Milestone::Published, &milestones.published),
                    ] {
                        // Published counts the first entry only: a confirmation re-enters it.
                        let counts = milestone != Milestone::Published || first_entry;
                        if counts && milestone_stage.as_deref() == Some(stage) {
                            milestone_hits.push((
                                milestone,
                                MilestoneHit {
                                    on: local_day(at),
                                    stage: stage.to_string(),
                                    reason: None,
                                    sequence,
                                },
                            ));
                        }
                    }
                }
            }
            state.apply_owned(event);
        }

        let Some((project, title)) = project else {
            return Ok(());
        };
        self.committees.insert(project.committee.clone());
        let last_sequence = records
            .iter()
            .take_while(|record| record.recorded_at < period.end)
            .last()
            .map(|record| record.sequence);
        self.report.projects.push(ProjectEntry {
            project: project.clone(),
            title: title.clone(),
            stage: state.stage().to_string(),
            stage_name: definition.stage_name(state.stage()),
            records: last_sequence.into_iter().collect(),
        });

        for (milestone, hit) in milestone_hits {
            let entry = MilestoneEntry {
                project: project.clone(),
                title: title.clone(),
                on: hit.on,
                stage_name: definition.stage_name(&hit.stage),
                stage: hit.stage,
                reason: hit.reason,
                records: vec![hit.sequence],
            };
            let section = &mut self.report.milestones;
            match milestone {
                Milestone::Proposed => section.proposed.push(entry),
                Milestone::Approved => section.approved.push(entry),
                Milestone::Published => section.published.push(entry),
                Milestone::Cancelled => section.cancelled.push(entry),
            }
        }

        for (kind, on, outcome, sequence) in reexamination_hits {
            let entry = ReexaminationEntry {
                project: project.clone(),
                title: title.clone(),
                on,
                outcome_name: outcome
                    .as_deref()
                    .map(|action| definition.action_name(action)),
                outcome,
                records: vec![sequence],
            };
            let section = &mut self.report.reexaminations;
            match kind {
                ReexaminationKind::Due => section.due.push(entry),
                ReexaminationKind::Opened => section.opened.push(entry),
                ReexaminationKind::Done => section.done.push(entry),
            }
        }

        for (meeting, sequence) in meetings {
            let tally = meeting.tally();
            self.report.meetings.push(MeetingEntry {
                project: project.clone(),
                motion_name: definition.motion_name(&meeting.motion),
                meeting_id: meeting.meeting_id,
                motion: meeting.motion,
                form: meeting.form,
                held_on: meeting.held_on,
                roll: tally.roll,
                present: tally.present,
                non_voting_present: meeting.non_voting_present.len() as u64,
                in_favour: tally.in_favour,
                against: tally.against,
                abstain: tally.abstain,
                records: vec![sequence],
            });
        }

        // The day after the period, from which a deadline still running is measured.
        let end_day = period.last_day.succ_opt().unwrap_or(period.last_day);
        for (index, (entry, trace)) in state.deadlines.iter().zip(&deadlines).enumerate() {
            let rule = definition.deadline(&entry.deadline);
            let deadline_name = rule.map_or_else(
                || LocalizedText::new(&entry.deadline, &entry.deadline),
                |rule| rule.name.clone(),
            );
            let stage = rule.map_or_else(String::new, |rule| rule.starts_when_entering.clone());
            let ran_in_period = entry.started_on <= period.last_day
                && entry.closed.is_none_or(|(_, at)| at >= period.start);
            if ran_in_period {
                let ended_on = entry.closed.map(|(_, at)| local_day(at));
                let outcome = match entry.closed {
                    Some((DeadlineOutcome::Met, _))
                        if entry.days_late.is_some_and(|days| days > 0) =>
                    {
                        DurationOutcome::MetLate
                    }
                    Some((DeadlineOutcome::Met, _)) => DurationOutcome::MetOnTime,
                    Some((DeadlineOutcome::ProjectEnded, _)) => DurationOutcome::ProjectEnded,
                    None if entry.missed => DurationOutcome::RunningOverdue,
                    None => DurationOutcome::Running,
                };
                self.report.stage_durations.push(StageDurationEntry {
                    project: project.clone(),
                    deadline: entry.deadline.clone(),
                    deadline_name: deadline_name.clone(),
                    stage_name: definition.stage_name(&stage),
                    stage,
                    started_on: entry.started_on,
                    planned_due_on: entry.original_due_on,
                    final_due_on: entry.times.map(|times| times.due_on),
                    ended_on,
                    actual_days: (ended_on.unwrap_or(end_day) - entry.started_on).num_days(),
                    planned_days: entry
                        .original_due_on
                        .map(|due_on| (due_on - entry.started_on).num_days()),
                    extensions_granted: entry.extensions_granted,
                    outcome,
                    records: trace.records.clone(),
                });
            }

            for stretch in &trace.stretches {
                let overlaps = stretch.fell_due_at < period.end
                    && stretch.ended.is_none_or(|(at, _)| at >= period.start);
                if !overlaps {
                    continue;
                }
                let until = stretch.ended.map(|(at, _)| local_day(at));
                let last_overdue_day = until.unwrap_or(period.last_day);
                let first_overdue_day = stretch.due_on.succ_opt().unwrap_or(stretch.due_on);
                for month in self.overdue_months.iter_mut() {
                    let ((year, number), projects) = month;
                    if month_overlaps(*year, *number, first_overdue_day, last_overdue_day, &period)
                    {
                        projects.insert(project.clone(), ());
                    }
                }
                let extension_entries = state
                    .extension_requests
                    .iter()
                    .zip(&extensions)
                    .filter(|(_, trace)| trace.deadline_index == Some(index))
                    .map(|(request, trace)| ExtensionEntry {
                        requested_on: local_day(request.requested_at),
                        requested_due_on: request.requested_due_on,
                        reason: request.reason.clone(),
                        granted: request.decision.as_ref().map(|decision| decision.granted),
                        decision_reason: request
                            .decision
                            .as_ref()
                            .map(|decision| decision.reason.clone()),
                        records: trace.records.clone(),
                    })
                    .collect();
                self.report.overdue.push(OverdueEntry {
                    project: project.clone(),
                    deadline: entry.deadline.clone(),
                    deadline_name: deadline_name.clone(),
                    due_on: stretch.due_on,
                    until,
                    days_overdue: (last_overdue_day - stretch.due_on).num_days().max(0),
                    escalated: stretch.escalated,
                    frozen: stretch.frozen,
                    extensions: extension_entries,
                    ended_reason: match stretch.ended {
                        Some((_, true)) => state.cancellation_reason.clone(),
                        _ => None,
                    },
                    records: stretch.records.clone(),
                });
            }
        }
        Ok(())
    }

    /// The report, sorted (by day, then project code) and totalled, with the composition when the
    /// committee's record supplies one.
    pub fn finish(mut self, composition: Option<CompositionSection>) -> Report {
        let mut report = self.report;
        report.committees = self.committees.into_iter().collect();
        report
            .projects
            .sort_by(|a, b| a.project.code.cmp(&b.project.code));
        let by_day = |a: &MilestoneEntry, b: &MilestoneEntry| {
            (a.on, &a.project.code, &a.records).cmp(&(b.on, &b.project.code, &b.records))
        };
        let milestones = &mut report.milestones;
        for list in [
            &mut milestones.proposed,
            &mut milestones.approved,
            &mut milestones.published,
            &mut milestones.cancelled,
        ] {
            list.sort_by(by_day);
        }
        let by_day = |a: &ReexaminationEntry, b: &ReexaminationEntry| {
            (a.on, &a.project.code, &a.records).cmp(&(b.on, &b.project.code, &b.records))
        };
        let reexaminations = &mut report.reexaminations;
        for list in [
            &mut reexaminations.due,
            &mut reexaminations.opened,
            &mut reexaminations.done,
        ] {
            list.sort_by(by_day);
        }
        report.meetings.sort_by(|a, b| {
            (a.held_on, &a.project.code, &a.records).cmp(&(b.held_on, &b.project.code, &b.records))
        });
        let position = |deadline: &str| {
            self.deadline_order
                .iter()
                .position(|(id, _)| id == deadline)
                .unwrap_or(usize::MAX)
        };
        report.stage_durations.sort_by(|a, b| {
            (
                position(&a.deadline),
                a.started_on,
                &a.project.code,
                &a.records,
            )
                .cmp(&(
                    position(&b.deadline),
                    b.started_on,
                    &b.project.code,
                    &b.records,
                ))
        });
        report.overdue.sort_by(|a, b| {
            (a.due_on, &a.project.code, &a.records).cmp(&(b.due_on, &b.project.code, &b.records))
        });
        report.stage_duration_summary = self
            .deadline_order
            .iter()
            .filter_map(|(deadline, name)| {
                summarise(deadline, name, &report.stage_durations, &report.period)
            })
            .collect();
        report.overdue_by_month = std::mem::take(&mut self.overdue_months)
            .into_iter()
            .map(|((year, month), projects)| MonthCount {
                month: format!("{year:04}-{month:02}"),
                count: projects.len() as u64,
                projects: projects.into_keys().collect(),
            })
            .collect();
        report.by_committee = report
            .committees
            .iter()
            .map(|committee| figures_of(committee, &report))
            .collect();
        report.composition = composition;
        report
    }
}

/// One committee's headline figures, counted from the report's own entries.
fn figures_of(committee: &str, report: &Report) -> CommitteeFigures {
    let of = |project: &ProjectRef| project.committee == committee;
    let count = |entries: &[MilestoneEntry]| {
        entries.iter().filter(|entry| of(&entry.project)).count() as u64
    };
    let overdue: BTreeSet<&uuid::Uuid> = report
        .overdue
        .iter()
        .filter(|entry| of(&entry.project))
        .map(|entry| &entry.project.project_id)
        .collect();
    CommitteeFigures {
        committee: committee.to_string(),
        projects: report
            .projects
            .iter()
            .filter(|entry| of(&entry.project))
            .count() as u64,
        proposed: count(&report.milestones.proposed),
        approved: count(&report.milestones.approved),
        published: count(&report.milestones.published),
        cancelled: count(&report.milestones.cancelled),
        overdue_projects: overdue.len() as u64,
        meetings: report
            .meetings
            .iter()
            .filter(|meeting| of(&meeting.project))
            .count() as u64,
    }
}

/// The summary of one deadline's stays that ended in the period; `None` when none did.
fn summarise(
    deadline: &str,
    name: &LocalizedText,
    durations: &[StageDurationEntry],
    period: &ReportPeriod,
) -> Option<StageDurationSummary> {
    let ended: Vec<&StageDurationEntry> = durations
        .iter()
        .filter(|entry| {
            entry.deadline == deadline
                && entry
                    .ended_on
                    .is_some_and(|ended_on| period.contains_day(ended_on))
        })
        .collect();
    if ended.is_empty() {
        return None;
    }
    let count = ended.len() as i64;
    let planned: Vec<i64> = ended
        .iter()
        .filter_map(|entry| entry.planned_days)
        .collect();
    Some(StageDurationSummary {
        deadline: deadline.to_string(),
        deadline_name: name.clone(),
        ended: ended.len() as u64,
        mean_actual_days: ended.iter().map(|entry| entry.actual_days).sum::<i64>() / count,
        mean_planned_days: (!planned.is_empty())
            .then(|| planned.iter().sum::<i64>() / planned.len() as i64),
        met_late: ended
            .iter()
            .filter(|entry| entry.outcome == DurationOutcome::MetLate)
            .count() as u64,
    })
}

/// Whether the days `first..=last` overlap the month, within the period.
fn month_overlaps(
    year: i32,
    month: u32,
    first: NaiveDate,
    last: NaiveDate,
    period: &ReportPeriod,
) -> bool {
    let first = first.max(period.first_day);
    let last = last.min(period.last_day);
    if last < first {
        return false;
    }
    let key = |day: NaiveDate| (day.year(), day.month());
    key(first) <= (year, month) && (year, month) <= key(last)
}

fn local_day(instant: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    instant.with_timezone(&offset).date_naive()
}

fn request_index(state: &ProjectState, request_id: &str) -> Option<usize> {
    // A decision applies to the first request with the id, as `ProjectState` applies it.
    state
        .extension_requests
        .iter()
        .position(|request| request.request_id == request_id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Milestone {
    Proposed,
    Approved,
    Published,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReexaminationKind {
    Due,
    Opened,
    Done,
}

struct MilestoneHit {
    on: NaiveDate,
    stage: String,
    reason: Option<String>,
    sequence: u64,
}
