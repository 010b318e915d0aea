//! Committee reports computed from the example scenarios' audit logs: the whole report as JSON
//! and Markdown in both languages (snapshots), each figure traced to its records, and the report
//! unchanged by records written after its period.

use chrono::{NaiveDate, TimeZone, Utc};
use specflow_engine::Language;
use specflow_engine::audit::AuditRecord;
use specflow_engine::command::Command;
use specflow_engine::report::{
    CompositionChange, CompositionChangeKind, CompositionMember, CompositionSection,
    CompositionWaiver, Report, ReportBuilder, ReportError, ReportKind, ReportPeriod, TABLE_IDS,
    definition_as_of, tables, to_html, to_html_fragment, to_json, to_markdown,
};
use specflow_engine::scenario::{parse_scenario, simulate};
use specflow_engine::{EventBody, LocalizedText};
use uuid::Uuid;

use crate::support::{metrology, shanghai};

const COMMITTEE: &str = "SH-TC-01";

/// The scenarios the reports are computed from, each run as a project of its own.
const SCENARIOS: [(&str, &str); 5] = [
    (
        "to-in-force.toml",
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
    ),
    (
        "overdue-with-extension.toml",
        include_str!("../../../workflows/scenarios/overdue-with-extension.toml"),
    ),
    (
        "cancelled.toml",
        include_str!("../../../workflows/scenarios/cancelled.toml"),
    ),
    (
        "review-fails-vote.toml",
        include_str!("../../../workflows/scenarios/review-fails-vote.toml"),
    ),
    (
        "reexamined-confirmed.toml",
        include_str!("../../../workflows/scenarios/reexamined-confirmed.toml"),
    ),
];

/// Each scenario's log, with a project id and code of its own (number 1, 2, …).
fn logs() -> Vec<Vec<AuditRecord>> {
    SCENARIOS
        .iter()
        .enumerate()
        .map(|(index, (name, text))| {
            let mut scenario =
                parse_scenario(name, text).unwrap_or_else(|problems| panic!("{problems:?}"));
            let project_id =
                Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_1000 + index as u128);
            scenario.project_id = project_id;
            for step in &mut scenario.steps {
                if let Command::CreateProject(project) = &mut step.command {
                    project.project_id = project_id;
                    project.code = format!("JJG(沪)-2026-{:03}", index + 1);
                }
            }
            simulate(metrology(), &scenario)
                .unwrap_or_else(|error| panic!("{error}"))
                .records
        })
        .collect()
}

fn year(year: i32) -> ReportPeriod {
    ReportPeriod::year(year, shanghai()).unwrap()
}

fn report_of(logs: &[Vec<AuditRecord>], kind: ReportKind, period: ReportPeriod) -> Report {
    let mut builder = ReportBuilder::new(kind, Some(COMMITTEE.to_string()), period);
    for records in logs {
        assert_eq!(
            definition_as_of(records, period.end)
                .unwrap()
                .map(|(id, _)| id),
            (records.first().map(|record| record.recorded_at) < Some(period.end))
                .then(|| "metrology-spec".to_string())
        );
        builder.add_project(records, metrology()).unwrap();
    }
    builder.finish(None)
}

#[test]
fn the_annual_report_of_2026_matches_its_snapshots() {
    let report = report_of(&logs(), ReportKind::Annual, year(2026));
    insta::assert_snapshot!("annual_2026_json", to_json(&report));
    insta::assert_snapshot!(
        "annual_2026_markdown_zh",
        to_markdown(&report, Language::Zh)
    );
    insta::assert_snapshot!(
        "annual_2026_markdown_en",
        to_markdown(&report, Language::En)
    );
}

#[test]
fn the_end_of_term_report_covers_the_re_examination_years() {
    let period = ReportPeriod::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2031, 12, 31).unwrap(),
        shanghai(),
    )
    .unwrap();
    let report = report_of(&logs(), ReportKind::Term, period);
    assert_eq!(report.reexaminations.opened.len(), 1, "{report:#?}");
    assert_eq!(report.reexaminations.done.len(), 1);
    assert_eq!(
        report.reexaminations.done[0].outcome.as_deref(),
        Some("confirm")
    );
    assert_eq!(report.overdue_by_month.len(), 72);
    insta::assert_snapshot!(
        "term_2026_2031_markdown_en",
        to_markdown(&report, Language::En)
    );
}

