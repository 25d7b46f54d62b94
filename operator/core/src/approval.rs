//! Approval: which available upgrades of an asset a policy lets through, and for every upgrade it
//! holds back, the one-line reason why.
//!
//! Input is plain data (one [`UpgradeCandidate`] per package upgrade, with the security facts of
//! the advisories it fixes); the policy's rules are compiled once into an [`ApprovalPolicy`].

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::{Duration, Severity};

/// One available upgrade of one package on one asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeCandidate {
    /// The binary package name (`libssl3`).
    pub package: String,
    /// The source package it is built from (`openssl`), when known.
    #[serde(default)]
    pub source_package: Option<String>,
    pub installed_version: String,
    /// The version the upgrade installs (at least the fixed version of its advisories).
    pub candidate_version: String,
    /// The highest severity among the advisories the upgrade fixes (`Unknown` for none).
    #[serde(default)]
    pub severity: Severity,
    /// When the earliest advisory it fixes was published.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// Whether any advisory it fixes is in the CISA Known Exploited Vulnerabilities catalog.
    #[serde(default)]
    pub known_exploited: bool,
    #[serde(default)]
    pub cve_ids: Vec<String>,
    /// Whether the upgrade fixes a vulnerability at all.
    #[serde(default)]
    pub security: bool,
}

/// A pin: packages matching `package` stay on versions matching `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Package name glob.
    pub package: String,
    /// Version glob the package must stay within (`3.0.*`).
    pub version: String,
    /// Why the package is pinned, shown where the pin holds an update back.
    #[serde(default)]
    pub reason: Option<String>,
}

/// An explicitly rejected version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedVersion {
    /// Package name glob.
    pub package: String,
    /// Version glob (`2.36-9+deb12u5`, or `*` for every version).
    pub version: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// An update quarantined fleet-wide after it failed somewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantine {
    /// Package name (exact).
    pub package: String,
    /// The quarantined version; `None` quarantines every version.
    #[serde(default)]
    pub version: Option<String>,
    pub reason: String,
}

/// A policy's approval rules as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRules {
    /// Security upgrades below this severity are held back, except KEV-listed ones: exploitation
    /// in the wild outranks a severity rating (distribution advisories often carry none).
    #[serde(default)]
    pub min_severity: Severity,
    /// Upgrades whose advisory is younger than this are held back.
    #[serde(default)]
    pub approve_after: Duration,
    /// KEV-listed upgrades skip `approve_after` (the default).
    #[serde(default = "default_true")]
    pub known_exploited_skips_delay: bool,
    /// Only upgrades that fix a vulnerability are approved.
    #[serde(default)]
    pub security_only: bool,
    /// Package globs; when non-empty, only matching packages are approved.
    #[serde(default)]
    pub include: Vec<String>,
    /// Package globs that are never approved.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub pins: Vec<Pin>,
    #[serde(default)]
    pub rejected: Vec<RejectedVersion>,
    #[serde(default)]
    pub quarantined: Vec<Quarantine>,
}

fn default_true() -> bool {
    true
}

impl Default for ApprovalRules {
    fn default() -> Self {
        ApprovalRules {
            min_severity: Severity::Unknown,
            approve_after: Duration::ZERO,
            known_exploited_skips_delay: true,
            security_only: false,
            include: Vec::new(),
            exclude: Vec::new(),
            pins: Vec::new(),
            rejected: Vec::new(),
            quarantined: Vec::new(),
        }
    }
}

/// A glob in the rules that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: invalid pattern {pattern:?}: {reason}")]
pub struct ApprovalError {
    /// The rule field (`approval.include[2]`).
    pub field: String,
    pub pattern: String,
    pub reason: String,
}

