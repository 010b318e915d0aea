//! Filter values as people type them, resolved to what projects store, or refused with what
//! exists: the project lists and the overdue board of both faces read their committee, stage
//! and drafting-unit filters through here.
//!
//! A committee is named by its short code (`SH-TC-01`) or its name (`上海市长度计量技术委员会`);
//! a stage by `definition/stage` (`metrology-spec/review`), by its code when only one workflow
//! has it, or by its name in either language. A value that names nothing is an error that says
//! which and lists what exists, never an empty list that reads as "no project".

use crate::app::AppState;
use crate::app::problem::Problem;
use specflow_engine::text::normalise_code;
use specflow_store::ProjectFacet;

/// How many existing values an error lists.
const LISTED: u32 = 40;

/// The filters as given, each already trimmed of empty values.
#[derive(Debug, Clone, Default)]
pub struct GivenFilters {
    /// A committee's code or name.
    pub committee: Option<String>,
    /// A stage: `definition/stage`, a stage code, or a stage's name.
    pub stage: Option<String>,
    /// A drafting unit.
    pub drafting_unit: Option<String>,
}

/// The filters as the store reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedFilters {
    /// The committee as projects store it.
    pub committee: Option<String>,
    /// The definition the stage belongs to, when a stage is given.
    pub definition: Option<String>,
    /// The stage's code within that definition.
    pub stage: Option<String>,
    /// The drafting unit as projects store it.
    pub drafting_unit: Option<String>,
}

/// The stages a filter offers: each workflow's title, then its stages as the value a filter
/// takes (`definition/stage`) and the stage's name, all in `language`.
pub async fn stage_choices(
    state: &AppState,
    language: specflow_engine::Language,
) -> Result<Vec<(String, Vec<(String, String)>)>, Problem> {
    let mut choices = Vec::new();
    for id in state.store.definition_ids().await? {
        let definition = state.store.latest_definition(&id).await?;
        let stages = definition
            .stages
            .iter()
            .map(|stage| {
                (
                    format!("{id}/{}", stage.code),
                    stage.name.get(language).to_string(),
                )
            })
            .collect();
        choices.push((definition.title.get(language).to_string(), stages));
    }
    Ok(choices)
}

/// A query value, `None` when absent or blank (an emptied form field means "any").
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

/// Resolves every given filter, or refuses the first that names nothing.
pub async fn resolve(state: &AppState, given: GivenFilters) -> Result<ResolvedFilters, Problem> {
    let committee = match given.committee {
        Some(committee) => Some(resolve_committee(state, &committee).await?),
        None => None,
    };
    let (definition, stage) = match given.stage {
        Some(stage) => {
            let (definition, stage) = resolve_stage(state, &stage).await?;
            (Some(definition), Some(stage))
        }
        None => (None, None),
    };
    let drafting_unit = match given.drafting_unit {
        Some(unit) => Some(resolve_drafting_unit(state, &unit).await?),
        None => None,
    };
    Ok(ResolvedFilters {
        committee,
        definition,
        stage,
        drafting_unit,
    })
}

/// A committee by what projects store, its record's code or name, or its code alone where
/// projects store the code with the name after it (`SH-TC-01 上海市…`).
async fn resolve_committee(state: &AppState, given: &str) -> Result<String, Problem> {
    let typed = normalise_code(given);
    let store = &state.store;
    if store
        .project_facet_has(ProjectFacet::Committee, &typed)
        .await?
    {
        return Ok(typed);
    }
    let records = store.list_committees().await?;
    if let Some(record) = records.iter().find(|record| {
        normalise_code(&record.code) == typed
            || normalise_code(&record.name.zh) == typed
            || record.name.en.eq_ignore_ascii_case(&typed)
    }) {
        return Ok(record.code.clone());
    }
    let stored = store
        .project_facet_values(ProjectFacet::Committee, LISTED)
        .await?;
    let short = |value: &str| value.split_whitespace().next().map(str::to_string);
    if let Some(found) = stored
        .iter()
        .chain(records.iter().map(|record| &record.code))
        .find(|value| short(value).as_deref() == Some(typed.as_str()))
    {
        return Ok(found.clone());
    }
    let mut known: Vec<String> = records
        .iter()
        .map(|record| format!("{} {}", record.code, record.name.zh))
        .collect();
    for value in stored {
        if !records.iter().any(|record| record.code == value) {
            known.push(value);
        }
    }
    Err(unknown(
        "committee",
        ("技术委员会", "committee"),
        given,
        &known,
    ))
}

