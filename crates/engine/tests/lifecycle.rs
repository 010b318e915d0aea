//! Whole lifecycles through `metrology-spec.toml`, each a script of commands rendered as an event
//! log (local time, actor and role, event type and key fields; refused commands with each
//! reason's code and message) and compared with a snapshot under `tests/snapshots/`.
//!
//! Every scenario also checks that replaying its events gives the state the live run reached.

use crate::support::*;
use insta::assert_snapshot;
use specflow_engine::command::{Disposition, MeetingRecord};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Actor, Command, ProjectState};

const ARRANGEMENT: &str = "自实施之日起6个月内新旧规程并行使用";

fn scenario() -> Scenario<'static> {
    Scenario::new(metrology())
}

fn reviewed(ballot: Ballot, meeting_id: &str, held_on: &str) -> Command {
    let mut record: MeetingRecord =
        meeting_record(meeting_id, "review", MeetingForm::Meeting, held_on, ballot);
    record.minutes_sha256 = Some(artifact_version("minutes", minutes_number(meeting_id)).sha256);
    Command::RecordMeeting(record)
}

fn minutes_number(meeting_id: &str) -> u32 {
    meeting_id
        .rsplit('-')
        .next()
        .and_then(|number| number.parse().ok())
        .unwrap_or(1)
}

fn attach_minutes(meeting_id: &str) -> Command {
    Command::AttachArtifact(artifact_version("minutes", minutes_number(meeting_id)))
}

/// Created, proposed after a favourable evaluation, approved by the bureau, drafted with all the
/// test evidence of a verification regulation, checked, and opened for consultation on
/// 2025-05-09.
fn up_to_consultation(scenario: &mut Scenario<'_>, kind: &str) {
    scenario
        .on("2025-01-06")
        .ok(&secretary(), create(metrology(), kind))
        .on("2025-01-10")
        .ok(&drafter(), attach("project_proposal"))
        .on("2025-01-20")
        .ok(
            &secretary(),
            record_meeting(
                "evaluation-1",
                "proposal_evaluation",
                MeetingForm::Meeting,
                "2025-01-20",
                Ballot {
                    roll: 15,
                    present: 12,
                    in_favour: 10,
                    against: 1,
                    abstain: 1,
                    non_voting: 0,
                },
            ),
        )
        .on("2025-01-21")
        .ok(&secretary(), fire("propose"))
        .on("2025-02-10")
        .ok(&drafter(), attach("project_application"))
        .ok(&drafter(), attach("task_statement"))
        .on("2025-02-14")
        .ok(&supervisor(), fire("approve_project"))
        .on("2025-05-05")
        .ok(&drafter(), attach("consultation_draft"))
        .ok(&drafter(), attach("explanatory_note"))
        .ok(&drafter(), attach("test_report"))
        .ok(&drafter(), attach("uncertainty_evaluation"))
        .on("2025-05-08")
        .ok(&secretary(), sign_off("completeness_check"))
        .on("2025-05-09")
        .ok(&secretary(), fire("open_consultation"));
}

/// Twenty-three organisations consulted and three comments received.
fn consult_widely(scenario: &mut Scenario<'_>) {
    scenario
        .on("2025-05-12")
        .ok(&secretary(), consult(1, 12))
        .on("2025-05-20")
        .ok(
            &drafter(),
            record_comment("c1", "单位03", "5.2条允许误差建议放宽至±0.5℃"),
        )
        .ok(
            &drafter(),
            record_comment("c2", "单位07", "附录B的不确定度评定示例缺少自由度"),
        )
        .ok(
            &drafter(),
            record_comment("c3", "单位15", "建议删除检定周期的规定"),
        )
        .on("2025-05-26")
        .ok(&secretary(), consult(13, 23));
}

/// Every comment disposed, the table and the review draft attached, the chair's release, and the
/// review meeting `meeting_id` scheduled for `meeting_on`, documents out on `documents_sent_on`.
fn prepare_review(
    scenario: &mut Scenario<'_>,
    meeting_id: &str,
    documents_sent_on: &str,
    meeting_on: &str,
) {
    scenario
        .on(documents_sent_on)
        .ok(&chair(), sign_off("review_draft_release"))
        .ok(
            &secretary(),
            schedule(
                meeting_id,
                "review",
                MeetingForm::Meeting,
                documents_sent_on,
                meeting_on,
            ),
        );
}

fn dispose_and_draft(scenario: &mut Scenario<'_>) {
    scenario
        .on("2025-06-16")
        .ok(&drafter(), dispose("c1", Disposition::Accepted, None))
        .ok(&drafter(), dispose("c2", Disposition::PartlyAccepted, None))
        .ok(
            &drafter(),
            dispose(
                "c3",
                Disposition::NotAccepted,
                Some("检定周期属法定要求，不予删除"),
            ),
        )
        .on("2025-06-20")
        .ok(&drafter(), attach("disposition_table"))
        .ok(&drafter(), attach("review_draft"));
}

