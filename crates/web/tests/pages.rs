//! The web pages without a socket, on SQLite and PostgreSQL: signing in and out, CSRF refusals,
//! the API's authorization rules holding on the pages, the language switch, and friendly pages
//! (never a 500) for bad input.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use specflow_store::auth::Role;
use specflow_store::metrics::Metrics;
use specflow_web::pages::{LANGUAGE_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE, csrf_token_for};
use specflow_web::{AppState, router};
use tower::ServiceExt;
use uuid::Uuid;

/// An answer, read whole.
#[derive(Debug)]
pub(super) struct Page {
    pub(super) status: StatusCode,
    pub(super) headers: axum::http::HeaderMap,
    pub(super) body: String,
}

impl Page {
    pub(super) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .collect()
    }

    /// The value of a hidden field, the first of its name.
    pub(super) fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].to_string()
    }
}

pub(super) async fn send(app: &Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

pub(super) fn get(path: &str, cookies: &str) -> Request<Body> {
    let mut builder = Request::get(path);
    if !cookies.is_empty() {
        builder = builder.header("cookie", cookies);
    }
    builder.body(Body::empty()).unwrap()
}

pub(super) fn post(path: &str, cookies: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut builder =
        Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        builder = builder.header("cookie", cookies);
    }
    builder.body(Body::from(body)).unwrap()
}

/// A store, its router, a project of SH-TC-01 and one of SH-TC-02, and a token per role with a
/// session of the pages signed in with it (`supervisor` is the session's cookie value,
/// `supervisor_token` the token).
pub(super) struct Site {
    pub(super) app: Router,
    pub(super) store: specflow_store::Store,
    pub(super) clock: std::sync::Arc<specflow_store::ManualClock>,
    pub(super) url: String,
    pub(super) own_project: Uuid,
    pub(super) other_project: Uuid,
    pub(super) supervisor: String,
    pub(super) supervisor_token: String,
    pub(super) secretariat: String,
    pub(super) drafter: String,
    _keep: Keep,
}

pub(super) async fn site(kind: Kind) -> Option<Site> {
    let (store, clock, keep, url) = store(kind).await?;
    let own_project = created_project(&store, 1, "SH-TC-01").await;
    let other_project = created_project(&store, 2, "SH-TC-02").await;
    let token = |name: &'static str,
                 role: Role,
                 committee: Option<&'static str>,
                 project: Option<String>| {
        let store = store.clone();
        async move {
            let (created, _) = store
                .create_token(name, role, committee, project.as_deref(), None)
                .await
                .unwrap();
            created.bearer().to_string()
        }
    };
    let supervisor = token("bureau-li", Role::Supervisor, None, None).await;
    let secretariat = token("sec-wang", Role::Secretariat, Some("SH-TC-01"), None).await;
    let drafter = token(
        "drafter-zhao",
        Role::Drafter,
        None,
        Some(own_project.to_string()),
    )
    .await;
    let session = |token: String| {
        let store = store.clone();
        async move {
            store
                .sign_in_with_token(&token, "127.0.0.1")
                .await
                .unwrap()
                .session_id()
                .to_string()
        }
    };
    Some(Site {
        app: router(AppState {
            store: store.clone(),
            metrics: Metrics::shared(),
        }),
        supervisor: session(supervisor.clone()).await,
        supervisor_token: supervisor,
        secretariat: session(secretariat).await,
        drafter: session(drafter).await,
        store,
        clock,
        url,
        own_project,
        other_project,
        _keep: keep,
    })
}

pub(super) fn session(session_id: &str) -> String {
    format!("{SESSION_COOKIE}={session_id}")
}

/// Another node: a router on a second store over the same database.
async fn second_node(site: &Site) -> (Router, specflow_store::Store) {
    let options = specflow_store::StoreOptions {
        migrate: false,
        ..specflow_store::StoreOptions::default()
    };
    let store = specflow_store::Store::open_with_clock(&site.url, options, site.clock.clone())
        .await
        .unwrap();
    let app = router(AppState {
        store: store.clone(),
        metrics: Metrics::shared(),
    });
    (app, store)
}

