//! `spec.incidentResponse`: its checks (label and taint names, the containment template, the
//! webhook), and the rendering of the containment template for one asset.
//!
//! Rendering is the one place values from assets and feeds reach a manifest, so every value
//! goes through [`yaml_safe`]: a value made of plain characters is written as it is, any other
//! is written as a JSON string (a valid YAML scalar), so no value can start a new line, a
//! comment or a nested structure in the manifest.

use minijinja::value::{Value as TemplateValue, ValueKind};
use minijinja::{Environment, UndefinedBehavior};
use patchwarden_k8s_rules::names::{check_label_key, check_label_value};
use serde::Serialize;
use serde_json::Value;

use super::SpecError;
use crate::patch_policy::IncidentResponse;

/// What a containment template may read.
#[derive(Debug, Clone, Serialize)]
pub struct ContainmentContext {
    pub asset: AssetValues,
    pub incident: IncidentValues,
    pub policy: PolicyValues,
}

/// The asset in incident.
#[derive(Debug, Clone, Serialize)]
pub struct AssetValues {
    pub name: String,
    pub namespace: String,
    /// Its address (host name or IP, or the Node's name), when it has one.
    pub address: Option<String>,
    /// The Node of a `node` Asset.
    pub node: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Why the asset is in incident.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentValues {
    /// `Compromised` or `ExposedKevOverdue`.
    pub kind: String,
    /// The cause in words.
    pub cause: String,
    /// The overdue KEV finding, for `ExposedKevOverdue`.
    pub finding: Option<String>,
}

/// The policy responding.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyValues {
    pub name: String,
    pub namespace: String,
}

/// The problems of an incident response spec, each naming its field.
pub fn incident_errors(response: &IncidentResponse, errors: &mut Vec<SpecError>) {
    let field = "spec.incidentResponse";
    for (key, value) in &response.labels {
        if let Err(e) = check_label_key(key) {
            errors.push(SpecError::new(
                format!("{field}.labels"),
                format!("{key:?}: {e}"),
            ));
        }
        if let Err(e) = check_label_value(value) {
            errors.push(SpecError::new(
                format!("{field}.labels.{key}"),
                format!("{value:?}: {e}"),
            ));
        }
    }
    if let Some(taint) = &response.taint {
        if let Err(e) = check_label_key(&taint.key) {
            errors.push(SpecError::new(format!("{field}.taint.key"), e.to_string()));
        }
        if let Some(value) = &taint.value
            && let Err(e) = check_label_value(value)
        {
            errors.push(SpecError::new(
                format!("{field}.taint.value"),
                e.to_string(),
            ));
        }
    }
    if let Some(template) = &response.containment
        && let Err(e) = environment().template_from_str(template)
    {
        errors.push(SpecError::new(
            format!("{field}.containment"),
            format!("template error: {e}"),
        ));
    }
    if let Some(webhook) = &response.webhook {
        let url = webhook.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.split('/').next().is_none_or(str::is_empty)) {
            errors.push(SpecError::new(
                format!("{field}.webhook.url"),
                format!("{url:?} is not an http:// or https:// URL with a host"),
            ));
        }
        if webhook.secret_ref.name.is_empty() || webhook.secret_ref.key.is_empty() {
            errors.push(SpecError::new(
                format!("{field}.webhook.secretRef"),
                "name the Secret and the key holding the signing key",
            ));
        }
    }
}

/// The objects the containment `template` renders to for one asset: each YAML document a
/// Kubernetes object with `apiVersion`, `kind` and `metadata.name`; a document without a
/// namespace gets the asset's (cluster-scoped kinds ignore it).
pub fn render_containment(
    template: &str,
    context: &ContainmentContext,
) -> Result<Vec<Value>, String> {
    let environment = environment();
    let compiled = environment
        .template_from_str(template)
        .map_err(|e| format!("template error: {e}"))?;
    let text = compiled
        .render(TemplateValue::from(minijinja::value::Serde(context)))
        .map_err(|e| format!("rendering for {}: {e}", context.asset.name))?;
    let mut objects = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let mut object: Value = serde::Deserialize::deserialize(document)
            .map_err(|e| format!("document {}: not YAML: {e}", index + 1))?;
        if object.is_null() {
            continue;
        }
        for (path, value) in [
            ("apiVersion", &object["apiVersion"]),
            ("kind", &object["kind"]),
            ("metadata.name", &object["metadata"]["name"]),
        ] {
            if value.as_str().is_none_or(str::is_empty) {
                return Err(format!("document {}: `{path}` is missing", index + 1));
            }
        }
        if object["metadata"]["namespace"].is_null() {
            object["metadata"]["namespace"] = Value::String(context.asset.namespace.clone());
        }
        objects.push(object);
    }
    if objects.is_empty() {
        return Err("the template renders no object".to_string());
    }
    Ok(objects)
}

