//! The web face's one integration-test binary: the JSON API, the service routes, the OpenAPI
//! document, the pages, committees and reports, each called through the router without a socket.
//!
//! Like the store's, these run against SQLite always and against PostgreSQL when
//! `SPECFLOW_TEST_POSTGRES_URL` is set; they share the store tests' fixtures and helpers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
#[path = "../../store/tests/support.rs"]
#[allow(dead_code)]
mod support;
mod api;
mod calendar;
mod comment_import;
mod committees;
mod email;
mod exports;
mod forms;
mod http;
mod idempotency;
mod import;
mod limits;
mod openapi;
mod pages;
mod public;
mod reports;
mod search;
mod todo;
mod transparency;
mod uploads;
