//! Creating objects (POST, and server-side apply of a missing object): the object is placed in
//! the URL's namespace, named, given the metadata the server owns, admitted and stored.

use serde_json::{Map, Value, json};

use super::admission::{admit_crd, apply_schema, check_names, check_type};
use super::labels::check_labels;
use super::managed_fields::{Ownership, record_managed_fields};
use super::metadata::{meta_mut, meta_str, name_suffix, new_uid, now_rfc3339, tracks_generation};
use super::secrets::{admit_secret, is_secret};
use super::{WriteOpts, from_view, into_view, key};
use crate::cluster::{Obj, Reply, Txn};
use crate::error::ApiError;
use crate::registry::{CRD_STORE, NAMESPACE_STORE, ResourceDef};

/// Creates an object (POST, or server-side apply of a missing object when `apply_manager`).
pub fn create(
    txn: &mut Txn<'_>,
    def: &ResourceDef,
    namespace: Option<&str>,
    mut obj: Value,
    opts: &WriteOpts,
    apply_manager: bool,
) -> Result<Reply, ApiError> {
    check_type(def, &mut obj)?;
    let mut obj = from_view(def, obj);
    let mut warnings = Vec::new();
    {
        let m = meta_mut(&mut obj);
        place_in_namespace(def, m, namespace)?;
        assign_name(def, m)?;
    }
    let name = meta_str(&obj, "name").unwrap_or("").to_string();
    check_names(def, &name)?;
    check_labels(def, &obj, &name)?;
    if def.namespaced {
        let ns = meta_str(&obj, "namespace").unwrap_or("default");
        if txn.get(NAMESPACE_STORE, ns).is_none() {
            return Err(ApiError::not_found("", "namespaces", ns));
        }
    }
    let k = key(def, meta_str(&obj, "namespace"), &name);
    if txn.get(&def.store, &k).is_some() {
        return Err(ApiError::already_exists(&def.group, &def.plural, &name));
    }
    reset_server_metadata(def, &mut obj);
    apply_schema(def, &mut obj, &name, opts, &mut warnings)?;
    if def.store == CRD_STORE {
        admit_crd(&mut obj, &name)?;
    }
    if is_secret(def) {
        admit_secret(&mut obj, &name, None)?;
    }
    if def.store == NAMESPACE_STORE {
        set_namespace_defaults(&mut obj);
    }
    let applied = apply_manager.then(|| obj.clone());
    let owner = Ownership {
        manager: &opts.manager,
        operation: if apply_manager { "Apply" } else { "Update" },
        subresource: None,
        applied: applied.as_ref(),
        api_version: &def.api_version(),
    };
    record_managed_fields(&mut obj, None, &owner);
    if opts.dry_run {
        Obj::stamped(txn.cluster().rev, &mut obj);
    } else {
        obj = txn.put(&def.store, &k, obj);
    }
    Ok(Reply {
        code: 201,
        body: into_view(def, obj),
        warnings,
    })
}

/// Namespaced objects go to the URL's namespace (a different one in the body is a 400);
/// cluster-scoped objects have none.
fn place_in_namespace(
    def: &ResourceDef,
    m: &mut Map<String, Value>,
    namespace: Option<&str>,
) -> Result<(), ApiError> {
    if !def.namespaced {
        m.remove("namespace");
        return Ok(());
    }
    let url_ns = namespace.unwrap_or("default");
    match m.get("namespace").and_then(Value::as_str) {
        Some(ns) if ns != url_ns => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {
            m.insert("namespace".into(), Value::String(url_ns.to_string()));
            Ok(())
        }
    }
}

/// Keeps the given name, or makes one from `generateName`; one of them is required.
fn assign_name(def: &ResourceDef, m: &mut Map<String, Value>) -> Result<(), ApiError> {
    let name = m.get("name").and_then(Value::as_str).unwrap_or("");
    if !name.is_empty() {
        return Ok(());
    }
    match m.get("generateName").and_then(Value::as_str) {
        Some(prefix) if !prefix.is_empty() => {
            let generated = format!("{prefix}{}", name_suffix());
            m.insert("name".into(), Value::String(generated));
            Ok(())
        }
        _ => Err(ApiError::invalid_field(
            &def.kind,
            &def.group,
            "",
            "FieldValueRequired",
            "metadata.name",
            "Required value: name or generateName is required",
        )),
    }
}

/// Drops what clients may not set on create and stamps what the server owns: uid, creation
/// time and the first generation. A custom resource's status starts empty (it has its own
/// subresource).
fn reset_server_metadata(def: &ResourceDef, obj: &mut Value) {
    if def.status_subresource
        && def.custom
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    let m = meta_mut(obj);
    for f in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    ] {
        m.remove(f);
    }
    m.insert("uid".into(), Value::String(new_uid()));
    m.insert("creationTimestamp".into(), Value::String(now_rfc3339()));
    if tracks_generation(def) {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
}

/// A new namespace is Active and carries the `kubernetes` finalizer unless it names its own.
fn set_namespace_defaults(obj: &mut Value) {
    let Some(m) = obj.as_object_mut() else {
        return;
    };
    m.insert("status".into(), json!({"phase": "Active"}));
    let spec = m.entry("spec").or_insert(Value::Null);
    // Admission let only an object or null through; null counts as absent.
    if spec.is_null() {
        *spec = json!({});
    }
    if let Some(spec) = spec.as_object_mut() {
        spec.entry("finalizers")
            .or_insert_with(|| json!(["kubernetes"]));
    }
}

/// The namespaces that exist on a fresh server.
pub fn bootstrap_namespaces(txn: &mut Txn<'_>) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        if txn.get(NAMESPACE_STORE, ns).is_none() {
            let obj = json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "uid": new_uid(), "creationTimestamp": now_rfc3339(),
                             "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            txn.put(NAMESPACE_STORE, ns, obj);
        }
    }
}
