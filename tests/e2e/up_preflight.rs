//! End to end, `patchwarden up` on a machine that lacks a tool the lab fleet runs: every
//! program of the machine is on PATH except `apt-ftparchive`. It exits at once, non-zero,
//! with one message naming the tool and the Debian package that provides it, and starts
//! nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use support::patchwarden;
use support::paths::repo_path;
use support::process::{Process, stdout_piped_stderr_to};

/// Links every program of the machine's usual directories into `bin`, except `left_out`.
fn path_without(bin: &Path, left_out: &str) {
    std::fs::create_dir_all(bin).expect("bin directory");
    for dir in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if name == left_out || link.symlink_metadata().is_ok() {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), &link).expect("link a program");
        }
    }
}

#[test]
fn up_without_apt_ftparchive_exits_at_once_naming_its_package() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("bin");
    path_without(&bin, "apt-ftparchive");
    assert!(bin.join("apt-get").exists() && bin.join("dpkg").exists());
    let state = dir.path().join("state");
    let log = dir.path().join("up.log");
    let mut command = patchwarden!();
    command
        .args(["up", "--repo"])
        .arg(repo_path("examples/quickstart"))
        .arg("--state-dir")
        .arg(&state)
        .args(["--listen", "127.0.0.1:0", "--exit-when-settled"])
        .env("PATH", &bin)
        .current_dir(dir.path());
    let started = Instant::now();
    let mut up = Process::spawn(stdout_piped_stderr_to(&mut command, &log));
    // A guard, not a benchmark: before anything starts the check takes milliseconds, while a
    // fleet that cannot be built would only show after the settle timeout (600 s).
    let status = loop {
        if let Some(status) = up.try_wait() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "up is still running: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let said = std::fs::read_to_string(&log).expect("up's log");
    assert!(!status.success(), "{status:?}: {said}");
    assert_eq!(said.trim().lines().count(), 1, "one message: {said}");
    assert!(
        said.contains("not on PATH: apt-ftparchive (package apt-utils)"),
        "{said}"
    );
    assert!(said.contains("sudo apt-get install apt-utils"), "{said}");
    assert!(
        !state.join("apiserver").exists(),
        "up started its control plane"
    );
}