conformance!(
    pages_sign_in_with_a_token_keeps_a_session_id_in_a_strict_http_only_cookie,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        // Not signed in: every page sends the reader to sign in, and back afterwards.
        let home = send(&site.app, get("/overdue?stage=drafting", "")).await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(
            home.header("location"),
            "/signin?next=%2Foverdue%3Fstage%3Ddrafting"
        );

        let form = send(&site.app, get("/signin?next=/overdue", "")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.header("content-type").starts_with("text/html"));
        assert!(form.body.contains("<label for=\"name\">"), "{}", form.body);
        assert!(
            form.body.contains("<label for=\"password\">"),
            "{}",
            form.body
        );
        let key_cookie = form
            .cookies()
            .into_iter()
            .find(|cookie| cookie.starts_with(SIGNIN_COOKIE))
            .unwrap();
        assert!(key_cookie.contains("HttpOnly") && key_cookie.contains("SameSite=Strict"));
        let key = key_cookie.split(';').next().unwrap().to_string();
        let csrf = form.field("csrf");

        // A wrong token: the form again, saying why.
        let refused = send(
            &site.app,
            post(
                "/signin",
                &key,
                &[
                    ("password", "sft_nope"),
                    ("csrf", &csrf),
                    ("next", "/overdue"),
                ],
            ),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert!(refused.body.contains("令牌格式不正确"), "{}", refused.body);

        // The form without its CSRF token is refused, whatever the token.
        let forged = send(
            &site.app,
            post(
                "/signin",
                &key,
                &[("password", &site.supervisor_token), ("next", "/")],
            ),
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(forged.header("set-cookie").is_empty());

        let signed_in = send(
            &site.app,
            post(
                "/signin",
                &key,
                &[
                    ("password", &site.supervisor_token),
                    ("csrf", &csrf),
                    ("next", "/overdue"),
                ],
            ),
        )
        .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        assert_eq!(signed_in.header("location"), "/overdue");
        let session_cookie = signed_in
            .cookies()
            .into_iter()
            .find(|cookie| cookie.starts_with(SESSION_COOKIE))
            .unwrap();
        assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
        assert!(
            session_cookie.contains("SameSite=Strict"),
            "{session_cookie}"
        );
        assert!(!session_cookie.contains("Secure"), "{session_cookie}");
        // The cookie holds a session id, never the token.
        assert!(
            session_cookie.starts_with(&format!("{SESSION_COOKIE}=sfs_")),
            "{session_cookie}"
        );
        assert!(
            !session_cookie.contains(&site.supervisor_token[4..]),
            "{session_cookie}"
        );

        // Behind a proxy serving https, the cookie is Secure too.
        let mut behind_https = post(
            "/signin",
            &key,
            &[
                ("password", &site.supervisor_token),
                ("csrf", &csrf),
                ("next", "/"),
            ],
        );
        behind_https.headers_mut().insert(
            "x-forwarded-proto",
            axum::http::HeaderValue::from_static("https"),
        );
        let secure = send(&site.app, behind_https).await;
        assert!(
            secure
                .cookies()
                .iter()
                .any(|cookie| cookie.starts_with(SESSION_COOKIE) && cookie.contains("; Secure")),
            "{:?}",
            secure.cookies()
        );

        let cookie = session(&site.supervisor);
        let home = send(&site.app, get("/projects", &cookie)).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        assert!(home.body.contains("JJF(沪)-2026-001") && home.body.contains("JJF(沪)-2026-002"));
        assert_eq!(home.header("cache-control"), "no-store");
        assert!(
            home.header("content-security-policy")
                .contains("frame-ancestors 'none'")
        );

        // Signing out needs the session's CSRF token too, and then forgets the cookie.
        let forged = send(&site.app, post("/signout", &cookie, &[("csrf", "00")])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let out = send(
            &site.app,
            post(
                "/signout",
                &cookie,
                &[("csrf", &csrf_token_for(&site.supervisor))],
            ),
        )
        .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(out.header("set-cookie").contains("Max-Age=0"));
        // The session ended in the database: the cookie kept elsewhere opens nothing.
        let ended = send(&site.app, get("/projects", &cookie)).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER);
        assert!(ended.header("set-cookie").contains("Max-Age=0"));

        // A revoked token ends the sessions signed in with it at the next page.
        let cookie = session(&site.secretariat);
        assert_eq!(
            send(&site.app, get("/projects", &cookie)).await.status,
            StatusCode::OK
        );
        site.store.revoke_token("sec-wang").await.unwrap();
        let ended = send(&site.app, get("/projects", &cookie)).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER);
        assert!(ended.header("set-cookie").contains("Max-Age=0"));
        let again = send(&site.app, get(&ended.header("location"), &cookie)).await;
        assert!(again.body.contains("会话已结束"), "{}", again.body);
    }
);

