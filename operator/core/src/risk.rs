//! Explainable risk: one score per finding from exploit evidence, severity, the asset's
//! criticality and exposure, and whether a fix exists. Every score keeps its inputs, so
//! status and reports explain it in words.
//!
//! # Formula
//!
//! ```text
//! S = CVSS base score / 10, or from the distribution's rating when no vector was published
//!     (critical 0.95, high 0.8, medium 0.55, low 0.3, negligible 0.1, unknown 0.5)
//! P = EPSS probability (0 when the CVE has no score)
//! A = criticality × exposure
//!     criticality: low 0.25, medium 0.5, high 0.75, critical 1.0
//!     exposure:    internet 1.0, internal 0.6, isolated 0.3
//! F = 1 when a fixed version exists, 0 when none does yet
//!
//! within = (0.5·S + 0.5·P) × (0.5 + 0.5·A) × (0.75 + 0.25·F)      in [0, 1]
//! risk   = 100 × (0.5 + 0.5·within)   when a CVE is in CISA KEV
//!          100 × 0.5·within            otherwise
//! ```
//!
//! Known exploitation is evidence, not a prediction, so KEV findings occupy the upper band
//! (50–100) and always rank above findings that are not known to be exploited (0–50).
//! Within a band, severity and exploit probability weigh equally; the asset's context
//! scales the result between half and full weight; a finding with no fix yet ranks a
//! quarter lower because nothing can be patched now.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// How much an asset matters to the business. The order is meaningful: `Low < … < Critical`.
///
/// Written as in resources (`Low`, `Medium`, `High`, `Critical`); parsed case-insensitively.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Criticality {
    /// Losing it is an inconvenience.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Important to the business.
    High,
    /// The business stops without it.
    Critical,
}

/// How reachable an asset is from attackers.
///
/// Written as in resources (`Isolated`, `Internal`, `Internet`); parsed case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Exposure {
    /// Not reachable over the network.
    Isolated,
    /// Reachable only from internal networks (the default).
    #[default]
    Internal,
    /// Reachable from the internet.
    Internet,
}

impl Criticality {
    /// Every criticality, least critical first.
    pub const ALL: [Criticality; 4] = [
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ];

    /// The formula's weight.
    pub fn weight(self) -> f64 {
        match self {
            Criticality::Low => 0.25,
            Criticality::Medium => 0.5,
            Criticality::High => 0.75,
            Criticality::Critical => 1.0,
        }
    }

    /// The canonical name, as written in resources (`Low`, `Medium`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "Low",
            Criticality::Medium => "Medium",
            Criticality::High => "High",
            Criticality::Critical => "Critical",
        }
    }
}

impl Exposure {
    /// Every exposure, least exposed first.
    pub const ALL: [Exposure; 3] = [Exposure::Isolated, Exposure::Internal, Exposure::Internet];

    /// The formula's weight.
    pub fn weight(self) -> f64 {
        match self {
            Exposure::Internet => 1.0,
            Exposure::Internal => 0.6,
            Exposure::Isolated => 0.3,
        }
    }

    /// The canonical name, as written in resources (`Isolated`, `Internal`, `Internet`).
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Isolated => "Isolated",
            Exposure::Internal => "Internal",
            Exposure::Internet => "Internet",
        }
    }
}

/// A word that is not a criticality or exposure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?} (expected {expected})")]
pub struct UnknownLevel {
    kind: &'static str,
    value: String,
    expected: &'static str,
}

impl FromStr for Criticality {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Criticality::Low),
            "medium" => Ok(Criticality::Medium),
            "high" => Ok(Criticality::High),
            "critical" => Ok(Criticality::Critical),
            _ => Err(UnknownLevel {
                kind: "criticality",
                value: s.into(),
                expected: "Low, Medium, High or Critical",
            }),
        }
    }
}

