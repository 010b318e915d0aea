//! A report's tables as plain data, for spreadsheets: each table's title, its headers in the
//! reader's language and typed cells (text, a whole number, a local date), laid out by the same
//! `document::layout` the Markdown and HTML renderers draw, so an export holds exactly the tables
//! a reader sees.
//!
//! Links have no place in a cell of a spreadsheet: a project is its code, records are their
//! sequences (`#3 #7`), several lines are one text with line breaks.

use super::Report;
use super::document::{Cell, layout};
use crate::text::Language;
use chrono::NaiveDate;

/// One cell of a report's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableCell {
    /// Text, perhaps empty.
    Text(String),
    /// A whole number: a count or a number of days.
    Number(i64),
    /// A local date in the definition's zone.
    Date(NaiveDate),
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTable {
    /// Its stable snake_case id, one of [`TABLE_IDS`](super::TABLE_IDS), the same in every
    /// language and period: what a link to this one table names.
    pub id: &'static str,
    /// The section's heading, with the table's caption when it has one.
    pub title: String,
    /// The column headers, in the reader's language.
    pub headers: Vec<String>,
    /// The rows, each as long as the headers.
    pub rows: Vec<Vec<TableCell>>,
}

/// Every table of the report in `language`, in the order the report shows them.
pub fn tables(report: &Report, language: Language) -> Vec<ReportTable> {
    let document = layout(report, language);
    let mut tables = Vec::new();
    for section in document.sections {
        for table in section.tables {
            let title = match &table.caption {
                Some(caption) => format!("{} {caption}", section.heading),
                None => section.heading.clone(),
            };
            tables.push(ReportTable {
                id: table.id,
                title,
                headers: table.headers,
                rows: table
                    .rows
                    .into_iter()
                    .map(|row| row.into_iter().map(plain).collect())
                    .collect(),
            });
        }
    }
    tables
}

fn plain(cell: Cell) -> TableCell {
    match cell {
        Cell::Text(text) => TableCell::Text(text),
        Cell::Number(number) => TableCell::Number(number),
        Cell::Date(day) => TableCell::Date(day),
        Cell::Lines(lines) => TableCell::Text(lines.join("\n")),
        Cell::Project { code, .. } => TableCell::Text(code),
        Cell::Records {
            sequences, mark, ..
        } => {
            let mut text = sequences
                .iter()
                .map(|sequence| format!("#{sequence}"))
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(mark) = mark {
                text = format!("{text} {mark}");
            }
            TableCell::Text(text)
        }
    }
}
