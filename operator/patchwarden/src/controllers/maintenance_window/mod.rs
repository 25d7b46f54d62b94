//! The MaintenanceWindow controller: shows whether a window is open, the opening in
//! progress and the next ones, and requeues itself exactly at the next change of phase.
//!
//! Pipeline, one module per step: [`validate`] (spec into the core's `WindowDefinition`)
//! → [`decide`] (`window::status_at`, the next openings) → [`status`].

mod decide;
mod status;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use patchwarden_api::maintenance_window::MaintenanceWindow;
use tokio::sync::watch;

use super::error::{ReconcileError, Terminal};
use super::{Context, drive, now, requeue_at, stopped};

pub use validate::window_definition;

/// Controller name in logs and metrics.
pub const NAME: &str = "MaintenanceWindow";

/// When nothing changes within the search horizon, look again after this long.
const HORIZON_RECHECK: Duration = Duration::from_secs(86_400);

/// Runs the controller until `stop` turns true.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let controller = Controller::new(
        context.api::<MaintenanceWindow>(),
        watcher::Config::default(),
    )
    .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

async fn reconcile(
    object: Arc<MaintenanceWindow>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let window = object.as_ref();
    let now = now();
    let definition = validate::window_definition(&window.spec).map_err(Terminal::from)?;
    let (computed, next_change) = decide::decide(&definition, now);
    let message = decide::ready_message(&definition, &computed, now);
    status::show(&context, window, computed, definition.suspend, message, now).await?;
    Ok(match next_change {
        Some(at) => requeue_at(at, now),
        None => Action::requeue(HORIZON_RECHECK),
    })
}
