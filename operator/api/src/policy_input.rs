//! The resources as `core::policy` reads them, and its frozen run as a PatchRun spec. The
//! PatchPolicy controller and `plan` both go through these functions, so the members, rules
//! and waves a pull request previews are the ones the controller acts on.

use std::borrow::Borrow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::policy::{FrozenRun, Member, PolicyRules, RunRecord, suspension_reason};
use patchwarden_core::sla::{PackageFinding, SlaFinding};

use patchwarden_k8s_rules::LabelSelector;

use crate::asset::{Asset, AvailableUpgrade, FixedFinding, PatchState, RiskEntry};
use crate::asset_group::AssetGroupSpec;
use crate::convert::SpecError;
use crate::labels;
use crate::patch_policy::{PatchPolicySpec, PolicyMode};
use crate::patch_run::{PatchRun, PatchRunSpec, PlannedAsset, PlannedPackage, RunLimits, Wave};
use crate::time::{from_k8s, to_k8s};
use crate::values::DurationValue;

/// Annotation on a PatchRun: the policy generation it was planned from.
pub const POLICY_GENERATION_ANNOTATION: &str = "patchwarden.io/policy-generation";
/// Annotation on a PatchRun: the policy's `requestedAt` value when it was planned.
pub const POLICY_REQUEST_ANNOTATION: &str = "patchwarden.io/policy-requested-at";

impl PatchPolicySpec {
    /// The spec compiled into the rules `core::policy` evaluates; `key` is `namespace/name`.
    pub fn policy_rules(&self, key: &str) -> Result<PolicyRules, SpecError> {
        Ok(PolicyRules {
            key: key.to_string(),
            approval: self.compile_approval()?,
            sla: self.sla_rules()?,
            emergency: self.emergency.clone(),
            epss_threshold: self.epss_threshold(),
            rollout: self.core_rollout_settings()?,
            plan_only: self.mode == PolicyMode::Plan,
            suspended: self.suspend,
        })
    }
}

impl AvailableUpgrade {
    /// The status entry of an assessed candidate and the findings it fixes.
    pub fn from_assessment(candidate: UpgradeCandidate, fixes: &[&SlaFinding]) -> Self {
        AvailableUpgrade {
            source_package: candidate
                .source_package
                .filter(|source| source != &candidate.package),
            package: candidate.package,
            installed_version: candidate.installed_version,
            fixed_version: candidate.candidate_version,
            severity: candidate.severity,
            known_exploited: candidate.known_exploited,
            published: candidate.published.map(to_k8s),
            security: candidate.security,
            fixes: fixes
                .iter()
                .map(|finding| FixedFinding {
                    id: finding.id.clone(),
                    severity: finding.severity,
                    published: finding.published.map(to_k8s),
                    kev_due_date: finding.kev_due.map(|d| d.format("%Y-%m-%d").to_string()),
                })
                .collect(),
            host_candidate_version: None,
            host_origin: None,
            not_available_reason: None,
        }
    }

    /// The candidate a policy approves or holds back.
    pub fn candidate(&self) -> UpgradeCandidate {
        UpgradeCandidate {
            package: self.package.clone(),
            source_package: Some(
                self.source_package
                    .clone()
                    .unwrap_or_else(|| self.package.clone()),
            ),
            installed_version: self.installed_version.clone(),
            candidate_version: self.target_version().to_string(),
            severity: self.severity,
            published: self.published.as_ref().map(from_k8s),
            known_exploited: self.known_exploited,
            cve_ids: self.fixes.iter().map(|f| f.id.clone()).collect(),
            security: self.security,
        }
    }

    /// The findings it fixes, as SLA deadlines read them.
    pub fn sla_findings(&self) -> impl Iterator<Item = SlaFinding> + '_ {
        self.fixes.iter().map(|f| SlaFinding {
            id: f.id.clone(),
            severity: f.severity,
            published: f.published.as_ref().map(from_k8s),
            kev_due: f
                .kev_due_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        })
    }
}

/// What a policy reads of an asset's upgrades: its patch targets and the findings SLA
/// deadlines count. Built once per assessment and shared by every evaluation that reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberUpgrades {
    /// The candidates of the upgrades a patch may install.
    pub candidates: Arc<[Arc<UpgradeCandidate>]>,
    /// Every upgrade's findings, by package.
    pub findings: Arc<[Arc<PackageFinding>]>,
}

impl MemberUpgrades {
    /// From an asset's upgrades: a fix the host's sources do not offer yet cannot be
    /// installed, but its findings still count towards SLA deadlines.
    pub fn of<U: Borrow<AvailableUpgrade>>(upgrades: &[U]) -> MemberUpgrades {
        let upgrades = || upgrades.iter().map(Borrow::borrow);
        MemberUpgrades {
            candidates: upgrades()
                .filter(|u| u.is_patch_target())
                .map(|u| Arc::new(u.candidate()))
                .collect(),
            findings: upgrades()
                .flat_map(|u: &AvailableUpgrade| {
                    u.sla_findings().map(|finding| {
                        Arc::new(PackageFinding {
                            package: u.package.clone(),
                            finding,
                        })
                    })
                })
                .collect(),
        }
    }
}

/// An assessed asset as a member of one of the policy's groups (its `maxUnavailable` pool).
pub fn policy_member(
    name: &str,
    group: &str,
    risk: f64,
    upgrades: &MemberUpgrades,
    patch_state: Option<PatchState>,
) -> Member {
    Member {
        risk,
        candidates: upgrades.candidates.clone(),
        findings: upgrades.findings.clone(),
        failing: matches!(
            patch_state,
            Some(PatchState::Failed | PatchState::Unreachable | PatchState::Quarantined)
        ),
        ..Member::new(name, group)
    }
}

