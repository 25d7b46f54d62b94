//! The drain preflight of a policy that drains nodes: the Pods, PodDisruptionBudgets,
//! ReplicaSets and Deployments of the cluster, listed before a window opens and judged by
//! `core::drain::drain_blockers`, so that a drain that would block shows in the policy's
//! `DrainBlocked` condition instead of surfacing as a timeout mid-window.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::Client;
use kube::runtime::reflector::{ObjectRef, Store};
use patchwarden_api::asset::Asset;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::time::to_k8s;
use patchwarden_core::drain::drain_verdict;
use patchwarden_gitops::snapshot::read_workloads;

use super::observe::Observed;

/// What the preflight found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainPreflight {
    /// The policy drains no node (drain off, or no `node` members).
    NotApplicable,
    /// Every node can be drained now.
    Clear,
    /// Draining would be blocked; the message names the nodes and what blocks them.
    Blocked(String),
    /// The cluster could not be read (the condition says `Unknown`).
    Unknown(String),
}

/// The Nodes of the policy's `node` members when the policy drains, else none.
pub fn drained_nodes(
    policy: &PatchPolicy,
    observed: &Observed,
    assets: &Store<Asset>,
) -> BTreeSet<String> {
    if policy.spec.enabled_drain().is_none() {
        return BTreeSet::new();
    }
    observed
        .members
        .iter()
        .filter_map(|member| {
            assets
                .get(&ObjectRef::new(&member.name).within(&observed.namespace))?
                .node_name()
        })
        .collect()
}

/// Lists what a drain of `nodes` depends on and names what would block it.
pub async fn check(client: &Client, nodes: &BTreeSet<String>) -> DrainPreflight {
    if nodes.is_empty() {
        return DrainPreflight::NotApplicable;
    }
    match read_workloads(client).await {
        Ok(snapshot) => match drain_verdict(&snapshot, nodes) {
            Some(blocked) => DrainPreflight::Blocked(blocked),
            None => DrainPreflight::Clear,
        },
        Err(error) => DrainPreflight::Unknown(format!(
            "the drain preflight cannot read the cluster: {error}"
        )),
    }
}

/// Writes the preflight into the `DrainBlocked` condition: present while a drain would block
/// (or the preflight could not look, as `Unknown`), absent otherwise.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    preflight: &DrainPreflight,
    generation: Option<i64>,
    now: DateTime<Utc>,
) {
    let at = to_k8s(now);
    let (status, reason, message) = match preflight {
        DrainPreflight::NotApplicable | DrainPreflight::Clear => {
            c::remove_condition(conditions, c::DRAIN_BLOCKED);
            return;
        }
        DrainPreflight::Blocked(message) => (c::TRUE, reason::DRAIN_PREFLIGHT_FAILED, message),
        DrainPreflight::Unknown(message) => {
            (c::UNKNOWN, reason::DRAIN_PREFLIGHT_UNAVAILABLE, message)
        }
    };
    c::set_condition(
        conditions,
        c::new_condition(
            c::DRAIN_BLOCKED,
            status,
            reason,
            message.clone(),
            generation,
            at.clone(),
        ),
        at,
    );
}
