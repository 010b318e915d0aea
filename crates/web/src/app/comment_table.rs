//! The comment disposition table (意见汇总处理表) as drafting groups keep it: a CSV or XLSX file
//! with one row per comment (organisation, clause, comment, disposition, reason), read into rows
//! with every row's problems, and turned into the engine's commands.
//!
//! Reading never fails: a file that cannot be read, a header that cannot be found or a cell that
//! does not fit is a [`TableProblem`] with its row and column, in Chinese and English, so a
//! preview can show every problem at once before anything is recorded. The API's import and the
//! web pages' form both read tables through here.
//!
//! Headers are recognised in Chinese or English (`序号` or `no.`, `机构`/`单位` or
//! `organisation`, `条款`/`章条` or `clause`, `意见` or `comment`, `处理意见`/`处理结果` or
//! `disposition`, `理由` or `reason`, and a few spellings seen in real tables); other columns are
//! ignored, and rows above the header (a title) are skipped. Row numbers are the spreadsheet's,
//! counted from 1. A table's own numbers (`序号`) become the comments' ids, so the project page,
//! the log and a disposition typed later name a comment as the paper table does.

use specflow_engine::command::{Comment, Disposition};
use specflow_engine::{Command, LocalizedText};

/// The most comments one table may hold: two commands each stay within one batch's limit
/// ([`specflow_store::MAX_BATCH_COMMANDS`]).
pub const MAX_ROWS: usize = specflow_store::MAX_BATCH_COMMANDS / 2;

/// How many rows from the top are searched for the header (a title and blank rows may come first).
const HEADER_SEARCH_ROWS: usize = 10;

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The table's own number for the comment (序号, optional): the comment's id when given.
    Number,
    /// The organisation that sent the comment (required).
    Organisation,
    /// The clause it is about (optional).
    Clause,
    /// What it says (required).
    Comment,
    /// The drafting group's decision (optional: a comment may be recorded before it is disposed of).
    Disposition,
    /// Why (required when not accepted).
    Reason,
}

impl Column {
    /// Every column, in the table's usual order.
    pub const ALL: [Column; 6] = [
        Column::Number,
        Column::Organisation,
        Column::Clause,
        Column::Comment,
        Column::Disposition,
        Column::Reason,
    ];

    /// Its stable code, as answers name it.
    pub fn code(self) -> &'static str {
        match self {
            Column::Number => "number",
            Column::Organisation => "organisation",
            Column::Clause => "clause",
            Column::Comment => "comment",
            Column::Disposition => "disposition",
            Column::Reason => "reason",
        }
    }

    /// Its name for people.
    pub fn name(self) -> LocalizedText {
        match self {
            Column::Number => LocalizedText::new("序号", "number"),
            Column::Organisation => LocalizedText::new("提出单位", "organisation"),
            Column::Clause => LocalizedText::new("章条", "clause"),
            Column::Comment => LocalizedText::new("意见内容", "comment"),
            Column::Disposition => LocalizedText::new("处理意见", "disposition"),
            Column::Reason => LocalizedText::new("理由", "reason"),
        }
    }

    /// Whether a table must have it.
    fn required(self) -> bool {
        matches!(self, Column::Organisation | Column::Comment)
    }

    /// The headers that name it, written as [`normalise`] leaves them.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Column::Number => &["序号", "编号", "意见编号", "no", "no.", "number", "#"],
            Column::Organisation => &[
                "机构",
                "单位",
                "提出单位",
                "意见提出单位",
                "提出意见单位",
                "提出意见的单位",
                "organisation",
                "organization",
            ],
            Column::Clause => &[
                "条款",
                "章条",
                "章条号",
                "章条编号",
                "标准章条编号",
                "条款号",
                "clause",
            ],
            Column::Comment => &["意见", "意见内容", "修改意见", "comment", "comments"],
            Column::Disposition => &[
                "处理意见",
                "处理结果",
                "处理情况",
                "disposition",
                "decision",
            ],
            Column::Reason => &["理由", "原因", "处理理由", "reason"],
        }
    }

    /// The column a header cell names, if any.
    fn of_header(cell: &str) -> Option<Column> {
        let whole = normalise(cell);
        let found = |text: &str| {
            Column::ALL
                .into_iter()
                .find(|column| column.headers().contains(&text))
        };
        // A bilingual header ("意见内容 / Comment") names its column in either part.
        found(&whole).or_else(|| {
            cell.split(['/', '|', '\n'])
                .map(normalise)
                .find_map(|part| found(&part))
        })
    }
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

