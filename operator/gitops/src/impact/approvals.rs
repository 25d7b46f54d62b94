//! Who is patched with what: assets entering or leaving scope, and findings newly approved or
//! held back, each with the reason.

use std::collections::BTreeSet;

use patchwarden_core::approval::UpgradeCandidate;

use super::side::PolicySide;
use super::{ApprovalImpact, FindingImpact, PolicyChange, ScopeImpact};

/// Assets entering and leaving the policy's scope.
pub(super) fn scope_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
) -> ScopeImpact {
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

/// Upgrades approved after but not before, and held back after but approved before, each
/// with the reason.
pub(super) fn approval_impact(
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