/// The sign-in form's CSRF cookie and token, as a browser gets them.
async fn signin_form(app: &Router, cookies: &str) -> (String, String) {
    let form = send(app, get("/signin", cookies)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let key = form
        .cookies()
        .into_iter()
        .find(|cookie| cookie.starts_with(SIGNIN_COOKIE))
        .unwrap();
    let key = key.split(';').next().unwrap().to_string();
    (key, form.field("csrf"))
}

/// Posts the sign-in form with a name and a password, from `address`.
async fn sign_in(app: &Router, cookies: &str, name: &str, password: &str, address: &str) -> Page {
    let (key, csrf) = signin_form(app, cookies).await;
    let cookies = if cookies.is_empty() {
        key
    } else {
        format!("{key}; {cookies}")
    };
    let mut request = post(
        "/signin",
        &cookies,
        &[
            ("name", name),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/"),
        ],
    );
    request.headers_mut().insert(
        "x-forwarded-for",
        axum::http::HeaderValue::from_str(address).unwrap(),
    );
    send(app, request).await
}

fn session_of(page: &Page) -> String {
    let cookie = page
        .cookies()
        .into_iter()
        .find(|cookie| cookie.starts_with(SESSION_COOKIE))
        .unwrap_or_else(|| panic!("no session cookie: {:?} {}", page.cookies(), page.body));
    cookie.split(';').next().unwrap().to_string()
}

const PASSWORD: &str = "correct horse battery";

conformance!(
    pages_sign_in_with_a_name_and_a_password,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        site.store
            .create_account("wang", Role::Supervisor, None, None, PASSWORD)
            .await
            .unwrap();

        // A wrong password: the form again, the name still typed, saying why (without saying
        // whether the name exists).
        let wrong = sign_in(&site.app, "", "wang", "wrong password", "10.0.0.1").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("用户名或密码不正确"), "{}", wrong.body);
        assert!(wrong.body.contains("value=\"wang\""), "{}", wrong.body);
        assert!(!wrong.header("set-cookie").contains(SESSION_COOKIE));
        let english = sign_in(
            &site.app,
            &format!("{LANGUAGE_COOKIE}=en"),
            "nobody",
            "wrong password",
            "10.0.0.1",
        )
        .await;
        assert!(
            english.body.contains("The name or the password is wrong."),
            "{}",
            english.body
        );
        let no_name = sign_in(&site.app, "", "", PASSWORD, "10.0.0.1").await;
        assert_eq!(no_name.status, StatusCode::BAD_REQUEST);
        assert!(no_name.body.contains("请填写用户名"), "{}", no_name.body);

        // The form without its CSRF token is refused, even with the right password.
        let (key, _csrf) = signin_form(&site.app, "").await;
        let forged = send(
            &site.app,
            post(
                "/signin",
                &key,
                &[("name", "wang"), ("password", PASSWORD), ("next", "/")],
            ),
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(forged.header("set-cookie").is_empty());

        // The right password: a session whose pages name the person.
        let signed_in = sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.1").await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        let cookie = session_of(&signed_in);
        assert!(
            cookie.starts_with(&format!("{SESSION_COOKIE}=sfs_")),
            "{cookie}"
        );
        let home = send(&site.app, get("/projects", &cookie)).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        assert!(home.body.contains("wang"), "{}", home.body);

        // Signing out on this node ends the session on another node too.
        let (other_node, other_store) = second_node(&site).await;
        assert_eq!(
            send(&other_node, get("/projects", &cookie)).await.status,
            StatusCode::OK
        );
        let session_id = cookie.split_once('=').unwrap().1.to_string();
        let out = send(
            &site.app,
            post(
                "/signout",
                &cookie,
                &[("csrf", &csrf_token_for(&session_id))],
            ),
        )
        .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        let ended = send(&other_node, get("/projects", &cookie)).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER);
        assert!(ended.header("location").starts_with("/signin"));

        // Disabling the account (on the other node) ends its sessions here at the next page, and
        // the right password then says the account is disabled.
        let cookie = session_of(&sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.1").await);
        assert_eq!(
            send(&site.app, get("/projects", &cookie)).await.status,
            StatusCode::OK
        );
        assert!(other_store.disable_account("wang").await.unwrap());
        let ended = send(&site.app, get("/projects", &cookie)).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER);
        assert!(ended.header("set-cookie").contains("Max-Age=0"));
        let disabled = sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.1").await;
        assert_eq!(disabled.status, StatusCode::UNAUTHORIZED);
        assert!(disabled.body.contains("此账户已停用"), "{}", disabled.body);
        other_store.close().await;
    }
);

conformance!(
    pages_say_when_to_try_again_after_too_many_failures,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        site.store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        for _ in 0..5 {
            let wrong = sign_in(&site.app, "", "wang", "wrong password", "10.0.0.1").await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        }
        // Locked out: the right password is not even tried, and the page says until when
        // (15 minutes after 2026-01-05 09:00 in Beijing).
        let locked = sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.2").await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            locked.body
        );
        assert!(
            locked
                .body
                .contains("登录失败次数过多，请于 2026-01-05 09:15（北京时间）之后再试。"),
            "{}",
            locked.body
        );
        assert_eq!(locked.header("retry-after"), "900");
        assert!(
            locked.header("set-cookie").is_empty()
                || !locked.header("set-cookie").contains(SESSION_COOKIE)
        );
        // A name nobody has gets the same answer once locked out, so nothing tells them apart.
        for _ in 0..5 {
            let _ = sign_in(&site.app, "", "nobody", "wrong password", "10.0.0.3").await;
        }
        let english = sign_in(
            &site.app,
            &format!("{LANGUAGE_COOKIE}=en"),
            "nobody",
            PASSWORD,
            "10.0.0.4",
        )
        .await;
        assert_eq!(english.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            english.body.contains(
                "Too many failed sign-ins: try again after 2026-01-05 09:15 (Beijing time)."
            ),
            "{}",
            english.body
        );
        // After the lockout, the right password signs in.
        site.clock.advance(chrono::Duration::minutes(15));
        let signed_in = sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.2").await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
    }
);

