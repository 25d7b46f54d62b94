//! What compliance profiles read of the resources, and how their results read in a
//! PatchPolicy's status. A run records the findings each planned package fixes (severity,
//! publication, KEV due date) when it is frozen; its asset results say which of them it
//! closed and when. The members' assessments give the findings still open.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use patchwarden_core::compliance::{
    ProfileId, ProfileOutcome, ProfileStatic, TrackedFinding, profile,
};
use patchwarden_core::policy::Member;
use patchwarden_core::sla::SlaFinding;

use crate::asset::FixedFinding;
use crate::patch_policy::ProfileCompliance;
use crate::patch_run::{AssetRunState, PatchRun, PatchRunSpec};
use crate::time::{from_k8s, to_k8s};

/// Reason of a profile the spec and the outcomes satisfy.
pub const REASON_COMPLIANT: &str = "Compliant";
/// Reason of a profile the spec as written breaks.
pub const REASON_SPEC_VIOLATES: &str = "SpecViolatesProfile";
/// Reason of a profile whose deadlines some findings missed.
pub const REASON_DEADLINES_MISSED: &str = "DeadlinesMissed";

/// How many violations a message lists before it says how many more there are.
const LISTED_VIOLATIONS: usize = 5;

/// Records in `spec` the findings each planned package fixes, from the members' assessments.
pub fn record_findings(spec: &mut PatchRunSpec, members: &[Member]) {
    for asset in &mut spec.assets {
        let Some(member) = members.iter().find(|m| m.name == asset.name) else {
            continue;
        };
        for package in &mut asset.packages {
            package.findings = member
                .findings
                .iter()
                .filter(|f| f.package == package.name)
                .map(|f| fixed_finding(&f.finding))
                .collect();
        }
    }
}

fn fixed_finding(finding: &SlaFinding) -> FixedFinding {
    FixedFinding {
        id: finding.id.clone(),
        severity: finding.severity,
        published: finding.published.map(to_k8s),
        kev_due_date: finding.kev_due.map(|d| d.format("%Y-%m-%d").to_string()),
    }
}

fn sla_finding(finding: &FixedFinding) -> SlaFinding {
    SlaFinding {
        id: finding.id.clone(),
        severity: finding.severity,
        published: finding.published.as_ref().map(from_k8s),
        kev_due: finding
            .kev_due_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
    }
}

/// The findings compliance is judged on: every finding a run proved closed, fixed when that
/// asset's work finished, and every open finding of the members that no run fixed (an
/// assessment read before the fix was verified still lists it). A finding several packages
/// fix counts once per asset.
pub fn tracked_findings(members: &[Member], runs: &[PatchRun]) -> Vec<TrackedFinding> {
    let mut tracked: Vec<TrackedFinding> = runs.iter().flat_map(fixed_by).collect();
    tracked.sort_by(|a, b| {
        (&a.asset, &a.finding.id, a.fixed_at).cmp(&(&b.asset, &b.finding.id, b.fixed_at))
    });
    tracked.dedup_by(|a, b| a.asset == b.asset && a.finding.id == b.finding.id);
    let mut seen: BTreeSet<(String, String)> = tracked
        .iter()
        .map(|t| (t.asset.clone(), t.finding.id.clone()))
        .collect();
    let mut open: Vec<TrackedFinding> = Vec::new();
    for member in members {
        for finding in member.findings.iter().map(|f| &f.finding) {
            if seen.insert((member.name.clone(), finding.id.clone())) {
                open.push(TrackedFinding {
                    asset: member.name.clone(),
                    finding: finding.clone(),
                    fixed_at: None,
                });
            }
        }
    }
    tracked.extend(open);
    tracked
}

/// The findings `run` closed, with when.
fn fixed_by(run: &PatchRun) -> Vec<TrackedFinding> {
    let Some(status) = &run.status else {
        return Vec::new();
    };
    let mut fixed = Vec::new();
    for result in &status.assets {
        let Some(finished) = result.finished_at.as_ref().map(from_k8s) else {
            continue;
        };
        if !matches!(
            result.state,
            AssetRunState::Succeeded | AssetRunState::Failed
        ) {
            continue;
        }
        let Some(planned) = run.spec.assets.iter().find(|a| a.name == result.name) else {
            continue;
        };
        for finding in planned.packages.iter().flat_map(|p| &p.findings) {
            if result.cves_closed.contains(&finding.id) {
                fixed.push(TrackedFinding {
                    asset: result.name.clone(),
                    finding: sla_finding(finding),
                    fixed_at: Some(finished),
                });
            }
        }
    }
    fixed
}

