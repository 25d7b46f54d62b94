//! Resolving a resource URL (`/api/v1/...` or `/apis/G/V/...`) to the resource definition,
//! namespace, name and subresource it addresses.

use std::sync::Arc;

use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::registry::ResourceDef;

/// A resolved resource URL.
pub struct Target {
    pub def: Arc<ResourceDef>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The URL ends in `/status`.
    pub status: bool,
    /// The URL is a pod's `/eviction`.
    pub eviction: bool,
}

/// Resolves the segments after `/api/V` or `/apis/G/V`: `[namespaces/NS/]plural[/name[/status|/eviction]]`.
pub fn resolve(
    cluster: &Cluster,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Target, ApiError> {
    // `/api/v1/namespaces/NS/status` (and `/finalize`) address a namespace, not a namespace
    // scope.
    let (namespace, rest) = if rest.len() >= 3
        && rest[0] == "namespaces"
        && !(group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize"))
    {
        (Some(rest[1].to_string()), &rest[2..])
    } else {
        (None, rest)
    };
    if rest.is_empty() || rest.len() > 3 {
        return Err(ApiError::no_such_path());
    }
    let def = cluster
        .registry
        .get(group, version, rest[0])
        .cloned()
        .ok_or_else(ApiError::no_such_path)?;
    if namespace.is_some() && !def.namespaced {
        return Err(ApiError::no_such_path());
    }
    let name = rest.get(1).map(|s| s.to_string());
    let (status, eviction) = match rest.get(2) {
        None => (false, false),
        Some(&"status") if def.status_subresource => (true, false),
        Some(&"eviction") if def.group.is_empty() && def.plural == "pods" => (false, true),
        Some(_) => return Err(ApiError::no_such_path()),
    };
    if def.namespaced && name.is_some() && namespace.is_none() {
        return Err(ApiError::no_such_path());
    }
    Ok(Target {
        def,
        namespace,
        name,
        status,
        eviction,
    })
}