conformance!(
    pages_refuse_a_form_without_the_sessions_csrf_token,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let cookie = session(&site.secretariat);
        let project = format!("/projects/{}", site.own_project);

        // Blocked: the proposal is missing, and the page says so guard by guard.
        let page = send(&site.app, get(&project, &cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("id=\"unmet-propose\""), "{}", page.body);
        assert!(page.body.contains("disabled"), "{}", page.body);
        assert!(page.body.contains("aria-current=\"step\""), "{}", page.body);

        assert!(page.body.contains("表决"), "{}", page.body);

        // The bureau may cancel it: a form with a reason.
        let cookie = session(&site.supervisor);
        let page = send(&site.app, get(&project, &cookie)).await;
        let command_id = page.field("command_id");
        let sequence = page.field("sequence");
        let before = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();

        for csrf in ["", "0123", &csrf_token_for(&site.secretariat)] {
            let forged = send(
                &site.app,
                post(
                    &format!("{project}/actions/cancel"),
                    &cookie,
                    &[
                        ("csrf", csrf),
                        ("command_id", &command_id),
                        ("sequence", &sequence),
                        ("reason", "计划调整"),
                    ],
                ),
            )
            .await;
            assert_eq!(
                forged.status,
                StatusCode::FORBIDDEN,
                "{csrf}: {}",
                forged.body
            );
            assert!(forged.body.contains("表单已失效"), "{}", forged.body);
        }
        let unchanged = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.head_sequence, before.head_sequence);

        // The first post asks for confirmation on a second page, saying what will happen, and
        // changes nothing.
        let asked = send(
            &site.app,
            post(
                &format!("{project}/actions/cancel"),
                &cookie,
                &[
                    ("csrf", &csrf_token_for(&site.supervisor)),
                    ("command_id", &command_id),
                    ("sequence", &sequence),
                    ("reason", "计划调整"),
                ],
            ),
        )
        .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert!(asked.body.contains("id=\"confirmation\""), "{}", asked.body);
        assert!(asked.body.contains("项目将被撤销"), "{}", asked.body);
        assert!(
            asked.body.contains("name=\"confirmed\" value=\"yes\""),
            "{}",
            asked.body
        );
        assert!(asked.body.contains(&command_id), "{}", asked.body);
        let unconfirmed = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unconfirmed.head_sequence, before.head_sequence);

        let fired = send(
            &site.app,
            post(
                &format!("{project}/actions/cancel"),
                &cookie,
                &[
                    ("csrf", &csrf_token_for(&site.supervisor)),
                    ("command_id", &command_id),
                    ("sequence", &sequence),
                    ("reason", "计划调整"),
                    ("confirmed", "yes"),
                ],
            ),
        )
        .await;
        assert_eq!(fired.status, StatusCode::SEE_OTHER, "{}", fired.body);
        assert_eq!(fired.header("location"), format!("{project}?done=cancel"));
        let after = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.stage, "cancelled");
        let shown = send(&site.app, get(&fired.header("location"), &cookie)).await;
        assert!(shown.body.contains("class=\"success\""), "{}", shown.body);

        // The same form sent again (a double click) is the same command: nothing more is written.
        let again = send(
            &site.app,
            post(
                &format!("{project}/actions/cancel"),
                &cookie,
                &[
                    ("csrf", &csrf_token_for(&site.supervisor)),
                    ("command_id", &command_id),
                    ("sequence", &sequence),
                    ("reason", "计划调整"),
                    ("confirmed", "yes"),
                ],
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
        let still = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still.head_sequence, after.head_sequence);

        // The history's verify button is a form like any other.
        let forged = send(&site.app, post(&format!("{project}/verify"), &cookie, &[])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let verified = send(
            &site.app,
            post(
                &format!("{project}/verify"),
                &cookie,
                &[("csrf", &csrf_token_for(&site.supervisor))],
            ),
        )
        .await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
        assert!(
            verified.body.contains("id=\"verify-result\""),
            "{}",
            verified.body
        );
        assert!(verified.body.contains("校验通过"), "{}", verified.body);
    }
);

