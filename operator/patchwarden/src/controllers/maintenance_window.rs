//! The MaintenanceWindow controller: shows whether a window is open, the opening in
//! progress and the next ones, and requeues itself exactly at the next change of phase.
//!
//! Pipeline: observe (the object) → validate (spec into the core's `WindowDefinition`) →
//! decide (`window::status_at`) → write status.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use patchwarden_api::SpecError;
use patchwarden_api::conditions::reason;
use patchwarden_api::maintenance_window::{
    MaintenanceWindow, MaintenanceWindowSpec, MaintenanceWindowStatus, WindowOpening,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::window::{self, WindowDefinition};
use tokio::sync::watch;

use super::error::{ReconcileError, Terminal};
use super::{Context, drive, mark_ready, now, requeue_at, status, stopped};

/// Controller name in logs and metrics.
pub const NAME: &str = "MaintenanceWindow";

/// How many upcoming openings the status lists.
const UPCOMING: usize = 3;

/// Runs the controller until `stop` turns true.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let controller = Controller::new(
        context.api::<MaintenanceWindow>(),
        watcher::Config::default(),
    )
    .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// The core's definition of a window spec; the error names the field and the reason.
pub fn window_definition(spec: &MaintenanceWindowSpec) -> Result<WindowDefinition, SpecError> {
    spec.to_definition()
}

/// The status a window shows at `now`, and when it next changes.
pub fn decide(
    definition: &WindowDefinition,
    now: DateTime<Utc>,
) -> (MaintenanceWindowStatus, Option<DateTime<Utc>>) {
    let state = window::status_at(definition, now);
    let opening = |o: &window::Opening| WindowOpening {
        opens_at: to_k8s(o.opens_at),
        closes_at: to_k8s(o.closes_at),
    };
    let upcoming: Vec<WindowOpening> = window::next_openings(definition, now, UPCOMING)
        .iter()
        .map(opening)
        .collect();
    let status = MaintenanceWindowStatus {
        open: state.phase == window::Phase::Open,
        current: state.current.as_ref().map(opening),
        next_opening: state.next.map(|o| to_k8s(o.opens_at)),
        next_closing: state.current.or(state.next).map(|o| to_k8s(o.closes_at)),
        upcoming,
        ..MaintenanceWindowStatus::default()
    };
    (status, state.next_change.map(|c| c.at))
}

fn ready_message(
    definition: &WindowDefinition,
    status: &MaintenanceWindowStatus,
    now: DateTime<Utc>,
) -> String {
    if definition.suspend {
        return String::from("suspended: the window stays closed");
    }
    let state = window::status_at(definition, now);
    let time = |t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time| t.0.to_string();
    match (state.phase, &status.current, &status.next_opening) {
        (window::Phase::Open, Some(current), _) => {
            format!("open until {}", time(&current.closes_at))
        }
        (window::Phase::PastCutoff, Some(current), _) => format!(
            "open until {}, past its cutoff: no new work starts",
            time(&current.closes_at)
        ),
        (_, _, Some(next)) => match &state.blackout {
            Some(blackout) => format!("closed ({}); next opening {}", blackout.reason, time(next)),
            None => format!("closed; next opening {}", time(next)),
        },
        _ => String::from("closed; no opening within the search horizon"),
    }
}

async fn reconcile(
    object: Arc<MaintenanceWindow>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let api = context.api_for::<MaintenanceWindow, _>(object.as_ref());
    let now = now();
    let generation = object.metadata.generation;
    let stored = object.status.clone().unwrap_or_default();
    let mut desired = MaintenanceWindowStatus {
        conditions: stored.conditions.clone(),
        ..MaintenanceWindowStatus::default()
    };
    desired.observed_generation = generation;
    desired.last_handled_reconcile_at =
        super::reconcile_requested_at(object.as_ref()).or(stored.last_handled_reconcile_at.clone());
    let definition = window_definition(&object.spec).map_err(Terminal::from)?;
    let (computed, next_change) = decide(&definition, now);
    let message = ready_message(&definition, &computed, now);
    desired = MaintenanceWindowStatus {
        conditions: desired.conditions,
        observed_generation: desired.observed_generation,
        last_handled_reconcile_at: desired.last_handled_reconcile_at,
        ..computed
    };
    let ready_reason = if definition.suspend {
        reason::SUSPENDED
    } else {
        reason::SUCCEEDED
    };
    mark_ready(
        &mut desired.conditions,
        patchwarden_api::conditions::TRUE,
        ready_reason,
        &message,
        generation,
        now,
    );
    let opened = desired.open && !stored.open;
    let closed = !desired.open && stored.open;
    status::write_status(&api, object.as_ref(), &desired).await?;
    if opened {
        context
            .events
            .normal(object.as_ref(), "WindowOpened", message.clone())
            .await;
    } else if closed {
        context
            .events
            .normal(object.as_ref(), "WindowClosed", message.clone())
            .await;
    }
    Ok(match next_change {
        Some(at) => requeue_at(at, now),
        // Nothing changes within the horizon: look again in a day.
        None => Action::requeue(std::time::Duration::from_secs(86_400)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::values::{CronScheduleValue, DurationValue, TimeZoneName};

    fn spec(schedule: &str, duration: &str) -> MaintenanceWindowSpec {
        MaintenanceWindowSpec {
            schedule: CronScheduleValue::new(schedule),
            time_zone: TimeZoneName::new("UTC"),
            duration: DurationValue::new(duration),
            ..MaintenanceWindowSpec::default()
        }
    }

    #[test]
    fn invalid_specs_name_the_field() {
        let err = window_definition(&spec("not a cron", "1h")).expect_err("invalid");
        assert_eq!(err.field, "spec.schedule", "{err}");
        let mut bad_zone = spec("0 2 * * *", "1h");
        bad_zone.time_zone = TimeZoneName::new("Mars/Olympus");
        let err = window_definition(&bad_zone).expect_err("invalid");
        assert_eq!(err.field, "spec.timeZone", "{err}");
    }

    #[test]
    fn open_window_reports_its_closing_and_requeues_at_the_cutoff_or_close() {
        let definition = window_definition(&spec("0 2 * * *", "3h")).expect("valid");
        let now = DateTime::parse_from_rfc3339("2026-11-28T03:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let (status, next) = decide(&definition, now);
        assert!(status.open);
        assert_eq!(
            status.next_closing.expect("closing").0.to_string(),
            "2026-11-28T05:00:00Z"
        );
        assert_eq!(
            next.expect("change").to_rfc3339(),
            "2026-11-28T05:00:00+00:00"
        );
        assert_eq!(
            status.next_opening.expect("next").0.to_string(),
            "2026-11-29T02:00:00Z"
        );
    }
}
