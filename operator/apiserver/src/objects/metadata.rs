//! The metadata every object carries: reading and writing it, the parts generation tracks, and
//! the values the server generates for it (uids, `generateName` suffixes, timestamps).

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::registry::ResourceDef;

pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // The kernel RNG failing is not a client error; fall back to the clock for uniqueness.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or(0).to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = nanos[i % 8] ^ (i as u8);
        }
    }
    buf
}

/// A random (version 4) UUID.
pub fn new_uid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The random suffix `generateName` appends (the real server's alphabet, no vowels).
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    random_bytes::<5>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn meta(v: &Value) -> Option<&Map<String, Value>> {
    v.get("metadata").and_then(Value::as_object)
}

/// The metadata map, made an object first when the value or its metadata is not one.
pub fn meta_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let root = object_mut(v);
    let metadata = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    object_mut(metadata)
}

/// `v` as a map, replaced by an empty object when it is anything else.
fn object_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("the value was made an object just above"),
    }
}

pub fn meta_str<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    meta(v)?.get(field)?.as_str()
}

pub fn finalizers(v: &Value) -> Vec<String> {
    meta(v)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the object is being deleted (it has a deletionTimestamp).
pub fn terminating(v: &Value) -> bool {
    meta(v).is_some_and(|m| m.contains_key("deletionTimestamp"))
}

/// The object without metadata (and without status when `mask_status`): what generation tracks.
pub fn spec_part(v: &Value, mask_status: bool) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("metadata");
        m.remove("apiVersion");
        m.remove("kind");
        if mask_status {
            m.remove("status");
        }
    }
    c
}

/// Whether generation is tracked for this resource (custom resources and kinds with status).
pub fn tracks_generation(def: &ResourceDef) -> bool {
    def.custom || def.status_subresource
}

/// Sets `field` to a copy of `value`, or removes it when `value` is None.
pub fn set_or_remove(map: &mut Map<String, Value>, field: &str, value: Option<&Value>) {
    match value {
        Some(v) => {
            map.insert(field.into(), v.clone());
        }
        None => {
            map.remove(field);
        }
    }
}

/// A copy of the object without `metadata.resourceVersion`.
pub fn without_resource_version(v: &Value) -> Value {
    let mut c = v.clone();
    strip_resource_version(&mut c);
    c
}

pub fn strip_resource_version(v: &mut Value) {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
    }
}