/// The status entry of one profile from its static and outcome checks.
pub fn profile_compliance(checked: &ProfileStatic, outcome: &ProfileOutcome) -> ProfileCompliance {
    let id: ProfileId = checked.profile;
    let mut problems: Vec<String> = checked
        .violations
        .iter()
        .map(|v| v.message.clone())
        .collect();
    problems.extend(outcome.violations.iter().map(ToString::to_string));
    let (status, reason) = if !checked.violations.is_empty() {
        ("False", REASON_SPEC_VIOLATES)
    } else if !outcome.violations.is_empty() {
        ("False", REASON_DEADLINES_MISSED)
    } else {
        ("True", REASON_COMPLIANT)
    };
    let counts = format!(
        "{} finding(s) in scope: {} met, {} pending, {} late, {} overdue",
        outcome.in_scope, outcome.met, outcome.pending, outcome.late, outcome.overdue
    );
    let message = if problems.is_empty() {
        format!(
            "{id} (revision {}): satisfied; {counts}",
            profile(id).revision
        )
    } else {
        let more = problems.len().saturating_sub(LISTED_VIOLATIONS);
        let mut listed = problems
            .into_iter()
            .take(LISTED_VIOLATIONS)
            .collect::<Vec<_>>()
            .join("; ");
        if more > 0 {
            listed.push_str(&format!("; and {more} more"));
        }
        format!(
            "{id} (revision {}): {listed}; {counts}",
            profile(id).revision
        )
    };
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    ProfileCompliance {
        profile: id.as_str().to_string(),
        status: status.to_string(),
        reason: reason.to_string(),
        message,
        revision: profile(id).revision,
        spec_violations: count(checked.violations.len()),
        findings_in_scope: outcome.in_scope,
        met: outcome.met,
        pending: outcome.pending,
        late: outcome.late,
        overdue: outcome.overdue,
    }
}

