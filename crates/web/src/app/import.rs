//! Importing a bureau's existing projects from a spreadsheet, with their history so far: a
//! preview with every row's problems, then every row created through the engine, or none.
//!
//! Each row becomes an `import_project` command: the project as a creation gives it, the stages it
//! reached with their dates (which date column means which stage is the definition's
//! `[[import_columns]]`), its publication, and where it was read (the file's SHA-256, the sheet
//! and the row), which the audit record keeps. The project's id follows from the file and its
//! code and the command's id from the file, sheet and row, so importing the same file again
//! finds every project there and creates nothing.
//!
//! The preview checks every row here (required values, committees, kinds, stages, dates, codes
//! taken in the database or twice in the file) and then decides each row's command in memory, so
//! a row the engine would refuse shows its reasons before anything is written. The import
//! carries out nothing unless every row is clean, and then creates every new row's project in one
//! transaction ([`specflow_store::Store::create_all`]): if anything changed meanwhile (a code
//! taken by someone else), nothing of the file is written.

use super::AppState;
use super::import_sheet::{MAX_ROWS, Sheet, SheetRow, parse_date, read_sheet};
use super::problem::{Problem, ProblemKind};
use super::text_fields::check_text;
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use specflow_engine::command::{
    ImportProject, ImportSource, ImportedHistory, Milestone, NewProject, Publication,
};
use specflow_engine::decide::is_published_stage;
use specflow_engine::local_day::{local_date, start_of_local_day};
use specflow_engine::text::normalise_code;
use specflow_engine::{Command, LocalizedText, ProjectState, WorkflowDefinition, decide};
use specflow_store::CommitteeSummary;
use specflow_store::auth::{Access, Principal, can_supervise};
use specflow_store::{CommandRequest, CreationsOutcome};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The namespace of the ids an import derives (UUID version 5), fixed so that the same file
/// gives the same ids on every node and every run.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x8f0c_2d1e_5a47_4b3c_9e61_0d2f_7a5b_c3e9);

/// How many header rows are searched for the header (a title may come first).
const HEADER_SEARCH_ROWS: usize = 10;

/// The definition imports follow unless another is named.
pub const DEFAULT_DEFINITION: &str = "metrology-spec";

/// A column of the import's spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The project's code (required).
    Code,
    /// Its Chinese title (required).
    TitleZh,
    /// Its English title.
    TitleEn,
    /// Its specification kind, by code or name (required).
    Kind,
    /// Its committee, by code or name (required).
    Committee,
    /// Its drafting unit (required).
    DraftingUnit,
    /// The stage it reached, by code or name in either language (required).
    Stage,
    /// The date of the definition's `[[import_columns]]` entry at this index.
    StageDate(usize),
    /// The date it entered the stage reached, for a stage with no date column of its own.
    StageEnteredOn,
    /// The specification's number, once published.
    SpecificationNumber,
    /// The date it takes effect, once published.
    EffectiveOn,
}

/// A column as the template writes it and as headers may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Which column.
    pub field: Field,
    /// Its code, such as `approved_on`.
    pub code: String,
    /// Its name for people.
    pub name: LocalizedText,
    /// Whether every row must give it.
    pub required: bool,
}

impl ColumnSpec {
    /// The template's header: the Chinese name and the code, such as `立项日期 approved_on`.
    pub fn header(&self) -> String {
        format!("{} {}", self.name.zh, self.code)
    }

    /// Whether a header cell names this column: its code, its name in either language, or both
    /// languages together, compared without case, spaces, underscores or brackets.
    fn named_by(&self, header: &str) -> bool {
        let header = normalise(header);
        [
            normalise(&self.code),
            normalise(&self.name.zh),
            normalise(&self.name.en),
            normalise(&self.header()),
            normalise(&format!("{}{}", self.name.zh, self.name.en)),
        ]
        .contains(&header)
    }
}

