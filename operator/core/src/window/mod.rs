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

mod schedule;

use std::collections::VecDeque;
use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::Duration;

pub use schedule::{CronSchedule, ScheduleError, TimeZoneError, parse_time_zone, resolve_local};

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

/// One stretch of time during which the window is open (blackouts already removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Opening {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// No new work starts at or after this instant (`closes_at - cutoff`, never before `opens_at`).
    pub cutoff_at: DateTime<Utc>,
}

impl Opening {
    /// Whether `t` lies in the opening.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.opens_at <= t && t < self.closes_at
    }

    /// Whether new work may start at `t`.
    pub fn may_start_at(&self, t: DateTime<Utc>) -> bool {
        self.opens_at <= t && t < self.cutoff_at
    }

    /// Whether any work can start in this opening at all.
    pub fn is_usable(&self) -> bool {
        self.opens_at < self.cutoff_at
    }
}

/// A scheduled occurrence before blackouts: when it was meant to be open and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Occurrence {
    pub scheduled_open: DateTime<Utc>,
    pub scheduled_close: DateTime<Utc>,
    /// The parts outside blackouts; empty when a blackout swallows the whole occurrence.
    pub openings: Vec<Opening>,
    /// Reasons of the blackouts that cut into it.
    pub blacked_out_by: Vec<String>,
}

/// Open now, closed, or open but past the cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    Closed,
    Open,
    /// Open, but in the last `cutoff` of the opening: work in progress may finish, none starts.
    PastCutoff,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Closed => "closed",
            Phase::Open => "open",
            Phase::PastCutoff => "open, past cutoff",
        })
    }
}

/// The next change of phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub at: DateTime<Utc>,
    pub to: Phase,
}

/// Everything a window's status shows at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowStatus {
    pub phase: Phase,
    pub suspended: bool,
    /// The opening `t` lies in.
    pub current: Option<Opening>,
    /// The first opening that starts after `t`.
    pub next: Option<Opening>,
    pub next_change: Option<Change>,
    /// The blackout in force at `t`, if any.
    pub blackout: Option<Blackout>,
}

/// Openings of a window in time order, lazily, from the opening in progress at `from` (if any)
/// up to the last one that opens before `until`.
pub struct Openings<'a> {
    definition: &'a WindowDefinition,
    blackouts: Vec<&'a Blackout>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    /// Local wall-clock time of the next schedule match to read; `None` once exhausted.
    cursor: Option<(NaiveDateTime, bool)>,
    peeked: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ready: VecDeque<Opening>,
}

/// The openings of `definition` that are in progress at `from` or start before `until`.
pub fn openings(
    definition: &WindowDefinition,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Openings<'_> {
    let mut blackouts: Vec<&Blackout> = definition.blackouts.iter().collect();
    blackouts.sort_by_key(|b| (b.start, b.end));
    let cursor = if definition.suspend {
        None
    } else {
        first_cursor(definition, from)
    };
    Openings {
        definition,
        blackouts,
        from,
        until,
        cursor,
        peeked: None,
        ready: VecDeque::new(),
    }
}

/// Where to start reading the schedule so that an occurrence in progress at `from`, and every
/// occurrence merged with it, is seen.
fn first_cursor(
    definition: &WindowDefinition,
    from: DateTime<Utc>,
) -> Option<(NaiveDateTime, bool)> {
    // Slack for clock changes, and a day more when the offset shifts dates (a local day is not
    // always 24 hours long).
    let slack = if definition.offset_days == 0 {
        TimeDelta::hours(3)
    } else {
        TimeDelta::hours(27)
    };
    let lookback = definition.duration.to_chrono() + slack;
    let local_from = from
        .checked_sub_signed(lookback)?
        .with_timezone(&definition.time_zone)
        .naive_local();
    let shifted_back = shift_days(local_from, -definition.offset_days)?;
    let mut first = definition.schedule.next_local_after(shifted_back, true)?;
    let mut interval = nominal_interval(definition, first)?;
    // Extend backwards over earlier occurrences that overlap this one, by at most half the merge
    // limit so that the merged opening still reaches past `from`.
    for _ in 0..MAX_MERGED_OCCURRENCES / 2 {
        let Some(previous) = definition.schedule.previous_local_before(first) else {
            break;
        };
        let Some(previous_interval) = nominal_interval(definition, previous) else {
            break;
        };
        if previous_interval.1 < interval.0 {
            break;
        }
        first = previous;
        interval = previous_interval;
    }
    Some((first, true))
}

