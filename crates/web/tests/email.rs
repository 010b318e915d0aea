//! A person's own e-mail and daily digests (issue 20), on SQLite and PostgreSQL.
//!
//! The `/email` page: a wrong address is refused beside the form, which keeps what was typed; a
//! good one gets a message whose link opens a page that asks before it proves the address; the
//! kinds of event and the digest are saved, an unknown kind refused. Digests: two nodes on one
//! database write one digest per person and working day between them, none on a holiday (and
//! one on a working Saturday), one catch-up after an outage of several days, and none for a day
//! that was over before the person asked.

use crate::api::{api, call, project_in_drafting};
use crate::calendar::csrf_of;
use crate::support::*;
use axum::http::{Method, StatusCode};
use specflow_store::auth::Role;
use specflow_store::{ManualClock, OutboxFilter, Store, StoreOptions};
use specflow_web::AppState;
use specflow_web::app::digest::{DigestOptions, write_due_digests};
use specflow_web::pages::SESSION_COOKIE;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

/// The secret of the newest verification message to the account `name`.
async fn verification_secret(store: &Store, name: &str) -> String {
    let account = store.account(name).await.unwrap().unwrap();
    let filter = OutboxFilter {
        audience: Some(format!("verify:{}", account.account_id)),
        ..OutboxFilter::default()
    };
    let page = store.list_outbox(&filter, None, 100).await.unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&page.items.last().expect("a verification message").body).unwrap();
    body["secret"].as_str().unwrap().to_string()
}

conformance!(
    the_email_page_sets_an_address_proved_by_its_link_and_the_choices,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        api.store
            .create_account(
                "wang.sec",
                Role::Secretariat,
                Some("SH-TC-01"),
                None,
                PASSWORD,
            )
            .await
            .unwrap();
        let session = api
            .store
            .sign_in("wang.sec", PASSWORD, "127.0.0.1")
            .await
            .unwrap()
            .session_id()
            .to_string();
        let cookie = format!("{SESSION_COOKIE}={session}");
        let get = || async {
            let page = call(Method::GET, "/email", None)
                .header("cookie", &cookie)
                .empty(app)
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            page.text()
        };
        let post = |form: String| {
            let cookie = cookie.clone();
            async move {
                call(Method::POST, "/email", None)
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .bytes(app, form.into_bytes())
                    .await
            }
        };
        let page = get().await;
        assert!(page.contains("您还没有设置邮箱地址"), "{page}");
        let csrf = csrf_of(&page);
        // A wrong address: refused beside the form, in Chinese, what was typed kept.
        let refused = post(format!(
            "csrf={csrf}&do=address&address=wang.example.org&language=zh"
        ))
        .await;
        assert_eq!(refused.status, StatusCode::OK, "{}", refused.text());
        assert!(refused.text().contains("缺少 @"), "{}", refused.text());
        assert!(
            refused.text().contains("value=\"wang.example.org\""),
            "{}",
            refused.text()
        );
        // Without the form's token, nothing happens.
        let forged = post("do=address&address=wang%40example.org".to_string()).await;
        assert_ne!(forged.status, StatusCode::SEE_OTHER);
        let sent = post(format!(
            "csrf={csrf}&do=address&address=wang%40example.org&language=en"
        ))
        .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        assert_eq!(sent.header("location"), "/email?done=sent");
        let page = get().await;
        assert!(page.contains("等待确认"), "{page}");
        // Again at once: too soon, said beside the form.
        let again = post(format!(
            "csrf={csrf}&do=address&address=wang%40example.org&language=en"
        ))
        .await;
        assert!(
            again.text().contains("之后才能再寄一封"),
            "{}",
            again.text()
        );
        // The link: a page that asks, then proves it. Anyone holding it may; no sign-in.
        let secret = verification_secret(&api.store, "wang.sec").await;
        let link = format!("/email/verify/{secret}");
        let asked = call(Method::GET, &link, None).empty(app).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
        assert!(
            asked.text().contains("wang@example.org"),
            "{}",
            asked.text()
        );
        assert!(
            api.store
                .pending_verification(&secret)
                .await
                .unwrap()
                .is_some(),
            "opening the link proves nothing by itself"
        );
        let proved = call(Method::POST, &link, None).empty(app).await;
        assert_eq!(proved.status, StatusCode::OK, "{}", proved.text());
        assert!(
            proved.text().contains("address-confirmed"),
            "{}",
            proved.text()
        );
        // Used once; a made-up link is told apart from nothing else.
        for (method, path) in [
            (Method::POST, link.as_str()),
            (Method::GET, "/email/verify/sfv_nonsense"),
        ] {
            let used = call(method, path, None).empty(app).await;
            assert_eq!(used.status, StatusCode::NOT_FOUND);
            assert!(used.text().contains("确认链接无效"), "{}", used.text());
        }
        let page = get().await;
        assert!(page.contains("已确认"), "{page}");
        // The choices: saved; an unknown kind refused, naming it.
        let saved = post(format!(
            "csrf={csrf}&do=choices&events=deadline_missed&events=project_cancelled&digest=1"
        ))
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
        let page = get().await;
        assert!(page.contains("value=\"deadline_missed\" checked"), "{page}");
        let account = api.store.account("wang.sec").await.unwrap().unwrap();
        let settings = api
            .store
            .person_email(account.account_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            settings.event_types,
            ["deadline_missed", "project_cancelled"]
        );
        assert!(settings.digest);
        let unknown = post(format!("csrf={csrf}&do=choices&events=coffee_break")).await;
        assert_eq!(
            unknown.status,
            StatusCode::BAD_REQUEST,
            "{}",
            unknown.text()
        );
        assert!(
            unknown.text().contains("coffee_break"),
            "{}",
            unknown.text()
        );
        // Removed: no more e-mail.
        let removed = post(format!("csrf={csrf}&do=remove")).await;
        assert_eq!(removed.header("location"), "/email?done=removed");
        assert!(
            api.store
                .person_email(account.account_id)
                .await
                .unwrap()
                .is_none()
        );
    }
);

