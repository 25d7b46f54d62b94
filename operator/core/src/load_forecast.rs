//! Predicted load: from the rate at which each member's package set drew advisories over the
//! last [`RATE_DAYS`] days, the work the next window opening can expect and the SLA breaches
//! it can expect before it. Plain arithmetic on counts, so that every number can be explained:
//! new findings arrive at the member's past rate (a Poisson process), a member with approved
//! patches now is patched for certain, and a finding published so early before the opening
//! that its SLA ends first is a breach.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Duration;
use crate::severity::Severity;
use crate::sla::SlaRules;

/// The days of advisory history a rate is taken over.
pub const RATE_DAYS: u32 = 90;

/// One member, as the forecast reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberLoad {
    pub name: String,
    /// Advisories that concerned its packages in the last [`RATE_DAYS`] days, by severity.
    pub recent: BTreeMap<Severity, u32>,
    /// It has approved patches now, so the opening patches it whatever arrives.
    pub pending: bool,
    /// How long patching it takes.
    pub estimate: Duration,
}

/// What the next window opening can expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadForecast {
    pub opens_at: DateTime<Utc>,
    /// Advisories that concerned the members' packages in the last [`RATE_DAYS`] days.
    pub recent_advisories: u32,
    /// New findings expected on the members before the opening.
    pub expected_findings: f64,
    /// Members expected to need patching at the opening (those pending now count fully).
    pub expected_assets: f64,
    pub members: u32,
    /// Their patching time, one after the other, in whole minutes.
    pub expected_work: Duration,
    /// New findings expected to pass their SLA deadline before the opening.
    pub expected_sla_breaches: f64,
}

impl fmt::Display for LoadForecast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "next window {}: {:.1} of {} assets expected to need patching (about {} of work), {:.1} new findings expected before it from {} advisories in {RATE_DAYS} days, {:.1} expected to breach their SLA first",
            self.opens_at.format("%Y-%m-%d %H:%M UTC"),
            self.expected_assets,
            self.members,
            self.expected_work,
            self.expected_findings,
            self.recent_advisories,
            self.expected_sla_breaches,
        )
    }
}

/// The forecast for the opening at `opens_at`.
pub fn forecast_load(
    members: &[MemberLoad],
    sla: &SlaRules,
    opens_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> LoadForecast {
    let days = ((opens_at - now).num_seconds().max(0) as f64) / 86_400.0;
    let mut forecast = LoadForecast {
        opens_at,
        recent_advisories: 0,
        expected_findings: 0.0,
        expected_assets: 0.0,
        members: u32::try_from(members.len()).unwrap_or(u32::MAX),
        expected_work: Duration::ZERO,
        expected_sla_breaches: 0.0,
    };
    let mut work_seconds = 0.0;
    for member in members {
        let mut arriving = 0.0;
        for (severity, count) in &member.recent {
            forecast.recent_advisories = forecast.recent_advisories.saturating_add(*count);
            let per_day = f64::from(*count) / f64::from(RATE_DAYS);
            arriving += per_day * days;
            // Published at t before the opening, fixed at the opening: a breach when the
            // opening is later than t + SLA, i.e. for t in the first (days - SLA) days.
            if let Some(deadline) = sla.deadlines.get(severity) {
                let sla_days = deadline.as_secs() as f64 / 86_400.0;
                forecast.expected_sla_breaches += per_day * (days - sla_days).max(0.0);
            }
        }
        let needs_patching = if member.pending {
            1.0
        } else {
            1.0 - (-arriving).exp()
        };
        forecast.expected_findings += arriving;
        forecast.expected_assets += needs_patching;
        work_seconds += needs_patching * member.estimate.as_secs() as f64;
    }
    // Whole minutes: a forecast that moved by seconds is not news worth a status write.
    forecast.expected_work = Duration::from_mins((work_seconds / 60.0).round() as u64);
    forecast.expected_findings = round1(forecast.expected_findings);
    forecast.expected_assets = round1(forecast.expected_assets);
    forecast.expected_sla_breaches = round1(forecast.expected_sla_breaches);
    forecast
}

/// One decimal, as shown.
fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn member(name: &str, recent: &[(Severity, u32)], pending: bool) -> MemberLoad {
        MemberLoad {
            name: name.into(),
            recent: recent.iter().copied().collect(),
            pending,
            estimate: Duration::from_mins(10),
        }
    }

    #[test]
    fn rates_become_expected_findings_assets_work_and_breaches() {
        // 18 high advisories in 90 days (0.2 a day), the opening 30 days away, a 7-day SLA.
        let sla = SlaRules {
            deadlines: [(Severity::High, Duration::from_days(7))].into(),
            kev_due_date: true,
        };
        let members = [
            member("busy", &[(Severity::High, 18)], false),
            member("quiet", &[], false),
            member("pending", &[], true),
        ];
        let forecast = forecast_load(
            &members,
            &sla,
            at("2026-12-31T02:00:00Z"),
            at("2026-12-01T02:00:00Z"),
        );
        assert_eq!(forecast.recent_advisories, 18);
        assert_eq!(forecast.expected_findings, 6.0, "0.2 a day for 30 days");
        // busy: 1 - e^-6 = 0.9975; quiet: 0; pending: 1.
        assert_eq!(forecast.expected_assets, 2.0);
        assert_eq!(forecast.expected_work, Duration::from_mins(20));
        // Published in the first 23 of the 30 days, a high finding misses its 7 days.
        assert_eq!(forecast.expected_sla_breaches, 4.6);
        assert_eq!(
            forecast.to_string(),
            "next window 2026-12-31 02:00 UTC: 2.0 of 3 assets expected to need patching (about 20m of work), 6.0 new findings expected before it from 18 advisories in 90 days, 4.6 expected to breach their SLA first"
        );
    }

    #[test]
    fn an_opening_now_expects_only_what_is_pending() {
        let now = at("2026-12-01T02:00:00Z");
        let members = [member("busy", &[(Severity::Critical, 90)], false)];
        let forecast = forecast_load(&members, &SlaRules::default(), now, now);
        assert_eq!(forecast.expected_findings, 0.0);
        assert_eq!(forecast.expected_assets, 0.0);
        assert_eq!(forecast.expected_sla_breaches, 0.0);
        let past = forecast_load(
            &members,
            &SlaRules::default(),
            now,
            at("2026-12-02T00:00:00Z"),
        );
        assert_eq!(past.expected_findings, 0.0, "a past opening is now");
    }
}
