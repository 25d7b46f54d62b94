//! What the controller tells the machine: the state of each operation (by an id derived from
//! the run, the asset and the step), whether work may start, and what suspends or hurries it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sla::EmergencyReason;
use crate::window::WindowDefinition;

/// A step of one asset, each with its own operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Patch,
    /// Reboot after a successful install (when the plan's reboot mode allows one).
    Reboot,
    Verify,
    RollBack,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Patch => "patch",
            Step::Reboot => "reboot",
            Step::Verify => "verify",
            Step::RollBack => "rollback",
        }
    }
}

/// The operation id of `asset`'s `step` in the run `run_id`: stable, so asking twice is asking
/// once.
pub fn operation_id(run_id: &str, asset: &str, step: Step) -> String {
    format!("{run_id}/{asset}/{}", step.as_str())
}

/// What the executor knows about one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum OperationState {
    /// The executor has no record of it: it never started.
    Absent,
    Running,
    Succeeded,
    Failed {
        message: String,
    },
}

/// When new work may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartGate {
    /// Whenever (a run someone started by hand).
    Anytime,
    /// Only while one of these windows is open and before its cutoff.
    Windows(Vec<WindowDefinition>),
}

/// What the controller observed for this decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observations {
    /// Operation id to its state; operations not listed are `Absent`.
    pub operations: BTreeMap<String, OperationState>,
    pub gate: StartGate,
    /// Set when an emergency rule allows starting out of window.
    pub emergency: Option<EmergencyReason>,
    /// The run or its policy is suspended: nothing new starts.
    pub suspended: bool,
    /// Assets that must not be patched (the asset or its group is suspended), with the reason:
    /// a pending one is skipped when its wave starts.
    pub skipped_assets: BTreeMap<String, String>,
}

impl Observations {
    pub(super) fn operation(&self, id: &str) -> &OperationState {
        self.operations.get(id).unwrap_or(&OperationState::Absent)
    }
}
