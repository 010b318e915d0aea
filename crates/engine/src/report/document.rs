//! The report laid out for people: headings, paragraphs and tables whose cells know what they
//! are (text, a project, records), so that Markdown and HTML render one layout and escape each
//! cell their own way.

use super::words;
use super::{CompositionMember, CompositionSection, ProjectRef, Report};
use crate::text::{Language, LocalizedText};
use chrono::NaiveDate;
use uuid::Uuid;

/// One cell of a table.
pub(super) enum Cell {
    /// Plain text.
    Text(String),
    /// A project, linked to its history.
    Project { project_id: Uuid, code: String },
    /// Audit records of a project, linked to its history, with a mark after them (the imported
    /// rows' "imported") when there is one.
    Records {
        project_id: Uuid,
        sequences: Vec<u64>,
        mark: Option<&'static str>,
    },
    /// Several lines of text.
    Lines(Vec<String>),
    /// A local date, which a spreadsheet keeps as a date.
    Date(NaiveDate),
    /// A whole number, which a spreadsheet keeps as a number.
    Number(i64),
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// A date, or a blank cell when there is none.
    fn day(day: Option<NaiveDate>) -> Cell {
        day.map_or_else(|| Cell::text(""), Cell::Date)
    }

    /// A count: figures never come near `i64::MAX`, so the clamp only keeps the type honest.
    fn count(value: impl TryInto<i64>) -> Cell {
        Cell::Number(value.try_into().unwrap_or(i64::MAX))
    }

    fn project(project: &ProjectRef) -> Cell {
        Cell::Project {
            project_id: project.project_id,
            code: project.code.clone(),
        }
    }

    fn records(project: &ProjectRef, sequences: &[u64]) -> Cell {
        Cell::Records {
            project_id: project.project_id,
            sequences: sequences.to_vec(),
            mark: None,
        }
    }

    /// The records of a row, marked when an imported history dates it.
    fn records_of_row(
        project: &ProjectRef,
        sequences: &[u64],
        imported: bool,
        language: Language,
    ) -> Cell {
        Cell::Records {
            project_id: project.project_id,
            sequences: sequences.to_vec(),
            mark: imported.then(|| words::imported_mark(language)),
        }
    }
}

/// A table with its headers.
pub(super) struct Table {
    /// Its stable id, one of [`TABLE_IDS`]: the same in every language and every period, so a
    /// link can name one table of a report.
    pub id: &'static str,
    pub caption: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The id of every table a report may show, in the order a report shows them.
///
/// A report shows only some of them (a milestone with no project has no table, the bureau's
/// report alone has `per_committee`, the composition's tables need the committee's record); the
/// ids are snake_case and never change, since links and scripts name them.
pub const TABLE_IDS: [&str; 19] = [
    "summary",
    "per_committee",
    "proposed",
    "approved",
    "published",
    "cancelled",
    "stage_duration_means",
    "stage_durations",
    "overdue",
    "overdue_by_month",
    "reexaminations_due",
    "reexaminations_opened",
    "reexaminations_done",
    "meetings",
    "projects",
    "members_at_start",
    "members_at_end",
    "composition_changes",
    "composition_waivers",
];

/// A chart the HTML renderer draws (Markdown leaves it to the tables).
#[derive(Clone, Copy)]
pub(super) enum Chart {
    StageDurations,
    OverdueByMonth,
}

/// A section: a heading, paragraphs, tables and maybe a chart.
pub(super) struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub chart: Option<Chart>,
    pub tables: Vec<Table>,
}

/// The whole report laid out.
pub(super) struct Document {
    pub title: String,
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
}

fn none_line(language: Language) -> String {
    language.pick("无。", "None.").to_string()
}

fn headers(language: Language, pairs: &[(&'static str, &'static str)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(zh, en)| language.pick(*zh, *en).to_string())
        .collect()
}

fn section(heading: String) -> Section {
    Section {
        heading,
        paragraphs: Vec::new(),
        chart: None,
        tables: Vec::new(),
    }
}

