//! Lab reboots. A lab host has no kernel of its own, so "booting" is modelled by the two things
//! an operator can observe of a real reboot: the boot id changes (`proc/sys/kernel/random/boot_id`
//! inside the host root, the same path a real host exposes, so the SSH executor reads both the
//! same way through `DPKG_ROOT`), and the `run/` markers of the previous boot are gone
//! (`run/reboot-required` and `run/reboot-required.pkgs`, as after a real reboot clears the
//! tmpfs). A host that never recorded a boot gets its first boot id when it is first read.

use std::fs;
use std::path::PathBuf;

use crate::error::LabError;
use crate::host::LabHost;

/// The kernel's source of random UUIDs, one new value per read.
const RANDOM_UUID: &str = "/proc/sys/kernel/random/uuid";

impl LabHost {
    /// The host's boot id file, at the path of the kernel's own.
    pub fn boot_id_file(&self) -> PathBuf {
        self.root.join("proc/sys/kernel/random/boot_id")
    }

    /// The id of the host's current boot, recording a first one when there is none yet.
    pub fn boot_id(&self) -> Result<String, LabError> {
        let path = self.boot_id_file();
        match fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
            Ok(_) => self.new_boot(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.new_boot(),
            Err(source) => Err(LabError::Io {
                path,
                action: "read",
                source,
            }),
        }
    }

    /// "Reboots" the host: a new boot id, and the previous boot's reboot-required markers
    /// removed. Returns the new boot id.
    pub fn reboot(&self) -> Result<String, LabError> {
        for marker in [self.reboot_required(), self.reboot_required_pkgs()] {
            match fs::remove_file(&marker) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(LabError::Io {
                        path: marker,
                        action: "remove",
                        source,
                    });
                }
            }
        }
        self.new_boot()
    }

    /// Writes a fresh random boot id and returns it.
    fn new_boot(&self) -> Result<String, LabError> {
        let id = fs::read_to_string(RANDOM_UUID)
            .map_err(|source| LabError::Io {
                path: PathBuf::from(RANDOM_UUID),
                action: "read",
                source,
            })?
            .trim()
            .to_string();
        let path = self.boot_id_file();
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|source| LabError::Io {
                path: dir.to_path_buf(),
                action: "create",
                source,
            })?;
        }
        fs::write(&path, format!("{id}\n")).map_err(|source| LabError::Io {
            path: path.clone(),
            action: "write",
            source,
        })?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(dir: &tempfile::TempDir) -> LabHost {
        LabHost {
            name: "lab-01".to_string(),
            root: dir.path().to_path_buf(),
        }
    }

    #[test]
    fn a_boot_id_is_stable_until_the_host_reboots() {
        let dir = tempfile::tempdir().expect("tempdir");
        let host = host(&dir);
        let first = host.boot_id().expect("first boot");
        assert_eq!(first.len(), 36, "{first}");
        assert_eq!(host.boot_id().expect("same boot"), first);
        let second = host.reboot().expect("reboot");
        assert_ne!(second, first);
        assert_eq!(host.boot_id().expect("after reboot"), second);
    }

    #[test]
    fn a_reboot_clears_the_reboot_required_markers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let host = host(&dir);
        fs::create_dir_all(dir.path().join("run")).expect("run dir");
        fs::write(host.reboot_required(), "*** System restart required ***\n").expect("marker");
        fs::write(host.reboot_required_pkgs(), "libssl3\n").expect("pkgs");
        host.reboot().expect("reboot");
        assert!(!host.reboot_required().exists());
        assert!(!host.reboot_required_pkgs().exists());
    }
}
