//! The ssh argv, sudo, refused destinations, key material, output sections and the
//! classification of ssh failures, without a server.

use std::path::Path;

use crate::model::AssetRef;

use super::login::connection_error;
use super::scripts::{Marker, split_sections};
use super::{SshConfig, SshExecutor};

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
    assert_eq!(spec.args.last().unwrap(), "'sudo' '-n' '--' 'true'");
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
    let config =
        SshConfig::from_key_material(&dir, b"-----BEGIN KEY-----", b"[h]:22 ssh-ed25519 AAAA\n")
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
    let m = Marker::fixed("@@patchwarden-1f@@");
    let s = split_sections(
        "a\nb\n@@patchwarden-1f@@ apt\nout\n@@patchwarden@@ apt\n@@patchwarden-1f@@ apt-exit 100\nafter\n",
        &m,
    );
    assert_eq!(
        s,
        [
            ("", "a\nb\n"),
            ("apt", "out\n@@patchwarden@@ apt\n"),
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

/// Runs the inventory script on this machine against a root (`DPKG_ROOT`), as a login would.
fn inventory_script_on(root: &Path) -> std::process::Output {
    std::process::Command::new("sh")
        .args([
            "-c",
            super::scripts::INVENTORY_SCRIPT,
            "patchwarden-inventory",
        ])
        .arg("@@patchwarden-test@@")
        .env("DPKG_ROOT", root)
        .output()
        .unwrap()
}

#[test]
fn the_inventory_script_fails_when_the_reboot_marker_cannot_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("run")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=debian\n").unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let out = inventory_script_on(root);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("reboot-required\nno\n"));

    // A link to itself: neither present nor absent, so the inventory fails.
    let marker = root.join("run/reboot-required");
    std::os::unix::fs::symlink(&marker, &marker).unwrap();
    let out = inventory_script_on(root);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    std::fs::remove_file(&marker).unwrap();

    let pkgs = root.join("run/reboot-required.pkgs");
    std::os::unix::fs::symlink(&pkgs, &pkgs).unwrap();
    let out = inventory_script_on(root);
    assert_eq!(out.status.code(), Some(6), "{out:?}");
}
