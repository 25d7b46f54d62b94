//! A MaintenanceWindow's spec as the core's window definition: schedule, time zone, lengths and
//! blackouts, each problem named by its field.

use chrono_tz::Tz;
use patchwarden_core::window::{Blackout, BlackoutBound, WindowDefinition, parse_blackout_bound};

use super::{CheckSpec, SpecError, duration, keep};
use crate::maintenance_window::{MaintenanceWindow, MaintenanceWindowSpec};

impl MaintenanceWindowSpec {
    /// The window as the core evaluates it.
    pub fn to_definition(&self) -> Result<WindowDefinition, SpecError> {
        let (definition, mut errors) = self.definition_and_errors();
        match definition {
            Some(definition) if errors.is_empty() => Ok(definition),
            _ => Err(errors.remove(0)),
        }
    }

    /// The definition when every field parses (it may still be invalid as a whole), and every
    /// problem found.
    fn definition_and_errors(&self) -> (Option<WindowDefinition>, Vec<SpecError>) {
        let mut errors = Vec::new();
        let schedule = keep(
            &mut errors,
            self.schedule
                .parse()
                .map_err(|e| SpecError::new("spec.schedule", e)),
        );
        let time_zone = keep(
            &mut errors,
            self.time_zone
                .parse()
                .map_err(|e| SpecError::new("spec.timeZone", e)),
        );
        let length = keep(
            &mut errors,
            duration("spec.duration", Some(&self.duration)).map(Option::unwrap_or_default),
        );
        let cutoff = keep(
            &mut errors,
            duration("spec.cutoff", self.cutoff.as_ref()).map(Option::unwrap_or_default),
        );
        // Blackout bounds are local times, so they can only be read once the zone is known.
        let blackouts = time_zone
            .map(|tz| self.blackouts(tz, &mut errors))
            .unwrap_or_default();
        let (Some(schedule), Some(time_zone), Some(length), Some(cutoff)) =
            (schedule, time_zone, length, cutoff)
        else {
            return (None, errors);
        };
        let definition = WindowDefinition {
            schedule,
            time_zone,
            duration: length,
            cutoff,
            offset_days: self.offset_days,
            blackouts,
            suspend: self.suspend,
        };
        if let Err(error) = definition.validate() {
            errors.push(SpecError::new(error.field(), error));
        }
        (Some(definition), errors)
    }

    /// The blackouts whose bounds read in `time_zone` and end after they start; every other
    /// one is a problem in `errors`.
    fn blackouts(&self, time_zone: Tz, errors: &mut Vec<SpecError>) -> Vec<Blackout> {
        let mut blackouts = Vec::new();
        for (i, blackout) in self.blackouts.iter().enumerate() {
            let start = keep(
                errors,
                parse_blackout_bound(&blackout.start, time_zone, BlackoutBound::Start)
                    .map_err(|e| SpecError::new(format!("spec.blackouts[{i}].start"), e)),
            );
            let end = keep(
                errors,
                parse_blackout_bound(&blackout.end, time_zone, BlackoutBound::End)
                    .map_err(|e| SpecError::new(format!("spec.blackouts[{i}].end"), e)),
            );
            if let (Some(start), Some(end)) = (start, end) {
                if end <= start {
                    errors.push(SpecError::new(
                        format!("spec.blackouts[{i}].end"),
                        format!(
                            "blackout {:?} ends ({end}) before it starts ({start})",
                            blackout.reason
                        ),
                    ));
                } else {
                    blackouts.push(Blackout {
                        start,
                        end,
                        reason: blackout.reason.clone(),
                    });
                }
            }
        }
        blackouts
    }
}

impl CheckSpec for MaintenanceWindow {
    fn spec_errors(&self) -> Vec<SpecError> {
        self.spec.definition_and_errors().1
    }
}
