//! Quarantine: an update that failed on enough canaries, or fails too often, is kept off the
//! whole fleet until it expires, is lifted by hand, or a newer version supersedes it.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stats::{CanaryFailure, OutcomeStats, UpdateTally};
use crate::duration::Duration;
use crate::ecosystem::Ecosystem;

/// When an update is quarantined and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineSettings {
    /// Canary failures (counted across all policies) that quarantine an update.
    pub after_canary_failures: u32,
    /// A failure rate above this quarantines the update too, once it has `min_sample`
    /// attempts.
    pub max_failure_rate: f64,
    /// Attempts before the failure rate counts.
    pub min_sample: u32,
    /// How long a quarantine lasts.
    pub expire_after: Duration,
}

impl Default for QuarantineSettings {
    fn default() -> Self {
        QuarantineSettings {
            after_canary_failures: 2,
            max_failure_rate: 0.5,
            min_sample: 4,
            expire_after: Duration::from_days(7),
        }
    }
}

/// An update kept off the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quarantine {
    /// The ecosystem (`Debian:12`).
    pub ecosystem: String,
    /// Package name.
    pub package: String,
    /// The version no policy installs.
    pub version: String,
    /// Since when (the failure that crossed the bound; the newest when it carries no time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Why, for people.
    pub reason: String,
    /// The canary failures that caused it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<CanaryFailure>,
}

impl Quarantine {
    /// `package=version`, as the lift annotation names it.
    pub fn id(&self) -> String {
        format!("{}={}", self.package, self.version)
    }
}

/// A hand lift: `package=version` from the `patchwarden.io/lift-quarantine` annotation
/// (comma separated).
pub fn parse_lifts(annotation: &str) -> Vec<(String, String)> {
    annotation
        .split(',')
        .filter_map(|item| item.trim().split_once('='))
        .map(|(package, version)| (package.trim(), version.trim()))
        .filter(|(package, version)| !package.is_empty() && !version.is_empty())
        .map(|(package, version)| (package.to_string(), version.to_string()))
        .collect()
}

/// What else decides whether a quarantine holds.
#[derive(Clone, Copy)]
pub struct QuarantineContext<'a> {
    /// Now.
    pub now: DateTime<Utc>,
    /// Hand lifts, `(package, version)`.
    pub lifts: &'a [(String, String)],
    /// The newest fixed version available per `(ecosystem, package)`: a quarantined version
    /// older than it is superseded (the fix moved on).
    pub newest: &'a dyn Fn(&str, &str) -> Option<String>,
}

/// The quarantines in force: one per `(ecosystem, package, version)` whose blamed failures
/// cross a bound, unless expired, lifted or superseded. Sorted by package and version.
pub fn quarantines(
    stats: &OutcomeStats,
    settings: &QuarantineSettings,
    context: QuarantineContext<'_>,
) -> Vec<Quarantine> {
    let mut targets: Vec<(&str, &str, &str)> = stats
        .updates
        .iter()
        .map(|u| {
            (
                u.key.ecosystem.as_str(),
                u.key.package.as_str(),
                u.key.to.as_str(),
            )
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
        .into_iter()
        .filter_map(|(ecosystem, package, version)| {
            let tallies: Vec<&UpdateTally> = stats
                .updates
                .iter()
                .filter(|u| {
                    u.key.ecosystem == ecosystem && u.key.package == package && u.key.to == version
                })
                .collect();
            let quarantine = decide(ecosystem, package, version, &tallies, settings)?;
            holds(quarantine, &context)
        })
        .collect()
}

/// Whether one target version's failures cross a bound (all its transitions together).
fn decide(
    ecosystem: &str,
    package: &str,
    version: &str,
    tallies: &[&UpdateTally],
    settings: &QuarantineSettings,
) -> Option<Quarantine> {
    let mut failures: Vec<CanaryFailure> = tallies
        .iter()
        .flat_map(|t| t.canary_failures.iter().cloned())
        .collect();
    failures.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.run.cmp(&b.run)));
    let attempts: u32 = tallies.iter().map(|t| t.tally.attempts).sum();
    let failed: u32 = tallies.iter().map(|t| t.tally.failed()).sum();
    let needed = settings.after_canary_failures.max(1) as usize;
    let reason = if failures.len() >= needed {
        let mut runs: Vec<&str> = failures.iter().map(|f| f.run.as_str()).collect();
        runs.dedup();
        format!(
            "failed on {} canaries (quarantined after {needed}) of runs {}",
            failures.len(),
            runs.join(", ")
        )
    } else if attempts >= settings.min_sample.max(1)
        && f64::from(failed) / f64::from(attempts) > settings.max_failure_rate
    {
        format!(
            "failed on {failed} of {attempts} assets, above the {:.0} % bound",
            settings.max_failure_rate * 100.0
        )
    } else {
        return None;
    };
    let since = failures.iter().filter_map(|f| f.at).max();
    Some(Quarantine {
        ecosystem: ecosystem.to_string(),
        package: package.to_string(),
        version: version.to_string(),
        since,
        expires_at: since.and_then(|s| s.checked_add_signed(settings.expire_after.to_chrono())),
        reason,
        runs: failures,
    })
}

fn holds(quarantine: Quarantine, context: &QuarantineContext<'_>) -> Option<Quarantine> {
    if quarantine.expires_at.is_some_and(|end| end <= context.now) {
        return None;
    }
    let lifted = context
        .lifts
        .iter()
        .any(|(p, v)| *p == quarantine.package && *v == quarantine.version);
    if lifted {
        return None;
    }
    let newest = (context.newest)(&quarantine.ecosystem, &quarantine.package);
    let scheme = Ecosystem::new(quarantine.ecosystem.as_str()).scheme();
    let superseded = newest.zip(scheme).is_some_and(|(newest, scheme)| {
        scheme.compare(&newest, &quarantine.version) == Ordering::Greater
    });
    (!superseded).then_some(quarantine)
}

/// Whether installing `package` at `version` is blocked, and by which quarantine.
pub fn blocking<'a>(
    quarantines: &'a [Quarantine],
    ecosystem: &str,
    package: &str,
    version: &str,
) -> Option<&'a Quarantine> {
    quarantines
        .iter()
        .find(|q| q.ecosystem == ecosystem && q.package == package && q.version == version)
}