/// Why an upgrade is held back. `Display` is the one-line explanation shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HoldReason {
    Quarantined {
        version: String,
        reason: String,
    },
    Rejected {
        version: String,
        pattern: String,
        reason: Option<String>,
    },
    Pinned {
        version: String,
        pin: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Excluded {
        pattern: String,
    },
    NotIncluded {
        patterns: Vec<String>,
    },
    NotSecurity,
    BelowMinSeverity {
        severity: Severity,
        minimum: Severity,
    },
    TooRecent {
        published: DateTime<Utc>,
        approve_after: Duration,
        approvable_at: DateTime<Utc>,
    },
    /// The asset, or its group, is suspended: nothing is patched on it.
    Suspended {
        reason: String,
    },
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldReason::Quarantined { version, reason } => {
                write!(f, "version {version} is quarantined fleet-wide: {reason}")
            }
            HoldReason::Rejected {
                version,
                pattern,
                reason,
            } => {
                write!(
                    f,
                    "version {version} is rejected by the policy (matches {pattern:?})"
                )?;
                match reason {
                    Some(reason) => write!(f, ": {reason}"),
                    None => Ok(()),
                }
            }
            HoldReason::Pinned {
                version,
                pin,
                reason,
            } => {
                write!(f, "pinned to {pin:?}; version {version} is outside the pin")?;
                match reason {
                    Some(reason) => write!(f, ": {reason}"),
                    None => Ok(()),
                }
            }
            HoldReason::Excluded { pattern } => write!(f, "excluded by pattern {pattern:?}"),
            HoldReason::NotIncluded { patterns } => {
                write!(
                    f,
                    "not matched by any include pattern ({})",
                    patterns.join(", ")
                )
            }
            HoldReason::NotSecurity => {
                f.write_str("not a security update, and the policy approves security updates only")
            }
            HoldReason::BelowMinSeverity { severity, minimum } => {
                write!(
                    f,
                    "severity {severity} is below the policy minimum {minimum}"
                )
            }
            HoldReason::TooRecent {
                published,
                approve_after,
                approvable_at,
            } => write!(
                f,
                "advisory published {} is younger than approveAfter {approve_after}; approvable from {}",
                published.format("%Y-%m-%d %H:%M UTC"),
                approvable_at.format("%Y-%m-%d %H:%M UTC"),
            ),
            HoldReason::Suspended { reason } => f.write_str(reason),
        }
    }
}

/// An upgrade that was held back, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    pub candidate: Arc<UpgradeCandidate>,
    pub reason: HoldReason,
}

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {} held back: {}",
            self.candidate.package,
            self.candidate.installed_version,
            self.candidate.candidate_version,
            self.reason
        )
    }
}

/// The approved patch set of one asset and what was held back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalOutcome {
    /// Shared with the candidates they come from: a fleet's evaluation copies no upgrade.
    pub approved: Vec<Arc<UpgradeCandidate>>,
    pub held_back: Vec<HeldBack>,
}

struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    fn compile(field: String, text: &str) -> Result<Pattern, ApprovalError> {
        let glob = Glob::new(text).map_err(|e| ApprovalError {
            field,
            pattern: text.to_string(),
            reason: e.kind().to_string(),
        })?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }

    /// Package globs match the binary or the source package name.
    fn matches_package(&self, candidate: &UpgradeCandidate) -> bool {
        self.matches(&candidate.package)
            || candidate
                .source_package
                .as_deref()
                .is_some_and(|s| self.matches(s))
    }
}

/// Approval rules, compiled for evaluation.
pub struct ApprovalPolicy {
    rules: ApprovalRules,
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
    pins: Vec<(Pattern, Pattern)>,
    rejected: Vec<(Pattern, Pattern)>,
}

