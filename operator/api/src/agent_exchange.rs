//! The operator's exchange with a `patchwarden agent`, held in an agent Asset's status
//! (`status.agent`): one request slot the operator writes and one result slot the agent
//! writes, each a message with an id. The bodies are JSON documents of the executor's agent
//! protocol (`patchwarden_executor::agent`), opaque to the API.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the operator asked the agent for last, and what the agent answered last.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentExchange {
    /// The operation the agent is asked to run; the next request replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<AgentMessage>,
    /// The agent's answer to the request with the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<AgentMessage>,
    /// When the agent last started watching its Asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Time>,
}

/// One request or result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessage {
    /// Unique per request; a result answers the request with the same id.
    #[schemars(length(min = 1, max = 128))]
    pub id: String,
    /// The operation (`inventory`, `upgrade`, `rollBack`, `bootId`, `reboot`,
    /// `packageSources`, `healthCheck`, `reachable`), for people reading the status.
    pub operation: String,
    /// The request's parameters or the result's report, as JSON.
    pub body: String,
}
