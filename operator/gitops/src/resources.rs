//! The set of Kubernetes resources a revision declares: multi-document YAML parsed into
//! objects keyed by (apiVersion/kind, namespace, name), with duplicate and shape errors that
//! name the file and document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::source::SourceFile;

/// Identity of a resource across revisions and in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceKey {
    /// `group/version` or `v1`.
    pub api_version: String,
    pub kind: String,
    /// `None` for cluster-scoped objects or when the YAML leaves it to the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ResourceKey {
    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(group, _)| group)
            .unwrap_or("")
    }

    /// The version part of `apiVersion`.
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(_, version)| version)
            .unwrap_or(&self.api_version)
    }
}

impl std::fmt::Display for ResourceKey {
    /// `Kind namespace/name` (or `Kind name`), the way a reviewer reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {}/{}", self.kind, namespace, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One declared object and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub key: ResourceKey,
    /// The file that declares it.
    pub file: String,
    /// The whole object as JSON.
    pub object: Value,
}

/// Bad resource YAML, naming the file, document and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("{file}: document {document}: not valid YAML: {reason}")]
    Yaml {
        file: String,
        document: usize,
        reason: String,
    },
    #[error("{file}: document {document}: expected a mapping (a Kubernetes object)")]
    NotAnObject { file: String, document: usize },
    #[error("{file}: document {document}: field `{field}` is missing or not a non-empty string")]
    MissingField {
        file: String,
        document: usize,
        field: &'static str,
    },
    #[error("{file}: document {document}: {key} is already declared in {first_file}")]
    Duplicate {
        file: String,
        document: usize,
        key: Box<ResourceKey>,
        first_file: String,
    },
}

/// All resources of one revision, ordered by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceSet {
    resources: BTreeMap<ResourceKey, Resource>,
}

impl ResourceSet {
    /// Parses every document of every file; collects all errors rather than stopping at the
    /// first, so one report shows everything wrong with a revision.
    pub fn parse(files: &[SourceFile]) -> Result<Self, Vec<ResourceError>> {
        let mut set = Self::default();
        let mut errors = Vec::new();
        for file in files {
            for (index, document) in serde_yaml::Deserializer::from_str(&file.content).enumerate() {
                let document_number = index + 1;
                let value = match Value::deserialize(document) {
                    Ok(value) => value,
                    Err(err) => {
                        errors.push(ResourceError::Yaml {
                            file: file.path.clone(),
                            document: document_number,
                            reason: err.to_string(),
                        });
                        // The YAML stream cannot be resynchronised after a syntax error.
                        break;
                    }
                };
                match resource_from_value(&file.path, document_number, value) {
                    Ok(None) => {}
                    Ok(Some(resource)) => {
                        if let Some(first) = set.resources.get(&resource.key) {
                            errors.push(ResourceError::Duplicate {
                                file: file.path.clone(),
                                document: document_number,
                                key: Box::new(resource.key.clone()),
                                first_file: first.file.clone(),
                            });
                        } else {
                            set.resources.insert(resource.key.clone(), resource);
                        }
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// Builds a set from already-parsed resources (later duplicates replace earlier ones).
    pub fn from_resources(resources: impl IntoIterator<Item = Resource>) -> Self {
        Self {
            resources: resources
                .into_iter()
                .map(|resource| (resource.key.clone(), resource))
                .collect(),
        }
    }

    pub fn get(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Resource> {
        self.resources.values()
    }

    pub fn keys(&self) -> impl Iterator<Item = &ResourceKey> {
        self.resources.keys()
    }

    /// Resources of one kind (any apiVersion), in key order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.values().filter(move |r| r.key.kind == kind)
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

fn resource_from_value(
    file: &str,
    document: usize,
    value: Value,
) -> Result<Option<Resource>, ResourceError> {
    let object = match value {
        // Empty documents (`---` with nothing after it) are allowed, as kubectl allows them.
        Value::Null => return Ok(None),
        Value::Object(map) if map.is_empty() => return Ok(None),
        Value::Object(map) => map,
        _ => {
            return Err(ResourceError::NotAnObject {
                file: file.to_string(),
                document,
            });
        }
    };
    let required = |field: &'static str, value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
            .ok_or(ResourceError::MissingField {
                file: file.to_string(),
                document,
                field,
            })
    };
    let api_version = required("apiVersion", object.get("apiVersion"))?;
    let kind = required("kind", object.get("kind"))?;
    let metadata = object.get("metadata");
    let name = required("metadata.name", metadata.and_then(|m| m.get("name")))?;
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_string);
    Ok(Some(Resource {
        key: ResourceKey {
            api_version,
            kind,
            namespace,
            name,
        },
        file: file.to_string(),
        object: Value::Object(object),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            content: content.to_string(),
        }
    }

    #[test]
    fn parses_multi_document_files_and_skips_empty_documents() {
        let set = ResourceSet::parse(&[file(
            "a.yaml",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ops}\n---\n---\napiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata: {name: web}\n",
        )])
        .expect("valid");
        assert_eq!(set.len(), 2);
        let keys: Vec<String> = set.keys().map(ToString::to_string).collect();
        assert_eq!(keys, ["AssetGroup web", "ConfigMap ops/a"]);
        let group = set.of_kind("AssetGroup").next().expect("group");
        assert_eq!(group.key.group(), "patchwarden.io");
        assert_eq!(group.key.version(), "v1alpha1");
    }

    #[test]
    fn reports_every_error_with_file_and_document() {
        let errors = ResourceSet::parse(&[
            file("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- 1\n"),
            file("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: X\nmetadata: {name: y}\n"),
            file("c.yaml", "key: [unclosed\n"),
        ])
        .expect_err("invalid");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert_eq!(
            messages[0],
            "a.yaml: document 2: expected a mapping (a Kubernetes object)"
        );
        assert_eq!(
            messages[1],
            "b.yaml: document 1: ConfigMap a is already declared in a.yaml"
        );
        assert_eq!(
            messages[2],
            "b.yaml: document 2: field `apiVersion` is missing or not a non-empty string"
        );
        assert!(
            messages[3].starts_with("c.yaml: document 1: not valid YAML"),
            "{}",
            messages[3]
        );
    }
}
