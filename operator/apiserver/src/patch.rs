//! Patch formats: JSON Patch (RFC 6902, with the Kubernetes `test`-against-null quirk), JSON
//! Merge Patch (RFC 7386) and server-side apply with per-manager field sets.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Why a JSON patch could not be applied (answered as 422 by the caller).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PatchError {
    #[error("the patch is not a list of operations: {0}")]
    Malformed(String),
    #[error("operation {index} ({op}): {reason}")]
    Failed {
        index: usize,
        op: String,
        reason: OperationError,
    },
}

/// Why one operation of a JSON patch failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OperationError {
    #[error("missing \"{0}\"")]
    MissingMember(&'static str),
    #[error("path {path:?} does not start with '/'")]
    RelativePath { path: String },
    #[error("the whole document cannot be the target")]
    WholeDocument,
    #[error("missing path element {element:?}")]
    MissingElement { element: String },
    #[error("bad array index {index:?}")]
    BadIndex { index: String },
    #[error("array index {index} out of range")]
    IndexOutOfRange { index: usize },
    #[error("path element {element:?} is inside a scalar")]
    InsideScalar { element: String },
    #[error("the parent of the target is a scalar")]
    ScalarParent,
    #[error("the path {element:?} does not exist")]
    NoSuchMember { element: String },
    #[error("the \"from\" path {from:?} does not exist")]
    NoSuchSource { from: Vec<String> },
    #[error("testing value {path} failed")]
    TestFailed { path: String },
    #[error("unknown operation {op:?}")]
    UnknownOperation { op: String },
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<Vec<String>, OperationError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| OperationError::RelativePath {
            path: path.to_string(),
        })?;
    Ok(rest.split('/').map(unescape).collect())
}

fn array_index(token: &str) -> Result<usize, OperationError> {
    token.parse().map_err(|_| OperationError::BadIndex {
        index: token.to_string(),
    })
}

fn parent_and_last<'a>(
    doc: &'a mut Value,
    tokens: &[String],
) -> Result<(&'a mut Value, String), OperationError> {
    let Some((last, parents)) = tokens.split_last() else {
        return Err(OperationError::WholeDocument);
    };
    let mut cur = doc;
    for t in parents {
        cur = match cur {
            Value::Object(map) => map
                .get_mut(t)
                .ok_or_else(|| OperationError::MissingElement { element: t.clone() })?,
            Value::Array(arr) => {
                let index = array_index(t)?;
                arr.get_mut(index)
                    .ok_or(OperationError::IndexOutOfRange { index })?
            }
            _ => return Err(OperationError::InsideScalar { element: t.clone() }),
        };
    }
    Ok((cur, last.clone()))
}

fn get<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(map) => map.get(t)?,
            Value::Array(arr) => arr.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn add(doc: &mut Value, tokens: &[String], value: Value) -> Result<(), OperationError> {
    if tokens.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent_and_last(doc, tokens)?;
    match parent {
        Value::Object(map) => {
            map.insert(last, value);
            Ok(())
        }
        Value::Array(arr) => {
            if last == "-" {
                arr.push(value);
                return Ok(());
            }
            let index = array_index(&last)?;
            if index > arr.len() {
                return Err(OperationError::IndexOutOfRange { index });
            }
            arr.insert(index, value);
            Ok(())
        }
        _ => Err(OperationError::ScalarParent),
    }
}

fn remove(doc: &mut Value, tokens: &[String]) -> Result<Value, OperationError> {
    let (parent, last) = parent_and_last(doc, tokens)?;
    match parent {
        Value::Object(map) => map
            .remove(&last)
            .ok_or(OperationError::NoSuchMember { element: last }),
        Value::Array(arr) => {
            let index = array_index(&last)?;
            if index >= arr.len() {
                return Err(OperationError::IndexOutOfRange { index });
            }
            Ok(arr.remove(index))
        }
        _ => Err(OperationError::ScalarParent),
    }
}

/// Applies an RFC 6902 patch. As in Kubernetes, `test` with a `null` value succeeds when the
/// path is missing (kube-rs's finalizer helper relies on it).
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| PatchError::Malformed("expected a JSON array".to_string()))?;
    let mut doc = doc.clone();
    for (index, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let fail = |reason: OperationError| PatchError::Failed {
            index,
            op: name.to_string(),
            reason,
        };
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| fail(OperationError::MissingMember("path")))?;
        let tokens = split_pointer(path).map_err(fail)?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| fail(OperationError::MissingMember("value")))
        };
        let from = || -> Result<Vec<String>, PatchError> {
            let f = op
                .get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| fail(OperationError::MissingMember("from")))?;
            split_pointer(f).map_err(fail)
        };
        match name {
            "add" => add(&mut doc, &tokens, value()?).map_err(fail)?,
            "remove" => {
                remove(&mut doc, &tokens).map_err(fail)?;
            }
            "replace" => {
                let v = value()?;
                if tokens.is_empty() {
                    doc = v;
                } else {
                    remove(&mut doc, &tokens).map_err(fail)?;
                    add(&mut doc, &tokens, v).map_err(fail)?;
                }
            }
            "move" => {
                let from = from()?;
                let v = remove(&mut doc, &from).map_err(fail)?;
                add(&mut doc, &tokens, v).map_err(fail)?;
            }
            "copy" => {
                let from = from()?;
                let v = get(&doc, &from)
                    .cloned()
                    .ok_or_else(|| fail(OperationError::NoSuchSource { from: from.clone() }))?;
                add(&mut doc, &tokens, v).map_err(fail)?;
            }
            "test" => {
                let expected = value()?;
                match get(&doc, &tokens) {
                    Some(actual) if *actual == expected => {}
                    None if expected.is_null() => {}
                    _ => {
                        return Err(fail(OperationError::TestFailed {
                            path: path.to_string(),
                        }));
                    }
                }
            }
            other => {
                return Err(fail(OperationError::UnknownOperation {
                    op: other.to_string(),
                }));
            }
        }
    }
    Ok(doc)
}

/// RFC 7386 JSON Merge Patch: `null` deletes, objects merge, everything else replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), merged);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

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
    use super::*;
    use serde_json::json;

    #[test]
    fn test_null_on_missing_path_succeeds_like_kubernetes() {
        let doc = json!({"metadata":{"name":"a"}});
        let patch = json!([{"op":"test","path":"/metadata/finalizers","value":null},
                           {"op":"add","path":"/metadata/finalizers","value":["x"]}]);
        let out = json_patch(&doc, &patch).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn failed_test_reports_the_operation() {
        let doc = json!({"metadata":{"finalizers":["a"]}});
        let patch = json!([{"op":"test","path":"/metadata/finalizers/0","value":"b"}]);
        assert!(matches!(
            json_patch(&doc, &patch),
            Err(PatchError::Failed { index: 0, .. })
        ));
    }

    #[test]
    fn remove_and_append() {
        let doc = json!({"a":[1,2,3]});
        let out = json_patch(
            &doc,
            &json!([{"op":"remove","path":"/a/1"},{"op":"add","path":"/a/-","value":9}]),
        )
        .unwrap();
        assert_eq!(out, json!({"a":[1,3,9]}));
        assert!(json_patch(&doc, &json!([{"op":"remove","path":"/b"}])).is_err());
    }

    #[test]
    fn merge_patch_deletes_with_null() {
        let out = merge_patch(
            &json!({"a":{"b":1,"c":2},"l":[1]}),
            &json!({"a":{"b":null},"l":[2]}),
        );
        assert_eq!(out, json!({"a":{"c":2},"l":[2]}));
    }

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
