//! One window at one instant: open, past its cutoff or closed, the opening in progress, the
//! next change of phase, and what a MaintenanceWindow's status shows.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::openings::horizon_end;
use super::{Blackout, Opening, WindowDefinition, openings};
use crate::Duration;

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
