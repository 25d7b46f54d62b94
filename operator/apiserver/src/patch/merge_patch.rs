//! JSON Merge Patch (RFC 7386): objects merge member by member, `null` deletes a member, and
//! anything else replaces what was there.

use serde_json::{Map, Value};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_deletes_with_null() {
        let out = merge_patch(
            &json!({"a":{"b":1,"c":2},"l":[1]}),
            &json!({"a":{"b":null},"l":[2]}),
        );
        assert_eq!(out, json!({"a":{"c":2},"l":[2]}));
    }
}
