//! Prometheus metrics of the controllers and the small HTTP server that serves them
//! (`/metrics`) together with the liveness probe (`/healthz`).
//!
//! Per-asset figures (patch state, open findings) are kept per object and summed on every
//! change, so a deleted or re-assessed asset never leaves stale counts behind.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Labels naming one controller (its resource kind).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    /// Resource kind the controller reconciles.
    pub controller: String,
}

/// Labels of a reconcile error.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// Resource kind the controller reconciles.
    pub controller: String,
    /// `terminal` or `transient`.
    pub kind: String,
}

/// Labels of the asset gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PatchStateLabels {
    /// Asset patch state (`Compliant`, `Pending`, `Patching`, …).
    pub state: String,
}

/// Labels of the findings gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeverityLabels {
    /// Finding severity.
    pub severity: String,
}

/// Labels of the run outcome counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// Final PatchRun phase.
    pub phase: String,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Each asset's patch state and findings, with the fleet totals kept up to date as assets
/// change: recounting every asset on each change costs O(assets²) over a fleet's assessment.
#[derive(Default)]
struct PerAsset {
    states: BTreeMap<String, String>,
    findings: BTreeMap<String, BTreeMap<String, i64>>,
    /// Assets per patch state; states no asset is in are absent.
    state_totals: BTreeMap<String, i64>,
    /// Findings per severity over all assets; severities with none are absent.
    severity_totals: BTreeMap<String, i64>,
}

impl PerAsset {
    fn set(&mut self, key: &str, state: &str, findings: BTreeMap<String, i64>) {
        self.remove(key);
        add(&mut self.state_totals, state, 1);
        for (severity, count) in &findings {
            add(&mut self.severity_totals, severity, *count);
        }
        self.states.insert(key.to_string(), state.to_string());
        self.findings.insert(key.to_string(), findings);
    }

    fn remove(&mut self, key: &str) {
        if let Some(state) = self.states.remove(key) {
            add(&mut self.state_totals, &state, -1);
        }
        for (severity, count) in self.findings.remove(key).unwrap_or_default() {
            add(&mut self.severity_totals, &severity, -count);
        }
    }
}

/// Adds `delta` to `totals[key]`, dropping the entry when it reaches zero.
fn add(totals: &mut BTreeMap<String, i64>, key: &str, delta: i64) {
    let total = totals.entry(key.to_string()).or_default();
    *total += delta;
    if *total == 0 {
        totals.remove(key);
    }
}

