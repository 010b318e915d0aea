//! Every chain verified (issue 17): tampering as an insider would, with raw SQL and the
//! triggers dropped, on both backends, and every case named at its own record while the other
//! chains are still proved.

use crate::support::*;
use chrono::NaiveDate;
use specflow_engine::audit::{ChainFault, VerifyFailure, seal_all};
use specflow_engine::committee::CommitteeCommand;
use specflow_engine::committee::audit::CommitteeRecord;
use specflow_engine::stored_record::{ChainHead, RecordKind};
use specflow_engine::{Actor, Command, LocalizedText};
use specflow_store::{CommitteeCommandRequest, CommitteeOutcome, Store, committee_id_of};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Forms committee `code` (one record) and starts its first term (a second).
pub(crate) async fn formed_committee(store: &Store, code: &str) -> Uuid {
    let committee_id = committee_id_of(code);
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    for command in [
        CommitteeCommand::Form {
            committee_id,
            code: code.to_string(),
            name: LocalizedText::new("上海市长度计量技术委员会", "Shanghai Length Committee"),
            field: "length".into(),
            legal_metrology: false,
            composition_plan: "沪市监计量〔2026〕1号".into(),
            formed_on: day("2026-01-05"),
        },
        CommitteeCommand::StartTerm {
            starts_on: day("2026-01-05"),
            ends_on: None,
        },
    ] {
        let outcome = store
            .execute_committee(CommitteeCommandRequest {
                committee_id,
                command_id: Uuid::new_v4(),
                expected_sequence: None,
                actor: Actor::new("bureau-li", "supervisor"),
                command,
            })
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommitteeOutcome::Accepted { .. }),
            "{outcome:?}"
        );
    }
    committee_id
}

/// A project of three records: created, then two artifacts.
async fn project_of_three(store: &Store, number: usize) -> Uuid {
    let project = created_project(store, number, "SH-TC-01").await;
    for content in ["a", "b"] {
        store
            .execute(request(
                project,
                secretariat(),
                attach("project_proposal", content),
            ))
            .await
            .unwrap();
    }
    project
}

/// Drops the append-only and projection triggers, as an insider with the database's
/// password would.
async fn drop_triggers(raw: &sqlx::AnyPool, kind: Kind) {
    let triggers = [
        ("audit_records_refuse_update", "audit_records"),
        ("audit_records_refuse_delete", "audit_records"),
        ("committee_records_refuse_update", "committee_records"),
        ("projects_refuse_delete", "projects"),
    ];
    for (trigger, table) in triggers {
        let statement = match kind {
            Kind::Sqlite => format!("DROP TRIGGER {trigger}"),
            Kind::Postgres => format!("DROP TRIGGER {trigger} ON {table}"),
        };
        sqlx::query(&statement).execute(raw).await.unwrap();
    }
}

async fn execute(raw: &sqlx::AnyPool, statement: &str, subject: Uuid) {
    sqlx::query(statement)
        .bind(subject.to_string())
        .execute(raw)
        .await
        .unwrap();
}

/// Seals a record past the project's head exactly as specflow would, and inserts it behind the
/// projection's back.
pub(crate) async fn forge_record_past_the_head(store: &Store, raw: &sqlx::AnyPool, project: Uuid) {
    let summary = store.project_summary(project).await.unwrap().unwrap();
    let head = specflow_engine::audit::Head {
        sequence: summary.head_sequence,
        hash: specflow_engine::audit::Digest256::from_hex(&summary.head_hash).unwrap(),
    };
    let event = specflow_engine::Event {
        occurred_at: summary.updated_at,
        actor: secretariat(),
        body: specflow_engine::event::EventBody::ArtifactAttached(
            match attach("project_proposal", "forged") {
                Command::AttachArtifact(artifact) => artifact,
                _ => unreachable!(),
            },
        ),
    };
    let records = seal_all(project, Some(head), None, &[event]).unwrap();
    let record = &records[0];
    sqlx::query(
        "INSERT INTO audit_records (project_id, sequence, recorded_at, actor_id, actor_role, command_id, event_type, event_version, event, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10)",
    )
    .bind(project.to_string())
    .bind(record.sequence as i64)
    .bind(record.recorded_at.timestamp_micros())
    .bind(record.actor_id.clone())
    .bind(record.actor_role.clone())
    .bind(record.event_type.clone())
    .bind(i64::from(record.event_version))
    .bind(record.event.clone())
    .bind(record.previous_hash.to_hex())
    .bind(record.hash.to_hex())
    .execute(raw)
    .await
    .unwrap();
}

