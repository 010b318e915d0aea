//! One conformance suite, run against both stores: every test here runs on SQLite and on
//! PostgreSQL (when configured), so the two backends cannot drift apart.

use crate::support::*;
use specflow_engine::audit::{AsOf, AuditRecord, verify};
use specflow_engine::{Command, ProjectState};
use specflow_store::StoreError;
use specflow_store::{CommandOutcome, OverdueFilter, OverdueSort, ProjectFilter};
use std::collections::BTreeSet;
use uuid::Uuid;

fn accepted(outcome: &CommandOutcome) -> (u64, u64) {
    match outcome {
        CommandOutcome::Accepted {
            first_sequence,
            last_sequence,
            ..
        } => (*first_sequence, *last_sequence),
        CommandOutcome::Rejected { rejection, .. } => panic!("rejected: {rejection}"),
    }
}

async fn all_records(store: &specflow_store::Store, project_id: Uuid) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = store.history(project_id, after, 7).await.unwrap();
        records.extend(page.records);
        match page.next_after_sequence {
            Some(next) => after = next,
            None => return records,
        }
    }
}

conformance!(
    migrations_apply_once_and_a_newer_schema_is_refused,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        assert_eq!(
            store.applied_migrations().await.unwrap(),
            vec![
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18
            ]
        );
        assert!(
            store.migrate().await.unwrap().is_empty(),
            "migrating again changes nothing"
        );
        // A later specflow applied migration 9999; this build must refuse the database.
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (9999, 'from the future', CURRENT_TIMESTAMP, TRUE, $1, 0)")
        .bind(vec![0u8; 48])
        .execute(&sqlx::AnyPool::connect(&url).await.unwrap())
        .await
        .unwrap();
        store.close().await;
        let error = specflow_store::Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::NewerSchema { version: 9999, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("newer specflow"), "{error}");
    }
);

conformance!(
    definitions_are_immutable_and_a_changed_file_gets_a_new_version,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let text = std::fs::read_to_string(workflows_folder().join("metrology-spec.toml")).unwrap();
        let again = store
            .register_definition("metrology-spec.toml", &text)
            .await
            .unwrap();
        assert_eq!((again.version, again.newly_registered), (1, false));
        let changed = text.replacen("minimum = 20", "minimum = 25", 1);
        let registered = store
            .register_definition("metrology-spec.toml", &changed)
            .await
            .unwrap();
        assert_eq!((registered.version, registered.newly_registered), (2, true));
        let version_two = store.definition("metrology-spec", 2).await.unwrap();
        assert_eq!(version_two.version, 2);
        assert!(
            version_two.working_calendar().is_some(),
            "the calendar comes from the database"
        );
        assert_eq!(
            store
                .latest_definition("metrology-spec")
                .await
                .unwrap()
                .version,
            2
        );
        let broken = store
            .register_definition("broken.toml", "id = ")
            .await
            .unwrap_err();
        assert!(matches!(broken, StoreError::InvalidDefinition { .. }));
        assert!(broken.to_string().starts_with("broken.toml:1:"), "{broken}");
    }
);

conformance!(
    a_transition_appends_records_and_updates_the_projection_in_one_go,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        clock.advance(chrono::Duration::days(1));
        let outcome = store
            .execute(request(
                project,
                secretariat(),
                attach("project_proposal", "a proposal"),
            ))
            .await
            .unwrap();
        assert_eq!(accepted(&outcome), (2, 2));
        let summary = store.project_summary(project).await.unwrap().unwrap();
        assert_eq!(summary.stage, "preresearch");
        assert_eq!(summary.head_sequence, 2);
        assert_eq!(summary.code, "JJF(沪)-2026-001");
        let records = all_records(&store, project).await;
        assert_eq!(records.len(), 2);
        assert_eq!(summary.head_hash, records[1].hash.to_hex());
        assert!(verify(&records).is_ok());
        let view = store.project(project).await.unwrap().unwrap();
        assert_eq!(view.state.artifacts.len(), 1);
        assert_eq!(
            view.state,
            ProjectState::replay(
                &records
                    .iter()
                    .map(|record| record.to_event().unwrap())
                    .collect::<Vec<_>>()
            )
        );
        assert_eq!(
            store.resolve_project("JJF(沪)-2026-001").await.unwrap(),
            project
        );
        assert_eq!(
            store.resolve_project(&project.to_string()).await.unwrap(),
            project
        );
        assert!(matches!(
            store.resolve_project("nope").await.unwrap_err(),
            StoreError::ProjectNotFound(_)
        ));
    }
);

