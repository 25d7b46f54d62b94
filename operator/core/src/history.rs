//! Bounded history of a policy's counts, and which finished runs a policy prunes.
//!
//! A policy keeps a compact time series (one point per reconcile that changed a count) so its
//! trends survive the pruning of old PatchRuns. The series is bounded: once it is longer than
//! its cap, the point whose removal loses the least (the one between the closest neighbours in
//! time) is dropped, so old stretches thin out evenly while the first and last points stay.

use chrono::{DateTime, Utc};

/// The most points a policy's history keeps.
pub const MAX_POINTS: usize = 200;

/// Appends `next` unless it carries the same counts as the last point (`same` compares counts,
/// not times), then thins the series to `max` points. Returns whether anything changed.
pub fn record<T>(
    points: &mut Vec<T>,
    next: T,
    max: usize,
    same: impl Fn(&T, &T) -> bool,
    time: impl Fn(&T) -> DateTime<Utc>,
) -> bool {
    if points.last().is_some_and(|last| same(last, &next)) {
        return false;
    }
    points.push(next);
    downsample(points, max, time);
    true
}

/// Drops points until at most `max` remain (never the first or the last): each time the inner
/// point whose neighbours are closest in time, the oldest on a tie.
pub fn downsample<T>(points: &mut Vec<T>, max: usize, time: impl Fn(&T) -> DateTime<Utc>) {
    let max = max.max(2);
    while points.len() > max {
        let mut best: Option<(usize, i64)> = None;
        for index in 1..points.len() - 1 {
            let gap = (time(&points[index + 1]) - time(&points[index - 1])).num_milliseconds();
            if best.is_none_or(|(_, smallest)| gap < smallest) {
                best = Some((index, gap));
            }
        }
        match best {
            Some((index, _)) => {
                points.remove(index);
            }
            None => break,
        }
    }
}

/// A run as the pruning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunableRun {
    /// The PatchRun's name.
    pub name: String,
    /// When it finished; `None` while it has not (such runs are never pruned).
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether what must outlive it is recorded (its evidence, its count in the policy's
    /// history): a run is never deleted before, or that would be lost.
    pub recorded: bool,
}

/// The finished runs to delete so that only the newest `keep` finished runs remain, oldest
/// first. Runs that have not finished are never pruned and do not count; a finished run
/// not recorded yet waits for a later pass.
pub fn runs_to_prune(runs: &[PrunableRun], keep: usize) -> Vec<String> {
    let mut finished: Vec<(&DateTime<Utc>, &str, bool)> = runs
        .iter()
        .filter_map(|r| {
            let at = r.finished_at.as_ref()?;
            Some((at, r.name.as_str(), r.recorded))
        })
        .collect();
    finished.sort();
    let excess = finished.len().saturating_sub(keep);
    finished
        .into_iter()
        .take(excess)
        .filter(|(_, _, recorded)| *recorded)
        .map(|(_, name, _)| name.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + chrono::Duration::minutes(minute)
    }

    fn record_all(values: &[(i64, u32)], max: usize) -> Vec<(DateTime<Utc>, u32)> {
        let mut points = Vec::new();
        for &(minute, value) in values {
            record(
                &mut points,
                (at(minute), value),
                max,
                |a, b| a.1 == b.1,
                |p| p.0,
            );
        }
        points
    }

    #[test]
    fn unchanged_counts_add_no_point() {
        let points = record_all(&[(0, 3), (1, 3), (2, 2), (3, 2), (4, 3)], 10);
        assert_eq!(points, vec![(at(0), 3), (at(2), 2), (at(4), 3)]);
    }

    #[test]
    fn series_is_bounded_keeping_first_and_last() {
        let values: Vec<(i64, u32)> = (0..1000).map(|m| (m, (m % 7) as u32)).collect();
        let points = record_all(&values, 200);
        assert_eq!(points.len(), 200);
        assert_eq!(points.first().map(|p| p.0), Some(at(0)));
        assert_eq!(points.last().map(|p| p.0), Some(at(999)));
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn downsampling_drops_the_most_crowded_point() {
        let mut points = vec![at(0), at(10), at(11), at(12), at(30)];
        downsample(&mut points, 4, |p| *p);
        assert_eq!(points, vec![at(0), at(10), at(12), at(30)]);
    }

    #[test]
    fn prunes_oldest_finished_runs_beyond_keep() {
        let run = |name: &str, finished: Option<i64>, recorded: bool| PrunableRun {
            name: name.to_string(),
            finished_at: finished.map(at),
            recorded,
        };
        let runs = vec![
            run("c", Some(30), true),
            run("a", Some(10), true),
            run("active", None, false),
            run("b", Some(20), true),
        ];
        assert_eq!(runs_to_prune(&runs, 1), vec!["a", "b"]);
        assert_eq!(runs_to_prune(&runs, 3), Vec::<String>::new());
        assert_eq!(runs_to_prune(&runs, 0), vec!["a", "b", "c"]);
        // An unrecorded run is kept for now, and a newer one does not go in its place.
        let runs = vec![run("a", Some(10), false), run("b", Some(20), true)];
        assert_eq!(runs_to_prune(&runs, 1), Vec::<String>::new());
    }
}
