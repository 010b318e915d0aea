//! The report as Markdown: headings, paragraphs and pipe tables, projects linked to their history.

use super::Report;
use super::document::{Cell, Document, layout};
use crate::text::Language;
use std::fmt::Write as _;

/// The report as Markdown in `language`. Projects link to `/api/v1/projects/{id}/history`.
pub fn to_markdown(report: &Report, language: Language) -> String {
    render(&layout(report, language))
}

fn render(document: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", inline(&document.title));
    for paragraph in &document.intro {
        let _ = writeln!(out, "\n{}", inline(paragraph));
    }
    for section in &document.sections {
        let _ = writeln!(out, "\n## {}", inline(&section.heading));
        for paragraph in &section.paragraphs {
            let _ = writeln!(out, "\n{}", inline(paragraph));
        }
        for table in &section.tables {
            if let Some(caption) = &table.caption {
                let _ = writeln!(out, "\n**{}**", inline(caption));
            }
            out.push('\n');
            let headers: Vec<String> = table
                .headers
                .iter()
                .map(|header| cell_text(header))
                .collect();
            let _ = writeln!(out, "| {} |", headers.join(" | "));
            let _ = writeln!(
                out,
                "|{}",
                table.headers.iter().map(|_| "---|").collect::<String>()
            );
            for row in &table.rows {
                let cells: Vec<String> = row.iter().map(cell).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
    }
    out
}

fn history(project_id: &uuid::Uuid) -> String {
    format!("/api/v1/projects/{project_id}/history")
}

fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => cell_text(text),
        Cell::Date(day) => day.to_string(),
        Cell::Number(number) => number.to_string(),
        Cell::Lines(lines) => lines
            .iter()
            .map(|line| cell_text(line))
            .collect::<Vec<_>>()
            .join("<br>"),
        Cell::Project { project_id, code } => {
            format!("[{}]({})", link_text(code), history(project_id))
        }
        Cell::Records {
            project_id,
            sequences,
            mark,
        } => {
            let links = sequences
                .iter()
                .map(|sequence| {
                    format!(
                        "[#{sequence}]({}?after={}&limit=1)",
                        history(project_id),
                        sequence.saturating_sub(1)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            match mark {
                Some(mark) => format!("{links} {}", cell_text(mark)),
                None => links,
            }
        }
    }
}

/// Text in a paragraph or heading: Markdown's own characters are escaped, so a title cannot turn
/// into markup, and raw HTML is neutralised.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A leading `#` would make a heading of a paragraph.
    if text.starts_with('#') {
        out.push('\\');
    }
    for character in text.chars() {
        match character {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(character);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// Text in a table cell: as [`inline`], which also escapes the pipes that would end the cell.
fn cell_text(text: &str) -> String {
    inline(text)
}

/// Text of a link: as [`inline`] (brackets are escaped, parentheses may stay).
fn link_text(text: &str) -> String {
    inline(text)
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(inline("a|b <script> *x*"), "a\\|b &lt;script&gt; \\*x\\*");
    }
}
