//! Checks a JSON value against a CRD's structural OpenAPI v3 schema, as the API server would:
//! unknown fields, wrong types, bad enum values, missing required fields, patterns, lengths,
//! ranges and list-map keys. Every problem carries the JSON path of the field.

use std::collections::{BTreeSet, HashMap};

use regex::Regex;
use serde_json::Value;

use crate::path::{child_index, child_key};

/// A schema violation at a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The field: `spec.rollout.canary`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Checks values against one schema, caching compiled patterns.
pub struct SchemaChecker<'a> {
    schema: &'a Value,
    patterns: HashMap<String, Option<Regex>>,
}

impl<'a> SchemaChecker<'a> {
    /// A checker for the CRD schema `schema` (the `openAPIV3Schema` object).
    pub fn new(schema: &'a Value) -> Self {
        SchemaChecker {
            schema,
            patterns: HashMap::new(),
        }
    }

    /// Every problem of `value` (a whole object), in document order. `apiVersion`, `kind` and
    /// `metadata` are checked as the API server does for every kind.
    pub fn check(&mut self, value: &Value) -> Vec<SchemaProblem> {
        let mut problems = Vec::new();
        let Some(object) = value.as_object() else {
            problems.push(SchemaProblem {
                path: String::new(),
                message: format!("expected a mapping, found {}", describe(value)),
            });
            return problems;
        };
        let mut rest = object.clone();
        for key in ["apiVersion", "kind"] {
            if let Some(v) = rest.remove(key)
                && !v.is_string()
            {
                problems.push(SchemaProblem {
                    path: key.to_string(),
                    message: format!("expected a string, found {}", describe(&v)),
                });
            }
        }
        if let Some(metadata) = rest.remove("metadata") {
            check_metadata(&metadata, &mut problems);
        }
        let schema = self.schema;
        self.check_node(&Value::Object(rest), schema, "", &mut problems);
        problems
    }

    fn check_node(
        &mut self,
        value: &Value,
        schema: &Value,
        path: &str,
        out: &mut Vec<SchemaProblem>,
    ) {
        let problem = |out: &mut Vec<SchemaProblem>, message: String| {
            out.push(SchemaProblem {
                path: path.to_string(),
                message,
            })
        };
        if value.is_null() {
            if schema.get("nullable").and_then(Value::as_bool) != Some(true) {
                problem(
                    out,
                    format!(
                        "no value given; expected {} (remove the field or give it a value)",
                        expected_type(schema)
                    ),
                );
            }
            return;
        }
        if schema
            .get("x-kubernetes-int-or-string")
            .and_then(Value::as_bool)
            == Some(true)
        {
            if !(value.is_string() || value.is_i64() || value.is_u64()) {
                problem(
                    out,
                    format!(
                        "expected a whole number or a string, found {}",
                        describe(value)
                    ),
                );
            }
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let names: Vec<String> = allowed.iter().map(enum_name).collect();
            let suggestion = value
                .as_str()
                .and_then(|v| closest(v, names.iter().map(String::as_str)))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            problem(
                out,
                format!(
                    "{} is not one of {}{suggestion}",
                    describe_short(value),
                    names.join(", ")
                ),
            );
            return;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.check_object(value, schema, path, out),
            Some("array") => self.check_array(value, schema, path, out),
            Some("string") => match value.as_str() {
                Some(text) => self.check_string(text, schema, path, out),
                None => problem(out, format!("expected a string, found {}", describe(value))),
            },
            Some("integer") => {
                if value.is_i64() || value.is_u64() {
                    check_range(value, schema, path, out);
                } else {
                    problem(
                        out,
                        format!("expected a whole number, found {}", describe(value)),
                    );
                }
            }
            Some("number") => {
                if value.is_number() {
                    check_range(value, schema, path, out);
                } else {
                    problem(out, format!("expected a number, found {}", describe(value)));
                }
            }
            Some("boolean") if !value.is_boolean() => {
                // YAML 1.1 (and so some Kubernetes tools) read these words as booleans; YAML 1.2
                // reads them as text.
                let hint = value
                    .as_str()
                    .filter(|s| {
                        matches!(
                            s.to_ascii_lowercase().as_str(),
                            "yes" | "no" | "on" | "off" | "y" | "n"
                        )
                    })
                    .map(|_| "; write true or false")
                    .unwrap_or_default();
                problem(
                    out,
                    format!("expected true or false, found {}{hint}", describe(value)),
                );
            }
            _ => {}
        }
    }

