//! The checks of commands a rollout runs on assets, shared by PatchPolicy and PatchRun: health
//! checks (unique names, a command or an HTTP probe) and hooks, each needing a program.

use std::collections::BTreeSet;

use super::{SpecError, duration, keep};
use crate::patch_policy::{HealthCheck, Hook};

/// Problems of health checks under `prefix`.
pub(super) fn health_check_errors(
    prefix: &str,
    checks: &[HealthCheck],
    errors: &mut Vec<SpecError>,
) {
    let mut names = BTreeSet::new();
    for (i, check) in checks.iter().enumerate() {
        let field = format!("{prefix}[{i}]");
        if !names.insert(check.name.as_str()) {
            errors.push(SpecError::new(
                format!("{field}.name"),
                format!("health check name {:?} is used twice", check.name),
            ));
        }
        match (&check.command, &check.http) {
            (Some(_), Some(_)) | (None, None) => errors.push(SpecError::new(
                field.clone(),
                "exactly one of command and http must be set",
            )),
            (Some(command), None) if command.first().is_none_or(|c| c.trim().is_empty()) => errors
                .push(SpecError::new(
                    format!("{field}.command"),
                    "the command needs a program as its first element",
                )),
            _ => {}
        }
        keep(
            errors,
            duration(&format!("{field}.timeout"), check.timeout.as_ref()),
        );
    }
}

/// Problems of hook commands under `prefix`.
pub(super) fn hook_errors(prefix: &str, hooks: &[Hook], errors: &mut Vec<SpecError>) {
    for (i, hook) in hooks.iter().enumerate() {
        let field = format!("{prefix}[{i}]");
        if hook.command.first().is_none_or(|c| c.trim().is_empty()) {
            errors.push(SpecError::new(
                format!("{field}.command"),
                "the command needs a program as its first element",
            ));
        }
        keep(
            errors,
            duration(&format!("{field}.timeout"), hook.timeout.as_ref()),
        );
    }
}
