//! Maintenance windows: when patching may happen.
//!
//! A window opens on a cron schedule evaluated on the wall clock of an IANA time zone, shifted by
//! `offset_days` ("Patch Tuesday + 2"), and stays open for `duration` of elapsed time. No new work
//! starts in its last `cutoff`. Dated blackouts with a reason close it whatever the schedule says,
//! and `suspend` keeps it closed. Overlapping occurrences merge into one opening.
//!
//! Clock changes: an opening scheduled at a wall-clock time that a spring-forward skips opens at
//! the first instant after the gap (as cron runs such jobs); a time that a fall-back repeats
//! opens once, at its first occurrence. The duration is elapsed time either way.
//!
//! Every function takes the instant to evaluate at; nothing here reads a clock.

mod coverage;
mod openings;
mod schedule;
mod status;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::Duration;
use openings::horizon_end;

pub use coverage::{
    Gap, any_may_start_work, largest_gap_across, largest_gap_between_openings,
    next_start_opportunity, opens_within,
};
pub use openings::{Occurrence, Opening, Openings, openings, scheduled_occurrences};
pub use schedule::{CronSchedule, ScheduleError, TimeZoneError, parse_time_zone, resolve_local};
pub use status::{
    Change, Phase, WindowStatus, current_opening, is_open, may_start_work, next_change,
    next_openings, phase_at, status_at, time_until_next_change,
};

/// How far ahead the convenience functions look for an opening (two years, so that a yearly
/// window with a blackout over one occurrence is still found).
pub const SEARCH_HORIZON: Duration = Duration::from_days(731);

/// At most this many schedule occurrences merge into one opening. A schedule that overlaps itself
/// forever (every hour, open for two) fails validation; evaluated anyway, it is reported as
/// consecutive openings of this many, without a cutoff at the seams.
const MAX_MERGED_OCCURRENCES: usize = 2_000;

/// The largest `offset_days` in either direction.
pub const MAX_OFFSET_DAYS: i32 = 366;

/// A maintenance window, as evaluated by this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowDefinition {
    /// When the window opens, on the local wall clock of `time_zone`.
    pub schedule: CronSchedule,
    /// The zone whose wall clock the schedule reads.
    pub time_zone: Tz,
    /// How long each opening lasts (elapsed time, so a night with a DST change keeps its length).
    pub duration: Duration,
    /// No new work starts in the last `cutoff` of an opening.
    pub cutoff: Duration,
    /// Calendar days added to each scheduled date (`2` turns "second Tuesday" into Thursday).
    pub offset_days: i32,
    /// Dated freezes during which the window is closed.
    pub blackouts: Vec<Blackout>,
    /// A suspended window never opens.
    pub suspend: bool,
}

/// A dated freeze: the window is closed from `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blackout {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Why, in a person's words ("year-end change freeze").
    pub reason: String,
}

/// Why a window definition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    TimeZone(#[from] TimeZoneError),
    #[error("duration must be longer than zero")]
    ZeroDuration,
    #[error(
        "cutoff {cutoff} must be shorter than the duration {duration}, or no work could ever start"
    )]
    CutoffNotShorterThanDuration {
        cutoff: Duration,
        duration: Duration,
    },
    #[error("offsetDays {offset_days} is out of range (-{max}..={max})", max = MAX_OFFSET_DAYS)]
    OffsetDaysOutOfRange { offset_days: i32 },
    #[error("blackout {reason:?} ends ({end}) before it starts ({start})")]
    BlackoutEndsBeforeStart {
        reason: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    #[error(
        "duration {duration} is at least as long as the time between occurrences of {schedule:?}: the window would never close"
    )]
    NeverCloses {
        schedule: String,
        duration: Duration,
    },
    #[error(
        "blackout time {text:?} is neither a date (2026-12-24) nor an RFC 3339 time (2026-12-24T18:00:00Z)"
    )]
    BlackoutTime { text: String },
}

impl WindowError {
    /// The resource field the error is about (`spec.schedule`, `spec.timeZone`, …).
    pub fn field(&self) -> &'static str {
        match self {
            WindowError::Schedule(_) => "spec.schedule",
            WindowError::TimeZone(_) => "spec.timeZone",
            WindowError::ZeroDuration | WindowError::NeverCloses { .. } => "spec.duration",
            WindowError::CutoffNotShorterThanDuration { .. } => "spec.cutoff",
            WindowError::OffsetDaysOutOfRange { .. } => "spec.offsetDays",
            WindowError::BlackoutEndsBeforeStart { .. } | WindowError::BlackoutTime { .. } => {
                "spec.blackouts"
            }
        }
    }
}

impl WindowDefinition {
    /// A window with no cutoff, offset or blackouts.
    pub fn new(schedule: CronSchedule, time_zone: Tz, duration: Duration) -> WindowDefinition {
        WindowDefinition {
            schedule,
            time_zone,
            duration,
            cutoff: Duration::ZERO,
            offset_days: 0,
            blackouts: Vec::new(),
            suspend: false,
        }
    }

    /// Parses the schedule and time zone and checks the rest.
    pub fn parse(schedule: &str, time_zone: &str, duration: Duration) -> Result<Self, WindowError> {
        let definition = WindowDefinition::new(
            CronSchedule::parse(schedule)?,
            parse_time_zone(time_zone)?,
            duration,
        );
        definition.validate()?;
        Ok(definition)
    }

    /// Checks the invariants the evaluation relies on.
    pub fn validate(&self) -> Result<(), WindowError> {
        if self.duration == Duration::ZERO {
            return Err(WindowError::ZeroDuration);
        }
        if self.cutoff >= self.duration {
            return Err(WindowError::CutoffNotShorterThanDuration {
                cutoff: self.cutoff,
                duration: self.duration,
            });
        }
        if self.offset_days.abs() > MAX_OFFSET_DAYS {
            return Err(WindowError::OffsetDaysOutOfRange {
                offset_days: self.offset_days,
            });
        }
        // Occurrences that overlap without end make a window that is always open; a fixed
        // reference instant suffices because schedules repeat.
        let reference = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
        let unsuspended = WindowDefinition {
            suspend: false,
            blackouts: Vec::new(),
            ..self.clone()
        };
        let mut probe = openings(&unsuspended, reference, horizon_end(reference));
        if probe.next_merged().is_some_and(|m| m.continues) {
            return Err(WindowError::NeverCloses {
                schedule: self.schedule.expression().to_string(),
                duration: self.duration,
            });
        }
        for blackout in &self.blackouts {
            if blackout.end < blackout.start {
                return Err(WindowError::BlackoutEndsBeforeStart {
                    reason: blackout.reason.clone(),
                    start: blackout.start,
                    end: blackout.end,
                });
            }
        }
        Ok(())
    }
}

/// Which end of a blackout a written time is, so that a bare date covers the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlackoutBound {
    /// A date means the start of that day.
    Start,
    /// A date means the end of that day (the start of the next).
    End,
}

/// Reads a blackout bound written as an RFC 3339 time, or as a date in the window's time zone.
pub fn parse_blackout_bound(
    text: &str,
    time_zone: Tz,
    bound: BlackoutBound,
) -> Result<DateTime<Utc>, WindowError> {
    let error = || WindowError::BlackoutTime {
        text: text.to_string(),
    };
    let trimmed = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(instant.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| error())?;
    let day = match bound {
        BlackoutBound::Start => date,
        BlackoutBound::End => date.checked_add_days(Days::new(1)).ok_or_else(error)?,
    };
    resolve_local(time_zone, day.and_time(chrono::NaiveTime::MIN)).ok_or_else(error)
}
