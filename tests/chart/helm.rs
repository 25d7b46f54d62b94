//! The chart through the real Helm (its Go SDK): linted, rendered, every manifest validated
//! against the Kubernetes OpenAPI schemas of the oldest version the chart supports and the
//! newest one, then applied with the real kubectl to the embedded control plane.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::cluster::TestServer;
use support::paths::repo_path;

use crate::tools::chart_python;

/// `kubeVersion` in Chart.yaml is `>=1.27.0-0`; the newest is the latest schema shipped.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.27.0", "1.37.0"];

/// Helm's lint severities: 1 info, 2 warning, 3 error.
const LINT_WARNING: u64 = 2;

/// Lints and renders the chart with `values` into `out`; the script's JSON report.
fn render(values: &Value, out: &Path) -> Value {
    let output = Command::new(chart_python())
        .arg(repo_path("tests/chart/helm_render.py"))
        .arg(repo_path("charts/patchwarden"))
        .arg(out)
        .arg(values.to_string())
        .args(KUBERNETES_VERSIONS)
        .output()
        .expect("run helm_render.py");
    assert!(
        output.status.success(),
        "helm_render.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

/// Renders `values`, asserting a clean lint and no schema failure; the files written.
fn render_clean(values: &Value, out: &Path) -> Vec<Value> {
    let report = render(values, out);
    assert_eq!(report["render_error"], Value::Null, "{report}");
    let lint = &report["lint"];
    assert_eq!(lint["errors"], json!([]), "helm lint errors: {lint}");
    let warnings: Vec<&Value> = lint["messages"]
        .as_array()
        .expect("lint messages")
        .iter()
        .filter(|m| m["severity"].as_u64().unwrap_or(LINT_WARNING) >= LINT_WARNING)
        .collect();
    assert!(warnings.is_empty(), "helm lint warnings: {warnings:?}");
    assert_eq!(report["failures"], json!([]), "schema validation failed");
    let notes = report["notes"].as_str().unwrap_or_default();
    assert!(
        notes.contains("kubectl apply -R -f"),
        "NOTES.txt renders: {notes}"
    );
    report["files"].as_array().expect("files").clone()
}

fn kinds(files: &[Value]) -> Vec<&str> {
    files.iter().filter_map(|f| f["kind"].as_str()).collect()
}

fn full_values() -> Value {
    json!({
        "agent": {"enabled": true},
        "secretNamespaces": ["fleet", "ops"],
        "serviceMonitor": {"enabled": true},
    })
}

#[test]
fn default_values_render_the_operator_without_agent_or_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_clean(&json!({}), dir.path());
    let kinds = kinds(&files);
    for kind in [
        "CustomResourceDefinition",
        "Deployment",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "ConfigMap",
        "Service",
    ] {
        assert!(kinds.contains(&kind), "{kind} rendered: {kinds:?}");
    }
    for kind in ["DaemonSet", "ServiceMonitor"] {
        assert!(!kinds.contains(&kind), "{kind} is opt-in: {kinds:?}");
    }
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "CustomResourceDefinition")
            .count(),
        6
    );
}

#[test]
fn values_outside_the_schema_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = render(
        &json!({"operator": {"replicas": "two"}, "secretNamespaces": ["Not_A_Name"]}),
        dir.path(),
    );
    let error = report["render_error"]
        .as_str()
        .expect("rendering is refused");
    assert!(error.contains("/operator/replicas"), "{error}");
    assert!(error.contains("/secretNamespaces/0"), "{error}");
    assert!(
        !report["lint"]["errors"]
            .as_array()
            .expect("errors")
            .is_empty()
    );
}

/// The YAML of every rendered file, parsed.
fn objects(files: &[Value]) -> Vec<Value> {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f["path"].as_str().expect("path")).expect("read");
            serde_yaml::from_str(&text).expect("rendered YAML")
        })
        .collect()
}