conformance!(
    a_rejection_writes_nothing_but_its_answer,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let fire = request(
            project,
            secretariat(),
            Command::FireAction {
                action: "propose".to_string(),
                reason: None,
            },
        );
        let outcome = store.execute(fire.clone()).await.unwrap();
        let CommandOutcome::Rejected { rejection, .. } = &outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(rejection.codes(), ["artifacts_missing", "vote_not_held"]);
        assert_eq!(store.head_sequence(project).await.unwrap(), 1);
        // The same command id is answered alike, even after the state changed.
        store
            .execute(request(
                project,
                secretariat(),
                attach("project_proposal", "p"),
            ))
            .await
            .unwrap();
        assert_eq!(store.execute(fire).await.unwrap(), outcome);
    }
);

conformance!(
    the_same_command_id_twice_even_concurrently_is_carried_out_once,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let attach_once = request(project, secretariat(), attach("project_proposal", "once"));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            let attach_once = attach_once.clone();
            tasks.push(tokio::spawn(
                async move { store.execute(attach_once).await },
            ));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap().unwrap());
        }
        assert!(
            answers.windows(2).all(|pair| pair[0] == pair[1]),
            "{answers:?}"
        );
        assert_eq!(accepted(&answers[0]), (2, 2));
        assert_eq!(store.head_sequence(project).await.unwrap(), 2);
        assert_eq!(store.execute(attach_once).await.unwrap(), answers[0]);
    }
);

conformance!(
    two_writers_expecting_the_same_sequence_end_with_one_success_and_one_conflict,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        for round in 0..5 {
            let head = store.head_sequence(project).await.unwrap();
            let mut first = request(
                project,
                secretariat(),
                attach("project_proposal", &format!("first {round}")),
            );
            let mut second = request(
                project,
                secretariat(),
                attach("project_proposal", &format!("second {round}")),
            );
            first.expected_sequence = Some(head);
            second.expected_sequence = Some(head);
            let (one, two) = tokio::join!(store.execute(first), store.execute(second));
            let results = [one, two];
            let successes = results
                .iter()
                .filter(|result| matches!(result, Ok(CommandOutcome::Accepted { .. })))
                .count();
            let conflicts = results
            .iter()
            .filter(|result| matches!(result, Err(StoreError::Conflict { current, expected, .. }) if *current == head + 1 && *expected == head))
            .count();
            assert_eq!((successes, conflicts), (1, 1), "round {round}: {results:?}");
        }
        assert!(verify(&all_records(&store, project).await).is_ok());
    }
);

conformance!(
    many_tasks_advancing_one_project_leave_a_gapless_verified_chain,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let mut tasks = Vec::new();
        for task in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for index in 0..5 {
                    let command = Command::RecordComment(specflow_engine::command::Comment {
                        comment_id: format!("C{task}-{index}"),
                        organisation: format!("organisation {task}"),
                        clause: None,
                        text: "a comment".to_string(),
                    });
                    let outcome = store
                        .execute(request(project, secretariat(), command))
                        .await
                        .unwrap();
                    assert!(
                        matches!(outcome, CommandOutcome::Accepted { .. }),
                        "{outcome:?}"
                    );
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let records = all_records(&store, project).await;
        assert_eq!(records.len(), 81);
        assert_eq!(
            records
                .iter()
                .map(|record| record.sequence)
                .collect::<Vec<_>>(),
            (1..=81).collect::<Vec<_>>()
        );
        assert!(verify(&records).is_ok());
        assert!(store.verify_project(project).await.unwrap().is_ok());
        let view = store.project(project).await.unwrap().unwrap();
        assert_eq!(view.state.comments.len(), 80);
    }
);

conformance!(
    the_database_refuses_to_update_or_delete_audit_records,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let update =
            sqlx::query("UPDATE audit_records SET actor_id = 'someone-else' WHERE project_id = $1")
                .bind(project.to_string())
                .execute(&raw)
                .await
                .unwrap_err();
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = sqlx::query("DELETE FROM audit_records WHERE project_id = $1")
            .bind(project.to_string())
            .execute(&raw)
            .await
            .unwrap_err();
        assert!(delete.to_string().contains("append-only"), "{delete}");
        if kind == Kind::Postgres {
            let truncate = sqlx::query("TRUNCATE audit_records")
                .execute(&raw)
                .await
                .unwrap_err();
            assert!(truncate.to_string().contains("append-only"), "{truncate}");
        }
        assert_eq!(store.head_sequence(project).await.unwrap(), 1);
        assert_eq!(all_records(&store, project).await.len(), 1);
    }
);

