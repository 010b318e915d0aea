//! Committees as audited records, on SQLite and PostgreSQL: the store's log, projection and
//! helpers for reports; the scheduler's term warnings and ends, each once and notified; the API's
//! routes and their bad input; and a meeting's roll taken from the committee as of its day.

use crate::api::{api, call, codes, token};
use crate::support::*;
use axum::http::Method;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use specflow_engine::committee::{CommitteeCommand, CommitteeWaiver, MemberProfile};
use specflow_engine::{Actor, LocalizedText};
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::Store;
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_store::{CommitteeCommandRequest, CommitteeOutcome, OutboxFilter, committee_id_of};
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn run(store: &Store, code: &str, command: CommitteeCommand) -> CommitteeOutcome {
    store
        .execute_committee(CommitteeCommandRequest {
            committee_id: committee_id_of(code),
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: Actor::new("bureau-li", "supervisor"),
            command,
        })
        .await
        .unwrap()
}

async fn accepted(store: &Store, code: &str, command: CommitteeCommand) {
    let outcome = run(store, code, command).await;
    assert!(
        matches!(outcome, CommitteeOutcome::Accepted { .. }),
        "{outcome:?}"
    );
}

/// Forms `code` on 2026-01-05 with its first term.
async fn formed(store: &Store, code: &str) {
    accepted(
        store,
        code,
        CommitteeCommand::Form {
            committee_id: committee_id_of(code),
            code: code.to_string(),
            name: LocalizedText::new(
                "上海市长度计量技术委员会",
                "Shanghai Length Metrology Committee",
            ),
            field: "length".into(),
            legal_metrology: false,
            composition_plan: "沪市监计量〔2026〕1号".into(),
            formed_on: day("2026-01-05"),
        },
    )
    .await;
    accepted(
        store,
        code,
        CommitteeCommand::StartTerm {
            starts_on: day("2026-01-05"),
            ends_on: None,
        },
    )
    .await;
}

fn member(person: &str, organisation: &str, role: &str) -> MemberProfile {
    MemberProfile {
        person: person.into(),
        organisation: organisation.into(),
        title_level: "senior".into(),
        administrative: false,
        metrology_professional: true,
        role: role.into(),
    }
}

fn appoint(person: &str, organisation: &str, role: &str, on: &str) -> CommitteeCommand {
    CommitteeCommand::Appoint {
        member: member(person, organisation, role),
        term: None,
        effective_on: day(on),
    }
}

