//! Threat signals beyond a finding's severity: a finding's EPSS score rising above a policy's
//! threshold (recorded with the date of the feed that scored it), and an asset another system
//! marked as compromised.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::policy::{AssetEmergency, Member};
use crate::sla::{EmergencyReason, EmergencyRule, EpssPermille, effective_emergency_rules};

/// The annotation (or label) another system sets to `"true"` to report an asset compromised.
pub const COMPROMISED: &str = "patchwarden.io/compromised";
/// The annotation carrying the reporter's reason, optional.
pub const COMPROMISED_REASON: &str = "patchwarden.io/compromised-reason";
/// The longest reason kept: it is written into statuses and Events.
const MAX_REASON_CHARS: usize = 200;
/// Added to a compromised asset's risk for the rollout order only: above any risk score
/// (0–100), so it is patched first whatever its findings.
const COMPROMISED_PRIORITY: f64 = 1000.0;

/// Another system's report that an asset is compromised.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Compromise {
    /// Why, in the reporter's words, when it gave a reason.
    pub reason: Option<String>,
}

impl fmt::Display for Compromise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("asset reported compromised")?;
        match &self.reason {
            Some(reason) => write!(f, " ({reason})"),
            None => Ok(()),
        }
    }
}

/// The compromise an object's annotations or labels report: `patchwarden.io/compromised` is
/// `true` (any case) in either, with the reason annotation's text (trimmed, at most 200
/// characters) when it is not empty. Any other value reports nothing.
pub fn compromise_signal(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Option<Compromise> {
    let reported = [annotations, labels]
        .iter()
        .filter_map(|map| map.get(COMPROMISED))
        .any(|value| value.trim().eq_ignore_ascii_case("true"));
    if !reported {
        return None;
    }
    let reason = annotations
        .get(COMPROMISED_REASON)
        .map(|r| r.trim().chars().take(MAX_REASON_CHARS).collect::<String>())
        .filter(|r| !r.is_empty());
    Some(Compromise { reason })
}

/// A finding's risk on a compromised asset: an attack on the asset is evidence, not a
/// prediction, so a finding not already in the KEV band (50–100) is lifted into it, exactly
/// as a KEV listing would (`100 × (0.5 + 0.5·within)` = 50 + the score outside the band).
pub fn compromised_risk(score: f64, known_exploited: bool) -> f64 {
    if known_exploited {
        return score;
    }
    ((50.0 + score).min(100.0) * 10.0).round() / 10.0
}

/// A finding's risk explanation on a compromised asset: the report first.
pub fn compromised_explanation(compromise: &Compromise, explanation: &str) -> String {
    format!("{compromise}, {explanation}")
}

/// The order key of an asset in a rollout: its risk, or ahead of every uncompromised asset
/// when it is reported compromised.
pub fn rollout_priority(risk: f64, compromised: bool) -> f64 {
    if compromised {
        risk + COMPROMISED_PRIORITY
    } else {
        risk
    }
}

/// Whether `rules` start `member` out of window because it is reported compromised.
pub fn compromise_emergency(rules: &[EmergencyRule], member: &Member) -> Option<EmergencyReason> {
    let compromise = member.compromised.as_ref()?;
    effective_emergency_rules(rules)
        .contains(&EmergencyRule::Compromised)
        .then(|| EmergencyReason::Compromised {
            reason: compromise.reason.clone(),
        })
}

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

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_compromise_is_reported_by_annotation_or_label_with_an_optional_reason() {
        let none = map(&[]);
        let reported = map(&[(COMPROMISED, " TRUE ")]);
        let with_reason = map(&[
            (COMPROMISED, "true"),
            (COMPROMISED_REASON, "  EDR alert 4711: reverse shell  "),
        ]);
        assert_eq!(compromise_signal(&none, &none), None);
        assert_eq!(
            compromise_signal(&reported, &none),
            Some(Compromise { reason: None })
        );
        assert_eq!(
            compromise_signal(&none, &reported),
            Some(Compromise { reason: None })
        );
        let compromise = compromise_signal(&none, &with_reason).expect("reported");
        assert_eq!(
            compromise.to_string(),
            "asset reported compromised (EDR alert 4711: reverse shell)"
        );
        for value in ["false", "yes", "", "1"] {
            let other = map(&[(COMPROMISED, value)]);
            assert_eq!(compromise_signal(&other, &other), None, "{value:?}");
        }
        let long = "x".repeat(500);
        let long = map(&[(COMPROMISED, "true"), (COMPROMISED_REASON, &long)]);
        let kept = compromise_signal(&none, &long).and_then(|c| c.reason);
        assert_eq!(kept.map(|r| r.len()), Some(MAX_REASON_CHARS));
    }

    #[test]
    fn a_compromise_lifts_risk_into_the_exploited_band_and_says_so() {
        assert_eq!(compromised_risk(23.4, false), 73.4);
        assert_eq!(compromised_risk(0.0, false), 50.0);
        assert_eq!(compromised_risk(88.0, true), 88.0, "KEV scores are there");
        let compromise = Compromise {
            reason: Some("EDR alert".into()),
        };
        assert_eq!(
            compromised_explanation(&compromise, "CVSS 7.5, internal, medium asset"),
            "asset reported compromised (EDR alert), CVSS 7.5, internal, medium asset"
        );
        assert!(rollout_priority(0.0, true) > rollout_priority(100.0, false));
        assert_eq!(rollout_priority(42.0, false), 42.0);
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
