//! The single place that writes `.status`.
//!
//! A controller computes the whole desired status as data, starting from the stored
//! conditions and updating them with `patchwarden_api::conditions::set_condition` (which
//! keeps a transition time while the condition's status holds). This writer compares the
//! result with what is stored and sends a JSON merge patch of only the differences to the
//! `/status` subresource. Unchanged status is never rewritten, so a reconcile that finds
//! nothing new causes no write and no watch event.

use std::fmt::Debug;

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde_json::{Map, Value};

/// Errors of a status write.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The desired status does not serialise (a bug in the controller).
    #[error("{kind} {name}: status does not serialise: {source}")]
    Serialize {
        kind: String,
        name: String,
        #[source]
        source: serde_json::Error,
    },
    /// The API server refused the patch.
    #[error("{kind} {name}: writing status: {source}")]
    Api {
        kind: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// The RFC 7386 merge patch turning `from` into `to`, or `None` when they are equal.
pub fn merge_patch(from: &Value, to: &Value) -> Option<Value> {
    if from == to {
        return None;
    }
    match (from, to) {
        (Value::Object(from), Value::Object(to)) => {
            let mut patch = Map::new();
            for (key, old) in from {
                match to.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new) => {
                        if let Some(child) = merge_patch(old, new) {
                            patch.insert(key.clone(), child);
                        }
                    }
                }
            }
            for (key, new) in to {
                if !from.contains_key(key) && !new.is_null() {
                    patch.insert(key.clone(), strip_nulls(new));
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        // A merge patch cannot patch inside an array or turn an object into a scalar
        // partially: replace the value.
        _ => Some(strip_nulls(to)),
    }
}

/// Null in a merge patch means "delete", so nulls inside new values are dropped.
fn strip_nulls_in_place(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls_in_place);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls_in_place),
        _ => {}
    }
}

/// [`strip_nulls_in_place`] on a copy.
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// The merge patch from the stored status to `desired`; `None` when they are equal.
pub fn status_patch(stored: Option<&Value>, mut desired: Value) -> Option<Value> {
    strip_nulls_in_place(&mut desired);
    let empty = Value::Object(Map::new());
    merge_patch(stored.unwrap_or(&empty), &desired)
}

/// Writes `desired` as the status of `object` when it differs from the stored one.
/// Returns whether a write happened.
pub async fn write_status<K, S>(api: &Api<K>, object: &K, desired: &S) -> Result<bool, StatusError>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + Debug,
    S: Serialize,
{
    let kind = K::kind(&()).to_string();
    let name = object.name_any();
    let serialize = |source| StatusError::Serialize {
        kind: kind.clone(),
        name: name.clone(),
        source,
    };
    let stored = serde_json::to_value(object).map_err(serialize)?;
    let desired = serde_json::to_value(desired).map_err(serialize)?;
    let Some(patch) = status_patch(stored.get("status"), desired) else {
        return Ok(false);
    };
    let body = serde_json::json!({ "status": patch });
    let refused = |source| StatusError::Api {
        kind: kind.clone(),
        name: name.clone(),
        source,
    };
    // The answer (the whole object, which the watch brings anyway) is read but not decoded:
    // at fleet scale that would be another copy of every status parsed per write.
    let request = kube::core::Request::new(api.resource_url())
        .patch_subresource(
            "status",
            &name,
            &PatchParams::default(),
            &Patch::Merge(&body),
        )
        .map_err(|e| refused(kube::Error::BuildRequest(e)))?;
    let client = api.clone().into_client();
    client.request_text(request).await.map_err(refused)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_status_needs_no_write() {
        let stored = json!({"observedGeneration": 2, "conditions": [
            {"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
        assert_eq!(status_patch(Some(&stored), stored.clone()), None);
    }

    #[test]
    fn a_changed_condition_replaces_the_list_and_removed_fields_are_nulled() {
        let stored = json!({"phase": "Running", "currentWave": 1, "conditions": [
            {"type": "Ready", "status": "False", "reason": "Progressing", "message": "",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
        let desired = json!({"phase": "Succeeded", "conditions": [
            {"type": "Ready", "status": "True", "reason": "Succeeded", "message": "",
             "lastTransitionTime": "2026-05-05T00:00:00Z"}]});
        let patch = status_patch(Some(&stored), desired).expect("a change");
        assert_eq!(patch["currentWave"], Value::Null);
        assert_eq!(patch["phase"], "Succeeded");
        assert_eq!(
            patch["conditions"][0]["lastTransitionTime"],
            "2026-05-05T00:00:00Z"
        );
    }

    #[test]
    fn nested_objects_are_patched_key_by_key() {
        let stored = json!({"summary": {"critical": 1, "high": 2}});
        let desired = json!({"summary": {"critical": 0, "high": 2}});
        assert_eq!(
            status_patch(Some(&stored), desired),
            Some(json!({"summary": {"critical": 0}}))
        );
        assert_eq!(
            status_patch(None, json!({"a": null, "b": 1})),
            Some(json!({"b": 1}))
        );
    }
}
