//! Health verdicts: every health check runs before patching (the baseline) and after; this
//! module decides, from the two outcomes, whether a failing check counts against the patch.
//!
//! A check that already failed before patching is reported but does not fail the asset: the
//! patch did not break it. A check with no baseline (it was lost, e.g. in a restart) counts as
//! passing before, so its failure after patching fails the asset. A check that cannot be made
//! at all after patching (connection refused, timeout, no executor) gives no evidence of
//! health, so it fails the asset whatever its baseline.

use std::fmt;

/// How one run of a check ended (after its attempts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The check passed.
    Passed,
    /// The check answered unhealthy; why, for people.
    Failed { detail: String },
    /// The check could not be made (nothing answered, or it did not finish in time).
    Unreachable { detail: String },
}

impl CheckOutcome {
    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        matches!(self, CheckOutcome::Passed)
    }
}

/// The outcome of an HTTP check from the response's status and body: healthy when the status
/// is `expect_status` and, when `body_contains` is set, the body contains it.
pub fn http_outcome(
    expect_status: u16,
    body_contains: Option<&str>,
    status: u16,
    body: &str,
) -> CheckOutcome {
    if status != expect_status {
        return CheckOutcome::Failed {
            detail: format!("HTTP status {status}, expected {expect_status}"),
        };
    }
    match body_contains {
        Some(needle) if !body.contains(needle) => CheckOutcome::Failed {
            detail: format!("HTTP status {status}, but the body does not contain {needle:?}"),
        },
        _ => CheckOutcome::Passed,
    }
}

/// One check's outcomes before and after patching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    /// The check's name.
    pub name: String,
    /// Its outcome before patching, if known.
    pub baseline: Option<CheckOutcome>,
    /// Its outcome after patching.
    pub after: CheckOutcome,
}

/// What the checks of one asset say about its patch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthVerdict {
    /// Checks that passed before (or have no baseline) and fail after: the patch broke them.
    pub broken: Vec<(String, String)>,
    /// Checks that failed before patching and still fail: reported, not counted.
    pub already_failing: Vec<(String, String)>,
    /// Checks that could not be made after patching: no evidence, so they count.
    pub unreachable: Vec<(String, String)>,
}

impl HealthVerdict {
    /// Whether the patch broke no check.
    pub fn healthy(&self) -> bool {
        self.broken.is_empty() && self.unreachable.is_empty()
    }
}

impl fmt::Display for HealthVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (name, detail) in &self.broken {
            parts.push(format!(
                "health check {name} failed after patching: {detail}"
            ));
        }
        for (name, detail) in &self.unreachable {
            parts.push(format!(
                "health check {name} could not be made after patching: {detail}"
            ));
        }
        for (name, detail) in &self.already_failing {
            parts.push(format!(
                "health check {name} was already failing before patching (not counted): {detail}"
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// Judges each check from its baseline and its outcome after patching.
pub fn judge(records: &[CheckRecord]) -> HealthVerdict {
    let mut verdict = HealthVerdict::default();
    for record in records {
        let detail = match &record.after {
            CheckOutcome::Passed => continue,
            CheckOutcome::Unreachable { detail } => {
                verdict
                    .unreachable
                    .push((record.name.clone(), detail.clone()));
                continue;
            }
            CheckOutcome::Failed { detail } => detail,
        };
        let entry = (record.name.clone(), detail.clone());
        match &record.baseline {
            Some(CheckOutcome::Failed { .. }) => verdict.already_failing.push(entry),
            Some(CheckOutcome::Passed | CheckOutcome::Unreachable { .. }) | None => {
                verdict.broken.push(entry)
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(detail: &str) -> CheckOutcome {
        CheckOutcome::Failed {
            detail: detail.into(),
        }
    }

    fn record(name: &str, baseline: Option<CheckOutcome>, after: CheckOutcome) -> CheckRecord {
        CheckRecord {
            name: name.into(),
            baseline,
            after,
        }
    }

    #[test]
    fn a_check_that_passed_before_and_fails_after_breaks_the_patch() {
        let verdict = judge(&[record(
            "web",
            Some(CheckOutcome::Passed),
            failed("HTTP 500"),
        )]);
        assert!(!verdict.healthy());
        assert_eq!(
            verdict.broken,
            [("web".to_string(), "HTTP 500".to_string())]
        );
        assert_eq!(
            verdict.to_string(),
            "health check web failed after patching: HTTP 500"
        );
    }

    #[test]
    fn a_check_already_failing_before_patching_is_reported_and_not_counted() {
        let verdict = judge(&[
            record("db", Some(failed("refused")), failed("refused")),
            record("web", Some(CheckOutcome::Passed), CheckOutcome::Passed),
        ]);
        assert!(verdict.healthy());
        assert_eq!(
            verdict.to_string(),
            "health check db was already failing before patching (not counted): refused"
        );
    }

    #[test]
    fn a_check_that_cannot_be_made_after_patching_fails_the_asset_whatever_its_baseline() {
        let unreachable = || CheckOutcome::Unreachable {
            detail: "connection refused".into(),
        };
        let verdict = judge(&[record("web", Some(unreachable()), unreachable())]);
        assert!(!verdict.healthy());
        assert_eq!(
            verdict.to_string(),
            "health check web could not be made after patching: connection refused"
        );
        // Unreachable before, answering unhealthy after: the patch gets the blame.
        let verdict = judge(&[record("web", Some(unreachable()), failed("HTTP 500"))]);
        assert_eq!(verdict.broken.len(), 1);
    }

    #[test]
    fn a_check_without_a_baseline_counts_as_passing_before() {
        let verdict = judge(&[record("web", None, failed("timeout"))]);
        assert!(!verdict.healthy());
    }

    #[test]
    fn a_check_that_recovers_after_patching_is_healthy() {
        let verdict = judge(&[record("web", Some(failed("503")), CheckOutcome::Passed)]);
        assert!(verdict.healthy());
        assert_eq!(verdict.to_string(), "");
    }

    #[test]
    fn http_outcomes_compare_the_status_and_the_body() {
        assert_eq!(http_outcome(200, None, 200, ""), CheckOutcome::Passed);
        assert_eq!(
            http_outcome(200, None, 500, "boom"),
            failed("HTTP status 500, expected 200")
        );
        assert_eq!(
            http_outcome(200, Some("ok"), 200, "status: ok"),
            CheckOutcome::Passed
        );
        assert_eq!(
            http_outcome(200, Some("ok"), 200, "degraded"),
            failed("HTTP status 200, but the body does not contain \"ok\"")
        );
    }
}
