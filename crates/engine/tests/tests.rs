//! The engine's one integration-test binary: each module is a part of the domain, tested as a user of the crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod calendar;
mod deadlines;
mod scenarios;
