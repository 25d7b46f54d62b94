//! Structural-schema processing of custom resource writes, in the order the real server uses:
//! prune unknown fields, apply defaults, then validate types, enums, required fields, bounds,
//! patterns and the `allOf`/`anyOf`/`oneOf`/`not` value validations.

use regex::Regex;
use serde_json::Value;

use crate::error::Cause;

/// What processing found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Validation failures (422 Invalid).
    pub causes: Vec<Cause>,
    /// Paths of fields not declared in the schema; they were pruned.
    pub unknown_fields: Vec<String>,
}

/// Prunes, defaults and validates a custom resource against its `openAPIV3Schema`.
/// `metadata`, `apiVersion` and `kind` at the root are left to the generic object rules.
pub fn process(schema: &Value, object: &mut Value) -> Outcome {
    let mut out = Outcome::default();
    let Some(map) = object.as_object_mut() else {
        out.causes
            .push(cause("", "FieldValueInvalid", "must be an object".into()));
        return out;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let preserve = preserves_unknown(schema);
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        match props.and_then(|p| p.get(&key)) {
            Some(sub) => {
                if let Some(v) = map.get_mut(&key) {
                    walk(sub, v, &key, true, &mut out);
                }
            }
            None if preserve => {}
            None => {
                map.remove(&key);
                out.unknown_fields.push(key.clone());
            }
        }
    }
    if let Some(props) = props {
        for (key, sub) in props {
            if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            if !map.contains_key(key)
                && let Some(default) = sub.get("default")
            {
                let mut v = default.clone();
                walk(sub, &mut v, key, true, &mut out);
                map.insert(key.clone(), v);
            }
        }
    }
    check_required(schema, map, "", &mut out);
    out
}

fn cause(field: &str, reason: &str, message: String) -> Cause {
    Cause {
        reason: reason.to_string(),
        message,
        field: field.to_string(),
    }
}

fn preserves_unknown(schema: &Value) -> bool {
    schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
        || schema.get("additionalProperties").and_then(Value::as_bool) == Some(true)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "\"null\"".to_string(),
        Value::Object(_) => "\"object\"".to_string(),
        Value::Array(_) => "\"array\"".to_string(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_required(
    schema: &Value,
    map: &serde_json::Map<String, Value>,
    path: &str,
    out: &mut Outcome,
) {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                out.causes.push(cause(
                    &join(path, r),
                    "FieldValueRequired",
                    "Required value".into(),
                ));
            }
        }
    }
}