conformance!(
    with_the_triggers_dropped_an_edited_record_is_named_by_verify,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        for content in ["a", "b", "c"] {
            store
                .execute(request(
                    project,
                    secretariat(),
                    attach("project_proposal", content),
                ))
                .await
                .unwrap();
        }
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let drops: &[&str] = match kind {
            Kind::Sqlite => &[
                "DROP TRIGGER audit_records_refuse_update",
                "DROP TRIGGER audit_records_refuse_delete",
            ],
            Kind::Postgres => &[
                "DROP TRIGGER audit_records_refuse_update ON audit_records",
                "DROP TRIGGER audit_records_refuse_delete ON audit_records",
            ],
        };
        for statement in drops {
            sqlx::query(statement).execute(&raw).await.unwrap();
        }
        sqlx::query(
            "UPDATE audit_records SET actor_id = 'mallory' WHERE project_id = $1 AND sequence = 3",
        )
        .bind(project.to_string())
        .execute(&raw)
        .await
        .unwrap();
        let failure = store.verify_project(project).await.unwrap().unwrap_err();
        assert_eq!(failure.sequence, 3, "{failure}");
        // Deleting the last record leaves a chain that verifies alone; the projection still knows the head.
        sqlx::query("DELETE FROM audit_records WHERE project_id = $1 AND sequence = 4")
            .bind(project.to_string())
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_records SET actor_id = 'sec-wang' WHERE project_id = $1 AND sequence = 3",
        )
        .bind(project.to_string())
        .execute(&raw)
        .await
        .unwrap();
        let failure = store.verify_project(project).await.unwrap().unwrap_err();
        assert_eq!(failure.sequence, 4, "{failure}");
    }
);

