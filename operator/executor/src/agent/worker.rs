//! The agent's side: which request to act on, and running one with the state file making it
//! idempotent by id.

use std::sync::Arc;

use crate::Executor;
use crate::model::AssetRef;

use super::protocol::{AgentAnswer, AgentMessage, AgentOperation, AgentRequest};
use super::state::{AgentState, Started, StateError, StateFile, StoredResult};

/// What the agent does about the request slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No request, or it is answered in the status already.
    Idle,
    /// It was answered before (a restart lost the status write): write that answer again.
    Report(AgentMessage),
    /// Run it.
    Run(AgentMessage),
}

/// Decides the step for the request slot, given the id the result slot answers.
pub fn next_step(
    request: Option<&AgentMessage>,
    answered: Option<&str>,
    state: &AgentState,
) -> Step {
    let Some(request) = request else {
        return Step::Idle;
    };
    if answered == Some(request.id.as_str()) {
        return Step::Idle;
    }
    match state.result(&request.id) {
        Some(stored) => Step::Report(AgentMessage {
            id: stored.id.clone(),
            operation: stored.operation.clone(),
            body: stored.body.clone(),
        }),
        None => Step::Run(request.clone()),
    }
}

/// Runs requests on the agent's host with an executor (the local one in production).
#[derive(Debug)]
pub struct AgentWorker {
    executor: Arc<dyn Executor>,
    asset: AssetRef,
    file: StateFile,
    state: AgentState,
}

impl AgentWorker {
    /// A worker for `asset`, remembering what `file` holds.
    pub fn new(
        executor: Arc<dyn Executor>,
        asset: AssetRef,
        file: StateFile,
    ) -> Result<AgentWorker, StateError> {
        let state = file.load()?;
        Ok(AgentWorker {
            executor,
            asset,
            file,
            state,
        })
    }

    pub fn state(&self) -> &AgentState {
        &self.state
    }

    /// The answer to `request`: the stored one if it was answered before, else the result of
    /// running it (recorded before it is returned).
    pub async fn answer(&mut self, request: &AgentMessage) -> Result<AgentMessage, StateError> {
        if let Some(stored) = self.state.result(&request.id) {
            return Ok(message(stored.clone()));
        }
        let answer = match AgentRequest::from_message(request) {
            Ok(parsed) => self.run(parsed).await?,
            Err(e) => AgentAnswer::Error {
                kind: super::protocol::ErrorKind::Invalid,
                message: format!(
                    "{}: agent request {} is not valid: {e}",
                    self.asset.name, request.id
                ),
            },
        };
        let body = serde_json::to_string(&answer).map_err(|source| StateError::Parse {
            path: self.file.path().to_path_buf(),
            source,
        })?;
        let stored = StoredResult {
            id: request.id.clone(),
            operation: request.operation.clone(),
            body,
        };
        self.state.finish(stored.clone());
        self.file.save(&self.state)?;
        Ok(message(stored))
    }

    /// Records the start (keeping the boot id of a first start), then runs the operation.
    async fn run(&mut self, mut request: AgentRequest) -> Result<AgentAnswer, StateError> {
        let boot_id = match self.state.started_boot_id(&request.id) {
            Some(first) => first.to_string(),
            None => self.executor.boot_id(&self.asset).await.unwrap_or_default(),
        };
        if let AgentOperation::Reboot { request: reboot } = &mut request.operation
            && reboot.boot_id_before.is_none()
            && !boot_id.is_empty()
        {
            reboot.boot_id_before = Some(boot_id.clone());
        }
        self.state.started = Some(Started {
            id: request.id.clone(),
            boot_id,
        });
        self.file.save(&self.state)?;
        Ok(run_operation(self.executor.as_ref(), &self.asset, &request.operation).await)
    }
}

fn message(stored: StoredResult) -> AgentMessage {
    AgentMessage {
        id: stored.id,
        operation: stored.operation,
        body: stored.body,
    }
}

/// Runs one operation with `executor`; an error becomes an error answer.
pub async fn run_operation(
    executor: &dyn Executor,
    asset: &AssetRef,
    operation: &AgentOperation,
) -> AgentAnswer {
    let answer = match operation {
        AgentOperation::Reachable => executor
            .check_reachable(asset)
            .await
            .map(|()| AgentAnswer::Reachable),
        AgentOperation::Inventory => executor
            .collect_inventory(asset)
            .await
            .map(|inventory| AgentAnswer::Inventory { inventory }),
        AgentOperation::Upgrade { targets } => executor
            .upgrade(asset, targets)
            .await
            .map(|report| AgentAnswer::Change { report }),
        AgentOperation::RollBack { targets } => executor
            .roll_back(asset, targets)
            .await
            .map(|report| AgentAnswer::Change { report }),
        AgentOperation::BootId => executor
            .boot_id(asset)
            .await
            .map(|boot_id| AgentAnswer::BootId { boot_id }),
        AgentOperation::Reboot { request } => executor
            .reboot(asset, request)
            .await
            .map(|report| AgentAnswer::Reboot { report }),
        AgentOperation::PackageSources { packages } => executor
            .package_sources(asset, packages)
            .await
            .map(|sources| AgentAnswer::PackageSources { sources }),
        AgentOperation::HealthCheck { check } => executor
            .health_check(asset, check)
            .await
            .map(|report| AgentAnswer::HealthCheck { report }),
    };
    answer.unwrap_or_else(|e| AgentAnswer::error(&e))
}
