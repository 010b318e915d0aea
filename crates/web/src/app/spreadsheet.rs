//! Tables for spreadsheets, written in one place: a table is its title, headers in the reader's
//! language and typed cells (text, a whole number, a local date, a local date and time), and it
//! leaves as an Excel workbook or as CSV for Excel.
//!
//! The overdue board, project lists, a project's audit log and every report table go through
//! here, and both faces answer with [`download`], so an export reads the same from the API, the
//! pages and the command line.
//!
//! A workbook keeps dates as real date cells with a number format (`yyyy-mm-dd`, and
//! `yyyy-mm-dd hh:mm` for instants in local time), sets each column's width from what it holds,
//! freezes the header row and turns filters on. CSV starts with a UTF-8 byte-order mark, which is
//! how Excel (a Chinese Windows's above all) knows the file is UTF-8, writes dates as local
//! dates, and guards texts a spreadsheet would run as formulas.

use crate::app::problem::Problem;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use specflow_engine::report::{ReportTable, TableCell};

/// The media type of an Excel workbook.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The media type of the CSV exports.
pub const CSV_MEDIA_TYPE: &str = "text/csv; charset=utf-8; header=present";

/// The UTF-8 byte-order mark that starts every CSV export.
pub const BYTE_ORDER_MARK: &str = "\u{feff}";

/// The most rows an export that is built whole (every workbook, and CSV other than the board's
/// streamed one) holds: a workbook is written in memory, and a longer list is one to narrow with
/// filters first (Excel itself stops at 1,048,576 rows).
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// The narrowest and widest a column is set, in Excel's character widths.
const COLUMN_WIDTHS: (f64, f64) = (6.0, 60.0);

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text (a blank cell when empty).
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A local date.
    Date(NaiveDate),
    /// A local date and time (an instant in the definition's zone).
    DateTime(NaiveDateTime),
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// A date, or a blank cell.
    pub fn day(day: Option<NaiveDate>) -> Cell {
        day.map_or_else(|| Cell::text(""), Cell::Date)
    }

    /// How the cell reads in CSV and how wide it is shown.
    fn display(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Integer(number) => number.to_string(),
            Cell::Date(day) => day.format("%Y-%m-%d").to_string(),
            Cell::DateTime(at) => at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

impl From<TableCell> for Cell {
    fn from(cell: TableCell) -> Cell {
        match cell {
            TableCell::Text(text) => Cell::Text(text),
            TableCell::Number(number) => Cell::Integer(number),
            TableCell::Date(day) => Cell::Date(day),
        }
    }
}

/// A table: a title (the sheet's name), headers and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// What the table is, in the reader's language; the worksheet is named after it.
    pub title: String,
    /// The column headers, in the reader's language.
    pub headers: Vec<String>,
    /// The rows, each as long as the headers.
    pub rows: Vec<Vec<Cell>>,
}

impl From<ReportTable> for Table {
    fn from(table: ReportTable) -> Table {
        Table {
            title: table.title,
            headers: table.headers,
            rows: table
                .rows
                .into_iter()
                .map(|row| row.into_iter().map(Cell::from).collect())
                .collect(),
        }
    }
}

/// The spreadsheet formats an export is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// CSV with a byte-order mark, for Excel.
    Csv,
    /// An Excel workbook (`.xlsx`).
    Xlsx,
}

impl SheetFormat {
    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        }
    }

    /// The spreadsheet format a request asks for: its `format` parameter when given (`csv`,
    /// `xlsx`; any of `others`, such as `json`, is `None`), else its `Accept` header naming a
    /// workbook or CSV; `None` means the route's own format.
    pub fn requested(
        format: Option<&str>,
        headers: &HeaderMap,
        others: &[&str],
    ) -> Result<Option<SheetFormat>, Problem> {
        match format.map(str::trim) {
            Some("csv") => Ok(Some(SheetFormat::Csv)),
            Some("xlsx") => Ok(Some(SheetFormat::Xlsx)),
            Some(other) if others.contains(&other) => Ok(None),
            Some(other) => {
                let names = [others, &["csv", "xlsx"]].concat().join(", ");
                Err(Problem::invalid(
                    "format",
                    format!("format 应为 {names} 之一，收到 {other}"),
                    format!("format must be one of {names}, not {other}"),
                ))
            }
            None => Ok(SheetFormat::accepted(headers)),
        }
    }

    /// A workbook or CSV when `Accept` names one.
    pub fn accepted(headers: &HeaderMap) -> Option<SheetFormat> {
        let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
        accept
            .split(',')
            .find_map(|item| match item.split(';').next().map(str::trim) {
                Some(XLSX_MEDIA_TYPE) => Some(SheetFormat::Xlsx),
                Some("text/csv") => Some(SheetFormat::Csv),
                _ => None,
            })
    }
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SpreadsheetError {
    /// The writer refused a value or a layout (a fault of specflow's).
    #[error("the workbook could not be written: {0}")]
    Workbook(#[from] XlsxError),
}

impl From<SpreadsheetError> for Problem {
    fn from(error: SpreadsheetError) -> Problem {
        tracing::error!(%error, "an export could not be written");
        Problem::new(
            crate::app::problem::ProblemKind::Internal,
            "导出文件未能生成",
            "The export could not be written",
        )
    }
}

/// The tables as an Excel workbook, one worksheet each.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, SpreadsheetError> {
    let mut workbook = Workbook::new();
    let formats = CellFormats::new();
    let mut names: Vec<String> = Vec::new();
    for table in tables {
        let name = sheet_name(&table.title, &names);
        let sheet = workbook.add_worksheet();
        sheet.set_name(&name)?;
        names.push(name);
        write_sheet(sheet, table, &formats)?;
    }
    if tables.is_empty() {
        workbook.add_worksheet();
    }
    Ok(workbook.save_to_buffer()?)
}