conformance!(
    a_committee_log_is_chained_protected_replayed_and_read_for_reports,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        formed(&store, "SH-TC-01").await;
        accepted(
            &store,
            "SH-TC-01",
            appoint("zhang", "SIMT", "chair", "2026-01-05"),
        )
        .await;
        clock.set(instant("2026-03-01T10:00:00+08:00"));
        accepted(
            &store,
            "SH-TC-01",
            appoint("wang", "ECUST", "member", "2026-03-01"),
        )
        .await;
        accepted(
            &store,
            "SH-TC-01",
            CommitteeCommand::Waive(CommitteeWaiver {
                rule: "one_secretary_general".into(),
                subject: None,
                reason: "the secretariat is being chosen".into(),
                authority: "沪市监计量〔2026〕9号".into(),
                up_to: None,
            }),
        )
        .await;

        // A repeated command id answers the records it wrote, and writes nothing more.
        let request = CommitteeCommandRequest {
            committee_id: committee_id_of("SH-TC-01"),
            command_id: Uuid::from_u128(42),
            expected_sequence: None,
            actor: Actor::new("bureau-li", "supervisor"),
            command: appoint("li", "SIMT", "member", "2026-03-01"),
        };
        let first = store.execute_committee(request.clone()).await.unwrap();
        let again = store.execute_committee(request).await.unwrap();
        assert_eq!(first, again);

        let id = store.resolve_committee("SH-TC-01").await.unwrap().unwrap();
        assert_eq!(id, committee_id_of("SH-TC-01"));
        let chain = store.verify_committee(id).await.unwrap().unwrap();
        assert_eq!(chain.records, 6);
        let listed = store.list_committees().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].current_term, Some(1));

        // The composition as the log stood on 1 February: the chair only, officers missing.
        let early = store
            .composition_as_of("SH-TC-01", instant("2026-02-01T12:00:00+08:00"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(early.members.len(), 1);
        assert!(early.waivers.is_empty());
        let now = store
            .composition_as_of("SH-TC-01", instant("2026-03-02T12:00:00+08:00"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.members.len(), 3);
        assert_eq!(now.waivers.len(), 1);
        let changes = store
            .committee_changes_within(
                "SH-TC-01",
                day("2026-02-01"),
                day("2026-12-31"),
                instant("2027-01-01T00:00:00+08:00"),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changes.appointed.len(), 2);
        assert_eq!(changes.waivers.len(), 1);
        assert!(
            store
                .composition_as_of("SH-TC-99", instant("2026-03-02T12:00:00+08:00"))
                .await
                .unwrap()
                .is_none()
        );

        // The database refuses to change the log.
        for statement in [
            "UPDATE committee_records SET actor_id = 'someone' WHERE sequence = 1",
            "DELETE FROM committee_records WHERE sequence = 1",
        ] {
            let refused = store.execute_raw_for_tests(statement).await;
            assert!(refused.is_err(), "{statement} was allowed");
        }
        assert_eq!(
            store.verify_committee(id).await.unwrap().unwrap().records,
            6
        );
    }
);

conformance!(
    the_scheduler_warns_ends_a_term_and_opens_its_report_once_each,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        formed(&store, "SH-TC-01").await;
        let scheduler = Scheduler::new(
            store.clone(),
            SchedulerOptions::default(),
            Metrics::shared(),
        );
        let id = committee_id_of("SH-TC-01");
        let filter = OutboxFilter {
            project_id: Some(id),
            ..OutboxFilter::default()
        };
        let state = store.committee_state_as_of(id, None).await.unwrap();
        let term = state.current_term().unwrap().clone();
        assert_eq!(term.ends_on, day("2030-01-04"));
        // 90 days before the term ends: 2029-10-07 local midnight.
        assert_eq!(term.warn_at, instant("2029-10-07T00:00:00+08:00"));
        assert_eq!(
            store.earliest_committee_deadline().await.unwrap(),
            Some(term.warn_at)
        );

        clock.set(term.warn_at);
        let report = scheduler.run_due(None).await.unwrap();
        assert_eq!((report.committees_ticked, report.events_fired), (1, 1));
        let notified = store.list_outbox(&filter, None, 100).await.unwrap().items;
        let audiences: Vec<(&str, &str)> = notified
            .iter()
            .map(|entry| (entry.audience.as_str(), entry.event_type.as_str()))
            .collect();
        assert_eq!(
            audiences,
            [
                ("secretariat", "committee.term_ending_warned"),
                ("supervisor", "committee.term_ending_warned")
            ]
        );
        assert!(
            notified[0].body.contains("2030-01-04"),
            "{}",
            notified[0].body
        );
        assert_eq!(
            scheduler.run_due(None).await.unwrap().events_fired,
            0,
            "warned twice"
        );

        clock.set(term.ends_at + chrono::Duration::hours(3));
        let report = scheduler.run_due(None).await.unwrap();
        assert_eq!(report.events_fired, 2);
        assert_eq!(
            scheduler.run_due(None).await.unwrap().events_fired,
            0,
            "ended twice"
        );
        let types: Vec<String> = store
            .list_outbox(&filter, None, 100)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|entry| entry.event_type)
            .collect();
        assert_eq!(types.len(), 6);
        assert!(types.contains(&"committee.end_of_term_report_due".to_string()));
        assert_eq!(store.earliest_committee_deadline().await.unwrap(), None);
        let history = store.committee_records(id).await.unwrap();
        let last: Vec<&str> = history
            .iter()
            .rev()
            .take(2)
            .map(|record| record.event_type.as_str())
            .collect();
        assert_eq!(last, ["end_of_term_report_due", "term_ended"]);
        assert!(store.verify_committee(id).await.unwrap().is_ok());
    }
);