/// Lays the report out in `language`: the introduction, then one section after another.
pub(super) fn layout(report: &Report, language: Language) -> Document {
    let mut sections = vec![summary_section(report, language)];
    sections.extend(milestone_sections(report, language));
    sections.push(durations_section(report, language));
    sections.push(overdue_section(report, language));
    sections.push(reexaminations_section(report, language));
    sections.push(meetings_section(report, language));
    sections.push(covered_section(report, language));
    sections.push(composition_section(report, language));
    Document {
        title: words::title(report, language),
        intro: intro(report, language),
        sections,
    }
}

/// A name from the definition or the records, in `language`.
fn named(language: Language) -> impl Fn(&LocalizedText) -> String {
    move |text| text.get(language).to_string()
}

/// The period, the committees covered (for the bureau), and how the report was computed.
fn intro(report: &Report, language: Language) -> Vec<String> {
    let mut intro = vec![words::period(report, language)];
    if report.committee.is_none() {
        intro.push(language.pick(
            format!("涵盖技术委员会：{}", report.committees.join("、")),
            format!("Committees covered: {}", report.committees.join(", ")),
        ));
    }
    intro.push(words::provenance(report, language));
    intro
}

/// 1. The headline figures, and for the bureau the figures of each committee.
fn summary_section(report: &Report, language: Language) -> Section {
    let milestones = &report.milestones;
    let mut summary = section(language.pick("一、概况", "1. Summary").to_string());
    let figure = |zh: &'static str, en: &'static str, count: usize| {
        vec![Cell::text(language.pick(zh, en)), Cell::count(count)]
    };
    let overdue_projects: std::collections::BTreeSet<&Uuid> = report
        .overdue
        .iter()
        .map(|entry| &entry.project.project_id)
        .collect();
    summary.tables.push(Table {
        id: "summary",
        caption: None,
        headers: headers(language, &[("项目", "Figure"), ("数量", "Count")]),
        rows: vec![
            figure(
                "期末前已有项目",
                "Projects existing before the period's end",
                report.projects.len(),
            ),
            figure("提出立项", "Projects proposed", milestones.proposed.len()),
            figure("批准立项", "Projects approved", milestones.approved.len()),
            figure(
                "批准发布",
                "Specifications published",
                milestones.published.len(),
            ),
            figure("撤销", "Projects cancelled", milestones.cancelled.len()),
            figure("逾期项目", "Projects overdue", overdue_projects.len()),
            figure(
                "到期复查",
                "Re-examinations due",
                report.reexaminations.due.len(),
            ),
            figure(
                "完成复查",
                "Re-examinations done",
                report.reexaminations.done.len(),
            ),
            figure("召开会议", "Meetings held", report.meetings.len()),
        ],
    });
    if report.committee.is_none() && !report.by_committee.is_empty() {
        summary.tables.push(per_committee_table(report, language));
    }
    summary
}

fn per_committee_table(report: &Report, language: Language) -> Table {
    Table {
        id: "per_committee",
        caption: Some(language.pick("各技术委员会", "Per committee").to_string()),
        headers: headers(
            language,
            &[
                ("技术委员会", "Committee"),
                ("项目", "Projects"),
                ("提出立项", "Proposed"),
                ("批准立项", "Approved"),
                ("批准发布", "Published"),
                ("撤销", "Cancelled"),
                ("逾期项目", "Overdue"),
                ("会议", "Meetings"),
            ],
        ),
        rows: report
            .by_committee
            .iter()
            .map(|figures| {
                let number = Cell::count;
                vec![
                    Cell::text(figures.committee.clone()),
                    number(figures.projects),
                    number(figures.proposed),
                    number(figures.approved),
                    number(figures.published),
                    number(figures.cancelled),
                    number(figures.overdue_projects),
                    number(figures.meetings),
                ]
            })
            .collect(),
    }
}

