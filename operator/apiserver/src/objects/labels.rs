//! Label and annotation syntax, checked on every write as the real server checks
//! `metadata.labels` (qualified-name keys, values of at most 63 characters) and
//! `metadata.annotations` (qualified-name keys, at most 256 KiB in all), so selectors and
//! clients never meet a label they cannot express.

use patchwarden_k8s_rules::names::{self, InvalidName};
use serde_json::Value;

use crate::error::{ApiError, Cause};
use crate::registry::ResourceDef;

/// The most bytes all annotations of an object may hold, keys and values together.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// Checks `metadata.labels` and `metadata.annotations` of `obj` (their types are already
/// checked: string maps).
pub fn check_labels(def: &ResourceDef, obj: &Value, name: &str) -> Result<(), ApiError> {
    let metadata = obj.get("metadata");
    let map = |field: &str| {
        metadata
            .and_then(|m| m.get(field))
            .and_then(Value::as_object)
    };
    let mut causes = Vec::new();
    for (key, value) in map("labels").into_iter().flatten() {
        let field = format!("metadata.labels[{key}]");
        if let Err(invalid) = names::check_label_key(key) {
            causes.push(invalid_cause(&field, key, &invalid));
        }
        let text = value.as_str().unwrap_or("");
        if let Err(invalid) = names::check_label_value(text) {
            causes.push(invalid_cause(&field, text, &invalid));
        }
    }
    let mut annotation_bytes = 0;
    for (key, value) in map("annotations").into_iter().flatten() {
        if let Err(invalid) = names::check_label_key(key) {
            causes.push(invalid_cause("metadata.annotations", key, &invalid));
        }
        annotation_bytes += key.len() + value.as_str().map_or(0, str::len);
    }
    if annotation_bytes > MAX_ANNOTATIONS_BYTES {
        causes.push(Cause {
            reason: "FieldValueTooLong".to_string(),
            message: format!("Too long: must have at most {MAX_ANNOTATIONS_BYTES} bytes"),
            field: "metadata.annotations".to_string(),
        });
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(&def.kind, &def.group, name, causes))
    }
}

fn invalid_cause(field: &str, value: &str, invalid: &InvalidName) -> Cause {
    let problems: Vec<String> = invalid.problems().iter().map(ToString::to_string).collect();
    Cause {
        reason: "FieldValueInvalid".to_string(),
        message: format!("Invalid value: {value:?}: {}", problems.join(", ")),
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::Registry;

    fn check(metadata: Value) -> Result<(), ApiError> {
        let registry = Registry::build(std::iter::empty());
        let def = registry.get("", "v1", "configmaps").unwrap();
        check_labels(def, &json!({"metadata": metadata}), "c")
    }

    #[test]
    fn valid_labels_and_annotations_pass() {
        let labels = json!({"app.kubernetes.io/name": "web", "tier": "", "a_b.c-d": "X_1.y-2"});
        let annotations = json!({"example.com/note": "any text at all, with spaces: ✓"});
        assert!(check(json!({"labels": labels, "annotations": annotations})).is_ok());
    }

    #[test]
    fn bad_keys_and_values_name_the_label() {
        for (key, value) in [
            ("a b", "x"),
            ("-x", "x"),
            ("/x", "x"),
            ("a/b/c", "x"),
            ("ok", "a b"),
        ] {
            let error = check(json!({"labels": {key: value}})).unwrap_err();
            assert_eq!(error.code, 422, "{key}={value}");
            assert!(
                error.message.contains(&format!("metadata.labels[{key}]")),
                "{}",
                error.message
            );
        }
        let long = "x".repeat(64);
        assert!(check(json!({"labels": {"ok": long}})).is_err());
        assert!(check(json!({"annotations": {"not ok": "x"}})).is_err());
        let huge = "x".repeat(MAX_ANNOTATIONS_BYTES);
        let error = check(json!({"annotations": {"a": huge}})).unwrap_err();
        assert!(error.message.contains("Too long"), "{}", error.message);
    }
}
