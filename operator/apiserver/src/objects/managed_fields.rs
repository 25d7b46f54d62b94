//! Field ownership (`metadata.managedFields`): which manager set which fields, updated on every
//! write, and read back by server-side apply to know what a manager may remove.

use serde_json::{Map, Value, json};

use super::metadata::{meta, meta_mut, now_rfc3339};
use crate::patch::{self, FieldSet};

/// How a write is recorded: by whom, as which operation, on which subresource, and for apply
/// the configuration that was applied.
pub struct Ownership<'a> {
    pub manager: &'a str,
    /// `Apply` or `Update`.
    pub operation: &'a str,
    pub subresource: Option<&'a str>,
    pub applied: Option<&'a Value>,
    pub api_version: &'a str,
}

/// Leaves that differ between two objects (added, changed or removed).
fn changed_fields(old: Option<&Value>, new: &Value) -> FieldSet {
    let new_set = patch::field_set(new);
    let Some(old) = old else { return new_set };
    let old_set = patch::field_set(old);
    let lookup = |v: &Value, path: &[String]| -> Option<Value> {
        let mut cur = v;
        for p in path {
            cur = cur.get(p)?;
        }
        Some(cur.clone())
    };
    new_set
        .union(&old_set)
        .filter(|p| lookup(old, p) != lookup(new, p))
        .cloned()
        .collect()
}

fn entries_of(obj: Option<&Value>) -> Vec<Value> {
    obj.and_then(meta)
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn fields_of(entry: &Value) -> FieldSet {
    entry
        .get("fieldsV1")
        .map(patch::parse_fields_v1)
        .unwrap_or_default()
}

/// Records field ownership of a write of `obj` (replacing `old`) in `metadata.managedFields`.
pub fn record_managed_fields(obj: &mut Value, old: Option<&Value>, owner: &Ownership<'_>) {
    let changed = changed_fields(old, obj);
    let same_entry = |e: &Value| {
        e.get("manager").and_then(Value::as_str) == Some(owner.manager)
            && e.get("operation").and_then(Value::as_str) == Some(owner.operation)
            && e.get("subresource").and_then(Value::as_str) == owner.subresource
    };
    let mut entries: Vec<Value> = Vec::new();
    let mut mine = FieldSet::new();
    for e in entries_of(old) {
        let set = fields_of(&e);
        if same_entry(&e) {
            mine = set;
            continue;
        }
        // Fields this write changed move to its manager; removed fields belong to nobody.
        let remaining: FieldSet = if owner.applied.is_some() {
            set
        } else {
            set.difference(&changed).cloned().collect()
        };
        // Entries that are not objects own nothing (`remaining` is empty) and are dropped.
        if let (false, Value::Object(mut entry)) = (remaining.is_empty(), e) {
            entry.insert("fieldsV1".into(), patch::fields_v1(&remaining));
            entries.push(Value::Object(entry));
        }
    }
    let new_set: FieldSet = match owner.applied {
        Some(applied) => patch::field_set(applied),
        None => {
            let present = patch::field_set(obj);
            mine.union(&changed)
                .filter(|p| present.contains(*p))
                .cloned()
                .collect()
        }
    };
    if !new_set.is_empty() {
        entries.push(Value::Object(new_entry(owner, &new_set)));
    }
    let m = meta_mut(obj);
    if entries.is_empty() {
        m.remove("managedFields");
    } else {
        m.insert("managedFields".into(), Value::Array(entries));
    }
}

/// The managedFields entry of this write.
fn new_entry(owner: &Ownership<'_>, fields: &FieldSet) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("manager".into(), json!(owner.manager));
    entry.insert("operation".into(), json!(owner.operation));
    entry.insert("apiVersion".into(), json!(owner.api_version));
    entry.insert("time".into(), json!(now_rfc3339()));
    entry.insert("fieldsType".into(), json!("FieldsV1"));
    entry.insert("fieldsV1".into(), patch::fields_v1(fields));
    if let Some(sub) = owner.subresource {
        entry.insert("subresource".into(), json!(sub));
    }
    entry
}

/// The fields other managers own, and this manager's previous Apply set.
pub fn apply_ownership(live: &Value, manager: &str) -> (FieldSet, FieldSet) {
    let mut mine = FieldSet::new();
    let mut others = FieldSet::new();
    for e in entries_of(Some(live)) {
        let set = fields_of(&e);
        if e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some("Apply")
        {
            mine = set;
        } else {
            others.extend(set);
        }
    }
    (mine, others)
}
