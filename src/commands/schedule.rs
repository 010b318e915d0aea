//! `specflow scheduler` (the deadline scheduler and the webhook deliverer, alone) and
//! `specflow deadlines` (what falls due soon).

use super::database::{open, runtime};
use crate::cli::{DatabaseArgs, LogArgs, SchedulerArgs};
use specflow_engine::deadline::DueKind;
use specflow_engine::render::write_table;
use specflow_engine::{Language, next_deadline};
use specflow_jobs::scheduler::{Scheduler, SchedulerOptions};
use specflow_store::StoreOptions;
use specflow_store::metrics::Metrics;
use std::process::ExitCode;
use std::time::Duration;

/// Logs to standard error, at `RUST_LOG` or `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The scheduler's options from the command line.
pub fn scheduler_options(args: &SchedulerArgs) -> SchedulerOptions {
    SchedulerOptions {
        batch_size: args.scheduler_batch_size.max(1),
        lease: args.scheduler_lease,
        rescan_interval: args.scheduler_rescan,
        node: args.node_name.clone().unwrap_or_else(default_node_name),
    }
}

/// Starts writing daily digests at the configured time (`app::digest`), until `shutdown`.
pub fn spawn_digests(
    state: specflow_web::AppState,
    args: &SchedulerArgs,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let options = specflow_web::app::digest::DigestOptions {
        send_at: args.digest_at,
        offset: args.digest_utc_offset,
        ..specflow_web::app::digest::DigestOptions::default()
    };
    tokio::spawn(specflow_web::app::digest::run(state, options, shutdown))
}

fn default_node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "specflow".to_string());
    format!("{host}:{}", std::process::id())
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM on Unix.
pub async fn stop_requested() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// `specflow scheduler`: runs until asked to stop, then stops between transactions.
pub fn run_scheduler(
    database: &DatabaseArgs,
    args: &SchedulerArgs,
    log: &LogArgs,
    mail: &crate::cli::MailArgs,
) -> anyhow::Result<ExitCode> {
    init_logging();
    runtime()?.block_on(async {
        let log_key = crate::commands::log::load_key(log)?;
        let witnesses = crate::commands::log::load_witnesses(log)?;
        let options = StoreOptions {
            log_key: log_key.clone(),
            ..StoreOptions::default()
        };
        let store = open(database, options).await?;
        let metrics = Metrics::shared();
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let scheduler = Scheduler::new(store.clone(), scheduler_options(args), metrics.clone());
        let scheduling = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { scheduler.run(shutdown).await }
        });
        let sequencing = crate::commands::log::spawn_sequencer(
            &store,
            log_key,
            witnesses,
            scheduler_options(args).node,
            shutdown.clone(),
        )?;
        let digesting = spawn_digests(
            specflow_web::AppState {
                store: store.clone(),
                metrics: metrics.clone(),
            },
            args,
            shutdown.clone(),
        );
        let delivering = crate::commands::outbox::spawn_deliverer(&store, mail, shutdown);
        stop_requested().await;
        tracing::info!("stopping: the current batch finishes first");
        let _ = stop.send(true);
        let _ = scheduling.await;
        let _ = digesting.await;
        let _ = delivering.await;
        if let Some(sequencing) = sequencing {
            let _ = sequencing.await;
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// `specflow deadlines`: the projects whose next deadline falls due within `within`.
pub fn deadlines(
    database: &DatabaseArgs,
    within: Duration,
    committee: Option<&str>,
    limit: usize,
    language: Language,
    json: bool,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(
            database,
            StoreOptions {
                migrate: false,
                ..StoreOptions::default()
            },
        )
        .await?;
        let now = store.clock().now();
        let until = now + chrono::Duration::from_std(within)?;
        let upcoming = store.upcoming_deadlines(until, committee, limit).await?;
        let mut rows = Vec::new();
        for item in &upcoming {
            let Some(view) = store.project(item.project_id).await? else {
                continue;
            };
            let definition = &view.definition;
            let Some(deadline) = next_deadline(&view.state) else {
                continue;
            };
            let name = definition.deadline(&deadline.deadline).map_or_else(
                || deadline.deadline.clone(),
                |rule| rule.name.get(language).to_string(),
            );
            let what = due_kind(deadline.kind, language);
            if json {
                let line = serde_json::json!({
                    "project_id": item.project_id,
                    "code": item.code,
                    "committee": item.committee,
                    "stage": item.stage,
                    "deadline": deadline.deadline,
                    "kind": deadline.kind,
                    "due_on": deadline.due_on,
                    "falls_due_at": deadline.at,
                    "passed": deadline.at <= now,
                });
                println!("{line}");
            } else {
                // The day it happens, as people write it: a deadline is due on its date (its
                // instant is the start of the next day); a warning or an escalation on the day
                // of its instant.
                let on = match deadline.kind {
                    DueKind::Due | DueKind::Reexamination => deadline.due_on,
                    _ => deadline
                        .at
                        .with_timezone(&definition.local_utc_offset)
                        .date_naive(),
                };
                let today = now.with_timezone(&definition.local_utc_offset).date_naive();
                let days_left = (on - today).num_days();
                rows.push([
                    item.code.clone(),
                    definition.stage_name(&item.stage).get(language).to_string(),
                    format!("{name}: {what}"),
                    on.to_string(),
                    deadline.due_on.to_string(),
                    if deadline.at <= now {
                        language
                            .pick("已到期，待处理", "passed, not yet fired")
                            .to_string()
                    } else if days_left == 0 {
                        language.pick("今天", "today").to_string()
                    } else {
                        language.pick(format!("{days_left} 天后"), format!("in {days_left} days"))
                    },
                    item.committee.clone(),
                ]);
            }
        }
        if !json {
            if rows.is_empty() {
                println!(
                    "{}",
                    language.pick("期限内无到期事项。", "Nothing falls due in that time.")
                );
            } else {
                let mut out = String::new();
                let headers = language.pick(
                    [
                        "项目",
                        "阶段",
                        "期限",
                        "日期",
                        "到期日",
                        "剩余",
                        "技术委员会",
                    ],
                    [
                        "project",
                        "stage",
                        "deadline",
                        "on",
                        "due on",
                        "left",
                        "committee",
                    ],
                );
                write_table(&mut out, &headers, &rows);
                print!("{out}");
            }
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn due_kind(kind: DueKind, language: Language) -> &'static str {
    match (kind, language) {
        (DueKind::Warning, Language::Zh) => "预警",
        (DueKind::Warning, Language::En) => "warning",
        (DueKind::Due, Language::Zh) => "到期",
        (DueKind::Due, Language::En) => "due",
        (DueKind::Escalation, Language::Zh) => "上报",
        (DueKind::Escalation, Language::En) => "escalation",
        (DueKind::ReexaminationWarning, Language::Zh) => "复查预警",
        (DueKind::ReexaminationWarning, Language::En) => "re-examination warning",
        (DueKind::Reexamination, Language::Zh) => "复查到期",
        (DueKind::Reexamination, Language::En) => "re-examination due",
    }
}
