//! Typed edits of JSON objects. Indexing a `serde_json::Value` with `[]=` panics when the value
//! is not an object (or null), so documents built here, and objects from requests above all,
//! are only changed through maps.

use serde_json::Value;

/// Sets `key` on an object value; a value that is not an object is left as it is.
pub fn set(target: &mut Value, key: &str, value: Value) {
    if let Some(map) = target.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}
