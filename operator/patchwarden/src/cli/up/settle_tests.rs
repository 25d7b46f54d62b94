//! When `up --exit-when-settled` counts a policy as settled.

use patchwarden_api::PatchPolicySpec;

use super::*;

fn policy(generation: i64) -> PatchPolicy {
    let mut policy = PatchPolicy::new("standard", PatchPolicySpec::default());
    policy.metadata.generation = Some(generation);
    policy
}

fn condition(type_: &str, status: &str, reason: &str) -> Condition {
    c::new_condition(
        type_,
        status,
        reason,
        "",
        Some(1),
        patchwarden_api::time::to_k8s(chrono::DateTime::UNIX_EPOCH),
    )
}

fn status(conditions: Vec<Condition>) -> PatchPolicyStatus {
    PatchPolicyStatus {
        observed_generation: Some(1),
        conditions,
        ..PatchPolicyStatus::default()
    }
}

fn settled(policy: &PatchPolicy, status: &PatchPolicyStatus) -> bool {
    Standing::of(status).settled(policy, status)
}

#[test]
fn a_degraded_policy_waiting_for_other_assessments_cannot_progress_and_is_settled() {
    // Members that are stalled (a tool missing on the machine) are set aside; the others
    // never get assessed either, so waiting for them would last until the timeout.
    let stuck = status(vec![
        condition(c::READY, c::FALSE, c::reason::DEPENDENCY_NOT_READY),
        condition(c::DEGRADED, c::TRUE, c::reason::MEMBERS_STALLED),
    ]);
    assert!(settled(&policy(1), &stuck));
    let stalled = status(vec![
        condition(c::READY, c::FALSE, c::reason::DEPENDENCY_NOT_READY),
        condition(c::STALLED, c::TRUE, c::reason::INVALID_SPEC),
    ]);
    assert!(settled(&policy(1), &stalled));
}

#[test]
fn a_policy_with_a_run_in_flight_an_old_generation_or_waiting_is_not_settled() {
    let mut running = status(vec![condition(c::DEGRADED, c::TRUE, c::reason::RUN_HALTED)]);
    running.active_run = Some("standard-2".into());
    assert!(!settled(&policy(1), &running));
    let degraded = status(vec![condition(c::DEGRADED, c::TRUE, c::reason::RUN_HALTED)]);
    assert!(!settled(&policy(2), &degraded));
    let waiting = status(vec![condition(
        c::READY,
        c::FALSE,
        c::reason::DEPENDENCY_NOT_READY,
    )]);
    assert!(!settled(&policy(1), &waiting));
    let not_failed = status(vec![
        condition(c::READY, c::TRUE, c::reason::SUCCEEDED),
        condition(c::DEGRADED, c::FALSE, c::reason::SUCCEEDED),
    ]);
    assert!(settled(&policy(1), &not_failed));
    assert!(!settled(&policy(1), &status(Vec::new())));
}

fn finished(policy: &PatchPolicy, status: &PatchPolicyStatus) -> bool {
    Standing::of(status).finished(policy, status)
}

#[test]
fn a_settled_policy_with_every_member_compliant_has_finished() {
    let done = status(vec![
        condition(c::READY, c::TRUE, c::reason::SUCCEEDED),
        condition(c::COMPLIANT, c::TRUE, c::reason::ALL_COMPLIANT),
    ]);
    assert!(finished(&policy(1), &done));
}

#[test]
fn a_policy_with_patches_pending_a_run_in_flight_a_stale_condition_or_a_failure_has_not_finished() {
    // Between two runs of one window: settled for a moment, with members still to patch.
    let between_runs = status(vec![
        condition(c::READY, c::TRUE, c::reason::SUCCEEDED),
        condition(c::COMPLIANT, c::FALSE, c::reason::PATCHES_PENDING),
    ]);
    assert!(settled(&policy(1), &between_runs));
    assert!(!finished(&policy(1), &between_runs));

    let mut running = status(vec![
        condition(c::READY, c::TRUE, c::reason::SUCCEEDED),
        condition(c::COMPLIANT, c::TRUE, c::reason::ALL_COMPLIANT),
    ]);
    running.active_run = Some("standard-2".into());
    assert!(!finished(&policy(1), &running));

    // The status observed generation 2, but its Compliant condition was written for 1.
    let mut stale = status(vec![
        condition(c::READY, c::TRUE, c::reason::SUCCEEDED),
        condition(c::COMPLIANT, c::TRUE, c::reason::ALL_COMPLIANT),
    ]);
    stale.observed_generation = Some(2);
    assert!(settled(&policy(2), &stale));
    assert!(!finished(&policy(2), &stale));

    let degraded = status(vec![
        condition(c::READY, c::FALSE, c::reason::RUN_HALTED),
        condition(c::DEGRADED, c::TRUE, c::reason::RUN_HALTED),
        condition(c::COMPLIANT, c::TRUE, c::reason::ALL_COMPLIANT),
    ]);
    assert!(settled(&policy(1), &degraded));
    assert!(!finished(&policy(1), &degraded));

    let waiting = status(vec![
        condition(c::READY, c::FALSE, c::reason::DEPENDENCY_NOT_READY),
        condition(c::COMPLIANT, c::TRUE, c::reason::ALL_COMPLIANT),
    ]);
    assert!(!finished(&policy(1), &waiting));
}
