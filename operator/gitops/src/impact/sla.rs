//! Whether each SLA class can be met before and after, and why, for the classes whose forecast
//! changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use patchwarden_core::Severity;
use patchwarden_core::policy::{SlaFeasibility, sla_class_forecasts};

use super::side::PolicySide;
use super::{SlaImpact, human_duration};

/// Whether one SLA class can be met, and why, in words.
#[derive(Debug, Clone, PartialEq)]
struct SlaForecast {
    deadline: String,
    met: bool,
    why: String,
}

/// The forecast of each SLA class the side sets, by severity.
fn sla_forecasts(side: &PolicySide<'_>, now: DateTime<Utc>) -> BTreeMap<Severity, SlaForecast> {
    let Some(rules) = &side.rules else {
        return BTreeMap::new();
    };
    sla_class_forecasts(rules, &side.windows, now)
        .into_iter()
        .map(|class| {
            // Show the deadline as written (`14d`), not normalised (`2w`).
            let deadline = side
                .spec
                .sla
                .for_severity(class.severity)
                .map(ToString::to_string)
                .unwrap_or_else(|| class.deadline.to_string());
            let why = match class.why {
                SlaFeasibility::EmergencyAllowed => {
                    "out-of-window emergency rollouts are allowed".to_string()
                }
                SlaFeasibility::NoWindow => "the policy has no usable maintenance window".into(),
                SlaFeasibility::NoOpeningWithin { horizon } => {
                    format!("no window opens in the next {}", human_duration(horizon))
                }
                SlaFeasibility::WindowsApart { gap } if class.met => {
                    format!("windows are at most {} apart", human_duration(gap))
                }
                SlaFeasibility::WindowsApart { gap } => {
                    format!("windows are now {} apart", human_duration(gap))
                }
            };
            (
                class.severity,
                SlaForecast {
                    deadline,
                    met: class.met,
                    why,
                },
            )
        })
        .collect()
}

/// The SLA classes whose forecast changes, with a message saying how.
pub(super) fn sla_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
    now: DateTime<Utc>,
) -> Vec<SlaImpact> {
    let old_all = before
        .map(|side| sla_forecasts(side, now))
        .unwrap_or_default();
    let new_all = after
        .map(|side| sla_forecasts(side, now))
        .unwrap_or_default();
    let mut out = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let (old, new) = (old_all.get(&severity), new_all.get(&severity));
        if old == new {
            continue;
        }
        let label = severity.as_str().to_lowercase();
        let label = label.as_str();
        let (message, regression) = match (old, new) {
            (None, None) => continue,
            (Some(old), None) => (format!("{label} SLA {} removed", old.deadline), false),
            (None, Some(new)) if new.met => (
                format!("{label} SLA {} can be met: {}", new.deadline, new.why),
                false,
            ),
            (None, Some(new)) => (
                format!("{label} SLA {} cannot be met: {}", new.deadline, new.why),
                true,
            ),
            (Some(old), Some(new)) => match (old.met, new.met) {
                (true, false) => (
                    format!(
                        "{label} SLA {} can no longer be met: {}",
                        new.deadline, new.why
                    ),
                    true,
                ),
                (false, true) => (
                    format!("{label} SLA {} can now be met: {}", new.deadline, new.why),
                    false,
                ),
                (_, met) => {
                    let state = if met { "still met" } else { "still not met" };
                    let deadline = if old.deadline == new.deadline {
                        format!("{label} SLA {}", new.deadline)
                    } else {
                        format!(
                            "{label} SLA changed from {} to {}",
                            old.deadline, new.deadline
                        )
                    };
                    (format!("{deadline}: {state}, {}", new.why), false)
                }
            },
        };
        out.push(SlaImpact {
            class: label.to_string(),
            deadline_before: old.map(|f| f.deadline.clone()),
            deadline_after: new.map(|f| f.deadline.clone()),
            met_before: old.map(|f| f.met),
            met_after: new.map(|f| f.met),
            regression,
            message,
        });
    }
    out
}
