//! Accounts and sessions on SQLite and PostgreSQL: a password signs in as the account's name, role
//! and scope; a wrong one, an unknown name and a disabled account are refused; failures are
//! throttled per name and per address in the database; a session ended on one node (signing
//! out, disabling the account) is refused by another node on the same database at once; and the
//! events a person causes name them.

use crate::support::*;
use crate::tokens::clock_now;
use specflow_store::auth::Role;
use specflow_store::{
    ManualClock, SessionError, SigninError, Store, StoreError, StoreOptions, TokenStatus,
};
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::InvalidRequest(message)) => message,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

/// A second node: another store on the same database, with the same clock.
async fn second_node(url: &str, clock: &Arc<ManualClock>) -> Store {
    let options = StoreOptions {
        migrate: false,
        ..StoreOptions::default()
    };
    Store::open_with_clock(url, options, clock.clone())
        .await
        .unwrap()
}

conformance!(
    an_account_signs_in_as_its_name_role_and_scope,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;
        let account = store
            .create_account("wang", Role::Secretariat, Some("SH-TC-01"), None, PASSWORD)
            .await
            .unwrap();
        assert_eq!(account.created_at, clock_now(&clock));
        assert_eq!(account.disabled_at, None);

        let started = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        assert!(started.session_id().starts_with("sfs_"));
        assert!(!format!("{started:?}").contains(&started.session_id()[4..]));
        let principal = store.session(started.session_id()).await.unwrap();
        assert_eq!(principal.subject, "wang");
        assert_eq!(principal.token_id, account.account_id);
        assert_eq!(principal.role, Role::Secretariat);
        assert_eq!(principal.committee.as_deref(), Some("SH-TC-01"));
        assert_eq!(principal, *started.principal());

        // A drafter's project by its code, as for tokens.
        let drafter = store
            .create_account(
                "zhao",
                Role::Drafter,
                None,
                Some("JJF(沪)-2026-001"),
                PASSWORD,
            )
            .await
            .unwrap();
        assert_eq!(drafter.project_id, Some(project));
        assert_eq!(store.accounts().await.unwrap().len(), 2);

        // Refusals say what is wrong.
        assert!(
            refused(
                store
                    .create_account("wang", Role::Auditor, None, None, PASSWORD)
                    .await
            )
            .contains("already exists")
        );
        assert!(
            refused(
                store
                    .create_account("li", Role::Auditor, None, None, "short")
                    .await
            )
            .contains("at least 10")
        );
        assert!(
            refused(
                store
                    .create_account("li", Role::Chair, None, None, PASSWORD)
                    .await
            )
            .contains("a chair account needs a committee")
        );
        assert!(
            refused(
                store
                    .create_account("王秘书", Role::Auditor, None, None, PASSWORD)
                    .await
            )
            .contains("the account name `王秘书` contains `王`")
        );
        // An account and a token never share a name: each audit subject names one of them.
        store
            .create_token("bureau-api", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        assert!(
            refused(
                store
                    .create_account("bureau-api", Role::Supervisor, None, None, PASSWORD)
                    .await
            )
            .contains("a token is named `bureau-api`")
        );
        assert!(
            refused(
                store
                    .create_token("wang", Role::Auditor, None, None, None)
                    .await
            )
            .contains("an account is named `wang`")
        );
    }
);

conformance!(
    a_wrong_password_and_an_unknown_name_are_the_same_refusal,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        let wrong = store.sign_in("wang", "incorrect horse", "10.0.0.1").await;
        assert!(
            matches!(wrong, Err(SigninError::WrongCredentials)),
            "{wrong:?}"
        );
        let unknown = store.sign_in("nobody", PASSWORD, "10.0.0.1").await;
        assert!(
            matches!(unknown, Err(SigninError::WrongCredentials)),
            "{unknown:?}"
        );
        assert_eq!(
            wrong.unwrap_err().to_string(),
            unknown.unwrap_err().to_string()
        );
        // A password is case-sensitive and whole.
        assert!(
            store
                .sign_in("wang", "Correct horse battery", "10.0.0.1")
                .await
                .is_err()
        );
        assert!(store.sign_in("wang", PASSWORD, "10.0.0.1").await.is_ok());
    }
);

