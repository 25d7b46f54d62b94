//! The report computed from the resources as read: a pure function of the objects and `now`.

use chrono::{DateTime, NaiveDate, Utc};
use kube::ResourceExt;
use patchwarden_api::RunPhase;
use patchwarden_api::asset::{Asset, PatchState};
use patchwarden_api::conditions as c;
use patchwarden_api::patch_policy::{HistoryPoint, PatchPolicy};
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::time::from_k8s;

use crate::model::{
    AssetRisk, KevExposure, PolicyReport, PolicyTrend, ProfileRow, Report, RiskLine, RunRow,
    Summary, TrendPoint,
};
use crate::outcomes::outcomes;
use crate::remediation::{asset_key, judge, one_decimal, sla_rows};

/// The annotation a run carries once its evidence link is recorded.
pub const EVIDENCE_HASH_ANNOTATION: &str = "patchwarden.io/evidence-hash";

/// How many assets the "most at risk" table lists.
const TOP_ASSETS: usize = 10;

/// The resources a report is computed from.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReportInput {
    pub policies: Vec<PatchPolicy>,
    pub runs: Vec<PatchRun>,
    pub assets: Vec<Asset>,
}

/// Computes the report of `input` as of `now`. Every list is in a fixed order, so the same
/// objects give the same report.
pub fn build(input: &ReportInput, now: DateTime<Utc>) -> Report {
    let mut policies: Vec<&PatchPolicy> = input.policies.iter().collect();
    policies.sort_by_key(|p| key(*p));
    let judged = judge(&input.policies, &input.runs, &input.assets);
    Report {
        generated_at: now,
        summary: summary(input),
        policies: policies.iter().map(|p| policy_report(p)).collect(),
        sla: sla_rows(&judged, now),
        kev_exposure: kev_exposure(&input.assets, now),
        trends: policies.iter().map(|p| trend(p)).collect(),
        top_assets: top_assets(&input.assets),
        runs: runs(&input.runs),
        outcomes: outcomes(&input.policies),
    }
}

fn key<K: ResourceExt>(object: &K) -> String {
    format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

fn summary(input: &ReportInput) -> Summary {
    let mut summary = Summary {
        policies: input.policies.len() as u32,
        assets: input.assets.len() as u32,
        runs: input.runs.len() as u32,
        ..Summary::default()
    };
    for status in input.assets.iter().filter_map(|a| a.status.as_ref()) {
        if status.patch_state == Some(PatchState::Compliant) {
            summary.compliant_assets += 1;
        }
        if let Some(findings) = &status.findings {
            summary.open_critical += findings.critical;
            summary.open_high += findings.high;
            summary.open_known_exploited += findings.known_exploited;
        }
    }
    for status in input.runs.iter().filter_map(|r| r.status.as_ref()) {
        match status.phase {
            RunPhase::Succeeded => summary.runs_succeeded += 1,
            RunPhase::Failed | RunPhase::Halted => summary.runs_failed += 1,
            _ => {}
        }
    }
    summary
}

fn policy_report(policy: &PatchPolicy) -> PolicyReport {
    let status = policy.status.clone().unwrap_or_default();
    let compliance = status.compliance.unwrap_or_default();
    let open = status.open_findings.unwrap_or_default();
    PolicyReport {
        name: key(policy),
        assets: compliance.assets,
        compliant: compliance.compliant,
        percent: compliance.percent,
        open_critical: open.critical,
        open_high: open.high,
        open_known_exploited: open.known_exploited,
        assets_out_of_sla: status.assets_out_of_sla,
        ready: c::find_condition(&status.conditions, c::READY).map(|c| c.status.clone()),
        profiles: status
            .compliance_profiles
            .into_iter()
            .map(|p| ProfileRow {
                profile: p.profile,
                status: p.status,
                reason: p.reason,
                message: p.message,
                findings_in_scope: p.findings_in_scope,
                met: p.met,
                pending: p.pending,
                late: p.late,
                overdue: p.overdue,
            })
            .collect(),
    }
}

fn kev_exposure(assets: &[Asset], now: DateTime<Utc>) -> Vec<KevExposure> {
    let mut exposure = Vec::new();
    for asset in assets {
        let Some(status) = &asset.status else {
            continue;
        };
        let fixes: Vec<_> = status.upgrades.iter().flat_map(|u| &u.fixes).collect();
        let risks = status.findings.iter().flat_map(|f| &f.top_risks);
        for risk in risks.filter(|r| r.known_exploited) {
            let fix = fixes.iter().find(|f| f.id == risk.id);
            let published = fix.and_then(|f| f.published.as_ref()).map(from_k8s);
            let due_date = fix.and_then(|f| f.kev_due_date.clone());
            let past_due = due_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| d < now.date_naive());
            exposure.push(KevExposure {
                asset: asset_key(asset),
                id: risk.id.clone(),
                package: risk.package.clone(),
                days_open: published.map(|p| (now - p).num_days()),
                due_date,
                past_due,
            });
        }
    }
    exposure.sort_by(|a, b| {
        (b.days_open, &a.asset, &a.id, &a.package).cmp(&(a.days_open, &b.asset, &b.id, &b.package))
    });
    exposure.dedup_by(|a, b| a.asset == b.asset && a.id == b.id);
    exposure
}

