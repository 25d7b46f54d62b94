//! CustomResourceDefinitions: the checks a CRD object must pass (the causes of a 422), and the
//! resource definitions of its served versions.

use patchwarden_k8s_rules::names;
use serde_json::Value;

use super::builtins::age_column;
use super::{PrinterColumn, ResourceDef, View};
use crate::error::Cause;

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = value;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn strings_at(value: &Value, path: &[&str]) -> Vec<String> {
    let mut cur = value;
    for p in path {
        match cur.get(p) {
            Some(v) => cur = v,
            None => return Vec::new(),
        }
    }
    cur.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of a CRD every served version shares.
struct CrdNames<'a> {
    group: &'a str,
    plural: &'a str,
    kind: &'a str,
    scope: &'a str,
    name: &'a str,
}

impl<'a> CrdNames<'a> {
    fn of(crd: &'a Value) -> CrdNames<'a> {
        CrdNames {
            group: str_at(crd, &["spec", "group"]).unwrap_or(""),
            plural: str_at(crd, &["spec", "names", "plural"]).unwrap_or(""),
            kind: str_at(crd, &["spec", "names", "kind"]).unwrap_or(""),
            scope: str_at(crd, &["spec", "scope"]).unwrap_or(""),
            name: str_at(crd, &["metadata", "name"]).unwrap_or(""),
        }
    }
}

/// The causes of an invalid CRD, collected in the order the real server lists them.
#[derive(Default)]
struct Causes(Vec<Cause>);

impl Causes {
    fn add(&mut self, field: &str, reason: &str, message: String) {
        self.0.push(Cause {
            reason: reason.to_string(),
            message,
            field: field.to_string(),
        });
    }
}

/// Validates a CRD object and returns the resource definitions of its served versions.
pub fn crd_resources(crd: &Value) -> Result<Vec<ResourceDef>, Vec<Cause>> {
    let names = CrdNames::of(crd);
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut causes = Causes::default();
    check_names(&names, &mut causes);
    check_versions(&versions, &mut causes);
    if !causes.0.is_empty() {
        return Err(causes.0);
    }
    Ok(served_versions(crd, &names, &versions))
}

/// Group, plural, kind, scope, and the object name `<plural>.<group>`.
fn check_names(n: &CrdNames<'_>, causes: &mut Causes) {
    let (group, plural, name) = (n.group, n.plural, n.name);
    if group.is_empty() {
        causes.add("spec.group", "FieldValueRequired", "Required value".into());
    } else if !group.contains('.') {
        causes.add(
            "spec.group",
            "FieldValueInvalid",
            format!("Invalid value: {group:?}: should be a domain with at least one dot"),
        );
    }
    if plural.is_empty() {
        causes.add(
            "spec.names.plural",
            "FieldValueRequired",
            "Required value".into(),
        );
    } else if let Err(invalid) = names::check_dns1035_label(plural) {
        let reasons: Vec<String> = invalid.problems().iter().map(ToString::to_string).collect();
        causes.add(
            "spec.names.plural",
            "FieldValueInvalid",
            format!("Invalid value: {plural:?}: {}", reasons.join(",")),
        );
    }
    if n.kind.is_empty() {
        causes.add(
            "spec.names.kind",
            "FieldValueRequired",
            "Required value".into(),
        );
    }
    if n.scope != "Namespaced" && n.scope != "Cluster" {
        causes.add(
            "spec.scope",
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {:?}: supported values: \"Cluster\", \"Namespaced\"",
                n.scope
            ),
        );
    }
    if !plural.is_empty() && !group.is_empty() && name != format!("{plural}.{group}") {
        causes.add(
            "metadata.name",
            "FieldValueInvalid",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        );
    }
}

