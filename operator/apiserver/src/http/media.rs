//! Which media types each verb's body may have. POST and PUT take JSON, YAML or the protobuf of
//! the built-in kinds typed clients send; PATCH takes the four patch types (strategic merge
//! only for built-in kinds, as the real server); DELETE takes JSON DeleteOptions or nothing.
//! Anything else is 415 naming what is accepted. Bodies of GET are never read.

use serde_json::Value;

use crate::error::ApiError;
use crate::objects::PatchType;
use crate::protobuf;
use crate::registry::ResourceDef;

const JSON: &str = "application/json";
const YAML: &str = "application/yaml";
const JSON_PATCH: &str = "application/json-patch+json";
const MERGE_PATCH: &str = "application/merge-patch+json";
const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// The body of a POST or PUT: a body needs a media type that names it.
pub fn check_object(content_type: &str, body: &[u8]) -> Result<(), ApiError> {
    let accepted = [JSON, YAML, protobuf::MEDIA_TYPE];
    check(content_type, body, &accepted)
}

/// The optional DeleteOptions body of a DELETE.
pub fn check_delete(content_type: &str, body: &[u8]) -> Result<(), ApiError> {
    check(content_type, body, &[JSON, YAML])
}

fn check(content_type: &str, body: &[u8], accepted: &[&str]) -> Result<(), ApiError> {
    let empty = body.iter().all(u8::is_ascii_whitespace);
    if accepted.contains(&content_type) || (content_type.is_empty() && empty) {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(content_type, accepted))
    }
}

/// The patch type of a PATCH's media type. Strategic merge patches of built-in kinds are
/// read as merge patches: none of their fields merges lists by key, and a patch that uses a
/// strategic directive is refused by [`check_strategic_directives`].
pub fn patch_type(content_type: &str, def: &ResourceDef) -> Result<PatchType, ApiError> {
    match content_type {
        JSON_PATCH => Ok(PatchType::Json),
        MERGE_PATCH => Ok(PatchType::Merge),
        STRATEGIC_MERGE_PATCH if !def.custom => Ok(PatchType::Merge),
        APPLY_PATCH => Ok(PatchType::Apply),
        other => {
            let mut accepted = vec![JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
            if !def.custom {
                accepted.insert(2, STRATEGIC_MERGE_PATCH);
            }
            Err(ApiError::unsupported_media_type(other, &accepted))
        }
    }
}

/// Whether the PATCH's media type is strategic merge.
pub fn is_strategic(content_type: &str) -> bool {
    content_type == STRATEGIC_MERGE_PATCH
}

/// A strategic merge patch read as a merge patch may not use the strategic directives
/// (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`): they would be
/// stored as fields.
pub fn check_strategic_directives(patch: &Value) -> Result<(), ApiError> {
    let mut stack = vec![patch];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(key) = map.keys().find(|k| k.starts_with('$')) {
                    return Err(ApiError::bad_request(format!(
                        "the strategic merge patch directive {key:?} is not supported; send a JSON merge patch ({MERGE_PATCH}) or a JSON patch ({JSON_PATCH})"
                    )));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::Registry;

    #[test]
    fn objects_take_json_yaml_or_protobuf_and_no_type_only_without_a_body() {
        for ct in [JSON, YAML, protobuf::MEDIA_TYPE] {
            assert!(check_object(ct, b"{}").is_ok(), "{ct}");
        }
        assert!(check_object("", b"").is_ok());
        assert_eq!(check_object("", b"{}").unwrap_err().code, 415);
        assert_eq!(check_object("text/plain", b"{}").unwrap_err().code, 415);
        assert_eq!(check_object(MERGE_PATCH, b"{}").unwrap_err().code, 415);
        assert_eq!(
            check_delete(protobuf::MEDIA_TYPE, b"k8s\0")
                .unwrap_err()
                .code,
            415
        );
        assert!(check_delete("", b"  ").is_ok());
    }

    #[test]
    fn strategic_merge_is_for_built_in_kinds_only() {
        let registry = Registry::build(std::iter::empty());
        let config_maps = registry.get("", "v1", "configmaps").unwrap().as_ref();
        let mut custom = config_maps.clone();
        custom.custom = true;
        assert_eq!(
            patch_type(STRATEGIC_MERGE_PATCH, config_maps).unwrap(),
            PatchType::Merge
        );
        let refused = patch_type(STRATEGIC_MERGE_PATCH, &custom).unwrap_err();
        assert_eq!(refused.code, 415);
        assert!(
            !refused.message.contains("strategic-merge-patch+json,"),
            "{}",
            refused.message
        );
        assert_eq!(
            patch_type("application/json", config_maps)
                .unwrap_err()
                .code,
            415
        );
    }

    #[test]
    fn strategic_directives_are_refused_wherever_they_are() {
        assert!(check_strategic_directives(&json!({"metadata": {"labels": {"a": "b"}}})).is_ok());
        let nested = json!({"spec": {"items": [{"$patch": "delete", "name": "x"}]}});
        let error = check_strategic_directives(&nested).unwrap_err();
        assert!(error.message.contains("$patch"), "{}", error.message);
        let order = json!({"metadata": {"$setElementOrder/finalizers": []}});
        assert_eq!(check_strategic_directives(&order).unwrap_err().code, 400);
    }
}
