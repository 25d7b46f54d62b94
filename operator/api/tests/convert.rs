//! Spec-to-core conversions: valid specs convert, and each invalid field is named.

use patchwarden_api::{CheckSpec, MaintenanceWindow, PatchPolicy, PatchRun};
use patchwarden_core::CountOrPercent;
use patchwarden_core::window::{is_open, next_openings};

fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_yaml::from_str(text).expect("valid YAML for the type")
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("valid time")
        .with_timezone(&chrono::Utc)
}

#[test]
fn patch_tuesday_plus_two_converts_and_opens_on_thursday() {
    let window: MaintenanceWindow = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata: {name: patch-tuesday-plus-2}
spec:
  schedule: "0 22 * * TUE#2"
  timeZone: Europe/Berlin
  duration: 4h
  cutoff: 30m
  offsetDays: 2
"#,
    );
    assert!(window.spec_errors().is_empty());
    let definition = window.spec.to_definition().expect("valid");
    let next = next_openings(&definition, at("2026-12-01T00:00:00Z"), 1);
    // Second Tuesday of December 2026 is the 8th; plus two days is Thursday the 10th, 22:00 CET.
    assert_eq!(next[0].opens_at, at("2026-12-10T21:00:00Z"));
    assert!(is_open(&definition, at("2026-12-10T23:00:00Z")));
}

#[test]
fn window_errors_name_each_field() {
    let window: MaintenanceWindow = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata: {name: broken}
spec:
  schedule: "0 2 * *"
  timeZone: Europe/Berlln
  duration: 3 hours
  blackouts:
  - {start: "2026-12-20", end: "2026-12-10", reason: freeze}
"#,
    );
    let fields: Vec<String> = window.spec_errors().into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["spec.schedule", "spec.timeZone", "spec.duration"]);
    let window: MaintenanceWindow = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata: {name: broken}
spec:
  schedule: "0 2 * * *"
  duration: 3h
  cutoff: 3h
  blackouts:
  - {start: "2026-12-20", end: "2026-12-10", reason: freeze}
"#,
    );
    let errors = window.spec_errors();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["spec.blackouts[0].end", "spec.cutoff"],
        "{errors:?}"
    );
    assert!(window.spec.to_definition().is_err());
}

#[test]
fn policy_converts_to_core_rules_and_names_bad_fields() {
    let policy: PatchPolicy = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata: {name: standard}
spec:
  assetGroups: [web]
  maintenanceWindows: [weekend]
  approval: {minSeverity: High, approveAfter: 2d, include: ["openssl*"]}
  sla: {critical: 7d, high: 30d}
  emergency: [KnownExploited]
  rollout: {canary: 1, maxUnavailable: "25%", maxFailures: 0, pauseBetweenWaves: 10m,
            expectedAssetDuration: 90s}
"#,
    );
    assert!(
        policy.spec_errors().is_empty(),
        "{:?}",
        policy.spec_errors()
    );
    let rollout = policy.spec.core_rollout_settings().expect("valid");
    assert_eq!(rollout.canary, Some(CountOrPercent::Count(1)));
    assert_eq!(rollout.max_unavailable, CountOrPercent::Percent(25));
    assert_eq!(rollout.max_failures, CountOrPercent::Count(0));
    assert_eq!(rollout.pause_between_waves.as_secs(), 600);
    assert_eq!(rollout.default_asset_duration.as_secs(), 90);
    assert!(rollout.rollback_on_failure, "on unless turned off");
    let sla = policy.spec.sla_rules().expect("valid");
    assert_eq!(sla.deadlines.len(), 2);
    assert!(policy.spec.compile_approval().is_ok());

    let broken: PatchPolicy = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata: {name: broken}
spec:
  assetGroups: [web, web]
  approval: {exclude: ["linux-image-[*"]}
  sla: {critical: 7 days}
  rollout: {maxUnavailable: 0, canary: "150%", expectedAssetDuration: 0s}
"#,
    );
    let fields: Vec<String> = broken.spec_errors().into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "spec.assetGroups[1]",
            "spec.approval.exclude[0]",
            "spec.sla.critical",
            "spec.rollout.canary",
            "spec.rollout.maxUnavailable",
            "spec.rollout.expectedAssetDuration",
        ]
    );
}

#[test]
fn rollout_settings_default_and_a_zero_canary_means_none() {
    let policy: PatchPolicy = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata: {name: plain}
spec:
  assetGroups: [web]
  rollout: {canary: "0%", rollbackOnFailure: false}
"#,
    );
    let rollout = policy.spec.core_rollout_settings().expect("valid");
    assert_eq!(rollout.canary, None);
    assert_eq!(rollout.max_unavailable, CountOrPercent::Count(1));
    assert_eq!(
        rollout.default_asset_duration.as_secs(),
        600,
        "10m by default"
    );
    assert!(!rollout.rollback_on_failure);
    let error = from_yaml::<PatchPolicy>(
        "{apiVersion: patchwarden.io/v1alpha1, kind: PatchPolicy, metadata: {name: b}, \
         spec: {assetGroups: [web], rollout: {maxUnavailable: \"0%\"}}}",
    )
    .spec
    .core_rollout_settings()
    .expect_err("no asset at a time");
    assert_eq!(error.field, "spec.rollout.maxUnavailable");
}

#[test]
fn run_waves_must_cover_the_plan_exactly_once() {
    let run: PatchRun = from_yaml(
        r#"
apiVersion: patchwarden.io/v1alpha1
kind: PatchRun
metadata: {name: run-1}
spec:
  assets:
  - {name: a, packages: [{name: openssl, from: "3.0.11-1~deb12u1", to: "3.0.11-1~deb12u2"}]}
  - {name: b}
  waves:
  - {assets: [a], canary: true}
  - {assets: [a, c]}
"#,
    );
    let fields: Vec<String> = run.spec_errors().into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "spec.waves[1].assets[0]",
            "spec.waves[1].assets[1]",
            "spec.assets[1]"
        ]
    );
}
