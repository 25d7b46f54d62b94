//! Folding finished runs into outcome statistics: per update (ecosystem, package, version
//! transition) and per asset profile (asset group, OS).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AssetOutcome, AssetOutcomeKind, DurationHistogram, FailureKind, RunOutcomes};
use crate::duration::Duration;

/// The canary failures an update remembers (the newest), enough for any quarantine bound.
pub const MAX_CANARY_FAILURES: usize = 16;

/// Recorded durations a profile needs before its own estimate replaces the default.
pub const MIN_DURATION_SAMPLES: u64 = 3;

/// Counts of attempts and how they ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// Assets attempted.
    pub attempts: u32,
    /// Patched and verified.
    pub successes: u32,
    /// Failures by kind (rolled back ones included), in `FailureKind` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<(FailureKind, u32)>,
    /// Failures that were rolled back.
    #[serde(default)]
    pub rollbacks: u32,
    /// How long the attempts took.
    #[serde(default)]
    pub durations: DurationHistogram,
}

impl Tally {
    /// All failures, whatever their kind.
    pub fn failed(&self) -> u32 {
        self.failures.iter().map(|(_, n)| *n).sum()
    }

    /// Failures per attempt, 0 without attempts.
    pub fn failure_rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            f64::from(self.failed()) / f64::from(self.attempts)
        }
    }

    /// The median and 90th percentile duration, when any is recorded.
    pub fn p50_p90(&self) -> Option<(Duration, Duration)> {
        Some((self.durations.quantile(0.5)?, self.durations.quantile(0.9)?))
    }

    fn add(&mut self, outcome: &AssetOutcome, failed: bool) {
        self.attempts = self.attempts.saturating_add(1);
        match (failed, outcome.kind) {
            (false, _) | (_, AssetOutcomeKind::Succeeded) => {
                self.successes = self.successes.saturating_add(1)
            }
            (true, AssetOutcomeKind::Failed(kind)) => self.add_failure(kind),
            (true, AssetOutcomeKind::RolledBack(kind)) => {
                self.add_failure(kind);
                self.rollbacks = self.rollbacks.saturating_add(1);
            }
        }
        if let Some(seconds) = outcome.duration_seconds {
            self.durations.record(seconds);
        }
    }

    fn add_failure(&mut self, kind: FailureKind) {
        match self.failures.binary_search_by(|(k, _)| k.cmp(&kind)) {
            Ok(i) => self.failures[i].1 = self.failures[i].1.saturating_add(1),
            Err(i) => self.failures.insert(i, (kind, 1)),
        }
    }
}

/// Which update a tally is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateKey {
    /// The ecosystem (`Debian:12`).
    pub ecosystem: String,
    /// Package name.
    pub package: String,
    /// Version before.
    pub from: String,
    /// Version installed.
    pub to: String,
}

/// A canary that failed installing an update: what a quarantine cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryFailure {
    /// The PatchRun.
    pub run: String,
    /// The canary Asset.
    pub asset: String,
    /// When it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// Its result message.
    #[serde(default)]
    pub message: String,
}

/// Outcomes of one update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTally {
    /// The update.
    #[serde(flatten)]
    pub key: UpdateKey,
    /// Its counts. A failure counts against an update when the message names its package,
    /// or names no package of the asset at all.
    #[serde(flatten)]
    pub tally: Tally,
    /// The newest canary failures blamed on it, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canary_failures: Vec<CanaryFailure>,
}

/// Which asset profile a tally is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileKey {
    /// The asset group (empty without one).
    pub group: String,
    /// The operating system (empty when unknown).
    pub os: String,
}

/// Outcomes of one asset profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileTally {
    /// The profile.
    #[serde(flatten)]
    pub key: ProfileKey,
    /// Its counts.
    #[serde(flatten)]
    pub tally: Tally,
}

/// Outcome statistics folded from finished runs; each run counts once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeStats {
    /// Per update, sorted by key.
    #[serde(default)]
    pub updates: Vec<UpdateTally>,
    /// Per asset profile, sorted by key.
    #[serde(default)]
    pub profiles: Vec<ProfileTally>,
    /// The runs already counted that still exist (see `forget_runs_except`).
    #[serde(default)]
    pub runs: BTreeSet<String>,
}