/// A template environment that refuses undefined values and writes every value through
/// [`yaml_safe`].
fn environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_formatter(|out, _state, value| {
        let text = match value.kind() {
            ValueKind::String => yaml_safe(value.as_str().unwrap_or_default()),
            ValueKind::Map | ValueKind::Seq => serde_json::to_string(value).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
            })?,
            _ => yaml_safe(&value.to_string()),
        };
        out.write_str(&text)
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    });
    environment
}

/// `value` as it may stand in a YAML manifest: unchanged when every character is a letter,
/// digit or one of `-._/@`, else as a JSON string.
pub fn yaml_safe(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/' | '@'));
    if plain {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| String::from("\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::KeyReference;
    use crate::patch_policy::{IncidentTaint, IncidentWebhook, TaintEffect};

    fn context(name: &str, cause: &str) -> ContainmentContext {
        ContainmentContext {
            asset: AssetValues {
                name: name.into(),
                namespace: "shop".into(),
                address: Some("10.0.0.7".into()),
                node: Some("node-a".into()),
                labels: [("tier".to_string(), "web".to_string())].into(),
            },
            incident: IncidentValues {
                kind: "Compromised".into(),
                cause: cause.into(),
                finding: None,
            },
            policy: PolicyValues {
                name: "ir".into(),
                namespace: "shop".into(),
            },
        }
    }

    const ISOLATE: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: isolate-{{ asset.name }}\n  annotations:\n    cause: {{ incident.cause }}\nspec:\n  podSelector:\n    matchLabels: {{ asset.labels }}\n  policyTypes: [Ingress, Egress]\n";

    #[test]
    fn the_template_is_rendered_with_the_asset_values_into_objects() {
        let objects =
            render_containment(ISOLATE, &context("web-1", "reported compromised")).expect("render");
        assert_eq!(objects.len(), 1);
        let object = &objects[0];
        assert_eq!(object["metadata"]["name"], "isolate-web-1");
        assert_eq!(object["metadata"]["namespace"], "shop");
        assert_eq!(
            object["metadata"]["annotations"]["cause"],
            "reported compromised"
        );
        assert_eq!(object["spec"]["podSelector"]["matchLabels"]["tier"], "web");
    }

    #[test]
    fn a_hostile_value_stays_one_scalar() {
        let hostile = "x\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen} # ";
        let objects = render_containment(ISOLATE, &context("web-1", hostile)).expect("render");
        assert_eq!(objects.len(), 1, "{objects:?}");
        assert_eq!(objects[0]["metadata"]["annotations"]["cause"], hostile);
        assert_eq!(yaml_safe("web-1"), "web-1");
        assert_eq!(yaml_safe("a: b"), "\"a: b\"");
        assert_eq!(yaml_safe(""), "\"\"");
    }

    #[test]
    fn rendering_names_what_is_wrong() {
        let unknown = render_containment("kind: {{ asset.nope }}", &context("web-1", "c"));
        assert!(unknown.is_err_and(|e| e.starts_with("rendering for web-1:")));
        let no_kind =
            render_containment("apiVersion: v1\nmetadata: {name: x}\n", &context("a", "c"));
        assert_eq!(no_kind, Err("document 1: `kind` is missing".to_string()));
        let empty = render_containment("{# nothing #}", &context("a", "c"));
        assert_eq!(empty, Err("the template renders no object".to_string()));
    }

    #[test]
    fn the_spec_checks_name_each_field() {
        let response = IncidentResponse {
            labels: [("bad key!".to_string(), "ok".to_string())].into(),
            taint: Some(IncidentTaint {
                key: "patchwarden.io/incident".into(),
                value: Some("not a value!".into()),
                effect: TaintEffect::NoExecute,
            }),
            containment: Some("{% if %}".into()),
            webhook: Some(IncidentWebhook {
                url: "ftp://soc.example".into(),
                secret_ref: KeyReference {
                    name: "soc".into(),
                    key: String::new(),
                },
            }),
            ..IncidentResponse::default()
        };
        let mut errors = Vec::new();
        incident_errors(&response, &mut errors);
        let fields: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "spec.incidentResponse.labels",
                "spec.incidentResponse.taint.value",
                "spec.incidentResponse.containment",
                "spec.incidentResponse.webhook.url",
                "spec.incidentResponse.webhook.secretRef",
            ]
        );
        let mut none = Vec::new();
        incident_errors(&IncidentResponse::default(), &mut none);
        assert!(none.is_empty());
    }
}
