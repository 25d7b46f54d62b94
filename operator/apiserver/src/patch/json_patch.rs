//! JSON Patch (RFC 6902), with the Kubernetes `test`-against-null quirk, applied within
//! [`Limits`]: the document it builds may not grow past the request body limit, nor nest
//! deeper than [`crate::limits::MAX_DEPTH`].

use serde_json::Value;

use super::pointer::{add, get, remove, split_pointer};
use crate::limits::{encoded_len, exceeds_depth};

/// Why a JSON patch could not be applied (answered as 422 by the caller, 413 for size).
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
    #[error("the patched document would be larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the patched document would be nested more than {limit} levels deep")]
    TooDeep { limit: usize },
}

/// Bounds on the document a patch builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The serialized size the document may reach (or keep, when it was larger already).
    pub max_bytes: usize,
    /// The nesting depth a value may reach where an operation puts it.
    pub max_depth: usize,
}

/// One operation, decoded.
enum Operation {
    Add(Vec<String>, Value),
    Remove(Vec<String>),
    Replace(Vec<String>, Value),
    Move {
        from: Vec<String>,
        to: Vec<String>,
    },
    Copy {
        from: Vec<String>,
        to: Vec<String>,
    },
    /// `text` is the path as the patch wrote it, for the error message.
    Test {
        path: Vec<String>,
        text: String,
        expected: Value,
    },
}

/// Decodes one operation object.
fn decode(op: &Value, name: &str) -> Result<Operation, OperationError> {
    let pointer = |member: &'static str| {
        op.get(member)
            .and_then(Value::as_str)
            .ok_or(OperationError::MissingMember(member))
            .and_then(split_pointer)
    };
    let value = || {
        op.get("value")
            .cloned()
            .ok_or(OperationError::MissingMember("value"))
    };
    let path = pointer("path")?;
    Ok(match name {
        "add" => Operation::Add(path, value()?),
        "remove" => Operation::Remove(path),
        "replace" => Operation::Replace(path, value()?),
        "move" => Operation::Move {
            from: pointer("from")?,
            to: path,
        },
        "copy" => Operation::Copy {
            from: pointer("from")?,
            to: path,
        },
        "test" => Operation::Test {
            path,
            text: op
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            expected: value()?,
        },
        other => {
            return Err(OperationError::UnknownOperation {
                op: other.to_string(),
            });
        }
    })
}

/// The patched document's serialized size, kept up to date as operations add and remove
/// values: re-serializing the whole document after each of up to 10,000 operations would cost
/// more than the patch itself. Values are counted exactly; member names and separators are
/// estimated.
struct Size {
    bytes: usize,
    ceiling: usize,
}

impl Size {
    /// What a value adds or removes where `tokens` puts it: itself, its member name, the
    /// quotes, colon and comma around it.
    fn at(tokens: &[String], value: &Value) -> usize {
        encoded_len(value) + tokens.last().map_or(0, |name| name.len() + 4)
    }

    fn change(&mut self, added: usize, removed: usize) -> Result<(), OperationError> {
        self.bytes = (self.bytes + added).saturating_sub(removed);
        if self.bytes > self.ceiling {
            return Err(OperationError::TooLarge {
                limit: self.ceiling,
            });
        }
        Ok(())
    }
}

/// Applies an RFC 6902 patch. As in Kubernetes, `test` with a `null` value succeeds when the
/// path is missing (kube-rs's finalizer helper relies on it).
pub fn json_patch(doc: &Value, patch: &Value, limits: Limits) -> Result<Value, PatchError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| PatchError::Malformed("expected a JSON array".to_string()))?;
    let mut doc = doc.clone();
    let mut size = Size {
        bytes: encoded_len(&doc),
        ceiling: 0,
    };
    // A document already larger than the limit may still shrink or stay as large.
    size.ceiling = limits.max_bytes.max(size.bytes);
    for (index, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        decode(op, name)
            .and_then(|operation| apply(&mut doc, operation, &mut size, limits.max_depth))
            .map_err(|reason| PatchError::Failed {
                index,
                op: name.to_string(),
                reason,
            })?;
    }
    Ok(doc)
}

/// Puts `value` at `to`, within the depth and size limits; `removed` is what the operation
/// already took out of the document.
fn put(
    doc: &mut Value,
    to: &[String],
    value: Value,
    removed: usize,
    size: &mut Size,
    max_depth: usize,
) -> Result<(), OperationError> {
    // `to` descends through one object or array per token above the value.
    if to.len() > max_depth || exceeds_depth(&value, max_depth - to.len()) {
        return Err(OperationError::TooDeep { limit: max_depth });
    }
    let added = Size::at(to, &value);
    let replaced = add(doc, to, value)?.map_or(0, |old| Size::at(to, &old));
    size.change(added, removed + replaced)
}

