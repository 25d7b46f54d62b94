//! Applying a revision: every object in apply order, stamped with our label and the revision,
//! after a dry run of all of them, so that a refusal leaves the cluster untouched.

use std::collections::BTreeSet;
use std::time::Duration;

use kube::api::{Patch, PatchParams};
use kube::discovery::Scope;
use patchwarden_api::labels;
use serde_json::{Value, json};

use super::discovery::{DiscoveryCache, dynamic_api, is_not_found};
use super::{FIELD_MANAGER, GitSync, SyncError};
use crate::resources::{Resource, ResourceKey, ResourceSet};
use crate::source::Revision;

impl GitSync {
    /// Applies every resource of the revision in apply order, after checking them all; returns
    /// their keys with the effective namespace.
    pub(super) async fn apply_all(
        &self,
        discovery: &mut DiscoveryCache,
        resources: &ResourceSet,
        revision: &Revision,
    ) -> Result<Vec<ResourceKey>, SyncError> {
        let mut applied = Vec::new();
        let mut ordered: Vec<&Resource> = resources.iter().collect();
        ordered.sort_by_key(|resource| (apply_rank(&resource.key.kind), resource.key.clone()));
        let plan = ApplyPlan::new(&ordered);
        self.preflight(discovery, &plan, &ordered, revision).await?;
        for resource in ordered {
            if plan.defined_here(&resource.key) {
                self.wait_until_served(discovery, &resource.key).await?;
            }
            let key = self.apply(discovery, resource, revision, false).await?;
            applied.push(key);
        }
        Ok(applied)
    }

