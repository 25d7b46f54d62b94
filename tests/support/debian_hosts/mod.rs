//! Real Debian 12 machines for end-to-end tests: system containers, each a point-release
//! Debian 12 root with its own sshd, patched by the real apt from a local copy of Debian's
//! signed bookworm-security archive (apt verifies Debian's signature and every hash).
//!
//! - [`DebianCache`] builds once (and reuses in every later test and run) the root, made by
//!   `mmdebstrap` from the machine's own Debian mirror, and the local archive: the signed
//!   `InRelease`, `Packages` and `Packages.xz`, and the .deb files of the upgrades that root
//!   has pending, computed by apt, never listed by hand.
//! - [`DebianHosts::start`] starts containers at 127.0.0.2, 127.0.0.3, … port 22. Call it
//!   inside a private network and mount namespace ([`crate::namespace::in_private_namespace`]).
//!   Each is an overlay of the root (a copy where overlayfs is not available) in its own
//!   mount, UTS and PID namespace (`unshare`), chrooted, with
//!   the archive bind-mounted read-only at `/srv/mirror`, the login user `patch` (passwordless
//!   sudo, the fleet's client key authorized) and a host key of its own. Its package lists
//!   are fetched at start, as apt-daily keeps them on a real machine.
//!
//! How a container reboots: its PID 1 is a small init script that runs sshd. The container's
//! `/usr/local/sbin/systemctl` (first on sudo's `secure_path`) handles `systemctl reboot` by
//! signalling the init, which kills every other process, empties `/run` (so
//! `/run/reboot-required` is gone), writes a fresh UUID into the file bind-mounted over
//! `/proc/sys/kernel/random/boot_id` and starts sshd again. The kernel and the machine stay
//! the same; what a client observes is what it observes on a real machine: the command
//! returns, the connection drops, SSH comes back, and the boot id has changed.

mod archive;
mod build;
mod cache;
mod host;
mod scripts;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use archive::PendingUpgrade;
pub use build::LOGIN_USER;
pub use cache::DebianCache;
pub use host::DebianHost;

use build::{read, run, write};

/// Running containers and the client key that logs in to all of them; every process is
/// killed when it drops, then the copies of the root are deleted.
pub struct DebianHosts {
    // Dropped in declaration order: the containers stop before their roots are deleted.
    hosts: Vec<DebianHost>,
    client: ClientKey,
    _dir: tempfile::TempDir,
}

impl DebianHosts {
    /// Starts `count` containers (`debian-1` at 127.0.0.2, …) from `cache`.
    pub fn start(cache: &DebianCache, count: u8) -> DebianHosts {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = ClientKey::generate(&dir.path().join("client"));
        let enter = dir.path().join("enter.sh");
        write(&enter, scripts::ENTER);
        let hosts = (1..=count)
            .map(|index| {
                let host_dir = dir.path().join(format!("debian-{index}"));
                std::fs::create_dir_all(&host_dir).expect("create the host directory");
                DebianHost::start(cache, &host_dir, &enter, index, &client.public_key())
            })
            .collect();
        DebianHosts {
            hosts,
            client,
            _dir: dir,
        }
    }

    pub fn hosts(&self) -> &[DebianHost] {
        &self.hosts
    }

    /// The key pair the containers authorize for the login user.
    pub fn client(&self) -> &ClientKey {
        &self.client
    }

    /// `known_hosts` for every container.
    pub fn known_hosts(&self) -> String {
        self.hosts.iter().map(DebianHost::known_hosts).collect()
    }

    /// Runs `remote_command` over SSH as the login user on `host`, verifying its host key:
    /// exactly what a client of the machine does.
    pub fn ssh(&self, host: &DebianHost, remote_command: &str) -> Output {
        let known_hosts = self.client.dir.join("known_hosts");
        write(&known_hosts, &self.known_hosts());
        Command::new("ssh")
            .args(["-F", "/dev/null", "-i"])
            .arg(&self.client.private_key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
            .args(["-o", "GlobalKnownHostsFile=/dev/null"])
            .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
            .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .arg(format!("{LOGIN_USER}@{}", host.address()))
            .arg("--")
            .arg(remote_command)
            .output()
            .expect("run ssh")
    }
}

/// An ed25519 key pair made with `ssh-keygen`, for a Secret of type `kubernetes.io/ssh-auth`.
pub struct ClientKey {
    dir: PathBuf,
    private_key: PathBuf,
}

impl ClientKey {
    fn generate(dir: &Path) -> ClientKey {
        std::fs::create_dir_all(dir).expect("create the client key directory");
        let private_key = dir.join("id_ed25519");
        run(
            Command::new("ssh-keygen")
                .args([
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "patchwarden-test",
                    "-f",
                ])
                .arg(&private_key),
            "generate the client key",
        );
        ClientKey {
            dir: dir.to_path_buf(),
            private_key,
        }
    }

    /// The private key file (OpenSSH format).
    pub fn private_key_path(&self) -> &Path {
        &self.private_key
    }

    /// The private key, as the Secret's `ssh-privatekey`.
    pub fn private_key(&self) -> String {
        read(&self.private_key)
    }

    /// The public key line, as `authorized_keys` has it.
    pub fn public_key(&self) -> String {
        read(&self.private_key.with_extension("pub"))
            .trim()
            .to_string()
    }
}
