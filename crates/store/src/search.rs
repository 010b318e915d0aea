//! Finding projects by what people type (issue 21): a code (full-width or half-width parentheses
//! alike), a title in either language, a drafting unit, a specification number or a committee,
//! Chinese substrings included.
//!
//! The index is of character bigrams, not trigrams. A trigram index (SQLite FTS5's `trigram`
//! tokenizer, PostgreSQL's `pg_trgm`) cannot answer a query of two characters, and two Chinese
//! characters (天平, 流量) are the commonest thing a person types. Each project has one row of
//! `project_search`: its text folded (full-width forms to half-width, lowercase), punctuation
//! dropped, cut into the bigrams of each field and the single Chinese characters. SQLite keeps
//! them in an FTS5 table (`unicode61`, each gram a token); PostgreSQL in a `text[]` column
//! with a GIN index. A query's grams must all be there; the candidates are then checked in Rust
//! for the query as a substring of a field (so grams that happen to be present apart do not
//! match), ranked (the code first, then the specification number, the titles, the drafting
//! unit, the committee; a match at the start before one inside), and the match is marked.
//!
//! The row is written by the writer when a project is created and when its publication (the
//! specification number) is recorded, in the statement that writes the records; projects that
//! existed before the index are indexed when the store opens ([`Store::index_unsearched_projects`]).

use crate::auth::{Principal, Visibility};
use crate::error::StoreError;
use crate::{Backend, Store};
use serde::Serialize;
use specflow_engine::ProjectState;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// How many candidates the index gives one query at most: they are ranked in memory.
const CANDIDATES: usize = 200;

/// The most hits one answer lists.
pub const MAX_SEARCH_HITS: usize = 50;

/// The longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// A project's row of the index, as the writer writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchRow {
    pub project_id: Uuid,
    pub specification_number: Option<String>,
    pub grams: String,
}

impl SearchRow {
    /// The row of a project as it stands in `state`, if it has been created.
    pub(crate) fn of_state(project_id: Uuid, state: &ProjectState) -> Option<SearchRow> {
        let project = state.project.as_ref()?;
        let specification_number = state
            .publication
            .as_ref()
            .map(|publication| publication.specification_number.clone());
        Some(SearchRow::of_fields(
            project_id,
            &[
                project.code.as_str(),
                project.title.zh.as_str(),
                project.title.en.as_str(),
                project.drafting_unit.as_str(),
                project.committee.as_str(),
            ],
            specification_number,
        ))
    }

    fn of_fields(
        project_id: Uuid,
        fields: &[&str],
        specification_number: Option<String>,
    ) -> SearchRow {
        let mut all = fields.to_vec();
        all.extend(specification_number.as_deref());
        SearchRow {
            project_id,
            grams: index_grams(&all),
            specification_number,
        }
    }
}

/// One character folded as search compares them: full-width ASCII forms and the ideographic
/// space to their half-width selves, then lowercase.
fn fold_char(character: char) -> char {
    let folded = match u32::from(character) {
        0x3000 => ' ',
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(character),
        _ => character,
    };
    folded.to_lowercase().next().unwrap_or(folded)
}