/// Counts, straight from the records, the records of `event_type` in 2026 that `matches` picks.
fn count_in_2026(
    logs: &[Vec<AuditRecord>],
    event_type: &str,
    matches: impl Fn(&EventBody) -> bool,
) -> Vec<(Uuid, u64)> {
    let period = year(2026);
    let mut found = Vec::new();
    for record in logs.iter().flatten() {
        if record.event_type != event_type || !period.contains(record.recorded_at) {
            continue;
        }
        let body: EventBody = serde_json::from_str(&record.event).unwrap();
        if matches(&body) {
            found.push((record.project_id, record.sequence));
        }
    }
    found.sort();
    found
}

#[test]
fn figures_match_counts_made_directly_from_the_audit_records() {
    let logs = logs();
    let report = report_of(&logs, ReportKind::Annual, year(2026));
    let traced = |entries: Vec<(Uuid, &Vec<u64>)>| {
        let mut traced: Vec<(Uuid, u64)> = entries
            .into_iter()
            .flat_map(|(project, records)| records.iter().map(move |sequence| (project, *sequence)))
            .collect();
        traced.sort();
        traced
    };
    let approved_stage = metrology().milestones.approved.clone().unwrap();
    let approved = count_in_2026(
        &logs,
        "action_fired",
        |body| matches!(body, EventBody::ActionFired { to, .. } if *to == approved_stage),
    );
    assert!(!approved.is_empty());
    assert_eq!(
        traced(
            report
                .milestones
                .approved
                .iter()
                .map(|entry| (entry.project.project_id, &entry.records))
                .collect()
        ),
        approved
    );
    let cancelled = count_in_2026(&logs, "project_cancelled", |_| true);
    assert_eq!(report.milestones.cancelled.len(), cancelled.len());
    assert_eq!(cancelled.len(), 1);
    let held_in_2026 = count_in_2026(
        &logs,
        "meeting_recorded",
        |body| matches!(body, EventBody::MeetingRecorded(meeting) if meeting.held_on.format("%Y").to_string() == "2026"),
    );
    assert_eq!(
        traced(
            report
                .meetings
                .iter()
                .map(|entry| (entry.project.project_id, &entry.records))
                .collect()
        ),
        held_in_2026
    );
    let missed = count_in_2026(&logs, "deadline_missed", |_| true);
    assert!(!missed.is_empty());
    // Every stretch overdue starts with the record of its missed deadline.
    let mut first_records: Vec<(Uuid, u64)> = report
        .overdue
        .iter()
        .map(|entry| (entry.project.project_id, entry.records[0]))
        .collect();
    first_records.sort();
    assert_eq!(first_records, missed);
}

#[test]
fn records_appended_after_the_period_leave_the_report_unchanged() {
    let full = logs();
    let end = year(2026).end;
    let as_of_the_end: Vec<Vec<AuditRecord>> = full
        .iter()
        .map(|records| {
            records
                .iter()
                .filter(|record| record.recorded_at < end)
                .cloned()
                .collect()
        })
        .collect();
    assert!(
        full.iter().flatten().count() > as_of_the_end.iter().flatten().count(),
        "some scenarios run past 2026"
    );
    assert_eq!(
        report_of(&full, ReportKind::Annual, year(2026)),
        report_of(&as_of_the_end, ReportKind::Annual, year(2026))
    );
}

