//! The impact of a change between two revisions, per policy: a pure function of the two
//! resource sets, the live state and `now`.
//!
//! For every policy whose spec, asset groups or windows changed it explains: assets entering
//! or leaving scope, findings newly approved or held back, the next start opportunity before
//! and after, SLA forecasts whose verdict changes, and emergency behaviour changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use patchwarden_api::maintenance_window::MaintenanceWindowSpec;
use patchwarden_api::patch_policy::PolicyMode;
use patchwarden_api::policy_input::{asset_member, group_contains, group_selector};
use patchwarden_api::{Asset, AssetGroupSpec, PatchPolicySpec};
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::policy::{
    self, NamedWindow, PolicyEvaluation, PolicyInput, PolicyRules, SlaFeasibility,
    sla_class_forecasts,
};
use patchwarden_core::sla::{EmergencyRule, effective_emergency_rules};
use patchwarden_core::window;
use patchwarden_core::{Duration, Severity};
use serde::Serialize;
use serde_json::Value;

use crate::diff::{FieldChange, ResourceDiff};
use crate::resources::{ResourceKey, ResourceSet};
use crate::revision::RevisionProblem;
use crate::snapshot::Snapshot;
use crate::source::Revision;

pub use patchwarden_core::policy::SLA_HORIZON;

/// Everything `plan` computes from its inputs.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub base: &'a Revision,
    pub head: &'a Revision,
    pub base_resources: &'a ResourceSet,
    /// The head's resources as far as they parse (empty when they do not).
    pub head_resources: &'a ResourceSet,
    /// Why the head revision is invalid; empty when it is valid.
    pub head_problems: &'a [RevisionProblem],
    /// The live Assets and policies, when known.
    pub live: Option<&'a Snapshot>,
    /// Namespace of resources that do not name one.
    pub default_namespace: &'a str,
    pub now: DateTime<Utc>,
}

/// The plan: validity, resource changes and per-policy impact.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport {
    pub base: Revision,
    pub head: Revision,
    pub evaluated_at: DateTime<Utc>,
    pub valid: bool,
    pub problems: Vec<RevisionProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_state: Option<LiveState>,
    pub summary: PlanSummary,
    pub changes: ResourceDiff,
    pub policies: Vec<PolicyImpact>,
}

/// Counts a reviewer reads first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    pub policies_affected: usize,
    pub findings_newly_approved: usize,
    pub findings_held_back: usize,
    pub sla_regressions: usize,
    pub emergency_changes: usize,
}

impl PlanSummary {
    fn of(policies: &[PolicyImpact]) -> Self {
        Self {
            policies_affected: policies.len(),
            findings_newly_approved: policies
                .iter()
                .map(|p| p.approvals.newly_approved.len())
                .sum(),
            findings_held_back: policies.iter().map(|p| p.approvals.held_back.len()).sum(),
            sla_regressions: policies
                .iter()
                .map(|p| p.sla.iter().filter(|s| s.regression).count())
                .sum(),
            emergency_changes: policies.iter().filter(|p| p.emergency.is_some()).count(),
        }
    }
}

/// Which live state the impact was computed against.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveState {
    pub taken_at: DateTime<Utc>,
    pub assets: usize,
}

/// How a policy is touched by the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyChange {
    Added,
    Removed,
    Modified,
    /// Its own spec is unchanged, but an asset group or window it uses changed.
    Indirect,
}

/// The impact of the change on one policy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyImpact {
    pub namespace: String,
    pub name: String,
    pub change: PolicyChange,
    /// Changed resources the policy uses, as `Kind name`.
    pub causes: Vec<String>,
    /// Field changes of the policy's own spec.
    pub spec_changes: Vec<FieldChange>,
    pub scope: ScopeImpact,
    pub approvals: ApprovalImpact,
    pub next_window: NextWindowImpact,
    pub sla: Vec<SlaImpact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutImpact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencyImpact>,
    /// Mode and suspension changes, in words.
    pub notes: Vec<String>,
}

