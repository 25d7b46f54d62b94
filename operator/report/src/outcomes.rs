//! The outcomes section: what the fleet learned from its runs, as the policies' status shows
//! it (the statistics are fleet-wide, so every policy carries the same summary; the newest
//! is taken), the updates quarantined fleet-wide with the policies they hold back, and what
//! each policy's next window can expect.

use std::collections::BTreeMap;

use kube::ResourceExt;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::time::from_k8s;

use crate::model::{LoadRow, OutcomesReport, QuarantineRow};

/// The outcomes section of `policies`.
pub fn outcomes(policies: &[PatchPolicy]) -> OutcomesReport {
    let mut report = OutcomesReport::default();
    let newest = policies
        .iter()
        .filter_map(|p| p.status.as_ref()?.outcomes.as_ref())
        .max_by_key(|o| (o.runs, o.attempts));
    if let Some(summary) = newest {
        report.runs = summary.runs;
        report.attempts = summary.attempts;
        report.successes = summary.successes;
        report.failures = summary.failures;
        report.rollbacks = summary.rollbacks;
        report.duration_p50 = summary.duration_p50.clone();
        report.duration_p90 = summary.duration_p90.clone();
    }
    let mut rows: BTreeMap<(String, String, String), QuarantineRow> = BTreeMap::new();
    for policy in policies {
        let name = format!(
            "{}/{}",
            policy.namespace().unwrap_or_default(),
            policy.name_any()
        );
        let listed = policy.status.iter().flat_map(|s| s.quarantined.iter());
        for q in listed {
            let key = (q.ecosystem.clone(), q.package.clone(), q.version.clone());
            let row = rows.entry(key).or_insert_with(|| QuarantineRow {
                ecosystem: q.ecosystem.clone(),
                package: q.package.clone(),
                version: q.version.clone(),
                reason: q.reason.clone(),
                since: q.since.as_ref().map(from_k8s),
                expires_at: q.expires_at.as_ref().map(from_k8s),
                policies: Vec::new(),
            });
            row.policies.push(name.clone());
        }
    }
    report.quarantined = rows.into_values().collect();
    report.predicted_load = policies
        .iter()
        .filter_map(|policy| {
            let load = policy.status.as_ref()?.predicted_load.as_ref()?;
            Some(LoadRow {
                policy: format!(
                    "{}/{}",
                    policy.namespace().unwrap_or_default(),
                    policy.name_any()
                ),
                opens_at: from_k8s(&load.opens_at)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                expected_assets: load.expected_assets,
                expected_work: load.expected_work.clone(),
                expected_new_findings: load.expected_new_findings,
                expected_sla_breaches: load.expected_sla_breaches,
                recent_advisories: load.recent_advisories,
            })
        })
        .collect();
    report
        .predicted_load
        .sort_by(|a, b| a.policy.cmp(&b.policy));
    report
}
