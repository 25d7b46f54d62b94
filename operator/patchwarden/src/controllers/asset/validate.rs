//! Validate: how an asset is reached — the executor for its `spec.connection` and the name
//! the executor knows it by. An asset no executor of this operator can reach is terminal;
//! one whose SSH credentials are unusable is stalled and looked at again, as the Secret may
//! be created or fixed later. The PatchRun controller reaches assets the same way.

use std::sync::Arc;

use kube::ResourceExt;
use patchwarden_api::asset::Asset;
use patchwarden_api::common::ConnectionKind;
use patchwarden_api::labels;
use patchwarden_executor::{AssetRef, Executor};

use crate::controllers::Context;
use crate::controllers::error::{ReconcileError, Terminal};
use crate::controllers::lab_fleets::LabFleetError;
use crate::controllers::ssh_credentials::CredentialsError;

/// Why an asset cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// A lab asset without the label naming the group whose lab it lives in.
    #[error(
        "metadata.labels: a lab asset needs the {} label naming its AssetGroup",
        labels::ASSET_GROUP
    )]
    NoGroupLabel,
    /// A lab asset without its lab host name.
    #[error("spec.address: a lab asset needs its lab host name")]
    NoLabAddress,
    /// The group's lab cannot be opened.
    #[error(transparent)]
    Lab(#[from] LabFleetError),
    /// The SSH credentials the asset names cannot be used.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// No executor of this kind runs in this operator.
    #[error("spec.connection: no {} executor is configured in this operator", .0.as_str())]
    NoExecutor(ConnectionKind),
}

impl From<ConnectionError> for ReconcileError {
    /// A lab that fails to open may open on a later try (its group creates it); everything
    /// else needs a change of the asset or of the operator.
    fn from(error: ConnectionError) -> Self {
        match error {
            ConnectionError::Lab(lab) if !lab.is_terminal() => {
                ReconcileError::transient("opening the asset's lab", lab)
            }
            ConnectionError::Credentials(credentials) => credentials.into(),
            other => Terminal::invalid_spec(other).into(),
        }
    }
}

impl ConnectionError {
    /// Errors that a later try may not see (a lab not created yet, a failed API read).
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectionError::Lab(lab) => !lab.is_terminal(),
            ConnectionError::Credentials(credentials) => credentials.is_transient(),
            _ => false,
        }
    }
}

/// The executor and the executor's name for an asset.
pub async fn executor_for(
    context: &Context,
    asset: &Asset,
) -> Result<(Arc<dyn Executor>, AssetRef), ConnectionError> {
    match asset.spec.connection {
        ConnectionKind::Lab => {
            let group = asset
                .labels()
                .get(labels::ASSET_GROUP)
                .ok_or(ConnectionError::NoGroupLabel)?;
            let namespace = asset.namespace().unwrap_or_else(|| String::from("default"));
            let fleet = context.labs.open(&namespace, group)?;
            let address = asset
                .spec
                .address
                .clone()
                .ok_or(ConnectionError::NoLabAddress)?;
            Ok((fleet.executor, AssetRef::named(address)))
        }
        ConnectionKind::Ssh => {
            let namespace = asset.namespace().unwrap_or_else(|| String::from("default"));
            let reference = asset.spec.credentials_ref.as_ref();
            let executor = context
                .ssh
                .executor(&context.client, &namespace, reference)
                .await?;
            Ok((executor, ssh_target(asset)))
        }
        // A Node is patched by the agent the chart's DaemonSet runs on it, for its Asset.
        ConnectionKind::Agent | ConnectionKind::Node => match &context.agents {
            Some(agents) => {
                let namespace = asset.namespace().unwrap_or_else(|| String::from("default"));
                let target =
                    patchwarden_executor::agent::agent_target(&namespace, &asset.name_any());
                Ok((agents.clone(), target))
            }
            None => Err(ConnectionError::NoExecutor(ConnectionKind::Agent)),
        },
    }
}

/// How the SSH executor names and reaches an asset: reports name the Asset, ssh connects to
/// its address, port and user.
fn ssh_target(asset: &Asset) -> AssetRef {
    AssetRef {
        name: asset.name_any(),
        address: asset.spec.address.clone(),
        port: asset.spec.port,
        user: asset.spec.user.clone(),
    }
}
