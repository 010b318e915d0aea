//! `specflow serve`: the HTTP service with the scheduler and the deliverer, in one process, and
//! `/metrics` on a listener of its own (loopback by default).

use super::database::{open, runtime};
use super::listener::{ConnectionLimits, serve};
use super::log::{load_key, load_witnesses, spawn_sequencer};
use super::outbox::spawn_deliverer;
use super::schedule::{init_logging, scheduler_options, spawn_digests, stop_requested};
use crate::cli::{
    DatabaseArgs, LogArgs, MailArgs, MetricsListen, SchedulerArgs, ServerArgs, UploadArgs,
};
use crate::workflow_files::WorkflowSource;
use specflow_jobs::scheduler::Scheduler;
use specflow_store::StoreOptions;
use specflow_store::metrics::Metrics;
use specflow_web::{AppState, metrics_router, router_with_timeout};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

/// What `specflow serve` was asked for.
pub struct Serving<'a> {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The workflows folder, if given.
    pub workflows: Option<&'a Path>,
    /// Whether this node runs the deadline scheduler.
    pub with_scheduler: bool,
    /// The database.
    pub database: &'a DatabaseArgs,
    /// How the scheduler runs.
    pub scheduler: &'a SchedulerArgs,
    /// Connection limits and the metrics listener.
    pub server: &'a ServerArgs,
    /// Upload limits.
    pub uploads: &'a UploadArgs,
    /// The transparency log's key.
    pub log: &'a LogArgs,
    /// Where e-mail notifications go out.
    pub mail: &'a MailArgs,
}

/// Serves until asked to stop; then lets in-flight requests finish, stops the scheduler between
/// transactions and the deliverer between attempts, and closes the database.
pub fn run(serving: Serving<'_>) -> anyhow::Result<ExitCode> {
    let Serving {
        listen,
        workflows,
        with_scheduler,
        database,
        scheduler,
        server,
        uploads,
        log,
        mail,
    } = serving;
    init_logging();
    runtime()?.block_on(async {
        let source = WorkflowSource::choose(workflows)?;
        eprintln!("{}", source.describe());
        let log_key = load_key(log)?;
        let witnesses = load_witnesses(log)?;
        let options = StoreOptions {
            max_concurrent_uploads: usize::from(uploads.max_concurrent_uploads),
            max_concurrent_uploads_per_caller: usize::from(uploads.max_concurrent_uploads_per_caller),
            log_key: log_key.clone(),
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
        // Digests are the scheduler's kind of work: a node that schedules writes them.
        let digesting = with_scheduler.then(|| {
            let state = AppState {
                store: store.clone(),
                metrics: metrics.clone(),
            };
            spawn_digests(state, scheduler, shutdown.clone())
        });
        let delivering = spawn_deliverer(&store, mail, shutdown.clone());
        let sequencing = spawn_sequencer(
            &store,
            log_key,
            witnesses,
            scheduler_options(scheduler).node,
            shutdown.clone(),
        )?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {listen}: {error}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, database = %store.database(), "specflow is serving");
        println!("specflow is serving on http://{address}");
        let state = AppState {
            store: store.clone(),
            metrics,
        };
        let limits = ConnectionLimits {
            header_read_timeout: server.header_read_timeout,
            keep_alive_timeout: server.keep_alive_timeout,
            body_read_timeout: server.body_read_timeout,
            max_connections: usize::try_from(server.max_connections).unwrap_or(usize::MAX),
            shutdown_grace: server.request_timeout,
        };
        let metrics_serving = match metrics_listener(server.metrics_listen).await? {
            Some(metrics_listener) => {
                let address = metrics_listener.local_addr()?;
                tracing::info!(%address, "metrics are served");
                // On standard error: a caller that read the first line of standard output and
                // closed it must not make a second line fail with a broken pipe.
                eprintln!("specflow metrics on http://{address}/metrics");
                let app = metrics_router(state.clone());
                let shutdown = shutdown.clone();
                Some(tokio::spawn(serve(
                    metrics_listener,
                    app,
                    limits,
                    stopped(shutdown),
                )))
            }
            None => None,
        };
        let app = router_with_timeout(state, server.request_timeout);
        serve(listener, app, limits, stop_requested()).await;        tracing::info!("stopping: in-flight requests are done; the scheduler finishes its batch");
        let _ = stop.send(true);
        if let Some(metrics_serving) = metrics_serving {
            let _ = metrics_serving.await;
        }
        if let Some(digesting) = digesting {
            let _ = digesting.await;
        }
        if let Some(scheduling) = scheduling {
            let _ = scheduling.await;
        }
        if let Some(sequencing) = sequencing {
            let _ = sequencing.await;
        }
        let _ = delivering.await;
        store.close().await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// The metrics listener: the address asked for (a failure to bind it stops `serve`), none when
/// `off`, and by default the loopback port 9464, or none with a warning when another process (a
/// second node on the same host) holds it.
async fn metrics_listener(
    asked: Option<MetricsListen>,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    match asked {
        Some(MetricsListen::Off) => Ok(None),
        Some(MetricsListen::On(address)) => tokio::net::TcpListener::bind(address)
            .await
            .map(Some)
            .map_err(|error| anyhow::anyhow!("cannot serve metrics on {address}: {error}")),
        None => {
            let address = SocketAddr::from(([127, 0, 0, 1], 9464));
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => Ok(Some(listener)),
                Err(error) => {
                    tracing::warn!(%address, %error, "metrics are not served: the default address is taken (set --metrics-listen)");
                    Ok(None)
                }
            }
        }
    }
}

/// Completes when the stop signal is sent.
async fn stopped(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
