//! End to end in pull mode: `patchwarden agent` runs inside a real Debian 12 machine (a system
//! container, see `support::debian_hosts`) against `patchwarden up`'s control plane on
//! loopback, and patches the machine's packages from the signed bookworm-security archive
//! when the policy's run asks. The agent is killed (SIGKILL) while it runs the upgrade and
//! started again: the run still succeeds and every package is upgraded exactly once. The agent
//! logs in with its own token, which reads its own Asset only: Secrets and other Assets are
//! forbidden to it.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::agent::{Agent, AgentLogin, AgentScene};
use support::cluster::take_turn;
use support::debian_hosts::DebianCache;
use support::kubectl::Kubectl;
use support::namespace::in_private_namespace;
use support::patchwarden;
use support::resources::window_open_now;
use support::ssh_up::{FEED_PATH, upgrade_lines};
use support::up::Up;
use support::wait::poll;

const ASSET: &str = "debian-agent";
/// The agent's own login.
const LOGIN: AgentLogin<'static> = AgentLogin {
    asset: ASSET,
    token: "agent-debian-agent-0f3c9a7e51d24b68",
};

/// The agent's Asset, its group (by label), the feed, the policy and an open window.
fn resources() -> Vec<(&'static str, String)> {
    let asset = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: Asset\nmetadata:\n  name: {ASSET}\n  namespace: default\n  labels:\n    fleet: pull\nspec:\n  connection: agent\n"
    );
    let group = "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: pull\n  namespace: default\nspec:\n  criticality: High\n  exposure: Internal\n  selector:\n    matchLabels:\n      fleet: pull\n".to_string();
    let feed = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: debian-osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {FEED_PATH}\n  ecosystems: [\"Debian:12\"]\n"
    );
    let policy = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: security\n  namespace: default\nspec:\n  assetGroups: [pull]\n  maintenanceWindows: [always]\n  approval:\n    minSeverity: Unknown\n  rollout:\n    maxFailures: 0\n  reboot: Never\n".to_string();
    vec![
        ("asset.yaml", asset),
        ("group.yaml", group),
        ("feeds.yaml", feed),
        ("policies.yaml", policy),
        ("windows.yaml", window_open_now("always")),
    ]
}

/// The agent's token may read its own Asset, and is refused (403) Secrets and other Assets.
fn agent_token_is_confined(up: &Up, kubeconfig: &Path, state: &Path) {
    std::fs::write(kubeconfig, LOGIN.kubeconfig(state)).expect("agent kubeconfig");
    let home = kubeconfig.with_file_name("agent-home");
    std::fs::create_dir_all(&home).expect("kubectl home");
    let agent = Kubectl::new(kubeconfig, &home);
    up.kubectl().ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: fleet-key\n  namespace: default\nstringData:\n  key: not-for-agents\n",
    );
    let other = "apiVersion: patchwarden.io/v1alpha1\nkind: Asset\nmetadata:\n  name: another-host\n  namespace: default\nspec:\n  connection: agent\n  suspend: true\n";
    up.kubectl().ok_stdin(&["apply", "-f", "-"], other);
    for args in [
        &["get", "secrets"][..],
        &["get", "secret", "fleet-key"],
        &["get", "asset", "another-host"],
        &["get", "assets"],
        &["delete", "asset", ASSET],
    ] {
        let refused = agent.fails(args);
        assert!(
            refused.contains("Forbidden") || refused.contains("forbidden"),
            "{args:?}: {refused}"
        );
    }
    let own = poll(Duration::from_secs(60), Duration::from_millis(500), || {
        agent.try_ok(&["get", "asset", ASSET, "-o", "name"]).ok()
    });
    assert!(
        own.is_some_and(|o| o.contains(ASSET)),
        "the agent cannot read its own Asset"
    );
    up.kubectl()
        .ok(&["delete", "asset", "another-host", "--wait=false"]);
}

fn asset(up: &Up) -> Option<Value> {
    let list = up.get(&["assets"])?;
    list["items"]
        .as_array()?
        .iter()
        .find(|a| a["metadata"]["name"] == ASSET)
        .cloned()
}

#[test]
fn an_agent_inside_a_debian_host_patches_it_once_across_a_kill() {
    let _turn = take_turn();
    let cache = DebianCache::get();
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::an_agent_inside_a_debian_host_patches_it_once_across_a_kill"
        ),
        Duration::from_secs(900),
    ) {
        return;
    }
    let started = Instant::now();
    let scene = AgentScene::start(&cache, LOGIN, &resources(), || patchwarden!());
    let (up, host, state) = (&scene.up, scene.host(), &scene.state);
    LOGIN.install(host, env!("CARGO_BIN_EXE_patchwarden-cli"), state);
    agent_token_is_confined(up, &scene.dir.path().join("agent-kubeconfig"), state);
    let agent_log = scene.agent_log();
    let mut agent = Agent::start(host, ASSET, &agent_log);
    let log = || scene.log();

    // Kill the agent as soon as it takes the upgrade, then start it again.
    poll(Duration::from_secs(300), Duration::from_millis(200), || {
        let asset = asset(up)?;
        (asset["status"]["agent"]["request"]["operation"] == "upgrade").then_some(())
    })
    .unwrap_or_else(|| panic!("no upgrade request: {:?}\n{}", asset(up), log()));
    std::thread::sleep(Duration::from_millis(500));
    agent.kill();
    drop(agent);
    let _agent = Agent::start(host, ASSET, &agent_log);

    let run = poll(Duration::from_secs(600), Duration::from_secs(2), || {
        let runs = up.get(&["patchruns"])?;
        let run = runs["items"].as_array()?.first()?.clone();
        let phase = run["status"]["phase"].as_str()?;
        (["Succeeded", "Failed", "Halted"].contains(&phase)
            && run["status"]["finishedAt"].is_string())
        .then_some(run)
    })
    .unwrap_or_else(|| panic!("no finished run: {:?}\n{}", up.get(&["patchruns"]), log()));
    assert_eq!(run["status"]["phase"], "Succeeded", "{run}\n{}", log());

    // Every upgraded package is at the archive's version, upgraded once.
    let lines = upgrade_lines(&host.dpkg_log());
    assert!(!lines.is_empty(), "nothing upgraded: {run}");
    for (package, times) in &lines {
        assert_eq!(*times, 1, "{package} upgraded {times} times: {lines:?}");
        let pending = cache
            .upgrades()
            .iter()
            .find(|u| &u.package == package)
            .unwrap_or_else(|| panic!("{package} had no pending update"));
        assert_eq!(host.dpkg_query(package).as_ref(), Some(&pending.candidate));
    }
    let planned: BTreeSet<String> = run["spec"]["assets"][0]["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    assert!(
        planned.iter().all(|p| lines.contains_key(p)),
        "planned {planned:?}, upgraded {lines:?}"
    );
    let compliant = poll(Duration::from_secs(180), Duration::from_secs(2), || {
        let asset = asset(up)?;
        (asset["status"]["patchState"] == "Compliant").then_some(asset)
    })
    .unwrap_or_else(|| panic!("not compliant: {:?}\n{}", asset(up), log()));
    assert_eq!(
        compliant["status"]["os"]["ecosystem"], "Debian:12",
        "{compliant}"
    );
    let mode = std::fs::metadata(host.root().join("var/lib/patchwarden-agent/state.json"))
        .expect("the agent's state file")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    eprintln!("e2e with the agent: {:?}", started.elapsed());
}
