//! The steps of patching one Kubernetes node, kured's way: cordon, drain through the Eviction
//! API, patch through the node's executor, reboot under the one cluster-wide reboot lock when
//! required, wait for `Ready`, release the lock, uncordon.
//!
//! Whatever happens after the cordon, the node is uncordoned: a drain that cannot finish (a
//! budget that allows no disruption, a pod that may not be evicted) times out into
//! `DrainBlocked` and gives the node back, instead of leaving it cordoned. The one exception is
//! a node that does not come back `Ready` after its reboot: it keeps the reboot lock, so no
//! other node reboots while one is down (the lease lapses after its duration once it is no
//! longer renewed).
//!
//! Pure: the controller observes the node, its pods, the executor's operation and the lock,
//! calls [`step_node`], carries out the actions, persists the phase, and calls again.

use chrono::{DateTime, TimeDelta, Utc};

use crate::rollout::reboot::{RebootMode, should_reboot};

/// Where a node is in its patching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodePhase {
    Cordoning,
    Draining { since: DateTime<Utc> },
    Patching,
    Locking,
    Rebooting,
    AwaitingReady { since: DateTime<Utc> },
    Releasing { outcome: NodeOutcome },
    Uncordoning { outcome: NodeOutcome },
    Finished { outcome: NodeOutcome },
}

/// How a node's patching ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeOutcome {
    Patched,
    /// The drain could not finish; the message names the pods or budgets in the way.
    DrainBlocked(String),
    Failed(String),
}

/// The executor's view of the node's patch operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchState {
    NotStarted,
    Running,
    Succeeded { reboot_required: bool },
    Failed(String),
}

/// Who holds the cluster-wide reboot lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebootLock {
    Free,
    HeldByThisNode,
    HeldByAnother,
}

/// What the controller observed this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    pub unschedulable: bool,
    /// Pods the drain still has to evict.
    pub pods_left: Vec<String>,
    /// Pods the drain may not evict under the policy, each with why.
    pub pods_refused: Vec<String>,
    pub patch: PatchState,
    pub lock: RebootLock,
    /// The executor reports the reboot done (the boot id changed).
    pub rebooted: bool,
    pub ready: bool,
}

/// The policy's settings for nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSettings {
    pub drain_timeout: TimeDelta,
    pub ready_timeout: TimeDelta,
    pub reboot: RebootMode,
}

/// What the controller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    Cordon,
    /// Evict `pods_left` through `pods/eviction`; a 429 is retried at the next step.
    EvictPods,
    Patch,
    AcquireRebootLock,
    Reboot,
    ReleaseRebootLock,
    Uncordon,
}

/// The next phase and the actions that lead to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDecision {
    pub phase: NodePhase,
    pub actions: Vec<NodeAction>,
}

fn stay(phase: &NodePhase, action: Option<NodeAction>) -> NodeDecision {
    NodeDecision {
        phase: phase.clone(),
        actions: action.into_iter().collect(),
    }
}

fn to(phase: NodePhase) -> NodeDecision {
    NodeDecision {
        phase,
        actions: Vec::new(),
    }
}

/// Decides a node's next step from its phase and what was observed.
pub fn step_node(
    phase: &NodePhase,
    facts: &NodeFacts,
    settings: &NodeSettings,
    now: DateTime<Utc>,
) -> NodeDecision {
    match phase {
        NodePhase::Cordoning if facts.unschedulable => to(NodePhase::Draining { since: now }),
        NodePhase::Cordoning => stay(phase, Some(NodeAction::Cordon)),
        NodePhase::Draining { since } => drain_step(phase, *since, facts, settings, now),
        NodePhase::Patching => patch_step(phase, facts, settings),
        NodePhase::Locking => match facts.lock {
            RebootLock::HeldByThisNode => to(NodePhase::Rebooting),
            RebootLock::Free => stay(phase, Some(NodeAction::AcquireRebootLock)),
            RebootLock::HeldByAnother => stay(phase, None),
        },
        NodePhase::Rebooting if facts.rebooted => to(NodePhase::AwaitingReady { since: now }),
        NodePhase::Rebooting => stay(phase, Some(NodeAction::Reboot)),
        NodePhase::AwaitingReady { .. } if facts.ready => to(NodePhase::Releasing {
            outcome: NodeOutcome::Patched,
        }),
        NodePhase::AwaitingReady { since } if now - *since >= settings.ready_timeout => {
            to(NodePhase::Finished {
                outcome: NodeOutcome::Failed(format!(
                    "the node was not Ready within {}s of its reboot; it keeps the reboot lock",
                    settings.ready_timeout.num_seconds()
                )),
            })
        }
        NodePhase::AwaitingReady { .. } => stay(phase, None),
        NodePhase::Releasing { .. } if facts.lock == RebootLock::HeldByThisNode => {
            stay(phase, Some(NodeAction::ReleaseRebootLock))
        }
        NodePhase::Releasing { outcome } => to(NodePhase::Uncordoning {
            outcome: outcome.clone(),
        }),
        NodePhase::Uncordoning { .. } if facts.unschedulable => {
            stay(phase, Some(NodeAction::Uncordon))
        }
        NodePhase::Uncordoning { outcome } => to(NodePhase::Finished {
            outcome: outcome.clone(),
        }),
        NodePhase::Finished { .. } => stay(phase, None),
    }
}

fn drain_step(
    phase: &NodePhase,
    since: DateTime<Utc>,
    facts: &NodeFacts,
    settings: &NodeSettings,
    now: DateTime<Utc>,
) -> NodeDecision {
    let blocked = |message: String| {
        to(NodePhase::Uncordoning {
            outcome: NodeOutcome::DrainBlocked(message),
        })
    };
    if !facts.pods_refused.is_empty() {
        return blocked(format!(
            "pods may not be evicted: {}",
            facts.pods_refused.join("; ")
        ));
    }
    if facts.pods_left.is_empty() {
        return to(NodePhase::Patching);
    }
    if now - since >= settings.drain_timeout {
        return blocked(format!(
            "the drain did not finish within {}s; pods left: {}",
            settings.drain_timeout.num_seconds(),
            facts.pods_left.join(", ")
        ));
    }
    stay(phase, Some(NodeAction::EvictPods))
}

fn patch_step(phase: &NodePhase, facts: &NodeFacts, settings: &NodeSettings) -> NodeDecision {
    match &facts.patch {
        PatchState::NotStarted => stay(phase, Some(NodeAction::Patch)),
        PatchState::Running => stay(phase, None),
        PatchState::Failed(reason) => to(NodePhase::Uncordoning {
            outcome: NodeOutcome::Failed(reason.clone()),
        }),
        PatchState::Succeeded { reboot_required } => {
            if should_reboot(settings.reboot, *reboot_required) {
                to(NodePhase::Locking)
            } else {
                to(NodePhase::Uncordoning {
                    outcome: NodeOutcome::Patched,
                })
            }
        }
    }
}

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;
