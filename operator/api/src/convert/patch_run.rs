//! The checks of a PatchRun's spec: the frozen plan (each asset planned once and placed in
//! exactly one wave, the canary wave first) and the limits the run keeps to.

use std::collections::BTreeSet;

use super::commands::{health_check_errors, hook_errors};
use super::{CheckSpec, SpecError, duration, keep};
use crate::patch_run::{PatchRun, PatchRunSpec, RunLimits};

impl CheckSpec for PatchRun {
    fn spec_errors(&self) -> Vec<SpecError> {
        let spec = &self.spec;
        let mut errors = plan_errors(spec);
        limits_errors(&spec.limits, &mut errors);
        errors
    }
}

/// Each asset planned once; each wave asset planned and in one wave only; the canary wave
/// first; and, when there are waves, every planned asset in one.
fn plan_errors(spec: &PatchRunSpec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    let mut planned = BTreeSet::new();
    for (i, asset) in spec.assets.iter().enumerate() {
        if !planned.insert(asset.name.as_str()) {
            errors.push(SpecError::new(
                format!("spec.assets[{i}].name"),
                format!("asset {:?} is planned twice", asset.name),
            ));
        }
    }
    let mut placed = BTreeSet::new();
    for (w, wave) in spec.waves.iter().enumerate() {
        if wave.canary && w != 0 {
            errors.push(SpecError::new(
                format!("spec.waves[{w}].canary"),
                "only the first wave can be the canary",
            ));
        }
        keep(
            &mut errors,
            duration(
                &format!("spec.waves[{w}].estimatedDuration"),
                wave.estimated_duration.as_ref(),
            ),
        );
        for (i, name) in wave.assets.iter().enumerate() {
            if !planned.contains(name.as_str()) {
                errors.push(SpecError::new(
                    format!("spec.waves[{w}].assets[{i}]"),
                    format!("asset {name:?} is not in spec.assets"),
                ));
            } else if !placed.insert(name.as_str()) {
                errors.push(SpecError::new(
                    format!("spec.waves[{w}].assets[{i}]"),
                    format!("asset {name:?} is in more than one wave"),
                ));
            }
        }
    }
    if !spec.waves.is_empty() {
        for (i, asset) in spec.assets.iter().enumerate() {
            if !placed.contains(asset.name.as_str()) {
                errors.push(SpecError::new(
                    format!("spec.assets[{i}]"),
                    format!("asset {:?} is in no wave", asset.name),
                ));
            }
        }
    }
    errors
}

/// The pause between waves, the reboot settings, the health checks and the hooks of the run.
fn limits_errors(limits: &RunLimits, errors: &mut Vec<SpecError>) {
    keep(
        errors,
        duration(
            "spec.limits.pauseBetweenWaves",
            limits.pause_between_waves.as_ref(),
        ),
    );
    super::reboot::reboot_errors(
        "spec.limits",
        limits.reboot_timeout.as_ref(),
        limits.reboot_command.as_deref(),
        errors,
    );
    health_check_errors("spec.limits.healthChecks", &limits.health_checks, errors);
    if let Some(hooks) = &limits.hooks {
        hook_errors("spec.limits.hooks.prePatch", &hooks.pre_patch, errors);
        hook_errors("spec.limits.hooks.postPatch", &hooks.post_patch, errors);
    }
}
