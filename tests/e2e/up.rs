//! End to end, `patchwarden up` on the quickstart repository: the process starts the control
//! plane, syncs the repository from Git, creates the lab fleet and runs the controllers; the
//! real kubectl then sees the standard policy Ready and 100% compliant. Stopping and starting
//! it again resumes from the state directory.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::take_turn;
use support::patchwarden;
use support::paths::repo_path;
use support::resources::condition;
use support::up::Up;
use support::wait::poll;

fn wait_standard_compliant(up: &Up, log: &Path) -> Value {
    poll(Duration::from_secs(240), Duration::from_secs(1), || {
        let policy = up.get(&["patchpolicy", "quickstart-standard"])?;
        (condition(&policy, "Ready").is_some_and(|r| r.0 == "True")
            && policy["status"]["compliance"]["percent"] == 100.0
            && policy["status"]["compliance"]["assets"] == 6)
            .then_some(policy)
    })
    .unwrap_or_else(|| {
        panic!(
            "the standard policy did not become Ready and compliant: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

#[test]
fn up_runs_the_quickstart_to_compliance_and_resumes_after_a_restart() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let home = dir.path().join("home");
    let log = dir.path().join("up.log");

    let mut up = Up::start(
        patchwarden!(),
        &repo_path("examples/quickstart"),
        &state,
        &home,
        &log,
    );
    let policy = wait_standard_compliant(&up, &log);
    assert_eq!(
        policy["status"]["observedGeneration"],
        policy["metadata"]["generation"]
    );
    // Assets follow the policy's approvals a moment later.
    let started = Instant::now();
    let assets = loop {
        let list = up.get(&["assets"]).expect("assets");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if items
            .iter()
            .all(|a| a["status"]["patchState"] == "Compliant")
            || started.elapsed() > Duration::from_secs(30)
        {
            break items;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(assets.len(), 6);
    for asset in &assets {
        assert_eq!(asset["status"]["os"]["ecosystem"], "Debian:12", "{asset}");
        assert!(asset["status"]["findings"].is_object(), "assessed: {asset}");
        assert!(asset["status"]["inventoryDigest"].is_string(), "{asset}");
        assert_eq!(asset["status"]["patchState"], "Compliant", "{asset}");
    }
    let runs = up.get(&["patchruns"]).expect("runs");
    let items = runs["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the quickstart patched nothing");
    for run in items {
        assert_eq!(run["status"]["phase"], "Succeeded", "{run}");
    }
    let first_uid = policy["metadata"]["uid"].clone();
    let progress = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        progress.contains("[1/5] starting the control plane"),
        "{progress}"
    );
    up.stop();
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("stopped; run the same command again")
    );

    // The second start resumes: same objects, nothing re-created, still compliant.
    let log2 = dir.path().join("up2.log");
    let up = Up::start(
        patchwarden!(),
        &repo_path("examples/quickstart"),
        &state,
        &home,
        &log2,
    );
    let progress = std::fs::read_to_string(&log2).unwrap_or_default();
    assert!(
        progress.contains("resuming the control plane"),
        "{progress}"
    );
    let policy = wait_standard_compliant(&up, &log2);
    assert_eq!(
        policy["metadata"]["uid"], first_uid,
        "the policy was re-created"
    );
    let runs_after = up.get(&["patchruns"]).expect("runs");
    assert_eq!(
        runs_after["items"].as_array().map(Vec::len),
        runs["items"].as_array().map(Vec::len),
        "a restart started new runs"
    );
}
