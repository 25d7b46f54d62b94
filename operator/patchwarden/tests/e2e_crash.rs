//! End to end, crashes: the operator is killed with SIGKILL at several points of a run and
//! started again each time; the run completes, and each host's dpkg log shows each planned
//! package upgraded exactly once.

mod e2e_support;

use std::time::Duration;

use e2e_support::{Cluster, Operator, window_open_now};

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
    cluster.apply("window", &window_open_now("always"));
    cluster.apply("resources", RESOURCES);
    let feed = cluster.path("labs/default/app/feeds/osv-debian12.jsonl");
    cluster.apply(
        "feed",
        &format!(
            "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {}\n",
            feed.display()
        ),
    );

    // Kill points: as soon as a run exists, after the canary, and in the middle of the waves.
    let mut operator = Operator::start(&cluster, "crash-1", &[]);
    cluster.wait_for("a run to exist", Duration::from_secs(180), || {
        run_progress(&cluster).map(|_| ())
    });
    operator.kill();
    let mut operator = Operator::start(&cluster, "crash-2", &[]);
    cluster.wait_for("the canary to finish", Duration::from_secs(180), || {
        run_progress(&cluster)
            .filter(|(_, succeeded)| *succeeded >= 1)
            .map(|_| ())
    });
    operator.kill();
    let mut operator = Operator::start(&cluster, "crash-3", &[]);
    cluster.wait_for("half the waves", Duration::from_secs(180), || {
        run_progress(&cluster)
            .filter(|(_, succeeded)| *succeeded >= 3)
            .map(|_| ())
    });
    operator.kill();
    let _operator = Operator::start(&cluster, "crash-4", &[]);
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

    for planned in run["spec"]["assets"].as_array().expect("planned") {
        let name = planned["name"].as_str().expect("name");
        let asset = cluster.get_json(&["asset", name]).expect("asset");
        let host = asset["spec"]["address"].as_str().expect("address");
        let log = cluster.path(&format!("labs/default/app/hosts/{host}/var/log/dpkg.log"));
        let actions = patchwarden_lab::read_dpkg_log(&log).expect("dpkg log");
        for package in planned["packages"].as_array().expect("packages") {
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
                "{name} ({host}): {package_name} upgraded {upgrades} times to {to}"
            );
        }
    }
}
