//! End to end, reboots: two lab fleets patched by two policies. With `reboot: IfRequired`,
//! only the hosts whose upgrade asks for a reboot (the `RequiresReboot` fault writes
//! `run/reboot-required`) are rebooted: their boot id changes and the marker is gone. With
//! `reboot: Always`, every host is rebooted. Verification runs after the reboot, and each
//! asset result says whether its asset was rebooted.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::cluster::Cluster;
use support::lab::{apply_with_open_window, planned_hosts};
use support::operator::Operator;
use support::patchwarden;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: kernel
  namespace: default
spec:
  lab:
    hosts: 3
    faults:
      - kind: RequiresReboot
        package: openssl
        hosts: [kernel-0, kernel-2]
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: edge
  namespace: default
spec:
  lab:
    hosts: 2
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: if-required
  namespace: default
spec:
  assetGroups: [kernel]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
    include: ["openssl", "libssl*"]
  rollout:
    canary: 0
    maxUnavailable: 3
  reboot: IfRequired
  rebootTimeout: 2m
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: always
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
    include: ["openssl", "libssl*"]
  rollout:
    canary: 0
    maxUnavailable: 2
  reboot: Always
  rebootCommand: ["systemctl", "reboot", "--message=patchwarden"]
"#;

/// The finished run of `policy`.
fn finished_run(cluster: &Cluster, policy: &str) -> Value {
    cluster.wait_for(
        &format!("the run of {policy} to finish"),
        Duration::from_secs(300),
        || {
            let runs = cluster.get_json(&["patchruns"])?;
            runs["items"]
                .as_array()?
                .iter()
                .find(|r| r["spec"]["policy"] == policy && r["status"]["finishedAt"].is_string())
                .cloned()
        },
    )
}

/// The boot id a lab host has now, if it was ever read.
fn boot_id(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join("proc/sys/kernel/random/boot_id"))
        .ok()
        .map(|id| id.trim().to_string())
}

/// The boot id recorded on the Asset before its reboot.
fn recorded_boot_id(cluster: &Cluster, asset: &str) -> Option<String> {
    let asset = cluster.get_json(&["asset", asset])?;
    let record = asset["metadata"]["annotations"]["patchwarden.io/reboot"].as_str()?;
    let record: Value = serde_json::from_str(record).ok()?;
    record["bootId"].as_str().map(String::from)
}

/// Checks every planned host of `run` in `group`: rebooted exactly when `expect_reboot` says
/// so for its asset name, with a new boot id and no reboot-required marker left.
fn check_hosts(cluster: &Cluster, run: &Value, group: &str, expect_reboot: impl Fn(&str) -> bool) {
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    let results = run["status"]["assets"].as_array().expect("results");
    for host in planned_hosts(cluster, run, group) {
        let result = results
            .iter()
            .find(|r| r["name"] == host.name.as_str())
            .expect("a result per planned asset");
        assert_eq!(result["state"], "Succeeded", "{result}");
        let message = result["message"].as_str().unwrap_or("");
        assert!(
            !host.root.join("run/reboot-required").exists(),
            "{} still requires a reboot",
            host.name
        );
        if expect_reboot(&host.name) {
            assert_eq!(result["rebooted"], true, "{result}");
            assert!(message.contains("rebooted in "), "{result}");
            let before = recorded_boot_id(cluster, &host.name).expect("boot id recorded");
            let now = boot_id(&host.root).expect("boot id");
            assert_ne!(before, now, "{} kept its boot id", host.name);
        } else {
            assert!(
                result["rebooted"].is_null() || result["rebooted"] == false,
                "{result}"
            );
            assert!(message.contains("not rebooted"), "{result}");
            assert_eq!(recorded_boot_id(cluster, &host.name), None, "{}", host.name);
        }
    }
}

#[test]
fn if_required_reboots_only_the_hosts_that_ask_and_always_reboots_every_host() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "reboots", &[]);
    apply_with_open_window(&cluster, RESOURCES, "kernel");

    let run = finished_run(&cluster, "if-required");
    check_hosts(&cluster, &run, "kernel", |host| {
        host == "kernel-0" || host == "kernel-2"
    });
    let run = finished_run(&cluster, "always");
    check_hosts(&cluster, &run, "edge", |_| true);

    // Re-inventoried after the run, no asset requires a reboot any more.
    cluster.wait_for(
        "assets to stop requiring a reboot",
        Duration::from_secs(60),
        || {
            let list = cluster.get_json(&["assets"])?;
            let items = list["items"].as_array()?;
            (items.len() == 5 && items.iter().all(|a| a["status"]["rebootRequired"] == false))
                .then_some(())
        },
    );
}
