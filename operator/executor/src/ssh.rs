//! The SSH executor: reaches Debian assets through the system OpenSSH client (`ssh` with
//! `BatchMode=yes`, `StrictHostKeyChecking=yes` and a given known_hosts file, no user
//! configuration). Every remote command is an argv turned into one line by [`crate::quote`];
//! the only shell text is fixed scripts below, which take data as positional parameters.
//!
//! Remote paths honour `DPKG_ROOT` when the asset's login environment sets it (a dpkg root other
//! than `/`, as on lab hosts behind sshd); on an ordinary host it is unset and paths are `/…`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use patchwarden_lab::dpkg_state::parse_dpkg_query;

use crate::apt::{AptRun, apt_get_args, judge, validate_targets};
use crate::command::{CommandOutput, CommandSpec, run, tail};
use crate::error::ExecError;
use crate::locks::AssetLocks;
use crate::model::{
    AssetRef, ChangeKind, ChangeReport, HealthCheck, HealthReport, Inventory, PackageTarget,
};
use crate::quote::command_line;
use crate::{ExecFuture, Executor};

/// Separates the sections of a remote script's output.
const MARK: &str = "@@patchwarden@@";

/// Inventory in one login: os-release, the dpkg database, reboot-required state.
const INVENTORY_SCRIPT: &str = r#"root="${DPKG_ROOT:-}"
cat "$root/etc/os-release" || exit 3
echo "@@patchwarden@@ dpkg-status"
dpkg-query --admindir="$root/var/lib/dpkg" --status || exit 4
echo "@@patchwarden@@ reboot-required"
if [ -e "$root/run/reboot-required" ]; then echo yes; else echo no; fi
echo "@@patchwarden@@ reboot-required-pkgs"
cat "$root/run/reboot-required.pkgs" 2>/dev/null
exit 0
"#;

/// One package per line: name, version, `db:Status-Abbrev`, tab-separated.
const STATE_SCRIPT: &str = r#"dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'
"#;

/// An upgrade or roll back in one login. `$1` is `refresh` or `no-refresh`; the remaining
/// parameters are apt-get's arguments. Prints the state before, apt's output and exit code, the
/// state after. apt runs in its own session with its output in a file, so a dropped connection
/// does not cut it short (a half-finished dpkg run is worse than a late report).
const CHANGE_SCRIPT: &str = r#"state() { dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'; }
refresh="$1"; shift
state
echo "@@patchwarden@@ apt"
if [ "$refresh" = refresh ]; then apt-get update -q >&2; fi
out=$(mktemp) || exit 5
setsid apt-get "$@" >"$out" 2>&1 </dev/null &
wait $!
rc=$?
cat "$out"
rm -f "$out"
echo "@@patchwarden@@ apt-exit $rc"
state
exit 0
"#;

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
    /// When remote commands run through `sudo -n`.
    pub sudo: SudoMode,
    /// Run `apt-get update` before each upgrade or roll back.
    pub refresh_package_lists: bool,
}

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

/// When the SSH executor prefixes remote commands with `sudo -n` (never prompting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SudoMode {
    Never,
    Always,
    /// For every login user except `root`.
    WhenNotRoot,
}

/// Executor for assets reached with the system OpenSSH client.
#[derive(Debug)]
pub struct SshExecutor {
    config: SshConfig,
    locks: AssetLocks,
}

impl SshExecutor {
    pub fn new(config: SshConfig) -> SshExecutor {
        SshExecutor {
            config,
            locks: AssetLocks::default(),
        }
    }