/// 2 to 5. The projects proposed, approved, published and cancelled.
fn milestone_sections(report: &Report, language: Language) -> Vec<Section> {
    let milestones = &report.milestones;
    let name = named(language);
    let mut sections = Vec::new();
    for (id, heading, entries) in [
        (
            "proposed",
            language.pick("二、提出立项的项目", "2. Projects proposed"),
            &milestones.proposed,
        ),
        (
            "approved",
            language.pick("三、批准立项的项目", "3. Projects approved"),
            &milestones.approved,
        ),
        (
            "published",
            language.pick("四、批准发布的规范", "4. Specifications published"),
            &milestones.published,
        ),
        (
            "cancelled",
            language.pick("五、撤销的项目", "5. Projects cancelled"),
            &milestones.cancelled,
        ),
    ] {
        let mut part = section(format!("{heading} ({})", entries.len()));
        if entries.is_empty() {
            part.paragraphs.push(none_line(language));
        } else {
            part.tables.push(Table {
                id,
                caption: None,
                headers: headers(
                    language,
                    &[
                        ("项目", "Project"),
                        ("名称", "Title"),
                        ("日期", "Date"),
                        ("阶段", "Stage"),
                        ("理由", "Reason"),
                        ("审计记录", "Records"),
                    ],
                ),
                rows: entries
                    .iter()
                    .map(|entry| {
                        vec![
                            Cell::project(&entry.project),
                            Cell::text(name(&entry.title)),
                            Cell::Date(entry.on),
                            Cell::text(name(&entry.stage_name)),
                            Cell::text(entry.reason.clone().unwrap_or_default()),
                            Cell::records_of_row(
                                &entry.project,
                                &entry.records,
                                entry.imported,
                                language,
                            ),
                        ]
                    })
                    .collect(),
            });
        }
        sections.push(part);
    }
    sections
}

/// 6. How long each deadline ran against its plan: the means (and their chart), then each stay.
fn durations_section(report: &Report, language: Language) -> Section {
    let mut durations = section(
        language
            .pick(
                "六、各阶段实际用时与计划期限",
                "6. Stage durations against deadlines",
            )
            .to_string(),
    );
    if report.stage_durations.is_empty() {
        durations.paragraphs.push(none_line(language));
        return durations;
    }
    durations.paragraphs.push(
        language.pick(
            "天数自期限起算日计至完成日；仍在进行的计至报告期末。计划天数按首次设定（含计划下达）的到期日计算。",
            "Days run from the day a deadline started to the day it was met; those still running are counted to the period's end. Planned days are to the first due date set (the plan's, when it set one).",
        )
        .to_string(),
    );
    if !report.stage_duration_summary.is_empty() {
        durations.chart = Some(Chart::StageDurations);
        durations
            .tables
            .push(duration_means_table(report, language));
    }
    durations.tables.push(durations_table(report, language));
    durations
}

fn duration_means_table(report: &Report, language: Language) -> Table {
    let name = named(language);
    Table {
        id: "stage_duration_means",
        caption: Some(
            language
                .pick(
                    "报告期内完成的阶段（平均）",
                    "Stays ended in the period (means)",
                )
                .to_string(),
        ),
        headers: headers(
            language,
            &[
                ("期限", "Deadline"),
                ("完成数", "Ended"),
                ("平均实际天数", "Mean actual days"),
                ("平均计划天数", "Mean planned days"),
                ("逾期完成", "Met late"),
            ],
        ),
        rows: report
            .stage_duration_summary
            .iter()
            .map(|summary| {
                vec![
                    Cell::text(name(&summary.deadline_name)),
                    Cell::count(summary.ended),
                    Cell::Number(summary.mean_actual_days),
                    summary
                        .mean_planned_days
                        .map_or_else(|| Cell::text(""), Cell::Number),
                    Cell::count(summary.met_late),
                ]
            })
            .collect(),
    }
}

