//! The condition updates every controller shares: `Ready`, `Stalled` and the
//! abnormal-true conditions (`Degraded`, `Reconciling`, `Progressing`) that are present only
//! while true. Each keeps a condition's transition time while its status holds
//! (`patchwarden_api::conditions::set_condition`).

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use patchwarden_api::conditions::{self as c, new_condition, set_condition};
use patchwarden_api::time::to_k8s;

/// Marks `conditions` as stalled on an invalid spec: `Stalled=True` and `Ready=False`, both
/// with `reason` and `message`; `Reconciling` is dropped (kstatus: Failed).
pub fn mark_stalled(
    conditions: &mut Vec<Condition>,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: DateTime<Utc>,
) {
    let at = to_k8s(now);
    set_condition(
        conditions,
        new_condition(c::STALLED, c::TRUE, reason, message, generation, at.clone()),
        at.clone(),
    );
    set_condition(
        conditions,
        new_condition(c::READY, c::FALSE, reason, message, generation, at.clone()),
        at,
    );
    c::remove_condition(conditions, c::RECONCILING);
    c::remove_condition(conditions, c::PROGRESSING);
}

/// Sets `Ready` to `status` with `reason`/`message` and drops `Stalled`.
pub fn mark_ready(
    conditions: &mut Vec<Condition>,
    status: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: DateTime<Utc>,
) {
    let at = to_k8s(now);
    set_condition(
        conditions,
        new_condition(c::READY, status, reason, message, generation, at.clone()),
        at,
    );
    c::remove_condition(conditions, c::STALLED);
}

/// Sets (when `Some`) or removes (when `None`) an abnormal-true condition such as `Degraded`
/// or `Reconciling`, which is only present while true.
pub fn mark_abnormal(
    conditions: &mut Vec<Condition>,
    type_: &str,
    reason_message: Option<(&str, &str)>,
    generation: Option<i64>,
    now: DateTime<Utc>,
) {
    match reason_message {
        Some((reason, message)) => {
            let at = to_k8s(now);
            set_condition(
                conditions,
                new_condition(type_, c::TRUE, reason, message, generation, at.clone()),
                at,
            );
        }
        None => {
            c::remove_condition(conditions, type_);
        }
    }
}
