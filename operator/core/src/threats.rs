//! Threat signals beyond a finding's severity: a finding's EPSS score rising above a policy's
//! threshold (recorded with the date of the feed that scored it), and an asset another system
//! marked as compromised.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::policy::AssetEmergency;
use crate::sla::{EmergencyReason, EpssPermille};

/// A finding of a member whose EPSS score is above the policy's threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpssRise {
    pub asset: String,
    pub finding: String,
    pub epss: EpssPermille,
    pub threshold: EpssPermille,
    /// The score date of the EPSS feed (`YYYY-MM-DD`), when the feed carries one.
    pub feed_date: Option<String>,
}

impl EpssRise {
    /// The score as a probability.
    pub fn probability(&self) -> f64 {
        f64::from(self.epss) / 1000.0
    }
}

/// A probability in thousandths, without trailing zeros (`620` → `0.62`).
fn probability_text(permille: EpssPermille) -> String {
    let text = format!("{:.3}", f64::from(permille) / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl fmt::Display for EpssRise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = match &self.feed_date {
            Some(date) => format!("on {date} (feed date)"),
            None => String::from("in an undated feed"),
        };
        write!(
            f,
            "EPSS of {} rose to {} {when}, above the policy's {}",
            self.finding,
            probability_text(self.epss),
            probability_text(self.threshold)
        )
    }
}

/// The date of an EPSS file's `score_date` (`2026-12-05T00:00:00+0000` → `2026-12-05`);
/// `None` when it does not start with a date.
pub fn feed_date(score_date: &str) -> Option<String> {
    let day = score_date.get(..10)?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// The EPSS rises among a policy's emergencies, with the feed's date.
pub fn epss_rises(emergencies: &[AssetEmergency], feed_date: Option<&str>) -> Vec<EpssRise> {
    emergencies
        .iter()
        .filter_map(|e| match &e.reason {
            EmergencyReason::EpssAbove {
                finding,
                epss,
                threshold,
            } => Some(EpssRise {
                asset: e.asset.clone(),
                finding: finding.clone(),
                epss: *epss,
                threshold: *threshold,
                feed_date: feed_date.map(str::to_string),
            }),
            _ => None,
        })
        .collect()
}

/// The rises in `current` not already recorded (as asset and finding) in `recorded`: one
/// notice per rise, not one per evaluation.
pub fn new_rises<'a>(recorded: &[(&str, &str)], current: &'a [EpssRise]) -> Vec<&'a EpssRise> {
    current
        .iter()
        .filter(|rise| {
            !recorded
                .iter()
                .any(|(asset, finding)| *asset == rise.asset && *finding == rise.finding)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Forecast;

    fn epss_emergency(asset: &str, finding: &str, epss: EpssPermille) -> AssetEmergency {
        AssetEmergency {
            asset: asset.into(),
            reason: EmergencyReason::EpssAbove {
                finding: finding.into(),
                epss,
                threshold: 500,
            },
        }
    }

    #[test]
    fn the_feed_date_is_the_day_of_the_score_date() {
        assert_eq!(
            feed_date("2026-12-05T00:00:00+0000").as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(feed_date("2026-12-05").as_deref(), Some("2026-12-05"));
        assert_eq!(feed_date("yesterday"), None);
        assert_eq!(feed_date("2026-13-05T00:00:00Z"), None);
    }

    #[test]
    fn a_rise_names_the_finding_the_score_and_the_feed_date() {
        let emergencies = [
            epss_emergency("web-1", "CVE-2026-1", 620),
            AssetEmergency {
                asset: "web-2".into(),
                reason: EmergencyReason::SlaBreach {
                    forecast: Forecast::NoDeadline,
                },
            },
        ];
        let rises = epss_rises(&emergencies, Some("2026-12-05"));
        assert_eq!(rises.len(), 1, "only EPSS emergencies are rises");
        assert_eq!(
            rises[0].to_string(),
            "EPSS of CVE-2026-1 rose to 0.62 on 2026-12-05 (feed date), above the policy's 0.5"
        );
        assert!((rises[0].probability() - 0.62).abs() < 1e-9);
        let undated = epss_rises(&emergencies, None);
        assert!(
            undated[0].to_string().contains("in an undated feed"),
            "{}",
            undated[0]
        );
    }

    #[test]
    fn only_rises_not_recorded_before_are_new() {
        let rises = epss_rises(
            &[
                epss_emergency("web-1", "CVE-2026-1", 620),
                epss_emergency("web-2", "CVE-2026-1", 700),
            ],
            Some("2026-12-05"),
        );
        let new = new_rises(&[("web-1", "CVE-2026-1")], &rises);
        let named: Vec<&str> = new.iter().map(|r| r.asset.as_str()).collect();
        assert_eq!(named, ["web-2"]);
        assert_eq!(new_rises(&[], &rises).len(), 2);
    }
}
