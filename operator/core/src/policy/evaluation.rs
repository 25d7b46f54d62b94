//! What the evaluation finds: each member's verdict, compliance, SLA forecasts, emergencies,
//! and the decision.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{FrozenRun, NamedOpening, RunStanding};
use crate::approval::{HeldBack, UpgradeCandidate};
use crate::sla::{EmergencyReason, Forecast};

/// One member's standing under the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub name: String,
    pub group: String,
    pub approved: Vec<Arc<UpgradeCandidate>>,
    pub held_back: Vec<HeldBack>,
    pub failing: bool,
}

impl Verdict {
    /// Nothing approved is missing and the asset is not failing.
    pub fn compliant(&self) -> bool {
        self.approved.is_empty() && !self.failing
    }
}

/// Compliance counts over the members.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compliance {
    pub assets: u32,
    pub compliant: u32,
    pub pending: u32,
    pub failed: u32,
    /// Compliant share in percent, one decimal.
    pub percent: f64,
}

impl Compliance {
    pub(super) fn of(verdicts: &[Verdict]) -> Compliance {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let assets = count(verdicts.len());
        let compliant = count(verdicts.iter().filter(|v| v.compliant()).count());
        let failed = count(verdicts.iter().filter(|v| v.failing).count());
        let percent = if assets == 0 {
            100.0
        } else {
            (f64::from(compliant) * 1000.0 / f64::from(assets)).round() / 10.0
        };
        Compliance {
            assets,
            compliant,
            pending: assets.saturating_sub(compliant).saturating_sub(failed),
            failed,
            percent,
        }
    }
}

/// An asset whose SLA deadline passes, or will pass before a window lets work start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetForecast {
    pub asset: String,
    pub forecast: Forecast,
}

/// An asset that may be patched out of window, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetEmergency {
    pub asset: String,
    pub reason: EmergencyReason,
}

/// What the policy does now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Decision {
    /// Freeze this run and start it.
    Start { run: FrozenRun },
    /// Approved patches wait for a window; `until` is the next start opportunity, if any.
    WaitForWindow {
        assets: usize,
        window: Option<String>,
        until: Option<DateTime<Utc>>,
    },
    /// No run starts, for this reason.
    Hold { reason: HoldCause },
}

/// Why no run starts although the policy may have approved patches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HoldCause {
    NothingApproved,
    Suspended,
    PlanOnly,
    Unassessed {
        pending: Vec<String>,
    },
    RunActive {
        run: String,
    },
    /// The last run of this generation and reconcile request failed; a spec change or a
    /// reconcile request retries.
    RetryBlocked {
        run: String,
    },
}

/// The evaluation of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyEvaluation {
    pub verdicts: Vec<Verdict>,
    pub compliance: Compliance,
    /// The window open for new work now, if any.
    pub open_window: Option<NamedOpening>,
    /// The open window, or else the earliest next opening.
    pub next_window: Option<NamedOpening>,
    /// The first moment any window lets work start.
    pub next_start: Option<DateTime<Utc>>,
    /// At-risk SLA forecasts of members with approved patches, earliest deadline first.
    pub sla_forecasts: Vec<AssetForecast>,
    /// Members that may be patched out of window under the policy's emergency rules.
    pub emergencies: Vec<AssetEmergency>,
    /// The run a window would freeze now: every approved patch, canary and waves. `plan`
    /// previews it; the controller freezes exactly this run inside a window.
    pub scheduled_run: Option<FrozenRun>,
    pub runs: RunStanding,
    pub decision: Decision,
}