/// The formats cells are written with.
struct CellFormats {
    header: Format,
    date: Format,
    date_time: Format,
    text: Format,
}

impl CellFormats {
    fn new() -> CellFormats {
        CellFormats {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            // Line breaks in a cell (a report's several reasons) show as lines.
            text: Format::new().set_text_wrap(),
        }
    }
}

fn write_sheet(
    sheet: &mut Worksheet,
    table: &Table,
    formats: &CellFormats,
) -> Result<(), SpreadsheetError> {
    for (column, title) in (0u16..).zip(&table.headers) {
        sheet.write_string_with_format(0, column, title, &formats.header)?;
    }
    for (row, cells) in (1u32..).zip(&table.rows) {
        for (column, cell) in (0u16..).zip(cells) {
            write_cell(sheet, row, column, cell, formats)?;
        }
    }
    for (column, width) in (0u16..).zip(column_widths(table)) {
        sheet.set_column_width(column, width)?;
    }
    // The header row stays in view, and each column can be filtered and sorted in place.
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
    let last_column = u16::try_from(table.headers.len().saturating_sub(1)).unwrap_or(u16::MAX);
    sheet.autofilter(0, 0, last_row, last_column)?;
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    formats: &CellFormats,
) -> Result<(), SpreadsheetError> {
    match cell {
        Cell::Text(text) if text.is_empty() => {}
        Cell::Text(text) if text.contains('\n') => {
            sheet.write_string_with_format(row, column, text, &formats.text)?;
        }
        // Written as a string, never a formula, so a text starting with `=` stays text.
        Cell::Text(text) => {
            sheet.write_string(row, column, text)?;
        }
        // Counts and days are far below 2^53, where a spreadsheet's numbers stop being exact.
        #[allow(clippy::cast_precision_loss)]
        Cell::Integer(number) => {
            sheet.write_number(row, column, *number as f64)?;
        }
        Cell::Date(day) => {
            sheet.write_datetime_with_format(row, column, excel_date(*day)?, &formats.date)?;
        }
        Cell::DateTime(at) => {
            let when = excel_date(at.date())?.and_hms(
                u16::try_from(at.hour()).unwrap_or(0),
                u8::try_from(at.minute()).unwrap_or(0),
                at.second(),
            )?;
            sheet.write_datetime_with_format(row, column, when, &formats.date_time)?;
        }
    }
    Ok(())
}

/// A date as Excel counts it (years 1900 to 9999, which is every date specflow keeps).
fn excel_date(day: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).unwrap_or(0),
        u8::try_from(day.month()).unwrap_or(0),
        u8::try_from(day.day()).unwrap_or(0),
    )
}

/// Each column's width: its widest line (a Chinese character counts two), within bounds.
fn column_widths(table: &Table) -> Vec<f64> {
    (0..table.headers.len())
        .map(|column| {
            let header = table.headers.get(column).map_or(0, |text| text_width(text));
            let widest = table
                .rows
                .iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.display().lines().map(text_width).max().unwrap_or(0))
                .fold(header, usize::max);
            // Widths are a few dozen characters at most, exactly held by an f64.
            #[allow(clippy::cast_precision_loss)]
            let width = widest as f64 + 2.0;
            width.clamp(COLUMN_WIDTHS.0, COLUMN_WIDTHS.1)
        })
        .collect()
}

