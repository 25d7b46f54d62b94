//! The executor's own limits with a stand-in for the `ssh` program (a script that records
//! being run): hostile package targets never start it, a hanging command times out with a
//! message naming the asset and operation only, and sessions are bounded.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::model::{AssetRef, PackageTarget};
use crate::{ExecErrorKind, Executor};

use super::{SshConfig, SshExecutor};

/// Writes an executable stand-in for `ssh` running `body`.
fn fake_ssh(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("ssh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn executor_with(program: PathBuf, configure: impl FnOnce(&mut SshConfig)) -> SshExecutor {
    let mut config = SshConfig::new("/k/id".into(), "/k/known_hosts".into());
    config.program = program;
    configure(&mut config);
    SshExecutor::new(config)
}

#[tokio::test]
async fn hostile_package_names_and_versions_are_refused_before_ssh_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let started = tmp.path().join("started");
    let program = fake_ssh(tmp.path(), &format!("touch '{}'", started.display()));
    let exec = executor_with(program, |_| {});
    let asset = AssetRef::named("web-1");
    let hostile = [
        PackageTarget::new("openssl;touch /tmp/x", "3.0.22-1~deb12u2"),
        PackageTarget::new("openssl", "$(id)"),
        PackageTarget::new("openssl", "1 --allow-unauthenticated"),
        PackageTarget::new("-oAPT::Get::AllowUnauthenticated=1", "1"),
    ];
    for target in hostile {
        let targets = [target.clone()];
        for result in [
            exec.upgrade(&asset, &targets).await,
            exec.roll_back(&asset, &targets).await,
        ] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ExecErrorKind::Invalid, "{target:?}: {err}");
            assert!(err.to_string().starts_with("web-1: invalid"), "{err}");
        }
    }
    assert!(!started.exists(), "ssh was started");
}

#[tokio::test]
async fn a_hanging_change_times_out_naming_the_asset_and_operation_only() {
    let tmp = tempfile::tempdir().unwrap();
    // `exec`: the sleeping process is the one the executor kills on timeout.
    let program = fake_ssh(tmp.path(), "exec sleep 30");
    let exec = executor_with(program, |c| c.change_timeout = Duration::from_millis(300));
    let targets = [PackageTarget::new("libssl3", "3.0.22-1~deb12u2")];
    let started = std::time::Instant::now();
    let err = exec
        .upgrade(&AssetRef::named("web-1"), &targets)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), ExecErrorKind::Failed, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("web-1: `upgrade over ssh` did not finish within"),
        "{text}"
    );
    assert!(
        !text.contains("libssl3") && !text.contains("apt-get"),
        "{text}"
    );
}

/// The most sessions open at once, from a log of `start`/`end` lines.
fn most_at_once(log: &str) -> usize {
    let (mut open, mut most) = (0usize, 0usize);
    for line in log.lines() {
        if line == "start" {
            open += 1;
            most = most.max(open);
        } else {
            open = open.saturating_sub(1);
        }
    }
    most
}

async fn sessions_at_once(max_sessions: usize) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log");
    let body = format!(
        "echo start >> '{log}'\nsleep 0.5\necho end >> '{log}'",
        log = log.display()
    );
    let program = fake_ssh(tmp.path(), &body);
    let exec = Arc::new(executor_with(program, |c| c.max_sessions = max_sessions));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let exec = exec.clone();
            tokio::spawn(async move {
                exec.check_reachable(&AssetRef::named(format!("web-{i}")))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    most_at_once(&std::fs::read_to_string(&log).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_sessions_are_bounded_by_max_sessions() {
    assert_eq!(sessions_at_once(1).await, 1);
    assert!(sessions_at_once(2).await <= 2);
    // Without a tight limit the same calls do overlap, so the bound above is what held them.
    assert!(sessions_at_once(16).await > 2);
}
