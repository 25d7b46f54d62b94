//! End to end, crashes: the operator is killed with SIGKILL at several points of a run and
//! started again each time; the run completes, and each host's dpkg log shows each planned
//! package upgraded exactly once.

use std::time::Duration;

use support::cluster::Cluster;
use support::lab::{apply_with_open_window, planned_hosts};
use support::operator::Operator;
use support::patchwarden;

const RESOURCES: &str = r#"
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: app
  namespace: default
spec:
  lab:
    hosts: 6
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: default
spec:
  assetGroups: [app]
  maintenanceWindows: [always]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 1
    maxUnavailable: 1
"#;

fn run_progress(cluster: &Cluster) -> Option<(String, u64)> {
    let runs = cluster.get_json(&["patchruns"])?;
    let run = runs["items"].as_array()?.first()?.clone();
    let phase = run["status"]["phase"].as_str()?.to_string();
    let succeeded = run["status"]["counts"]["succeeded"].as_u64().unwrap_or(0);
    Some((phase, succeeded))
}

#[test]
fn a_run_survives_sigkill_at_several_points_and_upgrades_each_package_once() {
    let cluster = Cluster::start();
    apply_with_open_window(&cluster, RESOURCES, "app");

    // Kill points: as soon as a run exists, after the canary, and in the middle of the waves.
    let mut operator = Operator::start(&cluster, patchwarden!(), "crash-1", &[]);
    cluster.wait_for("a run to exist", Duration::from_secs(180), || {
        run_progress(&cluster).map(|_| ())
    });
    operator.kill();
    let mut operator = Operator::start(&cluster, patchwarden!(), "crash-2", &[]);
    cluster.wait_for("the canary to finish", Duration::from_secs(180), || {
        run_progress(&cluster)
            .filter(|(_, succeeded)| *succeeded >= 1)
            .map(|_| ())
    });
    operator.kill();
    let mut operator = Operator::start(&cluster, patchwarden!(), "crash-3", &[]);
    cluster.wait_for("half the waves", Duration::from_secs(180), || {
        run_progress(&cluster)
            .filter(|(_, succeeded)| *succeeded >= 3)
            .map(|_| ())
    });
    operator.kill();
    let _operator = Operator::start(&cluster, patchwarden!(), "crash-4", &[]);
    let run = cluster.wait_for("the run to succeed", Duration::from_secs(300), || {
        let runs = cluster.get_json(&["patchruns"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        (run["status"]["phase"] == "Succeeded").then_some(run)
    });
    let runs = cluster.get_json(&["patchruns"]).expect("runs");
    assert_eq!(
        runs["items"].as_array().map(Vec::len),
        Some(1),
        "one run only"
    );

    for host in planned_hosts(&cluster, &run, "app") {
        let log = host.root.join("var/log/dpkg.log");
        let actions = patchwarden_lab::read_dpkg_log(&log).expect("dpkg log");
        for package in &host.packages {
            let package_name = package["name"].as_str().expect("package");
            let to = package["to"].as_str().expect("to");
            let upgrades = actions
                .iter()
                .filter(|a| {
                    a.action == "upgrade"
                        && a.package == package_name
                        && a.to_version.as_deref() == Some(to)
                })
                .count();
            assert_eq!(
                upgrades, 1,
                "{}: {package_name} upgraded {upgrades} times to {to}",
                host.name
            );
        }
    }
}
