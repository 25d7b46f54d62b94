//! The operator's side: an [`Executor`] that hands each operation to the asset's agent through
//! an [`AgentChannel`] (the Asset's status in production) and waits for its answer.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{ExecError, ExecErrorKind};
use crate::host_sources::HostSources;
use crate::locks::AssetLocks;
use crate::model::{AssetRef, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget};
use crate::reboot::{RebootReport, RebootRequest};
use crate::{ExecFuture, Executor};

use super::protocol::{AgentAnswer, AgentMessage, AgentOperation, AgentRequest, new_request_id};

/// How the agent executor names an asset: `name` is the Asset's name (reports use it) and
/// `address` is `NAMESPACE/NAME` of the Asset object, where the channel finds the exchange.
pub fn agent_target(namespace: &str, name: &str) -> AssetRef {
    AssetRef {
        name: name.to_string(),
        address: Some(format!("{namespace}/{name}")),
        port: None,
        user: None,
    }
}

/// Where requests go and answers come from.
pub trait AgentChannel: Send + Sync + std::fmt::Debug {
    /// Puts `request` in the asset's request slot and waits up to `limit` for the result with
    /// the same id; `None` when none came in time.
    fn exchange<'a>(
        &'a self,
        asset: &'a AssetRef,
        request: &'a AgentMessage,
        limit: Duration,
    ) -> ExecFuture<'a, Option<AgentMessage>>;
}

/// How long an agent may take to answer before it counts as lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentTimeouts {
    /// Upgrades and roll backs (apt downloads and installs).
    pub change: Duration,
    /// Everything else (inventory, boot id, sources); reboots and health checks add their own
    /// limits to it.
    pub query: Duration,
}

impl Default for AgentTimeouts {
    fn default() -> Self {
        AgentTimeouts {
            change: Duration::from_secs(600),
            query: Duration::from_secs(120),
        }
    }
}

/// Executor for `agent` assets.
#[derive(Debug)]
pub struct AgentExecutor {
    channel: Arc<dyn AgentChannel>,
    timeouts: AgentTimeouts,
    locks: AssetLocks,
}

impl AgentExecutor {
    pub fn new(channel: Arc<dyn AgentChannel>, timeouts: AgentTimeouts) -> AgentExecutor {
        AgentExecutor {
            channel,
            timeouts,
            locks: AssetLocks::default(),
        }
    }

    /// How long `operation` may take, and whether silence means a failed change (rather than
    /// an unreachable asset).
    fn limit(&self, operation: &AgentOperation) -> (Duration, bool) {
        match operation {
            AgentOperation::Upgrade { .. } | AgentOperation::RollBack { .. } => {
                (self.timeouts.change, true)
            }
            AgentOperation::Reboot { request } => (request.timeout + self.timeouts.query, true),
            AgentOperation::HealthCheck { check } => (check.timeout + self.timeouts.query, false),
            _ => (self.timeouts.query, false),
        }
    }

    /// Sends one operation and returns the agent's answer; one operation per asset at a time,
    /// so the request slot never holds two live requests.
    async fn call(
        &self,
        asset: &AssetRef,
        operation: AgentOperation,
    ) -> Result<AgentAnswer, ExecError> {
        let key = asset.address.clone().unwrap_or_else(|| asset.name.clone());
        let _guard = self.locks.acquire(&key).await;
        let failed = |kind, message: String| ExecError::Agent {
            asset: asset.name.clone(),
            kind,
            message,
        };
        let id = new_request_id(&operation)
            .map_err(|e| failed(ExecErrorKind::Failed, format!("no random request id: {e}")))?;
        let (limit, changes) = self.limit(&operation);
        let request = AgentRequest { id, operation };
        let message = request.to_message().map_err(|e| {
            failed(
                ExecErrorKind::Invalid,
                format!("request not encodable: {e}"),
            )
        })?;
        let Some(result) = self.channel.exchange(asset, &message, limit).await? else {
            let kind = if changes {
                ExecErrorKind::Failed
            } else {
                ExecErrorKind::Unreachable
            };
            let text = format!(
                "no answer to {} request {} within {limit:?}: the agent is not running or lost",
                message.operation, message.id
            );
            return Err(failed(kind, text));
        };
        match serde_json::from_str::<AgentAnswer>(&result.body) {
            Ok(AgentAnswer::Error { kind, message }) => {
                Err(AgentAnswer::into_error(kind, message, &asset.name))
            }
            Ok(answer) => Ok(answer),
            Err(e) => Err(failed(
                ExecErrorKind::Failed,
                format!("answer to {} is not valid: {e}", message.id),
            )),
        }
    }
}

