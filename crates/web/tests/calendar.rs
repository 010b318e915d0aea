//! Calendar feeds (issue 20), on SQLite and PostgreSQL: an account's feed at its secret address
//! lists the deadlines and meetings of the projects it may see as all-day events, each `UID`
//! stays the same when an extension moves its date, a replaced, stopped or disabled feed answers
//! 404, and the `/calendar` page makes and stops the address.

use crate::api::{api, call, project_in_drafting, token};
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::json;
use specflow_store::auth::Role;
use specflow_web::pages::SESSION_COOKIE;

const PASSWORD: &str = "correct horse battery";

/// The events of a feed: each as its property lines, unfolded (RFC 5545 folds long lines).
fn events(feed: &str) -> Vec<Vec<String>> {
    let unfolded = feed.replace("\r\n ", "").replace("\r\n\t", "");
    let mut events = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in unfolded.split("\r\n") {
        match line {
            "BEGIN:VEVENT" => current = Some(Vec::new()),
            "END:VEVENT" => events.extend(current.take()),
            other => {
                if let Some(event) = current.as_mut() {
                    event.push(other.to_string());
                }
            }
        }
    }
    events
}

/// The value of an event's property `name` (parameters ignored).
fn property<'a>(event: &'a [String], name: &str) -> Option<&'a str> {
    event.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name || key.starts_with(&format!("{name};"))).then_some(value)
    })
}

/// The event whose UID holds `part` and ends with `suffix`.
fn event_with_uid<'a>(events: &'a [Vec<String>], part: &str, suffix: &str) -> &'a [String] {
    events
        .iter()
        .find(|event| {
            property(event, "UID").is_some_and(|uid| uid.contains(part) && uid.ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no event with a UID of {part}…{suffix} in {events:#?}"))
}

conformance!(
    a_calendar_feed_lists_deadlines_and_meetings_and_keeps_each_uid_when_its_date_moves,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        for (name, committee) in [("wang.sec", "SH-TC-01"), ("zhao.sec", "SH-TC-02")] {
            api.store
                .create_account(name, Role::Secretariat, Some(committee), None, PASSWORD)
                .await
                .unwrap();
        }
        let project = project_in_drafting(&api.store, 1).await;
        let secret = api
            .store
            .renew_calendar_feed("wang.sec")
            .await
            .unwrap()
            .unwrap();
        let feed_path = format!("/calendar/{secret}.ics");
        let feed = call(Method::GET, &feed_path, None)
            .header("host", "specflow.example.org")
            .empty(app)
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.text());
        assert_eq!(feed.header("content-type"), "text/calendar; charset=utf-8");
        assert_eq!(feed.header("cache-control"), "private, no-cache");
        let text = feed.text();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.contains("VERSION:2.0\r\n"), "{text}");
        let listed = events(&text);
        // The drafting deadline's due date, all day on its local date, linking to the project.
        let due = event_with_uid(&listed, ".deadline.drafting.", ".due@specflow");
        let uid = property(due, "UID").unwrap().to_string();
        assert!(
            uid.starts_with(&format!("{project}.deadline.drafting.")),
            "{uid}"
        );
        let starts = property(due, "DTSTART").unwrap().to_string();
        assert!(
            due.iter()
                .any(|line| line.starts_with("DTSTART;VALUE=DATE:")),
            "an all-day event: {due:?}"
        );
        let first_day = chrono::NaiveDate::parse_from_str(&starts, "%Y%m%d").unwrap();
        assert_eq!(
            property(due, "DTEND").unwrap(),
            (first_day + chrono::Duration::days(1))
                .format("%Y%m%d")
                .to_string()
        );
        assert!(
            property(due, "SUMMARY").unwrap().contains("截止"),
            "{due:?}"
        );
        assert_eq!(
            property(due, "URL").unwrap(),
            format!("http://specflow.example.org/projects/{project}")
        );
        // The proposal's vote, held in an earlier stage of the same project.
        let meeting = event_with_uid(&listed, ".meeting.M1.", ".0@specflow");
        assert!(
            property(meeting, "SUMMARY").unwrap().contains("已举行"),
            "{meeting:?}"
        );

        // The bureau extends the deadline: the same UID, on the new date, one revision on.
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-01"),
            None,
        )
        .await;
        let supervisor = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let commands = format!("/api/v1/projects/{project}/commands");
        let new_due = first_day + chrono::Duration::days(45);
        let asked = call(Method::POST, &commands, Some(&secretariat))
            .json(
                app,
                &json!({"command": "request_extension", "request_id": "X1", "deadline": "drafting", "new_due_on": new_due.to_string(), "reason": "more tests"}),
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
        let granted = call(Method::POST, &commands, Some(&supervisor))
            .json(
                app,
                &json!({"command": "grant_extension", "request_id": "X1", "reason": "agreed"}),
            )
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{}", granted.text());
        let again = call(Method::GET, &format!("{feed_path}?lang=en"), None)
            .empty(app)
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        let moved = events(&again.text());
        let due = event_with_uid(&moved, ".deadline.drafting.", ".due@specflow");
        assert_eq!(property(due, "UID").unwrap(), uid);
        assert_eq!(
            property(due, "DTSTART").unwrap(),
            new_due.format("%Y%m%d").to_string()
        );
        assert_eq!(property(due, "SEQUENCE").unwrap(), "1");
        assert!(
            property(due, "SUMMARY").unwrap().contains(" due"),
            "{due:?}"
        );
        assert_eq!(
            moved
                .iter()
                .filter(|event| property(event, "UID") == Some(uid.as_str()))
                .count(),
            1
        );

        // Another committee's secretariat sees none of this project's dates.
        let other = api
            .store
            .renew_calendar_feed("zhao.sec")
            .await
            .unwrap()
            .unwrap();
        let theirs = call(Method::GET, &format!("/calendar/{other}.ics"), None)
            .empty(app)
            .await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(events(&theirs.text()).is_empty(), "{}", theirs.text());

        // A new address replaces the old one; a stopped feed and a disabled account answer 404.
        let renewed = api
            .store
            .renew_calendar_feed("wang.sec")
            .await
            .unwrap()
            .unwrap();
        call(Method::GET, &feed_path, None)
            .empty(app)
            .await
            .problem(404, "not-found");
        let renewed_path = format!("/calendar/{renewed}.ics");
        assert_eq!(
            call(Method::GET, &renewed_path, None)
                .empty(app)
                .await
                .status,
            StatusCode::OK
        );
        call(Method::GET, &format!("{renewed_path}?lang=fr"), None)
            .empty(app)
            .await
            .problem(400, "invalid-request");
        assert!(api.store.revoke_calendar_feed("wang.sec").await.unwrap());
        call(Method::GET, &renewed_path, None)
            .empty(app)
            .await
            .problem(404, "not-found");
        assert!(api.store.disable_account("zhao.sec").await.unwrap());
        call(Method::GET, &format!("/calendar/{other}.ics"), None)
            .empty(app)
            .await
            .problem(404, "not-found");
        assert_eq!(
            api.store.renew_calendar_feed("zhao.sec").await.unwrap(),
            None
        );
        call(Method::GET, "/calendar/not-a-secret.ics", None)
            .empty(app)
            .await
            .problem(404, "not-found");
    }
);

