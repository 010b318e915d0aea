//! Computing a report: each project's records replayed up to the period's end, with the sequence
//! of every record that a figure counts kept beside the state.
//!
//! The fold is [`ProjectState::apply_owned`], the same as every replay; this module only watches
//! the events go by to remember which record did what, since the state keeps no sequences.
//!
//! An imported project's history counts by its own dates: each imported milestone is a stage
//! entered on the day the file gives, cited by its `project_created` record and marked imported,
//! and each imported stay that a later imported milestone ended is a stage duration. An import
//! written after the period still tells of the days within it: its record is replayed with the
//! history cut at the period's end, so the state is the project as the history had it then.

use super::{
    CommitteeFigures, CompositionSection, DurationOutcome, ExtensionEntry, MeetingEntry,
    MilestoneEntry, MilestoneSection, MonthCount, OverdueEntry, ProjectEntry, ProjectRef,
    ReexaminationEntry, ReexaminationSection, Report, ReportError, ReportKind, ReportPeriod,
    StageDurationEntry, StageDurationSummary,
};
use crate::audit::AuditRecord;
use crate::command::{ImportedHistory, MeetingRecord};
use crate::definition::{Milestones, WorkflowDefinition};
use crate::event::{DeadlineOutcome, Event, EventBody};
use crate::state::{DeadlineEntry, ProjectState};
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
    for (index, record) in records.iter().enumerate() {
        // An import written after `end` counts when its history starts before it.
        let before_end = record.recorded_at < end;
        if !before_end && index > 0 {
            break;
        }
        if record.event_type != "project_created" && record.event_type != "definition_migrated" {
            continue;
        }
        match read(record)? {
            EventBody::ProjectCreated {
                project, imported, ..
            } if before_end || history_starts_before(imported.as_deref(), end) => {
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

/// Whether an imported history's first milestone was reached before `end`.
fn history_starts_before(history: Option<&ImportedHistory>, end: DateTime<Utc>) -> bool {
    history
        .and_then(|history| history.milestones.first())
        .is_some_and(|first| first.entered_at < end)
}

/// The part of an imported history reached before `end`: its milestones then, and its
/// publication if it was published by then; `None` when it reached nothing by then.
fn history_before(history: &ImportedHistory, end: DateTime<Utc>) -> Option<ImportedHistory> {
    let milestones: Vec<_> = history
        .milestones
        .iter()
        .filter(|milestone| milestone.entered_at < end)
        .cloned()
        .collect();
    if milestones.is_empty() {
        return None;
    }
    // The publication goes with the history's last stage: kept only when that was reached.
    let whole = milestones.len() == history.milestones.len();
    Some(ImportedHistory {
        source: history.source.clone(),
        publication: history.publication.clone().filter(|_| whole),
        milestones,
    })
}

fn read(record: &AuditRecord) -> Result<EventBody, ReportError> {
    read_event(record).map(|event| event.body)
}

fn read_event(record: &AuditRecord) -> Result<Event, ReportError> {
    record
        .to_event()
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
                committee_name: None,
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
        for rule in &definition.deadlines {
            if !self.deadline_order.iter().any(|(id, _)| id == &rule.id) {
                self.deadline_order
                    .push((rule.id.clone(), rule.name.clone()));
            }
        }
        let watch = Watch::new(definition, self.report.period);
        let trace = ProjectTrace::replay(records, &watch)?;
        let Some((project, title)) = trace.project.clone() else {
            return Ok(());
        };
        self.committees.insert(project.committee.clone());
        self.report.projects.push(ProjectEntry {
            project: project.clone(),
            title: title.clone(),
            stage: trace.state.stage().to_string(),
            stage_name: definition.stage_name(trace.state.stage()),
            records: trace.last_sequence.into_iter().collect(),
        });
        let named = NamedProject {
            project: &project,
            title: &title,
            definition,
        };
        self.add_milestones(&named, trace.milestone_hits);
        self.add_reexaminations(&named, trace.reexamination_hits);
        self.add_meetings(&named, trace.meetings);
        for (index, (entry, deadline_trace)) in trace
            .state
            .deadlines
            .iter()
            .zip(&trace.deadlines)
            .enumerate()
        {
            let ran = DeadlineRun {
                index,
                entry,
                trace: deadline_trace,
                state: &trace.state,
                extensions: &trace.extensions,
            };
            self.add_deadline(&named, &watch, &ran);
        }
        if let Some((milestones, sequence)) = &trace.imported {
            self.add_imported_stays(&named, milestones, *sequence);
        }
        Ok(())
    }

    /// The stays an imported history tells of that ran in the period: each deadline's, from the
    /// milestone entering its stage to the one that met it (a stay still running at the import
    /// is the import's own deadline, which the records count from then on).
    fn add_imported_stays(
        &mut self,
        named: &NamedProject<'_>,
        milestones: &[crate::command::Milestone],
        sequence: u64,
    ) {
        let period = self.report.period;
        for (rule, started_on, ended_on) in imported_stays(named.definition, milestones) {
            if started_on > period.last_day || ended_on < period.first_day {
                continue;
            }
            self.report.stage_durations.push(StageDurationEntry {
                project: named.project.clone(),
                deadline: rule.id.clone(),
                deadline_name: rule.name.clone(),
                stage: rule.starts_when_entering.clone(),
                stage_name: named.definition.stage_name(&rule.starts_when_entering),
                started_on,
                planned_due_on: None,
                final_due_on: None,
                ended_on: Some(ended_on),
                actual_days: (ended_on - started_on).num_days(),
                planned_days: None,
                extensions_granted: 0,
                outcome: DurationOutcome::MetImported,
                imported: true,
                records: vec![sequence],
            });
        }
    }

    fn add_milestones(&mut self, named: &NamedProject<'_>, hits: Vec<(Milestone, MilestoneHit)>) {
        for (milestone, hit) in hits {
            let entry = MilestoneEntry {
                project: named.project.clone(),
                title: named.title.clone(),
                on: hit.on,
                stage_name: named.definition.stage_name(&hit.stage),
                stage: hit.stage,
                reason: hit.reason,
                imported: hit.imported,
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
    }

    fn add_reexaminations(&mut self, named: &NamedProject<'_>, hits: Vec<ReexaminationHit>) {
        for hit in hits {
            let entry = ReexaminationEntry {
                project: named.project.clone(),
                title: named.title.clone(),
                on: hit.on,
                outcome_name: hit
                    .outcome
                    .as_deref()
                    .map(|action| named.definition.action_name(action)),
                outcome: hit.outcome,
                records: vec![hit.sequence],
            };
            let section = &mut self.report.reexaminations;
            match hit.kind {
                ReexaminationKind::Due => section.due.push(entry),
                ReexaminationKind::Opened => section.opened.push(entry),
                ReexaminationKind::Done => section.done.push(entry),
            }
        }
    }

    fn add_meetings(&mut self, named: &NamedProject<'_>, meetings: Vec<(MeetingRecord, u64)>) {
        for (meeting, sequence) in meetings {
            let tally = meeting.tally();
            self.report.meetings.push(MeetingEntry {
                project: named.project.clone(),
                motion_name: named.definition.motion_name(&meeting.motion),
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
    }

    /// One deadline of the project: how long it ran, if it ran in the period, and each stretch
    /// it was overdue within the period.
    fn add_deadline(&mut self, named: &NamedProject<'_>, watch: &Watch<'_>, ran: &DeadlineRun<'_>) {
        let period = watch.period;
        let entry = ran.entry;
        let rule = named.definition.deadline(&entry.deadline);
        let deadline_name = rule.map_or_else(
            || LocalizedText::new(&entry.deadline, &entry.deadline),
            |rule| rule.name.clone(),
        );
        let ran_in_period = entry.started_on <= period.last_day
            && entry.closed.is_none_or(|(_, at)| at >= period.start);
        if ran_in_period {
            let stage = rule.map_or_else(String::new, |rule| rule.starts_when_entering.clone());
            let duration = stage_duration(named, watch, ran, &deadline_name, stage);
            self.report.stage_durations.push(duration);
        }
        for stretch in &ran.trace.stretches {
            let overlaps = stretch.fell_due_at < period.end
                && stretch.ended.is_none_or(|(at, _)| at >= period.start);
            if !overlaps {
                continue;
            }
            let overdue = overdue_entry(named, watch, ran, &deadline_name, stretch);
            self.count_overdue_months(named.project, stretch, &overdue, &period);
            self.report.overdue.push(overdue);
        }
    }

    /// Counts the project as overdue in every month of the period the stretch touches.
    fn count_overdue_months(
        &mut self,
        project: &ProjectRef,
        stretch: &OverdueStretch,
        overdue: &OverdueEntry,
        period: &ReportPeriod,
    ) {
        let last_overdue_day = overdue.until.unwrap_or(period.last_day);
        let first_overdue_day = stretch.due_on.succ_opt().unwrap_or(stretch.due_on);
        for month in self.overdue_months.iter_mut() {
            let ((year, number), projects) = month;
            if month_overlaps(*year, *number, first_overdue_day, last_overdue_day, period) {
                projects.insert(project.clone(), ());
            }
        }
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

/// A project as the report names it: its reference and title, and the definition it followed.
struct NamedProject<'a> {
    project: &'a ProjectRef,
    title: &'a LocalizedText,
    definition: &'a WorkflowDefinition,
}

/// One deadline of a replayed project: its entry in the state (at `index`) and its records.
struct DeadlineRun<'a> {
    index: usize,
    entry: &'a DeadlineEntry,
    trace: &'a DeadlineTrace,
    state: &'a ProjectState,
    extensions: &'a [ExtensionTrace],
}

/// How long a deadline ran against how long it was allowed.
fn stage_duration(
    named: &NamedProject<'_>,
    watch: &Watch<'_>,
    ran: &DeadlineRun<'_>,
    deadline_name: &LocalizedText,
    stage: String,
) -> StageDurationEntry {
    let entry = ran.entry;
    // The day after the period, from which a deadline still running is measured.
    let end_day = watch
        .period
        .last_day
        .succ_opt()
        .unwrap_or(watch.period.last_day);
    let ended_on = entry.closed.map(|(_, at)| watch.local_day(at));
    let outcome = match entry.closed {
        Some((DeadlineOutcome::Met, _)) if entry.days_late.is_some_and(|days| days > 0) => {
            DurationOutcome::MetLate
        }
        Some((DeadlineOutcome::Met, _)) => DurationOutcome::MetOnTime,
        Some((DeadlineOutcome::ProjectEnded, _)) => DurationOutcome::ProjectEnded,
        None if entry.missed => DurationOutcome::RunningOverdue,
        None => DurationOutcome::Running,
    };
    StageDurationEntry {
        project: named.project.clone(),
        deadline: entry.deadline.clone(),
        deadline_name: deadline_name.clone(),
        stage_name: named.definition.stage_name(&stage),
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
        imported: false,
        records: ran.trace.records.clone(),
    }
}

/// A stretch a deadline was overdue, with the extensions asked for on it.
fn overdue_entry(
    named: &NamedProject<'_>,
    watch: &Watch<'_>,
    ran: &DeadlineRun<'_>,
    deadline_name: &LocalizedText,
    stretch: &OverdueStretch,
) -> OverdueEntry {
    let until = stretch.ended.map(|(at, _)| watch.local_day(at));
    let last_overdue_day = until.unwrap_or(watch.period.last_day);
    let extensions = ran
        .state
        .extension_requests
        .iter()
        .zip(ran.extensions)
        .filter(|(_, trace)| trace.deadline_index == Some(ran.index))
        .map(|(request, trace)| ExtensionEntry {
            requested_on: watch.local_day(request.requested_at),
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
    OverdueEntry {
        project: named.project.clone(),
        deadline: ran.entry.deadline.clone(),
        deadline_name: deadline_name.clone(),
        due_on: stretch.due_on,
        until,
        days_overdue: (last_overdue_day - stretch.due_on).num_days().max(0),
        escalated: stretch.escalated,
        frozen: stretch.frozen,
        extensions,
        ended_reason: match stretch.ended {
            Some((_, true)) => ran.state.cancellation_reason.clone(),
            _ => None,
        },
        records: stretch.records.clone(),
    }
}

/// What the report watches for in a project's records, from its definition and the period.
struct Watch<'d> {
    period: ReportPeriod,
    offset: FixedOffset,
    milestones: &'d Milestones,
    /// The stage a re-examination runs in: where the definition's opening action leads.
    reexamination_stage: Option<String>,
    /// The action that opens a re-examination.
    open_action: Option<String>,
}

impl<'d> Watch<'d> {
    fn new(definition: &'d WorkflowDefinition, period: ReportPeriod) -> Watch<'d> {
        let reexamination_stage = definition.reexamination.as_ref().and_then(|rule| {
            definition
                .transition_from(&rule.stage, &rule.open_action)
                .map(|transition| transition.to.clone())
        });
        Watch {
            period,
            offset: definition.local_utc_offset,
            milestones: &definition.milestones,
            reexamination_stage,
            open_action: definition
                .reexamination
                .as_ref()
                .map(|rule| rule.open_action.clone()),
        }
    }

    fn local_day(&self, instant: DateTime<Utc>) -> NaiveDate {
        local_day(instant, self.offset)
    }
}

/// One project replayed up to the period's end, with what the report counts of it as the
/// records went by.
struct ProjectTrace {
    state: ProjectState,
    /// The project and its title, once its `project_created` record went by.
    project: Option<(ProjectRef, LocalizedText)>,
    stages_entered: HashSet<String>,
    /// Same index as `state.deadlines`.
    deadlines: Vec<DeadlineTrace>,
    /// Same index as `state.extension_requests`.
    extensions: Vec<ExtensionTrace>,
    milestone_hits: Vec<(Milestone, MilestoneHit)>,
    reexamination_hits: Vec<ReexaminationHit>,
    meetings: Vec<(MeetingRecord, u64)>,
    /// The imported history's milestones (up to the period's end), with the sequence of the
    /// `project_created` record that holds them.
    imported: Option<(Vec<crate::command::Milestone>, u64)>,
    /// The last record before the period's end: the state replayed.
    last_sequence: Option<u64>,
}

impl ProjectTrace {
    fn replay(records: &[AuditRecord], watch: &Watch<'_>) -> Result<ProjectTrace, ReportError> {
        let mut trace = ProjectTrace {
            state: ProjectState::new(),
            project: None,
            stages_entered: HashSet::new(),
            deadlines: Vec::new(),
            extensions: Vec::new(),
            milestone_hits: Vec::new(),
            reexamination_hits: Vec::new(),
            meetings: Vec::new(),
            imported: None,
            last_sequence: None,
        };
        for (index, record) in records.iter().enumerate() {
            if record.recorded_at >= watch.period.end {
                if index == 0 {
                    trace.replay_late_import(record, watch)?;
                }
                break;
            }
            let event = read_event(record)?;
            trace.observe(&event, record.sequence, watch);
            trace.state.apply_owned(event);
            trace.last_sequence = Some(record.sequence);
        }
        Ok(trace)
    }

    /// A project's first record, written at or after the period's end: an import whose history
    /// reached a stage before that end is replayed with the history cut there, in the stage it
    /// had reached by then; anything else adds nothing.
    fn replay_late_import(
        &mut self,
        record: &AuditRecord,
        watch: &Watch<'_>,
    ) -> Result<(), ReportError> {
        if record.event_type != "project_created" {
            return Ok(());
        }
        let mut event = read_event(record)?;
        let EventBody::ProjectCreated {
            stage, imported, ..
        } = &mut event.body
        else {
            return Ok(());
        };
        let Some(cut) = imported
            .as_deref()
            .and_then(|history| history_before(history, watch.period.end))
        else {
            return Ok(());
        };
        if let Some(last) = cut.milestones.last() {
            stage.clone_from(&last.stage);
        }
        *imported = Some(Box::new(cut));
        self.observe(&event, record.sequence, watch);
        self.state.apply_owned(event);
        self.last_sequence = Some(record.sequence);
        Ok(())
    }

    /// Each milestone of an imported history, counted by its own date and marked imported.
    fn observe_imported(&mut self, history: &ImportedHistory, sequence: u64, watch: &Watch<'_>) {
        for milestone in &history.milestones {
            let entry = StageEntry {
                on: milestone.reached_on,
                sequence,
                imported: true,
            };
            let in_period = watch.period.contains_day(milestone.reached_on);
            self.observe_stage_entry(&milestone.stage, in_period, entry, watch);
        }
        self.imported = Some((history.milestones.clone(), sequence));
    }

    /// Notes what an event counts for, before it is applied to the state.
    fn observe(&mut self, event: &Event, sequence: u64, watch: &Watch<'_>) {
        let at = event.occurred_at;
        let in_period = watch.period.contains(at);
        let entered: Option<&str> = match &event.body {
            EventBody::ProjectCreated {
                project,
                stage,
                imported,
            } => {
                self.project = Some((
                    ProjectRef {
                        project_id: project.project_id,
                        code: project.code.clone(),
                        committee: project.committee.clone(),
                    },
                    project.title.clone(),
                ));
                match imported.as_deref() {
                    Some(history) if !history.milestones.is_empty() => {
                        self.observe_imported(history, sequence, watch);
                        None
                    }
                    _ => Some(stage),
                }
            }
            EventBody::ActionFired {
                action, from, to, ..
            } => {
                if in_period {
                    self.observe_reexamination_action(
                        action,
                        from,
                        watch.local_day(at),
                        sequence,
                        watch,
                    );
                }
                Some(to)
            }
            EventBody::ProjectCancelled { to, reason, .. } if in_period => {
                self.milestone_hits.push((
                    Milestone::Cancelled,
                    MilestoneHit {
                        on: watch.local_day(at),
                        stage: to.clone(),
                        reason: Some(reason.clone()),
                        sequence,
                        imported: false,
                    },
                ));
                None
            }
            EventBody::MeetingRecorded(meeting) if watch.period.contains_day(meeting.held_on) => {
                self.meetings
                    .push((MeetingRecord::clone(meeting), sequence));
                None
            }
            EventBody::ReexaminationFellDue { fell_due_at, .. }
                if watch.period.contains(*fell_due_at) =>
            {
                self.reexamination_hits.push(ReexaminationHit {
                    kind: ReexaminationKind::Due,
                    on: watch.local_day(*fell_due_at),
                    outcome: None,
                    sequence,
                });
                None
            }
            body => {
                self.observe_deadline(body, at, sequence);
                self.observe_extension(body, at, sequence);
                None
            }
        };
        if let Some(stage) = entered {
            let entry = StageEntry {
                on: watch.local_day(at),
                sequence,
                imported: false,
            };
            self.observe_stage_entry(stage, in_period, entry, watch);
        }
    }

    /// An action opening a re-examination, or leaving the stage it runs in (its outcome).
    fn observe_reexamination_action(
        &mut self,
        action: &str,
        from: &str,
        on: NaiveDate,
        sequence: u64,
        watch: &Watch<'_>,
    ) {
        if watch.open_action.as_deref() == Some(action) {
            self.reexamination_hits.push(ReexaminationHit {
                kind: ReexaminationKind::Opened,
                on,
                outcome: None,
                sequence,
            });
        }
        if watch.reexamination_stage.as_deref() == Some(from) {
            self.reexamination_hits.push(ReexaminationHit {
                kind: ReexaminationKind::Done,
                on,
                outcome: Some(action.to_string()),
                sequence,
            });
        }
    }

    /// Entering a stage the definition's milestones name.
    fn observe_stage_entry(
        &mut self,
        stage: &str,
        in_period: bool,
        entry: StageEntry,
        watch: &Watch<'_>,
    ) {
        let first_entry = self.stages_entered.insert(stage.to_string());
        if !in_period {
            return;
        }
        let milestones = watch.milestones;
        for (milestone, milestone_stage) in [
            (Milestone::Proposed, &milestones.proposed),
            (Milestone::Approved, &milestones.approved),
            (Milestone::Published, &milestones.published),
        ] {
            // Published counts the first entry only: a confirmation re-enters it.
            let counts = milestone != Milestone::Published || first_entry;
            if counts && milestone_stage.as_deref() == Some(stage) {
                self.milestone_hits.push((
                    milestone,
                    MilestoneHit {
                        on: entry.on,
                        stage: stage.to_string(),
                        reason: None,
                        sequence: entry.sequence,
                        imported: entry.imported,
                    },
                ));
            }
        }
    }

    /// The trace of the open deadline `deadline`, the one the event is about.
    fn open_deadline(&mut self, deadline: &str) -> Option<&mut DeadlineTrace> {
        let index = open_index(&self.state, deadline)?;
        self.deadlines.get_mut(index)
    }

    /// A deadline set, closed, missed, escalated or frozen.
    fn observe_deadline(&mut self, body: &EventBody, at: DateTime<Utc>, sequence: u64) {
        match body {
            EventBody::DeadlineSet { .. } => {
                self.deadlines.push(DeadlineTrace {
                    records: vec![sequence],
                    stretches: Vec::new(),
                });
            }
            EventBody::DeadlineClosed {
                deadline, outcome, ..
            } => {
                if let Some(trace) = self.open_deadline(deadline) {
                    trace.records.push(sequence);
                    trace.end_stretch(at, sequence, *outcome == DeadlineOutcome::ProjectEnded);
                }
            }
            EventBody::DeadlineMissed {
                deadline,
                due_on,
                fell_due_at,
            } => {
                if let Some(trace) = self.open_deadline(deadline) {
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
                if let Some(stretch) = self
                    .open_deadline(deadline)
                    .and_then(DeadlineTrace::open_stretch)
                {
                    stretch.escalated = true;
                    stretch.records.push(sequence);
                }
            }
            EventBody::ProjectFrozen { deadline, .. } => {
                if let Some(stretch) = self
                    .open_deadline(deadline)
                    .and_then(DeadlineTrace::open_stretch)
                {
                    stretch.frozen = true;
                    stretch.records.push(sequence);
                }
            }
            _ => {}
        }
    }

    /// An extension requested, granted or refused.
    fn observe_extension(&mut self, body: &EventBody, at: DateTime<Utc>, sequence: u64) {
        match body {
            EventBody::ExtensionRequested { deadline, .. } => {
                self.extensions.push(ExtensionTrace {
                    deadline_index: open_index(&self.state, deadline),
                    records: vec![sequence],
                });
            }
            EventBody::ExtensionGranted {
                request_id,
                deadline,
                ..
            } => {
                if let Some(trace) = request_index(&self.state, request_id)
                    .and_then(|index| self.extensions.get_mut(index))
                {
                    trace.records.push(sequence);
                }
                if let Some(trace) = self.open_deadline(deadline) {
                    trace.records.push(sequence);
                    // A new due date ends the stretch: the project is on time again.
                    trace.end_stretch(at, sequence, false);
                }
            }
            EventBody::ExtensionRefused { request_id, .. } => {
                if let Some(trace) = request_index(&self.state, request_id)
                    .and_then(|index| self.extensions.get_mut(index))
                {
                    trace.records.push(sequence);
                }
            }
            _ => {}
        }
    }
}

/// The index of the open deadline `deadline` in the state, as `ProjectState` finds it.
fn open_index(state: &ProjectState, deadline: &str) -> Option<usize> {
    state
        .deadlines
        .iter()
        .rposition(|entry| entry.deadline == deadline && entry.is_open())
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
    /// Whether an imported history dates it.
    imported: bool,
}

/// A stage entered: the day, the record that says so, and whether it is an imported history's.
#[derive(Clone, Copy)]
struct StageEntry {
    on: NaiveDate,
    sequence: u64,
    imported: bool,
}

/// The stays an imported history dates at both ends, per deadline of the definition: from the
/// milestone entering the deadline's stage to the first later one that meets it. A deadline met
/// by leaving its stage counts only when the next milestone is a stage one transition away, so
/// a stage the file left undated does not stretch the stay.
fn imported_stays<'d>(
    definition: &'d WorkflowDefinition,
    milestones: &[crate::command::Milestone],
) -> Vec<(&'d crate::definition::DeadlineRule, NaiveDate, NaiveDate)> {
    let mut stays = Vec::new();
    for rule in &definition.deadlines {
        let Some(start) = milestones
            .iter()
            .position(|milestone| milestone.stage == rule.starts_when_entering)
        else {
            continue;
        };
        let later = milestones.iter().skip(start + 1);
        let met = milestones
            .iter()
            .skip(start)
            .zip(later)
            .find(|(previous, next)| {
                let one_step = || {
                    definition.transitions.iter().any(|transition| {
                        transition.to == next.stage && transition.from.contains(&previous.stage)
                    })
                };
                rule.is_met_by(&previous.stage, &next.stage)
                    && (!rule.met_when_entering.is_empty() || one_step())
            });
        if let (Some(started), Some((_, ended))) = (milestones.get(start), met) {
            stays.push((rule, started.reached_on, ended.reached_on));
        }
    }
    stays
}

/// A re-examination falling due, opened or settled (with the action that settled it).
struct ReexaminationHit {
    kind: ReexaminationKind,
    on: NaiveDate,
    outcome: Option<String>,
    sequence: u64,
}
