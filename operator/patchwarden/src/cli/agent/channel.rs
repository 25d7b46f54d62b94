//! The operator's transport to agents: the request slot of the Asset's status, written with a
//! merge patch on the status subresource, then a watch of that one Asset until the agent's
//! result slot answers the request's id (see `patchwarden_executor::agent`).

use std::time::Duration;

use futures::StreamExt;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use patchwarden_api::agent_exchange::AgentMessage as StatusMessage;
use patchwarden_api::asset::Asset;
pub use patchwarden_executor::agent::agent_target;
use patchwarden_executor::agent::{AgentChannel, AgentMessage};
use patchwarden_executor::{AssetRef, ExecError, ExecErrorKind, ExecFuture};

/// The Asset object an agent target names; a bare name is in `default`.
fn asset_object(asset: &AssetRef) -> (&str, &str) {
    match asset.address.as_deref().and_then(|a| a.split_once('/')) {
        Some((namespace, name)) => (namespace, name),
        None => ("default", asset.name.as_str()),
    }
}

/// Agent requests and results through Asset statuses.
#[derive(Clone)]
pub struct StatusChannel {
    client: kube::Client,
}

impl std::fmt::Debug for StatusChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusChannel")
    }
}

impl StatusChannel {
    pub fn new(client: kube::Client) -> StatusChannel {
        StatusChannel { client }
    }
}

/// The result slot's message when it answers `id`.
pub fn answer_to(asset: &Asset, id: &str) -> Option<AgentMessage> {
    let result = asset.status.as_ref()?.agent.as_ref()?.result.as_ref()?;
    (result.id == id).then(|| from_status(result))
}

pub fn from_status(message: &StatusMessage) -> AgentMessage {
    AgentMessage {
        id: message.id.clone(),
        operation: message.operation.clone(),
        body: message.body.clone(),
    }
}

pub fn to_status(message: &AgentMessage) -> StatusMessage {
    StatusMessage {
        id: message.id.clone(),
        operation: message.operation.clone(),
        body: message.body.clone(),
    }
}

impl AgentChannel for StatusChannel {
    fn exchange<'a>(
        &'a self,
        asset: &'a AssetRef,
        request: &'a AgentMessage,
        limit: Duration,
    ) -> ExecFuture<'a, Option<AgentMessage>> {
        Box::pin(async move {
            let (namespace, name) = asset_object(asset);
            let api: Api<Asset> = Api::namespaced(self.client.clone(), namespace);
            let body = serde_json::json!({
                "status": { "agent": { "request": to_status(request) } }
            });
            api.patch_status(name, &PatchParams::default(), &Patch::Merge(&body))
                .await
                .map_err(|e| ExecError::Agent {
                    asset: asset.name.clone(),
                    kind: ExecErrorKind::Failed,
                    message: format!(
                        "cannot write {} request {}: {e}",
                        request.operation, request.id
                    ),
                })?;
            let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
            let mut answers = watcher::watcher(api, config)
                .default_backoff()
                .applied_objects()
                .filter_map(|item| {
                    let found = item.ok().and_then(|a| answer_to(&a, &request.id));
                    std::future::ready(found)
                })
                .boxed();
            Ok(tokio::time::timeout(limit, answers.next())
                .await
                .ok()
                .flatten())
        })
    }
}

/// The operator's executor for `agent` assets: requests through Asset statuses.
pub fn status_executor(
    client: &kube::Client,
    timeouts: patchwarden_executor::AgentTimeouts,
) -> std::sync::Arc<dyn patchwarden_executor::Executor> {
    let channel = std::sync::Arc::new(StatusChannel::new(client.clone()));
    std::sync::Arc::new(patchwarden_executor::AgentExecutor::new(channel, timeouts))
}
