use chrono::{TimeZone, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use super::*;

fn lease(holder: Option<&str>, renewed_seconds_ago: i64) -> Lease {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    Lease {
        spec: Some(LeaseSpec {
            holder_identity: holder.map(str::to_string),
            lease_duration_seconds: Some(600),
            renew_time: Some(MicroTime(
                to_k8s(now - TimeDelta::seconds(renewed_seconds_ago)).0,
            )),
            ..LeaseSpec::default()
        }),
        ..Lease::default()
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn the_lease_is_free_when_missing_unheld_or_lapsed() {
    assert_eq!(lock_of(None, "node-a", now()), RebootLock::Free);
    assert_eq!(
        lock_of(Some(&lease(None, 0)), "node-a", now()),
        RebootLock::Free
    );
    assert_eq!(
        lock_of(Some(&lease(Some("node-b"), 601)), "node-a", now()),
        RebootLock::Free
    );
}

#[test]
fn the_lease_is_held_by_its_holder_until_it_lapses() {
    assert_eq!(
        lock_of(Some(&lease(Some("node-a"), 10)), "node-a", now()),
        RebootLock::HeldByThisNode
    );
    assert_eq!(
        lock_of(Some(&lease(Some("node-b"), 599)), "node-a", now()),
        RebootLock::HeldByAnother
    );
}
