//! One YAML document: its identity (apiVersion, kind, namespace, name), its schema check against
//! the generated CRD, its typed resource and the spec checks that need only the document itself.

use std::collections::HashMap;

use patchwarden_api::{
    Asset, AssetGroup, CheckSpec, MaintenanceWindow, PatchPolicy, PatchRun, VulnerabilityFeed,
};
use patchwarden_k8s_rules::names;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::{Check, Diagnostic};
use crate::schema::SchemaChecker;
use crate::suggest::closest;
use crate::yaml::YamlDocument;

/// A patchwarden resource that passed the schema check.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    VulnerabilityFeed(Box<VulnerabilityFeed>),
    AssetGroup(Box<AssetGroup>),
    Asset(Box<Asset>),
    MaintenanceWindow(Box<MaintenanceWindow>),
    PatchPolicy(Box<PatchPolicy>),
    PatchRun(Box<PatchRun>),
}

impl Resource {
    fn spec_errors(&self) -> Vec<patchwarden_api::SpecError> {
        match self {
            Resource::VulnerabilityFeed(r) => r.spec_errors(),
            Resource::AssetGroup(r) => r.spec_errors(),
            Resource::Asset(r) => r.spec_errors(),
            Resource::MaintenanceWindow(r) => r.spec_errors(),
            Resource::PatchPolicy(r) => r.spec_errors(),
            Resource::PatchRun(r) => r.spec_errors(),
        }
    }
}

/// One document of the input, with what is known about it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it is in.
    pub file: String,
    /// Its index in the file (0-based).
    pub index: usize,
    /// `apiVersion`, when it is a string.
    pub api_version: Option<String>,
    /// `kind`, when it is a string.
    pub kind: Option<String>,
    /// `metadata.name`, when it is a string.
    pub name: Option<String>,
    /// `metadata.namespace`, or the default namespace when unset.
    pub namespace: String,
    /// The whole document as JSON.
    pub object: Value,
    /// The typed resource, for patchwarden kinds that passed the schema check.
    pub resource: Option<Resource>,
    pub(crate) yaml: YamlDocument,
}

impl Document {
    /// The line (1-based) of `path` in the file, or of its closest enclosing field.
    pub fn line_of(&self, path: &str) -> usize {
        self.yaml.position_of(path).line
    }

    /// Whether the document is of the patchwarden API group.
    pub fn is_patchwarden(&self) -> bool {
        self.api_version
            .as_deref()
            .is_some_and(|v| v.split('/').next() == Some(patchwarden_api::GROUP))
    }

    /// A diagnostic about `path` of this document.
    pub fn diagnostic(&self, check: Check, path: &str, message: impl Into<String>) -> Diagnostic {
        let position = self.yaml.position_of(path);
        Diagnostic {
            line: Some(position.line),
            column: Some(position.column),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.kind.as_ref().map(|_| self.namespace.clone()),
            path: (!path.is_empty()).then(|| path.to_string()),
            ..Diagnostic::error(check, self.file.clone(), message)
        }
    }
}

/// The CRD schemas, by kind.
pub(crate) struct Schemas {
    schemas: HashMap<&'static str, Value>,
}

impl Schemas {
    /// The schemas of every kind, generated once per process (generation is not cheap).
    pub(crate) fn get() -> &'static Schemas {
        static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
        SCHEMAS.get_or_init(|| Schemas {
            schemas: patchwarden_api::crds::KINDS
                .iter()
                .filter_map(|kind| patchwarden_api::crds::schema_of(kind).map(|s| (*kind, s)))
                .collect(),
        })
    }
}

fn string_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |node, key| node.get(key))
        .and_then(Value::as_str)
}

/// Reads one YAML document into a [`Document`], appending its own problems to `out`.
pub(crate) fn read_document(
    file: &str,
    yaml: YamlDocument,
    default_namespace: &str,
    schemas: &Schemas,
    out: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let mut document = Document::new(file, yaml, default_namespace);
    if !is_kubernetes_object(&document, out) {
        return None;
    }
    if !has_identity(&document, out) || !document.is_patchwarden() {
        return Some(document);
    }
    let Some(schema) = schema_of(&document, schemas, out) else {
        return Some(document);
    };
    check_name(&document, out);
    let problems = SchemaChecker::new(schema).check(&document.object);
    if !problems.is_empty() {
        for problem in problems {
            out.push(document.diagnostic(Check::Schema, &problem.path, problem.message));
        }
        return Some(document);
    }
    document.resource = typed_resource(&document, out);
    if let Some(resource) = &document.resource {
        for error in resource.spec_errors() {
            out.push(document.diagnostic(Check::Spec, &error.field, error.message));
        }
    }
    Some(document)
}

impl Document {
    /// The document with its identity read, not yet checked.
    fn new(file: &str, yaml: YamlDocument, default_namespace: &str) -> Document {
        let object = yaml.value.clone();
        Document {
            file: file.to_string(),
            index: yaml.index,
            api_version: string_at(&object, &["apiVersion"]).map(str::to_string),
            kind: string_at(&object, &["kind"]).map(str::to_string),
            name: string_at(&object, &["metadata", "name"]).map(str::to_string),
            namespace: string_at(&object, &["metadata", "namespace"])
                .unwrap_or(default_namespace)
                .to_string(),
            object,
            resource: None,
            yaml,
        }
    }
}