#[test]
fn a_year_with_no_data_gives_an_empty_but_valid_report() {
    let report = report_of(&logs(), ReportKind::Annual, year(2020));
    assert!(report.projects.is_empty());
    assert!(report.milestones.proposed.is_empty() && report.meetings.is_empty());
    assert!(report.stage_durations.is_empty() && report.overdue.is_empty());
    assert_eq!(report.overdue_by_month.len(), 12);
    assert!(report.overdue_by_month.iter().all(|month| month.count == 0));
    let markdown = to_markdown(&report, Language::En);
    assert!(
        markdown.contains("Composition not on record."),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_str(&to_json(&report)).unwrap();
    assert_eq!(json["projects"], serde_json::json!([]));
    assert!(to_html(&report, Language::Zh).contains("委员会组成未记录"));
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    let first = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    assert_eq!(
        ReportPeriod::new(first, last, shanghai()),
        Err(ReportError::PeriodReversed {
            first_day: first,
            last_day: last
        })
    );
    assert!(ReportPeriod::new(NaiveDate::MAX, NaiveDate::MAX, shanghai()).is_err());
    let period = year(2026);
    assert_eq!(
        period.start,
        Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap()
    );
}

#[test]
fn the_composition_is_rendered_when_the_committee_record_supplies_it() {
    let member = |person: &str, role: (&str, &str)| CompositionMember {
        person: person.to_string(),
        organisation: "上海市计量测试技术研究院".to_string(),
        role: LocalizedText::new(role.0, role.1),
        administrative: false,
        term_started_on: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
        term_ends_on: NaiveDate::from_ymd_opt(2026, 12, 31),
    };
    let composition = CompositionSection {
        at_start: vec![member("张三", ("主任委员", "chair"))],
        at_end: vec![
            member("张三", ("主任委员", "chair")),
            member("李四", ("委员", "member")),
        ],
        changes: vec![CompositionChange {
            on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            kind: CompositionChangeKind::Appointed,
            person: "李四".to_string(),
            organisation: "上海市计量测试技术研究院".to_string(),
            role: LocalizedText::new("委员", "member"),
            sequence: Some(7),
        }],
        waivers: vec![CompositionWaiver {
            rule: LocalizedText::new(
                "同一单位委员不超过3人",
                "at most 3 members from one organisation",
            ),
            reason: "专业领域集中".to_string(),
            authority: "沪市监计量〔2026〕1号".to_string(),
            recorded_on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            sequence: Some(8),
        }],
    };
    let mut builder =
        ReportBuilder::new(ReportKind::Annual, Some(COMMITTEE.to_string()), year(2026));
    builder.add_project(&logs()[0], metrology()).unwrap();
    let report = builder.finish(Some(composition));
    let markdown = to_markdown(&report, Language::En);
    assert!(
        markdown.contains("**Members at the end (2)**"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 2026-05-01 | appointed | 李四 |"),
        "{markdown}"
    );
    assert!(markdown.contains("at most 3 members from one organisation"));
    assert!(!markdown.contains("Composition not on record."));
}

#[test]
fn html_is_self_contained_escapes_what_the_records_say_and_draws_its_charts() {
    let mut logs = logs();
    // A title with markup in it, as a careless or hostile user might type it.
    let mut scenario = parse_scenario(SCENARIOS[1].0, SCENARIOS[1].1).unwrap();
    for step in &mut scenario.steps {
        if let Command::CreateProject(project) = &mut step.command {
            project.title =
                LocalizedText::new("<script>alert('x')</script>", "<b>\"bold\" & 'loud'</b>");
        }
    }
    logs[1] = simulate(metrology(), &scenario)
        .unwrap_or_else(|error| panic!("{error}"))
        .records;
    let report = report_of(&logs, ReportKind::Annual, year(2026));
    for language in [Language::Zh, Language::En] {
        let html = to_html(&report, language);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"));
        assert!(
            html.contains("&lt;script&gt;")
                || html.contains("&lt;b&gt;&quot;bold&quot; &amp; &#39;loud&#39;&lt;/b&gt;")
        );
        assert_eq!(html.matches("<svg").count(), 2, "both charts are drawn");
        assert!(
            !html.contains("http://") || html.matches("http://").count() == 2,
            "only the SVG namespaces"
        );
        // Links go to the pages a browser can open, never to the API.
        assert!(html.contains("href=\"/projects/"), "{html}");
        assert!(html.contains("?sequence="), "{html}");
        assert!(!html.contains("href=\"/api/"), "{html}");
    }
    let markdown = to_markdown(&report, Language::En);
    assert!(!markdown.contains("<b>"), "{markdown}");
}

#[test]
fn the_bureau_report_gives_each_committee_its_figures_and_they_add_up() {
    let mut logs = logs();
    // The cancelled project belongs to another committee.
    let mut scenario = parse_scenario(SCENARIOS[2].0, SCENARIOS[2].1).unwrap();
    for step in &mut scenario.steps {
        if let Command::CreateProject(project) = &mut step.command {
            project.project_id = Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_3000);
            project.code = "JJG(沪)-2026-103".to_string();
            project.committee = "SH-TC-03".to_string();
        }
    }
    scenario.project_id = Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_3000);
    logs[2] = simulate(metrology(), &scenario)
        .unwrap_or_else(|error| panic!("{error}"))
        .records;
    let mut builder = ReportBuilder::new(ReportKind::Bureau, None, year(2026));
    for records in &logs {
        builder.add_project(records, metrology()).unwrap();
    }
    let report = builder.finish(None);
    assert_eq!(report.committees.len(), 2);
    let total = |pick: fn(&specflow_engine::report::CommitteeFigures) -> u64| {
        report.by_committee.iter().map(pick).sum::<u64>()
    };
    assert_eq!(
        total(|figures| figures.projects),
        report.projects.len() as u64
    );
    assert_eq!(
        total(|figures| figures.proposed),
        report.milestones.proposed.len() as u64
    );
    assert_eq!(total(|figures| figures.cancelled), 1);
    assert_eq!(
        total(|figures| figures.meetings),
        report.meetings.len() as u64
    );
    let mechanics = &report.by_committee[1];
    assert_eq!((mechanics.projects, mechanics.cancelled), (1, 1));
    let markdown = to_markdown(&report, Language::En);
    assert!(markdown.contains("**Per committee**"), "{markdown}");
    assert!(
        markdown.contains("| SH-TC-03 | 1 | 1 | 1 | 0 | 1 | 0 | 1 |"),
        "{markdown}"
    );
}

