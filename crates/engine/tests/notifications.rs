//! Who hears of what: the definition's `[[notifications]]` rules and the words of each notice.

use specflow_engine::ProjectState;
use specflow_engine::notify::{Notice, notices_for};
use specflow_engine::scenario::{parse_scenario, simulate};

use crate::support::metrology;

/// Every notice of a scenario, with the sequence of the record that caused it.
fn notices_of(name: &str, text: &str) -> Vec<(u64, Notice)> {
    let definition = metrology();
    let scenario = parse_scenario(name, text).unwrap();
    let report = simulate(definition, &scenario).unwrap_or_else(|error| panic!("{error}"));
    let mut state = ProjectState::new();
    let mut notices = Vec::new();
    for record in &report.records {
        let event = record.to_event().unwrap();
        state.apply(&event);
        for notice in notices_for(definition, &state, &event) {
            notices.push((record.sequence, notice));
        }
    }
    notices
}

fn overdue() -> Vec<(u64, Notice)> {
    notices_of(
        "overdue-with-extension.toml",
        include_str!("../../../workflows/scenarios/overdue-with-extension.toml"),
    )
}

#[test]
fn a_missed_deadline_tells_the_drafting_group_and_the_secretariat_what_to_do() {
    let notices = overdue();
    let missed: Vec<&Notice> = notices
        .iter()
        .map(|(_, notice)| notice)
        .filter(|notice| notice.event_type == "deadline_missed")
        .collect();
    assert!(!missed.is_empty());
    let audiences: Vec<&str> = missed
        .iter()
        .map(|notice| notice.audience.as_str())
        .collect();
    assert!(audiences.contains(&"drafter") && audiences.contains(&"secretariat"));
    assert!(!audiences.contains(&"supervisor"), "{audiences:?}");
    let notice = missed[0];
    assert!(
        notice.what_happened.en.contains("JJG(沪)-2026-001"),
        "{notice:?}"
    );
    assert!(notice.what_next.en.contains("is overdue"), "{notice:?}");
    assert!(
        notice.what_next.en.contains("request an extension"),
        "{notice:?}"
    );
    assert!(notice.what_next.zh.contains("逾期"), "{notice:?}");
    assert!(notice.what_next.zh.contains("申请延期"), "{notice:?}");
}

#[test]
fn escalation_and_freeze_reach_the_bureau() {
    let notices = overdue();
    for event_type in ["project_escalated", "project_frozen", "extension_requested"] {
        assert!(
            notices
                .iter()
                .any(|(_, notice)| notice.event_type == event_type
                    && notice.audience == "supervisor"),
            "{event_type} does not reach the bureau"
        );
    }
    let frozen = notices
        .iter()
        .find(|(_, notice)| notice.event_type == "project_frozen")
        .unwrap();
    assert!(
        frozen.1.what_next.en.contains("lifting the freeze"),
        "{frozen:?}"
    );
}

#[test]
fn each_audience_hears_of_an_event_once() {
    let notices = overdue();
    for (index, (sequence, notice)) in notices.iter().enumerate() {
        let again = notices[index + 1..].iter().any(|(other_sequence, other)| {
            other_sequence == sequence && other.audience == notice.audience
        });
        assert!(
            !again,
            "record {sequence} notifies {} twice",
            notice.audience
        );
    }
}

#[test]
fn entering_a_stage_says_which_actions_come_next_and_by_whom() {
    let notices = notices_of(
        "to-in-force.toml",
        include_str!("../../../workflows/scenarios/to-in-force.toml"),
    );
    let consultation = notices
        .iter()
        .map(|(_, notice)| notice)
        .find(|notice| {
            notice.event_type == "action_fired" && notice.what_next.en.contains("consultation")
        })
        .unwrap();
    assert!(
        consultation.what_next.en.contains("next:"),
        "{consultation:?}"
    );
    assert!(
        consultation.what_next.en.contains("(by "),
        "{consultation:?}"
    );
    // Recording a comment is nobody's business but the drafting group's: no rule names it.
    assert!(
        notices
            .iter()
            .all(|(_, notice)| notice.event_type != "comment_recorded")
    );
}

#[test]
fn a_rule_naming_an_unknown_event_or_role_is_refused_with_its_place() {
    let text = include_str!("../../../workflows/metrology-spec.toml").replace(
        "on = [\"extension_requested\"]\naudiences = [\"supervisor\"]",
        "on = [\"extension_asked\"]\naudiences = [\"mayor\"]",
    );
    let error = specflow_engine::WorkflowDefinition::from_toml("metrology-spec.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("unknown event type 'extension_asked'"),
        "{error}"
    );
    assert!(error.contains("unknown role 'mayor'"), "{error}");
    assert!(error.contains("metrology-spec.toml:"), "{error}");
}

#[test]
fn entering_applies_only_to_action_fired() {
    let text = include_str!("../../../workflows/metrology-spec.toml").replace(
        "on = [\"project_cancelled\"]",
        "on = [\"project_cancelled\"]\nentering = [\"review\"]",
    );
    let error = specflow_engine::WorkflowDefinition::from_toml("metrology-spec.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`entering` applies only to `action_fired`"),
        "{error}"
    );
}
