//! `specflow serve`: the HTTP service with the scheduler and the deliverer, in one process.

use super::database::{open, runtime};
use super::outbox::spawn_deliverer;
use super::schedule::{init_logging, scheduler_options, stop_requested};
use crate::cli::{DatabaseArgs, SchedulerArgs, UploadArgs};
use crate::workflow_files::WorkflowSource;
use specflow_jobs::scheduler::Scheduler;
use specflow_store::StoreOptions;
use specflow_store::metrics::Metrics;
use specflow_web::{AppState, router};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

/// Serves until asked to stop; then lets in-flight requests finish, stops the scheduler between
/// transactions and the deliverer between attempts, and closes the database.
pub fn run(
    listen: SocketAddr,
    workflows: Option<&Path>,
    with_scheduler: bool,
    database: &DatabaseArgs,
    scheduler: &SchedulerArgs,
    uploads: &UploadArgs,
) -> anyhow::Result<ExitCode> {
    init_logging();
    runtime()?.block_on(async {
        let source = WorkflowSource::choose(workflows)?;
        eprintln!("{}", source.describe());
        let options = StoreOptions {
            max_concurrent_uploads: usize::from(uploads.max_concurrent_uploads),
            max_concurrent_uploads_per_caller: usize::from(uploads.max_concurrent_uploads_per_caller),
            ..StoreOptions::default()
        };
        let store = open(database, options).await?;
        let registered = source.register(&store).await?;
        tracing::info!(workflows = ?source, definitions = registered, "workflows registered");
        // The committee policy of the folder, else the one built in (the shipped file).
        if let Some(policy) = source.committee_policy()? {
            tracing::info!(policy = %policy.id, version = policy.version, "committee policy loaded");
            store.set_committee_policy(policy);
        }
        let metrics = Metrics::shared();
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let scheduling = with_scheduler.then(|| {
            let scheduler = Scheduler::new(store.clone(), scheduler_options(scheduler), metrics.clone());
            let shutdown = shutdown.clone();
            tokio::spawn(async move { scheduler.run(shutdown).await })
        });
        let delivering = spawn_deliverer(&store, shutdown.clone());
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {listen}: {error}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, database = %store.database(), "specflow is serving");
        println!("specflow is serving on http://{address}");
        let app = router(AppState {
            store: store.clone(),
            metrics,
        });
        // The peer's address is what failed sign-ins are counted against (pages/session.rs).
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
            .with_graceful_shutdown(stop_requested())
            .await?;
        tracing::info!("stopping: in-flight requests are done; the scheduler finishes its batch");
        let _ = stop.send(true);
        if let Some(scheduling) = scheduling {
            let _ = scheduling.await;
        }
        let _ = delivering.await;
        store.close().await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
