//! The `specflow` package's one integration-test binary (one binary links once and runs fast).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod architecture;
mod browser;
mod browser_lifecycle;
mod browser_print;
mod browser_support;
mod chinese_cli;
mod cli;
mod client_cli;
mod config_cli;
mod crawl;
mod export_cli;
mod import_cli;
mod log_cli;
mod schedule_cli;
mod serve_cli;
mod todo_cli;
mod token_cli;
mod user_cli;
mod witness_cli;
mod work_cli;
