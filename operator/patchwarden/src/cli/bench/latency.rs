//! Latency figures of a benchmark: nearest-rank percentiles of measured durations.

use std::time::Duration;

/// The summary of one series of measurements.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    pub samples: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentile `q` (0 < q ≤ 1) of `sorted` (ascending); `None` when empty.
pub(super) fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// p50, p95 and max of `samples`, in ms; `None` when there are none.
pub(super) fn summarize(samples: &[Duration]) -> Option<LatencySummary> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Some(LatencySummary {
        samples: sorted.len(),
        p50_ms: ms(percentile(&sorted, 0.50)?),
        p95_ms: ms(percentile(&sorted, 0.95)?),
        max_ms: ms(*sorted.last()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles_of_twenty_samples() {
        let samples = ms(&(1..=20).rev().map(|v| v * 10).collect::<Vec<_>>());
        let summary = summarize(&samples).expect("samples");
        assert_eq!(summary.samples, 20);
        assert_eq!(summary.p50_ms, 100.0);
        assert_eq!(summary.p95_ms, 190.0);
        assert_eq!(summary.max_ms, 200.0);
    }

    #[test]
    fn one_sample_is_every_percentile_and_none_is_nothing() {
        let summary = summarize(&ms(&[7])).expect("one sample");
        assert_eq!((summary.p50_ms, summary.p95_ms), (7.0, 7.0));
        assert_eq!(summarize(&[]), None);
    }
}