conformance!(
    failed_sign_ins_are_throttled_per_name_and_per_address,
    |kind| async move {
        let Some((store, clock, _keep, url)) = store(kind).await else {
            return;
        };
        let other_node = second_node(&url, &clock).await;
        store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();

        // Five failures for one name, from different addresses and nodes, lock the name out:
        // even the right password is refused until the lockout ends.
        for attempt in 0..5 {
            let node = if attempt % 2 == 0 {
                &store
            } else {
                &other_node
            };
            let refused = node
                .sign_in("wang", "wrong password", &format!("10.0.1.{attempt}"))
                .await;
            assert!(
                matches!(refused, Err(SigninError::WrongCredentials)),
                "{refused:?}"
            );
        }
        let locked = store.sign_in("Wang", PASSWORD, "10.0.2.1").await;
        let Err(SigninError::Throttled { until }) = locked else {
            panic!("expected a lockout, got {locked:?}");
        };
        assert_eq!(until, clock_now(&clock) + chrono::Duration::minutes(15));
        // A name nobody has is throttled alike, so the lockout says nothing of who exists.
        for _ in 0..5 {
            let _ = store.sign_in("nobody", "wrong password", "10.0.3.1").await;
        }
        assert!(matches!(
            other_node.sign_in("nobody", PASSWORD, "10.0.3.2").await,
            Err(SigninError::Throttled { .. })
        ));

        // When the lockout ends, the right password signs in and the name starts again at none.
        clock.advance(chrono::Duration::minutes(15));
        store.sign_in("wang", PASSWORD, "10.0.2.1").await.unwrap();
        for _ in 0..4 {
            let _ = store.sign_in("wang", "wrong password", "10.0.2.1").await;
        }
        store.sign_in("wang", PASSWORD, "10.0.2.1").await.unwrap();

        // Failures spread over time do not add up across windows.
        clock.advance(chrono::Duration::minutes(16));
        for _ in 0..4 {
            let _ = store.sign_in("wang", "wrong password", "10.0.2.1").await;
        }
        clock.advance(chrono::Duration::minutes(16));
        let _ = store.sign_in("wang", "wrong password", "10.0.2.1").await;
        store.sign_in("wang", PASSWORD, "10.0.2.1").await.unwrap();

        // Thirty failures from one address, whatever the names, lock the address out, also for
        // a right password and for tokens pasted in; other addresses are not held up.
        clock.advance(chrono::Duration::hours(1));
        for attempt in 0..30 {
            let _ = store
                .sign_in(&format!("guess-{attempt}"), "wrong password", "10.9.9.9")
                .await;
        }
        assert!(matches!(
            store.sign_in("wang", PASSWORD, "10.9.9.9").await,
            Err(SigninError::Throttled { .. })
        ));
        let (token, _) = store
            .create_token("bureau-api", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        assert!(matches!(
            other_node
                .sign_in_with_token(token.bearer(), "10.9.9.9")
                .await,
            Err(SigninError::Throttled { .. })
        ));
        store.sign_in("wang", PASSWORD, "10.0.2.2").await.unwrap();
        other_node.close().await;
    }
);

conformance!(
    disabling_an_account_ends_its_sessions_on_every_node,
    |kind| async move {
        let Some((store, clock, _keep, url)) = store(kind).await else {
            return;
        };
        let other_node = second_node(&url, &clock).await;
        store
            .create_account("wang", Role::Supervisor, None, None, PASSWORD)
            .await
            .unwrap();
        let first = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        let second = other_node
            .sign_in("wang", PASSWORD, "10.0.0.2")
            .await
            .unwrap();
        assert!(other_node.session(first.session_id()).await.is_ok());

        assert!(other_node.disable_account("wang").await.unwrap());
        assert!(!other_node.disable_account("wang").await.unwrap());
        for session in [&first, &second] {
            let ended = store.session(session.session_id()).await;
            assert!(
                matches!(ended, Err(SessionError::Revoked { ref subject, .. }) if subject == "wang"),
                "{ended:?}"
            );
        }
        let account = store.account("wang").await.unwrap().unwrap();
        assert_eq!(account.disabled_at, Some(clock_now(&clock)));
        // The right password now says the account is disabled; a wrong one says no more than
        // for anyone else.
        assert!(matches!(
            store.sign_in("wang", PASSWORD, "10.0.0.1").await,
            Err(SigninError::Disabled { .. })
        ));
        assert!(matches!(
            store.sign_in("wang", "wrong password", "10.0.0.1").await,
            Err(SigninError::WrongCredentials)
        ));
        // The name stays taken.
        assert!(
            refused(
                store
                    .create_account("wang", Role::Auditor, None, None, PASSWORD)
                    .await
            )
            .contains("already exists")
        );
        other_node.close().await;
    }
);

conformance!(
    signing_out_ends_the_session_on_every_node,
    |kind| async move {
        let Some((store, clock, _keep, url)) = store(kind).await else {
            return;
        };
        let other_node = second_node(&url, &clock).await;
        store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        let session = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        let other = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        assert_eq!(
            other_node
                .session(session.session_id())
                .await
                .unwrap()
                .subject,
            "wang"
        );

        assert!(store.end_session(session.session_id()).await.unwrap());
        assert!(!store.end_session(session.session_id()).await.unwrap());
        assert!(matches!(
            other_node.session(session.session_id()).await,
            Err(SessionError::Revoked { .. })
        ));
        // The person's other session (another browser) goes on.
        assert!(other_node.session(other.session_id()).await.is_ok());

        // Unknown and malformed ids are refused, and no token passes for a session.
        let unknown = format!("sfs_{}", "0".repeat(64));
        assert!(matches!(
            store.session(&unknown).await,
            Err(SessionError::Unknown)
        ));
        assert!(matches!(
            store.session("sfs_x").await,
            Err(SessionError::Malformed)
        ));
        let (token, _) = store
            .create_token("bureau-api", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        assert!(matches!(
            store.session(token.bearer()).await,
            Err(SessionError::Malformed)
        ));
        other_node.close().await;
    }
);

conformance!(
    sessions_expire_when_idle_and_last_while_used,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        let session = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        assert_eq!(
            session.expires_at(),
            clock_now(&clock) + chrono::Duration::hours(12)
        );
        // Used every eleven hours, it lasts.
        for _ in 0..3 {
            clock.advance(chrono::Duration::hours(11));
            assert!(store.session(session.session_id()).await.is_ok());
        }
        clock.advance(chrono::Duration::hours(12));
        assert!(matches!(
            store.session(session.session_id()).await,
            Err(SessionError::Expired { .. })
        ));
    }
);

conformance!(
    a_reset_password_replaces_the_old_one_and_ends_sessions,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        let session = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        assert!(refused(store.reset_password("wang", "too short").await).contains("at least 10"));
        assert!(
            store
                .reset_password("wang", "a new long password")
                .await
                .unwrap()
        );
        assert!(
            !store
                .reset_password("nobody", "a new long password")
                .await
                .unwrap()
        );
        assert!(store.session(session.session_id()).await.is_err());
        assert!(matches!(
            store.sign_in("wang", PASSWORD, "10.0.0.1").await,
            Err(SigninError::WrongCredentials)
        ));
        store
            .sign_in("wang", "a new long password", "10.0.0.1")
            .await
            .unwrap();
    }
);

