//! `patchwarden up` patching Debian 12 containers over SSH, set up as a user would: a Git
//! repository with an AssetGroup listing the hosts, a PatchPolicy, an always-open window and
//! an OSV feed built by `patchwarden feed build-debian` from the containers' archive, and the
//! SSH credentials created with kubectl. Shared by the SSH end-to-end tests; call it inside a
//! private namespace ([`crate::namespace::in_private_namespace`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::debian_hosts::{DebianCache, DebianHost, DebianHosts, LOGIN_USER};
use crate::git::TestRepo;
use crate::paths::arg;
use crate::resources::window_open_now;
use crate::up::Up;
use crate::wait::poll;

/// Where `up` reads relative feed paths from (its lab directory), below the state directory.
pub const FEED_PATH: &str = "debian/osv-debian12.jsonl";

/// The policy spec every SSH test starts from, before its own approval, rollout, hooks and
/// reboot lines: the hosts' group, an always-open window.
const POLICY_HEAD: &str = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata:\n  name: security\n  namespace: default\nspec:\n  assetGroups: [debian]\n  maintenanceWindows: [always]\n";

/// Containers, their feed, and (once started) `up` patching them. Dropped in declaration
/// order: `up` is killed before the containers stop.
pub struct SshUp {
    up: Option<Up>,
    /// The `patchwarden` executable (`crate::patchwarden!`, which only a test target expands).
    patchwarden: fn() -> Command,
    fleet: DebianHosts,
    repo: TestRepo,
    feed: Vec<Value>,
    dir: tempfile::TempDir,
}

impl SshUp {
    /// Starts `hosts` containers and builds the feed from their archive; `up` is not started.
    /// `patchwarden` makes a command of the `patchwarden` executable: `|| patchwarden!()`.
    pub fn new(cache: &DebianCache, hosts: u8, patchwarden: fn() -> Command) -> SshUp {
        let fleet = DebianHosts::start(cache, hosts);
        let dir = tempfile::tempdir().expect("temp dir");
        let feed_file = dir.path().join("state").join("labs").join(FEED_PATH);
        std::fs::create_dir_all(feed_file.parent().expect("feed dir")).expect("feed dir");
        let feed = build_feed(patchwarden(), cache, &feed_file);
        SshUp {
            up: None,
            patchwarden,
            fleet,
            repo: TestRepo::new(),
            feed,
            dir,
        }
    }

    pub fn fleet(&self) -> &DebianHosts {
        &self.fleet
    }

    pub fn host(&self, index: usize) -> &DebianHost {
        &self.fleet.hosts()[index]
    }

    /// The OSV records of the feed, as built.
    pub fn feed(&self) -> &[Value] {
        &self.feed
    }

    /// Replaces the feed file (before `up` starts) with `records`.
    pub fn set_feed(&mut self, records: Vec<Value>) {
        let text: String = records.iter().map(|r| format!("{r}\n")).collect();
        std::fs::write(self.feed_file(), text).expect("write the feed");
        self.feed = records;
    }

    /// Writes `text` to `path` below `up`'s lab directory, where a VulnerabilityFeed's
    /// relative `url` points.
    pub fn write_lab_file(&self, path: &str, text: &str) {
        let file = self.state().join("labs").join(path);
        std::fs::create_dir_all(file.parent().expect("a directory")).expect("lab dir");
        std::fs::write(file, text).expect("write the lab file");
    }

    fn feed_file(&self) -> PathBuf {
        self.state().join("labs").join(FEED_PATH)
    }

