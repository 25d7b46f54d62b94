//! The protocol end to end in memory: the operator's executor, a channel, and the agent's
//! worker over a counting stand-in for the host.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::model::{ChangeKind, ChangeReport, OutcomeResult, PackageOutcome};
use crate::{
    AssetRef, ExecError, ExecErrorKind, ExecFuture, Executor, HealthCheck, HealthReport,
    HostSources, Inventory, PackageTarget, RebootReport, RebootRequest,
};

/// A host that counts its upgrades and reboots and changes its boot id on reboot.
#[derive(Debug, Default)]
struct Host {
    upgrades: AtomicUsize,
    reboots: AtomicUsize,
    boot: Mutex<String>,
}

impl Host {
    fn boot(&self) -> String {
        self.boot.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

fn fail<'a, T: Send + 'a>(asset: &AssetRef) -> ExecFuture<'a, T> {
    let error = ExecError::Command {
        asset: asset.name.clone(),
        command: "dpkg-query".into(),
        status: "exit 2".into(),
        stderr: "broken".into(),
    };
    Box::pin(async move { Err(error) })
}

impl Executor for Host {
    fn kind(&self) -> &'static str {
        "stub"
    }
    fn check_reachable<'a>(&'a self, _: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        fail(asset)
    }
    fn upgrade<'a>(
        &'a self,
        a: &'a AssetRef,
        t: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        self.upgrades.fetch_add(1, Ordering::SeqCst);
        let report = ChangeReport {
            asset: "host-name".into(),
            kind: ChangeKind::Upgrade,
            exit_code: Some(0),
            outcomes: t
                .iter()
                .map(|t| PackageOutcome {
                    package: t.package.clone(),
                    target_version: t.version.clone(),
                    before: None,
                    after: None,
                    result: OutcomeResult::Changed,
                })
                .collect(),
            also_changed: Vec::new(),
            duration: Duration::from_millis(5),
            output_tail: String::new(),
        };
        let _ = a;
        Box::pin(async move { Ok(report) })
    }
    fn roll_back<'a>(
        &'a self,
        a: &'a AssetRef,
        _: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        fail(a)
    }
    fn boot_id<'a>(&'a self, _: &'a AssetRef) -> ExecFuture<'a, String> {
        let id = self.boot();
        Box::pin(async move { Ok(id) })
    }
    fn reboot<'a>(&'a self, a: &'a AssetRef, r: &'a RebootRequest) -> ExecFuture<'a, RebootReport> {
        Box::pin(async move {
            let now = self.boot();
            let before = r.boot_id_before.clone().unwrap_or(now.clone());
            let issued = before == now;
            if issued {
                self.reboots.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut b) = self.boot.lock() {
                    b.push('1');
                }
            }
            Ok(RebootReport {
                asset: a.name.clone(),
                boot_id_before: before,
                boot_id_after: self.boot(),
                issued,
                duration: Duration::ZERO,
            })
        })
    }
    fn package_sources<'a>(
        &'a self,
        a: &'a AssetRef,
        _: &'a [String],
    ) -> ExecFuture<'a, HostSources> {
        fail(a)
    }
    fn health_check<'a>(
        &'a self,
        a: &'a AssetRef,
        _: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        fail(a)
    }
}

/// Hands each request to a worker at once, or drops it when `silent`.
#[derive(Debug)]
struct Direct {
    worker: tokio::sync::Mutex<AgentWorker>,
    silent: bool,
}

impl AgentChannel for Direct {
    fn exchange<'a>(
        &'a self,
        _: &'a AssetRef,
        request: &'a AgentMessage,
        _: Duration,
    ) -> ExecFuture<'a, Option<AgentMessage>> {
        Box::pin(async move {
            if self.silent {
                return Ok(None);
            }
            let mut worker = self.worker.lock().await;
            Ok(Some(worker.answer(request).await.expect("state file")))
        })
    }
}

fn worker(host: &std::sync::Arc<Host>, dir: &std::path::Path) -> AgentWorker {
    let file = StateFile::in_dir(dir).expect("state dir");
    AgentWorker::new(host.clone(), AssetRef::named("web-1"), file).expect("worker")
}

fn executor(worker: AgentWorker, silent: bool) -> AgentExecutor {
    let channel = Direct {
        worker: tokio::sync::Mutex::new(worker),
        silent,
    };
    AgentExecutor::new(std::sync::Arc::new(channel), AgentTimeouts::default())
}

