//! `/email`: a person's own e-mail (issue 20). They set an address (a message with a link goes
//! there, and nothing else does until the link is opened), choose the kinds of event they want
//! e-mail about, and whether they want the daily digest. `/email/verify/{secret}` is where the
//! link leads: it shows whose address it proves and asks before it acts, because mail scanners
//! open links on their own; it needs no sign-in, as the secret is the proof.

use super::layout;
use super::session::{CSRF_FIELD, SignedIn, Viewer, read_form};
use crate::app::AppState;
use crate::app::personal_email::{event_choices, set_address, set_choices, settings_of};
use crate::app::problem::{Problem, ProblemKind};
use crate::app::todo::shanghai;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use specflow_engine::Language;
use specflow_store::accounts::AccountSummary;
use specflow_store::personal_email::{AddressChange, PersonEmail};

/// The page's query: what was just done.
#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    /// `sent`, `unchanged`, `saved` or `removed`.
    done: Option<String>,
}

/// What the form sent back when it was refused, to show again with the error.
#[derive(Debug, Default)]
struct Typed {
    address: Option<String>,
    error: Option<Problem>,
}

/// `GET /email`.
pub async fn email_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<EmailQuery>,
) -> Response {
    match render(&state, &signed_in, query.done.as_deref(), Typed::default()).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// `POST /email`: `do=address` (set it and send the link), `do=choices` (the kinds of event and
/// the digest) or `do=remove`.
pub async fn email_action(
    State(state): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Response {
    match act(&state, &signed_in, &body).await {
        Ok(response) => response,
        Err(problem) => signed_in.viewer.error_page(&problem),
    }
}

/// The fields every form of the page sends.
#[derive(Debug, Deserialize)]
struct EmailForm {
    csrf: Option<String>,
    r#do: String,
    address: Option<String>,
    language: Option<String>,
}

async fn act(state: &AppState, signed_in: &SignedIn, body: &Bytes) -> Result<Response, Problem> {
    let form: EmailForm = read_form(body)?;
    // The choices repeat `events`, which the struct leaves aside: they are read as pairs.
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    signed_in.check_csrf(form.csrf.as_deref())?;
    let account = account_of(state, signed_in)
        .await?
        .ok_or_else(token_has_no_email)?;
    match form.r#do.as_str() {
        "address" => {
            let address = form.address.clone().unwrap_or_default();
            let language = match form.language.as_deref() {
                Some("en") => Language::En,
                _ => Language::Zh,
            };
            match set_address(state, &account, &address, language).await {
                Ok(AddressChange::VerificationSent) => {
                    tracing::info!(subject = %account.name, "pages: an e-mail address to verify");
                    Ok(Redirect::to("/email?done=sent").into_response())
                }
                Ok(AddressChange::AlreadyVerified) => {
                    Ok(Redirect::to("/email?done=unchanged").into_response())
                }
                Err(problem) if is_the_readers(&problem) => {
                    let typed = Typed {
                        address: Some(address),
                        error: Some(problem),
                    };
                    render(state, signed_in, None, typed).await
                }
                Err(problem) => Err(problem),
            }
        }
        "choices" => {
            let events: Vec<String> = fields
                .iter()
                .filter(|(name, _)| name == "events")
                .map(|(_, value)| value.clone())
                .collect();
            let digest = fields
                .iter()
                .any(|(name, value)| name == "digest" && value == "1");
            set_choices(state, &account, &events, digest).await?;
            Ok(Redirect::to("/email?done=saved").into_response())
        }
        "remove" => {
            state.store.remove_person_email(&account.name).await?;
            Ok(Redirect::to("/email?done=removed").into_response())
        }
        other => Err(Problem::invalid(
            "do",
            format!("未知的操作 {other}：应为 address、choices 或 remove"),
            format!("Unknown action {other}: expected address, choices or remove"),
        )),
    }
}

/// Whether a refusal is about what the reader typed (shown beside the form, which keeps it).
fn is_the_readers(problem: &Problem) -> bool {
    matches!(
        problem.kind,
        ProblemKind::InvalidRequest | ProblemKind::TooManyRequests
    )
}

/// The account the reader signed in as, if they signed in with an account (not a token).
async fn account_of(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Option<AccountSummary>, Problem> {
    let account = state.store.account(&signed_in.principal.subject).await?;
    Ok(account.filter(|account| account.account_id == signed_in.principal.token_id))
}

fn token_has_no_email() -> Problem {
    Problem::new(
        ProblemKind::Forbidden,
        "邮件通知属于账户：您是用 API 令牌登录的，请用账户登录后再设置",
        "E-mail notifications belong to accounts: you signed in with an API token; sign in with an account to set them",
    )
}

fn done_note(done: Option<&str>, language: Language) -> Option<&'static str> {
    Some(match done? {
        "sent" => language.pick(
            "确认邮件已寄出：请打开邮件中的链接。确认之前不会寄出任何通知。",
            "A confirmation message is on its way: open the link in it. Nothing else is sent there until you do.",
        ),
        "unchanged" => language.pick(
            "这已是您确认过的地址；邮件的语言已更新。",
            "That is already your confirmed address; the language of your e-mail was updated.",
        ),
        "saved" => language.pick("已保存。", "Saved."),
        "removed" => language.pick(
            "地址已删除：不再寄出任何邮件。",
            "The address was removed: no more e-mail is sent.",
        ),
        _ => return None,
    })
}

async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    done: Option<&str>,
    typed: Typed,
) -> Result<Response, Problem> {
    let words = signed_in.viewer.words();
    let language = signed_in.viewer.language;
    let title = words.pick("邮件通知", "E-mail");
    let Some(account) = account_of(state, signed_in).await? else {
        let body = html! {
            h1 { (title) }
            p.form-errors role="alert" { (token_has_no_email().detail.get(language)) }
        };
        return Ok(layout::page_response(&signed_in.viewer, title, body));
    };
    let (settings, chosen) = settings_of(state, &account).await?;
    let choices = event_choices(state).await?;
    let csrf = signed_in.viewer.csrf.as_deref().unwrap_or_default();
    let body = html! {
        h1 { (title) }
        @if let Some(note) = done_note(done, language) {
            p.notice role="status" { (note) }
        }
        (address_section(settings.as_ref(), &typed, csrf, language))
        section.card #choices {
            h2 { (words.pick("寄哪些邮件", "What to e-mail you")) }
            p.muted { (words.pick(
                "您能查看的项目中发生下列事情时，给您寄一封邮件。每日摘要在工作日早上 8:30 寄出：您的逾期事项、30 天内到期的期限、等您决定的延期申请、受阻的事项及原因。",
                "An e-mail when one of these happens in a project you may see. The daily digest comes at 8:30 on working days: what is overdue, deadlines within 30 days, extension requests waiting for you, and what is blocked and why."
            )) }
            @if settings.as_ref().is_none_or(|settings| settings.verified_at.is_none()) {
                p.muted { (words.pick("确认地址之后才会寄出。", "Nothing is sent until your address is confirmed.")) }
            }
            form.work method="post" action="/email" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="do" value="choices";
                fieldset {
                    legend { (words.pick("事件", "Events")) }
                    @for choice in &choices {
                        p {
                            label {
                                input type="checkbox" name="events" value=(choice.event_type) checked[chosen.contains(&choice.event_type)];
                                " " (choice.name.get(language))
                            }
                        }
                    }
                }
                p {
                    label {
                        input type="checkbox" name="digest" value="1" checked[settings.as_ref().is_some_and(|settings| settings.digest)] disabled[settings.is_none()];
                        " " (words.pick("每日摘要（工作日 8:30）", "Daily digest (working days, 8:30)"))
                    }
                }
                button type="submit" #save-choices { (words.pick("保存", "Save")) }
            }
        }
    };
    Ok(layout::page_response(&signed_in.viewer, title, body))
}