    /// The local `ssh` argv running `remote` (an argv) on `asset`.
    pub fn ssh_command(
        &self,
        asset: &AssetRef,
        remote: &[String],
    ) -> Result<CommandSpec, ExecError> {
        let invalid = |field: &str, reason: String| ExecError::InvalidRequest {
            asset: asset.name.clone(),
            field: field.to_string(),
            reason,
        };
        let address = asset.address.as_deref().unwrap_or(&asset.name);
        validate_address(address).map_err(|r| invalid("address", r.to_string()))?;
        let user = asset.user.as_deref().unwrap_or(&self.config.default_user);
        validate_user(user).map_err(|r| invalid("user", r.to_string()))?;
        let port = asset.port.unwrap_or(self.config.default_port);
        let mut argv: Vec<String> = Vec::new();
        let sudo = match self.config.sudo {
            SudoMode::Never => false,
            SudoMode::Always => true,
            SudoMode::WhenNotRoot => user != "root",
        };
        if sudo {
            argv.extend(["sudo".to_string(), "-n".to_string()]);
        }
        argv.extend(remote.iter().cloned());
        let line = command_line(&argv).map_err(|e| invalid("command", e.to_string()))?;
        let option = |o: String| ["-o".to_string(), o];
        let spec = CommandSpec::new(self.config.program.display().to_string())
            // No user or system ssh_config: only what is set here applies.
            .args(["-F".to_string(), "/dev/null".to_string()])
            .args(option("BatchMode=yes".into()))
            .args(option("StrictHostKeyChecking=yes".into()))
            .args(option(format!(
                "UserKnownHostsFile={}",
                self.config.known_hosts.display()
            )))
            .args(option("GlobalKnownHostsFile=/dev/null".into()))
            .args(option("IdentitiesOnly=yes".into()))
            .args(option(format!(
                "ConnectTimeout={}",
                self.config.connect_timeout.as_secs().max(1)
            )))
            .args(option("LogLevel=ERROR".into()))
            .arg("-i")
            .arg(self.config.identity_file.display().to_string())
            .arg("-p")
            .arg(port.to_string())
            .arg("-l")
            .arg(user.to_string())
            .arg("--")
            .arg(address.to_string())
            .arg(line);
        Ok(spec)
    }

    /// Runs `remote` on the asset; connection and authentication failures become errors.
    async fn remote(
        &self,
        asset: &AssetRef,
        remote: &[String],
        limit: Option<Duration>,
    ) -> Result<CommandOutput, ExecError> {
        let spec = self.ssh_command(asset, remote)?;
        let out = run(&asset.name, &spec, limit).await?;
        if out.exit_code == Some(255) {
            return Err(connection_error(&asset.name, &out.stderr));
        }
        Ok(out)
    }

    async fn change(
        &self,
        asset: &AssetRef,
        kind: ChangeKind,
        targets: &[PackageTarget],
    ) -> Result<ChangeReport, ExecError> {
        validate_targets(&asset.name, targets)?;
        let mut remote = vec![
            "env".to_string(),
            "DEBIAN_FRONTEND=noninteractive".to_string(),
            "LC_ALL=C.UTF-8".to_string(),
            "sh".to_string(),
            "-c".to_string(),
            CHANGE_SCRIPT.to_string(),
            "patchwarden-change".to_string(),
            if self.config.refresh_package_lists {
                "refresh".to_string()
            } else {
                "no-refresh".to_string()
            },
            // Wait for another package manager run (e.g. unattended-upgrades) instead of failing.
            "-o".to_string(),
            "DPkg::Lock::Timeout=300".to_string(),
            // Keep the local version of changed configuration files, never prompt.
            "-o".to_string(),
            "Dpkg::Options::=--force-confdef".to_string(),
            "-o".to_string(),
            "Dpkg::Options::=--force-confold".to_string(),
        ];
        remote.extend(apt_get_args(kind, targets));
        let _guard = self.locks.acquire(&asset.name).await;
        let started = Instant::now();
        let out = self.remote(asset, &remote, None).await?;
        let duration = started.elapsed();
        let sections = split_sections(&out.stdout);
        let before = sections.first().map(|(_, body)| *body).unwrap_or("");
        let (apt_stdout, exit_code, after) = match (sections.get(1), sections.get(2)) {
            (Some((_, apt)), Some((header, after))) => {
                let code = header
                    .strip_prefix("apt-exit ")
                    .and_then(|c| c.trim().parse::<i32>().ok());
                (*apt, code, *after)
            }
            _ => {
                return Err(ExecError::Command {
                    asset: asset.name.clone(),
                    command: format!("{} over ssh", kind.as_str()),
                    status: out.status_text(),
                    stderr: tail(&format!("{}\n{}", out.stdout, out.stderr), 8),
                });
            }
        };
        Ok(judge(&AptRun {
            asset: &asset.name,
            kind,
            targets,
            before: &parse_dpkg_query(before),
            after: &parse_dpkg_query(after),
            exit_code,
            stdout: apt_stdout,
            stderr: &out.stderr,
            duration,
        }))
    }
}