/// The columns of an import under a definition, in the template's order.
pub fn columns(definition: &WorkflowDefinition) -> Vec<ColumnSpec> {
    let spec = |field, code: &str, zh: &str, en: &str, required| ColumnSpec {
        field,
        code: code.to_string(),
        name: LocalizedText::new(zh, en),
        required,
    };
    let mut columns = vec![
        spec(Field::Code, "code", "项目编号", "project code", true),
        spec(
            Field::TitleZh,
            "title_zh",
            "中文名称",
            "Chinese title",
            true,
        ),
        spec(
            Field::TitleEn,
            "title_en",
            "英文名称",
            "English title",
            false,
        ),
        spec(
            Field::Kind,
            "specification_kind",
            "规范类型",
            "specification kind",
            true,
        ),
        spec(
            Field::Committee,
            "committee",
            "技术委员会",
            "committee",
            true,
        ),
        spec(
            Field::DraftingUnit,
            "drafting_unit",
            "起草单位",
            "drafting unit",
            true,
        ),
        spec(Field::Stage, "stage", "当前阶段", "stage reached", true),
    ];
    columns.extend(
        definition
            .import_columns
            .iter()
            .enumerate()
            .map(|(index, column)| ColumnSpec {
                field: Field::StageDate(index),
                code: column.column.clone(),
                name: column.name.clone(),
                required: false,
            }),
    );
    columns.extend([
        spec(
            Field::StageEnteredOn,
            "stage_entered_on",
            "进入当前阶段日期",
            "date the stage was entered",
            false,
        ),
        spec(
            Field::SpecificationNumber,
            "specification_number",
            "规范编号",
            "specification number",
            false,
        ),
        spec(
            Field::EffectiveOn,
            "effective_on",
            "实施日期",
            "effective date",
            false,
        ),
    ]);
    columns
}

/// A header or value as compared: lower case, without spaces, underscores, hyphens, brackets or
/// a trailing colon.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|character| {
            !character.is_whitespace()
                && !matches!(
                    character,
                    '_' | '-' | '(' | ')' | '（' | '）' | ':' | '：' | '*' | '＊'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// One problem of the file or a row: where, and what is wrong in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The row as the spreadsheet numbers it (the header's row for a missing column; 0 for the
    /// file as a whole).
    pub row: u32,
    /// The column's header as the file writes it (or the column's name, when it has none), or
    /// nothing for the row as a whole.
    pub column: Option<LocalizedText>,
    /// A stable code, such as `missing_value`, `unknown_committee` or the engine's.
    pub code: String,
    /// What is wrong.
    pub message: LocalizedText,
}

/// What one row becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewRow {
    /// The row's number.
    pub row: u32,
    /// The project's code, as it will be recorded.
    pub code: String,
    /// Its Chinese title.
    pub title: String,
    /// The stage reached, as written, or its code once known.
    pub stage: String,
    /// The dates of its history, stage by stage.
    pub milestones: Vec<Milestone>,
    /// The project's id (derived from the file and the code).
    pub project_id: Uuid,
    /// Whether this file already created it: importing again leaves it as it is.
    pub already_imported: bool,
    /// What is wrong with the row; nothing when it can be imported.
    pub problems: Vec<RowProblem>,
    /// The command carried out for it, when the row is clean.
    #[serde(skip)]
    pub command: Option<ImportProject>,
    /// The command's id (derived from the file, sheet and row).
    #[serde(skip)]
    pub command_id: Uuid,
}

/// Everything an import would do, before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The file's SHA-256, in lowercase hex.
    pub file_sha256: String,
    /// The sheet read.
    pub sheet: String,
    /// The definition the projects follow.
    pub definition_id: String,
    /// Its version.
    pub definition_version: u32,
    /// Every row.
    pub rows: Vec<PreviewRow>,
    /// The problems of the file itself (unreadable, a missing column, no rows).
    pub problems: Vec<RowProblem>,
    /// The definition's stages by code, with their names, for showing a row's stage and dates
    /// in the reader's language.
    #[serde(skip)]
    pub stage_names: HashMap<String, LocalizedText>,
}

impl Preview {
    /// Every problem, the file's and the rows', in row order.
    pub fn all_problems(&self) -> Vec<&RowProblem> {
        let mut all: Vec<&RowProblem> = self
            .problems
            .iter()
            .chain(self.rows.iter().flat_map(|row| row.problems.iter()))
            .collect();
        all.sort_by_key(|problem| problem.row);
        all
    }

    /// A stage's name in `language`, or the text as written when it names no stage.
    pub fn stage_name<'a>(
        &'a self,
        stage: &'a str,
        language: specflow_engine::Language,
    ) -> &'a str {
        self.stage_names
            .get(stage)
            .map_or(stage, |name| name.get(language))
    }

    /// Whether the file can be imported as it is.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.rows.iter().all(|row| row.problems.is_empty())
    }
}

/// What became of each row of a clean file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// The project was created.
    Created,
    /// The same file had created it before; nothing was written.
    AlreadyImported,
}

/// The answer of an import: the preview, and when it was clean, what became of each row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imported {
    /// The preview the import was decided on.
    pub preview: Preview,
    /// Each row's outcome, in row order; empty when the preview had problems (nothing written).
    pub outcomes: Vec<(u32, String, RowOutcome)>,
}