conformance!(
    committee_routes_carry_out_commands_and_answer_bad_input_with_problems,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let bureau = token(&api.store, "t-bureau", Role::Supervisor, None, None).await;
        let bureau = Some(bureau.as_str());
        let formed = call(Method::POST, "/api/v1/committees", bureau)
            .json(
                app,
                &json!({
                    "code": "SH-TC-01",
                    "name": {"zh": "上海市长度计量技术委员会", "en": "Shanghai Length Metrology Committee"},
                    "field": "length",
                    "composition_plan": "沪市监计量〔2026〕1号",
                    "formed_on": "2026-01-05"
                }),
            )
            .await;
        assert_eq!(formed.status.as_u16(), 201, "{}", formed.text());
        let c = "/api/v1/committees/SH-TC-01";
        // A term whose end is before its start.
        let backwards = call(Method::POST, &format!("{c}/terms"), bureau)
            .json(
                app,
                &json!({"starts_on": "2026-01-05", "ends_on": "2025-01-04"}),
            )
            .await
            .problem(422, "guard-rejected");
        assert_eq!(codes(&backwards), ["invalid_input"]);
        let started = call(Method::POST, &format!("{c}/terms"), bureau)
            .json(app, &json!({"starts_on": "2026-01-05"}))
            .await;
        assert_eq!(started.status.as_u16(), 200, "{}", started.text());
        let chair = json!({
            "person": "张伟", "organisation": "上海市计量测试技术研究院", "title_level": "senior",
            "metrology_professional": true, "role": "chair", "effective_on": "2026-01-05"
        });
        let appointed = call(Method::POST, &format!("{c}/appointments"), bureau)
            .json(app, &chair)
            .await;
        assert_eq!(appointed.status.as_u16(), 200, "{}", appointed.text());
        // The same person twice.
        let twice = call(Method::POST, &format!("{c}/appointments"), bureau)
            .json(app, &chair)
            .await
            .problem(422, "guard-rejected");
        assert!(
            codes(&twice).contains(&"already_appointed".to_string()),
            "{twice}"
        );
        // A second chair: the rule in words, in the language asked for.
        let second_chair = call(Method::POST, &format!("{c}/appointments"), bureau)
            .header("accept-language", "en")
            .json(
                app,
                &json!({
                    "person": "李强", "organisation": "华东理工大学", "title_level": "senior",
                    "metrology_professional": true, "role": "chair", "effective_on": "2026-01-05"
                }),
            )
            .await
            .problem(422, "guard-rejected");
        assert!(
            second_chair["detail"]
                .as_str()
                .unwrap()
                .contains("at most one chair"),
            "{second_chair}"
        );
        // Unknown committee, malformed date, unknown field.
        call(
            Method::POST,
            "/api/v1/committees/SH-TC-99/appointments",
            bureau,
        )
        .json(app, &chair)
        .await
        .problem(404, "not-found");
        call(
            Method::GET,
            "/api/v1/committees/SH-TC-99/composition",
            bureau,
        )
        .empty(app)
        .await
        .problem(404, "not-found");
        call(Method::POST, &format!("{c}/resignations"), bureau)
            .json(
                app,
                &json!({"person": "张伟", "effective_on": "2026-13-40", "reason": "x"}),
            )
            .await
            .problem(400, "invalid-request");
        call(Method::POST, &format!("{c}/waivers"), bureau)
            .json(
                app,
                &json!({"rule": "one_chair", "reason": "x", "authority": "y", "colour": "red"}),
            )
            .await
            .problem(400, "invalid-request");
        call(
            Method::GET,
            &format!("{c}/composition?as_of=yesterday"),
            bureau,
        )
        .empty(app)
        .await
        .problem(400, "invalid-request");
        // A resignation of someone who is not a member.
        let stranger = call(Method::POST, &format!("{c}/resignations"), bureau)
            .json(
                app,
                &json!({"person": "nobody", "effective_on": "2026-02-01", "reason": "x"}),
            )
            .await
            .problem(422, "guard-rejected");
        assert_eq!(codes(&stranger), ["not_a_member"]);
        // Forming the same committee again.
        let again = call(Method::POST, "/api/v1/committees", bureau)
            .json(
                app,
                &json!({
                    "code": "SH-TC-01", "name": {"zh": "x", "en": "x"}, "field": "length",
                    "composition_plan": "p", "formed_on": "2026-01-05"
                }),
            )
            .await
            .problem(422, "guard-rejected");
        assert_eq!(codes(&again), ["committee_already_formed"]);

        // The check lists every breach, then a waiver covers one.
        let check = call(Method::GET, &format!("{c}/composition"), bureau)
            .empty(app)
            .await;
        assert_eq!(check.status.as_u16(), 200, "{}", check.text());
        let rules: Vec<String> = check.json()["check"]["breaches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|breach| breach["rule"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rules, ["vice_chairs_at_least", "one_secretary_general"]);
        let waived = call(Method::POST, &format!("{c}/waivers"), bureau)
            .json(app, &json!({"rule": "vice_chairs_at_least", "reason": "a small field", "authority": "沪市监计量〔2026〕9号"}))
            .await;
        assert_eq!(waived.status.as_u16(), 200, "{}", waived.text());
        let check = call(Method::GET, &format!("{c}/composition"), bureau)
            .empty(app)
            .await
            .json();
        assert_eq!(check["check"]["waivers"].as_array().unwrap().len(), 1);
        assert!(
            !check["check"]["breaches"][0]["waived_by"].is_null(),
            "{check}"
        );
        assert_eq!(check["check"]["compliant"], false);

        let history = call(Method::GET, &format!("{c}/history"), bureau)
            .empty(app)
            .await
            .json();
        assert_eq!(history["records"].as_array().unwrap().len(), 4);
        let verified = call(Method::POST, &format!("{c}/verify"), bureau)
            .empty(app)
            .await
            .json();
        assert_eq!(verified["valid"], true);
        let state = call(
            Method::GET,
            &format!("{c}?as_of=2026-01-05T00:00:00%2B08:00"),
            bureau,
        )
        .empty(app)
        .await
        .json();
        assert!(
            state["state"]["profile"].is_null(),
            "nothing was recorded before the clock's start: {state}"
        );
        let listed = call(Method::GET, "/api/v1/committees", bureau)
            .empty(app)
            .await
            .json();
        assert_eq!(listed[0]["code"], "SH-TC-01");
    }
);