fn shift_days(local: NaiveDateTime, days: i32) -> Option<NaiveDateTime> {
    let magnitude = Days::new(u64::from(days.unsigned_abs()));
    if days >= 0 {
        local.checked_add_days(magnitude)
    } else {
        local.checked_sub_days(magnitude)
    }
}

/// The scheduled open and close instants of the occurrence matched at local time `matched`.
fn nominal_interval(
    definition: &WindowDefinition,
    matched: NaiveDateTime,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let opens = resolve_local(
        definition.time_zone,
        shift_days(matched, definition.offset_days)?,
    )?;
    let closes = opens.checked_add_signed(definition.duration.to_chrono())?;
    Some((opens, closes))
}

impl Openings<'_> {
    fn next_nominal(&mut self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if let Some(peeked) = self.peeked.take() {
            return Some(peeked);
        }
        let (local, inclusive) = self.cursor?;
        let matched = self.definition.schedule.next_local_after(local, inclusive);
        self.cursor = matched.map(|m| (m, false));
        nominal_interval(self.definition, matched?)
    }

    /// The next run of overlapping occurrences, merged.
    fn next_merged(&mut self) -> Option<Merged> {
        let (start, mut end) = self.next_nominal()?;
        for _ in 1..MAX_MERGED_OCCURRENCES {
            let Some(next) = self.next_nominal() else {
                return Some(Merged::ending(start, end));
            };
            if next.0 <= end {
                end = end.max(next.1);
            } else {
                self.peeked = Some(next);
                return Some(Merged::ending(start, end));
            }
        }
        // The merge limit was reached: end this stretch where the next occurrence begins, and
        // mark it as continuing so that no cutoff falls at the artificial seam.
        let continues = match self.next_nominal() {
            Some(next) if next.0 <= end => {
                end = next.0.max(start);
                self.peeked = Some(next);
                true
            }
            Some(next) => {
                self.peeked = Some(next);
                false
            }
            None => false,
        };
        Some(Merged {
            start,
            end,
            continues,
        })
    }

    /// Splits a merged occurrence around blackouts.
    fn pieces(&self, merged: &Merged) -> Vec<Opening> {
        let cutoff = self.definition.cutoff.to_chrono();
        let (start, end) = (merged.start, merged.end);
        let mut pieces = Vec::new();
        let mut cursor = start;
        for blackout in &self.blackouts {
            if blackout.end <= cursor || blackout.start >= end {
                continue;
            }
            if blackout.start > cursor {
                pieces.push(make_opening(cursor, blackout.start, cutoff));
            }
            cursor = cursor.max(blackout.end);
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            let seam = if merged.continues {
                TimeDelta::zero()
            } else {
                cutoff
            };
            pieces.push(make_opening(cursor, end, seam));
        }
        pieces
    }
}

/// Overlapping occurrences merged into one stretch.
struct Merged {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The stretch goes on past `end` (only when the merge limit cut it).
    continues: bool,
}

impl Merged {
    fn ending(start: DateTime<Utc>, end: DateTime<Utc>) -> Merged {
        Merged {
            start,
            end,
            continues: false,
        }
    }
}

fn make_opening(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>, cutoff: TimeDelta) -> Opening {
    let cutoff_at = closes_at
        .checked_sub_signed(cutoff)
        .unwrap_or(opens_at)
        .max(opens_at);
    Opening {
        opens_at,
        closes_at,
        cutoff_at,
    }
}

