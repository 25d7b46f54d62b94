//! An asset's assessment as the Asset's status and the policies show it, computed from the
//! core's findings: the summary with its top risks, one upgrade per fixable package, the SLA
//! findings and EPSS scores, and the recent advisories of its package set; and the
//! re-assessment of the assets a feed load touched.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use patchwarden_api::asset::{AvailableUpgrade, FindingsSummary, RiskEntry};
use patchwarden_api::policy_input::MemberUpgrades;
use patchwarden_core::Severity;
use patchwarden_core::advisory::Advisory;
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::finding::{AssetContext, Finding};
use patchwarden_core::index::AdvisoryIndex;
use patchwarden_core::inventory::Inventory;
use patchwarden_core::load_forecast::RATE_DAYS;
use patchwarden_core::sla::SlaFinding;

use super::assessment_inputs::AssetInputs;
use super::{AssetAssessment, TOP_RISKS};

/// An asset's assessment from the core's, before the host's sources are applied.
pub(super) fn assessment_of(
    basis: String,
    generation: u64,
    assessment: &patchwarden_core::finding::Assessment,
    recent_advisories: BTreeMap<Severity, u32>,
) -> AssetAssessment {
    let candidates = candidates(&assessment.findings);
    let sla = sla_findings(&assessment.findings);
    let epss = epss_scores(&assessment.findings);
    let mut fixes_by_package: HashMap<&str, Vec<&SlaFinding>> = HashMap::new();
    for (package, finding) in &sla {
        fixes_by_package
            .entry(package.as_str())
            .or_default()
            .push(finding);
    }
    let upgrades = candidates
        .into_iter()
        .map(|candidate| {
            let fixes = fixes_by_package
                .get(candidate.package.as_str())
                .map_or(&[][..], Vec::as_slice);
            Arc::new(AvailableUpgrade::from_assessment(candidate, fixes))
        })
        .collect();
    AssetAssessment {
        basis,
        generation,
        summary: summary(&assessment.findings, &assessment.summary),
        upgrades,
        epss,
        recent_advisories,
        member_upgrades: MemberUpgrades::default(),
    }
}

/// The advisories that concerned `inventory`'s packages in the last `RATE_DAYS` days, counted
/// by severity.
pub(super) fn recent_advisories(
    index: &AdvisoryIndex,
    inventory: &Inventory,
    ecosystem: &Ecosystem,
) -> BTreeMap<Severity, u32> {
    count_by_severity(index.recent_advisories(inventory, ecosystem, recent_since()))
}

/// The start of the `RATE_DAYS` days whose advisories count as recent.
fn recent_since() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::TimeDelta::days(i64::from(RATE_DAYS))
}

fn count_by_severity(advisories: Vec<&Advisory>) -> BTreeMap<Severity, u32> {
    let mut counts = BTreeMap::new();
    for advisory in advisories {
        *counts.entry(advisory.severity.level).or_insert(0u32) += 1;
    }
    counts
}

/// Threads that re-assess after a feed load: the operator's two cores, shared with the
/// control plane on small installations.
const REASSESS_THREADS: usize = 2;

/// The assessments of `touched` against `index`, completed with what each host's sources
/// offered when they cover the new upgrades (else the asset's reconcile reads them), made
/// ready for policies by `for_policies`; `None` for an asset without an ecosystem. One matcher
/// per thread shares the evaluation of each distinct package version across the fleet.
pub(super) fn reassess(
    index: &AdvisoryIndex,
    touched: &[(String, AssetInputs)],
    for_policies: &(dyn Fn(AssetAssessment) -> AssetAssessment + Sync),
) -> Vec<(String, Option<AssetAssessment>)> {
    let chunk = touched.len().div_ceil(REASSESS_THREADS).max(1);
    let since = recent_since();
    let one_part = |part: &[(String, AssetInputs)]| {
        let mut matcher = index.matcher();
        part.iter()
            .map(|(key, inputs)| {
                let assessed = inputs.ecosystem.as_deref().map(|ecosystem| {
                    let context = AssetContext {
                        name: key.clone(),
                        ecosystem: Ecosystem::new(ecosystem),
                        criticality: inputs.criticality,
                        exposure: inputs.exposure,
                    };
                    let core = matcher.assess(&inputs.inventory, &context);
                    let recent = count_by_severity(matcher.recent_advisories(
                        &inputs.inventory,
                        &context.ecosystem,
                        since,
                    ));
                    let fresh = assessment_of(inputs.basis(), 0, &core, recent);
                    let completed = inputs.completion.as_ref().and_then(|c| c(&fresh));
                    for_policies(completed.unwrap_or(fresh))
                });
                (key.clone(), assessed)
            })
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = touched
            .chunks(chunk)
            .map(|part| scope.spawn(move || one_part(part)))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    })
}

