//! One lab host: a directory with its own dpkg database, `etc/os-release` and an isolated apt
//! configuration, so the real apt-get and dpkg act on that directory and nothing else.
//!
//! Isolation rests on `DPkg::Options { "--root=ROOT"; }` in the host's apt configuration (without
//! it apt would run plain dpkg on the real machine), so [`LabHost::verify_isolation`] checks the
//! file before any apt run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::process::run;

/// `/etc/os-release` of Debian 12, as shipped by `base-files`.
pub const DEBIAN_12_OS_RELEASE: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

/// The health check installed in every host: fails when an upgrade broke something (a marker
/// left by a package's `postinst`) or when a package is not fully installed (`ii`).
const HEALTH_CHECK_SCRIPT: &str = r#"#!/bin/sh
# patchwarden lab health check. Every path is under ${DPKG_ROOT}: this runs outside a chroot.
set -u
root="${DPKG_ROOT:?DPKG_ROOT must name the lab host root}"
healthy=1
for marker in "$root/var/lib/patchwarden-lab/broken/"*; do
  [ -e "$marker" ] || continue
  echo "unhealthy: $(cat "$marker")"
  healthy=0
done
not_installed=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' | grep -v '^ii ')
if [ -n "$not_installed" ]; then
  echo "packages not fully installed:"
  echo "$not_installed"
  healthy=0
fi
if [ "$healthy" = 1 ]; then
  echo "healthy"
  exit 0
fi
exit 1
"#;

/// Kinds of deliberate faults a lab host can carry, one marker file per package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The candidate version's `postinst` exits 1 on this host.
    PostinstFail,
    /// After the candidate version is configured, the host's health check fails.
    HealthBreak,
    /// The candidate version asks for a reboot (`/run/reboot-required`).
    RebootRequired,
}

impl FaultKind {
    pub const ALL: [FaultKind; 3] = [
        FaultKind::PostinstFail,
        FaultKind::HealthBreak,
        FaultKind::RebootRequired,
    ];

    /// Directory name of the marker files, also the name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::PostinstFail => "postinst-fail",
            FaultKind::HealthBreak => "health-break",
            FaultKind::RebootRequired => "reboot-required",
        }
    }
}

/// A lab host and the paths inside its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabHost {
    /// Host name, e.g. `lab-01`.
    pub name: String,
    /// Absolute path of the host's root directory.
    pub root: PathBuf,
}

impl LabHost {
    /// The isolated apt configuration, passed to apt through `APT_CONFIG`.
    pub fn apt_config(&self) -> PathBuf {
        self.root.join("etc/apt/isolated.conf")
    }
    /// The dpkg database directory, for `dpkg-query --admindir`.
    pub fn admindir(&self) -> PathBuf {
        self.root.join("var/lib/dpkg")
    }
    /// The dpkg log (`--log`), one line per package action.
    pub fn dpkg_log(&self) -> PathBuf {
        self.root.join("var/log/dpkg.log")
    }
    pub fn os_release(&self) -> PathBuf {
        self.root.join("etc/os-release")
    }
    /// Written by packages that need a reboot (Debian convention, `/run/reboot-required`).
    pub fn reboot_required(&self) -> PathBuf {
        self.root.join("run/reboot-required")
    }
    pub fn reboot_required_pkgs(&self) -> PathBuf {
        self.root.join("run/reboot-required.pkgs")
    }
    /// The host's health check program (run with `DPKG_ROOT` set to the root).
    pub fn health_check_program(&self) -> PathBuf {
        self.root.join("usr/lib/patchwarden-lab/health-check")
    }
    /// Directory of the marker files for one fault kind.
    pub fn fault_dir(&self, kind: FaultKind) -> PathBuf {
        self.root
            .join("etc/patchwarden-lab/faults")
            .join(kind.as_str())
    }
    /// While this marker exists, configuring the candidate of `package` waits (up to 30 s):
    /// a slow maintainer script, for acting while dpkg is midway through an upgrade.
    pub fn configure_hold(&self, package: &str) -> PathBuf {
        self.root.join("etc/patchwarden-lab/hold").join(package)
    }
    /// Marker written once the host holds the baseline packages of a package set.
    fn ready_marker(&self) -> PathBuf {
        self.root.join("var/lib/patchwarden-lab/ready")
    }

