//! The reboot and drain settings of a policy or run: `rebootTimeout` and `drain.timeout`
//! (durations, 10 minutes when unset, never 0) and `rebootCommand` (an argv, `systemctl reboot`
//! when unset; neither it nor any of its arguments may be empty).

use std::time::Duration as StdDuration;

use patchwarden_core::Duration;

use super::{SpecError, duration, keep};
use crate::values::DurationValue;

/// How long an asset may take to come back from a reboot when `rebootTimeout` is unset.
pub const DEFAULT_REBOOT_TIMEOUT: StdDuration = StdDuration::from_secs(10 * 60);

/// The command a reboot runs when `rebootCommand` is unset.
pub const DEFAULT_REBOOT_COMMAND: [&str; 2] = ["systemctl", "reboot"];

/// The reboot timeout at `field`, or the default when unset.
pub fn reboot_timeout(
    field: &str,
    value: Option<&DurationValue>,
) -> Result<StdDuration, SpecError> {
    positive_duration(field, value, DEFAULT_REBOOT_TIMEOUT)
}

/// How long a node's drain may take when `drain.timeout` is unset.
pub const DEFAULT_DRAIN_TIMEOUT: StdDuration = StdDuration::from_secs(10 * 60);

/// The drain timeout of a policy (`spec.drain.timeout`), or the default when unset.
pub fn drain_timeout(value: Option<&DurationValue>) -> Result<StdDuration, SpecError> {
    positive_duration("spec.drain.timeout", value, DEFAULT_DRAIN_TIMEOUT)
}

/// A time limit at `field`: longer than 0s (nothing finishes in no time), `default` when unset.
fn positive_duration(
    field: &str,
    value: Option<&DurationValue>,
    default: StdDuration,
) -> Result<StdDuration, SpecError> {
    let parsed: Option<Duration> = duration(field, value)?;
    match parsed {
        Some(d) if d.as_secs() == 0 => Err(SpecError::new(field, "must be longer than 0s")),
        Some(d) => Ok(StdDuration::from_secs(d.as_secs())),
        None => Ok(default),
    }
}

/// The reboot command at `field`, or the default when unset.
pub fn reboot_command(field: &str, value: Option<&[String]>) -> Result<Vec<String>, SpecError> {
    let Some(command) = value else {
        return Ok(DEFAULT_REBOOT_COMMAND.map(String::from).to_vec());
    };
    if command.is_empty() {
        return Err(SpecError::new(
            field,
            "must name a program (unset, it is `systemctl reboot`)",
        ));
    }
    if let Some(i) = command.iter().position(String::is_empty) {
        return Err(SpecError::new(format!("{field}[{i}]"), "must not be empty"));
    }
    Ok(command.to_vec())
}

/// The errors of both settings; `prefix` is `spec` or `spec.limits`.
pub(super) fn reboot_errors(
    prefix: &str,
    timeout: Option<&DurationValue>,
    command: Option<&[String]>,
    errors: &mut Vec<SpecError>,
) {
    keep(
        errors,
        reboot_timeout(&format!("{prefix}.rebootTimeout"), timeout),
    );
    keep(
        errors,
        reboot_command(&format!("{prefix}.rebootCommand"), command),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_settings_are_ten_minutes_and_systemctl_reboot() {
        assert_eq!(
            reboot_timeout("spec.rebootTimeout", None).ok(),
            Some(StdDuration::from_secs(600))
        );
        assert_eq!(
            reboot_command("spec.rebootCommand", None).ok(),
            Some(vec!["systemctl".to_string(), "reboot".to_string()])
        );
        let five = DurationValue("5m".to_string());
        assert_eq!(
            reboot_timeout("spec.rebootTimeout", Some(&five)).ok(),
            Some(StdDuration::from_secs(300))
        );
    }

    #[test]
    fn empty_commands_arguments_and_zero_timeouts_are_refused_naming_the_field() {
        let mut errors = Vec::new();
        let zero = DurationValue("0s".to_string());
        let command = vec!["shutdown".to_string(), String::new()];
        reboot_errors("spec", Some(&zero), Some(&command), &mut errors);
        reboot_errors("spec.limits", None, Some(&[]), &mut errors);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "spec.rebootTimeout: must be longer than 0s",
                "spec.rebootCommand[1]: must not be empty",
                "spec.limits.rebootCommand: must name a program (unset, it is `systemctl reboot`)",
            ]
        );
    }
}