/// Whether a character is a Han ideograph (which is indexed alone as well).
fn is_han(character: char) -> bool {
    matches!(u32::from(character), 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// A text's letters and digits, folded, with where each came from (a char index of the text).
struct Kept {
    characters: Vec<char>,
    origin: Vec<usize>,
}

fn kept(text: &str) -> Kept {
    let mut characters = Vec::new();
    let mut origin = Vec::new();
    for (index, character) in text.chars().enumerate() {
        let folded = fold_char(character);
        if folded.is_alphanumeric() {
            characters.push(folded);
            origin.push(index);
        }
    }
    Kept { characters, origin }
}

/// The grams of one text: its bigrams and its Han characters alone.
fn grams_of(text: &str, into: &mut BTreeSet<String>) {
    let characters = kept(text).characters;
    for pair in characters.windows(2) {
        into.insert(pair.iter().collect());
    }
    for character in characters.iter().filter(|character| is_han(**character)) {
        into.insert(character.to_string());
    }
}

/// The index text of a project's fields: each gram once, separated by spaces. No gram spans
/// two fields.
fn index_grams(fields: &[&str]) -> String {
    let mut grams = BTreeSet::new();
    for field in fields {
        grams_of(field, &mut grams);
    }
    grams.into_iter().collect::<Vec<_>>().join(" ")
}

/// Why a query cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing but spaces and punctuation.
    #[error("the search needs a letter or a digit (two, unless one is a Chinese character)")]
    TooShort,
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the search is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// The grams a project must have to match `query`.
fn query_grams(query: &str) -> Result<Vec<String>, QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let characters = kept(query).characters;
    match characters.as_slice() {
        [] => Err(QueryError::TooShort),
        [single] if is_han(*single) => Ok(vec![single.to_string()]),
        [_] => Err(QueryError::TooShort),
        _ => {
            let grams: BTreeSet<String> = characters
                .windows(2)
                .map(|pair| pair.iter().collect())
                .collect();
            Ok(grams.into_iter().collect())
        }
    }
}

/// Which field of a project a query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    /// The project's code.
    Code,
    /// The specification's number, once published.
    SpecificationNumber,
    /// The Chinese title.
    TitleZh,
    /// The English title.
    TitleEn,
    /// The drafting unit.
    DraftingUnit,
    /// The committee.
    Committee,
}

/// Where the query was found in a field: the field's text cut around the match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchMatch {
    /// The field.
    pub field: SearchField,
    /// The text before the match.
    pub before: String,
    /// The match, as the field writes it.
    pub matched: String,
    /// The text after the match.
    pub after: String,
}

/// A project found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The project's id.
    pub project_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its Chinese title.
    pub title_zh: String,
    /// Its English title.
    pub title_en: String,
    /// Its committee.
    pub committee: String,
    /// Its drafting unit.
    pub drafting_unit: String,
    /// Its stage's code.
    pub stage: String,
    /// The definition it follows, and its version (for the stage's name).
    pub definition_id: String,
    /// The definition's version.
    pub definition_version: u32,
    /// The specification's number, once published.
    pub specification_number: Option<String>,
    /// The best match.
    #[serde(rename = "match")]
    pub best: SearchMatch,
}

/// Where `query` (its letters and digits, folded) is in `text`, as a match of `field`.
fn find(field: SearchField, text: &str, query: &[char]) -> Option<(usize, SearchMatch)> {
    let kept = kept(text);
    let start = kept
        .characters
        .windows(query.len())
        .position(|window| window == query)?;
    let first = kept.origin[start];
    let last = kept.origin[start + query.len() - 1];
    let characters: Vec<char> = text.chars().collect();
    Some((
        start,
        SearchMatch {
            field,
            before: characters[..first].iter().collect(),
            matched: characters[first..=last].iter().collect(),
            after: characters[last + 1..].iter().collect(),
        },
    ))
}

/// A candidate checked: its best match and the key it ranks by, or `None` when the grams were
/// there but the query is in no field.
fn rank(
    hit: &SearchHit,
    query: &[char],
) -> Option<((bool, SearchField, bool, String), SearchMatch)> {
    let fields = [
        (SearchField::Code, Some(hit.code.as_str())),
        (
            SearchField::SpecificationNumber,
            hit.specification_number.as_deref(),
        ),
        (SearchField::TitleZh, Some(hit.title_zh.as_str())),
        (SearchField::TitleEn, Some(hit.title_en.as_str())),
        (SearchField::DraftingUnit, Some(hit.drafting_unit.as_str())),
        (SearchField::Committee, Some(hit.committee.as_str())),
    ];
    let exact_code = kept(&hit.code).characters == query;
    fields.into_iter().find_map(|(field, text)| {
        let (start, found) = find(field, text?, query)?;
        Some(((!exact_code, field, start > 0, hit.code.clone()), found))
    })
}

