//! The store's one integration-test binary.
//!
//! Store tests run against SQLite always, and against PostgreSQL when `SPECFLOW_TEST_POSTGRES_URL`
//! is set (CI sets it and fails if the server is unreachable); each test gets its own database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;
mod accounts;
mod batch;
mod chains;
mod conformance;
mod crash;
mod creations;
mod export_log;
mod personal_email;
mod search;
mod tokens;
mod transparency;
mod uploads;
