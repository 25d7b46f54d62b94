//! Findings: what matched on one asset, why, what fixes it, and how risky it is; and the
//! per-asset summary that resource status shows (counts by severity, KEV count, top risks).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::advisory::{AdvisoryClass, CvssScore, PackageNameKind};
use crate::ecosystem::Ecosystem;
use crate::inventory::InstalledPackage;
use crate::risk::{Criticality, Exposure, RiskScore};
use crate::severity::Severity;

/// What the assessment needs to know about an asset beyond its packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetContext {
    /// The asset's name.
    pub name: String,
    /// Its ecosystem (from `/etc/os-release`).
    pub ecosystem: Ecosystem,
    /// How much it matters.
    pub criticality: Criticality,
    /// How reachable it is.
    pub exposure: Exposure,
}

/// A KEV listing of one of a finding's CVEs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevListing {
    /// The listed CVE.
    pub cve_id: String,
    /// When CISA added it.
    pub date_added: NaiveDate,
    /// CISA's remediation due date.
    pub due_date: NaiveDate,
    /// Whether ransomware campaigns are known to use it.
    pub known_ransomware_use: bool,
}

/// The EPSS score of one of a finding's CVEs (the highest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssPrediction {
    /// The scored CVE.
    pub cve_id: String,
    /// Probability of exploitation in the next 30 days.
    pub probability: f64,
    /// Percentile among all scored CVEs (0–1).
    pub percentile: Option<f64>,
}

/// One advisory that applies, with the version that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedAdvisory {
    /// The advisory id.
    pub id: String,
    /// The version that fixes it, or `None` when no fix exists yet.
    pub fixed_version: Option<String>,
    /// When it was published, when the feed says.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// What it announces (a security fix, or a bug-fix or enhancement erratum).
    #[serde(default = "security_class")]
    pub class: AdvisoryClass,
}

fn security_class() -> AdvisoryClass {
    AdvisoryClass::Security
}

/// The asset-independent part of a finding: one package version in one ecosystem and every
/// advisory that affects it. Shared by every asset that has the same triple.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageMatch {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The matched package (a source package for dpkg and apk, a binary package for rpm).
    pub package: String,
    /// Whether `package` is a source or binary name.
    pub name_kind: PackageNameKind,
    /// The installed version that was compared.
    pub installed_version: String,
    /// The lowest version that fixes every advisory with a fix (`None`: no fix yet).
    pub fixed_version: Option<String>,
    /// Advisories that have no fix yet.
    pub unfixed_advisories: usize,
    /// The advisories, in feed order.
    pub advisories: Vec<MatchedAdvisory>,
    /// Every CVE id they cover, sorted.
    pub cve_ids: Vec<String>,
    /// The highest severity among them.
    pub severity: Severity,
    /// The CVSS score behind `severity`, when one was published.
    pub cvss: Option<CvssScore>,
    /// Where `severity` comes from (`CVSS_V3 vector`, `Ubuntu priority`, …); `None` when no
    /// advisory publishes one.
    #[serde(default)]
    pub severity_source: Option<String>,
    /// The earliest publication among the advisories.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// Whether any advisory is a security advisory (not only bug-fix or enhancement errata).
    #[serde(default = "default_true")]
    pub security: bool,
    /// Dense numbers of `cve_ids` in the index that produced this match (for counting
    /// distinct CVEs over many findings without hashing strings).
    #[serde(skip)]
    pub(crate) cve_numbers: Vec<u32>,
    /// The earliest KEV listing among the CVEs.
    pub kev: Option<KevListing>,
    /// The highest EPSS score among the CVEs.
    pub epss: Option<EpssPrediction>,
}

fn default_true() -> bool {
    true
}

/// One vulnerable package on one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What matched (shared between assets).
    #[serde(flatten)]
    pub matched: Arc<PackageMatch>,
    /// The source package, when it differs from `matched.package`.
    pub source: Option<Arc<str>>,
    /// The installed binary packages concerned.
    pub binaries: Vec<Arc<InstalledPackage>>,
    /// The risk score and its inputs.
    pub risk: RiskScore,
}

/// One of an asset's riskiest findings, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopRisk {
    /// The package.
    pub package: String,
    /// Installed version.
    pub installed_version: String,
    /// Fixed version, if any.
    pub fixed_version: Option<String>,
    /// Advisory ids.
    pub advisory_ids: Vec<String>,
    /// Number of CVEs.
    pub cve_count: usize,
    /// Risk score.
    pub risk: f64,
    /// The score's inputs in words.
    pub explanation: String,
}

/// The findings of one asset in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssessmentSummary {
    /// Number of findings.
    pub findings: usize,
    /// Findings per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings with a CVE in CISA KEV.
    pub kev: usize,
    /// Findings that a package update fixes.
    pub fixable: usize,
    /// Distinct CVE ids.
    pub cves: usize,
    /// The highest risk score (0 without findings).
    pub max_risk: f64,
    /// The riskiest findings, highest first.
    pub top_risks: Vec<TopRisk>,
}

/// The assessment of one asset: findings sorted by risk (highest first) and their summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The asset.
    pub asset: String,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Packages read from the inventory.
    pub packages: usize,
    /// The findings, riskiest first.
    pub findings: Vec<Finding>,
    /// The summary.
    pub summary: AssessmentSummary,
}

/// How many top risks a summary lists.
pub const TOP_RISKS: usize = 5;

impl AssessmentSummary {
    /// Summarises findings already sorted riskiest first; `cves` is the number of distinct
    /// CVE ids among them.
    pub fn of(findings: &[Finding], cves: usize) -> AssessmentSummary {
        let mut summary = AssessmentSummary {
            findings: findings.len(),
            max_risk: findings.first().map(|f| f.risk.score).unwrap_or(0.0),
            ..AssessmentSummary::default()
        };
        for finding in findings {
            let m = &finding.matched;
            *summary.by_severity.entry(m.severity).or_default() += 1;
            summary.kev += usize::from(m.kev.is_some());
            summary.fixable += usize::from(m.fixed_version.is_some());
        }
        summary.cves = cves;
        summary.top_risks = findings
            .iter()
            .take(TOP_RISKS)
            .map(|f| TopRisk {
                package: f.matched.package.clone(),
                installed_version: f.matched.installed_version.clone(),
                fixed_version: f.matched.fixed_version.clone(),
                advisory_ids: f.matched.advisories.iter().map(|a| a.id.clone()).collect(),
                cve_count: f.matched.cve_ids.len(),
                risk: f.risk.score,
                explanation: f.risk.explain(),
            })
            .collect();
        summary
    }
}