#[test]
fn every_table_has_a_stable_id_and_the_fragment_puts_the_page_links_by_its_caption() {
    let annual = report_of(&logs(), ReportKind::Annual, year(2026));
    let mut bureau_builder = ReportBuilder::new(ReportKind::Bureau, None, year(2026));
    for records in &logs() {
        bureau_builder.add_project(records, metrology()).unwrap();
    }
    let bureau = bureau_builder.finish(Some(CompositionSection::default()));
    for report in [&annual, &bureau] {
        let chinese = tables(report, Language::Zh);
        let english = tables(report, Language::En);
        let ids: Vec<&str> = chinese.iter().map(|table| table.id).collect();
        // The same ids in both languages, each once, each one the engine lists.
        assert_eq!(
            ids,
            english.iter().map(|table| table.id).collect::<Vec<_>>()
        );
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert!(ids.iter().all(|id| TABLE_IDS.contains(id)), "{ids:?}");
        // In the order the engine lists them.
        let positions: Vec<usize> = ids
            .iter()
            .map(|id| TABLE_IDS.iter().position(|known| known == id).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "{ids:?}"
        );

        let links = |id: &str| format!("<span class=\"links\">{id}</span>");
        let (_, fragment) = to_html_fragment(report, Language::En, Some(&links));
        for id in &ids {
            assert!(
                fragment.contains(&format!("<table id=\"table-{id}\">\n<caption>"))
                    && fragment.contains(&format!("<span class=\"links\">{id}</span></caption>")),
                "{id}: {fragment}"
            );
        }
        let (_, without) = to_html_fragment(report, Language::En, None);
        assert!(!without.contains("class=\"links\""));
        assert!(!to_html(report, Language::En).contains("class=\"links\""));
    }
    let bureau_ids: Vec<&str> = tables(&bureau, Language::En)
        .iter()
        .map(|table| table.id)
        .collect();
    assert!(bureau_ids.contains(&"per_committee") && bureau_ids.contains(&"composition_waivers"));
}

