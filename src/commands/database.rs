//! `specflow migrate`, and opening the store for the commands that need one.

use crate::cli::DatabaseArgs;
use specflow_store::{Store, StoreOptions};
use std::process::ExitCode;

/// A runtime for the commands that talk to a database.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Opens the store; a wrong URL, an unreachable server or a corrupt file is a clear error.
pub async fn open(database: &DatabaseArgs, options: StoreOptions) -> anyhow::Result<Store> {
    Ok(Store::open(&database.url, options).await?)
}

/// Applies pending migrations and says which.
pub fn migrate(database: &DatabaseArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(
            database,
            StoreOptions {
                migrate: false,
                skip_schema_check: true,
                ..StoreOptions::default()
            },
        )
        .await?;
        let applied = store.migrate().await?;
        if applied.is_empty() {
            println!(
                "{}: up to date (migrations {:?})",
                store.database(),
                store.applied_migrations().await?
            );
        } else {
            println!("{}: applied migrations {applied:?}", store.database());
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
