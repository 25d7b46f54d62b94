//! The served resource types: the built-in kinds and every established CustomResourceDefinition
//! version, with what discovery, OpenAPI, validation, tables and selectors need to know of each.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use patchwarden_k8s_rules::names;
use serde_json::Value;

use crate::error::Cause;

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

fn builtin(
    group: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
    short_names: &[&str],
    description: &str,
) -> ResourceDef {
    let store_group = if group.is_empty() { "core" } else { group };
    ResourceDef {
        group: group.to_string(),
        version: "v1".to_string(),
        plural: plural.to_string(),
        singular: kind.to_ascii_lowercase(),
        kind: kind.to_string(),
        list_kind: format!("{kind}List"),
        namespaced,
        short_names: short_names.iter().map(|s| s.to_string()).collect(),
        categories: Vec::new(),
        store: format!("{store_group}/{plural}"),
        schema: None,
        status_subresource: false,
        printer_columns: Vec::new(),
        selectable_fields: Vec::new(),
        view: View::Plain,
        custom: false,
        description: description.to_string(),
    }
}

fn column(name: &str, type_: &str, json_path: &str, description: &str) -> PrinterColumn {
    PrinterColumn {
        name: name.to_string(),
        type_: type_.to_string(),
        format: String::new(),
        description: description.to_string(),
        priority: 0,
        json_path: json_path.to_string(),
    }
}

const AGE_DESCRIPTION: &str =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";

fn age_column() -> PrinterColumn {
    column(
        "Age",
        "date",
        ".metadata.creationTimestamp",
        AGE_DESCRIPTION,
    )
}

