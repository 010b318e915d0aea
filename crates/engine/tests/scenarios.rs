//! Snapshot tests of every example scenario in `workflows/scenarios/`: the whole report, as
//! `specflow simulate` prints it, so any change in behaviour shows as a readable diff.

use specflow_engine::Language;
use specflow_engine::audit::{AsOf, replay_as_of, verify};
use specflow_engine::render::simulation_report;
use specflow_engine::scenario::{SimulationReport, parse_scenario, simulate};

use crate::deadlines::deadline_fixtures::metrology;

fn run(name: &str, text: &str) -> SimulationReport {
    let definition = metrology();
    let scenario = parse_scenario(name, text).unwrap_or_else(|problems| panic!("{problems:?}"));
    let report = simulate(&definition, &scenario).unwrap_or_else(|error| panic!("{error}"));
    // Every scenario's log verifies, and replaying it gives the live state.
    let chain = verify(&report.records).unwrap_or_else(|failure| panic!("{name}: {failure}"));
    assert_eq!(chain.records, report.records.len() as u64);
    let replayed = replay_as_of(&report.records, AsOf::Sequence(u64::MAX)).unwrap();
    assert_eq!(
        replayed, report.state,
        "{name}: replay differs from the live run"
    );
    report
}

macro_rules! scenario_snapshot {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            let report = run(
                $file,
                include_str!(concat!("../../../workflows/scenarios/", $file)),
            );
            insta::assert_snapshot!(simulation_report(&report, &metrology(), Language::En));
        }
    };
}

scenario_snapshot!(to_in_force, "to-in-force.toml");
scenario_snapshot!(consultation_too_short, "consultation-too-short.toml");
scenario_snapshot!(review_without_quorum, "review-without-quorum.toml");
scenario_snapshot!(review_fails_vote, "review-fails-vote.toml");
scenario_snapshot!(overdue_with_extension, "overdue-with-extension.toml");
scenario_snapshot!(reexamined_confirmed, "reexamined-confirmed.toml");
scenario_snapshot!(reexamined_revised, "reexamined-revised.toml");
scenario_snapshot!(reexamined_withdrawn, "reexamined-withdrawn.toml");
scenario_snapshot!(cancelled, "cancelled.toml");

// The Chinese report of the scenario with the most kinds of events (extensions, escalation,
// freeze, rejected steps), so a change in its sentences shows as a readable diff too.
#[test]
fn overdue_with_extension_in_chinese() {
    let report = run(
        "overdue-with-extension.toml",
        include_str!("../../../workflows/scenarios/overdue-with-extension.toml"),
    );
    insta::assert_snapshot!(simulation_report(&report, &metrology(), Language::Zh));
}

#[test]
fn the_report_reads_in_chinese_too() {
    let report = run(
        "consultation-too-short.toml",
        include_str!("../../../workflows/scenarios/consultation-too-short.toml"),
    );
    let text = simulation_report(&report, &metrology(), Language::Zh);
    assert!(text.contains("征求意见期为21天，少于规定的30天"), "{text}");
    assert!(text.contains("征求意见单位15家，少于规定的20家"), "{text}");
}

#[test]
fn every_file_in_the_scenarios_folder_has_a_snapshot_test() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../workflows/scenarios");
    let this_file = include_str!("scenarios.rs");
    for entry in std::fs::read_dir(folder).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            this_file.contains(&format!("\"{name}\"")),
            "{name} has no snapshot test in scenarios.rs"
        );
    }
}

#[test]
fn the_state_as_of_an_instant_is_the_fold_of_the_records_up_to_it() {
    let report = run(
        "to-in-force.toml",
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
    );
    let instant = chrono::DateTime::parse_from_rfc3339("2026-07-01T00:00:00+08:00")
        .unwrap()
        .to_utc();
    let as_of = replay_as_of(&report.records, AsOf::Instant(instant)).unwrap();
    assert_eq!(as_of.stage(), "consultation");
    assert!(as_of.last_event_at.is_some_and(|last| last <= instant));
    let by_sequence = replay_as_of(&report.records, AsOf::Sequence(4)).unwrap();
    assert_eq!(by_sequence.stage(), "proposal");
    assert_eq!(by_sequence.events_applied, 4);
}

/// A command with a date that does not exist was refused as "the command is not valid: input is
/// out of range" at its step's header: now the field and the line of the date are named.
#[test]
fn an_impossible_date_in_a_command_names_its_field_and_its_line() {
    let text = r#"
[[step]]
at = "2026-01-05T09:00:00+08:00"
actor = { id = "bureau-li", role = "supervisor" }
command = "fix_plan"

[step.due_dates]
overall = "2027-06-30"
drafting = "2026-02-30"
"#;
    let problems = specflow_engine::scenario::parse_scenario("plan.toml", text).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.line, Some(9), "{problem}");
    assert!(
        problem.message.contains("'due_dates.drafting'")
            && problem.message.contains("2026-02-30")
            && problem.message.contains("2026-02 has 28 days"),
        "{problem}"
    );
    assert!(problem.to_string().starts_with("plan.toml:9:"), "{problem}");
}

/// The instant of a step on a day that does not exist is named with its line too.
#[test]
fn an_impossible_day_in_a_steps_instant_names_its_line() {
    let text = "\n[[step]]\nactor = { id = \"sec-wang\", role = \"secretariat\" }\nat = \"2026-02-30T09:00:00+08:00\"\ncommand = \"sign_off\"\nsubject = \"x\"\n";
    let problems = specflow_engine::scenario::parse_scenario("late.toml", text).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, Some(4), "{}", problems[0]);
    assert!(
        problems[0].message.contains("'at'") && problems[0].message.contains("no day 30"),
        "{}",
        problems[0]
    );
}
