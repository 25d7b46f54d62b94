//! The checks every written object passes before it is stored: its type matches the endpoint,
//! its name is valid for the resource, custom resources follow their schema, and a
//! CustomResourceDefinition is admitted with the conditions the real server sets.

use patchwarden_k8s_rules::names;
use serde_json::{Value, json};

use super::field_types;
use super::metadata::now_rfc3339;
use super::{FieldValidation, WriteOpts};
use crate::error::{ApiError, Cause};
use crate::registry::{CRD_STORE, ResourceDef};
use crate::schema;

/// Checks the body's `apiVersion`/`kind` against the endpoint (400 when they disagree) and
/// fills them in when absent; well-known fields of the wrong type are a 400 too.
pub fn check_type(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the object provided is unrecognized: expected a JSON object",
        ));
    };
    for field in ["apiVersion", "kind"] {
        if map
            .get(field)
            .is_some_and(|v| !v.is_string() && !v.is_null())
        {
            return Err(ApiError::bad_request(format!("{field}: expected a string")));
        }
    }
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
    field_types::check(def, map).map_err(|wrong| wrong.into_api_error(def))
}

/// Checks an object name as the real server does: namespaces are DNS-1123 labels, custom
/// resources and CRDs DNS-1123 subdomains, other built-ins any name usable as a path segment.
pub fn check_names(def: &ResourceDef, name: &str) -> Result<(), ApiError> {
    let checked = if def.plural == "namespaces" {
        names::check_dns1123_label(name)
    } else if def.custom || def.store == CRD_STORE {
        names::check_dns1123_subdomain(name)
    } else {
        let problems = path_segment_problems(name);
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

/// Kubernetes' path-segment rule (`IsValidPathSegmentName`), kept within the length of a
/// subdomain.
fn path_segment_problems(name: &str) -> Vec<String> {
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
    problems
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

/// Runs the CRD schema on an object; unknown fields follow `fieldValidation`.
pub fn apply_schema(
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

/// A CRD as the server keeps it: with `Established`/`NamesAccepted` conditions and
/// `acceptedNames`, or a 422 listing what is wrong with it.
pub fn admit_crd(obj: &mut Value, name: &str) -> Result<(), ApiError> {
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
