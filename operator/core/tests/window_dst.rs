//! Maintenance windows across daylight-saving changes, midnight, month ends and blackouts.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use patchwarden_core::Duration;
use patchwarden_core::window::{
    self, Blackout, BlackoutBound, CronSchedule, Phase, WindowDefinition, parse_blackout_bound,
    parse_time_zone,
};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn window(schedule: &str, zone: &str, duration: &str) -> WindowDefinition {
    WindowDefinition::parse(schedule, zone, duration.parse().expect("duration")).expect("window")
}

#[test]
fn spring_forward_in_berlin_opens_at_the_first_instant_after_the_gap() {
    // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist.
    let w = window("30 2 * * *", "Europe/Berlin", "2h");
    let openings = window::next_openings(&w, utc("2026-03-28T12:00:00Z"), 3);
    assert_eq!(openings[0].opens_at, utc("2026-03-29T01:00:00Z")); // 03:00 CEST
    assert_eq!(openings[0].closes_at, utc("2026-03-29T03:00:00Z"));
    assert_eq!(openings[1].opens_at, utc("2026-03-30T00:30:00Z")); // 02:30 CEST
    assert_eq!(openings[2].opens_at, utc("2026-03-31T00:30:00Z"));
    // The night before, still winter time.
    let before = window::next_openings(&w, utc("2026-03-27T12:00:00Z"), 1);
    assert_eq!(before[0].opens_at, utc("2026-03-28T01:30:00Z"));
}

#[test]
fn spring_forward_in_new_york_keeps_the_elapsed_duration() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT. A window from 01:00 local for 3h lasts 3 real
    // hours and ends at 05:00 EDT on the wall clock.
    let w = window("0 1 * * *", "America/New_York", "3h");
    let o = window::next_openings(&w, utc("2026-03-07T12:00:00Z"), 2);
    assert_eq!(o[0].opens_at, utc("2026-03-08T06:00:00Z")); // 01:00 EST
    assert_eq!(o[0].closes_at, utc("2026-03-08T09:00:00Z")); // 05:00 EDT
    assert_eq!(o[1].opens_at, utc("2026-03-09T05:00:00Z")); // 01:00 EDT
    assert!(window::is_open(&w, utc("2026-03-08T08:59:59Z")));
    assert!(!window::is_open(&w, utc("2026-03-08T09:00:00Z")));
}

#[test]
fn a_window_spanning_the_fall_back_hour_opens_once_and_lasts_its_duration() {
    // 2026-11-01 in New York: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice.
    let w = window("30 1 * * *", "America/New_York", "2h");
    let o = window::next_openings(&w, utc("2026-10-31T12:00:00Z"), 2);
    assert_eq!(o[0].opens_at, utc("2026-11-01T05:30:00Z")); // first 01:30 (EDT)
    assert_eq!(o[0].closes_at, utc("2026-11-01T07:30:00Z")); // 02:30 EST
    assert_eq!(o[1].opens_at, utc("2026-11-02T06:30:00Z")); // 01:30 EST
    // During the repeated hour (second 01:30, EST) the window is still open.
    assert!(window::is_open(&w, utc("2026-11-01T06:30:00Z")));

    // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; a 02:00 window for 3h.
    let berlin = window("0 2 * * *", "Europe/Berlin", "3h");
    let o = window::next_openings(&berlin, utc("2026-10-24T12:00:00Z"), 1);
    assert_eq!(o[0].opens_at, utc("2026-10-25T00:00:00Z")); // 02:00 CEST
    assert_eq!(o[0].closes_at, utc("2026-10-25T03:00:00Z")); // 04:00 CET
}

#[test]
fn lord_howe_shifts_by_thirty_minutes() {
    // Australia/Lord_Howe: +11 in summer, +10:30 in winter. On 2026-04-05 02:00 (+11) goes
    // back to 01:30 (+10:30); on 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11).
    let w = window("45 1 * * *", "Australia/Lord_Howe", "1h");
    let back = window::next_openings(&w, utc("2026-04-04T00:00:00Z"), 2);
    assert_eq!(back[0].opens_at, utc("2026-04-04T14:45:00Z")); // 01:45 +11 (first of two)
    assert_eq!(back[1].opens_at, utc("2026-04-05T15:15:00Z")); // 01:45 +10:30

    let gap = window("15 2 * * *", "Australia/Lord_Howe", "1h");
    let forward = window::next_openings(&gap, utc("2026-10-03T00:00:00Z"), 2);
    // 02:15 does not exist on 2026-10-04; the window opens at 02:30 +11 (15:30 UTC).
    assert_eq!(forward[0].opens_at, utc("2026-10-03T15:30:00Z"));
    assert_eq!(forward[1].opens_at, utc("2026-10-04T15:15:00Z")); // 02:15 +11
}