/// Assets in scope before and after.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeImpact {
    pub before: usize,
    pub after: usize,
    pub entering: Vec<String>,
    pub leaving: Vec<String>,
}

/// Findings whose approval changes.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalImpact {
    pub newly_approved: Vec<FindingImpact>,
    pub held_back: Vec<FindingImpact>,
}

/// One finding on one asset, and why its approval changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingImpact {
    pub asset: String,
    pub id: String,
    pub package: String,
    pub installed_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    pub known_exploited: bool,
    pub reason: String,
}

/// The next moment work may start, before and after.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextWindowImpact {
    pub before: Option<DateTime<Utc>>,
    pub after: Option<DateTime<Utc>>,
    pub changed: bool,
}

/// An SLA class whose forecast changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaImpact {
    /// `critical`, `high`, `medium` or `low`.
    pub class: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_before: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_after: Option<bool>,
    /// True when the forecast got worse (a deadline that can no longer be met).
    pub regression: bool,
    pub message: String,
}

/// How the rollout of the approved patches would run, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutImpact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<RolloutForecast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<RolloutForecast>,
    pub message: String,
}

/// The rollout the core would plan for the assets with approved patches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutForecast {
    pub assets: usize,
    pub waves: usize,
    pub canaries: usize,
    /// Waves and pauses, from the default per-asset estimate.
    pub estimated_duration: String,
    /// Window openings the waves are spread over.
    pub windows: usize,
    /// Some waves fit in no opening within the forecast horizon.
    pub unscheduled: bool,
    /// The assets of each wave, canary first: the waves the controller freezes.
    pub wave_assets: Vec<Vec<String>>,
}

impl std::fmt::Display for RolloutForecast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} asset{} in {} wave{}",
            self.assets,
            if self.assets == 1 { "" } else { "s" },
            self.waves,
            if self.waves == 1 { "" } else { "s" }
        )?;
        if self.canaries > 0 {
            write!(f, " ({} canary)", self.canaries)?;
        }
        write!(f, ", about {}", self.estimated_duration)?;
        if self.unscheduled {
            write!(f, ", not all waves fit the windows")
        } else {
            write!(
                f,
                ", {} window opening{}",
                self.windows,
                if self.windows == 1 { "" } else { "s" }
            )
        }
    }
}

/// Out-of-window behaviour before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyImpact {
    pub before: Vec<EmergencyRule>,
    pub after: Vec<EmergencyRule>,
    pub messages: Vec<String>,
}

