//! What of a project is public (社会监督): nothing until it enters its definition's
//! `public_from` stage, then every milestone it reached with its record, a stage entered twice
//! giving two; the stages a public project can stand in; and the definition's `[milestones]`
//! checked and defaulted as it loads.

use specflow_engine::WorkflowDefinition;
use specflow_engine::audit::AuditRecord;
use specflow_engine::public::{PublicMilestone, public_milestones, stages_once_public};
use specflow_engine::scenario::{parse_scenario, simulate};

use crate::support::{iso, metrology};

fn records_of(name: &str, text: &str) -> Vec<AuditRecord> {
    let scenario = parse_scenario(name, text).unwrap_or_else(|problems| panic!("{problems:?}"));
    simulate(metrology(), &scenario)
        .unwrap_or_else(|error| panic!("{error}"))
        .records
}

fn milestone_codes(records: &[AuditRecord]) -> Option<Vec<&'static str>> {
    public_milestones(metrology(), records)
        .unwrap()
        .map(|reached| reached.iter().map(|one| one.milestone.code()).collect())
}

#[test]
fn a_project_is_public_from_its_publication_with_every_milestone_it_reached() {
    let records = records_of(
        "reexamined-confirmed.toml",
        include_str!("../../../workflows/scenarios/reexamined-confirmed.toml"),
    );
    assert_eq!(
        milestone_codes(&records),
        Some(vec![
            "approved",
            "consulted",
            "reviewed",
            "published",
            "in_force",
            "re_examined",
            "in_force"
        ])
    );
    let reached = public_milestones(metrology(), &records).unwrap().unwrap();
    for one in &reached {
        let record = &records[usize::try_from(one.sequence).unwrap() - 1];
        assert_eq!(record.sequence, one.sequence);
        assert_eq!(record.hash.to_hex(), one.record_hash);
        assert_eq!(record.recorded_at, one.recorded_at);
        assert_eq!(record.event_type, "action_fired");
        assert_eq!(
            Some(one.stage.as_str()),
            one.milestone.stage(&metrology().milestones)
        );
    }
    // Up to the record before the publication, nothing is public; from it, all that came before.
    let published = reached
        .iter()
        .find(|one| one.milestone == PublicMilestone::Published)
        .unwrap()
        .sequence;
    let before = &records[..usize::try_from(published).unwrap() - 1];
    assert_eq!(milestone_codes(before), None);
    let up_to = &records[..usize::try_from(published).unwrap()];
    assert_eq!(
        milestone_codes(up_to),
        Some(vec!["approved", "consulted", "reviewed", "published"])
    );
}

#[test]
fn a_cancelled_or_unpublished_project_is_never_public() {
    for (name, text) in [
        (
            "cancelled.toml",
            include_str!("../../../workflows/scenarios/cancelled.toml"),
        ),
        (
            "overdue-with-extension.toml",
            include_str!("../../../workflows/scenarios/overdue-with-extension.toml"),
        ),
    ] {
        assert_eq!(milestone_codes(&records_of(name, text)), None, "{name}");
    }
}

#[test]
fn a_record_that_does_not_parse_is_named_by_its_sequence() {
    let mut records = records_of(
        "to-in-force.toml",
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
    );
    let fired = records
        .iter_mut()
        .find(|record| record.event_type == "action_fired")
        .unwrap();
    fired.event = "{\"type\":\"action_fired\",\"action\":".to_string();
    let sequence = fired.sequence;
    let error = public_milestones(metrology(), &records).unwrap_err();
    assert_eq!(error.sequence, sequence);
}

#[test]
fn a_public_project_stands_in_its_publication_or_a_stage_after_it() {
    assert_eq!(
        stages_once_public(metrology()),
        [
            "promotion",
            "in_force",
            "reexamination",
            "revised",
            "withdrawn"
        ]
    );
    // The ISO workflow names no `public_from`: it is public from its `published` milestone.
    assert_eq!(iso().milestones.public_from.as_deref(), Some("published"));
    assert_eq!(
        stages_once_public(iso()),
        ["published", "review", "revised", "withdrawn"]
    );
}

#[test]
fn a_milestone_naming_an_unknown_stage_is_an_error_at_its_place() {
    let text = include_str!("../../../workflows/metrology-spec.toml").replace(
        "public_from = \"promotion\"",
        "public_from = \"publication\"",
    );
    let error = WorkflowDefinition::from_toml("metrology-spec.toml", &text).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("[milestones] public_from: unknown stage 'publication'"),
        "{message}"
    );
    assert!(message.contains("metrology-spec.toml:"), "{message}");
}

#[test]
fn a_definition_without_published_or_public_from_makes_nothing_public() {
    let text = include_str!("../../../workflows/metrology-spec.toml")
        .replace("published = \"promotion\"\n", "")
        .replace("public_from = \"promotion\"\n", "");
    let definition = WorkflowDefinition::from_toml("metrology-spec.toml", &text).unwrap();
    assert_eq!(definition.milestones.public_from, None);
    assert!(stages_once_public(&definition).is_empty());
    let records = records_of(
        "to-in-force.toml",
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
    );
    assert_eq!(public_milestones(&definition, &records).unwrap(), None);
}

#[test]
fn an_imported_history_makes_a_project_public_with_its_milestones_dated_and_marked_imported() {
    let records = crate::reports::imported_log_reaching(4);
    let reached = public_milestones(metrology(), &records).unwrap().unwrap();
    let seen: Vec<(&str, Option<chrono::NaiveDate>, u64)> = reached
        .iter()
        .map(|one| (one.milestone.code(), one.imported_on, one.sequence))
        .collect();
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    assert_eq!(
        seen,
        vec![
            ("approved", day("2023-01-10"), 1),
            ("consulted", day("2023-03-01"), 1),
            ("reviewed", day("2023-05-01"), 1),
            ("published", day("2023-06-01"), 1),
        ]
    );
    for one in &reached {
        // The record is the import's, written in 2026; the stage was entered on the file's day.
        assert_eq!(one.recorded_at, records[0].recorded_at);
        assert_eq!(one.record_hash, records[0].hash.to_hex());
        assert_eq!(
            one.reached_at
                .with_timezone(&crate::support::shanghai())
                .date_naive(),
            one.imported_on.unwrap()
        );
        assert!(one.reached_at < one.recorded_at);
    }
    // An import that had not reached publication is not public.
    let unpublished = crate::reports::imported_log_reaching(3);
    assert_eq!(milestone_codes(&unpublished), None);
    // A recorded milestone carries no imported day, and was reached when it was recorded.
    let recorded = records_of(
        "reexamined-confirmed.toml",
        include_str!("../../../workflows/scenarios/reexamined-confirmed.toml"),
    );
    for one in public_milestones(metrology(), &recorded).unwrap().unwrap() {
        assert_eq!((one.imported_on, one.reached_at), (None, one.recorded_at));
    }
}