impl ApprovalPolicy {
    /// Compiles the globs of `rules`; an invalid glob names its field.
    pub fn compile(rules: ApprovalRules) -> Result<ApprovalPolicy, ApprovalError> {
        let list = |name: &str, patterns: &[String]| -> Result<Vec<Pattern>, ApprovalError> {
            patterns
                .iter()
                .enumerate()
                .map(|(i, p)| Pattern::compile(format!("approval.{name}[{i}]"), p))
                .collect()
        };
        let include = list("include", &rules.include)?;
        let exclude = list("exclude", &rules.exclude)?;
        let pins = rules
            .pins
            .iter()
            .enumerate()
            .map(|(i, pin)| {
                Ok((
                    Pattern::compile(format!("approval.pins[{i}].package"), &pin.package)?,
                    Pattern::compile(format!("approval.pins[{i}].version"), &pin.version)?,
                ))
            })
            .collect::<Result<_, ApprovalError>>()?;
        let rejected = rules
            .rejected
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok((
                    Pattern::compile(format!("approval.rejected[{i}].package"), &r.package)?,
                    Pattern::compile(format!("approval.rejected[{i}].version"), &r.version)?,
                ))
            })
            .collect::<Result<_, ApprovalError>>()?;
        Ok(ApprovalPolicy {
            rules,
            include,
            exclude,
            pins,
            rejected,
        })
    }

    /// The rules as written.
    pub fn rules(&self) -> &ApprovalRules {
        &self.rules
    }

    /// Why `candidate` is held back at `now`, or `None` when it is approved. When several rules
    /// hold it back, the most definitive one is given: quarantine, rejection, pin, exclusion,
    /// inclusion, security-only, severity, then age.
    pub fn hold_reason(
        &self,
        candidate: &UpgradeCandidate,
        now: DateTime<Utc>,
    ) -> Option<HoldReason> {
        let version = &candidate.candidate_version;
        if let Some(q) = self.rules.quarantined.iter().find(|q| {
            q.package == candidate.package && q.version.as_ref().is_none_or(|v| v == version)
        }) {
            return Some(HoldReason::Quarantined {
                version: version.clone(),
                reason: q.reason.clone(),
            });
        }
        if let Some(i) = self
            .rejected
            .iter()
            .position(|(package, v)| package.matches_package(candidate) && v.matches(version))
        {
            return Some(HoldReason::Rejected {
                version: version.clone(),
                pattern: self.rejected[i].1.text.clone(),
                reason: self.rules.rejected[i].reason.clone(),
            });
        }
        if let Some(i) = self
            .pins
            .iter()
            .position(|(package, v)| package.matches_package(candidate) && !v.matches(version))
        {
            return Some(HoldReason::Pinned {
                version: version.clone(),
                pin: self.pins[i].1.text.clone(),
                reason: self.rules.pins[i].reason.clone(),
            });
        }
        if let Some(pattern) = self.exclude.iter().find(|p| p.matches_package(candidate)) {
            return Some(HoldReason::Excluded {
                pattern: pattern.text.clone(),
            });
        }
        if !self.include.is_empty() && !self.include.iter().any(|p| p.matches_package(candidate)) {
            return Some(HoldReason::NotIncluded {
                patterns: self.rules.include.clone(),
            });
        }
        if !candidate.security {
            // Severity and age rules are about advisories; a plain update has neither.
            return self.rules.security_only.then_some(HoldReason::NotSecurity);
        }
        if candidate.severity < self.rules.min_severity && !candidate.known_exploited {
            return Some(HoldReason::BelowMinSeverity {
                severity: candidate.severity,
                minimum: self.rules.min_severity,
            });
        }
        let skips_delay = candidate.known_exploited && self.rules.known_exploited_skips_delay;
        if let Some(published) = candidate.published
            && !skips_delay
        {
            let approvable_at = published
                .checked_add_signed(self.rules.approve_after.to_chrono())
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if now < approvable_at {
                return Some(HoldReason::TooRecent {
                    published,
                    approve_after: self.rules.approve_after,
                    approvable_at,
                });
            }
        }
        None
    }

    /// Splits one asset's candidates into the approved patch set and the held-back list.
    pub fn approve(
        &self,
        candidates: &[Arc<UpgradeCandidate>],
        now: DateTime<Utc>,
    ) -> ApprovalOutcome {
        let mut outcome = ApprovalOutcome::default();
        for candidate in candidates {
            match self.hold_reason(candidate, now) {
                None => outcome.approved.push(candidate.clone()),
                Some(reason) => outcome.held_back.push(HeldBack {
                    candidate: candidate.clone(),
                    reason,
                }),
            }
        }
        outcome
    }
}
