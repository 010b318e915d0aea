//! Sessions, CSRF and the language: who reads a page, in which language, and whether a form
//! really came from one of specflow's own pages.
//!
//! A person signs in with their account's name and password (`store/accounts.rs`), or with an
//! API token pasted into the password field (`store/tokens.rs`). Either starts a server-side
//! session (`store/sessions.rs`), and the `specflow_session` cookie holds its random id, never a
//! password or a token: HttpOnly (no script can read it), SameSite=Strict (no other site's page
//! sends it) and Secure when the request came over https. Each request reads the session again
//! with `Store::session`, so signing out, disabling the account or revoking the token ends it on
//! every node at the next page.
//!
//! Failed sign-ins are throttled by the store per typed name and per client address (the
//! connection's, or the last hop of `X-Forwarded-For` when the connection comes from a proxy on
//! this machine); a throttled attempt is told when to try again, in the same words whether or
//! not the name exists.
//!
//! Every form that changes something carries a CSRF token: HMAC-SHA256 keyed by the session id
//! over a fixed label. Only a page that knows the cookie can compute it, it is the same on every
//! node (no server secret to share), and it reveals nothing of the id. The sign-in form itself,
//! before any session, is protected the same way by a random `specflow_signin` cookie.
//! A POST whose token is missing or wrong is refused with a page that says so.
//!
//! The language is Chinese unless the `specflow_language` cookie says English; the switch is a
//! plain link-like form (a GET), since choosing a language changes nothing anyone else sees.

use super::layout::{self, Words};
use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use maud::html;
use serde::Deserialize;
use sha2::Sha256;
use specflow_engine::Language;
use specflow_store::SigninError;
use specflow_store::auth::{AuthError, Principal, TOKEN_PREFIX};

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "specflow_session";

/// The cookie remembering the reader's language (`zh` or `en`).
pub const LANGUAGE_COOKIE: &str = "specflow_language";

/// The cookie holding the sign-in form's random CSRF key, before there is a session.
pub const SIGNIN_COOKIE: &str = "specflow_signin";

/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// What the session's CSRF token signs; a new label invalidates every token at once.
const SESSION_CSRF_LABEL: &[u8] = b"specflow-pages-csrf-v1";

/// What the sign-in form's CSRF token signs.
const SIGNIN_CSRF_LABEL: &[u8] = b"specflow-pages-signin-v1";

/// The CSRF token of the session whose cookie holds `session_id`: what each form of its pages
/// carries, and what a test computes to post a form.
pub fn csrf_token_for(session_id: &str) -> String {
    hmac_hex(session_id.as_bytes(), SESSION_CSRF_LABEL)
}

fn hmac_hex(key: &[u8], label: &[u8]) -> String {
    // HMAC takes keys of any length; the error arm cannot happen and yields an unusable token.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(label);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Compares a sent CSRF token with the expected one in constant time.
fn csrf_matches(key: &[u8], label: &[u8], sent: &str) -> bool {
    let Ok(sent) = hex::decode(sent.trim()) else {
        return false;
    };
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(label);
            mac.verify_slice(&sent).is_ok()
        }
        Err(_) => false,
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub(super) fn cookie<'headers>(headers: &'headers HeaderMap, name: &str) -> Option<&'headers str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Whether the request came over https (through a proxy that says so with
/// `X-Forwarded-Proto`, since specflow itself serves plain HTTP), so that cookies are marked
/// Secure.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for one of the pages' cookies; `None` as the value deletes it.
fn set_cookie(name: &str, value: Option<&str>, secure: bool, http_only: bool) -> String {
    let mut text = match value {
        Some(value) => format!("{name}={value}; Path=/; SameSite=Strict"),
        None => format!("{name}=; Path=/; SameSite=Strict; Max-Age=0"),
    };
    if http_only {
        text.push_str("; HttpOnly");
    }
    if secure {
        text.push_str("; Secure");
    }
    // The language is remembered for a year; the cookie of a session lasts as long as the
    // browser does (the session itself ends earlier when it is idle, signed out or revoked).
    if value.is_some() && name == LANGUAGE_COOKIE {
        text.push_str("; Max-Age=31536000");
    }
    text
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A path within the pages to return to, or `/`: never another site (an open redirect).
pub(super) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Who reads a page, in which language, and the request's details a page needs.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The reader's language.
    pub language: Language,
    /// The signed-in principal, if the session cookie holds a live session.
    pub principal: Option<Principal>,
    /// The CSRF token of the session, for its forms.
    pub csrf: Option<String>,
    /// The path and query of this page, to come back to after switching language.
    pub here: String,
    /// The request's id, shown on error pages so that the log can be searched for it.
    pub request_id: Option<String>,
    /// Whether the session cookie held a session that has ended (signed out elsewhere, idle,
    /// its account disabled or its token revoked).
    pub session_ended: bool,
}

