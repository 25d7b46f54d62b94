//! Object write semantics shared by every resource: create, update, patch, status writes and
//! deletion, with the metadata the server owns (uid, timestamps, resourceVersion, generation,
//! managedFields), optimistic concurrency, status masking, finalizers and schema processing.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use patchwarden_k8s_rules::names;
use serde_json::{Map, Value, json};

use crate::cluster::{Obj, Reply, Txn};
use crate::error::{ApiError, Cause, qualified};
use crate::events;
use crate::patch::{self, FieldSet};
use crate::registry::{CRD_STORE, NAMESPACE_STORE, ResourceDef, View};
use crate::schema;

/// How unknown fields are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

/// Per-request write options.
#[derive(Debug, Clone)]
pub struct WriteOpts {
    pub manager: String,
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

/// The storage key of an object.
pub fn key(def: &ResourceDef, namespace: Option<&str>, name: &str) -> String {
    match (def.namespaced, namespace) {
        (true, Some(ns)) => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

/// The stored object shown through `def`'s view.
pub fn to_view(def: &ResourceDef, stored: &Value) -> Value {
    match def.view {
        View::CoreEvent => events::to_core(stored),
        View::EventsV1 => events::to_events_v1(stored),
        View::Plain => {
            let api_version = def.api_version();
            if stored.get("apiVersion").and_then(Value::as_str) == Some(api_version.as_str()) {
                stored.clone()
            } else {
                let mut v = stored.clone();
                if let Some(m) = v.as_object_mut() {
                    m.insert("apiVersion".into(), Value::String(api_version));
                }
                v
            }
        }
    }
}

/// Whether the stored bytes can be sent as they are for this view.
pub fn stored_bytes_usable(def: &ResourceDef, obj: &Obj) -> bool {
    stored_bytes_usable_value(def, &obj.value)
}

/// Whether a stored value already is in `def`'s view.
pub fn stored_bytes_usable_value(def: &ResourceDef, value: &Value) -> bool {
    def.view == View::Plain
        && value.get("apiVersion").and_then(Value::as_str) == Some(def.api_version().as_str())
}

/// An incoming object in `def`'s view, converted to the stored form.
fn from_view(def: &ResourceDef, incoming: Value) -> Value {
    match def.view {
        View::CoreEvent => events::from_core(&incoming),
        _ => incoming,
    }
}

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
fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    random_bytes::<5>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn meta(v: &Value) -> Option<&Map<String, Value>> {
    v.get("metadata").and_then(Value::as_object)
}

fn meta_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    if !v.get("metadata").is_some_and(Value::is_object) {
        v["metadata"] = Value::Object(Map::new());
    }
    match &mut v["metadata"] {
        Value::Object(m) => m,
        _ => unreachable!("metadata was made an object just above"),
    }
}

fn meta_str<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    meta(v)?.get(field)?.as_str()
}

fn finalizers(v: &Value) -> Vec<String> {
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

/// The object without metadata (and without status when `mask_status`): what generation tracks.
fn spec_part(v: &Value, mask_status: bool) -> Value {
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
fn tracks_generation(def: &ResourceDef) -> bool {
    def.custom || def.status_subresource
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

/// Records field ownership in `metadata.managedFields`.
fn record_managed_fields(
    obj: &mut Value,
    old: Option<&Value>,
    manager: &str,
    operation: &str,
    subresource: Option<&str>,
    applied: Option<&Value>,
    api_version: &str,
) {
    let old_entries: Vec<Value> = old
        .and_then(meta)
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let changed = changed_fields(old, obj);
    let same_entry = |e: &Value| {
        e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some(operation)
            && e.get("subresource").and_then(Value::as_str) == subresource
    };
    let mut entries: Vec<Value> = Vec::new();
    let mut mine: FieldSet = FieldSet::new();
    for e in &old_entries {
        let set = e
            .get("fieldsV1")
            .map(patch::parse_fields_v1)
            .unwrap_or_default();
        if same_entry(e) {
            mine = set;
            continue;
        }
        // Fields this write changed move to its manager; removed fields belong to nobody.
        let remaining: FieldSet = if applied.is_some() {
            set
        } else {
            set.difference(&changed).cloned().collect()
        };
        if remaining.is_empty() {
            continue;
        }
        let mut e = e.clone();
        e["fieldsV1"] = patch::fields_v1(&remaining);
        entries.push(e);
    }
    let new_set: FieldSet = match applied {
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
        let mut entry = json!({
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": now_rfc3339(),
            "fieldsType": "FieldsV1",
            "fieldsV1": patch::fields_v1(&new_set),
        });
        if let Some(sub) = subresource {
            entry["subresource"] = json!(sub);
        }
        entries.push(entry);
    }
    let m = meta_mut(obj);
    if entries.is_empty() {
        m.remove("managedFields");
    } else {
        m.insert("managedFields".into(), Value::Array(entries));
    }
}

/// The fields other managers own, and this manager's previous Apply set.
fn apply_ownership(live: &Value, manager: &str) -> (FieldSet, FieldSet) {
    let mut mine = FieldSet::new();
    let mut others = FieldSet::new();
    if let Some(entries) = meta(live)
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
    {
        for e in entries {
            let set = e
                .get("fieldsV1")
                .map(patch::parse_fields_v1)
                .unwrap_or_default();
            if e.get("manager").and_then(Value::as_str) == Some(manager)
                && e.get("operation").and_then(Value::as_str) == Some("Apply")
            {
                mine = set;
            } else {
                others.extend(set);
            }
        }
    }
    (mine, others)
}

/// Runs the CRD schema on an object; unknown fields follow `fieldValidation`.
fn apply_schema(
    def: &ResourceDef,
    obj: &mut Value,
    name: &str,
    opts: &WriteOpts,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let Some(schema) = &def.schema else {
        return Ok(());
    };
    let outcome = schema::process(schema, obj);
    if !outcome.unknown_fields.is_empty() {
        match opts.field_validation {
            FieldValidation::Strict => {
                let listed: Vec<String> = outcome
                    .unknown_fields
                    .iter()
                    .map(|f| format!("unknown field \"{f}\""))
                    .collect();
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"{v}\" cannot be handled as a {kind}: strict decoding error: {}",
                    listed.join(", "),
                    kind = def.kind,
                    v = def.version
                )));
            }
            FieldValidation::Warn => {
                for f in &outcome.unknown_fields {
                    warnings.push(format!("unknown field \"{f}\""));
                }
            }
            FieldValidation::Ignore => {}
        }
    }
    if !outcome.causes.is_empty() {
        return Err(ApiError::invalid(
            &def.kind,
            &def.group,
            name,
            outcome.causes,
        ));
    }
    Ok(())
}

/// Checks an object name as the real server does: namespaces are DNS-1123 labels, custom
/// resources and CRDs DNS-1123 subdomains, other built-ins any name usable as a path segment.
fn check_names(def: &ResourceDef, name: &str) -> Result<(), ApiError> {
    let checked = if def.plural == "namespaces" {
        names::check_dns1123_label(name)
    } else if def.custom || def.store == CRD_STORE {
        names::check_dns1123_subdomain(name)
    } else {
        // Kubernetes' path-segment rule (`IsValidPathSegmentName`), kept within the length of
        // a subdomain.
        let mut problems = Vec::new();
        if name == "." || name == ".." {
            problems.push(format!("may not be '{name}'"));
        }
        for forbidden in ["/", "%"] {
            if name.contains(forbidden) {
                problems.push(format!("may not contain '{forbidden}'"));
            }
        }
        if name.len() > names::DNS1123_SUBDOMAIN_MAX_LENGTH {
            problems.push(format!(
                "must be no more than {} characters",
                names::DNS1123_SUBDOMAIN_MAX_LENGTH
            ));
        }
        return if problems.is_empty() {
            Ok(())
        } else {
            Err(invalid_name(def, name, problems))
        };
    };
    checked.map_err(|invalid| {
        let problems = invalid.problems().iter().map(ToString::to_string).collect();
        invalid_name(def, name, problems)
    })
}

/// A 422 with one `metadata.name` cause per reason, as the real server lists them.
fn invalid_name(def: &ResourceDef, name: &str, problems: Vec<String>) -> ApiError {
    let causes = problems
        .into_iter()
        .map(|problem| Cause {
            reason: "FieldValueInvalid".to_string(),
            message: format!("Invalid value: {name:?}: {problem}"),
            field: "metadata.name".to_string(),
        })
        .collect();
    ApiError::invalid(&def.kind, &def.group, name, causes)
}

/// Checks the body's `apiVersion`/`kind` against the endpoint (400 when they disagree) and
/// fills them in when absent.
pub fn check_type(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the object provided is unrecognized: expected a JSON object",
        ));
    };
    let expected_av = def.api_version();
    let kind = map.get("kind").and_then(Value::as_str).map(str::to_string);
    let av = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(kind) = &kind
        && kind != &def.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            def.kind
        )));
    }
    if let Some(av) = &av
        && av != &expected_av
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({expected_av})"
        )));
    }
    map.insert("apiVersion".into(), Value::String(expected_av));
    map.insert("kind".into(), Value::String(def.kind.clone()));
    if map.get("metadata").is_some_and(|m| !m.is_object()) {
        return Err(ApiError::bad_request("metadata: expected an object"));
    }
    Ok(())
}