impl Store {
    /// The projects `principal` may see that match `query`, best first, at most `limit` (1 to
    /// [`MAX_SEARCH_HITS`]).
    pub async fn search_projects(
        &self,
        principal: &Principal,
        query: &str,
        limit: usize,
    ) -> Result<Result<Vec<SearchHit>, QueryError>, StoreError> {
        let grams = match query_grams(query) {
            Ok(grams) => grams,
            Err(error) => return Ok(Err(error)),
        };
        let scope = match principal.visibility() {
            Visibility::Nothing => return Ok(Ok(Vec::new())),
            Visibility::Everything => None,
            Visibility::Committee(committee) => Some(("p.committee", committee.to_string())),
            Visibility::Project(project) => Some(("p.project_id", project.to_string())),
        };
        // A query that begins codes is answered by the code's own index alone: those projects
        // rank first anyway, and a code's grams (`jj`, `20`, `00`…) are in nearly every row,
        // which made the gram query of a code prefix take 150 ms at a million projects.
        let by_code = self.candidates_by_code(query, scope.as_ref()).await?;
        let candidates: HashMap<Uuid, SearchHit> = if by_code.is_empty() {
            self.candidates_by_grams(&grams, scope.as_ref()).await?
        } else {
            by_code
                .into_iter()
                .map(|hit| (hit.project_id, hit))
                .collect()
        };
        let wanted = kept(query).characters;
        let mut ranked: Vec<_> = candidates
            .into_values()
            .filter_map(|mut hit| {
                let (key, best) = rank(&hit, &wanted)?;
                hit.best = best;
                Some((key, hit))
            })
            .collect();
        ranked.sort_by(|one, other| one.0.cmp(&other.0));
        Ok(Ok(ranked
            .into_iter()
            .take(limit.clamp(1, MAX_SEARCH_HITS))
            .map(|(_, hit)| hit)
            .collect()))
    }

    /// Up to [`CANDIDATES`] projects whose index has every gram.
    async fn candidates_by_grams(
        &self,
        grams: &[String],
        scope: Option<&(&str, String)>,
    ) -> Result<HashMap<Uuid, SearchHit>, StoreError> {
        let (from, condition, pattern) = match self.backend() {
            // Each gram is a token of `unicode61` (letters and digits only), quoted as a string.
            Backend::Sqlite => (
                "project_search_index f JOIN project_search s ON s.rowid = f.rowid",
                "project_search_index MATCH $1",
                grams
                    .iter()
                    .map(|gram| format!("\"{gram}\""))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            ),
            Backend::Postgres => (
                "project_search s",
                "s.grams @> string_to_array($1, ' ')",
                grams.join(" "),
            ),
        };
        let scoped = match scope {
            Some((column, _)) => format!(" AND {column} = $2"),
            None => String::new(),
        };
        let sql = format!(
            "SELECT p.project_id, p.code, p.title_zh, p.title_en, p.committee, p.drafting_unit, p.stage, p.definition_id, p.definition_version, s.specification_number \
             FROM {from} JOIN projects p ON p.project_id = s.project_id WHERE {condition}{scoped} LIMIT {CANDIDATES}"
        );
        let mut query = sqlx::query(&sql).bind(pattern);
        if let Some((_, value)) = scope {
            query = query.bind(value.clone());
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        rows.iter()
            .map(|row| self.hit_of_row(row).map(|hit| (hit.project_id, hit)))
            .collect()
    }

    /// The first projects whose code starts with the query as typed (parentheses of either
    /// width, letters in either case), by the code's own index: a code prefix is found however
    /// many projects share the grams of its first characters.
    async fn candidates_by_code(
        &self,
        query: &str,
        scope: Option<&(&str, String)>,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let prefix: String = query
            .trim()
            .chars()
            .map(|character| fold_char(character).to_ascii_uppercase())
            .collect();
        if prefix.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let scoped = match scope {
            Some((column, _)) => format!(" AND {column} = $3"),
            None => String::new(),
        };
        let sql = format!(
            "SELECT p.project_id, p.code, p.title_zh, p.title_en, p.committee, p.drafting_unit, p.stage, p.definition_id, p.definition_version, s.specification_number \
             FROM projects p LEFT JOIN project_search s ON s.project_id = p.project_id \
             WHERE p.code >= $1 AND p.code < $2{scoped} ORDER BY p.code LIMIT {MAX_SEARCH_HITS}"
        );
        let mut statement = sqlx::query(&sql)
            .bind(prefix.clone())
            .bind(format!("{prefix}\u{10FFFF}"));
        if let Some((_, value)) = scope {
            statement = statement.bind(value.clone());
        }
        let rows = statement
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
        rows.iter().map(|row| self.hit_of_row(row)).collect()
    }

    fn hit_of_row(&self, row: &sqlx::any::AnyRow) -> Result<SearchHit, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let project: String = row.try_get("project_id").map_err(get)?;
        Ok(SearchHit {
            project_id: Uuid::parse_str(&project)
                .map_err(|_| StoreError::Corrupt(format!("a project id {project}")))?,
            code: row.try_get("code").map_err(get)?,
            title_zh: row.try_get("title_zh").map_err(get)?,
            title_en: row.try_get("title_en").map_err(get)?,
            committee: row.try_get("committee").map_err(get)?,
            drafting_unit: row.try_get("drafting_unit").map_err(get)?,
            stage: row.try_get("stage").map_err(get)?,
            definition_id: row.try_get("definition_id").map_err(get)?,
            definition_version: u32::try_from(
                row.try_get::<i64, _>("definition_version").map_err(get)?,
            )
            .map_err(|_| StoreError::Corrupt(format!("project {project}: definition version")))?,
            specification_number: row.try_get("specification_number").map_err(get)?,
            best: SearchMatch {
                field: SearchField::Code,
                before: String::new(),
                matched: String::new(),
                after: String::new(),
            },
        })
    }