/// Replaces a committee's last record with one whose event no longer parses, re-hashed so
/// that only the event is wrong.
async fn unreadable_last_committee_record(store: &Store, raw: &sqlx::AnyPool, committee: Uuid) {
    let records = store.committee_records(committee).await.unwrap();
    let mut last: CommitteeRecord = records.last().unwrap().clone();
    last.event = r#"{"type":"committee_dissolved_by_magic"}"#.to_string();
    last.hash = last.compute_hash();
    sqlx::query(
        "UPDATE committee_records SET event = $1, hash = $2 WHERE committee_id = $3 AND sequence = $4",
    )
    .bind(last.event.clone())
    .bind(last.hash.to_hex())
    .bind(committee.to_string())
    .bind(last.sequence as i64)
    .execute(raw)
    .await
    .unwrap();
}

/// What the command line does: every chain of both kinds, from the logs, each verdict kept.
async fn every_verdict(
    store: &Store,
) -> BTreeMap<(RecordKind, String), Result<ChainHead, VerifyFailure>> {
    let mut verdicts = BTreeMap::new();
    for kind in [RecordKind::Project, RecordKind::Committee] {
        for subject in store.chains_with_records(kind, None, 100).await.unwrap() {
            let verdict = store.verify_chain(kind, &subject).await.unwrap();
            verdicts.insert((kind, subject), verdict);
        }
    }
    verdicts
}

fn failure_of(
    verdicts: &BTreeMap<(RecordKind, String), Result<ChainHead, VerifyFailure>>,
    kind: RecordKind,
    subject: Uuid,
) -> VerifyFailure {
    match &verdicts[&(kind, subject.to_string())] {
        Err(failure) => failure.clone(),
        Ok(chain) => panic!("{kind:?} {subject} holds with {} records", chain.records),
    }
}

