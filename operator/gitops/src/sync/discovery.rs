//! Finding the API of each kind a revision declares, once per kind and pass.

use std::collections::BTreeMap;

use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, pinned_kind};

use super::SyncError;
use crate::resources::ResourceKey;

/// The API of one kind: of one namespace, or of all when `namespace` is `None`.
pub(super) fn dynamic_api(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

/// Discovery answers, asked once per kind and pass.
#[derive(Default)]
pub(super) struct DiscoveryCache {
    known: BTreeMap<(String, String), (ApiResource, ApiCapabilities)>,
}

impl DiscoveryCache {
    pub(super) async fn resolve(
        &mut self,
        client: &Client,
        source_name: &str,
        key: &ResourceKey,
    ) -> Result<(ApiResource, ApiCapabilities), SyncError> {
        let cache_key = (key.api_version.clone(), key.kind.clone());
        if let Some(found) = self.known.get(&cache_key) {
            return Ok(found.clone());
        }
        let gvk = GroupVersionKind::gvk(key.group(), key.version(), &key.kind);
        let found = pinned_kind(client, &gvk)
            .await
            .map_err(|error| SyncError::Discovery {
                source_name: source_name.to_string(),
                api_version: key.api_version.clone(),
                kind: key.kind.clone(),
                error: Box::new(error),
            })?;
        self.known.insert(cache_key, found.clone());
        Ok(found)
    }
}

/// 404: the object, its kind or its namespace does not exist.
pub(super) fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}
