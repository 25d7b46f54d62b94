//! Decide: what a window shows at `now` — open or closed, the opening in progress, the
//! next ones — the message its `Ready` condition carries, and when that next changes.
//! Pure: `window::status_at` and `window::next_openings` of the core.

use chrono::{DateTime, Utc};
use patchwarden_api::maintenance_window::{MaintenanceWindowStatus, WindowOpening};
use patchwarden_api::time::to_k8s;
use patchwarden_core::window::{self, WindowDefinition};

/// How many upcoming openings the status lists.
const UPCOMING: usize = 3;

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

/// The `Ready` message: suspended, open until when, or closed until when (and why).
pub fn ready_message(
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

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::maintenance_window::MaintenanceWindowSpec;
    use patchwarden_api::values::{CronScheduleValue, DurationValue, TimeZoneName};

    use super::super::validate::window_definition;

    #[test]
    fn open_window_reports_its_closing_and_requeues_at_the_cutoff_or_close() {
        let spec = MaintenanceWindowSpec {
            schedule: CronScheduleValue::new("0 2 * * *"),
            time_zone: TimeZoneName::new("UTC"),
            duration: DurationValue::new("3h"),
            ..MaintenanceWindowSpec::default()
        };
        let definition = window_definition(&spec).expect("valid");
        let now = DateTime::parse_from_rfc3339("2026-11-28T03:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let (status, next) = decide(&definition, now);
        assert!(status.open);
        assert_eq!(
            status.next_closing.as_ref().expect("closing").0.to_string(),
            "2026-11-28T05:00:00Z"
        );
        assert_eq!(
            next.expect("change").to_rfc3339(),
            "2026-11-28T05:00:00+00:00"
        );
        assert_eq!(
            status.next_opening.as_ref().expect("next").0.to_string(),
            "2026-11-29T02:00:00Z"
        );
        assert_eq!(
            ready_message(&definition, &status, now),
            "open until 2026-11-28T05:00:00Z"
        );
    }
}
