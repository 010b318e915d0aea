//! Every guard kind, met and not met: given a project's history, when an action is fired,
//! then the project moves on, or the rejection lists every unmet guard with its code, figures
//! and a sentence in Chinese and English.
//!
//! Guards the shipped definitions use are tried through `metrology-spec.toml` and
//! `iso-standard.toml`; the others (months, working days, combinators) through the small lab
//! definition of `support.rs`.

use crate::support::*;
use serde_json::json;
use specflow_engine::command::Disposition;
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Event, EventBody, available_actions};

// ---------------------------------------------------------------------------------------------
// artifacts_present, applies_to, signed_off: opening the consultation.

fn drafting(kind: &str) -> Vec<Event> {
    project_in(kind, "drafting", "2025-02-03")
}

#[test]
fn opening_the_consultation_needs_both_drafts_and_the_completeness_check() {
    let rejection = given(metrology(), &drafting(CALIBRATION))
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_rejected_with(&["artifacts_missing", "sign_off_missing"]);
    let missing = reason(&rejection, "artifacts_missing");
    assert_eq!(missing.guard.as_deref(), Some("artifacts_present"));
    assert_eq!(
        figure(missing, "missing"),
        &json!(["consultation_draft", "explanatory_note"])
    );
    assert_eq!(missing.message.zh, "缺少征求意见稿、编制说明");
    assert_eq!(
        missing.message.en,
        "Missing: consultation draft, explanatory note"
    );
    let unsigned = reason(&rejection, "sign_off_missing");
    assert_eq!(figure(unsigned, "subject"), "completeness_check");
    assert_eq!(figure(unsigned, "by_role"), "secretariat");
}

#[test]
fn a_verification_regulation_also_needs_its_test_evidence_and_every_gap_is_listed_at_once() {
    let rejection = given(metrology(), &drafting(VERIFICATION))
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_rejected_with(&["artifacts_missing", "artifacts_missing", "sign_off_missing"]);
    assert_eq!(
        guards_named(&rejection),
        ["artifacts_present", "verification_evidence", "signed_off"]
    );
    assert_eq!(
        figure(&rejection.reasons[1], "missing"),
        &json!(["test_report", "uncertainty_evaluation"])
    );
}

#[test]
fn only_the_missing_documents_are_named() {
    let history = with(
        drafting(VERIFICATION),
        vec![
            event("2025-02-04", &drafter(), attached("consultation_draft")),
            event("2025-02-04", &drafter(), attached("explanatory_note")),
            event("2025-02-05", &drafter(), attached("test_report")),
            event("2025-02-06", &secretary(), signed("completeness_check")),
        ],
    );
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_rejected_with(&["artifacts_missing"]);
    let missing = &rejection.reasons[0];
    assert_eq!(missing.guard.as_deref(), Some("verification_evidence"));
    assert_eq!(
        figure(missing, "missing"),
        &json!(["uncertainty_evaluation"])
    );
    assert_eq!(missing.message.zh, "缺少不确定度评定报告");
}

#[test]
fn with_every_document_and_the_check_the_consultation_opens() {
    for kind in [VERIFICATION, CALIBRATION] {
        let mut history = drafting(kind);
        for document in [
            "consultation_draft",
            "explanatory_note",
            "test_report",
            "uncertainty_evaluation",
        ] {
            history.push(event("2025-02-04", &drafter(), attached(document)));
        }
        history.push(event(
            "2025-02-06",
            &secretary(),
            signed("completeness_check"),
        ));
        let body = given(metrology(), &history)
            .when(&secretary(), fire("open_consultation"), "2025-02-10")
            .then_moves_to("consultation");
        assert_eq!(body, moved("open_consultation", "drafting", "consultation"));
    }
}

#[test]
fn test_evidence_is_not_asked_of_a_calibration_specification() {
    let history = with(
        drafting(CALIBRATION),
        vec![
            event("2025-02-04", &drafter(), attached("consultation_draft")),
            event("2025-02-04", &drafter(), attached("explanatory_note")),
            event("2025-02-06", &secretary(), signed("completeness_check")),
        ],
    );
    given(metrology(), &history)
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_moves_to("consultation");
}

#[test]
fn a_sign_off_counts_only_from_the_right_role_and_in_the_current_stage() {
    let documents = || {
        vec![
            event("2025-02-04", &drafter(), attached("consultation_draft")),
            event("2025-02-04", &drafter(), attached("explanatory_note")),
        ]
    };
    // The chair signing the completeness check is not the secretariat's check.
    let history = with(
        drafting(CALIBRATION),
        with(
            documents(),
            vec![event("2025-02-06", &chair(), signed("completeness_check"))],
        ),
    );
    given(metrology(), &history)
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_rejected_with(&["sign_off_missing"]);

    // A check signed while the project was still in the proposal stage is stale.
    let mut history = project_in(CALIBRATION, "proposal", "2025-01-20");
    history.extend(documents());
    history.push(event(
        "2025-01-25",
        &secretary(),
        signed("completeness_check"),
    ));
    history.push(event(
        "2025-02-03",
        &supervisor(),
        moved("approve_project", "proposal", "drafting"),
    ));
    given(metrology(), &history)
        .when(&secretary(), fire("open_consultation"), "2025-02-10")
        .then_rejected_with(&["sign_off_missing"]);
}

// ---------------------------------------------------------------------------------------------
// time_in_stage_at_least and count_at_least: closing the consultation.

fn consultation_opened(on: &str, organisations: usize) -> Vec<Event> {
    let mut history = project_in(VERIFICATION, "consultation", on);
    if organisations > 0 {
        history.push(event(on, &secretary(), consulted(1, organisations)));
    }
    history
}

#[test]
fn a_consultation_of_21_days_is_too_short() {
    let rejection = given(metrology(), &consultation_opened("2025-03-03", 25))
        .when(&secretary(), fire("close_consultation"), "2025-03-24")
        .then_rejected_with(&["time_in_stage_too_short"]);
    let too_short = &rejection.reasons[0];
    assert_eq!(too_short.guard.as_deref(), Some("consultation_period"));
    assert_eq!(figure(too_short, "elapsed_days"), 21);
    assert_eq!(figure(too_short, "required"), "30 days");
    assert_eq!(figure(too_short, "earliest"), "2025-04-02");
    assert!(
        too_short.message.zh.contains("征求意见期为21天"),
        "{}",
        too_short.message.zh
    );
    assert_eq!(
        too_short.message.zh,
        "征求意见期为21天，少于规定的30天（最早可于2025-04-02进入下一阶段）"
    );
    assert_eq!(
        too_short.message.en,
        "The public consultation lasted 21 days; at least 30 days are required (not before 2025-04-02)"
    );
}

#[test]
fn a_consultation_closes_on_its_thirtieth_day_and_not_the_day_before() {
    let project = given(metrology(), &consultation_opened("2025-03-03", 20));
    let rejection = project
        .when(&secretary(), fire("close_consultation"), "2025-04-01")
        .then_rejected_with(&["time_in_stage_too_short"]);
    assert_eq!(figure(&rejection.reasons[0], "elapsed_days"), 29);
    project
        .when(&secretary(), fire("close_consultation"), "2025-04-02")
        .then_moves_to("resolution");
}

#[test]
fn days_are_counted_on_shanghai_local_dates_not_in_hours() {
    // Opened at 23:30 on 3 March, Shanghai time; closed five minutes into 2 April: thirty local
    // days, although less than 30 × 24 hours.
    let project = given(metrology(), &consultation_opened("2025-03-03 23:30", 20));
    let rejection = project
        .when(&secretary(), fire("close_consultation"), "2025-04-01 23:59")
        .then_rejected_with(&["time_in_stage_too_short"]);
    assert_eq!(figure(&rejection.reasons[0], "elapsed_days"), 29);
    project
        .when(&secretary(), fire("close_consultation"), "2025-04-02 00:05")
        .then_moves_to("resolution");
}

#[test]
fn a_consultation_must_reach_twenty_organisations() {
    let rejection = given(metrology(), &consultation_opened("2025-03-03", 19))
        .when(&secretary(), fire("close_consultation"), "2025-04-10")
        .then_rejected_with(&["count_too_low"]);
    let too_few = &rejection.reasons[0];
    assert_eq!(too_few.guard.as_deref(), Some("organisations_consulted"));
    assert_eq!(figure(too_few, "count"), 19);
    assert_eq!(figure(too_few, "minimum"), 20);
    assert_eq!(too_few.message.zh, "征求意见单位19家，少于规定的20家");
    given(metrology(), &consultation_opened("2025-03-03", 20))
        .when(&secretary(), fire("close_consultation"), "2025-04-10")
        .then_moves_to("resolution");
}