/// A file to import: its bytes and its name.
#[derive(Debug, Clone, Copy)]
pub struct ImportFile<'a> {
    /// The file's name (the sheet's name for a CSV file).
    pub name: &'a str,
    /// Its content.
    pub bytes: &'a [u8],
}

/// The SHA-256 of a file, in lowercase hex: the provenance every imported record carries.
pub fn file_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Previews an import: every row read and checked, nothing written.
pub async fn preview(
    state: &AppState,
    principal: &Principal,
    file: ImportFile<'_>,
    definition_id: Option<&str>,
) -> Result<Preview, Problem> {
    check_may_import(principal)?;
    let definition = import_definition(state, definition_id).await?;
    let committees = state.store.list_committees().await?;
    let file_sha256 = file_sha256(file.bytes);
    let mut preview = Preview {
        file_sha256: file_sha256.clone(),
        sheet: String::new(),
        definition_id: definition.id.clone(),
        definition_version: definition.version,
        rows: Vec::new(),
        problems: Vec::new(),
        stage_names: definition
            .stages
            .iter()
            .map(|stage| (stage.code.clone(), stage.name.clone()))
            .collect(),
    };
    let sheet = match read_sheet(file.bytes, file.name) {
        Ok(sheet) => sheet,
        Err(error) => {
            preview.problems.push(RowProblem {
                row: 0,
                column: None,
                code: "file_unreadable".to_string(),
                message: error.message(),
            });
            return Ok(preview);
        }
    };
    preview.sheet = sheet.name.clone();
    let now = state.store.clock().now();
    let checker = RowChecker {
        definition: &definition,
        committees: &committees,
        today: local_date(now, definition.local_utc_offset),
        file_sha256: &file_sha256,
        sheet: &sheet.name,
    };
    let (header, problems) = find_header(&sheet, &definition);
    preview.problems = problems;
    let Some(header) = header else {
        return Ok(preview);
    };
    for row in sheet.rows.iter().filter(|row| row.number > header.row) {
        preview.rows.push(checker.check(&header, row));
    }
    if preview.rows.is_empty() {
        preview.problems.push(file_problem(
            header.row,
            "no_rows",
            LocalizedText::new(
                "表头下没有项目行",
                "There are no project rows under the header",
            ),
        ));
    }
    if preview.rows.len() > MAX_ROWS as usize {
        preview.problems.push(file_problem(
            0,
            "too_many_rows",
            LocalizedText::new(
                format!("一次最多导入 {MAX_ROWS} 个项目"),
                format!("At most {MAX_ROWS} projects are imported at once"),
            ),
        ));
    }
    refuse_repeated_codes(&mut preview.rows, &header);
    check_codes_in_database(state, &mut preview.rows, &header).await?;
    decide_rows(&mut preview.rows, &definition, principal, now, &header);
    Ok(preview)
}

/// Imports a file: nothing unless every row is clean, then every new row's project created
/// through the engine in one transaction, or none.
pub async fn import(
    state: &AppState,
    principal: &Principal,
    file: ImportFile<'_>,
    definition_id: Option<&str>,
) -> Result<Imported, Problem> {
    let preview = preview(state, principal, file, definition_id).await?;
    if !preview.is_clean() {
        return Ok(Imported {
            preview,
            outcomes: Vec::new(),
        });
    }
    let new_rows: Vec<&PreviewRow> = preview
        .rows
        .iter()
        .filter(|row| !row.already_imported && row.command.is_some())
        .collect();
    let requests: Vec<CommandRequest> = new_rows
        .iter()
        .filter_map(|row| {
            row.command.clone().map(|command| CommandRequest {
                project_id: row.project_id,
                command_id: row.command_id,
                expected_sequence: Some(0),
                actor: principal.actor(),
                command: Command::ImportProject(Box::new(command)),
            })
        })
        .collect();
    if !requests.is_empty() {
        match state.store.create_all(requests).await? {
            CreationsOutcome::Accepted { .. } => {}
            CreationsOutcome::Rejected {
                index, rejection, ..
            } => {
                let row = new_rows.get(index).copied();
                return Err(refused_row(row, &rejection.reasons));
            }
        }
    }
    let outcomes = preview
        .rows
        .iter()
        .map(|row| {
            let outcome = if row.already_imported || row.command.is_none() {
                RowOutcome::AlreadyImported
            } else {
                RowOutcome::Created
            };
            (row.row, row.code.clone(), outcome)
        })
        .collect();
    Ok(Imported { preview, outcomes })
}