#[test]
fn windows_cross_midnight_and_month_ends() {
    // Last day of the month at 22:00 for 4h, in Tokyo (no DST).
    let w = window("0 22 L * *", "Asia/Tokyo", "4h");
    let o = window::next_openings(&w, utc("2026-02-01T00:00:00Z"), 3);
    assert_eq!(o[0].opens_at, utc("2026-02-28T13:00:00Z"));
    assert_eq!(o[0].closes_at, utc("2026-02-28T17:00:00Z")); // 02:00 on March 1st local
    assert_eq!(o[1].opens_at, utc("2026-03-31T13:00:00Z"));
    assert_eq!(o[2].opens_at, utc("2026-04-30T13:00:00Z"));
    // Open at 01:00 local on March 1st, i.e. in the next month.
    let t = utc("2026-02-28T16:00:00Z");
    let current = window::current_opening(&w, t).expect("open");
    assert_eq!(current.opens_at, utc("2026-02-28T13:00:00Z"));
    // Leap year: 2028-02-29 is the last day.
    let leap = window::next_openings(&w, utc("2028-02-01T00:00:00Z"), 1);
    assert_eq!(leap[0].opens_at, utc("2028-02-29T13:00:00Z"));
}

#[test]
fn patch_tuesday_plus_two_with_cutoff() {
    // Second Tuesday of the month, then two days later: Thursday.
    let mut w = window("0 20 * * 2#2", "Europe/Berlin", "6h");
    w.offset_days = 2;
    w.cutoff = Duration::from_hours(2);
    let o = window::next_openings(&w, utc("2026-05-01T00:00:00Z"), 2);
    // 2026-05-12 is the second Tuesday: Thursday 2026-05-14 20:00 CEST.
    assert_eq!(o[0].opens_at, utc("2026-05-14T18:00:00Z"));
    assert_eq!(o[0].cutoff_at, utc("2026-05-14T22:00:00Z"));
    assert_eq!(o[0].closes_at, utc("2026-05-15T00:00:00Z"));
    // 2026-06-09 second Tuesday -> Thursday 06-11.
    assert_eq!(o[1].opens_at, utc("2026-06-11T18:00:00Z"));

    assert!(window::may_start_work(&w, utc("2026-05-14T21:59:59Z")));
    assert!(!window::may_start_work(&w, utc("2026-05-14T22:00:00Z")));
    assert!(window::is_open(&w, utc("2026-05-14T22:00:00Z")));
    let status = window::status_at(&w, utc("2026-05-14T22:30:00Z"));
    assert_eq!(status.phase, Phase::PastCutoff);
    assert_eq!(
        status.next_change.map(|c| (c.at, c.to)),
        Some((utc("2026-05-15T00:00:00Z"), Phase::Closed))
    );
    assert_eq!(
        window::time_until_next_change(&w, utc("2026-05-14T22:30:00Z")),
        Some(Duration::from_mins(90))
    );
    let status = window::status_at(&w, utc("2026-05-14T19:00:00Z"));
    assert_eq!(status.phase, Phase::Open);
    assert_eq!(
        status.next_change.map(|c| (c.at, c.to)),
        Some((utc("2026-05-14T22:00:00Z"), Phase::PastCutoff))
    );
    // The offset pushes an occurrence across a month end: last Tuesday + 2.
    let mut last = window("0 20 * * 2#L", "Europe/Berlin", "2h");
    last.offset_days = 2;
    let o = window::next_openings(&last, utc("2026-03-01T00:00:00Z"), 1);
    // Last Tuesday of March 2026 is the 31st; +2 days is April 2nd.
    assert_eq!(o[0].opens_at, utc("2026-04-02T18:00:00Z"));
}

#[test]
fn a_blackout_swallows_an_occurrence_and_cuts_another() {
    let tz = parse_time_zone("Europe/Berlin").expect("zone");
    let mut w = window("0 22 * * *", "Europe/Berlin", "4h");
    w.blackouts.push(Blackout {
        start: parse_blackout_bound("2026-12-24", tz, BlackoutBound::Start).expect("start"),
        end: parse_blackout_bound("2026-12-26", tz, BlackoutBound::End).expect("end"),
        reason: "Christmas change freeze".into(),
    });
    // The freeze runs from the 24th 00:00 to the 27th 00:00 local. The 23rd's window (22:00 to
    // 02:00) is cut at midnight; the 24th and 25th are swallowed; the 26th keeps 00:00-02:00.
    let o = window::next_openings(&w, utc("2026-12-23T12:00:00Z"), 3);
    assert_eq!(o[0].opens_at, utc("2026-12-23T21:00:00Z"));
    assert_eq!(o[0].closes_at, utc("2026-12-23T23:00:00Z"));
    assert_eq!(o[1].opens_at, utc("2026-12-26T23:00:00Z"));
    assert_eq!(o[1].closes_at, utc("2026-12-27T01:00:00Z"));
    assert_eq!(o[2].opens_at, utc("2026-12-27T21:00:00Z"));

    let occurrences = window::scheduled_occurrences(&w, utc("2026-12-23T12:00:00Z"), 4);
    assert_eq!(occurrences.len(), 4);
    assert!(occurrences[1].openings.is_empty(), "the 24th is swallowed");
    assert!(occurrences[2].openings.is_empty(), "the 25th is swallowed");
    assert_eq!(
        occurrences[1].blacked_out_by,
        vec!["Christmas change freeze".to_string()]
    );
    assert_eq!(occurrences[3].openings.len(), 1);

    let status = window::status_at(&w, utc("2026-12-24T22:00:00Z"));
    assert_eq!(status.phase, Phase::Closed);
    assert_eq!(
        status.blackout.map(|b| b.reason),
        Some("Christmas change freeze".to_string())
    );
    assert_eq!(
        status.next_change.map(|c| c.at),
        Some(utc("2026-12-26T23:00:00Z"))
    );
}