conformance!(
    every_tampered_chain_is_named_at_its_own_record_and_the_others_still_hold,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let malformed_hash = project_of_three(&store, 1).await;
        let forged_past_head = project_of_three(&store, 2).await;
        let without_projection = project_of_three(&store, 3).await;
        let truncated = project_of_three(&store, 4).await;
        let healthy = project_of_three(&store, 5).await;
        let unreadable_committee = formed_committee(&store, "SH-TC-01").await;
        let healthy_committee = formed_committee(&store, "SH-TC-02").await;
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        drop_triggers(&raw, kind).await;

        // A malformed stored hash used to abort the whole run ("the stored data is inconsistent").
        execute(
            &raw,
            "UPDATE audit_records SET hash = 'not-a-hash' WHERE project_id = $1 AND sequence = 2",
            malformed_hash,
        )
        .await;
        // A forged record past the head used to be a gap at a record that does not exist.
        forge_record_past_the_head(&store, &raw, forged_past_head).await;
        // A deleted projection row used to make the project vanish with nothing reported.
        execute(
            &raw,
            "DELETE FROM projects WHERE project_id = $1",
            without_projection,
        )
        .await;
        execute(
            &raw,
            "DELETE FROM audit_records WHERE project_id = $1 AND sequence = 3",
            truncated,
        )
        .await;
        // A committee event that no longer parses used to answer 500.
        unreadable_last_committee_record(&store, &raw, unreadable_committee).await;

        let verdicts = every_verdict(&store).await;
        assert_eq!(verdicts.len(), 7, "{verdicts:?}");

        let failure = failure_of(&verdicts, RecordKind::Project, malformed_hash);
        assert_eq!(failure.sequence, 2, "{failure}");
        assert_eq!(
            failure.fault,
            ChainFault::Malformed {
                field: "hash".into(),
                found: "not-a-hash".into()
            }
        );
        let failure = failure_of(&verdicts, RecordKind::Project, forged_past_head);
        assert_eq!(failure.sequence, 4, "{failure}");
        assert_eq!(
            failure.fault,
            ChainFault::BeyondProjection { head_sequence: 3 }
        );
        let failure = failure_of(&verdicts, RecordKind::Project, without_projection);
        assert_eq!(failure.fault, ChainFault::NoProjection { records: 3 });
        let failure = failure_of(&verdicts, RecordKind::Project, truncated);
        assert_eq!(failure.sequence, 3, "{failure}");
        assert_eq!(
            failure.fault,
            ChainFault::MissingRecords {
                last: 2,
                head_sequence: 3
            }
        );
        let failure = failure_of(&verdicts, RecordKind::Committee, unreadable_committee);
        assert_eq!(failure.sequence, 2, "{failure}");
        assert!(
            matches!(failure.fault, ChainFault::UnreadableEvent { .. }),
            "{failure}"
        );
        assert_eq!(
            verdicts[&(RecordKind::Project, healthy.to_string())]
                .as_ref()
                .unwrap()
                .records,
            3
        );
        assert_eq!(
            verdicts[&(RecordKind::Committee, healthy_committee.to_string())]
                .as_ref()
                .unwrap()
                .records,
            2
        );
        // The project and committee entry points say the same.
        assert!(store.verify_project(truncated).await.unwrap().is_err());
        assert!(
            store
                .verify_committee(unreadable_committee)
                .await
                .unwrap()
                .is_err()
        );

        // The export holds every kind of record, each as stored.
        let mut exported = Vec::new();
        let count = store.export_jsonl(None, &mut exported).await.unwrap();
        let text = String::from_utf8(exported).unwrap();
        assert_eq!(count, 3 + 4 + 3 + 2 + 3 + 2 + 2, "{text}");
        assert_eq!(text.matches("\"committee_id\"").count(), 4, "{text}");
        assert!(text.contains("\"hash\":\"not-a-hash\""), "{text}");
        assert!(text.contains("committee_dissolved_by_magic"), "{text}");
    }
);

conformance!(the_database_refuses_to_orphan_a_log, |kind| async move {
    let Some((store, _clock, _keep, url)) = store(kind).await else {
        return;
    };
    let project = created_project(&store, 1, "SH-TC-01").await;
    let committee = formed_committee(&store, "SH-TC-01").await;
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    let refused = sqlx::query("DELETE FROM projects WHERE project_id = $1")
        .bind(project.to_string())
        .execute(&raw)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("cannot be deleted"),
        "{refused}"
    );
    let refused = sqlx::query("DELETE FROM committees WHERE committee_id = $1")
        .bind(committee.to_string())
        .execute(&raw)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("cannot be deleted"),
        "{refused}"
    );
    // SQLite has no TRUNCATE; its `DELETE FROM t` runs the row triggers.
    let refused = sqlx::query("DELETE FROM projects")
        .execute(&raw)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("cannot be deleted"),
        "{refused}"
    );
    if kind == Kind::Postgres {
        for statement in [
            "TRUNCATE projects CASCADE",
            "TRUNCATE committees CASCADE",
            "TRUNCATE audit_records CASCADE",
            "TRUNCATE committee_records CASCADE",
        ] {
            let refused = sqlx::query(statement).execute(&raw).await.unwrap_err();
            assert!(
                refused.to_string().contains("TRUNCATE is refused"),
                "{statement}: {refused}"
            );
        }
    }
    assert!(store.project_summary(project).await.unwrap().is_some());
    assert!(store.verify_project(project).await.unwrap().is_ok());
    assert!(store.verify_committee(committee).await.unwrap().is_ok());
});
