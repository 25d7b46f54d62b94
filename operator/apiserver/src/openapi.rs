//! OpenAPI v3 documents, one per served group/version, generated from the CRD schemas and the
//! built-in kinds. `kubectl apply` needs the PATCH operation's GVK extension and its
//! `fieldValidation` parameter; `kubectl explain` reads `components.schemas`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::json;
use crate::registry::{Registry, ResourceDef};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// `/openapi/v3` path key of a group/version (`api/v1`, `apis/G/V`).
pub fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The `components.schemas` name of a kind.
pub fn schema_name(def: &ResourceDef) -> String {
    if def.custom {
        let reversed: Vec<&str> = def.group.split('.').rev().collect();
        format!("{}.{}.{}", reversed.join("."), def.version, def.kind)
    } else if def.group == "apiextensions.k8s.io" {
        format!(
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{}.{}",
            def.version, def.kind
        )
    } else {
        let short = def
            .group
            .split('.')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("core");
        format!("io.k8s.api.{short}.{}.{}", def.version, def.kind)
    }
}

fn object_meta_schema() -> Value {
    let s = |d: &str| json!({"type": "string", "description": d});
    json!({
        "type": "object",
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        "properties": {
            "name": s("Name must be unique within a namespace. Cannot be updated."),
            "generateName": s("GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided."),
            "namespace": s("Namespace defines the space within which each name must be unique."),
            "uid": s("UID is the unique in time and space value for this object. Populated by the system. Read-only."),
            "resourceVersion": s("An opaque value that represents the internal version of this object, used for optimistic concurrency and watches. Populated by the system. Read-only."),
            "generation": {"type": "integer", "format": "int64", "description": "A sequence number representing a specific generation of the desired state. Populated by the system. Read-only."},
            "creationTimestamp": {"type": "string", "format": "date-time", "description": "CreationTimestamp is a timestamp representing the server time when this object was created."},
            "deletionTimestamp": {"type": "string", "format": "date-time", "description": "The time at which this resource will be deleted, set by the server when a graceful deletion is requested."},
            "deletionGracePeriodSeconds": {"type": "integer", "format": "int64", "description": "Number of seconds allowed for this object to gracefully terminate."},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Map of string keys and values that can be used to organize and categorize objects."},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Annotations is an unstructured key value map stored with a resource."},
            "finalizers": {"type": "array", "items": {"type": "string"}, "description": "Must be empty before the object is deleted from the registry."},
            "ownerReferences": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}, "description": "List of objects depended by this object."},
            "managedFields": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}, "description": "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow."},
        },
    })
}

fn gvk(def: &ResourceDef) -> Value {
    json!({"group": def.group, "version": def.version, "kind": def.kind})
}

/// The schema of one kind: the CRD's own schema, or an open object for built-ins.
fn kind_schema(def: &ResourceDef) -> Value {
    let mut schema = match &def.schema {
        Some(s) if s.is_object() => s.clone(),
        _ => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    };
    let Some(map) = schema.as_object_mut() else {
        return schema;
    };
    if !map.contains_key("description") && !def.description.is_empty() {
        map.insert("description".into(), json!(def.description));
    }
    let props = map
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(props) = props.as_object_mut() {
        props.insert("apiVersion".into(), json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}));
        props.insert("kind".into(), json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}));
        props.insert(
            "metadata".into(),
            json!({"description": "Standard object's metadata.",
                   "allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}]}),
        );
        if !def.custom {
            for field in ["spec", "status"] {
                props.entry(field).or_insert_with(
                    || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                );
            }
        }
    }
    map.insert("x-kubernetes-group-version-kind".into(), json!([gvk(def)]));
    schema
}

fn param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

