//! Status: what a MaintenanceWindow shows — the computed openings and `Ready` — with a
//! `WindowOpened` or `WindowClosed` Event when it just opened or closed.

use chrono::{DateTime, Utc};
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::maintenance_window::{MaintenanceWindow, MaintenanceWindowStatus};

use crate::controllers::error::ReconcileError;
use crate::controllers::{Context, mark_ready, reconcile_requested_at, status};

/// Writes `computed` as the window's status (its conditions carried over, `Ready=True`
/// with `message`), and publishes the opening or closing.
pub async fn show(
    context: &Context,
    window: &MaintenanceWindow,
    computed: MaintenanceWindowStatus,
    suspended: bool,
    message: String,
    now: DateTime<Utc>,
) -> Result<(), ReconcileError> {
    let stored = window.status.clone().unwrap_or_default();
    let generation = window.metadata.generation;
    let mut desired = MaintenanceWindowStatus {
        conditions: stored.conditions.clone(),
        observed_generation: generation,
        last_handled_reconcile_at: reconcile_requested_at(window)
            .or(stored.last_handled_reconcile_at.clone()),
        ..computed
    };
    let why = if suspended {
        reason::SUSPENDED
    } else {
        reason::SUCCEEDED
    };
    mark_ready(
        &mut desired.conditions,
        c::TRUE,
        why,
        &message,
        generation,
        now,
    );
    let api = context.api_for::<MaintenanceWindow, _>(window);
    status::write_status(&api, window, &desired).await?;
    let events = &context.events;
    match (stored.open, desired.open) {
        (false, true) => events.normal(window, "WindowOpened", message).await,
        (true, false) => events.normal(window, "WindowClosed", message).await,
        _ => {}
    }
    Ok(())
}
