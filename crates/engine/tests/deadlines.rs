//! Deadlines through `decide` and `tick`: started on entering a stage, warned, missed,
//! escalated and frozen once each and in order, extended within the limits, re-examination opened.

use chrono::{DateTime, NaiveDate, Utc};
use specflow_engine::command::{Command, NewProject};
use specflow_engine::deadline::DueKind;
use specflow_engine::{
    Actor, Event, EventBody, ProjectState, WorkflowDefinition, decide, next_deadline, tick,
};
use std::collections::BTreeMap;

use deadline_fixtures::*;

fn bodies(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|event| event.body.type_name()).collect()
}

#[test]
fn approving_the_project_starts_the_overall_and_drafting_deadlines_with_the_plan() {
    let definition = metrology();
    let mut state = in_proposal(&definition);
    let plan = Command::FixPlan {
        due_dates: BTreeMap::from([
            ("overall".to_string(), date("2027-06-30")),
            ("drafting".to_string(), date("2026-06-30")),
        ]),
    };
    run(
        &mut state,
        &definition,
        &plan,
        &bureau(),
        at("2026-01-30T09:00:00+08:00"),
    );
    let events = run(
        &mut state,
        &definition,
        &fire("approve_project"),
        &bureau(),
        at("2026-02-02T09:00:00+08:00"),
    );
    assert_eq!(
        bodies(&events),
        ["action_fired", "deadline_set", "deadline_set"]
    );
    let overall = state.open_deadline("overall").unwrap();
    assert_eq!(overall.planned_due_on, Some(date("2027-06-30")));
    assert_eq!(overall.times.unwrap().due_on, date("2027-06-30"));
    let drafting = state.open_deadline("drafting").unwrap();
    assert_eq!(drafting.times.unwrap().due_on, date("2026-06-30"));
    // The warning goes out 30 days before, at the start of the local day.
    assert_eq!(
        drafting.times.unwrap().warn_at,
        Some(at("2026-05-31T00:00:00+08:00"))
    );
    // The deadline "on" 30 June ends when 1 July begins in Shanghai.
    assert_eq!(
        drafting.times.unwrap().due_at,
        at("2026-07-01T00:00:00+08:00")
    );
    assert_eq!(
        drafting.times.unwrap().escalate_at,
        Some(at("2026-07-31T00:00:00+08:00"))
    );
}

