//! A revision as the impact computation reads it: its policies, groups and windows by
//! (namespace, name), and which resources changed.

use std::collections::{BTreeMap, BTreeSet};

use patchwarden_api::maintenance_window::MaintenanceWindowSpec;
use patchwarden_api::{AssetGroupSpec, PatchPolicySpec};
use serde_json::Value;

use crate::diff::{FieldChange, ResourceDiff};
use crate::resources::{ResourceKey, ResourceSet};

/// (namespace, name)
pub(super) type NamedKey = (String, String);

/// The typed patchwarden objects of one revision, by namespace and name.
pub(super) struct RevisionView {
    pub(super) policies: BTreeMap<NamedKey, PatchPolicySpec>,
    /// Policies declared with a spec that does not deserialise.
    pub(super) unreadable_policies: BTreeSet<NamedKey>,
    pub(super) groups: BTreeMap<NamedKey, AssetGroupSpec>,
    pub(super) windows: BTreeMap<NamedKey, MaintenanceWindowSpec>,
    /// Namespace of objects (and live Assets) that name none.
    pub(super) default_namespace: String,
}

impl RevisionView {
    pub(super) fn new(resources: &ResourceSet, default_namespace: &str) -> Self {
        let policies: BTreeMap<NamedKey, PatchPolicySpec> =
            typed_specs(resources, "PatchPolicy", default_namespace);
        let unreadable_policies = resources
            .of_kind("PatchPolicy")
            .filter(|r| r.key.group() == patchwarden_api::GROUP)
            .map(|r| named_key(&r.key, default_namespace))
            .filter(|key| !policies.contains_key(key))
            .collect();
        Self {
            policies,
            unreadable_policies,
            groups: typed_specs(resources, "AssetGroup", default_namespace),
            windows: typed_specs(resources, "MaintenanceWindow", default_namespace),
            default_namespace: default_namespace.to_string(),
        }
    }
}

/// Specs of one patchwarden kind. Objects whose spec does not deserialise are left out: the
/// head's validation problems already report them.
fn typed_specs<T: serde::de::DeserializeOwned>(
    resources: &ResourceSet,
    kind: &str,
    default_namespace: &str,
) -> BTreeMap<NamedKey, T> {
    resources
        .of_kind(kind)
        .filter(|r| r.key.group() == patchwarden_api::GROUP)
        .filter_map(|r| {
            let spec = r.object.get("spec").cloned().unwrap_or(Value::Null);
            let spec: T = serde_json::from_value(spec).ok()?;
            Some((named_key(&r.key, default_namespace), spec))
        })
        .collect()
}

/// (namespace, name) of a resource, with the default namespace when it names none.
fn named_key(key: &ResourceKey, default_namespace: &str) -> NamedKey {
    (
        key.namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_string()),
        key.name.clone(),
    )
}

/// What changed about one resource (the values of [`summarise_changes`], keyed by (kind,
/// namespace, name)).
pub(super) struct ChangeSummary {
    pub(super) words: String,
    pub(super) fields: Vec<FieldChange>,
}

/// What changed about each resource of the diff, by (kind, namespace, name).
pub(super) fn summarise_changes(
    diff: &ResourceDiff,
    default_namespace: &str,
) -> BTreeMap<(String, String, String), ChangeSummary> {
    let mut out = BTreeMap::new();
    let mut put = |key: &ResourceKey, words: String, fields: Vec<FieldChange>| {
        let (namespace, name) = named_key(key, default_namespace);
        out.insert(
            (key.kind.clone(), namespace, name),
            ChangeSummary { words, fields },
        );
    };
    for key in &diff.added {
        put(key, format!("{} {} added", key.kind, key.name), Vec::new());
    }
    for key in &diff.removed {
        put(
            key,
            format!("{} {} removed", key.kind, key.name),
            Vec::new(),
        );
    }
    for changed in &diff.changed {
        let paths: Vec<&str> = changed.changes.iter().map(|c| c.path.as_str()).collect();
        put(
            &changed.key,
            format!(
                "{} {} changed ({})",
                changed.key.kind,
                changed.key.name,
                paths.join(", ")
            ),
            changed.changes.clone(),
        );
    }
    out
}

/// Changes to the groups and windows a policy names, before or after.
pub(super) fn dependency_causes(
    namespace: &str,
    before: Option<&PatchPolicySpec>,
    after: Option<&PatchPolicySpec>,
    changed: &BTreeMap<(String, String, String), ChangeSummary>,
) -> Vec<String> {
    let mut wanted = BTreeSet::new();
    for spec in before.into_iter().chain(after) {
        for group in &spec.asset_groups {
            wanted.insert((
                "AssetGroup".to_string(),
                namespace.to_string(),
                group.clone(),
            ));
        }
        for window in &spec.maintenance_windows {
            wanted.insert((
                "MaintenanceWindow".to_string(),
                namespace.to_string(),
                window.clone(),
            ));
        }
    }
    wanted
        .iter()
        .filter_map(|key| changed.get(key).map(|summary| summary.words.clone()))
        .collect()
}