/// A CRD as the server keeps it: with `Established`/`NamesAccepted` conditions and
/// `acceptedNames`, or a 422 listing what is wrong with it.
fn admit_crd(obj: &mut Value, name: &str) -> Result<(), ApiError> {
    if let Err(causes) = crate::registry::crd_resources(obj) {
        return Err(ApiError::invalid(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            name,
            causes,
        ));
    }
    let now = now_rfc3339();
    let names = obj.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let versions: Vec<Value> = obj
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    let condition = |t: &str, reason: &str, message: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
    if let Some(m) = obj.as_object_mut() {
        m.insert(
            "status".into(),
            json!({
                "acceptedNames": names,
                "storedVersions": versions,
                "conditions": [
                    condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                    condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                ],
            }),
        );
    }
    Ok(())
}

fn namespace_exists(txn: &Txn<'_>, ns: &str) -> bool {
    txn.get(NAMESPACE_STORE, ns).is_some()
}

/// Creates an object (POST, or server-side apply of a missing object).
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
        if def.namespaced {
            let url_ns = namespace.unwrap_or("default");
            match m.get("namespace").and_then(Value::as_str) {
                Some(ns) if ns != url_ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {
                    m.insert("namespace".into(), Value::String(url_ns.to_string()));
                }
            }
        } else {
            m.remove("namespace");
        }
        let name = m.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            match m.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => {
                    let generated = format!("{prefix}{}", name_suffix());
                    m.insert("name".into(), Value::String(generated));
                }
                _ => {
                    return Err(ApiError::invalid_field(
                        &def.kind,
                        &def.group,
                        "",
                        "FieldValueRequired",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    ));
                }
            }
        }
    }
    let name = meta_str(&obj, "name").unwrap_or("").to_string();
    check_names(def, &name)?;
    if def.namespaced {
        let ns = meta_str(&obj, "namespace").unwrap_or("default").to_string();
        if !namespace_exists(txn, &ns) {
            return Err(ApiError::not_found("", "namespaces", &ns));
        }
    }
    let k = key(def, meta_str(&obj, "namespace"), &name);
    if txn.get(&def.store, &k).is_some() {
        return Err(ApiError::already_exists(&def.group, &def.plural, &name));
    }
    if def.status_subresource
        && def.custom
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    {
        let m = meta_mut(&mut obj);
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
    apply_schema(def, &mut obj, &name, opts, &mut warnings)?;
    if def.store == CRD_STORE {
        admit_crd(&mut obj, &name)?;
    }
    if def.store == NAMESPACE_STORE
        && let Some(m) = obj.as_object_mut()
    {
        m.insert("status".into(), json!({"phase": "Active"}));
        let spec = m.entry("spec").or_insert_with(|| json!({}));
        if spec.get("finalizers").is_none() {
            spec["finalizers"] = json!(["kubernetes"]);
        }
    }
    let applied = if apply_manager {
        Some(obj.clone())
    } else {
        None
    };
    record_managed_fields(
        &mut obj,
        None,
        &opts.manager,
        if apply_manager { "Apply" } else { "Update" },
        None,
        applied.as_ref(),
        &def.api_version(),
    );
    let stored = if opts.dry_run {
        Arc::new(Obj::new(txn.cluster().rev, obj))
    } else {
        txn.put(&def.store, &k, obj)
    };
    Ok(Reply {
        code: 201,
        body: to_view(def, &stored.value),
        warnings,
    })
}

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