    fn check_object(
        &mut self,
        value: &Value,
        schema: &Value,
        path: &str,
        out: &mut Vec<SchemaProblem>,
    ) {
        let Some(object) = value.as_object() else {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("expected a mapping, found {}", describe(value)),
            });
            return;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        let preserve = schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        for (key, child) in object {
            let child_path = child_key(path, key);
            if let Some(child_schema) = properties.and_then(|p| p.get(key)) {
                self.check_node(child, child_schema, &child_path, out);
            } else if let Some(child_schema) = additional {
                self.check_node(child, child_schema, &child_path, out);
            } else if !preserve && properties.is_some() {
                let known: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let suggestion = closest(key, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        if known.is_empty() {
                            String::new()
                        } else {
                            format!("; known fields: {}", known.join(", "))
                        }
                    });
                out.push(SchemaProblem {
                    path: child_path,
                    message: format!("unknown field `{key}`{suggestion}"),
                });
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    out.push(SchemaProblem {
                        path: child_key(path, name),
                        message: format!("missing required field `{name}`"),
                    });
                }
            }
        }
    }

    fn check_array(
        &mut self,
        value: &Value,
        schema: &Value,
        path: &str,
        out: &mut Vec<SchemaProblem>,
    ) {
        let Some(items) = value.as_array() else {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("expected a list, found {}", describe(value)),
            });
            return;
        };
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("needs at least {min} item(s), has {}", items.len()),
            });
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && (items.len() as u64) > max
        {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("takes at most {max} item(s), has {}", items.len()),
            });
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check_node(item, item_schema, &child_index(path, i), out);
            }
        }
        let is_map = schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map");
        if is_map
            && let Some(keys) = schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
        {
            let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let identity: Vec<String> = keys
                    .iter()
                    .map(|k| item.get(*k).map(Value::to_string).unwrap_or_default())
                    .collect();
                if !seen.insert(identity.clone()) {
                    out.push(SchemaProblem {
                        path: child_key(
                            &child_index(path, i),
                            keys.first().copied().unwrap_or("name"),
                        ),
                        message: format!(
                            "duplicate entry: another item has the same {} {}",
                            keys.join("/"),
                            identity.join("/")
                        ),
                    });
                }
            }
        }
    }

    fn check_string(
        &mut self,
        text: &str,
        schema: &Value,
        path: &str,
        out: &mut Vec<SchemaProblem>,
    ) {
        let length = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: if text.is_empty() {
                    "must not be empty".to_string()
                } else {
                    format!("{text:?} is shorter than {min} characters")
                },
            });
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("is longer than {max} characters ({length})"),
            });
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let regex = self
                .patterns
                .entry(pattern.to_string())
                .or_insert_with(|| Regex::new(pattern).ok());
            if let Some(regex) = regex
                && !regex.is_match(text)
            {
                out.push(SchemaProblem {
                    path: path.to_string(),
                    message: format!("{text:?} does not match the pattern {pattern}"),
                });
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            out.push(SchemaProblem {
                path: path.to_string(),
                message: format!("{text:?} is not an RFC 3339 time such as 2026-12-24T18:00:00Z"),
            });
        }
    }
}