#[test]
fn a_blackout_over_every_occurrence_means_the_window_never_opens() {
    let mut w = window("0 3 1 1 *", "UTC", "1h");
    w.blackouts.push(Blackout {
        start: utc("2026-01-01T00:00:00Z"),
        end: utc("2030-01-01T00:00:00Z"),
        reason: "decommissioning".into(),
    });
    let from = utc("2026-01-01T00:00:00Z");
    assert!(window::next_openings(&w, from, 1).is_empty());
    assert!(!window::opens_within(&w, from, Duration::from_days(366)));
    assert_eq!(window::next_change(&w, from), None);
    let gap = window::largest_gap_between_openings(&w, from, Duration::from_days(366));
    assert_eq!(gap.length(), Duration::from_days(366));
}

#[test]
fn suspend_keeps_the_window_closed() {
    let mut w = window("0 12 * * *", "UTC", "1h");
    let t = utc("2026-06-01T12:00:00Z");
    assert!(window::is_open(&w, t));
    w.suspend = true;
    assert!(!window::is_open(&w, t));
    assert!(window::next_openings(&w, t, 3).is_empty());
    assert!(window::status_at(&w, t).suspended);
}

#[test]
fn overlapping_occurrences_merge_into_one_opening() {
    // Every hour, open for 90 minutes, would never close: validation says so; evaluated anyway,
    // it is one long opening without a cutoff at the seams of its reported pieces.
    let err = WindowDefinition::parse("0 * * * *", "UTC", Duration::from_mins(90))
        .expect_err("never closes");
    assert_eq!(
        err.to_string(),
        "duration 1h30m is at least as long as the time between occurrences of \"0 * * * *\": the window would never close"
    );
    assert_eq!(err.field(), "spec.duration");
    let mut always = window("0 2 * * *", "UTC", "1h");
    always.schedule = "0 * * * *".parse().expect("hourly");
    always.duration = Duration::from_mins(90);
    always.cutoff = Duration::from_mins(30);
    let t = utc("2026-06-01T12:10:00Z");
    let current = window::current_opening(&always, t).expect("open");
    assert!(current.opens_at < utc("2026-06-01T00:00:00Z"));
    assert!(current.closes_at > utc("2026-06-02T00:00:00Z"));
    assert!(window::may_start_work(
        &always,
        current.closes_at - chrono::TimeDelta::seconds(1)
    ));
    assert!(window::may_start_work(&always, current.closes_at));

    // Twice a night with overlap: 01:00 for 2h and 02:00 for 2h merge to 01:00-04:00.
    let w = window("0 1,2 * * *", "UTC", "2h");
    let o = window::next_openings(&w, utc("2026-06-01T00:00:00Z"), 2);
    assert_eq!(o[0].opens_at, utc("2026-06-01T01:00:00Z"));
    assert_eq!(o[0].closes_at, utc("2026-06-01T04:00:00Z"));
    assert_eq!(o[1].opens_at, utc("2026-06-02T01:00:00Z"));
    let current = window::current_opening(&w, utc("2026-06-01T03:30:00Z")).expect("open");
    assert_eq!(current.opens_at, utc("2026-06-01T01:00:00Z"));
}

#[test]
fn six_field_schedules_have_seconds() {
    let w = window("30 0 4 * * SUN", "UTC", "10m");
    let o = window::next_openings(&w, utc("2026-06-01T00:00:00Z"), 1);
    assert_eq!(o[0].opens_at, utc("2026-06-07T04:00:30Z"));
}