/// The problem of a row the engine refused at the import though the preview had passed it
/// (something changed meanwhile): nothing was written.
fn refused_row(row: Option<&PreviewRow>, reasons: &[specflow_engine::Unmet]) -> Problem {
    let zh: Vec<&str> = reasons.iter().map(|r| r.message.zh.as_str()).collect();
    let en: Vec<&str> = reasons.iter().map(|r| r.message.en.as_str()).collect();
    let (number, code) = row.map_or((0, ""), |row| (row.row, row.code.as_str()));
    Problem::new(
        ProblemKind::Conflict,
        format!(
            "第 {number} 行（{code}）未能导入：{}。整个文件均未导入；修正后再次导入。",
            zh.join("；")
        ),
        format!(
            "Row {number} ({code}) was not imported: {}. Nothing of the file was imported; fix it and import again.",
            en.join("; ")
        ),
    )
}

/// Only the bureau (and an administrator) imports: an import creates projects in any committee.
fn check_may_import(principal: &Principal) -> Result<(), Problem> {
    match can_supervise(principal) {
        Access::Allowed => Ok(()),
        Access::Forbidden(_) | Access::Hidden(_) => Err(Problem::new(
            ProblemKind::Forbidden,
            "只有市场监管局可导入项目",
            "Only the bureau imports projects",
        )),
    }
}

/// The latest version of the named definition (by default [`DEFAULT_DEFINITION`]).
pub async fn import_definition(
    state: &AppState,
    definition_id: Option<&str>,
) -> Result<Arc<WorkflowDefinition>, Problem> {
    let id = definition_id.unwrap_or(DEFAULT_DEFINITION);
    state.store.latest_definition(id).await.map_err(|_| {
        Problem::invalid(
            "definition_id",
            format!("工作流定义 {id} 未注册"),
            format!("The workflow definition {id} is not registered"),
        )
    })
}

fn file_problem(row: u32, code: &str, message: LocalizedText) -> RowProblem {
    RowProblem {
        row,
        column: None,
        code: code.to_string(),
        message,
    }
}

/// Where each column is in the file, and how its header is written.
struct Header {
    row: u32,
    found: HashMap<Field, (usize, String)>,
    specs: Vec<ColumnSpec>,
}

impl Header {
    /// The cell of a column in a row, trimmed; empty when the file has no such column.
    fn cell<'r>(&self, row: &'r SheetRow, field: Field) -> &'r str {
        self.found
            .get(&field)
            .and_then(|(index, _)| row.cells.get(*index))
            .map_or("", |cell| cell.trim())
    }

    /// A column's header as the file writes it, or its name when the file has none.
    fn column(&self, field: Field) -> LocalizedText {
        match self.found.get(&field) {
            Some((_, header)) => LocalizedText::new(header.clone(), header.clone()),
            None => self
                .specs
                .iter()
                .find(|spec| spec.field == field)
                .map_or_else(|| LocalizedText::new("", ""), |spec| spec.name.clone()),
        }
    }
}

/// The header row (the first of the top rows that names the code column) and the required
/// columns it lacks.
fn find_header(
    sheet: &Sheet,
    definition: &WorkflowDefinition,
) -> (Option<Header>, Vec<RowProblem>) {
    let specs = columns(definition);
    let named = |row: &SheetRow| -> HashMap<Field, (usize, String)> {
        let mut found = HashMap::new();
        for (index, cell) in row.cells.iter().enumerate() {
            if let Some(spec) = specs.iter().find(|spec| spec.named_by(cell)) {
                found
                    .entry(spec.field)
                    .or_insert((index, cell.trim().to_string()));
            }
        }
        found
    };
    let header = sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .map(|row| (row.number, named(row)))
        .find(|(_, found)| found.contains_key(&Field::Code));
    let Some((row, found)) = header else {
        let problem = file_problem(
            1,
            "no_header",
            LocalizedText::new(
                "找不到表头：前 10 行中没有「项目编号 code」列",
                "No header was found: none of the first 10 rows has the column \"project code\" (code)",
            ),
        );
        return (None, vec![problem]);
    };
    let problems = specs
        .iter()
        .filter(|spec| spec.required && !found.contains_key(&spec.field))
        .map(|spec| RowProblem {
            row,
            column: Some(spec.name.clone()),
            code: "missing_column".to_string(),
            message: LocalizedText::new(
                format!("缺少「{}」列", spec.header()),
                format!("The column \"{}\" ({}) is missing", spec.name.en, spec.code),
            ),
        })
        .collect::<Vec<_>>();
    let header = Header { row, found, specs };
    if problems.is_empty() {
        (Some(header), problems)
    } else {
        (None, problems)
    }
}

