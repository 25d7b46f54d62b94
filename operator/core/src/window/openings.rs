//! The openings of a window, in time order and lazily: schedule occurrences shifted by the
//! offset, merged where they overlap, and cut by blackouts; and the scheduled occurrences with
//! what blackouts leave of them.

use std::collections::VecDeque;

use chrono::{DateTime, Days, NaiveDateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{Blackout, MAX_MERGED_OCCURRENCES, SEARCH_HORIZON, WindowDefinition, resolve_local};

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
    pub(super) fn next_merged(&mut self) -> Option<Merged> {
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
pub(super) struct Merged {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The stretch goes on past `end` (only when the merge limit cut it).
    pub(super) continues: bool,
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

/// `t` plus [`SEARCH_HORIZON`], or the end of time.
pub(super) fn horizon_end(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_add_signed(SEARCH_HORIZON.to_chrono())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
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