/// From approval to entry into force: published on 2025-09-15, effective 2025-12-01, promotion
/// finished on 2025-11-05.
fn publish_and_promote(scenario: &mut Scenario<'_>) {
    scenario
        .on("2025-08-15")
        .ok(&drafter(), attach("approval_draft"))
        .on("2025-09-01")
        .ok(
            &supervisor(),
            record_publication("2025-09-15", "2025-12-01"),
        )
        .on("2025-09-15")
        .ok(&supervisor(), fire("publish"))
        .on("2025-11-05")
        .ok(&secretary(), attach("promotion_record"))
        .ok(
            &secretary(),
            record_date("promotion_completed_on", "2025-11-05"),
        )
        .on("2025-11-28")
        .refused(&secretary(), fire("enter_into_force"))
        .on("2025-12-01 00:05")
        .ok(&Actor::system(), fire("enter_into_force"));
}

/// The log, after checking that the events replay into the state the live run reached.
fn checked_log(scenario: &Scenario<'_>) -> String {
    assert_eq!(
        &ProjectState::replay(scenario.events()),
        scenario.state(),
        "replaying the log gives the live state"
    );
    scenario.log().to_string()
}

#[test]
fn a_verification_regulation_from_pre_research_to_in_force() {
    let mut scenario = scenario();
    up_to_consultation(&mut scenario, VERIFICATION);
    consult_widely(&mut scenario);
    scenario
        .on("2025-06-10")
        .ok(&secretary(), fire("close_consultation"));
    dispose_and_draft(&mut scenario);
    prepare_review(&mut scenario, "review-1", "2025-06-25", "2025-07-28");
    scenario
        .on("2025-06-26")
        .ok(&secretary(), fire("submit_for_review"))
        .on("2025-07-28")
        .ok(&secretary(), attach_minutes("review-1"))
        .ok(
            &secretary(),
            reviewed(
                Ballot {
                    roll: 15,
                    present: 12,
                    in_favour: 10,
                    against: 1,
                    abstain: 1,
                    non_voting: 2,
                },
                "review-1",
                "2025-07-28",
            ),
        )
        .on("2025-07-29")
        .ok(
            &secretary(),
            record_text("implementation_transition_arrangement", ARRANGEMENT),
        )
        .on("2025-07-30")
        .ok(&secretary(), fire("pass_review"));
    publish_and_promote(&mut scenario);
    assert_eq!(scenario.stage(), "in_force");
    assert_snapshot!(checked_log(&scenario));
}

#[test]
fn a_consultation_closed_too_early_is_refused_until_its_thirtieth_day() {
    let mut scenario = scenario();
    up_to_consultation(&mut scenario, VERIFICATION);
    scenario
        .on("2025-05-12")
        .ok(&secretary(), consult(1, 12))
        .on("2025-05-30")
        .note("Day 21, twelve organisations: both shortfalls are reported at once.")
        .refused(&secretary(), fire("close_consultation"))
        .ok(&secretary(), consult(13, 23))
        .note("The drafting group may not close the consultation, and it is still too early.")
        .refused(&drafter(), fire("close_consultation"))
        .on("2025-06-07")
        .note("Day 29.")
        .refused(&secretary(), fire("close_consultation"))
        .on("2025-06-08")
        .note("Day 30.")
        .ok(&secretary(), fire("close_consultation"));
    assert_eq!(scenario.stage(), "resolution");
    assert_snapshot!(checked_log(&scenario));
}

/// Up to the review stage, with the review meeting scheduled for 2025-07-28.
fn up_to_review(scenario: &mut Scenario<'_>) {
    up_to_consultation(scenario, VERIFICATION);
    consult_widely(scenario);
    scenario
        .on("2025-06-10")
        .ok(&secretary(), fire("close_consultation"));
    dispose_and_draft(scenario);
    prepare_review(scenario, "review-1", "2025-06-25", "2025-07-28");
    scenario
        .on("2025-06-26")
        .ok(&secretary(), fire("submit_for_review"))
        .ok(
            &secretary(),
            record_text("implementation_transition_arrangement", ARRANGEMENT),
        );
}