/// What every row is checked against.
struct RowChecker<'a> {
    definition: &'a WorkflowDefinition,
    committees: &'a [CommitteeSummary],
    today: NaiveDate,
    file_sha256: &'a str,
    sheet: &'a str,
}

/// A row's problems as they are found.
struct Found<'h> {
    row: u32,
    header: &'h Header,
    problems: Vec<RowProblem>,
}

impl Found<'_> {
    fn add(&mut self, field: Field, code: &str, zh: String, en: String) {
        self.problems.push(RowProblem {
            row: self.row,
            column: Some(self.header.column(field)),
            code: code.to_string(),
            message: LocalizedText::new(zh, en),
        });
    }
}

impl RowChecker<'_> {
    /// One row: the project and history it gives, or every problem in it.
    fn check(&self, header: &Header, row: &SheetRow) -> PreviewRow {
        let mut found = Found {
            row: row.number,
            header,
            problems: Vec::new(),
        };
        for spec in header.specs.iter().filter(|spec| spec.required) {
            if header.cell(row, spec.field).is_empty() {
                found.add(
                    spec.field,
                    "missing_value",
                    format!("缺少{}", spec.name.zh),
                    format!("The {} is missing", spec.name.en),
                );
            }
        }
        self.check_texts(header, row, &mut found);
        let code = normalise_code(header.cell(row, Field::Code));
        let kind = self.kind(header, row, &mut found);
        let committee = self.committee(header, row, &mut found);
        let stage = self.stage(header, row, &mut found);
        let milestones = stage
            .as_deref()
            .map(|stage| self.milestones(header, row, stage, &mut found))
            .unwrap_or_default();
        let publication = stage
            .as_deref()
            .and_then(|stage| self.publication(header, row, stage, &milestones, &mut found));
        let project_id = Uuid::new_v5(
            &IMPORT_NAMESPACE,
            format!("project:{}:{code}", self.file_sha256).as_bytes(),
        );
        let command_id = Uuid::new_v5(
            &IMPORT_NAMESPACE,
            format!("command:{}:{}:{}", self.file_sha256, self.sheet, row.number).as_bytes(),
        );
        let command = match (found.problems.is_empty(), kind, committee) {
            (true, Some(kind), Some(committee)) => Some(ImportProject {
                project: NewProject {
                    project_id,
                    code: code.clone(),
                    title: LocalizedText::new(
                        header.cell(row, Field::TitleZh),
                        header.cell(row, Field::TitleEn),
                    ),
                    specification_kind: kind,
                    committee,
                    drafting_unit: header.cell(row, Field::DraftingUnit).to_string(),
                    definition_id: self.definition.id.clone(),
                    definition_version: self.definition.version,
                    flags: Default::default(),
                },
                history: ImportedHistory {
                    source: ImportSource {
                        file_sha256: self.file_sha256.to_string(),
                        sheet: self.sheet.to_string(),
                        row: row.number,
                    },
                    milestones: milestones.clone(),
                    publication,
                },
            }),
            _ => None,
        };
        PreviewRow {
            row: row.number,
            code,
            title: header.cell(row, Field::TitleZh).to_string(),
            stage: stage.unwrap_or_else(|| header.cell(row, Field::Stage).to_string()),
            milestones,
            project_id,
            already_imported: false,
            problems: found.problems,
            command,
            command_id,
        }
    }

    /// Every text held to the limits a creation's texts keep (no control characters, no field
    /// past its length).
    fn check_texts(&self, header: &Header, row: &SheetRow, found: &mut Found<'_>) {
        for (field, name) in [
            (Field::Code, "code"),
            (Field::TitleZh, "zh"),
            (Field::TitleEn, "en"),
            (Field::DraftingUnit, "drafting_unit"),
            (Field::SpecificationNumber, "specification_number"),
        ] {
            if let Err(problem) = check_text(name, name, header.cell(row, field)) {
                found.add(field, "invalid_text", problem.detail.zh, problem.detail.en);
            }
        }
    }

    /// The specification kind a cell names, by its code or its name in either language.
    fn kind(&self, header: &Header, row: &SheetRow, found: &mut Found<'_>) -> Option<String> {
        let cell = header.cell(row, Field::Kind);
        if cell.is_empty() {
            return None;
        }
        let wanted = normalise(cell);
        let kind = self.definition.specification_kinds.iter().find(|kind| {
            [&kind.code, &kind.name.zh, &kind.name.en]
                .iter()
                .any(|name| normalise(name) == wanted)
        });
        if kind.is_none() {
            let known: Vec<&str> = self
                .definition
                .specification_kinds
                .iter()
                .map(|kind| kind.name.zh.as_str())
                .collect();
            let known_en: Vec<&str> = self
                .definition
                .specification_kinds
                .iter()
                .map(|kind| kind.name.en.as_str())
                .collect();
            found.add(
                Field::Kind,
                "unknown_specification_kind",
                format!("未知的规范类型「{cell}」；可用：{}", known.join("、")),
                format!(
                    "Unknown specification kind \"{cell}\"; kinds are: {}",
                    known_en.join(", ")
                ),
            );
        }
        kind.map(|kind| kind.code.clone())
    }

    /// The committee a cell names, by its code or its name in either language, as the store's
    /// committees list them.
    fn committee(&self, header: &Header, row: &SheetRow, found: &mut Found<'_>) -> Option<String> {
        let cell = header.cell(row, Field::Committee);
        if cell.is_empty() {
            return None;
        }
        let wanted = normalise(cell);
        let committee = self.committees.iter().find(|committee| {
            [&committee.code, &committee.name.zh, &committee.name.en]
                .iter()
                .any(|name| normalise(name) == wanted)
        });
        if committee.is_none() {
            found.add(
                Field::Committee,
                "unknown_committee",
                format!("未知的技术委员会「{cell}」：请填写已登记的技术委员会的代号或名称"),
                format!(
                    "Unknown committee \"{cell}\": give the code or name of a registered committee"
                ),
            );
        }
        committee.map(|committee| committee.code.clone())
    }

    /// The stage a cell names, by its code or its name in either language.
    fn stage(&self, header: &Header, row: &SheetRow, found: &mut Found<'_>) -> Option<String> {
        let cell = header.cell(row, Field::Stage);
        if cell.is_empty() {
            return None;
        }
        let wanted = normalise(cell);
        let stage = self.definition.stages.iter().find(|stage| {
            [&stage.code, &stage.name.zh, &stage.name.en]
                .iter()
                .any(|name| normalise(name) == wanted)
        });
        if stage.is_none() {
            let known: Vec<&str> = self
                .definition
                .stages
                .iter()
                .map(|s| s.name.zh.as_str())
                .collect();
            let known_en: Vec<&str> = self
                .definition
                .stages
                .iter()
                .map(|s| s.name.en.as_str())
                .collect();
            found.add(
                Field::Stage,
                "unknown_stage",
                format!("未知的阶段「{cell}」；可用：{}", known.join("、")),
                format!(
                    "Unknown stage \"{cell}\"; stages are: {}",
                    known_en.join(", ")
                ),
            );
        }
        stage.map(|stage| stage.code.clone())
    }

    /// A date cell: `None` when empty, a problem when it is not a date or is after today.
    fn date(
        &self,
        header: &Header,
        row: &SheetRow,
        field: Field,
        found: &mut Found<'_>,
    ) -> Option<NaiveDate> {
        let cell = header.cell(row, field);
        if cell.is_empty() {
            return None;
        }
        let Some(date) = parse_date(cell) else {
            found.add(
                field,
                "not_a_date",
                format!("「{cell}」不是日期：请写成 2024-03-01 或 2024/03/01，或用 Excel 的日期单元格"),
                format!("\"{cell}\" is not a date: write it as 2024-03-01 or 2024/03/01, or use an Excel date cell"),
            );
            return None;
        };
        Some(date)
    }

    /// The stages reached and their dates, in the definition's order, each date checked.
    fn milestones(
        &self,
        header: &Header,
        row: &SheetRow,
        reached: &str,
        found: &mut Found<'_>,
    ) -> Vec<Milestone> {
        let position = |code: &str| {
            self.definition
                .stages
                .iter()
                .position(|stage| stage.code == code)
        };
        let reached_at = position(reached).unwrap_or(0);
        let mut dated: Vec<(usize, Field, String, NaiveDate)> = Vec::new();
        for (index, column) in self.definition.import_columns.iter().enumerate() {
            let field = Field::StageDate(index);
            let Some(date) = self.date(header, row, field, found) else {
                continue;
            };
            let at = position(&column.stage).unwrap_or(usize::MAX);
            if at > reached_at {
                let (stage, of) = (
                    self.definition.stage_name(&column.stage),
                    self.definition.stage_name(reached),
                );
                found.add(
                    field,
                    "date_after_stage_reached",
                    format!("项目处于「{}」阶段，尚未进入「{}」，不应有此日期", of.zh, stage.zh),
                    format!("The project is in {}, so it has not entered {} and this date must be empty", of.en, stage.en),
                );
                continue;
            }
            dated.push((at, field, column.stage.clone(), date));
        }
        self.date_of_stage_reached(header, row, reached, reached_at, &mut dated, found);
        dated.sort_by_key(|(at, ..)| *at);
        self.check_dates(&dated, found);
        dated
            .into_iter()
            .map(|(_, _, stage, reached_on)| Milestone {
                stage,
                reached_on,
                entered_at: start_of_local_day(reached_on, self.definition.local_utc_offset),
            })
            .collect()
    }

    /// A stage reached that no date column marks needs the date it was entered; one that a date
    /// column marks needs that column (the initial stage needs neither).
    fn date_of_stage_reached(
        &self,
        header: &Header,
        row: &SheetRow,
        reached: &str,
        reached_at: usize,
        dated: &mut Vec<(usize, Field, String, NaiveDate)>,
        found: &mut Found<'_>,
    ) {
        let own_column = self
            .definition
            .import_columns
            .iter()
            .position(|column| column.stage == reached);
        let entered_on = self.date(header, row, Field::StageEnteredOn, found);
        let stage = self.definition.stage_name(reached);
        match (own_column, entered_on) {
            (Some(index), entered_on) => {
                if !dated
                    .iter()
                    .any(|(_, field, ..)| *field == Field::StageDate(index))
                {
                    let column = &self.definition.import_columns[index];
                    found.add(
                        Field::StageDate(index),
                        "missing_value",
                        format!("项目处于「{}」阶段，须填写{}", stage.zh, column.name.zh),
                        format!(
                            "The project is in {}, so the {} is needed",
                            stage.en, column.name.en
                        ),
                    );
                }
                if entered_on.is_some() {
                    found.add(
                        Field::StageEnteredOn,
                        "date_not_needed",
                        format!(
                            "「{}」阶段的日期填在{}列，此列应留空",
                            stage.zh, self.definition.import_columns[index].name.zh
                        ),
                        format!(
                            "The date of {} goes in the {} column; leave this one empty",
                            stage.en, self.definition.import_columns[index].name.en
                        ),
                    );
                }
            }
            (None, Some(date)) if reached != self.definition.initial_stage => {
                dated.push((reached_at, Field::StageEnteredOn, reached.to_string(), date));
            }
            (None, None) if reached != self.definition.initial_stage => found.add(
                Field::StageEnteredOn,
                "missing_value",
                format!(
                    "「{}」阶段没有自己的日期列：须填写进入该阶段的日期",
                    stage.zh
                ),
                format!(
                    "The stage {} has no date column of its own: give the date it was entered",
                    stage.en
                ),
            ),
            _ => {}
        }
    }

    /// Dates rise strictly along the stages, and none is after today.
    fn check_dates(&self, dated: &[(usize, Field, String, NaiveDate)], found: &mut Found<'_>) {
        let mut previous: Option<(Field, NaiveDate)> = None;
        for (_, field, _, date) in dated {
            if *date > self.today {
                found.add(
                    *field,
                    "date_in_future",
                    format!("日期 {date} 晚于今天（{}）", self.today),
                    format!("The date {date} is after today ({})", self.today),
                );
            }
            if let Some((before_field, before)) = previous
                && *date <= before
            {
                let before_column = found.header.column(before_field);
                found.add(
                    *field,
                    "dates_out_of_order",
                    format!(
                        "日期 {date} 不晚于前一阶段「{}」的日期 {before}",
                        before_column.zh
                    ),
                    format!(
                        "The date {date} is not after the earlier stage's \"{}\", {before}",
                        before_column.en
                    ),
                );
            }
            previous = Some((*field, *date));
        }
    }

    /// The publication of a project at or past the stage of publication: its number, the date of
    /// the stage of publication, and its effective date; none (and none of those cells) before.
    fn publication(
        &self,
        header: &Header,
        row: &SheetRow,
        reached: &str,
        milestones: &[Milestone],
        found: &mut Found<'_>,
    ) -> Option<Publication> {
        let number = header.cell(row, Field::SpecificationNumber);
        let effective = self.date(header, row, Field::EffectiveOn, found);
        if !is_published_stage(self.definition, reached) {
            let stage = self.definition.stage_name(reached);
            for (field, given) in [
                (Field::SpecificationNumber, !number.is_empty()),
                (Field::EffectiveOn, effective.is_some()),
            ] {
                if given {
                    found.add(
                        field,
                        "not_published",
                        format!("项目处于「{}」阶段，尚未发布，此列应留空", stage.zh),
                        format!(
                            "The project is in {}, not yet published: leave this empty",
                            stage.en
                        ),
                    );
                }
            }
            return None;
        }
        let published_stage = self
            .definition
            .milestones
            .published
            .as_deref()
            .unwrap_or_default();
        let published_on = milestones
            .iter()
            .find(|milestone| milestone.stage == published_stage)
            .map(|milestone| milestone.reached_on);
        if number.is_empty() {
            found.add(
                Field::SpecificationNumber,
                "missing_value",
                "已发布的项目须填写规范编号".to_string(),
                "A published project needs its specification number".to_string(),
            );
        }
        if effective.is_none() && header.cell(row, Field::EffectiveOn).is_empty() {
            found.add(
                Field::EffectiveOn,
                "missing_value",
                "已发布的项目须填写实施日期".to_string(),
                "A published project needs its effective date".to_string(),
            );
        }
        let (publication_date, effective_date) = (published_on?, effective?);
        if effective_date < publication_date {
            found.add(
                Field::EffectiveOn,
                "dates_out_of_order",
                format!("实施日期 {effective_date} 早于发布日期 {publication_date}"),
                format!("The effective date {effective_date} is before the publication date {publication_date}"),
            );
        }
        (!number.is_empty()).then(|| Publication {
            specification_number: number.to_string(),
            publication_date,
            effective_date,
        })
    }
}

