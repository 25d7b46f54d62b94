//! One line per compliance profile the policy lists: whether its spec satisfies the profile
//! after the change, and how that differs from before (the same static check `validate` and
//! the controller make).

use chrono::{DateTime, Utc};
use patchwarden_api::compliance_input::listed_profiles;
use patchwarden_core::compliance::{ProfileId, check_policy};

use super::ComplianceImpact;
use super::side::PolicySide;

/// The violations of `profile` on one side; `None` when the side does not list it or its
/// rules are invalid.
fn violations(
    side: Option<&PolicySide<'_>>,
    id: ProfileId,
    now: DateTime<Utc>,
) -> Option<Vec<String>> {
    let side = side?;
    if !side.spec.compliance.contains(&id) {
        return None;
    }
    let rules = side.rules.as_ref()?;
    let checked = check_policy(&[id], rules, &side.windows, now);
    Some(
        checked
            .into_iter()
            .flat_map(|c| c.violations)
            .map(|v| v.message)
            .collect(),
    )
}

/// A line per profile either side lists.
pub(super) fn compliance_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    now: DateTime<Utc>,
) -> Vec<ComplianceImpact> {
    let mut listed: Vec<ProfileId> = Vec::new();
    for side in [after, before].into_iter().flatten() {
        listed.extend(listed_profiles(&side.spec.compliance));
    }
    let listed = listed_profiles(&listed);
    listed
        .into_iter()
        .map(|id| {
            let old = violations(before, id, now);
            let new = violations(after, id, now);
            let satisfied_before = old.as_ref().map(Vec::is_empty);
            let satisfied_after = new.as_ref().map(Vec::is_empty);
            let problems = new.clone().unwrap_or_default().join("; ");
            let message = match (satisfied_before, satisfied_after) {
                (_, None) => format!("{id}: no longer listed"),
                (Some(false), Some(true)) => format!("{id}: now satisfied"),
                (_, Some(true)) => format!("{id}: satisfied"),
                (Some(true), Some(false)) => format!("{id}: no longer satisfied: {problems}"),
                (_, Some(false)) => format!("{id}: not satisfied: {problems}"),
            };
            ComplianceImpact {
                profile: id.as_str().to_string(),
                satisfied_before,
                satisfied_after,
                regression: satisfied_after == Some(false) && satisfied_before != Some(false),
                violations: new.unwrap_or_default(),
                message,
            }
        })
        .collect()
}
