//! The service's metrics, exported in the Prometheus text format at `/metrics`.
//!
//! One `Metrics` per process, shared by the scheduler, the deliverer and the HTTP layer. Values
//! that the database knows better (projects per stage, overdue projects, outbox backlog) are read
//! at scrape time by whoever serves `/metrics`; this registry holds what only the process sees.

use crate::{OutboxBacklog, StageCount};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// A metric's labels, such as `[("event_type", "deadline_missed")]`.
pub type MetricLabels = Vec<(String, String)>;

/// Histograms per label set, each with the buckets its constructor gives.
pub type HistogramFamily = Family<MetricLabels, Histogram, fn() -> Histogram>;

/// Process-wide metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Seconds between a deadline falling due and its event being written (noticed minus due).
    pub scheduler_lateness_seconds: Histogram,
    /// Deadline events written by the scheduler, per event type.
    pub scheduler_firings: Family<MetricLabels, Counter>,
    /// Scheduler rounds that failed (database unavailable…), retried on the next round.
    pub scheduler_errors: Counter,
    /// Commands carried out through the API, per command (and action, for `fire_action`).
    pub transitions: Family<MetricLabels, Counter>,
    /// Commands the engine refused, once per unmet guard, per guard code.
    pub rejections: Family<MetricLabels, Counter>,
    /// HTTP requests answered, per route and status code.
    pub http_requests: Family<MetricLabels, Counter>,
    /// Seconds to answer an HTTP request, per route.
    pub http_request_seconds: HistogramFamily,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        // 1 ms to about 36 hours: a firing noticed after a week of downtime still lands in +Inf.
        let scheduler_lateness_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 28));
        registry.register(
            "specflow_scheduler_lateness_seconds",
            "Seconds from a deadline falling due to its event being written",
            scheduler_lateness_seconds.clone(),
        );
        let scheduler_firings = Family::<MetricLabels, Counter>::default();
        registry.register(
            "specflow_scheduler_firings",
            "Deadline events written by the scheduler, by event type",
            scheduler_firings.clone(),
        );
        let scheduler_errors = Counter::default();
        registry.register(
            "specflow_scheduler_errors",
            "Scheduler rounds that failed and were retried",
            scheduler_errors.clone(),
        );
        let transitions = Family::<MetricLabels, Counter>::default();
        registry.register(
            "specflow_commands_accepted",
            "Commands accepted through the API, by command and action",
            transitions.clone(),
        );
        let rejections = Family::<MetricLabels, Counter>::default();
        registry.register(
            "specflow_guard_rejections",
            "Unmet guards in commands the engine refused, by guard code",
            rejections.clone(),
        );
        let http_requests = Family::<MetricLabels, Counter>::default();
        registry.register(
            "specflow_http_requests",
            "HTTP requests answered, by route and status code",
            http_requests.clone(),
        );
        let http_request_seconds: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.0, 20)));
        registry.register(
            "specflow_http_request_seconds",
            "Seconds to answer an HTTP request, by route",
            http_request_seconds.clone(),
        );
        Metrics {
            registry,
            scheduler_lateness_seconds,
            scheduler_firings,
            scheduler_errors,
            transitions,
            rejections,
            http_requests,
            http_request_seconds,
        }
    }
}

