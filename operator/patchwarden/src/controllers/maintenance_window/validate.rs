//! Validate: a window's spec into the core's `WindowDefinition` (cron, time zone,
//! duration, cutoff, offset days, blackouts). An invalid spec is terminal; the error names
//! the field. The PatchPolicy and PatchRun controllers read the windows they name the same
//! way.

use patchwarden_api::SpecError;
use patchwarden_api::maintenance_window::MaintenanceWindowSpec;
use patchwarden_core::window::WindowDefinition;

/// The core's definition of a window spec; the error names the field and the reason.
pub fn window_definition(spec: &MaintenanceWindowSpec) -> Result<WindowDefinition, SpecError> {
    spec.to_definition()
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::values::{CronScheduleValue, DurationValue, TimeZoneName};

    #[test]
    fn invalid_specs_name_the_field() {
        let spec = |schedule: &str, zone: &str| MaintenanceWindowSpec {
            schedule: CronScheduleValue::new(schedule),
            time_zone: TimeZoneName::new(zone),
            duration: DurationValue::new("1h"),
            ..MaintenanceWindowSpec::default()
        };
        let err = window_definition(&spec("not a cron", "UTC")).expect_err("invalid");
        assert_eq!(err.field, "spec.schedule", "{err}");
        let err = window_definition(&spec("0 2 * * *", "Mars/Olympus")).expect_err("invalid");
        assert_eq!(err.field, "spec.timeZone", "{err}");
    }
}
