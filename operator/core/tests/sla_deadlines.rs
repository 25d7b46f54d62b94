//! SLA deadlines, breach forecasts against windows, and emergency rules.

use chrono::{DateTime, NaiveDate, Utc};
use patchwarden_core::sla::{
    self, DeadlineSource, EmergencyReason, EmergencyRule, Forecast, SlaFinding, SlaRules,
};
use patchwarden_core::window::WindowDefinition;
use patchwarden_core::{Duration, Severity};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn rules() -> SlaRules {
    let mut rules = SlaRules::default();
    rules
        .deadlines
        .insert(Severity::Critical, Duration::from_days(7));
    rules
        .deadlines
        .insert(Severity::High, Duration::from_days(30));
    rules
}

fn finding(id: &str, severity: Severity, published: &str, kev_due: Option<&str>) -> SlaFinding {
    SlaFinding {
        id: id.into(),
        severity,
        published: Some(utc(published)),
        kev_due: kev_due.map(|d| d.parse::<NaiveDate>().expect("date")),
    }
}

#[test]
fn severity_sla_counts_from_publication() {
    let f = finding(
        "CVE-2026-1000",
        Severity::High,
        "2026-05-01T10:00:00Z",
        None,
    );
    let d = sla::deadline(&rules(), &f).expect("deadline");
    assert_eq!(d.at, utc("2026-05-31T10:00:00Z"));
    assert_eq!(
        d.to_string(),
        "CVE-2026-1000 due 2026-05-31 10:00 UTC (High SLA 30d from publication on 2026-05-01)"
    );
    let low = finding("CVE-2026-1001", Severity::Low, "2026-05-01T10:00:00Z", None);
    assert_eq!(sla::deadline(&rules(), &low), None, "no SLA for Low");
}

#[test]
fn the_earlier_of_sla_and_kev_due_date_wins() {
    let kev_first = finding(
        "CVE-2026-2000",
        Severity::High,
        "2026-05-01T10:00:00Z",
        Some("2026-05-20"),
    );
    let d = sla::deadline(&rules(), &kev_first).expect("deadline");
    assert_eq!(d.at, utc("2026-05-21T00:00:00Z"), "end of the due day");
    assert_eq!(
        d.source,
        DeadlineSource::KevDueDate {
            due: "2026-05-20".parse().expect("date")
        }
    );
    assert_eq!(
        d.to_string(),
        "CVE-2026-2000 due 2026-05-21 00:00 UTC (CISA KEV due date 2026-05-20)"
    );
    let sla_first = finding(
        "CVE-2026-2001",
        Severity::Critical,
        "2026-05-01T10:00:00Z",
        Some("2026-06-20"),
    );
    assert!(matches!(
        sla::deadline(&rules(), &sla_first)
            .expect("deadline")
            .source,
        DeadlineSource::SeveritySla { .. }
    ));
    let no_kev = SlaRules {
        kev_due_date: false,
        ..rules()
    };
    assert_eq!(
        sla::deadline(&no_kev, &kev_first).expect("sla").at,
        utc("2026-05-31T10:00:00Z")
    );
    let earliest = sla::earliest_deadline(&rules(), &[sla_first, kev_first]).expect("some");
    assert_eq!(earliest.finding, "CVE-2026-2001");
}

#[test]
fn forecast_says_will_breach_before_it_happens() {
    // Windows on the first Sunday of the month only.
    let monthly =
        WindowDefinition::parse("0 2 * * 0#1", "UTC", Duration::from_hours(4)).expect("window");
    let f = finding(
        "CVE-2026-3000",
        Severity::Critical,
        "2026-06-08T00:00:00Z",
        None,
    );
    let now = utc("2026-06-09T12:00:00Z");
    let forecast = sla::forecast(
        &rules(),
        std::slice::from_ref(&f),
        std::slice::from_ref(&monthly),
        now,
    );
    // Deadline 2026-06-15; the next first Sunday is 2026-07-05.
    assert!(matches!(forecast, Forecast::WillBreach { .. }));
    assert_eq!(
        forecast.to_string(),
        "will breach on 2026-06-15 (CVE-2026-3000 due 2026-06-15 00:00 UTC (Critical SLA 1w from publication on 2026-06-08)) unless patched out of window or a window is added before then: the next window lets work start 2026-07-05 02:00 UTC"
    );

    let weekly =
        WindowDefinition::parse("0 2 * * SUN", "UTC", Duration::from_hours(4)).expect("window");
    let forecast = sla::forecast(&rules(), std::slice::from_ref(&f), &[monthly, weekly], now);
    assert_eq!(
        forecast.to_string(),
        "on track: a window lets work start 2026-06-14 02:00 UTC, 22h before CVE-2026-3000 due 2026-06-15 00:00 UTC (Critical SLA 1w from publication on 2026-06-08)"
    );

    let late = sla::forecast(&rules(), &[f], &[], utc("2026-06-17T00:00:00Z"));
    assert_eq!(
        late.to_string(),
        "breached on 2026-06-15 (CVE-2026-3000 due 2026-06-15 00:00 UTC (Critical SLA 1w from publication on 2026-06-08)), overdue by 2d"
    );
    assert_eq!(
        sla::forecast(&rules(), &[], &[], utc("2026-06-17T00:00:00Z")).to_string(),
        "no SLA deadline applies"
    );
}

#[test]
fn emergency_rules_decide_out_of_window_starts() {
    let f = finding(
        "CVE-2026-4000",
        Severity::Critical,
        "2026-06-08T00:00:00Z",
        None,
    );
    let now = utc("2026-06-09T12:00:00Z");
    let breach = sla::forecast(&rules(), &[f], &[], now);
    assert!(breach.is_at_risk());

    let kev = sla::emergency_reason(
        &[EmergencyRule::KnownExploited],
        &["CVE-2026-4000"],
        &breach,
    );
    assert_eq!(
        kev.as_ref().map(ToString::to_string).as_deref(),
        Some(
            "emergency (KnownExploited): CVE-2026-4000 is exploited in the wild (CISA KEV), patching starts out of window"
        )
    );
    assert_eq!(
        sla::emergency_reason(&[EmergencyRule::KnownExploited], &[], &breach),
        None
    );
    let by_sla = sla::emergency_reason(&[EmergencyRule::SlaBreach], &[], &breach);
    assert!(matches!(by_sla, Some(EmergencyReason::SlaBreach { .. })));
    assert_eq!(
        by_sla.map(|r| r.to_string()).as_deref(),
        Some(
            "emergency (SlaBreach): CVE-2026-4000 due 2026-06-15 00:00 UTC (Critical SLA 1w from publication on 2026-06-08) would be missed before the next window, patching starts out of window"
        )
    );
    assert_eq!(
        sla::emergency_reason(
            &[
                EmergencyRule::KnownExploited,
                EmergencyRule::SlaBreach,
                EmergencyRule::Never
            ],
            &["CVE-2026-4000"],
            &breach
        ),
        None,
        "Never wins"
    );
    let on_track = Forecast::NoDeadline;
    assert_eq!(
        sla::emergency_reason(&[EmergencyRule::SlaBreach], &[], &on_track),
        None
    );
}

#[test]
fn sla_rules_deserialize_from_the_resource_shape() {
    let rules: SlaRules =
        serde_json::from_str(r#"{"deadlines":{"Critical":"7d","High":"30d"}}"#).expect("rules");
    assert_eq!(
        rules.deadlines.get(&Severity::Critical),
        Some(&Duration::from_days(7))
    );
    assert!(rules.kev_due_date);
}