#[test]
fn an_organisation_consulted_twice_counts_once() {
    let mut history = consultation_opened("2025-03-03", 15);
    history.push(event("2025-03-10", &secretary(), consulted(10, 19)));
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("close_consultation"), "2025-04-10")
        .then_rejected_with(&["count_too_low"]);
    assert_eq!(figure(&rejection.reasons[0], "count"), 19);
}

#[test]
fn every_unmet_guard_is_listed_at_once_with_the_role_first() {
    let project = given(metrology(), &consultation_opened("2025-03-03", 12));
    let rejection = project
        .when(&secretary(), fire("close_consultation"), "2025-03-24")
        .then_rejected_with(&["time_in_stage_too_short", "count_too_low"]);
    assert_eq!(
        guards_named(&rejection),
        ["consultation_period", "organisations_consulted"]
    );
    let rejection = project
        .when(&drafter(), fire("close_consultation"), "2025-03-24")
        .then_rejected_with(&[
            "role_not_permitted",
            "time_in_stage_too_short",
            "count_too_low",
        ]);
    assert_eq!(
        rejection.to_string(),
        "The role drafting group may not fire 'close the consultation'; roles that may: committee secretariat\n\
         The public consultation lasted 21 days; at least 30 days are required (not before 2025-04-02)\n\
         12 organisations were consulted; at least 20 are required"
    );
}

#[test]
fn the_buttons_show_what_stands_in_the_way() {
    let project = given(metrology(), &consultation_opened("2025-03-03", 25));
    let actions = available_actions(project.state(), metrology(), &secretary(), at("2025-03-24"));
    let summary: Vec<(&str, Vec<&str>)> = actions
        .iter()
        .map(|action| {
            (
                action.action.as_str(),
                action
                    .unmet
                    .iter()
                    .map(|unmet| unmet.code.as_str())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("close_consultation", vec!["time_in_stage_too_short"]),
            ("cancel", vec!["role_not_permitted"]),
        ]
    );
    // The supervisor may cancel now (the reason is typed when the button is pressed).
    let actions = available_actions(
        project.state(),
        metrology(),
        &supervisor(),
        at("2025-03-24"),
    );
    let cancel = actions
        .iter()
        .find(|action| action.action == "cancel")
        .unwrap_or_else(|| panic!("cancel is offered"));
    assert!(cancel.is_ready() && cancel.cancels && cancel.requires_reason);
    let actions = available_actions(project.state(), metrology(), &secretary(), at("2025-04-02"));
    assert!(actions[0].is_ready(), "{:?}", actions[0].unmet);
}

// ---------------------------------------------------------------------------------------------
// Months and working days, on the lab definition.

fn lab_project(definition: &specflow_engine::WorkflowDefinition, on: &str) -> Vec<Event> {
    vec![event(on, &clerk(), created(definition, "regulation"))]
}

#[test]
fn months_are_calendar_months_clamped_to_the_month_end() {
    let definition =
        lab("[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"2 months\"\n");
    let project = given(&definition, &lab_project(&definition, "2025-01-31"));
    let rejection = project
        .when(&clerk(), fire("go"), "2025-03-30")
        .then_rejected_with(&["time_in_stage_too_short"]);
    let too_short = &rejection.reasons[0];
    assert_eq!(figure(too_short, "earliest"), "2025-03-31");
    assert_eq!(figure(too_short, "elapsed_days"), 58);
    assert_eq!(figure(too_short, "required"), "2 months");
    assert!(too_short.message.zh.contains("少于规定的2个月"));
    project
        .when(&clerk(), fire("go"), "2025-03-31")
        .then_moves_to("end");

    // One month after 31 January is the last day of February.
    let definition =
        lab("[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"1 month\"\n");
    let project = given(&definition, &lab_project(&definition, "2025-01-31"));
    project
        .when(&clerk(), fire("go"), "2025-02-27")
        .then_rejected_with(&["time_in_stage_too_short"]);
    project
        .when(&clerk(), fire("go"), "2025-02-28")
        .then_moves_to("end");
}

#[test]
fn working_days_skip_the_spring_festival_and_count_the_weekend_days_worked_in_exchange() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"10 working days\"\n",
    );
    // From Friday 24 January 2025: Sunday 26 January is worked, 28 January to 4 February are off,
    // Saturday 8 February is worked; the tenth working day is Thursday 13 February.
    let project = given(&definition, &lab_project(&definition, "2025-01-24"));
    let rejection = project
        .when(&clerk(), fire("go"), "2025-02-12")
        .then_rejected_with(&["time_in_stage_too_short"]);
    let too_short = &rejection.reasons[0];
    assert_eq!(figure(too_short, "earliest"), "2025-02-13");
    assert_eq!(figure(too_short, "required"), "10 working days");
    assert_eq!(figure(too_short, "elapsed_days"), 19);
    assert!(too_short.message.zh.contains("少于规定的10个工作日"));
    project
        .when(&clerk(), fire("go"), "2025-02-13")
        .then_moves_to("end");
}

#[test]
fn working_days_skip_the_national_day_week() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"5 working days\"\n",
    );
    // From Friday 26 September 2025: 28 September (a Sunday worked), 29 and 30 September, then
    // 1 to 8 October off, 9 October, and 11 October (a Saturday worked) is not needed: the fifth
    // working day is Friday 10 October.
    let project = given(&definition, &lab_project(&definition, "2025-09-26"));
    let rejection = project
        .when(&clerk(), fire("go"), "2025-10-09")
        .then_rejected_with(&["time_in_stage_too_short"]);
    assert_eq!(figure(&rejection.reasons[0], "earliest"), "2025-10-10");
    project
        .when(&clerk(), fire("go"), "2025-10-10")
        .then_moves_to("end");
}

#[test]
fn working_days_are_not_guessed_without_a_calendar_or_beyond_the_years_on_file() {
    let guards = "[[transitions.guards]]\nguard = \"time_in_stage_at_least\"\nminimum = \"10 working days\"\n";
    let definition = lab_without_calendar(guards);
    let rejection = given(&definition, &lab_project(&definition, "2025-03-03"))
        .when(&clerk(), fire("go"), "2025-06-01")
        .then_rejected_with(&["deadline_not_computable"]);
    assert!(
        rejection.reasons[0]
            .message
            .en
            .contains("no working-day calendar is attached")
    );

    let definition = lab(guards);
    let rejection = given(&definition, &lab_project(&definition, "2026-12-24"))
        .when(&clerk(), fire("go"), "2027-02-01")
        .then_rejected_with(&["deadline_not_computable"]);
    let message = &rejection.reasons[0].message;
    assert!(message.en.contains("falls in 2027"), "{}", message.en);
    assert!(message.zh.contains("无法计算日期"), "{}", message.zh);
}

// ---------------------------------------------------------------------------------------------
// notice_before_meeting and comments_all_disposed: submitting for review.

fn resolution_ready(kind: &str) -> Vec<Event> {
    with(
        project_in(kind, "resolution", "2025-04-02"),
        vec![
            event("2025-04-03", &drafter(), commented("c1")),
            event("2025-04-03", &drafter(), commented("c2")),
            event(
                "2025-04-05",
                &drafter(),
                disposed("c1", Disposition::Accepted),
            ),
            event(
                "2025-04-05",
                &drafter(),
                disposed("c2", Disposition::NotAccepted),
            ),
            event("2025-04-06", &drafter(), attached("disposition_table")),
            event("2025-04-06", &drafter(), attached("review_draft")),
            event("2025-04-08", &chair(), signed("review_draft_release")),
        ],
    )
}

#[test]
fn review_documents_must_go_out_thirty_days_before_the_meeting() {
    let history = with(
        resolution_ready(VERIFICATION),
        vec![event(
            "2025-04-10",
            &secretary(),
            scheduled(
                "review-1",
                "review",
                MeetingForm::Meeting,
                "2025-04-10",
                "2025-05-09",
            ),
        )],
    );
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_rejected_with(&["notice_too_short"]);
    let short = &rejection.reasons[0];
    assert_eq!(short.guard.as_deref(), Some("review_notice"));
    assert_eq!(figure(short, "notice_days"), 29);
    assert_eq!(figure(short, "required"), "30 days");
    assert_eq!(figure(short, "documents_sent_on"), "2025-04-10");
    assert_eq!(figure(short, "meeting_on"), "2025-05-09");
    assert_eq!(
        short.message.en,
        "The technical review documents went out on 2025-04-10, 29 days before the meeting on 2025-05-09; at least 30 days are required (meeting not before 2025-05-10)"
    );

    let history = with(
        resolution_ready(VERIFICATION),
        vec![event(
            "2025-04-10",
            &secretary(),
            scheduled(
                "review-1",
                "review",
                MeetingForm::Meeting,
                "2025-04-10",
                "2025-05-10",
            ),
        )],
    );
    given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_moves_to("review");
}