fn builtins() -> Vec<ResourceDef> {
    let mut namespaces = builtin(
        "",
        "namespaces",
        "Namespace",
        false,
        &["ns"],
        "Namespace provides a scope for Names.",
    );
    namespaces.status_subresource = true;
    namespaces.printer_columns = vec![
        column(
            "Status",
            "string",
            ".status.phase",
            "The phase of the namespace.",
        ),
        age_column(),
    ];

    let event_fields: Vec<String> = [
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut core_events = builtin(
        "",
        "events",
        "Event",
        true,
        &["ev"],
        "Event is a report of an event somewhere in the cluster.",
    );
    core_events.store = EVENT_STORE.to_string();
    core_events.view = View::CoreEvent;
    core_events.selectable_fields = event_fields;
    core_events.printer_columns = vec![
        column(
            "Last Seen",
            "date",
            ".lastTimestamp",
            "Time of the last occurrence.",
        ),
        column("Type", "string", ".type", "Type of this event."),
        column("Reason", "string", ".reason", "Why the action was taken."),
        column(
            "Object",
            "string",
            ".involvedObject.name",
            "The object this event is about.",
        ),
        column(
            "Message",
            "string",
            ".message",
            "A human-readable description.",
        ),
    ];
    let mut events_v1 = builtin(
        "events.k8s.io",
        "events",
        "Event",
        true,
        &["ev"],
        "Event is a report of an event somewhere in the cluster.",
    );
    events_v1.store = EVENT_STORE.to_string();
    events_v1.view = View::EventsV1;
    events_v1.selectable_fields = ["regarding.kind", "regarding.name", "reason", "type"]
        .iter()
        .map(|s| s.to_string())
        .collect();

    let mut crds = builtin(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        "CustomResourceDefinition represents a resource that should be exposed on the API server.",
    );
    crds.status_subresource = true;
    crds.printer_columns = vec![column(
        "Created At",
        "date",
        ".metadata.creationTimestamp",
        AGE_DESCRIPTION,
    )];

    let mut nodes = builtin(
        "",
        "nodes",
        "Node",
        false,
        &["no"],
        "Node is a worker in the fleet.",
    );
    nodes.status_subresource = true;
    let mut jobs = builtin(
        "batch",
        "jobs",
        "Job",
        true,
        &[],
        "Job represents the configuration of a single job.",
    );
    jobs.status_subresource = true;
    jobs.categories = vec!["all".to_string()];
    let mut secrets = builtin(
        "",
        "secrets",
        "Secret",
        true,
        &[],
        "Secret holds secret data of a certain type.",
    );
    secrets.selectable_fields = vec!["type".to_string()];

    vec![
        namespaces,
        core_events,
        builtin(
            "",
            "configmaps",
            "ConfigMap",
            true,
            &["cm"],
            "ConfigMap holds configuration data for pods to consume.",
        ),
        secrets,
        nodes,
        events_v1,
        builtin(
            "coordination.k8s.io",
            "leases",
            "Lease",
            true,
            &[],
            "Lease defines a lease concept.",
        ),
        crds,
        jobs,
    ]
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = value;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn strings_at(value: &Value, path: &[&str]) -> Vec<String> {
    let mut cur = value;
    for p in path {
        match cur.get(p) {
            Some(v) => cur = v,
            None => return Vec::new(),
        }
    }
    cur.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Validates a CRD object and returns the resource definitions of its served versions.
pub fn crd_resources(crd: &Value) -> Result<Vec<ResourceDef>, Vec<Cause>> {
    let mut causes = Vec::new();
    let mut cause = |field: &str, reason: &str, message: String| {
        causes.push(Cause {
            reason: reason.to_string(),
            message,
            field: field.to_string(),
        })
    };
    let group = str_at(crd, &["spec", "group"]).unwrap_or("");
    let plural = str_at(crd, &["spec", "names", "plural"]).unwrap_or("");
    let kind = str_at(crd, &["spec", "names", "kind"]).unwrap_or("");
    let scope = str_at(crd, &["spec", "scope"]).unwrap_or("");
    let name = str_at(crd, &["metadata", "name"]).unwrap_or("");
    if group.is_empty() {
        cause(
            "spec.group",
            "FieldValueRequired",
            "Required value".to_string(),
        );
    } else if !group.contains('.') {
        cause(
            "spec.group",
            "FieldValueInvalid",
            format!("Invalid value: {group:?}: should be a domain with at least one dot"),
        );
    }
    if plural.is_empty() {
        cause(
            "spec.names.plural",
            "FieldValueRequired",
            "Required value".to_string(),
        );
    } else if let Err(invalid) = names::check_dns1035_label(plural) {
        let reasons: Vec<String> = invalid.problems().iter().map(ToString::to_string).collect();
        cause(
            "spec.names.plural",
            "FieldValueInvalid",
            format!("Invalid value: {plural:?}: {}", reasons.join(",")),
        );
    }
    if kind.is_empty() {
        cause(
            "spec.names.kind",
            "FieldValueRequired",
            "Required value".to_string(),
        );
    }
    if scope != "Namespaced" && scope != "Cluster" {
        cause(
            "spec.scope",
            "FieldValueNotSupported",
            format!("Unsupported value: {scope:?}: supported values: \"Cluster\", \"Namespaced\""),
        );
    }
    if !plural.is_empty() && !group.is_empty() && name != format!("{plural}.{group}") {
        cause(
            "metadata.name",
            "FieldValueInvalid",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        );
    }
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        cause(
            "spec.versions",
            "FieldValueRequired",
            "Required value: must have exactly one version marked as storage version".to_string(),
        );
    }
    let storage_count = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if !versions.is_empty() && storage_count != 1 {
        cause(
            "spec.versions",
            "FieldValueInvalid",
            format!(
                "Invalid value: must have exactly one version marked as storage version, found {storage_count}"
            ),
        );
    }
    for (i, v) in versions.iter().enumerate() {
        let vname = v.get("name").and_then(Value::as_str).unwrap_or("");
        if let Err(invalid) = names::check_dns1035_label(vname) {
            for problem in invalid.problems() {
                cause(
                    &format!("spec.versions[{i}].name"),
                    "FieldValueInvalid",
                    format!("Invalid value: {vname:?}: {problem}"),
                );
            }
        }
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema")
            && !schema.is_object()
        {
            cause(
                &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                "FieldValueInvalid",
                "Invalid value: must be an object".to_string(),
            );
        }
        if let Some(cols) = v.get("additionalPrinterColumns").and_then(Value::as_array) {
            for (j, col) in cols.iter().enumerate() {
                let path = col.get("jsonPath").and_then(Value::as_str).unwrap_or("");
                if crate::table::compile_path(path).is_err() {
                    cause(
                        &format!("spec.versions[{i}].additionalPrinterColumns[{j}].jsonPath"),
                        "FieldValueInvalid",
                        format!("Invalid value: {path:?}: not a valid JSONPath"),
                    );
                }
            }
        }
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    let singular = str_at(crd, &["spec", "names", "singular"])
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let list_kind = str_at(crd, &["spec", "names", "listKind"])
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}List"));
    let short_names = strings_at(crd, &["spec", "names", "shortNames"]);
    let categories = strings_at(crd, &["spec", "names", "categories"]);
    let mut defs = Vec::new();
    for v in &versions {
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let version = v.get("name").and_then(Value::as_str).unwrap_or("");
        let schema = v.pointer("/schema/openAPIV3Schema").cloned();
        let description = schema
            .as_ref()
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut printer_columns: Vec<PrinterColumn> = v
            .get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: c
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        type_: c
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("string")
                            .to_string(),
                        format: c
                            .get("format")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        description: c
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                        json_path: c
                            .get("jsonPath")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if printer_columns.is_empty() {
            printer_columns.push(age_column());
        }
        let selectable_fields = v
            .get("selectableFields")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.get("jsonPath").and_then(Value::as_str))
                    .map(|p| p.trim_start_matches('.').to_string())
                    .collect()
            })
            .unwrap_or_default();
        defs.push(ResourceDef {
            group: group.to_string(),
            version: version.to_string(),
            plural: plural.to_string(),
            singular: singular.clone(),
            kind: kind.to_string(),
            list_kind: list_kind.clone(),
            namespaced: scope == "Namespaced",
            short_names: short_names.clone(),
            categories: categories.clone(),
            store: format!("{group}/{plural}"),
            schema,
            status_subresource: v.pointer("/subresources/status").is_some(),
            printer_columns,
            selectable_fields,
            view: View::Plain,
            custom: true,
            description,
        });
    }
    Ok(defs)
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
