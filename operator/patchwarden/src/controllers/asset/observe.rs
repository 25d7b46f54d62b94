//! Observe: what an asset is — its inventory, read through its executor, and the risk
//! context (criticality, exposure) its own spec or its group gives it.

use kube::ResourceExt;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::common::{Criticality, Exposure};
use patchwarden_api::labels;
use patchwarden_executor::{AssetRef, ExecError, Executor, Inventory};

use crate::controllers::Context;
use crate::controllers::error::{ReconcileError, Terminal};
use crate::controllers::ssh_credentials::CREDENTIALS_RETRY;

/// The condition reason of an asset whose host key does not match its known_hosts.
pub const HOST_KEY_MISMATCH: &str = "HostKeyMismatch";
/// The condition reason of an asset whose ssh login is refused (e.g. the key is not
/// authorised).
pub const SSH_REFUSED: &str = "SshRefused";
/// The condition reason of an asset whose executor needs a program this machine lacks.
pub const MISSING_TOOL: &str = "MissingTool";

/// What reading an asset found.
pub enum Reached {
    /// The asset answered with its inventory.
    Inventory(Inventory),
    /// The asset cannot be reached now (a state of the asset, not a failed reconcile).
    Unreachable(ExecError),
}

/// Reads the asset's inventory through its executor. A host key that does not match, a
/// refused login, an address ssh cannot use or a program missing on this machine stall the
/// asset (looked at again slowly, as the Secret, the host or the machine may be fixed); other
/// failures than unreachability are transient.
pub async fn inventory(
    executor: &dyn Executor,
    target: &AssetRef,
) -> Result<Reached, ReconcileError> {
    match executor.collect_inventory(target).await {
        Ok(raw) => Ok(Reached::Inventory(raw)),
        Err(err) if err.is_unreachable() => Ok(Reached::Unreachable(err)),
        Err(err) => match refused_reason(&err) {
            Some(reason) => Err(Terminal::new(reason, err)
                .retry_after(CREDENTIALS_RETRY)
                .into()),
            None => Err(ReconcileError::transient("collecting the inventory", err)),
        },
    }
}

/// The condition reason when `error` says the asset refuses this operator as configured.
pub fn refused_reason(error: &ExecError) -> Option<&'static str> {
    match error {
        ExecError::Ssh { reason, .. }
            if reason.contains("Host key verification failed")
                || reason.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") =>
        {
            Some(HOST_KEY_MISMATCH)
        }
        ExecError::Ssh { .. } => Some(SSH_REFUSED),
        ExecError::InvalidRequest { .. } => Some(patchwarden_api::conditions::reason::INVALID_SPEC),
        ExecError::MissingTool { .. } => Some(MISSING_TOOL),
        _ => None,
    }
}

/// The criticality and exposure of an asset: its own overrides, else its group's.
pub async fn risk_context(
    context: &Context,
    asset: &Asset,
) -> Result<(Criticality, Exposure), ReconcileError> {
    let group = match asset.labels().get(labels::ASSET_GROUP) {
        Some(name) => {
            context
                .api_for::<AssetGroup, _>(asset)
                .get_opt(name)
                .await?
        }
        None => None,
    };
    let criticality = asset
        .spec
        .criticality
        .or(group.as_ref().map(|g| g.spec.criticality))
        .unwrap_or_default();
    let exposure = asset
        .spec
        .exposure
        .or(group.as_ref().map(|g| g.spec.exposure))
        .unwrap_or_default();
    Ok((criticality, exposure))
}