conformance!(pages_obey_the_apis_authorization, |kind| async move {
    let Some(site) = site(kind).await else {
        return;
    };
    let drafter = session(&site.drafter);
    let own = send(
        &site.app,
        get(&format!("/projects/{}", site.own_project), &drafter),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);

    // Another project's address, by id or by code: the same 404 as a project that does not exist.
    for path in [
        format!("/projects/{}", site.other_project),
        "/projects/JJF(沪)-2026-002".to_string(),
        format!("/projects/{}/history", site.other_project),
        format!("/projects/{}", Uuid::new_v4()),
    ] {
        let refused = send(&site.app, get(&path, &drafter)).await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            refused.body
        );
        assert!(refused.body.contains("不存在"), "{}", refused.body);
        assert!(!refused.body.contains("SH-TC-02"), "{}", refused.body);
    }
    let refused = send(
        &site.app,
        post(
            &format!("/projects/{}/actions/propose", site.other_project),
            &drafter,
            &[("csrf", &csrf_token_for(&site.drafter))],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);

    // The overdue board is the bureau's.
    let board = send(&site.app, get("/overdue", &drafter)).await;
    assert_eq!(board.status, StatusCode::FORBIDDEN, "{}", board.body);
    assert!(!board.body.contains("href=\"/overdue\""), "{}", board.body);
    let csv = send(&site.app, get("/overdue.csv", &drafter)).await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN);

    // A secretariat sees its committee's projects only.
    let secretariat = session(&site.secretariat);
    let home = send(&site.app, get("/projects", &secretariat)).await;
    assert!(home.body.contains("JJF(沪)-2026-001") && !home.body.contains("JJF(沪)-2026-002"));
    let refused = send(
        &site.app,
        get(&format!("/projects/{}", site.other_project), &secretariat),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let supervisor = session(&site.supervisor);
    let board = send(
        &site.app,
        get("/overdue?sort=recently_overdue&escalated=no", &supervisor),
    )
    .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("<svg"), "{}", board.body);
    let csv = send(
        &site.app,
        get("/overdue.csv?committee=SH-TC-01", &supervisor),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    // People read a spreadsheet: headers in the reader's language, the missed deadline's due
    // date a local date, not an instant.
    assert!(
        csv.body.starts_with(
            "\u{feff}编号,中文名称,英文名称,技术委员会,起草单位,阶段,到期日,逾期天数,"
        ),
        "{}",
        csv.body
    );
});

conformance!(pages_switch_language_and_remember_it, |kind| async move {
    let Some(site) = site(kind).await else {
        return;
    };
    let cookie = session(&site.supervisor);
    let chinese = send(&site.app, get("/projects", &cookie)).await;
    assert!(
        chinese.body.contains("<html lang=\"zh-CN\">"),
        "{}",
        chinese.body
    );
    assert!(chinese.body.contains("我的项目"));

    let switched = send(
        &site.app,
        get("/language?to=en&back=/overdue%3Fsort%3Dnewest", &cookie),
    )
    .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.header("location"), "/overdue?sort=newest");
    let language = switched.header("set-cookie");
    assert!(
        language.starts_with(&format!("{LANGUAGE_COOKIE}=en")),
        "{language}"
    );
    assert!(language.contains("Max-Age="), "{language}");

    let english_cookie = format!("{cookie}; {LANGUAGE_COOKIE}=en");
    let english = send(&site.app, get("/projects", &english_cookie)).await;
    assert!(
        english.body.contains("<html lang=\"en\">"),
        "{}",
        english.body
    );
    assert!(english.body.contains("My projects"));
    let project = send(
        &site.app,
        get(&format!("/projects/{}", site.own_project), &english_cookie),
    )
    .await;
    assert!(
        project.body.contains("propose the project"),
        "{}",
        project.body
    );

    // Never back to another site.
    let away = send(
        &site.app,
        get("/language?to=zh&back=//evil.example/", &cookie),
    )
    .await;
    assert_eq!(away.header("location"), "/");
    let wrong = send(&site.app, get("/language?to=fr", &cookie)).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.header("content-type").starts_with("text/html"));
});