#[test]
fn a_plan_may_shorten_a_deadline_but_never_stretch_it() {
    let definition = metrology();
    let mut state = in_proposal(&definition);
    let plan = Command::FixPlan {
        due_dates: BTreeMap::from([("drafting".to_string(), date("2028-06-30"))]),
    };
    run(
        &mut state,
        &definition,
        &plan,
        &bureau(),
        at("2026-01-30T09:00:00+08:00"),
    );
    run(
        &mut state,
        &definition,
        &fire("approve_project"),
        &bureau(),
        at("2026-02-02T09:00:00+08:00"),
    );
    let drafting = state.open_deadline("drafting").unwrap();
    assert_eq!(drafting.planned_due_on, Some(date("2028-06-30")));
    assert_eq!(
        drafting.times.unwrap().due_on,
        date("2027-02-02"),
        "capped at the definition's 12 months"
    );
    // Deadlines the plan may not set, and dates already past, are refused.
    let bad = Command::FixPlan {
        due_dates: BTreeMap::from([
            ("consultation".to_string(), date("2026-09-30")),
            ("overall".to_string(), date("2026-01-01")),
        ]),
    };
    let rejection = decide(
        &state,
        &definition,
        &bad,
        &bureau(),
        at("2026-02-03T09:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(rejection.codes(), ["invalid_input", "invalid_input"]);
    let rejection = decide(
        &state,
        &definition,
        &bad,
        &secretariat(),
        at("2026-02-03T09:00:00+08:00"),
    )
    .unwrap_err();
    assert!(rejection.codes().contains(&"role_not_permitted"));
}

#[test]
fn warning_overdue_escalation_and_freeze_fire_once_each_in_order_however_late_tick_runs() {
    let definition = metrology();
    let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    // Nothing is due the day after approval.
    assert!(tick(&state, &definition, at("2026-02-03T00:00:00+08:00")).is_empty());
    // One tick, very late: everything that fell due comes out at once, in the order it fell due.
    let late = at("2026-12-01T00:00:00+08:00");
    let events = tick(&state, &definition, late);
    let kinds: Vec<(&str, String)> = events
        .iter()
        .map(|event| {
            let deadline = match &event.body {
                EventBody::DeadlineWarningGiven { deadline, .. }
                | EventBody::DeadlineMissed { deadline, .. }
                | EventBody::ProjectEscalated { deadline, .. }
                | EventBody::ProjectFrozen { deadline, .. } => deadline.clone(),
                _ => String::new(),
            };
            (event.body.type_name(), deadline)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            // 1 May: 30 days before the drafting deadline of 31 May.
            ("deadline_warning_given", "drafting".to_string()),
            // 1 June: 31 May has ended.
            ("deadline_missed", "drafting".to_string()),
            // 1 July: the 30 days of grace after 31 May have ended.
            ("project_escalated", "drafting".to_string()),
            // 2 July: 60 days before the overall deadline of 31 August.
            ("deadline_warning_given", "overall".to_string()),
            ("deadline_missed", "overall".to_string()),
            ("project_escalated", "overall".to_string()),
            ("project_frozen", "overall".to_string()),
        ]
    );
    // Each event keeps the instant it fell due; the event's own instant is when it was noticed.
    let fell_due: Vec<DateTime<Utc>> = events
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::DeadlineWarningGiven { fell_due_at, .. }
            | EventBody::DeadlineMissed { fell_due_at, .. }
            | EventBody::ProjectEscalated { fell_due_at, .. }
            | EventBody::ProjectFrozen { fell_due_at, .. } => Some(*fell_due_at),
            _ => None,
        })
        .collect();
    assert!(
        fell_due.windows(2).all(|pair| pair[0] <= pair[1]),
        "{fell_due:?}"
    );
    assert!(
        events
            .iter()
            .all(|event| event.occurred_at == late && event.actor == Actor::system())
    );
    for event in &events {
        state.apply(event);
    }
    // Ticking again, at once or much later, emits nothing more.
    assert!(tick(&state, &definition, late).is_empty());
    assert!(tick(&state, &definition, at("2030-01-01T00:00:00+08:00")).is_empty());
    assert!(state.frozen.is_some());
    assert_eq!(next_deadline(&state), None);
}

#[test]
fn ticks_at_each_instant_give_the_same_events_as_one_late_tick() {
    let definition = metrology();
    let start = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let mut stepwise = start.clone();
    let mut stepwise_kinds = Vec::new();
    while let Some(next) = next_deadline(&stepwise) {
        let events = tick(&stepwise, &definition, next.at);
        assert!(
            !events.is_empty(),
            "next_deadline promised something at {}",
            next.at
        );
        for event in &events {
            stepwise_kinds.push(event.body.clone());
            stepwise.apply(event);
        }
    }
    let late_events = tick(&start, &definition, at("2027-01-01T00:00:00+08:00"));
    let late_kinds: Vec<EventBody> = late_events.into_iter().map(|event| event.body).collect();
    assert_eq!(stepwise_kinds, late_kinds);
}

#[test]
fn next_deadline_names_the_earliest_alarm() {
    let definition = metrology();
    let state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let next = next_deadline(&state).unwrap();
    assert_eq!(next.kind, DueKind::Warning);
    assert_eq!(next.deadline, "drafting");
    assert_eq!(next.at, at("2026-05-01T00:00:00+08:00"));
    assert_eq!(next.due_on, date("2026-05-31"));
}

