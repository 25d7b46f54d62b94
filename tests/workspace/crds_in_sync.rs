//! The committed `crds/` directory holds exactly what `patchwarden crds` generates from the API
//! types; regenerate with `cargo run -- crds` after changing a type.

use std::collections::BTreeSet;
use std::path::PathBuf;

use support::paths::repo_path;

fn crds_dir() -> PathBuf {
    repo_path("crds")
}

#[test]
fn committed_crds_match_the_generated_ones() {
    let dir = crds_dir();
    let generated = patchwarden_api::crds::files().expect("CRDs render as YAML");
    let mut stale = Vec::new();
    for (name, text) in &generated {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == *text => {}
            Ok(_) => stale.push(format!("{name} differs")),
            Err(error) => stale.push(format!("{name} is missing ({error})")),
        }
    }
    assert!(
        stale.is_empty(),
        "crds/ is out of date; run `cargo run -p patchwarden -- crds`:\n{}",
        stale.join("\n")
    );
    let expected: BTreeSet<String> = generated.into_iter().map(|(name, _)| name).collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("crds/ exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let extra: Vec<&String> = present.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "files in crds/ that no kind generates: {extra:?}"
    );
}

#[test]
fn committed_crds_document_every_field() {
    // The generated files are what `kubectl explain` serves: every property needs a description.
    for (name, _) in patchwarden_api::crds::files().expect("CRDs render as YAML") {
        let text = std::fs::read_to_string(crds_dir().join(&name)).expect("CRD file readable");
        let crd: serde_json::Value = serde_yaml::from_str(&text).expect("CRD file is YAML");
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let mut missing = Vec::new();
        walk(schema, "", &mut missing);
        assert!(
            missing.is_empty(),
            "{name}: fields without a description: {missing:?}"
        );
    }
}

fn walk(schema: &serde_json::Value, path: &str, missing: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) {
        for (key, child) in properties {
            let child_path = format!("{path}.{key}");
            let described = child
                .get("description")
                .and_then(|d| d.as_str())
                .is_some_and(|d| !d.trim().is_empty());
            if !described {
                missing.push(child_path.clone());
            }
            walk(child, &child_path, missing);
        }
    }
    if let Some(items) = schema.get("items") {
        walk(items, &format!("{path}[]"), missing);
    }
}