impl Metrics {
    /// A fresh set, shared.
    pub fn shared() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    /// The metrics in the Prometheus (OpenMetrics) text format, ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// What the database knows better than the process, read at scrape time: projects per stage,
/// those overdue, escalated and frozen in all, and the outbox by status.
/// Built as prometheus-client gauges, so names, labels and escaping follow its encoder.
///
/// No gauge is labelled by committee: metrics are served without a token (on the operator's own
/// listener), and how many projects each committee has, and how many are late, is what
/// `/api/v1/counts` shows only to those who may read everything.
#[derive(Debug)]
pub struct DatabaseGauges {
    registry: Registry,
}

impl DatabaseGauges {
    /// The gauges of `counts`, `backlog` and the transparency log, as just read from the database.
    pub fn new(
        counts: &[StageCount],
        backlog: &OutboxBacklog,
        log: &crate::transparency::LogCounts,
    ) -> DatabaseGauges {
        let mut registry = Registry::default();
        let projects = Family::<MetricLabels, Gauge>::default();
        let overdue = Gauge::<i64>::default();
        let escalated = Gauge::<i64>::default();
        let frozen = Gauge::<i64>::default();
        // The counts come per committee and stage; they are summed over committees here.
        for count in counts {
            projects
                .get_or_create(&label("stage", &count.stage))
                .inc_by(gauge_value(count.projects));
            overdue.inc_by(gauge_value(count.overdue));
            escalated.inc_by(gauge_value(count.escalated));
            frozen.inc_by(gauge_value(count.frozen));
        }
        registry.register("specflow_projects", "Projects, by stage", projects);
        registry.register(
            "specflow_overdue_projects",
            "Projects past a deadline",
            overdue,
        );
        registry.register(
            "specflow_escalated_projects",
            "Overdue projects escalated to the bureau",
            escalated,
        );
        registry.register("specflow_frozen_projects", "Frozen projects", frozen);
        let outbox = Family::<MetricLabels, Gauge>::default();
        for (status, value) in [
            ("pending", backlog.pending),
            ("delivered", backlog.delivered),
            ("dead", backlog.dead),
        ] {
            outbox
                .get_or_create(&label("status", status))
                .set(gauge_value(value));
        }
        registry.register(
            "specflow_outbox_notifications",
            "Notifications in the outbox, by status",
            outbox,
        );
        for (name, help, value) in [
            (
                "specflow_log_tree_size",
                "Records in the transparency log's tree",
                log.tree_size,
            ),
            (
                "specflow_log_pending_records",
                "Records committed and waiting to be integrated into the transparency log",
                log.pending,
            ),
            (
                "specflow_log_refused_records",
                "Records the transparency log's sequencer refused (not written with the log's key)",
                log.refused,
            ),
        ] {
            let gauge = Gauge::<i64>::default();
            gauge.set(gauge_value(value));
            registry.register(name, help, gauge);
        }
        register_log_freshness(&mut registry, log);
        DatabaseGauges { registry }
    }

    /// The gauges in the OpenMetrics text format, ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// How fresh the log's checkpoint and each witness's cosignature are: an operator alerts on
/// `time() - specflow_log_checkpoint_signed_timestamp_seconds` while records wait, and on a
/// witness whose cosigned size stays below the checkpoint's (one label per configured witness, a
/// handful, never per committee).
fn register_log_freshness(registry: &mut Registry, log: &crate::transparency::LogCounts) {
    if let Some((size, signed_at)) = log.latest_checkpoint {
        let checkpoint_size = Gauge::<i64>::default();
        checkpoint_size.set(gauge_value(size));
        registry.register(
            "specflow_log_checkpoint_size",
            "The tree size of the latest signed checkpoint",
            checkpoint_size,
        );
        let signed = Gauge::<i64>::default();
        signed.set(signed_at.timestamp());
        registry.register(
            "specflow_log_checkpoint_signed_timestamp_seconds",
            "When the latest checkpoint was signed, in seconds since the Unix epoch",
            signed,
        );
    }
    let cosigned = Family::<MetricLabels, Gauge>::default();
    let received = Family::<MetricLabels, Gauge>::default();
    for witness in &log.witnesses {
        let labels = label("witness", &witness.witness);
        cosigned
            .get_or_create(&labels)
            .set(gauge_value(witness.cosigned_size));
        received
            .get_or_create(&labels)
            .set(witness.last_received_at.timestamp());
    }
    registry.register(
        "specflow_log_witness_cosigned_size",
        "The largest tree size each witness cosigned",
        cosigned,
    );
    registry.register(
        "specflow_log_witness_last_cosignature_timestamp_seconds",
        "When each witness's last cosignature was received, in seconds since the Unix epoch",
        received,
    );
}

/// A count as a gauge's value; no count of rows comes near `i64::MAX`.
fn gauge_value(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A one-label set, such as `event_type="deadline_missed"`.
pub fn label(name: &str, value: &str) -> MetricLabels {
    vec![(name.to_string(), value.to_string())]
}