#[test]
fn a_review_needs_a_scheduled_meeting() {
    let rejection = given(metrology(), &resolution_ready(VERIFICATION))
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_rejected_with(&["meeting_not_scheduled"]);
    assert_eq!(figure(&rejection.reasons[0], "motion"), "review");
    assert_eq!(rejection.reasons[0].message.zh, "尚未安排审定会议");
}

#[test]
fn every_comment_needs_a_disposition_before_review() {
    let history = with(
        resolution_ready(VERIFICATION),
        vec![
            event("2025-04-09", &drafter(), commented("c3")),
            event("2025-04-09", &drafter(), commented("c4")),
            event(
                "2025-04-10",
                &secretary(),
                scheduled(
                    "review-1",
                    "review",
                    MeetingForm::Meeting,
                    "2025-04-10",
                    "2025-05-20",
                ),
            ),
        ],
    );
    let project = given(metrology(), &history);
    let rejection = project
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_rejected_with(&["comments_without_disposition"]);
    let open = &rejection.reasons[0];
    assert_eq!(open.guard.as_deref(), Some("comments_all_disposed"));
    assert_eq!(figure(open, "comments"), &json!(["c3", "c4"]));
    assert_eq!(open.message.zh, "2条意见尚未处理：c3、c4");

    let history = with(
        history,
        vec![
            event(
                "2025-04-11",
                &drafter(),
                disposed("c3", Disposition::PartlyAccepted),
            ),
            event(
                "2025-04-11",
                &drafter(),
                disposed("c4", Disposition::Accepted),
            ),
        ],
    );
    given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-04-12")
        .then_moves_to("review");
}

#[test]
fn the_review_draft_is_released_by_the_chair_and_nobody_else() {
    let history: Vec<Event> = resolution_ready(VERIFICATION)
        .into_iter()
        .filter(|event| !matches!(&event.body, EventBody::SignedOff { .. }))
        .chain([
            event("2025-04-08", &secretary(), signed("review_draft_release")),
            event(
                "2025-04-10",
                &secretary(),
                scheduled(
                    "review-1",
                    "review",
                    MeetingForm::Meeting,
                    "2025-04-10",
                    "2025-05-20",
                ),
            ),
        ])
        .collect();
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_rejected_with(&["sign_off_missing"]);
    assert_eq!(figure(&rejection.reasons[0], "by_role"), "chair");
    assert_eq!(
        rejection.reasons[0].message.en,
        "The committee chair has not signed off: release of the review draft for review"
    );
}

#[test]
fn submitting_with_nothing_ready_lists_every_gap() {
    let history = project_in(VERIFICATION, "resolution", "2025-04-02");
    let mut history = history;
    history.push(event("2025-04-03", &drafter(), commented("c1")));
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-04-11")
        .then_rejected_with(&[
            "artifacts_missing",
            "comments_without_disposition",
            "sign_off_missing",
            "meeting_not_scheduled",
        ]);
    assert_eq!(
        figure(&rejection.reasons[0], "missing"),
        &json!(["disposition_table", "review_draft"])
    );
}

// ---------------------------------------------------------------------------------------------
// vote_held, vote_passes, field_recorded: passing the review.

fn review_with(kind: &str, meetings: Vec<EventBody>) -> Vec<Event> {
    let mut history = with(
        project_in(kind, "review", "2025-05-12"),
        vec![
            event(
                "2025-05-13",
                &secretary(),
                text_recorded(
                    "implementation_transition_arrangement",
                    "发布后6个月内新旧规程并行",
                ),
            ),
            event("2025-05-20", &secretary(), attached("minutes")),
        ],
    );
    for meeting in meetings {
        history.push(event("2025-05-20", &secretary(), meeting));
    }
    history
}

fn review_meeting(form: MeetingForm, ballot: Ballot) -> EventBody {
    met("review-1", "review", form, "2025-05-20", ballot)
}

fn pass_review(kind: &str, form: MeetingForm, ballot: Ballot) -> super::support::Then {
    given(
        metrology(),
        &review_with(kind, vec![review_meeting(form, ballot)]),
    )
    .when(&secretary(), fire("pass_review"), "2025-05-21")
}

#[test]
fn a_quorate_meeting_with_three_quarters_in_favour_passes_the_review() {
    // 10 of 15 is exactly two thirds; 8 of 10 is more than three quarters.
    pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 10,
            in_favour: 8,
            against: 1,
            abstain: 1,
            non_voting: 0,
        },
    )
    .then_moves_to("approval");
}

/// A review meeting of 15 on the roll and 12 present, where 8 vote in favour and the last 4
/// present, who belong to the drafting unit, abstain (回避).
fn review_with_four_recused() -> Vec<Event> {
    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        Ballot {
            roll: 15,
            present: 12,
            in_favour: 8,
            abstain: 4,
            ..Ballot::default()
        },
    );
    record.drafting_unit_members = (9..=12).map(|number| format!("委员{number:02}")).collect();
    review_with(
        VERIFICATION,
        vec![EventBody::MeetingRecorded(Box::new(record))],
    )
}

// Regression: members who must abstain were counted as present, so under "3/4 of those present"
// their recusal weighed like four votes against. The shipped definition leaves them out.
#[test]
fn members_who_must_abstain_are_left_out_of_the_count_by_the_shipped_definition() {
    assert_eq!(
        metrology().recused_members,
        specflow_engine::definition::RecusedMembers::Excluded
    );
    // Counted: 11 on the roll, 8 present, 8 in favour; quorum 8 of 11 and all 8 in favour.
    given(metrology(), &review_with_four_recused())
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_moves_to("approval");
}

#[test]
fn members_who_must_abstain_weigh_against_when_the_definition_counts_them_as_present() {
    let text = METROLOGY_TOML.replace(
        "recused_members = \"excluded\"",
        "recused_members = \"counted_as_present\"",
    );
    let counted = load("metrology-spec.toml", &text).with_calendar(cn_calendar());
    let rejection = given(&counted, &review_with_four_recused())
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["approval_not_reached"]);
    let approval = &rejection.reasons[0];
    assert_eq!(figure(approval, "count"), 8);
    assert_eq!(figure(approval, "base"), 12);
    assert_eq!(figure(approval, "recused_left_out"), 0);
    // Under the shipped definition, three of the eight others voting against fail the vote
    // (5 of 8 is under three quarters), and the message says who was left out of the count.
    let mut history = review_with_four_recused();
    if let Some(EventBody::MeetingRecorded(record)) =
        history.last_mut().map(|event| &mut event.body)
    {
        for vote in record.votes.iter_mut().take(3) {
            vote.choice = specflow_engine::command::VoteChoice::Against;
        }
    }
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["approval_not_reached"]);
    let approval = &rejection.reasons[0];
    assert_eq!(figure(approval, "count"), 5);
    assert_eq!(figure(approval, "base"), 8);
    assert_eq!(figure(approval, "roll"), 11);
    assert_eq!(figure(approval, "recused_left_out"), 4);
    assert!(
        approval
            .message
            .zh
            .ends_with("（应回避的起草单位委员4人不计入）"),
        "{}",
        approval.message.zh
    );
    assert!(
        approval
            .message
            .en
            .ends_with(" (4 drafting-unit members who must abstain are not counted)"),
        "{}",
        approval.message.en
    );
}

#[test]
fn nine_of_fifteen_present_is_no_quorum() {
    let rejection = pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 9,
            in_favour: 9,
            ..Ballot::default()
        },
    )
    .then_rejected_with(&["quorum_not_reached"]);
    let quorum = &rejection.reasons[0];
    assert_eq!(quorum.guard.as_deref(), Some("review_vote"));
    assert_eq!(figure(quorum, "count"), 9);
    assert_eq!(figure(quorum, "base"), 15);
    assert_eq!(figure(quorum, "required"), "2/3");
    assert_eq!(
        quorum.message.en,
        "The vote on technical review: 9 present, out of 15 (the voting roll); required: present at least 2/3 of the voting roll"
    );
    assert_eq!(
        quorum.message.zh,
        "审定表决：出席9人，应到委员为15，要求出席不少于应到委员的2/3"
    );
}

