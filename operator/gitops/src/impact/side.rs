//! One policy as it stands in one revision: its members among the live assets, its windows,
//! and the same evaluation the controller makes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use patchwarden_api::policy_input::{asset_member, group_contains, group_selector};
use patchwarden_api::{Asset, PatchPolicySpec};
use patchwarden_core::approval::UpgradeCandidate;
use patchwarden_core::policy::{
    self, Member, NamedWindow, PolicyEvaluation, PolicyInput, PolicyRules,
};
use patchwarden_core::sla::{EmergencyRule, effective_emergency_rules};

use super::view::{NamedKey, RevisionView};

/// One policy as it stands in one revision, evaluated against the live assets by
/// `core::policy::evaluate` — the same evaluation the controller makes.
pub(super) struct PolicySide<'a> {
    pub(super) spec: &'a PatchPolicySpec,
    /// Assets in scope, by name.
    pub(super) members: BTreeMap<String, &'a Asset>,
    /// The compiled rules; `None` when they are invalid.
    pub(super) rules: Option<PolicyRules>,
    pub(super) windows: Vec<NamedWindow>,
    /// The evaluation; `None` when the rules are invalid.
    pub(super) evaluation: Option<PolicyEvaluation>,
    /// Window names the policy lists that this revision does not define (or cannot read).
    pub(super) missing_windows: Vec<String>,
}

impl<'a> PolicySide<'a> {
    pub(super) fn new(
        key: &NamedKey,
        spec: &'a PatchPolicySpec,
        view: &RevisionView,
        assets: &'a [Asset],
        now: DateTime<Utc>,
    ) -> Self {
        let (members, policy_members) = members(&key.0, spec, view, assets);
        let (windows, missing_windows) = windows(&key.0, spec, view);
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
    pub(super) fn emergency(&self) -> BTreeSet<EmergencyRule> {
        effective_emergency_rules(&self.spec.emergency)
    }

    /// Approved (asset, package) pairs with their upgrade.
    pub(super) fn approved(&self) -> BTreeMap<(String, String), &UpgradeCandidate> {
        let mut out = BTreeMap::new();
        for verdict in self.evaluation.iter().flat_map(|e| &e.verdicts) {
            for candidate in &verdict.approved {
                out.insert(
                    (verdict.name.clone(), candidate.package.clone()),
                    candidate.as_ref(),
                );
            }
        }
        out
    }

    /// Why the policy holds back `package` on `asset`.
    pub(super) fn hold_reason(&self, asset: &str, package: &str) -> String {
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

/// The policy's members among the live assets of its namespace, by name, and as the core's
/// evaluation takes them.
fn members<'a>(
    namespace: &str,
    spec: &PatchPolicySpec,
    view: &RevisionView,
    assets: &'a [Asset],
) -> (BTreeMap<String, &'a Asset>, Vec<Member>) {
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
    (members, policy_members)
}

/// The windows the policy names that this revision defines validly, and the names of the rest.
fn windows(
    namespace: &str,
    spec: &PatchPolicySpec,
    view: &RevisionView,
) -> (Vec<NamedWindow>, Vec<String>) {
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
    (windows, missing_windows)
}
