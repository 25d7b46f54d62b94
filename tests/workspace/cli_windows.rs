//! `patchwarden windows`: the next openings of each window and when each policy may act, from
//! real YAML files, at a fixed `--now` (exact human output, and JSON).

use std::path::Path;
use std::process::Output;

use support::patchwarden;

const SET: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: berlin-nights
spec:
  schedule: "30 2 * * *"
  timeZone: Europe/Berlin
  duration: 2h
  cutoff: 30m
  blackouts:
  - start: "2026-03-30"
    end: "2026-03-30"
    reason: quarter-end close
---
apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: second-tuesday-plus-2
spec:
  schedule: "0 20 * * TUE#2"
  offsetDays: 2
  timeZone: America/New_York
  duration: 4h
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: nodes
spec:
  assetGroups: [web]
  maintenanceWindows: [berlin-nights, second-tuesday-plus-2]
  emergency: [KnownExploited]
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: paused
spec:
  assetGroups: [web]
  maintenanceWindows: [berlin-nights]
  suspend: true
"#;

fn windows(dir: &Path, extra: &[&str]) -> Output {
    patchwarden!()
        .arg("windows")
        .arg(dir)
        .args(extra)
        .output()
        .expect("run patchwarden windows")
}

fn fixture(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("set.yaml"), text).expect("write fixture");
    dir
}

#[test]
fn prints_openings_across_the_spring_change_and_a_blackout() {
    let dir = fixture(SET);
    let out = windows(dir.path(), &["--now", "2026-03-28T12:00:00Z"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = "\
Maintenance windows at 2026-03-28 12:00 UTC
WINDOW                          NOW      OPENS                   CLOSES                       NO NEW WORK FROM
default/berlin-nights           closed   2026-03-29 03:00 CEST   2026-03-29 05:00 CEST        2026-03-29 04:30 CEST
                                         2026-03-30 02:30 CEST   skipped: quarter-end close
                                         2026-03-31 02:30 CEST   2026-03-31 04:30 CEST        2026-03-31 04:00 CEST
default/second-tuesday-plus-2   closed   2026-04-16 20:00 EDT    2026-04-17 00:00 EDT         2026-04-17 00:00 EDT
                                         2026-05-14 20:00 EDT    2026-05-15 00:00 EDT         2026-05-15 00:00 EDT
                                         2026-06-11 20:00 EDT    2026-06-12 00:00 EDT         2026-06-12 00:00 EDT

Patch policies
POLICY           MODE      WINDOWS                               NEXT MAY ACT           NOTE
default/nodes    Enforce   berlin-nights,second-tuesday-plus-2   2026-03-29 01:00 UTC   in 13h; out of window on KnownExploited
default/paused   Enforce   berlin-nights                         never                  suspended
";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn shows_the_opening_in_progress_and_its_cutoff() {
    let dir = fixture(SET);
    // 03:15 CEST on 2026-03-31: inside 02:30-04:30, before the 04:00 cutoff.
    let out = windows(dir.path(), &["--now", "2026-03-31T01:15:00Z", "-n", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "default/berlin-nights           open     2026-03-31 02:30 CEST (now)   2026-03-31 04:30 CEST   2026-03-31 04:00 CEST"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("default/nodes    Enforce   berlin-nights,second-tuesday-plus-2   2026-03-31 01:15 UTC   a window is open now"), "{stdout}");
}

#[test]
fn json_output_has_the_openings_and_the_next_time_each_policy_may_act() {
    let dir = fixture(SET);
    let out = windows(dir.path(), &["--now", "2026-03-28T12:00:00Z", "-o", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let berlin = &json["windows"][0];
    assert_eq!(berlin["name"], "berlin-nights");
    assert_eq!(berlin["status"]["phase"], "Closed");
    assert_eq!(berlin["status"]["nextChange"]["at"], "2026-03-29T01:00:00Z");
    assert_eq!(
        berlin["occurrences"][0]["openings"][0]["opensAt"],
        "2026-03-29T01:00:00Z"
    );
    assert_eq!(
        berlin["occurrences"][1]["blackedOutBy"][0],
        "quarter-end close"
    );
    assert_eq!(
        berlin["occurrences"][1]["openings"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let nodes = &json["policies"][0];
    assert_eq!(nodes["name"], "nodes");
    assert_eq!(nodes["nextMayAct"], "2026-03-29T01:00:00Z");
    assert_eq!(json["policies"][1]["nextMayAct"], serde_json::Value::Null);
}

#[test]
fn an_invalid_window_is_reported_with_its_field_and_exit_status_1() {
    let dir = fixture(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: bad\nspec:\n  schedule: \"0 2 * * TUE#6\"\n  timeZone: Europe/Berln\n  duration: 2h\n",
    );
    let out = windows(dir.path(), &["--now", "2026-03-28T12:00:00Z"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("spec.schedule"), "{stderr}");
    assert!(stderr.contains("spec.timeZone"), "{stderr}");
    assert!(stderr.contains("Europe/Berln"), "{stderr}");
}
