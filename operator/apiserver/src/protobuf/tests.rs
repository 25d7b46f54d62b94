//! Bodies exactly as kubectl 1.32 sent them (`kubectl -v=9` prints them).

use serde_json::json;

use super::*;

fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

/// `kubectl create secret generic s1 --type=kubernetes.io/ssh-auth
/// --from-file=ssh-privatekey=k --from-file=known_hosts=kh` with files "key\n" and "kh\n".
const SSH_SECRET: &str = "6b 38 73 00 0a 0c 0a 02 76 31 12 06 53 65 63 72 65 74 12 58 0a 12 0a 02
    73 31 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 12 0a 0b 6b 6e 6f 77 6e 5f 68 6f 73 74 73
    12 03 6b 68 0a 12 16 0a 0e 73 73 68 2d 70 72 69 76 61 74 65 6b 65 79 12 04 6b 65 79 0a 1a 16
    6b 75 62 65 72 6e 65 74 65 73 2e 69 6f 2f 73 73 68 2d 61 75 74 68 1a 00 22 00";

/// `kubectl create configmap c1 --from-literal=a=b --from-literal=k2=v2`.
const CONFIG_MAP: &str = "6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 12 26 0a
    12 0a 02 63 31 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 06 0a 01 61 12 01 62 12 08 0a 02
    6b 32 12 02 76 32 1a 00 22 00";

/// `kubectl create namespace ns1`.
const NAMESPACE: &str = "6b 38 73 00 0a 0f 0a 02 76 31 12 09 4e 61 6d 65 73 70 61 63 65 12 1b 0a
    13 0a 03 6e 73 31 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 00 1a 02 0a 00 1a 00 22 00";

#[test]
fn kubectls_ssh_auth_secret_decodes_with_base64_data() {
    assert_eq!(
        decode(&hex(SSH_SECRET)).unwrap(),
        json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
            "data": {"known_hosts": "a2gK", "ssh-privatekey": "a2V5Cg=="},
            "type": "kubernetes.io/ssh-auth",
        })
    );
}

#[test]
fn kubectls_config_map_decodes() {
    assert_eq!(
        decode(&hex(CONFIG_MAP)).unwrap(),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"},
            "data": {"a": "b", "k2": "v2"},
        })
    );
}

#[test]
fn kubectls_namespace_decodes_without_its_status() {
    assert_eq!(
        decode(&hex(NAMESPACE)).unwrap(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}, "spec": {}})
    );
}

fn envelope(api_version: &str, kind: &str, raw: &[u8], encoding: &str) -> Vec<u8> {
    let unknown = messages::Unknown {
        type_meta: Some(messages::TypeMeta {
            api_version: Some(api_version.to_string()),
            kind: Some(kind.to_string()),
        }),
        raw: Some(raw.to_vec()),
        content_encoding: Some(encoding.to_string()),
        content_type: None,
    };
    [MAGIC.to_vec(), unknown.encode_to_vec()].concat()
}

#[test]
fn other_kinds_are_unsupported_and_say_to_send_json() {
    let error = decode(&envelope("apps/v1", "Deployment", b"", "")).unwrap_err();
    let api: ApiError = error.into();
    assert_eq!(api.code, 415);
    assert!(api.message.contains("application/json"), "{}", api.message);
    assert!(api.message.contains("Deployment"), "{}", api.message);
    let error = decode(&envelope("v2", "Secret", b"", "")).unwrap_err();
    assert!(
        matches!(error, ProtobufError::Unsupported { .. }),
        "{error}"
    );
}

#[test]
fn encoded_truncated_and_unprefixed_bodies_are_refused() {
    let error = decode(&envelope("v1", "Secret", b"", "gzip")).unwrap_err();
    assert_eq!(ApiError::from(error).code, 415);
    let error = decode(&envelope("v1", "Secret", &[0x0a, 0x10, 0x0a], "")).unwrap_err();
    assert!(
        matches!(error, ProtobufError::Object { kind: "Secret", .. }),
        "{error}"
    );
    assert_eq!(ApiError::from(error).code, 400);
    let full = hex(SSH_SECRET);
    let error = decode(&full[..full.len() - 30]).unwrap_err();
    assert_eq!(ApiError::from(error).code, 400);
    assert!(matches!(decode(b"{}"), Err(ProtobufError::NoMagic)));
    assert!(matches!(decode(b""), Err(ProtobufError::NoMagic)));
}

/// `kubectl auth can-i get secrets -n default`.
const ACCESS_REVIEW: &str = "6b 38 73 00 0a 32 0a 17 61 75 74 68 6f 72 69 7a 61 74 69 6f 6e 2e 6b
    38 73 2e 69 6f 2f 76 31 12 17 53 65 6c 66 53 75 62 6a 65 63 74 41 63 63 65 73 73 52 65 76 69
    65 77 12 3f 0a 10 0a 00 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 21 0a 1f 0a 07 64 65 66
    61 75 6c 74 12 03 67 65 74 1a 00 22 00 2a 07 73 65 63 72 65 74 73 32 00 3a 00 1a 08 08 00 12
    00 1a 00 20 00 1a 00 22 00";

#[test]
fn kubectls_access_review_decodes_its_attributes() {
    assert_eq!(
        decode(&hex(ACCESS_REVIEW)).unwrap(),
        json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "metadata": {},
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "secrets"}},
        })
    );
}

#[test]
fn endpoints_of_other_kinds_refuse_protobuf_unread() {
    let error = decode_for(&hex(SSH_SECRET), "example.com/v1", "Widget").unwrap_err();
    assert!(
        matches!(error, ProtobufError::Unsupported { .. }),
        "{error}"
    );
    assert!(decode_for(&hex(SSH_SECRET), "v1", "Secret").is_ok());
}
