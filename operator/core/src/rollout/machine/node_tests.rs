use chrono::TimeZone;

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0)
        .single()
        .unwrap_or_default()
}

fn settings() -> NodeSettings {
    NodeSettings {
        drain_timeout: TimeDelta::seconds(300),
        ready_timeout: TimeDelta::seconds(600),
        reboot: RebootMode::IfRequired,
    }
}

fn facts() -> NodeFacts {
    NodeFacts {
        unschedulable: false,
        pods_left: Vec::new(),
        pods_refused: Vec::new(),
        patch: PatchState::NotStarted,
        lock: RebootLock::Free,
        rebooted: false,
        ready: true,
    }
}

/// Runs the machine against a tiny simulated node until it finishes, returning the actions in
/// order and the outcome. `world` changes the facts after each decision (the kubelet, the
/// executor, the other nodes).
fn run(
    mut observed: NodeFacts,
    mut world: impl FnMut(&mut NodeFacts, &[NodeAction], i64),
) -> (Vec<NodeAction>, NodeOutcome) {
    let mut phase = NodePhase::Cordoning;
    let mut all = Vec::new();
    for tick in 0..200 {
        let now = at(tick * 10);
        let decision = step_node(&phase, &observed, &settings(), now);
        for action in &decision.actions {
            match action {
                NodeAction::Cordon => observed.unschedulable = true,
                NodeAction::Uncordon => observed.unschedulable = false,
                NodeAction::AcquireRebootLock => observed.lock = RebootLock::HeldByThisNode,
                NodeAction::ReleaseRebootLock => observed.lock = RebootLock::Free,
                _ => {}
            }
        }
        world(&mut observed, &decision.actions, tick);
        all.extend(decision.actions);
        phase = decision.phase;
        if let NodePhase::Finished { outcome } = &phase {
            return (all, outcome.clone());
        }
    }
    panic!("the node never finished: {phase:?}");
}

fn distinct(actions: &[NodeAction]) -> Vec<NodeAction> {
    let mut out: Vec<NodeAction> = Vec::new();
    for action in actions {
        if out.last() != Some(action) {
            out.push(*action);
        }
    }
    out
}

#[test]
fn a_node_needing_a_reboot_goes_through_every_step_in_order() {
    let mut observed = facts();
    observed.pods_left = vec!["shop/web-1".to_owned()];
    let (actions, outcome) = run(observed, |f, actions, _| {
        if actions.contains(&NodeAction::EvictPods) {
            f.pods_left.clear();
        }
        if actions.contains(&NodeAction::Patch) {
            f.patch = PatchState::Succeeded {
                reboot_required: true,
            };
        }
        if actions.contains(&NodeAction::Reboot) {
            f.rebooted = true;
            f.ready = false;
        } else if f.rebooted {
            // The kubelet reports Ready again one step after the reboot.
            f.ready = true;
        }
    });
    assert_eq!(outcome, NodeOutcome::Patched);
    assert_eq!(
        distinct(&actions),
        [
            NodeAction::Cordon,
            NodeAction::EvictPods,
            NodeAction::Patch,
            NodeAction::AcquireRebootLock,
            NodeAction::Reboot,
            NodeAction::ReleaseRebootLock,
            NodeAction::Uncordon,
        ]
    );
}

#[test]
fn a_budget_of_zero_times_out_into_drain_blocked_and_the_node_is_uncordoned() {
    let mut observed = facts();
    observed.pods_left = vec!["shop/db-0".to_owned()];
    // Every eviction is answered 429: the pod never leaves.
    let (actions, outcome) = run(observed, |_, _, _| {});
    assert_eq!(
        outcome,
        NodeOutcome::DrainBlocked(
            "the drain did not finish within 300s; pods left: shop/db-0".to_owned()
        )
    );
    assert_eq!(
        distinct(&actions),
        [
            NodeAction::Cordon,
            NodeAction::EvictPods,
            NodeAction::Uncordon
        ]
    );
    assert!(!actions.contains(&NodeAction::Patch));
}

#[test]
fn a_pod_that_may_not_be_evicted_blocks_at_once_and_uncordons() {
    let mut observed = facts();
    observed.pods_left = vec!["shop/debug".to_owned()];
    observed.pods_refused = vec!["shop/debug has no controller".to_owned()];
    let (actions, outcome) = run(observed, |_, _, _| {});
    assert!(matches!(outcome, NodeOutcome::DrainBlocked(m) if m.contains("shop/debug")));
    assert_eq!(actions, [NodeAction::Cordon, NodeAction::Uncordon]);
}

#[test]
fn the_lock_held_by_another_node_waits_and_no_reboot_means_no_lock() {
    let decision = step_node(
        &NodePhase::Locking,
        &NodeFacts {
            lock: RebootLock::HeldByAnother,
            ..facts()
        },
        &settings(),
        at(0),
    );
    assert_eq!(decision, stay(&NodePhase::Locking, None));
    let (actions, outcome) = run(facts(), |f, actions, _| {
        if actions.contains(&NodeAction::Patch) {
            f.patch = PatchState::Succeeded {
                reboot_required: false,
            };
        }
    });
    assert_eq!(outcome, NodeOutcome::Patched);
    assert_eq!(
        distinct(&actions),
        [NodeAction::Cordon, NodeAction::Patch, NodeAction::Uncordon]
    );
}

#[test]
fn a_failed_patch_uncordons_and_a_node_that_stays_down_keeps_the_lock() {
    let (actions, outcome) = run(facts(), |f, actions, _| {
        if actions.contains(&NodeAction::Patch) {
            f.patch = PatchState::Failed("dpkg exited 100".to_owned());
        }
    });
    assert_eq!(outcome, NodeOutcome::Failed("dpkg exited 100".to_owned()));
    assert_eq!(actions.last(), Some(&NodeAction::Uncordon));

    let (actions, outcome) = run(facts(), |f, actions, _| {
        if actions.contains(&NodeAction::Patch) {
            f.patch = PatchState::Succeeded {
                reboot_required: true,
            };
        }
        if actions.contains(&NodeAction::Reboot) {
            f.rebooted = true;
            f.ready = false;
        }
    });
    assert!(matches!(outcome, NodeOutcome::Failed(m) if m.contains("keeps the reboot lock")));
    assert!(!actions.contains(&NodeAction::ReleaseRebootLock));
    assert!(!actions.contains(&NodeAction::Uncordon));
}
