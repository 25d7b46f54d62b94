//! Behavioural health: a health check that measures a number (a latency, an error rate) is
//! read before patching as a baseline and again after; a value beyond the policy's bound fails
//! the asset like a failed check. This module reads the number a check printed and compares.

use serde::{Deserialize, Serialize};

/// How far a measured value may move after patching. Either bound, or both, may be set.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MetricBound {
    /// The value after patching may exceed the baseline by at most this percentage.
    pub max_increase_percent: Option<f64>,
    /// The value after patching may be at most this, whatever the baseline.
    pub max: Option<f64>,
}

/// Why a measured value fails its bound, or could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricFailure {
    /// The check's output is not a number.
    #[error("{check}: the output is not a number: {found:?}")]
    NotANumber { check: String, found: String },
    /// Above the absolute bound.
    #[error("{check}: {after} after patching is above the maximum {max}")]
    AboveMax { check: String, after: f64, max: f64 },
    /// Grew more than allowed over the baseline.
    #[error(
        "{check}: {after} after patching is {increase:.1}% above the baseline {baseline}, more than the {allowed}% allowed"
    )]
    IncreasedTooMuch {
        check: String,
        baseline: f64,
        after: f64,
        increase: f64,
        allowed: f64,
    },
}

/// The longest output quoted back in a failure: outputs can be long and are not ours.
const MAX_QUOTED_CHARS: usize = 80;

/// The number a check printed: the trimmed output must be one finite number (`12`, `0.05`,
/// `1e-3`).
pub fn parse_measurement(check: &str, output: &str) -> Result<f64, MetricFailure> {
    let text = output.trim();
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| MetricFailure::NotANumber {
            check: check.to_string(),
            found: text.chars().take(MAX_QUOTED_CHARS).collect(),
        })
}

/// Whether `after` stays within `bound` of `baseline`. The absolute bound is checked first;
/// the relative one needs a baseline, and from a baseline of zero any increase is unbounded.
pub fn compare(
    check: &str,
    baseline: Option<f64>,
    after: f64,
    bound: &MetricBound,
) -> Result<(), MetricFailure> {
    if let Some(max) = bound.max
        && after > max
    {
        return Err(MetricFailure::AboveMax {
            check: check.to_string(),
            after,
            max,
        });
    }
    let (Some(allowed), Some(baseline)) = (bound.max_increase_percent, baseline) else {
        return Ok(());
    };
    if after <= baseline {
        return Ok(());
    }
    let increase = if baseline > 0.0 {
        (after - baseline) / baseline * 100.0
    } else {
        f64::INFINITY
    };
    if increase > allowed {
        return Err(MetricFailure::IncreasedTooMuch {
            check: check.to_string(),
            baseline,
            after,
            increase,
            allowed,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(max_increase_percent: Option<f64>, max: Option<f64>) -> MetricBound {
        MetricBound {
            max_increase_percent,
            max,
        }
    }

    #[test]
    fn a_printed_number_is_read_and_anything_else_is_refused() {
        assert_eq!(parse_measurement("latency", " 12.5\n"), Ok(12.5));
        assert_eq!(parse_measurement("errors", "1e-3"), Ok(0.001));
        for bad in ["", "fast", "12 ms", "NaN", "inf"] {
            let failure = parse_measurement("latency", bad).expect_err(bad);
            assert!(matches!(failure, MetricFailure::NotANumber { .. }), "{bad}");
        }
        let long = "x".repeat(500);
        let failure = parse_measurement("latency", &long).expect_err("long");
        assert!(failure.to_string().len() < 200, "{failure}");
    }

    #[test]
    fn doubling_fails_a_fifty_percent_bound_and_a_small_rise_does_not() {
        let half = bound(Some(50.0), None);
        assert_eq!(compare("latency", Some(100.0), 140.0, &half), Ok(()));
        assert_eq!(compare("latency", Some(100.0), 150.0, &half), Ok(()));
        assert_eq!(compare("latency", Some(100.0), 80.0, &half), Ok(()));
        let failure = compare("latency", Some(100.0), 200.0, &half).expect_err("doubled");
        assert_eq!(
            failure.to_string(),
            "latency: 200 after patching is 100.0% above the baseline 100, more than the 50% allowed"
        );
    }

    #[test]
    fn an_absolute_maximum_holds_whatever_the_baseline() {
        let max = bound(None, Some(0.05));
        assert_eq!(compare("errors", None, 0.05, &max), Ok(()));
        let failure = compare("errors", Some(0.2), 0.06, &max).expect_err("above");
        assert_eq!(
            failure.to_string(),
            "errors: 0.06 after patching is above the maximum 0.05"
        );
    }

    #[test]
    fn a_relative_bound_needs_a_baseline_and_zero_allows_no_increase() {
        let half = bound(Some(50.0), None);
        assert_eq!(compare("latency", None, 1e9, &half), Ok(()));
        assert_eq!(compare("errors", Some(0.0), 0.0, &half), Ok(()));
        let failure = compare("errors", Some(0.0), 0.01, &half).expect_err("from zero");
        assert!(matches!(failure, MetricFailure::IncreasedTooMuch { .. }));
        assert_eq!(
            compare("anything", Some(1.0), 1e9, &bound(None, None)),
            Ok(())
        );
    }
}
