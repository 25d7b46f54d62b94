//! Every metric the Grafana dashboard queries is one the operator exports.

use std::collections::BTreeSet;

use patchwarden::controllers::metrics::Metrics;
use serde_json::Value;
use support::paths::repo_path;

/// The `patchwarden_*` names in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("patchwarden_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

/// The sample names a registry exposes: each `# TYPE` family with the suffixes its type adds
/// (`_total` for counters; `_bucket`, `_sum`, `_count` for histograms).
fn exported_names(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        let Some(declaration) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = declaration.split_whitespace();
        let (Some(family), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        for suffix in suffixes {
            names.insert(format!("{family}{suffix}"));
        }
    }
    names
}

/// The exposition of a registry in which every metric has a sample: a family without one is
/// left out of the text.
fn exposition() -> String {
    let metrics = Metrics::new();
    metrics.reconciled("PatchPolicy", std::time::Duration::from_millis(12));
    metrics.reconcile_failed("PatchPolicy", "transient");
    metrics.run_finished("Succeeded");
    metrics.set_leader(true);
    metrics.set_asset(
        "default/web-0",
        "Compliant",
        [("high".to_string(), 1)].into(),
    );
    metrics.encode()
}

fn dashboard_expressions() -> Vec<String> {
    let text = std::fs::read_to_string(repo_path("charts/patchwarden/dashboards/patchwarden.json"))
        .expect("the dashboard is in the chart");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().expect("a PromQL expr").to_string())
        .collect()
}

#[test]
fn the_dashboard_queries_only_metrics_the_operator_exports() {
    let exported = exported_names(&exposition());
    assert!(
        exported.contains("patchwarden_reconciles_total"),
        "the exposition declares the operator's metrics: {exported:?}"
    );
    let expressions = dashboard_expressions();
    let queried: BTreeSet<String> = expressions.iter().flat_map(|e| metric_names(e)).collect();
    assert!(
        queried.len() >= 6,
        "the dashboard shows the metrics: {queried:?}"
    );
    let unknown: Vec<&String> = queried.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "queried but not exported: {unknown:?} (exported: {exported:?})"
    );
}

#[test]
fn a_misspelt_metric_is_caught() {
    let exported = exported_names(&exposition());
    let names = metric_names("sum(rate(patchwarden_reconcile_total[5m])) / patchwarden_assets");
    assert_eq!(names, ["patchwarden_reconcile_total", "patchwarden_assets"]);
    assert!(!exported.contains(&names[0]));
    assert!(exported.contains(&names[1]));
}
