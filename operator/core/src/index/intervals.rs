//! OSV range events as intervals of affected versions, pre-sorted once when the index is
//! built so that matching a version is a few comparisons per interval.

use std::cmp::Ordering;

use crate::advisory::RangeEvent;
use crate::version::VersionScheme;

/// Where an affected interval ends.
#[derive(Debug)]
pub(super) enum End {
    Fixed(Box<str>),
    LastAffected(Box<str>),
    Open,
}

/// One affected interval of a range.
#[derive(Debug)]
pub(super) struct Interval {
    /// `None`: from the beginning.
    pub(super) introduced: Option<Box<str>>,
    pub(super) end: End,
}

/// Turns OSV events into intervals: sorted by version (`introduced: "0"` first), then walked.
pub(super) fn intervals(scheme: VersionScheme, events: &[RangeEvent]) -> Vec<Interval> {
    let mut sorted: Vec<&RangeEvent> = events.iter().collect();
    sorted.sort_by(|a, b| match (version_of(a), version_of(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => scheme.compare(x, y),
    });
    let mut out = Vec::new();
    let mut open: Option<Option<Box<str>>> = None;
    for event in sorted {
        match event {
            RangeEvent::Introduced(_) => {
                if open.is_none() {
                    open = Some(version_of(event).map(Box::from));
                }
            }
            RangeEvent::Fixed(v) => {
                if let Some(introduced) = open.take() {
                    out.push(Interval {
                        introduced,
                        end: End::Fixed(Box::from(v.as_str())),
                    });
                }
            }
            RangeEvent::LastAffected(v) => {
                if let Some(introduced) = open.take() {
                    out.push(Interval {
                        introduced,
                        end: End::LastAffected(Box::from(v.as_str())),
                    });
                }
            }
        }
    }
    if let Some(introduced) = open {
        out.push(Interval {
            introduced,
            end: End::Open,
        });
    }
    out
}

/// The version an event names; `None` for `introduced: "0"`, the origin.
fn version_of(event: &RangeEvent) -> Option<&str> {
    match event {
        RangeEvent::Introduced(v) if v == "0" => None,
        RangeEvent::Introduced(v) | RangeEvent::Fixed(v) | RangeEvent::LastAffected(v) => Some(v),
    }
}

/// Whether `version` lies in the interval.
pub(super) fn contains(scheme: VersionScheme, interval: &Interval, version: &str) -> bool {
    if let Some(introduced) = &interval.introduced
        && scheme.compare(version, introduced) == Ordering::Less
    {
        return false;
    }
    match &interval.end {
        End::Fixed(fixed) => scheme.compare(version, fixed) == Ordering::Less,
        End::LastAffected(last) => scheme.compare(version, last) != Ordering::Greater,
        End::Open => true,
    }
}
