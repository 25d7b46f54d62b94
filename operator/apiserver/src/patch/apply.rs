//! Server-side apply: per-manager field sets (and their `fieldsV1` encoding in managedFields),
//! and the merge of an applied configuration that removes what its manager no longer applies.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// A set of field paths (e.g. `spec.rollout.maxUnavailable`) as owned by one manager.
pub type FieldSet = BTreeSet<Vec<String>>;

/// Metadata fields the server owns; they are never part of a manager's field set.
fn server_owned(path: &[String]) -> bool {
    matches!(
        path.first().map(String::as_str),
        Some("apiVersion" | "kind")
    ) || (path.first().map(String::as_str) == Some("metadata")
        && matches!(
            path.get(1).map(String::as_str),
            Some(
                "name"
                    | "namespace"
                    | "uid"
                    | "resourceVersion"
                    | "generation"
                    | "creationTimestamp"
                    | "deletionTimestamp"
                    | "deletionGracePeriodSeconds"
                    | "managedFields"
                    | "selfLink"
            )
        ))
}

/// The leaf paths of an object: every non-object value (lists are atomic) and empty objects.
pub fn field_set(value: &Value) -> FieldSet {
    fn walk(v: &Value, path: &mut Vec<String>, out: &mut FieldSet) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {
                if !path.is_empty() && !server_owned(path) {
                    out.insert(path.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// `fieldsV1` encoding: `{"f:spec":{"f:size":{}}}`.
pub fn fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for seg in path {
            let entry = cur
                .entry(format!("f:{seg}"))
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            match entry {
                Value::Object(m) => cur = m,
                _ => break,
            }
        }
    }
    Value::Object(root)
}

/// Decodes `fieldsV1` back into leaf paths.
pub fn parse_fields_v1(value: &Value) -> FieldSet {
    fn walk(v: &Value, path: &mut Vec<String>, out: &mut FieldSet) {
        let Some(map) = v.as_object() else { return };
        let children: Vec<(&String, &Value)> =
            map.iter().filter(|(k, _)| k.starts_with("f:")).collect();
        if children.is_empty() {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            return;
        }
        for (k, child) in children {
            path.push(k[2..].to_string());
            walk(child, path, out);
            path.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// Removes a leaf and the parents the removal left empty, as apply does for emptied structs.
fn remove_path(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        map.remove(first);
        return;
    }
    if let Some(child) = map.get_mut(first) {
        remove_path(child, rest);
        if child.as_object().is_some_and(Map::is_empty) {
            map.remove(first);
        }
    }
}

/// Server-side apply of `applied` by a manager onto `live` (None when creating): objects merge
/// recursively, lists are atomic, and fields this manager applied before but omits now are
/// removed unless another manager also owns them.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    previously_applied: &FieldSet,
    owned_by_others: &FieldSet,
) -> Value {
    fn merge(live: &Value, applied: &Value) -> Value {
        match (live, applied) {
            (Value::Object(l), Value::Object(a)) => {
                let mut out = l.clone();
                for (k, v) in a {
                    let merged = match l.get(k) {
                        Some(lv) => merge(lv, v),
                        None => v.clone(),
                    };
                    out.insert(k.clone(), merged);
                }
                Value::Object(out)
            }
            (_, a) => a.clone(),
        }
    }
    let mut result = match live {
        Some(l) => merge(l, applied),
        None => applied.clone(),
    };
    let now_applied = field_set(applied);
    for path in previously_applied.difference(&now_applied) {
        if !owned_by_others.contains(path) {
            remove_path(&mut result, path);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn apply_removes_fields_no_longer_applied() {
        let first = json!({"spec":{"a":1,"b":{"c":2}}});
        let live = apply(None, &first, &FieldSet::new(), &FieldSet::new());
        let owned = field_set(&first);
        let second = json!({"spec":{"a":5}});
        let out = apply(Some(&live), &second, &owned, &FieldSet::new());
        assert_eq!(out, json!({"spec":{"a":5}}));
        // A field another manager also owns survives.
        let mut others = FieldSet::new();
        others.insert(vec!["spec".into(), "b".into(), "c".into()]);
        let out = apply(Some(&live), &second, &owned, &others);
        assert_eq!(out, json!({"spec":{"a":5,"b":{"c":2}}}));
    }

    #[test]
    fn fields_v1_round_trip() {
        let set =
            field_set(&json!({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"l":[1],"m":{}}}));
        let encoded = fields_v1(&set);
        assert_eq!(
            encoded,
            json!({"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:l":{},"f:m":{}}})
        );
        assert_eq!(parse_fields_v1(&encoded), set);
    }
}