fn durations_table(report: &Report, language: Language) -> Table {
    let name = named(language);
    Table {
        id: "stage_durations",
        caption: None,
        headers: headers(
            language,
            &[
                ("项目", "Project"),
                ("期限", "Deadline"),
                ("起算", "Started"),
                ("计划到期", "Planned due"),
                ("最终到期", "Final due"),
                ("完成", "Ended"),
                ("实际天数", "Actual days"),
                ("计划天数", "Planned days"),
                ("延期次数", "Extensions"),
                ("结果", "Outcome"),
                ("审计记录", "Records"),
            ],
        ),
        rows: report
            .stage_durations
            .iter()
            .map(|entry| {
                let day = Cell::day;
                vec![
                    Cell::project(&entry.project),
                    Cell::text(name(&entry.deadline_name)),
                    Cell::Date(entry.started_on),
                    day(entry.planned_due_on),
                    day(entry.final_due_on),
                    day(entry.ended_on),
                    Cell::count(entry.actual_days),
                    entry
                        .planned_days
                        .map_or_else(|| Cell::text(""), Cell::Number),
                    Cell::count(entry.extensions_granted),
                    Cell::text(words::outcome(entry.outcome, language)),
                    Cell::records_of_row(&entry.project, &entry.records, entry.imported, language),
                ]
            })
            .collect(),
    }
}

/// 7. Each stretch overdue, with why, then the projects overdue per month (and their chart).
fn overdue_section(report: &Report, language: Language) -> Section {
    let mut overdue = section(
        language
            .pick("七、逾期情况", "7. Overdue stages")
            .to_string(),
    );
    if report.overdue.is_empty() {
        overdue.paragraphs.push(none_line(language));
    } else {
        overdue.tables.push(overdue_table(report, language));
    }
    if !report.overdue_by_month.is_empty() {
        if !report.overdue.is_empty() {
            overdue.chart = Some(Chart::OverdueByMonth);
        }
        overdue
            .tables
            .push(overdue_by_month_table(report, language));
    }
    overdue
}

fn overdue_table(report: &Report, language: Language) -> Table {
    let name = named(language);
    Table {
        id: "overdue",
        caption: None,
        headers: headers(
            language,
            &[
                ("项目", "Project"),
                ("期限", "Deadline"),
                ("到期日", "Due"),
                ("逾期至", "Overdue until"),
                ("逾期天数", "Days overdue"),
                ("上报", "Escalated"),
                ("冻结", "Frozen"),
                ("原因（延期申请）", "Why (extensions)"),
                ("审计记录", "Records"),
            ],
        ),
        rows: report
            .overdue
            .iter()
            .map(|entry| {
                let mut records = entry.records.clone();
                for extension in &entry.extensions {
                    records.extend(&extension.records);
                }
                records.sort_unstable();
                records.dedup();
                vec![
                    Cell::project(&entry.project),
                    Cell::text(name(&entry.deadline_name)),
                    Cell::Date(entry.due_on),
                    entry.until.map_or_else(
                        || {
                            Cell::text(
                                language
                                    .pick("报告期末仍逾期", "still overdue at the period's end"),
                            )
                        },
                        Cell::Date,
                    ),
                    Cell::count(entry.days_overdue),
                    Cell::text(words::yes_no(entry.escalated, language)),
                    Cell::text(words::yes_no(entry.frozen, language)),
                    Cell::Lines(words::overdue_reasons(entry, language)),
                    Cell::records(&entry.project, &records),
                ]
            })
            .collect(),
    }
}

fn overdue_by_month_table(report: &Report, language: Language) -> Table {
    Table {
        id: "overdue_by_month",
        caption: Some(
            language
                .pick("各月逾期项目数", "Projects overdue per month")
                .to_string(),
        ),
        headers: headers(
            language,
            &[("月份", "Month"), ("项目数", "Projects"), ("项目", "Which")],
        ),
        rows: report
            .overdue_by_month
            .iter()
            .map(|month| {
                vec![
                    Cell::text(month.month.clone()),
                    Cell::count(month.count),
                    Cell::Lines(
                        month
                            .projects
                            .iter()
                            .map(|project| project.code.clone())
                            .collect(),
                    ),
                ]
            })
            .collect(),
    }
}

