//! One running container: a copy of the cached root in its own mount, UTS and PID namespace,
//! whose PID 1 is the container init with sshd on `<address>:22`.

use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::build::{BOOT_ID_FILE, LOGIN_USER, read, run, write};
use super::cache::DebianCache;
use crate::process::Process;

/// How long a container may take to answer on port 22.
const SSH_START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Debian 12 container; its processes are killed by PID when it drops.
pub struct DebianHost {
    name: String,
    address: Ipv4Addr,
    root: PathBuf,
    /// Whether `root` is an overlay mount (unmounted on drop) rather than a copy.
    overlay: bool,
    console: PathBuf,
    init_pid: u32,
    /// `unshare`, whose `--kill-child` takes the container's init (and so every process in
    /// its PID namespace) with it.
    process: Process,
}

impl DebianHost {
    /// Makes `dir/root` its own root over the cached one, gives it its own host key, host name and the
    /// client's authorized key, and starts it; returns once sshd accepts connections and the
    /// package lists are fetched from the local archive.
    pub(super) fn start(
        cache: &DebianCache,
        dir: &Path,
        enter: &Path,
        index: u8,
        authorized_key: &str,
    ) -> DebianHost {
        let name = format!("debian-{index}");
        let address = Ipv4Addr::new(127, 0, 0, 1 + index);
        let root = dir.join("root");
        let overlay = own_root(&cache.root(), dir, &root);
        personalize(&root, &name, authorized_key);
        let console = dir.join("console.log");
        let log = std::fs::File::create(&console).expect("create the console log");
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--uts", "--pid", "--fork", "--kill-child"])
            .args(["--propagation", "private", "--", "sh"])
            .arg(enter)
            .arg(&root)
            .arg(cache.mirror())
            .arg(&name)
            .arg(address.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("console log")))
            .stderr(Stdio::from(log));
        let mut process = Process::spawn(&mut command);
        let init_pid = child_of(&mut process, &console);
        let host = DebianHost {
            name,
            address,
            root,
            overlay,
            console,
            init_pid,
            process,
        };
        host.wait_for_ssh(SSH_START_TIMEOUT);
        // A running Debian machine has package lists (apt-daily refreshes them): what it
        // can upgrade to is known before anyone patches it.
        let update = host.run(&["apt-get", "-q", "update"]);
        assert!(
            update.status.success(),
            "apt-get update on {}: {}",
            host.name,
            String::from_utf8_lossy(&update.stderr)
        );
        host
    }

    /// The machine's host name (`debian-1`, …), also a fine Asset name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where its sshd listens, on port 22 (inside the test's network namespace).
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The root directory of the container (as the test sees it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `known_hosts` lines for this host: its public host keys, read from its root.
    pub fn known_hosts(&self) -> String {
        let mut lines = String::new();
        let mut keys: Vec<PathBuf> = std::fs::read_dir(self.root.join("etc/ssh"))
            .expect("read etc/ssh")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("ssh_host_") && name.ends_with("_key.pub")
            })
            .collect();
        keys.sort();
        for key in keys {
            let public = read(&key);
            let type_and_key: Vec<&str> = public.split_whitespace().take(2).collect();
            lines.push_str(&format!("{} {}\n", self.address, type_and_key.join(" ")));
        }
        lines
    }

    /// Runs `argv` as root inside the container (its namespaces and root), as a console
    /// login would; the output whatever the exit status.
    pub fn run(&self, argv: &[&str]) -> Output {
        self.command(argv)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("nsenter {}: {e}", self.name))
    }

    /// The command running `argv` as root inside the container, to start in the background
    /// (the caller owns and kills the process).
    pub fn command(&self, argv: &[&str]) -> Command {
        let mut command = Command::new("nsenter");
        command
            .args(["--target", &self.init_pid.to_string()])
            .args(["--mount", "--uts", "--pid", "--root", "--wd", "--"])
            .args(argv)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("LANG", "C.UTF-8");
        command
    }

    /// The installed version of `package`, as `dpkg-query` inside the container shows it.
    pub fn dpkg_query(&self, package: &str) -> Option<String> {
        let out = self.run(&["dpkg-query", "-W", "-f", "${Version}", "--", package]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The boot id the container's processes see (`/proc/sys/kernel/random/boot_id`).
    pub fn boot_id(&self) -> String {
        let out = self.run(&["cat", "/proc/sys/kernel/random/boot_id"]);
        assert!(out.status.success(), "read the boot id of {}", self.name);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The container's `/var/log/dpkg.log`; empty until dpkg first ran in it (the root is
    /// made without one).
    pub fn dpkg_log(&self) -> String {
        let log = self.root.join("var/log/dpkg.log");
        if log.exists() {
            read(&log)
        } else {
            String::new()
        }
    }

    /// What the container's init and sshd printed.
    pub fn console(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }

    /// Waits until sshd accepts connections (after a start or a reboot).
    pub fn wait_for_ssh(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let address = (self.address, 22);
        while TcpStream::connect_timeout(&address.into(), Duration::from_secs(1)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} accepted no SSH connection in {timeout:?}: {}",
                self.name,
                self.console()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DebianHost {
    fn drop(&mut self) {
        self.process.kill();
        if self.overlay {
            // Lazily: the kernel may still be tearing the container's namespace down.
            let _ = Command::new("umount")
                .arg("--lazy")
                .arg(&self.root)
                .status();
        }
    }
}

/// Gives the container a root of its own at `root`: an overlay whose lower layer is the
/// cached root (which overlayfs never writes) and whose upper layer keeps this host's
/// changes, mounted in the test's private mount namespace. Where overlayfs cannot be mounted
/// (its upper layer on overlayfs, as in some CI containers) a full copy is made instead:
/// about 0.5 s on an idle machine, 10 s and more on a busy one, against milliseconds. Not a
/// hard-link copy: maintainer scripts and configuration updates write files in place, which
/// would change the cache. True when it is an overlay.
fn own_root(cached: &Path, dir: &Path, root: &Path) -> bool {
    let (upper, work) = (dir.join("upper"), dir.join("work"));
    for path in [&upper, &work, &root.to_path_buf()] {
        std::fs::create_dir_all(path).expect("create the overlay directories");
    }
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        cached.display(),
        upper.display(),
        work.display()
    );
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &options])
        .arg(root)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        std::fs::remove_dir(root).expect("remove the mount point");
        run(
            Command::new("cp")
                .args(["-a", "--reflink=auto"])
                .arg(cached)
                .arg(root),
            "copy the cached root",
        );
    }
    mounted
}

