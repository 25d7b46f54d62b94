//! Whether each SLA class of a policy can be met by its windows at all: the longest gap
//! between openings against the deadline. `plan` shows how a change moves these verdicts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{NamedWindow, PolicyRules};
use crate::sla::{EmergencyRule, effective_emergency_rules};
use crate::window::{self, WindowDefinition};
use crate::{Duration, Severity};

/// How far ahead the window openings are examined.
pub const SLA_HORIZON: Duration = Duration::from_days(56);

/// The SLA classes a policy may set, most severe first.
const SLA_CLASSES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Why an SLA class can or cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SlaFeasibility {
    /// Out-of-window rollouts start when the deadline would be missed.
    EmergencyAllowed,
    /// The policy has no usable maintenance window.
    NoWindow,
    /// No window opens within the horizon.
    NoOpeningWithin { horizon: Duration },
    /// Openings are at most `gap` apart over the horizon.
    WindowsApart { gap: Duration },
}

/// One SLA class's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaClassForecast {
    pub severity: Severity,
    pub deadline: Duration,
    pub met: bool,
    pub why: SlaFeasibility,
}

/// The verdict of every SLA class the policy sets.
pub fn sla_class_forecasts(
    rules: &PolicyRules,
    windows: &[NamedWindow],
    now: DateTime<Utc>,
) -> Vec<SlaClassForecast> {
    let emergency_allowed =
        effective_emergency_rules(&rules.emergency).contains(&EmergencyRule::SlaBreach);
    let definitions: Vec<WindowDefinition> = windows.iter().map(|w| w.definition.clone()).collect();
    let gap = (!definitions.is_empty())
        .then(|| window::largest_gap_across(&definitions, now, SLA_HORIZON).length());
    SLA_CLASSES
        .iter()
        .filter_map(|severity| {
            let deadline = *rules.sla.deadlines.get(severity)?;
            let (met, why) = match gap {
                _ if emergency_allowed => (true, SlaFeasibility::EmergencyAllowed),
                None => (false, SlaFeasibility::NoWindow),
                Some(gap) if gap >= SLA_HORIZON => (
                    gap <= deadline,
                    SlaFeasibility::NoOpeningWithin {
                        horizon: SLA_HORIZON,
                    },
                ),
                Some(gap) => (gap <= deadline, SlaFeasibility::WindowsApart { gap }),
            };
            Some(SlaClassForecast {
                severity: *severity,
                deadline,
                met,
                why,
            })
        })
        .collect()
}
