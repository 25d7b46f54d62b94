//! The Debian 12 system containers on their own, as a client sees them: key login with a
//! pinned host key, `sudo -n`, apt updating from the local copy of the signed archive (and
//! refusing it when the signature cannot be verified), and a reboot that changes the boot id,
//! empties /run and brings sshd back.

use std::time::{Duration, Instant};

use support::cluster::take_turn;
use support::debian_hosts::{DebianCache, DebianHosts};
use support::namespace::in_private_namespace;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn debian_containers_take_ssh_logins_verify_the_archive_and_reboot() {
    let _turn = take_turn();
    let started = Instant::now();
    // Built (with network access) before entering the namespace, which has none.
    let cache = DebianCache::get();
    eprintln!("debian-hosts cache ready: {:?}", started.elapsed());
    if !in_private_namespace(
        concat!(
            module_path!(),
            "::debian_containers_take_ssh_logins_verify_the_archive_and_reboot"
        ),
        Duration::from_secs(300),
    ) {
        return;
    }
    let started = Instant::now();
    let fleet = DebianHosts::start(&cache, 2);
    eprintln!("2 debian hosts up: {:?}", started.elapsed());
    let (one, two) = (&fleet.hosts()[0], &fleet.hosts()[1]);

    let login = fleet.ssh(one, "sudo -n true && hostname && id -un");
    assert!(login.status.success(), "{}", text(&login.stderr));
    assert_eq!(text(&login.stdout), "debian-1\npatch\n");
    assert!(!cache.upgrades().is_empty());
    for upgrade in cache.upgrades() {
        assert_eq!(
            one.dpkg_query(&upgrade.package).as_deref(),
            Some(upgrade.installed.as_str()),
            "{upgrade:?}"
        );
    }
    assert!(!one.dpkg_log().contains(" upgrade "), "a fresh machine");

    // apt verifies Debian's signature: with the right keyring it updates, with a keyring
    // that lacks Debian's keys it refuses (here on a machine whose lists were removed).
    let update = fleet.ssh(one, "sudo -n apt-get update");
    assert!(update.status.success(), "{}", text(&update.stderr));
    let policy = fleet.ssh(one, "apt-cache policy openssl");
    let openssl = cache
        .upgrades()
        .iter()
        .find(|u| u.package == "openssl")
        .expect("openssl has a pending security fix");
    assert!(
        text(&policy.stdout).contains(&format!("Candidate: {}", openssl.candidate)),
        "{}",
        text(&policy.stdout)
    );
    let unverified = two.run(&[
        "sh",
        "-c",
        "rm -rf /var/lib/apt/lists/*_InRelease /var/lib/apt/lists/*_Packages* && \
         sed -i s/debian-archive-keyring.gpg/debian-archive-removed-keys.gpg/ \
         /etc/apt/sources.list && apt-get update",
    ]);
    assert!(
        text(&unverified.stderr).contains("NO_PUBKEY"),
        "{}",
        text(&unverified.stderr)
    );
    let unchanged = two.run(&["apt-cache", "policy", "openssl"]);
    assert!(
        text(&unchanged.stdout).contains(&format!("Candidate: {}", openssl.installed)),
        "an unverified archive offers nothing: {}",
        text(&unchanged.stdout)
    );

    // A reboot: the command returns, SSH comes back, the boot id changed, /run is empty.
    let boot_before = one.boot_id();
    let other_boot = two.boot_id();
    let touched = fleet.ssh(one, "sudo -n touch /run/reboot-required");
    assert!(touched.status.success(), "{}", text(&touched.stderr));
    let started = Instant::now();
    let reboot = fleet.ssh(one, "sudo -n systemctl reboot");
    assert!(reboot.status.success(), "{}", text(&reboot.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    while one.boot_id() == boot_before {
        assert!(Instant::now() < deadline, "no reboot: {}", one.console());
        std::thread::sleep(Duration::from_millis(100));
    }
    one.wait_for_ssh(Duration::from_secs(30));
    let after = fleet.ssh(one, "test ! -e /run/reboot-required && sudo -n true");
    assert!(after.status.success(), "{}", text(&after.stderr));
    eprintln!("reboot and SSH back: {:?}", started.elapsed());
    assert_eq!(two.boot_id(), other_boot, "only the asked machine rebooted");
    let unsupported = fleet.ssh(one, "sudo -n systemctl restart ssh");
    assert!(!unsupported.status.success());

    // The machines wrote only their own layer: the cached root has no host key.
    let cached_keys: Vec<_> = std::fs::read_dir(cache.root().join("etc/ssh"))
        .expect("read the cached etc/ssh")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ssh_host_"))
        .collect();
    assert!(cached_keys.is_empty(), "{cached_keys:?}");
}
