//! Problems in data files, each with the place it was found.
//!
//! A secretariat editing a workflow definition needs "metrology-spec.toml:112:9: unknown stage
//! 'reveiw'", not "invalid definition", and needs every problem at once rather than one per run.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// One problem found in a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file's name as given to the loader.
    pub file: String,
    /// The line, counting from 1, where the parser gives one.
    pub line: Option<usize>,
    /// The column, counting characters from 1, where the parser gives one.
    pub column: Option<usize>,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(formatter, "{}:{line}:{column}: {}", self.file, self.message)
            }
            (Some(line), None) => write!(formatter, "{}:{line}: {}", self.file, self.message),
            _ => write!(formatter, "{}: {}", self.file, self.message),
        }
    }
}

/// A file's text, kept to turn byte offsets into lines and columns.
#[derive(Debug, Clone, Copy)]
pub struct SourceText<'text> {
    /// The file's name as given to the loader.
    pub file_name: &'text str,
    /// The whole text.
    pub text: &'text str,
}

impl<'text> SourceText<'text> {
    /// Wraps a file's name and text.
    pub fn new(file_name: &'text str, text: &'text str) -> SourceText<'text> {
        SourceText { file_name, text }
    }

    /// The line and column (both from 1, columns in characters) of a byte offset.
    pub fn line_and_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        let column = before
            .get(line_start..)
            .map_or(0, |rest| rest.chars().count())
            + 1;
        (line, column)
    }

    /// A problem at the start of a byte range.
    pub fn problem_at(&self, span: Range<usize>, message: impl Into<String>) -> Problem {
        let (line, column) = self.line_and_column(span.start);
        Problem {
            file: self.file_name.to_string(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    /// A problem that concerns the file as a whole.
    pub fn problem_without_place(&self, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file_name.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error, placed where the parser says.
    pub fn toml_problem(&self, error: &toml::de::Error) -> Problem {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => self.problem_at(span, message),
            None => self.problem_without_place(message),
        }
    }
}
