//! Downloads of the API's exports for the client commands (`--format csv|xlsx --output FILE` of
//! `project list`, `overdue`, `history` and `report`): the server writes the CSV or the workbook
//! (headers in `--language`, local dates), and this only asks for it and puts it where it was
//! told, refusing to pour a binary workbook onto a terminal.

use super::client::{Client, Failure};
use crate::cli::{ClientArgs, ExportArgs, ExportFormatArg};
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

/// A download asked for: its format's name in the API (`csv`, `xlsx`) and where it goes.
pub(super) struct Download<'a> {
    format: &'static str,
    output: Option<&'a Path>,
}

impl ExportArgs {
    /// The download asked for, if the format is one (`csv`, `xlsx`, or `--csv`); a file given
    /// for a table or JSON is refused, as it would be silently ignored.
    pub(super) fn download(&self, csv: bool) -> anyhow::Result<Option<Download<'_>>> {
        let format = match (self.format, csv) {
            (Some(ExportFormatArg::Csv), _) | (None, true) => "csv",
            (Some(ExportFormatArg::Xlsx), _) => "xlsx",
            _ if self.output.is_some() => anyhow::bail!(
                "--output is for --format csv or --format xlsx; a table or JSON is printed"
            ),
            _ => return Ok(None),
        };
        Ok(Some(Download {
            format,
            output: self.output.as_deref(),
        }))
    }

    /// The client's arguments, with `--format json` meaning `--json`.
    pub(super) fn client_args(&self, client: &ClientArgs) -> ClientArgs {
        let mut client = client.clone();
        client.json |= self.format == Some(ExportFormatArg::Json);
        client
    }
}

impl Download<'_> {
    /// A download of `format` (`csv`, `xlsx`, or a report's `md`, `html`, `json`) to `output`.
    pub(super) fn new<'a>(format: &'static str, output: Option<&'a Path>) -> Download<'a> {
        Download { format, output }
    }

    /// Checks where the download goes before anything is asked of the server: a workbook needs
    /// `--output`, and `-` must not be a terminal.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if self.format != "xlsx" {
            return Ok(());
        }
        match self.output {
            None => anyhow::bail!(
                "--format xlsx writes a binary Excel workbook: give --output FILE (or --output - to pipe it)"
            ),
            Some(path) if path == Path::new("-") && std::io::stdout().is_terminal() => {
                anyhow::bail!(
                    "refusing to write a binary Excel workbook to the terminal: give --output FILE or redirect standard output"
                )
            }
            Some(_) => Ok(()),
        }
    }

    /// Asks the API for the export at `segments` with `query` and `format`, and writes it.
    pub(super) async fn fetch(
        &self,
        client: &Client,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<(), Failure> {
        self.check()?;
        let mut query = query.to_vec();
        query.push(("format", self.format.to_string()));
        let url = client.url(segments, &query)?;
        let body = client.download(url).await?;
        self.write(&body, client)
            .map_err(|error| Failure::Other(error.context("writing the download")))
    }

    fn write(&self, body: &[u8], client: &Client) -> anyhow::Result<()> {
        match self.output {
            Some(path) if path != Path::new("-") => {
                std::fs::write(path, body)
                    .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
                let words = client.words();
                eprintln!(
                    "{}",
                    words.pick(
                        format!("已写入 {}（{} 字节）", path.display(), body.len()),
                        format!("wrote {} ({} bytes)", path.display(), body.len())
                    )
                );
                Ok(())
            }
            _ => {
                let mut out = std::io::stdout().lock();
                out.write_all(body)?;
                out.flush()?;
                Ok(())
            }
        }
    }
}
