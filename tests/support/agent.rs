//! `patchwarden agent` inside a Debian host container (see [`crate::debian_hosts`]), logged in
//! to `patchwarden up`'s control plane with a token of its own: the token is listed beside
//! `up`'s admin token before `up` starts, and the agent's kubeconfig is `up`'s with that
//! token instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::debian_hosts::{DebianCache, DebianHost, DebianHosts};
use crate::git::TestRepo;
use crate::process::Process;
use crate::ssh_up::{FEED_PATH, build_feed};
use crate::up::Up;

/// An agent's login: the Asset it serves (in namespace `default`) and its token.
#[derive(Debug, Clone, Copy)]
pub struct AgentLogin<'a> {
    pub asset: &'a str,
    pub token: &'a str,
}

impl AgentLogin<'_> {
    /// Lists the token beside `up`'s admin token, before `up` starts (`up` reads
    /// `agent-tokens` from its API server's data directory under `state`).
    pub fn grant(&self, state: &Path) {
        let dir = state.join("apiserver");
        std::fs::create_dir_all(&dir).expect("apiserver dir");
        let path = dir.join("agent-tokens");
        let mut lines = std::fs::read_to_string(&path).unwrap_or_default();
        lines.push_str(&format!(
            "{},patchwarden:agent:default:{},{},\"patchwarden:agents\"\n",
            self.token, self.asset, self.asset
        ));
        std::fs::write(path, lines).expect("agent-tokens");
    }

    /// `up`'s kubeconfig with the agent's token instead of the admin's.
    pub fn kubeconfig(&self, state: &Path) -> String {
        let admin = std::fs::read_to_string(state.join("kubeconfig")).expect("up's kubeconfig");
        let lines: Vec<String> = admin
            .lines()
            .map(|line| match line.split_once("token:") {
                Some((indent, _)) if indent.trim().is_empty() => {
                    format!("{indent}token: {}", self.token)
                }
                _ => line.to_string(),
            })
            .collect();
        assert!(
            lines.iter().any(|l| l.ends_with(self.token)),
            "no token in {admin}"
        );
        lines.join("\n") + "\n"
    }

    /// Puts the `patchwarden` executable at `binary` and the agent's kubeconfig into the
    /// container. The container runs Debian 12 like this machine, so the dynamically linked
    /// build runs there.
    pub fn install(&self, host: &DebianHost, binary: &str, state: &Path) {
        let target = host.root().join("usr/local/bin/patchwarden");
        std::fs::copy(binary, &target).expect("copy patchwarden");
        let config = host.root().join("etc/patchwarden-agent");
        std::fs::create_dir_all(&config).expect("config dir");
        std::fs::write(config.join("kubeconfig"), self.kubeconfig(state)).expect("kubeconfig");
        std::fs::copy(
            "/etc/ssl/certs/ca-certificates.crt",
            config.join("roots.pem"),
        )
        .expect("roots");
    }
}

/// The agent running inside the container; killed by PID (with the process nsenter started)
/// when dropped.
pub struct Agent {
    process: Process,
}

impl Agent {
    /// Starts the agent of `asset` in `host`, appending what it says to `log`.
    pub fn start(host: &DebianHost, asset: &str, log: &Path) -> Agent {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("agent log");
        let mut command = host.command(&[
            "/usr/local/bin/patchwarden",
            "agent",
            "--kubeconfig",
            "/etc/patchwarden-agent/kubeconfig",
            "--asset",
            asset,
            "--namespace",
            "default",
        ]);
        // The container has no ca-certificates; the TLS client wants some root store even
        // though the kubeconfig pins the API server's own CA.
        command
            .env("SSL_CERT_FILE", "/etc/patchwarden-agent/roots.pem")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        Agent {
            process: Process::spawn(&mut command),
        }
    }

    /// SIGKILL to the agent itself (nsenter's child inside the container) and to nsenter.
    pub fn kill(&mut self) {
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.process.id()))
                .unwrap_or_default();
        let pids: Vec<&str> = children.split_whitespace().collect();
        if !pids.is_empty() {
            let _ = Command::new("kill").arg("-KILL").args(&pids).status();
        }
        self.process.kill();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What an agent test starts from: one Debian host, the OSV feed built from its archive at
/// `FEED_PATH` in `up`'s labs directory, and `patchwarden up` on a repository of `files` with
/// the agent's token granted. Dropped in order: `up`, then its repository, the host and the
/// scratch directory.
pub struct AgentScene {
    pub up: Up,
    /// The repository `up` syncs from: it lives as long as `up` does.
    pub repo: TestRepo,
    pub fleet: DebianHosts,
    pub dir: tempfile::TempDir,
    /// `up`'s state directory.
    pub state: PathBuf,
}

impl AgentScene {
    /// Starts the scene; `patchwarden` makes a command of the executable under test.
    pub fn start(
        cache: &DebianCache,
        login: AgentLogin<'_>,
        files: &[(&str, String)],
        patchwarden: impl Fn() -> Command,
    ) -> AgentScene {
        let fleet = DebianHosts::start(cache, 1);
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state");
        let feed_file = state.join("labs").join(FEED_PATH);
        std::fs::create_dir_all(feed_file.parent().expect("feed dir")).expect("feed dir");
        build_feed(patchwarden(), cache, &feed_file);
        let repo = TestRepo::new();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        repo.commit("resources", &files);
        login.grant(&state);
        let up = Up::start(
            patchwarden(),
            &repo.path(),
            &state,
            &dir.path().join("home"),
            &dir.path().join("up.log"),
        );
        AgentScene {
            up,
            repo,
            fleet,
            dir,
            state,
        }
    }

    /// The one Debian host.
    pub fn host(&self) -> &DebianHost {
        &self.fleet.hosts()[0]
    }

    /// Where the agent's output goes.
    pub fn agent_log(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    /// What the agent and `up` said, for a failure message.
    pub fn log(&self) -> String {
        format!(
            "agent: {}\nup: {}",
            std::fs::read_to_string(self.agent_log()).unwrap_or_default(),
            std::fs::read_to_string(self.dir.path().join("up.log")).unwrap_or_default()
        )
    }
}
