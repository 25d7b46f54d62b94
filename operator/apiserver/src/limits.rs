//! Bounds on the JSON documents requests make the server hold.
//!
//! Nesting depth: every walk over an object (field sets, schemas, serialization, even dropping
//! it) recurses once per level, and serde_json refuses to read back more than 128 levels, so an
//! object stored deeper could not be loaded and the server would not start again. Size: a JSON
//! patch can double a document with each `copy` of it, so the size of what it builds is kept
//! within the request body limit.

use serde_json::Value;

/// The deepest nesting a request body or a patched document may have.
pub const MAX_DEPTH: usize = 100;

/// A document nested deeper than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the document is nested more than {limit} levels deep")]
pub struct TooDeep {
    pub limit: usize,
}

/// Whether `value` is nested in more than `limit` objects and arrays: a scalar is 0 levels
/// deep, `{}` 1, `{"a": []}` 2. Walks without recursion and stops at the first level too deep.
pub fn exceeds_depth(value: &Value, limit: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((v, above)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        let level = above + 1;
        if level > limit {
            return true;
        }
        stack.extend(children.map(|child| (child, level)));
    }
    false
}

/// `Err` when `value` is nested more than `limit` levels deep.
pub fn check_depth(value: &Value, limit: usize) -> Result<(), TooDeep> {
    if exceeds_depth(value, limit) {
        Err(TooDeep { limit })
    } else {
        Ok(())
    }
}

/// The length of `value` serialized as compact JSON, counted without building the text.
pub fn encoded_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` into a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn depth_counts_objects_and_arrays() {
        assert!(!exceeds_depth(&json!(1), 0));
        assert!(exceeds_depth(&json!({}), 0));
        assert!(!exceeds_depth(&json!({"a": [1]}), 2));
        assert!(exceeds_depth(&json!({"a": [[1]]}), 2));
        let mut deep = json!(null);
        for _ in 0..MAX_DEPTH + 1 {
            deep = json!([deep]);
        }
        assert_eq!(
            check_depth(&deep, MAX_DEPTH),
            Err(TooDeep { limit: MAX_DEPTH })
        );
    }

    #[test]
    fn encoded_len_is_the_serialized_length() {
        let v = json!({"a": [1, "two", {"b": null}], "ü": true});
        assert_eq!(encoded_len(&v), serde_json::to_vec(&v).unwrap().len());
    }
}