/// The EPSS scores of the assessed findings, as (package, finding id, probability).
fn epss_scores(risks: &[RiskEntry]) -> Vec<(String, String, f64)> {
    risks
        .iter()
        .filter_map(|r| r.epss.map(|p| (r.package.clone(), r.id.clone(), p)))
        .collect()
}

/// An asset as a member, from what its status shows; a suspended Asset is held back.
pub fn asset_member(asset: &Asset, group: &str) -> Member {
    let status = asset.status.as_ref();
    let mut member = policy_member(
        asset.metadata.name.as_deref().unwrap_or_default(),
        group,
        status
            .and_then(|s| s.findings.as_ref())
            .and_then(|f| f.risk_score)
            .unwrap_or(0.0),
        &MemberUpgrades::of(status.map(|s| s.upgrades.as_slice()).unwrap_or(&[])),
        status.and_then(|s| s.patch_state),
    );
    member.epss = status
        .and_then(|s| s.findings.as_ref())
        .map(|f| epss_scores(&f.top_risks))
        .unwrap_or_default();
    member.suspended = suspension_reason(asset.spec.suspend, None);
    member
}

/// A run of the policy as the evaluation reads it.
pub fn run_record(run: &PatchRun) -> RunRecord {
    let status = run.status.as_ref();
    let annotation = |key: &str| {
        run.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .cloned()
    };
    RunRecord {
        name: run.metadata.name.clone().unwrap_or_default(),
        created: run.metadata.creation_timestamp.as_ref().map(from_k8s),
        finished: status.is_some_and(|s| s.phase.is_finished() && s.finished_at.is_some()),
        succeeded: status.is_some_and(|s| s.phase == crate::RunPhase::Succeeded),
        policy_generation: annotation(POLICY_GENERATION_ANNOTATION),
        policy_requested_at: annotation(POLICY_REQUEST_ANNOTATION),
    }
}

/// The PatchRun spec that freezes `run` for the policy `name` with `spec`.
pub fn run_spec(name: &str, spec: &PatchPolicySpec, run: &FrozenRun) -> PatchRunSpec {
    let plan = &run.plan;
    let ungrouped = plan.max_unavailable.get("").copied();
    PatchRunSpec {
        policy: Some(name.to_string()),
        trigger: run.trigger,
        window: run.window.as_ref().map(|w| w.window.clone()),
        start_deadline: run.window.as_ref().map(|w| to_k8s(w.opening.cutoff_at)),
        assets: run
            .assets
            .iter()
            .map(|asset| PlannedAsset {
                name: asset.name.clone(),
                group: Some(asset.group.clone()).filter(|g| !g.is_empty()),
                packages: asset
                    .packages
                    .iter()
                    .map(|c| PlannedPackage {
                        name: c.package.clone(),
                        from: c.installed_version.clone(),
                        to: c.candidate_version.clone(),
                        fixes: c.cve_ids.clone(),
                        findings: Vec::new(),
                    })
                    .collect(),
                reboot_expected: false,
            })
            .collect(),
        waves: plan
            .waves
            .iter()
            .map(|w| Wave {
                assets: w.assets.clone(),
                canary: w.canary,
                estimated_duration: Some(DurationValue::new(w.estimated_duration.to_string())),
            })
            .collect(),
        limits: RunLimits {
            max_unavailable: ungrouped
                .or_else(|| plan.max_unavailable.values().copied().max())
                .unwrap_or(1),
            max_unavailable_by_group: plan
                .max_unavailable
                .iter()
                .filter(|(group, _)| !group.is_empty())
                .map(|(group, limit)| (group.clone(), *limit))
                .collect(),
            max_failures: plan.max_failures,
            pause_between_waves: spec.rollout.pause_between_waves.clone(),
            rollback_on_failure: spec.rollout.rollback_on_failure,
            reboot: spec.reboot,
            reboot_timeout: spec.reboot_timeout.clone(),
            reboot_command: spec.reboot_command.clone(),
            health_checks: spec.rollout.health_checks.clone(),
            hooks: spec.hooks.clone(),
        },
        suspend: false,
    }
}

/// The name of a run the policy `name` creates at `now`.
pub fn run_name(name: &str, now: DateTime<Utc>) -> String {
    format!("{name}-{}", now.format("%Y%m%d-%H%M%S"))
}

/// A group's `spec.selector` as the membership rule reads it: `None` when absent (it selects
/// nothing); an error names what Kubernetes would refuse.
pub fn group_selector(
    spec: &AssetGroupSpec,
) -> Result<Option<LabelSelector>, patchwarden_k8s_rules::selector::InvalidSelector> {
    crate::label_selector::from_optional(spec.selector.as_ref())
}

/// Whether `asset` belongs to the group `name` with `spec`, by the one membership rule.
pub fn group_contains(name: &str, selector: Option<&LabelSelector>, asset: &Asset) -> bool {
    let empty = std::collections::BTreeMap::new();
    let labels = asset.metadata.labels.as_ref().unwrap_or(&empty);
    patchwarden_core::policy::is_member(name, selector, declared_group(asset), labels)
}

/// The group an asset declares with the asset-group label.
pub fn declared_group(asset: &Asset) -> Option<&str> {
    asset
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::ASSET_GROUP))
        .map(String::as_str)
}