/// Computes the plan. Pure: everything comes from `input`.
pub fn compute_plan(input: &PlanInput<'_>) -> PlanReport {
    let changes = ResourceDiff::between(input.base_resources, input.head_resources);
    let base = RevisionView::new(input.base_resources, input.default_namespace);
    let head = RevisionView::new(input.head_resources, input.default_namespace);
    let changed_keys = summarise_changes(&changes, input.default_namespace);
    let assets: &[Asset] = input.live.map(|s| s.assets.as_slice()).unwrap_or(&[]);

    let mut names: BTreeSet<NamedKey> = base.policies.keys().cloned().collect();
    names.extend(head.policies.keys().cloned());
    let mut policies = Vec::new();
    for key in names {
        let before = base.policies.get(&key);
        let after = head.policies.get(&key);
        let own = changed_keys.get(&("PatchPolicy".to_string(), key.0.clone(), key.1.clone()));
        let causes = dependency_causes(&key.0, before, after, &changed_keys);
        if after.is_none() && head.unreadable_policies.contains(&key) {
            // Comparing against a spec that cannot be read would report it as removed.
            policies.push(PolicyImpact {
                namespace: key.0.clone(),
                name: key.1.clone(),
                change: PolicyChange::Modified,
                causes,
                spec_changes: Vec::new(),
                scope: ScopeImpact::default(),
                approvals: ApprovalImpact::default(),
                next_window: NextWindowImpact::default(),
                sla: Vec::new(),
                rollout: None,
                emergency: None,
                notes: vec![
                    "its spec in the head revision is invalid (see the problems above), so its impact is not computed".into(),
                ],
            });
            continue;
        }
        let change = match (before, after) {
            (None, Some(_)) => PolicyChange::Added,
            (Some(_), None) => PolicyChange::Removed,
            _ if own.is_some() => PolicyChange::Modified,
            _ if !causes.is_empty() => PolicyChange::Indirect,
            _ => continue,
        };
        let spec_changes = own
            .map(|summary| {
                summary
                    .fields
                    .iter()
                    .filter(|c| c.path.starts_with("spec"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let side_before = before.map(|spec| PolicySide::new(&key, spec, &base, assets, input.now));
        let side_after = after.map(|spec| PolicySide::new(&key, spec, &head, assets, input.now));
        policies.push(PolicyImpact {
            namespace: key.0.clone(),
            name: key.1.clone(),
            change,
            causes,
            spec_changes,
            scope: scope_impact(side_before.as_ref(), side_after.as_ref()),
            approvals: approval_impact(side_before.as_ref(), side_after.as_ref(), change),
            next_window: next_window_impact(side_before.as_ref(), side_after.as_ref()),
            sla: sla_impact(side_before.as_ref(), side_after.as_ref(), input.now),
            rollout: rollout_impact(side_before.as_ref(), side_after.as_ref(), input.now),
            emergency: emergency_impact(side_before.as_ref(), side_after.as_ref()),
            notes: {
                let mut notes = notes(before, after, side_after.as_ref());
                if let Some(drift) = live_drift(input.live, &key, before) {
                    notes.push(drift);
                }
                notes
            },
        });
    }
    PlanReport {
        base: input.base.clone(),
        head: input.head.clone(),
        evaluated_at: input.now,
        valid: input.head_problems.is_empty(),
        problems: input.head_problems.to_vec(),
        live_state: input.live.map(|s| LiveState {
            taken_at: s.taken_at,
            assets: s.assets.len(),
        }),
        summary: PlanSummary::of(&policies),
        changes,
        policies,
    }
}

/// (namespace, name)
type NamedKey = (String, String);

/// The typed patchwarden objects of one revision, by namespace and name.
struct RevisionView {
    policies: BTreeMap<NamedKey, PatchPolicySpec>,
    /// Policies declared with a spec that does not deserialise.
    unreadable_policies: BTreeSet<NamedKey>,
    groups: BTreeMap<NamedKey, AssetGroupSpec>,
    windows: BTreeMap<NamedKey, MaintenanceWindowSpec>,
    /// Namespace of objects (and live Assets) that name none.
    default_namespace: String,
}

impl RevisionView {
    fn new(resources: &ResourceSet, default_namespace: &str) -> Self {
        let policies: BTreeMap<NamedKey, PatchPolicySpec> =
            typed_specs(resources, "PatchPolicy", default_namespace);
        let unreadable_policies = resources
            .of_kind("PatchPolicy")
            .filter(|r| r.key.group() == patchwarden_api::GROUP)
            .map(|r| named_key(&r.key, default_namespace))
            .filter(|key| !policies.contains_key(key))
            .collect();
        Self {
            policies,
            unreadable_policies,
            groups: typed_specs(resources, "AssetGroup", default_namespace),
            windows: typed_specs(resources, "MaintenanceWindow", default_namespace),
            default_namespace: default_namespace.to_string(),
        }
    }
}

/// Specs of one patchwarden kind. Objects whose spec does not deserialise are left out: the
/// head's validation problems already report them.
fn typed_specs<T: serde::de::DeserializeOwned>(
    resources: &ResourceSet,
    kind: &str,
    default_namespace: &str,
) -> BTreeMap<NamedKey, T> {
    resources
        .of_kind(kind)
        .filter(|r| r.key.group() == patchwarden_api::GROUP)
        .filter_map(|r| {
            let spec = r.object.get("spec").cloned().unwrap_or(Value::Null);
            let spec: T = serde_json::from_value(spec).ok()?;
            Some((named_key(&r.key, default_namespace), spec))
        })
        .collect()
}

fn named_key(key: &ResourceKey, default_namespace: &str) -> NamedKey {
    (
        key.namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_string()),
        key.name.clone(),
    )
}

/// What changed about one resource: (kind, namespace, name) → summary.
struct ChangeSummary {
    words: String,
    fields: Vec<FieldChange>,
}

fn summarise_changes(
    diff: &ResourceDiff,
    default_namespace: &str,
) -> BTreeMap<(String, String, String), ChangeSummary> {
    let mut out = BTreeMap::new();
    let mut put = |key: &ResourceKey, words: String, fields: Vec<FieldChange>| {
        let (namespace, name) = named_key(key, default_namespace);
        out.insert(
            (key.kind.clone(), namespace, name),
            ChangeSummary { words, fields },
        );
    };
    for key in &diff.added {
        put(key, format!("{} {} added", key.kind, key.name), Vec::new());
    }
    for key in &diff.removed {
        put(
            key,
            format!("{} {} removed", key.kind, key.name),
            Vec::new(),
        );
    }
    for changed in &diff.changed {
        let paths: Vec<&str> = changed.changes.iter().map(|c| c.path.as_str()).collect();
        put(
            &changed.key,
            format!(
                "{} {} changed ({})",
                changed.key.kind,
                changed.key.name,
                paths.join(", ")
            ),
            changed.changes.clone(),
        );
    }
    out
}

/// Changes to the groups and windows a policy names, before or after.
fn dependency_causes(
    namespace: &str,
    before: Option<&PatchPolicySpec>,
    after: Option<&PatchPolicySpec>,
    changed: &BTreeMap<(String, String, String), ChangeSummary>,
) -> Vec<String> {
    let mut wanted = BTreeSet::new();
    for spec in before.into_iter().chain(after) {
        for group in &spec.asset_groups {
            wanted.insert((
                "AssetGroup".to_string(),
                namespace.to_string(),
                group.clone(),
            ));
        }
        for window in &spec.maintenance_windows {
            wanted.insert((
                "MaintenanceWindow".to_string(),
                namespace.to_string(),
                window.clone(),
            ));
        }
    }
    wanted
        .iter()
        .filter_map(|key| changed.get(key).map(|summary| summary.words.clone()))
        .collect()
}

/// One policy as it stands in one revision, evaluated against the live assets by
/// `core::policy::evaluate` — the same evaluation the controller makes.
struct PolicySide<'a> {
    spec: &'a PatchPolicySpec,
    /// Assets in scope, by name.
    members: BTreeMap<String, &'a Asset>,
    /// The compiled rules; `None` when they are invalid.
    rules: Option<PolicyRules>,
    windows: Vec<NamedWindow>,
    /// The evaluation; `None` when the rules are invalid.
    evaluation: Option<PolicyEvaluation>,
    /// Window names the policy lists that this revision does not define (or cannot read).
    missing_windows: Vec<String>,
}

impl<'a> PolicySide<'a> {
    fn new(
        key: &NamedKey,
        spec: &'a PatchPolicySpec,
        view: &RevisionView,
        assets: &'a [Asset],
        now: DateTime<Utc>,
    ) -> Self {
        let namespace = key.0.as_str();
        let in_namespace: Vec<&'a Asset> = assets
            .iter()
            .filter(|asset| {
                asset
                    .metadata
                    .namespace
                    .as_deref()
                    .unwrap_or(&view.default_namespace)
                    == namespace
            })
            .collect();
        // Members as the controller sees them: the policy's groups in order, each group's
        // members by name, an asset in two groups counted in the first.
        let mut members: BTreeMap<String, &'a Asset> = BTreeMap::new();
        let mut policy_members = Vec::new();
        for group_name in &spec.asset_groups {
            let Some(group) = view
                .groups
                .get(&(namespace.to_string(), group_name.clone()))
            else {
                continue;
            };
            // A selector Kubernetes would refuse (the validator reports it) selects nothing.
            let Ok(selector) = group_selector(group) else {
                continue;
            };
            let mut selected: Vec<&'a Asset> = in_namespace
                .iter()
                .copied()
                .filter(|asset| group_contains(group_name, selector.as_ref(), asset))
                .collect();
            selected.sort_by_key(|asset| asset.metadata.name.clone());
            for asset in selected {
                let name = asset.metadata.name.clone().unwrap_or_default();
                if members.insert(name, asset).is_none() {
                    policy_members.push(asset_member(asset, group_name));
                }
            }
        }
        let mut windows = Vec::new();
        let mut missing_windows = Vec::new();
        for name in &spec.maintenance_windows {
            match view
                .windows
                .get(&(namespace.to_string(), name.clone()))
                .and_then(|window| window.to_definition().ok())
            {
                Some(definition) => windows.push(NamedWindow {
                    name: name.clone(),
                    definition,
                }),
                None => missing_windows.push(name.clone()),
            }
        }
        let rules = spec.policy_rules(&format!("{}/{}", key.0, key.1)).ok();
        let evaluation = rules.as_ref().map(|rules| {
            policy::evaluate(&PolicyInput {
                rules,
                members: &policy_members,
                unassessed: &[],
                windows: &windows,
                runs: &[],
                generation: None,
                requested_at: None,
                now,
            })
        });
        Self {
            spec,
            members,
            rules,
            windows,
            evaluation,
            missing_windows,
        }
    }

    /// The emergency rules in force.
    fn emergency(&self) -> BTreeSet<EmergencyRule> {
        effective_emergency_rules(&self.spec.emergency)
    }

    /// Approved (asset, package) pairs with their upgrade.
    fn approved(&self) -> BTreeMap<(String, String), &UpgradeCandidate> {
        let mut out = BTreeMap::new();
        for verdict in self.evaluation.iter().flat_map(|e| &e.verdicts) {
            for candidate in &verdict.approved {
                out.insert((verdict.name.clone(), candidate.package.clone()), candidate);
            }
        }
        out
    }

    /// Why the policy holds back `package` on `asset`.
    fn hold_reason(&self, asset: &str, package: &str) -> String {
        let Some(evaluation) = &self.evaluation else {
            return "the policy's rules are invalid".into();
        };
        evaluation
            .verdicts
            .iter()
            .filter(|v| v.name == asset)
            .flat_map(|v| &v.held_back)
            .find(|held| held.candidate.package == package)
            .map(|held| held.reason.to_string())
            .unwrap_or_else(|| "no longer offered as an upgrade".into())
    }
}

fn scope_impact(before: Option<&PolicySide<'_>>, after: Option<&PolicySide<'_>>) -> ScopeImpact {
    let names = |side: Option<&PolicySide<'_>>| -> BTreeSet<String> {
        side.map(|s| s.members.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (before, after) = (names(before), names(after));
    ScopeImpact {
        before: before.len(),
        after: after.len(),
        entering: after.difference(&before).cloned().collect(),
        leaving: before.difference(&after).cloned().collect(),
    }
}

/// One upgrade on one asset, and why its approval changed.
fn finding_impact(asset: &str, candidate: &UpgradeCandidate, reason: String) -> FindingImpact {
    FindingImpact {
        asset: asset.to_string(),
        id: candidate
            .cve_ids
            .first()
            .cloned()
            .unwrap_or_else(|| candidate.package.clone()),
        package: candidate.package.clone(),
        installed_version: candidate.installed_version.clone(),
        fixed_version: Some(candidate.candidate_version.clone()),
        severity: candidate.severity,
        known_exploited: candidate.known_exploited,
        reason,
    }
}

fn approval_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    change: PolicyChange,
) -> ApprovalImpact {
    let approved_before = before.map(PolicySide::approved).unwrap_or_default();
    let approved_after = after.map(PolicySide::approved).unwrap_or_default();
    let newly_approved = approved_after
        .iter()
        .filter(|(key, _)| !approved_before.contains_key(*key))
        .map(|((asset, _), candidate)| {
            let reason = if change == PolicyChange::Added {
                "new policy".to_string()
            } else if before.is_some_and(|side| !side.members.contains_key(asset)) {
                "asset entered scope".to_string()
            } else {
                "now approved".to_string()
            };
            finding_impact(asset, candidate, reason)
        })
        .collect();
    let held_back = approved_before
        .iter()
        .filter(|(key, _)| !approved_after.contains_key(*key))
        .map(|((asset, package), candidate)| {
            let reason = match after {
                None => "policy removed".to_string(),
                Some(side) if !side.members.contains_key(asset) => "asset left scope".to_string(),
                Some(side) => side.hold_reason(asset, package),
            };
            finding_impact(asset, candidate, reason)
        })
        .collect();
    ApprovalImpact {
        newly_approved,
        held_back,
    }
}

fn next_window_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
) -> NextWindowImpact {
    let next =
        |side: Option<&PolicySide<'_>>| side.and_then(|side| side.evaluation.as_ref()?.next_start);
    let (before, after) = (next(before), next(after));
    NextWindowImpact {
        before,
        after,
        changed: before != after,
    }
}

/// Whether one SLA class can be met, and why, in words.
#[derive(Debug, Clone, PartialEq)]
struct SlaForecast {
    deadline: String,
    met: bool,
    why: String,
}

/// The forecast of each SLA class the side sets, by severity.
fn sla_forecasts(side: &PolicySide<'_>, now: DateTime<Utc>) -> BTreeMap<Severity, SlaForecast> {
    let Some(rules) = &side.rules else {
        return BTreeMap::new();
    };
    sla_class_forecasts(rules, &side.windows, now)
        .into_iter()
        .map(|class| {
            // Show the deadline as written (`14d`), not normalised (`2w`).
            let deadline = side
                .spec
                .sla
                .for_severity(class.severity)
                .map(ToString::to_string)
                .unwrap_or_else(|| class.deadline.to_string());
            let why = match class.why {
                SlaFeasibility::EmergencyAllowed => {
                    "out-of-window emergency rollouts are allowed".to_string()
                }
                SlaFeasibility::NoWindow => "the policy has no usable maintenance window".into(),
                SlaFeasibility::NoOpeningWithin { horizon } => {
                    format!("no window opens in the next {}", human_duration(horizon))
                }
                SlaFeasibility::WindowsApart { gap } if class.met => {
                    format!("windows are at most {} apart", human_duration(gap))
                }
                SlaFeasibility::WindowsApart { gap } => {
                    format!("windows are now {} apart", human_duration(gap))
                }
            };
            (
                class.severity,
                SlaForecast {
                    deadline,
                    met: class.met,
                    why,
                },
            )
        })
        .collect()
}

fn sla_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    now: DateTime<Utc>,
) -> Vec<SlaImpact> {
    let old_all = before
        .map(|side| sla_forecasts(side, now))
        .unwrap_or_default();
    let new_all = after
        .map(|side| sla_forecasts(side, now))
        .unwrap_or_default();
    let mut out = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let (old, new) = (old_all.get(&severity), new_all.get(&severity));
        if old == new {
            continue;
        }
        let label = severity.as_str().to_lowercase();
        let label = label.as_str();
        let (message, regression) = match (old, new) {
            (None, None) => continue,
            (Some(old), None) => (format!("{label} SLA {} removed", old.deadline), false),
            (None, Some(new)) if new.met => (
                format!("{label} SLA {} can be met: {}", new.deadline, new.why),
                false,
            ),
            (None, Some(new)) => (
                format!("{label} SLA {} cannot be met: {}", new.deadline, new.why),
                true,
            ),
            (Some(old), Some(new)) => match (old.met, new.met) {
                (true, false) => (
                    format!(
                        "{label} SLA {} can no longer be met: {}",
                        new.deadline, new.why
                    ),
                    true,
                ),
                (false, true) => (
                    format!("{label} SLA {} can now be met: {}", new.deadline, new.why),
                    false,
                ),
                (_, met) => {
                    let state = if met { "still met" } else { "still not met" };
                    let deadline = if old.deadline == new.deadline {
                        format!("{label} SLA {}", new.deadline)
                    } else {
                        format!(
                            "{label} SLA changed from {} to {}",
                            old.deadline, new.deadline
                        )
                    };
                    (format!("{deadline}: {state}, {}", new.why), false)
                }
            },
        };
        out.push(SlaImpact {
            class: label.to_string(),
            deadline_before: old.map(|f| f.deadline.clone()),
            deadline_after: new.map(|f| f.deadline.clone()),
            met_before: old.map(|f| f.met),
            met_after: new.map(|f| f.met),
            regression,
            message,
        });
    }
    out
}