#[test]
fn exactly_three_quarters_of_those_present_is_enough_and_one_less_is_not() {
    let ballot = |in_favour| Ballot {
        roll: 15,
        present: 12,
        in_favour,
        against: 12 - in_favour,
        ..Ballot::default()
    };
    pass_review(VERIFICATION, MeetingForm::Meeting, ballot(9)).then_moves_to("approval");
    let rejection = pass_review(VERIFICATION, MeetingForm::Meeting, ballot(8))
        .then_rejected_with(&["approval_not_reached"]);
    let approval = &rejection.reasons[0];
    assert_eq!(figure(approval, "count"), 8);
    assert_eq!(figure(approval, "base"), 12);
    assert_eq!(figure(approval, "required"), "3/4");
    assert_eq!(figure(approval, "against"), 4);
}

#[test]
fn members_present_who_do_not_vote_count_against_three_quarters() {
    // 12 present, 9 in favour and 3 silent: 9 of 12 is still three quarters.
    pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 12,
            in_favour: 9,
            ..Ballot::default()
        },
    )
    .then_moves_to("approval");
    // 13 present, 9 in favour, 4 abstaining: 9 of 13 is less.
    pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 13,
            in_favour: 9,
            abstain: 4,
            ..Ballot::default()
        },
    )
    .then_rejected_with(&["approval_not_reached"]);
}

#[test]
fn corresponding_members_and_invited_representatives_never_count() {
    let rejection = pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 9,
            in_favour: 9,
            non_voting: 4,
            ..Ballot::default()
        },
    )
    .then_rejected_with(&["quorum_not_reached"]);
    assert_eq!(figure(&rejection.reasons[0], "present"), 9);
    assert_eq!(figure(&rejection.reasons[0], "roll"), 15);
}

#[test]
fn no_quorum_and_too_few_in_favour_are_reported_together() {
    let rejection = pass_review(
        VERIFICATION,
        MeetingForm::Meeting,
        Ballot {
            roll: 15,
            present: 9,
            in_favour: 6,
            against: 3,
            ..Ballot::default()
        },
    )
    .then_rejected_with(&["quorum_not_reached", "approval_not_reached"]);
    assert_eq!(guards_named(&rejection), ["review_vote", "review_vote"]);
}

#[test]
fn a_verification_regulation_is_reviewed_at_a_meeting_not_by_letter() {
    let passing = Ballot {
        roll: 15,
        present: 15,
        in_favour: 15,
        ..Ballot::default()
    };
    let rejection = pass_review(VERIFICATION, MeetingForm::Letter, passing)
        .then_rejected_with(&["wrong_meeting_form"]);
    let form = &rejection.reasons[0];
    assert_eq!(form.guard.as_deref(), Some("meeting_required"));
    assert_eq!(figure(form, "required_form"), "meeting");
    assert_eq!(
        form.message.en,
        "The technical review must be voted at a meeting, not by letter"
    );
    // Other kinds may be reviewed by letter (函审).
    pass_review(CALIBRATION, MeetingForm::Letter, passing).then_moves_to("approval");
}

#[test]
fn without_a_vote_nothing_passes() {
    let rejection = given(metrology(), &review_with(VERIFICATION, Vec::new()))
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["vote_not_held", "vote_not_held"]);
    assert_eq!(
        guards_named(&rejection),
        ["meeting_required", "review_vote"]
    );
    given(metrology(), &review_with(CALIBRATION, Vec::new()))
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["vote_not_held"]);
}

#[test]
fn a_vote_held_before_the_project_reached_review_does_not_count() {
    let mut history = project_in(VERIFICATION, "resolution", "2025-04-02");
    history.push(event(
        "2025-04-20",
        &secretary(),
        met(
            "early",
            "review",
            MeetingForm::Meeting,
            "2025-04-20",
            Ballot {
                roll: 15,
                present: 15,
                in_favour: 15,
                ..Ballot::default()
            },
        ),
    ));
    history.push(event(
        "2025-05-12",
        &secretary(),
        moved("submit_for_review", "resolution", "review"),
    ));
    history.push(event(
        "2025-05-13",
        &secretary(),
        text_recorded("implementation_transition_arrangement", "并行6个月"),
    ));
    history.push(event("2025-05-13", &secretary(), attached("minutes")));
    given(metrology(), &history)
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["vote_not_held", "vote_not_held"]);
}

#[test]
fn the_latest_meeting_of_the_stage_decides() {
    let failed = met(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        Ballot {
            roll: 15,
            present: 12,
            in_favour: 6,
            against: 6,
            ..Ballot::default()
        },
    );
    let passed = met(
        "review-2",
        "review",
        MeetingForm::Meeting,
        "2025-06-20",
        Ballot {
            roll: 15,
            present: 12,
            in_favour: 10,
            against: 2,
            ..Ballot::default()
        },
    );
    given(
        metrology(),
        &review_with(VERIFICATION, vec![failed.clone(), passed.clone()]),
    )
    .when(&secretary(), fire("pass_review"), "2025-06-21")
    .then_moves_to("approval");
    given(
        metrology(),
        &review_with(VERIFICATION, vec![passed, failed]),
    )
    .when(&secretary(), fire("pass_review"), "2025-06-21")
    .then_rejected_with(&["approval_not_reached"]);
}

#[test]
fn the_implementation_transition_arrangement_must_be_recorded() {
    let history: Vec<Event> = review_with(
        VERIFICATION,
        vec![review_meeting(
            MeetingForm::Meeting,
            Ballot {
                roll: 15,
                present: 15,
                in_favour: 15,
                ..Ballot::default()
            },
        )],
    )
    .into_iter()
    .filter(|event| !matches!(&event.body, EventBody::FieldRecorded { .. }))
    .collect();
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("pass_review"), "2025-05-21")
        .then_rejected_with(&["field_missing"]);
    assert_eq!(
        figure(&rejection.reasons[0], "field"),
        "implementation_transition_arrangement"
    );
    assert_eq!(rejection.reasons[0].message.zh, "尚未记录实施过渡安排");
}

// ---------------------------------------------------------------------------------------------
// not: a failed review returns to resolution, a passed one cannot.

#[test]
fn a_failed_review_returns_to_resolution_with_a_reason() {
    let history = review_with(
        VERIFICATION,
        vec![review_meeting(
            MeetingForm::Meeting,
            Ballot {
                roll: 15,
                present: 12,
                in_favour: 7,
                against: 5,
                ..Ballot::default()
            },
        )],
    );
    let project = given(metrology(), &history);
    project
        .when(&secretary(), fire("fail_review"), "2025-05-21")
        .then_rejected_with(&["reason_required"]);
    project
        .when(
            &secretary(),
            fire_because("fail_review", "赞成票不足四分之三"),
            "2025-05-21",
        )
        .then_fires(&EventBody::ActionFired {
            action: "fail_review".to_string(),
            from: "review".to_string(),
            to: "resolution".to_string(),
            reason: Some("赞成票不足四分之三".to_string()),
            waived_guards: Vec::new(),
        });
}

#[test]
fn a_review_that_passed_cannot_be_recorded_as_failed() {
    let history = review_with(
        VERIFICATION,
        vec![review_meeting(
            MeetingForm::Meeting,
            Ballot {
                roll: 15,
                present: 12,
                in_favour: 10,
                against: 2,
                ..Ballot::default()
            },
        )],
    );
    let rejection = given(metrology(), &history)
        .when(
            &secretary(),
            fire_because("fail_review", "不满意"),
            "2025-05-21",
        )
        .then_rejected_with(&["condition_holds"]);
    let holds = &rejection.reasons[0];
    assert_eq!(holds.guard.as_deref(), Some("review_vote_failed"));
    assert_eq!(figure(holds, "condition"), "vote_passes");
    // Nor can a review be failed before anyone voted.
    given(metrology(), &review_with(VERIFICATION, Vec::new()))
        .when(
            &secretary(),
            fire_because("fail_review", "没开会"),
            "2025-05-21",
        )
        .then_rejected_with(&["vote_not_held"]);
}

