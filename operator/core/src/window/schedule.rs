//! Cron schedules and IANA time zones: parsing them with a reason when they are wrong, and turning
//! a local wall-clock time into an instant across daylight-saving changes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike as _, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A cron schedule of 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds
/// first). Supports lists, ranges, steps, names (`MON`, `JAN`), `L` (last day of the month, or
/// `5L`/`5#L` last Friday), `#` (nth weekday: `2#2` is the second Tuesday), `W` and `@daily`-style
/// nicknames. It is evaluated on the local wall clock of a time zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
}

/// Why a cron schedule was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("cron schedule is empty")]
    Empty,
    #[error(
        "cron schedule {expression:?} has {found} fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
    )]
    FieldCount { expression: String, found: usize },
    #[error("cron schedule {expression:?} is invalid: {reason}")]
    Invalid { expression: String, reason: String },
    #[error("cron schedule {expression:?} never fires (no matching date exists)")]
    NeverFires { expression: String },
}

impl CronSchedule {
    /// Parses a 5- or 6-field cron expression (or a nickname such as `@weekly`).
    pub fn parse(expression: &str) -> Result<CronSchedule, ScheduleError> {
        let trimmed = expression.trim();
        if trimmed.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let found = trimmed.split_whitespace().count();
        if !trimmed.starts_with('@') && !(5..=6).contains(&found) {
            return Err(ScheduleError::FieldCount {
                expression: expression.to_string(),
                found,
            });
        }
        // croner reads an empty list item (`,` or `1,,2`) as matching nothing and then searches
        // thousands of years for an occurrence (12 s for `, * * * *`): refuse it up front.
        if let Some(position) = trimmed
            .split_whitespace()
            .position(|field| field.split(',').any(str::is_empty))
            .filter(|_| !trimmed.starts_with('@'))
        {
            return Err(ScheduleError::Invalid {
                expression: expression.to_string(),
                reason: format!("field {} has an empty list item", position + 1),
            });
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(trimmed)
            .map_err(|error| ScheduleError::Invalid {
                expression: expression.to_string(),
                reason: cron_reason(&error),
            })?;
        let schedule = CronSchedule {
            expression: trimmed.to_string(),
            cron,
        };
        // A pattern such as "0 0 31 2 *" parses but can never match; the 28-year Gregorian
        // weekday cycle bounds the search for any day-of-month/weekday combination.
        let probe = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| ScheduleError::NeverFires {
                expression: expression.to_string(),
            })?;
        match schedule.next_local_after(probe, true) {
            Some(first) if first.year_ce().1 < 2029 => Ok(schedule),
            _ => Err(ScheduleError::NeverFires {
                expression: expression.to_string(),
            }),
        }
    }

    /// The expression as written (trimmed).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first local wall-clock time matching the schedule at or after (`inclusive`) or
    /// strictly after `local`.
    pub fn next_local_after(&self, local: NaiveDateTime, inclusive: bool) -> Option<NaiveDateTime> {
        self.cron.find_next_occurrence(&local, inclusive).ok()
    }

    /// The last local wall-clock time matching the schedule strictly before `local`.
    pub fn previous_local_before(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        self.cron.find_previous_occurrence(&local, false).ok()
    }
}

/// croner's messages start with its own prefixes ("Invalid pattern: ..."); keep only the reason.
fn cron_reason(error: &croner::errors::CronError) -> String {
    use croner::errors::CronError as E;
    match error {
        E::InvalidPattern(msg) | E::IllegalCharacters(msg) | E::ComponentError(msg) => {
            msg.trim_end_matches('.').to_string()
        }
        other => other.to_string().trim_end_matches('.').to_string(),
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

impl Eq for CronSchedule {}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl FromStr for CronSchedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CronSchedule::parse(s)
    }
}

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {name:?}{}; use an IANA name such as \"Europe/Berlin\" or \"UTC\"", suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
pub struct TimeZoneError {
    /// The name as written.
    pub name: String,
    /// A real zone whose name differs only in letter case, if there is one.
    pub suggestion: Option<&'static str>,
}