/// Window openings the rollout forecast spreads waves over.
const ROLLOUT_MAX_WINDOWS: usize = 8;

/// The run a window would freeze, with its waves spread over the coming openings.
fn rollout_forecast(side: &PolicySide<'_>, now: DateTime<Utc>) -> Option<RolloutForecast> {
    let run = side.evaluation.as_ref()?.scheduled_run.as_ref()?;
    let plan = &run.plan;
    let until = now + SLA_HORIZON.to_chrono();
    let mut openings: Vec<window::Opening> = side
        .windows
        .iter()
        .flat_map(|w| {
            window::openings(&w.definition, now, until)
                .filter(window::Opening::is_usable)
                .collect::<Vec<_>>()
        })
        .collect();
    openings.sort_by_key(|opening| opening.opens_at);
    let schedule = plan.schedule(openings, ROLLOUT_MAX_WINDOWS);
    Some(RolloutForecast {
        assets: plan.asset_count(),
        waves: plan.waves.len(),
        canaries: plan.waves.iter().filter(|wave| wave.canary).count(),
        estimated_duration: human_duration(plan.estimated_duration),
        windows: schedule.assignments.len(),
        unscheduled: schedule.unscheduled_from_wave.is_some(),
        wave_assets: plan.waves.iter().map(|wave| wave.assets.clone()).collect(),
    })
}