#[test]
fn secrets_are_readable_only_in_the_listed_namespaces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let objects = objects(&render_clean(&full_values(), dir.path()));
    // Rules that let the operator read Secrets by any name.
    let grants_secrets = |role: &Value| {
        role["rules"].as_array().into_iter().flatten().any(|rule| {
            let reads = rule["verbs"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v == "get" || v == "list" || v == "watch" || v == "*");
            let any_name = rule["resourceNames"]
                .as_array()
                .is_none_or(|n| n.is_empty());
            reads
                && any_name
                && rule["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| r == "secrets" || r == "*")
        })
    };
    let mut namespaces = Vec::new();
    for object in &objects {
        match object["kind"].as_str() {
            Some("ClusterRole") => assert!(!grants_secrets(object), "{object}"),
            Some("Role") if grants_secrets(object) => {
                namespaces.push(
                    object["metadata"]["namespace"]
                        .as_str()
                        .expect("ns")
                        .to_string(),
                );
                let verbs = &object["rules"][0]["verbs"];
                assert_eq!(
                    verbs,
                    &json!(["get", "list", "watch"]),
                    "read only: {object}"
                );
            }
            _ => {}
        }
    }
    assert_eq!(namespaces, ["fleet", "ops"]);
    // In its own namespace it reads only the evidence key, by name.
    let own = objects
        .iter()
        .find(|o| o["kind"] == "Role" && o["metadata"]["name"] == "patchwarden-leader-election")
        .expect("the operator's namespace Role");
    let secret_rules: Vec<&Value> = own["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["resources"] == json!(["secrets"]))
        .collect();
    assert_eq!(
        secret_rules[0]["resourceNames"],
        json!(["patchwarden-evidence-key"])
    );
    assert_eq!(secret_rules[0]["verbs"], json!(["get"]));
    assert_eq!(secret_rules[1]["verbs"], json!(["create"]));
}

#[test]
fn the_operator_runs_restricted_and_probed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let objects = objects(&render_clean(&json!({}), dir.path()));
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/healthz");
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args[0], "operator");
    for flag in [
        "--metrics-addr=0.0.0.0:8080",
        "--lease-name=patchwarden-operator",
        "--lease-namespace=patchwarden",
        "--identity=$(POD_NAME)",
    ] {
        assert!(args.contains(&flag), "{flag} in {args:?}");
    }
}

#[test]
fn every_rendered_manifest_applies_to_the_control_plane() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = render_clean(&full_values(), dir.path());
    let server = TestServer::start();
    let kubectl = server.kubectl();
    for namespace in ["patchwarden", "fleet", "ops"] {
        kubectl.ok(&["create", "namespace", namespace]);
    }
    let mut applied = 0;
    for file in &files {
        // The Prometheus Operator's kinds need its own CRDs, which this cluster has not.
        if file["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("monitoring.coreos.com/"))
        {
            continue;
        }
        let path = file["path"].as_str().expect("path");
        let output = kubectl.run(
            &["apply", "--server-side", "--field-manager=helm", "-f", path],
            None,
        );
        assert!(output.success, "kubectl apply {path}: {}", output.stderr);
        applied += 1;
    }
    assert!(applied >= 20, "{applied} objects applied");
    let stored = kubectl.ok(&[
        "get",
        "deployments,daemonsets,serviceaccounts,services,roles,\
        rolebindings,networkpolicies,configmaps",
        "-A",
        "-o",
        "name",
    ]);
    for name in [
        "deployment.apps/patchwarden-operator",
        "daemonset.apps/patchwarden-agent",
        "networkpolicy.networking.k8s.io/patchwarden-operator",
        "role.rbac.authorization.k8s.io/patchwarden-secrets",
    ] {
        assert!(stored.contains(name), "{name} stored: {stored}");
    }
    let clusterroles = kubectl.ok(&["get", "clusterroles", "-o", "name"]);
    assert!(clusterroles.contains("clusterrole.rbac.authorization.k8s.io/patchwarden-operator"));
    let deployment = kubectl
        .get_json(&["deployment", "patchwarden-operator", "-n", "patchwarden"])
        .expect("the Deployment reads back");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
}