impl Viewer {
    /// A reader known only by language, for pages answered before anything else is known.
    pub fn anonymous(language: Language) -> Viewer {
        Viewer {
            language,
            principal: None,
            csrf: None,
            here: "/".to_string(),
            request_id: None,
            session_ended: false,
        }
    }

    /// The words of this reader's language.
    pub fn words(&self) -> Words {
        Words(self.language)
    }

    /// A problem as a page: its status, its title and detail in the reader's language, and every
    /// unmet guard of a refused command. An unauthenticated reader is sent to sign in instead.
    pub fn error_page(&self, problem: &Problem) -> Response {
        if problem.kind == ProblemKind::Unauthenticated {
            return signin_redirect(&self.here);
        }
        let words = self.words();
        let title = problem.kind.title();
        let title = title.get(self.language);
        let body = html! {
            div.error role="alert" {
                h1 { (title) }
                p { (problem.detail.get(self.language)) }
                @if !problem.unmet.is_empty() {
                    h2 { (words.pick("未满足的条件", "Conditions not met")) }
                    ul.unmet {
                        @for reason in &problem.unmet {
                            li { (reason.message.get(self.language)) " " code { (reason.code) } }
                        }
                    }
                }
                @if let Some(request_id) = &self.request_id {
                    p.muted { (words.pick("请求编号：", "Request id: ")) code { (request_id) } }
                }
                @if self.principal.is_some() {
                    p { a href="/projects" { (words.pick("返回项目列表", "Back to the projects")) } }
                } @else {
                    // A reader without a session can go only where no sign-in is needed.
                    p { a href="/public" { (words.pick("返回公开的规范", "Back to the public specifications")) } }
                }
            }
        };
        let mut response = layout::page_response(self, title, body);
        *response.status_mut() = problem.kind.status();
        // Too many uploads at once: say when to try again, as the API does.
        if let Some(serde_json::Value::Number(seconds)) =
            problem.extensions.get("retry_after_seconds")
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

/// Where an unauthenticated reader goes: the sign-in page, coming back here afterwards.
fn signin_redirect(here: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Viewer, std::convert::Infallible> {
        let language = match cookie(&parts.headers, LANGUAGE_COOKIE) {
            Some("en") => Language::En,
            _ => Language::Zh,
        };
        // A page answering a form (a POST) cannot be fetched again: its links back (the
        // language switch, signing in again) go to the page the form was on.
        let here = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |path| path.as_str().to_string())
        } else {
            let referer = parts
                .headers
                .get(header::REFERER)
                .and_then(|value| value.to_str().ok())
                .and_then(|url| url.split_once("://"))
                .and_then(|(_, rest)| rest.find('/').map(|slash| rest[slash..].to_string()));
            local_path(referer.as_deref())
        };
        let request_id = parts
            .headers
            .get(&crate::app::REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let mut viewer = Viewer {
            language,
            principal: None,
            csrf: None,
            here,
            request_id,
            session_ended: false,
        };
        if let Some(session_id) =
            cookie(&parts.headers, SESSION_COOKIE).filter(|session_id| !session_id.is_empty())
        {
            match state.store.session(session_id).await {
                Ok(principal) => {
                    viewer.csrf = Some(csrf_token_for(session_id));
                    viewer.principal = Some(principal);
                }
                Err(error) => {
                    // Logged like the API's refusals; the reader is asked to sign in again.
                    tracing::warn!(subject = error.subject().unwrap_or("-"), reason = %error, "pages: the session is not accepted");
                    viewer.session_ended = true;
                }
            }
        }
        Ok(viewer)
    }
}

/// A signed-in reader: the extractor of every page but the sign-in page. Without a valid session
/// the reader is sent to sign in, and comes back here afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The reader.
    pub viewer: Viewer,
    /// Who they are.
    pub principal: Principal,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, Response> {
        let Ok(viewer) = Viewer::from_request_parts(parts, state).await;
        match viewer.principal.clone() {
            Some(principal) => Ok(SignedIn { viewer, principal }),
            None => {
                let mut response = signin_redirect(&viewer.here);
                if viewer.session_ended {
                    response = with_cookie(
                        response,
                        &set_cookie(SESSION_COOKIE, None, is_https(&parts.headers), true),
                    );
                }
                Err(response)
            }
        }
    }
}

