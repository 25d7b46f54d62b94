//! How the SSH executor reaches assets: the client, the key and the only trusted host keys, the
//! default login, and when remote commands go through `sudo`.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to reach assets over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfig {
    /// The OpenSSH client.
    pub program: PathBuf,
    /// Private key used for every asset (`-i`, `IdentitiesOnly=yes`).
    pub identity_file: PathBuf,
    /// The only host keys trusted (`UserKnownHostsFile`; the global file is ignored).
    pub known_hosts: PathBuf,
    /// Login user when the asset names none.
    pub default_user: String,
    /// Port when the asset names none.
    pub default_port: u16,
    pub connect_timeout: Duration,
    /// When remote commands run through `sudo -n --`.
    pub sudo: SudoMode,
    /// Run `apt-get update` before each upgrade or roll back.
    pub refresh_package_lists: bool,
    /// Most ssh sessions this executor has open at once (unless it shares a wider limit).
    pub max_sessions: usize,
    /// Longest an inventory may take.
    pub inventory_timeout: Duration,
    /// Longest an upgrade or roll back may take, `apt-get update` included. On timeout the
    /// local ssh is stopped; an `apt-get install` that had started keeps running on the asset
    /// in its own session, and the next change waits for its lock.
    pub change_timeout: Duration,
}

/// Sessions open at once when nothing else is configured.
pub const DEFAULT_MAX_SESSIONS: usize = 16;

impl SshConfig {
    pub fn new(identity_file: PathBuf, known_hosts: PathBuf) -> SshConfig {
        SshConfig {
            program: PathBuf::from("ssh"),
            identity_file,
            known_hosts,
            default_user: "root".into(),
            default_port: 22,
            connect_timeout: Duration::from_secs(10),
            sudo: SudoMode::WhenNotRoot,
            refresh_package_lists: true,
            max_sessions: DEFAULT_MAX_SESSIONS,
            inventory_timeout: Duration::from_secs(300),
            change_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The SSH credentials could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write SSH credentials to {path}: {source}")]
pub struct CredentialsError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl SshConfig {
    /// Writes a private key and a known_hosts file (e.g. the `ssh-privatekey` and `known_hosts`
    /// keys of a Secret) into `dir`, readable by the owner only as OpenSSH requires, and returns
    /// a configuration that uses them.
    pub fn from_key_material(
        dir: &Path,
        private_key: &[u8],
        known_hosts: &[u8],
    ) -> Result<SshConfig, CredentialsError> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CredentialsError { path, source }
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail(dir))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail(dir))?;
        let identity = dir.join("id");
        let hosts = dir.join("known_hosts");
        for (path, content) in [(&identity, private_key), (&hosts, known_hosts)] {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .map_err(fail(path))?;
            file.write_all(content).map_err(fail(path))?;
            // OpenSSH rejects a private key without its final newline.
            if !content.ends_with(b"\n") {
                file.write_all(b"\n").map_err(fail(path))?;
            }
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(fail(path))?;
        }
        Ok(SshConfig::new(identity, hosts))
    }
}

/// When the SSH executor prefixes remote commands with `sudo -n --` (never prompting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SudoMode {
    Never,
    Always,
    /// For every login user except `root`.
    WhenNotRoot,
}
