//! The report as one self-contained HTML page: styles inline, charts drawn as inline SVG (stage
//! durations against deadlines, projects overdue per month), nothing fetched from elsewhere.
//! Every piece of text from the records goes through [`escape`]. The web pages take the same
//! body as a fragment ([`to_html_fragment`]) and frame it with the site's navigation, and may
//! put links of their own by each table's caption ([`TableLinks`]): the engine knows no
//! address, so the standalone page has none.

use super::document::{Cell, Chart, Document, Table, layout};
use super::{Report, StageDurationSummary};
use crate::text::Language;
use std::fmt::Write as _;

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\
th,td{border:1px solid #bbb;padding:0.25em 0.5em;vertical-align:top;text-align:left}\
th{background:#f0f0f0}caption{text-align:left;font-weight:bold;padding:0.25em 0}\
.provenance{color:#555;font-size:0.9em}svg{display:block;margin:0.5em 0 1em}\
svg text{font-size:12px;fill:#222}";

/// The HTML a page puts by one table's caption, given the table's id (one of
/// [`TABLE_IDS`](super::TABLE_IDS)): the web pages' links to a download of that table alone.
/// What it returns is written as it is, so it must be HTML already escaped.
pub type TableLinks<'a> = &'a dyn Fn(&str) -> String;

/// The report as a self-contained HTML page in `language`.
pub fn to_html(report: &Report, language: Language) -> String {
    let document = layout(report, language);
    let lang = language.pick("zh-CN", "en");
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape(&document.title),
        body(&document, report, language, None)
    )
}

/// The report as a fragment for a page that has its own frame and stylesheet (the web pages,
/// which carry the site's navigation and forbid inline styles): its title, and the HTML of its
/// heading, paragraphs, charts and tables, with `table_links` by each table's caption when
/// given.
pub fn to_html_fragment(
    report: &Report,
    language: Language,
    table_links: Option<TableLinks<'_>>,
) -> (String, String) {
    let document = layout(report, language);
    let fragment = body(&document, report, language, table_links);
    (document.title, fragment)
}

fn body(
    document: &Document,
    report: &Report,
    language: Language,
    table_links: Option<TableLinks<'_>>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<h1>{}</h1>", escape(&document.title));
    for (index, paragraph) in document.intro.iter().enumerate() {
        let class = if index + 1 == document.intro.len() {
            " class=\"provenance\""
        } else {
            ""
        };
        let _ = writeln!(out, "<p{class}>{}</p>", escape(paragraph));
    }
    for section in &document.sections {
        let _ = writeln!(out, "<section>\n<h2>{}</h2>", escape(&section.heading));
        for paragraph in &section.paragraphs {
            let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
        }
        match section.chart {
            Some(Chart::StageDurations) => {
                out.push_str(&durations_chart(&report.stage_duration_summary, language));
            }
            Some(Chart::OverdueByMonth) => out.push_str(&overdue_chart(report, language)),
            None => {}
        }
        for table in &section.tables {
            write_table(&mut out, table, table_links);
        }
        out.push_str("</section>\n");
    }
    out
}

fn write_table(out: &mut String, table: &Table, table_links: Option<TableLinks<'_>>) {
    let _ = writeln!(out, "<table id=\"table-{}\">", table.id);
    // A table without a caption of its own gets one for its links: beside the caption is where
    // a reader looks for what belongs to the table, and a printed page hides the links only.
    let links = table_links.map(|links| links(table.id));
    match (&table.caption, links) {
        (Some(caption), Some(links)) => {
            let _ = writeln!(out, "<caption>{} {links}</caption>", escape(caption));
        }
        (Some(caption), None) => {
            let _ = writeln!(out, "<caption>{}</caption>", escape(caption));
        }
        (None, Some(links)) => {
            let _ = writeln!(out, "<caption>{links}</caption>");
        }
        (None, None) => {}
    }
    out.push_str("<thead><tr>");
    for header in &table.headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for value in row {
            let _ = write!(out, "<td>{}</td>", cell(value));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A project's page: the HTML report is read in a browser, where the API would answer JSON 401.
fn project_page(project_id: &uuid::Uuid) -> String {
    format!("/projects/{project_id}")
}

fn cell(value: &Cell) -> String {
    match value {
        Cell::Text(text) => escape(text),
        Cell::Date(day) => day.to_string(),
        Cell::Number(number) => number.to_string(),
        Cell::Lines(lines) => lines
            .iter()
            .map(|line| escape(line))
            .collect::<Vec<_>>()
            .join("<br>"),
        Cell::Project { project_id, code } => format!(
            "<a href=\"{}\">{}</a>",
            escape(&project_page(project_id)),
            escape(code)
        ),
        Cell::Records {
            project_id,
            sequences,
            mark,
        } => {
            let mut links = sequences
                .iter()
                .map(|sequence| {
                    // The project as it stood right after the record.
                    let href = format!("{}?sequence={sequence}", project_page(project_id));
                    format!("<a href=\"{}\">#{sequence}</a>", escape(&href))
                })
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(mark) = mark {
                let _ = write!(links, " <span class=\"imported\">{}</span>", escape(mark));
            }
            links
        }
    }
}

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Horizontal bars per deadline: the mean planned length (grey) above the mean actual length
/// (blue, or red when longer than planned).
fn durations_chart(summary: &[StageDurationSummary], language: Language) -> String {
    const LABEL_WIDTH: i64 = 220;
    const BAR_AREA: i64 = 460;
    const ROW_HEIGHT: i64 = 44;
    let longest = summary
        .iter()
        .map(|row| row.mean_actual_days.max(row.mean_planned_days.unwrap_or(0)))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |days: i64| days.max(0) * BAR_AREA / longest;
    let height = ROW_HEIGHT * summary.len() as i64 + 30;
    let width = LABEL_WIDTH + BAR_AREA + 80;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(language.pick(
            "各阶段平均实际用时与计划期限",
            "Mean stage durations against planned deadlines"
        ))
    );
    for (index, row) in summary.iter().enumerate() {
        let top = ROW_HEIGHT * index as i64;
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text>",
            top + 22,
            escape(row.deadline_name.get(language))
        );
        if let Some(planned) = row.mean_planned_days {
            let _ = writeln!(
                out,
                "<rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"#bbb\"><title>{}</title></rect><text x=\"{}\" y=\"{}\">{planned}</text>",
                top + 4,
                scale(planned),
                escape(language.pick("计划天数", "planned days")),
                LABEL_WIDTH + scale(planned) + 4,
                top + 16
            );
        }
        let late = row
            .mean_planned_days
            .is_some_and(|planned| row.mean_actual_days > planned);
        let colour = if late { "#c0392b" } else { "#2e6fb7" };
        let _ = writeln!(
            out,
            "<rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"{colour}\"><title>{}</title></rect><text x=\"{}\" y=\"{}\">{}</text>",
            top + 20,
            scale(row.mean_actual_days),
            escape(language.pick("实际天数", "actual days")),
            LABEL_WIDTH + scale(row.mean_actual_days) + 4,
            top + 32,
            row.mean_actual_days
        );
    }
    let legend_top = ROW_HEIGHT * summary.len() as i64 + 10;
    let _ = writeln!(
        out,
        "<rect x=\"{LABEL_WIDTH}\" y=\"{legend_top}\" width=\"12\" height=\"12\" fill=\"#bbb\"/><text x=\"{}\" y=\"{}\">{}</text><rect x=\"{}\" y=\"{legend_top}\" width=\"12\" height=\"12\" fill=\"#2e6fb7\"/><text x=\"{}\" y=\"{}\">{}</text>",
        LABEL_WIDTH + 16,
        legend_top + 11,
        escape(language.pick("计划天数（平均）", "planned days (mean)")),
        LABEL_WIDTH + 200,
        LABEL_WIDTH + 216,
        legend_top + 11,
        escape(language.pick("实际天数（平均）", "actual days (mean)")),
    );
    out.push_str("</svg>\n");
    out
}

/// Vertical bars: how many projects were overdue in each month of the period.
fn overdue_chart(report: &Report, language: Language) -> String {
    const BAR_WIDTH: i64 = 36;
    const GAP: i64 = 12;
    const PLOT_HEIGHT: i64 = 160;
    let months = &report.overdue_by_month;
    let most = months
        .iter()
        .map(|month| month.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = (BAR_WIDTH + GAP) * months.len() as i64 + GAP;
    let height = PLOT_HEIGHT + 50;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(language.pick("各月逾期项目数", "Projects overdue per month"))
    );
    for (index, month) in months.iter().enumerate() {
        let left = GAP + (BAR_WIDTH + GAP) * index as i64;
        let bar = i64::try_from(month.count).unwrap_or(i64::MAX) * PLOT_HEIGHT
            / i64::try_from(most).unwrap_or(1);
        let top = 20 + PLOT_HEIGHT - bar;
        let _ = writeln!(
            out,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{BAR_WIDTH}\" height=\"{bar}\" fill=\"#c0392b\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            escape(&month.month),
            month.count,
            left + BAR_WIDTH / 2,
            top - 4,
            month.count,
            left + BAR_WIDTH / 2,
            20 + PLOT_HEIGHT + 16,
            escape(month.month.get(5..).unwrap_or(&month.month)),
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn every_character_that_means_something_in_html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