/// What makes a copy of the root one machine: its host name, an SSH host key of its own and
/// the client's key authorized for the login user.
fn personalize(root: &Path, name: &str, authorized_key: &str) {
    write(&root.join("etc/hostname"), &format!("{name}\n"));
    // Its own boot id file (on an overlay: copied up now, before it is bind-mounted).
    write(&root.join(BOOT_ID_FILE), "");
    write(
        &root.join("etc/hosts"),
        &format!("127.0.0.1 localhost\n127.0.1.1 {name}\n::1 localhost ip6-localhost\n"),
    );
    // One ed25519 key: `ssh-keygen -A` also makes an RSA key, which takes most of a second.
    run(
        Command::new("chroot").arg(root).args([
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            "/etc/ssh/ssh_host_ed25519_key",
        ]),
        "generate the host key",
    );
    let ssh_dir = format!("/home/{LOGIN_USER}/.ssh");
    std::fs::create_dir_all(root.join(&ssh_dir[1..])).expect("create .ssh");
    write(
        &root.join(&ssh_dir[1..]).join("authorized_keys"),
        &format!("{authorized_key}\n"),
    );
    run(
        Command::new("chroot").arg(root).args([
            "chown",
            "-R",
            &format!("{LOGIN_USER}:{LOGIN_USER}"),
            &ssh_dir,
        ]),
        "give the login user its .ssh",
    );
}

/// The PID of the one child `unshare --fork` started (the container's PID 1), found by its
/// parent PID in `/proc`.
fn child_of(process: &mut Process, console: &Path) -> u32 {
    let parent = process.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let child = std::fs::read_dir("/proc")
            .expect("read /proc")
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
                    status
                        .lines()
                        .any(|l| l.strip_prefix("PPid:").map(str::trim) == Some(&parent))
                })
            });
        if let Some(pid) = child {
            return pid;
        }
        assert!(
            process.try_wait().is_none() && Instant::now() < deadline,
            "the container did not start: {}",
            std::fs::read_to_string(console).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
