//! The static check: whether a policy as written can satisfy a profile. Each violation names
//! the field and the numbers ("spec.sla.critical is 45d; PCI-DSS-4.0-6.3.3 requires at most
//! 30d").

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Serialize;

use super::ProfileId;
use super::profiles::{Check, profile};
use crate::policy::{NamedWindow, PolicyRules};
use crate::sla::{EmergencyRule, effective_emergency_rules};
use crate::window::{self, WindowDefinition};
use crate::{Duration, Severity};

/// How far ahead windows are examined: a year, so that blackouts and monthly schedules show.
pub const COMPLIANCE_HORIZON: Duration = Duration::from_days(365);

/// One way the policy as written breaks a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticViolation {
    /// The requirement's section (`Requirement 6.3.3`).
    pub requirement: &'static str,
    /// The spec field to change (`spec.sla.critical`).
    pub field: &'static str,
    /// What is wrong, with the numbers.
    pub message: String,
}

/// The static check of one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileStatic {
    pub profile: ProfileId,
    pub violations: Vec<StaticViolation>,
}

impl ProfileStatic {
    pub fn satisfied(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks the policy's compiled `rules` and its `windows` against each of `profiles`, looking
/// at the window openings from `now` on.
pub fn check_policy(
    profiles: &[ProfileId],
    rules: &PolicyRules,
    windows: &[NamedWindow],
    now: DateTime<Utc>,
) -> Vec<ProfileStatic> {
    let definitions: Vec<WindowDefinition> = windows.iter().map(|w| w.definition.clone()).collect();
    let facts = Facts {
        rules,
        windows: &definitions,
        now,
    };
    profiles
        .iter()
        .map(|&id| {
            let mut violations = Vec::new();
            for requirement in profile(id).requirements {
                for check in requirement.checks {
                    if let Some((field, message)) = facts.violation(id, *check) {
                        violations.push(StaticViolation {
                            requirement: requirement.source.section,
                            field,
                            message,
                        });
                    }
                }
            }
            ProfileStatic {
                profile: id,
                violations,
            }
        })
        .collect()
}

struct Facts<'a> {
    rules: &'a PolicyRules,
    windows: &'a [WindowDefinition],
    now: DateTime<Utc>,
}

type Violation = (&'static str, String);

impl Facts<'_> {
    fn violation(&self, id: ProfileId, check: Check) -> Option<Violation> {
        match check {
            Check::SlaAtMost { severity, max } => self.sla_at_most(id, severity, max),
            Check::WindowGapAtMost { max } => self.window_gap(id, max),
            Check::KevDueDates => (!self.rules.sla.kev_due_date).then(|| {
                (
                    "spec.sla.kevDueDate",
                    format!("spec.sla.kevDueDate is false; {id} requires each KEV entry remediated by its due date"),
                )
            }),
            Check::KevNotDelayed => {
                let approval = self.rules.approval.rules();
                (!approval.known_exploited_skips_delay && approval.approve_after > Duration::ZERO)
                    .then(|| {
                        (
                            "spec.approval.delayKnownExploited",
                            format!(
                                "spec.approval.delayKnownExploited holds KEV fixes for approveAfter {}; {id} requires them remediated by their due date, so they must not wait",
                                approval.approve_after
                            ),
                        )
                    })
            }
            Check::KevEmergency {
                sla_breach_suffices,
            } => self.kev_emergency(id, sla_breach_suffices),
            Check::RecurringWindows => self.recurring_windows(id),
            Check::Automated => self.rules.plan_only.then(|| {
                (
                    "spec.mode",
                    format!("spec.mode is Plan, so nothing is installed; {id} requires automated patch management"),
                )
            }),
            Check::MonthlyWindows => self.monthly_windows(id),
        }
    }

    fn emergency(&self, rule: EmergencyRule) -> bool {
        effective_emergency_rules(&self.rules.emergency).contains(&rule)
    }

    fn sla_at_most(&self, id: ProfileId, severity: Severity, max: Duration) -> Option<Violation> {
        let field = sla_field(severity);
        let approval = self.rules.approval.rules();
        if approval.min_severity > severity {
            return Some((
                "spec.approval.minSeverity",
                format!(
                    "spec.approval.minSeverity is {}, so {severity} patches are never approved; {id} requires them installed within {max}",
                    approval.min_severity
                ),
            ));
        }
        let Some(deadline) = self.rules.sla.deadlines.get(&severity).copied() else {
            return Some((
                field,
                format!("{field} is not set; {id} requires at most {max}"),
            ));
        };
        if deadline > max {
            return Some((
                field,
                format!("{field} is {deadline}; {id} requires at most {max}"),
            ));
        }
        (approval.approve_after >= max).then(|| {
            (
                "spec.approval.approveAfter",
                format!(
                    "spec.approval.approveAfter is {}, so {severity} patches wait at least that long; {id} requires them installed within {max}",
                    approval.approve_after
                ),
            )
        })
    }

    fn window_gap(&self, id: ProfileId, max: Duration) -> Option<Violation> {
        if self.emergency(EmergencyRule::SlaBreach) {
            return None;
        }
        if self.windows.is_empty() {
            return Some((
                "spec.maintenanceWindows",
                format!(
                    "spec.maintenanceWindows is empty and spec.emergency does not list SlaBreach, so nothing is patched within {max} as {id} requires"
                ),
            ));
        }
        let gap = window::largest_gap_across(self.windows, self.now, COMPLIANCE_HORIZON);
        (gap.length() > max).then(|| {
            (
                "spec.maintenanceWindows",
                format!(
                    "spec.maintenanceWindows leave a gap of {} ({} to {}) in which no patching starts; {id} requires at most {max} (or spec.emergency: [SlaBreach])",
                    rounded_to_hours(gap.length()),
                    gap.from.format("%Y-%m-%d %H:%M UTC"),
                    gap.until.format("%Y-%m-%d %H:%M UTC")
                ),
            )
        })
    }

    fn kev_emergency(&self, id: ProfileId, sla_breach_suffices: bool) -> Option<Violation> {
        let known_exploited = self.emergency(EmergencyRule::KnownExploited);
        let by_deadline = sla_breach_suffices
            && self.emergency(EmergencyRule::SlaBreach)
            && self.rules.sla.kev_due_date;
        let needed = if sla_breach_suffices {
            "KnownExploited (or SlaBreach with kevDueDate)"
        } else {
            "KnownExploited"
        };
        (!known_exploited && !by_deadline).then(|| {
            (
                "spec.emergency",
                format!(
                    "spec.emergency is [{}], so fixes for exploited vulnerabilities do not start out of window at once; {id} requires an emergency response: list {needed}",
                    self.rules
                        .emergency
                        .iter()
                        .map(|r| format!("{r:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    /// Whether at least `count` usable openings of the windows start in `[from, until)`. Lazy:
    /// a window that opens every few minutes is not expanded over the whole year.
    fn opens_at_least(&self, count: usize, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        let found: usize = self
            .windows
            .iter()
            .map(|w| {
                window::openings(w, from, until)
                    .filter(|o| o.is_usable() && o.cutoff_at > from)
                    .take(count)
                    .count()
            })
            .sum();
        found >= count
    }

    fn recurring_windows(&self, id: ProfileId) -> Option<Violation> {
        if self.windows.is_empty() {
            return Some((
                "spec.maintenanceWindows",
                format!(
                    "spec.maintenanceWindows is empty; {id} requires a maintenance plan: recurring windows"
                ),
            ));
        }
        let until = self
            .now
            .checked_add_signed(COMPLIANCE_HORIZON.to_chrono())
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let count = if self.opens_at_least(2, self.now, until) {
            2
        } else if self.opens_at_least(1, self.now, until) {
            1
        } else {
            0
        };
        (count < 2).then(|| {
            (
                "spec.maintenanceWindows",
                format!("spec.maintenanceWindows open {count} time(s) in the next {}; {id} requires a maintenance plan: recurring windows", rounded_to_hours(COMPLIANCE_HORIZON)),
            )
        })
    }

    fn monthly_windows(&self, id: ProfileId) -> Option<Violation> {
        let missing: Vec<String> = next_months(self.now, 12)
            .filter(|(start, end)| !self.opens_at_least(1, *start, *end))
            .map(|(start, _)| start.format("%Y-%m").to_string())
            .collect();
        (!missing.is_empty()).then(|| {
            (
                "spec.maintenanceWindows",
                format!(
                    "spec.maintenanceWindows let no patching start in {} of the next 12 months ({}); {id} requires patching monthly or more often",
                    missing.len(),
                    missing.join(", ")
                ),
            )
        })
    }
}

/// The `count` whole calendar months (UTC) after the one `now` is in, as `[start, end)`.
fn next_months(
    now: DateTime<Utc>,
    count: u32,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(now.year(), now.month(), 1);
    (1..=count).filter_map(move |i| {
        let start = first?.checked_add_months(Months::new(i))?;
        let end = start.checked_add_months(Months::new(1))?;
        Some((
            start.and_time(chrono::NaiveTime::MIN).and_utc(),
            end.and_time(chrono::NaiveTime::MIN).and_utc(),
        ))
    })
}

/// A length rounded down to whole hours (`45d`, `30d12h`), as people read window gaps.
fn rounded_to_hours(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() / 3_600 * 3_600)
}

fn sla_field(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "spec.sla.critical",
        Severity::High => "spec.sla.high",
        Severity::Medium => "spec.sla.medium",
        _ => "spec.sla.low",
    }
}