/// 8. Re-examinations due, opened, and done with their outcome.
fn reexaminations_section(report: &Report, language: Language) -> Section {
    let name = named(language);
    let mut reexaminations = section(language.pick("八、复查", "8. Re-examinations").to_string());
    let reexamination_section = &report.reexaminations;
    for (id, caption, entries) in [
        (
            "reexaminations_due",
            language.pick("到期", "Due"),
            &reexamination_section.due,
        ),
        (
            "reexaminations_opened",
            language.pick("启动", "Opened"),
            &reexamination_section.opened,
        ),
        (
            "reexaminations_done",
            language.pick("完成及结论", "Done, with outcome"),
            &reexamination_section.done,
        ),
    ] {
        if entries.is_empty() {
            reexaminations
                .paragraphs
                .push(format!("{caption}: {}", none_line(language)));
            continue;
        }
        reexaminations.tables.push(Table {
            id,
            caption: Some(format!("{caption} ({})", entries.len())),
            headers: headers(
                language,
                &[
                    ("项目", "Project"),
                    ("名称", "Title"),
                    ("日期", "Date"),
                    ("结论", "Outcome"),
                    ("审计记录", "Records"),
                ],
            ),
            rows: entries
                .iter()
                .map(|entry| {
                    vec![
                        Cell::project(&entry.project),
                        Cell::text(name(&entry.title)),
                        Cell::Date(entry.on),
                        Cell::text(entry.outcome_name.as_ref().map(&name).unwrap_or_default()),
                        Cell::records(&entry.project, &entry.records),
                    ]
                })
                .collect(),
        });
    }
    reexaminations
}

/// 9. The meetings held, with attendance and votes.
fn meetings_section(report: &Report, language: Language) -> Section {
    let name = named(language);
    let mut meetings = section(format!(
        "{} ({})",
        language.pick("九、会议及出席情况", "9. Meetings held, with attendance"),
        report.meetings.len()
    ));
    if report.meetings.is_empty() {
        meetings.paragraphs.push(none_line(language));
        return meetings;
    }
    meetings.tables.push(Table {
        id: "meetings",
        caption: None,
        headers: headers(
            language,
            &[
                ("项目", "Project"),
                ("会议", "Meeting"),
                ("议题", "Motion"),
                ("形式", "Form"),
                ("日期", "Held on"),
                ("出席/应到", "Present/roll"),
                ("列席（无表决权）", "Non-voting present"),
                ("赞成/反对/弃权", "For/against/abstain"),
                ("审计记录", "Records"),
            ],
        ),
        rows: report
            .meetings
            .iter()
            .map(|meeting| {
                vec![
                    Cell::project(&meeting.project),
                    Cell::text(meeting.meeting_id.clone()),
                    Cell::text(name(&meeting.motion_name)),
                    Cell::text(words::form(meeting.form, language)),
                    Cell::Date(meeting.held_on),
                    Cell::text(format!("{}/{}", meeting.present, meeting.roll)),
                    Cell::count(meeting.non_voting_present),
                    Cell::text(format!(
                        "{}/{}/{}",
                        meeting.in_favour, meeting.against, meeting.abstain
                    )),
                    Cell::records(&meeting.project, &meeting.records),
                ]
            })
            .collect(),
    });
    meetings
}

/// 10. Every project covered, with its stage at the period's end.
fn covered_section(report: &Report, language: Language) -> Section {
    let name = named(language);
    let mut covered = section(format!(
        "{} ({})",
        language.pick(
            "十、所涉项目及期末阶段",
            "10. Projects covered, with their stage at the period's end"
        ),
        report.projects.len()
    ));
    if report.projects.is_empty() {
        covered.paragraphs.push(none_line(language));
        return covered;
    }
    covered.tables.push(Table {
        id: "projects",
        caption: None,
        headers: headers(
            language,
            &[
                ("项目", "Project"),
                ("名称", "Title"),
                ("期末阶段", "Stage at the end"),
                ("期末最后记录", "Last record before the end"),
            ],
        ),
        rows: report
            .projects
            .iter()
            .map(|entry| {
                vec![
                    Cell::project(&entry.project),
                    Cell::text(name(&entry.title)),
                    Cell::text(name(&entry.stage_name)),
                    Cell::records(&entry.project, &entry.records),
                ]
            })
            .collect(),
    });
    covered
}