/// Output split at `@@patchwarden@@ <header>` lines: the text before the first mark (header
/// ""), then each header with the text after it.
fn split_sections(text: &str) -> Vec<(&str, &str)> {
    let mut sections = Vec::new();
    let mut header = "";
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(MARK) {
            sections.push((header, &text[start..offset]));
            header = rest.trim();
            start = offset + line.len();
        }
        offset += line.len();
    }
    sections.push((header, &text[start..]));
    sections
}

/// ssh exits 255 for its own failures: a host key or authentication problem is a
/// configuration error; anything else means the asset could not be reached.
fn connection_error(asset: &str, stderr: &str) -> ExecError {
    let reason = tail(stderr, 4);
    let configuration = [
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Permission denied",
        "No such file or directory",
    ];
    if configuration.iter().any(|c| stderr.contains(c)) {
        ExecError::Ssh {
            asset: asset.to_string(),
            reason,
        }
    } else {
        ExecError::Unreachable {
            asset: asset.to_string(),
            reason: if reason.is_empty() {
                "ssh exited 255".to_string()
            } else {
                reason
            },
        }
    }
}

/// An SSH destination refused before ssh is run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum InvalidDestination {
    #[error("`{0}` is not a host name or IP address")]
    Address(String),
    #[error("`{0}` is not a user name")]
    User(String),
}

/// Host names, IPv4 and IPv6 literals; never something ssh would read as an option.
fn validate_address(address: &str) -> Result<(), InvalidDestination> {
    let ok = !address.is_empty()
        && !address.starts_with('-')
        && address
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_' | '%'));
    if ok {
        Ok(())
    } else {
        Err(InvalidDestination::Address(address.to_string()))
    }
}

/// POSIX user names (`[a-z_][a-z0-9_-]*`, optionally ending in `$`).
fn validate_user(user: &str) -> Result<(), InvalidDestination> {
    let mut chars = user.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let body = user.trim_end_matches('$');
    let rest = body
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if first && rest && user.len() <= 32 {
        Ok(())
    } else {
        Err(InvalidDestination::User(user.to_string()))
    }
}

