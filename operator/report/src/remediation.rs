//! Remediation against deadlines: which findings runs fixed and when, which are still open,
//! and each one's deadline under the SLA of the policy that covers it.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use kube::ResourceExt;
use patchwarden_api::asset::{Asset, FixedFinding};
use patchwarden_api::labels;
use patchwarden_api::patch_policy::{PatchPolicy, Sla};
use patchwarden_api::patch_run::{AssetRunState, PatchRun};
use patchwarden_api::time::from_k8s;
use patchwarden_core::Severity;

use crate::model::SlaRow;

/// A finding with its deadline, fixed or still open.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub severity: Severity,
    pub known_exploited: bool,
    pub published: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    /// When a run proved it closed; `None` while open.
    pub fixed_at: Option<DateTime<Utc>>,
}

/// The classes the SLA table shows, in order. `Other` holds negligible findings and those
/// without a published severity (many distribution advisories have none).
const CLASSES: [&str; 6] = ["Critical", "High", "Medium", "Low", "Other", "KEV"];

/// The SLA table: one row per class, from the judged findings as of `now`.
pub fn sla_rows(judged: &[Judged], now: DateTime<Utc>) -> Vec<SlaRow> {
    CLASSES
        .iter()
        .map(|class| {
            let members: Vec<&Judged> = judged.iter().filter(|j| in_class(j, class)).collect();
            sla_row(class, &members, now)
        })
        .collect()
}

fn in_class(judged: &Judged, class: &str) -> bool {
    if class == "KEV" {
        judged.known_exploited
    } else if class == "Other" {
        matches!(judged.severity, Severity::Negligible | Severity::Unknown)
    } else {
        judged.severity.as_str() == class
    }
}

fn sla_row(class: &str, members: &[&Judged], now: DateTime<Utc>) -> SlaRow {
    let mut row = SlaRow {
        class: class.to_string(),
        fixed: 0,
        in_time: 0,
        late: 0,
        open_overdue: 0,
        open_within: 0,
        adherence_percent: None,
        mean_days_to_remediate: None,
    };
    let mut days = Vec::new();
    for judged in members {
        match judged.fixed_at {
            Some(fixed) => {
                row.fixed += 1;
                match judged.deadline {
                    Some(deadline) if fixed <= deadline => row.in_time += 1,
                    Some(_) => row.late += 1,
                    None => {}
                }
                if let Some(published) = judged.published {
                    days.push((fixed - published).num_seconds() as f64 / 86_400.0);
                }
            }
            None => match judged.deadline {
                Some(deadline) if deadline < now => row.open_overdue += 1,
                _ => row.open_within += 1,
            },
        }
    }
    let judged_count = row.in_time + row.late + row.open_overdue;
    if judged_count > 0 {
        row.adherence_percent = Some(one_decimal(
            100.0 * f64::from(row.in_time) / f64::from(judged_count),
        ));
    }
    if !days.is_empty() {
        row.mean_days_to_remediate =
            Some(one_decimal(days.iter().sum::<f64>() / days.len() as f64));
    }
    row
}

/// Rounds to one decimal, as status percentages are.
pub fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Every finding runs fixed (once per asset and finding, the earliest fix) and every open
/// finding of the assets that no run fixed, judged against the covering policy's SLA.
pub fn judge(policies: &[PatchPolicy], runs: &[PatchRun], assets: &[Asset]) -> Vec<Judged> {
    let mut fixed: Vec<(String, String, Judged)> = Vec::new();
    for run in runs {
        let sla = run
            .spec
            .policy
            .as_deref()
            .and_then(|name| find_policy(policies, run.namespace().as_deref(), name))
            .map(|p| &p.spec.sla);
        for (asset, finding, at) in fixed_by(run) {
            let key = format!("{}/{asset}", run.namespace().unwrap_or_default());
            fixed.push((key, finding.id.clone(), judged(finding, sla, Some(at))));
        }
    }
    fixed.sort_by(|a, b| (&a.0, &a.1, a.2.fixed_at).cmp(&(&b.0, &b.1, b.2.fixed_at)));
    fixed.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let mut seen: BTreeSet<(String, String)> =
        fixed.iter().map(|f| (f.0.clone(), f.1.clone())).collect();
    let mut all: Vec<Judged> = fixed.into_iter().map(|f| f.2).collect();
    for asset in assets {
        let key = asset_key(asset);
        let sla = covering_sla(policies, asset);
        let open = asset.status.iter().flat_map(|s| &s.upgrades);
        for finding in open.flat_map(|u| &u.fixes) {
            if seen.insert((key.clone(), finding.id.clone())) {
                all.push(judged(finding, sla, None));
            }
        }
    }
    all
}

/// `namespace/name` of an object.
pub fn asset_key(asset: &Asset) -> String {
    format!(
        "{}/{}",
        asset.namespace().unwrap_or_default(),
        asset.name_any()
    )
}

fn find_policy<'a>(
    policies: &'a [PatchPolicy],
    namespace: Option<&str>,
    name: &str,
) -> Option<&'a PatchPolicy> {
    policies
        .iter()
        .find(|p| p.name_any() == name && p.namespace().as_deref() == namespace)
}

/// The SLA of the first policy (by name) that targets the asset's group.
fn covering_sla<'a>(policies: &'a [PatchPolicy], asset: &Asset) -> Option<&'a Sla> {
    let group = asset.labels().get(labels::ASSET_GROUP)?;
    policies
        .iter()
        .filter(|p| p.namespace() == asset.namespace())
        .find(|p| p.spec.asset_groups.contains(group))
        .map(|p| &p.spec.sla)
}

fn judged(finding: &FixedFinding, sla: Option<&Sla>, fixed_at: Option<DateTime<Utc>>) -> Judged {
    let published = finding.published.as_ref().map(from_k8s);
    let kev_due = finding
        .kev_due_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|d| d.and_utc());
    let by_severity = sla
        .and_then(|s| s.for_severity(finding.severity))
        .and_then(|d| d.parse().ok())
        .zip(published)
        .map(|(d, p)| p + d.to_chrono());
    let by_kev = kev_due.filter(|_| sla.is_some_and(|s| s.kev_due_date));
    Judged {
        severity: finding.severity,
        known_exploited: finding.kev_due_date.is_some(),
        published,
        deadline: [by_severity, by_kev].into_iter().flatten().min(),
        fixed_at,
    }
}

/// The findings `run` proved closed, per asset, with when that asset's work finished.
fn fixed_by(run: &PatchRun) -> Vec<(&str, &FixedFinding, DateTime<Utc>)> {
    let Some(status) = &run.status else {
        return Vec::new();
    };
    let mut fixed = Vec::new();
    for result in &status.assets {
        let Some(finished) = result.finished_at.as_ref().map(from_k8s) else {
            continue;
        };
        if !matches!(
            result.state,
            AssetRunState::Succeeded | AssetRunState::Failed
        ) {
            continue;
        }
        let planned = run.spec.assets.iter().find(|a| a.name == result.name);
        for finding in planned
            .iter()
            .flat_map(|a| &a.packages)
            .flat_map(|p| &p.findings)
        {
            if result.cves_closed.contains(&finding.id) {
                fixed.push((result.name.as_str(), finding, finished));
            }
        }
    }
    fixed
}