/// 11. The committee's composition at the period's start and end, its changes and its waivers.
fn composition_section(report: &Report, language: Language) -> Section {
    let mut part = section(
        language
            .pick("十一、委员会组成", "11. Composition")
            .to_string(),
    );
    let Some(composition) = &report.composition else {
        part.paragraphs.push(
            language
                .pick("委员会组成未记录。", "Composition not on record.")
                .to_string(),
        );
        return part;
    };
    for (id, caption, members) in [
        (
            "members_at_start",
            language.pick("期初委员", "Members at the start"),
            &composition.at_start,
        ),
        (
            "members_at_end",
            language.pick("期末委员", "Members at the end"),
            &composition.at_end,
        ),
    ] {
        part.tables
            .push(members_table(id, caption, members, language));
    }
    part.tables.push(changes_table(composition, language));
    part.tables.push(waivers_table(composition, language));
    part
}

fn members_table(
    id: &'static str,
    caption: &str,
    members: &[CompositionMember],
    language: Language,
) -> Table {
    let name = named(language);
    Table {
        id,
        caption: Some(format!("{caption} ({})", members.len())),
        headers: headers(
            language,
            &[
                ("姓名", "Person"),
                ("单位", "Organisation"),
                ("职务", "Role"),
                ("行政人员", "Administrative"),
                ("任期起", "Term from"),
                ("任期止", "Term to"),
            ],
        ),
        rows: members
            .iter()
            .map(|member| {
                vec![
                    Cell::text(member.person.clone()),
                    Cell::text(member.organisation.clone()),
                    Cell::text(name(&member.role)),
                    Cell::text(words::yes_no(member.administrative, language)),
                    Cell::Date(member.term_started_on),
                    Cell::day(member.term_ends_on),
                ]
            })
            .collect(),
    }
}

/// The committee record a change or waiver comes from, as `#sequence`.
fn committee_record(sequence: Option<u64>) -> Cell {
    Cell::text(
        sequence
            .map(|sequence| format!("#{sequence}"))
            .unwrap_or_default(),
    )
}

fn changes_table(composition: &CompositionSection, language: Language) -> Table {
    let name = named(language);
    Table {
        id: "composition_changes",
        caption: Some(format!(
            "{} ({})",
            language.pick("组成变动", "Changes"),
            composition.changes.len()
        )),
        headers: headers(
            language,
            &[
                ("日期", "Date"),
                ("变动", "Change"),
                ("姓名", "Person"),
                ("单位", "Organisation"),
                ("职务", "Role"),
                ("委员会记录", "Committee record"),
            ],
        ),
        rows: composition
            .changes
            .iter()
            .map(|change| {
                vec![
                    Cell::Date(change.on),
                    Cell::text(words::change(change.kind, language)),
                    Cell::text(change.person.clone()),
                    Cell::text(change.organisation.clone()),
                    Cell::text(name(&change.role)),
                    committee_record(change.sequence),
                ]
            })
            .collect(),
    }
}

fn waivers_table(composition: &CompositionSection, language: Language) -> Table {
    let name = named(language);
    Table {
        id: "composition_waivers",
        caption: Some(format!(
            "{} ({})",
            language.pick("组成规则豁免", "Waivers of composition rules"),
            composition.waivers.len()
        )),
        headers: headers(
            language,
            &[
                ("规则", "Rule"),
                ("理由", "Reason"),
                ("批准机关", "Authority"),
                ("日期", "Recorded on"),
                ("委员会记录", "Committee record"),
            ],
        ),
        rows: composition
            .waivers
            .iter()
            .map(|waiver| {
                vec![
                    Cell::text(name(&waiver.rule)),
                    Cell::text(waiver.reason.clone()),
                    Cell::text(waiver.authority.clone()),
                    Cell::Date(waiver.recorded_on),
                    committee_record(waiver.sequence),
                ]
            })
            .collect(),
    }
}