#[tokio::test]
async fn an_upgrade_goes_through_the_agent_and_names_the_asset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    let agent = executor(worker(&host, dir.path()), false);
    let targets = [PackageTarget::new("openssl", "3.0.15-1~deb12u1")];
    let report = agent
        .upgrade(&AssetRef::named("web-1"), &targets)
        .await
        .expect("report");
    assert!(report.succeeded());
    assert_eq!(report.asset, "web-1");
    assert_eq!(report.outcomes[0].package, "openssl");
    assert_eq!(host.upgrades.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_request_answered_before_a_restart_is_re_reported_not_re_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    let request = AgentRequest {
        id: "upgrade-1".into(),
        operation: AgentOperation::Upgrade {
            targets: vec![PackageTarget::new("curl", "7.88.1-10+deb12u8")],
        },
    }
    .to_message()
    .expect("message");
    let first = worker(&host, dir.path())
        .answer(&request)
        .await
        .expect("answer");
    let restarted = worker(&host, dir.path());
    assert_eq!(
        next_step(Some(&request), None, restarted.state()),
        Step::Report(first.clone())
    );
    let mut restarted = restarted;
    let again = restarted.answer(&request).await.expect("answer");
    assert_eq!(again, first);
    assert_eq!(host.upgrades.load(Ordering::SeqCst), 1);
    let mode = std::fs::metadata(dir.path().join("state.json"))
        .expect("state")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
}

#[tokio::test]
async fn a_reboot_started_before_a_restart_is_reported_not_issued_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    if let Ok(mut b) = host.boot.lock() {
        *b = "aaaa".into();
    }
    let request = AgentRequest {
        id: "reboot-1".into(),
        operation: AgentOperation::Reboot {
            request: RebootRequest::new(Duration::from_secs(60)),
        },
    }
    .to_message()
    .expect("message");
    // The agent recorded the start, then the host rebooted under it.
    let file = StateFile::in_dir(dir.path()).expect("dir");
    let mut state = AgentState::default();
    state.started = Some(state::Started {
        id: "reboot-1".into(),
        boot_id: "aaaa".into(),
    });
    file.save(&state).expect("save");
    if let Ok(mut b) = host.boot.lock() {
        *b = "bbbb".into();
    }
    let answer = worker(&host, dir.path())
        .answer(&request)
        .await
        .expect("answer");
    let AgentAnswer::Reboot { report } = serde_json::from_str(&answer.body).expect("json") else {
        panic!("not a reboot answer: {}", answer.body);
    };
    assert!(!report.issued);
    assert_eq!(
        (
            report.boot_id_before.as_str(),
            report.boot_id_after.as_str()
        ),
        ("aaaa", "bbbb")
    );
    assert_eq!(host.reboots.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_silent_agent_fails_changes_and_makes_reads_unreachable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    let agent = executor(worker(&host, dir.path()), true);
    let asset = AssetRef::named("web-1");
    let targets = [PackageTarget::new("curl", "1")];
    let change = agent.upgrade(&asset, &targets).await.expect_err("silent");
    assert_eq!(change.kind(), ExecErrorKind::Failed);
    assert!(
        change.to_string().contains("no answer to upgrade request"),
        "{change}"
    );
    let read = agent.collect_inventory(&asset).await.expect_err("silent");
    assert_eq!(read.kind(), ExecErrorKind::Unreachable);
}

#[tokio::test]
async fn errors_on_the_host_come_back_with_their_kind_and_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    let agent = executor(worker(&host, dir.path()), false);
    let error = agent
        .collect_inventory(&AssetRef::named("web-1"))
        .await
        .expect_err("stub fails");
    assert_eq!(error.kind(), ExecErrorKind::Failed);
    assert_eq!(
        error.to_string(),
        "web-1: agent: web-1: `dpkg-query` failed (exit 2): broken"
    );
}

#[test]
fn answered_or_missing_requests_leave_the_agent_idle() {
    let state = AgentState::default();
    let request = AgentMessage {
        id: "inventory-1".into(),
        operation: "inventory".into(),
        body: r#"{"operation":"inventory"}"#.into(),
    };
    assert_eq!(next_step(None, None, &state), Step::Idle);
    assert_eq!(
        next_step(Some(&request), Some("inventory-1"), &state),
        Step::Idle
    );
    assert_eq!(
        next_step(Some(&request), Some("inventory-0"), &state),
        Step::Run(request.clone())
    );
}

#[tokio::test]
async fn a_garbled_request_is_answered_as_invalid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = std::sync::Arc::new(Host::default());
    let request = AgentMessage {
        id: "x-1".into(),
        operation: "upgrade".into(),
        body: r#"{"operation":"format-disk"}"#.into(),
    };
    let answer = worker(&host, dir.path())
        .answer(&request)
        .await
        .expect("answer");
    let parsed: AgentAnswer = serde_json::from_str(&answer.body).expect("json");
    assert!(
        matches!(
            parsed,
            AgentAnswer::Error {
                kind: protocol::ErrorKind::Invalid,
                ..
            }
        ),
        "{parsed:?}"
    );
}
