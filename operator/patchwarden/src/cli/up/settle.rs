//! When `patchwarden up` counts the fleet as settled: every policy has observed its current
//! generation, has no run in flight, and is Ready, Stalled or Degraded. A settled policy whose
//! every member is compliant is finished: no run can follow. Also the two ways of waiting:
//! until settled (`--exit-when-settled`), or reporting changes until stopped.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use patchwarden_api::conditions as c;
use patchwarden_api::{PatchPolicy, PatchPolicyStatus, PatchRun};
use tokio::sync::watch;

use super::summary::print_summary;

/// One policy's line of the summary.
pub(super) struct PolicyRow {
    pub(super) name: String,
    pub(super) ready: String,
    pub(super) compliance: String,
    pub(super) runs: usize,
    pub(super) last_run: String,
    pub(super) findings_closed: usize,
    pub(super) problem: Option<String>,
}

/// The conditions of one policy that decide whether it has settled.
struct Standing<'a> {
    ready: Option<&'a Condition>,
    /// Stalled, only when True.
    stalled: Option<&'a Condition>,
    /// Degraded, only when True.
    degraded: Option<&'a Condition>,
    compliant: Option<&'a Condition>,
}

impl<'a> Standing<'a> {
    fn of(status: &'a PatchPolicyStatus) -> Standing<'a> {
        let is_true = |cond: &&Condition| cond.status == c::TRUE;
        Standing {
            ready: c::find_condition(&status.conditions, c::READY),
            stalled: c::find_condition(&status.conditions, c::STALLED).filter(is_true),
            degraded: c::find_condition(&status.conditions, c::DEGRADED).filter(is_true),
            compliant: c::find_condition(&status.conditions, c::COMPLIANT),
        }
    }

    /// Settled: the current generation is observed, no run is in flight, and the policy
    /// either cannot progress (Stalled or Degraded: waiting for other members' assessments
    /// does not help a policy that already failed) or is Ready and waits for nothing.
    fn settled(&self, policy: &PatchPolicy, status: &PatchPolicyStatus) -> bool {
        let current = status.observed_generation == policy.metadata.generation;
        let in_flight = status.active_run.is_some();
        let waiting = self
            .ready
            .is_some_and(|r| r.reason == c::reason::DEPENDENCY_NOT_READY);
        let stuck = self.stalled.is_some() || self.degraded.is_some();
        let done = !waiting && self.ready.is_some_and(|r| r.status == c::TRUE);
        current && !in_flight && (stuck || done)
    }

    /// Finished: settled, and every member compliant at the current generation, so that the
    /// policy has nothing left to start.
    fn finished(&self, policy: &PatchPolicy, status: &PatchPolicyStatus) -> bool {
        let all_compliant = self.compliant.is_some_and(|cond| {
            cond.status == c::TRUE && cond.observed_generation == policy.metadata.generation
        });
        all_compliant && self.problem().is_none() && self.settled(policy, status)
    }

    /// Why the policy failed, if it did.
    fn problem(&self) -> Option<String> {
        self.stalled
            .or(self.degraded)
            .map(|cond| format!("{}: {}", cond.type_, cond.message))
    }
}

/// How the policies stand at one look.
pub(super) struct Look {
    /// Every policy has settled.
    pub(super) settled: bool,
    /// Every policy has finished: nothing more can happen without a change from outside.
    finished: bool,
    /// The summary rows.
    pub(super) rows: Vec<PolicyRow>,
    /// The resource versions of every policy and run: any change shows activity.
    versions: Vec<String>,
}

/// Looks at every policy and run.
pub(super) async fn look(client: &kube::Client) -> anyhow::Result<Look> {
    let policies: Api<PatchPolicy> = Api::all(client.clone());
    let runs: Api<PatchRun> = Api::all(client.clone());
    let policies = policies.list(&ListParams::default()).await?.items;
    let runs = runs.list(&ListParams::default()).await?.items;
    let mut settled = !policies.is_empty();
    let mut finished = settled;
    let mut rows = Vec::new();
    for policy in &policies {
        let status = policy.status.clone().unwrap_or_default();
        let standing = Standing::of(&status);
        settled &= standing.settled(policy, &status);
        finished &= standing.finished(policy, &status);
        rows.push(policy_row(policy, &status, &standing, &runs));
    }
    let versions = policies
        .iter()
        .map(|p| p.resource_version())
        .chain(runs.iter().map(|r| r.resource_version()))
        .map(Option::unwrap_or_default)
        .collect();
    Ok(Look {
        settled,
        finished,
        rows,
        versions,
    })
}

fn policy_row(
    policy: &PatchPolicy,
    status: &PatchPolicyStatus,
    standing: &Standing<'_>,
    runs: &[PatchRun],
) -> PolicyRow {
    let own: Vec<&PatchRun> = runs
        .iter()
        .filter(|r| {
            r.namespace() == policy.namespace()
                && r.spec.policy.as_deref() == Some(policy.name_any().as_str())
        })
        .collect();
    let findings_closed = own
        .iter()
        .filter_map(|r| r.status.as_ref())
        .flat_map(|s| s.assets.iter())
        .map(|a| a.cves_closed.len())
        .sum();
    let last_run = own
        .last()
        .and_then(|r| {
            r.status
                .as_ref()
                .map(|s| format!("{} {:?}", r.name_any(), s.phase))
        })
        .unwrap_or_else(|| String::from("-"));
    PolicyRow {
        name: format!(
            "{}/{}",
            policy.namespace().unwrap_or_default(),
            policy.name_any()
        ),
        ready: standing
            .ready
            .map(|r| format!("{} ({})", r.status, r.reason))
            .unwrap_or_else(|| String::from("Unknown")),
        compliance: status
            .compliance
            .as_ref()
            .map(|s| format!("{:.1}% ({}/{})", s.percent, s.compliant, s.assets))
            .unwrap_or_else(|| String::from("-")),
        runs: own.len(),
        last_run,
        findings_closed,
        problem: standing.problem(),
    }
}

/// Prints a line whenever the policies' standing changes, until Ctrl-C.
pub(super) async fn report_until_stopped(
    client: &kube::Client,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    loop {
        if let Ok(Look { rows, .. }) = look(client).await {
            for row in rows {
                let line = format!(
                    "{} ready={} compliant={} last run={}",
                    row.name, row.ready, row.compliance, row.last_run
                );
                if last.get(&row.name) != Some(&line) {
                    eprintln!("      {line}");
                    last.insert(row.name.clone(), line);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// How often `up --exit-when-settled` looks at the policies when no change wakes it.
const SETTLE_POLL: Duration = Duration::from_millis(250);
/// How long every policy must stay settled and unchanged to count, unless all have finished:
/// a policy between two runs of one window looks settled for a moment, until its next
/// evaluation starts the next run. Its triggers come a quarter of a second apart while
/// evaluations are quick (a lab fleet); a large fleet's are paced further apart
/// (`coalesce::WorkPace`).
const SETTLE_QUIET: Duration = Duration::from_secs(1);

/// Changes to any policy or run: each one is a reason to look again at once.
fn policy_and_run_changes(client: &kube::Client) -> BoxStream<'static, ()> {
    let config = watcher::Config::default();
    let policies = watcher(Api::<PatchPolicy>::all(client.clone()), config.clone())
        .default_backoff()
        .map(|_| ());
    let runs = watcher(Api::<PatchRun>::all(client.clone()), config)
        .default_backoff()
        .map(|_| ());
    stream::select(policies, runs).boxed()
}

/// Waits until every policy has settled, then prints the summary; the exit code is 1 when a
/// policy failed, when stopped early, or after `timeout`. Every change to a policy or run wakes
/// it to look again; when every policy has finished it exits at that look, otherwise once they
/// have stayed settled and unchanged for [`SETTLE_QUIET`].
pub(super) async fn wait_until_settled(
    client: &kube::Client,
    shutdown: watch::Receiver<bool>,
    timeout: Duration,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut changes = policy_and_run_changes(client);
    // Since when every policy has been settled with these versions.
    let mut quiet: Option<(Instant, Vec<String>)> = None;
    loop {
        let look = look(client).await?;
        quiet = match quiet {
            Some((since, versions)) if look.settled && versions == look.versions => {
                Some((since, versions))
            }
            _ if look.settled => Some((Instant::now(), look.versions)),
            _ => None,
        };
        let stayed_quiet = quiet
            .as_ref()
            .is_some_and(|(since, _)| since.elapsed() >= SETTLE_QUIET);
        if look.finished || stayed_quiet {
            print_summary(&look.rows);
            let failed = look.rows.iter().any(|r| r.problem.is_some());
            return Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        if *shutdown.borrow() {
            print_summary(&look.rows);
            return Ok(ExitCode::from(1));
        }
        if started.elapsed() > timeout {
            print_summary(&look.rows);
            eprintln!("not settled within {} s", timeout.as_secs());
            return Ok(ExitCode::from(1));
        }
        tokio::select! {
            _ = tokio::time::sleep(SETTLE_POLL) => {}
            Some(()) = changes.next() => {}
        }
    }
}

#[cfg(test)]
#[path = "settle_tests.rs"]
mod tests;
