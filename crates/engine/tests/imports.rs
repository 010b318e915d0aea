//! Importing a project with its history (`import_project`): the stays the history tells of, the
//! deadlines counted from the day the stage was entered, and every refusal.

use crate::support::*;
use chrono::{DateTime, Utc};
use specflow_engine::command::{ImportProject, ImportSource, ImportedHistory, Milestone};
use specflow_engine::{Command, EventBody, ProjectState, render::event_summary};
use specflow_engine::{Language, tick};

/// A stay as compared: the stage, when it was entered and when it was left.
type Stay<'s> = (&'s str, DateTime<Utc>, Option<DateTime<Utc>>);

fn milestone(stage: &str, reached_on: &str) -> Milestone {
    // The engine sets the instant from the date; what the command says is replaced.
    Milestone {
        stage: stage.to_string(),
        reached_on: day(reached_on),
        entered_at: at("2000-01-01"),
    }
}

fn history(milestones: Vec<Milestone>) -> ImportedHistory {
    ImportedHistory {
        source: ImportSource {
            file_sha256: "0123456789abcdef".repeat(4),
            sheet: "项目".to_string(),
            row: 7,
        },
        milestones,
        publication: None,
    }
}

fn import(history: ImportedHistory) -> Command {
    Command::ImportProject(Box::new(ImportProject {
        project: new_project(metrology(), VERIFICATION),
        history,
    }))
}

fn folded(events: &[specflow_engine::Event]) -> ProjectState {
    let mut state = ProjectState::default();
    for event in events {
        state.apply(event);
    }
    state
}

#[test]
fn an_imported_project_stands_in_its_last_milestone_with_each_stay_dated() {
    let command = import(history(vec![
        milestone("drafting", "2024-03-01"),
        milestone("consultation", "2025-02-10"),
    ]));
    let events = given(metrology(), &[])
        .when(&supervisor(), command, "2026-01-05")
        .then_accepted();
    let state = folded(&events);
    assert_eq!(state.stage(), "consultation");
    let stays: Vec<Stay<'_>> = state
        .visits
        .iter()
        .map(|visit| (visit.stage.as_str(), visit.entered_at, visit.left_at))
        .collect();
    assert_eq!(
        stays,
        vec![
            (
                "drafting",
                at("2024-03-01 00:00"),
                Some(at("2025-02-10 00:00"))
            ),
            ("consultation", at("2025-02-10 00:00"), None),
        ]
    );
    let EventBody::ProjectCreated {
        stage, imported, ..
    } = &events[0].body
    else {
        panic!("the first event is {:?}", events[0].body);
    };
    assert_eq!(stage, "consultation");
    let imported = imported.as_ref().unwrap();
    assert_eq!(imported.source.row, 7);
    assert_eq!(imported.milestones[0].entered_at, at("2024-03-01 00:00"));
}

#[test]
fn the_deadlines_of_the_stage_reached_count_from_the_day_it_was_reached_so_it_is_overdue() {
    let command = import(history(vec![milestone("drafting", "2024-03-01")]));
    let events = given(metrology(), &[])
        .when(&supervisor(), command, "2026-06-01")
        .then_accepted();
    let started: Vec<(&str, chrono::NaiveDate)> = events
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::DeadlineSet {
                deadline,
                started_on,
                ..
            } => Some((deadline.as_str(), *started_on)),
            _ => None,
        })
        .collect();
    assert!(
        started.contains(&("drafting", day("2024-03-01"))),
        "{started:?}"
    );
    let state = folded(&events);
    let missed: Vec<String> = tick(&state, metrology(), at("2026-06-01 12:00"))
        .into_iter()
        .filter_map(|event| match event.body {
            EventBody::DeadlineMissed { deadline, .. } => Some(deadline),
            _ => None,
        })
        .collect();
    assert!(missed.contains(&"drafting".to_string()), "{missed:?}");
    assert!(missed.contains(&"overall".to_string()), "{missed:?}");
}

