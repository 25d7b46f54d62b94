//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`). Typed clients such as
//! kubectl's `create secret`, `create configmap` and `create namespace` send built-in objects
//! this way (and `kubectl auth can-i` its SelfSubjectAccessReview): the magic `k8s\0`, then a `runtime.Unknown` whose `typeMeta` names the kind and
//! whose `raw` holds the object's message. Secret, ConfigMap and Namespace are decoded into the
//! JSON objects the JSON path stores; any other protobuf body is refused with 415, which tells
//! the client to send JSON. Responses are always JSON (clients that send protobuf list
//! `application/json` in `Accept` as well).

mod messages;
mod to_json;

use prost::Message;
use serde_json::Value;

use crate::error::ApiError;

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The prefix of every Kubernetes protobuf body.
const MAGIC: &[u8] = b"k8s\0";

/// The kinds whose protobuf bodies are read, each with its `apiVersion`.
const SUPPORTED: &[(&str, &str)] = &[
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Namespace"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
];

/// Why a protobuf body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    #[error("the protobuf body does not start with the Kubernetes magic bytes \"k8s\\0\"")]
    NoMagic,
    #[error("the protobuf envelope (runtime.Unknown) cannot be decoded: {0}")]
    Envelope(prost::DecodeError),
    #[error("the protobuf envelope has contentEncoding {0:?}; only unencoded bodies are read")]
    Encoded(String),
    #[error(
        "protobuf bodies are read only for v1 Secret, ConfigMap and Namespace (and SelfSubjectAccessReview), not for {kind:?} (apiVersion {api_version:?}); send the object as application/json"
    )]
    Unsupported { api_version: String, kind: String },
    #[error("the protobuf {kind} cannot be decoded: {source}")]
    Object {
        kind: &'static str,
        source: prost::DecodeError,
    },
}

impl From<ProtobufError> for ApiError {
    fn from(error: ProtobufError) -> ApiError {
        match error {
            ProtobufError::Unsupported { .. } | ProtobufError::Encoded(_) => {
                ApiError::new(415, "UnsupportedMediaType", error.to_string())
            }
            _ => ApiError::bad_request(format!(
                "the object provided is unrecognized or couldn't be decoded: {error}"
            )),
        }
    }
}

/// Whether `content_type` (lowercased, without parameters) is Kubernetes protobuf.
pub fn is_protobuf(content_type: &str) -> bool {
    content_type == MEDIA_TYPE
}

/// Decodes a protobuf body sent to the endpoint of `kind` (`api_version`): other endpoints,
/// custom resources above all, get 415 without the body being read.
pub fn decode_for(body: &[u8], api_version: &str, kind: &str) -> Result<Value, ProtobufError> {
    if !SUPPORTED.contains(&(api_version, kind)) {
        return Err(ProtobufError::Unsupported {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        });
    }
    decode(body)
}

/// Decodes a protobuf body into the object's JSON form.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoMagic)?;
    let unknown = messages::Unknown::decode(envelope).map_err(ProtobufError::Envelope)?;
    if let Some(encoding) = unknown.content_encoding.filter(|e| !e.is_empty()) {
        return Err(ProtobufError::Encoded(encoding));
    }
    let type_meta = unknown.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    let raw = unknown.raw.unwrap_or_default();
    let supported = SUPPORTED
        .iter()
        .find(|(av, k)| *av == api_version && *k == kind);
    let object_error = |kind| move |source| ProtobufError::Object { kind, source };
    match supported.map(|(_, k)| *k) {
        Some("Secret") => messages::Secret::decode(raw.as_slice())
            .map(to_json::secret)
            .map_err(object_error("Secret")),
        Some("ConfigMap") => messages::ConfigMap::decode(raw.as_slice())
            .map(to_json::config_map)
            .map_err(object_error("ConfigMap")),
        Some("Namespace") => messages::Namespace::decode(raw.as_slice())
            .map(to_json::namespace)
            .map_err(object_error("Namespace")),
        Some("SelfSubjectAccessReview") => {
            messages::SelfSubjectAccessReview::decode(raw.as_slice())
                .map(to_json::access_review)
                .map_err(object_error("SelfSubjectAccessReview"))
        }
        _ => Err(ProtobufError::Unsupported { api_version, kind }),
    }
}

#[cfg(test)]
mod tests;