/// Records a meeting on the proposal evaluation of `project` through the API.
async fn record_meeting(
    app: &axum::Router,
    token: Option<&str>,
    project: Uuid,
    meeting: Value,
) -> crate::api::Answer {
    call(
        Method::POST,
        &format!("/api/v1/projects/{project}/commands"),
        token,
    )
    .json(app, &meeting)
    .await
}

fn meeting(id: &str, held_on: &str, roll: &[&str], votes: &[(&str, &str)]) -> Value {
    let present: Vec<&str> = votes.iter().map(|(member, _)| *member).collect();
    let votes: Vec<Value> = votes
        .iter()
        .map(|(member, choice)| json!({"member": member, "choice": choice}))
        .collect();
    json!({
        "command": "record_meeting",
        "meeting_id": id,
        "motion": "proposal_evaluation",
        "form": "meeting",
        "held_on": held_on,
        "roll": roll,
        "present": present,
        "non_voting_present": [{"person": "corr", "capacity": "corresponding_member"}],
        "votes": votes
    })
}

conformance!(
    a_meeting_takes_its_roll_from_the_committee_as_of_its_day,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let store = &api.store;
        formed(store, "SH-TC-01").await;
        accepted(
            store,
            "SH-TC-01",
            appoint("chair", "ECUST", "chair", "2026-01-05"),
        )
        .await;
        accepted(
            store,
            "SH-TC-01",
            appoint("li", "Tongji", "member", "2026-01-05"),
        )
        .await;
        // From the project's drafting unit: flagged, and the definition has them abstain.
        accepted(
            store,
            "SH-TC-01",
            appoint("zhou", "上海市计量测试技术研究院", "member", "2026-01-05"),
        )
        .await;
        accepted(
            store,
            "SH-TC-01",
            appoint("corr", "Fudan", "corresponding_member", "2026-01-05"),
        )
        .await;
        let project = created_project(store, 1, "SH-TC-01").await;
        let secretariat = token(store, "t-sec", Role::Secretariat, Some("SH-TC-01"), None).await;
        let secretariat = Some(secretariat.as_str());

        // The roll left empty is filled from the record: the corresponding member is not on it.
        let zhou_votes = record_meeting(
            app,
            secretariat,
            project,
            meeting(
                "M1",
                "2026-01-05",
                &[],
                &[
                    ("chair", "in_favour"),
                    ("li", "in_favour"),
                    ("zhou", "in_favour"),
                ],
            ),
        )
        .await
        .problem(422, "guard-rejected");
        assert_eq!(codes(&zhou_votes), ["drafting_unit_member_must_abstain"]);
        let recorded = record_meeting(
            app,
            secretariat,
            project,
            meeting(
                "M1",
                "2026-01-05",
                &[],
                &[
                    ("chair", "in_favour"),
                    ("li", "in_favour"),
                    ("zhou", "abstain"),
                ],
            ),
        )
        .await;
        assert_eq!(recorded.status.as_u16(), 200, "{}", recorded.text());
        let history = store.history(project, 0, 100).await.unwrap();
        let event: Value = serde_json::from_str(&history.records.last().unwrap().event).unwrap();
        assert_eq!(event["roll"], json!(["chair", "li", "zhou"]));
        assert_eq!(event["drafting_unit_members"], json!(["zhou"]));

        // The term ends early on 30 June; the next starts on 1 July without li.
        accepted(
            store,
            "SH-TC-01",
            CommitteeCommand::EndTerm {
                ended_on: day("2026-06-30"),
                reason: "reorganised".into(),
            },
        )
        .await;
        accepted(
            store,
            "SH-TC-01",
            CommitteeCommand::StartTerm {
                starts_on: day("2026-07-01"),
                ends_on: None,
            },
        )
        .await;
        for person in ["chair", "zhou"] {
            let organisation = if person == "chair" {
                "ECUST"
            } else {
                "上海市计量测试技术研究院"
            };
            let role = if person == "chair" { "chair" } else { "member" };
            accepted(
                store,
                "SH-TC-01",
                CommitteeCommand::Reappoint {
                    member: member(person, organisation, role),
                    term: None,
                    effective_on: day("2026-07-01"),
                },
            )
            .await;
        }
        api.clock.set(instant("2026-07-01T18:00:00+08:00"));
        // li's term ended the day before: naming li on the roll is refused, with the real roll.
        let stale_roll = record_meeting(
            app,
            secretariat,
            project,
            meeting(
                "M2",
                "2026-07-01",
                &["chair", "li", "zhou"],
                &[("chair", "in_favour")],
            ),
        )
        .await
        .problem(400, "invalid-request");
        assert_eq!(stale_roll["roll"], json!(["chair", "zhou"]), "{stale_roll}");
        // li present as a voter is refused by the engine: not on the roll.
        let li_votes = record_meeting(
            app,
            secretariat,
            project,
            meeting(
                "M2",
                "2026-07-01",
                &[],
                &[("chair", "in_favour"), ("li", "in_favour")],
            ),
        )
        .await
        .problem(422, "guard-rejected");
        assert!(
            codes(&li_votes).contains(&"invalid_input".to_string()),
            "{li_votes}"
        );
        let recorded = record_meeting(
            app,
            secretariat,
            project,
            meeting(
                "M2",
                "2026-07-01",
                &["chair", "zhou"],
                &[("chair", "in_favour"), ("zhou", "abstain")],
            ),
        )
        .await;
        assert_eq!(recorded.status.as_u16(), 200, "{}", recorded.text());

        // A project of a committee with no record keeps the roll its caller sends.
        let other = created_project(store, 2, "SH-TC-02").await;
        let other_secretariat =
            token(store, "t-sec-2", Role::Secretariat, Some("SH-TC-02"), None).await;
        let free = record_meeting(
            app,
            Some(other_secretariat.as_str()),
            other,
            meeting("M1", "2026-07-01", &["a", "b"], &[("a", "in_favour")]),
        )
        .await;
        assert_eq!(free.status.as_u16(), 200, "{}", free.text());
    }
);