/// A stage as `(definition, stage code)`.
async fn resolve_stage(state: &AppState, given: &str) -> Result<(String, String), Problem> {
    let typed = given.trim();
    let mut every: Vec<(String, String, String, String)> = Vec::new();
    for id in state.store.definition_ids().await? {
        let definition = state.store.latest_definition(&id).await?;
        for stage in &definition.stages {
            every.push((
                id.clone(),
                stage.code.clone(),
                stage.name.zh.clone(),
                stage.name.en.clone(),
            ));
        }
    }
    let matching: Vec<&(String, String, String, String)> = match typed.split_once('/') {
        Some((definition, stage)) => every
            .iter()
            .filter(|(id, code, ..)| id == definition.trim() && code == stage.trim())
            .collect(),
        None => {
            let by_code: Vec<_> = every.iter().filter(|(_, code, ..)| code == typed).collect();
            if by_code.is_empty() {
                every
                    .iter()
                    .filter(|(_, _, zh, en)| zh == typed || en.eq_ignore_ascii_case(typed))
                    .collect()
            } else {
                by_code
            }
        }
    };
    let listed = |stages: &[&(String, String, String, String)]| -> Vec<String> {
        stages
            .iter()
            .map(|(id, code, zh, en)| format!("{id}/{code} ({zh} / {en})"))
            .collect()
    };
    match matching.as_slice() {
        [(id, code, ..)] => Ok((id.clone(), code.clone())),
        [] => {
            let all: Vec<&(String, String, String, String)> = every.iter().collect();
            Err(unknown("stage", ("阶段", "stage"), given, &listed(&all)))
        }
        several => {
            let choices = listed(several).join("; ");
            Err(Problem::invalid(
                "stage",
                format!("阶段「{given}」在多个工作流中都有，请写明是哪一个：{choices}"),
                format!("The stage '{given}' is in more than one workflow; say which: {choices}"),
            ))
        }
    }
}

/// A drafting unit as projects store it.
async fn resolve_drafting_unit(state: &AppState, given: &str) -> Result<String, Problem> {
    let typed = given.split_whitespace().collect::<Vec<_>>().join(" ");
    let store = &state.store;
    if store
        .project_facet_has(ProjectFacet::DraftingUnit, &typed)
        .await?
    {
        return Ok(typed);
    }
    let known = store
        .project_facet_values(ProjectFacet::DraftingUnit, LISTED)
        .await?;
    Err(unknown(
        "drafting_unit",
        ("起草单位", "drafting unit"),
        given,
        &known,
    ))
}

/// The error for a filter value that names nothing: which, and what exists.
fn unknown(field: &str, (zh, en): (&str, &str), given: &str, known: &[String]) -> Problem {
    let listed = if known.is_empty() {
        ("（尚无）".to_string(), "(none yet)".to_string())
    } else {
        let more = if known.len() >= LISTED as usize {
            ("等", ", …")
        } else {
            ("", "")
        };
        (
            format!("{}{}", known.join("、"), more.0),
            format!("{}{}", known.join("; "), more.1),
        )
    };
    Problem::invalid(
        field,
        format!("没有{zh}「{given}」；现有的{zh}：{}", listed.0),
        format!(
            "There is no {en} '{given}'; the {en}s there are: {}",
            listed.1
        ),
    )
}
