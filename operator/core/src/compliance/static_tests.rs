//! Each profile's static check against the published text it cites.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::approval::{ApprovalPolicy, ApprovalRules};
use crate::policy::{NamedWindow, PolicyRules};
use crate::rollout::RolloutSettings;
use crate::sla::{EmergencyRule, SlaRules};
use crate::window::WindowDefinition;
use crate::{Duration, Severity};

/// Wednesday 2026-12-16 12:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 16, 12, 0, 0)
        .single()
        .expect("valid")
}

fn days(n: u64) -> Duration {
    Duration::from_days(n)
}

/// A policy that satisfies every profile: 30d for critical and high, KEV due dates, a
/// KnownExploited emergency, automated.
fn rules() -> PolicyRules {
    PolicyRules {
        key: "default/p".into(),
        approval: ApprovalPolicy::compile(ApprovalRules::default()).expect("rules"),
        sla: SlaRules {
            deadlines: [(Severity::Critical, days(30)), (Severity::High, days(30))].into(),
            kev_due_date: true,
        },
        emergency: vec![EmergencyRule::KnownExploited],
        epss_threshold: crate::sla::DEFAULT_EPSS_THRESHOLD,
        rollout: RolloutSettings::default(),
        plan_only: false,
        suspended: false,
    }
}

fn with_approval(mut rules: PolicyRules, edit: impl FnOnce(&mut ApprovalRules)) -> PolicyRules {
    let mut approval = rules.approval.rules().clone();
    edit(&mut approval);
    rules.approval = ApprovalPolicy::compile(approval).expect("rules");
    rules
}

fn window(schedule: &str) -> NamedWindow {
    NamedWindow {
        name: "w".into(),
        definition: WindowDefinition::parse(schedule, "UTC", Duration::from_hours(4))
            .expect("window"),
    }
}

/// Saturdays 02:00-06:00 UTC.
fn weekly() -> Vec<NamedWindow> {
    vec![window("0 2 * * SAT")]
}

/// The first of each month, 02:00-06:00 UTC: up to 30d20h apart.
fn first_of_month() -> Vec<NamedWindow> {
    vec![window("0 2 1 * *")]
}

fn check(id: ProfileId, rules: &PolicyRules, windows: &[NamedWindow]) -> Vec<StaticViolation> {
    let mut result = check_policy(&[id], rules, windows, now());
    assert_eq!(result.len(), 1);
    result.remove(0).violations
}

fn messages(violations: &[StaticViolation]) -> Vec<String> {
    violations.iter().map(|v| v.message.clone()).collect()
}

// PCI DSS v4.0 6.3.3: "Critical or high-security patches/updates ... are installed within one
// month of release."