/// A disposition as written in a cell: `采纳`, `部分采纳`, `不采纳` (or `未采纳`), or the
/// engine's codes in English, with spaces or hyphens for the underscores.
fn disposition_of(cell: &str) -> Option<Disposition> {
    match normalise(cell).as_str() {
        "采纳" | "accepted" | "accept" => Some(Disposition::Accepted),
        "部分采纳" | "partlyaccepted" | "partiallyaccepted" => {
            Some(Disposition::PartlyAccepted)
        }
        "不采纳" | "未采纳" | "notaccepted" => Some(Disposition::NotAccepted),
        _ => None,
    }
}

/// A comment's number as an id: NFKC (a full-width `１２` is `12`) and trimmed, and a whole
/// number read from a spreadsheet's number cell written without its fraction (`3`, not `3.0`).
fn number_of(cell: &str) -> String {
    let number = specflow_engine::text::normalise_code(cell);
    match number.strip_suffix(".0") {
        Some(whole) if !whole.is_empty() && whole.bytes().all(|byte| byte.is_ascii_digit()) => {
            whole.to_string()
        }
        _ => number,
    }
}

/// A number given to two rows would record the second comment under the first one's id: each
/// repeat is a problem of its row, naming the row that has the number first.
fn refuse_repeated_numbers(rows: &mut [CommentRow]) {
    let mut first_rows: std::collections::HashMap<String, usize> = Default::default();
    for row in rows {
        let Some(number) = row.number.clone() else {
            continue;
        };
        match first_rows.get(&number) {
            Some(first) => row.problems.push(TableProblem::new(
                row.row,
                Some(Column::Number),
                "number_repeated",
                format!("序号「{number}」与第 {first} 行重复"),
                format!("The number \"{number}\" is already given to row {first}"),
            )),
            None => {
                first_rows.insert(number, row.row);
            }
        }
    }
}

/// A problem of the table: where, and what is wrong, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct TableProblem {
    /// The spreadsheet's row (from 1), or 0 for the file as a whole.
    pub row: usize,
    /// The column, when one cell is wrong.
    pub column: Option<Column>,
    /// A stable code: `file_unreadable`, `header_missing`, `column_missing`, `column_repeated`,
    /// `table_empty`, `too_many_rows`, `number_repeated`, `organisation_empty`, `comment_empty`,
    /// `disposition_unknown`, `reason_missing`, `reason_without_disposition`, or an engine
    /// reason's code when the engine would refuse the row.
    pub code: String,
    /// What is wrong.
    pub message: LocalizedText,
}

impl TableProblem {
    fn new(row: usize, column: Option<Column>, code: &str, zh: String, en: String) -> TableProblem {
        TableProblem {
            row,
            column,
            code: code.to_string(),
            message: LocalizedText::new(zh, en),
        }
    }

    /// The problem in one sentence that says where: "第 3 行「理由」：…" or "Row 3, reason: …".
    pub fn located(&self) -> LocalizedText {
        let zh = match (self.row, self.column) {
            (0, _) => format!("文件：{}", self.message.zh),
            (row, None) => format!("第 {row} 行：{}", self.message.zh),
            (row, Some(column)) => {
                format!("第 {row} 行「{}」：{}", column.name().zh, self.message.zh)
            }
        };
        let en = match (self.row, self.column) {
            (0, _) => format!("File: {}", self.message.en),
            (row, None) => format!("Row {row}: {}", self.message.en),
            (row, Some(column)) => format!("Row {row}, {}: {}", column.name().en, self.message.en),
        };
        LocalizedText::new(zh, en)
    }
}

/// One comment of the table, as read, with its problems.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentRow {
    /// The spreadsheet's row, from 1.
    pub row: usize,
    /// The table's own number for the comment (序号), when the table has one: its id.
    pub number: Option<String>,
    /// The organisation that sent it.
    pub organisation: String,
    /// The clause, when given.
    pub clause: Option<String>,
    /// What it says.
    pub comment: String,
    /// The disposition as written, when given (kept so a preview shows what was there).
    pub disposition_text: Option<String>,
    /// The disposition, when given and known.
    pub disposition: Option<Disposition>,
    /// The reason, when given.
    pub reason: Option<String>,
    /// Everything wrong with the row.
    pub problems: Vec<TableProblem>,
}