    /// Indexes the projects that have no row in the index yet (those written before it, or
    /// loaded around the writer), a thousand at a time in the order of their ids; returns how
    /// many. The store runs it after the migration that made the index; the scale bench after
    /// loading. The fields come from the projection and the specification number from the log's
    /// last publication record, so no project is replayed.
    pub async fn index_unsearched_projects(&self) -> Result<u64, StoreError> {
        let mut indexed = 0;
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT p.project_id, p.code, p.title_zh, p.title_en, p.drafting_unit, p.committee, \
                 (SELECT r.event FROM audit_records r WHERE r.project_id = p.project_id AND r.event_type = 'publication_recorded' \
                  ORDER BY r.sequence DESC LIMIT 1) AS publication \
                 FROM projects p WHERE p.project_id > $1 AND NOT EXISTS \
                 (SELECT 1 FROM project_search s WHERE s.project_id = p.project_id) ORDER BY p.project_id LIMIT 1000",
            )
            .bind(&after)
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            let Some(last) = rows.last() else {
                if indexed > 0 && self.backend() == Backend::Postgres {
                    // The planner needs the grams' statistics to choose between the GIN index
                    // (a rare gram) and reading rows in key order until enough match (a common
                    // one); without them it took the index for every query (157 ms at p99 for
                    // two characters at a million projects).
                    sqlx::query("ANALYZE project_search")
                        .execute(self.pool())
                        .await
                        .map_err(|error| self.database_error(error))?;
                }
                return Ok(indexed);
            };
            after = last
                .try_get("project_id")
                .map_err(|error| self.database_error(error))?;
            let search: Vec<SearchRow> = rows
                .iter()
                .map(|row| self.search_row_of(row))
                .collect::<Result<_, _>>()?;
            let mut statement = crate::sql::Statement::new("");
            push_search_rows(
                &mut statement,
                self.backend(),
                &search.iter().collect::<Vec<_>>(),
            );
            let _turn = self.sqlite_write_turn().await;
            statement
                .execute(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
            indexed += u64::try_from(search.len()).unwrap_or(u64::MAX);
        }
    }

    fn search_row_of(&self, row: &sqlx::any::AnyRow) -> Result<SearchRow, StoreError> {
        let get = |error: sqlx::Error| self.database_error(error);
        let project: String = row.try_get("project_id").map_err(get)?;
        let project_id = Uuid::parse_str(&project)
            .map_err(|_| StoreError::Corrupt(format!("a project id {project}")))?;
        let publication: Option<String> = row.try_get("publication").map_err(get)?;
        let specification_number = publication
            .and_then(|event| serde_json::from_str::<serde_json::Value>(&event).ok())
            .and_then(|event| find_key(&event, "specification_number"));
        let fields: Vec<String> = ["code", "title_zh", "title_en", "drafting_unit", "committee"]
            .into_iter()
            .map(|column| row.try_get(column).map_err(get))
            .collect::<Result<_, _>>()?;
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        Ok(SearchRow::of_fields(
            project_id,
            &fields,
            specification_number,
        ))
    }
}

