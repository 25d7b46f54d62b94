//! Properties of window evaluation over random schedules, zones, blackouts and instants
//! (10,000 generated cases each): the phase functions agree with the openings, openings are
//! ordered and disjoint and never touch a blackout, and the next change really is a change.

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::Duration;
use patchwarden_core::window::{self, Blackout, Phase, WindowDefinition};
use proptest::prelude::*;
use proptest::test_runner::Config;

const SCHEDULES: [&str; 8] = [
    "*/20 * * * *",
    "30 2 * * *",
    "0 1 * * SUN",
    "0 22 L * *",
    "0 20 * * 2#2",
    "15 2,3 * * MON-FRI",
    "0 0 */2 * *",
    "0 30 1 * * 6",
];
const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

fn config() -> Config {
    Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    }
}

fn definition() -> impl Strategy<Value = WindowDefinition> {
    (
        0..SCHEDULES.len(),
        0..ZONES.len(),
        1u64..600,
        0u64..100,
        -3i32..4,
        proptest::collection::vec((1_767_225_600i64..1_798_761_600, 1i64..72), 0..3),
    )
        .prop_map(
            |(schedule, zone, minutes, cutoff_percent, offset, blackouts)| {
                // Every 20 minutes for 20 or more would never close (rejected by validation).
                let minutes = if schedule == 0 {
                    1 + minutes % 19
                } else {
                    minutes
                };
                let mut w = WindowDefinition::parse(
                    SCHEDULES[schedule],
                    ZONES[zone],
                    Duration::from_mins(minutes),
                )
                .expect("catalogue");
                w.cutoff = Duration::from_secs(minutes * 60 * cutoff_percent / 100);
                w.offset_days = offset;
                w.blackouts = blackouts
                    .into_iter()
                    .map(|(start, hours)| {
                        let start = DateTime::from_timestamp(start, 0).expect("time");
                        Blackout {
                            start,
                            end: start + TimeDelta::hours(hours),
                            reason: "freeze".into(),
                        }
                    })
                    .collect();
                w
            },
        )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_767_225_600i64..1_798_761_600).prop_map(|s| DateTime::from_timestamp(s, 0).expect("time"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn phase_functions_agree_with_the_openings(w in definition(), t in instant()) {
        let current = window::current_opening(&w, t);
        prop_assert_eq!(window::is_open(&w, t), current.is_some());
        if let Some(o) = current {
            prop_assert!(o.contains(t));
            prop_assert!(o.opens_at <= o.cutoff_at && o.cutoff_at <= o.closes_at);
            prop_assert_eq!(window::may_start_work(&w, t), t < o.cutoff_at);
        }
        let in_blackout = w.blackouts.iter().any(|b| b.start <= t && t < b.end);
        if in_blackout {
            prop_assert!(current.is_none(), "open during a blackout at {}", t);
        }
    }

    #[test]
    fn openings_are_ordered_disjoint_and_outside_blackouts(w in definition(), t in instant()) {
        let openings = window::next_openings(&w, t, 6);
        for pair in openings.windows(2) {
            prop_assert!(pair[0].closes_at <= pair[1].opens_at, "{:?}", pair);
        }
        for o in &openings {
            prop_assert!(o.opens_at > t);
            prop_assert!(o.opens_at < o.closes_at);
            for b in &w.blackouts {
                prop_assert!(o.closes_at <= b.start || o.opens_at >= b.end, "{:?} meets {:?}", o, b);
            }
            // The opening is open at its start and just before its end.
            let just_before_close = o.closes_at - TimeDelta::seconds(1);
            prop_assert!(window::is_open(&w, o.opens_at));
            prop_assert!(window::is_open(&w, just_before_close));
        }
    }

    #[test]
    fn the_next_change_is_a_real_change(w in definition(), t in instant()) {
        let Some(change) = window::next_change(&w, t) else {
            return Ok(());
        };
        prop_assert!(change.at > t);
        let before = window::status_at(&w, change.at - TimeDelta::seconds(1)).phase;
        let after = window::status_at(&w, change.at).phase;
        prop_assert_eq!(after, change.to);
        prop_assert_ne!(before, after);
        // Nothing changes in between: the phase one second after t is the phase at t, unless
        // the change is right there.
        let now = window::status_at(&w, t).phase;
        if change.at > t + TimeDelta::seconds(1) {
            prop_assert_eq!(window::status_at(&w, t + TimeDelta::seconds(1)).phase, now);
        }
        prop_assert!(now != Phase::Open || change.to != Phase::Open);
    }
}