#[test]
fn largest_gap_finds_the_longest_wait_between_openings() {
    // Weekly on Sunday 02:00 for 4h with a 1h cutoff: the gap from one cutoff (05:00) to the
    // next opening is 7 days minus 3 hours.
    let mut w = window("0 2 * * SUN", "UTC", "4h");
    w.cutoff = Duration::from_hours(1);
    let from = utc("2026-06-07T02:00:00Z");
    let gap = window::largest_gap_between_openings(&w, from, Duration::from_days(30));
    assert_eq!(gap.length(), Duration::from_hours(7 * 24 - 3));
    // A blackout over one Sunday doubles it.
    w.blackouts.push(Blackout {
        start: utc("2026-06-14T00:00:00Z"),
        end: utc("2026-06-15T00:00:00Z"),
        reason: "release".into(),
    });
    let gap = window::largest_gap_between_openings(&w, from, Duration::from_days(30));
    assert_eq!(gap.length(), Duration::from_hours(14 * 24 - 3));
    assert_eq!(gap.from, utc("2026-06-07T05:00:00Z"));
    assert_eq!(gap.until, utc("2026-06-21T02:00:00Z"));
}

#[test]
fn the_earliest_start_across_several_windows() {
    let weekday_nights = window("0 23 * * MON-FRI", "Europe/London", "3h");
    let sunday = window("0 6 * * SUN", "Europe/London", "2h");
    let windows = [weekday_nights, sunday];
    // Saturday noon: the next chance is Sunday 06:00 BST (05:00 UTC).
    let t = utc("2026-06-06T12:00:00Z");
    assert_eq!(
        window::next_start_opportunity(&windows, t),
        Some(utc("2026-06-07T05:00:00Z"))
    );
    assert!(!window::any_may_start_work(&windows, t));
    let during = utc("2026-06-07T05:30:00Z");
    assert_eq!(
        window::next_start_opportunity(&windows, during),
        Some(during)
    );
}

#[test]
fn blackout_bounds_read_dates_in_the_window_zone() {
    let tz = parse_time_zone("America/New_York").expect("zone");
    assert_eq!(
        parse_blackout_bound("2026-07-04", tz, BlackoutBound::Start),
        Ok(utc("2026-07-04T04:00:00Z"))
    );
    assert_eq!(
        parse_blackout_bound("2026-07-04", tz, BlackoutBound::End),
        Ok(utc("2026-07-05T04:00:00Z"))
    );
    assert_eq!(
        parse_blackout_bound("2026-07-04T12:00:00+02:00", tz, BlackoutBound::Start),
        Ok(utc("2026-07-04T10:00:00Z"))
    );
    let err = parse_blackout_bound("July 4th", tz, BlackoutBound::Start).expect_err("bad");
    assert_eq!(err.field(), "spec.blackouts");
    assert_eq!(
        err.to_string(),
        "blackout time \"July 4th\" is neither a date (2026-12-24) nor an RFC 3339 time (2026-12-24T18:00:00Z)"
    );
}

#[test]
fn definitions_are_validated_with_the_field_named() {
    let err = WindowDefinition::parse("0 2 * * *", "Europe/Berln", Duration::from_hours(1))
        .expect_err("zone");
    assert_eq!(err.field(), "spec.timeZone");
    let err = WindowDefinition::parse("0 2 * *", "UTC", Duration::from_hours(1)).expect_err("cron");
    assert_eq!(err.field(), "spec.schedule");
    let err = WindowDefinition::parse("0 2 * * *", "UTC", Duration::ZERO).expect_err("zero");
    assert_eq!(err.to_string(), "duration must be longer than zero");
    let mut w = window("0 2 * * *", "UTC", "1h");
    w.cutoff = Duration::from_hours(1);
    assert_eq!(
        w.validate().expect_err("cutoff").to_string(),
        "cutoff 1h must be shorter than the duration 1h, or no work could ever start"
    );
    w.cutoff = Duration::ZERO;
    w.offset_days = 400;
    assert_eq!(w.validate().expect_err("offset").field(), "spec.offsetDays");
    let schedule: CronSchedule = "0 2 * * 2#2".parse().expect("second Tuesday");
    assert_eq!(schedule.expression(), "0 2 * * 2#2");
    let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let _ = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("time"));
}

#[test]
fn largest_gap_across_several_windows_counts_only_time_none_allows_work() {
    let weekdays = window("0 2 * * MON-FRI", "UTC", "3h");
    let sunday = window("0 6 * * SUN", "UTC", "2h");
    let from = utc("2026-06-01T00:00:00Z"); // a Monday
    let gap =
        window::largest_gap_across(&[weekdays.clone(), sunday], from, Duration::from_days(14));
    // Friday 05:00 to Sunday 06:00.
    assert_eq!(gap.length(), Duration::from_hours(49));
    let alone = window::largest_gap_between_openings(&weekdays, from, Duration::from_days(14));
    // Friday 05:00 to Monday 02:00.
    assert_eq!(alone.length(), Duration::from_hours(69));
}