// Regression: the notice guard took the latest meeting scheduled in any stage visit, so after a
// failed review the first meeting's schedule (whose notice had been long enough) let the project
// be resubmitted for a second meeting of which the reviewers had no notice at all.
#[test]
fn a_second_review_meeting_needs_its_own_notice() {
    let mut history = with(
        resolution_ready(VERIFICATION),
        vec![
            event(
                "2025-04-10",
                &secretary(),
                scheduled(
                    "review-1",
                    "review",
                    MeetingForm::Meeting,
                    "2025-04-10",
                    "2025-05-20",
                ),
            ),
            event(
                "2025-04-11",
                &secretary(),
                moved("submit_for_review", "resolution", "review"),
            ),
            event(
                "2025-05-20",
                &secretary(),
                met(
                    "review-1",
                    "review",
                    MeetingForm::Meeting,
                    "2025-05-20",
                    Ballot {
                        roll: 15,
                        present: 12,
                        in_favour: 6,
                        against: 6,
                        ..Ballot::default()
                    },
                ),
            ),
            event(
                "2025-05-21",
                &secretary(),
                EventBody::ActionFired {
                    action: "fail_review".to_string(),
                    from: "review".to_string(),
                    to: "resolution".to_string(),
                    reason: Some("赞成票不足".to_string()),
                    waived_guards: Vec::new(),
                },
            ),
            event("2025-06-01", &chair(), signed("review_draft_release")),
        ],
    );
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-06-02")
        .then_rejected_with(&["meeting_not_scheduled"]);
    assert_eq!(rejection.reasons[0].guard.as_deref(), Some("review_notice"));

    // A new schedule with short notice is judged on its own dates, and a long one passes.
    history.push(event(
        "2025-06-02",
        &secretary(),
        scheduled(
            "review-2",
            "review",
            MeetingForm::Meeting,
            "2025-06-02",
            "2025-06-20",
        ),
    ));
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-06-03")
        .then_rejected_with(&["notice_too_short"]);
    assert_eq!(figure(&rejection.reasons[0], "notice_days"), 18);
    history.push(event(
        "2025-06-03",
        &secretary(),
        scheduled(
            "review-3",
            "review",
            MeetingForm::Meeting,
            "2025-06-03",
            "2025-07-03",
        ),
    ));
    given(metrology(), &history)
        .when(&secretary(), fire("submit_for_review"), "2025-06-04")
        .then_moves_to("review");
}

#[test]
fn the_first_review_meeting_still_counts_while_the_project_is_in_review() {
    // The notice guard on a transition out of the review stage itself (here in the lab) sees the
    // meeting scheduled before, even once that meeting has been held in the current stage.
    let definition = lab(
        "[[transitions.guards]]\nguard = \"notice_before_meeting\"\nmotion = \"ballot\"\nminimum = \"10 days\"\n",
    );
    let history = vec![
        event("2025-03-01", &clerk(), created(&definition, "regulation")),
        event(
            "2025-03-02",
            &clerk(),
            scheduled(
                "b-1",
                "ballot",
                MeetingForm::Meeting,
                "2025-03-02",
                "2025-03-12",
            ),
        ),
        event(
            "2025-03-12",
            &clerk(),
            met(
                "b-1",
                "ballot",
                MeetingForm::Meeting,
                "2025-03-12",
                Ballot {
                    roll: 3,
                    present: 3,
                    in_favour: 3,
                    ..Ballot::default()
                },
            ),
        ),
    ];
    given(&definition, &history)
        .when(&clerk(), fire("go"), "2025-03-13")
        .then_moves_to("end");
}

// ---------------------------------------------------------------------------------------------
// The ISO thresholds: counted on the votes cast, abstentions excluded.

fn iso_enquiry(ballot: Ballot) -> Vec<Event> {
    let definition = iso();
    vec![
        event(
            "2025-01-06",
            &iso_manager(),
            created(definition, "international_standard"),
        ),
        event(
            "2025-01-06",
            &iso_manager(),
            moved("register_enquiry_draft", "committee", "enquiry"),
        ),
        event("2025-03-31", &iso_central(), attached("comments_table")),
        event("2025-03-31", &iso_central(), attached("final_draft")),
        event(
            "2025-03-31",
            &iso_central(),
            met(
                "dis",
                "enquiry_ballot",
                MeetingForm::Letter,
                "2025-03-31",
                ballot,
            ),
        ),
    ]
}

/// ISO's committee manager.
fn iso_manager() -> specflow_engine::Actor {
    specflow_engine::Actor::new("iso.manager", "committee_manager")
}

/// ISO's Central Secretariat.
fn iso_central() -> specflow_engine::Actor {
    specflow_engine::Actor::new("iso.cs", "central_secretariat")
}

fn approve_enquiry(ballot: Ballot) -> super::support::Then {
    given(iso(), &iso_enquiry(ballot)).when(
        &iso_central(),
        fire("approve_enquiry_draft"),
        "2025-04-01",
    )
}

#[test]
fn an_iso_ballot_passes_with_two_thirds_in_favour_and_a_quarter_against_abstentions_excluded() {
    // 6 for, 2 against, 12 abstaining: 6 of the 8 votes cast is three quarters, 2 of 8 exactly a
    // quarter; the 12 abstentions count for nothing.
    approve_enquiry(Ballot {
        roll: 30,
        present: 20,
        in_favour: 6,
        against: 2,
        abstain: 12,
        non_voting: 0,
    })
    .then_moves_to("approval");
}

#[test]
fn an_iso_ballot_fails_with_more_than_a_quarter_against() {
    // 10 for and 4 against: 10 of 14 is over two thirds, but 4 of 14 is over a quarter.
    let rejection = approve_enquiry(Ballot {
        roll: 30,
        present: 20,
        in_favour: 10,
        against: 4,
        abstain: 6,
        non_voting: 0,
    })
    .then_rejected_with(&["too_many_against"]);
    let against = &rejection.reasons[0];
    assert_eq!(figure(against, "count"), 4);
    assert_eq!(figure(against, "base"), 14);
    assert_eq!(figure(against, "required"), "1/4");
    assert_eq!(figure(against, "abstain"), 6);
    assert_eq!(
        against.message.en,
        "The vote on enquiry (DIS) ballot: 4 against, out of 14 (the votes cast (abstentions excluded)); required: against at most 1/4 of the votes cast (abstentions excluded)"
    );
}

#[test]
fn an_iso_ballot_at_exactly_two_thirds_in_favour_passes_that_clause() {
    // 8 of 12 is exactly two thirds (in favour holds); 4 of 12 is a third (against fails).
    approve_enquiry(Ballot {
        roll: 30,
        present: 12,
        in_favour: 8,
        against: 4,
        ..Ballot::default()
    })
    .then_rejected_with(&["too_many_against"]);
    // 7 of 11 is less than two thirds and 4 of 11 more than a quarter: both are reported.
    approve_enquiry(Ballot {
        roll: 30,
        present: 11,
        in_favour: 7,
        against: 4,
        ..Ballot::default()
    })
    .then_rejected_with(&["approval_not_reached", "too_many_against"]);
}

#[test]
fn an_iso_ballot_in_which_everyone_abstains_does_not_pass() {
    let rejection = approve_enquiry(Ballot {
        roll: 30,
        present: 10,
        abstain: 10,
        ..Ballot::default()
    })
    .then_rejected_with(&["approval_not_reached"]);
    assert_eq!(figure(&rejection.reasons[0], "base"), 0);
}

#[test]
fn an_iso_enquiry_ballot_runs_twelve_weeks() {
    let history = iso_enquiry(Ballot {
        roll: 30,
        present: 20,
        in_favour: 20,
        ..Ballot::default()
    });
    // The ballot closed early, on 30 March, one day short of twelve weeks.
    let history: Vec<Event> = history
        .into_iter()
        .map(|mut event| {
            event.occurred_at = event.occurred_at.min(at("2025-03-30"));
            if let EventBody::MeetingRecorded(record) = &mut event.body {
                record.held_on = day("2025-03-30");
            }
            event
        })
        .collect();
    let rejection = given(iso(), &history)
        .when(&iso_central(), fire("approve_enquiry_draft"), "2025-03-30")
        .then_rejected_with(&["time_in_stage_too_short"]);
    assert_eq!(rejection.reasons[0].guard.as_deref(), Some("ballot_period"));
    assert_eq!(figure(&rejection.reasons[0], "earliest"), "2025-03-31");
    assert_eq!(figure(&rejection.reasons[0], "required"), "12 weeks");
}

fn iso_systematic_review(ballot: Ballot) -> super::support::Then {
    let history = vec![
        event(
            "2025-01-06",
            &iso_manager(),
            created(iso(), "international_standard"),
        ),
        event(
            "2025-01-06",
            &iso_manager(),
            moved("open_systematic_review", "published", "review"),
        ),
        event(
            "2025-02-06",
            &iso_manager(),
            met("sr", "confirm", MeetingForm::Letter, "2025-02-06", ballot),
        ),
    ];
    given(iso(), &history).when(&iso_manager(), fire("confirm"), "2025-02-07")
}

