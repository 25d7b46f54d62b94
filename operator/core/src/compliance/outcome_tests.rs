//! Each profile's outcome check: findings fixed in time, late, open and overdue.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;
use crate::sla::{SlaFinding, SlaRules};
use crate::{Duration, Severity};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("valid")
}

fn finding(id: &str, severity: Severity, published: DateTime<Utc>) -> SlaFinding {
    SlaFinding {
        id: id.into(),
        severity,
        published: Some(published),
        kev_due: None,
    }
}

fn tracked(asset: &str, finding: SlaFinding, fixed_at: Option<DateTime<Utc>>) -> TrackedFinding {
    TrackedFinding {
        asset: asset.into(),
        finding,
        fixed_at,
    }
}

#[test]
fn pci_633_counts_high_and_critical_from_release_and_names_the_late_ones() {
    let now = at(2026, 3, 1, 0);
    let published = at(2026, 1, 1, 0);
    let findings = [
        // Within one month of release.
        tracked(
            "db-1",
            finding("CVE-2026-1", Severity::Critical, published),
            Some(at(2026, 1, 30, 0)),
        ),
        // Ten days late: due 2026-01-31 00:00.
        tracked(
            "db-2",
            finding("CVE-2026-2", Severity::High, published),
            Some(at(2026, 2, 10, 0)),
        ),
        // Still open, 29 days past the deadline.
        tracked(
            "db-3",
            finding("CVE-2026-3", Severity::Critical, published),
            None,
        ),
        // Open, not due yet.
        tracked(
            "db-3",
            finding("CVE-2026-4", Severity::High, at(2026, 2, 20, 0)),
            None,
        ),
        // Medium findings are not in scope of 6.3.3.
        tracked(
            "db-1",
            finding("CVE-2026-5", Severity::Medium, published),
            None,
        ),
    ];
    let outcome = check_outcomes(
        ProfileId::PciDss40Req633,
        &SlaRules::default(),
        &findings,
        now,
    );
    assert!(!outcome.compliant());
    assert_eq!(
        (
            outcome.in_scope,
            outcome.met,
            outcome.late,
            outcome.overdue,
            outcome.pending
        ),
        (4, 1, 1, 1, 1)
    );
    assert_eq!(outcome.violations.len(), 2);
    assert_eq!(
        outcome.violations[0].to_string(),
        "db-3 CVE-2026-3 open 29 day(s) past its deadline (due 2026-01-31 00:00 UTC)"
    );
    assert_eq!(
        outcome.violations[1].to_string(),
        "db-2 CVE-2026-2 patched 10 day(s) late (due 2026-01-31 00:00 UTC, patched 2026-02-10 00:00 UTC)"
    );
    assert_eq!(outcome.violations[1].days_late, 10);
}

#[test]
fn a_part_day_late_counts_as_a_day() {
    let findings = [tracked(
        "db-1",
        finding("CVE-2026-1", Severity::Critical, at(2026, 1, 1, 0)),
        Some(at(2026, 1, 31, 1)),
    )];
    let outcome = check_outcomes(
        ProfileId::PciDss40Req633,
        &SlaRules::default(),
        &findings,
        at(2026, 3, 1, 0),
    );
    assert_eq!(outcome.violations[0].days_late, 1);
}

#[test]
fn bod_2201_holds_kev_findings_to_the_end_of_their_due_date() {
    let kev = |id: &str, due: NaiveDate| SlaFinding {
        id: id.into(),
        severity: Severity::Unknown,
        published: None,
        kev_due: Some(due),
    };
    let due = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let findings = [
        tracked("web-1", kev("CVE-2026-10", due), Some(at(2026, 12, 1, 23))),
        tracked("web-2", kev("CVE-2026-10", due), Some(at(2026, 12, 3, 10))),
        // Not KEV-listed: outside the directive.
        tracked(
            "web-1",
            finding("CVE-2026-11", Severity::Critical, at(2025, 1, 1, 0)),
            None,
        ),
    ];
    let outcome = check_outcomes(
        ProfileId::CisaBod2201,
        &SlaRules::default(),
        &findings,
        at(2026, 12, 10, 0),
    );
    assert_eq!((outcome.in_scope, outcome.met, outcome.late), (2, 1, 1));
    assert_eq!(outcome.violations[0].asset, "web-2");
    assert_eq!(outcome.violations[0].days_late, 2);
    assert_eq!(outcome.violations[0].deadline, at(2026, 12, 2, 0));
}

#[test]
fn nist_80040r4_holds_findings_to_the_policys_own_plan() {
    let sla = SlaRules {
        deadlines: [(Severity::Medium, Duration::from_days(90))].into(),
        kev_due_date: true,
    };
    let findings = [tracked(
        "app-1",
        finding("CVE-2026-20", Severity::Medium, at(2026, 1, 1, 0)),
        Some(at(2026, 3, 1, 0)),
    )];
    let outcome = check_outcomes(ProfileId::NistSp80040r4, &sla, &findings, at(2026, 6, 1, 0));
    assert!(outcome.compliant(), "{outcome:?}");
    assert_eq!(outcome.met, 1);
    // The same fix is late for CIS's monthly cadence (31 days).
    let cis = check_outcomes(
        ProfileId::CisV8Control74,
        &sla,
        &findings,
        at(2026, 6, 1, 0),
    );
    assert_eq!(cis.violations.len(), 1);
    assert_eq!(cis.violations[0].days_late, 28);
}

#[test]
fn cis_73_counts_every_severity_and_skips_undated_findings() {
    let mut undated = finding("CVE-2026-31", Severity::Low, at(2026, 1, 1, 0));
    undated.published = None;
    let findings = [
        tracked(
            "h",
            finding("CVE-2026-30", Severity::Low, at(2026, 1, 1, 0)),
            Some(at(2026, 1, 20, 0)),
        ),
        tracked("h", undated, None),
    ];
    let outcome = check_outcomes(
        ProfileId::CisV8Control73,
        &SlaRules::default(),
        &findings,
        at(2026, 6, 1, 0),
    );
    assert!(outcome.compliant());
    assert_eq!((outcome.in_scope, outcome.met), (1, 1));
}