/// `prune_and_default` is false inside `allOf`/`anyOf`/`oneOf`/`not`, which only validate.
fn walk(schema: &Value, value: &mut Value, path: &str, prune_and_default: bool, out: &mut Outcome) {
    if value.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            return;
        }
        if let Some(t) = schema.get("type").and_then(Value::as_str) {
            out.causes.push(cause(
                path,
                "FieldValueInvalid",
                format!("Invalid value: \"null\": {path} in body must be of type {t}: \"null\""),
            ));
        }
        return;
    }
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true);
    if int_or_string {
        if !(value.is_string() || type_name(value) == "integer") {
            out.causes.push(cause(
                path,
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: {path} in body must be of type int-or-string: {:?}",
                    describe(value),
                    type_name(value)
                ),
            ));
            return;
        }
    } else if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let actual = type_name(value);
        let ok = actual == t || (t == "number" && actual == "integer");
        if !ok {
            out.causes.push(cause(
                path,
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: {path} in body must be of type {t}: {actual:?}",
                    describe(value)
                ),
            ));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let listed: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        out.causes.push(cause(
            path,
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {}: supported values: {}",
                value,
                listed.join(", ")
            ),
        ));
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            let preserve = preserves_unknown(schema)
                || schema
                    .get("x-kubernetes-embedded-resource")
                    .and_then(Value::as_bool)
                    == Some(true);
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let sub_path = join(path, &key);
                let sub = props.and_then(|p| p.get(&key)).or(additional);
                match sub {
                    Some(sub) => {
                        if let Some(v) = map.get_mut(&key) {
                            walk(sub, v, &sub_path, prune_and_default, out);
                        }
                    }
                    None if preserve || props.is_none() && schema.get("type").is_none() => {}
                    None => {
                        if prune_and_default {
                            map.remove(&key);
                            out.unknown_fields.push(sub_path);
                        }
                    }
                }
            }
            if prune_and_default && let Some(props) = props {
                for (key, sub) in props {
                    if !map.contains_key(key)
                        && let Some(default) = sub.get("default")
                    {
                        let mut v = default.clone();
                        walk(sub, &mut v, &join(path, key), true, out);
                        map.insert(key.clone(), v);
                    }
                }
            }
            check_required(schema, map, path, out);
            let count = map.len() as u64;
            if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
                && count < min
            {
                out.causes.push(cause(
                    path,
                    "FieldValueInvalid",
                    format!("Invalid value: {count}: {path} in body should have at least {min} properties"),
                ));
            }
            if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
                && count > max
            {
                out.causes.push(cause(
                    path,
                    "TooMany",
                    format!("Too many: {count}: must have at most {max} items"),
                ));
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(
                        item_schema,
                        item,
                        &format!("{path}[{i}]"),
                        prune_and_default,
                        out,
                    );
                }
            }
            let len = items.len() as u64;
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && len < min
            {
                out.causes.push(cause(
                    path,
                    "FieldValueInvalid",
                    format!(
                        "Invalid value: {len}: {path} in body should have at least {min} items"
                    ),
                ));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && len > max
            {
                out.causes.push(cause(
                    path,
                    "TooMany",
                    format!("Too many: {len}: must have at most {max} items"),
                ));
            }
            let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
            if list_type == Some("set")
                || schema.get("uniqueItems").and_then(Value::as_bool) == Some(true)
            {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        out.causes.push(cause(
                            &format!("{path}[{i}]"),
                            "FieldValueDuplicate",
                            format!("Duplicate value: {item}"),
                        ));
                    }
                }
            }
            if list_type == Some("map")
                && let Some(keys) = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
            {
                let key_of = |item: &Value| -> Vec<Value> {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(|k| item.get(k).cloned().unwrap_or(Value::Null))
                        .collect()
                };
                for (i, item) in items.iter().enumerate() {
                    let k = key_of(item);
                    if items[..i].iter().any(|other| key_of(other) == k) {
                        out.causes.push(cause(
                            &format!("{path}[{i}]"),
                            "FieldValueDuplicate",
                            format!("Duplicate value: {}", Value::Array(k)),
                        ));
                    }
                }
            }
        }
        Value::String(s) => {
            let len = s.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                out.causes.push(cause(
                    path,
                    "FieldValueInvalid",
                    format!(
                        "Invalid value: {s:?}: {path} in body should be at least {min} chars long"
                    ),
                ));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                out.causes.push(cause(
                    path,
                    "TooLong",
                    format!("Too long: may not be more than {max} bytes"),
                ));
            }
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                match Regex::new(pattern) {
                    Ok(re) if !re.is_match(s) => out.causes.push(cause(
                        path,
                        "FieldValueInvalid",
                        format!("Invalid value: {s:?}: {path} in body should match '{pattern}'"),
                    )),
                    _ => {}
                }
            }
            if schema.get("format").and_then(Value::as_str) == Some("date-time")
                && chrono::DateTime::parse_from_rfc3339(s).is_err()
            {
                out.causes.push(cause(
                    path,
                    "FieldValueInvalid",
                    format!(
                        "Invalid value: {s:?}: {path} in body must be of type date-time: {s:?}"
                    ),
                ));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                let exclusive =
                    schema.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
                if x < min || (exclusive && x == min) {
                    let rel = if exclusive {
                        "greater than"
                    } else {
                        "greater than or equal to"
                    };
                    out.causes.push(cause(
                        path,
                        "FieldValueInvalid",
                        format!("Invalid value: {n}: {path} in body should be {rel} {min}"),
                    ));
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                let exclusive =
                    schema.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
                if x > max || (exclusive && x == max) {
                    let rel = if exclusive {
                        "less than"
                    } else {
                        "less than or equal to"
                    };
                    out.causes.push(cause(
                        path,
                        "FieldValueInvalid",
                        format!("Invalid value: {n}: {path} in body should be {rel} {max}"),
                    ));
                }
            }
        }
        _ => {}
    }
    value_validations(schema, value, path, out);
}