#[test]
fn an_iso_systematic_review_needs_more_than_half_of_the_votes_cast() {
    let ballot = |in_favour, against, abstain| Ballot {
        roll: 25,
        present: in_favour + against + abstain,
        in_favour,
        against,
        abstain,
        non_voting: 0,
    };
    let rejection =
        iso_systematic_review(ballot(5, 5, 0)).then_rejected_with(&["approval_not_reached"]);
    assert_eq!(figure(&rejection.reasons[0], "required"), "1/2");
    assert!(rejection.reasons[0].message.en.contains("more than 1/2"));
    iso_systematic_review(ballot(6, 5, 0)).then_moves_to("published");
    // Abstentions are not votes cast: 3 to 2 with 10 abstaining is a majority.
    iso_systematic_review(ballot(3, 2, 10)).then_moves_to("published");
}

#[test]
fn a_metrology_reexamination_needs_more_than_half_of_those_present() {
    let confirm = |in_favour| {
        let history = with(
            project_in(CALIBRATION, "reexamination", "2030-03-01"),
            vec![
                event("2030-03-05", &secretary(), attached("reexamination_report")),
                event(
                    "2030-04-01",
                    &secretary(),
                    met(
                        "re-1",
                        "confirm",
                        MeetingForm::Meeting,
                        "2030-04-01",
                        Ballot {
                            roll: 15,
                            present: 10,
                            in_favour,
                            against: 10 - in_favour,
                            ..Ballot::default()
                        },
                    ),
                ),
            ],
        );
        given(metrology(), &history).when(&secretary(), fire("confirm"), "2030-04-02")
    };
    confirm(5).then_rejected_with(&["approval_not_reached"]);
    confirm(6).then_moves_to("in_force");
}

// ---------------------------------------------------------------------------------------------
// different_actor and date_order: publication and entry into force.

fn approval_stage(passed_by: &specflow_engine::Actor) -> Vec<Event> {
    with(
        project_in(VERIFICATION, "review", "2025-05-12"),
        vec![
            event(
                "2025-05-21",
                passed_by,
                moved("pass_review", "review", "approval"),
            ),
            event("2025-06-01", &drafter(), attached("approval_draft")),
        ],
    )
}

#[test]
fn the_person_who_passed_the_review_may_not_publish() {
    // Wu passed the review acting for the secretariat; Wu may not also publish as the bureau.
    let wu_as_secretary = specflow_engine::Actor::new("wu", "secretariat");
    let wu_as_supervisor = specflow_engine::Actor::new("wu", "supervisor");
    let history = with(
        approval_stage(&wu_as_secretary),
        vec![event(
            "2025-06-05",
            &supervisor(),
            published("2025-06-10", "2025-09-01"),
        )],
    );
    let project = given(metrology(), &history);
    let rejection = project
        .when(&wu_as_supervisor, fire("publish"), "2025-06-10")
        .then_rejected_with(&["same_actor"]);
    let same = &rejection.reasons[0];
    assert_eq!(same.guard.as_deref(), Some("different_actor"));
    assert_eq!(figure(same, "actor"), "wu");
    assert_eq!(figure(same, "action"), "pass_review");
    assert_eq!(
        same.message.en,
        "wu fired 'record the review as passed'; someone else must take this step"
    );
    project
        .when(&supervisor(), fire("publish"), "2025-06-10")
        .then_moves_to("promotion");
}

#[test]
fn publishing_needs_the_publication_dates() {
    let rejection = given(metrology(), &approval_stage(&secretary()))
        .when(&supervisor(), fire("publish"), "2025-06-10")
        .then_rejected_with(&["date_missing"]);
    assert_eq!(
        rejection.reasons[0].guard.as_deref(),
        Some("publication_dates")
    );
    assert_eq!(
        rejection.reasons[0].message.en,
        "the publication date is not known yet"
    );
    // Publication and entry into force on the same day are in order.
    let history = with(
        approval_stage(&secretary()),
        vec![event(
            "2025-06-05",
            &supervisor(),
            published("2025-06-10", "2025-06-10"),
        )],
    );
    given(metrology(), &history)
        .when(&supervisor(), fire("publish"), "2025-06-10")
        .then_moves_to("promotion");
}

fn promotion_stage(kind: &str, more: Vec<Event>) -> Vec<Event> {
    with(
        with(
            project_in(kind, "promotion", "2025-06-10"),
            vec![event(
                "2025-06-05",
                &supervisor(),
                published("2025-06-10", "2025-09-01"),
            )],
        ),
        more,
    )
}

#[test]
fn a_specification_enters_into_force_on_its_effective_date_and_not_before() {
    let history = promotion_stage(
        VERIFICATION,
        vec![
            event("2025-08-20", &secretary(), attached("promotion_record")),
            event(
                "2025-08-20",
                &secretary(),
                date_recorded("promotion_completed_on", "2025-08-20"),
            ),
        ],
    );
    let project = given(metrology(), &history);
    let rejection = project
        .when(&secretary(), fire("enter_into_force"), "2025-08-31")
        .then_rejected_with(&["dates_out_of_order"]);
    let early = &rejection.reasons[0];
    assert_eq!(early.guard.as_deref(), Some("effective_date_reached"));
    assert_eq!(figure(early, "earlier"), "2025-09-01");
    assert_eq!(figure(early, "later"), "2025-08-31");
    assert_eq!(
        early.message.en,
        "the effective date (2025-09-01) must be on or before today (2025-08-31)"
    );
    project
        .when(
            &specflow_engine::Actor::system(),
            fire("enter_into_force"),
            "2025-09-01 00:00",
        )
        .then_moves_to("in_force");
}

#[test]
fn promotion_must_finish_strictly_before_the_effective_date_for_a_verification_regulation() {
    let history = promotion_stage(
        VERIFICATION,
        vec![
            event("2025-09-01", &secretary(), attached("promotion_record")),
            event(
                "2025-09-01",
                &secretary(),
                date_recorded("promotion_completed_on", "2025-09-01"),
            ),
        ],
    );
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("enter_into_force"), "2025-09-02")
        .then_rejected_with(&["dates_out_of_order"]);
    assert_eq!(
        rejection.reasons[0].guard.as_deref(),
        Some("promotion_before_effective_date")
    );
    assert_eq!(
        rejection.reasons[0].message.zh,
        "宣贯完成日期（2025-09-01）须早于实施日期（2025-09-01）"
    );

    // With no promotion at all, both promotion guards say so.
    let rejection = given(metrology(), &promotion_stage(VERIFICATION, Vec::new()))
        .when(&secretary(), fire("enter_into_force"), "2025-09-02")
        .then_rejected_with(&["artifacts_missing", "date_missing"]);
    assert_eq!(
        guards_named(&rejection),
        ["promotion_recorded", "promotion_before_effective_date"]
    );
}

#[test]
fn a_calibration_specification_needs_no_promotion_before_entering_into_force() {
    given(metrology(), &promotion_stage(CALIBRATION, Vec::new()))
        .when(&secretary(), fire("enter_into_force"), "2025-09-01")
        .then_moves_to("in_force");
}

/// The history of `promotion_stage`, with the project created carrying `flag`.
fn flagged(mut history: Vec<Event>, flag: &str) -> Vec<Event> {
    if let EventBody::ProjectCreated { project, .. } = &mut history[0].body {
        project.flags.insert(flag.to_string());
    }
    history
}

const LEGAL_OR_LIVELIHOOD: &str = "legal_or_livelihood_metrology";

// Regression: only the kinds tied to legal metrology had to finish promotion before the effective
// date, while lifecycle-rules.md §4 asks it of any specification tied to legal or livelihood
// metrology, which a calibration specification may be.
#[test]
fn a_calibration_specification_marked_as_tied_to_livelihood_metrology_cannot_skip_promotion() {
    let history = flagged(
        promotion_stage(CALIBRATION, Vec::new()),
        LEGAL_OR_LIVELIHOOD,
    );
    let rejection = given(metrology(), &history)
        .when(&secretary(), fire("enter_into_force"), "2025-09-01")
        .then_rejected_with(&["artifacts_missing", "date_missing"]);
    assert_eq!(
        guards_named(&rejection),
        ["promotion_recorded", "promotion_before_effective_date"]
    );
    let promoted = flagged(
        promotion_stage(
            CALIBRATION,
            vec![
                event("2025-08-20", &secretary(), attached("promotion_record")),
                event(
                    "2025-08-20",
                    &secretary(),
                    date_recorded("promotion_completed_on", "2025-08-20"),
                ),
            ],
        ),
        LEGAL_OR_LIVELIHOOD,
    );
    given(metrology(), &promoted)
        .when(&secretary(), fire("enter_into_force"), "2025-09-01")
        .then_moves_to("in_force");
}

