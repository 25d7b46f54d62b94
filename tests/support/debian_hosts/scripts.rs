//! The container's shell scripts, kept as files beside this module so they read as scripts.
//! None is ever built from data: values reach them as positional arguments.

/// Runs as the new namespaces' PID 1 outside the root: mounts, then `exec chroot … init`.
pub const ENTER: &str = include_str!("enter.sh");
/// The container's init (`/usr/local/sbin/container-init`): sshd and reboots.
pub const INIT: &str = include_str!("init.sh");
/// The container's `/usr/local/sbin/systemctl`: `systemctl reboot` signals the init.
pub const SYSTEMCTL: &str = include_str!("systemctl.sh");
