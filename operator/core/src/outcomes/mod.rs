//! Outcome statistics: what patchwarden's own history says about updates and asset profiles.
//!
//! Every decision built on them (quarantine, canary choice, duration prediction) is a plain
//! count or quantile a person can recompute from the PatchRuns, never a fitted model. The
//! statistics are folded run by run into a compact, serialisable record, so they survive the
//! pruning of old runs and an operator restart, and can be rebuilt from the runs when missing.

pub mod histogram;
pub mod quarantine;
pub mod stats;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;

pub use histogram::DurationHistogram;
pub use stats::{OutcomeStats, ProfileKey, ProfileTally, Tally, UpdateKey, UpdateTally};

/// Why an asset's patching failed, as far as its result message tells.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub enum FailureKind {
    /// The package manager failed to install (download, unpack, maintainer script).
    Install,
    /// The asset did not come back from its reboot in time.
    Reboot,
    /// The re-inventory found a targeted vulnerability still open.
    Verify,
    /// A health check failed after patching.
    HealthCheck,
    /// A pre- or post-patch hook failed.
    Hook,
    /// Anything else (the message names no known step).
    #[default]
    Other,
}

impl FailureKind {
    /// All kinds, in display order.
    pub const ALL: [FailureKind; 6] = [
        FailureKind::Install,
        FailureKind::Reboot,
        FailureKind::Verify,
        FailureKind::HealthCheck,
        FailureKind::Hook,
        FailureKind::Other,
    ];

    /// The kind's name as status shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Install => "Install",
            FailureKind::Reboot => "Reboot",
            FailureKind::Verify => "Verify",
            FailureKind::HealthCheck => "HealthCheck",
            FailureKind::Hook => "Hook",
            FailureKind::Other => "Other",
        }
    }

    /// Classifies a failed asset's message by the step words it contains. The order matters:
    /// a hook or health check message may also mention the install it guarded.
    pub fn classify(message: &str) -> FailureKind {
        let text = message.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
        if has(&["hook"]) {
            FailureKind::Hook
        } else if has(&["health check", "health-check", "healthcheck"]) {
            FailureKind::HealthCheck
        } else if has(&["reboot", "boot id"]) {
            FailureKind::Reboot
        } else if has(&["still open", "verif", "remaining"]) {
            FailureKind::Verify
        } else if has(&[
            "install", "dpkg", "apt", "dnf", "yum", "apk", "postinst", "preinst",
        ]) {
            FailureKind::Install
        } else {
            FailureKind::Other
        }
    }
}

/// How one asset of a finished run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetOutcomeKind {
    /// Patched and verified.
    Succeeded,
    /// Failed and left as it was.
    Failed(FailureKind),
    /// Failed, then restored to the recorded versions.
    RolledBack(FailureKind),
}

impl AssetOutcomeKind {
    /// The failure kind, when it failed.
    pub fn failure(self) -> Option<FailureKind> {
        match self {
            AssetOutcomeKind::Succeeded => None,
            AssetOutcomeKind::Failed(kind) | AssetOutcomeKind::RolledBack(kind) => Some(kind),
        }
    }
}

/// One package version transition an asset was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transition {
    /// Package name.
    pub package: String,
    /// Version before.
    pub from: String,
    /// Version installed.
    pub to: String,
}

/// One attempted asset of a run: the input the statistics are folded from. Assets that were
/// never attempted (pending, skipped) are not outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetOutcome {
    /// The Asset's name.
    pub asset: String,
    /// Its asset group, if any.
    pub group: Option<String>,
    /// Its operating system (`Debian 12`), empty when unknown.
    pub os: String,
    /// The ecosystem its packages come from.
    pub ecosystem: Ecosystem,
    /// Whether it was in the run's canary wave.
    pub canary: bool,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub kind: AssetOutcomeKind,
    /// Seconds its patching took.
    pub duration_seconds: Option<u64>,
    /// The updates it was given.
    pub transitions: Vec<Transition>,
    /// Its result message (on failure: the step, the package and the error).
    pub message: String,
}

impl AssetOutcome {
    /// The updates a failure is blamed on: those whose package the message names, or all of
    /// them when it names none (the failure cannot be pinned on one package).
    pub fn blamed(&self) -> Vec<&Transition> {
        if self.kind.failure().is_none() {
            return Vec::new();
        }
        let named: Vec<&Transition> = self
            .transitions
            .iter()
            .filter(|t| names_package(&self.message, &t.package))
            .collect();
        if named.is_empty() {
            self.transitions.iter().collect()
        } else {
            named
        }
    }
}

/// Whether `message` names `package` as a whole word (so `libssl3` does not name `ssl`).
fn names_package(message: &str, package: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_');
    message
        .split(|c: char| !is_word(c))
        .any(|word| word.trim_end_matches('.') == package)
}

/// One finished run's attempted assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcomes {
    /// The PatchRun's name.
    pub run: String,
    /// The policy that started it, if any.
    pub policy: Option<String>,
    /// Its attempted assets.
    pub assets: Vec<AssetOutcome>,
}

#[cfg(test)]
mod tests;