impl Executor for SshExecutor {
    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async move {
            let out = self
                .remote(
                    asset,
                    &["true".to_string()],
                    Some(self.config.connect_timeout * 2),
                )
                .await;
            match out {
                Ok(o) if o.success() => Ok(()),
                Ok(o) => Err(ExecError::Command {
                    asset: asset.name.clone(),
                    command: "true".into(),
                    status: o.status_text(),
                    stderr: tail(&o.stderr, 4),
                }),
                Err(ExecError::Timeout { after, .. }) => Err(ExecError::Unreachable {
                    asset: asset.name.clone(),
                    reason: format!("no answer within {after:?}"),
                }),
                Err(e) => Err(e),
            }
        })
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(async move {
            let remote = [
                "sh".to_string(),
                "-c".to_string(),
                INVENTORY_SCRIPT.to_string(),
            ];
            let out = self.remote(asset, &remote, None).await?;
            let sections = split_sections(&out.stdout);
            if !out.success() || sections.len() != 4 {
                return Err(ExecError::Command {
                    asset: asset.name.clone(),
                    command: "inventory over ssh".into(),
                    status: out.status_text(),
                    stderr: tail(&out.stderr, 6),
                });
            }
            Ok(Inventory::from_parts(
                &asset.name,
                sections[0].1.to_string(),
                sections[1].1.to_string(),
                sections[2].1.trim() == "yes",
                sections[3].1,
            ))
        })
    }

    fn upgrade<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(self.change(asset, ChangeKind::Upgrade, targets))
    }

    fn roll_back<'a>(
        &'a self,
        asset: &'a AssetRef,
        targets: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(self.change(asset, ChangeKind::RollBack, targets))
    }

    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        check: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        Box::pin(async move {
            let builtin = check.command.is_empty();
            let remote = if builtin {
                vec!["sh".to_string(), "-c".to_string(), STATE_SCRIPT.to_string()]
            } else {
                check.command.clone()
            };
            let started = Instant::now();
            let out = match self.remote(asset, &remote, Some(check.timeout)).await {
                Ok(out) => out,
                Err(ExecError::Timeout { after, .. }) => {
                    return Ok(HealthReport::timed_out(
                        &asset.name,
                        after,
                        started.elapsed(),
                    ));
                }
                Err(e) => return Err(e),
            };
            let (healthy, output) = if builtin {
                let broken: Vec<String> = parse_dpkg_query(&out.stdout)
                    .into_iter()
                    .filter(|p| !matches!(p.status.as_str(), "ii" | "rc" | "un" | "pn"))
                    .map(|p| format!("{} {} {}", p.package, p.version, p.status))
                    .collect();
                if out.success() && broken.is_empty() {
                    (true, "all packages fully installed".to_string())
                } else if broken.is_empty() {
                    (false, tail(&out.stderr, 6))
                } else {
                    (
                        false,
                        format!("packages not fully installed: {}", broken.join(", ")),
                    )
                }
            } else {
                (
                    out.success(),
                    tail(&format!("{}\n{}", out.stdout, out.stderr), 12),
                )
            };
            Ok(HealthReport {
                asset: asset.name.clone(),
                healthy,
                exit_code: out.exit_code,
                output,
                duration: out.duration,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executor() -> SshExecutor {
        SshExecutor::new(SshConfig::new("/k/id".into(), "/k/known_hosts".into()))
    }

    #[test]
    fn the_ssh_argv_pins_host_keys_and_quotes_the_remote_command() {
        let mut asset = AssetRef::named("web-1");
        asset.address = Some("10.0.0.5".into());
        asset.port = Some(2222);
        let spec = executor()
            .ssh_command(
                &asset,
                &["apt-get".into(), "install".into(), "x=1'; rm -rf /".into()],
            )
            .unwrap();
        let argv = spec.args.join(" ");
        assert!(argv.contains("-o BatchMode=yes"));
        assert!(argv.contains("-o StrictHostKeyChecking=yes"));
        assert!(argv.contains("-o UserKnownHostsFile=/k/known_hosts"));
        assert!(argv.contains("-p 2222 -l root -- 10.0.0.5"));
        assert_eq!(
            spec.args.last().unwrap(),
            r"'apt-get' 'install' 'x=1'\''; rm -rf /'"
        );
    }

    #[test]
    fn a_non_root_login_runs_commands_through_sudo() {
        let mut asset = AssetRef::named("web-1");
        asset.user = Some("deploy".into());
        let spec = executor().ssh_command(&asset, &["true".into()]).unwrap();
        assert_eq!(spec.args.last().unwrap(), "'sudo' '-n' 'true'");
        let root = executor()
            .ssh_command(&AssetRef::named("web-1"), &["true".into()])
            .unwrap();
        assert_eq!(root.args.last().unwrap(), "'true'");
    }

    #[test]
    fn option_like_addresses_and_users_are_refused() {
        let mut asset = AssetRef::named("-oProxyCommand=id");
        assert!(executor().ssh_command(&asset, &["true".into()]).is_err());
        asset = AssetRef::named("ok");
        asset.user = Some("-lroot".into());
        assert!(executor().ssh_command(&asset, &["true".into()]).is_err());
    }

    #[test]
    fn key_material_is_written_owner_only_with_a_final_newline() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("creds");
        let config = SshConfig::from_key_material(
            &dir,
            b"-----BEGIN KEY-----",
            b"[h]:22 ssh-ed25519 AAAA\n",
        )
        .unwrap();
        let key = std::fs::read(&config.identity_file).unwrap();
        assert_eq!(key, b"-----BEGIN KEY-----\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config.identity_file), 0o600);
        assert_eq!(mode(&config.known_hosts), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn sections_split_at_marks() {
        let s =
            split_sections("a\nb\n@@patchwarden@@ apt\nout\n@@patchwarden@@ apt-exit 100\nafter\n");
        assert_eq!(
            s,
            [
                ("", "a\nb\n"),
                ("apt", "out\n"),
                ("apt-exit 100", "after\n")
            ]
        );
    }

    #[test]
    fn connection_failures_are_classified() {
        assert!(
            connection_error(
                "h",
                "ssh: connect to host 10.0.0.5 port 22: Connection refused"
            )
            .is_unreachable()
        );
        assert!(!connection_error("h", "Host key verification failed.").is_unreachable());
    }
}
