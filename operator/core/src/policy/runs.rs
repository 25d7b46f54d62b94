//! Where a policy's runs stand: the active one, the last finished one, and whether a failed
//! run blocks starting the same plan again.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One run of the policy, as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    /// The run has ended (succeeded, failed or halted) and says when.
    pub finished: bool,
    pub succeeded: bool,
    /// The policy generation it was planned from.
    pub policy_generation: Option<String>,
    /// The policy's reconcile request when it was planned.
    pub policy_requested_at: Option<String>,
}

/// The runs' standing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStanding {
    /// The first run, oldest first, that has not finished.
    pub active: Option<String>,
    /// The newest finished run.
    pub last_finished: Option<String>,
    /// The newest finished run, when it did not succeed.
    pub last_failed: Option<String>,
    /// A failed run of the same policy generation and reconcile request: the same plan is not
    /// started again until the policy changes or a reconcile is requested.
    pub retry_blocked_by: Option<String>,
}

pub(super) fn standing(
    runs: &[RunRecord],
    generation: Option<i64>,
    requested_at: Option<&str>,
) -> RunStanding {
    let mut ordered: Vec<&RunRecord> = runs.iter().collect();
    ordered.sort_by(|a, b| a.created.cmp(&b.created).then(a.name.cmp(&b.name)));
    let active = ordered.iter().find(|r| !r.finished).map(|r| r.name.clone());
    let last_finished = ordered.iter().rev().find(|r| r.finished);
    let last_failed = last_finished.filter(|r| !r.succeeded);
    let generation = generation.map(|g| g.to_string());
    let retry_blocked_by = last_failed
        .filter(|r| {
            r.policy_generation == generation && r.policy_requested_at.as_deref() == requested_at
        })
        .map(|r| r.name.clone());
    RunStanding {
        active,
        last_finished: last_finished.map(|r| r.name.clone()),
        last_failed: last_failed.map(|r| r.name.clone()),
        retry_blocked_by,
    }
}