fn validates(schema: &Value, value: &Value, path: &str) -> bool {
    let mut probe = Outcome::default();
    let mut copy = value.clone();
    walk(schema, &mut copy, path, false, &mut probe);
    probe.causes.is_empty()
}

fn value_validations(schema: &Value, value: &Value, path: &str, out: &mut Outcome) {
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            let mut copy = value.clone();
            walk(sub, &mut copy, path, false, out);
        }
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| validates(s, value, path))
    {
        out.causes.push(cause(
            path,
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {path} in body must match at least one schema (anyOf)",
                describe(value)
            ),
        ));
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = one.iter().filter(|s| validates(s, value, path)).count();
        if matching != 1 {
            out.causes.push(cause(
                path,
                "FieldValueInvalid",
                format!("Invalid value: {}: {path} in body must validate one and only one schema (oneOf), {matching} matched", describe(value)),
            ));
        }
    }
    if let Some(not) = schema.get("not")
        && validates(not, value, path)
    {
        out.causes.push(cause(
            path,
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {path} in body must not validate the schema (not)",
                describe(value)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type":"object","properties":{
            "spec":{"type":"object","required":["size"],"properties":{
                "size":{"type":"integer","minimum":1},
                "mode":{"type":"string","enum":["Auto","Manual"],"default":"Auto"},
                "budget":{"x-kubernetes-int-or-string":true},
                "labels":{"type":"object","additionalProperties":{"type":"string"}},
                "items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"string","pattern":"^[a-z]+$"}}}},
                "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
            "status":{"type":"object"}}})
    }

    #[test]
    fn valid_object_gets_defaults() {
        let mut obj = json!({"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},
            "spec":{"size":2,"budget":"25%","labels":{"a":"b"},"free":{"anything":[1]}}});
        let out = process(&schema(), &mut obj);
        assert!(out.causes.is_empty(), "{:?}", out.causes);
        assert_eq!(obj["spec"]["mode"], "Auto");
        assert_eq!(obj["spec"]["free"]["anything"], json!([1]));
    }

    #[test]
    fn violations_name_their_fields() {
        let mut obj = json!({"spec":{"size":"big","mode":"Sometimes","labels":{"a":1},
            "items":[{"n":"UPPER"}],"bogus":true},"extra":1});
        let out = process(&schema(), &mut obj);
        let fields: Vec<&str> = out.causes.iter().map(|c| c.field.as_str()).collect();
        assert!(fields.contains(&"spec.size"));
        assert!(fields.contains(&"spec.mode"));
        assert!(fields.contains(&"spec.labels.a"));
        assert!(fields.contains(&"spec.items[0].n"));
        assert_eq!(
            out.unknown_fields,
            vec!["extra".to_string(), "spec.bogus".to_string()]
        );
        assert!(obj["spec"].get("bogus").is_none());
        let mut missing = json!({"spec":{}});
        let out = process(&schema(), &mut missing);
        assert_eq!(out.causes[0].field, "spec.size");
        assert_eq!(out.causes[0].reason, "FieldValueRequired");
    }

    #[test]
    fn one_of_requires_exactly_one() {
        let s = json!({"type":"object","properties":{"spec":{"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}],
            "properties":{"a":{"type":"string"},"b":{"type":"string"}}}}});
        let mut both = json!({"spec":{"a":"x","b":"y"}});
        assert_eq!(process(&s, &mut both).causes.len(), 1);
        let mut one = json!({"spec":{"a":"x"}});
        assert!(process(&s, &mut one).causes.is_empty());
    }
}
