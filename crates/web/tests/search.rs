//! Finding projects through the API and the pages (issue 21), on both backends: `GET
//! /api/v1/search` ranks and marks within the caller's scope and refuses a query it cannot
//! search in the caller's language; the `/search` page lists the hits with the match in `<mark>`
//! and says beside the box what is wrong with a query.

use crate::api::{api, call, token};
use crate::support::*;
use axum::http::{Method, StatusCode};
use specflow_store::auth::Role;
use specflow_web::pages::SESSION_COOKIE;

conformance!(
    search_answers_in_the_api_and_the_pages_within_the_readers_scope,
    |kind| async move {
        let Some(api) = api(kind).await else {
            return;
        };
        let app = &api.app;
        for (number, committee) in [(1, "SH-TC-01"), (2, "SH-TC-02")] {
            created_project(&api.store, number, committee).await;
        }
        let bureau = token(&api.store, "bureau-li", Role::Supervisor, None, None).await;
        let secretariat = token(
            &api.store,
            "sec-wang",
            Role::Secretariat,
            Some("SH-TC-02"),
            None,
        )
        .await;
        let found = call(
            Method::GET,
            "/api/v1/search?q=%E8%A7%84%E8%8C%83",
            Some(&bureau),
        )
        .header("accept-language", "en")
        .empty(app)
        .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text());
        let answer = found.json();
        assert_eq!(answer["hits"].as_array().unwrap().len(), 2, "{answer}");
        assert_eq!(answer["hits"][0]["matched"], "规范");
        assert_eq!(answer["hits"][0]["field_name"], "Chinese title");
        assert_eq!(answer["hits"][0]["title"], "test specification 1");
        // The secretariat of SH-TC-02 finds its committee's project only.
        let scoped = call(
            Method::GET,
            "/api/v1/search?q=JJF(%E6%B2%AA)",
            Some(&secretariat),
        )
        .empty(app)
        .await
        .json();
        let codes: Vec<&str> = scoped["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["JJF(沪)-2026-002"]);
        // What cannot be searched is a 400 naming the parameter, in Chinese by default.
        let empty = call(Method::GET, "/api/v1/search?q=", Some(&bureau))
            .empty(app)
            .await
            .problem(400, "invalid-request");
        assert!(
            empty["detail"]
                .as_str()
                .unwrap()
                .contains("至少两个字母或数字"),
            "{empty}"
        );
        call(Method::GET, "/api/v1/search?q=ab&limit=51", Some(&bureau))
            .empty(app)
            .await
            .problem(400, "invalid-request");
        call(Method::GET, "/api/v1/search?q=ab", None)
            .empty(app)
            .await
            .problem(401, "unauthenticated");
        // The page: the match marked, the box keeping the query, a bad query said beside it.
        let session = api
            .store
            .sign_in_with_token(&bureau, "127.0.0.1")
            .await
            .unwrap()
            .session_id()
            .to_string();
        let cookie = format!("{SESSION_COOKIE}={session}");
        let page = call(Method::GET, "/search?q=%E8%A7%84%E8%8C%83", None)
            .header("cookie", &cookie)
            .empty(app)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        assert!(text.contains("测试<mark>规范</mark>"), "{text}");
        assert!(text.contains("找到 2 个项目"), "{text}");
        assert!(
            text.contains("id=\"site-search\""),
            "the header has the box: {text}"
        );
        let bad = call(Method::GET, "/search?q=%EF%BC%88%EF%BC%89", None)
            .header("cookie", &cookie)
            .empty(app)
            .await;
        assert_eq!(bad.status, StatusCode::OK);
        assert!(bad.text().contains("form-errors"), "{}", bad.text());
        assert!(bad.text().contains("value=\"（）\""), "{}", bad.text());
    }
);
