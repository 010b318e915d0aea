//! Finding projects (issue 21) for both faces: the search box in every page's header
//! (`/search`), `GET /api/v1/search` and `specflow search`. The store finds and ranks
//! ([`specflow_store::search`]); this layer checks the query, names the stage in the reader's
//! language and says where the match is.

use crate::app::AppState;
use crate::app::problem::Problem;
use crate::app::projects::stage_name;
use serde::{Deserialize, Serialize};
use specflow_engine::Language;
use specflow_store::Principal;
use specflow_store::search::{MAX_SEARCH_HITS, QueryError, SearchField, SearchHit};
use utoipa::ToSchema;
use uuid::Uuid;

/// How many hits an answer lists when the caller does not say.
pub const DEFAULT_HITS: usize = 20;

/// The projects found, best first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchAnswer {
    /// The query as read.
    pub query: String,
    /// The projects, best first.
    pub hits: Vec<SearchResult>,
}

/// A project found, with where the query matched.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    /// The project's id.
    pub project_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its title in the reader's language.
    pub title: String,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// Its stage's code.
    pub stage: String,
    /// That stage's name in the reader's language.
    pub stage_name: String,
    /// The specification's number, once published.
    pub specification_number: Option<String>,
    /// The field matched: `code`, `specification_number`, `title_zh`, `title_en`,
    /// `drafting_unit` or `committee`.
    pub field: String,
    /// That field's name in the reader's language.
    pub field_name: String,
    /// The field's text before the match.
    pub before: String,
    /// The match, as the field writes it.
    pub matched: String,
    /// The field's text after the match.
    pub after: String,
}

/// A field's stable code and its name.
fn field_words(field: SearchField, language: Language) -> (&'static str, &'static str) {
    let (code, zh, en) = match field {
        SearchField::Code => ("code", "编号", "code"),
        SearchField::SpecificationNumber => {
            ("specification_number", "规范编号", "specification number")
        }
        SearchField::TitleZh => ("title_zh", "中文名称", "Chinese title"),
        SearchField::TitleEn => ("title_en", "英文名称", "English title"),
        SearchField::DraftingUnit => ("drafting_unit", "起草单位", "drafting unit"),
        SearchField::Committee => ("committee", "技术委员会", "committee"),
    };
    (code, language.pick(zh, en))
}

/// Searches the projects `principal` may see for `query`, at most `limit` (1 to 50) hits.
pub async fn search(
    state: &AppState,
    principal: &Principal,
    query: &str,
    limit: Option<usize>,
    language: Language,
) -> Result<SearchAnswer, Problem> {
    let limit = match limit {
        None => DEFAULT_HITS,
        Some(limit) if (1..=MAX_SEARCH_HITS).contains(&limit) => limit,
        Some(limit) => {
            return Err(Problem::invalid(
                "limit",
                format!("limit 应在 1 至 {MAX_SEARCH_HITS} 之间，收到 {limit}"),
                format!("limit must be 1 to {MAX_SEARCH_HITS}, not {limit}"),
            ));
        }
    };
    let hits = state
        .store
        .search_projects(principal, query, limit)
        .await?
        .map_err(|error| query_problem(&error))?;
    let mut results = Vec::with_capacity(hits.len());
    for hit in hits {
        results.push(result_of(state, hit, language).await);
    }
    Ok(SearchAnswer {
        query: query.to_string(),
        hits: results,
    })
}

async fn result_of(state: &AppState, hit: SearchHit, language: Language) -> SearchResult {
    let (field, field_name) = field_words(hit.best.field, language);
    SearchResult {
        stage_name: stage_name(
            state,
            &hit.definition_id,
            hit.definition_version,
            &hit.stage,
            language,
        )
        .await,
        project_id: hit.project_id,
        title: match language {
            Language::Zh => hit.title_zh,
            Language::En => hit.title_en,
        },
        code: hit.code,
        committee: hit.committee,
        drafting_unit: hit.drafting_unit,
        stage: hit.stage,
        specification_number: hit.specification_number,
        field: field.to_string(),
        field_name: field_name.to_string(),
        before: hit.best.before,
        matched: hit.best.matched,
        after: hit.best.after,
    }
}

/// A query that cannot be searched, as the reader is told.
fn query_problem(error: &QueryError) -> Problem {
    match error {
        QueryError::TooShort => Problem::invalid(
            "q",
            "请输入要查找的文字：至少两个字母或数字，或一个汉字",
            "Type what to look for: at least two letters or digits, or one Chinese character",
        ),
        QueryError::TooLong => Problem::invalid(
            "q",
            format!(
                "查找的文字不能超过 {} 个字符",
                specflow_store::search::MAX_QUERY_CHARS
            ),
            format!(
                "What to look for must be at most {} characters",
                specflow_store::search::MAX_QUERY_CHARS
            ),
        ),
    }
}
