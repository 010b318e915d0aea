//! Who may do what, and what the engine says to everyone else: roles on actions and on the other
//! commands, unknown actions, ended projects, and commands whose content is wrong.

use crate::support::*;
use serde_json::json;
use specflow_engine::command::{Artifact, Disposition, FieldValue, NonVotingParticipant, Vote};
use specflow_engine::definition::MeetingForm;
use specflow_engine::{Actor, Command, Event, EventBody};

fn drafting() -> Vec<Event> {
    project_in(VERIFICATION, "drafting", "2025-02-03")
}

// ---------------------------------------------------------------------------------------------
// Roles.

#[test]
fn an_action_fired_by_a_role_the_transition_does_not_allow_is_refused_naming_the_roles_that_may() {
    let history = with(
        project_in(VERIFICATION, "consultation", "2025-03-03"),
        vec![event("2025-03-03", &secretary(), consulted(1, 25))],
    );
    let rejection = given(metrology(), &history)
        .when(&drafter(), fire("close_consultation"), "2025-04-10")
        .then_rejected_with(&["role_not_permitted"]);
    let role = &rejection.reasons[0];
    assert_eq!(role.guard, None);
    assert_eq!(figure(role, "role"), "drafter");
    assert_eq!(figure(role, "allowed_roles"), &json!(["secretariat"]));
    assert_eq!(
        role.message.zh,
        "起草单位无权执行「结束征求意见」；可执行的角色：技术委员会秘书处"
    );
    assert_eq!(
        role.message.en,
        "The role drafting group may not fire 'close the consultation'; roles that may: committee secretariat"
    );
}

#[test]
fn a_role_the_definition_does_not_know_is_refused_like_any_other() {
    let stranger = Actor::new("x", "janitor");
    let rejection = given(metrology(), &drafting())
        .when(&stranger, attach("consultation_draft"), "2025-02-04")
        .then_rejected_with(&["role_not_permitted"]);
    assert_eq!(figure(&rejection.reasons[0], "role"), "janitor");
    assert!(
        rejection.reasons[0]
            .message
            .en
            .starts_with("The role janitor may not attach an artifact")
    );
}

#[test]
fn commands_other_than_actions_are_checked_against_the_permissions_table() {
    let cases: Vec<(Actor, Command, serde_json::Value)> = vec![
        (
            secretary(),
            record_publication("2025-06-10", "2025-09-01"),
            json!(["supervisor"]),
        ),
        (
            member(),
            attach("consultation_draft"),
            json!(["drafter", "secretariat", "chair", "supervisor"]),
        ),
        (
            drafter(),
            schedule(
                "r",
                "review",
                MeetingForm::Meeting,
                "2025-02-04",
                "2025-03-10",
            ),
            json!(["secretariat"]),
        ),
        (
            chair(),
            record_comment("c1", "单位01", "意见"),
            json!(["secretariat", "drafter"]),
        ),
        (
            drafter(),
            sign_off("completeness_check"),
            json!(["secretariat", "chair", "supervisor"]),
        ),
        (
            chair(),
            record_text("implementation_transition_arrangement", "并行"),
            json!(["secretariat", "drafter", "supervisor"]),
        ),
        (
            secretary(),
            record_waiver("open_consultation", "verification_evidence"),
            json!(["supervisor"]),
        ),
    ];
    let project = given(metrology(), &drafting());
    for (actor, command, allowed) in cases {
        let kind = command.kind_name();
        let rejection = project.when(&actor, command, "2025-02-04").then_rejected();
        // The permissions table is checked first; a waiver may add a reason of its own.
        let role = &rejection.reasons[0];
        assert_eq!(role.code, "role_not_permitted", "{kind}");
        assert_eq!(figure(role, "allowed_roles"), &allowed, "{kind}");
        assert_eq!(figure(role, "role"), actor.role.as_str(), "{kind}");
    }
}