fn rollout_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    now: DateTime<Utc>,
) -> Option<RolloutImpact> {
    let old = before.and_then(|side| rollout_forecast(side, now));
    let new = after.and_then(|side| rollout_forecast(side, now));
    if old == new {
        return None;
    }
    let message = match (&old, &new) {
        (Some(old), Some(new)) if old.to_string() == new.to_string() => format!(
            "{new}; waves change from {} to {}",
            waves_in_words(&old.wave_assets),
            waves_in_words(&new.wave_assets)
        ),
        (Some(old), Some(new)) => format!("{old} → {new}"),
        (None, Some(new)) => format!("none → {new}"),
        (Some(old), None) => format!("{old} → none"),
        (None, None) => return None,
    };
    Some(RolloutImpact {
        before: old,
        after: new,
        message,
    })
}

/// "[web-1], [web-2, api-1]": the assets of each wave, canary first.
fn waves_in_words(waves: &[Vec<String>]) -> String {
    waves
        .iter()
        .map(|wave| format!("[{}]", wave.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn emergency_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
) -> Option<EmergencyImpact> {
    let (Some(before), Some(after)) = (before, after) else {
        return None;
    };
    let (old, new) = (before.emergency(), after.emergency());
    if old == new {
        return None;
    }
    // Open KEV-listed findings with a fix, over the members in scope.
    let open_kev: usize = after
        .members
        .values()
        .filter_map(|asset| asset.status.as_ref())
        .flat_map(|status| &status.upgrades)
        .filter(|upgrade| upgrade.known_exploited)
        .map(|upgrade| upgrade.fixes.len().max(1))
        .sum();
    let plural = if open_kev == 1 { "" } else { "s" };
    let mut messages = Vec::new();
    for trigger in new.difference(&old) {
        messages.push(match trigger {
            EmergencyRule::KnownExploited => format!(
                "KEV-listed findings will now be patched outside maintenance windows ({open_kev} open KEV finding{plural} in scope)"
            ),
            EmergencyRule::SlaBreach => {
                "findings whose SLA deadline would pass before the next window will now be patched outside maintenance windows".to_string()
            }
            EmergencyRule::Never => continue,
        });
    }
    for trigger in old.difference(&new) {
        messages.push(match trigger {
            EmergencyRule::KnownExploited => format!(
                "KEV-listed findings will no longer be patched outside maintenance windows: {open_kev} open KEV finding{plural} in scope will wait for the next window"
            ),
            EmergencyRule::SlaBreach => {
                "SLA breaches will no longer trigger out-of-window rollouts".to_string()
            }
            EmergencyRule::Never => continue,
        });
    }
    Some(EmergencyImpact {
        before: old.into_iter().collect(),
        after: new.into_iter().collect(),
        messages,
    })
}

fn notes(
    before: Option<&PatchPolicySpec>,
    after: Option<&PatchPolicySpec>,
    side_after: Option<&PolicySide<'_>>,
) -> Vec<String> {
    let mut out: Vec<String> = side_after
        .map(|side| {
            side.missing_windows
                .iter()
                .map(|name| {
                    format!(
                        "maintenance window `{name}` is not defined or not valid: it never opens"
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (Some(before), Some(after)) = (before, after) else {
        return out;
    };
    if before.mode != after.mode {
        out.push(match after.mode {
            PolicyMode::Plan => {
                "mode changes to Plan: findings are reported, nothing is patched".into()
            }
            PolicyMode::Enforce => {
                "mode changes to Enforce: approved patches will be rolled out".into()
            }
        });
    }
    if before.suspend != after.suspend {
        out.push(if after.suspend {
            "the policy is suspended: no new rollouts start".into()
        } else {
            "the policy is resumed: rollouts start again".into()
        });
    }
    out
}

/// A note when the cluster does not run the base revision's policy, so the "before" side of
/// the plan is not what is live.
fn live_drift(
    live: Option<&Snapshot>,
    key: &NamedKey,
    base: Option<&PatchPolicySpec>,
) -> Option<String> {
    let live = live?;
    let running = live.policies.iter().find(|policy| {
        policy.metadata.namespace.as_deref() == Some(key.0.as_str())
            && policy.metadata.name.as_deref() == Some(key.1.as_str())
    });
    match (running, base) {
        (Some(running), Some(base)) if running.spec != *base => Some(
            "the cluster runs a different spec than the base revision (not synced yet, or changed by hand)".into(),
        ),
        (Some(_), None) => Some("the cluster already has this policy, outside the base revision".into()),
        (None, Some(_)) if !live.policies.is_empty() => {
            Some("the cluster does not have this policy yet (the base revision is not synced)".into())
        }
        _ => None,
    }
}

/// "14 days", "6.5 days", "12 hours", "45 minutes".
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    const DAY: u64 = 86_400;
    if seconds >= DAY {
        if seconds.is_multiple_of(DAY) {
            let days = seconds / DAY;
            format!("{days} day{}", if days == 1 { "" } else { "s" })
        } else {
            format!("{:.1} days", seconds as f64 / DAY as f64)
        }
    } else if seconds >= 3_600 {
        format!("{:.1} hours", seconds as f64 / 3_600.0).replace(".0 hours", " hours")
    } else {
        format!("{} minutes", seconds / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_days(14)), "14 days");
        assert_eq!(human_duration(Duration::from_days(1)), "1 day");
        assert_eq!(human_duration(Duration::from_hours(36)), "1.5 days");
        assert_eq!(human_duration(Duration::from_hours(12)), "12 hours");
        assert_eq!(human_duration(Duration::from_mins(45)), "45 minutes");
    }
}
