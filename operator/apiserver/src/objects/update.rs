//! Writes to an existing object, the common path of PUT and every patch type: optimistic
//! concurrency, status masking, server-owned metadata, finalizers of terminating objects,
//! generation, no-op detection and the deletion an update can finish.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::admission::{admit_crd, apply_schema, check_type};
use super::labels::check_labels;
use super::managed_fields::{Ownership, record_managed_fields};
use super::metadata::{
    finalizers, meta, meta_mut, meta_str, set_or_remove, spec_part, terminating, tracks_generation,
    without_resource_version,
};
use super::secrets::{admit_secret, is_secret};
use super::{ObjectRef, WriteOpts, from_view, into_view, to_view};
use crate::cluster::{Obj, Reply, Txn};
use crate::error::ApiError;
use crate::registry::{CRD_STORE, ResourceDef};

/// What a write to an existing object is.
#[derive(Debug, Clone)]
pub enum UpdateKind {
    /// PUT of the whole object.
    Replace,
    /// A JSON or merge patch (ownership as an Update).
    Patch,
    /// Server-side apply of this configuration.
    Apply(Value),
}

/// Metadata only the server sets; an update keeps the stored values.
const SERVER_OWNED: [&str; 7] = [
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "name",
    "namespace",
];

/// Applies an update to the existing object `old` (stored, and parsed): the common path of PUT
/// and every patch type.
pub fn update(
    txn: &mut Txn<'_>,
    at: ObjectRef<'_>,
    (old, old_value): (&Obj, &Value),
    incoming: Value,
    status_subresource: bool,
    kind: UpdateKind,
    opts: &WriteOpts,
) -> Result<Reply, ApiError> {
    let def = at.def;
    let mut new = incoming;
    check_type(def, &mut new)?;
    let new = from_view(def, new);
    let mut warnings = Vec::new();
    check_preconditions(at, old, &new, &kind)?;
    let mut new = scope_to_subresource(def, old_value, new, status_subresource);
    keep_server_metadata(old_value, &mut new);
    check_labels(def, &new, at.name)?;
    let terminating = terminating(old_value);
    if terminating {
        check_no_new_finalizers(at, old_value, &new)?;
    }
    apply_schema(def, &mut new, at.name, opts, &mut warnings)?;
    if !status_subresource {
        if def.store == CRD_STORE {
            readmit_crd(&mut new, old_value, at.name)?;
        }
        if is_secret(def) {
            admit_secret(&mut new, at.name, Some(old_value))?;
        }
        bump_generation(def, old_value, &mut new);
    }
    // An update that changes nothing keeps the revision (clients rely on no-op writes being free).
    if new == without_resource_version(old_value) {
        return Ok(Reply {
            code: 200,
            body: to_view(def, old_value),
            warnings,
        });
    }
    let (operation, applied) = match &kind {
        UpdateKind::Apply(cfg) => ("Apply", Some(cfg)),
        _ => ("Update", None),
    };
    let owner = Ownership {
        manager: &opts.manager,
        operation,
        subresource: status_subresource.then_some("status"),
        applied,
        api_version: &def.api_version(),
    };
    record_managed_fields(&mut new, Some(old_value), &owner);
    let body = if terminating && finalizers(&new).is_empty() {
        finish_deletion(txn, at, new, opts)
    } else {
        let mut stored = new;
        if opts.dry_run {
            Obj::stamped(old.rev, &mut stored);
        } else {
            stored = txn.put(&def.store, &at.key(), stored);
        }
        into_view(def, stored)
    };
    Ok(Reply {
        code: 200,
        body,
        warnings,
    })
}

