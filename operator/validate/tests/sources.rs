//! The in-memory entry point (for files read from Git blobs), the valid library and examples,
//! human output, and robustness against arbitrary input.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use patchwarden_validate::{Check, Options, validate_paths, validate_sources};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

const WINDOW: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: nightly
spec:
  schedule: "0 2 * * *"
  timeZone: Europe/Berlin
  duration: 3h
"#;

const POLICY: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: team-a
spec:
  assetGroups: [web]
  maintenanceWindows: [nightly]
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: team-a
spec:
  selector:
    matchLabels: {tier: web}
"#;

#[test]
fn in_memory_sources_resolve_references_per_namespace() {
    let report = validate_sources(
        [("windows.yaml", WINDOW), ("team-a/policy.yaml", POLICY)],
        &Options::new(now()),
    );
    assert_eq!(report.files, ["windows.yaml", "team-a/policy.yaml"]);
    assert_eq!(report.documents.len(), 3);
    // The window is in `default`, the policy in `team-a`: the reference does not resolve.
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    let d = &report.diagnostics[0];
    assert_eq!(d.check, Check::Reference);
    assert_eq!(d.file, "team-a/policy.yaml");
    assert_eq!(d.line, Some(8));
    assert_eq!(d.path.as_deref(), Some("spec.maintenanceWindows[0]"));

    let mut options = Options::new(now());
    options.default_namespace = "team-a".to_string();
    let report = validate_sources(
        [("windows.yaml", WINDOW), ("team-a/policy.yaml", POLICY)],
        &options,
    );
    assert!(report.is_valid(), "{:?}", report.diagnostics);
    let resources = report.resources();
    assert_eq!(resources.windows.len(), 1);
    assert_eq!(resources.policies[0].spec.asset_groups, ["web"]);
    assert_eq!(resources.asset_groups.len(), 1);
}

#[test]
fn the_policy_library_and_examples_are_valid() {
    let root = repository();
    let report = validate_paths(
        &[root.join("policies"), root.join("examples")],
        &Options::new(now()),
    )
    .expect("paths exist");
    assert!(report.is_valid(), "{}", report.render_human(false));
    let resources = report.resources();
    assert!(resources.windows.len() >= 4);
    assert!(resources.policies.len() >= 4);
    assert!(resources.asset_groups.len() >= 2);
}

#[test]
fn human_output_groups_per_file_and_colours_only_when_asked() {
    let broken = WINDOW.replace("Europe/Berlin", "Europe/Berlln");
    let report = validate_sources([("w.yaml", broken.as_str())], &Options::new(now()));
    let plain = report.render_human(false);
    assert!(plain.starts_with("w.yaml\n"), "{plain}");
    assert!(
        plain.contains("7:3  error[spec]  MaintenanceWindow default/nightly"),
        "{plain}"
    );
    assert!(
        plain.contains("spec.timeZone: unknown time zone \"Europe/Berlln\""),
        "{plain}"
    );
    assert!(
        plain.contains("✗ 1 error in 1 file (1 document in 1 file checked)"),
        "{plain}"
    );
    assert!(!plain.contains('\x1b'));
    let coloured = report.render_human(true);
    assert!(coloured.contains("\x1b[31merror"), "{coloured}");
}

#[test]
fn missing_paths_are_usage_errors() {
    let error = validate_paths(
        &[PathBuf::from("/nonexistent/patchwarden")],
        &Options::new(now()),
    )
    .expect_err("missing path");
    assert!(error.to_string().contains("no such file or directory"));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let report = validate_sources([("random.yaml", text.as_ref())], &Options::new(now()));
        prop_assert!(report.diagnostics.iter().all(|d| d.file == "random.yaml"));
    }

    #[test]
    fn never_panics_on_mutated_resources(
        position in 0usize..2000,
        insert in "[ -~\n\t]{0,12}",
        delete in 0usize..8,
    ) {
        // Valid documents with a random splice: the shapes a careless edit produces.
        let source = format!("{WINDOW}---\n{POLICY}");
        let mut chars: Vec<char> = source.chars().collect();
        let at = position % (chars.len() + 1);
        let end = (at + delete).min(chars.len());
        chars.splice(at..end, insert.chars());
        let text: String = chars.into_iter().collect();
        let report = validate_sources([("mutated.yaml", text.as_str())], &Options::new(now()));
        for d in &report.diagnostics {
            prop_assert!(!d.message.is_empty());
            if let Some(line) = d.line {
                prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{d}");
            }
        }
    }
}

#[test]
fn overlapping_paths_read_each_file_once() {
    let root = repository();
    let report = validate_paths(
        &[
            root.join("policies"),
            root.join("policies/windows"),
            root.join("policies/windows/weekend-nights.yaml"),
        ],
        &Options::new(now()),
    )
    .expect("paths exist");
    assert!(report.is_valid(), "{}", report.render_human(false));
    assert_eq!(report.files.len(), 10);
}