conformance!(lists_page_by_keyset_and_filter, |kind| async move {
    let Some((store, _clock, _keep, _url)) = store(kind).await else {
        return;
    };
    for number in 1..=25 {
        created_project(
            &store,
            number,
            if number % 2 == 0 {
                "SH-TC-02"
            } else {
                "SH-TC-01"
            },
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_projects(&ProjectFilter::default(), after.as_deref(), 10)
            .await
            .unwrap();
        assert!(page.items.len() <= 10);
        seen.extend(page.items.iter().map(|item| item.code.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]));
    let committee = ProjectFilter {
        committee: Some("SH-TC-02".to_string()),
        ..ProjectFilter::default()
    };
    assert_eq!(
        store
            .list_projects(&committee, None, 100)
            .await
            .unwrap()
            .items
            .len(),
        12
    );
    let stage = ProjectFilter {
        stage: Some("drafting".to_string()),
        ..ProjectFilter::default()
    };
    assert!(
        store
            .list_projects(&stage, None, 100)
            .await
            .unwrap()
            .items
            .is_empty()
    );
});

conformance!(
    deadlines_fall_due_through_tick_and_show_on_the_overdue_list,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        // Walk it to drafting by the bureau's approval, with the project's events recorded as commands.
        store
            .execute(request(
                project,
                secretariat(),
                attach("project_proposal", "p"),
            ))
            .await
            .unwrap();
        let meeting = specflow_engine::command::MeetingRecord {
            meeting_id: "M1".to_string(),
            motion: "proposal_evaluation".to_string(),
            form: specflow_engine::definition::MeetingForm::Meeting,
            held_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            roll: (1..=9).map(|member| format!("member-{member}")).collect(),
            present: (1..=9).map(|member| format!("member-{member}")).collect(),
            non_voting_present: Vec::new(),
            votes: (1..=9)
                .map(|member| specflow_engine::command::Vote {
                    member: format!("member-{member}"),
                    choice: specflow_engine::command::VoteChoice::InFavour,
                })
                .collect(),
            minutes_sha256: None,
            drafting_unit_members: Vec::new(),
        };
        for (actor, command) in [
            (secretariat(), Command::RecordMeeting(meeting)),
            (
                secretariat(),
                Command::FireAction {
                    action: "propose".to_string(),
                    reason: None,
                },
            ),
            (secretariat(), attach("project_application", "a")),
            (secretariat(), attach("task_statement", "t")),
            (
                bureau(),
                Command::FireAction {
                    action: "approve_project".to_string(),
                    reason: None,
                },
            ),
        ] {
            accepted(
                &store
                    .execute(request(project, actor, command))
                    .await
                    .unwrap(),
            );
        }
        let summary = store.project_summary(project).await.unwrap().unwrap();
        assert_eq!(summary.stage, "drafting");
        let next = summary.next_deadline_at.unwrap();
        assert!(
            store.tick_project(project).await.unwrap().is_empty(),
            "nothing is due yet"
        );
        // Thirteen months later the drafting deadline (12 months) has been missed.
        clock.advance(chrono::Duration::days(400));
        let records = store.tick_project(project).await.unwrap();
        let types: Vec<&str> = records
            .iter()
            .map(|record| record.event_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "deadline_warning_given",
                "deadline_missed",
                "project_escalated"
            ],
            "first due {next}"
        );
        assert!(
            store.tick_project(project).await.unwrap().is_empty(),
            "each alarm fires once"
        );
        let overdue = store.list_overdue(None, None, 10).await.unwrap();
        assert_eq!(overdue.items.len(), 1);
        assert!(overdue.items[0].escalated);
        assert!(
            store
                .list_overdue(Some("SH-TC-02"), None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let not_overdue = ProjectFilter {
            overdue: Some(false),
            ..ProjectFilter::default()
        };
        assert!(
            store
                .list_projects(&not_overdue, None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        // The state as of an instant replays a prefix.
        let as_of = store.state_as_of(project, AsOf::Sequence(4)).await.unwrap();
        assert_eq!(as_of.stage(), "proposal");
        let now_state = store
            .state_as_of(
                project,
                AsOf::Instant(specflow_store::Clock::now(clock.as_ref())),
            )
            .await
            .unwrap();
        assert!(now_state.is_overdue());
    }
);

conformance!(the_export_is_json_lines_that_verify, |kind| async move {
    let Some((store, _clock, _keep, _url)) = store(kind).await else {
        return;
    };
    let first = created_project(&store, 1, "SH-TC-01").await;
    let second = created_project(&store, 2, "SH-TC-01").await;
    store
        .execute(request(
            first,
            secretariat(),
            attach("project_proposal", "p"),
        ))
        .await
        .unwrap();
    let mut all = Vec::new();
    assert_eq!(store.export_jsonl(None, &mut all).await.unwrap(), 3);
    let records: Vec<AuditRecord> = String::from_utf8(all)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let projects: BTreeSet<Uuid> = records.iter().map(|record| record.project_id).collect();
    assert_eq!(projects, BTreeSet::from([first, second]));
    for project in [first, second] {
        let chain: Vec<AuditRecord> = records
            .iter()
            .filter(|record| record.project_id == project)
            .cloned()
            .collect();
        assert!(verify(&chain).is_ok());
    }
    let mut one = Vec::new();
    assert_eq!(store.export_jsonl(Some(second), &mut one).await.unwrap(), 1);
});

conformance!(
    a_command_for_a_missing_project_or_a_mismatched_id_is_refused_cleanly,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let missing = store
            .execute(request(
                Uuid::new_v4(),
                secretariat(),
                attach("project_proposal", "p"),
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(missing, StoreError::ProjectNotFound(_)),
            "{missing}"
        );
        let project = Uuid::new_v4();
        let mismatched = store
            .execute(request(
                project,
                secretariat(),
                create(Uuid::new_v4(), 1, "SH-TC-01"),
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(mismatched, StoreError::InvalidRequest(_)),
            "{mismatched}"
        );
        let duplicate_code = Uuid::new_v4();
        created_project(&store, 7, "SH-TC-01").await;
        let error = store
            .execute(request(
                duplicate_code,
                secretariat(),
                create(duplicate_code, 7, "SH-TC-01"),
            ))
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("already has the code"),
            "{error}"
        );
        assert!(
            store
                .project_summary(duplicate_code)
                .await
                .unwrap()
                .is_none(),
            "nothing half-written"
        );
        assert!(
            store
                .history(duplicate_code, 0, 10)
                .await
                .unwrap()
                .records
                .is_empty()
        );
    }
);

#[tokio::test]
async fn a_bad_url_or_an_unreachable_server_is_a_clear_error_without_the_password() {
    let unsupported = specflow_store::Store::open(
        "mysql://root:hunter2@localhost/x",
        specflow_store::StoreOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(unsupported, StoreError::UnsupportedUrl { .. }));
    assert!(
        !unsupported.to_string().contains("hunter2"),
        "{unsupported}"
    );
    let unreachable = specflow_store::Store::open(
        "postgres://specflow:hunter2@127.0.0.1:1/specflow?connect_timeout=2",
        specflow_store::StoreOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(unreachable, StoreError::Unavailable { .. }),
        "{unreachable}"
    );
    let message = unreachable.to_string();
    assert!(
        !message.contains("hunter2") && message.contains("specflow:***@127.0.0.1:1"),
        "{message}"
    );
}

#[tokio::test]
async fn a_corrupt_sqlite_file_is_a_clear_error() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("corrupt.db");
    std::fs::write(
        &path,
        b"this is not an SQLite database, just some text that is long enough to fill a header page",
    )
    .unwrap();
    let error = specflow_store::Store::open(
        &format!("sqlite://{}", path.display()),
        specflow_store::StoreOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error}");
    assert!(error.to_string().contains("corrupt.db"), "{error}");
    assert!(error.to_string().contains("not a database"), "{error}");
}

#[tokio::test]
async fn a_read_only_sqlite_database_refuses_writes_clearly() {
    let Some((store, _clock, _keep, url)) = store(Kind::Sqlite).await else {
        return;
    };
    let project = created_project(&store, 1, "SH-TC-01").await;
    store.close().await;
    let read_only = specflow_store::Store::open(
        &format!("{url}?mode=ro"),
        specflow_store::StoreOptions {
            migrate: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        read_only.project_summary(project).await.unwrap().is_some(),
        "reads work"
    );
    let error = read_only
        .execute(request(
            project,
            secretariat(),
            attach("project_proposal", "p"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Database { .. }), "{error}");
    assert!(
        error.to_string().contains("readonly") || error.to_string().contains("read-only"),
        "{error}"
    );
}

conformance!(
    two_nodes_writing_to_the_same_projects_keep_every_chain_whole,
    |kind| async move {
        let Some((first, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        // A second store on the same database stands for a second node (on SQLite, a second process
        // would take turns on the file lock the same way).
        let second = specflow_store::Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let projects = [
            created_project(&first, 1, "SH-TC-01").await,
            created_project(&first, 2, "SH-TC-01").await,
        ];
        let mut tasks = Vec::new();
        for task in 0..12 {
            let node = if task % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            // Both nodes write to both projects.
            let project = projects[(task / 2) % 2];
            tasks.push(tokio::spawn(async move {
                for index in 0..6 {
                    let command = Command::RecordComment(specflow_engine::command::Comment {
                        comment_id: format!("N{task}-{index}"),
                        organisation: "node test".to_string(),
                        clause: None,
                        text: "a comment".to_string(),
                    });
                    let outcome = node
                        .execute(request(project, secretariat(), command))
                        .await
                        .unwrap();
                    assert!(
                        matches!(outcome, CommandOutcome::Accepted { .. }),
                        "{outcome:?}"
                    );
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut total = 0;
        for project in projects {
            assert!(first.verify_project(project).await.unwrap().is_ok());
            assert!(second.verify_project(project).await.unwrap().is_ok());
            let view = second.project(project).await.unwrap().unwrap();
            total += view.state.comments.len();
            let records = all_records(&first, project).await;
            assert_eq!(records.len() as u64, view.summary.head_sequence);
        }
        assert_eq!(total, 72);
    }
);

conformance!(
    a_batch_with_refusals_and_conflicts_between_its_jobs_answers_each_rightly,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        // Submitted together, so that they tend to share a batch: accepted, refused, conflicting,
        // accepted again, and a duplicate of the first.
        let first = request(project, secretariat(), attach("project_proposal", "one"));
        let refused = request(project, bureau(), attach("no_such_kind", "two"));
        let mut conflicting = request(project, secretariat(), attach("project_proposal", "three"));
        conflicting.expected_sequence = Some(0);
        let last = request(project, secretariat(), attach("project_proposal", "four"));
        let duplicate = first.clone();
        let (one, two, three, four, five) = tokio::join!(
            store.execute(first),
            store.execute(refused),
            store.execute(conflicting),
            store.execute(last),
            store.execute(duplicate),
        );
        let one = one.unwrap();
        assert!(matches!(one, CommandOutcome::Accepted { .. }), "{one:?}");
        assert!(matches!(two.unwrap(), CommandOutcome::Rejected { .. }));
        assert!(matches!(
            three.unwrap_err(),
            StoreError::Conflict { expected: 0, .. }
        ));
        assert!(matches!(four.unwrap(), CommandOutcome::Accepted { .. }));
        assert_eq!(five.unwrap(), one, "the duplicate gets the first answer");
        let records = all_records(&store, project).await;
        assert_eq!(
            records.len(),
            3,
            "creation and the two accepted attachments"
        );
        assert!(verify(&records).is_ok());
        assert_eq!(
            store
                .project(project)
                .await
                .unwrap()
                .unwrap()
                .state
                .artifacts
                .len(),
            2
        );
    }
);

conformance!(
    the_overdue_board_reads_in_every_order_page_by_page,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .register_definition("timer-test.toml", TIMER_TEST)
            .await
            .unwrap();
        // Eleven projects created a day apart (so each falls overdue on its own day), in four
        // committees, the first two created at the same instant (so the id breaks the tie).
        let start = specflow_store::Clock::now(clock.as_ref());
        for number in 0..11_usize {
            clock.set(start + chrono::Duration::days(number.saturating_sub(1) as i64));
            let project_id = Uuid::new_v4();
            let mut command = create_timer_project(project_id, number);
            if let Command::CreateProject(new) = &mut command {
                new.committee = format!("SH-TC-0{}", number % 4);
            }
            accepted(
                &store
                    .execute(request(project_id, secretariat(), command))
                    .await
                    .unwrap(),
            );
        }
        clock.set(start + chrono::Duration::days(60));
        let everything = store
            .list_projects(&ProjectFilter::default(), None, 100)
            .await
            .unwrap()
            .items;
        for project in &everything {
            store.tick_project(project.project_id).await.unwrap();
        }
        let mut summaries = Vec::new();
        for project in &everything {
            summaries.push(
                store
                    .project_summary(project.project_id)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert!(
            summaries
                .iter()
                .all(|summary| summary.overdue_since.is_some())
        );
        for sort in OverdueSort::ALL {
            let mut expected = summaries.clone();
            expected.sort_by(|a, b| {
                let key = |summary: &specflow_store::ProjectSummary| {
                    (summary.overdue_since, summary.project_id)
                };
                match sort {
                    OverdueSort::LongestOverdue => key(a).cmp(&key(b)),
                    OverdueSort::RecentlyOverdue => key(b).cmp(&key(a)),
                    OverdueSort::Committee => (&a.committee, key(a)).cmp(&(&b.committee, key(b))),
                }
            });
            let expected: Vec<Uuid> = expected.iter().map(|summary| summary.project_id).collect();
            let filter = OverdueFilter {
                sort,
                ..OverdueFilter::default()
            };
            let mut read = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = store
                    .list_overdue_matching(&filter, after.as_deref(), 3)
                    .await
                    .unwrap();
                assert!(page.items.len() <= 3);
                read.extend(page.items.iter().map(|summary| summary.project_id));
                match page.next_after {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(read, expected, "{sort:?}");
            // With a filter, the filter's placeholders follow the cursor's.
            let filter = OverdueFilter {
                committee: Some("SH-TC-01".to_string()),
                sort,
                ..OverdueFilter::default()
            };
            let first = store.list_overdue_matching(&filter, None, 1).await.unwrap();
            let rest = store
                .list_overdue_matching(&filter, first.next_after.as_deref(), 100)
                .await
                .unwrap();
            let read: Vec<Uuid> = first
                .items
                .iter()
                .chain(&rest.items)
                .map(|summary| summary.project_id)
                .collect();
            let in_committee: Vec<Uuid> = expected
                .iter()
                .copied()
                .filter(|id| {
                    summaries
                        .iter()
                        .any(|summary| summary.project_id == *id && summary.committee == "SH-TC-01")
                })
                .collect();
            assert_eq!(read, in_committee, "{sort:?} in one committee");
        }
        // A cursor of the time orders is not one of the committee order, and the reverse.
        let longest = store
            .list_overdue_matching(&OverdueFilter::default(), None, 1)
            .await
            .unwrap();
        let by_committee = OverdueFilter {
            sort: OverdueSort::Committee,
            ..OverdueFilter::default()
        };
        let error = store
            .list_overdue_matching(&by_committee, longest.next_after.as_deref(), 1)
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::InvalidRequest(_)), "{error}");
        let committee_cursor = store
            .list_overdue_matching(&by_committee, None, 1)
            .await
            .unwrap()
            .next_after;
        let error = store
            .list_overdue_matching(&OverdueFilter::default(), committee_cursor.as_deref(), 1)
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::InvalidRequest(_)), "{error}");
    }
);

conformance!(
    concurrent_reads_on_a_cold_store_do_not_exhaust_its_connections,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        store.close().await;
        // A fresh store knows no definition yet: each read loads it. Sixteen reads at once on a
        // pool of two connections once deadlocked until the pool's timeout (10 s), each read
        // holding a connection while it waited for a second one to load the definition.
        let store = specflow_store::Store::open(
            &url,
            specflow_store::StoreOptions {
                max_connections: 2,
                ..specflow_store::StoreOptions::default()
            },
        )
        .await
        .unwrap();
        let reads = futures_util::future::join_all((0..16).map(|_| {
            let store = store.clone();
            async move { store.project(project).await }
        }));
        let views = tokio::time::timeout(std::time::Duration::from_secs(5), reads)
            .await
            .expect("sixteen reads on two connections finish in well under 5 s");
        for view in views {
            assert_eq!(view.unwrap().unwrap().summary.stage, "preresearch");
        }
        store.close().await;
    }
);

conformance!(
    a_refusal_is_never_decided_on_a_state_another_node_has_moved_past,
    |kind| async move {
        let Some((first, clock, _keep, url)) = store(kind).await else {
            return;
        };
        // The soak bench found this: node a kept a project's state in its cache, node b fired
        // `propose` (acknowledged), and node a then refused `approve_project` because "the
        // project is in preresearch", from its stale copy; a refusal writes no record, so the
        // key (project_id, sequence) that catches a stale state for accepted commands never did.
        let second = specflow_store::Store::open_with_clock(
            &url,
            specflow_store::StoreOptions::default(),
            clock.clone(),
        )
        .await
        .unwrap();
        // Created on the first node, which keeps the state it wrote.
        let project = created_project(&first, 1, "SH-TC-01").await;
        let members: Vec<String> = (1..=9).map(|member| format!("member-{member}")).collect();
        let meeting = specflow_engine::command::MeetingRecord {
            meeting_id: "M1".to_string(),
            motion: "proposal_evaluation".to_string(),
            form: specflow_engine::definition::MeetingForm::Meeting,
            held_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            roll: members.clone(),
            present: members.clone(),
            non_voting_present: Vec::new(),
            votes: members
                .iter()
                .map(|member| specflow_engine::command::Vote {
                    member: member.clone(),
                    choice: specflow_engine::command::VoteChoice::InFavour,
                })
                .collect(),
            minutes_sha256: None,
            drafting_unit_members: Vec::new(),
        };
        let fire = |action: &str| Command::FireAction {
            action: action.to_string(),
            reason: None,
        };
        // The second node brings it to where the bureau may approve it.
        for command in [
            attach("project_proposal", "p"),
            Command::RecordMeeting(meeting),
            fire("propose"),
            attach("project_application", "a"),
            attach("task_statement", "t"),
        ] {
            accepted(
                &second
                    .execute(request(project, secretariat(), command))
                    .await
                    .unwrap(),
            );
        }
        // The first node's copy still says preresearch; the approval must be decided on the log.
        let outcome = first
            .execute(request(project, bureau(), fire("approve_project")))
            .await
            .unwrap();
        assert_eq!(accepted(&outcome), (7, 9), "{outcome:?}");
        // A refusal decided on the current state is still a refusal, and is answered as one.
        let outcome = first
            .execute(request(project, bureau(), fire("approve_project")))
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommandOutcome::Rejected { .. }),
            "{outcome:?}"
        );
        let summary = second.project_summary(project).await.unwrap().unwrap();
        assert_eq!(
            (summary.stage.as_str(), summary.head_sequence),
            ("drafting", 9)
        );
        second.close().await;
        first.close().await;
    }
);

conformance!(
    a_state_brought_in_for_a_write_is_written_on_even_when_another_node_wrote_since,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let second = specflow_store::Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let project = created_project(&store, 1, "SH-TC-01").await;
        let comment = |index: usize| {
            Command::RecordComment(specflow_engine::command::Comment {
                comment_id: format!("C{index}"),
                organisation: "上海市计量测试技术研究院".to_string(),
                clause: None,
                text: "a comment".to_string(),
            })
        };
        store
            .execute(request(project, secretariat(), comment(0)))
            .await
            .unwrap();
        let summary = second
            .project_summary_for_write(project)
            .await
            .unwrap()
            .expect("it exists");
        let head = store.project_summary(project).await.unwrap().unwrap();
        assert_eq!(summary.head_sequence, head.head_sequence);
        // The first node writes after the second brought the state in: the second's copy is
        // stale, and its write must still land after the first's.
        store
            .execute(request(project, secretariat(), comment(1)))
            .await
            .unwrap();
        // Its stale copy still names the project's fixed facts, by id (from the cache) and by
        // code (from the projection) alike.
        let by_id = second
            .resolve_write_target(&project.to_string())
            .await
            .unwrap();
        let by_code = second.resolve_write_target(&head.code).await.unwrap();
        assert_eq!(by_id, by_code);
        assert_eq!(
            (
                by_id.project_id,
                by_id.committee.as_str(),
                by_id.code.as_str()
            ),
            (project, head.committee.as_str(), head.code.as_str())
        );
        assert_eq!(by_id.drafting_unit, head.drafting_unit);
        let outcome = second
            .execute(request(project, secretariat(), comment(2)))
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let view = store.project(project).await.unwrap().expect("it exists");
        assert_eq!(view.state.comments.len(), 3);
        assert!(matches!(
            second
                .resolve_write_target(&Uuid::new_v4().to_string())
                .await,
            Err(StoreError::ProjectNotFound(_))
        ));
        assert_eq!(view.summary.head_sequence, head.head_sequence + 2);
        assert!(matches!(
            second
                .resolve_project_summary_for_write(&Uuid::new_v4().to_string())
                .await,
            Err(StoreError::ProjectNotFound(_))
        ));
        second.close().await;
        store.close().await;
    }
);

conformance!(
    a_node_reading_what_another_node_writes_sees_every_new_head,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        // Another node on the same database: it only reads, and keeps what it replays.
        let reader = specflow_store::Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let project = created_project(&store, 1, "SH-TC-01").await;
        for index in 0..3_usize {
            let command = Command::RecordComment(specflow_engine::command::Comment {
                comment_id: format!("C{index}"),
                organisation: "上海市计量测试技术研究院".to_string(),
                clause: Some("4.2".to_string()),
                text: "a comment".to_string(),
            });
            let outcome = store
                .execute(request(project, secretariat(), command))
                .await
                .unwrap();
            assert!(
                matches!(outcome, CommandOutcome::Accepted { .. }),
                "{outcome:?}"
            );
            let view = reader.project(project).await.unwrap().expect("it exists");
            assert_eq!(
                view.state.comments.len(),
                index + 1,
                "after comment {index}"
            );
            assert_eq!(view.state.events_applied, view.summary.head_sequence);
            // Read again: from the reader's cache now, and the same.
            let again = reader.project(project).await.unwrap().expect("it exists");
            assert_eq!(again.state, view.state);
            assert_eq!(again.summary.head_sequence, view.summary.head_sequence);
            // By code, as people type it (the projection first, then the state): the same.
            let by_code = reader
                .resolve_project_view(&view.summary.code)
                .await
                .unwrap();
            assert_eq!(by_code.state, view.state);
            // A third node that caches nothing replays the whole log in the same one query.
            let fresh = specflow_store::Store::open(
                &url,
                specflow_store::StoreOptions {
                    state_cache_bytes: 0,
                    ..specflow_store::StoreOptions::default()
                },
            )
            .await
            .unwrap();
            let replayed = fresh
                .resolve_project_view(&project.to_string())
                .await
                .unwrap();
            assert_eq!(replayed.state, view.state);
            fresh.close().await;
        }
        assert!(matches!(
            reader
                .resolve_project_view(&Uuid::new_v4().to_string())
                .await,
            Err(StoreError::ProjectNotFound(_))
        ));
        reader.close().await;
        store.close().await;
    }
);