impl OutcomeStats {
    /// Statistics of `runs` alone: what a rebuild from the PatchRuns gives.
    pub fn build<'a>(runs: impl IntoIterator<Item = &'a RunOutcomes>) -> OutcomeStats {
        let mut stats = OutcomeStats::default();
        for run in runs {
            stats.fold(run);
        }
        stats
    }

    /// Adds a finished run, unless it was counted already. Returns whether it was added.
    pub fn fold(&mut self, run: &RunOutcomes) -> bool {
        if !self.runs.insert(run.run.clone()) {
            return false;
        }
        for outcome in &run.assets {
            self.fold_asset(&run.run, outcome);
        }
        true
    }

    /// Forgets the names of counted runs that no longer exist (pruned): their counts stay,
    /// and a pruned run never comes back to be counted twice. Keeps the record bounded.
    pub fn forget_runs_except(&mut self, existing: &BTreeSet<String>) {
        self.runs.retain(|run| existing.contains(run));
    }

    /// The tally of one update.
    pub fn update(&self, key: &UpdateKey) -> Option<&UpdateTally> {
        let i = self.updates.binary_search_by(|u| u.key.cmp(key)).ok()?;
        self.updates.get(i)
    }

    /// The tally of one asset profile.
    pub fn profile(&self, key: &ProfileKey) -> Option<&ProfileTally> {
        let i = self.profiles.binary_search_by(|p| p.key.cmp(key)).ok()?;
        self.profiles.get(i)
    }

    /// How long patching an asset of `profile` is expected to take: the 90th percentile of
    /// the profile's recorded durations once it has `MIN_DURATION_SAMPLES` of them, `default`
    /// before. Returns the estimate and whether it came from history.
    pub fn predicted_duration(&self, profile: &ProfileKey, default: Duration) -> (Duration, bool) {
        self.profile(profile)
            .map(|p| &p.tally.durations)
            .filter(|d| d.samples() >= MIN_DURATION_SAMPLES)
            .and_then(|d| d.quantile(0.9))
            .map_or((default, false), |p90| (p90, true))
    }

    fn fold_asset(&mut self, run: &str, outcome: &AssetOutcome) {
        let blamed = outcome.blamed();
        for transition in &outcome.transitions {
            let key = UpdateKey {
                ecosystem: outcome.ecosystem.as_str().to_string(),
                package: transition.package.clone(),
                from: transition.from.clone(),
                to: transition.to.clone(),
            };
            let is_blamed = blamed.contains(&transition);
            let entry = self.update_entry(key);
            entry.tally.add(outcome, is_blamed);
            if is_blamed && outcome.canary {
                entry.canary_failures.push(CanaryFailure {
                    run: run.to_string(),
                    asset: outcome.asset.clone(),
                    at: outcome.finished_at,
                    message: outcome.message.clone(),
                });
                let excess = entry
                    .canary_failures
                    .len()
                    .saturating_sub(MAX_CANARY_FAILURES);
                entry.canary_failures.drain(..excess);
            }
        }
        let key = ProfileKey {
            group: outcome.group.clone().unwrap_or_default(),
            os: outcome.os.clone(),
        };
        let i = match self.profiles.binary_search_by(|p| p.key.cmp(&key)) {
            Ok(i) => i,
            Err(i) => {
                let tally = Tally::default();
                self.profiles.insert(i, ProfileTally { key, tally });
                i
            }
        };
        let failed = outcome.kind.failure().is_some();
        self.profiles[i].tally.add(outcome, failed);
    }

    fn update_entry(&mut self, key: UpdateKey) -> &mut UpdateTally {
        let i = match self.updates.binary_search_by(|u| u.key.cmp(&key)) {
            Ok(i) => i,
            Err(i) => {
                let entry = UpdateTally {
                    key,
                    tally: Tally::default(),
                    canary_failures: Vec::new(),
                };
                self.updates.insert(i, entry);
                i
            }
        };
        &mut self.updates[i]
    }
}
