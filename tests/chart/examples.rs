//! The examples as users apply them: `examples/quickstart` as a directory with
//! `kubectl apply -R -f` (what an Argo CD directory source and a Flux Kustomization do), and
//! the Argo CD Application and Flux Kustomization pointing at the repository's policies.

use serde::Deserialize;
use serde_json::Value;
use support::cluster::TestServer;
use support::paths::{arg, repo_path};

fn documents(relative: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_path(relative)).expect("example file");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            serde_json::to_value(serde_yaml::Value::deserialize(doc).expect("YAML")).expect("JSON")
        })
        .collect()
}

#[test]
fn the_quickstart_directory_applies_recursively() {
    let server = TestServer::start();
    let kubectl = server.kubectl();
    kubectl.ok(&["apply", "-f", arg(&repo_path("charts/patchwarden/crds"))]);
    let quickstart = repo_path("examples/quickstart");
    support::wait::wait_for(
        "the CRDs served",
        std::time::Duration::from_secs(30),
        || kubectl.try_ok(&["get", "patchpolicies"]).ok(),
    );
    let dry_run = kubectl.ok(&["apply", "-R", "-f", arg(&quickstart), "--dry-run=server"]);
    assert!(dry_run.contains("(server dry run)"), "{dry_run}");
    let applied = kubectl.ok(&["apply", "-R", "-f", arg(&quickstart)]);
    for object in [
        "patchpolicy.patchwarden.io/quickstart-standard",
        "assetgroup.patchwarden.io/quickstart",
        "vulnerabilityfeed.patchwarden.io/quickstart-osv",
    ] {
        assert!(applied.contains(object), "{object} applied: {applied}");
    }
    // Every file in the directory is an object: nothing there for kubectl to trip on.
    let names = std::fs::read_dir(&quickstart).expect("read quickstart");
    for entry in names.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            name.ends_with(".yaml") || name == "README.md",
            "{name} in examples/quickstart"
        );
    }
}

#[test]
fn argocd_and_flux_examples_point_at_the_policies() {
    let application = &documents("examples/argocd/application.yaml")[0];
    assert_eq!(application["kind"], "Application");
    let path = application["spec"]["source"]["path"]
        .as_str()
        .expect("source path");
    assert!(
        repo_path(path).is_dir(),
        "{path} is a directory of the repository"
    );
    let kustomization = &documents("examples/flux/kustomization.yaml")[0];
    assert_eq!(kustomization["kind"], "Kustomization");
    assert_eq!(kustomization["spec"]["wait"], true);
    let path = kustomization["spec"]["path"].as_str().expect("path");
    assert!(repo_path(path.trim_start_matches("./")).is_dir(), "{path}");
    let source = &documents("examples/flux/gitrepository.yaml")[0];
    assert_eq!(source["kind"], kustomization["spec"]["sourceRef"]["kind"]);
    assert_eq!(
        source["metadata"]["name"],
        kustomization["spec"]["sourceRef"]["name"]
    );
    assert_eq!(
        source["spec"]["url"],
        application["spec"]["source"]["repoURL"]
    );
}