#[test]
fn pci_633_critical_sla_of_31_days_fails_and_30_passes() {
    let mut late = rules();
    late.sla.deadlines.insert(Severity::Critical, days(31));
    let violations = check(ProfileId::PciDss40Req633, &late, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.sla.critical");
    assert_eq!(violations[0].requirement, "Requirement 6.3.3");
    assert_eq!(
        violations[0].message,
        "spec.sla.critical is 31d; PCI-DSS-4.0-6.3.3 requires at most 30d"
    );
    assert!(check(ProfileId::PciDss40Req633, &rules(), &weekly()).is_empty());
}

#[test]
fn pci_633_covers_high_patches_too() {
    let mut no_high = rules();
    no_high.sla.deadlines.remove(&Severity::High);
    assert_eq!(
        messages(&check(ProfileId::PciDss40Req633, &no_high, &weekly())),
        ["spec.sla.high is not set; PCI-DSS-4.0-6.3.3 requires at most 30d"]
    );
    let critical_only = with_approval(rules(), |a| a.min_severity = Severity::Critical);
    let violations = check(ProfileId::PciDss40Req633, &critical_only, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.approval.minSeverity");
    assert!(
        violations[0]
            .message
            .contains("High patches are never approved")
    );
}

#[test]
fn pci_633_approval_delay_of_a_month_leaves_no_time_to_install() {
    let delayed = with_approval(rules(), |a| a.approve_after = days(30));
    let violations = check(ProfileId::PciDss40Req633, &delayed, &weekly());
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(
        violations
            .iter()
            .all(|v| v.field == "spec.approval.approveAfter")
    );
    assert!(violations[0].message.contains("approveAfter is 30d"));
}

#[test]
fn pci_633_windows_leaving_a_gap_over_30_days_fail() {
    let violations = check(ProfileId::PciDss40Req633, &rules(), &first_of_month());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.maintenanceWindows");
    // 2027-01-01 06:00 to 2027-02-01 02:00 (and the same across March).
    assert!(
        violations[0].message.starts_with(
            "spec.maintenanceWindows leave a gap of 30d20h (2027-01-01 06:00 UTC to 2027-02-01 02:00 UTC)"
        ),
        "{}",
        violations[0].message
    );
    assert!(violations[0].message.contains("requires at most 30d"));

    // Patching out of window before a deadline passes closes the gap.
    let mut emergency = rules();
    emergency.emergency.push(EmergencyRule::SlaBreach);
    assert!(check(ProfileId::PciDss40Req633, &emergency, &first_of_month()).is_empty());

    let none = check(ProfileId::PciDss40Req633, &rules(), &[]);
    assert_eq!(none.len(), 1, "{none:?}");
    assert!(none[0].message.contains("spec.maintenanceWindows is empty"));
}

// CISA BOD 22-01: "Remediate each vulnerability according to the timelines set forth in the
// CISA-managed vulnerability catalog."

#[test]
fn bod_2201_needs_kev_due_dates_honoured() {
    assert!(check(ProfileId::CisaBod2201, &rules(), &weekly()).is_empty());
    let mut ignored = rules();
    ignored.sla.kev_due_date = false;
    let violations = check(ProfileId::CisaBod2201, &ignored, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.sla.kevDueDate");
    assert_eq!(
        violations[0].message,
        "spec.sla.kevDueDate is false; CISA-BOD-22-01 requires each KEV entry remediated by its due date"
    );
}

#[test]
fn bod_2201_refuses_delaying_known_exploited_fixes() {
    let delayed = with_approval(rules(), |a| {
        a.approve_after = days(7);
        a.known_exploited_skips_delay = false;
    });
    let violations = check(ProfileId::CisaBod2201, &delayed, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.approval.delayKnownExploited");
    assert!(violations[0].message.contains("for approveAfter 1w"));
    // The delay alone, with KEV fixes exempt (the default), is fine.
    let exempt = with_approval(rules(), |a| a.approve_after = days(7));
    assert!(check(ProfileId::CisaBod2201, &exempt, &weekly()).is_empty());
}

#[test]
fn bod_2201_needs_an_emergency_rule_for_kev() {
    let mut windows_only = rules();
    windows_only.emergency.clear();
    let violations = check(ProfileId::CisaBod2201, &windows_only, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.emergency");
    assert!(violations[0].message.contains("spec.emergency is []"));
    // Never overrides KnownExploited.
    let mut never = rules();
    never.emergency.push(EmergencyRule::Never);
    assert_eq!(check(ProfileId::CisaBod2201, &never, &weekly()).len(), 1);
    // SlaBreach patches before the KEV due date passes.
    let mut by_deadline = rules();
    by_deadline.emergency = vec![EmergencyRule::SlaBreach];
    assert!(check(ProfileId::CisaBod2201, &by_deadline, &weekly()).is_empty());
    by_deadline.sla.kev_due_date = false;
    assert_eq!(
        check(ProfileId::CisaBod2201, &by_deadline, &weekly()).len(),
        2
    );
}

// NIST SP 800-40r4: maintenance plans per maintenance group; emergency patching when a
// vulnerability is being actively exploited.

#[test]
fn nist_80040r4_needs_recurring_windows_and_a_kev_emergency() {
    assert!(check(ProfileId::NistSp80040r4, &rules(), &weekly()).is_empty());
    let none = check(ProfileId::NistSp80040r4, &rules(), &[]);
    assert_eq!(none.len(), 1, "{none:?}");
    assert_eq!(none[0].requirement, "3.5 Defining Maintenance Plans");
    // Once a year: a single opening in the next 365 days is no plan.
    let yearly = check(ProfileId::NistSp80040r4, &rules(), &[window("0 2 1 1 *")]);
    assert_eq!(
        messages(&yearly),
        [
            "spec.maintenanceWindows open 1 time(s) in the next 365d; NIST-SP-800-40r4 requires a maintenance plan: recurring windows"
        ]
    );
    let mut sla_breach = rules();
    sla_breach.emergency = vec![EmergencyRule::SlaBreach];
    let violations = check(ProfileId::NistSp80040r4, &sla_breach, &weekly());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "spec.emergency");
    assert_eq!(
        violations[0].requirement,
        "3.3 Defining Risk Response Scenarios"
    );
}

// CIS Controls v8 7.3 / 7.4: "Perform operating system (application) updates on enterprise
// assets through automated patch management on a monthly, or more frequent, basis."

#[test]
fn cis_73_and_74_need_automated_patching() {
    for id in [ProfileId::CisV8Control73, ProfileId::CisV8Control74] {
        assert!(check(id, &rules(), &weekly()).is_empty());
        assert!(check(id, &rules(), &first_of_month()).is_empty());
        let mut plan = rules();
        plan.plan_only = true;
        let violations = check(id, &plan, &weekly());
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].field, "spec.mode");
    }
}

#[test]
fn cis_73_quarterly_windows_name_the_months_without_patching() {
    let quarterly = [window("0 2 1 1,4,7,10 *")];
    let violations = check(ProfileId::CisV8Control73, &rules(), &quarterly);
    assert_eq!(
        messages(&violations),
        [
            "spec.maintenanceWindows let no patching start in 8 of the next 12 months (2027-02, 2027-03, 2027-05, 2027-06, 2027-08, 2027-09, 2027-11, 2027-12); CIS-v8-7.3 requires patching monthly or more often"
        ]
    );
    // An emergency rule does not make patching monthly.
    let mut emergency = rules();
    emergency.emergency.push(EmergencyRule::SlaBreach);
    assert_eq!(
        check(ProfileId::CisV8Control73, &emergency, &quarterly).len(),
        1
    );
}

#[test]
fn profile_names_parse_and_make_valid_condition_types() {
    for id in ProfileId::ALL {
        assert_eq!(id.as_str().parse::<ProfileId>(), Ok(id));
        let json = serde_json::to_string(&id).expect("json");
        assert_eq!(json, format!("\"{}\"", id.as_str()));
        let condition = id.condition_type();
        assert!(
            condition
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "{condition}"
        );
        assert!(
            condition
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        );
        assert!(!profile(id).requirements.is_empty());
        for requirement in profile(id).requirements {
            assert!(requirement.source.url.starts_with("https://"));
            assert!(!requirement.source.quote.is_empty());
        }
    }
    assert!("PCI-DSS-3.2".parse::<ProfileId>().is_err());
}

#[test]
fn windows_opening_every_few_minutes_are_checked_without_expanding_the_year() {
    let frequent = [NamedWindow {
        name: "often".into(),
        definition: WindowDefinition::parse("*/5 * * * *", "UTC", Duration::from_mins(2))
            .expect("window"),
    }];
    for id in [ProfileId::NistSp80040r4, ProfileId::CisV8Control73] {
        assert!(check(id, &rules(), &frequent).is_empty(), "{id}");
    }
}