/// A project imported on 2026-01-05 whose history ran through 2023: approved (drafting) on
/// 10 January, consulted on 1 March, reviewed (approval) on 1 May and published (promotion) on
/// 1 June. Its log is one `project_created` record and the deadlines of promotion, all written
/// at the import.
fn imported_log() -> Vec<AuditRecord> {
    imported_log_reaching(4)
}

/// The log of the project of [`imported_log`] had its file stopped after `milestones` of its
/// four milestones (published only with all four).
pub(crate) fn imported_log_reaching(milestones: usize) -> Vec<AuditRecord> {
    use crate::support::{CALIBRATION, given, new_project, supervisor};
    use specflow_engine::command::{
        ImportProject, ImportSource, ImportedHistory, Milestone, Publication,
    };
    let milestone = |stage: &str, reached_on: (i32, u32, u32)| Milestone {
        stage: stage.to_string(),
        reached_on: NaiveDate::from_ymd_opt(reached_on.0, reached_on.1, reached_on.2).unwrap(),
        entered_at: Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(),
    };
    let project_id = Uuid::from_u128(0x5bec_f10e_0000_4000_8000_0000_0000_1900);
    let mut project = new_project(metrology(), CALIBRATION);
    project.project_id = project_id;
    project.code = "JJF(沪)-2023-001".to_string();
    project.committee = COMMITTEE.to_string();
    let mut dated = vec![
        milestone("drafting", (2023, 1, 10)),
        milestone("consultation", (2023, 3, 1)),
        milestone("approval", (2023, 5, 1)),
        milestone("promotion", (2023, 6, 1)),
    ];
    dated.truncate(milestones);
    let command = Command::ImportProject(Box::new(ImportProject {
        project,
        history: ImportedHistory {
            source: ImportSource {
                file_sha256: "0123456789abcdef".repeat(4),
                sheet: "projects.csv".to_string(),
                row: 2,
            },
            publication: (dated.len() == 4).then(|| Publication {
                specification_number: "JJF(沪) 1100-2023".to_string(),
                publication_date: NaiveDate::from_ymd_opt(2023, 6, 1).unwrap(),
                effective_date: NaiveDate::from_ymd_opt(2023, 12, 1).unwrap(),
            }),
            milestones: dated,
        },
    }));
    let events = given(metrology(), &[])
        .when(&supervisor(), command, "2026-01-05")
        .then_accepted();
    specflow_engine::audit::seal_all(project_id, None, None, &events).unwrap()
}

/// The report of `period` over the imported project and the scenarios' recorded ones.
fn report_with_import(period: ReportPeriod) -> Report {
    let mut builder = ReportBuilder::new(ReportKind::Annual, Some(COMMITTEE.to_string()), period);
    let mut logs = logs();
    logs.push(imported_log());
    for records in &logs {
        if definition_as_of(records, period.end).unwrap().is_some() {
            builder.add_project(records, metrology()).unwrap();
        }
    }
    builder.finish(None)
}

