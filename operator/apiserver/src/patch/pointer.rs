//! JSON Pointer (RFC 6901) paths into a document, and the add, remove and get a JSON patch's
//! operations are made of.

use serde_json::Value;

use super::json_patch::OperationError;

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

pub fn split_pointer(path: &str) -> Result<Vec<String>, OperationError> {
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

pub fn parent_and_last<'a>(
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

pub fn get<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
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

/// Adds `value` at `tokens`; returns what it replaced (an object member, or the whole
/// document).
pub fn add(
    doc: &mut Value,
    tokens: &[String],
    value: Value,
) -> Result<Option<Value>, OperationError> {
    if tokens.is_empty() {
        return Ok(Some(std::mem::replace(doc, value)));
    }
    let (parent, last) = parent_and_last(doc, tokens)?;
    match parent {
        Value::Object(map) => Ok(map.insert(last, value)),
        Value::Array(arr) => {
            if last == "-" {
                arr.push(value);
                return Ok(None);
            }
            let index = array_index(&last)?;
            if index > arr.len() {
                return Err(OperationError::IndexOutOfRange { index });
            }
            arr.insert(index, value);
            Ok(None)
        }
        _ => Err(OperationError::ScalarParent),
    }
}

pub fn remove(doc: &mut Value, tokens: &[String]) -> Result<Value, OperationError> {
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