/// The profiles a spec lists, each once, in the order listed.
pub fn listed_profiles(listed: &[ProfileId]) -> Vec<ProfileId> {
    let mut out: Vec<ProfileId> = Vec::new();
    for id in listed {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeZone, Utc};
    use patchwarden_core::Severity;
    use patchwarden_core::compliance::{check_outcomes, check_policy};
    use patchwarden_core::policy::PolicyRules;
    use patchwarden_core::sla::{PackageFinding, SlaRules};

    use super::*;
    use crate::patch_run::{AssetResult, PatchRunStatus, PlannedAsset, PlannedPackage};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .expect("valid")
    }

    fn critical(id: &str) -> SlaFinding {
        SlaFinding {
            id: id.into(),
            severity: Severity::Critical,
            published: Some(at(2026, 1, 1)),
            kev_due: None,
        }
    }

    fn member(findings: &[(&str, &str)]) -> Member {
        Member {
            risk: 1.0,
            findings: findings
                .iter()
                .map(|(package, id)| {
                    Arc::new(PackageFinding {
                        package: package.to_string(),
                        finding: critical(id),
                    })
                })
                .collect(),
            ..Member::new("db-1", "db")
        }
    }

    fn package(name: &str) -> PlannedPackage {
        PlannedPackage {
            name: name.into(),
            from: "1".into(),
            to: "2".into(),
            fixes: vec!["CVE-1".into()],
            findings: Vec::new(),
        }
    }

    /// A run that planned openssl and libssl3 (both fixing CVE-1 and CVE-2) on db-1 and
    /// closed `closed` when it finished on 2026-02-10.
    fn run(closed: &[&str]) -> PatchRun {
        let mut spec = PatchRunSpec {
            assets: vec![PlannedAsset {
                name: "db-1".into(),
                group: None,
                packages: vec![package("openssl"), package("libssl3")],
                reboot_expected: false,
            }],
            ..PatchRunSpec::default()
        };
        let planned_from = member(&[
            ("openssl", "CVE-1"),
            ("openssl", "CVE-2"),
            ("libssl3", "CVE-1"),
            ("libssl3", "CVE-2"),
        ]);
        record_findings(&mut spec, &[planned_from]);
        let mut run = PatchRun::new("r", spec);
        run.status = Some(PatchRunStatus {
            assets: vec![AssetResult {
                name: "db-1".into(),
                state: AssetRunState::Succeeded,
                cves_closed: closed.iter().map(|c| c.to_string()).collect(),
                finished_at: Some(to_k8s(at(2026, 2, 10))),
                ..AssetResult::default()
            }],
            ..PatchRunStatus::default()
        });
        run
    }

    #[test]
    fn a_run_records_the_findings_of_each_planned_package() {
        let run = run(&[]);
        let packages = &run.spec.assets[0].packages;
        let ids: Vec<&str> = packages[0].findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-2"]);
        assert_eq!(packages[1].findings.len(), 2);
        let published = packages[0].findings[0].published.as_ref().map(from_k8s);
        assert_eq!(published, Some(at(2026, 1, 1)));
    }

    #[test]
    fn fixed_findings_count_once_and_hide_a_stale_open_one() {
        // The assessment still lists CVE-1 (read before the fix was verified), and CVE-3.
        let members = [member(&[("openssl", "CVE-1"), ("zlib1g", "CVE-3")])];
        let tracked = tracked_findings(&members, &[run(&["CVE-1"])]);
        let view: Vec<(&str, Option<DateTime<Utc>>)> = tracked
            .iter()
            .map(|t| (t.finding.id.as_str(), t.fixed_at))
            .collect();
        assert_eq!(
            view,
            [("CVE-1", Some(at(2026, 2, 10))), ("CVE-3", None)],
            "CVE-2 was planned but not closed, and no member lists it open"
        );
    }

    #[test]
    fn the_status_entry_names_asset_cve_and_days_late() {
        let tracked = tracked_findings(&[], &[run(&["CVE-1"])]);
        let outcome = check_outcomes(
            ProfileId::PciDss40Req633,
            &SlaRules::default(),
            &tracked,
            at(2026, 3, 1),
        );
        let rules = PolicyRules {
            key: "default/p".into(),
            approval: patchwarden_core::approval::ApprovalPolicy::compile(Default::default())
                .expect("rules"),
            sla: SlaRules {
                deadlines: [
                    (
                        Severity::Critical,
                        patchwarden_core::Duration::from_days(30),
                    ),
                    (Severity::High, patchwarden_core::Duration::from_days(30)),
                ]
                .into(),
                kev_due_date: true,
            },
            emergency: vec![patchwarden_core::sla::EmergencyRule::SlaBreach],
            epss_threshold: patchwarden_core::sla::DEFAULT_EPSS_THRESHOLD,
            rollout: Default::default(),
            plan_only: false,
            suspended: false,
        };
        let statics = check_policy(&[ProfileId::PciDss40Req633], &rules, &[], at(2026, 3, 1));
        let entry = profile_compliance(&statics[0], &outcome);
        assert_eq!(entry.status, "False");
        assert_eq!(entry.reason, REASON_DEADLINES_MISSED);
        assert!(
            entry.message.contains("db-1 CVE-1 patched 10 day(s) late"),
            "{}",
            entry.message
        );
        assert_eq!((entry.findings_in_scope, entry.late), (1, 1));

        let mut strict = rules;
        strict.sla.deadlines.clear();
        let statics = check_policy(&[ProfileId::PciDss40Req633], &strict, &[], at(2026, 3, 1));
        let entry = profile_compliance(&statics[0], &outcome);
        assert_eq!(entry.reason, REASON_SPEC_VIOLATES);
        assert_eq!(entry.spec_violations, 2);
        assert!(
            entry
                .message
                .starts_with("PCI-DSS-4.0-6.3.3 (revision 1): spec.sla.critical is not set"),
            "{}",
            entry.message
        );
    }
}
