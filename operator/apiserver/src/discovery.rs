//! Discovery documents: `/version`, legacy `/api`, `/api/v1`, `/apis`, `/apis/G[/V]`, and the
//! aggregated (apidiscovery.k8s.io/v2) form of `/api` and `/apis`.

use serde_json::{Value, json};

use crate::json;
use crate::registry::{Registry, ResourceDef};

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.0",
        "gitCommit": "patchwarden", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
        "compiler": "gc", "platform": "linux/amd64",
    })
}

pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or(json!({}));
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

pub fn api_group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .map(|(g, vs)| group_entry(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(registry: &Registry, group: &str) -> Option<Value> {
    let groups = registry.groups();
    let (_, versions) = groups.iter().find(|(g, _)| g == group)?;
    let mut entry = group_entry(group, versions);
    json::set(&mut entry, "kind", json!("APIGroup"));
    json::set(&mut entry, "apiVersion", json!("v1"));
    Some(entry)
}

fn subresources(def: &ResourceDef) -> Vec<&'static str> {
    if def.status_subresource {
        vec!["status"]
    } else {
        Vec::new()
    }
}

/// Pods' `eviction` subresource, which `kubectl drain` looks for (by name, kind and group) to
/// evict instead of deleting.
fn is_pods(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.plural == "pods"
}

pub fn resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let defs = registry.in_group_version(group, version);
    if defs.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let mut resources = Vec::new();
    for d in &defs {
        let mut r = json!({
            "name": d.plural, "singularName": d.singular, "namespaced": d.namespaced,
            "kind": d.kind, "verbs": VERBS,
        });
        if !d.short_names.is_empty() {
            json::set(&mut r, "shortNames", json!(d.short_names));
        }
        if !d.categories.is_empty() {
            json::set(&mut r, "categories", json!(d.categories));
        }
        resources.push(r);
        for sub in subresources(d) {
            resources.push(json!({
                "name": format!("{}/{sub}", d.plural), "singularName": "", "namespaced": d.namespaced,
                "kind": d.kind, "verbs": ["get", "patch", "update"],
            }));
        }
        if is_pods(d) {
            resources.push(json!({
                "name": "pods/eviction", "singularName": "", "namespaced": true,
                "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"],
            }));
        }
    }
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

fn discovery_resource(d: &ResourceDef) -> Value {
    let response_kind = json!({"group": d.group, "version": d.version, "kind": d.kind});
    let mut r = json!({
        "resource": d.plural, "responseKind": response_kind,
        "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": d.singular, "verbs": VERBS,
    });
    if !d.short_names.is_empty() {
        json::set(&mut r, "shortNames", json!(d.short_names));
    }
    if !d.categories.is_empty() {
        json::set(&mut r, "categories", json!(d.categories));
    }
    let mut subs: Vec<Value> = subresources(d)
        .into_iter()
        .map(|s| json!({"subresource": s, "responseKind": response_kind, "verbs": ["get", "patch", "update"]}))
        .collect();
    if is_pods(d) {
        subs.push(json!({"subresource": "eviction",
            "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"},
            "verbs": ["create"]}));
    }
    if !subs.is_empty() {
        json::set(&mut r, "subresources", Value::Array(subs));
    }
    r
}

/// Aggregated discovery for `/api` (core) or `/apis` (every named group).
pub fn aggregated(registry: &Registry, core: bool) -> Value {
    let mut items = Vec::new();
    if core {
        let resources: Vec<Value> = registry
            .in_group_version("", "v1")
            .iter()
            .map(|d| discovery_resource(d))
            .collect();
        items.push(json!({"metadata": {}, "versions": [
            {"version": "v1", "freshness": "Current", "resources": resources}]}));
    } else {
        for (group, versions) in registry.groups() {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = registry
                        .in_group_version(&group, v)
                        .iter()
                        .map(|d| discovery_resource(d))
                        .collect();
                    json!({"version": v, "freshness": "Current", "resources": resources})
                })
                .collect();
            items.push(json!({"metadata": {"name": group}, "versions": vs}));
        }
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}
