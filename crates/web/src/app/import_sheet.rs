//! Reading the spreadsheet a bureau imports its projects from: the cells of an XLSX file's first
//! worksheet or of a CSV file, as text, each row with the number the spreadsheet shows.
//!
//! XLSX is read with `calamine` (as the comment tables are), cell by cell, so a file naming a
//! cell a million rows down is refused rather than allocated; a date cell becomes `YYYY-MM-DD`,
//! the one spelling [`parse_date`] reads, so that a date typed as text and a date Excel keeps as a
//! number read alike. CSV is read with the `csv` crate, in UTF-8 with or without a byte-order
//! mark (Excel writes one when it saves "CSV UTF-8").

use specflow_engine::LocalizedText;
use std::collections::BTreeMap;

/// The most rows of projects a file may hold, each created by one command.
pub const MAX_ROWS: u32 = 1000;

/// The most columns read; the template has fifteen.
const MAX_COLUMNS: u32 = 100;

/// A worksheet as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// The worksheet's name (for a CSV file, the file's name).
    pub name: String,
    /// Its rows that hold anything, in order.
    pub rows: Vec<SheetRow>,
}

/// One row of a worksheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The row's number as the spreadsheet shows it (from 1).
    pub number: u32,
    /// Its cells from the first column, trimmed.
    pub cells: Vec<String>,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// A CSV file in another encoding than UTF-8 (as Excel's plain "CSV" is on Chinese Windows).
    #[error("the file is not CSV in UTF-8")]
    NotUtf8,
    /// A CSV line the reader could not read.
    #[error("CSV line {line} cannot be read: {message}")]
    Csv {
        /// The line.
        line: u64,
        /// What the reader said.
        message: String,
    },
    /// An XLSX file the reader could not read (or whose structure made it fail).
    #[error("the XLSX file cannot be read: {0}")]
    Xlsx(String),
    /// An XLSX file without a worksheet.
    #[error("the XLSX file has no worksheet")]
    NoWorksheet,
    /// A cell past the rows or columns an import reads.
    #[error("row {row}, column {column} is past what an import reads")]
    TooLarge {
        /// The cell's row (from 1).
        row: u32,
        /// The cell's column (from 1).
        column: u32,
    },
}

impl SheetError {
    /// What is wrong, for people, in both languages.
    pub fn message(&self) -> LocalizedText {
        match self {
            SheetError::NotUtf8 => LocalizedText::new(
                "文件不是 UTF-8 编码的 CSV：请另存为「CSV UTF-8」或 XLSX",
                "The file is not CSV in UTF-8: save it as \"CSV UTF-8\" or as XLSX",
            ),
            SheetError::Csv { line, message } => LocalizedText::new(
                format!("CSV 第 {line} 行无法读取：{message}"),
                format!("CSV line {line} cannot be read: {message}"),
            ),
            SheetError::Xlsx(message) => LocalizedText::new(
                format!("XLSX 文件无法读取：{message}"),
                format!("The XLSX file cannot be read: {message}"),
            ),
            SheetError::NoWorksheet => {
                LocalizedText::new("XLSX 文件没有工作表", "The XLSX file has no worksheet")
            }
            SheetError::TooLarge { row, column } => LocalizedText::new(
                format!(
                    "工作表过大：最多读取 {} 行、{MAX_COLUMNS} 列，而第 {row} 行第 {column} 列有内容",
                    MAX_ROWS + 10
                ),
                format!(
                    "The worksheet is too large: an import reads at most {} rows and {MAX_COLUMNS} columns, but row {row}, column {column} has content",
                    MAX_ROWS + 10
                ),
            ),
        }
    }
}

/// Reads a file: XLSX when it is a ZIP archive (as XLSX files are), CSV otherwise.
pub fn read_sheet(bytes: &[u8], file_name: &str) -> Result<Sheet, SheetError> {
    if bytes.starts_with(b"PK\x03\x04") {
        // calamine parses untrusted bytes, and fuzzing found cell references that overflow its
        // arithmetic: a panic inside it is an unreadable file, never a failed request.
        std::panic::catch_unwind(|| read_xlsx(bytes))
            .unwrap_or_else(|_| Err(SheetError::Xlsx("its structure is malformed".to_string())))
    } else {
        read_csv(bytes, file_name)
    }
}

