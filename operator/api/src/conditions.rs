//! Status conditions: the condition types and reasons patchwarden writes, and the one function
//! that updates a condition list so unchanged conditions are never rewritten.
//!
//! Polarity follows Flux and kstatus: `Ready`, `Compliant` are normal-true; `Reconciling`,
//! `Stalled`, `Degraded` are abnormal-true and are only present while true (remove them with
//! [`remove_condition`]); `Progressing` is true while a rollout moves.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The summary condition every kind carries after the first visit (kstatus, `kubectl wait`).
pub const READY: &str = "Ready";
/// Every asset in scope has its approved patches applied within SLA (PatchPolicy).
pub const COMPLIANT: &str = "Compliant";
/// A rollout is moving (PatchPolicy, PatchRun).
pub const PROGRESSING: &str = "Progressing";
/// Something failed and needs a person: a halted run, a failed asset (abnormal-true).
pub const DEGRADED: &str = "Degraded";
/// The spec is invalid or a dependency cannot be resolved; retrying will not help (abnormal-true).
pub const STALLED: &str = "Stalled";
/// The controller is working towards the desired state (abnormal-true).
pub const RECONCILING: &str = "Reconciling";
/// Draining the policy's nodes would be blocked: the drain preflight names the budgets and
/// pods in the way (PatchPolicy, abnormal-true).
pub const DRAIN_BLOCKED: &str = "DrainBlocked";

/// `status` value of a condition that holds.
pub const TRUE: &str = "True";
/// `status` value of a condition that does not hold.
pub const FALSE: &str = "False";
/// `status` value of a condition whose state is not known yet.
pub const UNKNOWN: &str = "Unknown";

/// Condition reasons: one CamelCase word each.
pub mod reason {
    /// The last reconcile did what the spec asks.
    pub const SUCCEEDED: &str = "Succeeded";
    /// The last reconcile failed.
    pub const FAILED: &str = "Failed";
    /// Work is under way.
    pub const PROGRESSING: &str = "Progressing";
    /// `spec.suspend` is true.
    pub const SUSPENDED: &str = "Suspended";
    /// The spec does not parse or contradicts itself.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// A referenced resource does not exist.
    pub const REFERENCE_NOT_FOUND: &str = "ReferenceNotFound";
    /// State the controller persisted on the object cannot be read (e.g. a PatchRun's
    /// rollout state annotation was edited or truncated); starting over could repeat work.
    pub const INVALID_STATE: &str = "InvalidState";
    /// A dependency (feed, group, window) is not ready yet.
    pub const DEPENDENCY_NOT_READY: &str = "DependencyNotReady";
    /// Some members cannot be reached (`Stalled`) and are left out of runs.
    pub const MEMBERS_STALLED: &str = "MembersStalled";
    /// Waiting for a maintenance window to open.
    pub const WAITING_FOR_WINDOW: &str = "WaitingForWindow";
    /// Every asset in scope is compliant.
    pub const ALL_COMPLIANT: &str = "AllCompliant";
    /// Some assets have open approved patches.
    pub const PATCHES_PENDING: &str = "PatchesPending";
    /// Some findings are past their SLA deadline.
    pub const SLA_BREACHED: &str = "SlaBreached";
    /// A rollout halted after too many failures.
    pub const RUN_HALTED: &str = "RunHalted";
    /// An asset could not be reached.
    pub const UNREACHABLE: &str = "Unreachable";
    /// A feed's content did not match its expected digest.
    pub const DIGEST_MISMATCH: &str = "DigestMismatch";
    /// A feed load held no records; the last good content stays in use.
    pub const EMPTY_FEED: &str = "EmptyFeed";
    /// A feed load held far fewer records than the last good one (more than
    /// `spec.maxShrinkPercent` fewer); the last good content stays in use.
    pub const FEED_SHRANK: &str = "FeedShrank";
    /// Policy runs in `Plan` mode and changes nothing.
    pub const PLAN_ONLY: &str = "PlanOnly";
    /// The drain preflight found budgets or pods that would block draining a node.
    pub const DRAIN_PREFLIGHT_FAILED: &str = "DrainPreflightFailed";
    /// The drain preflight could not list the cluster's pods or budgets.
    pub const DRAIN_PREFLIGHT_UNAVAILABLE: &str = "DrainPreflightUnavailable";
}

/// A condition with the given fields, stamped with `now` as its transition time.
pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: impl Into<String>,
    observed_generation: Option<i64>,
    now: Time,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: reason.to_string(),
        message: message.into(),
        observed_generation,
        last_transition_time: now,
    }
}

