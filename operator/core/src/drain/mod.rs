//! Draining Kubernetes nodes: which pods a drain evicts, skips or cannot evict, and the
//! preflight that names what would block a drain before a maintenance window opens.
//!
//! Objects are the API's JSON (Pods, PodDisruptionBudgets, ReplicaSets, Deployments) as a
//! client lists them; nothing here talks to a cluster.

mod pods;
mod preflight;

pub use pods::{DrainOptions, DrainSelection, PodRef, Refusal, SkipReason, select_pods};
pub use preflight::{
    Blocker, ClusterSnapshot, MAX_NAMED_BLOCKERS, blocked_message, drain_blockers, drain_verdict,
};