conformance!(
    two_nodes_ending_one_term_at_once_record_its_end_once,
    |kind| async move {
        let Some((store, clock, _keep, url)) = store(kind).await else {
            return;
        };
        formed(&store, "SH-TC-01").await;
        let id = committee_id_of("SH-TC-01");
        let term = store
            .committee_state_as_of(id, None)
            .await
            .unwrap()
            .current_term()
            .unwrap()
            .clone();
        clock.set(term.ends_at + chrono::Duration::minutes(5));
        // A second node: another store on the same database, reading the same clock.
        let other =
            Store::open_with_clock(&url, specflow_store::StoreOptions::default(), clock.clone())
                .await
                .unwrap();
        let (first, second) = tokio::join!(store.tick_committee(id), other.tick_committee(id));
        let written = first.unwrap().len() + second.unwrap().len();
        // The warning was never given (the scheduler was down): the end and the report, once.
        assert_eq!(written, 2);
        let types: Vec<String> = store
            .committee_records(id)
            .await
            .unwrap()
            .into_iter()
            .map(|record| record.event_type)
            .collect();
        assert_eq!(
            types.iter().filter(|kind| *kind == "term_ended").count(),
            1,
            "{types:?}"
        );
        assert!(store.tick_committee(id).await.unwrap().is_empty());
        assert!(store.verify_committee(id).await.unwrap().is_ok());
        other.close().await;
    }
);