conformance!(a_token_session_ends_with_its_token, |kind| async move {
    let Some((store, clock, _keep, url)) = store(kind).await else {
        return;
    };
    let other_node = second_node(&url, &clock).await;
    let (token, summary) = store
        .create_token("bureau-api", Role::Supervisor, None, None, None)
        .await
        .unwrap();
    let session = store
        .sign_in_with_token(token.bearer(), "10.0.0.1")
        .await
        .unwrap();
    let principal = other_node.session(session.session_id()).await.unwrap();
    assert_eq!(principal.subject, "bureau-api");
    assert_eq!(principal.token_id, summary.token_id);
    assert!(matches!(
        store.sign_in_with_token("sft_nope", "10.0.0.1").await,
        Err(SigninError::Token(specflow_store::AuthError::Malformed))
    ));

    store.revoke_token("bureau-api").await.unwrap();
    assert_eq!(
        store.token("bureau-api").await.unwrap().unwrap().status,
        TokenStatus::Revoked
    );
    assert!(matches!(
        other_node.session(session.session_id()).await,
        Err(SessionError::TokenEnded { .. })
    ));
    other_node.close().await;
});

conformance!(
    events_caused_in_a_session_name_the_person,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .create_account("wang", Role::Secretariat, Some("SH-TC-01"), None, PASSWORD)
            .await
            .unwrap();
        let session = store.sign_in("wang", PASSWORD, "10.0.0.1").await.unwrap();
        let principal = store.session(session.session_id()).await.unwrap();
        let project_id = uuid::Uuid::new_v4();
        let outcome = store
            .execute(request(
                project_id,
                principal.actor(),
                create(project_id, 1, "SH-TC-01"),
            ))
            .await
            .unwrap();
        assert!(
            matches!(outcome, specflow_store::CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let history = store.history(project_id, 0, 10).await.unwrap();
        let record = &history.records[0];
        assert_eq!(
            (record.actor_id.as_str(), record.actor_role.as_str()),
            ("wang", "secretariat")
        );
    }
);
