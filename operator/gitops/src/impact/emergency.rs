//! Out-of-window (emergency) behaviour before and after.

use patchwarden_core::sla::EmergencyRule;

use super::EmergencyImpact;
use super::side::PolicySide;

/// The emergency rules before and after, when they change, with what that means for the open
/// KEV findings in scope.
pub(super) fn emergency_impact(
    before: Option<&PolicySide<'_>>,
    after: Option<&PolicySide<'_>>,
) -> Option<EmergencyImpact> {
    let (Some(before), Some(after)) = (before, after) else {
        return None;
    };
    let (old, new) = (before.emergency(), after.emergency());
    if old == new {
        return None;
    }
    // Open KEV-listed findings with a fix, over the members in scope.
    let open_kev: usize = after
        .members
        .values()
        .filter_map(|asset| asset.status.as_ref())
        .flat_map(|status| &status.upgrades)
        .filter(|upgrade| upgrade.known_exploited)
        .map(|upgrade| upgrade.fixes.len().max(1))
        .sum();
    let plural = if open_kev == 1 { "" } else { "s" };
    let mut messages = Vec::new();
    for trigger in new.difference(&old) {
        messages.push(match trigger {
            EmergencyRule::KnownExploited => format!(
                "KEV-listed findings will now be patched outside maintenance windows ({open_kev} open KEV finding{plural} in scope)"
            ),
            EmergencyRule::SlaBreach => {
                "findings whose SLA deadline would pass before the next window will now be patched outside maintenance windows".to_string()
            }
            EmergencyRule::EpssAbove => {
                "findings whose EPSS score is above the policy's threshold will now be patched outside maintenance windows".to_string()
            }
            EmergencyRule::Compromised => {
                "assets reported compromised will now be patched outside maintenance windows".to_string()
            }
            EmergencyRule::Never => continue,
        });
    }
    for trigger in old.difference(&new) {
        messages.push(match trigger {
            EmergencyRule::KnownExploited => format!(
                "KEV-listed findings will no longer be patched outside maintenance windows: {open_kev} open KEV finding{plural} in scope will wait for the next window"
            ),
            EmergencyRule::SlaBreach => {
                "SLA breaches will no longer trigger out-of-window rollouts".to_string()
            }
            EmergencyRule::EpssAbove => {
                "EPSS scores above the threshold will no longer trigger out-of-window rollouts"
                    .to_string()
            }
            EmergencyRule::Compromised => {
                "assets reported compromised will no longer trigger out-of-window rollouts"
                    .to_string()
            }
            EmergencyRule::Never => continue,
        });
    }
    Some(EmergencyImpact {
        before: old.into_iter().collect(),
        after: new.into_iter().collect(),
        messages,
    })
}
