//! The approval reason of each package of a frozen run, kept on the PatchRun (annotation
//! [`APPROVAL_REASONS_ANNOTATION`]) from the moment the policy froze it, so the run's evidence
//! says which rules let each package through even after the policy changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use patchwarden_core::approval::ApprovalRules;
use patchwarden_core::approval_reason::approval_reason;
use patchwarden_core::policy::FrozenRun;

/// Annotation on a PatchRun: JSON object of approval reasons by [`reason_key`].
pub const APPROVAL_REASONS_ANNOTATION: &str = "patchwarden.io/approval-reasons";

/// The key of a package update's reason: `<package> <version>`. The same update on several
/// assets fixes the same advisories, so it has one reason.
pub fn reason_key(package: &str, to: &str) -> String {
    format!("{package} {to}")
}

/// The reason of each package update of `run`, as the policy's `rules` approved it at `now`.
pub fn approval_reasons(
    run: &FrozenRun,
    rules: &ApprovalRules,
    now: DateTime<Utc>,
) -> BTreeMap<String, String> {
    run.assets
        .iter()
        .flat_map(|asset| asset.packages.iter())
        .map(|candidate| {
            (
                reason_key(&candidate.package, &candidate.candidate_version),
                approval_reason(rules, candidate, now),
            )
        })
        .collect()
}