/// How many of Excel's character widths a text takes: East Asian characters take two.
fn text_width(text: &str) -> usize {
    text.chars()
        .map(|character| if u32::from(character) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// A worksheet's name from a title: at most 31 characters, none of `[]:*?/\`, and unlike the
/// names before it.
fn sheet_name(title: &str, taken: &[String]) -> String {
    let cleaned: String = title
        .chars()
        .map(|character| {
            if "[]:*?/\\".contains(character) {
                ' '
            } else {
                character
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_string();
    let base = if cleaned.is_empty() {
        "Sheet".to_string()
    } else {
        cleaned
    };
    let mut number = 1;
    loop {
        let suffix = if number == 1 {
            String::new()
        } else {
            format!(" ({number})")
        };
        let keep = 31 - suffix.chars().count();
        let name: String = base.chars().take(keep).collect::<String>() + &suffix;
        if !taken
            .iter()
            .any(|other| other.to_lowercase() == name.to_lowercase())
        {
            return name;
        }
        number += 1;
    }
}

/// The CSV's first line: the byte-order mark and the headers.
pub fn csv_header(headers: &[String]) -> String {
    let cells: Vec<Cell> = headers
        .iter()
        .map(|text| Cell::text(text.clone()))
        .collect();
    format!("{BYTE_ORDER_MARK}{}", csv_line(&cells))
}

/// One CSV line, ended by CRLF as RFC 4180 says.
pub fn csv_line(cells: &[Cell]) -> String {
    let fields: Vec<String> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(text) => csv_field(text),
            other => other.display(),
        })
        .collect();
    format!("{}\r\n", fields.join(","))
}

/// One text field: quoted when it holds a separator, a quote or a line break; a text that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The tables as one CSV text: a single table as it is; several (a report's) one after another,
/// each under a line with its title and after a blank line.
pub fn csv(tables: &[Table]) -> String {
    let mut out = String::from(BYTE_ORDER_MARK);
    let titled = tables.len() > 1;
    for (index, table) in tables.iter().enumerate() {
        if titled {
            if index > 0 {
                out.push_str("\r\n");
            }
            out.push_str(&csv_line(&[Cell::text(table.title.clone())]));
        }
        let headers: Vec<Cell> = table
            .headers
            .iter()
            .map(|text| Cell::text(text.clone()))
            .collect();
        out.push_str(&csv_line(&headers));
        for row in &table.rows {
            out.push_str(&csv_line(row));
        }
    }
    out
}

/// An export answered as a download: the tables in `format`, named `file_stem` and the format's
/// extension.
pub fn download(
    format: SheetFormat,
    file_stem: &str,
    tables: &[Table],
) -> Result<Response, Problem> {
    let body = match format {
        SheetFormat::Csv => csv(tables).into_bytes(),
        SheetFormat::Xlsx => xlsx(tables)?,
    };
    Ok(attachment(body.into_response(), format, file_stem))
}

/// Sets a download's type and its file name (an ASCII name for old clients, and the name in
/// UTF-8 as RFC 6266 allows, as codes hold characters such as `沪`).
pub fn attachment(mut response: Response, format: SheetFormat, file_stem: &str) -> Response {
    let content_type = match format {
        SheetFormat::Csv => CSV_MEDIA_TYPE,
        SheetFormat::Xlsx => XLSX_MEDIA_TYPE,
    };
    let extension = format.extension();
    let ascii: String = file_stem
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || "-_.()".contains(character) {
                character
            } else {
                '_'
            }
        })
        .collect();
    let file_name = format!("{file_stem}.{extension}");
    let encoded =
        percent_encoding::utf8_percent_encode(&file_name, percent_encoding::NON_ALPHANUMERIC);
    let disposition =
        format!("attachment; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{encoded}");
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Refuses an export longer than [`MAX_EXPORT_ROWS`].
pub fn check_rows(rows: usize) -> Result<(), Problem> {
    if rows > MAX_EXPORT_ROWS {
        Err(Problem::invalid(
            "format",
            format!("导出最多 {MAX_EXPORT_ROWS} 行，此选择有更多行：请先筛选"),
            format!(
                "An export holds at most {MAX_EXPORT_ROWS} rows and this selection has more: filter it first"
            ),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_clean_and_distinct() {
        let first = sheet_name("七、逾期情况 各月逾期项目数: a/b", &[]);
        assert!(!first.contains([':', '/']));
        let long = "x".repeat(40);
        let one = sheet_name(&long, &[]);
        let two = sheet_name(&long, std::slice::from_ref(&one));
        assert_eq!(one.chars().count(), 31);
        assert_eq!(two.chars().count(), 31);
        assert_ne!(one, two);
    }

    #[test]
    fn csv_guards_formulas_and_quotes() {
        let line = csv_line(&[
            Cell::text("=1+1"),
            Cell::text("a,b"),
            Cell::Integer(3),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()),
        ]);
        assert_eq!(line, "'=1+1,\"a,b\",3,2026-03-01\r\n");
    }
}