/// Sets both nodes' clocks to the local Shanghai time `local` (`2026-02-13T08:31`).
fn set_both(clocks: &[&ManualClock], local: &str) {
    let instant = chrono::DateTime::parse_from_rfc3339(&format!("{local}:00+08:00"))
        .unwrap()
        .to_utc();
    for clock in clocks {
        clock.set(instant);
    }
}

conformance!(
    digests_go_once_per_working_day_across_nodes_none_on_holidays_one_after_an_outage,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        api.store
            .create_account(
                "wang.sec",
                Role::Secretariat,
                Some("SH-TC-01"),
                None,
                PASSWORD,
            )
            .await
            .unwrap();
        project_in_drafting(&api.store, 1).await;
        api.store
            .set_person_email(
                "wang.sec",
                "wang@example.org",
                specflow_engine::Language::Zh,
            )
            .await
            .unwrap()
            .unwrap();
        let secret = verification_secret(&api.store, "wang.sec").await;
        api.store
            .verify_person_email(&secret)
            .await
            .unwrap()
            .unwrap();
        // Asked for on Monday 2026-01-05 at 09:00, after that day's time.
        api.store
            .set_person_choices("wang.sec", &[], true)
            .await
            .unwrap();
        let first = AppState {
            store: api.store.clone(),
            metrics: api.metrics.clone(),
        };
        let other_clock = Arc::new(ManualClock::new(start()));
        let second = AppState {
            store: Store::open_with_clock(&api.url, StoreOptions::default(), other_clock.clone())
                .await
                .unwrap(),
            metrics: api.metrics.clone(),
        };
        let clocks = [api.clock.as_ref(), other_clock.as_ref()];
        let options = DigestOptions::default();
        let both = || async {
            let (one, two) = tokio::join!(
                write_due_digests(&first, &options),
                write_due_digests(&second, &options)
            );
            one.unwrap().written + two.unwrap().written
        };
        // The same day, after asking: none (Monday's was due before they asked).
        set_both(&clocks, "2026-01-05T10:00");
        assert_eq!(both().await, 0);
        // Tuesday before 08:30: none yet; at 08:31, one between the two nodes; then no more.
        set_both(&clocks, "2026-01-06T08:29");
        assert_eq!(both().await, 0);
        set_both(&clocks, "2026-01-06T08:31");
        assert_eq!(both().await, 1);
        assert_eq!(both().await, 0);
        // Friday before the Spring Festival, then the working Saturday the calendar lists.
        set_both(&clocks, "2026-02-13T08:31");
        assert_eq!(
            both().await,
            1,
            "one catch-up after five weeks, not one a day"
        );
        set_both(&clocks, "2026-02-14T09:00");
        assert_eq!(both().await, 1, "2026-02-14 is a working Saturday");
        // The holiday's days: none.
        for day in ["2026-02-16", "2026-02-17", "2026-02-20"] {
            set_both(&clocks, &format!("{day}T09:00"));
            assert_eq!(both().await, 0, "{day} is a holiday");
        }
        // Both nodes down from 2026-02-24 to Thursday 2026-02-26 10:00: one digest, Thursday's.
        set_both(&clocks, "2026-02-26T10:00");
        assert_eq!(both().await, 1);
        set_both(&clocks, "2026-02-26T17:00");
        assert_eq!(both().await, 0);
        let account = api.store.account("wang.sec").await.unwrap().unwrap();
        let filter = OutboxFilter {
            audience: Some(format!("person:{}", account.account_id)),
            ..OutboxFilter::default()
        };
        let rows = api
            .store
            .list_outbox(&filter, None, 100)
            .await
            .unwrap()
            .items;
        let dates: Vec<String> = rows
            .iter()
            .map(|row| {
                let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
                body["date"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            dates,
            ["2026-01-06", "2026-02-13", "2026-02-14", "2026-02-26"]
        );
        // What waits for them, in their language, linking to the project.
        let body: serde_json::Value = serde_json::from_str(&rows[0].body).unwrap();
        let text = body.to_string();
        assert!(text.contains("JJF(沪)-2026-001"), "{text}");
        assert!(text.contains("/projects/"), "{text}");
        assert_eq!(body["language"], "zh");
        second.store.close().await;
    }
);
