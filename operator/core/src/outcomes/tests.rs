use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};

use super::quarantine::{
    QuarantineContext, QuarantineSettings, blocking, parse_lifts, quarantines,
};
use super::*;
use crate::duration::Duration;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn asset(name: &str, canary: bool, kind: AssetOutcomeKind, message: &str) -> AssetOutcome {
    AssetOutcome {
        asset: name.to_string(),
        group: Some("web".to_string()),
        os: "Debian 12".to_string(),
        ecosystem: Ecosystem::new("Debian:12"),
        canary,
        finished_at: Some(at(1)),
        kind,
        duration_seconds: Some(100),
        transitions: vec![
            Transition {
                package: "openssl".to_string(),
                from: "3.0.11-1~deb12u1".to_string(),
                to: "3.0.11-1~deb12u2".to_string(),
            },
            Transition {
                package: "libssl3".to_string(),
                from: "3.0.11-1~deb12u1".to_string(),
                to: "3.0.11-1~deb12u2".to_string(),
            },
        ],
        message: message.to_string(),
    }
}

fn run(name: &str, assets: Vec<AssetOutcome>) -> RunOutcomes {
    RunOutcomes {
        run: name.to_string(),
        policy: Some("p".to_string()),
        assets,
    }
}

fn failed_canary_run(name: &str, day: u32) -> RunOutcomes {
    let mut canary = asset(
        "h1",
        true,
        AssetOutcomeKind::RolledBack(FailureKind::Install),
        "install failed: dpkg: error processing package libssl3 (--configure): postinst failed",
    );
    canary.finished_at = Some(at(day));
    run(name, vec![canary])
}

#[test]
fn classify_reads_the_step_from_the_message() {
    assert_eq!(
        FailureKind::classify("pre-patch hook exited 1"),
        FailureKind::Hook
    );
    assert_eq!(
        FailureKind::classify("health check http failed"),
        FailureKind::HealthCheck
    );
    assert_eq!(
        FailureKind::classify("reboot timed out after 10m"),
        FailureKind::Reboot
    );
    assert_eq!(
        FailureKind::classify("CVE-2024-1 still open"),
        FailureKind::Verify
    );
    assert_eq!(
        FailureKind::classify("apt-get exited 100"),
        FailureKind::Install
    );
    assert_eq!(
        FailureKind::classify("connection reset"),
        FailureKind::Other
    );
}

#[test]
fn failure_is_blamed_on_the_named_package_or_on_all() {
    let named = asset(
        "h",
        false,
        AssetOutcomeKind::Failed(FailureKind::Install),
        "libssl3: boom",
    );
    let blamed: Vec<&str> = named.blamed().iter().map(|t| t.package.as_str()).collect();
    assert_eq!(blamed, vec!["libssl3"]);
    let anonymous = asset(
        "h",
        false,
        AssetOutcomeKind::Failed(FailureKind::Other),
        "timeout",
    );
    assert_eq!(anonymous.blamed().len(), 2);
    let ok = asset("h", false, AssetOutcomeKind::Succeeded, "libssl3 ok");
    assert!(ok.blamed().is_empty());
}

#[test]
fn stats_count_attempts_failures_rollbacks_and_durations() {
    let runs = vec![
        run(
            "r1",
            vec![
                asset("h1", true, AssetOutcomeKind::Succeeded, ""),
                asset(
                    "h2",
                    false,
                    AssetOutcomeKind::RolledBack(FailureKind::Install),
                    "libssl3",
                ),
            ],
        ),
        run(
            "r2",
            vec![asset(
                "h3",
                false,
                AssetOutcomeKind::Failed(FailureKind::Verify),
                "x",
            )],
        ),
    ];
    let stats = OutcomeStats::build(&runs);
    let key = UpdateKey {
        ecosystem: "Debian:12".to_string(),
        package: "libssl3".to_string(),
        from: "3.0.11-1~deb12u1".to_string(),
        to: "3.0.11-1~deb12u2".to_string(),
    };
    let libssl = stats
        .update(&key)
        .map(|u| u.tally.clone())
        .unwrap_or_default();
    assert_eq!(
        (libssl.attempts, libssl.successes, libssl.rollbacks),
        (3, 1, 1)
    );
    assert_eq!(
        libssl.failures,
        vec![(FailureKind::Install, 1), (FailureKind::Verify, 1)]
    );
    assert_eq!(
        libssl.p50_p90().map(|(p50, _)| p50),
        Some(Duration::from_secs(100))
    );
    // openssl was not named by h2's message: only h3's anonymous failure counts against it.
    let openssl = UpdateKey {
        package: "openssl".to_string(),
        ..key
    };
    let openssl = stats
        .update(&openssl)
        .map(|u| u.tally.clone())
        .unwrap_or_default();
    assert_eq!(
        (openssl.attempts, openssl.successes, openssl.failed()),
        (3, 2, 1)
    );
    let profile = ProfileKey {
        group: "web".to_string(),
        os: "Debian 12".to_string(),
    };
    let profile = stats
        .profile(&profile)
        .map(|p| p.tally.clone())
        .unwrap_or_default();
    assert_eq!(
        (profile.attempts, profile.failed(), profile.rollbacks),
        (3, 2, 1)
    );
}

