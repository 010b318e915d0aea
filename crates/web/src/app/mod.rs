//! The use-cases both faces share: what a principal may see and change, reading a project with
//! its available actions, carrying out a command, verifying, the overdue board, committees,
//! reports, a person's to-do list and importing a bureau's projects from a spreadsheet.
//!
//! The JSON API ([`crate::api`]) and the web pages ([`crate::pages`]) are thin faces over this
//! layer: each turns a request into a call here and the answer into JSON or HTML. Neither face
//! imports the other, so a page can show nothing the API would refuse, and a rule lives once.
//! Errors are [`problem::Problem`]s, which each face renders in the reader's language.

pub mod audit;
pub mod board;
pub mod calendar;
pub mod clearing;
pub mod comment_import;
pub mod comment_table;
pub mod committees;
pub mod digest;
pub mod exports;
pub mod filters;
pub mod idempotency;
pub mod import;
pub mod import_answer;
pub mod import_sheet;
pub mod import_template;
pub mod moments;
pub mod personal_email;
pub mod problem;
pub mod projects;
pub mod public;
pub mod reports;
pub mod search;
pub mod spreadsheet;
pub mod text_fields;
pub mod todo;

use axum::http::HeaderName;
use specflow_store::Store;
use specflow_store::metrics::Metrics;
use std::sync::Arc;

/// The header carrying a request's id.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every use-case can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
}
