//! The two processes `patchwarden bench fleet` measures — the control plane and the operator —
//! started from this executable, read from `/proc`, and killed by PID when dropped, whatever
//! happened to the bench.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::operator_fleet::FleetArgs;

/// A child process, killed (SIGKILL) and reaped when dropped.
pub(super) struct Child {
    name: &'static str,
    process: std::process::Child,
}

/// What `/proc` says about a process at one moment.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProcessSample {
    /// User plus system CPU time so far (s).
    pub(super) cpu_seconds: f64,
    /// Peak resident memory (`VmHWM`, MiB).
    pub(super) peak_rss_mib: f64,
}

impl Child {
    /// Starts `command` with its standard output and error in `log`.
    pub(super) fn spawn(
        name: &'static str,
        mut command: Command,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let process = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting the {name}"))?;
        Ok(Self { name, process })
    }

    /// CPU time and peak memory of the process now.
    pub(super) fn sample(&self) -> anyhow::Result<ProcessSample> {
        let pid = self.process.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("the {} (pid {pid}) is gone", self.name))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        Ok(ProcessSample {
            cpu_seconds: cpu_seconds(&stat).context("reading /proc/<pid>/stat")?,
            peak_rss_mib: peak_rss_mib(&status).context("reading /proc/<pid>/status")?,
        })
    }

    fn exited(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(Some(_)))
    }

    /// How the process ended, once it has.
    pub(super) fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.process.try_wait().ok().flatten()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// User plus system CPU seconds from the text of `/proc/<pid>/stat` (100 Hz ticks).
pub(super) fn cpu_seconds(stat: &str) -> Option<f64> {
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `VmHWM` in MiB from the text of `/proc/<pid>/status`.
pub(super) fn peak_rss_mib(status: &str) -> Option<f64> {
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// The control plane, running, and where its kubeconfig is.
pub(super) struct Apiserver {
    pub(super) child: Child,
    pub(super) kubeconfig: PathBuf,
}

/// Starts `patchwarden apiserver` on a loopback port chosen by the system, with its data under
/// `dir`, and waits for its kubeconfig.
pub(super) async fn spawn_apiserver(dir: &Path) -> anyhow::Result<Apiserver> {
    let exe = std::env::current_exe().context("locating the patchwarden executable")?;
    let data = dir.join("apiserver");
    let mut command = Command::new(exe);
    command.arg("apiserver").arg("--data").arg(&data);
    let mut child = Child::spawn("control plane", command, &dir.join("apiserver.log"))?;
    let kubeconfig = data.join("kubeconfig");
    let started = Instant::now();
    while !kubeconfig.exists() {
        if child.exited() || started.elapsed() > Duration::from_secs(30) {
            bail!(
                "the control plane did not start; see {}",
                dir.join("apiserver.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Apiserver { child, kubeconfig })
}

/// Starts the operator: this executable's `bench fleet --operator-child`.
pub(super) fn spawn_operator(
    args: &FleetArgs,
    dir: &Path,
    kubeconfig: &Path,
    feed_base: &Path,
) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("locating the patchwarden executable")?;
    let mut command = Command::new(exe);
    command
        .args(["bench", "fleet", "--operator-child"])
        .arg(kubeconfig)
        .arg("--feed-base")
        .arg(feed_base)
        .arg("--data-dir")
        .arg(&args.data_dir)
        .arg("--variation")
        .arg(args.variation.to_string());
    Child::spawn("operator", command, &dir.join("operator.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_and_peak_memory_are_read_from_proc_text() {
        let stat = "4242 (patch warden) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0";
        assert_eq!(cpu_seconds(stat), Some(4.0));
        assert_eq!(cpu_seconds("4242 (x) S"), None);
        let status = "Name:\tx\nVmPeak:\t 9000 kB\nVmHWM:\t    2048 kB\n";
        assert_eq!(peak_rss_mib(status), Some(2.0));
        assert_eq!(peak_rss_mib("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_can_be_sampled() {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("stat");
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        assert!(cpu_seconds(&stat).is_some_and(|s| s >= 0.0));
        assert!(peak_rss_mib(&status).is_some_and(|m| m > 0.0));
    }
}
