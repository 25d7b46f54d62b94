//! The decoded messages as the JSON objects the JSON path stores, with Go's JSON conventions:
//! empty strings, maps and lists are left out, and bytes are base64.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::messages::{
    ConfigMap, Namespace, ObjectMeta, OwnerReference, Secret, SelfSubjectAccessReview,
};

/// A Secret: `data` base64-encoded, as its JSON form carries it.
pub fn secret(secret: Secret) -> Value {
    let mut out = object("Secret", secret.metadata);
    insert_map(&mut out, "data", base64_map(secret.data));
    insert_map(&mut out, "stringData", string_map(secret.string_data));
    insert_string(&mut out, "type", secret.r#type);
    if let Some(immutable) = secret.immutable {
        out.insert("immutable".into(), Value::Bool(immutable));
    }
    Value::Object(out)
}

/// A ConfigMap: `binaryData` base64-encoded.
pub fn config_map(config_map: ConfigMap) -> Value {
    let mut out = object("ConfigMap", config_map.metadata);
    insert_map(&mut out, "data", string_map(config_map.data));
    insert_map(&mut out, "binaryData", base64_map(config_map.binary_data));
    if let Some(immutable) = config_map.immutable {
        out.insert("immutable".into(), Value::Bool(immutable));
    }
    Value::Object(out)
}

/// A Namespace: metadata and the spec's finalizers.
pub fn namespace(namespace: Namespace) -> Value {
    let mut out = object("Namespace", namespace.metadata);
    let finalizers = namespace.spec.map(|s| s.finalizers).unwrap_or_default();
    let mut spec = Map::new();
    if !finalizers.is_empty() {
        spec.insert("finalizers".into(), json!(finalizers));
    }
    out.insert("spec".into(), Value::Object(spec));
    Value::Object(out)
}

/// `apiVersion`, `kind` and `metadata` of a core/v1 object.
fn object(kind: &str, metadata: Option<ObjectMeta>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("v1"));
    out.insert("kind".into(), json!(kind));
    out.insert(
        "metadata".into(),
        Value::Object(metadata.map(object_meta).unwrap_or_default()),
    );
    out
}

fn object_meta(meta: ObjectMeta) -> Map<String, Value> {
    let mut out = Map::new();
    insert_string(&mut out, "name", meta.name);
    insert_string(&mut out, "generateName", meta.generate_name);
    insert_string(&mut out, "namespace", meta.namespace);
    insert_string(&mut out, "resourceVersion", meta.resource_version);
    insert_map(&mut out, "labels", string_map(meta.labels));
    insert_map(&mut out, "annotations", string_map(meta.annotations));
    if !meta.owner_references.is_empty() {
        let refs = meta.owner_references.into_iter().map(owner_reference);
        out.insert("ownerReferences".into(), Value::Array(refs.collect()));
    }
    if !meta.finalizers.is_empty() {
        out.insert("finalizers".into(), json!(meta.finalizers));
    }
    out
}

fn owner_reference(owner: OwnerReference) -> Value {
    let mut out = Map::new();
    insert_string(&mut out, "apiVersion", owner.api_version);
    insert_string(&mut out, "kind", owner.kind);
    insert_string(&mut out, "name", owner.name);
    insert_string(&mut out, "uid", owner.uid);
    if let Some(controller) = owner.controller {
        out.insert("controller".into(), Value::Bool(controller));
    }
    if let Some(block) = owner.block_owner_deletion {
        out.insert("blockOwnerDeletion".into(), Value::Bool(block));
    }
    Value::Object(out)
}

fn insert_string(out: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        out.insert(key.into(), Value::String(value));
    }
}

fn insert_map(out: &mut Map<String, Value>, key: &str, map: Map<String, Value>) {
    if !map.is_empty() {
        out.insert(key.into(), Value::Object(map));
    }
}

fn string_map(map: BTreeMap<String, String>) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

fn base64_map(map: BTreeMap<String, Vec<u8>>) -> Map<String, Value> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    map.into_iter()
        .map(|(k, v)| (k, Value::String(engine.encode(v))))
        .collect()
}

/// A SelfSubjectAccessReview: its spec's attributes.
pub fn access_review(review: SelfSubjectAccessReview) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("authorization.k8s.io/v1"));
    out.insert("kind".into(), json!("SelfSubjectAccessReview"));
    out.insert("metadata".into(), json!({}));
    let spec = review.spec.unwrap_or_default();
    let mut spec_out = Map::new();
    if let Some(attrs) = spec.resource_attributes {
        let mut a = Map::new();
        insert_string(&mut a, "namespace", attrs.namespace);
        insert_string(&mut a, "verb", attrs.verb);
        insert_string(&mut a, "group", attrs.group);
        insert_string(&mut a, "version", attrs.version);
        insert_string(&mut a, "resource", attrs.resource);
        insert_string(&mut a, "subresource", attrs.subresource);
        insert_string(&mut a, "name", attrs.name);
        spec_out.insert("resourceAttributes".into(), Value::Object(a));
    }
    if let Some(attrs) = spec.non_resource_attributes {
        let mut a = Map::new();
        insert_string(&mut a, "path", attrs.path);
        insert_string(&mut a, "verb", attrs.verb);
        spec_out.insert("nonResourceAttributes".into(), Value::Object(a));
    }
    out.insert("spec".into(), Value::Object(spec_out));
    Value::Object(out)
}
