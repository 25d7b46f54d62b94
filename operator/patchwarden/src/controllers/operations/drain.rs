//! The node path of a run: a thin shell over the core's node steps ([`step_node`]). The patch
//! step of a `node` Asset whose policy drains cordons the Node, evicts its pods through the
//! Eviction API (which answers 429 while a PodDisruptionBudget allows nothing) and installs;
//! the reboot step takes the cluster-wide Lease [`REBOOT_LEASE`] (one node reboots at a time),
//! reboots, waits for the Node to be `Ready`, releases the Lease and uncordons.
//!
//! A drain that cannot finish within its timeout ends `DrainBlocked` and uncordons the node: a
//! blocked node is never left cordoned. Only a node that does not come back `Ready` keeps the
//! Lease (no other node goes down meanwhile; the Lease lapses after its duration).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};
use patchwarden_api::time::{from_k8s, to_k8s};
use patchwarden_core::drain::{DrainOptions, select_pods};
use patchwarden_core::rollout::machine::{
    NodeAction, NodeFacts, NodeOutcome, NodePhase, NodeSettings, PatchState, RebootLock, step_node,
};

use super::install::{Direction, install};
use super::node_api::{evict, is_ready, set_unschedulable};
use super::{OperationDetails, OperationRequest, reboot};

/// The Lease a node holds while it reboots.
pub const REBOOT_LEASE: &str = "patchwarden-reboot";
/// The start of the message of a node whose drain could not finish.
pub const DRAIN_BLOCKED: &str = "DrainBlocked";

/// How a `node` Asset is drained around its patch and reboot.
#[derive(Clone)]
pub struct NodeDrain {
    pub client: Client,
    /// The Node's name.
    pub node: String,
    /// Where the reboot Lease lives.
    pub lease_namespace: String,
    pub settings: NodeSettings,
    pub options: DrainOptions,
    /// How often the node, its pods and the Lease are looked at again.
    pub poll: Duration,
}

/// Why the cluster could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("node {node}: cannot {what}: {source}")]
pub struct DrainError {
    pub(super) node: String,
    pub(super) what: &'static str,
    pub(super) source: kube::Error,
}

/// The patch step of a drained node: cordon, drain, install. With no reboot to follow the
/// node is uncordoned here; otherwise it stays cordoned for the reboot step.
pub async fn patch_node(
    request: &OperationRequest,
    drain: &NodeDrain,
) -> Result<OperationDetails, OperationDetails> {
    let mut driver = Driver::new(request, drain);
    driver.run(NodePhase::Cordoning, true).await
}

/// The reboot step of a drained node: Lease, reboot, `Ready`, release, uncordon.
pub async fn reboot_node(
    request: &OperationRequest,
    drain: &NodeDrain,
) -> Result<OperationDetails, OperationDetails> {
    let mut driver = Driver::new(request, drain);
    driver.patch = PatchState::Succeeded {
        reboot_required: true,
    };
    driver.run(NodePhase::Locking, false).await
}

/// One step's run of the node machine.
struct Driver<'a> {
    request: &'a OperationRequest,
    drain: &'a NodeDrain,
    patch: PatchState,
    installed: Option<OperationDetails>,
    rebooted: Option<OperationDetails>,
}

impl<'a> Driver<'a> {
    fn new(request: &'a OperationRequest, drain: &'a NodeDrain) -> Self {
        Driver {
            request,
            drain,
            patch: PatchState::NotStarted,
            installed: None,
            rebooted: None,
        }
    }

