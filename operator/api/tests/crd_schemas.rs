//! Checks on the generated CRD schemas: every field documented (it is `kubectl explain` text),
//! condition lists keyed by type, enums as enums, durations with a pattern.

use patchwarden_api::crds;
use serde_json::Value;

/// Collects the JSON paths of schema properties that have no description.
fn undocumented(schema: &Value, path: &str, missing: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let child = format!("{path}.{name}");
            let documented = property
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            // apiVersion, kind and metadata are described by Kubernetes itself.
            let standard =
                path.is_empty() && matches!(name.as_str(), "apiVersion" | "kind" | "metadata");
            if !documented && !standard {
                missing.push(child.clone());
            }
            undocumented(property, &child, missing);
        }
    }
    if let Some(items) = schema.get("items") {
        undocumented(items, &format!("{path}[]"), missing);
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        undocumented(additional, &format!("{path}{{}}"), missing);
    }
}

fn find<'a>(schema: &'a Value, path: &[&str]) -> &'a Value {
    let mut node = schema;
    for segment in path {
        node = if *segment == "[]" {
            &node["items"]
        } else {
            &node["properties"][segment]
        };
    }
    node
}

#[test]
fn every_field_of_every_crd_has_a_description() {
    let mut missing = Vec::new();
    for kind in crds::KINDS {
        let schema = crds::schema_of(kind).expect("schema");
        let mut here = Vec::new();
        undocumented(&schema, "", &mut here);
        missing.extend(here.into_iter().map(|p| format!("{kind}{p}")));
    }
    assert!(
        missing.is_empty(),
        "fields without a description:\n{}",
        missing.join("\n")
    );
}

#[test]
fn condition_lists_are_maps_keyed_by_type() {
    for kind in crds::KINDS {
        let schema = crds::schema_of(kind).expect("schema");
        let conditions = find(&schema, &["status", "conditions"]);
        assert_eq!(conditions["x-kubernetes-list-type"], "map", "{kind}");
        assert_eq!(
            conditions["x-kubernetes-list-map-keys"][0], "type",
            "{kind}"
        );
        assert_eq!(
            find(conditions, &["[]", "status"])["type"],
            "string",
            "{kind}"
        );
    }
}

#[test]
fn enums_durations_and_counts_have_precise_schemas() {
    let policy = crds::schema_of("PatchPolicy").expect("schema");
    let reboot = find(&policy, &["spec", "reboot"]);
    assert_eq!(
        reboot["enum"],
        serde_json::json!(["IfRequired", "Never", "Always"])
    );
    let severity = find(&policy, &["spec", "approval", "minSeverity"]);
    assert!(
        severity["enum"].as_array().is_some_and(|e| e.len() == 6),
        "{severity}"
    );
    let pause = find(&policy, &["spec", "rollout", "pauseBetweenWaves"]);
    assert_eq!(pause["pattern"], patchwarden_api::values::DURATION_PATTERN);
    let canary = find(&policy, &["spec", "rollout", "canary"]);
    assert_eq!(canary["x-kubernetes-int-or-string"], true);
    let run = crds::schema_of("PatchRun").expect("schema");
    let phase = find(&run, &["status", "phase"]);
    assert_eq!(
        phase["enum"],
        serde_json::json!([
            "Pending",
            "Running",
            "Paused",
            "Succeeded",
            "Failed",
            "Halted"
        ])
    );
    assert_eq!(phase["default"], "Pending");
    let group = crds::schema_of("AssetGroup").expect("schema");
    let criticality = find(&group, &["spec", "criticality"]);
    assert_eq!(
        criticality["enum"],
        serde_json::json!(["Low", "Medium", "High", "Critical"])
    );
    assert_eq!(criticality["default"], "Medium");
    let exposure = find(&group, &["spec", "exposure"]);
    assert_eq!(
        exposure["enum"],
        serde_json::json!(["Isolated", "Internal", "Internet"])
    );
    assert_eq!(exposure["default"], "Internal");
    let asset = crds::schema_of("Asset").expect("schema");
    for field in ["criticality", "exposure"] {
        let schema = find(&asset, &["spec", field]);
        assert_eq!(schema["nullable"], true, "{schema}");
        assert!(schema["enum"].is_array(), "{schema}");
    }
    let connection = find(&asset, &["spec", "connection"]);
    assert_eq!(
        connection["enum"],
        serde_json::json!(["agent", "ssh", "node", "lab"])
    );
}

/// Integer schemas whose format bounds are not stated as minimum/maximum.
fn unbounded(schema: &Value, path: &str, found: &mut Vec<String>) {
    if let Some(format @ ("uint16" | "uint32" | "int32")) =
        schema.get("format").and_then(Value::as_str)
        && (schema.get("minimum").is_none() || schema.get("maximum").is_none())
    {
        found.push(format!("{path} ({format})"));
    }
    for (key, child) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        unbounded(child, &format!("{path}.{key}"), found);
    }
    if let Some(items) = schema.get("items") {
        unbounded(items, &format!("{path}[]"), found);
    }
}

#[test]
fn integer_fields_state_the_range_their_rust_type_holds() {
    let mut found = Vec::new();
    for kind in crds::KINDS {
        unbounded(&crds::schema_of(kind).expect("schema"), kind, &mut found);
    }
    assert!(found.is_empty(), "integers without bounds: {found:?}");
    let group = crds::schema_of("AssetGroup").expect("schema");
    let members = find(&group, &["status", "memberCount"]);
    assert_eq!(members["maximum"].as_f64(), Some(f64::from(u32::MAX)));
}
