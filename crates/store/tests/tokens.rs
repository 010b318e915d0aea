//! API tokens on SQLite and PostgreSQL: created and shown once, kept as a hash, authenticated,
//! revoked, expired on the store's clock, validated with messages that say what was wrong, and
//! carried into the audit log as the actor of the events they cause.

use crate::support::*;
use sha2::Digest;
use specflow_store::auth::{
    Access, AuthError, Role, can_read_project, can_write_project, is_read_only,
};
use specflow_store::{CommandOutcome, TokenStatus};
use specflow_store::{Store, StoreError};
use uuid::Uuid;

fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::InvalidRequest(message)) => message,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

async fn bearer(
    store: &Store,
    name: &str,
    role: Role,
    committee: Option<&str>,
    project: Option<&str>,
) -> String {
    let (created, summary) = store
        .create_token(name, role, committee, project, None)
        .await
        .unwrap();
    assert_eq!(created.token_id(), summary.token_id);
    created.bearer().to_string()
}

conformance!(
    a_token_authenticates_as_its_name_role_and_scope,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let project = created_project(&store, 1, "SH-TC-01").await;

        let (created, summary) = store
            .create_token("bureau-li", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        assert!(created.bearer().starts_with("sft_"));
        assert_eq!(created.bearer().len(), 4 + 64);
        assert_eq!(summary.name, "bureau-li");
        assert_eq!(summary.role, Role::Supervisor);
        assert_eq!(summary.created_at, clock_now(&clock));
        assert_eq!(summary.status, TokenStatus::Active);
        let principal = store.authenticate(created.bearer()).await.unwrap();
        assert_eq!(principal.token_id, summary.token_id);
        assert_eq!(principal.subject, "bureau-li");
        assert_eq!(principal.role, Role::Supervisor);
        assert_eq!((principal.committee, principal.project_id), (None, None));

        let secretariat = bearer(
            &store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let principal = store.authenticate(&secretariat).await.unwrap();
        assert_eq!(principal.committee.as_deref(), Some("SH-TC-01"));
        assert!(can_write_project(&principal, "SH-TC-01", project).is_allowed());
        assert!(matches!(
            can_read_project(&principal, "SH-TC-02", project),
            Access::Hidden(_)
        ));

        // A drafter's project may be named by code or by id.
        let by_code = bearer(
            &store,
            "drafter-zhao",
            Role::Drafter,
            None,
            Some("JJF(沪)-2026-001"),
        )
        .await;
        let by_id = bearer(
            &store,
            "drafter-qian",
            Role::Drafter,
            None,
            Some(&project.to_string()),
        )
        .await;
        for bearer in [by_code, by_id] {
            let principal = store.authenticate(&bearer).await.unwrap();
            assert_eq!(principal.project_id, Some(project));
            assert!(can_write_project(&principal, "SH-TC-01", project).is_allowed());
            assert!(matches!(
                can_read_project(&principal, "SH-TC-01", Uuid::new_v4()),
                Access::Hidden(_)
            ));
        }
        let auditor = bearer(&store, "audit-1", Role::Auditor, None, None).await;
        assert!(is_read_only(&store.authenticate(&auditor).await.unwrap()));

        let names: Vec<String> = store
            .tokens()
            .await
            .unwrap()
            .into_iter()
            .map(|token| token.name)
            .collect();
        // Oldest first; created in the same instant, by name.
        assert_eq!(
            names,
            [
                "audit-1",
                "bureau-li",
                "drafter-qian",
                "drafter-zhao",
                "sec-wang"
            ]
        );
        store.close().await;
    }
);

pub(crate) fn clock_now(clock: &specflow_store::ManualClock) -> chrono::DateTime<chrono::Utc> {
    use specflow_store::Clock;
    clock.now()
}

conformance!(
    only_the_hash_of_a_token_is_stored_and_listed_tokens_show_neither,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let (created, _) = store
            .create_token("bureau-li", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        let bearer = created.bearer().to_string();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT name, secret_sha256 FROM api_tokens")
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        assert_eq!(
            stored,
            vec![(
                "bureau-li".to_string(),
                hex::encode(sha2::Sha256::digest(bearer.as_bytes()))
            )]
        );
        let listed = serde_json::to_string(&store.tokens().await.unwrap()).unwrap();
        assert!(!listed.contains(&bearer[4..]), "{listed}");
        assert!(!listed.contains(&stored[0].1), "{listed}");
        assert!(!listed.contains("secret"), "{listed}");
        assert!(!format!("{created:?}").contains(&bearer[4..]));
        // Two tokens never share a secret.
        let (other, _) = store
            .create_token("bureau-zhang", Role::Supervisor, None, None, None)
            .await
            .unwrap();
        assert_ne!(other.bearer(), bearer);
        store.close().await;
    }
);

conformance!(
    unknown_malformed_revoked_and_expired_tokens_are_refused_distinctly,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        assert!(matches!(
            store.authenticate("Bearer nonsense").await,
            Err(AuthError::Malformed)
        ));
        assert!(matches!(
            store.authenticate(&format!("sft_{}", "0".repeat(64))).await,
            Err(AuthError::Unknown)
        ));

        let revoked = bearer(&store, "sec-wang", Role::Auditor, None, None).await;
        let kept = bearer(&store, "sec-li", Role::Auditor, None, None).await;
        assert!(store.revoke_token("sec-wang").await.unwrap());
        match store.authenticate(&revoked).await {
            Err(error @ AuthError::Revoked { .. }) => {
                assert_eq!(error.subject(), Some("sec-wang"));
                assert!(
                    error
                        .to_string()
                        .starts_with("the token sec-wang was revoked at"),
                    "{error}"
                );
            }
            other => panic!("expected revoked, got {other:?}"),
        }
        assert!(
            store.authenticate(&kept).await.is_ok(),
            "revoking one token leaves the others"
        );
        // Revoking again changes nothing, and keeps the first instant.
        let first = store.token("sec-wang").await.unwrap().unwrap().revoked_at;
        clock.advance(chrono::Duration::hours(1));
        assert!(!store.revoke_token("sec-wang").await.unwrap());
        assert_eq!(
            store.token("sec-wang").await.unwrap().unwrap().revoked_at,
            first
        );
        assert!(!store.revoke_token("nobody").await.unwrap());
        // By id, however it is typed.
        let kept_id = store.token("sec-li").await.unwrap().unwrap().token_id;
        assert!(
            store
                .revoke_token(&kept_id.to_string().to_uppercase())
                .await
                .unwrap()
        );
        assert!(matches!(
            store.authenticate(&kept).await,
            Err(AuthError::Revoked { .. })
        ));

        let expires_at = clock_now(&clock) + chrono::Duration::days(90);
        let (expiring, summary) = store
            .create_token("temp-1", Role::Auditor, None, None, Some(expires_at))
            .await
            .unwrap();
        assert_eq!(summary.expires_at, Some(expires_at));
        clock.advance(chrono::Duration::days(90) - chrono::Duration::microseconds(1));
        assert!(store.authenticate(expiring.bearer()).await.is_ok());
        clock.advance(chrono::Duration::microseconds(1));
        match store.authenticate(expiring.bearer()).await {
            Err(AuthError::Expired {
                name, expired_at, ..
            }) => {
                assert_eq!(name, "temp-1");
                assert_eq!(expired_at, expires_at);
            }
            other => panic!("expected expired, got {other:?}"),
        }
        let statuses: Vec<(String, TokenStatus)> = store
            .tokens()
            .await
            .unwrap()
            .into_iter()
            .map(|token| (token.name, token.status))
            .collect();
        assert!(statuses.contains(&("temp-1".to_string(), TokenStatus::Expired)));
        assert!(statuses.contains(&("sec-wang".to_string(), TokenStatus::Revoked)));
        store.close().await;
    }
);

