//! Hooks: the commands a policy runs on an asset before patching and after verification,
//! in order; the first that fails stops the rest.

use patchwarden_executor::{ExecError, HealthCheck};

use super::OperationRequest;

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookStage {
    /// Before the upgrade; a failure leaves the asset untouched.
    PrePatch,
    /// After verification; a failure fails the asset.
    PostPatch,
}

impl HookStage {
    fn as_str(self) -> &'static str {
        match self {
            HookStage::PrePatch => "pre-patch",
            HookStage::PostPatch => "post-patch",
        }
    }
}

impl std::fmt::Display for HookStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hook that failed, named with its asset and stage.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The hook ran and reported failure.
    #[error("{asset}: {stage} hook {name} failed (exit {exit_code:?}): {output}")]
    Failed {
        asset: String,
        stage: HookStage,
        name: String,
        exit_code: Option<i32>,
        output: String,
    },
    /// The hook could not be run.
    #[error("{asset}: {stage} hook {name} failed: {source}")]
    NotRun {
        asset: String,
        stage: HookStage,
        name: String,
        #[source]
        source: ExecError,
    },
}

/// Runs the hooks of `stage` in order.
pub async fn run_hooks(request: &OperationRequest, stage: HookStage) -> Result<(), HookError> {
    let hooks: &[(String, HealthCheck)] = match stage {
        HookStage::PrePatch => &request.pre_patch,
        HookStage::PostPatch => &request.post_patch,
    };
    for (name, command) in hooks {
        let report = request
            .executor
            .health_check(&request.target, command)
            .await
            .map_err(|source| HookError::NotRun {
                asset: request.asset_name.clone(),
                stage,
                name: name.clone(),
                source,
            })?;
        if !report.healthy {
            return Err(HookError::Failed {
                asset: request.asset_name.clone(),
                stage,
                name: name.clone(),
                exit_code: report.exit_code,
                output: report.output.trim().to_string(),
            });
        }
    }
    Ok(())
}
