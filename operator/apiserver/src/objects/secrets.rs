//! What the real server does to a Secret before storing it: `stringData` is merged into `data`
//! (and dropped), `type` defaults to `Opaque` and may not change, `data` values are base64 and
//! keys valid, and the built-in types carry the keys their consumers need (an ssh-auth Secret
//! without `ssh-privatekey` is refused, as Kubernetes refuses it).

use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{ApiError, Cause};
use crate::registry::ResourceDef;

const OPAQUE: &str = "Opaque";

/// The longest a data key may be, as for ConfigMap keys.
const MAX_KEY_LENGTH: usize = 253;

/// Whether `def` is the core Secret resource.
pub fn is_secret(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.plural == "secrets"
}

/// Admits a Secret: `old` is the stored object on an update, `None` on a create.
pub fn admit_secret(obj: &mut Value, name: &str, old: Option<&Value>) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Ok(());
    };
    let mut causes = merge_string_data(map);
    let secret_type = map
        .entry("type")
        .or_insert_with(|| Value::String(OPAQUE.to_string()));
    if secret_type.as_str().is_some_and(str::is_empty) {
        *secret_type = Value::String(OPAQUE.to_string());
    }
    let secret_type = secret_type.as_str().unwrap_or(OPAQUE).to_string();
    let data = map.get("data").and_then(Value::as_object);
    if let Some(data) = data {
        causes.extend(
            data.iter()
                .flat_map(|(key, value)| data_problems(key, value)),
        );
    }
    causes.extend(type_problems(&secret_type, data));
    let old_type = old.and_then(|o| o.get("type")).and_then(Value::as_str);
    if let Some(old_type) = old_type.filter(|t| *t != secret_type) {
        causes.push(cause(
            "FieldValueInvalid",
            "type",
            format!("Invalid value: {secret_type:?}: field is immutable (was {old_type:?})"),
        ));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("Secret", "", name, causes))
    }
}

/// Moves `stringData` into `data` (base64-encoded; `stringData` wins on a shared key), as the
/// real server's conversion does, so `stringData` is never stored.
fn merge_string_data(map: &mut Map<String, Value>) -> Vec<Cause> {
    let Some(string_data) = map.remove("stringData") else {
        return Vec::new();
    };
    let Value::Object(string_data) = string_data else {
        return vec![cause(
            "FieldValueInvalid",
            "stringData",
            "Invalid value: must be a map of strings",
        )];
    };
    let mut causes = Vec::new();
    let engine = base64::engine::general_purpose::STANDARD;
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if data.is_null() {
        *data = Value::Object(Map::new());
    }
    let Some(data) = data.as_object_mut() else {
        return causes;
    };
    for (key, value) in string_data {
        match value.as_str() {
            Some(text) => {
                data.insert(key, Value::String(engine.encode(text)));
            }
            None => causes.push(cause(
                "FieldValueInvalid",
                &format!("stringData[{key}]"),
                "Invalid value: must be a string",
            )),
        }
    }
    causes
}

/// A data key must be a valid key (`[-._a-zA-Z0-9]+`, not `.` or `..`) and its value base64.
fn data_problems(key: &str, value: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let field = format!("data[{key}]");
    let key_ok = !key.is_empty()
        && key.len() <= MAX_KEY_LENGTH
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !key_ok {
        causes.push(cause(
            "FieldValueInvalid",
            &field,
            format!(
                "Invalid value: {key:?}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (at most {MAX_KEY_LENGTH} characters, not '.' or '..')"
            ),
        ));
    }
    let decodes = value
        .as_str()
        .is_some_and(|v| base64::engine::general_purpose::STANDARD.decode(v).is_ok());
    if !decodes && !value.is_null() {
        causes.push(cause(
            "FieldValueInvalid",
            &field,
            "Invalid value: must be a base64-encoded string",
        ));
    }
    causes
}

/// The keys each built-in Secret type requires.
fn type_problems(secret_type: &str, data: Option<&Map<String, Value>>) -> Vec<Cause> {
    let has = |key: &str| data.is_some_and(|d| d.contains_key(key));
    let non_empty = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    let required = |key: &str| {
        cause(
            "FieldValueRequired",
            &format!("data[{key}]"),
            "Required value",
        )
    };
    match secret_type {
        "kubernetes.io/ssh-auth" if !non_empty("ssh-privatekey") => {
            vec![required("ssh-privatekey")]
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            vec![required("username"), required("password")]
        }
        "kubernetes.io/tls" => ["tls.crt", "tls.key"]
            .into_iter()
            .filter(|key| !has(key))
            .map(required)
            .collect(),
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            vec![required(".dockerconfigjson")]
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => vec![required(".dockercfg")],
        _ => Vec::new(),
    }
}

fn cause(reason: &str, field: &str, message: impl Into<String>) -> Cause {
    Cause {
        reason: reason.to_string(),
        message: message.into(),
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn admit(obj: Value) -> Result<Value, ApiError> {
        let mut obj = obj;
        admit_secret(&mut obj, "s", None).map(|()| obj)
    }

    #[test]
    fn string_data_is_merged_into_data_and_the_type_defaults_to_opaque() {
        let obj = admit(json!({"data": {"a": "eA==", "b": "eA=="}, "stringData": {"b": "yz"}}));
        assert_eq!(
            obj.unwrap(),
            json!({"data": {"a": "eA==", "b": "eXo="}, "type": "Opaque"})
        );
    }

    #[test]
    fn an_ssh_auth_secret_needs_a_private_key() {
        let error =
            admit(json!({"type": "kubernetes.io/ssh-auth", "data": {"known_hosts": "eA=="}}))
                .unwrap_err();
        assert_eq!(error.code, 422);
        assert_eq!(
            error.message,
            "Secret \"s\" is invalid: data[ssh-privatekey]: Required value"
        );
        let ok =
            admit(json!({"type": "kubernetes.io/ssh-auth", "stringData": {"ssh-privatekey": "k"}}));
        assert!(ok.is_ok());
    }

    #[test]
    fn tls_and_basic_auth_name_their_missing_keys() {
        let error =
            admit(json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}})).unwrap_err();
        assert!(
            error.message.contains("data[tls.key]: Required value"),
            "{}",
            error.message
        );
        let error = admit(json!({"type": "kubernetes.io/basic-auth"})).unwrap_err();
        assert!(
            error.message.contains("data[username]"),
            "{}",
            error.message
        );
        assert!(
            admit(json!({"type": "kubernetes.io/basic-auth", "data": {"password": ""}})).is_ok()
        );
    }

    #[test]
    fn bad_keys_and_values_that_are_not_base64_are_invalid() {
        let error = admit(json!({"data": {"a/b": "eA==", "c": "not base64!"}})).unwrap_err();
        assert!(error.message.contains("data[a/b]"), "{}", error.message);
        assert!(
            error
                .message
                .contains("data[c]: Invalid value: must be a base64"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_type_cannot_change() {
        let old = json!({"type": "Opaque"});
        let mut new = json!({"type": "kubernetes.io/basic-auth", "data": {"username": "eA=="}});
        let error = admit_secret(&mut new, "s", Some(&old)).unwrap_err();
        assert!(
            error.message.contains("type: Invalid value"),
            "{}",
            error.message
        );
    }
}
