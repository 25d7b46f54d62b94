//! The JSON types of the fields every object shares. The real server decodes bodies into typed
//! structs, so a label that is a number or a `spec` that is a string is a 400 before anything
//! else happens; here bodies stay JSON values, and this check gives the same answer, naming the
//! field, before any code relies on those types.

use serde_json::{Map, Value};

use crate::error::{ApiError, Cause};
use crate::registry::ResourceDef;

/// The type a well-known field must have (`null` always passes: it counts as absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Object,
    String,
    /// An object whose values are strings (labels, annotations).
    StringMap,
    /// An array of strings (finalizers).
    StringList,
    /// An array of objects (owner references, managed fields).
    ObjectList,
    /// A whole number (generation, grace period).
    Integer,
}

/// Metadata fields and their types.
const METADATA: [(&str, Expected); 14] = [
    ("name", Expected::String),
    ("generateName", Expected::String),
    ("namespace", Expected::String),
    ("resourceVersion", Expected::String),
    ("uid", Expected::String),
    ("labels", Expected::StringMap),
    ("annotations", Expected::StringMap),
    ("finalizers", Expected::StringList),
    ("ownerReferences", Expected::ObjectList),
    ("managedFields", Expected::ObjectList),
    ("generation", Expected::Integer),
    ("creationTimestamp", Expected::String),
    ("deletionTimestamp", Expected::String),
    ("deletionGracePeriodSeconds", Expected::Integer),
];

/// A well-known field holding a value of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: expected {expected}, found {found}")]
pub struct WrongType {
    /// Dotted path, e.g. `metadata.labels.app` or `metadata.finalizers[0]`.
    pub field: String,
    pub expected: &'static str,
    pub found: &'static str,
}

impl WrongType {
    /// The 400 the real server answers for a body it cannot decode as the kind.
    pub fn into_api_error(self, def: &ResourceDef) -> ApiError {
        let cause = Cause {
            reason: "FieldValueInvalid".to_string(),
            message: format!("expected {}, found {}", self.expected, self.found),
            field: self.field.clone(),
        };
        ApiError::undecodable(&def.kind, &def.version, &self.to_string(), vec![cause])
    }
}

/// Checks the well-known fields of an object: its metadata, and `spec` and `status` of
/// built-in kinds (a custom resource's schema decides what its `spec` and `status` are).
pub fn check(def: &ResourceDef, obj: &Map<String, Value>) -> Result<(), WrongType> {
    if let Some(Value::Object(metadata)) = obj.get("metadata") {
        for (field, expected) in METADATA {
            if let Some(value) = metadata.get(field) {
                check_value(&format!("metadata.{field}"), value, expected)?;
            }
        }
    }
    if !def.custom {
        for field in ["spec", "status"] {
            if let Some(value) = obj.get(field) {
                check_value(field, value, Expected::Object)?;
            }
        }
    }
    Ok(())
}

fn check_value(field: &str, value: &Value, expected: Expected) -> Result<(), WrongType> {
    if value.is_null() {
        return Ok(());
    }
    let wrong = |field: String, expected: &'static str, value: &Value| WrongType {
        field,
        expected,
        found: type_of(value),
    };
    match expected {
        Expected::Object if !value.is_object() => Err(wrong(field.into(), "an object", value)),
        Expected::String if !value.is_string() => Err(wrong(field.into(), "a string", value)),
        Expected::Integer if !value.is_i64() => Err(wrong(field.into(), "an integer", value)),
        Expected::StringMap => match value {
            Value::Object(map) => map
                .iter()
                .find(|(_, v)| !v.is_string() && !v.is_null())
                .map_or(Ok(()), |(k, v)| {
                    Err(wrong(format!("{field}.{k}"), "a string", v))
                }),
            _ => Err(wrong(field.into(), "an object of strings", value)),
        },
        Expected::StringList | Expected::ObjectList => {
            let (item_ok, item_type, list_type): (fn(&Value) -> bool, _, _) =
                if expected == Expected::StringList {
                    (Value::is_string, "a string", "an array of strings")
                } else {
                    (Value::is_object, "an object", "an array of objects")
                };
            match value {
                Value::Array(items) => items
                    .iter()
                    .position(|item| !item_ok(item))
                    .map_or(Ok(()), |i| {
                        Err(wrong(format!("{field}[{i}]"), item_type, &items[i]))
                    }),
                _ => Err(wrong(field.into(), list_type, value)),
            }
        }
        _ => Ok(()),
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn configmap_def() -> ResourceDef {
        crate::registry::Registry::build(std::iter::empty())
            .get("", "v1", "configmaps")
            .map(|d| (**d).clone())
            .unwrap()
    }

    fn wrong_field(obj: Value) -> Option<String> {
        let map = obj.as_object().cloned().unwrap();
        check(&configmap_def(), &map).err().map(|e| e.field)
    }

    #[test]
    fn each_wrong_type_is_named_by_its_path() {
        let cases = [
            (json!({"metadata": {"name": ["a"]}}), "metadata.name"),
            (
                json!({"metadata": {"labels": {"a": "b", "c": 1}}}),
                "metadata.labels.c",
            ),
            (
                json!({"metadata": {"annotations": "x"}}),
                "metadata.annotations",
            ),
            (
                json!({"metadata": {"finalizers": ["a", 2]}}),
                "metadata.finalizers[1]",
            ),
            (
                json!({"metadata": {"managedFields": [{}, "x"]}}),
                "metadata.managedFields[1]",
            ),
            (json!({"spec": "x"}), "spec"),
            (json!({"status": 3}), "status"),
        ];
        for (obj, field) in cases {
            assert_eq!(wrong_field(obj.clone()).as_deref(), Some(field), "{obj}");
        }
    }

    #[test]
    fn well_typed_and_null_fields_pass() {
        let obj = json!({"metadata": {"name": "a", "labels": {"a": "b", "n": null},
                         "finalizers": null, "ownerReferences": [{}]},
                         "spec": null, "status": {}, "data": 5});
        assert_eq!(wrong_field(obj), None);
    }
}