/// A table as read: its rows and the problems of the file as a whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommentTable {
    /// The comments, in the table's order.
    pub rows: Vec<CommentRow>,
    /// Problems of the file itself (unreadable, no header, no rows…).
    pub problems: Vec<TableProblem>,
}

impl CommentTable {
    /// Reads a table from a file's bytes: XLSX when it is a ZIP archive (as XLSX files are),
    /// CSV otherwise.
    pub fn read(bytes: &[u8]) -> CommentTable {
        if bytes.starts_with(b"PK\x03\x04") {
            CommentTable::from_xlsx(bytes)
        } else {
            CommentTable::from_csv(bytes)
        }
    }

    /// Reads a CSV file in UTF-8, with or without a byte-order mark; commas separate the cells
    /// (tabs when the first line has tabs and no comma).
    pub fn from_csv(bytes: &[u8]) -> CommentTable {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                return CommentTable::unreadable(
                    "文件不是 UTF-8 编码的 CSV：请另存为「CSV UTF-8」或 XLSX".to_string(),
                    "The file is not CSV in UTF-8: save it as \"CSV UTF-8\" or as XLSX".to_string(),
                );
            }
        };
        let first_line = text.lines().next().unwrap_or_default();
        let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
            b'\t'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut cells = Vec::new();
        for record in reader.records() {
            match record {
                Ok(record) => cells.push(record.iter().map(str::to_string).collect()),
                Err(error) => {
                    let line = error.position().map_or(0, |position| position.line());
                    return CommentTable::unreadable(
                        format!("CSV 第 {line} 行无法读取：{error}"),
                        format!("CSV line {line} cannot be read: {error}"),
                    );
                }
            }
        }
        CommentTable::from_cells(cells, 1)
    }

    /// Reads the first worksheet of an XLSX file, cell by cell.
    ///
    /// The cells are streamed rather than read as one dense range: a file naming a cell a
    /// billion rows down would otherwise make the reader allocate every row above it. Rows and
    /// columns past what a comment table can hold are refused. calamine parses untrusted
    /// bytes, and fuzzing found cell references that overflow its arithmetic (a panic in a
    /// debug build): a panic inside it is an unreadable file, never a failed request.
    pub fn from_xlsx(bytes: &[u8]) -> CommentTable {
        let reading = std::panic::catch_unwind(|| xlsx_cells(bytes));
        match reading {
            Ok(Ok((cells, first_row))) => CommentTable::from_cells(cells, first_row),
            Ok(Err(table)) => table,
            Err(_) => CommentTable::unreadable(
                "XLSX 文件无法读取：文件结构有误".to_string(),
                "The XLSX file cannot be read: its structure is malformed".to_string(),
            ),
        }
    }

    /// A table that could not be read at all.
    fn unreadable(zh: String, en: String) -> CommentTable {
        CommentTable {
            rows: Vec::new(),
            problems: vec![TableProblem::new(0, None, "file_unreadable", zh, en)],
        }
    }

    /// Reads rows of cells, the first of which is the sheet's row `first_row`.
    fn from_cells(cells: Vec<Vec<String>>, first_row: usize) -> CommentTable {
        let mut table = CommentTable::default();
        let header = cells
            .iter()
            .take(HEADER_SEARCH_ROWS)
            .enumerate()
            .find_map(|(index, row)| {
                let columns: Vec<Option<Column>> =
                    row.iter().map(|cell| Column::of_header(cell)).collect();
                columns
                    .contains(&Some(Column::Comment))
                    .then_some((index, columns))
            });
        let Some((header_index, columns)) = header else {
            table.problems.push(TableProblem::new(
                0,
                None,
                "header_missing",
                "找不到表头：表头行应有「提出单位」和「意见内容」两列（可另有「章条」「处理意见」「理由」）".to_string(),
                "No header row found: it needs the columns organisation and comment (and may have clause, disposition and reason)".to_string(),
            ));
            return table;
        };
        let header_row = first_row + header_index;
        let mut positions: Vec<(Column, usize)> = Vec::new();
        for (position, column) in columns.iter().enumerate() {
            let Some(column) = *column else { continue };
            if positions.iter().any(|(seen, _)| *seen == column) {
                let name = column.name();
                table.problems.push(TableProblem::new(
                    header_row,
                    Some(column),
                    "column_repeated",
                    format!("表头中「{}」列出现了不止一次", name.zh),
                    format!("The header has more than one {} column", name.en),
                ));
                continue;
            }
            positions.push((column, position));
        }
        for column in Column::ALL {
            if column.required() && !positions.iter().any(|(seen, _)| *seen == column) {
                let name = column.name();
                table.problems.push(TableProblem::new(
                    header_row,
                    Some(column),
                    "column_missing",
                    format!("表头缺少「{}」列", name.zh),
                    format!("The header has no {} column", name.en),
                ));
            }
        }
        if !table.problems.is_empty() {
            return table;
        }
        let cell = |row: &[String], column: Column| -> Option<String> {
            let position = positions
                .iter()
                .find(|(seen, _)| *seen == column)
                .map(|(_, position)| *position)?;
            row.get(position)
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
        };
        for (index, row) in cells.iter().enumerate().skip(header_index + 1) {
            if row.iter().all(|text| text.trim().is_empty()) {
                continue;
            }
            let mut read = CommentRow::read(
                first_row + index,
                cell(row, Column::Organisation),
                cell(row, Column::Clause),
                cell(row, Column::Comment),
                cell(row, Column::Disposition),
                cell(row, Column::Reason),
            );
            read.number = cell(row, Column::Number).map(|number| number_of(&number));
            table.rows.push(read);
        }
        refuse_repeated_numbers(&mut table.rows);
        if table.rows.is_empty() {
            table.problems.push(TableProblem::new(
                0,
                None,
                "table_empty",
                "表中没有意见".to_string(),
                "The table holds no comment".to_string(),
            ));
        } else if table.rows.len() > MAX_ROWS {
            table.problems.push(TableProblem::new(
                0,
                None,
                "too_many_rows",
                format!(
                    "表中有 {} 条意见，一次最多导入 {MAX_ROWS} 条：请分成几个文件",
                    table.rows.len()
                ),
                format!(
                    "The table holds {} comments; at most {MAX_ROWS} are imported at once: split it into several files",
                    table.rows.len()
                ),
            ));
        }
        table
    }

    /// Every problem: the file's, then each row's in order.
    pub fn all_problems(&self) -> impl Iterator<Item = &TableProblem> {
        self.problems
            .iter()
            .chain(self.rows.iter().flat_map(|row| &row.problems))
    }

    /// Whether nothing is wrong with the table.
    pub fn is_clean(&self) -> bool {
        self.all_problems().next().is_none()
    }
}

