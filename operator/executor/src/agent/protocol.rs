//! The messages: what the operator asks for and what the agent answers, as JSON bodies of the
//! status slots.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::{ExecError, ExecErrorKind};
use crate::host_sources::HostSources;
use crate::model::{ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget};
use crate::reboot::{RebootReport, RebootRequest};

/// One status slot: an id, the operation's name (for people) and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentMessage {
    pub id: String,
    pub operation: String,
    pub body: String,
}

/// An operation the agent runs on its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "camelCase")]
pub enum AgentOperation {
    Reachable,
    Inventory,
    Upgrade { targets: Vec<PackageTarget> },
    RollBack { targets: Vec<PackageTarget> },
    BootId,
    Reboot { request: RebootRequest },
    PackageSources { packages: Vec<String> },
    HealthCheck { check: HealthCheck },
}

impl AgentOperation {
    /// The name written beside the body.
    pub fn name(&self) -> &'static str {
        match self {
            AgentOperation::Reachable => "reachable",
            AgentOperation::Inventory => "inventory",
            AgentOperation::Upgrade { .. } => "upgrade",
            AgentOperation::RollBack { .. } => "rollBack",
            AgentOperation::BootId => "bootId",
            AgentOperation::Reboot { .. } => "reboot",
            AgentOperation::PackageSources { .. } => "packageSources",
            AgentOperation::HealthCheck { .. } => "healthCheck",
        }
    }
}

/// A request: its id and operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRequest {
    pub id: String,
    pub operation: AgentOperation,
}

impl AgentRequest {
    pub fn to_message(&self) -> Result<AgentMessage, serde_json::Error> {
        Ok(AgentMessage {
            id: self.id.clone(),
            operation: self.operation.name().to_string(),
            body: serde_json::to_string(&self.operation)?,
        })
    }

    pub fn from_message(message: &AgentMessage) -> Result<AgentRequest, serde_json::Error> {
        Ok(AgentRequest {
            id: message.id.clone(),
            operation: serde_json::from_str(&message.body)?,
        })
    }
}

/// What the agent answers: the operation's report, or the error it ended with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "camelCase")]
pub enum AgentAnswer {
    Reachable,
    Inventory { inventory: Inventory },
    Change { report: ChangeReport },
    BootId { boot_id: String },
    Reboot { report: RebootReport },
    PackageSources { sources: HostSources },
    HealthCheck { report: HealthReport },
    Error { kind: ErrorKind, message: String },
}

/// [`ExecErrorKind`] on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    Unreachable,
    Invalid,
    Failed,
}

impl AgentAnswer {
    /// The answer for an operation that failed on the host. The message is the executor's
    /// error text: it names commands and files, never credentials (the agent holds none
    /// besides its token, which no command sees).
    pub fn error(error: &ExecError) -> AgentAnswer {
        let kind = match error.kind() {
            ExecErrorKind::Unreachable => ErrorKind::Unreachable,
            ExecErrorKind::Invalid => ErrorKind::Invalid,
            ExecErrorKind::Failed => ErrorKind::Failed,
        };
        AgentAnswer::Error {
            kind,
            message: error.to_string(),
        }
    }

    /// The error this answer stands for on the operator's side, naming the asset.
    pub fn into_error(kind: ErrorKind, message: String, asset: &str) -> ExecError {
        let kind = match kind {
            ErrorKind::Unreachable => ExecErrorKind::Unreachable,
            ErrorKind::Invalid => ExecErrorKind::Invalid,
            ErrorKind::Failed => ExecErrorKind::Failed,
        };
        ExecError::Agent {
            asset: asset.to_string(),
            kind,
            message,
        }
    }
}

/// A fresh request id: the operation's name and 64 bits from the kernel's random source.
pub fn new_request_id(operation: &AgentOperation) -> std::io::Result<String> {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!(
        "{}-{}",
        operation.name().to_ascii_lowercase(),
        hex::encode(bytes)
    ))
}