impl Iterator for Openings<'_> {
    type Item = Opening;

    fn next(&mut self) -> Option<Opening> {
        loop {
            if let Some(opening) = self.ready.pop_front() {
                return Some(opening);
            }
            let merged = self.next_merged()?;
            if merged.start >= self.until {
                self.cursor = None;
                self.peeked = None;
                return None;
            }
            let from = self.from;
            let until = self.until;
            self.ready.extend(
                self.pieces(&merged)
                    .into_iter()
                    .filter(|o| o.closes_at > from && o.opens_at < until),
            );
        }
    }
}

fn horizon_end(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_add_signed(SEARCH_HORIZON.to_chrono())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The opening `t` lies in, if the window is open at `t`.
pub fn current_opening(definition: &WindowDefinition, t: DateTime<Utc>) -> Option<Opening> {
    let until = t.checked_add_signed(TimeDelta::seconds(1))?;
    openings(definition, t, until).find(|o| o.contains(t))
}

/// Whether the window is open at `t`.
pub fn is_open(definition: &WindowDefinition, t: DateTime<Utc>) -> bool {
    current_opening(definition, t).is_some()
}

/// Whether new work may start at `t` (open, and not past the cutoff).
pub fn may_start_work(definition: &WindowDefinition, t: DateTime<Utc>) -> bool {
    current_opening(definition, t).is_some_and(|o| o.may_start_at(t))
}

/// The next `count` openings that start strictly after `t`, within [`SEARCH_HORIZON`].
pub fn next_openings(
    definition: &WindowDefinition,
    t: DateTime<Utc>,
    count: usize,
) -> Vec<Opening> {
    openings(definition, t, horizon_end(t))
        .filter(|o| o.opens_at > t)
        .take(count)
        .collect()
}

/// The next instant after `t` at which the phase changes, within [`SEARCH_HORIZON`].
pub fn next_change(definition: &WindowDefinition, t: DateTime<Utc>) -> Option<Change> {
    let now = phase_at(definition, t);
    // Walk the phase timeline the openings describe: closed between them, open until the
    // cutoff, past the cutoff until the close. Openings that touch form one stretch.
    let mut previous_close: Option<DateTime<Utc>> = None;
    for opening in openings(definition, t, horizon_end(t)).skip_while(|o| o.closes_at <= t) {
        let mut segments = Vec::with_capacity(3);
        if let Some(close) = previous_close
            && close < opening.opens_at
        {
            segments.push((close, Phase::Closed));
        }
        if opening.is_usable() {
            segments.push((opening.opens_at, Phase::Open));
        }
        if opening.cutoff_at < opening.closes_at {
            segments.push((opening.cutoff_at, Phase::PastCutoff));
        }
        if let Some(&(at, to)) = segments.iter().find(|(at, to)| *at > t && *to != now) {
            return Some(Change { at, to });
        }
        previous_close = Some(opening.closes_at);
    }
    previous_close
        .filter(|close| *close > t && now != Phase::Closed)
        .map(|at| Change {
            at,
            to: Phase::Closed,
        })
}

/// How long after `t` the phase next changes, within [`SEARCH_HORIZON`].
pub fn time_until_next_change(definition: &WindowDefinition, t: DateTime<Utc>) -> Option<Duration> {
    next_change(definition, t).map(|change| {
        Duration::from_secs(u64::try_from((change.at - t).num_seconds()).unwrap_or(0))
    })
}

/// The phase at `t`.
pub fn phase_at(definition: &WindowDefinition, t: DateTime<Utc>) -> Phase {
    match current_opening(definition, t) {
        Some(o) if o.may_start_at(t) => Phase::Open,
        Some(_) => Phase::PastCutoff,
        None => Phase::Closed,
    }
}

/// The phase at `t` and what comes next: what a MaintenanceWindow's status shows.
pub fn status_at(definition: &WindowDefinition, t: DateTime<Utc>) -> WindowStatus {
    let current = current_opening(definition, t);
    let phase = phase_at(definition, t);
    WindowStatus {
        phase,
        suspended: definition.suspend,
        current,
        next: next_openings(definition, t, 1).into_iter().next(),
        next_change: next_change(definition, t),
        blackout: definition
            .blackouts
            .iter()
            .find(|b| b.start <= t && t < b.end)
            .cloned(),
    }
}

/// The next `count` scheduled occurrences that start after `t`, including those a blackout
/// swallows, with what is left of each.
pub fn scheduled_occurrences(
    definition: &WindowDefinition,
    t: DateTime<Utc>,
    count: usize,
) -> Vec<Occurrence> {
    let until = horizon_end(t);
    let mut source = openings(definition, t, until);
    let mut occurrences = Vec::new();
    while occurrences.len() < count {
        let Some(merged) = source.next_merged() else {
            break;
        };
        let (start, end) = (merged.start, merged.end);
        if start >= until {
            break;
        }
        if start <= t {
            continue;
        }
        let blacked_out_by = source
            .blackouts
            .iter()
            .filter(|b| b.start < end && b.end > start)
            .map(|b| b.reason.clone())
            .collect();
        occurrences.push(Occurrence {
            scheduled_open: start,
            scheduled_close: end,
            openings: source.pieces(&merged),
            blacked_out_by,
        });
    }
    occurrences
}

/// A stretch of time in which no work can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Gap {
    /// How long the gap lasts.
    pub fn length(&self) -> Duration {
        Duration::from_secs(u64::try_from((self.until - self.from).num_seconds()).unwrap_or(0))
    }
}