impl SignedIn {
    /// Checks a posted form's CSRF token against the session's; the refusal is a 403 page.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), Problem> {
        let matches = match (self.viewer.csrf.as_deref(), sent) {
            (Some(expected), Some(sent)) => {
                constant_time_equal(expected.as_bytes(), sent.trim().as_bytes())
            }
            _ => false,
        };
        if matches {
            Ok(())
        } else {
            tracing::warn!(subject = %self.principal.subject, reason = "missing or wrong CSRF token", status = 403, "pages: form refused");
            Err(csrf_problem())
        }
    }
}

/// Whether two byte strings are equal, in a time that does not depend on where they differ.
fn constant_time_equal(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// The refusal of a form without a valid CSRF token.
pub(super) fn csrf_problem() -> Problem {
    Problem::new(
        ProblemKind::Forbidden,
        "表单已失效或并非来自本站：请回到上一页，刷新后再提交。",
        "This form has expired or did not come from specflow's own pages: go back, reload the page and submit it again.",
    )
}

/// Reads a form body; every field's text is held to its rule first (no control characters,
/// its most characters), so that a NUL typed as a sign-in name never reaches the database.
pub(super) fn read_form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Problem> {
    for (name, value) in form_urlencoded::parse(body) {
        crate::app::text_fields::check_text(&name, &name, &value)?;
    }
    serde_urlencoded::from_bytes(body).map_err(|error| {
        Problem::new(
            ProblemKind::InvalidRequest,
            format!("表单内容有误：{error}"),
            format!("The form is not as expected: {error}"),
        )
    })
}

/// The query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct SigninQuery {
    /// Where to go after signing in.
    next: Option<String>,
}

/// `GET /signin`: the sign-in form. It sets the random key of its CSRF token if there is none.
pub async fn signin_form(
    viewer: Viewer,
    headers: HeaderMap,
    Query(query): Query<SigninQuery>,
) -> Response {
    signin_page(&viewer, &headers, query.next.as_deref(), "", None)
}

/// Why the sign-in form is shown again, and what status it answers with.
struct Failure<'text> {
    status: StatusCode,
    message: &'text str,
}

fn signin_page(
    viewer: &Viewer,
    headers: &HeaderMap,
    next: Option<&str>,
    name: &str,
    failure: Option<Failure<'_>>,
) -> Response {
    let words = viewer.words();
    let (key, new_key) = match cookie(headers, SIGNIN_COOKIE).filter(|key| key.len() == 64) {
        Some(key) => (key.to_string(), false),
        None => {
            let mut bytes = [0u8; 32];
            if getrandom::fill(&mut bytes).is_err() {
                return viewer.error_page(&Problem::new(
                    ProblemKind::Internal,
                    "无法生成随机数",
                    "No random numbers could be had",
                ));
            }
            (hex::encode(bytes), true)
        }
    };
    let csrf = hmac_hex(key.as_bytes(), SIGNIN_CSRF_LABEL);
    let next = local_path(next);
    let body = html! {
        section.signin {
            h1 { (words.pick("登录", "Sign in")) }
            @if let Some(failure) = &failure {
                p.error role="alert" id="signin-error" { (failure.message) }
            }
            @if viewer.session_ended {
                p.notice role="status" { (words.pick("会话已结束（已在别处退出、长时间未使用、账户已停用或令牌已吊销），请重新登录。", "Your session ended (signed out elsewhere, unused for too long, the account disabled or the token revoked): sign in again.")) }
            }
            form method="post" action="/signin" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="next" value=(next);
                p {
                    label for="name" { (words.pick("用户名", "Name")) }
                    input #name type="text" name="name" value=(name) autocomplete="username" spellcheck="false" autocapitalize="none";
                }
                p {
                    label for="password" { (words.pick("密码", "Password")) }
                    input #password type="password" name="password" required autocomplete="current-password" aria-describedby="password-help";
                }
                p.muted #password-help { (words.pick("账户由管理员用 specflow user create 开设。也可以不填用户名，在密码框粘贴 API 令牌（sft_ 加 64 位十六进制数字）。", "Accounts are opened by an administrator with specflow user create. You may also leave the name empty and paste an API token (sft_ and 64 hexadecimal digits) as the password.")) }
                p { button type="submit" { (words.pick("登录", "Sign in")) } }
            }
        }
    };
    let status = failure
        .as_ref()
        .map_or(StatusCode::OK, |failure| failure.status);
    let mut response = layout::page_response(viewer, words.pick("登录", "Sign in"), body);
    *response.status_mut() = status;
    if new_key {
        let secure = is_https(headers);
        response = with_cookie(
            response,
            &set_cookie(SIGNIN_COOKIE, Some(&key), secure, true),
        );
    }
    response
}