/// Parses an IANA time zone name such as `Europe/Berlin` or `UTC`.
pub fn parse_time_zone(name: &str) -> Result<Tz, TimeZoneError> {
    name.trim().parse::<Tz>().map_err(|_| {
        let wanted = name.trim().to_ascii_lowercase();
        TimeZoneError {
            name: name.to_string(),
            suggestion: chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().to_ascii_lowercase() == wanted)
                .map(|tz| tz.name()),
        }
    })
}

/// The instant at which the wall clock of `tz` shows `local`.
///
/// A time shown twice (clocks going back) resolves to its first instant; a time that does not
/// exist (clocks going forward) resolves to the first instant after the gap, as cron does for a
/// job scheduled in the skipped hour. `None` only outside the representable range.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => first_instant_after_gap(tz, local),
    }
}

/// Finds the transition that skipped `local`: the first instant whose wall clock is past it.
/// Wall-clock time only moves forward around a gap, so a binary search over a two-day span
/// (wider than any UTC offset difference) finds it.
fn first_instant_after_gap(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let centre = local.and_utc().timestamp();
    let (mut low, mut high) = (centre - 26 * 3600, centre + 26 * 3600);
    let wall = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0).map(|t| t.with_timezone(&tz).naive_local())
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if wall(middle)? > local {
            high = middle;
        } else {
            low = middle;
        }
    }
    DateTime::from_timestamp(high, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_count_is_checked_with_a_reason() {
        let err = CronSchedule::parse("0 2 * *").expect_err("4 fields");
        assert_eq!(
            err.to_string(),
            "cron schedule \"0 2 * *\" has 4 fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
        );
        assert!(matches!(
            CronSchedule::parse("0 0 2 * * 2 2026"),
            Err(ScheduleError::FieldCount { found: 7, .. })
        ));
        assert!(CronSchedule::parse("0 0 2 * * 2").is_ok());
        assert!(CronSchedule::parse("@weekly").is_ok());
    }

    #[test]
    fn empty_list_items_are_rejected_at_once() {
        for expression in [", * * * *", "1,,2 * * * *", "0 1, * * *", "0 0 , * * *"] {
            // Refused by our own check, not by croner after a search for an occurrence through
            // thousands of years: the error is ours, and it comes before a generous deadline.
            let (sender, receiver) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = sender.send(CronSchedule::parse(expression).map(|_| ()));
            });
            let err = receiver
                .recv_timeout(std::time::Duration::from_secs(5))
                .expect(expression)
                .expect_err(expression);
            assert!(
                err.to_string().contains("has an empty list item"),
                "{expression}: {err}"
            );
        }
        assert!(CronSchedule::parse("0,30 1,13 * * *").is_ok());
    }

    #[test]
    fn invalid_fields_and_impossible_dates_are_rejected() {
        assert!(matches!(
            CronSchedule::parse("61 2 * * *"),
            Err(ScheduleError::Invalid { .. })
        ));
        assert!(matches!(
            CronSchedule::parse("0 2 * * 2#6"),
            Err(ScheduleError::Invalid { .. })
        ));
        assert_eq!(
            CronSchedule::parse("0 0 31 2 *")
                .expect_err("never")
                .to_string(),
            "cron schedule \"0 0 31 2 *\" never fires (no matching date exists)"
        );
        assert!(CronSchedule::parse("0 0 29 2 *").is_ok());
    }

    #[test]
    fn time_zones_are_iana_names_with_a_suggestion() {
        assert_eq!(
            parse_time_zone("Europe/Berlin"),
            Ok(chrono_tz::Europe::Berlin)
        );
        let err = parse_time_zone("europe/berlin").expect_err("case");
        assert_eq!(err.suggestion, Some("Europe/Berlin"));
        assert_eq!(
            err.to_string(),
            "unknown time zone \"europe/berlin\" (did you mean \"Europe/Berlin\"?); use an IANA name such as \"Europe/Berlin\" or \"UTC\""
        );
        assert_eq!(
            parse_time_zone("Mars/Olympus").expect_err("x").suggestion,
            None
        );
    }
}
