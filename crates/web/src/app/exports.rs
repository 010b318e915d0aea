//! The tables a project list and a project's audit log are exported as, for both faces: every
//! row the reader may see (not one page), headers in the reader's language, instants as local
//! dates and times in each project's definition's zone. `spreadsheet` writes them; the board's
//! table is `board.rs`'s and a report's the engine's (`report::tables`).

use crate::app::AppState;
use crate::app::problem::Problem;
use crate::app::projects::visible_projects;
use crate::app::spreadsheet::{self, Cell, Table};
use chrono::{DateTime, FixedOffset, Utc};
use specflow_engine::Language;
use specflow_engine::render::event_summary;
use specflow_store::auth::Principal;
use specflow_store::{ProjectFilter, ProjectSummary};
use uuid::Uuid;

/// How many rows an export reads at a time.
const EXPORT_PAGE: u32 = 1000;

fn headers(language: Language, pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(zh, en)| language.pick(*zh, *en).to_string())
        .collect()
}

fn yes_no(value: bool, language: Language) -> Cell {
    Cell::text(if value {
        language.pick("是", "yes")
    } else {
        language.pick("否", "no")
    })
}

/// An instant as a local date and time at `offset`.
fn local(instant: DateTime<Utc>, offset: FixedOffset) -> Cell {
    Cell::DateTime(instant.with_timezone(&offset).naive_local())
}

/// Every project `principal` sees matching `filter`, by code, as one table. The caller has
/// resolved the filters as for the list.
pub async fn project_list(
    state: &AppState,
    principal: &Principal,
    filter: ProjectFilter,
    language: Language,
) -> Result<Table, Problem> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = visible_projects(
            state,
            principal,
            filter.clone(),
            after.as_deref(),
            EXPORT_PAGE,
        )
        .await?;
        for summary in page.items {
            rows.push(project_row(state, summary, language).await?);
        }
        spreadsheet::check_rows(rows.len())?;
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(Table {
        title: language.pick("项目列表", "Projects").to_string(),
        headers: headers(
            language,
            &[
                ("编号", "Code"),
                ("中文名称", "Title (Chinese)"),
                ("英文名称", "Title (English)"),
                ("技术委员会", "Committee"),
                ("起草单位", "Drafting unit"),
                ("阶段", "Stage"),
                ("进入阶段", "In the stage since"),
                ("下一到期日", "Next due on"),
                ("逾期", "Overdue"),
                ("已冻结", "Frozen"),
                ("记录数", "Records"),
                ("最后更新", "Last changed"),
            ],
        ),
        rows,
    })
}

async fn project_row(
    state: &AppState,
    summary: ProjectSummary,
    language: Language,
) -> Result<Vec<Cell>, Problem> {
    let definition = state
        .store
        .definition(&summary.definition_id, summary.definition_version)
        .await?;
    let offset = definition.local_utc_offset;
    let stage = definition
        .stage_name(&summary.stage)
        .get(language)
        .to_string();
    Ok(vec![
        Cell::text(summary.code),
        Cell::text(summary.title_zh),
        Cell::text(summary.title_en),
        Cell::text(summary.committee),
        Cell::text(summary.drafting_unit),
        Cell::text(stage),
        local(summary.stage_since, offset),
        Cell::day(summary.next_due_on),
        yes_no(summary.overdue_since.is_some(), language),
        yes_no(summary.frozen, language),
        Cell::Integer(i64::try_from(summary.head_sequence).unwrap_or(i64::MAX)),
        local(summary.updated_at, offset),
    ])
}

/// A project's whole audit log as one table (sequence, local time, actor and role, the event in
/// words, hash), with the project's code for the file's name. The caller has checked the reader
/// may read the project.
pub async fn audit_log(
    state: &AppState,
    project_id: Uuid,
    language: Language,
) -> Result<(String, Table), Problem> {
    let summary = state
        .store
        .project_summary(project_id)
        .await?
        .ok_or_else(|| Problem::project_not_found(&project_id.to_string()))?;
    let definition = state
        .store
        .definition(&summary.definition_id, summary.definition_version)
        .await?;
    let offset = definition.local_utc_offset;
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.history(project_id, after, EXPORT_PAGE).await?;
        for record in &page.records {
            let event = match record.to_event() {
                Ok(event) => event_summary(&event.body, &definition, language),
                Err(_) => record.event_type.clone(),
            };
            rows.push(vec![
                Cell::Integer(i64::try_from(record.sequence).unwrap_or(i64::MAX)),
                local(record.recorded_at, offset),
                Cell::text(record.actor_id.clone()),
                Cell::text(definition.role_name(&record.actor_role).get(language)),
                Cell::text(event),
                Cell::text(record.hash.to_hex()),
            ]);
        }
        spreadsheet::check_rows(rows.len())?;
        match page.next_after_sequence {
            Some(next) => after = next,
            None => break,
        }
    }
    let table = Table {
        title: format!(
            "{} {}",
            summary.code,
            language.pick("审计记录", "audit log")
        ),
        headers: headers(
            language,
            &[
                ("序号", "Sequence"),
                ("时间", "Time"),
                ("执行者", "Actor"),
                ("角色", "Role"),
                ("事件", "Event"),
                ("哈希", "Hash"),
            ],
        ),
        rows,
    };
    Ok((summary.code, table))
}