/// The first string under `key` anywhere in a JSON value.
fn find_key(value: &serde_json::Value, key: &str) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => map
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .or_else(|| map.values().find_map(|inner| find_key(inner, key))),
        serde_json::Value::Array(items) => items.iter().find_map(|inner| find_key(inner, key)),
        _ => None,
    }
}

/// The upsert of index rows, as the writer and [`Store::index_unsearched_projects`] write them:
/// PostgreSQL keeps the grams as an array (split in the statement, so that a query reads them
/// as they are), SQLite as the text its FTS5 table tokenizes.
pub(crate) fn push_search_rows(
    statement: &mut crate::sql::Statement,
    backend: Backend,
    rows: &[&SearchRow],
) {
    statement.push(match backend {
        Backend::Postgres => {
            "INSERT INTO project_search (project_id, specification_number, grams) \
             SELECT v.column1, v.column2, string_to_array(v.column3, ' ') FROM (VALUES "
        }
        Backend::Sqlite => {
            "INSERT INTO project_search (project_id, specification_number, grams) VALUES "
        }
    });
    statement.push_values(rows, |row, search| {
        row.push_bind(search.project_id.to_string())
            .push_bind(search.specification_number.clone())
            .push_bind(search.grams.clone());
    });
    if backend == Backend::Postgres {
        statement.push(") AS v");
    }
    statement.push(
        " ON CONFLICT (project_id) DO UPDATE SET specification_number = excluded.specification_number, grams = excluded.grams",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_are_bigrams_of_folded_letters_and_digits_and_single_han_characters() {
        let grams = index_grams(&["JJF（沪）-2026"]);
        assert_eq!(grams, "02 20 26 f沪 jf jj 沪 沪2");
        assert_eq!(query_grams("天平"), Ok(vec!["天平".to_string()]));
        assert_eq!(query_grams("秤"), Ok(vec!["秤".to_string()]));
        assert_eq!(query_grams("a"), Err(QueryError::TooShort));
        assert_eq!(query_grams("（）-"), Err(QueryError::TooShort));
    }

    #[test]
    fn a_match_is_found_across_widths_and_punctuation_and_marked_as_written() {
        let query = kept("jjf(沪)-2026").characters;
        let (start, found) = match find(SearchField::Code, "JJF（沪）-2026-001", &query) {
            Some(found) => found,
            None => panic!("not found"),
        };
        assert_eq!(start, 0);
        assert_eq!(found.before, "");
        assert_eq!(found.matched, "JJF（沪）-2026");
        assert_eq!(found.after, "-001");
        let query = kept("天平").characters;
        let (_, found) = match find(SearchField::TitleZh, "电子天平校准规范", &query) {
            Some(found) => found,
            None => panic!("not found"),
        };
        assert_eq!(
            (found.before.as_str(), found.matched.as_str()),
            ("电子", "天平")
        );
    }
}