fn read_csv(bytes: &[u8], file_name: &str) -> Result<Sheet, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| SheetError::NotUtf8)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| SheetError::Csv {
            line: error.position().map_or(0, |position| position.line()),
            message: error.to_string(),
        })?;
        let line = record.position().map_or(0, |position| position.line());
        let number = u32::try_from(line).unwrap_or(u32::MAX);
        if number > MAX_ROWS + 10 || record.len() > MAX_COLUMNS as usize {
            let column = u32::try_from(record.len()).unwrap_or(u32::MAX);
            return Err(SheetError::TooLarge {
                row: number,
                column,
            });
        }
        let cells: Vec<String> = record.iter().map(|cell| cell.trim().to_string()).collect();
        if cells.iter().any(|cell| !cell.is_empty()) {
            rows.push(SheetRow { number, cells });
        }
    }
    Ok(Sheet {
        name: file_name.to_string(),
        rows,
    })
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, SheetError> {
    use calamine::{Reader, Xlsx};
    let unreadable = |error: &dyn std::fmt::Display| SheetError::Xlsx(error.to_string());
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|error| unreadable(&error))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoWorksheet)?;
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|error| unreadable(&error))?;
    let mut found: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|error| unreadable(&error))? {
        let (row, column) = cell.get_position();
        if row >= MAX_ROWS + 10 || column >= MAX_COLUMNS {
            return Err(SheetError::TooLarge {
                row: row.saturating_add(1),
                column: column.saturating_add(1),
            });
        }
        let text = cell_text(cell.get_value());
        if !text.is_empty() {
            found.entry(row).or_default().push((column, text));
        }
    }
    drop(reader);
    let rows = found
        .into_iter()
        .map(|(row, cells)| SheetRow {
            number: row + 1,
            cells: placed(cells),
        })
        .collect();
    Ok(Sheet { name, rows })
}

/// A cell as text: a date cell as `YYYY-MM-DD`, everything else as calamine writes it.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    match value {
        calamine::DataRef::DateTime(date) => {
            let (year, month, day, ..) = date.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        other => calamine::Data::from(other.clone())
            .to_string()
            .trim()
            .to_string(),
    }
}

/// A row's cells at their columns, from column A.
fn placed(cells: Vec<(u32, String)>) -> Vec<String> {
    let mut row = Vec::new();
    for (column, text) in cells {
        let position = column as usize;
        if row.len() <= position {
            row.resize(position + 1, String::new());
        }
        row[position] = text;
    }
    row
}

/// A date written as `YYYY-MM-DD` or `YYYY/MM/DD` (a time after it, as some spreadsheets add to
/// a date, is ignored when it is midnight).
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    let date = text
        .strip_suffix(" 00:00:00")
        .or_else(|| text.strip_suffix("T00:00:00"))
        .unwrap_or(text);
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|format| chrono::NaiveDate::parse_from_str(date, format).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_csv_with_a_byte_order_mark_is_read_row_by_row_with_blank_rows_skipped() {
        let sheet = read_sheet(
            "\u{feff}编号,名称\nA-1, 甲 \n,\nA-2,乙\n".as_bytes(),
            "p.csv",
        )
        .unwrap();
        assert_eq!(sheet.name, "p.csv");
        let numbers: Vec<u32> = sheet.rows.iter().map(|row| row.number).collect();
        assert_eq!(numbers, vec![1, 2, 4]);
        assert_eq!(sheet.rows[1].cells, vec!["A-1", "甲"]);
    }

    #[test]
    fn dates_are_read_with_dashes_or_slashes_and_nothing_else() {
        let expected = chrono::NaiveDate::from_ymd_opt(2024, 3, 1);
        assert_eq!(parse_date("2024-03-01"), expected);
        assert_eq!(parse_date("2024/3/1"), expected);
        assert_eq!(parse_date("2024-03-01 00:00:00"), expected);
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("01/03/2024"), None);
    }

    #[test]
    fn a_file_in_another_encoding_is_refused_with_a_reason() {
        let error = read_sheet(b"\xb1\xe0\xba\xc5,x\n", "gbk.csv").unwrap_err();
        assert_eq!(error, SheetError::NotUtf8);
        assert!(error.message().zh.contains("UTF-8"));
    }
}
