//! The served resource types: the built-in kinds ([`builtins`](mod@builtins)) and every established
//! CustomResourceDefinition version ([`crd`]), with what discovery, OpenAPI, validation, tables and
//! selectors need to know of each.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

mod builtins;
mod crd;
mod stored;

use builtins::builtins;
pub use crd::crd_resources;

/// How objects of a resource are shown: most kinds as stored, Events through two API views of
/// one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Plain,
    /// `v1` Event, converted from the stored `events.k8s.io/v1` form.
    CoreEvent,
    /// `events.k8s.io/v1` Event, the stored form.
    EventsV1,
}

/// One `additionalPrinterColumns` entry.
#[derive(Debug, Clone)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

/// One served group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceDef {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Storage identity: several views (Event) or versions (CRDs) share one store.
    pub store: String,
    /// `openAPIV3Schema` of a custom resource version; built-ins are schemaless here.
    pub schema: Option<Value>,
    pub status_subresource: bool,
    pub printer_columns: Vec<PrinterColumn>,
    /// Field selectors allowed beyond `metadata.name`/`metadata.namespace`.
    pub selectable_fields: Vec<String>,
    pub view: View,
    /// Whether this is a custom resource (served from a CRD).
    pub custom: bool,
    /// Description shown by `kubectl explain`.
    pub description: String,
}

impl ResourceDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `/api/v1` or `/apis/G/V`.
    pub fn gv_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

pub const CRD_STORE: &str = "apiextensions.k8s.io/customresourcedefinitions";
pub const NAMESPACE_STORE: &str = "core/namespaces";
pub const EVENT_STORE: &str = "events.k8s.io/events";

/// The table of served resources, rebuilt whenever a CRD changes.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    defs: Vec<Arc<ResourceDef>>,
    by_gvr: HashMap<(String, String, String), Arc<ResourceDef>>,
}

impl Registry {
    /// Built-ins plus the served versions of the given CRD objects.
    pub fn build<'a>(crds: impl Iterator<Item = &'a Value>) -> Registry {
        let mut defs: Vec<ResourceDef> = builtins();
        for crd in crds {
            if let Ok(versions) = crd_resources(crd) {
                // A CRD must not shadow a built-in resource.
                for def in versions {
                    if !defs.iter().any(|d| {
                        d.group == def.group && d.version == def.version && d.plural == def.plural
                    }) {
                        defs.push(def);
                    }
                }
            }
        }
        let defs: Vec<Arc<ResourceDef>> = defs.into_iter().map(Arc::new).collect();
        let by_gvr = defs
            .iter()
            .map(|d| {
                (
                    (d.group.clone(), d.version.clone(), d.plural.clone()),
                    d.clone(),
                )
            })
            .collect();
        Registry { defs, by_gvr }
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceDef>> {
        self.by_gvr
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
    }

    pub fn all(&self) -> &[Arc<ResourceDef>] {
        &self.defs
    }

    /// Served groups in discovery order (built-in groups first) with their versions, the
    /// preferred version first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut order: Vec<String> = Vec::new();
        let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for def in &self.defs {
            if def.group.is_empty() {
                continue;
            }
            if !order.contains(&def.group) {
                order.push(def.group.clone());
            }
            let entry = versions.entry(def.group.clone()).or_default();
            if !entry.contains(&def.version) {
                entry.push(def.version.clone());
            }
        }
        order
            .into_iter()
            .map(|g| {
                let mut v = versions.remove(&g).unwrap_or_default();
                v.sort_by_key(|b| std::cmp::Reverse(version_priority(b)));
                (g, v)
            })
            .collect()
    }

    /// Resources of one group/version.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceDef>> {
        self.defs
            .iter()
            .filter(|d| d.group == group && d.version == version)
            .cloned()
            .collect()
    }
}

/// Kubernetes version ordering: GA > beta > alpha, then by numbers.
pub fn version_priority(version: &str) -> (u8, u64, u64) {
    let re_parse = |s: &str| -> Option<(u8, u64, u64)> {
        let rest = s.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let major: u64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((3, major, 0));
        }
        let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
            (2, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (1, n)
        } else {
            return None;
        };
        let minor: u64 = num.parse().ok()?;
        Some((level, major, minor))
    };
    re_parse(version).unwrap_or((0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_order_like_kubernetes() {
        let mut v = vec!["v1alpha1", "v2", "v1beta2", "v1", "v1beta1"];
        v.sort_by_key(|b| std::cmp::Reverse(version_priority(b)));
        assert_eq!(v, vec!["v2", "v1", "v1beta2", "v1beta1", "v1alpha1"]);
    }

    #[test]
    fn crd_with_wrong_name_is_rejected() {
        let crd = json!({"metadata":{"name":"x.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
            "names":{"plural":"widgets","kind":"Widget"},"versions":[{"name":"v1","served":true,"storage":true}]}});
        let causes = crd_resources(&crd).unwrap_err();
        assert_eq!(causes[0].field, "metadata.name");
    }

    #[test]
    fn crd_served_versions_become_resources() {
        let crd = json!({"metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
            "names":{"plural":"widgets","kind":"Widget","shortNames":["wd"]},
            "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}}},
                        {"name":"v0","served":false,"storage":false}]}});
        let defs = crd_resources(&crd).unwrap();
        assert_eq!(defs.len(), 1);
        assert!(defs[0].status_subresource);
        assert_eq!(defs[0].short_names, vec!["wd"]);
        assert_eq!(defs[0].printer_columns[0].name, "Age");
        let reg = Registry::build([crd].iter());
        assert!(reg.get("example.com", "v1", "widgets").is_some());
        assert!(reg.get("example.com", "v0", "widgets").is_none());
    }
}
