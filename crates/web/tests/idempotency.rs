//! Idempotency keys are the caller's own and name one request: the same key from another caller
//! is another command, and the same caller's key sent with a different request is refused (422).

use crate::api::{api, call, new_project, token};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::json;
use specflow_store::auth::Role;

conformance!(
    a_key_another_committee_used_creates_the_callers_own_project,
    |kind| async move {
        // Regression: keys were global, so the second secretariat got 201 with the first's
        // hidden project (its location and head) and its own creation was dropped.
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let first = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let second = token(
            &api.store,
            "sec-two",
            Role::Secretariat,
            Some("SH-TC-02"),
            None,
        )
        .await;
        let created = call(Method::POST, "/api/v1/projects", Some(&first))
            .header("idempotency-key", "create-1")
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let theirs = created.json()["project_id"].as_str().unwrap().to_string();
        let mine = call(Method::POST, "/api/v1/projects", Some(&second))
            .header("idempotency-key", "create-1")
            .json(app, &new_project(2, "SH-TC-02"))
            .await;
        assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text());
        let project = mine.json()["project_id"].as_str().unwrap().to_string();
        assert_ne!(project, theirs);
        assert_eq!(
            mine.header("location"),
            format!("/api/v1/projects/{project}")
        );
        let read = call(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            Some(&second),
        )
        .empty(app)
        .await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.text());
        assert_eq!(read.json()["code"], "JJF(沪)-2026-002");
        // A UUID as the key is scoped too: the first caller's command id is not the second's.
        let uuid_key = created.json()["command_id"].as_str().unwrap().to_string();
        let third = call(Method::POST, "/api/v1/projects", Some(&second))
            .header("idempotency-key", &uuid_key)
            .json(app, &new_project(3, "SH-TC-02"))
            .await;
        assert_eq!(third.status, StatusCode::CREATED, "{}", third.text());
        assert_ne!(third.json()["project_id"].as_str().unwrap(), theirs);
    }
);

conformance!(
    a_key_reused_with_a_different_request_is_refused,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let created = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .header("idempotency-key", "create-1")
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let project = created.json()["project_id"].as_str().unwrap().to_string();
        // Another body under the same key: refused, and nothing is created.
        let problem = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .header("idempotency-key", "create-1")
            .json(app, &new_project(2, "SH-TC-01"))
            .await
            .problem(422, "idempotency-key-reused");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{problem}"
        );
        assert_eq!(
            api.store
                .project_id_by_code("JJF(沪)-2026-002")
                .await
                .unwrap(),
            None
        );
        // The same request under the same key is answered as the first time.
        let again = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .header("idempotency-key", "create-1")
            .json(app, &new_project(1, "SH-TC-01"))
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
        assert_eq!(again.json(), created.json());

        // A command under a key, then the same key with another body or another target.
        let other = call(Method::POST, "/api/v1/projects", Some(&secretariat))
            .json(app, &new_project(3, "SH-TC-01"))
            .await;
        let other = other.json()["project_id"].as_str().unwrap().to_string();
        let field = |value: &str| json!({"command": "record_field", "field": "implementation_transition_arrangement", "value": {"text": value}});
        let sent = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("idempotency-key", "field-1")
        .json(app, &field("电子天平"))
        .await;
        let first_status = sent.status;
        let changed_body = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("idempotency-key", "field-1")
        .json(app, &field("机械天平"))
        .await;
        changed_body.problem(422, "idempotency-key-reused");
        let changed_target = call(
            Method::POST,
            &format!("/api/v1/projects/{other}/commands"),
            Some(&secretariat),
        )
        .header("idempotency-key", "field-1")
        .json(app, &field("电子天平"))
        .await;
        changed_target.problem(422, "idempotency-key-reused");
        let same = call(
            Method::POST,
            &format!("/api/v1/projects/{project}/commands"),
            Some(&secretariat),
        )
        .header("idempotency-key", "field-1")
        .json(app, &field("电子天平"))
        .await;
        assert_eq!(same.status, first_status, "{}", same.text());
        assert_eq!(same.json(), sent.json());
    }
);

conformance!(
    an_upload_resent_under_its_key_with_other_bytes_is_refused,
    |kind| async move {
        // Regression: the second upload answered 200 naming a digest that was never attached.
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        let project = created_project(&api.store, 1, "SH-TC-01").await;
        let secretariat = token(
            &api.store,
            "sec-one",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let path =
            format!("/api/v1/projects/{project}/artifacts?kind=project_proposal&file_name=p.pdf");
        let first = call(Method::POST, &path, Some(&secretariat))
            .header("idempotency-key", "upload-1")
            .bytes(app, b"first draft".to_vec())
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        call(Method::POST, &path, Some(&secretariat))
            .header("idempotency-key", "upload-1")
            .bytes(app, b"second draft".to_vec())
            .await
            .problem(422, "idempotency-key-reused");
        let again = call(Method::POST, &path, Some(&secretariat))
            .header("idempotency-key", "upload-1")
            .bytes(app, b"first draft".to_vec())
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        assert_eq!(again.json(), first.json());
    }
);

conformance!(
    a_committee_key_reused_with_another_command_is_refused,
    |kind| async move {
        // Regression: committee commands were deduplicated by command id alone, so the same key
        // with another appointment answered the first appointment's outcome and dropped the second.
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
        assert_eq!(formed.status, StatusCode::CREATED, "{}", formed.text());
        let c = "/api/v1/committees/SH-TC-01";
        let started = call(Method::POST, &format!("{c}/terms"), bureau)
            .json(app, &json!({"starts_on": "2026-01-05"}))
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.text());
        let appoint = |person: &str| {
            json!({
                "person": person, "organisation": "上海市计量测试技术研究院", "title_level": "senior",
                "metrology_professional": true, "role": "member", "effective_on": "2026-01-05"
            })
        };
        let first = call(Method::POST, &format!("{c}/appointments"), bureau)
            .header("idempotency-key", "appoint-1")
            .json(app, &appoint("张伟"))
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        let problem = call(Method::POST, &format!("{c}/appointments"), bureau)
            .header("idempotency-key", "appoint-1")
            .json(app, &appoint("李强"))
            .await
            .problem(422, "idempotency-key-reused");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{problem}"
        );
        // The same appointment under the same key is answered as the first time, once.
        let again = call(Method::POST, &format!("{c}/appointments"), bureau)
            .header("idempotency-key", "appoint-1")
            .json(app, &appoint("张伟"))
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        assert_eq!(again.json(), first.json());
        let committee = call(Method::GET, c, bureau).empty(app).await;
        assert_eq!(committee.status, StatusCode::OK, "{}", committee.text());
        let members = committee.text();
        assert!(members.contains("张伟"), "{members}");
        assert!(!members.contains("李强"), "{members}");
    }
);
