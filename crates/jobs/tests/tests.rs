//! The jobs' one integration-test binary: the scheduler, several scheduler nodes on one database,
//! two sequencer nodes on one database, the outbox's delivery to real webhook receivers on
//! loopback, and the log's witness client against a witness on loopback.
//!
//! Like the store's, these run against SQLite always and against PostgreSQL when
//! `SPECFLOW_TEST_POSTGRES_URL` is set; they share the store tests' fixtures and helpers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
#[path = "../../store/tests/support.rs"]
#[allow(dead_code)]
mod support;
mod email;
mod nodes;
mod outbox;
mod robots;
mod scheduler;
mod sequencer_nodes;
mod witnesses;