    /// Resolves every kind and dry-runs every object before anything is written, so a kind
    /// the API does not serve or an object it refuses leaves the cluster untouched. Kinds whose
    /// CustomResourceDefinition is in the same revision, and objects in namespaces the revision
    /// creates, can only be checked once those exist.
    async fn preflight(
        &self,
        discovery: &mut DiscoveryCache,
        plan: &ApplyPlan,
        ordered: &[&Resource],
        revision: &Revision,
    ) -> Result<(), SyncError> {
        for resource in ordered {
            if plan.defined_here(&resource.key) {
                continue;
            }
            match self.apply(discovery, resource, revision, true).await {
                Ok(_) => {}
                Err(SyncError::Apply { key, error, .. })
                    if is_not_found(&error)
                        && key
                            .namespace
                            .as_deref()
                            .is_some_and(|namespace| plan.namespaces.contains(namespace)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Waits (briefly) for a kind whose CustomResourceDefinition was just applied to be served.
    async fn wait_until_served(
        &self,
        discovery: &mut DiscoveryCache,
        key: &ResourceKey,
    ) -> Result<(), SyncError> {
        let mut attempts = 0;
        loop {
            match discovery.resolve(&self.client, &self.spec.name, key).await {
                Ok(_) => return Ok(()),
                Err(error) if attempts >= CRD_WAIT_ATTEMPTS => return Err(error),
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(CRD_WAIT_INTERVAL).await;
                }
            }
        }
    }

    /// Server-side applies one object (only checks it when `dry_run`), returning its key with
    /// the effective namespace.
    async fn apply(
        &self,
        discovery: &mut DiscoveryCache,
        resource: &Resource,
        revision: &Revision,
        dry_run: bool,
    ) -> Result<ResourceKey, SyncError> {
        let (api_resource, capabilities) = discovery
            .resolve(&self.client, &self.spec.name, &resource.key)
            .await?;
        let mut key = resource.key.clone();
        let namespaced = capabilities.scope == Scope::Namespaced;
        key.namespace = if namespaced {
            Some(
                key.namespace
                    .clone()
                    .unwrap_or_else(|| self.settings.default_namespace.clone()),
            )
        } else {
            None
        };
        let mut object = resource.object.clone();
        stamp(
            &mut object,
            &self.spec.name,
            revision,
            &resource.file,
            key.namespace.as_deref(),
        );
        let api = dynamic_api(&self.client, &api_resource, key.namespace.as_deref());
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        if dry_run {
            params = params.dry_run();
        }
        api.patch(&key.name, &params, &Patch::Apply(&object))
            .await
            .map_err(|error| SyncError::Apply {
                source_name: self.spec.name.clone(),
                key: Box::new(key.clone()),
                file: resource.file.clone(),
                dry_run,
                error: Box::new(error),
            })?;
        Ok(key)
    }
}

/// How long to wait for a kind whose CustomResourceDefinition the same revision applies.
const CRD_WAIT_ATTEMPTS: u32 = 40;
const CRD_WAIT_INTERVAL: Duration = Duration::from_millis(250);

/// What a revision creates that other objects of it depend on.
struct ApplyPlan {
    /// (group, kind) of every CustomResourceDefinition in the revision.
    crd_kinds: BTreeSet<(String, String)>,
    /// Names of every Namespace in the revision.
    namespaces: BTreeSet<String>,
}

impl ApplyPlan {
    fn new(resources: &[&Resource]) -> Self {
        let crd_kinds = resources
            .iter()
            .filter(|r| {
                r.key.kind == "CustomResourceDefinition" && r.key.group() == "apiextensions.k8s.io"
            })
            .filter_map(|r| {
                let spec = r.object.get("spec")?;
                Some((
                    spec.get("group")?.as_str()?.to_string(),
                    spec.get("names")?.get("kind")?.as_str()?.to_string(),
                ))
            })
            .collect();
        let namespaces = resources
            .iter()
            .filter(|r| r.key.kind == "Namespace" && r.key.api_version == "v1")
            .map(|r| r.key.name.clone())
            .collect();
        Self {
            crd_kinds,
            namespaces,
        }
    }

    /// Whether the revision itself defines this object's kind.
    fn defined_here(&self, key: &ResourceKey) -> bool {
        self.crd_kinds
            .contains(&(key.group().to_string(), key.kind.clone()))
    }
}

/// Adds our label and annotations to an object about to be applied.
fn stamp(
    object: &mut Value,
    source: &str,
    revision: &Revision,
    file: &str,
    namespace: Option<&str>,
) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let metadata = root.entry("metadata").or_insert_with(|| json!({}));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    match namespace {
        Some(namespace) => {
            metadata.insert("namespace".into(), json!(namespace));
        }
        None => {
            metadata.remove("namespace");
        }
    }
    insert_string(metadata, "labels", labels::SOURCE, source);
    insert_string(
        metadata,
        "annotations",
        labels::SOURCE_REVISION,
        &revision.to_string(),
    );
    insert_string(metadata, "annotations", labels::SOURCE_PATH, file);
}

/// Sets `metadata.<map>.<key>`, making `map` an object if it is not one.
fn insert_string(metadata: &mut serde_json::Map<String, Value>, map: &str, key: &str, value: &str) {
    let entry = metadata.entry(map).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    if let Some(entries) = entry.as_object_mut() {
        entries.insert(key.to_string(), json!(value));
    }
}

/// Apply order: namespaces and definitions first, then what policies refer to, then policies.
pub(super) fn apply_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" | "Secret" | "ConfigMap" => 2,
        "VulnerabilityFeed" => 3,
        "AssetGroup" | "MaintenanceWindow" => 4,
        "PatchPolicy" => 6,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_label_annotations_and_effective_namespace() {
        let mut object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "y"}}});
        let revision = Revision {
            reference: "main".into(),
            commit: "abc".into(),
        };
        stamp(&mut object, "fleet", &revision, "a.yaml", Some("ops"));
        assert_eq!(object["metadata"]["namespace"], "ops");
        assert_eq!(object["metadata"]["labels"]["x"], "y");
        assert_eq!(object["metadata"]["labels"][labels::SOURCE], "fleet");
        assert_eq!(
            object["metadata"]["annotations"][labels::SOURCE_REVISION],
            "main@sha1:abc"
        );
        assert_eq!(
            object["metadata"]["annotations"][labels::SOURCE_PATH],
            "a.yaml"
        );
    }
}
