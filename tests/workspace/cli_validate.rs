//! `patchwarden validate` as a user runs it: exit 0 on the policy library and examples, 1 on
//! the bad corpus (with file:line diagnostics), 2 on usage errors; JSON output parses.

use std::process::Output;

use support::patchwarden;
use support::paths::repo_root;

fn validate(args: &[&str]) -> Output {
    patchwarden!()
        .arg("validate")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("patchwarden runs")
}

#[test]
fn the_library_and_examples_validate() {
    let output = validate(&["policies", "examples"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(": valid"), "{stdout}");
}

#[test]
fn the_bad_corpus_fails_with_located_diagnostics() {
    let output = validate(&[
        "--now",
        "2026-11-28T00:00:00Z",
        "--color",
        "never",
        "operator/validate/tests/invalid",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("operator/validate/tests/invalid/20-spec-cron-invalid.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("error[sla-gap]  PatchPolicy default/sla-gap"),
        "{stdout}"
    );
    assert!(stdout.contains("52 errors in 52 files"), "{stdout}");
}

#[test]
fn json_output_is_one_document() {
    let output = validate(&[
        "-o",
        "json",
        "--now",
        "2026-11-28T00:00:00Z",
        "operator/validate/tests/invalid/42-sla-gap.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], false);
    // Alone, the policy's group is missing too: two problems, each located.
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let checks: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["check"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(checks, ["reference", "sla-gap"], "{report}");
    assert_eq!(diagnostics[1]["line"], 19);
    assert_eq!(diagnostics[1]["path"], "spec.sla.critical");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(validate(&["no/such/dir"]).status.code(), Some(2));
    assert_eq!(validate(&[]).status.code(), Some(2));
    assert_eq!(
        validate(&["--output", "xml", "policies"]).status.code(),
        Some(2)
    );
    assert_eq!(
        validate(&["--now", "yesterday", "policies"]).status.code(),
        Some(2)
    );
    let empty = tempfile::tempdir().expect("temporary directory");
    let output = validate(&[empty.path().to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no YAML files"));
}