/// The most rows from the top of a worksheet a comment table may reach: the most comments, a
/// title and header above them, and room for blank rows between.
const MAX_XLSX_ROWS: u32 = (MAX_ROWS as u32) * 2 + 100;

/// The most columns a comment table may use; real ones have fewer than a dozen.
const MAX_XLSX_COLUMNS: u32 = 100;

/// The first worksheet's cells as rows of text, and the sheet's number of the first row (from
/// 1); rows start at the leftmost used column, so positions agree across rows.
fn xlsx_cells(bytes: &[u8]) -> Result<(Vec<Vec<String>>, usize), CommentTable> {
    use calamine::{Reader, Xlsx};
    let unreadable = |error: &dyn std::fmt::Display| {
        CommentTable::unreadable(
            format!("XLSX 文件无法读取：{error}"),
            format!("The XLSX file cannot be read: {error}"),
        )
    };
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|error| unreadable(&error))?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(CommentTable::unreadable(
            "XLSX 文件没有工作表".to_string(),
            "The XLSX file has no worksheet".to_string(),
        ));
    };
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|error| unreadable(&error))?;
    let mut found: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    while let Some(cell) = reader.next_cell().map_err(|error| unreadable(&error))? {
        let (row, column) = cell.get_position();
        if row >= MAX_XLSX_ROWS || column >= MAX_XLSX_COLUMNS {
            return Err(CommentTable::unreadable(
                format!(
                    "工作表过大：意见表最多 {MAX_XLSX_ROWS} 行、{MAX_XLSX_COLUMNS} 列，而第 {} 行第 {} 列有内容",
                    row + 1,
                    column + 1
                ),
                format!(
                    "The worksheet is too large: a comment table has at most {MAX_XLSX_ROWS} rows and {MAX_XLSX_COLUMNS} columns, but row {}, column {} has content",
                    row + 1,
                    column + 1
                ),
            ));
        }
        let text = calamine::Data::from(cell.get_value().clone()).to_string();
        if !text.is_empty() {
            found.entry(row).or_default().push((column, text));
        }
    }
    let (Some(&first), Some(&last)) = (found.keys().next(), found.keys().next_back()) else {
        return Ok((Vec::new(), 1));
    };
    let left = found
        .values()
        .flatten()
        .map(|(column, _)| *column)
        .min()
        .unwrap_or(0);
    let rows = (first..=last)
        .map(|row| {
            let mut cells = Vec::new();
            for (column, text) in found.remove(&row).unwrap_or_default() {
                let position = (column - left) as usize;
                if cells.len() <= position {
                    cells.resize(position + 1, String::new());
                }
                cells[position] = text;
            }
            cells
        })
        .collect();
    Ok((rows, first as usize + 1))
}