/// Whether the document is a Kubernetes object at all; other documents are reported (as an
/// error when not a mapping, as a warning when a mapping without apiVersion and kind) and
/// dropped.
fn is_kubernetes_object(document: &Document, out: &mut Vec<Diagnostic>) -> bool {
    if !document.object.is_object() {
        out.push(document.diagnostic(
            Check::Yaml,
            "",
            "expected a Kubernetes object (a mapping with apiVersion, kind and metadata)",
        ));
        return false;
    }
    let has_api_version = document.object.get("apiVersion").is_some();
    let has_kind = document.object.get("kind").is_some();
    if !has_api_version && !has_kind {
        // Repositories hold other YAML too (CI workflows, Helm values): not ours to judge.
        let mut skipped = document.diagnostic(
            Check::Identity,
            "",
            "not a Kubernetes object (no apiVersion and no kind); skipped",
        );
        skipped.level = crate::diagnostic::Level::Warning;
        out.push(skipped);
        return false;
    }
    true
}

/// Whether apiVersion and kind are both strings, reporting each that is not.
fn has_identity(document: &Document, out: &mut Vec<Diagnostic>) -> bool {
    let mut identity_ok = true;
    for (present, path, what) in [
        (
            document.api_version.is_some(),
            "apiVersion",
            "apiVersion (e.g. patchwarden.io/v1alpha1)",
        ),
        (document.kind.is_some(), "kind", "kind"),
    ] {
        if !present {
            out.push(document.diagnostic(
                Check::Identity,
                path,
                format!("missing {what}, or it is not a string"),
            ));
            identity_ok = false;
        }
    }
    identity_ok
}

/// The CRD schema a patchwarden document is checked against, or `None` (with the reason in
/// `out`) when it has no name, or a version or kind this release does not serve.
fn schema_of<'s>(
    document: &Document,
    schemas: &'s Schemas,
    out: &mut Vec<Diagnostic>,
) -> Option<&'s Value> {
    if document.name.is_none() {
        out.push(document.diagnostic(
            Check::Identity,
            "metadata.name",
            "missing metadata.name, or it is not a string",
        ));
        return None;
    }
    let api_version = document.api_version.clone().unwrap_or_default();
    if api_version != patchwarden_api::API_VERSION {
        out.push(document.diagnostic(
            Check::Identity,
            "apiVersion",
            format!(
                "unknown version {api_version:?}; this release serves {}",
                patchwarden_api::API_VERSION
            ),
        ));
        return None;
    }
    let kind = document.kind.clone().unwrap_or_default();
    let schema = schemas.schemas.get(kind.as_str());
    if schema.is_none() {
        let suggestion = closest(&kind, patchwarden_api::crds::KINDS.iter().copied())
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        out.push(document.diagnostic(
            Check::Identity,
            "kind",
            format!(
                "unknown kind {kind:?}{suggestion}; patchwarden.io kinds are {}",
                patchwarden_api::crds::KINDS.join(", ")
            ),
        ));
    }
    schema
}

/// Reports a name the API server would refuse; the document is still checked further.
fn check_name(document: &Document, out: &mut Vec<Diagnostic>) {
    let name = document.name.clone().unwrap_or_default();
    if !names::is_dns1123_subdomain(&name) {
        out.push(document.diagnostic(
            Check::Identity,
            "metadata.name",
            format!(
                "{name:?} is not a valid name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
            ),
        ));
    }
}

/// The typed resource of a document that passed the schema check, by its kind.
fn typed_resource(document: &Document, out: &mut Vec<Diagnostic>) -> Option<Resource> {
    match document.kind.as_deref().unwrap_or_default() {
        "VulnerabilityFeed" => typed(document, out)
            .map(Box::new)
            .map(Resource::VulnerabilityFeed),
        "AssetGroup" => typed(document, out).map(Box::new).map(Resource::AssetGroup),
        "Asset" => typed(document, out).map(Box::new).map(Resource::Asset),
        "MaintenanceWindow" => typed(document, out)
            .map(Box::new)
            .map(Resource::MaintenanceWindow),
        "PatchPolicy" => typed(document, out)
            .map(Box::new)
            .map(Resource::PatchPolicy),
        "PatchRun" => typed(document, out).map(Box::new).map(Resource::PatchRun),
        _ => None,
    }
}

/// The typed form of a document that passed the schema check.
fn typed<T: DeserializeOwned>(document: &Document, out: &mut Vec<Diagnostic>) -> Option<T> {
    match serde_path_to_error::deserialize(&document.object) {
        Ok(value) => Some(value),
        Err(error) => {
            // Only reachable if the schema admits something the types do not: still reported
            // precisely rather than lost.
            let path = error.path().to_string();
            let path = if path == "." { String::new() } else { path };
            out.push(document.diagnostic(Check::Schema, &path, error.into_inner().to_string()));
            None
        }
    }
}
