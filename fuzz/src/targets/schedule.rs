//! Maintenance window parsing: cron expressions with time zone, duration, cutoff and offset,
//! evaluated into openings; and durations, which print back to themselves.

use chrono::{DateTime, Utc};
use patchwarden_core::Duration;
use patchwarden_core::window::{WindowDefinition, openings};

use crate::target::{Target, Violation, lines};

/// Lines: schedule, time zone, duration, cutoff, offset days.
const CRON_SEEDS: &[&str] = &[
    "0 2 * * SAT\nUTC\n4h\n30m\n0",
    "0 * * * *\nUTC\n59m\n0\n0",
    "30 1 * * 2#2\nEurope/Berlin\n3h\n1h\n2",
    "0 0 L * *\nAmerica/New_York\n2h\n0\n-1",
    "0 30 2 * * MON-FRI\nAustralia/Lord_Howe\n90m\n15m\n0",
    "@weekly\nAsia/Kolkata\n1d\n0\n366",
    "*/15 9-17 1,15 JAN-MAR ?\nEurope/London\n10m\n5m\n0",
    "0 2 29 2 *\nPacific/Apia\n1h\n0\n0",
];
const CRON_DICTIONARY: &[&str] = &[
    "*",
    "/",
    "-",
    ",",
    "?",
    "L",
    "W",
    "#",
    "LW",
    "5L",
    "15W",
    "@yearly",
    "@monthly",
    "@daily",
    "@hourly",
    "@reboot",
    "SUN",
    "SAT",
    "JAN",
    "DEC",
    "0",
    "59",
    "60",
    "23",
    "24",
    "31",
    "32",
    "7",
    "8",
    " ",
    "\n",
    "UTC",
    "Europe/Dublin",
    "America/Santiago",
    "Etc/GMT+14",
    "1w",
    "0s",
];

const DURATION_SEEDS: &[&str] = &[
    "90s",
    "15m",
    "2h30m",
    "7d",
    "2w",
    "1w2d3h4m5s",
    "0",
    " 1d12h ",
];
const DURATION_DICTIONARY: &[&str] = &["s", "m", "h", "d", "w", "0", "ms", " ", "99999999999"];

/// A fixed start for evaluating openings, so that runs are reproducible.
const FROM_UNIX: i64 = 1_767_225_600;

fn duration_or(text: &str, default: Duration) -> Duration {
    text.parse().unwrap_or(default)
}

/// A definition that parses opens for its duration, in time order, with its cutoff inside.
fn cron(input: &[u8]) -> Result<(), Violation> {
    let mut fields = lines(input, 5);
    fields.resize(5, String::new());
    let duration = duration_or(&fields[2], Duration::from_hours(1));
    let Ok(mut definition) = WindowDefinition::parse(&fields[0], &fields[1], duration) else {
        return Ok(());
    };
    definition.cutoff = duration_or(&fields[3], Duration::ZERO);
    definition.offset_days = fields[4].trim().parse().unwrap_or(0);
    if definition.validate().is_err() {
        return Ok(());
    }
    let from = DateTime::<Utc>::from_timestamp(FROM_UNIX, 0).unwrap_or_default();
    let until = from + chrono::TimeDelta::days(62);
    let mut previous: Option<DateTime<Utc>> = None;
    for opening in openings(&definition, from, until).take(64) {
        let ordered = opening.opens_at < opening.closes_at
            && opening.opens_at <= opening.cutoff_at
            && opening.cutoff_at <= opening.closes_at;
        if !ordered {
            return Err(Violation::new(
                "opening-order",
                format!("{fields:?}: opening {opening:?}"),
            ));
        }
        if previous.is_some_and(|p| opening.opens_at < p) {
            return Err(Violation::new(
                "openings-sorted",
                format!("{fields:?}: {opening:?} opens before the previous opening"),
            ));
        }
        previous = Some(opening.opens_at);
    }
    Ok(())
}

/// A parsed duration prints in canonical form, which parses to the same duration.
fn duration(input: &[u8]) -> Result<(), Violation> {
    let text = crate::target::text(input);
    let Ok(parsed) = text.parse::<Duration>() else {
        return Ok(());
    };
    let printed = parsed.to_string();
    match printed.parse::<Duration>() {
        Ok(again) if again == parsed => Ok(()),
        other => Err(Violation::new(
            "round-trip",
            format!("{text:?} parsed to {parsed:?}, printed {printed:?}, read back {other:?}"),
        )),
    }
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "cron",
        about: "core::window WindowDefinition::parse (cron, time zone) and its openings",
        seeds: CRON_SEEDS,
        dictionary: CRON_DICTIONARY,
        generate: None,
        check: cron,
    },
    Target {
        name: "duration",
        about: "core::duration Duration::from_str (parse, print, parse)",
        seeds: DURATION_SEEDS,
        dictionary: DURATION_DICTIONARY,
        generate: None,
        check: duration,
    },
];