/// The address, whether it is confirmed, and the form that sets it.
fn address_section(
    settings: Option<&PersonEmail>,
    typed: &Typed,
    csrf: &str,
    language: Language,
) -> Markup {
    let pick = |zh: &'static str, en: &'static str| language.pick(zh, en);
    let shown_address = typed
        .address
        .clone()
        .or_else(|| settings.map(|settings| settings.address.clone()))
        .unwrap_or_default();
    let mail_language = settings.map_or(language, |settings| settings.language);
    html! {
        section.card #address-card {
            h2 { (pick("邮箱地址", "Your address")) }
            @match settings {
                Some(settings) if settings.verified_at.is_some() => {
                    p #address-status .ok { (pick("已确认：", "Confirmed: ")) strong { (settings.address) } }
                }
                Some(settings) => {
                    p #address-status .late {
                        (pick("等待确认：", "Waiting for confirmation: ")) strong { (settings.address) }
                        (pick("。确认邮件寄出于 ", ". The message was sent at "))
                        (settings.verification_sent_at.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M"))
                        (pick("；没收到可以重新寄送。", "; if it did not arrive, send it again."))
                    }
                }
                None => p #address-status { (pick("您还没有设置邮箱地址。", "You have not set an address.")) }
            }
            @if let Some(problem) = &typed.error {
                div.form-errors role="alert" { (problem.detail.get(language)) }
            }
            form.work method="post" action="/email" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="do" value="address";
                p {
                    label for="address" { (pick("邮箱地址", "E-mail address")) }
                    input #address type="text" name="address" inputmode="email" autocomplete="email" value=(shown_address) aria-invalid=[typed.error.as_ref().map(|_| "true")];
                }
                p {
                    label for="mail-language" { (pick("邮件语言", "Language of the e-mail")) }
                    select #mail-language name="language" {
                        option value="zh" selected[mail_language == Language::Zh] { "中文" }
                        option value="en" selected[mail_language == Language::En] { "English" }
                    }
                }
                button type="submit" #send-link {
                    @if settings.is_some_and(|settings| settings.verified_at.is_none()) { (pick("重新寄送确认邮件", "Send the link again")) }
                    @else { (pick("保存并寄送确认邮件", "Save and send a confirmation link")) }
                }
            }
            @if settings.is_some() {
                form.inline method="post" action="/email" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    input type="hidden" name="do" value="remove";
                    button.stop type="submit" #remove-address { (pick("删除地址", "Remove the address")) }
                }
            }
        }
    }
}

