//! What every page shares: the frame (navigation, language switch, sign-out), the words of each
//! language, dates in the reader's time zone, and the one stylesheet.
//!
//! The navigation is the table [`NAVIGATION`]: each entry says who sees it, so a new page is one
//! line there. The stylesheet is served from `/style.css`, so the pages'
//! Content-Security-Policy can forbid inline styles and every script.
//!
//! Printed (A4), a page drops its frame and forms and keeps its content: the stylesheet's
//! `@media print` and `@page` rules. What each printed page says at its top (the page's title:
//! a project's code, the board's or a report's title) and the words of its page number come
//! from a small second stylesheet, `/print.css?lang=…&running=…`, which each page links for
//! print: CSS cannot read the page's title into a page margin, and an inline `<style>` would
//! need the policy to allow inline styles.

use super::session::{CSRF_FIELD, Viewer};
use axum::extract::RawQuery;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use maud::{DOCTYPE, Markup, html};
use specflow_engine::Language;
use specflow_store::auth::{Principal, Visibility, can_supervise, is_read_only};

/// The words of one language: `pick` chooses between a Chinese and an English text.
#[derive(Debug, Clone, Copy)]
pub struct Words(pub Language);

impl Words {
    /// The Chinese or the English text.
    pub fn pick<'text>(self, zh: &'text str, en: &'text str) -> &'text str {
        self.0.pick(zh, en)
    }

    /// Yes or no.
    pub fn yes_no(self, value: bool) -> &'static str {
        match (value, self.0) {
            (true, Language::Zh) => "是",
            (false, Language::Zh) => "否",
            (true, Language::En) => "yes",
            (false, Language::En) => "no",
        }
    }
}

/// Where pages that span projects show instants: Asia/Shanghai, which keeps UTC+8 all year.
/// A project's own pages use its definition's `local_utc_offset` instead.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

use chrono::Offset as _;
use std::fmt::Write as _;

/// The links beside a table that download it whole, with the page's filters (`query`), as an Excel
/// workbook (`{base}.xlsx`) and as CSV for Excel (`{base}.csv`); `id` names the two links
/// (`{id}-xlsx`, `{id}-csv`) for tests and the stylesheet.
pub fn downloads(base: &str, query: &str, id: &str, words: Words) -> Markup {
    let link = |extension: &str| {
        if query.is_empty() {
            format!("{base}.{extension}")
        } else {
            format!("{base}.{extension}?{query}")
        }
    };
    html! {
        p.downloads.no-print {
            (words.pick("下载全部行：", "Download every row: "))
            a #(format!("{id}-xlsx")) href=(link("xlsx")) download { "Excel" }
            " · "
            a #(format!("{id}-csv")) href=(link("csv")) download { "CSV" }
        }
    }
}