conformance!(
    last_use_is_recorded_at_most_once_a_minute,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let token = bearer(&store, "bureau-li", Role::Supervisor, None, None).await;
        let last_used = || async {
            store
                .token("bureau-li")
                .await
                .unwrap()
                .unwrap()
                .last_used_at
        };
        assert_eq!(last_used().await, None);
        let first = clock_now(&clock);
        store.authenticate(&token).await.unwrap();
        assert_eq!(last_used().await, Some(first));
        clock.advance(chrono::Duration::seconds(59));
        store.authenticate(&token).await.unwrap();
        assert_eq!(
            last_used().await,
            Some(first),
            "within the minute: no write"
        );
        clock.advance(chrono::Duration::seconds(1));
        store.authenticate(&token).await.unwrap();
        assert_eq!(
            last_used().await,
            Some(first + chrono::Duration::seconds(60))
        );
        store.close().await;
    }
);

conformance!(
    creation_refuses_bad_names_scopes_and_expiries_saying_what_is_wrong,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        created_project(&store, 1, "SH-TC-01").await;
        let create = |name: &'static str,
                      role: Role,
                      committee: Option<&'static str>,
                      project: Option<&'static str>| {
            let store = store.clone();
            async move {
                store
                    .create_token(name, role, committee, project, None)
                    .await
            }
        };
        assert!(refused(create("", Role::Auditor, None, None).await).contains("must not be empty"));
        assert!(
            refused(create("sec wang", Role::Auditor, None, None).await).contains("contains ` `")
        );
        assert!(refused(create("specflow", Role::Auditor, None, None).await).contains("reserved"));

        let message = refused(create("sec-wang", Role::Secretariat, None, None).await);
        assert_eq!(
            message,
            "a secretariat token needs a committee: its holder sees only that committee's projects"
        );
        let message = refused(
            create(
                "sec-wang",
                Role::Member,
                Some("SH-TC-01"),
                Some("JJF(沪)-2026-001"),
            )
            .await,
        );
        assert!(
            message.contains("drop the project `JJF(沪)-2026-001`"),
            "{message}"
        );
        let message = refused(create("zhao", Role::Drafter, None, None).await);
        assert!(
            message.starts_with("a drafter token needs a project"),
            "{message}"
        );
        let message = refused(create("zhao", Role::Drafter, None, Some("JJF(沪)-2099-999")).await);
        assert_eq!(
            message,
            "the drafter's project `JJF(沪)-2099-999` does not exist: name an existing project by its code or id"
        );
        let message = refused(
            create(
                "zhao",
                Role::Drafter,
                Some("SH-TC-01"),
                Some("JJF(沪)-2026-001"),
            )
            .await,
        );
        assert!(
            message.contains("drop the committee `SH-TC-01`"),
            "{message}"
        );
        let message = refused(create("li", Role::Supervisor, Some("SH-TC-01"), None).await);
        assert_eq!(
            message,
            "a supervisor token sees every project and takes no committee: drop the committee `SH-TC-01`"
        );
        let message = refused(create("li", Role::Auditor, None, Some("JJF(沪)-2026-001")).await);
        assert!(message.contains("takes no project"), "{message}");
        let message = refused(create("li", Role::Chair, Some(" SH-TC-01"), None).await);
        assert!(message.contains("white space"), "{message}");

        let now = clock_now(&clock);
        let message = refused(
            store
                .create_token("li", Role::Auditor, None, None, Some(now))
                .await,
        );
        assert!(message.contains("is not in the future"), "{message}");

        // Names are unique for ever: a revoked token's name is not given out again.
        bearer(&store, "sec-wang", Role::Chair, Some("SH-TC-01"), None).await;
        let message = refused(create("sec-wang", Role::Auditor, None, None).await);
        assert!(
            message.starts_with("a token named `sec-wang` already exists: names are never reused"),
            "{message}"
        );
        store.revoke_token("sec-wang").await.unwrap();
        let message = refused(create("sec-wang", Role::Auditor, None, None).await);
        assert!(
            message.starts_with("a token named `sec-wang` already exists (revoked at "),
            "{message}"
        );
        assert!(message.contains("such as sec-wang-2"), "{message}");
        // Nothing refused was stored.
        assert_eq!(store.tokens().await.unwrap().len(), 1);
        store.close().await;
    }
);