impl CommentRow {
    /// A row from its cells, with everything wrong in it.
    fn read(
        row: usize,
        organisation: Option<String>,
        clause: Option<String>,
        comment: Option<String>,
        disposition_text: Option<String>,
        reason: Option<String>,
    ) -> CommentRow {
        let mut problems = Vec::new();
        if organisation.is_none() {
            problems.push(TableProblem::new(
                row,
                Some(Column::Organisation),
                "organisation_empty",
                "未填写提出意见的单位".to_string(),
                "The organisation that sent the comment is empty".to_string(),
            ));
        }
        if comment.is_none() {
            problems.push(TableProblem::new(
                row,
                Some(Column::Comment),
                "comment_empty",
                "意见内容为空".to_string(),
                "The comment is empty".to_string(),
            ));
        }
        let disposition = disposition_text.as_deref().and_then(disposition_of);
        match (&disposition_text, disposition) {
            (Some(text), None) => problems.push(TableProblem::new(
                row,
                Some(Column::Disposition),
                "disposition_unknown",
                format!("处理意见「{text}」无法识别：应为采纳、部分采纳或不采纳"),
                format!(
                    "The disposition \"{text}\" is not known: it must be accepted, partly_accepted or not_accepted (采纳, 部分采纳, 不采纳)"
                ),
            )),
            (_, Some(Disposition::NotAccepted)) if reason.is_none() => {
                problems.push(TableProblem::new(
                    row,
                    Some(Column::Reason),
                    "reason_missing",
                    "不采纳的意见须说明理由".to_string(),
                    "A comment not accepted needs a reason".to_string(),
                ));
            }
            (None, _) if reason.is_some() => problems.push(TableProblem::new(
                row,
                Some(Column::Reason),
                "reason_without_disposition",
                "填写了理由但没有处理意见：理由只随处理意见记录".to_string(),
                "A reason is given without a disposition: a reason is recorded only with a disposition"
                    .to_string(),
            )),
            _ => {}
        }
        CommentRow {
            row,
            number: None,
            organisation: organisation.unwrap_or_default(),
            clause,
            comment: comment.unwrap_or_default(),
            disposition_text,
            disposition,
            reason,
            problems,
        }
    }