    /// Steps the machine until the node is finished, or (for the patch step, when a reboot
    /// follows) until it asks for the reboot Lease.
    async fn run(
        &mut self,
        mut phase: NodePhase,
        patch_step: bool,
    ) -> Result<OperationDetails, OperationDetails> {
        loop {
            if patch_step && phase == NodePhase::Locking {
                return self.installed.take().ok_or_else(|| self.fail("no install"));
            }
            if let NodePhase::Finished { outcome } = &phase {
                let (succeeded, details) = self.finish(outcome);
                return if succeeded { Ok(details) } else { Err(details) };
            }
            let facts = self.observe().await.map_err(|e| self.fail(e))?;
            let decision = step_node(&phase, &facts, &self.drain.settings, Utc::now());
            for action in &decision.actions {
                self.act(*action, &facts).await?;
            }
            let moved = decision.phase != phase;
            phase = decision.phase;
            if !moved && !decision.actions.contains(&NodeAction::Patch) {
                tokio::time::sleep(self.drain.poll).await;
            }
        }
    }

    /// The step's details, and whether it succeeded.
    fn finish(&mut self, outcome: &NodeOutcome) -> (bool, OperationDetails) {
        let asset = &self.request.asset_name;
        match outcome {
            NodeOutcome::Patched => {
                let mut details = self
                    .rebooted
                    .take()
                    .or_else(|| self.installed.take())
                    .unwrap_or_default();
                details.message += &format!("; node {} uncordoned", self.drain.node);
                (true, details)
            }
            NodeOutcome::DrainBlocked(why) => (
                false,
                OperationDetails::failure(format!(
                    "{asset}: {DRAIN_BLOCKED}: {why}; node {} uncordoned",
                    self.drain.node
                )),
            ),
            NodeOutcome::Failed(why) => {
                (false, OperationDetails::failure(format!("{asset}: {why}")))
            }
        }
    }

    fn fail(&self, why: impl std::fmt::Display) -> OperationDetails {
        OperationDetails::failure(format!("{}: {why}", self.request.asset_name))
    }

