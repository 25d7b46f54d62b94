//! The fields every object has whatever its schema says: `apiVersion` and `kind` are strings,
//! `metadata` is an ObjectMeta (known fields only, string names, labels and annotations mapping
//! strings to strings). The API server applies these rules to every kind.

use serde_json::Value;

use super::violation::{ExpectedType, Violation, ViolationKind};
use crate::field_path::FieldPath;

/// The fields of `metadata` (ObjectMeta) an object may carry.
pub const OBJECT_META_FIELDS: [&str; 15] = [
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn wrong_type(path: FieldPath, expected: ExpectedType, found: &Value) -> Violation {
    Violation {
        path,
        kind: ViolationKind::WrongType {
            expected,
            found: found.clone(),
        },
    }
}

/// Violations of `apiVersion`, `kind` and `metadata` in a whole object (nothing when the
/// object is not an object: its schema check says so).
pub fn check_object_meta(object: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(members) = object.as_object() else {
        return out;
    };
    for key in ["apiVersion", "kind"] {
        if let Some(value) = members.get(key)
            && !value.is_string()
        {
            out.push(wrong_type(
                FieldPath::root().key(key),
                ExpectedType::String,
                value,
            ));
        }
    }
    let Some(metadata) = members.get("metadata") else {
        return out;
    };
    let base = FieldPath::root().key("metadata");
    let Some(fields) = metadata.as_object() else {
        out.push(wrong_type(base, ExpectedType::Object, metadata));
        return out;
    };
    for (key, value) in fields {
        let path = base.key(key);
        match key.as_str() {
            "name" | "generateName" | "namespace" if !value.is_string() => {
                out.push(wrong_type(path, ExpectedType::String, value));
            }
            "labels" | "annotations" => match value {
                Value::Object(map) => {
                    for (entry, text) in map.iter().filter(|(_, text)| !text.is_string()) {
                        out.push(wrong_type(path.key(entry), ExpectedType::String, text));
                    }
                }
                Value::Null => {}
                other => out.push(wrong_type(path, ExpectedType::Object, other)),
            },
            other if !OBJECT_META_FIELDS.contains(&other) => out.push(Violation {
                path,
                kind: ViolationKind::UnknownField {
                    field: other.to_string(),
                    known: OBJECT_META_FIELDS.iter().map(|f| f.to_string()).collect(),
                },
            }),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_is_checked_as_for_every_kind() {
        let found = check_object_meta(&json!({
            "apiVersion": 1,
            "kind": "K",
            "metadata": {"name": 5, "labels": {"a": "b", "tier": 3}, "annotations": null,
                "nmespace": "x", "finalizers": ["f"]}
        }));
        let paths: Vec<String> = found.iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "apiVersion",
                "metadata.labels.tier",
                "metadata.name",
                "metadata.nmespace"
            ]
        );
        assert!(matches!(found[3].kind, ViolationKind::UnknownField { .. }));
        let not_a_map = check_object_meta(&json!({"metadata": {"labels": ["a"]}}));
        assert_eq!(not_a_map[0].path.to_string(), "metadata.labels");
        assert_eq!(check_object_meta(&json!({"metadata": "x"})).len(), 1);
        assert!(check_object_meta(&json!("x")).is_empty());
        assert!(check_object_meta(&json!({})).is_empty());
    }
}
