//! How windows cover a stretch of time: the longest gap in which no work can start, whether a
//! window opens at all, and when any of a policy's windows next lets work start.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::openings::horizon_end;
use super::{Opening, WindowDefinition, may_start_work, openings};
use crate::Duration;

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
