//! The live state `plan` reasons about: Assets (labels, status, findings) and PatchPolicies,
//! read from the API ([`read_live`]) or from a file written by `patchwarden snapshot`.

use chrono::{DateTime, Utc};
use patchwarden_api::{Asset, PatchPolicy};
use serde::{Deserialize, Serialize};

/// Version of the snapshot file format.
pub const SNAPSHOT_FORMAT: &str = "patchwarden.io/snapshot/v1";

/// A JSON dump of the live objects `plan` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// When the state was read.
    pub taken_at: DateTime<Utc>,
    /// Every Asset, with its status.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Every PatchPolicy, with its status.
    #[serde(default)]
    pub policies: Vec<PatchPolicy>,
}

/// A snapshot file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{file}: not a patchwarden snapshot: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: field `format` is `{found}`, expected `{SNAPSHOT_FORMAT}`")]
    Format { file: String, found: String },
    #[error("cannot list {kind} objects: {error}")]
    List {
        kind: &'static str,
        #[source]
        error: Box<kube::Error>,
    },
}

/// Reads every Asset and PatchPolicy (all namespaces) from the API.
pub async fn read_live(
    client: &kube::Client,
    now: DateTime<Utc>,
) -> Result<Snapshot, SnapshotError> {
    let assets: kube::Api<Asset> = kube::Api::all(client.clone());
    let policies: kube::Api<PatchPolicy> = kube::Api::all(client.clone());
    let list = kube::api::ListParams::default();
    let assets = assets
        .list(&list)
        .await
        .map_err(|error| SnapshotError::List {
            kind: "Asset",
            error: Box::new(error),
        })?
        .items;
    let policies = policies
        .list(&list)
        .await
        .map_err(|error| SnapshotError::List {
            kind: "PatchPolicy",
            error: Box::new(error),
        })?
        .items;
    Ok(Snapshot::new(now, assets, policies))
}

impl Snapshot {
    /// A snapshot of the given objects.
    pub fn new(taken_at: DateTime<Utc>, assets: Vec<Asset>, policies: Vec<PatchPolicy>) -> Self {
        Self {
            format: SNAPSHOT_FORMAT.to_string(),
            taken_at,
            assets,
            policies,
        }
    }

    /// Parses a snapshot file's text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Self, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_str(text).map_err(|err| SnapshotError::Parse {
                file: file.to_string(),
                reason: err.to_string(),
            })?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::Format {
                file: file.to_string(),
                found: snapshot.format,
            });
        }
        Ok(snapshot)
    }
}