/// Every metric the controllers export.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ControllerLabels, Counter>,
    reconcile_errors: Family<ErrorLabels, Counter>,
    reconcile_duration: Family<ControllerLabels, Histogram, fn() -> Histogram>,
    assets: Family<PatchStateLabels, Gauge>,
    findings: Family<SeverityLabels, Gauge>,
    run_outcomes: Family<OutcomeLabels, Counter>,
    leader: Gauge,
    per_asset: Mutex<PerAsset>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered under the `patchwarden` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("patchwarden");
        let reconciles = Family::<ControllerLabels, Counter>::default();
        let reconcile_errors = Family::<ErrorLabels, Counter>::default();
        let reconcile_duration =
            Family::<ControllerLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                duration_histogram,
            );
        let assets = Family::<PatchStateLabels, Gauge>::default();
        let findings = Family::<SeverityLabels, Gauge>::default();
        let run_outcomes = Family::<OutcomeLabels, Counter>::default();
        let leader = Gauge::default();
        registry.register(
            "reconciles",
            "Reconciles run, per controller",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, per controller and error kind",
            reconcile_errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            reconcile_duration.clone(),
        );
        registry.register("assets", "Assets by patch state", assets.clone());
        registry.register(
            "open_findings",
            "Open findings over all assets, by severity",
            findings.clone(),
        );
        registry.register(
            "patch_runs_finished",
            "PatchRuns that reached a final phase, by phase",
            run_outcomes.clone(),
        );
        registry.register(
            "leader",
            "1 while this process holds the leader Lease",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            reconcile_errors,
            reconcile_duration,
            assets,
            findings,
            run_outcomes,
            leader,
            per_asset: Mutex::new(PerAsset::default()),
        }
    }

    /// Counts one reconcile of `controller` that took `elapsed`.
    pub fn reconciled(&self, controller: &str, elapsed: Duration) {
        let labels = ControllerLabels {
            controller: controller.to_string(),
        };
        self.reconciles.get_or_create(&labels).inc();
        self.reconcile_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one failed reconcile.
    pub fn reconcile_failed(&self, controller: &str, kind: &str) {
        self.reconcile_errors
            .get_or_create(&ErrorLabels {
                controller: controller.to_string(),
                kind: kind.to_string(),
            })
            .inc();
    }

    /// Counts a PatchRun that reached its final `phase`.
    pub fn run_finished(&self, phase: &str) {
        self.run_outcomes
            .get_or_create(&OutcomeLabels {
                phase: phase.to_string(),
            })
            .inc();
    }

    /// Records whether this process leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Records one asset's patch state and open findings by severity.
    pub fn set_asset(&self, key: &str, state: &str, findings: BTreeMap<String, i64>) {
        let Ok(mut per_asset) = self.per_asset.lock() else {
            return;
        };
        per_asset.set(key, state, findings);
        self.publish(&per_asset);
    }

    /// Forgets a deleted asset.
    pub fn forget_asset(&self, key: &str) {
        let Ok(mut per_asset) = self.per_asset.lock() else {
            return;
        };
        per_asset.remove(key);
        self.publish(&per_asset);
    }

    fn publish(&self, per_asset: &PerAsset) {
        self.assets.clear();
        for (state, count) in &per_asset.state_totals {
            self.assets
                .get_or_create(&PatchStateLabels {
                    state: state.clone(),
                })
                .set(*count);
        }
        self.findings.clear();
        for (severity, count) in &per_asset.severity_totals {
            self.findings
                .get_or_create(&SeverityLabels {
                    severity: severity.clone(),
                })
                .set(*count);
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

async fn metrics_handler(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// Binds `addr` and serves `/metrics`, `/healthz` and the `extra` routes until `shutdown`
/// fires; returns the bound address (useful with port 0).
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    extra: Router,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .with_state(metrics)
        .merge(extra);
    tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(error = %err, "metrics server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_gauges_sum_per_asset_figures_and_forget_deleted_assets() {
        let metrics = Metrics::new();
        metrics.set_asset(
            "ns/a",
            "Pending",
            BTreeMap::from([("critical".to_string(), 2)]),
        );
        metrics.set_asset(
            "ns/b",
            "Compliant",
            BTreeMap::from([("critical".to_string(), 1)]),
        );
        let text = metrics.encode();
        assert!(
            text.contains("patchwarden_assets{state=\"Pending\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("patchwarden_open_findings{severity=\"critical\"} 3"),
            "{text}"
        );
        metrics.forget_asset("ns/a");
        let text = metrics.encode();
        assert!(!text.contains("state=\"Pending\""), "{text}");
        assert!(
            text.contains("patchwarden_open_findings{severity=\"critical\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn an_asset_that_changes_moves_between_totals_instead_of_counting_twice() {
        let mut per_asset = PerAsset::default();
        let findings = |n| BTreeMap::from([("high".to_string(), n)]);
        per_asset.set("ns/a", "Pending", findings(4));
        per_asset.set("ns/b", "Pending", findings(1));
        per_asset.set("ns/a", "Compliant", findings(0));
        assert_eq!(
            per_asset.state_totals,
            BTreeMap::from([("Compliant".to_string(), 1), ("Pending".to_string(), 1)])
        );
        assert_eq!(per_asset.severity_totals, findings(1));
        per_asset.remove("ns/b");
        per_asset.remove("ns/unknown");
        assert_eq!(
            per_asset.state_totals,
            BTreeMap::from([("Compliant".to_string(), 1)])
        );
        assert!(per_asset.severity_totals.is_empty());
    }
}
