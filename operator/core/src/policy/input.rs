//! What the evaluation reads: the compiled rules, the members with their candidates, the
//! windows and the policy's runs.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::RunRecord;
use crate::Duration;
use crate::approval::{ApprovalPolicy, UpgradeCandidate};
use crate::rollout::{CanaryHint, RolloutSettings};
use crate::sla::{EmergencyRule, PackageFinding, SlaRules};
use crate::window::{Opening, WindowDefinition};

/// A policy's spec, compiled into core rules.
pub struct PolicyRules {
    /// `namespace/name`: seeds the rollout order so that equal inputs give equal waves.
    pub key: String,
    pub approval: ApprovalPolicy,
    pub sla: SlaRules,
    /// The declared emergency rules (`Never` is resolved here, not by callers).
    pub emergency: Vec<EmergencyRule>,
    /// The EPSS probability above which `EpssAbove` starts a run out of window.
    pub epss_threshold: f64,
    pub rollout: RolloutSettings,
    /// `mode: Plan`: evaluate and report, never start a run.
    pub plan_only: bool,
    /// `suspend: true`: no new run starts.
    pub suspended: bool,
}

/// One member asset of the policy's groups, as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub name: String,
    /// The first of the policy's groups the asset belongs to: its `maxUnavailable` pool.
    pub group: String,
    /// The asset's risk score, riskiest patched first.
    pub risk: f64,
    /// One candidate per fixable package. Shared: every policy over a fleet reads the same
    /// candidates of each asset at every evaluation.
    pub candidates: Arc<[Arc<UpgradeCandidate>]>,
    /// The findings each candidate fixes, by package, for SLA deadlines.
    pub findings: Arc<[Arc<PackageFinding>]>,
    /// The EPSS probability of each scored finding, as (package, finding id, probability).
    pub epss: Vec<(String, String, f64)>,
    /// The last patch attempt failed, or the asset is unreachable or quarantined.
    pub failing: bool,
    /// Why the asset is not patched (it or its group is suspended): every candidate is held
    /// back with this reason, so no run plans it.
    pub suspended: Option<String>,
    /// Another system reported the asset compromised: it is patched first, and starts an
    /// emergency under a `Compromised` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<crate::threats::Compromise>,
    /// Its profile and how often that profile failed before, for the canary choice; `None`
    /// when no outcome statistics are known.
    #[serde(skip)]
    pub canary_hint: Option<CanaryHint>,
    /// How long patching it is expected to take (from past outcomes); `None` takes the
    /// rollout's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<Duration>,
}

impl Member {
    /// A member of `group` with nothing known yet: no candidates, findings or signals, risk 0.
    pub fn new(name: impl Into<String>, group: impl Into<String>) -> Member {
        Member {
            name: name.into(),
            group: group.into(),
            risk: 0.0,
            candidates: Arc::default(),
            findings: Arc::default(),
            epss: Vec::new(),
            failing: false,
            suspended: None,
            compromised: None,
            canary_hint: None,
            estimated_duration: None,
        }
    }
}

/// A maintenance window the policy names, compiled.
#[derive(Debug, Clone)]
pub struct NamedWindow {
    pub name: String,
    pub definition: WindowDefinition,
}

/// An opening of a named window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedOpening {
    pub window: String,
    pub opening: Opening,
}

/// Everything the evaluation reads.
pub struct PolicyInput<'a> {
    pub rules: &'a PolicyRules,
    /// Members with an assessment, each once.
    pub members: &'a [Member],
    /// Members (or groups) whose assessment is not ready yet: no run starts while any is.
    pub unassessed: &'a [String],
    pub windows: &'a [NamedWindow],
    pub runs: &'a [RunRecord],
    /// The policy's generation and its current reconcile request, which a failed run blocks.
    pub generation: Option<i64>,
    pub requested_at: Option<&'a str>,
    pub now: DateTime<Utc>,
}
