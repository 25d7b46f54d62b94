//! The persisted status of a run: its phase, each asset's state, and why it halted or paused.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rollout::plan::RolloutPlan;

/// The phase of a run, written in resources by its variant name (`Halted`).
///
/// A halted run whose failed assets were all rolled back is still `Halted`: each asset's own
/// state records whether it was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RunPhase {
    /// Nothing has started yet.
    #[default]
    Pending,
    /// Assets are being patched, or can be.
    Running,
    /// Waiting: between waves, for a window, or suspended.
    Paused,
    /// Every asset was patched and verified.
    Succeeded,
    /// Every wave ran, and some assets failed (within `maxFailures`).
    Failed,
    /// Stopped early: too many failures, or a canary failed. Failed assets may still be rolling
    /// back until the run's `finished_at` is set.
    Halted,
}

impl RunPhase {
    /// Every phase, in the order a run may pass through them.
    pub const ALL: [RunPhase; 6] = [
        RunPhase::Pending,
        RunPhase::Running,
        RunPhase::Paused,
        RunPhase::Succeeded,
        RunPhase::Failed,
        RunPhase::Halted,
    ];

    /// Whether a run in this phase has ended or is ending: nothing new starts. A `Halted` run
    /// has ended once its `finished_at` is set.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunPhase::Succeeded | RunPhase::Failed | RunPhase::Halted
        )
    }

    /// The name, as written in resources.
    pub fn as_str(self) -> &'static str {
        match self {
            RunPhase::Pending => "Pending",
            RunPhase::Running => "Running",
            RunPhase::Paused => "Paused",
            RunPhase::Succeeded => "Succeeded",
            RunPhase::Failed => "Failed",
            RunPhase::Halted => "Halted",
        }
    }
}

impl fmt::Display for RunPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one asset is in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetState {
    Pending,
    Patching,
    /// Rebooting after its install (or finding that it needs no reboot), before verification.
    Rebooting,
    Verifying,
    Succeeded,
    Failed,
    RollingBack,
    RolledBack,
    RollbackFailed,
    /// Not patched: the asset (or its group) is suspended; the message says which.
    Skipped,
}

impl AssetState {
    /// Being patched, rebooted, verified or rolled back: unavailable.
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            AssetState::Patching
                | AssetState::Rebooting
                | AssetState::Verifying
                | AssetState::RollingBack
        )
    }

    /// Nothing more will happen to it in this run.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            AssetState::Succeeded
                | AssetState::Failed
                | AssetState::RolledBack
                | AssetState::RollbackFailed
                | AssetState::Skipped
        )
    }

    /// Its patch or verification failed.
    pub fn has_failed(self) -> bool {
        matches!(
            self,
            AssetState::Failed
                | AssetState::RollingBack
                | AssetState::RolledBack
                | AssetState::RollbackFailed
        )
    }
}

/// One asset's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetProgress {
    pub state: AssetState,
    pub wave: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The executor's message for a failure.
    #[serde(default)]
    pub message: Option<String>,
}

/// Why the run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HaltReason {
    TooManyFailures {
        failed: u32,
        allowed: u32,
    },
    CanaryFailed {
        asset: String,
    },
    /// The plan's start deadline passed before any asset started.
    StartDeadlinePassed {
        deadline: DateTime<Utc>,
    },
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HaltReason::TooManyFailures { failed, allowed } => write!(
                f,
                "{failed} assets failed, more than maxFailures allows ({allowed})"
            ),
            HaltReason::CanaryFailed { asset } => {
                write!(f, "canary {asset} failed, so no further wave starts")
            }
            HaltReason::StartDeadlinePassed { deadline } => write!(
                f,
                "the start deadline {} passed before the first wave started, so the run does not start",
                format_instant(*deadline)
            ),
        }
    }
}

/// Why nothing new starts now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PauseReason {
    BetweenWaves { until: DateTime<Utc> },
    OutsideWindow { next_start: Option<DateTime<Utc>> },
    Suspended,
}

impl PauseReason {
    pub(super) fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            PauseReason::BetweenWaves { until } => Some(*until),
            PauseReason::OutsideWindow { next_start } => *next_start,
            PauseReason::Suspended => None,
        }
    }
}

fn format_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseReason::BetweenWaves { until } => {
                write!(f, "pausing between waves until {}", format_instant(*until))
            }
            PauseReason::OutsideWindow {
                next_start: Some(t),
            } => write!(
                f,
                "outside the maintenance window (or past its cutoff); the next wave may start {}",
                format_instant(*t)
            ),
            PauseReason::OutsideWindow { next_start: None } => f.write_str(
                "outside the maintenance window, and no window opens in the next two years",
            ),
            PauseReason::Suspended => f.write_str("suspended; nothing new starts until resumed"),
        }
    }
}

/// A run's status: everything the machine needs, as plain data to persist in the PatchRun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStatus {
    pub phase: RunPhase,
    /// The wave being worked on.
    pub current_wave: u32,
    pub assets: BTreeMap<String, AssetProgress>,
    /// Assets whose patch or verification failed.
    pub failed: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When the previous wave finished (the pause between waves counts from here).
    #[serde(default)]
    pub wave_finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub paused: Option<PauseReason>,
    #[serde(default)]
    pub halted: Option<HaltReason>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl RunStatus {
    /// The status of a run that has not started: every asset pending.
    pub fn new(plan: &RolloutPlan) -> RunStatus {
        RunStatus {
            phase: RunPhase::Pending,
            current_wave: 0,
            assets: plan
                .waves
                .iter()
                .flat_map(|w| {
                    w.assets.iter().map(|a| {
                        (
                            a.clone(),
                            AssetProgress {
                                state: AssetState::Pending,
                                wave: w.index,
                                started_at: None,
                                finished_at: None,
                                message: None,
                            },
                        )
                    })
                })
                .collect(),
            failed: 0,
            started_at: None,
            wave_finished_at: None,
            paused: None,
            halted: None,
            finished_at: None,
        }
    }

    /// Assets in each state.
    pub fn count(&self, state: AssetState) -> usize {
        self.assets.values().filter(|a| a.state == state).count()
    }
}