    /// `up`'s state directory.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// What `up` wrote on standard error, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("up.log")).unwrap_or_default()
    }

    /// Commits the resources with `policy_spec` (lines of the PatchPolicy spec after its asset
    /// groups and windows, indented by two), starts `up` and creates the credentials Secret
    /// with `known_hosts`.
    pub fn start(&mut self, policy_spec: &str, known_hosts: &str) {
        self.start_with(policy_spec, known_hosts, &[]);
    }

    /// [`SshUp::start`] with more resource files (path, YAML) in the repository.
    pub fn start_with(&mut self, policy_spec: &str, known_hosts: &str, extra: &[(&str, &str)]) {
        let mut files = resources(&self.fleet, policy_spec);
        files.extend(extra.iter().map(|(p, c)| (p.to_string(), c.to_string())));
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        self.repo.commit("Debian hosts", &files);
        self.restart();
        self.set_known_hosts(known_hosts);
    }

    /// Creates or replaces the credentials Secret `debian-ssh` (the fleet's client key and
    /// `known_hosts`) with kubectl, as a user rotates it.
    pub fn set_known_hosts(&self, known_hosts: &str) {
        let keys = self.dir.path().join("keys");
        std::fs::create_dir_all(&keys).expect("keys dir");
        std::fs::write(keys.join("known_hosts"), known_hosts).expect("known_hosts");
        let secret = self.up().kubectl().ok(&[
            "create",
            "secret",
            "generic",
            "debian-ssh",
            "--type=kubernetes.io/ssh-auth",
            &format!(
                "--from-file=ssh-privatekey={}",
                arg(self.fleet.client().private_key_path())
            ),
            &format!("--from-file=known_hosts={}", arg(&keys.join("known_hosts"))),
            "--dry-run=client",
            "-o",
            "yaml",
        ]);
        self.up().kubectl().ok_stdin(&["apply", "-f", "-"], &secret);
    }

    /// Starts `up` (again) on the same repository and state directory.
    pub fn restart(&mut self) {
        self.up = None;
        self.up = Some(Up::start(
            (self.patchwarden)(),
            &self.repo.path(),
            &self.state(),
            &self.dir.path().join("home"),
            &self.dir.path().join("up.log"),
        ));
    }

    pub fn up(&self) -> &Up {
        self.up.as_ref().expect("up is running")
    }

    /// SIGKILL to `up` and every process it started (its `ssh` clients), as when the
    /// operator's container dies: the SSH connections drop mid-command.
    pub fn kill_up(&mut self) {
        if let Some(up) = self.up.as_mut() {
            let mut pids: Vec<String> = descendants(up.id()).iter().map(u32::to_string).collect();
            pids.push(up.id().to_string());
            // The kill(1) utility with the PIDs: the workspace forbids unsafe code.
            let _ = Command::new("kill").arg("-KILL").args(&pids).status();
            up.kill();
        }
    }

    /// The clean stop (SIGTERM), which removes the operator's SSH key directory.
    pub fn stop_up(&mut self) {
        if let Some(up) = self.up.as_mut() {
            up.stop();
        }
        self.up = None;
    }

    /// The first PatchRun once its phase is one of `phases`; panics with the runs, the Assets
    /// and `up`'s log after `timeout`.
    pub fn run_in(&self, phases: &[&str], timeout: Duration) -> Value {
        poll(timeout, Duration::from_secs(2), || {
            let runs = self.up().get(&["patchruns"])?;
            let run = runs["items"].as_array()?.first()?.clone();
            let phase = run["status"]["phase"].as_str()?;
            (phases.contains(&phase) && run["status"]["finishedAt"].is_string()).then_some(run)
        })
        .unwrap_or_else(|| {
            panic!(
                "no PatchRun in {phases:?}: {}\nassets: {:?}\nlog: {}",
                self.up()
                    .kubectl()
                    .ok(&["get", "patchruns,assets", "-o", "wide"]),
                self.up().get(&["patchruns"]),
                self.log()
            )
        })
    }

    /// The Asset named `name`, once `probe` holds for it (within `timeout`).
    pub fn asset_where(
        &self,
        name: &str,
        timeout: Duration,
        probe: impl Fn(&Value) -> bool,
    ) -> Value {
        poll(timeout, Duration::from_secs(2), || {
            let list = self.up().get(&["assets"])?;
            let asset = list["items"]
                .as_array()?
                .iter()
                .find(|a| a["metadata"]["name"] == name)?
                .clone();
            probe(&asset).then_some(asset)
        })
        .unwrap_or_else(|| panic!("asset {name}: {:?}", self.up().get(&["assets"])))
    }
}

/// The run's result for the asset `name`.
pub fn asset_result<'r>(run: &'r Value, name: &str) -> &'r Value {
    run["status"]["assets"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("no result for {name} in {run}"))
}

/// The planned `(package, from, to)` of the asset `name` in a run.
pub fn planned_packages(run: &Value, name: &str) -> Vec<(String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    run["spec"]["assets"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == name))
        .and_then(|p| p["packages"].as_array())
        .into_iter()
        .flatten()
        .map(|p| (text(&p["name"]), text(&p["from"]), text(&p["to"])))
        .collect()
}

/// `upgrade` lines of a dpkg log per package (without the architecture).
pub fn upgrade_lines(log: &str) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for line in log.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, _, "upgrade", package, ..] = words[..] {
            let name = package.split(':').next().unwrap_or(package);
            *count.entry(name.to_string()).or_default() += 1;
        }
    }
    count
}

/// The resources of the repository: the hosts' AssetGroup (credentials from the Secret
/// `debian-ssh`), the feed, the policy and its window.
pub fn resources(hosts: &DebianHosts, policy_spec: &str) -> Vec<(String, String)> {
    let listed: String = hosts
        .hosts()
        .iter()
        .map(|h| {
            format!(
                "    - name: {}\n      address: \"{}\"\n      port: 22\n      user: {LOGIN_USER}\n",
                h.name(),
                h.address()
            )
        })
        .collect();
    let group = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: debian\n  namespace: default\nspec:\n  criticality: High\n  exposure: Internal\n  credentialsRef:\n    name: debian-ssh\n  hosts:\n{listed}"
    );
    let feed = format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: debian-osv\n  namespace: default\nspec:\n  format: Osv\n  source:\n    url: {FEED_PATH}\n  ecosystems: [\"Debian:12\"]\n"
    );
    vec![
        ("fleet.yaml".into(), group),
        ("feeds.yaml".into(), feed),
        (
            "policies.yaml".into(),
            format!("{POLICY_HEAD}{policy_spec}"),
        ),
        ("windows.yaml".into(), window_open_now("always")),
    ]
}

/// The feed, as a user builds it: `patchwarden feed build-debian` over the mirror.
pub fn build_feed(mut patchwarden: Command, cache: &DebianCache, output: &Path) -> Vec<Value> {
    let built = patchwarden
        .args(["feed", "build-debian", "--repo"])
        .arg(cache.mirror())
        .args(["--suite", "bookworm-security", "--output"])
        .arg(output)
        .output()
        .expect("run feed build-debian");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::read_to_string(output)
        .expect("the feed")
        .lines()
        .map(|line| serde_json::from_str(line).expect("an OSV record"))
        .collect()
}

/// Every process below `pid`, found by parent PID in `/proc`.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let status = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
            let parent = status.lines().find_map(|l| l.strip_prefix("PPid:"))?;
            Some((p, parent.trim().parse().ok()?))
        })
        .collect();
    let mut found = vec![pid];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        index += 1;
    }
    found.remove(0);
    found
}
