//! The drain preflight in the head revision: for a policy that drains nodes, what in the live
//! cluster would block draining its `node` members — the same judgement the controller writes
//! into the policy's `DrainBlocked` condition.

use std::collections::BTreeSet;

use patchwarden_core::drain::drain_verdict;

use super::DrainImpact;
use super::side::PolicySide;
use crate::snapshot::Snapshot;

/// The preflight of the policy's nodes after the change; `None` when it drains no node.
pub(super) fn drain_impact(
    after: Option<&PolicySide<'_>>,
    live: Option<&Snapshot>,
) -> Option<DrainImpact> {
    let after = after?;
    after.spec.enabled_drain()?;
    let nodes: BTreeSet<String> = after
        .members
        .values()
        .filter_map(|asset| asset.node_name())
        .collect();
    if nodes.is_empty() {
        return None;
    }
    let listed: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let Some(workloads) = live.and_then(|live| live.workloads.as_ref()) else {
        return Some(DrainImpact {
            nodes: nodes.iter().cloned().collect(),
            blocked: false,
            checked: false,
            message: format!(
                "not checked for {}: the live state has no Pods or PodDisruptionBudgets (plan with --kubeconfig, or a snapshot, from a reader allowed to list them)",
                listed.join(", ")
            ),
        });
    };
    let verdict = drain_verdict(workloads, &nodes);
    Some(DrainImpact {
        nodes: nodes.iter().cloned().collect(),
        blocked: verdict.is_some(),
        checked: true,
        message: verdict
            .unwrap_or_else(|| format!("nothing blocks draining {}", listed.join(", "))),
    })
}
