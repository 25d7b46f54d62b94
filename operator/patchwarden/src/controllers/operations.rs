//! Asset operations of PatchRuns (patch, verify, roll back) run through the executors, and
//! the journal the rollout state machine observes them in.
//!
//! Each operation has the stable id the core derives from run, asset and step; asking for an
//! id the journal already holds does nothing, so a decision made twice acts once. The
//! journal lives in memory: after a restart an operation reads as `Absent` and the state
//! machine asks for it again with the same id. Patch and roll back install exact versions,
//! so a repeated request finds the packages already at their target and changes nothing.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use patchwarden_api::patch_run::{PackageResult, PlannedAsset};
use patchwarden_core::rollout::OperationState;
use patchwarden_executor::{AssetRef, Executor, HealthCheck, PackageTarget};
use tokio::sync::broadcast;

/// What an operation found, for the run's audit trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationDetails {
    /// Versions before and after, per planned package.
    pub packages: Vec<PackageResult>,
    /// Vulnerabilities the re-inventory proved closed.
    pub cves_closed: Vec<String>,
    /// Targeted vulnerabilities still open.
    pub cves_remaining: Vec<String>,
    /// What happened, for people.
    pub message: String,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took.
    pub duration: Duration,
}

#[derive(Debug, Clone)]
struct Entry {
    state: OperationState,
    details: Option<OperationDetails>,
}

/// The operations started by this process and how they ended.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<HashMap<String, Entry>>,
    wake: broadcast::Sender<String>,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            wake: broadcast::channel(1024).0,
        }
    }

    /// Receives the run key (`namespace/name`) whenever an operation of that run ends.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.wake.subscribe()
    }

    /// Records `id` as failed without running it (the asset cannot be acted on).
    pub fn fail_now(&self, run: &str, id: &str, message: String) {
        if self.begin(id) {
            self.finish(run, id, Err(failure(message)));
        }
    }

    /// The state of an operation (`Absent` when this process never started it).
    pub fn state(&self, id: &str) -> OperationState {
        self.entries
            .lock()
            .ok()
            .and_then(|m| m.get(id).map(|e| e.state.clone()))
            .unwrap_or(OperationState::Absent)
    }

    /// What a finished operation found.
    pub fn details(&self, id: &str) -> Option<OperationDetails> {
        self.entries
            .lock()
            .ok()
            .and_then(|m| m.get(id).and_then(|e| e.details.clone()))
    }

    /// Records the start of `id`; false when it is already known (started or finished).
    fn begin(&self, id: &str) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if entries.contains_key(id) {
            return false;
        }
        entries.insert(
            id.to_string(),
            Entry {
                state: OperationState::Running,
                details: None,
            },
        );
        true
    }

    fn finish(&self, run: &str, id: &str, result: Result<OperationDetails, OperationDetails>) {
        let (state, details) = match result {
            Ok(details) => (OperationState::Succeeded, details),
            Err(details) => (
                OperationState::Failed {
                    message: details.message.clone(),
                },
                details,
            ),
        };
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(
                id.to_string(),
                Entry {
                    state,
                    details: Some(details),
                },
            );
        }
        let _ = self.wake.send(run.to_string());
    }
}

/// Which step an operation performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Install the planned versions.
    Patch,
    /// Re-inventory, confirm the planned versions and run health checks.
    Verify,
    /// Restore the recorded versions.
    RollBack,
}

/// Everything an operation needs.
pub struct OperationRequest {
    /// `namespace/name` of the run.
    pub run: String,
    /// Operation id.
    pub id: String,
    /// The step.
    pub step: StepKind,
    /// The asset's name (for messages).
    pub asset_name: String,
    /// Where the executor acts.
    pub target: AssetRef,
    /// The executor.
    pub executor: Arc<dyn Executor>,
    /// The asset's part of the plan.
    pub planned: PlannedAsset,
    /// Extra health checks from the run's limits (argv and timeout).
    pub health_checks: Vec<(String, HealthCheck, u32)>,
    /// Whether the lab's own health check runs too.
    pub default_health_check: bool,
    /// Hook commands run on the asset before patching (a failure fails the asset untouched).
    pub pre_patch: Vec<(String, HealthCheck)>,
    /// Hook commands run on the asset after verification (a failure fails the asset).
    pub post_patch: Vec<(String, HealthCheck)>,
}

/// Runs hook commands in order; the error names the failing hook and its output.
async fn run_hooks(
    request: &OperationRequest,
    hooks: &[(String, HealthCheck)],
    when: &str,
) -> Result<(), String> {
    for (name, command) in hooks {
        match request
            .executor
            .health_check(&request.target, command)
            .await
        {
            Ok(report) if report.healthy => {}
            Ok(report) => {
                return Err(format!(
                    "{}: {when} hook {name} failed (exit {:?}): {}",
                    request.asset_name,
                    report.exit_code,
                    report.output.trim()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{}: {when} hook {name} failed: {e}",
                    request.asset_name
                ));
            }
        }
    }
    Ok(())
}

/// Starts `request` unless its id is already known; returns whether it started.
pub fn start(journal: &Arc<Journal>, request: OperationRequest) -> bool {
    if !journal.begin(&request.id) {
        return false;
    }
    let journal = journal.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let run = request.run.clone();
        let id = request.id.clone();
        let result = match request.step {
            StepKind::Patch => patch(&request, false).await,
            StepKind::RollBack => patch(&request, true).await,
            StepKind::Verify => verify(&request).await,
        };
        let stamp = |mut d: OperationDetails| {
            d.duration = started.elapsed();
            d.finished_at = Some(Utc::now());
            d
        };
        let result = result.map(stamp).map_err(stamp);
        match &result {
            Ok(d) => tracing::info!(operation = %id, message = %d.message, "operation succeeded"),
            Err(d) => tracing::warn!(operation = %id, message = %d.message, "operation failed"),
        }
        journal.finish(&run, &id, result);
    });
    true
}

