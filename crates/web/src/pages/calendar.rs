//! `/calendar`: a person's calendar feed (issue 20). The page says what the feed holds and
//! whether the person has one; `POST /calendar` makes a new address (shown once, as its secret is
//! stored only as a hash) or stops the feed. Feeds belong to accounts: a reader signed in with
//! an API token is told so.

use super::layout;
use super::session::{CSRF_FIELD, SignedIn, read_form};
use crate::app::AppState;
use crate::app::calendar::{base_url_of, feed_url};
use crate::app::problem::{Problem, ProblemKind};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use specflow_store::accounts::AccountSummary;

/// The page's query: what was just done.
#[derive(Debug, Deserialize)]
pub struct CalendarQuery {
    /// `1` after the feed was stopped.
    stopped: Option<String>,
}

/// The account the reader signed in as, if they signed in with an account (not a token).
async fn account_of(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Option<AccountSummary>, Problem> {
    let account = state.store.account(&signed_in.principal.subject).await?;
    Ok(account.filter(|account| account.account_id == signed_in.principal.token_id))
}

/// `GET /calendar`.
pub async fn calendar_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<CalendarQuery>,
) -> Response {
    let note = query.stopped.is_some().then(|| {
        signed_in
            .viewer
            .words()
            .pick(
                "订阅已停止：原地址不再可用。",
                "The feed was stopped: its address no longer works.",
            )
            .to_string()
    });
    match render(&state, &signed_in, None, note).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// The form of `POST /calendar`.
#[derive(Debug, Deserialize)]
pub struct CalendarForm {
    /// The form's token against cross-site requests.
    csrf: Option<String>,
    /// `renew` (make a new address) or `stop`.
    r#do: String,
}

/// `POST /calendar`: a new address, or the feed stopped.
pub async fn calendar_action(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match act(&state, &signed_in, &headers, &body).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

async fn act(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Problem> {
    let form: CalendarForm = read_form(body)?;
    signed_in.check_csrf(form.csrf.as_deref())?;
    let account = account_of(state, signed_in)
        .await?
        .ok_or_else(token_has_no_feed)?;
    match form.r#do.as_str() {
        "renew" => {
            let secret = state
                .store
                .renew_calendar_feed(&account.name)
                .await?
                .ok_or_else(token_has_no_feed)?;
            tracing::info!(subject = %account.name, "pages: a new calendar feed address");
            let url = feed_url(&base_url_of(headers), &secret);
            render(state, signed_in, Some(url), None).await
        }
        "stop" => {
            state.store.revoke_calendar_feed(&account.name).await?;
            tracing::info!(subject = %account.name, "pages: calendar feed stopped");
            Ok(Redirect::to("/calendar?stopped=1").into_response())
        }
        other => Err(Problem::invalid(
            "do",
            format!("未知的操作 {other}：应为 renew 或 stop"),
            format!("Unknown action {other}: expected renew or stop"),
        )),
    }
}

fn token_has_no_feed() -> Problem {
    Problem::new(
        ProblemKind::Forbidden,
        "日历订阅属于账户：您是用 API 令牌登录的，请用账户登录后再生成订阅地址",
        "Calendar feeds belong to accounts: you signed in with an API token; sign in with an account to make a feed",
    )
}

async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    new_url: Option<String>,
    note: Option<String>,
) -> Result<Response, Problem> {
    let words = signed_in.viewer.words();
    let account = account_of(state, signed_in).await?;
    let since = match &account {
        Some(account) => state.store.calendar_feed_since(account.account_id).await?,
        None => None,
    };
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = html! {
        h1 { (words.pick("日历订阅", "Calendar feed")) }
        @if let Some(note) = &note {
            p.notice role="status" { (note) }
        }
        section.card {
            p { (words.pick(
                "在日历应用（Outlook、苹果日历、谷歌日历、企业微信、钉钉、飞书的日历）中订阅此地址，即可看到您能查看的进行中项目的截止日期与预警日期，以及会议和函审的日期。日历应用每小时左右刷新一次；截止日期延期后，原事件会移到新日期，而不会重复出现。",
                "Subscribe to this address in your calendar application (Outlook, Apple Calendar, Google Calendar, or the calendars of WeCom, DingTalk and Feishu) to see the due and warning dates of the deadlines of the open projects you may see, and the dates of meetings and votes by letter. Calendar applications fetch it again about every hour; when a deadline is extended its event moves to the new date rather than appearing twice."
            )) }
            p { (words.pick(
                "地址本身就是凭证：任何拿到它的人都能看到这些日期。地址泄露时请生成新地址，旧地址立即失效。",
                "The address is the key: anyone who has it sees these dates. If it leaks, make a new one; the old one stops working at once."
            )) }
        }
        @if account.is_none() {
            p.form-errors role="alert" { (token_has_no_feed().detail.get(words.0)) }
        } @else {
            @if let Some(url) = &new_url {
                section.card #new-feed {
                    h2 { (words.pick("您的新订阅地址", "Your new feed address")) }
                    p { (words.pick("此地址只显示这一次，请现在复制到日历应用中。", "This address is shown only this once: copy it into your calendar application now.")) }
                    p {
                        label for="feed-url" { (words.pick("中文日历", "In Chinese")) }
                        input.address #feed-url type="text" readonly value=(url);
                    }
                    p {
                        label for="feed-url-en" { (words.pick("英文日历", "In English")) }
                        input.address #feed-url-en type="text" readonly value=(format!("{url}?lang=en"));
                    }
                }
            } @else if let Some(since) = since {
                p #feed-status { (words.pick("您的订阅创建于 ", "Your feed was made on ")) (since.format("%Y-%m-%d")) (words.pick("。地址只在创建时显示过一次；找不到时请生成新地址。", ". Its address was shown once, when it was made; if you cannot find it, make a new one.")) }
            } @else {
                p #feed-status { (words.pick("您还没有日历订阅。", "You have no calendar feed yet.")) }
            }
            form.inline method="post" action="/calendar" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="do" value="renew";
                button type="submit" #renew-feed {
                    @if since.is_some() || new_url.is_some() { (words.pick("生成新地址", "Make a new address")) } @else { (words.pick("生成订阅地址", "Make an address")) }
                }
            }
            @if since.is_some() || new_url.is_some() {
                " "
                form.inline method="post" action="/calendar" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    input type="hidden" name="do" value="stop";
                    button.stop type="submit" #stop-feed { (words.pick("停止订阅", "Stop the feed")) }
                }
            }
        }
    };
    Ok(layout::page_response(
        &signed_in.viewer,
        words.pick("日历订阅", "Calendar feed"),
        body,
    ))
}