conformance!(
    pages_answer_bad_input_with_friendly_pages,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let cookie = session(&site.supervisor);
        let project = format!("/projects/{}", site.own_project);
        for (path, status) in [
            (
                format!("{project}?as_of=yesterday"),
                StatusCode::BAD_REQUEST,
            ),
            (format!("{project}?sequence=-1"), StatusCode::BAD_REQUEST),
            (
                format!("{project}?sequence=99999999999999999999"),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("{project}?as_of=2026-01-01&sequence=1"),
                StatusCode::BAD_REQUEST,
            ),
            // Past the last record, record 0, and a time before the project existed: errors,
            // not silently the latest state or an empty project.
            (format!("{project}?sequence=999"), StatusCode::NOT_FOUND),
            (format!("{project}?sequence=0"), StatusCode::BAD_REQUEST),
            (
                format!("{project}?as_of=2025-01-01"),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("{project}?as_of=2025-01-01T00:00:00Z"),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("{project}?comments_page=7"),
                StatusCode::BAD_REQUEST,
            ),
            // A filter value that names nothing is an error listing what exists, never
            // "no project".
            (
                "/overdue?committee=SH-TC-99".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/overdue?stage=nowhere".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/overdue?drafting_unit=Nobody".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/projects?stage=nowhere".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("{project}/history?after=x"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/overdue?sort=sideways".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/overdue?after=garbage".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/projects?overdue=maybe".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            ("/no/such/page".to_string(), StatusCode::NOT_FOUND),
            ("/artifacts/xyz".to_string(), StatusCode::BAD_REQUEST),
            (
                format!("/artifacts/{}", "0".repeat(64)),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let page = send(&site.app, get(&path, &cookie)).await;
            assert_eq!(page.status, status, "{path}: {}", page.body);
            assert!(
                page.header("content-type").starts_with("text/html"),
                "{path}"
            );
            assert!(
                page.body.contains("role=\"alert\""),
                "{path}: {}",
                page.body
            );
        }
        let unknown = send(&site.app, get("/overdue?committee=SH-TC-99", &cookie)).await;
        assert!(
            unknown.body.contains("SH-TC-99") && unknown.body.contains("SH-TC-01"),
            "{}",
            unknown.body
        );
        let past = send(&site.app, get(&format!("{project}?sequence=999"), &cookie)).await;
        assert!(past.body.contains("999"), "{}", past.body);
        // The code alone, and an instant as the command line's --as-of takes it.
        let by_code = send(&site.app, get("/overdue?committee=SH-TC-01", &cookie)).await;
        assert_eq!(by_code.status, StatusCode::OK, "{}", by_code.body);
        let instant = send(
            &site.app,
            get(
                &format!("{project}?as_of=2026-01-05T23:00:00%2B08:00"),
                &cookie,
            ),
        )
        .await;
        assert_eq!(instant.status, StatusCode::OK, "{}", instant.body);
        assert!(
            instant.body.contains("2026-01-05 23:00"),
            "{}",
            instant.body
        );

        // A code typed with a Chinese input method's full-width brackets and a stray space finds
        // the project (`JJF（沪）-2026-001 `, percent-encoded as a browser sends it).
        let typed = send(
            &site.app,
            get(
                "/projects/JJF%EF%BC%88%E6%B2%AA%EF%BC%89-2026-001%20",
                &cookie,
            ),
        )
        .await;
        assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
        assert!(typed.body.contains("JJF(沪)-2026-001"), "{}", typed.body);
        // The list's next deadline is a due date, the day of the drafting deadline, not the
        // scheduler's next instant (a warning days before).
        let list = send(&site.app, get("/projects", &cookie)).await;
        assert!(list.body.contains("下一到期日"), "{}", list.body);
        let summary = site
            .store
            .project_summary(site.own_project)
            .await
            .unwrap()
            .unwrap();
        if let Some(due_on) = summary.next_due_on {
            assert!(list.body.contains(&due_on.to_string()), "{}", list.body);
        }

        // As of the day it was created, and right after its first record.
        let then = send(
            &site.app,
            get(&format!("{project}?as_of=2026-01-05"), &cookie),
        )
        .await;
        assert_eq!(then.status, StatusCode::OK, "{}", then.body);
        assert!(then.body.contains("id=\"as-of-banner\""), "{}", then.body);
        let record = send(&site.app, get(&format!("{project}?sequence=1"), &cookie)).await;
        assert_eq!(record.status, StatusCode::OK, "{}", record.body);
        let history = send(&site.app, get(&format!("{project}/history"), &cookie)).await;
        assert_eq!(history.status, StatusCode::OK, "{}", history.body);
        assert!(history.body.contains("?sequence=1"), "{}", history.body);

        // A form's address typed in: a page, not a bare 405.
        let typed = send(&site.app, get(&format!("{project}/verify"), &cookie)).await;
        assert_eq!(typed.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(typed.header("content-type").starts_with("text/html"));
        assert!(typed.body.contains("role=\"alert\""), "{}", typed.body);

        // The API keeps its problem documents, pages or not.
        let api = send(&site.app, get("/api/v1/nope", "")).await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.header("content-type"), "application/problem+json");
        let css = send(&site.app, get("/style.css", "")).await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.header("content-type").starts_with("text/css"));
        assert!(css.body.contains("@media print"), "{}", css.body);

        // Printed, a page's running head comes from its print stylesheet, linked with its title;
        // the text is written as one CSS string whatever it holds, so it cannot end the rule.
        assert!(
            history
                .body
                .contains("href=\"/print.css?lang=zh&amp;running=JJF%28%E6%B2%AA%29-2026-00"),
            "{}",
            history.body
        );
        let hostile = send(
            &site.app,
            get(
                "/print.css?lang=en&running=a%22%7D%20%5C%3C%2Fstyle%3Eb",
                "",
            ),
        )
        .await;
        assert_eq!(hostile.status, StatusCode::OK);
        assert!(hostile.header("content-type").starts_with("text/css"));
        assert!(
            hostile
                .body
                .contains("@top-left { content: \"a\\000022} \\00005c\\00003c/style\\00003eb\"; }"),
            "{}",
            hostile.body
        );
        assert!(
            hostile
                .body
                .contains(r#"content: "Page " counter(page) " of " counter(pages);"#),
            "{}",
            hostile.body
        );
    }
);

/// Records a committee command as the bureau, which must be accepted.
async fn committee_command(
    store: &specflow_store::Store,
    code: &str,
    command: specflow_engine::committee::CommitteeCommand,
) {
    use specflow_store::{CommitteeCommandRequest, CommitteeOutcome, committee_id_of};
    let outcome = store
        .execute_committee(CommitteeCommandRequest {
            committee_id: committee_id_of(code),
            command_id: Uuid::new_v4(),
            expected_sequence: None,
            actor: specflow_engine::Actor::new("bureau-li", "supervisor"),
            command,
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommitteeOutcome::Accepted { .. }),
        "{outcome:?}"
    );
}

/// Forms `code` on 2026-01-05 with its first term; for SH-TC-01, a chair and four members from
/// one institute under the bureau's waiver, and no vice chair nor secretary-general (breaches
/// only the whole composition's check reports).
async fn committee_of_record(store: &specflow_store::Store, code: &str) {
    use chrono::NaiveDate;
    use specflow_engine::LocalizedText;
    use specflow_engine::committee::{CommitteeCommand, CommitteeWaiver, MemberProfile};
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    committee_command(
        store,
        code,
        CommitteeCommand::Form {
            committee_id: specflow_store::committee_id_of(code),
            code: code.to_string(),
            name: LocalizedText::new(
                format!("上海市{code}计量技术委员会"),
                format!("Shanghai {code} Metrology Committee"),
            ),
            field: "length".into(),
            legal_metrology: false,
            composition_plan: "沪市监计量〔2026〕1号".into(),
            formed_on: day("2026-01-05"),
        },
    )
    .await;
    committee_command(
        store,
        code,
        CommitteeCommand::StartTerm {
            starts_on: day("2026-01-05"),
            ends_on: None,
        },
    )
    .await;
    if code != "SH-TC-01" {
        return;
    }
    committee_command(
        store,
        code,
        CommitteeCommand::Waive(CommitteeWaiver {
            rule: "max_per_organisation".into(),
            subject: Some("SIMT".into()),
            reason: "SIMT keeps the city's length standards".into(),
            authority: "沪市监计量〔2026〕15号".into(),
            up_to: Some(4),
        }),
    )
    .await;
    for (person, role) in [
        ("张伟", "chair"),
        ("陈刚", "member"),
        ("刘洋", "member"),
        ("杨静", "member"),
    ] {
        committee_command(
            store,
            code,
            CommitteeCommand::Appoint {
                member: MemberProfile {
                    person: person.into(),
                    organisation: "SIMT".into(),
                    title_level: "senior".into(),
                    administrative: false,
                    metrology_professional: true,
                    role: role.into(),
                },
                term: None,
                effective_on: day("2026-01-05"),
            },
        )
        .await;
    }
}

conformance!(
    pages_show_a_committee_its_composition_check_and_reports,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        committee_of_record(&site.store, "SH-TC-01").await;
        committee_of_record(&site.store, "SH-TC-02").await;
        // A code with a space and Chinese, as the demo's: its link must lead to it.
        committee_of_record(&site.store, "SH-TC-03 上海市力学").await;

        // A supervisor sees every committee, and the navigation names the page.
        let supervisor = session(&site.supervisor);
        let list = send(&site.app, get("/committees", &supervisor)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("href=\"/committees\""), "{}", list.body);
        assert!(
            list.body.contains("href=\"/committees/SH-TC-01\"")
                && list.body.contains("href=\"/committees/SH-TC-02\""),
            "{}",
            list.body
        );

        let spaced = "/committees/SH-TC-03%20%E4%B8%8A%E6%B5%B7%E5%B8%82%E5%8A%9B%E5%AD%A6";
        assert!(list.body.contains(spaced), "{}", list.body);
        let page = send(&site.app, get(spaced, &supervisor)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body
                .contains(&format!("{spaced}/reports/annual?year=2026"))
        );

        // Members with roles, organisations and terms; every breach and every waiver.
        let page = send(&site.app, get("/committees/SH-TC-01", &supervisor)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for expected in [
            "张伟",
            "主任委员",
            "SIMT",
            "第1届",
            "2030-01-04",
            "id=\"breaches\"",
            "设副主任委员至少1人",
            "设秘书长1人",
            "同一单位委员不超过3人",
            "已豁免",
            "未豁免",
            "沪市监计量〔2026〕15号",
            "id=\"waivers\"",
            "违反组成规则",
            "/committees/SH-TC-01/reports/annual?year=2026",
            "/committees/SH-TC-01/reports/annual?year=2025",
            "/committees/SH-TC-01/reports/term?term=1",
        ] {
            assert!(page.body.contains(expected), "{expected}: {}", page.body);
        }
        assert!(!page.body.contains("<script"), "{}", page.body);

        // The reports, as the report renderer's HTML in the site's frame: its navigation, the
        // pages' policy (no inline style, no script), and no link into the API, which answers a
        // browser with JSON 401.
        let annual = send(
            &site.app,
            get("/committees/SH-TC-01/reports/annual?year=2026", &supervisor),
        )
        .await;
        assert_eq!(annual.status, StatusCode::OK, "{}", annual.body);
        assert!(annual.header("content-type").starts_with("text/html"));
        assert!(annual.body.contains("年度工作报告"), "{}", annual.body);
        assert!(annual.body.contains("张伟"), "{}", annual.body);
        let policy = annual.header("content-security-policy");
        assert!(
            policy.contains("style-src 'self'") && !policy.contains("unsafe-inline"),
            "{policy}"
        );
        assert!(annual.body.contains("<nav"), "{}", annual.body);
        assert!(annual.body.contains("href=\"/overdue\""), "{}", annual.body);
        assert!(!annual.body.contains("<style"), "{}", annual.body);
        assert!(!annual.body.contains("/api/"), "{}", annual.body);
        let term = send(
            &site.app,
            get("/committees/SH-TC-01/reports/term?term=1", &supervisor),
        )
        .await;
        assert_eq!(term.status, StatusCode::OK, "{}", term.body);
        assert!(term.body.contains("届末工作报告"), "{}", term.body);

        // In English by the language cookie.
        let english = send(
            &site.app,
            get(
                "/committees/SH-TC-01",
                &format!("{supervisor}; {LANGUAGE_COOKIE}=en"),
            ),
        )
        .await;
        for expected in [
            "Members",
            "chair",
            "term 1",
            "at least one vice chair",
            "waived",
        ] {
            assert!(
                english.body.contains(expected),
                "{expected}: {}",
                english.body
            );
        }
        let english_report = send(
            &site.app,
            get(
                "/committees/SH-TC-01/reports/annual?year=2026",
                &format!("{supervisor}; {LANGUAGE_COOKIE}=en"),
            ),
        )
        .await;
        assert!(
            english_report.body.contains("<html lang=\"en\">"),
            "{}",
            english_report.body
        );

        // Another committee's secretariat: its own committee only; the other is the same 404
        // as one that does not exist, for the page and for its reports.
        let secretariat = session(&site.secretariat);
        let list = send(&site.app, get("/committees", &secretariat)).await;
        assert!(
            list.body.contains("SH-TC-01") && !list.body.contains("SH-TC-02"),
            "{}",
            list.body
        );
        let own = send(&site.app, get("/committees/SH-TC-01", &secretariat)).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        for path in [
            "/committees/SH-TC-02",
            "/committees/SH-TC-02/reports/annual?year=2026",
            "/committees/SH-TC-02/reports/term?term=1",
        ] {
            let hidden = send(&site.app, get(path, &secretariat)).await;
            assert_eq!(
                hidden.status,
                StatusCode::NOT_FOUND,
                "{path}: {}",
                hidden.body
            );
            assert!(hidden.body.contains("不存在"), "{path}: {}", hidden.body);
            // The same page as for a committee that does not exist, but for the code (and the
            // request's id, of the same length).
            let missing = send(&site.app, get(&path.replace("02", "99"), &secretariat)).await;
            assert_eq!(missing.status, StatusCode::NOT_FOUND);
            assert_eq!(
                hidden.body.replace("SH-TC-02", "SH-TC-99").len(),
                missing.body.len(),
                "{path}: a hidden committee reads as a missing one"
            );
        }

        // A drafter sees no committee, and no link to the page.
        let drafter = session(&site.drafter);
        let list = send(&site.app, get("/committees", &drafter)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(
            list.body.contains("id=\"committees-empty\""),
            "{}",
            list.body
        );
        assert!(!list.body.contains("href=\"/committees\""), "{}", list.body);
        let refused = send(&site.app, get("/committees/SH-TC-01", &drafter)).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);

        // Bad input: friendly pages, never a 500.
        for (path, status) in [
            (
                "/committees/SH-TC-01/reports/annual",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/committees/SH-TC-01/reports/annual?year=twenty",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/committees/SH-TC-01/reports/annual?year=99999",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/committees/SH-TC-01/reports/annual?year=2026&colour=red",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/committees/SH-TC-01/reports/term?term=x",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/committees/SH-TC-01/reports/term?term=7",
                StatusCode::NOT_FOUND,
            ),
            ("/committees/%E2%80%AE", StatusCode::NOT_FOUND),
        ] {
            let page = send(&site.app, get(path, &supervisor)).await;
            assert_eq!(page.status, status, "{path}: {}", page.body);
            assert!(
                page.header("content-type").starts_with("text/html"),
                "{path}"
            );
            assert!(
                page.body.contains("role=\"alert\""),
                "{path}: {}",
                page.body
            );
        }
    }
);

// Regression (issue 17): a NUL typed as a sign-in name reached the database, which on PostgreSQL
// refuses it (503); it is refused as bad input, the same on both backends, and nothing is counted.
conformance!(
    a_control_character_in_a_form_is_refused_before_the_database,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        site.store
            .create_account("wang", Role::Auditor, None, None, PASSWORD)
            .await
            .unwrap();
        let refused = sign_in(&site.app, "", "wang\u{0}", PASSWORD, "10.0.0.1").await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("U+0000"), "{}", refused.body);
        let signed_in = sign_in(&site.app, "", "wang", PASSWORD, "10.0.0.1").await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
    }
);
