//! What a policy's evaluation takes from the outcome statistics: the quarantines in force
//! (held back by the approval rules), each member's canary hint and predicted duration, and
//! the summary its status shows. Pure.

use std::collections::{BTreeMap, BTreeSet};

use patchwarden_api::patch_policy::{OutcomeSummary, QuarantinedUpdate};
use patchwarden_api::time::to_k8s;
use patchwarden_core::Duration;
use patchwarden_core::approval::{self, ApprovalError, ApprovalPolicy, UpgradeCandidate};
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::outcomes::quarantine::{
    Quarantine, QuarantineContext, QuarantineSettings, quarantines,
};
use patchwarden_core::outcomes::{DurationHistogram, OutcomeStats, ProfileKey};
use patchwarden_core::policy::Member;
use patchwarden_core::rollout::CanaryHint;

/// The quarantines in force for a policy whose members are `members`. A quarantined version
/// is superseded once every member that is offered the package is offered the same newer
/// version: while some member is still offered the failed one, it stays held.
pub fn in_force(
    stats: &OutcomeStats,
    settings: &QuarantineSettings,
    lifts: &[(String, String)],
    members: &[Member],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Quarantine> {
    let newest = |ecosystem: &str, package: &str| -> Option<String> {
        let scheme = Ecosystem::new(ecosystem).scheme()?;
        let mut offered = members
            .iter()
            .flat_map(|m| m.candidates.iter())
            .filter(|c| c.package == package)
            .map(|c| c.candidate_version.as_str());
        let first = offered.next()?;
        offered
            .all(|v| scheme.compare(v, first).is_eq())
            .then(|| first.to_string())
    };
    let context = QuarantineContext {
        now,
        lifts,
        newest: &newest,
    };
    quarantines(stats, settings, context)
}

/// `approval` with `found` added to its quarantined versions. A quarantined version holds
/// back the other binary packages the members are offered from the same source package at
/// the same version too: they are installed together (`libssl3` pulls in the failing
/// `openssl`), so one cannot be patched without the other.
pub fn with_quarantines(
    approval: &ApprovalPolicy,
    found: &[Quarantine],
    members: &[Member],
) -> Result<ApprovalPolicy, ApprovalError> {
    let candidates: Vec<&UpgradeCandidate> = members
        .iter()
        .flat_map(|m| m.candidates.iter().map(AsRef::as_ref))
        .collect();
    let source_of = |c: &UpgradeCandidate| c.source_package.clone().unwrap_or(c.package.clone());
    let mut held: BTreeMap<(String, String), String> = BTreeMap::new();
    for q in found {
        held.insert((q.package.clone(), q.version.clone()), q.reason.clone());
        let sources: BTreeSet<String> = candidates
            .iter()
            .filter(|c| c.package == q.package && c.candidate_version == q.version)
            .map(|c| source_of(c))
            .collect();
        for sibling in candidates
            .iter()
            .filter(|c| c.candidate_version == q.version && sources.contains(&source_of(c)))
        {
            held.entry((sibling.package.clone(), q.version.clone()))
                .or_insert_with(|| format!("{} (with {})", q.reason, q.package));
        }
    }
    let mut rules = approval.rules().clone();
    rules
        .quarantined
        .extend(
            held.into_iter()
                .map(|((package, version), reason)| approval::Quarantine {
                    package,
                    version: Some(version),
                    reason,
                }),
        );
    ApprovalPolicy::compile(rules)
}

/// Whether quarantine `q` holds back an update some member is offered: the failed version of
/// its package, or of a package built from the same source. A quarantine that holds nothing
/// back (every member is past that version) is still in force fleet-wide, for assets that
/// are offered it later, but is not the policy's to show.
pub fn holds_back(q: &Quarantine, members: &[Member]) -> bool {
    members
        .iter()
        .flat_map(|m| m.candidates.iter())
        .filter(|c| c.candidate_version == q.version)
        .any(|c| c.package == q.package || c.source_package.as_deref() == Some(q.package.as_str()))
}

/// Gives each member its canary hint (its OS and package set, and how often assets of its
/// group and OS failed before) and, once its profile has enough recorded durations, its
/// predicted duration. `os_of` maps member names to their OS.
pub fn annotate_members(
    members: &mut [Member],
    stats: &OutcomeStats,
    os_of: &BTreeMap<String, String>,
    default_duration: Duration,
) {
    for member in members {
        let os = os_of.get(&member.name).cloned().unwrap_or_default();
        let key = ProfileKey {
            group: member.group.clone(),
            os: os.clone(),
        };
        let mut packages: Vec<&str> = member
            .candidates
            .iter()
            .map(|c| c.package.as_str())
            .collect();
        packages.sort_unstable();
        packages.dedup();
        member.canary_hint = Some(CanaryHint {
            profile: format!("{os} {}", packages.join(",")),
            past_failures: stats.profile(&key).map_or(0, |p| p.tally.failed()),
        });
        let (estimate, from_history) = stats.predicted_duration(&key, default_duration);
        member.estimated_duration = from_history.then_some(estimate);
    }
}

/// The status entry of a quarantine.
pub fn quarantined_update(q: &Quarantine) -> QuarantinedUpdate {
    let mut runs: Vec<String> = q.runs.iter().map(|f| f.run.clone()).collect();
    runs.dedup();
    QuarantinedUpdate {
        ecosystem: q.ecosystem.clone(),
        package: q.package.clone(),
        version: q.version.clone(),
        since: q.since.map(to_k8s),
        expires_at: q.expires_at.map(to_k8s),
        reason: format!("quarantined: {}", q.reason),
        runs,
    }
}

/// The fleet's statistics in brief, with the policy's next run estimate.
pub fn summary(stats: &OutcomeStats, estimated: Option<Duration>) -> OutcomeSummary {
    let mut durations = DurationHistogram::default();
    let mut out = OutcomeSummary {
        runs: u32::try_from(stats.runs.len()).unwrap_or(u32::MAX),
        updates: u32::try_from(stats.updates.len()).unwrap_or(u32::MAX),
        estimated_duration: estimated.map(|d| d.to_string()),
        ..OutcomeSummary::default()
    };
    for profile in &stats.profiles {
        let tally = &profile.tally;
        out.attempts = out.attempts.saturating_add(tally.attempts);
        out.successes = out.successes.saturating_add(tally.successes);
        out.failures = out.failures.saturating_add(tally.failed());
        out.rollbacks = out.rollbacks.saturating_add(tally.rollbacks);
        merge(&mut durations, &tally.durations);
    }
    out.duration_p50 = durations.quantile(0.5).map(|d| d.to_string());
    out.duration_p90 = durations.quantile(0.9).map(|d| d.to_string());
    out
}

fn merge(into: &mut DurationHistogram, from: &DurationHistogram) {
    if into.counts.len() < from.counts.len() {
        into.counts.resize(from.counts.len(), 0);
    }
    for (total, count) in into.counts.iter_mut().zip(&from.counts) {
        *total = total.saturating_add(*count);
    }
    into.max_seconds = into.max_seconds.max(from.max_seconds);
}