/// The error for an answer of the wrong kind.
fn unexpected(asset: &AssetRef, wanted: &str, answer: &AgentAnswer) -> ExecError {
    ExecError::Agent {
        asset: asset.name.clone(),
        kind: ExecErrorKind::Failed,
        message: format!(
            "answered {:.120} to a {wanted} request",
            format!("{answer:?}")
        ),
    }
}

impl Executor for AgentExecutor {
    fn kind(&self) -> &'static str {
        "agent"
    }

    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async move {
            match self.call(asset, AgentOperation::Reachable).await? {
                AgentAnswer::Reachable => Ok(()),
                other => Err(unexpected(asset, "reachable", &other)),
            }
        })
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(async move {
            match self.call(asset, AgentOperation::Inventory).await? {
                AgentAnswer::Inventory { mut inventory } => {
                    // Reports name the Asset, whatever the host calls itself.
                    inventory.asset = asset.name.clone();
                    Ok(inventory)
                }
                other => Err(unexpected(asset, "inventory", &other)),
            }
        })
    }

    fn upgrade<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        let operation = AgentOperation::Upgrade {
            targets: targets.to_vec(),
        };
        Box::pin(self.change(asset, operation))
    }

    fn roll_back<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        let operation = AgentOperation::RollBack {
            targets: targets.to_vec(),
        };
        Box::pin(self.change(asset, operation))
    }

    fn boot_id<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, String> {
        Box::pin(async move {
            match self.call(asset, AgentOperation::BootId).await? {
                AgentAnswer::BootId { boot_id } => Ok(boot_id),
                other => Err(unexpected(asset, "boot id", &other)),
            }
        })
    }

    fn reboot<'a>(
        &'a self,
        asset: &'a AssetRef,
        request: &'a RebootRequest,
    ) -> ExecFuture<'a, RebootReport> {
        Box::pin(async move {
            request.validate(&asset.name)?;
            let operation = AgentOperation::Reboot {
                request: request.clone(),
            };
            match self.call(asset, operation).await? {
                AgentAnswer::Reboot { report } => Ok(report),
                other => Err(unexpected(asset, "reboot", &other)),
            }
        })
    }

    fn package_sources<'a>(
        &'a self,
        asset: &'a AssetRef,
        packages: &'a [String],
    ) -> ExecFuture<'a, HostSources> {
        Box::pin(async move {
            let operation = AgentOperation::PackageSources {
                packages: packages.to_vec(),
            };
            match self.call(asset, operation).await? {
                AgentAnswer::PackageSources { sources } => Ok(sources),
                other => Err(unexpected(asset, "package sources", &other)),
            }
        })
    }

    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        check: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        Box::pin(async move {
            let operation = AgentOperation::HealthCheck {
                check: check.clone(),
            };
            match self.call(asset, operation).await? {
                AgentAnswer::HealthCheck { report } => Ok(report),
                other => Err(unexpected(asset, "health check", &other)),
            }
        })
    }
}

impl AgentExecutor {
    async fn change(
        &self,
        asset: &AssetRef,
        operation: AgentOperation,
    ) -> Result<ChangeReport, ExecError> {
        let name = operation.name();
        match self.call(asset, operation).await? {
            AgentAnswer::Change { mut report } => {
                report.asset = asset.name.clone();
                Ok(report)
            }
            other => Err(unexpected(asset, name, &other)),
        }
    }
}