/// Applies an update to an existing object: the common path of PUT and every patch type.
#[allow(clippy::too_many_arguments)]
pub fn update(
    txn: &mut Txn<'_>,
    def: &ResourceDef,
    namespace: Option<&str>,
    name: &str,
    old: &Arc<Obj>,
    incoming: Value,
    status_subresource: bool,
    kind: UpdateKind,
    opts: &WriteOpts,
) -> Result<Reply, ApiError> {
    let mut new = incoming;
    check_type(def, &mut new)?;
    let mut new = from_view(def, new);
    let old_value = &old.value;
    let mut warnings = Vec::new();
    // Optimistic concurrency: a resourceVersion in the request must match.
    match meta_str(&new, "resourceVersion") {
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
    match meta_str(&new, "name") {
        Some(n) if n != name => {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        _ => {}
    }
    if def.namespaced
        && let Some(ns) = meta_str(&new, "namespace")
        && Some(ns) != namespace
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if status_subresource {
        // Only the status stanza of a /status write counts.
        let mut merged = old_value.clone();
        if let Some(m) = merged.as_object_mut() {
            match new.get("status") {
                Some(s) => {
                    m.insert("status".into(), s.clone());
                }
                None => {
                    m.remove("status");
                }
            }
        }
        let incoming_mf = meta(&new).and_then(|m| m.get("managedFields")).cloned();
        new = merged;
        if let Some(mf) = incoming_mf {
            meta_mut(&mut new).insert("managedFields".into(), mf);
        }
    } else if def.status_subresource
        && let Some(m) = new.as_object_mut()
    {
        match old_value.get("status") {
            Some(s) => {
                m.insert("status".into(), s.clone());
            }
            None => {
                m.remove("status");
            }
        }
    }
    // Server-owned metadata always comes from the stored object.
    {
        let old_meta = meta(old_value).cloned().unwrap_or_default();
        let m = meta_mut(&mut new);
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "name",
            "namespace",
        ] {
            match old_meta.get(f) {
                Some(v) => {
                    m.insert(f.into(), v.clone());
                }
                None => {
                    m.remove(f);
                }
            }
        }
        m.remove("resourceVersion");
        if !m.contains_key("managedFields")
            && let Some(mf) = old_meta.get("managedFields")
        {
            m.insert("managedFields".into(), mf.clone());
        }
    }
    let terminating = meta(old_value).is_some_and(|m| m.contains_key("deletionTimestamp"));
    if terminating {
        let before: BTreeSet<String> = finalizers(old_value).into_iter().collect();
        let added: Vec<String> = finalizers(&new)
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        if !added.is_empty() {
            return Err(ApiError::invalid_field(
                &def.kind,
                &def.group,
                name,
                "FieldValueForbidden",
                "metadata.finalizers",
                format!(
                    "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
                ),
            ));
        }
    }
    apply_schema(def, &mut new, name, opts, &mut warnings)?;
    if def.store == CRD_STORE && !status_subresource {
        admit_crd(&mut new, name)?;
        // Re-admitting an unchanged CRD keeps its conditions (and their transition times).
        let same = |field: &str| new.pointer(field) == old_value.pointer(field);
        if same("/status/acceptedNames")
            && same("/status/storedVersions")
            && let (Some(m), Some(old_status)) = (new.as_object_mut(), old_value.get("status"))
        {
            m.insert("status".into(), old_status.clone());
        }
    }
    if tracks_generation(def) && !status_subresource {
        let mask = def.status_subresource;
        if spec_part(&new, mask) != spec_part(old_value, mask) {
            let generation = meta(old_value)
                .and_then(|m| m.get("generation"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            meta_mut(&mut new).insert("generation".into(), json!(generation + 1));
        }
    }
    let subresource = if status_subresource {
        Some("status")
    } else {
        None
    };
    let (operation, applied) = match &kind {
        UpdateKind::Apply(cfg) => ("Apply", Some(cfg)),
        _ => ("Update", None),
    };
    // An update that changes nothing keeps the revision (clients rely on no-op writes being free).
    let mut compare_old = old_value.clone();
    if let Some(m) = compare_old
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    {
        m.remove("resourceVersion");
    }
    if new == compare_old {
        return Ok(Reply {
            code: 200,
            body: to_view(def, old_value),
            warnings,
        });
    }
    record_managed_fields(
        &mut new,
        Some(old_value),
        &opts.manager,
        operation,
        subresource,
        applied,
        &def.api_version(),
    );
    let k = key(def, namespace, name);
    if terminating && finalizers(&new).is_empty() {
        // The last finalizer is gone: the object is deleted inside this update.
        if opts.dry_run {
            return Ok(Reply {
                code: 200,
                body: to_view(def, &new),
                warnings,
            });
        }
        let removed = txn.remove_as(&def.store, &k, Some(new.clone()));
        let body = removed
            .map(|o| to_view(def, &o.value))
            .unwrap_or_else(|| to_view(def, &new));
        return Ok(Reply {
            code: 200,
            body,
            warnings,
        });
    }
    let stored = if opts.dry_run {
        Arc::new(Obj::new(old.rev, new))
    } else {
        txn.put(&def.store, &k, new)
    };
    Ok(Reply {
        code: 200,
        body: to_view(def, &stored.value),
        warnings,
    })
}

/// The patch formats accepted on PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Apply,
}

/// Applies a patch (or server-side apply) to an object.
#[allow(clippy::too_many_arguments)]
pub fn patch(
    txn: &mut Txn<'_>,
    def: &ResourceDef,
    namespace: Option<&str>,
    name: &str,
    patch_type: PatchType,
    body: Value,
    status_subresource: bool,
    force: bool,
    opts: &WriteOpts,
) -> Result<Reply, ApiError> {
    let _ = force; // Conflicts are never reported, so forcing changes nothing.
    let k = key(def, namespace, name);
    let Some(old) = txn.get(&def.store, &k) else {
        if patch_type == PatchType::Apply && !status_subresource {
            let mut obj = body;
            if let Some(m) = obj.as_object_mut() {
                let md = m.entry("metadata").or_insert_with(|| json!({}));
                if md.get("name").is_none() && md.is_object() {
                    md["name"] = json!(name);
                }
            }
            if meta_str(&obj, "name") != Some(name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    meta_str(&obj, "name").unwrap_or("")
                )));
            }
            return create(txn, def, namespace, obj, opts, true);
        }
        return Err(ApiError::not_found(&def.group, &def.plural, name));
    };
    let current = to_view(def, &old.value);
    let (patched, kind) = match patch_type {
        PatchType::Json => {
            let mut without_rv = current.clone();
            let patched = crate::patch::json_patch(&without_rv, &body).map_err(|e| match e {
                crate::patch::PatchError::Malformed(m) => ApiError::bad_request(m),
                other => ApiError::new(422, "Invalid", other.to_string()),
            })?;
            // A resourceVersion the patch itself changed is a precondition; the one it kept
            // from the current object is not.
            let rv_after = patched.pointer("/metadata/resourceVersion").cloned();
            if let Some(m) = without_rv
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
            {
                m.remove("resourceVersion");
            }
            let mut patched = patched;
            if rv_after == current.pointer("/metadata/resourceVersion").cloned()
                && let Some(m) = patched.get_mut("metadata").and_then(Value::as_object_mut)
            {
                m.remove("resourceVersion");
            }
            (patched, UpdateKind::Patch)
        }
        PatchType::Merge => {
            if !body.is_object() {
                return Err(ApiError::bad_request(
                    "the merge patch must be a JSON object",
                ));
            }
            let mut base = current.clone();
            if let Some(m) = base.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            (crate::patch::merge_patch(&base, &body), UpdateKind::Patch)
        }
        PatchType::Apply => {
            let mut base = current.clone();
            if let Some(m) = base.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            let (mine, others) = apply_ownership(&old.value, &opts.manager);
            let mut applied = body.clone();
            if let Some(m) = applied.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("managedFields");
            }
            let merged = crate::patch::apply(Some(&base), &applied, &mine, &others);
            (merged, UpdateKind::Apply(applied))
        }
    };
    update(
        txn,
        def,
        namespace,
        name,
        &old,
        patched,
        status_subresource,
        kind,
        opts,
    )
}

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
pub fn deleted_status(def: &ResourceDef, name: &str, uid: Option<&str>) -> Value {
    let mut details = json!({"name": name, "group": def.group, "kind": def.plural});
    if let Some(uid) = uid {
        details["uid"] = json!(uid);
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

/// Removes every object in one store (or in one namespace across stores).
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

/// DELETE of one object: two-phase when finalizers are present.
pub fn delete(
    txn: &mut Txn<'_>,
    def: &ResourceDef,
    namespace: Option<&str>,
    name: &str,
    opts: &DeleteOpts,
) -> Result<Reply, ApiError> {
    let k = key(def, namespace, name);
    let Some(old) = txn.get(&def.store, &k) else {
        return Err(ApiError::not_found(&def.group, &def.plural, name));
    };
    let uid = meta_str(&old.value, "uid").map(str::to_string);
    if let Some(want) = &opts.precondition_uid
        && uid.as_deref() != Some(want.as_str())
    {
        return Err(ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {want}, UID in object meta: {}",
                qualified(&def.group, &def.plural),
                uid.as_deref().unwrap_or("")
            ),
        )
        .with_details(&def.group, &def.plural, name));
    }
    if let Some(want) = &opts.precondition_rv
        && want != &old.rev.to_string()
    {
        return Err(ApiError::conflict(&def.group, &def.plural, name));
    }
    let pending = finalizers(&old.value);
    if !pending.is_empty() {
        if meta(&old.value).is_some_and(|m| m.contains_key("deletionTimestamp")) {
            return Ok(Reply::ok(to_view(def, &old.value)));
        }
        let mut marked = old.value.clone();
        {
            let m = meta_mut(&mut marked);
            m.insert("deletionTimestamp".into(), json!(now_rfc3339()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if tracks_generation(def) {
                let generation = m.get("generation").and_then(Value::as_i64).unwrap_or(0);
                m.insert("generation".into(), json!(generation + 1));
            }
        }
        if def.store == NAMESPACE_STORE {
            marked["status"] = json!({"phase": "Terminating"});
        }
        let stored = if opts.dry_run {
            Arc::new(Obj::new(old.rev, marked))
        } else {
            txn.put(&def.store, &k, marked)
        };
        return Ok(Reply::ok(to_view(def, &stored.value)));
    }
    if opts.dry_run {
        return Ok(Reply::ok(deleted_status(def, name, uid.as_deref())));
    }
    if def.store == NAMESPACE_STORE {
        // No namespace controller runs here: the namespace's contents go with it.
        let stores: Vec<String> = txn
            .cluster()
            .registry
            .all()
            .iter()
            .filter(|d| d.namespaced)
            .map(|d| d.store.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for s in stores {
            purge(txn, &s, Some(name));
        }
    }
    if def.store == CRD_STORE
        && let Ok(defs) = crate::registry::crd_resources(&old.value)
        && let Some(d) = defs.first()
    {
        purge(txn, &d.store, None);
    }
    txn.remove(&def.store, &k);
    Ok(Reply::ok(deleted_status(def, name, uid.as_deref())))
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