#[test]
fn a_run_counts_once_and_forgotten_names_keep_their_counts() {
    let r1 = run(
        "r1",
        vec![asset("h1", true, AssetOutcomeKind::Succeeded, "")],
    );
    let mut stats = OutcomeStats::default();
    assert!(stats.fold(&r1));
    assert!(!stats.fold(&r1));
    stats.forget_runs_except(&BTreeSet::new());
    assert!(stats.runs.is_empty());
    assert_eq!(stats.profiles[0].tally.attempts, 1);
    let json = serde_json::to_string(&stats).unwrap_or_default();
    let back: OutcomeStats = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(back, stats);
}

fn no_newer(_: &str, _: &str) -> Option<String> {
    None
}

#[test]
fn two_canary_failures_quarantine_the_version_with_the_runs() {
    let settings = QuarantineSettings::default();
    let context = QuarantineContext {
        now: at(3),
        lifts: &[],
        newest: &no_newer,
    };
    let one = OutcomeStats::build(&[failed_canary_run("r1", 1)]);
    assert!(quarantines(&one, &settings, context).is_empty());
    let two = OutcomeStats::build(&[failed_canary_run("r1", 1), failed_canary_run("r2", 2)]);
    let found = quarantines(&two, &settings, context);
    assert_eq!(found.len(), 1, "{found:?}");
    let q = &found[0];
    assert_eq!(q.id(), "libssl3=3.0.11-1~deb12u2");
    assert_eq!(
        q.runs.iter().map(|f| f.run.as_str()).collect::<Vec<_>>(),
        ["r1", "r2"]
    );
    assert_eq!(q.since, Some(at(2)));
    assert_eq!(q.expires_at, Some(at(9)));
    assert_eq!(
        q.reason,
        "failed on 2 canaries (quarantined after 2) of runs r1, r2"
    );
    assert!(blocking(&found, "Debian:12", "libssl3", "3.0.11-1~deb12u2").is_some());
    assert!(blocking(&found, "Debian:12", "openssl", "3.0.11-1~deb12u2").is_none());
}

#[test]
fn quarantine_expires_is_lifted_or_superseded() {
    let settings = QuarantineSettings::default();
    let stats = OutcomeStats::build(&[failed_canary_run("r1", 1), failed_canary_run("r2", 2)]);
    let expired = QuarantineContext {
        now: at(9),
        lifts: &[],
        newest: &no_newer,
    };
    assert!(quarantines(&stats, &settings, expired).is_empty());
    let lifts = parse_lifts(" libssl3=3.0.11-1~deb12u2 , bad, =x");
    assert_eq!(lifts.len(), 1);
    let lifted = QuarantineContext {
        now: at(3),
        lifts: &lifts,
        newest: &no_newer,
    };
    assert!(quarantines(&stats, &settings, lifted).is_empty());
    let newer = |_: &str, _: &str| Some("3.0.11-1~deb12u3".to_string());
    let superseded = QuarantineContext {
        now: at(3),
        lifts: &[],
        newest: &newer,
    };
    assert!(quarantines(&stats, &settings, superseded).is_empty());
}

#[test]
fn failure_rate_quarantines_with_a_minimum_sample() {
    let settings = QuarantineSettings::default();
    let context = QuarantineContext {
        now: at(3),
        lifts: &[],
        newest: &no_newer,
    };
    let fail = |n: &str| {
        asset(
            n,
            false,
            AssetOutcomeKind::Failed(FailureKind::Install),
            "libssl3",
        )
    };
    let small = OutcomeStats::build(&[run("r1", vec![fail("a"), fail("b"), fail("c")])]);
    assert!(quarantines(&small, &settings, context).is_empty());
    let ok = asset("d", false, AssetOutcomeKind::Succeeded, "");
    let big = OutcomeStats::build(&[run("r1", vec![fail("a"), fail("b"), fail("c"), ok])]);
    let found = quarantines(&big, &settings, context);
    assert_eq!(found.len(), 1);
    assert!(found[0].reason.contains("3 of 4"), "{}", found[0].reason);
    // Without canary failures there is no time to expire from: it holds until lifted.
    assert_eq!(found[0].expires_at, None);
}

#[test]
fn predicted_duration_uses_the_profile_p90_once_there_are_enough_samples() {
    let default = Duration::from_mins(10);
    let profile = ProfileKey {
        group: "web".to_string(),
        os: "Debian 12".to_string(),
    };
    let mut stats = OutcomeStats::default();
    assert_eq!(
        stats.predicted_duration(&profile, default),
        (default, false)
    );
    let ok = |n: &str| asset(n, false, AssetOutcomeKind::Succeeded, "");
    stats.fold(&run("r1", vec![ok("a"), ok("b")]));
    assert_eq!(
        stats.predicted_duration(&profile, default),
        (default, false)
    );
    stats.fold(&run("r2", vec![ok("c")]));
    assert_eq!(
        stats.predicted_duration(&profile, default),
        (Duration::from_secs(100), true)
    );
}
