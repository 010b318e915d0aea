//! `specflow report annual|term|bureau`: committee reports through the HTTP API.
//!
//! Like the other API commands (`client.rs`), it talks HTTP only, with the token's role and scope:
//! the service computes the report by replay as of the period's end and this prints what it
//! answers (Markdown, HTML or JSON, or the report's tables as CSV or an Excel workbook) to standard
//! output or `--output FILE`, in the language of `--language`.

use super::client::{Client, Failure, finish};
use super::database::runtime;
use super::export::Download;
use crate::cli::{ClientArgs, ReportCommand, ReportFormatArg};
use std::process::ExitCode;

/// `specflow report ...`
pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    let (args, segments, mut query, format, output, table) = match command {
        ReportCommand::Annual {
            committee,
            year,
            format,
            output,
            table,
            client,
        } => (
            client,
            vec![
                "committees".to_string(),
                committee,
                "reports".to_string(),
                "annual".to_string(),
            ],
            vec![("year", year.to_string())],
            format,
            output,
            table,
        ),
        ReportCommand::Term {
            committee,
            from,
            to,
            format,
            output,
            table,
            client,
        } => (
            client,
            vec![
                "committees".to_string(),
                committee,
                "reports".to_string(),
                "term".to_string(),
            ],
            vec![("from", from), ("to", to)],
            format,
            output,
            table,
        ),
        ReportCommand::Bureau {
            year,
            format,
            output,
            table,
            client,
        } => (
            client,
            vec!["reports".to_string(), "annual".to_string()],
            vec![("year", year.to_string())],
            format,
            output,
            table,
        ),
    };
    if let Some(table) = table {
        query.push(("table", table));
    }
    let format_name = match format {
        ReportFormatArg::Md => "md",
        ReportFormatArg::Html => "html",
        ReportFormatArg::Json => "json",
        ReportFormatArg::Csv => "csv",
        ReportFormatArg::Xlsx => "xlsx",
    };
    let download = Download::new(format_name, output.as_deref());
    download.check()?;
    let json = args.json || format == ReportFormatArg::Json;
    runtime()?.block_on(async { finish(fetch(&args, &segments, &query, &download).await, json) })
}

async fn fetch(
    args: &ClientArgs,
    segments: &[String],
    query: &[(&str, String)],
    download: &Download<'_>,
) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let mut query = query.to_vec();
    query.push(("lang", client.language.to_string()));
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    download.fetch(&client, &segments, &query).await
}
