//! End to end, leader election: two operator processes share one Lease; only the holder
//! reconciles; killing it hands the Lease and the work over to the other.

use std::time::Duration;

use support::cluster::Cluster;
use support::operator::Operator;
use support::patchwarden;
use support::resources::window_open_now;

fn lease_holder(cluster: &Cluster) -> Option<String> {
    let lease = cluster.get_json(&["lease", "patchwarden-operator", "-n", "default"])?;
    lease["spec"]["holderIdentity"].as_str().map(str::to_string)
}

#[test]
fn only_the_lease_holder_acts_and_killing_it_hands_over() {
    let cluster = Cluster::start();
    let mut first = Operator::start(&cluster, patchwarden!(), "first", &[]);
    cluster.wait_for("first to hold the lease", Duration::from_secs(30), || {
        (lease_holder(&cluster)? == "first").then_some(())
    });
    let second = Operator::start(&cluster, patchwarden!(), "second", &[]);

    cluster.apply(&window_open_now("window-a"));
    cluster.wait_for("window-a reconciled", Duration::from_secs(60), || {
        let window = cluster.get_json(&["maintenancewindow", "window-a"])?;
        window["status"]["observedGeneration"].as_i64().map(|_| ())
    });
    let follower_metrics = second.http_get("/metrics");
    assert!(
        follower_metrics.contains("patchwarden_leader 0"),
        "{follower_metrics}"
    );
    assert!(
        !follower_metrics.contains("patchwarden_reconciles_total{"),
        "the follower reconciled: {follower_metrics}"
    );
    assert!(first.http_get("/metrics").contains("patchwarden_leader 1"));

    first.kill();
    cluster.wait_for("second to take the lease", Duration::from_secs(30), || {
        (lease_holder(&cluster)? == "second").then_some(())
    });
    cluster.apply(&window_open_now("window-b"));
    cluster.wait_for(
        "window-b reconciled by the new leader",
        Duration::from_secs(60),
        || {
            let window = cluster.get_json(&["maintenancewindow", "window-b"])?;
            window["status"]["observedGeneration"].as_i64().map(|_| ())
        },
    );
    let metrics = second.http_get("/metrics");
    assert!(metrics.contains("patchwarden_leader 1"), "{metrics}");
    assert!(
        metrics.contains("patchwarden_reconciles_total{controller=\"MaintenanceWindow\"}"),
        "{metrics}"
    );
    let lease = cluster
        .get_json(&["lease", "patchwarden-operator", "-n", "default"])
        .expect("lease");
    assert!(
        lease["spec"]["leaseTransitions"].as_i64().unwrap_or(0) >= 1,
        "{lease}"
    );
}