/// Optimistic concurrency (a resourceVersion in the request must match; a custom resource's
/// PUT must carry one), and the body's name and namespace must be the URL's.
fn check_preconditions(
    at: ObjectRef<'_>,
    old: &Obj,
    new: &Value,
    kind: &UpdateKind,
) -> Result<(), ApiError> {
    let (def, name) = (at.def, at.name);
    match meta_str(new, "resourceVersion") {
        Some(rv) if !rv.is_empty() => {
            if rv != old.rev.to_string() {
                return Err(ApiError::conflict(&def.group, &def.plural, name));
            }
        }
        _ => {
            if matches!(kind, UpdateKind::Replace) && def.custom {
                return Err(ApiError::invalid_field(
                    &def.kind,
                    &def.group,
                    name,
                    "FieldValueInvalid",
                    "metadata.resourceVersion",
                    "Invalid value: 0x0: must be specified for an update",
                ));
            }
        }
    }
    if let Some(n) = meta_str(new, "name")
        && n != name
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({name})"
        )));
    }
    if def.namespaced
        && let Some(ns) = meta_str(new, "namespace")
        && Some(ns) != at.namespace
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// A /status write changes only the status stanza (and may carry managedFields); any other
/// write to a resource with a status subresource keeps the stored status.
fn scope_to_subresource(
    def: &ResourceDef,
    old_value: &Value,
    mut new: Value,
    status_subresource: bool,
) -> Value {
    if status_subresource {
        let mut merged = old_value.clone();
        if let Some(m) = merged.as_object_mut() {
            set_or_remove(m, "status", new.get("status"));
        }
        let incoming_mf = meta(&new).and_then(|m| m.get("managedFields")).cloned();
        if let Some(mf) = incoming_mf {
            meta_mut(&mut merged).insert("managedFields".into(), mf);
        }
        return merged;
    }
    if def.status_subresource
        && let Some(m) = new.as_object_mut()
    {
        set_or_remove(m, "status", old_value.get("status"));
    }
    new
}

/// Server-owned metadata always comes from the stored object; managedFields too unless the
/// write sets them.
fn keep_server_metadata(old_value: &Value, new: &mut Value) {
    let old_meta = meta(old_value).cloned().unwrap_or_default();
    let m = meta_mut(new);
    for f in SERVER_OWNED {
        set_or_remove(m, f, old_meta.get(f));
    }
    m.remove("resourceVersion");
    if !m.contains_key("managedFields")
        && let Some(mf) = old_meta.get("managedFields")
    {
        m.insert("managedFields".into(), mf.clone());
    }
}

/// A terminating object may lose finalizers but not gain any.
fn check_no_new_finalizers(
    at: ObjectRef<'_>,
    old_value: &Value,
    new: &Value,
) -> Result<(), ApiError> {
    let before: BTreeSet<String> = finalizers(old_value).into_iter().collect();
    let added: Vec<String> = finalizers(new)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid_field(
        &at.def.kind,
        &at.def.group,
        at.name,
        "FieldValueForbidden",
        "metadata.finalizers",
        format!(
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
        ),
    ))
}

/// A changed CRD is admitted again; re-admitting an unchanged one keeps its conditions (and
/// their transition times).
fn readmit_crd(new: &mut Value, old_value: &Value, name: &str) -> Result<(), ApiError> {
    admit_crd(new, name)?;
    let same = |field: &str| new.pointer(field) == old_value.pointer(field);
    if same("/status/acceptedNames")
        && same("/status/storedVersions")
        && let (Some(m), Some(old_status)) = (new.as_object_mut(), old_value.get("status"))
    {
        m.insert("status".into(), old_status.clone());
    }
    Ok(())
}

/// The generation counts changes outside metadata (and outside status when it has its own
/// subresource).
fn bump_generation(def: &ResourceDef, old_value: &Value, new: &mut Value) {
    if !tracks_generation(def) {
        return;
    }
    let mask = def.status_subresource;
    if spec_part(new, mask) != spec_part(old_value, mask) {
        let generation = meta(old_value)
            .and_then(|m| m.get("generation"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta_mut(new).insert("generation".into(), json!(generation + 1));
    }
}

/// The last finalizer of a terminating object is gone: the object is deleted inside this
/// update. Returns the body to answer.
fn finish_deletion(txn: &mut Txn<'_>, at: ObjectRef<'_>, new: Value, opts: &WriteOpts) -> Value {
    if opts.dry_run {
        return to_view(at.def, &new);
    }
    let removed = txn.remove_as(&at.def.store, &at.key(), Some(new.clone()));
    removed
        .map(|o| to_view(at.def, &o))
        .unwrap_or_else(|| to_view(at.def, &new))
}