#[test]
fn the_promotion_guards_say_they_apply_to_projects_marked_as_tied_to_legal_metrology() {
    let transition = metrology()
        .transition_from("promotion", "enter_into_force")
        .unwrap_or_else(|| panic!("enter_into_force exists"));
    let guard = transition
        .guards
        .iter()
        .find(|guard| guard.id == "promotion_recorded")
        .unwrap_or_else(|| panic!("promotion_recorded exists"));
    let text = specflow_engine::guard::describe(guard, metrology());
    assert!(
        text.zh
            .contains("仅适用于计量检定规程、型式评价大纲、计量器具检定系统表，以及标记为涉及法制计量或民生计量的项目"),
        "{}",
        text.zh
    );
    assert!(
        text.en
            .contains("and projects marked tied to legal or livelihood metrology"),
        "{}",
        text.en
    );
    // The diagram's edge says the guard does not bind every project.
    let edge = specflow_engine::render::short_summary(
        guard,
        metrology(),
        specflow_engine::text::Language::En,
    );
    assert!(edge.ends_with(" (some projects)"), "{edge}");
}

#[test]
fn a_project_cannot_be_created_with_a_flag_the_definition_does_not_declare() {
    let mut project = new_project(metrology(), CALIBRATION);
    project.flags.insert("livelihood".to_string());
    let rejection = given(metrology(), &[])
        .when(
            &secretary(),
            specflow_engine::Command::CreateProject(project),
            "2025-03-01",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(figure(&rejection.reasons[0], "field"), "flags");
    assert_eq!(
        rejection.reasons[0].message.en,
        "Unknown project flag 'livelihood'; flags are: legal_or_livelihood_metrology"
    );
    assert_eq!(
        rejection.reasons[0].message.zh,
        "未知的项目标记「livelihood」；可用：legal_or_livelihood_metrology"
    );
    let mut project = new_project(metrology(), CALIBRATION);
    project.flags.insert(LEGAL_OR_LIVELIHOOD.to_string());
    given(metrology(), &[])
        .when(
            &secretary(),
            specflow_engine::Command::CreateProject(project),
            "2025-03-01",
        )
        .then_accepted();
}

#[test]
fn a_date_can_be_compared_with_the_day_a_stage_began() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"date_order\"\nearlier = \"stage_entered:start\"\nlater = \"field:done_on\"\nallow_equal = false\n",
    );
    let created_on = vec![event(
        "2025-03-03 23:30",
        &clerk(),
        created(&definition, "guide"),
    )];
    let same_day = with(
        created_on.clone(),
        vec![event(
            "2025-03-04",
            &clerk(),
            date_recorded("done_on", "2025-03-03"),
        )],
    );
    let rejection = given(&definition, &same_day)
        .when(&clerk(), fire("go"), "2025-03-05")
        .then_rejected_with(&["dates_out_of_order"]);
    assert_eq!(
        rejection.reasons[0].message.en,
        "the day start began (2025-03-03) must be before the completion date (2025-03-03)"
    );
    let next_day = with(
        created_on,
        vec![event(
            "2025-03-04",
            &clerk(),
            date_recorded("done_on", "2025-03-04"),
        )],
    );
    given(&definition, &next_day)
        .when(&clerk(), fire("go"), "2025-03-05")
        .then_moves_to("end");
}

// ---------------------------------------------------------------------------------------------
// Counting comments, meeting forms by letter, and the combinators all / any / not, in the lab.

#[test]
fn comments_can_be_counted() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"count_at_least\"\ncounter = \"comments_recorded\"\nminimum = 2\n",
    );
    let one = vec![
        event("2025-03-01", &clerk(), created(&definition, "guide")),
        event("2025-03-02", &clerk(), commented("c1")),
    ];
    let rejection = given(&definition, &one)
        .when(&clerk(), fire("go"), "2025-03-03")
        .then_rejected_with(&["count_too_low"]);
    assert_eq!(
        rejection.reasons[0].message.en,
        "1 comments are recorded; at least 2 are required"
    );
    let two = with(one, vec![event("2025-03-02", &clerk(), commented("c2"))]);
    given(&definition, &two)
        .when(&clerk(), fire("go"), "2025-03-03")
        .then_moves_to("end");
}

// Regression: when a guard asked for a vote by letter and a meeting was held, the message still
// said the vote "must be voted at a meeting, not by letter", the opposite of the rule.
#[test]
fn a_vote_required_by_letter_says_so_when_a_meeting_was_held() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"vote_held\"\nmotion = \"ballot\"\nform = \"letter\"\n",
    );
    let ballot = Ballot {
        roll: 3,
        present: 3,
        in_favour: 3,
        ..Ballot::default()
    };
    let history = |form| {
        vec![
            event("2025-03-01", &clerk(), created(&definition, "guide")),
            event(
                "2025-03-02",
                &clerk(),
                met("b-1", "ballot", form, "2025-03-02", ballot),
            ),
        ]
    };
    let rejection = given(&definition, &history(MeetingForm::Meeting))
        .when(&clerk(), fire("go"), "2025-03-03")
        .then_rejected_with(&["wrong_meeting_form"]);
    let wrong = &rejection.reasons[0];
    assert_eq!(figure(wrong, "required_form"), "letter");
    assert_eq!(
        wrong.message.en,
        "The ballot must be voted by letter, not at a meeting"
    );
    assert_eq!(wrong.message.zh, "投票须以函审形式表决，不得以会议表决");
    given(&definition, &history(MeetingForm::Letter))
        .when(&clerk(), fire("go"), "2025-03-03")
        .then_moves_to("end");
}

#[test]
fn all_of_several_guards_lists_every_inner_guard_unmet() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"all\"\nof = [\n  { guard = \"artifacts_present\", artifact_kinds = [\"draft\"] },\n  { guard = \"field_recorded\", field = \"note\" },\n]\n",
    );
    let created = vec![event("2025-03-01", &clerk(), created(&definition, "guide"))];
    let rejection = given(&definition, &created)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_rejected_with(&["artifacts_missing", "field_missing"]);
    assert_eq!(
        guards_named(&rejection),
        ["artifacts_present", "field_recorded"]
    );
    let half = with(
        created.clone(),
        vec![event("2025-03-01", &clerk(), attached("draft"))],
    );
    given(&definition, &half)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_rejected_with(&["field_missing"]);
    let both = with(
        half,
        vec![event("2025-03-01", &clerk(), text_recorded("note", "ok"))],
    );
    given(&definition, &both)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_moves_to("end");
}

#[test]
fn any_of_several_guards_holds_when_one_does_and_names_every_alternative_when_none_does() {
    let definition = lab(
        "[[transitions.guards]]\nid = \"evidence\"\nguard = \"any\"\nof = [\n  { guard = \"artifacts_present\", artifact_kinds = [\"report\"] },\n  { guard = \"field_recorded\", field = \"note\" },\n]\n",
    );
    let created = vec![event("2025-03-01", &clerk(), created(&definition, "guide"))];
    let rejection = given(&definition, &created)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_rejected_with(&["no_alternative_met"]);
    let none = &rejection.reasons[0];
    assert_eq!(none.guard.as_deref(), Some("evidence"));
    assert_eq!(
        figure(none, "alternatives"),
        &json!(["artifacts_missing", "field_missing"])
    );
    assert_eq!(
        none.message.en,
        "One of these is required, and none holds: Missing: report; note has not been recorded"
    );
    for proof in [attached("report"), text_recorded("note", "由主任口头同意")] {
        let history = with(created.clone(), vec![event("2025-03-01", &clerk(), proof)]);
        given(&definition, &history)
            .when(&clerk(), fire("go"), "2025-03-02")
            .then_moves_to("end");
    }
}

#[test]
fn not_holds_when_its_inner_guard_does_not() {
    let definition = lab(
        "[[transitions.guards]]\nid = \"no_note\"\nguard = \"not\"\nof = [ { guard = \"field_recorded\", field = \"note\" } ]\n",
    );
    let created = vec![event("2025-03-01", &clerk(), created(&definition, "guide"))];
    given(&definition, &created)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_moves_to("end");
    let noted = with(
        created,
        vec![event("2025-03-01", &clerk(), text_recorded("note", "x"))],
    );
    let rejection = given(&definition, &noted)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_rejected_with(&["condition_holds"]);
    assert_eq!(rejection.reasons[0].guard.as_deref(), Some("no_note"));
    assert_eq!(
        rejection.reasons[0].message.en,
        "This step is only for when the following does not hold, and it does: recorded: note"
    );
}

