//! Learning from outcomes: the fleet's outcome statistics (`core::outcomes`) kept in the
//! ConfigMap `patchwarden-outcomes` ([`store`]), folded as runs finish, and what a policy's
//! evaluation takes from them ([`apply`]): updates quarantined fleet-wide after they failed on
//! canaries, canaries that cover the members' profiles (those that failed before first), and
//! per-asset duration predictions that decide how much of a run fits its window.

pub mod apply;
pub mod convert;
pub mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use patchwarden_api::patch_policy::{PatchPolicy, QuarantinedUpdate};
use patchwarden_core::policy::{Member, PolicyRules};

use super::error::{ReconcileError, Terminal};

pub use store::{CONFIG_MAP, LIFT_ANNOTATION, Outcomes, load, record_finished};

/// What a policy's evaluation learned from the outcomes.
#[derive(Debug, Default)]
pub struct Learned {
    /// The quarantines in force, as its status lists them.
    pub quarantined: Vec<QuarantinedUpdate>,
}

/// Applies the outcome statistics to a policy about to be evaluated: quarantined versions
/// join its approval rules, members get canary hints and duration predictions.
pub fn learn(
    policy: &PatchPolicy,
    outcomes: &Outcomes,
    rules: &mut PolicyRules,
    members: &mut [Member],
    os_of: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Learned, ReconcileError> {
    let settings = policy
        .spec
        .quarantine
        .clone()
        .unwrap_or_default()
        .settings()
        .map_err(Terminal::invalid_spec)?;
    let found = apply::in_force(&outcomes.stats, &settings, &outcomes.lifts, members, now);
    if !found.is_empty() {
        rules.approval = apply::with_quarantines(&rules.approval, &found, members)
            .map_err(|e| Terminal::invalid_spec(format!("spec.{e}")))?;
    }
    apply::annotate_members(
        members,
        &outcomes.stats,
        os_of,
        rules.rollout.default_asset_duration,
    );
    Ok(Learned {
        quarantined: found
            .iter()
            .filter(|q| apply::holds_back(q, members))
            .map(apply::quarantined_update)
            .collect(),
    })
}

#[cfg(test)]
mod tests;