/// Exactly one storage version, and each version's name, schema and column paths.
fn check_versions(versions: &[Value], causes: &mut Causes) {
    if versions.is_empty() {
        causes.add(
            "spec.versions",
            "FieldValueRequired",
            "Required value: must have exactly one version marked as storage version".into(),
        );
    }
    let storage_count = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if !versions.is_empty() && storage_count != 1 {
        causes.add(
            "spec.versions",
            "FieldValueInvalid",
            format!(
                "Invalid value: must have exactly one version marked as storage version, found {storage_count}"
            ),
        );
    }
    for (i, v) in versions.iter().enumerate() {
        check_version(i, v, causes);
    }
}

fn check_version(i: usize, v: &Value, causes: &mut Causes) {
    let vname = v.get("name").and_then(Value::as_str).unwrap_or("");
    if let Err(invalid) = names::check_dns1035_label(vname) {
        for problem in invalid.problems() {
            causes.add(
                &format!("spec.versions[{i}].name"),
                "FieldValueInvalid",
                format!("Invalid value: {vname:?}: {problem}"),
            );
        }
    }
    if let Some(schema) = v.pointer("/schema/openAPIV3Schema")
        && !schema.is_object()
    {
        causes.add(
            &format!("spec.versions[{i}].schema.openAPIV3Schema"),
            "FieldValueInvalid",
            "Invalid value: must be an object".into(),
        );
    }
    let columns = v.get("additionalPrinterColumns").and_then(Value::as_array);
    for (j, col) in columns.into_iter().flatten().enumerate() {
        let path = col.get("jsonPath").and_then(Value::as_str).unwrap_or("");
        if crate::table::compile_path(path).is_err() {
            causes.add(
                &format!("spec.versions[{i}].additionalPrinterColumns[{j}].jsonPath"),
                "FieldValueInvalid",
                format!("Invalid value: {path:?}: not a valid JSONPath"),
            );
        }
    }
}

/// One resource definition per served version of a valid CRD.
fn served_versions(crd: &Value, n: &CrdNames<'_>, versions: &[Value]) -> Vec<ResourceDef> {
    let singular = str_at(crd, &["spec", "names", "singular"])
        .map(str::to_string)
        .unwrap_or_else(|| n.kind.to_ascii_lowercase());
    let list_kind = str_at(crd, &["spec", "names", "listKind"])
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}List", n.kind));
    let short_names = strings_at(crd, &["spec", "names", "shortNames"]);
    let categories = strings_at(crd, &["spec", "names", "categories"]);
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
        .map(|v| {
            let schema = v.pointer("/schema/openAPIV3Schema").cloned();
            let description = schema
                .as_ref()
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            ResourceDef {
                group: n.group.to_string(),
                version: v
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                plural: n.plural.to_string(),
                singular: singular.clone(),
                kind: n.kind.to_string(),
                list_kind: list_kind.clone(),
                namespaced: n.scope == "Namespaced",
                short_names: short_names.clone(),
                categories: categories.clone(),
                store: format!("{}/{}", n.group, n.plural),
                schema,
                status_subresource: v.pointer("/subresources/status").is_some(),
                printer_columns: printer_columns(v),
                selectable_fields: selectable_fields(v),
                view: View::Plain,
                custom: true,
                description,
            }
        })
        .collect()
}

/// A version's `additionalPrinterColumns`, or the Age column when it declares none.
fn printer_columns(v: &Value) -> Vec<PrinterColumn> {
    let text = |c: &Value, field: &str, default: &str| {
        c.get(field)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let columns: Vec<PrinterColumn> = v
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| PrinterColumn {
            name: text(c, "name", ""),
            type_: text(c, "type", "string"),
            format: text(c, "format", ""),
            description: text(c, "description", ""),
            priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
            json_path: text(c, "jsonPath", ""),
        })
        .collect();
    if columns.is_empty() {
        vec![age_column()]
    } else {
        columns
    }
}

/// A version's `selectableFields`, as paths without the leading dot.
fn selectable_fields(v: &Value) -> Vec<String> {
    v.get("selectableFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("jsonPath").and_then(Value::as_str))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}
