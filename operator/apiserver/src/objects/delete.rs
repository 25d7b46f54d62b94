//! DELETE of one object: preconditions, then two-phase deletion while finalizers are pending
//! (the object is marked and stays until an update removes the last one), or removal together
//! with what the object contains (a namespace's objects, a CRD's custom resources).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::metadata::{
    finalizers, meta_mut, meta_str, now_rfc3339, terminating, tracks_generation,
};
use super::{ObjectRef, into_view, to_view};
use crate::cluster::{Obj, Reply, Txn};
use crate::error::{ApiError, qualified};
use crate::registry::{CRD_STORE, NAMESPACE_STORE};

/// Deletion options from the DELETE body.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    pub dry_run: bool,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

impl DeleteOpts {
    pub fn parse(body: &Value, dry_run_query: bool) -> DeleteOpts {
        let dry_run = dry_run_query
            || body
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v == "All"));
        DeleteOpts {
            dry_run,
            precondition_uid: body
                .pointer("/preconditions/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            precondition_rv: body
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

/// The Status answered when an object is gone.
pub fn deleted_status(at: ObjectRef<'_>, uid: Option<&str>) -> Value {
    let mut details = Map::new();
    details.insert("name".into(), json!(at.name));
    details.insert("group".into(), json!(at.def.group));
    details.insert("kind".into(), json!(at.def.plural));
    if let Some(uid) = uid {
        details.insert("uid".into(), json!(uid));
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

/// DELETE of one object: two-phase when finalizers are present.
pub fn delete(txn: &mut Txn<'_>, at: ObjectRef<'_>, opts: &DeleteOpts) -> Result<Reply, ApiError> {
    let def = at.def;
    let k = at.key();
    let Some(old) = txn.get(&def.store, &k) else {
        return Err(ApiError::not_found(&def.group, &def.plural, at.name));
    };
    let old_value = old.value();
    let uid = meta_str(&old_value, "uid").map(str::to_string);
    check_preconditions(at, &old, uid.as_deref(), opts)?;
    if !finalizers(&old_value).is_empty() {
        if terminating(&old_value) {
            return Ok(Reply::ok(to_view(def, &old_value)));
        }
        let mut marked = marked_for_deletion(at, &old_value);
        if opts.dry_run {
            Obj::stamped(old.rev, &mut marked);
        } else {
            marked = txn.put(&def.store, &k, marked);
        }
        return Ok(Reply::ok(into_view(def, marked)));
    }
    if !opts.dry_run {
        remove_contents(txn, at, &old_value);
        txn.remove(&def.store, &k);
    }
    Ok(Reply::ok(deleted_status(at, uid.as_deref())))
}

/// The uid and resourceVersion preconditions of the DELETE body (409 when they fail).
fn check_preconditions(
    at: ObjectRef<'_>,
    old: &Obj,
    uid: Option<&str>,
    opts: &DeleteOpts,
) -> Result<(), ApiError> {
    let def = at.def;
    if let Some(want) = &opts.precondition_uid
        && uid != Some(want.as_str())
    {
        return Err(ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": Precondition failed: UID in precondition: {want}, UID in object meta: {}",
                qualified(&def.group, &def.plural),
                at.name,
                uid.unwrap_or("")
            ),
        )
        .with_details(&def.group, &def.plural, at.name));
    }
    if let Some(want) = &opts.precondition_rv
        && want != &old.rev.to_string()
    {
        return Err(ApiError::conflict(&def.group, &def.plural, at.name));
    }
    Ok(())
}

/// The first phase of deleting an object with finalizers: it gets a deletionTimestamp (and a
/// namespace the Terminating phase) and stays until its finalizers are gone.
fn marked_for_deletion(at: ObjectRef<'_>, stored: &Value) -> Value {
    let mut marked = stored.clone();
    let m = meta_mut(&mut marked);
    m.insert("deletionTimestamp".into(), json!(now_rfc3339()));
    m.insert("deletionGracePeriodSeconds".into(), json!(0));
    if tracks_generation(at.def) {
        let generation = m.get("generation").and_then(Value::as_i64).unwrap_or(0);
        m.insert("generation".into(), json!(generation + 1));
    }
    if at.def.store == NAMESPACE_STORE
        && let Some(root) = marked.as_object_mut()
    {
        root.insert("status".into(), json!({"phase": "Terminating"}));
    }
    marked
}

/// What goes with an object: no namespace controller runs here, so a namespace's contents go
/// with it, and a CRD takes its custom resources along.
fn remove_contents(txn: &mut Txn<'_>, at: ObjectRef<'_>, stored: &Value) {
    if at.def.store == NAMESPACE_STORE {
        let stores: BTreeSet<String> = txn
            .cluster()
            .registry
            .all()
            .iter()
            .filter(|d| d.namespaced)
            .map(|d| d.store.clone())
            .collect();
        for s in stores {
            purge(txn, &s, Some(at.name));
        }
    }
    if at.def.store == CRD_STORE
        && let Ok(defs) = crate::registry::crd_resources(stored)
        && let Some(d) = defs.first()
    {
        purge(txn, &d.store, None);
    }
}

/// Removes every object in one store (or in one namespace of it).
fn purge(txn: &mut Txn<'_>, store: &str, namespace: Option<&str>) {
    let keys: Vec<String> = match txn.cluster().store(store) {
        Some(s) => match namespace {
            Some(ns) => {
                let prefix = format!("{ns}/");
                s.range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone())
                    .collect()
            }
            None => s.keys().cloned().collect(),
        },
        None => Vec::new(),
    };
    for k in keys {
        txn.remove(store, &k);
    }
}