#[test]
fn combinators_nest() {
    // A report, or else both a draft and a note.
    let definition = lab(
        "[[transitions.guards]]\nguard = \"any\"\nof = [\n  { guard = \"artifacts_present\", artifact_kinds = [\"report\"] },\n  { guard = \"all\", of = [ { guard = \"artifacts_present\", artifact_kinds = [\"draft\"] }, { guard = \"field_recorded\", field = \"note\" } ] },\n]\n",
    );
    let created = vec![event("2025-03-01", &clerk(), created(&definition, "guide"))];
    let draft_only = with(
        created.clone(),
        vec![event("2025-03-01", &clerk(), attached("draft"))],
    );
    let rejection = given(&definition, &draft_only)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_rejected_with(&["no_alternative_met"]);
    assert_eq!(
        figure(&rejection.reasons[0], "alternatives"),
        &json!(["artifacts_missing", "field_missing"])
    );
    let draft_and_note = with(
        draft_only,
        vec![event("2025-03-01", &clerk(), text_recorded("note", "x"))],
    );
    given(&definition, &draft_and_note)
        .when(&clerk(), fire("go"), "2025-03-02")
        .then_moves_to("end");
}

#[test]
fn a_guard_applies_only_to_the_kinds_it_names() {
    let definition = lab(
        "[[transitions.guards]]\nguard = \"artifacts_present\"\nartifact_kinds = [\"report\"]\napplies_to = [\"regulation\"]\n",
    );
    let rejection = given(
        &definition,
        &[event(
            "2025-03-01",
            &clerk(),
            created(&definition, "regulation"),
        )],
    )
    .when(&clerk(), fire("go"), "2025-03-02")
    .then_rejected_with(&["artifacts_missing"]);
    assert_eq!(figure(&rejection.reasons[0], "missing"), &json!(["report"]));
    given(
        &definition,
        &[event("2025-03-01", &clerk(), created(&definition, "guide"))],
    )
    .when(&clerk(), fire("go"), "2025-03-02")
    .then_moves_to("end");
}

// ---------------------------------------------------------------------------------------------
// Waivers.

#[test]
fn a_supervisor_may_record_a_waiver_of_the_consultation_period() {
    let project = given(
        metrology_with_consultation_waivers(),
        &consultation_opened("2025-03-03", 25),
    );
    project
        .when(
            &supervisor(),
            record_waiver("close_consultation", "consultation_period"),
            "2025-03-20",
        )
        .then_events(&[waived("close_consultation", "consultation_period")]);
}

#[test]
fn a_recorded_waiver_lets_a_short_consultation_close_and_the_event_says_what_was_waived() {
    let history = with(
        consultation_opened("2025-03-03", 25),
        vec![event(
            "2025-03-20",
            &supervisor(),
            waived("close_consultation", "consultation_period"),
        )],
    );
    given(metrology_with_consultation_waivers(), &history)
        .when(&secretary(), fire("close_consultation"), "2025-03-24")
        .then_fires(&EventBody::ActionFired {
            action: "close_consultation".to_string(),
            from: "consultation".to_string(),
            to: "resolution".to_string(),
            reason: None,
            waived_guards: vec!["consultation_period".to_string()],
        });
}

#[test]
fn a_waiver_covers_only_the_guard_it_names() {
    let history = with(
        consultation_opened("2025-03-03", 12),
        vec![event(
            "2025-03-20",
            &supervisor(),
            waived("close_consultation", "consultation_period"),
        )],
    );
    given(metrology_with_consultation_waivers(), &history)
        .when(&secretary(), fire("close_consultation"), "2025-03-24")
        .then_rejected_with(&["count_too_low"]);
}

#[test]
fn a_waiver_of_a_guard_that_holds_is_not_listed_as_used() {
    let history = with(
        consultation_opened("2025-03-03", 25),
        vec![event(
            "2025-03-20",
            &supervisor(),
            waived("close_consultation", "consultation_period"),
        )],
    );
    given(metrology_with_consultation_waivers(), &history)
        .when(&secretary(), fire("close_consultation"), "2025-04-02")
        .then_moves_to("resolution");
}

#[test]
fn a_waiver_by_a_role_that_may_not_waive_is_refused() {
    let given_consultation = given(
        metrology_with_consultation_waivers(),
        &consultation_opened("2025-03-03", 25),
    );
    let rejection = given_consultation
        .when(
            &chair(),
            record_waiver("close_consultation", "consultation_period"),
            "2025-03-20",
        )
        .then_rejected_with(&["role_not_permitted", "role_not_permitted"]);
    for reason in &rejection.reasons {
        assert_eq!(figure(reason, "allowed_roles"), &json!(["supervisor"]));
    }
    assert!(
        rejection.reasons[1]
            .message
            .en
            .contains("waive the guard 'consultation_period'")
    );

    // In the lab the clerk may record waivers, but this guard is waivable by the head only.
    let definition = lab(
        "[[transitions.guards]]\nid = \"report\"\nguard = \"artifacts_present\"\nartifact_kinds = [\"report\"]\nwaivable_by = [\"head\"]\n",
    );
    let created = vec![event("2025-03-01", &clerk(), created(&definition, "guide"))];
    let rejection = given(&definition, &created)
        .when(&clerk(), record_waiver("go", "report"), "2025-03-02")
        .then_rejected_with(&["role_not_permitted"]);
    assert_eq!(
        figure(&rejection.reasons[0], "allowed_roles"),
        &json!(["head"])
    );
    assert_eq!(figure(&rejection.reasons[0], "role"), "clerk");
    let events = given(&definition, &created)
        .when(&head(), record_waiver("go", "report"), "2025-03-02")
        .then_accepted();
    let waived_history = with(created, events);
    let moved = given(&definition, &waived_history)
        .when(&clerk(), fire("go"), "2025-03-03")
        .then_accepted();
    assert!(matches!(
        &moved[0].body,
        EventBody::ActionFired { waived_guards, .. } if waived_guards == &["report"]
    ));
}

// Regression: the bureau could waive the consultation's 30 days and 20 organisations, which the
// rules give as plain minimums with no exception (lifecycle-rules.md §4).
#[test]
fn the_shipped_definition_lets_nobody_waive_the_consultation_minimums() {
    let project = given(metrology(), &consultation_opened("2025-03-03", 12));
    for guard in ["consultation_period", "organisations_consulted"] {
        let rejection = project
            .when(
                &supervisor(),
                record_waiver("close_consultation", guard),
                "2025-03-20",
            )
            .then_rejected_with(&["role_not_permitted"]);
        assert_eq!(figure(&rejection.reasons[0], "allowed_roles"), &json!([]));
    }
}

#[test]
fn a_guard_that_nobody_may_waive_cannot_be_waived() {
    let history = review_with(VERIFICATION, Vec::new());
    let rejection = given(metrology(), &history)
        .when(
            &supervisor(),
            record_waiver("pass_review", "review_vote"),
            "2025-05-21",
        )
        .then_rejected_with(&["role_not_permitted"]);
    assert_eq!(figure(&rejection.reasons[0], "allowed_roles"), &json!([]));
    assert_eq!(
        rejection.reasons[0].message.en,
        "The role bureau supervisor may not waive the guard 'review_vote'; roles that may: no role may"
    );
}

#[test]
fn a_waiver_must_name_a_guard_of_an_action_open_now() {
    let project = given(
        metrology_with_consultation_waivers(),
        &consultation_opened("2025-03-03", 25),
    );
    let rejection = project
        .when(
            &supervisor(),
            record_waiver("close_consultation", "consultation_time"),
            "2025-03-20",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(figure(&rejection.reasons[0], "field"), "guard");
    assert!(
        rejection.reasons[0]
            .message
            .en
            .contains("its guards are: consultation_period, organisations_consulted")
    );
    let rejection = project
        .when(
            &supervisor(),
            record_waiver("pass_review", "review_vote"),
            "2025-03-20",
        )
        .then_rejected_with(&["unknown_action"]);
    assert_eq!(
        figure(&rejection.reasons[0], "available"),
        &json!(["close_consultation", "cancel"])
    );
    let mut blank = waiver("close_consultation", "consultation_period");
    blank.authority = " ".to_string();
    blank.reason = String::new();
    let rejection = project
        .when(
            &supervisor(),
            specflow_engine::Command::RecordWaiver(blank),
            "2025-03-20",
        )
        .then_rejected_with(&["invalid_input", "invalid_input"]);
    let fields: Vec<&serde_json::Value> = rejection
        .reasons
        .iter()
        .map(|reason| figure(reason, "field"))
        .collect();
    assert_eq!(fields, [&json!("authority"), &json!("reason")]);
}
