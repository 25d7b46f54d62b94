//! What the machine tells the controller: the actions to take, the status to persist first,
//! and when to decide again.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{HaltReason, PauseReason, RunPhase, RunStatus};

/// Something the controller must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    StartAsset {
        asset: String,
        operation: String,
    },
    /// Reboot the asset if the plan's mode and its inventory after the install ask for it.
    RebootAsset {
        asset: String,
        operation: String,
    },
    VerifyAsset {
        asset: String,
        operation: String,
    },
    RollBackAsset {
        asset: String,
        operation: String,
    },
    HaltRun {
        reason: HaltReason,
    },
    PauseUntil {
        reason: PauseReason,
    },
    CompleteRun {
        phase: RunPhase,
        succeeded: u32,
        failed: u32,
    },
}

impl Action {
    /// The asset an asset action is about.
    pub fn asset(&self) -> Option<&str> {
        match self {
            Action::StartAsset { asset, .. }
            | Action::RebootAsset { asset, .. }
            | Action::VerifyAsset { asset, .. }
            | Action::RollBackAsset { asset, .. } => Some(asset),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::StartAsset { asset, operation } => {
                write!(f, "start patching {asset} (operation {operation})")
            }
            Action::RebootAsset { asset, operation } => write!(
                f,
                "reboot {asset} if needed, and wait for a new boot id (operation {operation})"
            ),
            Action::VerifyAsset { asset, operation } => write!(
                f,
                "verify {asset}: re-inventory and health checks (operation {operation})"
            ),
            Action::RollBackAsset { asset, operation } => write!(
                f,
                "roll {asset} back to its recorded versions (operation {operation})"
            ),
            Action::HaltRun { reason } => write!(f, "halt the run: {reason}"),
            Action::PauseUntil { reason } => write!(f, "{reason}"),
            Action::CompleteRun {
                phase,
                succeeded,
                failed,
            } => write!(
                f,
                "run finished {phase}: {succeeded} assets succeeded, {failed} failed"
            ),
        }
    }
}

/// The outcome of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub actions: Vec<Action>,
    /// Persist this before acting.
    pub status: RunStatus,
    /// Decide again at this time at the latest (also on any observed change).
    pub requeue_at: Option<DateTime<Utc>>,
}