/// The fields of `metadata` (ObjectMeta) a manifest may set.
const OBJECT_META_FIELDS: [&str; 15] = [
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

/// Checks `metadata` the way the API server does for every object: known fields, string names,
/// string-to-string labels and annotations.
fn check_metadata(metadata: &Value, out: &mut Vec<SchemaProblem>) {
    let Some(object) = metadata.as_object() else {
        out.push(SchemaProblem {
            path: "metadata".to_string(),
            message: format!("expected a mapping, found {}", describe(metadata)),
        });
        return;
    };
    for (key, value) in object {
        let path = child_key("metadata", key);
        match key.as_str() {
            "name" | "generateName" | "namespace" if !value.is_string() => {
                out.push(SchemaProblem {
                    path,
                    message: format!("expected a string, found {}", describe(value)),
                })
            }
            "labels" | "annotations" => match value.as_object() {
                Some(map) => {
                    for (k, v) in map {
                        if !v.is_string() {
                            out.push(SchemaProblem {
                                path: child_key(&path, k),
                                message: format!(
                                    "{key} values must be strings, found {} (quote it)",
                                    describe(v)
                                ),
                            });
                        }
                    }
                }
                None if value.is_null() => {}
                None => out.push(SchemaProblem {
                    path,
                    message: format!("expected a mapping of strings, found {}", describe(value)),
                }),
            },
            other if !OBJECT_META_FIELDS.contains(&other) => {
                let suggestion = closest(other, OBJECT_META_FIELDS.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                out.push(SchemaProblem {
                    path,
                    message: format!("unknown field `{other}`{suggestion}"),
                });
            }
            _ => {}
        }
    }
}

/// Ranges from `minimum`/`maximum` and from the integer `format` (so a value that passes also
/// fits the Rust field that reads it).
fn check_range(value: &Value, schema: &Value, path: &str, out: &mut Vec<SchemaProblem>) {
    let (format_min, format_max): (f64, f64) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint32") => (0.0, u32::MAX.into()),
        Some("uint16") => (0.0, u16::MAX.into()),
        Some("uint8") => (0.0, u8::MAX.into()),
        Some("uint64" | "uint") => (0.0, f64::INFINITY),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    };
    let Some(number) = value.as_f64() else {
        return;
    };
    let min = schema
        .get("minimum")
        .and_then(Value::as_f64)
        .map_or(format_min, |m| m.max(format_min));
    let max = schema
        .get("maximum")
        .and_then(Value::as_f64)
        .map_or(format_max, |m| m.min(format_max));
    let negative_u64 = value.is_i64() && value.as_i64().is_some_and(|n| n < 0) && format_min == 0.0;
    if number < min || negative_u64 {
        out.push(SchemaProblem {
            path: path.to_string(),
            message: format!("{} is below the minimum {}", value, trim_float(min)),
        });
    } else if number > max {
        out.push(SchemaProblem {
            path: path.to_string(),
            message: format!("{} is above the maximum {}", value, trim_float(max)),
        });
    }
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

fn enum_name(value: &Value) -> String {
    value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// What a schema expects, in words.
fn expected_type(schema: &Value) -> &'static str {
    if schema.get("x-kubernetes-int-or-string").is_some() {
        return "a number or a string";
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => "a mapping",
        Some("array") => "a list",
        Some("string") => "a string",
        Some("integer") => "a whole number",
        Some("number") => "a number",
        Some("boolean") => "true or false",
        _ => "a value",
    }
}

/// A value's type and, for scalars, the value.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

fn describe_short(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => describe(other),
    }
}

/// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_unknown_fields_types_enums_and_required() {
        let schema = patchwarden_api::crds::schema_of("MaintenanceWindow").expect("schema");
        let mut checker = SchemaChecker::new(&schema);
        let problems = checker.check(&json!({
            "apiVersion": "patchwarden.io/v1alpha1",
            "kind": "MaintenanceWindow",
            "metadata": {"name": "w"},
            "spec": {"schedul": "0 2 * * *", "duration": 3, "suspend": "no", "offsetDays": 400}
        }));
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect();
        assert!(
            found.contains(&(
                "spec.schedul",
                "unknown field `schedul`; did you mean `schedule`?"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.duration", "expected a string, found the number 3")),
            "{found:?}"
        );
        assert!(
            found.contains(&(
                "spec.suspend",
                "expected true or false, found the string \"no\"; write true or false"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.offsetDays", "400 is above the maximum 366")),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.schedule", "missing required field `schedule`")),
            "{found:?}"
        );
    }

    #[test]
    fn suggests_enum_values() {
        let schema = patchwarden_api::crds::schema_of("PatchPolicy").expect("schema");
        let problems = SchemaChecker::new(&schema).check(&json!({
            "metadata": {"name": "p", "labels": {"tier": 3}, "nmespace": "x"},
            "spec": {"assetGroups": ["a"], "reboot": "Sometimes", "mode": "enforce"}
        }));
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.contains(&"`Sometimes` is not one of IfRequired, Never, Always"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"`enforce` is not one of Enforce, Plan (did you mean Enforce?)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"labels values must be strings, found the number 3 (quote it)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"unknown field `nmespace`; did you mean `namespace`?"),
            "{messages:?}"
        );
    }
}
