//! `specflow report annual|term|bureau`: committee reports through the HTTP API.
//!
//! Like the other API commands (`client.rs`), it talks HTTP only, with the token's role and scope:
//! the service computes the report by replay as of the period's end and this prints what it
//! answers (Markdown, HTML or JSON) to standard output, in the language of `--language`.

use super::client::{Client, Failure, finish};
use super::database::runtime;
use crate::cli::{ClientArgs, ReportCommand, ReportFormatArg};
use reqwest::Method;
use std::io::Write as _;
use std::process::ExitCode;

/// `specflow report ...`
pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    let (args, segments, mut query, format) = match command {
        ReportCommand::Annual {
            committee,
            year,
            format,
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
        ),
        ReportCommand::Term {
            committee,
            from,
            to,
            format,
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
        ),
        ReportCommand::Bureau {
            year,
            format,
            client,
        } => (
            client,
            vec!["reports".to_string(), "annual".to_string()],
            vec![("year", year.to_string())],
            format,
        ),
    };
    query.push((
        "format",
        match format {
            ReportFormatArg::Md => "md",
            ReportFormatArg::Html => "html",
            ReportFormatArg::Json => "json",
        }
        .to_string(),
    ));
    let json = args.json || format == ReportFormatArg::Json;
    runtime()?.block_on(async { finish(fetch(&args, &segments, &query).await, json) })
}

async fn fetch(
    args: &ClientArgs,
    segments: &[String],
    query: &[(&str, String)],
) -> Result<(), Failure> {
    let client = Client::new(args)?;
    let mut query = query.to_vec();
    query.push(("lang", client.language.to_string()));
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let url = client.url(&segments, &query)?;
    let body = client.send(Method::GET, url, None, None).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(body.as_bytes())
        .and_then(|()| {
            if body.ends_with('\n') {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .map_err(|error| Failure::Other(anyhow::anyhow!("writing the report: {error}")))?;
    Ok(())
}
