//! Why an approved upgrade was let through, in one line, from the rules it passed: what the
//! evidence of a run records for each package beside the findings it fixes.

use chrono::{DateTime, Utc};

use crate::Severity;
use crate::approval::{ApprovalRules, UpgradeCandidate};

/// The rules `candidate` passed to be approved at `now`, in words (`"security update,
/// severity High at least minSeverity Medium; advisory published 2026-11-02, older than
/// approveAfter 1w"`). Meant for candidates the rules approve; it does not re-check them.
pub fn approval_reason(
    rules: &ApprovalRules,
    candidate: &UpgradeCandidate,
    now: DateTime<Utc>,
) -> String {
    let mut parts = Vec::new();
    if !rules.include.is_empty() {
        parts.push(format!("included by {}", rules.include.join(", ")));
    }
    if !candidate.security {
        parts.push("not a security update; the policy approves every update".to_string());
        return parts.join("; ");
    }
    let severity = candidate.severity;
    let minimum = rules.min_severity;
    parts.push(if candidate.known_exploited && severity < minimum {
        format!(
            "security update, severity {severity} below minSeverity {minimum}, approved because it is in CISA KEV"
        )
    } else if minimum == Severity::Unknown {
        format!("security update, severity {severity}; the policy approves every severity")
    } else {
        format!("security update, severity {severity} at least minSeverity {minimum}")
    });
    let skips_delay = candidate.known_exploited && rules.known_exploited_skips_delay;
    if skips_delay && rules.approve_after != crate::Duration::ZERO {
        parts.push(format!(
            "in CISA KEV, so approveAfter {} is skipped",
            rules.approve_after
        ));
    } else if let Some(published) = candidate.published
        && rules.approve_after != crate::Duration::ZERO
    {
        let age_days = (now - published).num_days();
        parts.push(format!(
            "advisory published {} ({age_days} days before), older than approveAfter {}",
            published.format("%Y-%m-%d"),
            rules.approve_after
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Duration;

    fn candidate(severity: Severity, kev: bool) -> UpgradeCandidate {
        UpgradeCandidate {
            package: "libssl3".into(),
            source_package: Some("openssl".into()),
            installed_version: "3.0.1".into(),
            candidate_version: "3.0.2".into(),
            severity,
            published: Some(at("2026-11-02T00:00:00Z")),
            known_exploited: kev,
            cve_ids: vec!["CVE-2026-1".into()],
            security: true,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn rules(min: Severity, days: u64) -> ApprovalRules {
        ApprovalRules {
            min_severity: min,
            approve_after: Duration::from_secs(days * 86_400),
            ..ApprovalRules::default()
        }
    }

    #[test]
    fn names_the_severity_rule_and_the_age_rule_it_passed() {
        let now = at("2026-11-12T00:00:00Z");
        let reason = approval_reason(
            &rules(Severity::Medium, 7),
            &candidate(Severity::High, false),
            now,
        );
        assert_eq!(
            reason,
            "security update, severity High at least minSeverity Medium; advisory published 2026-11-02 (10 days before), older than approveAfter 1w"
        );
    }

    #[test]
    fn a_kev_listed_fix_says_it_skipped_the_delay_and_the_minimum() {
        let now = at("2026-11-03T00:00:00Z");
        let reason = approval_reason(
            &rules(Severity::High, 7),
            &candidate(Severity::Low, true),
            now,
        );
        assert_eq!(
            reason,
            "security update, severity Low below minSeverity High, approved because it is in CISA KEV; in CISA KEV, so approveAfter 1w is skipped"
        );
    }

    #[test]
    fn every_severity_and_no_delay_and_plain_updates() {
        let now = at("2026-11-03T00:00:00Z");
        let mut rules = rules(Severity::Unknown, 0);
        assert_eq!(
            approval_reason(&rules, &candidate(Severity::Unknown, false), now),
            "security update, severity Unknown; the policy approves every severity"
        );
        rules.include = vec!["lib*".into()];
        let mut plain = candidate(Severity::Unknown, false);
        plain.security = false;
        assert_eq!(
            approval_reason(&rules, &plain, now),
            "included by lib*; not a security update; the policy approves every update"
        );
    }
}