fn trend(policy: &PatchPolicy) -> PolicyTrend {
    let history: &[HistoryPoint] = policy.status.as_ref().map_or(&[], |s| &s.history);
    PolicyTrend {
        policy: key(policy),
        points: history.iter().map(trend_point).collect(),
    }
}

fn trend_point(point: &HistoryPoint) -> TrendPoint {
    let finished = point.runs_succeeded + point.runs_failed;
    TrendPoint {
        at: from_k8s(&point.at),
        open_critical: point.open_critical,
        open_high: point.open_high,
        open_known_exploited: point.open_known_exploited,
        compliant_percent: if point.total_assets == 0 {
            100.0
        } else {
            one_decimal(100.0 * f64::from(point.compliant_assets) / f64::from(point.total_assets))
        },
        run_success_percent: (finished > 0)
            .then(|| one_decimal(100.0 * f64::from(point.runs_succeeded) / f64::from(finished))),
    }
}

fn top_assets(assets: &[Asset]) -> Vec<AssetRisk> {
    let mut risky: Vec<AssetRisk> = assets
        .iter()
        .filter_map(|asset| {
            let status = asset.status.as_ref()?;
            let findings = status.findings.as_ref()?;
            let score = findings.risk_score?;
            Some(AssetRisk {
                name: asset_key(asset),
                risk_score: score,
                patch_state: status.patch_state.map(|s| format!("{s:?}")),
                critical: findings.critical,
                high: findings.high,
                known_exploited: findings.known_exploited,
                risks: findings
                    .top_risks
                    .iter()
                    .take(3)
                    .map(|r| RiskLine {
                        id: r.id.clone(),
                        package: r.package.clone(),
                        score: r.score,
                        explanation: r.explanation.clone(),
                    })
                    .collect(),
            })
        })
        .filter(|a| a.risk_score > 0.0)
        .collect();
    risky.sort_by(|a, b| {
        b.risk_score
            .total_cmp(&a.risk_score)
            .then_with(|| a.name.cmp(&b.name))
    });
    risky.truncate(TOP_ASSETS);
    risky
}

fn runs(runs: &[PatchRun]) -> Vec<RunRow> {
    let mut rows: Vec<(Option<DateTime<Utc>>, RunRow)> = runs
        .iter()
        .map(|run| {
            let status = run.status.clone().unwrap_or_default();
            let counts = status.counts.clone().unwrap_or_default();
            let created = run.metadata.creation_timestamp.as_ref().map(from_k8s);
            let row = RunRow {
                name: key(run),
                policy: run.spec.policy.clone(),
                trigger: run.spec.trigger.as_str().to_string(),
                phase: status.phase.as_str().to_string(),
                started_at: status.started_at.as_ref().map(from_k8s),
                finished_at: status.finished_at.as_ref().map(from_k8s),
                assets: run.spec.assets.len() as u32,
                succeeded: counts.succeeded,
                failed: counts.failed,
                cves_closed: status
                    .assets
                    .iter()
                    .map(|a| a.cves_closed.len() as u32)
                    .sum(),
                evidence_hash: run.annotations().get(EVIDENCE_HASH_ANNOTATION).cloned(),
                message: status.message.clone(),
            };
            (row.started_at.or(created), row)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    rows.into_iter().map(|(_, row)| row).collect()
}