conformance!(
    a_committee_annual_report_lists_its_composition_and_a_past_year_stays_unchanged,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let (store, app) = (&api.store, &api.app);
        let code = "SH-TC-07";
        // Formed before the year, with a chair and a member in office on its first day.
        api.clock.set(instant("2025-12-01T10:00:00+08:00"));
        accepted(
            store,
            code,
            CommitteeCommand::Form {
                committee_id: committee_id_of(code),
                code: code.to_string(),
                name: LocalizedText::new(
                    "上海市温度计量技术委员会",
                    "Shanghai Temperature Committee",
                ),
                field: "temperature".into(),
                legal_metrology: false,
                composition_plan: "沪市监计量〔2025〕7号".into(),
                formed_on: day("2025-12-01"),
            },
        )
        .await;
        accepted(
            store,
            code,
            CommitteeCommand::StartTerm {
                starts_on: day("2025-12-01"),
                ends_on: None,
            },
        )
        .await;
        accepted(store, code, appoint("zhang", "SIMT", "chair", "2025-12-01")).await;
        accepted(
            store,
            code,
            appoint("wang", "ECUST", "member", "2025-12-01"),
        )
        .await;
        // Within 2026: an appointment (record 5), a resignation (6) and a waiver (7).
        api.clock.set(instant("2026-03-01T10:00:00+08:00"));
        accepted(store, code, appoint("li", "SJTU", "member", "2026-03-01")).await;
        api.clock.set(instant("2026-06-01T10:00:00+08:00"));
        accepted(
            store,
            code,
            CommitteeCommand::Resign {
                person: "wang".into(),
                effective_on: day("2026-06-01"),
                reason: "retired".into(),
            },
        )
        .await;
        api.clock.set(instant("2026-07-01T10:00:00+08:00"));
        accepted(
            store,
            code,
            CommitteeCommand::Waive(CommitteeWaiver {
                rule: "one_secretary_general".into(),
                subject: None,
                reason: "the secretariat is being chosen".into(),
                authority: "沪市监计量〔2026〕9号".into(),
                up_to: None,
            }),
        )
        .await;

        let supervisor = token(store, "t-bureau", Role::Supervisor, None, None).await;
        let path = format!("/api/v1/committees/{code}/reports/annual?year=2026");
        let answer = call(Method::GET, &path, Some(&supervisor)).empty(app).await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text());
        let generated_then = answer.text();
        let report = answer.json();
        let composition = &report["composition"];
        let persons = |members: &Value| -> Vec<String> {
            members
                .as_array()
                .unwrap()
                .iter()
                .map(|member| member["person"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(persons(&composition["at_start"]), ["zhang", "wang"]);
        assert_eq!(persons(&composition["at_end"]), ["zhang", "li"]);
        assert_eq!(composition["at_start"][0]["role"]["zh"], "主任委员");
        let changes: Vec<(String, String, u64)> = composition["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|change| {
                (
                    change["kind"].as_str().unwrap().to_string(),
                    change["person"].as_str().unwrap().to_string(),
                    change["sequence"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            changes,
            [
                ("appointed".to_string(), "li".to_string(), 5),
                ("resigned".to_string(), "wang".to_string(), 6),
            ]
        );
        let waivers = composition["waivers"].as_array().unwrap();
        assert_eq!(waivers.len(), 1);
        assert_eq!(waivers[0]["sequence"], 7);
        assert_eq!(waivers[0]["recorded_on"], "2026-07-01");
        assert_ne!(waivers[0]["rule"]["en"], "one_secretary_general");

        // Later appointments and waivers leave the report for 2026 as it was generated then.
        api.clock.set(instant("2027-02-01T10:00:00+08:00"));
        accepted(
            store,
            code,
            appoint("zhao", "SIMT", "vice_chair", "2027-02-01"),
        )
        .await;
        accepted(
            store,
            code,
            CommitteeCommand::Waive(CommitteeWaiver {
                rule: "vice_chairs_at_least".into(),
                subject: None,
                reason: "a second vice chair is being chosen".into(),
                authority: "沪市监计量〔2027〕2号".into(),
                up_to: None,
            }),
        )
        .await;
        let again = call(Method::GET, &path, Some(&supervisor)).empty(app).await;
        assert_eq!(again.text(), generated_then);
        let next_year = call(
            Method::GET,
            &format!("/api/v1/committees/{code}/reports/annual?year=2027"),
            Some(&supervisor),
        )
        .empty(app)
        .await
        .json();
        assert_eq!(
            persons(&next_year["composition"]["at_end"]),
            ["zhang", "li", "zhao"]
        );
        assert_eq!(
            next_year["composition"]["waivers"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
);

/// Rewrites a committee's record as an insider would, with the update trigger dropped: the
/// event replaced and the hash re-computed, or the stored hash replaced by `hash`.
async fn tamper_committee_record(
    api: &crate::api::Api,
    kind: Kind,
    committee_id: Uuid,
    sequence: u64,
    event: Option<&str>,
    hash: Option<&str>,
) {
    let raw = sqlx::AnyPool::connect(&api.url).await.unwrap();
    let drop = match kind {
        Kind::Sqlite => "DROP TRIGGER IF EXISTS committee_records_refuse_update",
        Kind::Postgres => {
            "DROP TRIGGER IF EXISTS committee_records_refuse_update ON committee_records"
        }
    };
    sqlx::query(drop).execute(&raw).await.unwrap();
    let records = api.store.committee_records(committee_id).await.unwrap();
    let mut record = records[sequence as usize - 1].clone();
    if let Some(event) = event {
        record.event = event.to_string();
    }
    let hash = match hash {
        Some(hash) => hash.to_string(),
        None => record.compute_hash().to_hex(),
    };
    sqlx::query(
        "UPDATE committee_records SET event = $1, hash = $2 WHERE committee_id = $3 AND sequence = $4",
    )
    .bind(record.event.clone())
    .bind(hash)
    .bind(committee_id.to_string())
    .bind(sequence as i64)
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
}

conformance!(
    a_committee_record_that_no_longer_reads_is_shown_and_named_not_a_server_error,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        formed(&api.store, "SH-TC-01").await;
        formed(&api.store, "SH-TC-02").await;
        let bureau = token(&api.store, "t-bureau", Role::Supervisor, None, None).await;
        let bureau = Some(bureau.as_str());
        // The history and verify used to answer 500 when a stored event no longer parsed.
        let unparseable = r#"{"type":"committee_dissolved_by_magic"}"#;
        tamper_committee_record(
            &api,
            kind,
            committee_id_of("SH-TC-01"),
            2,
            Some(unparseable),
            None,
        )
        .await;
        let c = "/api/v1/committees/SH-TC-01";
        let history = call(Method::GET, &format!("{c}/history"), bureau)
            .empty(app)
            .await;
        assert_eq!(history.status.as_u16(), 200, "{}", history.text());
        assert_eq!(history.json()["records"][1]["event"], unparseable);
        let verified = call(Method::POST, &format!("{c}/verify"), bureau)
            .empty(app)
            .await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text());
        let verified = verified.json();
        assert_eq!(verified["valid"], false);
        assert_eq!(verified["failure"]["sequence"], 2);
        assert_eq!(verified["failure"]["fault"]["kind"], "unreadable_event");

        // A stored hash no specflow write produces is shown as stored and named by its field.
        let upper = "F".repeat(64);
        tamper_committee_record(
            &api,
            kind,
            committee_id_of("SH-TC-02"),
            1,
            None,
            Some(&upper),
        )
        .await;
        let c = "/api/v1/committees/SH-TC-02";
        let history = call(Method::GET, &format!("{c}/history"), bureau)
            .empty(app)
            .await;
        assert_eq!(history.status.as_u16(), 200, "{}", history.text());
        assert_eq!(history.json()["records"][0]["hash"], upper.as_str());
        let verified = call(Method::POST, &format!("{c}/verify"), bureau)
            .empty(app)
            .await
            .json();
        assert_eq!(verified["valid"], false);
        assert_eq!(verified["failure"]["sequence"], 1);
        assert_eq!(verified["failure"]["fault"]["kind"], "malformed");
        assert_eq!(verified["failure"]["fault"]["field"], "hash");

        // Verifying everything covers committee chains too, and names both broken ones.
        let everything = call(Method::POST, "/api/v1/verify", bureau)
            .empty(app)
            .await;
        assert_eq!(everything.status.as_u16(), 200, "{}", everything.text());
        let everything = everything.json();
        assert_eq!(everything["valid"], false, "{everything}");
        assert_eq!(everything["committees"], 2, "{everything}");
        let broken: Vec<(String, u64)> = everything["committee_failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|failure| {
                (
                    failure["committee_id"].as_str().unwrap().to_string(),
                    failure["failure"]["sequence"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut expected = vec![
            (committee_id_of("SH-TC-01").to_string(), 2),
            (committee_id_of("SH-TC-02").to_string(), 1),
        ];
        expected.sort();
        let mut broken = broken;
        broken.sort();
        assert_eq!(broken, expected);
        // The export holds every committee record as stored, the unreadable one included.
        let export = call(Method::GET, "/api/v1/export", bureau).empty(app).await;
        assert_eq!(export.status.as_u16(), 200, "{}", export.text());
        let lines: Vec<Value> = export
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let committee_lines: Vec<&Value> = lines
            .iter()
            .filter(|line| line.get("committee_id").is_some())
            .collect();
        assert_eq!(committee_lines.len(), 4, "{lines:?}");
        assert!(
            committee_lines
                .iter()
                .any(|line| line["event"] == unparseable && line["sequence"] == 2),
            "{committee_lines:?}"
        );
    }
);