    /// The commands that record this row under `comment_id`: the comment, then its disposition
    /// when one is given.
    pub fn commands(&self, comment_id: &str) -> Vec<Command> {
        let mut commands = vec![Command::RecordComment(Comment {
            comment_id: comment_id.to_string(),
            organisation: self.organisation.clone(),
            clause: self.clause.clone(),
            text: self.comment.clone(),
        })];
        if let Some(disposition) = self.disposition {
            commands.push(Command::DisposeComment {
                comment_id: comment_id.to_string(),
                disposition,
                reason: self.reason.clone(),
            });
        }
        commands
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn codes(table: &CommentTable) -> Vec<(usize, String)> {
        table
            .all_problems()
            .map(|problem| (problem.row, problem.code.clone()))
            .collect()
    }

    #[test]
    fn a_chinese_table_with_a_title_and_a_bom_is_read_row_by_row() {
        let csv = "\u{feff}电子汽车衡检定规程 意见汇总处理表,,,,,\n\
                   序号,章条编号,意见内容,提出单位,处理意见,理由\n\
                   1,5.2,最大允许误差的表述应与OIML R76一致。,中国计量科学研究院,采纳,\n\
                   2,6.3.1,\"偏载试验的加载位置\n建议增加示意图。\",梅特勒-托利多,部分采纳,增加示意图\n\
                   ,,,,,\n\
                   3,7.1,检定周期建议由1年延长至2年。,上海大和衡器,不采纳,属强制检定\n\
                   4,,术语应统一。,同济大学,,\n";
        let table = CommentTable::read(csv.as_bytes());
        assert!(table.is_clean(), "{:?}", codes(&table));
        assert_eq!(table.rows.len(), 4);
        let rows: Vec<usize> = table.rows.iter().map(|row| row.row).collect();
        assert_eq!(
            rows,
            [3, 4, 6, 7],
            "the sheet's row numbers, blank rows skipped"
        );
        assert_eq!(
            table.rows[1].comment,
            "偏载试验的加载位置\n建议增加示意图。"
        );
        assert_eq!(table.rows[1].disposition, Some(Disposition::PartlyAccepted));
        assert_eq!(table.rows[3].clause, None);
        assert_eq!(table.rows[3].disposition, None);
        let commands = table.rows[2].commands("C-3");
        assert_eq!(commands.len(), 2);
        assert!(matches!(
            &commands[1],
            Command::DisposeComment { disposition: Disposition::NotAccepted, reason: Some(reason), .. } if reason == "属强制检定"
        ));
        assert_eq!(table.rows[3].commands("C-4").len(), 1);
    }

    #[test]
    fn english_headers_and_codes_are_read_too() {
        let csv = "Organisation,Clause,Comment,Disposition,Reason\n\
                   NIM,5.2,Align with OIML R76,accepted,\n\
                   Mettler,6.3,Add a figure,Partly Accepted,\n\
                   Tongji,7.1,Two years,not_accepted,mandatory\n";
        let table = CommentTable::read(csv.as_bytes());
        assert!(table.is_clean(), "{:?}", codes(&table));
        let dispositions: Vec<_> = table.rows.iter().map(|row| row.disposition).collect();
        assert_eq!(
            dispositions,
            [
                Some(Disposition::Accepted),
                Some(Disposition::PartlyAccepted),
                Some(Disposition::NotAccepted)
            ]
        );
        let bilingual =
            CommentTable::read("单位 / Organisation,意见 / Comment\nNIM,ok\n".as_bytes());
        assert!(bilingual.is_clean(), "{:?}", codes(&bilingual));
    }

    #[test]
    fn every_row_problem_is_reported_with_its_row_and_column() {
        let csv = "机构,条款,意见,处理结果,理由\n\
                   中国计量科学研究院,5.2,,采纳,\n\
                   ,6.1,应增加示意图,同意,\n\
                   梅特勒-托利多,7.1,周期延长,不采纳,\n\
                   同济大学,8,术语,,仅有理由\n\
                   复旦大学,9,好,未采纳,不符合法规\n";
        let table = CommentTable::read(csv.as_bytes());
        assert_eq!(
            codes(&table),
            [
                (2, "comment_empty".to_string()),
                (3, "organisation_empty".to_string()),
                (3, "disposition_unknown".to_string()),
                (4, "reason_missing".to_string()),
                (5, "reason_without_disposition".to_string()),
            ]
        );
        let missing_reason = &table.rows[2].problems[0];
        assert_eq!(missing_reason.column, Some(Column::Reason));
        assert_eq!(
            missing_reason.located().en,
            "Row 4, reason: A comment not accepted needs a reason"
        );
        assert_eq!(
            missing_reason.located().zh,
            "第 4 行「理由」：不采纳的意见须说明理由"
        );
        assert!(table.rows[4].problems.is_empty());
    }

    #[test]
    fn files_that_cannot_be_read_say_why() {
        let gbk = b"\xbb\xfa\xb9\xb9,\xd2\xe2\xbc\xfb\n";
        assert_eq!(
            codes(&CommentTable::read(gbk)),
            [(0, "file_unreadable".to_string())]
        );
        assert_eq!(
            codes(&CommentTable::read(b"a,b,c\n1,2,3\n")),
            [(0, "header_missing".to_string())]
        );
        assert_eq!(
            codes(&CommentTable::read("条款,意见\n5.2,好\n".as_bytes())),
            [(1, "column_missing".to_string())]
        );
        assert_eq!(
            codes(&CommentTable::read("单位,意见,意见内容\n".as_bytes())),
            [(1, "column_repeated".to_string())]
        );
        assert_eq!(
            codes(&CommentTable::read("单位,意见\n,\n".as_bytes())),
            [(0, "table_empty".to_string())]
        );
        assert_eq!(
            codes(&CommentTable::read(b"PK\x03\x04 not really a workbook")),
            [(0, "file_unreadable".to_string())]
        );
        let mut long = String::from("单位,意见\n");
        for number in 0..=MAX_ROWS {
            long.push_str(&format!("单位{number},意见{number}\n"));
        }
        assert_eq!(
            codes(&CommentTable::read(long.as_bytes())),
            [(0, "too_many_rows".to_string())]
        );
    }
}
