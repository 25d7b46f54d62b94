//! Building the cache once: a point-release Debian 12 root made by `mmdebstrap`, prepared as a
//! test machine, and a local copy of Debian's signed bookworm-security archive holding the
//! .deb files of exactly the upgrades that root has pending. Every step is a real Debian tool
//! run with an argv; this module only decides which and in what order.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::archive::{
    PendingUpgrade, archive_uri_from_deb822, archive_uri_from_one_line, packages_field,
    packages_source, pending_upgrades, release_sha256, security_uri,
};
use super::scripts;

/// The packages every test machine has besides the `apt` variant's base.
const INCLUDE: &str = "openssh-server,openssl,curl,sudo";
/// The user tests log in as; it has passwordless sudo.
pub const LOGIN_USER: &str = "patch";
/// Where the local archive is bind-mounted (read-only) in every container.
const MIRROR_MOUNT: &str = "srv/mirror";
/// The file bind-mounted over `/proc/sys/kernel/random/boot_id`; the init rewrites it on reboot.
pub const BOOT_ID_FILE: &str = "var/lib/container-init/boot_id";
const PACKAGES_PATH: &str = "main/binary-amd64/Packages";
const SUITE_DIR: &str = "dists/bookworm-security";

/// Builds the whole cache into `dir` (an empty directory): `root/`, `mirror/` and
/// `upgrades.json`.
pub fn build_cache(dir: &Path) {
    let archive = machine_archive_uri();
    let root = dir.join("root");
    run(
        Command::new("mmdebstrap")
            .args(["--quiet", "--variant=apt", "--include", INCLUDE, "bookworm"])
            .arg(&root)
            .arg(format!("deb {archive} bookworm main")),
        "mmdebstrap a bookworm root",
    );
    prepare_root(&root);
    let apt = dir.join("apt");
    let upgrades = fetch_security_archive(&apt, &root, &security_uri(&archive));
    let mirror = dir.join("mirror");
    let upgrades = lay_out_mirror(&apt, &mirror, &security_uri(&archive), upgrades);
    std::fs::remove_dir_all(&apt).expect("remove the private apt state");
    let list: Vec<Value> = upgrades
        .iter()
        .map(|u| {
            json!({
                "package": u.package,
                "installed": u.installed,
                "candidate": u.candidate,
                "source": u.source,
            })
        })
        .collect();
    write(&dir.join("upgrades.json"), &Value::Array(list).to_string());
}

/// The Debian archive this machine's apt uses (deb822 sources first, then `sources.list`).
fn machine_archive_uri() -> String {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    read("/etc/apt/sources.list.d/debian.sources")
        .and_then(|text| archive_uri_from_deb822(&text))
        .or_else(|| read("/etc/apt/sources.list").and_then(|t| archive_uri_from_one_line(&t)))
        .expect("a Debian archive URI in /etc/apt/sources.list.d/debian.sources or sources.list")
}

/// Makes the bare root a machine tests log in to: the login user with passwordless sudo, apt
/// pointed at the mounted archive, the container init and its `systemctl`, no host keys (each
/// host makes its own).
fn prepare_root(root: &Path) {
    run(
        Command::new("chroot").arg(root).args([
            "useradd",
            "--create-home",
            "--shell",
            "/bin/bash",
            LOGIN_USER,
        ]),
        "add the login user",
    );
    let sudoers = root.join("etc/sudoers.d").join(LOGIN_USER);
    write(&sudoers, &format!("{LOGIN_USER} ALL=(ALL) NOPASSWD: ALL\n"));
    set_mode(&sudoers, 0o440);
    write(
        &root.join("etc/apt/apt.conf.d/99no-languages"),
        "Acquire::Languages \"none\";\n",
    );
    write(
        &root.join("etc/apt/sources.list"),
        &format!(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] file:/{MIRROR_MOUNT} bookworm-security main\n"
        ),
    );
    std::fs::create_dir_all(root.join(MIRROR_MOUNT)).expect("create the mirror mount point");
    write(&root.join(BOOT_ID_FILE), "");
    for (name, text) in [
        ("container-init", scripts::INIT),
        ("systemctl", scripts::SYSTEMCTL),
    ] {
        let path = root.join("usr/local/sbin").join(name);
        write(&path, text);
        set_mode(&path, 0o755);
    }
    for entry in std::fs::read_dir(root.join("etc/ssh")).expect("read etc/ssh") {
        let path = entry.expect("etc/ssh entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ssh_host_"))
        {
            std::fs::remove_file(&path).expect("remove a shared host key");
        }
    }
}