#[test]
fn only_the_secretariat_or_the_bureau_may_create_a_project() {
    let rejection = given(metrology(), &[])
        .when(&drafter(), create(metrology(), VERIFICATION), "2025-01-02")
        .then_rejected_with(&["role_not_permitted"]);
    assert_eq!(
        figure(&rejection.reasons[0], "allowed_roles"),
        &json!(["secretariat", "supervisor"])
    );
    let events = given(metrology(), &[])
        .when(
            &secretary(),
            create(metrology(), VERIFICATION),
            "2025-01-02",
        )
        .then_accepted();
    assert_eq!(events[0].body, created(metrology(), VERIFICATION));
    assert_eq!(events[0].actor, secretary());
    assert_eq!(events[0].occurred_at, at("2025-01-02"));
}

#[test]
fn an_auditor_reads_everything_and_changes_nothing() {
    let project = given(metrology(), &drafting());
    let commands = vec![
        fire("open_consultation"),
        Command::Cancel {
            reason: "审计".to_string(),
        },
        attach("consultation_draft"),
        consult(1, 3),
        record_comment("c1", "单位01", "意见"),
        dispose("c1", Disposition::Accepted, None),
        schedule(
            "r",
            "review",
            MeetingForm::Meeting,
            "2025-02-04",
            "2025-03-10",
        ),
        record_meeting(
            "r",
            "review",
            MeetingForm::Meeting,
            "2025-02-04",
            Ballot {
                roll: 3,
                present: 3,
                in_favour: 3,
                ..Ballot::default()
            },
        ),
        sign_off("completeness_check"),
        record_text("implementation_transition_arrangement", "并行"),
        record_publication("2025-06-10", "2025-09-01"),
        record_waiver("open_consultation", "verification_evidence"),
    ];
    for command in commands {
        let kind = command.kind_name();
        let rejection = project
            .when(&auditor(), command, "2025-02-04")
            .then_rejected();
        assert_eq!(
            rejection.reasons[0].code,
            "role_not_permitted",
            "{kind}: {}",
            explain(&rejection)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown actions, ended projects, cancellation.

#[test]
fn an_unknown_action_is_refused_with_the_actions_available_from_the_stage() {
    let project = given(metrology(), &drafting());
    for action in ["approve", "publish", "close_consultation", ""] {
        let rejection = project
            .when(&secretary(), fire(action), "2025-02-04")
            .then_rejected_with(&["unknown_action"]);
        let unknown = &rejection.reasons[0];
        assert_eq!(figure(unknown, "action"), action);
        assert_eq!(figure(unknown, "stage"), "drafting");
        assert_eq!(
            figure(unknown, "available"),
            &json!(["open_consultation", "cancel"])
        );
    }
    let rejection = project
        .when(&secretary(), fire("approve"), "2025-02-04")
        .then_rejected();
    assert_eq!(
        rejection.reasons[0].message.en,
        "There is no action 'approve' from drafting; available actions: open_consultation, cancel"
    );
}

fn cancelled() -> Vec<Event> {
    with(
        drafting(),
        vec![event(
            "2025-02-10",
            &supervisor(),
            EventBody::ProjectCancelled {
                action: "cancel".to_string(),
                from: "drafting".to_string(),
                to: "cancelled".to_string(),
                reason: "计划调整".to_string(),
            },
        )],
    )
}

#[test]
fn a_cancelled_project_takes_no_further_commands() {
    let project = given(metrology(), &cancelled());
    for (actor, command) in [
        (secretary(), fire("open_consultation")),
        (supervisor(), fire("cancel")),
        (
            supervisor(),
            Command::Cancel {
                reason: "again".to_string(),
            },
        ),
        (drafter(), attach("consultation_draft")),
        (drafter(), record_comment("c9", "单位09", "迟到的意见")),
        (supervisor(), record_publication("2025-06-10", "2025-09-01")),
    ] {
        let rejection = project
            .when(&actor, command, "2025-02-11")
            .then_rejected_with(&["project_ended"]);
        assert_eq!(figure(&rejection.reasons[0], "stage"), "cancelled");
        assert_eq!(
            rejection.reasons[0].message.en,
            "The project has ended (cancelled); it takes no further commands"
        );
    }
    assert_eq!(
        project.state().cancellation_reason.as_deref(),
        Some("计划调整")
    );
    assert!(
        specflow_engine::available_actions(
            project.state(),
            metrology(),
            &supervisor(),
            at("2025-02-11")
        )
        .is_empty()
    );
}

#[test]
fn the_bureau_cancels_a_project_with_a_reason() {
    let project = given(metrology(), &drafting());
    project
        .when(
            &supervisor(),
            Command::Cancel {
                reason: "  ".to_string(),
            },
            "2025-02-10",
        )
        .then_rejected_with(&["reason_required"]);
    project
        .when(
            &secretary(),
            Command::Cancel {
                reason: "计划调整".to_string(),
            },
            "2025-02-10",
        )
        .then_rejected_with(&["role_not_permitted"]);
    project
        .when(
            &supervisor(),
            Command::Cancel {
                reason: " 计划调整 ".to_string(),
            },
            "2025-02-10",
        )
        .then_fires(&EventBody::ProjectCancelled {
            action: "cancel".to_string(),
            from: "drafting".to_string(),
            to: "cancelled".to_string(),
            reason: "计划调整".to_string(),
        });
    // Firing the cancelling action by name does the same.
    project
        .when(
            &supervisor(),
            fire_because("cancel", "计划调整"),
            "2025-02-10",
        )
        .then_fires(&EventBody::ProjectCancelled {
            action: "cancel".to_string(),
            from: "drafting".to_string(),
            to: "cancelled".to_string(),
            reason: "计划调整".to_string(),
        });
}

#[test]
fn a_published_specification_cannot_be_cancelled() {
    let rejection = given(
        metrology(),
        &project_in(VERIFICATION, "in_force", "2025-09-01"),
    )
    .when(
        &supervisor(),
        Command::Cancel {
            reason: "不再需要".to_string(),
        },
        "2025-10-01",
    )
    .then_rejected_with(&["cannot_cancel"]);
    assert_eq!(figure(&rejection.reasons[0], "stage"), "in_force");
}

#[test]
fn nothing_happens_to_a_project_that_does_not_exist_and_nothing_is_created_twice() {
    given(metrology(), &[])
        .when(&secretary(), attach("project_proposal"), "2025-01-02")
        .then_rejected_with(&["project_not_created"]);
    given(metrology(), &drafting())
        .when(
            &secretary(),
            create(metrology(), VERIFICATION),
            "2025-02-04",
        )
        .then_rejected_with(&["project_already_exists"]);
}

#[test]
fn a_project_is_decided_under_the_definition_it_follows() {
    let rejection = given(iso(), &drafting())
        .when(&secretary(), attach("consultation_draft"), "2025-02-04")
        .then_rejected_with(&["definition_mismatch"]);
    assert_eq!(
        figure(&rejection.reasons[0], "project_definition"),
        "metrology-spec@1"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: `invalid_input`, naming the field.

fn invalid_fields(rejection: &specflow_engine::Rejection) -> Vec<String> {
    rejection
        .reasons
        .iter()
        .filter(|reason| reason.code == "invalid_input")
        .map(|reason| {
            figure(reason, "field")
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn an_artifact_needs_a_real_sha256_a_known_kind_and_a_file_name() {
    let project = given(metrology(), &drafting());
    for bad in [
        "abc",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
    ] {
        let mut artifact = artifact("consultation_draft");
        artifact.sha256 = bad.to_string();
        let rejection = project
            .when(&drafter(), Command::AttachArtifact(artifact), "2025-02-04")
            .then_rejected_with(&["invalid_input"]);
        assert_eq!(invalid_fields(&rejection), ["sha256"], "{bad}");
        assert!(
            rejection.reasons[0]
                .message
                .en
                .contains("is not a SHA-256 digest")
        );
    }
    let rejection = project
        .when(
            &drafter(),
            Command::AttachArtifact(Artifact {
                kind: "photo".to_string(),
                file_name: " ".to_string(),
                size_bytes: 0,
                sha256: "0".repeat(63),
            }),
            "2025-02-04",
        )
        .then_rejected_with(&["invalid_input", "invalid_input", "invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["kind", "file_name", "sha256"]);
    assert!(
        rejection.reasons[0]
            .message
            .en
            .contains("Unknown artifact kind 'photo'")
    );
}

#[test]
fn the_same_file_is_not_attached_twice_as_the_same_kind() {
    let history = with(
        drafting(),
        vec![event(
            "2025-02-04",
            &drafter(),
            attached("consultation_draft"),
        )],
    );
    let project = given(metrology(), &history);
    project
        .when(&drafter(), attach("consultation_draft"), "2025-02-05")
        .then_rejected_with(&["artifact_already_attached"]);
    // A new version of the draft is a new file.
    project
        .when(
            &drafter(),
            Command::AttachArtifact(artifact_version("consultation_draft", 2)),
            "2025-02-05",
        )
        .then_events(&[EventBody::ArtifactAttached(artifact_version(
            "consultation_draft",
            2,
        ))]);
}

#[test]
fn organisations_consulted_are_recorded_once_each() {
    let history = with(
        project_in(VERIFICATION, "consultation", "2025-03-03"),
        vec![event("2025-03-03", &secretary(), consulted(1, 15))],
    );
    let project = given(metrology(), &history);
    project
        .when(&secretary(), consult(10, 25), "2025-03-05")
        .then_events(&[consulted(16, 25)]);
    project
        .when(&secretary(), consult(3, 7), "2025-03-05")
        .then_rejected_with(&["nothing_new"]);
    let rejection = project
        .when(
            &secretary(),
            Command::RecordOrganisationsConsulted {
                organisations: vec!["单位30".to_string(), "  ".to_string()],
            },
            "2025-03-05",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["organisations"]);
}

#[test]
fn a_comment_needs_a_new_id_an_organisation_and_words() {
    let history = with(
        drafting(),
        vec![event("2025-02-04", &drafter(), commented("c1"))],
    );
    let project = given(metrology(), &history);
    let rejection = project
        .when(
            &drafter(),
            record_comment("c1", "单位02", "另一条意见"),
            "2025-02-05",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["comment_id"]);
    assert_eq!(
        rejection.reasons[0].message.en,
        "A comment with id 'c1' is already recorded"
    );
    let rejection = project
        .when(&drafter(), record_comment(" ", "", "\n"), "2025-02-05")
        .then_rejected_with(&["invalid_input", "invalid_input", "invalid_input"]);
    assert_eq!(
        invalid_fields(&rejection),
        ["comment_id", "organisation", "text"]
    );
    project
        .when(
            &drafter(),
            record_comment("c2", "单位02", "另一条意见"),
            "2025-02-05",
        )
        .then_events(&[EventBody::CommentRecorded(comment(
            "c2",
            "单位02",
            "另一条意见",
        ))]);
}

#[test]
fn a_comment_not_accepted_needs_a_reason_and_a_disposition_needs_a_comment() {
    let history = with(
        drafting(),
        vec![event("2025-02-04", &drafter(), commented("c1"))],
    );
    let project = given(metrology(), &history);
    for reason in [None, Some(""), Some("   ")] {
        let rejection = project
            .when(
                &drafter(),
                dispose("c1", Disposition::NotAccepted, reason),
                "2025-02-05",
            )
            .then_rejected_with(&["invalid_input"]);
        assert_eq!(invalid_fields(&rejection), ["reason"]);
        assert_eq!(rejection.reasons[0].message.zh, "未采纳的意见须说明理由");
    }
    project
        .when(
            &drafter(),
            dispose(
                "c1",
                Disposition::NotAccepted,
                Some("与国家规程一致，不予修改"),
            ),
            "2025-02-05",
        )
        .then_accepted();
    project
        .when(
            &drafter(),
            dispose("c1", Disposition::PartlyAccepted, None),
            "2025-02-05",
        )
        .then_accepted();
    let rejection = project
        .when(
            &drafter(),
            dispose("c7", Disposition::Accepted, None),
            "2025-02-05",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["comment_id"]);
}

#[test]
fn a_meeting_record_is_checked_against_its_own_roll() {
    let project = given(
        metrology(),
        &project_in(VERIFICATION, "review", "2025-05-12"),
    );
    let ballot = Ballot {
        roll: 5,
        present: 4,
        in_favour: 3,
        against: 1,
        ..Ballot::default()
    };

    // A vote by someone not on the roll.
    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        ballot,
    );
    record.votes.push(Vote {
        member: "外来者".to_string(),
        choice: specflow_engine::command::VoteChoice::InFavour,
    });
    let rejection = project
        .when(&secretary(), Command::RecordMeeting(record), "2025-05-20")
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["votes"]);
    assert_eq!(
        rejection.reasons[0].message.en,
        "'外来者' is not a voting member present; their vote cannot count"
    );

    // A vote by a corresponding member, who may attend but never votes.
    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        ballot,
    );
    record.non_voting_present.push(NonVotingParticipant {
        person: "通讯成员01".to_string(),
        capacity: "corresponding_member".to_string(),
    });
    record.votes.push(Vote {
        member: "通讯成员01".to_string(),
        choice: specflow_engine::command::VoteChoice::InFavour,
    });
    let rejection = project
        .when(&secretary(), Command::RecordMeeting(record), "2025-05-20")
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["votes"]);

    // A member who votes twice, someone present who is not on the roll, a voting member also
    // listed as non-voting, and an empty roll: each named.
    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        ballot,
    );
    record.votes.push(record.votes[0].clone());
    record.present.push("旁听者".to_string());
    record.non_voting_present.push(NonVotingParticipant {
        person: "委员01".to_string(),
        capacity: "invited_representative".to_string(),
    });
    let rejection = project
        .when(&secretary(), Command::RecordMeeting(record), "2025-05-20")
        .then_rejected();
    assert_eq!(
        invalid_fields(&rejection),
        ["present", "non_voting_present", "votes"]
    );

    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        ballot,
    );
    record.roll.clear();
    record.present.clear();
    record.votes.clear();
    record.motion = "referendum".to_string();
    let rejection = project
        .when(&secretary(), Command::RecordMeeting(record), "2025-05-20")
        .then_rejected();
    assert_eq!(invalid_fields(&rejection), ["motion", "roll"]);
}

#[test]
fn minutes_named_by_a_meeting_must_be_attached_first_and_meeting_ids_are_unique() {
    let ballot = Ballot {
        roll: 3,
        present: 3,
        in_favour: 3,
        ..Ballot::default()
    };
    let mut record = meeting_record(
        "review-1",
        "review",
        MeetingForm::Meeting,
        "2025-05-20",
        ballot,
    );
    record.minutes_sha256 = Some(artifact("minutes").sha256);
    let history = project_in(VERIFICATION, "review", "2025-05-12");
    let rejection = given(metrology(), &history)
        .when(
            &secretary(),
            Command::RecordMeeting(record.clone()),
            "2025-05-20",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["minutes_sha256"]);

    let history = with(
        history,
        vec![event("2025-05-20", &secretary(), attached("minutes"))],
    );
    let events = given(metrology(), &history)
        .when(
            &secretary(),
            Command::RecordMeeting(record.clone()),
            "2025-05-20",
        )
        .then_events(&[EventBody::MeetingRecorded(Box::new(record.clone()))]);
    let history = with(history, events);
    let rejection = given(metrology(), &history)
        .when(&secretary(), Command::RecordMeeting(record), "2025-05-21")
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["meeting_id"]);
}

#[test]
fn a_meeting_is_scheduled_with_documents_sent_before_it() {
    let project = given(
        metrology(),
        &project_in(VERIFICATION, "resolution", "2025-04-02"),
    );
    let rejection = project
        .when(
            &secretary(),
            schedule(
                "review-1",
                "review",
                MeetingForm::Meeting,
                "2025-05-20",
                "2025-05-10",
            ),
            "2025-04-10",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["documents_sent_on"]);
    let rejection = project
        .when(
            &secretary(),
            schedule(
                " ",
                "plenary",
                MeetingForm::Meeting,
                "2025-04-10",
                "2025-05-10",
            ),
            "2025-04-10",
        )
        .then_rejected();
    assert_eq!(invalid_fields(&rejection), ["motion", "meeting_id"]);
}

#[test]
fn a_field_takes_a_value_of_its_type() {
    let project = given(
        metrology(),
        &project_in(VERIFICATION, "promotion", "2025-06-10"),
    );
    let rejection = project
        .when(
            &secretary(),
            record_text("promotion_completed_on", "上周"),
            "2025-08-20",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["value"]);
    let rejection = project
        .when(&secretary(), record_text("colour", "red"), "2025-08-20")
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["field"]);
    let rejection = project
        .when(
            &secretary(),
            record_text("implementation_transition_arrangement", " "),
            "2025-08-20",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["value"]);
    project
        .when(
            &secretary(),
            Command::RecordField {
                field: "promotion_completed_on".to_string(),
                value: FieldValue::Date(day("2025-08-20")),
            },
            "2025-08-20",
        )
        .then_events(&[date_recorded("promotion_completed_on", "2025-08-20")]);
}

#[test]
fn an_effective_date_before_the_publication_date_is_refused() {
    let project = given(
        metrology(),
        &project_in(VERIFICATION, "approval", "2025-05-21"),
    );
    let rejection = project
        .when(
            &supervisor(),
            record_publication("2025-06-10", "2025-06-09"),
            "2025-06-05",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["effective_date"]);
    assert_eq!(
        rejection.reasons[0].message.en,
        "The effective date 2025-06-09 is before the publication date 2025-06-10"
    );
    let mut blank = publication("2025-06-10", "2025-09-01");
    blank.specification_number = String::new();
    let rejection = project
        .when(
            &supervisor(),
            Command::RecordPublication(blank),
            "2025-06-05",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["specification_number"]);
}

#[test]
fn a_sign_off_names_a_known_subject() {
    let rejection = given(metrology(), &drafting())
        .when(&secretary(), sign_off("good_vibes"), "2025-02-04")
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(invalid_fields(&rejection), ["subject"]);
}

#[test]
fn a_new_project_is_checked_field_by_field_and_with_its_role_at_once() {
    let mut project = new_project(metrology(), "novel");
    project.code = String::new();
    project.title.zh = " ".to_string();
    project.committee = String::new();
    project.drafting_unit = String::new();
    project.definition_version = 2;
    let rejection = given(metrology(), &[])
        .when(&member(), Command::CreateProject(project), "2025-01-02")
        .then_rejected();
    assert_eq!(rejection.reasons[0].code, "role_not_permitted");
    assert_eq!(
        invalid_fields(&rejection),
        [
            "definition_version",
            "specification_kind",
            "code",
            "title.zh",
            "committee",
            "drafting_unit"
        ]
    );
}

/// Regression: a command dated before the project's last record was accepted, and only the
/// audit check caught the backwards time later.
#[test]
fn a_command_dated_before_the_last_record_is_refused() {
    let definition = metrology();
    let history = vec![event(
        "2025-03-10",
        &secretary(),
        created(definition, "calibration_specification"),
    )];
    given(definition, &history)
        .when(
            &secretary(),
            Command::SignOff {
                subject: "completeness_check".to_string(),
            },
            "2025-03-09",
        )
        .then_rejected_with(&["out_of_order"]);
}

/// Regression: a meeting recorded under a scheduled id could be held earlier than scheduled, on
/// another motion or in another form, which let it sidestep the notice the schedule was checked for.
#[test]
fn a_scheduled_meeting_is_recorded_as_scheduled_and_not_in_the_future() {
    let definition = metrology();
    let history = with(
        project_in("verification_regulation", "review", "2025-05-01"),
        vec![event(
            "2025-04-01",
            &secretary(),
            scheduled(
                "审定-1",
                "review",
                MeetingForm::Meeting,
                "2025-04-01",
                "2025-05-20",
            ),
        )],
    );
    let ballot = Ballot {
        roll: 15,
        present: 12,
        in_favour: 10,
        ..Ballot::default()
    };
    let earlier = given(definition, &history)
        .when(
            &secretary(),
            record_meeting(
                "审定-1",
                "review",
                MeetingForm::Meeting,
                "2025-05-10",
                ballot,
            ),
            "2025-05-21",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(earlier.reasons[0].figures["field"], json!("held_on"));
    let by_letter = given(definition, &history)
        .when(
            &secretary(),
            record_meeting(
                "审定-1",
                "review",
                MeetingForm::Letter,
                "2025-05-20",
                ballot,
            ),
            "2025-05-21",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(by_letter.reasons[0].figures["field"], json!("meeting_id"));
    let future = given(definition, &history)
        .when(
            &secretary(),
            record_meeting(
                "审定-1",
                "review",
                MeetingForm::Meeting,
                "2025-05-22",
                ballot,
            ),
            "2025-05-21",
        )
        .then_rejected_with(&["invalid_input"]);
    assert_eq!(future.reasons[0].figures["field"], json!("held_on"));
    given(definition, &history)
        .when(
            &secretary(),
            record_meeting(
                "审定-1",
                "review",
                MeetingForm::Meeting,
                "2025-05-20",
                ballot,
            ),
            "2025-05-21",
        )
        .then_accepted();
}

/// The format of project codes is data in the definition: a code without it is refused with an
/// example built from the format (never the template with its placeholders); a code typed with
/// full-width brackets and stray spaces, as a Chinese input method types it, is recorded folded.
#[test]
fn a_project_code_must_have_the_definitions_format() {
    let definition = metrology();
    let mut project = new_project(definition, "verification_regulation");
    assert_eq!(project.code, "JJG(沪)-2025-007");
    for bad in [
        "JJF(沪)-2025-007",
        "JJG(沪)-25-007",
        "JJG(沪)-2025-",
        "JJG-2025-007",
        "JJG(沪)-2025-007x",
    ] {
        project.code = bad.to_string();
        let rejection = given(definition, &[])
            .when(
                &secretary(),
                Command::CreateProject(project.clone()),
                "2025-03-01",
            )
            .then_rejected_with(&["invalid_input"]);
        assert_eq!(
            rejection.reasons[0].figures["field"],
            json!("code"),
            "{bad}"
        );
        let message = &rejection.reasons[0].message;
        assert!(message.en.contains("look like JJG(沪)-2026-007"), "{bad}");
        assert!(message.zh.contains("应形如 JJG(沪)-2026-007"), "{bad}");
        assert!(
            !message.zh.contains('{') && !message.en.contains('{'),
            "{message:?}"
        );
    }
    project.code = "JJG(沪)-2026-1234".to_string();
    given(definition, &[])
        .when(
            &secretary(),
            Command::CreateProject(project.clone()),
            "2025-03-01",
        )
        .then_accepted();
    project.code = " JJG（沪）-２０２６-0099 ".to_string();
    let events = given(definition, &[])
        .when(&secretary(), Command::CreateProject(project), "2025-03-01")
        .then_accepted();
    match &events[0].body {
        specflow_engine::event::EventBody::ProjectCreated { project, .. } => {
            assert_eq!(project.code, "JJG(沪)-2026-0099");
        }
        other => panic!("not a creation: {other:?}"),
    }
}
