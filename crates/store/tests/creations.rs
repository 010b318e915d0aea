//! Many projects created all or none (`Store::create_all`), on both stores: a thousand in one
//! transaction (more rows than one statement may bind on SQLite), nothing at all when one is
//! refused or one code is taken, and the same creations again answered, not repeated.

use crate::support::*;
use specflow_engine::Command;
use specflow_store::auth::{Principal, Role};
use specflow_store::{CommandOutcome, CommandRequest, CreationsOutcome, StoreError};
use uuid::Uuid;

/// Requests creating projects `numbers` of SH-TC-01, each with fresh ids.
fn creations(numbers: std::ops::Range<usize>) -> Vec<CommandRequest> {
    numbers
        .map(|number| {
            let project_id = Uuid::new_v4();
            CommandRequest {
                expected_sequence: Some(0),
                ..request(project_id, bureau(), create(project_id, number, "SH-TC-01"))
            }
        })
        .collect()
}

/// The bureau, who may see every project.
fn supervisor() -> Principal {
    Principal {
        token_id: Uuid::new_v4(),
        subject: "bureau-li".to_string(),
        role: Role::Supervisor,
        committee: None,
        project_id: None,
    }
}

/// A command that is not a creation.
fn comment_command() -> Command {
    Command::RecordComment(specflow_engine::command::Comment {
        comment_id: "C1".to_string(),
        organisation: "中国计量科学研究院".to_string(),
        clause: None,
        text: "意见".to_string(),
    })
}

/// How many projects the store lists.
async fn project_count(store: &specflow_store::Store) -> usize {
    store
        .list_projects(&Default::default(), None, 2000)
        .await
        .unwrap()
        .items
        .len()
}

conformance!(
    a_thousand_creations_are_written_in_one_transaction_and_not_twice,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let requests = creations(1..1001);
        let outcome = store.create_all(requests.clone()).await.unwrap();
        let CreationsOutcome::Accepted { outcomes } = &outcome else {
            panic!("refused: {outcome:?}");
        };
        assert_eq!(outcomes.len(), 1000);
        assert!(
            outcomes
                .iter()
                .all(|outcome| matches!(outcome, CommandOutcome::Accepted { .. }))
        );
        assert_eq!(project_count(&store).await, 1000);
        let last = store
            .project(requests[999].project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.state.stage(), "preresearch");
        let found = store
            .search_projects(&supervisor(), "测试规范999", 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.len(), 1, "the search index has every project");

        // The same creations again: answered with the stored outcomes, nothing written twice.
        let again = store.create_all(requests.clone()).await.unwrap();
        assert_eq!(again, outcome);
        assert_eq!(project_count(&store).await, 1000);
        assert_eq!(
            store.head_sequence(requests[0].project_id).await.unwrap(),
            1
        );
    }
);

conformance!(
    one_refused_creation_writes_nothing_of_the_others,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let mut requests = creations(1..6);
        if let Command::CreateProject(project) = &mut requests[3].command {
            project.code = "not a code".to_string();
        }
        let outcome = store.create_all(requests.clone()).await.unwrap();
        let CreationsOutcome::Rejected {
            index,
            project_id,
            rejection,
        } = &outcome
        else {
            panic!("accepted: {outcome:?}");
        };
        assert_eq!(*index, 3);
        assert_eq!(*project_id, requests[3].project_id);
        assert!(!rejection.reasons.is_empty());
        assert_eq!(project_count(&store).await, 0, "nothing was written");
        // Not even the refusal was kept: the first command's id is still new.
        let first = store.execute(requests[0].clone()).await.unwrap();
        assert!(
            matches!(first, CommandOutcome::Accepted { .. }),
            "{first:?}"
        );
    }
);

conformance!(
    a_code_taken_meanwhile_writes_nothing_and_is_named,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        // Someone else creates project 3 first (another id, the same code).
        created_project(&store, 3, "SH-TC-01").await;
        let requests = creations(1..6);
        let error = store.create_all(requests).await.unwrap_err();
        let StoreError::CodesTaken { codes } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(codes, &vec!["JJF(沪)-2026-003".to_string()]);
        assert_eq!(project_count(&store).await, 1, "only the other project");
    }
);

conformance!(
    creations_that_are_not_creations_or_repeat_a_project_are_refused_before_anything,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let not_creation = vec![request(project, secretariat(), comment_command())];
        let error = store.create_all(not_creation).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::InvalidRequest(reason) if reason.contains("not a creation")),
            "{error:?}"
        );
        let mut twice = creations(2..4);
        twice[1] = CommandRequest {
            project_id: twice[0].project_id,
            command: twice[0].command.clone(),
            ..twice[1].clone()
        };
        let error = store.create_all(twice).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::InvalidRequest(reason) if reason.contains("created twice")),
            "{error:?}"
        );
        let error = store.create_all(Vec::new()).await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidRequest(_)), "{error:?}");
        assert_eq!(project_count(&store).await, 1);
    }
);