/// `GET /email/verify/{secret}`: whose address the link proves, and a button that proves it.
pub async fn verify_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
) -> Response {
    match state.store.pending_verification(&secret).await {
        Ok(Some(pending)) => {
            let language = viewer.language;
            let pick = |zh: &'static str, en: &'static str| language.pick(zh, en);
            let body = html! {
                h1 { (pick("确认邮箱地址", "Confirm your e-mail address")) }
                section.card {
                    p { (pick("把 ", "Send ")) strong { (pending.address) } (pick(" 设为账户 ", " the notifications of the account ")) strong { (pending.name) } (pick(" 接收通知的地址。", ".")) }
                    form method="post" action=(format!("/email/verify/{secret}")) {
                        button type="submit" #confirm-address { (pick("确认", "Confirm")) }
                    }
                }
            };
            layout::page_response(
                &viewer,
                pick("确认邮箱地址", "Confirm your e-mail address"),
                body,
            )
        }
        Ok(None) => viewer.error_page(&link_not_valid()),
        Err(error) => viewer.error_page(&Problem::from(error)),
    }
}

/// `POST /email/verify/{secret}`: proves the address.
pub async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
) -> Response {
    match state.store.verify_person_email(&secret).await {
        Ok(Some(person)) => {
            tracing::info!(subject = %person.name, "pages: an e-mail address was verified");
            let language = viewer.language;
            let pick = |zh: &'static str, en: &'static str| language.pick(zh, en);
            let body = html! {
                h1 { (pick("邮箱地址已确认", "Your address is confirmed")) }
                p.success role="status" #address-confirmed {
                    strong { (person.address) } (pick(" 从现在起接收您选择的通知。", " now receives the notifications you chose."))
                }
                p { a href="/email" { (pick("选择要接收的通知", "Choose what to receive")) } }
            };
            layout::page_response(
                &viewer,
                pick("邮箱地址已确认", "Your address is confirmed"),
                body,
            )
        }
        Ok(None) => viewer.error_page(&link_not_valid()),
        Err(error) => viewer.error_page(&Problem::from(error)),
    }
}

fn link_not_valid() -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        "这个确认链接无效：可能已经用过，或者之后又寄出了新的确认邮件。请在“邮件通知”页面重新寄送。",
        "This confirmation link does not work: it was used already, or a newer message replaced it. Send a new one from the E-mail page.",
    )
}