fn apply(
    doc: &mut Value,
    operation: Operation,
    size: &mut Size,
    max_depth: usize,
) -> Result<(), OperationError> {
    match operation {
        Operation::Add(to, value) => put(doc, &to, value, 0, size, max_depth),
        Operation::Remove(path) => {
            let removed = remove(doc, &path)?;
            size.change(0, Size::at(&path, &removed))
        }
        Operation::Replace(path, value) if path.is_empty() => {
            put(doc, &path, value, 0, size, max_depth)
        }
        Operation::Replace(path, value) => {
            let removed = remove(doc, &path)?;
            put(
                doc,
                &path,
                value,
                Size::at(&path, &removed),
                size,
                max_depth,
            )
        }
        Operation::Move { from, to } => {
            let value = remove(doc, &from)?;
            let removed = Size::at(&from, &value);
            put(doc, &to, value, removed, size, max_depth)
        }
        Operation::Copy { from, to } => {
            let value = get(doc, &from)
                .cloned()
                .ok_or_else(|| OperationError::NoSuchSource { from: from.clone() })?;
            put(doc, &to, value, 0, size, max_depth)
        }
        Operation::Test {
            path,
            text,
            expected,
        } => match get(doc, &path) {
            Some(actual) if *actual == expected => Ok(()),
            None if expected.is_null() => Ok(()),
            _ => Err(OperationError::TestFailed { path: text }),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::limits::MAX_DEPTH;

    const LIMITS: Limits = Limits {
        max_bytes: 64 * 1024,
        max_depth: MAX_DEPTH,
    };

    #[test]
    fn test_null_on_missing_path_succeeds_like_kubernetes() {
        let doc = json!({"metadata":{"name":"a"}});
        let patch = json!([{"op":"test","path":"/metadata/finalizers","value":null},
                           {"op":"add","path":"/metadata/finalizers","value":["x"]}]);
        let out = json_patch(&doc, &patch, LIMITS).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn failed_test_reports_the_operation() {
        let doc = json!({"metadata":{"finalizers":["a"]}});
        let patch = json!([{"op":"test","path":"/metadata/finalizers/0","value":"b"}]);
        assert_eq!(
            json_patch(&doc, &patch, LIMITS),
            Err(PatchError::Failed {
                index: 0,
                op: "test".into(),
                reason: OperationError::TestFailed {
                    path: "/metadata/finalizers/0".into()
                }
            })
        );
    }

    #[test]
    fn remove_and_append() {
        let doc = json!({"a":[1,2,3]});
        let out = json_patch(
            &doc,
            &json!([{"op":"remove","path":"/a/1"},{"op":"add","path":"/a/-","value":9}]),
            LIMITS,
        )
        .unwrap();
        assert_eq!(out, json!({"a":[1,3,9]}));
        assert!(json_patch(&doc, &json!([{"op":"remove","path":"/b"}]), LIMITS).is_err());
    }

    #[test]
    fn replace_move_and_copy() {
        let doc = json!({"a":{"b":1},"c":[]});
        let patch = json!([{"op":"replace","path":"/a/b","value":2},
                           {"op":"copy","from":"/a","path":"/c/0"},
                           {"op":"move","from":"/a","path":"/d"},
                           {"op":"replace","path":"","value":{"whole":true}},
                           {"op":"add","path":"/e","value":"x"}]);
        let out = json_patch(&doc, &patch, LIMITS).unwrap();
        assert_eq!(out, json!({"whole":true,"e":"x"}));
    }

    #[test]
    fn copying_the_whole_document_into_itself_stops_at_the_size_limit() {
        let doc = json!({"metadata":{"name":"a"},"data":{"k":"v".repeat(100)}});
        let ops: Vec<Value> = (0..20)
            .map(|i| json!({"op":"copy","from":"","path":format!("/c{i}")}))
            .collect();
        let err = json_patch(&doc, &Value::Array(ops), LIMITS).unwrap_err();
        let PatchError::Failed { index, reason, .. } = err else {
            panic!("not an operation failure: {err:?}");
        };
        assert_eq!(reason, OperationError::TooLarge { limit: 64 * 1024 });
        // ~150 bytes doubled until past 64 KiB: the ninth copy crosses the limit.
        assert!((8..=10).contains(&index), "stopped at operation {index}");
    }

    #[test]
    fn a_document_larger_than_the_limit_may_shrink_but_not_grow() {
        let doc = json!({"big":"x".repeat(1000),"small":1});
        let tight = Limits {
            max_bytes: 100,
            ..LIMITS
        };
        let shrink = json!([{"op":"remove","path":"/small"}]);
        assert!(json_patch(&doc, &shrink, tight).is_ok());
        let grow = json!([{"op":"add","path":"/more","value":"y"}]);
        assert!(matches!(
            json_patch(&doc, &grow, tight),
            Err(PatchError::Failed {
                reason: OperationError::TooLarge { .. },
                ..
            })
        ));
    }

    #[test]
    fn values_put_deeper_than_the_limit_are_refused() {
        let nested = |levels: usize| (0..levels).fold(json!(1), |inner, _| json!({"d": inner}));
        let doc = json!({"x": nested(60)});
        let inner: String = "/d".repeat(59);
        let deep = json!([{"op":"add","path":format!("/x{inner}/more"),"value":nested(50)}]);
        assert!(matches!(
            json_patch(&doc, &deep, LIMITS),
            Err(PatchError::Failed {
                reason: OperationError::TooDeep { limit: MAX_DEPTH },
                ..
            })
        ));
        // Moving a subtree deeper is checked as well.
        let moved = json!([{"op":"add","path":format!("/x{inner}/more"),"value":{}},
                           {"op":"move","from":"/x/d","path":format!("/x{inner}/more/m")}]);
        assert!(json_patch(&doc, &moved, LIMITS).is_err());
        let shallow = json!([{"op":"add","path":format!("/x{inner}/more"),"value":nested(30)}]);
        assert!(json_patch(&doc, &shallow, LIMITS).is_ok());
    }
}