conformance!(
    the_database_refuses_a_token_whose_scope_does_not_fit_its_role,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let insert = |role: &'static str,
                      committee: Option<&'static str>,
                      project: Option<&'static str>| {
            let pool = pool.clone();
            async move {
                sqlx::query("INSERT INTO api_tokens (token_id, name, role, committee, project_id, secret_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0)")
                    .bind(Uuid::new_v4().to_string())
                    .bind(Uuid::new_v4().simple().to_string())
                    .bind(role)
                    .bind(committee)
                    .bind(project)
                    .bind(Uuid::new_v4().simple().to_string())
                    .execute(&pool)
                    .await
            }
        };
        assert!(insert("secretariat", None, None).await.is_err());
        assert!(insert("drafter", Some("SH-TC-01"), None).await.is_err());
        assert!(insert("auditor", Some("SH-TC-01"), None).await.is_err());
        assert!(insert("system", None, None).await.is_err());
        assert!(insert("chair", Some("SH-TC-01"), None).await.is_ok());
        assert!(insert("admin", None, None).await.is_ok());
        pool.close().await;
        store.close().await;
    }
);

conformance!(
    events_record_the_tokens_subject_and_role_and_admin_fires_no_action,
    |kind| async move {
        let Some((store, _clock, _keep, _url)) = store(kind).await else {
            return;
        };
        let secretariat = bearer(
            &store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let principal = store.authenticate(&secretariat).await.unwrap();
        let project_id = Uuid::new_v4();
        assert!(can_write_project(&principal, "SH-TC-01", project_id).is_allowed());
        let outcome = store
            .execute(request(
                project_id,
                principal.actor(),
                create(project_id, 1, "SH-TC-01"),
            ))
            .await
            .unwrap();
        assert!(
            matches!(outcome, CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let history = store.history(project_id, 0, 10).await.unwrap();
        let record = &history.records[0];
        assert_eq!(
            (record.actor_id.as_str(), record.actor_role.as_str()),
            ("sec-wang", "secretariat")
        );

        // An administrator sees the project but the definition grants `admin` no action: the
        // engine refuses it with its usual reason.
        let admin = bearer(&store, "ops-admin", Role::Admin, None, None).await;
        let admin = store.authenticate(&admin).await.unwrap();
        assert!(can_write_project(&admin, "SH-TC-01", project_id).is_allowed());
        let outcome = store
            .execute(request(
                project_id,
                admin.actor(),
                attach("project_proposal", "proposal"),
            ))
            .await
            .unwrap();
        match outcome {
            CommandOutcome::Rejected { rejection, .. } => {
                assert_eq!(rejection.codes(), vec!["role_not_permitted"]);
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        store.close().await;
    }
);

conformance!(
    a_token_revoked_on_another_node_is_refused_here_within_the_cache_time,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        let other_node = Store::open(&url, specflow_store::StoreOptions::default())
            .await
            .unwrap();
        let token = bearer(&store, "sec-wang", Role::Auditor, None, None).await;
        assert!(store.authenticate(&token).await.is_ok());
        assert!(other_node.authenticate(&token).await.is_ok());

        // Revoked here: refused here at once.
        assert!(store.revoke_token("sec-wang").await.unwrap());
        assert!(matches!(
            store.authenticate(&token).await,
            Err(AuthError::Revoked { .. })
        ));
        // The other node read it less than a second ago, and refuses it once its copy is older
        // than the cache time.
        tokio::time::sleep(std::time::Duration::from_millis(
            specflow_store::TOKEN_CACHE_SECONDS * 1000 + 100,
        ))
        .await;
        assert!(matches!(
            other_node.authenticate(&token).await,
            Err(AuthError::Revoked { .. })
        ));
    }
);