#[test]
fn a_review_meeting_without_quorum_decides_nothing_until_the_committee_meets_again() {
    let mut scenario = scenario();
    up_to_review(&mut scenario);
    scenario
        .on("2025-07-28")
        .ok(&secretary(), attach_minutes("review-1"))
        .note("Nine of fifteen members came (three corresponding members do not count).")
        .ok(
            &secretary(),
            reviewed(
                Ballot {
                    roll: 15,
                    present: 9,
                    in_favour: 9,
                    against: 0,
                    abstain: 0,
                    non_voting: 3,
                },
                "review-1",
                "2025-07-28",
            ),
        )
        .on("2025-07-29")
        .refused(&secretary(), fire("pass_review"))
        .on("2025-08-25")
        .note("The committee meets again: ten of fifteen is exactly two thirds.")
        .ok(&secretary(), attach_minutes("review-2"))
        .ok(
            &secretary(),
            reviewed(
                Ballot {
                    roll: 15,
                    present: 10,
                    in_favour: 8,
                    against: 1,
                    abstain: 1,
                    non_voting: 0,
                },
                "review-2",
                "2025-08-25",
            ),
        )
        .on("2025-08-26")
        .ok(&secretary(), fire("pass_review"));
    assert_eq!(scenario.stage(), "approval");
    assert_snapshot!(checked_log(&scenario));
}

#[test]
fn a_review_that_fails_the_vote_returns_to_resolution_and_passes_at_a_second_meeting() {
    let mut scenario = scenario();
    up_to_review(&mut scenario);
    scenario
        .on("2025-07-28")
        .ok(&secretary(), attach_minutes("review-1"))
        .note("Eight of twelve present in favour: less than three quarters.")
        .ok(
            &secretary(),
            reviewed(
                Ballot {
                    roll: 15,
                    present: 12,
                    in_favour: 8,
                    against: 3,
                    abstain: 1,
                    non_voting: 0,
                },
                "review-1",
                "2025-07-28",
            ),
        )
        .on("2025-07-29")
        .refused(&secretary(), fire("pass_review"))
        .refused(&secretary(), fire("fail_review"))
        .ok(
            &secretary(),
            fire_because("fail_review", "赞成票未达出席委员的四分之三，退回修改"),
        )
        .on("2025-08-20")
        .ok(
            &drafter(),
            record_comment("c4", "委员会", "审定会议意见：补充高温段试验数据"),
        )
        .ok(&drafter(), dispose("c4", Disposition::Accepted, None))
        .ok(
            &drafter(),
            Command::AttachArtifact(artifact_version("review_draft", 2)),
        )
        .note("The first meeting's release and notice do not carry over to the second meeting.")
        .refused(&secretary(), fire("submit_for_review"));
    prepare_review(&mut scenario, "review-2", "2025-08-22", "2025-09-22");
    scenario
        .on("2025-08-25")
        .ok(&secretary(), fire("submit_for_review"))
        .on("2025-09-22")
        .ok(&secretary(), attach_minutes("review-2"))
        .ok(
            &secretary(),
            reviewed(
                Ballot {
                    roll: 15,
                    present: 13,
                    in_favour: 11,
                    against: 1,
                    abstain: 1,
                    non_voting: 1,
                },
                "review-2",
                "2025-09-22",
            ),
        )
        .on("2025-09-23")
        .ok(&secretary(), fire("pass_review"));
    assert_eq!(scenario.stage(), "approval");
    assert_snapshot!(checked_log(&scenario));
}

#[test]
fn a_project_cancelled_by_the_bureau_takes_no_further_commands() {
    let mut scenario = scenario();
    scenario
        .on("2025-01-06")
        .ok(&secretary(), create(metrology(), CALIBRATION))
        .on("2025-01-10")
        .ok(&drafter(), attach("project_proposal"))
        .ok(
            &secretary(),
            record_meeting(
                "evaluation-1",
                "proposal_evaluation",
                MeetingForm::Letter,
                "2025-01-10",
                Ballot {
                    roll: 15,
                    present: 11,
                    in_favour: 7,
                    against: 3,
                    abstain: 1,
                    non_voting: 0,
                },
            ),
        )
        .on("2025-01-21")
        .ok(&secretary(), fire("propose"))
        .on("2025-02-10")
        .ok(&drafter(), attach("project_application"))
        .ok(&drafter(), attach("task_statement"))
        .on("2025-02-14")
        .ok(&supervisor(), fire("approve_project"))
        .on("2025-04-01")
        .note("Only the bureau cancels, and only with a reason.")
        .refused(
            &secretary(),
            Command::Cancel {
                reason: "起草单位退出".to_string(),
            },
        )
        .refused(
            &supervisor(),
            Command::Cancel {
                reason: String::new(),
            },
        )
        .ok(
            &supervisor(),
            Command::Cancel {
                reason: "起草单位退出，计划调整撤销该项目".to_string(),
            },
        )
        .on("2025-04-02")
        .refused(&drafter(), attach("consultation_draft"))
        .refused(
            &supervisor(),
            Command::Cancel {
                reason: "再次撤销".to_string(),
            },
        );
    assert_eq!(scenario.stage(), "cancelled");
    assert_snapshot!(checked_log(&scenario));
}
