//! Batches carried out all or none (`Store::execute_all`), on both stores: a refused command
//! leaves nothing of its batch behind, each command is decided on the state the ones before it
//! produced, and a batch sent again is answered, not repeated.

use crate::support::*;
use specflow_engine::Command;
use specflow_engine::audit::verify;
use specflow_engine::command::{Comment, Disposition};
use specflow_store::{BatchOutcome, CommandOutcome, CommandRequest, StoreError};
use uuid::Uuid;

fn comment(comment_id: &str) -> Command {
    Command::RecordComment(Comment {
        comment_id: comment_id.to_string(),
        organisation: "中国计量科学研究院".to_string(),
        clause: Some("5.2".to_string()),
        text: format!("意见 {comment_id}"),
    })
}

fn dispose(comment_id: &str, disposition: Disposition, reason: Option<&str>) -> Command {
    Command::DisposeComment {
        comment_id: comment_id.to_string(),
        disposition,
        reason: reason.map(str::to_string),
    }
}

fn batch(project: Uuid, commands: Vec<Command>) -> Vec<CommandRequest> {
    commands
        .into_iter()
        .map(|command| request(project, secretariat(), command))
        .collect()
}

conformance!(
    a_batch_whose_third_command_is_refused_records_nothing,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        // The third disposes of a comment nobody recorded; the first two were fine on their own.
        let refused = batch(
            project,
            vec![
                comment("C1"),
                dispose("C1", Disposition::Accepted, None),
                dispose("C9", Disposition::NotAccepted, None),
                comment("C2"),
            ],
        );
        let first_id = refused[0].command_id;
        let outcome = store.execute_all(refused.clone()).await.unwrap();
        let BatchOutcome::Rejected {
            index, rejection, ..
        } = &outcome
        else {
            panic!("accepted: {outcome:?}");
        };
        assert_eq!(*index, 2);
        let codes = rejection.codes();
        assert_eq!(
            rejection.reasons.len(),
            2,
            "an unknown comment and a missing reason: {codes:?}"
        );
        assert_eq!(store.head_sequence(project).await.unwrap(), 1);
        let view = store.project(project).await.unwrap().unwrap();
        assert!(view.state.comments.is_empty(), "nothing of the batch stays");
        // Not even the refusal was kept: the first command's id is still new.
        let alone = store
            .execute(CommandRequest {
                command_id: first_id,
                ..request(project, secretariat(), comment("C1"))
            })
            .await
            .unwrap();
        assert!(
            matches!(
                alone,
                CommandOutcome::Accepted {
                    first_sequence: 2,
                    ..
                }
            ),
            "{alone:?}"
        );
        // The same refused batch again is refused again, with nothing written.
        let again = store.execute_all(refused[1..].to_vec()).await.unwrap();
        assert!(
            matches!(again, BatchOutcome::Rejected { index: 1, .. }),
            "{again:?}"
        );
        assert_eq!(store.head_sequence(project).await.unwrap(), 2);
        store.close().await;
    }
);

conformance!(
    a_batch_is_decided_command_after_command_and_written_whole,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        // Each disposition needs the comment recorded just before it in the same batch.
        let mut commands = Vec::new();
        for number in 1..=20 {
            let id = format!("C{number}");
            commands.push(comment(&id));
            commands.push(dispose(&id, Disposition::NotAccepted, Some("与规程不符")));
        }
        let requests = batch(project, commands);
        let outcome = store.execute_all(requests.clone()).await.unwrap();
        let BatchOutcome::Accepted { outcomes, .. } = &outcome else {
            panic!("refused: {outcome:?}");
        };
        assert_eq!(outcomes.len(), 40);
        for (position, outcome) in outcomes.iter().enumerate() {
            let sequence = position as u64 + 2;
            assert!(
                matches!(outcome, CommandOutcome::Accepted { first_sequence, last_sequence, .. }
                    if *first_sequence == sequence && *last_sequence == sequence),
                "{position}: {outcome:?}"
            );
        }
        assert_eq!(store.head_sequence(project).await.unwrap(), 41);
        let view = store.project(project).await.unwrap().unwrap();
        assert_eq!(view.state.comments.len(), 20);
        // Sent again, it is answered with the same outcomes and nothing is repeated.
        assert_eq!(store.execute_all(requests.clone()).await.unwrap(), outcome);
        assert_eq!(store.head_sequence(project).await.unwrap(), 41);
        // A batch reusing some of those ids and not others is not the batch sent before.
        let mut mixed = batch(project, vec![comment("C90")]);
        mixed.push(requests[0].clone());
        assert!(matches!(
            store.execute_all(mixed).await,
            Err(StoreError::CommandIdReused { .. })
        ));
        // Nor is one with the same ids and another command under one of them.
        let mut changed = requests.clone();
        changed[0].command = comment("C91");
        assert!(matches!(
            store.execute_all(changed).await,
            Err(StoreError::CommandIdReused { .. })
        ));
        let records = store.history(project, 0, 100).await.unwrap().records;
        assert_eq!(records.len(), 41);
        assert!(verify(&records).is_ok());
        store.close().await;
    }
);

conformance!(
    batches_and_single_commands_racing_on_one_project_all_land_in_one_chain,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let mut tasks = Vec::new();
        for round in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let ids = [format!("B{round}-1"), format!("B{round}-2")];
                let batched = batch(
                    project,
                    vec![
                        comment(&ids[0]),
                        comment(&ids[1]),
                        dispose(&ids[0], Disposition::Accepted, None),
                    ],
                );
                let single = request(project, secretariat(), comment(&format!("S{round}")));
                let (batched, single) =
                    tokio::join!(store.execute_all(batched), store.execute(single));
                assert!(
                    matches!(batched.unwrap(), BatchOutcome::Accepted { .. }),
                    "round {round}"
                );
                assert!(matches!(single.unwrap(), CommandOutcome::Accepted { .. }));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(store.head_sequence(project).await.unwrap(), 1 + 6 * 4);
        let records = store.history(project, 0, 100).await.unwrap().records;
        assert!(verify(&records).is_ok());
        let view = store.project(project).await.unwrap().unwrap();
        assert_eq!(view.state.comments.len(), 18);
        store.close().await;
    }
);

conformance!(
    a_batch_must_be_for_one_project_and_not_empty,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let one = created_project(&store, 1, "SH-TC-01").await;
        let other = created_project(&store, 2, "SH-TC-01").await;
        assert!(matches!(
            store.execute_all(Vec::new()).await,
            Err(StoreError::InvalidRequest(_))
        ));
        let mut two_projects = batch(one, vec![comment("C1")]);
        two_projects.extend(batch(other, vec![comment("C1")]));
        assert!(matches!(
            store.execute_all(two_projects).await,
            Err(StoreError::InvalidRequest(_))
        ));
        assert_eq!(store.head_sequence(one).await.unwrap(), 1);
        store.close().await;
    }
);
