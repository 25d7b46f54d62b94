//! A compact, mergeable record of durations: counts in fixed buckets.
//!
//! Quantiles read from it are bucket upper bounds ("p90 at most 10m"), so they are stable,
//! never underestimate, and two records of the same buckets add up exactly.

use serde::{Deserialize, Serialize};

use crate::duration::Duration;

/// Upper bounds of the buckets, in seconds; a last, open bucket holds everything longer.
pub const BUCKET_BOUNDS: [u64; 12] = [
    30, 60, 120, 300, 600, 900, 1_200, 1_800, 2_700, 3_600, 7_200, 14_400,
];

/// Counts of durations per bucket of `BUCKET_BOUNDS`, plus the longest one seen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationHistogram {
    /// Count per bucket; one more entry than `BUCKET_BOUNDS` (the open bucket). Trailing
    /// empty buckets are left out.
    #[serde(default)]
    pub counts: Vec<u32>,
    /// The longest duration recorded, in seconds.
    #[serde(default)]
    pub max_seconds: u64,
}

impl DurationHistogram {
    /// Records one duration.
    pub fn record(&mut self, seconds: u64) {
        let bucket = BUCKET_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKET_BOUNDS.len());
        if self.counts.len() <= bucket {
            self.counts.resize(bucket + 1, 0);
        }
        self.counts[bucket] = self.counts[bucket].saturating_add(1);
        self.max_seconds = self.max_seconds.max(seconds);
    }

    /// How many durations it holds.
    pub fn samples(&self) -> u64 {
        self.counts.iter().map(|c| u64::from(*c)).sum()
    }

    /// The `q` quantile (0 < q ≤ 1) as the upper bound of the bucket it falls in (the
    /// longest duration seen for the open bucket, and never more than it); `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.samples();
        if total == 0 {
            return None;
        }
        // The rank of the quantile, at least the first sample: ceil(q * n).
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += u64::from(*count);
            if seen >= rank {
                let bound = BUCKET_BOUNDS
                    .get(bucket)
                    .copied()
                    .unwrap_or(self.max_seconds);
                return Some(Duration::from_secs(bound.min(self.max_seconds)));
            }
        }
        Some(Duration::from_secs(self.max_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_bucket_bounds_capped_by_the_longest() {
        let mut h = DurationHistogram::default();
        for s in [10, 20, 50, 100, 400, 500, 550, 580, 590, 5_000] {
            h.record(s);
        }
        assert_eq!(h.samples(), 10);
        assert_eq!(h.quantile(0.5), Some(Duration::from_secs(600)));
        assert_eq!(h.quantile(0.2), Some(Duration::from_secs(30)));
        assert_eq!(h.quantile(0.9), Some(Duration::from_secs(600)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_secs(5_000)));
    }

    #[test]
    fn empty_has_no_quantile_and_open_bucket_reads_the_max() {
        let mut h = DurationHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        h.record(50_000);
        assert_eq!(h.counts.len(), BUCKET_BOUNDS.len() + 1);
        assert_eq!(h.quantile(0.5), Some(Duration::from_secs(50_000)));
    }

    #[test]
    fn single_short_sample_is_not_rounded_up() {
        let mut h = DurationHistogram::default();
        h.record(7);
        assert_eq!(h.quantile(0.9), Some(Duration::from_secs(7)));
    }
}