/// The longest stretch in `[from, from + horizon)` during which no work can start: between
/// `from` and the first usable opening, between one opening's cutoff and the next opening, and
/// after the last cutoff up to the horizon. The whole horizon when the window never opens.
pub fn largest_gap_between_openings(
    definition: &WindowDefinition,
    from: DateTime<Utc>,
    horizon: Duration,
) -> Gap {
    largest_gap_across(std::slice::from_ref(definition), from, horizon)
}

/// [`largest_gap_between_openings`] for a policy with several windows: the longest stretch
/// during which none of `windows` lets work start.
pub fn largest_gap_across(
    windows: &[WindowDefinition],
    from: DateTime<Utc>,
    horizon: Duration,
) -> Gap {
    let until = from
        .checked_add_signed(horizon.to_chrono())
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut usable: Vec<Opening> = windows
        .iter()
        .flat_map(|w| openings(w, from, until).filter(Opening::is_usable))
        .collect();
    usable.sort_by_key(|o| (o.opens_at, o.cutoff_at));
    let mut largest = Gap { from, until: from };
    let mut gap_start = from;
    for opening in usable {
        if opening.opens_at > gap_start {
            let gap = Gap {
                from: gap_start,
                until: opening.opens_at,
            };
            if gap.length() > largest.length() {
                largest = gap;
            }
        }
        gap_start = gap_start.max(opening.cutoff_at);
    }
    if until > gap_start {
        let gap = Gap {
            from: gap_start,
            until,
        };
        if gap.length() > largest.length() {
            largest = gap;
        }
    }
    largest
}

/// Whether the window opens (usably) at least once in `[from, from + horizon)`.
pub fn opens_within(definition: &WindowDefinition, from: DateTime<Utc>, horizon: Duration) -> bool {
    let until = from
        .checked_add_signed(horizon.to_chrono())
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    openings(definition, from, until).any(|o| o.is_usable() && o.cutoff_at > from)
}

/// The earliest instant at or after `t` at which any of `windows` lets new work start, within
/// [`SEARCH_HORIZON`]: `t` itself when one is open and before its cutoff.
pub fn next_start_opportunity(
    windows: &[WindowDefinition],
    t: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let until = horizon_end(t);
    windows
        .iter()
        .filter_map(|w| {
            openings(w, t, until)
                .find(|o| o.cutoff_at > t && o.is_usable())
                .map(|o| o.opens_at.max(t))
        })
        .min()
}

/// Whether any of `windows` lets new work start at `t`.
pub fn any_may_start_work(windows: &[WindowDefinition], t: DateTime<Utc>) -> bool {
    windows.iter().any(|w| may_start_work(w, t))
}