/// A code given twice in the file is a problem of each later row.
fn refuse_repeated_codes(rows: &mut [PreviewRow], header: &Header) {
    let mut first: HashMap<String, u32> = HashMap::new();
    for row in rows.iter_mut().filter(|row| !row.code.is_empty()) {
        match first.get(&row.code) {
            Some(earlier) => {
                let earlier = *earlier;
                row.command = None;
                row.problems.push(RowProblem {
                    row: row.row,
                    column: Some(header.column(Field::Code)),
                    code: "code_repeated".to_string(),
                    message: LocalizedText::new(
                        format!("项目编号 {} 与第 {earlier} 行重复", row.code),
                        format!("The code {} is also in row {earlier}", row.code),
                    ),
                });
            }
            None => {
                first.insert(row.code.clone(), row.row);
            }
        }
    }
}

/// A code already in the database is this file's own project (imported before: nothing to do)
/// or another project's (a problem).
async fn check_codes_in_database(
    state: &AppState,
    rows: &mut [PreviewRow],
    header: &Header,
) -> Result<(), Problem> {
    for row in rows.iter_mut().filter(|row| !row.code.is_empty()) {
        match state.store.project_id_by_code(&row.code).await? {
            None => {}
            Some(existing) if existing == row.project_id => row.already_imported = true,
            Some(_) => {
                row.command = None;
                row.problems.push(RowProblem {
                    row: row.row,
                    column: Some(header.column(Field::Code)),
                    code: "code_taken".to_string(),
                    message: LocalizedText::new(
                        format!("项目编号 {} 已被库中另一项目使用", row.code),
                        format!("The code {} is already used by another project", row.code),
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Each clean row's command decided in memory, as the writer will decide it, so that what the
/// engine refuses (a code's format, a role that may not create) shows in the preview.
fn decide_rows(
    rows: &mut [PreviewRow],
    definition: &WorkflowDefinition,
    principal: &Principal,
    now: chrono::DateTime<chrono::Utc>,
    header: &Header,
) {
    let empty = ProjectState::default();
    let actor = principal.actor();
    for row in rows.iter_mut().filter(|row| !row.already_imported) {
        let Some(command) = row.command.clone() else {
            continue;
        };
        let command = Command::ImportProject(Box::new(command));
        if let Err(rejection) = decide(&empty, definition, &command, &actor, now) {
            row.command = None;
            for reason in rejection.reasons {
                let field = reason
                    .figures
                    .get("field")
                    .and_then(|value| value.as_str())
                    .and_then(field_of_engine);
                row.problems.push(RowProblem {
                    row: row.row,
                    column: field.map(|field| header.column(field)),
                    code: reason.code,
                    message: reason.message,
                });
            }
        }
    }
}

/// The column an engine's reason names by its command field.
fn field_of_engine(field: &str) -> Option<Field> {
    Some(match field {
        "code" => Field::Code,
        "title.zh" => Field::TitleZh,
        "committee" => Field::Committee,
        "drafting_unit" => Field::DraftingUnit,
        "specification_kind" => Field::Kind,
        "milestones" => Field::Stage,
        "specification_number" => Field::SpecificationNumber,
        "effective_date" => Field::EffectiveOn,
        _ => return None,
    })
}
