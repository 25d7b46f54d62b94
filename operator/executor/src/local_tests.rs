//! The local executor's argv: through chroot with a host root, directly without.

use super::*;

#[test]
fn with_a_host_root_programs_run_through_chroot_as_argv() {
    let local = LocalExecutor::new(Some(PathBuf::from("/host")));
    let spec = local.command("apt-get", &["install".into(), "a=1; rm -rf /".into()]);
    assert_eq!(spec.program, "chroot");
    assert_eq!(spec.args, ["/host", "apt-get", "install", "a=1; rm -rf /"]);
    assert_eq!(
        local.host_path("/etc/os-release"),
        Path::new("/host/etc/os-release")
    );
}

#[test]
fn without_a_host_root_or_with_slash_programs_run_directly() {
    for root in [None, Some(PathBuf::from("/"))] {
        let local = LocalExecutor::new(root);
        let spec = local.command("dpkg-query", &["-W".into()]);
        assert_eq!(spec.program, "dpkg-query");
        assert_eq!(spec.args, ["-W"]);
        assert_eq!(
            local.host_path("/run/reboot-required"),
            Path::new("/run/reboot-required")
        );
    }
}