/// Whether two conditions say the same thing, ignoring `lastTransitionTime`.
pub fn same_ignoring_time(a: &Condition, b: &Condition) -> bool {
    a.type_ == b.type_
        && a.status == b.status
        && a.reason == b.reason
        && a.message == b.message
        && a.observed_generation == b.observed_generation
}

/// Whether two condition lists say the same thing, ignoring order and transition times.
pub fn same_conditions(a: &[Condition], b: &[Condition]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter()
                .find(|y| y.type_ == x.type_)
                .is_some_and(|y| same_ignoring_time(x, y))
        })
}

/// Sets `new` in `conditions` (keyed by type). The transition time is `now` when the status
/// changes or the condition is new, and the previous one when the status is unchanged. Returns
/// whether anything other than timestamps changed, so a caller can skip writing status.
pub fn set_condition(conditions: &mut Vec<Condition>, new: Condition, now: Time) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(existing) => {
            if same_ignoring_time(existing, &new) {
                return false;
            }
            let last_transition_time = if existing.status == new.status {
                existing.last_transition_time.clone()
            } else {
                now
            };
            *existing = Condition {
                last_transition_time,
                ..new
            };
            true
        }
        None => {
            conditions.push(Condition {
                last_transition_time: now,
                ..new
            });
            true
        }
    }
}

/// Removes the condition of the given type; returns whether one was there. Used for the
/// abnormal-true conditions (`Reconciling`, `Stalled`, `Degraded`) that are absent when false.
pub fn remove_condition(conditions: &mut Vec<Condition>, type_: &str) -> bool {
    let before = conditions.len();
    conditions.retain(|c| c.type_ != type_);
    before != conditions.len()
}

/// The condition of the given type, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of the given type is present with status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.status == TRUE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    fn at(second: i64) -> Time {
        Time(Timestamp::from_second(second).expect("valid timestamp"))
    }

    #[test]
    fn unchanged_status_keeps_transition_time_and_reports_no_change() {
        let mut conditions = Vec::new();
        let first = new_condition(READY, TRUE, reason::SUCCEEDED, "ok", Some(1), at(100));
        assert!(set_condition(&mut conditions, first.clone(), at(100)));
        let again = new_condition(READY, TRUE, reason::SUCCEEDED, "ok", Some(1), at(200));
        assert!(!set_condition(&mut conditions, again, at(200)));
        assert_eq!(conditions[0].last_transition_time, at(100));
    }

    #[test]
    fn message_change_with_same_status_keeps_transition_time() {
        let mut conditions = vec![new_condition(
            READY,
            FALSE,
            reason::PROGRESSING,
            "patching 1/3",
            Some(1),
            at(100),
        )];
        let next = new_condition(
            READY,
            FALSE,
            reason::PROGRESSING,
            "patching 2/3",
            Some(1),
            at(150),
        );
        assert!(set_condition(&mut conditions, next, at(150)));
        assert_eq!(conditions[0].message, "patching 2/3");
        assert_eq!(conditions[0].last_transition_time, at(100));
    }

    #[test]
    fn status_change_moves_transition_time() {
        let mut conditions = vec![new_condition(
            READY,
            FALSE,
            reason::PROGRESSING,
            "",
            None,
            at(100),
        )];
        let done = new_condition(READY, TRUE, reason::SUCCEEDED, "", None, at(300));
        assert!(set_condition(&mut conditions, done, at(300)));
        assert_eq!(conditions[0].last_transition_time, at(300));
        assert!(is_true(&conditions, READY));
    }

    #[test]
    fn lists_compare_without_timestamps_or_order() {
        let a = vec![
            new_condition(READY, TRUE, reason::SUCCEEDED, "", Some(2), at(1)),
            new_condition(
                STALLED,
                TRUE,
                reason::INVALID_SPEC,
                "bad cron",
                Some(2),
                at(1),
            ),
        ];
        let b = vec![
            new_condition(
                STALLED,
                TRUE,
                reason::INVALID_SPEC,
                "bad cron",
                Some(2),
                at(9),
            ),
            new_condition(READY, TRUE, reason::SUCCEEDED, "", Some(2), at(9)),
        ];
        assert!(same_conditions(&a, &b));
        let mut c = b.clone();
        assert!(remove_condition(&mut c, STALLED));
        assert!(!same_conditions(&a, &c));
        assert!(!remove_condition(&mut c, STALLED));
    }
}
