//! The record of a source: a ConfigMap `patchwarden-gitsource-<name>` in the status namespace,
//! read before each pass and written after it, whatever the outcome.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, Patch, PatchParams};
use patchwarden_api::labels;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::discovery::is_not_found;
use super::{FIELD_MANAGER, GitSourceSpec, GitSync, SyncError};
use crate::resources::ResourceKey;
use crate::source::redacted_url;

/// Longest status message kept: a revision with many problems must not outgrow the ConfigMap
/// (the log line has them all).
const MAX_STATUS_MESSAGE_CHARS: usize = 8_000;

/// The recorded state of a source (the status ConfigMap's data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    /// Revision (`<ref>@sha1:<commit>`) whose resources are all applied.
    #[serde(default)]
    pub last_applied_revision: String,
    /// Revision of the latest pass, applied or not.
    #[serde(default)]
    pub last_attempted_revision: String,
    /// RFC 3339 time of the latest successful apply.
    #[serde(default)]
    pub last_applied_time: String,
    /// RFC 3339 time of the latest pass.
    #[serde(default)]
    pub last_attempted_time: String,
    /// `True` when the latest pass applied its revision.
    #[serde(default)]
    pub ready: String,
    /// `Succeeded`, `ValidationFailed`, `FetchFailed` or `ApplyFailed`.
    #[serde(default)]
    pub reason: String,
    /// What happened, for people.
    #[serde(default)]
    pub message: String,
    /// Resources declared by the last applied revision (with their effective namespace).
    #[serde(default)]
    pub inventory: Vec<ResourceKey>,
}

impl SourceStatus {
    fn to_data(&self) -> BTreeMap<String, String> {
        let mut data = BTreeMap::new();
        let message = if self.message.chars().count() > MAX_STATUS_MESSAGE_CHARS {
            let head: String = self
                .message
                .chars()
                .take(MAX_STATUS_MESSAGE_CHARS)
                .collect();
            format!("{head}… (shortened)")
        } else {
            self.message.clone()
        };
        data.insert(
            "lastAppliedRevision".into(),
            self.last_applied_revision.clone(),
        );
        data.insert(
            "lastAttemptedRevision".into(),
            self.last_attempted_revision.clone(),
        );
        data.insert("lastAppliedTime".into(), self.last_applied_time.clone());
        data.insert("lastAttemptedTime".into(), self.last_attempted_time.clone());
        data.insert("ready".into(), self.ready.clone());
        data.insert("reason".into(), self.reason.clone());
        data.insert("message".into(), message);
        data.insert(
            "inventory".into(),
            serde_json::to_string(&self.inventory).unwrap_or_else(|_| "[]".into()),
        );
        data
    }

    fn from_data(data: &BTreeMap<String, String>) -> Self {
        let text = |key: &str| data.get(key).cloned().unwrap_or_default();
        Self {
            last_applied_revision: text("lastAppliedRevision"),
            last_attempted_revision: text("lastAttemptedRevision"),
            last_applied_time: text("lastAppliedTime"),
            last_attempted_time: text("lastAttemptedTime"),
            ready: text("ready"),
            reason: text("reason"),
            message: text("message"),
            inventory: data
                .get("inventory")
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
        }
    }
}

impl GitSync {
    /// Reads the recorded status (empty before the first pass).
    pub async fn read_status(&self) -> Result<SourceStatus, SyncError> {
        let api: Api<ConfigMap> =
            Api::namespaced(self.client.clone(), &self.settings.status_namespace);
        let name = self.status_configmap_name();
        let found = api
            .get_opt(&name)
            .await
            .map_err(|error| SyncError::Status {
                source_name: self.spec.name.clone(),
                action: "read",
                namespace: self.settings.status_namespace.clone(),
                configmap: name.clone(),
                error: Box::new(error),
            })?;
        Ok(found
            .and_then(|configmap| configmap.data)
            .map(|data| SourceStatus::from_data(&data))
            .unwrap_or_default())
    }

    pub(super) async fn write_status(&self, status: &SourceStatus) -> Result<(), SyncError> {
        let api: Api<ConfigMap> =
            Api::namespaced(self.client.clone(), &self.settings.status_namespace);
        let name = self.status_configmap_name();
        let data = configmap_data(status, &self.spec);
        // The status record is deliberately not labelled as a source object: prune skips it.
        let configmap = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.settings.status_namespace,
                "labels": {
                    labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
                    "patchwarden.io/gitsource": self.spec.name,
                },
            },
            "data": data,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut written = api.patch(&name, &params, &Patch::Apply(&configmap)).await;
        if matches!(&written, Err(error) if is_not_found(error)) {
            // The status namespace does not exist yet (a fresh cluster): create it and retry.
            let namespaces: Api<Namespace> = Api::all(self.client.clone());
            let namespace = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": self.settings.status_namespace},
            });
            if let Err(error) = namespaces
                .patch(
                    &self.settings.status_namespace,
                    &params,
                    &Patch::Apply(&namespace),
                )
                .await
            {
                written = Err(error);
            } else {
                written = api.patch(&name, &params, &Patch::Apply(&configmap)).await;
            }
        }
        written.map_err(|error| SyncError::Status {
            source_name: self.spec.name.clone(),
            action: "write",
            namespace: self.settings.status_namespace.clone(),
            configmap: name,
            error: Box::new(error),
        })?;
        Ok(())
    }
}

/// The status ConfigMap's data: the status, and the source it is for (its URL without
/// user-info, so no credential is ever stored).
fn configmap_data(status: &SourceStatus, spec: &GitSourceSpec) -> BTreeMap<String, String> {
    let mut data = status.to_data();
    data.insert("url".into(), redacted_url(&spec.url));
    data.insert("reference".into(), spec.reference.label().to_string());
    data.insert("path".into(), spec.path.clone().unwrap_or_default());
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_configmap_data() {
        let status = SourceStatus {
            last_applied_revision: "main@sha1:1".into(),
            inventory: vec![ResourceKey {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("ops".into()),
                name: "a".into(),
            }],
            ..SourceStatus::default()
        };
        assert_eq!(SourceStatus::from_data(&status.to_data()), status);
    }

    #[test]
    fn long_status_messages_are_shortened() {
        let status = SourceStatus {
            message: "x".repeat(MAX_STATUS_MESSAGE_CHARS + 10),
            ..SourceStatus::default()
        };
        let data = status.to_data();
        assert!(data["message"].ends_with("… (shortened)"));
        assert!(data["message"].chars().count() < MAX_STATUS_MESSAGE_CHARS + 20);
    }

    #[test]
    fn the_status_config_map_never_stores_the_url_user_info() {
        let spec = GitSourceSpec {
            name: "fleet".into(),
            url: "https://deploy:s3cret-token@git.example.com/ops/fleet.git".into(),
            reference: crate::source::GitReference::Branch("main".into()),
            path: None,
        };
        let data = configmap_data(&SourceStatus::default(), &spec);
        assert_eq!(data["url"], "https://git.example.com/ops/fleet.git");
        assert!(data.values().all(|value| !value.contains("s3cret")));
    }
}