/// An instant as local date and time, such as `2026-03-01 09:00`.
pub fn local_time(instant: DateTime<Utc>, offset: FixedOffset) -> String {
    instant
        .with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An instant's local date, such as `2026-03-01`.
pub fn local_date(instant: DateTime<Utc>, offset: FixedOffset) -> String {
    instant
        .with_timezone(&offset)
        .format("%Y-%m-%d")
        .to_string()
}

/// One entry of the navigation.
struct NavigationEntry {
    path: &'static str,
    zh: &'static str,
    en: &'static str,
    shown_to: fn(&Principal) -> bool,
}

tokio::task_local! {
    /// The reader's to-do count for this request, set by the to-do layer
    /// (`todo::navigation_count`) around the page's handler and shown beside the to-do entry.
    pub static NAVIGATION_COUNT: Option<usize>;
}

/// Whoever may change something has a to-do list; an auditor does not.
fn workers(principal: &Principal) -> bool {
    !is_read_only(principal)
}

/// The count shown beside an entry, if any: the to-do list's.
fn entry_count(entry: &NavigationEntry) -> Option<usize> {
    if entry.path != "/todo" {
        return None;
    }
    NAVIGATION_COUNT.try_with(|count| *count).ok().flatten()
}

/// Whether `entry` is the page at `current_path`: the project list is also an auditor's home.
fn is_current(entry: &NavigationEntry, current_path: &str) -> bool {
    entry.path == current_path || (entry.path == "/projects" && current_path == "/")
}

fn everyone(_: &Principal) -> bool {
    true
}

fn supervisors(principal: &Principal) -> bool {
    can_supervise(principal).is_allowed()
}

/// Whoever reads some committee's record: everyone whose scope is every project or a committee
/// (`can_read_committee`); a drafter scoped to one project sees none.
fn committee_readers(principal: &Principal) -> bool {
    matches!(
        principal.visibility(),
        Visibility::Everything | Visibility::Committee(_)
    )
}

/// The pages in the navigation, in order, with who sees each.
const NAVIGATION: &[NavigationEntry] = &[
    NavigationEntry {
        path: "/todo",
        zh: "待办",
        en: "To do",
        shown_to: workers,
    },
    NavigationEntry {
        path: "/projects",
        zh: "项目",
        en: "Projects",
        shown_to: everyone,
    },
    NavigationEntry {
        path: "/overdue",
        zh: "逾期看板",
        en: "Overdue board",
        shown_to: supervisors,
    },
    NavigationEntry {
        path: "/import",
        zh: "导入项目",
        en: "Import",
        shown_to: supervisors,
    },
    NavigationEntry {
        path: "/committees",
        zh: "技术委员会",
        en: "Committees",
        shown_to: committee_readers,
    },
    NavigationEntry {
        path: "/public",
        zh: "公开规范",
        en: "Public",
        shown_to: everyone,
    },
    NavigationEntry {
        path: "/calendar",
        zh: "日历订阅",
        en: "Calendar",
        shown_to: everyone,
    },
    NavigationEntry {
        path: "/email",
        zh: "邮件通知",
        en: "E-mail",
        shown_to: everyone,
    },
];

/// A whole page: the frame around `body`, titled `title`.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    let words = viewer.words();
    let (lang, other, other_name) = match viewer.language {
        Language::Zh => ("zh-CN", "en", "English"),
        Language::En => ("en", "zh", "中文"),
    };
    let current_path = viewer.here.split('?').next().unwrap_or("/");
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · specflow" }
                link rel="stylesheet" href="/style.css";
                link rel="stylesheet" href=(print_sheet_address(viewer.language, title)) media="print";
            }
            body {
                a.skip href="#main" { (words.pick("跳到正文", "Skip to content")) }
                header.top {
                    a.brand href="/" { "specflow" }
                    @if let Some(principal) = &viewer.principal {
                        nav aria-label=(words.pick("主导航", "Main")) {
                            ul {
                                @for entry in NAVIGATION.iter().filter(|entry| (entry.shown_to)(principal)) {
                                    li {
                                        @let count = entry_count(entry);
                                        @if is_current(entry, current_path) {
                                            a href=(entry.path) aria-current="page" { (words.pick(entry.zh, entry.en)) @if let Some(count) = count { " " span.count { (count) } } }
                                        } @else {
                                            a href=(entry.path) { (words.pick(entry.zh, entry.en)) @if let Some(count) = count { " " span.count { (count) } } }
                                        }
                                    }
                                }
                            }
                        }
                    } @else {
                        // Without a session: what anyone may read, and the way in.
                        nav aria-label=(words.pick("主导航", "Main")) {
                            ul {
                                li { a href="/public" aria-current=[(current_path.starts_with("/public")).then_some("page")] { (words.pick("公开规范", "Public specifications")) } }
                                li { a href="/signin" aria-current=[(current_path == "/signin").then_some("page")] { (words.pick("登录", "Sign in")) } }
                            }
                        }
                    }
                    @if viewer.principal.is_some() {
                        form.search role="search" method="get" action="/search" {
                            input #site-search type="search" name="q" maxlength="100"
                                aria-label=(words.pick("查找项目", "Find projects"))
                                placeholder=(words.pick("编号、名称、单位…", "Code, title, unit…"));
                            button type="submit" { (words.pick("查找", "Find")) }
                        }
                    }
                    div.tools {
                        form.inline method="get" action="/language" {
                            input type="hidden" name="to" value=(other);
                            input type="hidden" name="back" value=(viewer.here);
                            button.link type="submit" lang=(if other == "en" { "en" } else { "zh-CN" }) id="language-switch" { (other_name) }
                        }
                        @if let Some(principal) = &viewer.principal {
                            span.who { (principal.subject) " (" (principal.role.name(words.0)) ")" }
                            form.inline method="post" action="/signout" {
                                input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf.as_deref().unwrap_or_default());
                                button.link type="submit" id="signout" { (words.pick("退出", "Sign out")) }
                            }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// A whole page as a response, with its media type.
pub fn page_response(viewer: &Viewer, title: &str, body: Markup) -> Response {
    let mut response = page(viewer, title, body).into_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `GET /style.css`: the pages' one stylesheet; cached for an hour, it holds nothing private.
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The longest running head a printed page carries, in characters: a project's code and title
/// fit, and a longer one would wrap inside the page's top margin.
const RUNNING_HEAD_LIMIT: usize = 80;

/// The address of the print stylesheet of a page titled `title`, in `language`.
fn print_sheet_address(language: Language, title: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("lang", language.pick("zh", "en"))
        .append_pair("running", title)
        .finish();
    format!("/print.css?{query}")
}

/// `GET /print.css?lang=zh&running=TEXT`: the page margins of a printed page, its running head
/// `TEXT` at the top left (cut at [`RUNNING_HEAD_LIMIT`] characters) and its page number in the
/// language's words at the bottom right. It echoes only what its own address says, written as a
/// CSS string, so it may be cached like `/style.css`.
pub async fn print_stylesheet(RawQuery(raw): RawQuery) -> Response {
    let mut language = Language::Zh;
    let mut running = String::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "lang" if value == "en" => language = Language::En,
            "running" => running = value.into_owned(),
            _ => {}
        }
    }
    let mut response = print_sheet(language, &running).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The print stylesheet's text: an `@page` rule whose margin boxes hold the running head and
/// the page number (their font and colour are in the main stylesheet).
fn print_sheet(language: Language, running: &str) -> String {
    let mut head: String = running.chars().take(RUNNING_HEAD_LIMIT).collect();
    if running.chars().nth(RUNNING_HEAD_LIMIT).is_some() {
        head.push('…');
    }
    let page_number = language.pick(
        r#""第 " counter(page) " 页，共 " counter(pages) " 页""#,
        r#""Page " counter(page) " of " counter(pages)"#,
    );
    format!(
        "@page {{\n  @top-left {{ content: {}; }}\n  @bottom-right {{ content: {page_number}; }}\n}}\n",
        css_string(&head)
    )
}

/// `text` as a quoted CSS string: quotes, backslashes, markup characters and every control or
/// line-separating character written as a six-digit escape, so no text can end the string or
/// the rule it stands in.
fn css_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        let escaped = matches!(
            character,
            '"' | '\\' | '\'' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        ) || character.is_control();
        if escaped {
            let _ = write!(quoted, "\\{:06x}", u32::from(character));
        } else {
            quoted.push(character);
        }
    }
    quoted.push('"');
    quoted
}

/// Readable at 1280x800 and on a 390-pixel-wide phone: one column that widens to 72rem, tables
/// that scroll sideways inside their own box, and a visible focus ring for keyboard readers.
/// Printed on A4 (`@media print`): no frame, forms or buttons, tables that wrap rather than
/// scroll, header rows repeated on every sheet, and no row, card or chart split across two.
const STYLESHEET: &str = r#"
:root { --ink: #1d2329; --muted: #5b6670; --line: #d5dbe0; --accent: #0b5cad; --late: #b3261e; --warn: #8a5a00; --ok: #1e6b34; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; z-index: 2; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1rem; background: #fff; border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--ink); }
header.top nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current] { font-weight: 700; text-decoration-thickness: 3px; }
header.top form.search { display: flex; gap: .25rem; }
header.top form.search input { width: 14rem; max-width: 60vw; }
mark { background: #fff2a8; color: inherit; padding: 0 .05rem; }
ol.hits { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
ol.hits li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
ol.hits p { margin: .2rem 0; }
header.top .tools { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: .75rem; }
.who { color: var(--muted); font-size: .9rem; }
section.card.lead p { margin: 0; }
header.top nav .count { display: inline-block; min-width: 1.4em; padding: 0 .35rem; border-radius: 999px; background: var(--accent); color: #fff; font-size: .8rem; text-align: center; }
form.inline { display: inline; margin: 0; }
button, input, select, textarea { font: inherit; }
button { cursor: pointer; padding: .4rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; }
button.stop { background: #fff; color: var(--late); border-color: var(--late); }
input.address { width: 100%; font-family: ui-monospace, monospace; font-size: .9rem; }
button:disabled { background: #e4e7ea; border-color: #c3c9ce; color: var(--muted); cursor: not-allowed; }
input, select, textarea { padding: .35rem .5rem; border: 1px solid #9aa4ad; border-radius: 4px; background: #fff; max-width: 100%; }
label { display: block; font-size: .9rem; color: var(--muted); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
section.card > h2:first-child, section.card > p:first-child { margin-top: 0; }
section.card, .signin { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
.signin { max-width: 32rem; margin: 2rem auto; }
.signin input[type=password], .signin input[type=text] { width: 100%; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; white-space: nowrap; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .85rem; }
.hash.full { word-break: break-all; }
pre { white-space: pre-wrap; word-break: break-all; background: #f1f3f5; padding: .5rem; border-radius: 4px; font-size: .85rem; }
ol.milestones { list-style: none; padding: 0; margin: 0 0 1rem; display: grid; gap: .5rem; }
ol.milestones li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
ol.milestones h3 { font-size: 1rem; margin: 0 0 .25rem; }
ol.milestones h3 time { font-weight: 400; color: var(--muted); margin-left: .5rem; }
ol.milestones p { margin: .25rem 0; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; border: 1px solid currentColor; margin-right: .25rem; }
.badge.late { color: var(--late); } .badge.warn { color: var(--warn); } .badge.ok { color: var(--ok); } .badge.frozen { color: #3b4aa0; } .badge.imported { color: var(--muted); }
.late { color: var(--late); } .ok { color: var(--ok); }
.error { border-left: 4px solid var(--late); background: #fff; padding: .75rem 1rem; }
.notice { border-left: 4px solid var(--accent); background: #fff; padding: .75rem 1rem; }
.success { border-left: 4px solid var(--ok); background: #fff; padding: .75rem 1rem; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: flex-end; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
.filters p { margin: 0; }
ol.lifecycle { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; padding: 0; margin: 0 0 1rem; counter-reset: stage; }
ol.lifecycle li { counter-increment: stage; padding: .3rem .6rem; border-radius: 4px; background: #e9edf1; color: var(--muted); font-size: .9rem; }
ol.lifecycle li::before { content: counter(stage) ". "; }
ol.lifecycle li.visited { background: #d7e6f5; color: var(--ink); }
ol.lifecycle li.current { background: var(--accent); color: #fff; font-weight: 700; }
ol.lifecycle li.terminal { font-style: italic; }
.actions { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; }
.action { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem; }
.action textarea { width: 100%; min-height: 3rem; }
ul.unmet { margin: .5rem 0 0; padding-left: 1.2rem; color: var(--late); font-size: .9rem; }
ul.unmet a.clear { font-weight: 600; white-space: nowrap; }
.work-forms { display: grid; gap: .5rem; }
details.work-form { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; }
details.work-form > summary { cursor: pointer; font-weight: 600; color: var(--accent); }
details.work-form[open] > summary { margin-bottom: .5rem; }
form.work p { margin: .5rem 0; }
form.work input[type=text], form.work textarea, form.work select { width: 100%; max-width: 36rem; }
form.work textarea { min-height: 4rem; }
.field-error { color: var(--late); font-size: .9rem; margin: .25rem 0 0; }
.form-errors { border-left: 4px solid var(--late); background: #fff5f4; padding: .5rem 1rem; margin: .5rem 0; }
.form-errors ul { margin: .25rem 0; padding-left: 1.2rem; }
table.roll { max-width: 40rem; }
table.roll select { min-width: 6.5rem; }
table.roll td:nth-child(2) { font-size: .85rem; }
table.roll caption { text-align: left; font-size: .9rem; color: var(--muted); padding: .25rem 0; }
figure { margin: 0 0 1rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; overflow-x: auto; }
figcaption { font-size: .9rem; color: var(--muted); }
svg text { font-size: 11px; fill: var(--ink); }
.charts svg { max-height: 15rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.pager { display: flex; gap: 1rem; margin: .75rem 0; }
td.comment-text { min-width: 16rem; white-space: pre-wrap; }
article.report table { display: block; overflow-x: auto; width: auto; max-width: 100%; margin: .5rem 0 1.5rem; background: #fff; }
article.report caption { text-align: left; font-weight: 600; padding: .25rem 0; }
article.report caption .table-downloads { font-weight: normal; font-size: .85rem; margin-left: .75rem; white-space: nowrap; }
article.report .provenance { color: var(--muted); font-size: .9rem; }
article.report .imported { color: var(--muted); font-size: .85rem; }
article.report svg { display: block; max-width: 100%; height: auto; margin: .5rem 0 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
@media (max-width: 40rem) {
  main { padding: .5rem; }
  h1 { font-size: 1.25rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
  header.top .tools { margin-left: 0; }
}
.print-only { display: none; }
@page { size: A4; margin: 16mm 14mm 16mm; }
@page {
  @top-left { font: 8.5pt system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; color: #5b6670; vertical-align: bottom; padding-bottom: 3mm; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 8.5pt system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; color: #5b6670; vertical-align: top; padding-top: 3mm; }
}
@media print {
  :root { --bg: #fff; }
  body { background: #fff; font-size: 10pt; line-height: 1.4; }
  header.top, .skip, nav, form, button, .no-print, .filters, .actions, .work-forms, details.work-form { display: none !important; }
  .print-only { display: block; }
  main { max-width: none; margin: 0; padding: 0; }
  h1 { font-size: 16pt; margin: 0 0 .6rem; }
  h2 { font-size: 12.5pt; margin: 1.1rem 0 .4rem; }
  h1, h2, h3, caption { break-after: avoid; }
  p, dd, li { orphans: 2; widows: 2; }
  a { color: inherit; text-decoration: none; }
  main a[href^="http"]::after { content: " <" attr(href) ">"; font-size: .85em; word-break: break-all; }
  section.card, .signin, .table-wrap, figure, ol.milestones li { border-color: #bbb; border-radius: 0; box-shadow: none; }
  section.card, figure, ol.milestones li, .notice, .success, .error, dl.facts dt, dl.facts dd { break-inside: avoid; }
  .table-wrap, figure { overflow: visible; border: none; padding: 0; }
  table, article.report table { display: table; width: 100%; font-size: 8.5pt; overflow: visible; }
  thead { display: table-header-group; }
  tfoot { display: table-footer-group; }
  tr, img, svg { break-inside: avoid; }
  th, td { padding: .25rem .35rem; border: 1px solid #bbb; overflow-wrap: break-word; }
  td:first-child > a { white-space: nowrap; }
  th { white-space: normal; word-break: keep-all; background: #eef1f4; }
  td.number { white-space: nowrap; overflow-wrap: normal; }
  td.comment-text { min-width: 0; }
  code, .hash { font-size: 7.5pt; overflow-wrap: anywhere; }
  pre { white-space: pre-wrap; }
  svg { max-width: 100%; height: auto; }
  .charts { gap: .5rem; }
  ol.lifecycle li, .badge, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  ol.lifecycle li.current { outline: 1.5pt solid var(--ink); }
}
"#;
