//! Running a test inside a private network, mount and PID namespace that it made itself
//! (`unshare`): servers it starts bind only addresses inside it, nothing can leave the
//! machine, and when the test ends (or dies) the kernel removes every process with the
//! namespace (`--kill-child`). The test binary re-runs the one test inside; the outer run only
//! waits for the inner run and checks its exit status.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Process;

/// Set in the environment of the inner run.
const INSIDE: &str = "PATCHWARDEN_TEST_INSIDE_PRIVATE_NAMESPACE";

/// True in the run inside the namespace, which then does the test's work (loopback is up).
/// In the outer run, re-runs the test `test` (its `module_path!()` followed by `::` and the
/// function name) inside a new namespace, waits at most `timeout`, asserts it passed and
/// returns false.
pub fn in_private_namespace(test: &str, timeout: Duration) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        // Its own /proc, so the PIDs of the processes the test starts are the ones /proc lists.
        for (program, args) in [
            ("mount", &["-t", "proc", "proc", "/proc"][..]),
            ("ip", &["link", "set", "lo", "up"][..]),
        ] {
            let done = Command::new(program)
                .args(args)
                .status()
                .is_ok_and(|s| s.success());
            assert!(done, "{program} {args:?} inside the namespace");
        }
        return true;
    }
    // libtest names a test by its path without the crate (the test binary).
    let name = test.split_once("::").map_or(test, |(_, rest)| rest);
    // The running binary itself, even when a newer build has replaced the file meanwhile.
    let exe = format!("/proc/{}/exe", std::process::id());
    let mut command = Command::new("unshare");
    command
        .args(["--net", "--mount", "--pid", "--fork", "--kill-child"])
        .args(["--propagation", "private", "--"])
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1");
    let mut inner = Process::spawn(&mut command);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = inner.try_wait() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not finish inside its namespace in {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "{name} failed inside its namespace: {status}"
    );
    false
}