/// The status summary of findings sorted riskiest first.
fn summary(
    findings: &[Finding],
    core: &patchwarden_core::finding::AssessmentSummary,
) -> FindingsSummary {
    let count = |severity: Severity| {
        u32::try_from(core.by_severity.get(&severity).copied().unwrap_or(0)).unwrap_or(u32::MAX)
    };
    FindingsSummary {
        critical: count(Severity::Critical),
        high: count(Severity::High),
        medium: count(Severity::Medium),
        low: count(Severity::Low),
        negligible: count(Severity::Negligible),
        unknown: count(Severity::Unknown),
        known_exploited: u32::try_from(core.kev).unwrap_or(u32::MAX),
        fixable: u32::try_from(core.fixable).unwrap_or(u32::MAX),
        // Counted once the host's sources are read (`asset::sources`).
        fix_not_yet_available: 0,
        risk_score: (!findings.is_empty()).then_some(core.max_risk),
        top_risks: findings
            .iter()
            .take(TOP_RISKS)
            .map(|f| {
                let m = &f.matched;
                RiskEntry {
                    id: m
                        .cve_ids
                        .first()
                        .cloned()
                        .or_else(|| m.advisories.first().map(|a| a.id.clone()))
                        .unwrap_or_default(),
                    package: m.package.clone(),
                    installed_version: m.installed_version.clone(),
                    fixed_version: m.fixed_version.clone(),
                    severity: m.severity,
                    known_exploited: m.kev.is_some(),
                    epss: m.epss.as_ref().map(|e| e.probability),
                    score: f.risk.score,
                    explanation: f.risk.explain(),
                }
            })
            .collect(),
    }
}

/// One upgrade candidate per installed binary of each fixable finding.
fn candidates(findings: &[Finding]) -> Vec<UpgradeCandidate> {
    let mut by_package: BTreeMap<String, UpgradeCandidate> = BTreeMap::new();
    for finding in findings {
        let m = &finding.matched;
        let Some(fixed) = &m.fixed_version else {
            continue;
        };
        let source = finding.source.as_deref().unwrap_or(m.package.as_str());
        let mut add = |package: &str, installed: &str| match by_package.get_mut(package) {
            Some(existing) => {
                existing.known_exploited |= m.kev.is_some();
                existing.severity = existing.severity.max(m.severity);
                existing.security |= m.security;
                existing.published = match (existing.published, m.published) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                for cve in &m.cve_ids {
                    if !existing.cve_ids.contains(cve) {
                        existing.cve_ids.push(cve.clone());
                    }
                }
            }
            None => {
                let candidate = UpgradeCandidate {
                    package: package.to_string(),
                    source_package: Some(source.to_string()),
                    installed_version: installed.to_string(),
                    candidate_version: fixed.clone(),
                    severity: m.severity,
                    published: m.published,
                    known_exploited: m.kev.is_some(),
                    cve_ids: m.cve_ids.clone(),
                    security: m.security,
                };
                by_package.insert(package.to_string(), candidate);
            }
        };
        if finding.binaries.is_empty() {
            add(&m.package, &m.installed_version);
        } else {
            for installed in &finding.binaries {
                add(&installed.name, &installed.version);
            }
        }
    }
    by_package.into_values().collect()
}

/// The SLA view of each fixable finding: its id, severity and KEV due date, per binary.
fn sla_findings(findings: &[Finding]) -> Vec<(String, SlaFinding)> {
    let mut out = Vec::new();
    for finding in findings {
        let m = &finding.matched;
        if m.fixed_version.is_none() {
            continue;
        }
        let sla = SlaFinding {
            id: m
                .cve_ids
                .first()
                .cloned()
                .or_else(|| m.advisories.first().map(|a| a.id.clone()))
                .unwrap_or_else(|| m.package.clone()),
            severity: m.severity,
            published: m.published,
            kev_due: m.kev.as_ref().map(|k| k.due_date),
        };
        if finding.binaries.is_empty() {
            out.push((m.package.clone(), sla));
        } else {
            for installed in &finding.binaries {
                out.push((installed.name.to_string(), sla.clone()));
            }
        }
    }
    out
}

/// The EPSS score of each fixable finding, per installed binary (the package a run upgrades).
fn epss_scores(findings: &[Finding]) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for finding in findings {
        let m = &finding.matched;
        let (Some(epss), Some(_)) = (&m.epss, &m.fixed_version) else {
            continue;
        };
        if finding.binaries.is_empty() {
            out.push((m.package.clone(), epss.cve_id.clone(), epss.probability));
        }
        for installed in &finding.binaries {
            let package = installed.name.to_string();
            out.push((package, epss.cve_id.clone(), epss.probability));
        }
    }
    out
}