fn failure(message: String) -> OperationDetails {
    OperationDetails {
        message,
        ..OperationDetails::default()
    }
}

/// Installs the planned `to` versions (or, rolling back, the recorded `from` versions).
async fn patch(
    request: &OperationRequest,
    roll_back: bool,
) -> Result<OperationDetails, OperationDetails> {
    let targets: Vec<PackageTarget> = request
        .planned
        .packages
        .iter()
        .map(|p| {
            let version = if roll_back { &p.from } else { &p.to };
            PackageTarget::new(p.name.clone(), version.clone())
        })
        .collect();
    if !roll_back {
        run_hooks(request, &request.pre_patch, "pre-patch")
            .await
            .map_err(failure)?;
    }
    let outcome = if roll_back {
        request.executor.roll_back(&request.target, &targets).await
    } else {
        request.executor.upgrade(&request.target, &targets).await
    };
    let verb = if roll_back { "roll back" } else { "upgrade" };
    let report =
        outcome.map_err(|e| failure(format!("{}: {verb} failed: {e}", request.asset_name)))?;
    let packages: Vec<PackageResult> = request
        .planned
        .packages
        .iter()
        .map(|p| {
            let outcome = report.outcomes.iter().find(|o| o.package == p.name);
            PackageResult {
                name: p.name.clone(),
                before: Some(p.from.clone()),
                after: outcome
                    .and_then(|o| o.after.as_ref())
                    .map(|a| a.version.clone()),
            }
        })
        .collect();
    if report.succeeded() {
        let message = if roll_back {
            format!(
                "{}: rolled back {} packages to their recorded versions",
                request.asset_name,
                packages.len()
            )
        } else {
            format!(
                "{}: upgraded {} packages",
                request.asset_name,
                packages.len()
            )
        };
        Ok(OperationDetails {
            packages,
            message,
            ..OperationDetails::default()
        })
    } else {
        let detail = report
            .failure_message()
            .unwrap_or_else(|| String::from("unknown failure"));
        Err(OperationDetails {
            packages,
            message: format!(
                "{} ({}): {verb} failed: {detail}",
                request.asset_name, request.target.name
            ),
            ..OperationDetails::default()
        })
    }
}

/// Re-inventories the asset, checks every planned package is at its planned version and
/// fully installed, then runs the health checks.
async fn verify(request: &OperationRequest) -> Result<OperationDetails, OperationDetails> {
    let inventory = request
        .executor
        .collect_inventory(&request.target)
        .await
        .map_err(|e| failure(format!("{}: re-inventory failed: {e}", request.asset_name)))?;
    let installed = patchwarden_core::inventory::dpkg::parse_status(&inventory.dpkg_status)
        .map_err(|e| {
            failure(format!(
                "{}: re-inventory: dpkg status: {e}",
                request.asset_name
            ))
        })?;
    let version_of = |name: &str| {
        installed
            .packages
            .iter()
            .find(|p| &*p.name == name)
            .map(|p| p.version.to_string())
    };
    let mut packages = Vec::new();
    let mut closed = BTreeSet::new();
    let mut remaining = BTreeSet::new();
    let mut wrong = Vec::new();
    for planned in &request.planned.packages {
        let now = version_of(&planned.name);
        if now.as_deref() == Some(planned.to.as_str()) {
            closed.extend(planned.fixes.iter().cloned());
        } else {
            remaining.extend(planned.fixes.iter().cloned());
            wrong.push(format!(
                "{} is at {} (expected {})",
                planned.name,
                now.as_deref().unwrap_or("not installed"),
                planned.to
            ));
        }
        packages.push(PackageResult {
            name: planned.name.clone(),
            before: Some(planned.from.clone()),
            after: now,
        });
    }
    let mut details = OperationDetails {
        packages,
        cves_closed: closed.into_iter().collect(),
        cves_remaining: remaining.into_iter().collect(),
        ..OperationDetails::default()
    };
    if !wrong.is_empty() {
        details.message = format!(
            "{}: verification failed: {}",
            request.asset_name,
            wrong.join("; ")
        );
        return Err(details);
    }
    let mut checks = request.health_checks.clone();
    if request.default_health_check {
        checks.insert(0, (String::from("lab-health"), HealthCheck::default(), 1));
    }
    for (name, check, attempts) in &checks {
        let mut last = None;
        for _ in 0..(*attempts).max(1) {
            match request.executor.health_check(&request.target, check).await {
                Ok(report) if report.healthy => {
                    last = None;
                    break;
                }
                Ok(report) => last = Some(report.output.trim().to_string()),
                Err(e) => last = Some(e.to_string()),
            }
        }
        if let Some(output) = last {
            let upgraded: Vec<String> = request
                .planned
                .packages
                .iter()
                .map(|p| format!("{} {}", p.name, p.to))
                .collect();
            details.message = format!(
                "{}: health check {name} failed after upgrading {}: {output}",
                request.asset_name,
                upgraded.join(", ")
            );
            return Err(details);
        }
    }
    if let Err(message) = run_hooks(request, &request.post_patch, "post-patch").await {
        details.message = message;
        return Err(details);
    }
    details.message = format!(
        "{}: {} packages verified, {} vulnerabilities closed",
        request.asset_name,
        details.packages.len(),
        details.cves_closed.len()
    );
    Ok(details)
}
