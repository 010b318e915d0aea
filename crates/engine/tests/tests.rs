//! The engine's one integration-test binary: each module is a part of the domain, tested as a user of the crate.
//!
//! Tests read like the domain: given these events, when this command, then these events or this
//! rejection (`support` holds the harness, the real definitions and the calendars). Whole
//! lifecycles are snapshot tests of a readable event log, and property tests drive random command
//! sequences through `decide`, `apply` and `tick`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod calendar;
mod committees;
mod deadlines;
mod definitions;
mod event_schemas;
mod guards;
mod imports;
mod lifecycle;
mod notifications;
mod properties;
mod public;
mod rendering;
mod reports;
mod roles;
mod scenarios;
mod support;