/// The sign-in form as posted: a name and a password, or an API token as the password.
#[derive(Debug, Deserialize)]
struct SigninForm {
    #[serde(default)]
    name: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

/// The address failed sign-ins are counted against: the connection's peer, or, when the
/// connection comes from this machine (a reverse proxy in front of specflow) or is not known
/// (a test calling the router), the last address of `X-Forwarded-For`, which the nearest proxy
/// wrote. Earlier entries are the client's own word and are ignored.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<ClientAddress, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rfind(|entry| !entry.is_empty())
            .map(str::to_string);
        let address = match (peer, forwarded) {
            (Some(peer), Some(forwarded)) if peer.is_loopback() => forwarded,
            (Some(peer), _) => peer.to_string(),
            (None, Some(forwarded)) => forwarded,
            (None, None) => "unknown".to_string(),
        };
        Ok(ClientAddress(address))
    }
}

/// `POST /signin`: checks the form's CSRF token, then the name and password (or the token given
/// as the password) through the store's throttled sign-in, then keeps the new session's id in
/// the session cookie and goes where the reader was going.
pub async fn signin(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let words = viewer.words();
    let form: SigninForm = match read_form(&body) {
        Ok(form) => form,
        Err(problem) => return viewer.error_page(&problem),
    };
    let key = cookie(&headers, SIGNIN_COOKIE).unwrap_or_default();
    let csrf_ok = !key.is_empty()
        && form
            .csrf
            .as_deref()
            .is_some_and(|sent| csrf_matches(key.as_bytes(), SIGNIN_CSRF_LABEL, sent));
    if !csrf_ok {
        tracing::warn!(
            subject = "-",
            reason = "sign-in form without a valid CSRF token",
            status = 403,
            "pages: form refused"
        );
        return viewer.error_page(&csrf_problem());
    }
    let name = form.name.trim();
    // A token pasted as the password signs in as the token, whatever the name says: passwords
    // never start with `sft_` (the store refuses them).
    let is_token = form.password.trim().starts_with(TOKEN_PREFIX);
    if name.is_empty() && !is_token {
        return signin_page(
            &viewer,
            &headers,
            form.next.as_deref(),
            name,
            Some(Failure {
                status: StatusCode::BAD_REQUEST,
                message: words.pick(
                    "请填写用户名（只有粘贴 API 令牌时才可以不填）。",
                    "Enter your name (it may be left empty only when an API token is pasted as the password).",
                ),
            }),
        );
    }
    let signed_in = if is_token {
        state
            .store
            .sign_in_with_token(&form.password, &address)
            .await
    } else {
        state.store.sign_in(name, &form.password, &address).await
    };
    match signed_in {
        Ok(session) => {
            tracing::info!(subject = %session.principal().subject, role = %session.principal().role, address = %address, "pages: signed in");
            let secure = is_https(&headers);
            let response = Redirect::to(&local_path(form.next.as_deref())).into_response();
            let response = with_cookie(
                response,
                &set_cookie(SESSION_COOKIE, Some(session.session_id()), secure, true),
            );
            with_cookie(response, &set_cookie(SIGNIN_COOKIE, None, secure, true))
        }
        Err(SigninError::Store(error)) => viewer.error_page(&Problem::from(error)),
        Err(error) => {
            tracing::warn!(subject = error.subject().unwrap_or(name), reason = %error, address = %address, status = 401, "pages: sign-in refused");
            let throttled_message;
            let (status, message) = match &error {
                SigninError::Throttled { until } => {
                    let until = layout::local_time(*until, layout::shanghai());
                    throttled_message = words
                        .pick(
                            &format!("登录失败次数过多，请于 {until}（北京时间）之后再试。"),
                            &format!(
                                "Too many failed sign-ins: try again after {until} (Beijing time)."
                            ),
                        )
                        .to_string();
                    (StatusCode::TOO_MANY_REQUESTS, throttled_message.as_str())
                }
                SigninError::Disabled { .. } => (
                    StatusCode::UNAUTHORIZED,
                    words.pick(
                        "此账户已停用，请联系管理员。",
                        "This account is disabled: ask an administrator.",
                    ),
                ),
                SigninError::Token(AuthError::Malformed) => (
                    StatusCode::UNAUTHORIZED,
                    words.pick(
                        "令牌格式不正确：应为 sft_ 加 64 位十六进制数字。",
                        "That is not a specflow token: sft_ and 64 hexadecimal digits.",
                    ),
                ),
                SigninError::Token(AuthError::Revoked { .. }) => (
                    StatusCode::UNAUTHORIZED,
                    words.pick("此令牌已被吊销。", "This token was revoked."),
                ),
                SigninError::Token(AuthError::Expired { .. }) => (
                    StatusCode::UNAUTHORIZED,
                    words.pick("此令牌已过期。", "This token has expired."),
                ),
                SigninError::Token(_) => (
                    StatusCode::UNAUTHORIZED,
                    words.pick("令牌无效。", "This token is not known."),
                ),
                SigninError::WrongCredentials | SigninError::Store(_) => (
                    StatusCode::UNAUTHORIZED,
                    words.pick("用户名或密码不正确。", "The name or the password is wrong."),
                ),
            };
            let mut response = signin_page(
                &viewer,
                &headers,
                form.next.as_deref(),
                name,
                Some(Failure { status, message }),
            );
            if let SigninError::Throttled { until } = &error {
                let seconds = (*until - state.store.clock().now()).num_seconds().max(1);
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            response
        }
    }
}

/// The sign-out form as posted.
#[derive(Debug, Deserialize)]
struct SignoutForm {
    csrf: Option<String>,
}

/// `POST /signout`: ends the session in the database, so that its id is refused on every node,
/// and forgets the cookie. A token used to sign in stays valid: revoking it is
/// `specflow token revoke`.
pub async fn signout(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: SignoutForm = match read_form(&body) {
        Ok(form) => form,
        Err(problem) => return signed_in.viewer.error_page(&problem),
    };
    if let Err(problem) = signed_in.check_csrf(form.csrf.as_deref()) {
        return signed_in.viewer.error_page(&problem);
    }
    let session_id = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    if let Err(error) = state.store.end_session(session_id).await {
        return signed_in.viewer.error_page(&Problem::from(error));
    }
    tracing::info!(subject = %signed_in.principal.subject, "pages: signed out");
    let secure = is_https(&headers);
    with_cookie(
        Redirect::to("/signin").into_response(),
        &set_cookie(SESSION_COOKIE, None, secure, true),
    )
}

/// The query of the language switch.
#[derive(Debug, Deserialize)]
pub struct LanguageQuery {
    /// `zh` or `en`.
    to: String,
    /// The page to return to.
    back: Option<String>,
}

/// `GET /language?to=en&back=/overdue`: remembers the language in a cookie and goes back.
pub async fn switch_language(viewer: Viewer, Query(query): Query<LanguageQuery>) -> Response {
    let language = match query.to.as_str() {
        "en" => "en",
        "zh" => "zh",
        other => {
            return viewer.error_page(&Problem::invalid(
                "to",
                format!("不支持的语言 {other}：请选择 zh 或 en"),
                format!("No language {other}: choose zh or en"),
            ));
        }
    };
    with_cookie(
        Redirect::to(&local_path(query.back.as_deref())).into_response(),
        // Not HttpOnly: it holds nothing secret (and no script reads it either).
        &set_cookie(LANGUAGE_COOKIE, Some(language), false, false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/overdue?stage=drafting")),
            "/overdue?stage=drafting"
        );
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn a_csrf_token_is_the_sessions_own() {
        let token = format!("sft_{}", "ab".repeat(32));
        let csrf = csrf_token_for(&token);
        assert!(csrf_matches(token.as_bytes(), SESSION_CSRF_LABEL, &csrf));
        assert!(!csrf_matches(b"another", SESSION_CSRF_LABEL, &csrf));
        assert!(!csrf_matches(token.as_bytes(), SIGNIN_CSRF_LABEL, &csrf));
        assert!(!csrf_matches(token.as_bytes(), SESSION_CSRF_LABEL, "zz"));
        assert!(!csrf.contains(&token[4..]));
    }
}
