//! `/search?q=…`: the search box in every page's header leads here (issue 21). The projects the
//! reader may see that match, best first, each with its code, title, stage and where the query
//! matched, marked. A query that cannot be searched is said beside the box, which keeps it.

use super::layout;
use super::session::SignedIn;
use crate::app::AppState;
use crate::app::search::{SearchAnswer, search};
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use specflow_engine::Language;

/// The page's query.
#[derive(Debug, Deserialize)]
pub struct SearchPageQuery {
    /// What to look for.
    q: Option<String>,
}

/// `GET /search`.
pub async fn search_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<SearchPageQuery>,
) -> Response {
    let words = signed_in.viewer.words();
    let language = signed_in.viewer.language;
    let text = query.q.unwrap_or_default();
    let title = words.pick("查找项目", "Find projects");
    let body = if text.trim().is_empty() {
        html! {
            h1 { (title) }
            (search_form(&text, language))
            p.muted { (words.pick(
                "按项目编号（全角、半角括号均可）、中英文名称、起草单位、规范编号或技术委员会查找；一个汉字也可以。",
                "By a project's code (parentheses of either width), its Chinese or English title, drafting unit, specification number or committee; one Chinese character is enough."
            )) }
        }
    } else {
        match search(&state, &signed_in.principal, &text, None, language).await {
            Ok(answer) => html! {
                h1 { (title) }
                (search_form(&text, language))
                (hits(&answer, language))
            },
            Err(problem) if problem.kind == crate::app::problem::ProblemKind::InvalidRequest => {
                html! {
                    h1 { (title) }
                    (search_form(&text, language))
                    p.form-errors role="alert" { (problem.detail.get(language)) }
                }
            }
            Err(problem) => return signed_in.viewer.error_page(&problem),
        }
    };
    layout::page_response(&signed_in.viewer, title, body)
}

fn search_form(text: &str, language: Language) -> Markup {
    html! {
        form.filters role="search" method="get" action="/search" {
            p {
                label for="search-query" { (language.pick("查找", "Find")) }
                input #search-query type="search" name="q" maxlength="100" value=(text);
            }
            p { button type="submit" #search-submit { (language.pick("查找", "Find")) } }
        }
    }
}

fn hits(answer: &SearchAnswer, language: Language) -> Markup {
    html! {
        @if answer.hits.is_empty() {
            p #no-hits { (language.pick("没有找到您能查看的项目。", "No project you may see matches.")) }
        } @else {
            p.muted #hit-count {
                (match language {
                    Language::Zh => format!("找到 {} 个项目，最相关的在前。", answer.hits.len()),
                    Language::En => format!("{} projects, the best match first.", answer.hits.len()),
                })
            }
            ol.hits {
                @for hit in &answer.hits {
                    li {
                        p {
                            a href=(format!("/projects/{}", hit.project_id)) { strong { (hit.code) } " " (hit.title) }
                            " " span.badge { (hit.stage_name) }
                        }
                        p.muted {
                            (hit.field_name) (language.pick("：", ": "))
                            (hit.before) mark { (hit.matched) } (hit.after)
                        }
                        p.muted {
                            (hit.committee) " · " (hit.drafting_unit)
                            @if let Some(number) = &hit.specification_number { " · " (number) }
                        }
                    }
                }
            }
        }
    }
}