fn operation(def: &ResourceDef, action: &str, with_body: bool, list: bool) -> Value {
    let reference = json!({"$ref": format!("#/components/schemas/{}", schema_name(def))});
    let response_schema = if list {
        json!({"type": "object"})
    } else {
        reference.clone()
    };
    let mut op = json!({
        "description": format!("{action} {}", def.kind),
        "operationId": format!("{action}{}{}", def.kind, def.version),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(def),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": response_schema}}}},
    });
    let mut params = vec![param(
        "pretty",
        "If 'true', then the output is pretty printed.",
    )];
    if with_body {
        params.push(param(
            "dryRun",
            "When present, indicates that modifications should not be persisted.",
        ));
        params.push(param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."));
        params.push(param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict."));
        let content_types: Vec<&str> = if action == "patch" {
            params.push(param(
                "force",
                "Force is going to \"force\" Apply requests.",
            ));
            vec![
                "application/apply-patch+yaml",
                "application/json-patch+json",
                "application/merge-patch+json",
            ]
        } else {
            vec!["application/json", "application/yaml"]
        };
        let mut content = Map::new();
        for ct in content_types {
            let schema = if action == "patch" {
                json!({"type": "object"})
            } else {
                reference.clone()
            };
            content.insert(ct.to_string(), json!({"schema": schema}));
        }
        json::set(
            &mut op,
            "requestBody",
            json!({"content": content, "required": true}),
        );
    }
    if list {
        for p in [
            "labelSelector",
            "fieldSelector",
            "limit",
            "continue",
            "resourceVersion",
            "watch",
        ] {
            params.push(param(p, p));
        }
    }
    json::set(&mut op, "parameters", Value::Array(params));
    op
}

fn paths_for(def: &ResourceDef, paths: &mut Map<String, Value>) {
    let base = def.gv_path();
    let collection = if def.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", def.plural)
    } else {
        format!("{base}/{}", def.plural)
    };
    let ns_param =
        json!({"name": "namespace", "in": "path", "required": true, "schema": {"type": "string"}});
    let name_param =
        json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}});
    let mut coll = json!({
        "get": operation(def, "list", false, true),
        "post": operation(def, "post", true, false),
        "delete": operation(def, "deletecollection", false, true),
    });
    let mut item = json!({
        "get": operation(def, "get", false, false),
        "put": operation(def, "put", true, false),
        "patch": operation(def, "patch", true, false),
        "delete": operation(def, "delete", false, false),
    });
    if def.namespaced {
        json::set(&mut coll, "parameters", json!([ns_param]));
        json::set(&mut item, "parameters", json!([name_param, ns_param]));
    } else {
        json::set(&mut item, "parameters", json!([name_param]));
    }
    paths.insert(collection.clone(), coll);
    paths.insert(format!("{collection}/{{name}}"), item.clone());
    if def.status_subresource {
        paths.insert(
            format!("{collection}/{{name}}/status"),
            json!({
                "get": operation(def, "get", false, false),
                "put": operation(def, "put", true, false),
                "patch": operation(def, "patch", true, false),
                "parameters": item["parameters"].clone(),
            }),
        );
    }
    if def.namespaced {
        paths.insert(
            format!("{base}/{}", def.plural),
            json!({"get": operation(def, "list", false, true)}),
        );
    }
}

/// The document for one group/version, or None if nothing is served there.
pub fn document(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let defs = registry.in_group_version(group, version);
    if defs.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(OBJECT_META.to_string(), object_meta_schema());
    for def in &defs {
        paths_for(def, &mut paths);
        schemas.insert(schema_name(def), kind_schema(def));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

/// A content hash, so a changed CRD schema gives a new URL and kubectl refetches.
pub fn hash(doc: &Value) -> String {
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes)).to_uppercase()
}

/// The `/openapi/v3` index.
pub fn index(registry: &Registry) -> Value {
    let mut gvs: Vec<(String, String)> = Vec::new();
    for def in registry.all() {
        let gv = (def.group.clone(), def.version.clone());
        if !gvs.contains(&gv) {
            gvs.push(gv);
        }
    }
    let mut paths = Map::new();
    for (g, v) in gvs {
        if let Some(doc) = document(registry, &g, &v) {
            let key = gv_key(&g, &v);
            paths.insert(
                key.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={}", hash(&doc))}),
            );
        }
    }
    json!({"paths": paths})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_operations_carry_gvk_object_and_field_validation() {
        let reg = Registry::build(std::iter::empty());
        let doc = document(&reg, "coordination.k8s.io", "v1").unwrap();
        let item =
            &doc["paths"]["/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"];
        assert_eq!(
            item["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "Lease"
        );
        let names: Vec<&str> = item["patch"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&"fieldValidation"));
        let schema = &doc["components"]["schemas"]["io.k8s.api.coordination.v1.Lease"];
        assert!(schema["x-kubernetes-group-version-kind"].is_array());
        let idx = index(&reg);
        assert!(
            idx["paths"]["api/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .contains("hash=")
        );
    }
}