#[test]
fn a_published_specification_is_imported_with_its_publication() {
    let mut imported = history(vec![
        milestone("drafting", "2022-03-01"),
        milestone("consultation", "2022-09-01"),
        milestone("approval", "2023-03-01"),
        milestone("promotion", "2023-06-01"),
    ]);
    imported.publication = Some(publication("2023-06-01", "2023-12-01"));
    let events = given(metrology(), &[])
        .when(&supervisor(), import(imported), "2026-01-05")
        .then_accepted();
    let state = folded(&events);
    assert_eq!(state.stage(), "promotion");
    assert_eq!(
        state.publication.as_ref().map(|p| p.publication_date),
        Some(day("2023-06-01"))
    );
}

#[test]
fn an_import_without_milestones_stands_in_the_initial_stage() {
    let events = given(metrology(), &[])
        .when(&supervisor(), import(history(Vec::new())), "2026-01-05")
        .then_accepted();
    assert_eq!(folded(&events).stage(), metrology().initial_stage);
}

#[test]
fn an_import_is_refused_for_an_unknown_stage_dates_out_of_order_or_in_the_future() {
    let command = import(history(vec![
        milestone("drafting", "2025-03-01"),
        milestone("consultation", "2025-02-01"),
        milestone("nowhere", "2025-04-01"),
        milestone("approval", "2026-02-01"),
    ]));
    let rejection = given(metrology(), &[])
        .when(&supervisor(), command, "2026-01-05")
        .then_rejected();
    let text = explain(&rejection);
    assert!(text.contains("nowhere"), "{text}");
    assert!(text.contains("2025-02-01"), "{text}");
    assert!(text.contains("2026-02-01"), "{text}");
}

#[test]
fn an_import_is_refused_for_stages_out_of_the_definitions_order() {
    let command = import(history(vec![
        milestone("consultation", "2024-03-01"),
        milestone("drafting", "2025-02-01"),
    ]));
    let rejection = given(metrology(), &[])
        .when(&supervisor(), command, "2026-01-05")
        .then_rejected();
    assert!(explain(&rejection).contains("out of the definition's order"));
}

#[test]
fn a_publication_before_the_stage_of_publication_is_refused() {
    let mut imported = history(vec![milestone("drafting", "2024-03-01")]);
    imported.publication = Some(publication("2024-06-01", "2024-12-01"));
    let rejection = given(metrology(), &[])
        .when(&supervisor(), import(imported), "2026-01-05")
        .then_rejected();
    assert!(explain(&rejection).contains("cannot have a publication"));
}

#[test]
fn only_the_roles_that_create_projects_import_them() {
    let command = import(history(vec![milestone("drafting", "2024-03-01")]));
    given(metrology(), &[])
        .when(&drafter(), command, "2026-01-05")
        .then_rejected_with(&["role_not_permitted"]);
}

#[test]
fn an_imported_creation_says_where_it_came_from_in_both_languages() {
    let command = import(history(vec![milestone("drafting", "2024-03-01")]));
    let events = given(metrology(), &[])
        .when(&supervisor(), command, "2026-01-05")
        .then_accepted();
    let english = event_summary(&events[0].body, metrology(), Language::En);
    assert!(
        english.contains("imported from sheet \"项目\" row 7 of file 0123456789ab"),
        "{english}"
    );
    let chinese = event_summary(&events[0].body, metrology(), Language::Zh);
    assert!(chinese.contains("工作表「项目」第 7 行导入"), "{chinese}");
}

// Records written before imports existed must hash as they did: `imported` is left out of them.
#[test]
fn a_creation_that_is_not_an_import_serialises_without_the_imported_field() {
    let body = created(metrology(), VERIFICATION);
    let json = serde_json::to_string(&body).unwrap();
    assert!(!json.contains("imported"), "{json}");
}