/// apt options for a private state in `apt` that reads `root`'s dpkg database and only the
/// security archive.
fn private_apt(apt: &Path, root: &Path) -> Command {
    let option = |name: &str, value: &Path| format!("{name}={}", value.display());
    let mut command = Command::new("apt-get");
    for (name, value) in [
        ("Dir::State::Lists", apt.join("lists")),
        ("Dir::Etc::SourceList", apt.join("security.list")),
        ("Dir::Etc::SourceParts", PathBuf::from("/dev/null")),
        ("Dir::Cache::Archives", apt.join("archives")),
        ("Dir::State::status", root.join("var/lib/dpkg/status")),
    ] {
        command.arg("-o").arg(option(name, &value));
    }
    for setting in [
        "Dir::Cache::pkgcache=",
        "Dir::Cache::srcpkgcache=",
        "Acquire::GzipIndexes=false",
        "Debug::NoLocking=1",
        // Downloads land in directories only root can write; no `_apt` sandbox warning.
        "APT::Sandbox::User=root",
    ] {
        command.args(["-o", setting]);
    }
    command
}

/// Fetches the signed index of bookworm-security (apt verifies it), computes the root's
/// pending upgrades and downloads their .deb files into `apt/debs`.
fn fetch_security_archive(apt: &Path, root: &Path, security: &str) -> Vec<PendingUpgrade> {
    for dir in ["lists/partial", "archives/partial", "debs"] {
        std::fs::create_dir_all(apt.join(dir)).expect("create the private apt state");
    }
    write(
        &apt.join("security.list"),
        &format!("deb {security} bookworm-security main\n"),
    );
    run(private_apt(apt, root).arg("update"), "apt-get update");
    let simulation = run(
        private_apt(apt, root).args(["-s", "upgrade"]),
        "apt-get -s upgrade",
    );
    let upgrades = pending_upgrades(&String::from_utf8_lossy(&simulation.stdout));
    assert!(
        !upgrades.is_empty(),
        "the bookworm root has no pending upgrades"
    );
    let mut download = private_apt(apt, root);
    download.arg("download").current_dir(apt.join("debs"));
    download.args(
        upgrades
            .iter()
            .map(|u| format!("{}={}", u.package, u.candidate)),
    );
    run(&mut download, "apt-get download");
    upgrades
}

/// The fetched index, exactly as signed, at the archive's paths; `Packages.xz` through apt's
/// helper (which checks the hash `InRelease` gives); each .deb at its `Filename:`. Returns the
/// upgrades with their source packages.
fn lay_out_mirror(
    apt: &Path,
    mirror: &Path,
    security: &str,
    upgrades: Vec<PendingUpgrade>,
) -> Vec<PendingUpgrade> {
    let lists = apt.join("lists");
    let fetched = |suffix: &str| -> PathBuf {
        std::fs::read_dir(&lists)
            .expect("read the apt lists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("apt fetched no …{suffix}"))
    };
    let suite = mirror.join(SUITE_DIR);
    let packages_dir = suite.join("main/binary-amd64");
    std::fs::create_dir_all(&packages_dir).expect("create the mirror's index directory");
    copy(
        &fetched("bookworm-security_InRelease"),
        &suite.join("InRelease"),
    );
    copy(
        &fetched("bookworm-security_main_binary-amd64_Packages"),
        &packages_dir.join("Packages"),
    );
    let in_release = read(&suite.join("InRelease"));
    let xz = format!("{PACKAGES_PATH}.xz");
    let (hash, _) = release_sha256(&in_release, &xz).expect("InRelease lists Packages.xz");
    run(
        Command::new("/usr/lib/apt/apt-helper")
            .args(["-o", "APT::Sandbox::User=root", "download-file"])
            .arg(format!("{security}/{SUITE_DIR}/{xz}"))
            .arg(packages_dir.join("Packages.xz"))
            .arg(format!("SHA256:{hash}")),
        "apt-helper download-file Packages.xz",
    );
    let packages = read(&packages_dir.join("Packages"));
    for entry in std::fs::read_dir(apt.join("debs")).expect("read the downloads") {
        let deb = entry.expect("download").path();
        let field = |name: &str| {
            let out = run(
                Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name),
                "dpkg-deb -f",
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let (package, version) = (field("Package"), field("Version"));
        let filename = packages_field(&packages, &package, &version, "Filename")
            .unwrap_or_else(|| panic!("{package} {version} is not in the Packages index"));
        let target = mirror.join(&filename);
        std::fs::create_dir_all(target.parent().expect("a pool directory")).expect("mkdir pool");
        std::fs::rename(&deb, &target).expect("move the .deb into the pool");
    }
    upgrades
        .into_iter()
        .map(|upgrade| {
            let target =
                packages_field(&packages, &upgrade.package, &upgrade.candidate, "Filename")
                    .map(|filename| mirror.join(filename));
            assert!(
                target.is_some_and(|t| t.is_file()),
                "{} {} is in the local archive",
                upgrade.package,
                upgrade.candidate
            );
            PendingUpgrade {
                source: packages_source(&packages, &upgrade.package, &upgrade.candidate),
                ..upgrade
            }
        })
        .collect()
}

/// Runs `command`; panics with its standard error when it fails.
pub fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Writes `text` to `path`, making its directory first.
pub fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}