    async fn observe(&self) -> Result<NodeFacts, DrainError> {
        let drain = self.drain;
        let error = |what: &'static str| {
            move |source: kube::Error| DrainError {
                node: drain.node.clone(),
                what,
                source,
            }
        };
        let nodes: Api<Node> = Api::all(drain.client.clone());
        let node = nodes
            .get(&drain.node)
            .await
            .map_err(error("read the Node"))?;
        let pods: Api<Pod> = Api::all(drain.client.clone());
        let on_node = ListParams::default().fields(&format!("spec.nodeName={}", drain.node));
        let listed = pods.list(&on_node).await.map_err(error("list its pods"))?;
        let values: Vec<serde_json::Value> = listed
            .items
            .iter()
            .filter_map(|pod| serde_json::to_value(pod).ok())
            .collect();
        let selection = select_pods(&values, &drain.node, drain.options);
        Ok(NodeFacts {
            unschedulable: node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true),
            pods_left: selection.evict.iter().map(ToString::to_string).collect(),
            pods_refused: selection
                .refused
                .iter()
                .map(|(pod, why)| format!("pod {pod} {why}"))
                .collect(),
            patch: self.patch.clone(),
            lock: self.lock().await.map_err(error("read the reboot Lease"))?,
            rebooted: self.rebooted.is_some(),
            ready: is_ready(&node),
        })
    }

    async fn act(&mut self, action: NodeAction, facts: &NodeFacts) -> Result<(), OperationDetails> {
        let drain = self.drain;
        let result = match action {
            NodeAction::Cordon => set_unschedulable(drain, true).await,
            NodeAction::Uncordon => set_unschedulable(drain, false).await,
            NodeAction::EvictPods => evict(drain, &facts.pods_left).await,
            NodeAction::AcquireRebootLock => self.acquire().await,
            NodeAction::ReleaseRebootLock => self.release().await,
            NodeAction::Patch => {
                self.install().await;
                Ok(())
            }
            NodeAction::Reboot => return self.reboot().await,
        };
        result.map_err(|e| self.fail(e))
    }

    async fn install(&mut self) {
        match install(self.request, Direction::Upgrade).await {
            Ok(details) => {
                self.installed = Some(details);
                self.patch = PatchState::Succeeded {
                    // The reboot step decides from the run's mode and the inventory.
                    reboot_required: true,
                };
            }
            Err(details) => self.patch = PatchState::Failed(details.message),
        }
    }

    /// Reboots through the run's reboot step; a failed reboot gives the Lease and the node
    /// back before failing.
    async fn reboot(&mut self) -> Result<(), OperationDetails> {
        match reboot::reboot(self.request).await {
            Ok(details) => {
                self.rebooted = Some(details);
                Ok(())
            }
            Err(details) => {
                let _ = self.release().await;
                let _ = set_unschedulable(self.drain, false).await;
                Err(details)
            }
        }
    }

    fn leases(&self) -> Api<Lease> {
        Api::namespaced(self.drain.client.clone(), &self.drain.lease_namespace)
    }

    async fn lock(&self) -> Result<RebootLock, kube::Error> {
        let lease = self.leases().get_opt(REBOOT_LEASE).await?;
        Ok(lock_of(lease.as_ref(), &self.drain.node, Utc::now()))
    }

    /// Takes the Lease when it is free; a conflict means another node took it first, which
    /// the next look shows.
    async fn acquire(&self) -> Result<(), DrainError> {
        let error = |source| DrainError {
            node: self.drain.node.clone(),
            what: "take the reboot Lease",
            source,
        };
        let leases = self.leases();
        let current = leases.get_opt(REBOOT_LEASE).await.map_err(error)?;
        let duration = self.drain.settings.ready_timeout.num_seconds().max(60) * 3;
        let spec = LeaseSpec {
            holder_identity: Some(self.drain.node.clone()),
            lease_duration_seconds: i32::try_from(duration).ok(),
            acquire_time: Some(micro_now()),
            renew_time: Some(micro_now()),
            ..LeaseSpec::default()
        };
        let result = match current {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(REBOOT_LEASE.to_string()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(spec),
                };
                leases.create(&PostParams::default(), &lease).await
            }
            Some(mut lease) => {
                lease.spec = Some(spec);
                leases
                    .replace(REBOOT_LEASE, &PostParams::default(), &lease)
                    .await
            }
        };
        match result {
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            other => other.map(|_| ()).map_err(error),
        }
    }

    /// Gives the Lease up when this node holds it.
    async fn release(&self) -> Result<(), DrainError> {
        let error = |source| DrainError {
            node: self.drain.node.clone(),
            what: "release the reboot Lease",
            source,
        };
        let leases = self.leases();
        let Some(mut lease) = leases.get_opt(REBOOT_LEASE).await.map_err(error)? else {
            return Ok(());
        };
        if lock_of(Some(&lease), &self.drain.node, Utc::now()) != RebootLock::HeldByThisNode {
            return Ok(());
        }
        if let Some(spec) = lease.spec.as_mut() {
            spec.holder_identity = None;
            spec.acquire_time = None;
        }
        leases
            .replace(REBOOT_LEASE, &PostParams::default(), &lease)
            .await
            .map(|_| ())
            .map_err(error)
    }
}

/// Who holds the Lease for `node`: nobody once it lapsed (renew time plus duration passed).
fn lock_of(lease: Option<&Lease>, node: &str, now: chrono::DateTime<Utc>) -> RebootLock {
    let Some(spec) = lease.and_then(|l| l.spec.as_ref()) else {
        return RebootLock::Free;
    };
    let Some(holder) = spec.holder_identity.as_deref().filter(|h| !h.is_empty()) else {
        return RebootLock::Free;
    };
    if holder == node {
        return RebootLock::HeldByThisNode;
    }
    let lapsed = match (&spec.renew_time, spec.lease_duration_seconds) {
        (Some(MicroTime(renewed)), Some(seconds)) => {
            from_k8s(&Time(*renewed)) + TimeDelta::seconds(i64::from(seconds)) < now
        }
        _ => false,
    };
    if lapsed {
        RebootLock::Free
    } else {
        RebootLock::HeldByAnother
    }
}

fn micro_now() -> MicroTime {
    MicroTime(to_k8s(Utc::now()).0)
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;
