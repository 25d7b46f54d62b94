//! PATCH of an object: a JSON patch, a merge patch or server-side apply turns the current
//! object into the new one, which then takes the update path; apply of a missing object
//! creates it.

use serde_json::{Value, json};

use super::create::create;
use super::managed_fields::apply_ownership;
use super::metadata::{meta_str, strip_resource_version, without_resource_version};
use super::update::{UpdateKind, update};
use super::{ObjectRef, WriteOpts, to_view};
use crate::cluster::{Reply, Txn};
use crate::error::ApiError;
use crate::patch::{self, Limits, OperationError, PatchError};

/// The patch formats accepted on PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Apply,
}

/// One PATCH request: its format, its decoded body, whether it goes to /status, and the
/// bounds of the document a JSON patch may build. (`force` is not part of it: conflicts are
/// never reported, so forcing would change nothing.)
pub struct PatchRequest {
    pub patch_type: PatchType,
    pub body: Value,
    pub status_subresource: bool,
    pub limits: Limits,
}

/// Applies a patch (or server-side apply) to an object.
pub fn patch(
    txn: &mut Txn<'_>,
    at: ObjectRef<'_>,
    request: PatchRequest,
    opts: &WriteOpts,
) -> Result<Reply, ApiError> {
    let Some(old) = txn.get(&at.def.store, &at.key()) else {
        if request.patch_type == PatchType::Apply && !request.status_subresource {
            return apply_create(txn, at, request.body, opts);
        }
        return Err(ApiError::not_found(&at.def.group, &at.def.plural, at.name));
    };
    let old_value = old.value();
    let (patched, kind) = patched_object(at, &old_value, &request, opts)?;
    update(
        txn,
        at,
        (&old, &old_value),
        patched,
        request.status_subresource,
        kind,
        opts,
    )
}

/// Server-side apply of a missing object creates it, named after the URL.
fn apply_create(
    txn: &mut Txn<'_>,
    at: ObjectRef<'_>,
    mut obj: Value,
    opts: &WriteOpts,
) -> Result<Reply, ApiError> {
    if let Some(md) = obj.as_object_mut().and_then(|m| {
        m.entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
    }) {
        md.entry("name").or_insert_with(|| json!(at.name));
    }
    if meta_str(&obj, "name") != Some(at.name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({})",
            meta_str(&obj, "name").unwrap_or(""),
            at.name
        )));
    }
    create(txn, at.def, at.namespace, obj, opts, true)
}

/// The object after the patch, and how the update records ownership.
fn patched_object(
    at: ObjectRef<'_>,
    old_value: &Value,
    request: &PatchRequest,
    opts: &WriteOpts,
) -> Result<(Value, UpdateKind), ApiError> {
    let current = to_view(at.def, old_value);
    let body = &request.body;
    match request.patch_type {
        PatchType::Json => {
            let mut patched =
                patch::json_patch(&current, body, request.limits).map_err(json_patch_error)?;
            // A resourceVersion the patch itself changed is a precondition; the one it kept
            // from the current object is not.
            if patched.pointer("/metadata/resourceVersion")
                == current.pointer("/metadata/resourceVersion")
            {
                strip_resource_version(&mut patched);
            }
            Ok((patched, UpdateKind::Patch))
        }
        PatchType::Merge => {
            if !body.is_object() {
                return Err(ApiError::bad_request(
                    "the merge patch must be a JSON object",
                ));
            }
            let base = without_resource_version(&current);
            Ok((patch::merge_patch(&base, body), UpdateKind::Patch))
        }
        PatchType::Apply => {
            let base = without_resource_version(&current);
            let (mine, others) = apply_ownership(old_value, &opts.manager);
            let mut applied = body.clone();
            if let Some(m) = applied.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("managedFields");
            }
            let merged = patch::apply(Some(&base), &applied, &mine, &others);
            Ok((merged, UpdateKind::Apply(applied)))
        }
    }
}

/// A JSON patch that cannot be applied: 400 when it is not a list of operations, 413 when the
/// document it builds grows too large, 422 otherwise.
fn json_patch_error(e: PatchError) -> ApiError {
    match e {
        PatchError::Malformed(m) => ApiError::bad_request(m),
        PatchError::Failed {
            reason: OperationError::TooLarge { .. },
            ..
        } => ApiError::new(413, "RequestEntityTooLarge", e.to_string()),
        other => ApiError::new(422, "Invalid", other.to_string()),
    }
}