impl FromStr for Exposure {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "internet" => Ok(Exposure::Internet),
            "internal" => Ok(Exposure::Internal),
            "isolated" => Ok(Exposure::Isolated),
            _ => Err(UnknownLevel {
                kind: "exposure",
                value: s.into(),
                expected: "Isolated, Internal or Internet",
            }),
        }
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Exposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the score was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInputs {
    /// When the earliest of the finding's CVEs entered CISA KEV.
    pub kev_since: Option<NaiveDate>,
    /// Whether a KEV entry records ransomware use.
    pub ransomware: bool,
    /// The highest EPSS probability among the finding's CVEs.
    pub epss: Option<f64>,
    /// The qualitative severity.
    pub severity: Severity,
    /// The CVSS base score, when known.
    pub cvss: Option<f64>,
    /// Where the severity comes from (`CVSS_V3 vector`, `Debian tracker urgency`, …), when
    /// any source publishes one.
    #[serde(default)]
    pub severity_source: Option<String>,
    /// The asset's criticality.
    pub criticality: Criticality,
    /// The asset's exposure.
    pub exposure: Exposure,
    /// Whether a fixed version exists.
    pub fix_available: bool,
}

/// A risk score, 0–100, with its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskScore {
    /// The score, rounded to one decimal.
    pub score: f64,
    /// What it was computed from.
    pub inputs: RiskInputs,
}

/// The severity term S of the formula.
pub fn severity_weight(severity: Severity, cvss: Option<f64>) -> f64 {
    if let Some(score) = cvss {
        return (score / 10.0).clamp(0.0, 1.0);
    }
    match severity {
        Severity::Critical => 0.95,
        Severity::High => 0.8,
        Severity::Medium => 0.55,
        Severity::Low => 0.3,
        Severity::Negligible => 0.1,
        Severity::Unknown => 0.5,
    }
}

impl RiskScore {
    /// Computes the score by the module's formula.
    pub fn compute(inputs: RiskInputs) -> RiskScore {
        let s = severity_weight(inputs.severity, inputs.cvss);
        let p = inputs.epss.unwrap_or(0.0).clamp(0.0, 1.0);
        let a = inputs.criticality.weight() * inputs.exposure.weight();
        let f = if inputs.fix_available { 1.0 } else { 0.0 };
        let within = (0.5 * s + 0.5 * p) * (0.5 + 0.5 * a) * (0.75 + 0.25 * f);
        let band = if inputs.kev_since.is_some() {
            0.5 + 0.5 * within
        } else {
            0.5 * within
        };
        RiskScore {
            score: (1000.0 * band).round() / 10.0,
            inputs,
        }
    }

