//! The journal the rollout state machine observes operations in: the state of each
//! operation this process started, what finished ones found, and a wake-up for the run
//! when one ends.
//!
//! Asking for an id the journal already holds does nothing, so a decision made twice acts
//! once. The journal lives in memory: after a restart an operation reads as `Absent` and
//! the state machine asks for it again with the same id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use patchwarden_api::patch_run::{InstalledSource, PackageResult};
use patchwarden_core::rollout::{CheckOutcome, OperationState};
use tokio::sync::broadcast;

/// What an operation found, for the run's audit trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationDetails {
    /// Versions before and after, per planned package.
    pub packages: Vec<PackageResult>,
    /// The repositories the upgraded versions came from (patch steps only).
    pub sources: Vec<InstalledSource>,
    /// Vulnerabilities the re-inventory proved closed.
    pub cves_closed: Vec<String>,
    /// Targeted vulnerabilities still open.
    pub cves_remaining: Vec<String>,
    /// Whether the asset was rebooted (reboot steps only).
    pub rebooted: bool,
    /// What happened, for people.
    pub message: String,
    /// Each health check's outcome before patching (patch steps only).
    pub health_baseline: Vec<(String, CheckOutcome)>,
    /// What each behavioural health check measured before patching (patch steps only).
    pub health_values: Vec<(String, f64)>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took.
    pub duration: Duration,
}

impl OperationDetails {
    /// The details of an operation that failed before it found anything.
    pub fn failure(message: impl ToString) -> Self {
        Self {
            message: message.to_string(),
            ..Self::default()
        }
    }
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
            self.finish(run, id, Err(OperationDetails::failure(message)));
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
    pub(super) fn begin(&self, id: &str) -> bool {
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

    /// Records how `id` ended and wakes its run.
    pub(super) fn finish(
        &self,
        run: &str,
        id: &str,
        result: Result<OperationDetails, OperationDetails>,
    ) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_is_started_once_and_its_failure_is_observable() {
        let journal = Journal::new();
        let mut woken = journal.subscribe();
        assert_eq!(journal.state("op"), OperationState::Absent);
        journal.fail_now("default/r", "op", String::from("Asset a does not exist"));
        assert_eq!(
            journal.state("op"),
            OperationState::Failed {
                message: String::from("Asset a does not exist")
            }
        );
        assert!(!journal.begin("op"), "a known id never starts again");
        assert_eq!(woken.try_recv().ok().as_deref(), Some("default/r"));
        let details = journal.details("op").expect("details");
        assert_eq!(details.message, "Asset a does not exist");
    }
}