#[test]
fn an_extension_granted_before_the_deadline_moves_it_and_resets_its_alarms() {
    let definition = metrology();
    let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let request = Command::RequestExtension {
        request_id: "EXT-1".to_string(),
        deadline: "drafting".to_string(),
        new_due_on: date("2026-07-31"),
        reason: "two more seasons of test data".to_string(),
    };
    run(
        &mut state,
        &definition,
        &request,
        &drafter(),
        at("2026-04-25T10:00:00+08:00"),
    );
    let grant = Command::GrantExtension {
        request_id: "EXT-1".to_string(),
        reason: "agreed".to_string(),
    };
    // Only the bureau decides extensions.
    let refused = decide(
        &state,
        &definition,
        &grant,
        &secretariat(),
        at("2026-04-28T10:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(refused.codes(), ["role_not_permitted"]);
    run(
        &mut state,
        &definition,
        &grant,
        &bureau(),
        at("2026-04-28T10:00:00+08:00"),
    );
    let drafting = state.open_deadline("drafting").unwrap();
    assert_eq!(drafting.original_due_on, Some(date("2026-05-31")));
    assert_eq!(drafting.times.unwrap().due_on, date("2026-07-31"));
    assert_eq!(drafting.extensions_granted, 1);
    // Nothing about the drafting deadline fires on the old date.
    assert!(
        tick(&state, &definition, at("2026-06-01T00:00:00+08:00"))
            .iter()
            .all(|event| !matches!(&event.body, EventBody::DeadlineMissed { .. }))
    );
    let request = state.extension_requests.first().unwrap();
    assert!(
        request
            .decision
            .as_ref()
            .is_some_and(|decision| decision.granted)
    );
}

#[test]
fn extensions_are_refused_when_asked_too_late_too_often_or_too_long() {
    let definition = metrology();
    let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let ask = |id: &str, new_due_on: &str| Command::RequestExtension {
        request_id: id.to_string(),
        deadline: "drafting".to_string(),
        new_due_on: date(new_due_on),
        reason: "more time".to_string(),
    };
    // Less than 30 days before the deadline.
    let late = decide(
        &state,
        &definition,
        &ask("A", "2026-06-30"),
        &drafter(),
        at("2026-05-10T10:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(late.codes(), ["extension_requested_too_late"]);
    assert_eq!(late.reasons[0].figures["last_day"], "2026-05-01");
    // More than 12 months beyond the original date.
    let long = decide(
        &state,
        &definition,
        &ask("B", "2027-06-30"),
        &drafter(),
        at("2026-03-10T10:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(long.codes(), ["extension_too_long"]);
    // Not later than the current date, and no such deadline.
    let earlier = decide(
        &state,
        &definition,
        &ask("C", "2026-05-01"),
        &drafter(),
        at("2026-03-10T10:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(earlier.codes(), ["invalid_input"]);
    let mut unknown = ask("D", "2026-07-01");
    if let Command::RequestExtension { deadline, .. } = &mut unknown {
        *deadline = "review".to_string();
    }
    assert_eq!(
        decide(
            &state,
            &definition,
            &unknown,
            &drafter(),
            at("2026-03-10T10:00:00+08:00")
        )
        .unwrap_err()
        .codes(),
        ["invalid_input"]
    );
    // At most two extensions.
    for (index, new_due_on) in ["2026-06-30", "2026-07-31"].into_iter().enumerate() {
        let id = format!("OK-{index}");
        run(
            &mut state,
            &definition,
            &ask(&id, new_due_on),
            &bureau(),
            at("2026-03-10T10:00:00+08:00"),
        );
        let grant = Command::GrantExtension {
            request_id: id,
            reason: "agreed".to_string(),
        };
        run(
            &mut state,
            &definition,
            &grant,
            &bureau(),
            at("2026-03-10T10:00:00+08:00"),
        );
    }
    let third = decide(
        &state,
        &definition,
        &ask("E", "2026-08-31"),
        &drafter(),
        at("2026-03-11T10:00:00+08:00"),
    )
    .unwrap_err();
    assert_eq!(third.codes(), ["too_many_extensions"]);
}

#[test]
fn a_frozen_project_accepts_only_extension_cancellation_and_lifting_the_freeze() {
    let definition = metrology();
    let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    for event in tick(&state, &definition, at("2026-12-01T00:00:00+08:00")) {
        state.apply(&event);
    }
    assert!(state.frozen.is_some());
    let now = at("2026-12-02T10:00:00+08:00");
    let blocked = decide(
        &state,
        &definition,
        &Command::SignOff {
            subject: "completeness_check".to_string(),
        },
        &secretariat(),
        now,
    )
    .unwrap_err();
    assert_eq!(blocked.codes(), ["project_frozen"]);
    assert!(
        blocked.reasons[0]
            .message
            .en
            .contains("only an extension or cancellation")
    );
    // The drafter's own request comes too late; the bureau may extend on its own authority.
    let request = Command::RequestExtension {
        request_id: "EXT-9".to_string(),
        deadline: "overall".to_string(),
        new_due_on: date("2027-06-30"),
        reason: "restart".to_string(),
    };
    assert_eq!(
        decide(&state, &definition, &request, &drafter(), now)
            .unwrap_err()
            .codes(),
        ["extension_requested_too_late"]
    );
    run(&mut state, &definition, &request, &bureau(), now);
    run(
        &mut state,
        &definition,
        &Command::GrantExtension {
            request_id: "EXT-9".to_string(),
            reason: "granted by the bureau".to_string(),
        },
        &bureau(),
        now,
    );
    assert!(
        state.frozen.is_some(),
        "an extension alone does not lift the freeze"
    );
    let lift = Command::LiftFreeze {
        reason: "extended".to_string(),
    };
    assert_eq!(
        decide(&state, &definition, &lift, &secretariat(), now)
            .unwrap_err()
            .codes(),
        ["role_not_permitted"]
    );
    run(&mut state, &definition, &lift, &bureau(), now);
    assert!(state.frozen.is_none());
    assert_eq!(
        decide(&state, &definition, &lift, &bureau(), now)
            .unwrap_err()
            .codes(),
        ["not_frozen"]
    );
    run(
        &mut state,
        &definition,
        &Command::SignOff {
            subject: "completeness_check".to_string(),
        },
        &secretariat(),
        now,
    );
}

#[test]
fn cancelling_drops_every_running_deadline() {
    let definition = metrology();
    let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let cancel = Command::Cancel {
        reason: "covered by a national regulation".to_string(),
    };
    let events = run(
        &mut state,
        &definition,
        &cancel,
        &bureau(),
        at("2026-03-01T10:00:00+08:00"),
    );
    assert_eq!(
        bodies(&events),
        ["project_cancelled", "deadline_closed", "deadline_closed"]
    );
    assert_eq!(next_deadline(&state), None);
    assert!(tick(&state, &definition, at("2030-01-01T00:00:00+08:00")).is_empty());
}

#[test]
fn re_examination_falls_due_five_years_after_publication_and_the_tick_opens_it() {
    let definition = metrology();
    let mut state = in_force(&definition);
    assert_eq!(
        next_deadline(&state).unwrap().kind,
        DueKind::ReexaminationWarning
    );
    let scheduled = state.reexamination.clone().unwrap();
    assert_eq!(scheduled.counted_from, date("2026-11-20"));
    assert_eq!(scheduled.times.due_on, date("2031-11-20"));
    let events = tick(&state, &definition, at("2031-11-21T00:00:00+08:00"));
    assert_eq!(
        bodies(&events),
        [
            "reexamination_warning_given",
            "reexamination_fell_due",
            "action_fired",
            "deadline_set"
        ]
    );
    for event in &events {
        state.apply(event);
    }
    assert_eq!(state.stage(), "reexamination");
    assert!(tick(&state, &definition, at("2031-11-22T00:00:00+08:00")).is_empty());
}

#[test]
fn migrating_needs_a_newer_version_with_the_current_stage_and_running_deadlines() {
    let definition = metrology();
    let state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    let now = at("2026-03-01T10:00:00+08:00");
    let text = include_str!("../../../workflows/metrology-spec.toml");
    let version_two =
        WorkflowDefinition::from_toml("v2.toml", &text.replacen("version = 1", "version = 2", 1))
            .unwrap();
    let migrate = Command::MigrateDefinition { to_version: 2 };
    let events = decide(&state, &version_two, &migrate, &bureau(), now).unwrap();
    assert!(matches!(
        events[0].body,
        EventBody::DefinitionMigrated {
            from_version: 1,
            to_version: 2
        }
    ));
    // The same version again, or a version without the drafting deadline, is refused.
    assert_eq!(
        decide(&state, &definition, &migrate, &bureau(), now)
            .unwrap_err()
            .codes(),
        ["invalid_input"]
    );
    let without_drafting_deadline = text.replacen("version = 1", "version = 3", 1).replacen(
        "id = \"drafting\"",
        "id = \"writing\"",
        1,
    );
    let version_three =
        WorkflowDefinition::from_toml("v3.toml", &without_drafting_deadline).unwrap();
    let rejection = decide(
        &state,
        &version_three,
        &Command::MigrateDefinition { to_version: 3 },
        &bureau(),
        now,
    )
    .unwrap_err();
    assert_eq!(rejection.codes(), ["migration_incompatible"]);
    assert!(
        rejection.reasons[0]
            .message
            .en
            .contains("deadline 'drafting'")
    );
    // A project marked as tied to legal or livelihood metrology cannot move to a version that
    // does not declare the mark, which would silently stop binding it.
    let mut marked = state.clone();
    if let Some(project) = marked.project.as_mut() {
        project
            .flags
            .insert("legal_or_livelihood_metrology".to_string());
    }
    let without_flag = text
        .replacen("version = 1", "version = 4", 1)
        .replace("legal_or_livelihood_metrology", "legal_metrology");
    let version_four = WorkflowDefinition::from_toml("v4.toml", &without_flag).unwrap();
    let rejection = decide(
        &marked,
        &version_four,
        &Command::MigrateDefinition { to_version: 4 },
        &bureau(),
        now,
    )
    .unwrap_err();
    assert_eq!(rejection.codes(), ["migration_incompatible"]);
    assert!(
        rejection.reasons[0]
            .message
            .en
            .contains("project flag 'legal_or_livelihood_metrology'"),
        "{rejection}"
    );
    // After migrating, the project follows version 2 and commands against version 1 are refused.
    let mut migrated = state.clone();
    for event in &events {
        migrated.apply(event);
    }
    assert_eq!(migrated.project.as_ref().unwrap().definition_version, 2);
    assert_eq!(
        decide(
            &migrated,
            &definition,
            &fire("open_consultation"),
            &secretariat(),
            now
        )
        .unwrap_err()
        .codes(),
        ["definition_mismatch"]
    );
}

#[test]
fn a_deadline_past_the_last_calendar_year_is_recorded_as_not_computable() {
    let text = include_str!("../../../workflows/metrology-spec.toml").replace(
        "limit = \"12 months\"\nplanned = true",
        "limit = \"400 working days\"\nplanned = true",
    );
    let definition = with_calendar(WorkflowDefinition::from_toml("wd.toml", &text).unwrap());
    let state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
    // The plan's date is used, so it is computable...
    assert!(state.open_deadline("drafting").unwrap().times.is_some());
    // ...but without a plan, 400 working days from February 2026 run past 2026, the last year on file.
    let mut unplanned = in_proposal(&definition);
    run(
        &mut unplanned,
        &definition,
        &fire("approve_project"),
        &bureau(),
        at("2026-02-02T09:00:00+08:00"),
    );
    let drafting = unplanned.open_deadline("drafting").unwrap();
    assert!(drafting.times.is_none());
    assert!(
        drafting.problem.as_deref().unwrap().contains("2027"),
        "{:?}",
        drafting.problem
    );
}

/// Fixtures for the deadline tests: a project taken to the stage a test needs.
pub mod deadline_fixtures {
    use super::*;
    use std::sync::Arc;

    pub fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    pub fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    pub fn with_calendar(definition: WorkflowDefinition) -> WorkflowDefinition {
        let mut calendar = specflow_engine::WorkingCalendar::new("cn");
        calendar
            .add_year_file(
                "cn-2025.toml",
                include_str!("../../../workflows/calendars/cn-2025.toml"),
            )
            .unwrap();
        calendar
            .add_year_file(
                "cn-2026.toml",
                include_str!("../../../workflows/calendars/cn-2026.toml"),
            )
            .unwrap();
        definition.with_calendar(Arc::new(calendar))
    }

    pub fn metrology() -> WorkflowDefinition {
        with_calendar(
            WorkflowDefinition::from_toml(
                "metrology-spec.toml",
                include_str!("../../../workflows/metrology-spec.toml"),
            )
            .unwrap(),
        )
    }

    pub fn bureau() -> Actor {
        Actor::new("bureau-li", "supervisor")
    }

    pub fn secretariat() -> Actor {
        Actor::new("sec-wang", "secretariat")
    }

    pub fn drafter() -> Actor {
        Actor::new("drafter-chen", "drafter")
    }

    pub fn fire(action: &str) -> Command {
        Command::FireAction {
            action: action.to_string(),
            reason: None,
        }
    }

    /// Decides and applies a command that must be accepted.
    pub fn run(
        state: &mut ProjectState,
        definition: &WorkflowDefinition,
        command: &Command,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Vec<Event> {
        let events = decide(state, definition, command, actor, now)
            .unwrap_or_else(|rejection| panic!("{rejection}"));
        for event in &events {
            state.apply(event);
        }
        events
    }

    /// A project created in pre-research and moved to proposal by the events it would have
    /// (the pre-research guards are tested elsewhere; here only the deadlines matter).
    pub fn in_proposal(definition: &WorkflowDefinition) -> ProjectState {
        let mut state = ProjectState::new();
        let create = Command::CreateProject(NewProject {
            project_id: uuid::Uuid::from_u128(7),
            code: "JJG(沪)-2026-007".to_string(),
            title: specflow_engine::LocalizedText::new("测试规程", "test regulation"),
            specification_kind: "verification_regulation".to_string(),
            committee: "SH-TC-01".to_string(),
            drafting_unit: "上海市计量测试技术研究院".to_string(),
            definition_id: definition.id.clone(),
            definition_version: definition.version,
            flags: Default::default(),
        });
        run(
            &mut state,
            definition,
            &create,
            &secretariat(),
            at("2026-01-05T09:00:00+08:00"),
        );
        state.apply(&Event {
            occurred_at: at("2026-01-21T09:00:00+08:00"),
            actor: secretariat(),
            body: EventBody::ActionFired {
                action: "propose".to_string(),
                from: "preresearch".to_string(),
                to: "proposal".to_string(),
                reason: None,
                waived_guards: Vec::new(),
            },
        });
        for (kind, name) in [("project_application", "a"), ("task_statement", "b")] {
            let attach = Command::AttachArtifact(specflow_engine::command::Artifact {
                kind: kind.to_string(),
                file_name: format!("{name}.pdf"),
                size_bytes: 10,
                sha256: format!("{:064x}", name.len() + kind.len()),
            });
            run(
                &mut state,
                definition,
                &attach,
                &secretariat(),
                at("2026-01-22T09:00:00+08:00"),
            );
        }
        state
    }

    /// A project approved on 2 February 2026 with planned overall and drafting dates.
    pub fn in_drafting_with_plan(
        definition: &WorkflowDefinition,
        overall: &str,
        drafting: &str,
    ) -> ProjectState {
        let mut state = in_proposal(definition);
        let plan = Command::FixPlan {
            due_dates: BTreeMap::from([
                ("overall".to_string(), date(overall)),
                ("drafting".to_string(), date(drafting)),
            ]),
        };
        run(
            &mut state,
            definition,
            &plan,
            &bureau(),
            at("2026-01-30T09:00:00+08:00"),
        );
        run(
            &mut state,
            definition,
            &fire("approve_project"),
            &bureau(),
            at("2026-02-02T09:00:00+08:00"),
        );
        state
    }

    /// A verification regulation in force, published on 20 November 2026: the example scenario's final state.
    pub fn in_force(definition: &WorkflowDefinition) -> ProjectState {
        let text = include_str!("../../../workflows/scenarios/to-in-force.toml");
        let scenario = specflow_engine::scenario::parse_scenario("to-in-force.toml", text).unwrap();
        let report = specflow_engine::scenario::simulate(definition, &scenario)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(report.state.stage(), "in_force");
        report.state
    }
}

mod tick_properties {
    //! Properties of `tick` under random timing: each alarm once per due date, and replay equal
    //! to the live run, whatever the tick times and the extensions between them.

    use super::deadline_fixtures::*;
    use proptest::prelude::*;
    use specflow_engine::command::Command;
    use specflow_engine::{EventBody, decide, tick};
    use std::collections::BTreeSet;

    #[derive(Debug, Clone)]
    enum Step {
        /// Tick this many hours after the previous step.
        Tick(u32),
        /// Ask for and grant an extension of the drafting deadline by this many days.
        Extend(u32),
        /// Lift a freeze, if there is one.
        Lift,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (1u32..24 * 60).prop_map(Step::Tick),
            1 => (1u32..200).prop_map(Step::Extend),
            1 => Just(Step::Lift),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn every_alarm_fires_once_per_due_date_and_replay_equals_the_live_run(steps in proptest::collection::vec(step(), 1..60)) {
            let definition = metrology();
            let mut state = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
            let mut log: Vec<specflow_engine::Event> = Vec::new();
            let mut now = at("2026-02-03T00:00:00+08:00");
            let mut seen = BTreeSet::new();
            for (index, step) in steps.into_iter().enumerate() {
                let events = match step {
                    Step::Tick(hours) => {
                        now += chrono::Duration::hours(i64::from(hours));
                        tick(&state, &definition, now)
                    }
                    Step::Extend(days) => {
                        now += chrono::Duration::hours(1);
                        let Some(due) = state.open_deadline("drafting").and_then(|entry| entry.times) else { continue };
                        let request = Command::RequestExtension {
                            request_id: format!("R{index}"),
                            deadline: "drafting".to_string(),
                            new_due_on: due.due_on + chrono::Duration::days(i64::from(days)),
                            reason: "more time".to_string(),
                        };
                        let grant = Command::GrantExtension { request_id: format!("R{index}"), reason: "granted".to_string() };
                        let mut events = decide(&state, &definition, &request, &bureau(), now).unwrap_or_default();
                        let mut after = state.clone();
                        for event in &events {
                            after.apply(event);
                        }
                        if !events.is_empty() {
                            events.extend(decide(&after, &definition, &grant, &bureau(), now).unwrap_or_default());
                        }
                        events
                    }
                    Step::Lift => {
                        now += chrono::Duration::hours(1);
                        decide(&state, &definition, &Command::LiftFreeze { reason: "lifted".to_string() }, &bureau(), now).unwrap_or_default()
                    }
                };
                for event in &events {
                    let key = match &event.body {
                        EventBody::DeadlineWarningGiven { deadline, due_on, .. } => Some(("warning", deadline.clone(), *due_on)),
                        EventBody::DeadlineMissed { deadline, due_on, .. } => Some(("missed", deadline.clone(), *due_on)),
                        EventBody::ProjectEscalated { deadline, due_on, .. } => Some(("escalated", deadline.clone(), *due_on)),
                        _ => None,
                    };
                    if let Some(key) = key {
                        prop_assert!(seen.insert(key.clone()), "{key:?} fired twice");
                    }
                    prop_assert!(event.occurred_at >= state.last_event_at.unwrap_or(event.occurred_at));
                    state.apply(event);
                    log.push(event.clone());
                }
            }
            let mut replayed = in_drafting_with_plan(&definition, "2026-08-31", "2026-05-31");
            for event in &log {
                replayed.apply(event);
            }
            prop_assert_eq!(replayed, state);
        }
    }
}