#[test]
fn an_import_written_in_2026_counts_its_2023_milestones_in_the_2023_report_marked_imported() {
    let log = imported_log();
    assert!(log[0].recorded_at > year(2023).end);
    // The import was written after 2023, but its history starts in it.
    assert_eq!(
        definition_as_of(&log, year(2023).end).unwrap(),
        Some(("metrology-spec".to_string(), metrology().version))
    );
    assert_eq!(definition_as_of(&log, year(2022).end).unwrap(), None);

    let report = report_with_import(year(2023));
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let approved: Vec<_> = report
        .milestones
        .approved
        .iter()
        .map(|entry| {
            (
                entry.project.code.as_str(),
                entry.on,
                entry.imported,
                entry.records.clone(),
            )
        })
        .collect();
    assert_eq!(
        approved,
        vec![("JJF(沪)-2023-001", day("2023-01-10"), true, vec![1])]
    );
    let published: Vec<_> = report
        .milestones
        .published
        .iter()
        .map(|entry| {
            (
                entry.project.code.as_str(),
                entry.on,
                entry.imported,
                entry.records.clone(),
            )
        })
        .collect();
    assert_eq!(
        published,
        vec![("JJF(沪)-2023-001", day("2023-06-01"), true, vec![1])]
    );
    assert!(report.milestones.proposed.is_empty());
    // Covered, in the stage the history had reached, cited by its one record.
    assert_eq!(report.projects.len(), 1);
    assert_eq!(
        (
            report.projects[0].stage.as_str(),
            report.projects[0].records.clone()
        ),
        ("promotion", vec![1])
    );
    // The stays the history dates at both ends, marked imported; no deadline specflow ran.
    let mut stays: Vec<_> = report
        .stage_durations
        .iter()
        .map(|entry| {
            assert!(entry.imported && entry.records == vec![1], "{entry:?}");
            assert_eq!(
                entry.outcome,
                specflow_engine::report::DurationOutcome::MetImported
            );
            (
                entry.deadline.as_str(),
                entry.started_on,
                entry.ended_on,
                entry.actual_days,
            )
        })
        .collect();
    stays.sort();
    assert_eq!(
        stays,
        vec![
            ("approval", day("2023-05-01"), Some(day("2023-06-01")), 31),
            ("drafting", day("2023-01-10"), Some(day("2023-03-01")), 50),
            ("overall", day("2023-01-10"), Some(day("2023-05-01")), 111),
        ]
    );
    assert!(report.overdue.is_empty());
    assert!(report.has_imported_rows());

    for (language, mark, provenance) in [
        (Language::Zh, "（导入）", "标注“导入”的行来自导入的项目历史"),
        (
            Language::En,
            "(imported)",
            "Rows marked \"imported\" come from an imported project history",
        ),
    ] {
        let markdown = to_markdown(&report, language);
        assert!(markdown.contains(provenance), "{markdown}");
        assert!(
            markdown.contains(&format!("&limit=1) {mark}")),
            "{markdown}"
        );
        let html = to_html(&report, language);
        assert!(
            html.contains(&format!("<span class=\"imported\">{mark}</span>")),
            "{html}"
        );
        let approved_table = tables(&report, language)
            .into_iter()
            .find(|table| table.id == "approved")
            .unwrap();
        assert_eq!(
            approved_table.rows[0].last(),
            Some(&specflow_engine::report::TableCell::Text(format!(
                "#1 {mark}"
            )))
        );
    }
}

#[test]
fn an_import_counts_only_what_its_history_reached_by_the_period_end() {
    // The first quarter of 2023: approved and consulted, not yet reviewed or published.
    let period = ReportPeriod::new(
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2023, 3, 31).unwrap(),
        shanghai(),
    )
    .unwrap();
    let report = report_with_import(period);
    assert_eq!(report.milestones.approved.len(), 1);
    assert!(report.milestones.published.is_empty());
    assert_eq!(report.projects[0].stage, "consultation");
    let deadlines: Vec<&str> = report
        .stage_durations
        .iter()
        .map(|entry| entry.deadline.as_str())
        .collect();
    assert_eq!(deadlines, vec!["drafting"]);

    // In the year of the import, the 2023 milestones are not counted again; the deadlines the
    // import started are the records' own.
    let in_2026 = report_with_import(year(2026));
    let imported_rows = in_2026
        .milestones
        .approved
        .iter()
        .chain(&in_2026.milestones.published)
        .filter(|entry| entry.project.code == "JJF(沪)-2023-001")
        .count();
    assert_eq!(imported_rows, 0);
    assert!(
        in_2026
            .projects
            .iter()
            .any(|entry| entry.project.code == "JJF(沪)-2023-001" && entry.stage == "promotion")
    );
    assert!(!in_2026.has_imported_rows());
}

#[test]
fn recorded_projects_are_never_marked_imported_and_their_provenance_says_nothing_of_imports() {
    for period in [year(2026), year(2027)] {
        let report = report_of(&logs(), ReportKind::Annual, period);
        assert!(!report.has_imported_rows());
        assert!(!to_markdown(&report, Language::En).contains("imported"));
        assert!(!to_json(&report).contains("\"imported\""));
    }
}