/// The form token of a page: the value of its first `csrf` field.
pub(crate) fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    page[start..].split('"').next().unwrap().to_string()
}

conformance!(
    the_calendar_page_makes_shows_once_and_stops_a_feed,
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
        let page = call(Method::GET, "/calendar", None)
            .header("cookie", &cookie)
            .empty(app)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        assert!(page.text().contains("您还没有日历订阅"), "{}", page.text());
        let form = |action: &str, csrf: &str| format!("csrf={csrf}&do={action}");
        let made = call(Method::POST, "/calendar", None)
            .header("cookie", &cookie)
            .header("host", "specflow.example.org")
            .header("content-type", "application/x-www-form-urlencoded")
            .bytes(app, form("renew", &csrf_of(&page.text())).into_bytes())
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.text());
        let shown = made.text();
        let start = shown
            .find("http://specflow.example.org/calendar/sfc_")
            .expect("the new address is shown");
        let url = shown[start..].split('"').next().unwrap().to_string();
        let path = url.trim_start_matches("http://specflow.example.org");
        assert_eq!(
            call(Method::GET, path, None).empty(app).await.status,
            StatusCode::OK
        );
        // Shown once: the page read again says there is a feed, not its address.
        let later = call(Method::GET, "/calendar", None)
            .header("cookie", &cookie)
            .empty(app)
            .await;
        assert!(later.text().contains("您的订阅创建于"), "{}", later.text());
        assert!(!later.text().contains("/calendar/sfc_"), "{}", later.text());
        // A form without its token changes nothing.
        let forged = call(Method::POST, "/calendar", None)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .bytes(app, b"do=stop".to_vec())
            .await;
        assert_ne!(forged.status, StatusCode::OK);
        assert_eq!(
            call(Method::GET, path, None).empty(app).await.status,
            StatusCode::OK
        );
        let stopped = call(Method::POST, "/calendar", None)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .bytes(app, form("stop", &csrf_of(&later.text())).into_bytes())
            .await;
        assert_eq!(stopped.status, StatusCode::SEE_OTHER, "{}", stopped.text());
        assert_eq!(stopped.header("location"), "/calendar?stopped=1");
        call(Method::GET, path, None)
            .empty(app)
            .await
            .problem(404, "not-found");
        // A reader signed in with a token is told feeds belong to accounts.
        let token_text = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let token_session = api
            .store
            .sign_in_with_token(&token_text, "127.0.0.1")
            .await
            .unwrap()
            .session_id()
            .to_string();
        let token_page = call(Method::GET, "/calendar", None)
            .header("cookie", &format!("{SESSION_COOKIE}={token_session}"))
            .empty(app)
            .await;
        assert_eq!(token_page.status, StatusCode::OK);
        assert!(
            token_page.text().contains("日历订阅属于账户"),
            "{}",
            token_page.text()
        );
    }
);