    /// The inputs in words: "KEV since 2024-01-10, EPSS 0.94, CVSS 9.8, internet-facing,
    /// critical asset".
    pub fn explain(&self) -> String {
        let i = &self.inputs;
        let mut parts = Vec::with_capacity(6);
        if let Some(since) = i.kev_since {
            parts.push(if i.ransomware {
                format!("KEV since {since} (ransomware use)")
            } else {
                format!("KEV since {since}")
            });
        }
        if let Some(epss) = i.epss {
            parts.push(format!("EPSS {epss:.2}"));
        }
        let rating = match i.cvss {
            Some(cvss) => format!("CVSS {cvss:.1}"),
            None => format!("{} severity", i.severity.as_str().to_ascii_lowercase()),
        };
        parts.push(match &i.severity_source {
            Some(source) => format!("{rating} ({source})"),
            None if i.cvss.is_none() => format!("{rating} (no source rates it)"),
            None => rating,
        });
        parts.push(match i.exposure {
            Exposure::Internet => "internet-facing".to_string(),
            Exposure::Internal => "internal".to_string(),
            Exposure::Isolated => "isolated".to_string(),
        });
        parts.push(format!(
            "{} asset",
            i.criticality.as_str().to_ascii_lowercase()
        ));
        if !i.fix_available {
            parts.push("no fix yet".to_string());
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> RiskInputs {
        RiskInputs {
            kev_since: None,
            ransomware: false,
            epss: Some(0.94),
            severity: Severity::Critical,
            cvss: Some(9.8),
            severity_source: None,
            criticality: Criticality::Critical,
            exposure: Exposure::Internet,
            fix_available: true,
        }
    }

    #[test]
    fn names_the_source_of_its_severity() {
        let rated = RiskScore::compute(RiskInputs {
            cvss: None,
            severity: Severity::High,
            severity_source: Some("Debian tracker urgency".into()),
            epss: None,
            ..inputs()
        });
        assert_eq!(
            rated.explain(),
            "high severity (Debian tracker urgency), internet-facing, critical asset"
        );
        let unrated = RiskScore::compute(RiskInputs {
            cvss: None,
            severity: Severity::Unknown,
            epss: None,
            ..inputs()
        });
        assert_eq!(
            unrated.explain(),
            "unknown severity (no source rates it), internet-facing, critical asset"
        );
    }

    #[test]
    fn levels_are_written_and_read_by_their_canonical_names() {
        // Each match fails to compile when a variant is added: give it its place in `ALL`.
        let criticality_position = |c: Criticality| match c {
            Criticality::Low => 0,
            Criticality::Medium => 1,
            Criticality::High => 2,
            Criticality::Critical => 3,
        };
        let exposure_position = |e: Exposure| match e {
            Exposure::Isolated => 0,
            Exposure::Internal => 1,
            Exposure::Internet => 2,
        };
        for (i, criticality) in Criticality::ALL.into_iter().enumerate() {
            assert_eq!(criticality_position(criticality), i);
            let json = serde_json::to_string(&criticality).expect("serializes");
            assert_eq!(json, format!("\"{criticality}\""));
            assert_eq!(
                serde_json::from_str::<Criticality>(&json).ok(),
                Some(criticality)
            );
            let lower = criticality.as_str().to_ascii_lowercase();
            assert_eq!(lower.parse::<Criticality>(), Ok(criticality));
        }
        for (i, exposure) in Exposure::ALL.into_iter().enumerate() {
            assert_eq!(exposure_position(exposure), i);
            let json = serde_json::to_string(&exposure).expect("serializes");
            assert_eq!(json, format!("\"{exposure}\""));
            assert_eq!(serde_json::from_str::<Exposure>(&json).ok(), Some(exposure));
            let lower = exposure.as_str().to_ascii_lowercase();
            assert_eq!(lower.parse::<Exposure>(), Ok(exposure));
        }
        assert!(Criticality::ALL.is_sorted());
        assert!("urgent".parse::<Criticality>().is_err());
    }

    #[test]
    fn kev_findings_outrank_everything_else() {
        let worst_without_kev = RiskScore::compute(RiskInputs {
            epss: Some(1.0),
            cvss: Some(10.0),
            ..inputs()
        });
        let mildest_kev = RiskScore::compute(RiskInputs {
            kev_since: NaiveDate::from_ymd_opt(2024, 1, 10),
            epss: None,
            cvss: Some(0.1),
            criticality: Criticality::Low,
            exposure: Exposure::Isolated,
            fix_available: false,
            ..inputs()
        });
        assert!(worst_without_kev.score <= 50.0);
        assert!(mildest_kev.score > worst_without_kev.score);
    }

    #[test]
    fn explains_itself_from_its_inputs() {
        let score = RiskScore::compute(RiskInputs {
            kev_since: NaiveDate::from_ymd_opt(2024, 1, 10),
            ..inputs()
        });
        assert_eq!(
            score.explain(),
            "KEV since 2024-01-10, EPSS 0.94, CVSS 9.8, internet-facing, critical asset"
        );
        // 0.5 + 0.5 × (0.5·0.98 + 0.5·0.94) × 1.0 × 1.0 = 0.98
        assert_eq!(score.score, 98.0);
        let isolated = RiskScore::compute(RiskInputs {
            exposure: Exposure::Isolated,
            ..inputs()
        });
        assert!(isolated.score < RiskScore::compute(inputs()).score);
    }
}