    /// The environment every apt or dpkg run on this host gets.
    pub fn apt_env(&self) -> [(&'static str, PathBuf); 2] {
        [
            ("APT_CONFIG", self.apt_config()),
            ("DPKG_ROOT", self.root.clone()),
        ]
    }

    /// Arguments of `dpkg --configure -a` on this root, with the same confinement apt passes
    /// to dpkg: the recovery apt asks for after dpkg was interrupted.
    pub fn dpkg_configure_pending_args(&self) -> Vec<String> {
        let r = self.root.display();
        let mut args = vec![
            format!("--root={r}"),
            "--force-script-chrootless".to_string(),
            format!("--log={r}/var/log/dpkg.log"),
        ];
        if !running_as_root() {
            args.push("--force-not-root".to_string());
        }
        args.extend(["--configure".to_string(), "-a".to_string()]);
        args
    }

    /// Fails unless the host's apt configuration confines dpkg to this root.
    pub fn verify_isolation(&self) -> Result<(), LabError> {
        let path = self.apt_config();
        let text = fs::read_to_string(&path).map_err(|e| LabError::Io {
            path: path.clone(),
            action: "read",
            source: e,
        })?;
        let root = self.root.display();
        let required = [
            format!("Dir \"{root}/\";"),
            format!("\"--root={root}\";"),
            format!("Dir::State::status \"{root}/var/lib/dpkg/status\";"),
        ];
        for line in &required {
            if !text.contains(line.as_str()) {
                return Err(LabError::UnsafePath {
                    path,
                    reason: format!(
                        "apt configuration lacks `{line}`; apt would act outside the lab"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Creates the directory skeleton and configuration files. Safe to repeat.
    pub(crate) fn write_skeleton(&self, repository: &Path) -> Result<(), LabError> {
        check_path_for_config(&self.root)?;
        check_path_for_config(repository)?;
        for dir in [
            "var/lib/dpkg/info",
            "var/lib/dpkg/updates",
            "var/lib/dpkg/triggers",
            "var/lib/dpkg/alternatives",
            "var/lib/apt/lists/partial",
            "var/cache/apt/archives/partial",
            "etc/apt/apt.conf.d",
            "etc/apt/preferences.d",
            "etc/apt/sources.list.d",
            "etc/apt/trusted.gpg.d",
            "etc/patchwarden-lab/faults",
            "etc/patchwarden-lab/hold",
            "var/log/apt",
            "var/lib/patchwarden-lab/broken",
            "usr/lib/patchwarden-lab",
            "run",
            "tmp",
        ] {
            create_dir(&self.root.join(dir))?;
        }
        for kind in FaultKind::ALL {
            create_dir(&self.fault_dir(kind))?;
        }
        for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] {
            let path = self.root.join(file);
            if !path.exists() {
                write(&path, "")?;
            }
        }
        write(&self.os_release(), DEBIAN_12_OS_RELEASE)?;
        write(
            &self.root.join("etc/apt/sources.list"),
            &format!("deb [trusted=yes] file:{} ./\n", repository.display()),
        )?;
        write(&self.apt_config(), &apt_config_text(&self.root))?;
        write_executable(&self.health_check_program(), HEALTH_CHECK_SCRIPT)?;
        Ok(())
    }

    /// The package-set digest the host was populated with, if any.
    pub(crate) fn ready_digest(&self) -> Option<String> {
        fs::read_to_string(self.ready_marker())
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Refreshes the host's package lists and installs the baseline versions.
    pub(crate) fn populate(
        &self,
        baseline: &[(String, String)],
        digest: &str,
    ) -> Result<(), LabError> {
        self.verify_isolation()?;
        run(self.apt_command().args(["update", "-q"]))?;
        let mut install = self.apt_command();
        install.args(["install", "-y", "-q", "--allow-downgrades", "--no-remove"]);
        install.args(baseline.iter().map(|(p, v)| format!("{p}={v}")));
        run(&mut install)?;
        write(&self.ready_marker(), &format!("{digest}\n"))
    }

    /// Reads the lab repository's index again (`apt-get update`), as a host does when its
    /// sources publish something new.
    pub(crate) fn refresh_lists(&self) -> Result<(), LabError> {
        self.verify_isolation()?;
        run(self.apt_command().args(["update", "-q"])).map(|_| ())
    }

    /// `apt-get` confined to this host (callers run [`LabHost::verify_isolation`] first).
    fn apt_command(&self) -> Command {
        let mut cmd = Command::new("apt-get");
        for (k, v) in self.apt_env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Replaces the host's fault markers of every kind with `packages_by_kind`.
    pub(crate) fn set_faults(&self, faults: &[(FaultKind, String)]) -> Result<(), LabError> {
        for kind in FaultKind::ALL {
            let dir = self.fault_dir(kind);
            let entries = fs::read_dir(&dir).map_err(|e| LabError::Io {
                path: dir.clone(),
                action: "list",
                source: e,
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                fs::remove_file(&path).map_err(|e| LabError::Io {
                    path,
                    action: "remove",
                    source: e,
                })?;
            }
        }
        for (kind, package) in faults {
            write(&self.fault_dir(*kind).join(package), "")?;
        }
        Ok(())
    }
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The isolated apt configuration of a root. A normal user may patch a root it owns with
/// `--force-not-root`.
fn apt_config_text(root: &Path) -> String {
    let r = root.display();
    let not_root = if running_as_root() {
        ""
    } else {
        " \"--force-not-root\";"
    };
    format!(
        r#"// patchwarden lab host: apt and dpkg act on {r} only.
Dir "{r}/";
Dir::State::status "{r}/var/lib/dpkg/status";
Dir::Log "{r}/var/log/apt";
DPkg::Options {{ "--root={r}"; "--force-script-chrootless"; "--log={r}/var/log/dpkg.log";{not_root} }};
APT::Architecture "amd64";
APT::Get::Assume-Yes "true";
APT::Install-Recommends "false";
Acquire::Languages "none";
Dpkg::Use-Pty "0";
DPkg::Lock::Timeout "120";
"#
    )
}

/// Paths end up inside apt's quoted configuration values and a sources.list line.
fn check_path_for_config(path: &Path) -> Result<(), LabError> {
    let text = path.to_str().ok_or_else(|| LabError::UnsafePath {
        path: path.to_path_buf(),
        reason: "not UTF-8".into(),
    })?;
    if !path.is_absolute() {
        return Err(LabError::UnsafePath {
            path: path.to_path_buf(),
            reason: "not absolute".into(),
        });
    }
    if text == "/"
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | ';' | '{' | '}' | '[' | ']' | '#'))
    {
        return Err(LabError::UnsafePath {
            path: path.to_path_buf(),
            reason: "the root directory, whitespace and `\";{}[]#` are not allowed".into(),
        });
    }
    Ok(())
}

pub(crate) fn create_dir(path: &Path) -> Result<(), LabError> {
    fs::create_dir_all(path).map_err(|e| LabError::Io {
        path: path.to_path_buf(),
        action: "create directory",
        source: e,
    })
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), LabError> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text).map_err(|e| LabError::Io {
        path: path.to_path_buf(),
        action: "write",
        source: e,
    })
}

pub(crate) fn write_executable(path: &Path, text: &str) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    write(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| LabError::Io {
        path: path.to_path_buf(),
        action: "make executable",
        source: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolation_check_rejects_a_config_without_root_option() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("h");
        let host = LabHost {
            name: "h".into(),
            root: root.clone(),
        };
        host.write_skeleton(&dir.path().join("repo")).unwrap();
        host.verify_isolation().unwrap();
        let text = fs::read_to_string(host.apt_config()).unwrap();
        fs::write(
            host.apt_config(),
            text.replace(&format!("\"--root={}\";", root.display()), ""),
        )
        .unwrap();
        let err = host.verify_isolation().unwrap_err();
        assert!(err.to_string().contains("--root="), "{err}");
    }

    #[test]
    fn config_breaking_paths_are_refused() {
        for p in ["/tmp/a b", "/tmp/a\"b", "relative", "/", "/tmp/x;y"] {
            assert!(check_path_for_config(Path::new(p)).is_err(), "{p}");
        }
        check_path_for_config(Path::new("/tmp/lab-1/hosts/lab-01")).unwrap();
    }
}
