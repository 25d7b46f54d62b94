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
