//! A PatchPolicy's spec as the core reads it (approval rules, SLA rules, rollout settings),
//! and the checks of every field of it.

use std::collections::BTreeSet;

use patchwarden_core::approval::{ApprovalPolicy, ApprovalRules, Pin, RejectedVersion};
use patchwarden_core::rollout::RolloutSettings;
use patchwarden_core::sla::{EmergencyRule, SlaRules};
use patchwarden_core::{Duration, Severity};

use super::commands::{health_check_errors, hook_errors};
use super::{CheckSpec, SpecError, count_or_percent, duration, is_zero, keep};
use crate::patch_policy::{Approval, PatchPolicy, PatchPolicySpec, Rollout};

/// Why a maxUnavailable of zero is refused: a rollout that may take no asset down never ends.
const MAX_UNAVAILABLE_ZERO: &str =
    "must allow at least one asset at a time (a count of 1 or more, or a percentage above 0%)";

impl PatchPolicySpec {
    /// The approval rules as the core reads them (globs not yet compiled).
    pub fn approval_rules(&self) -> Result<ApprovalRules, SpecError> {
        let approval = &self.approval;
        Ok(ApprovalRules {
            min_severity: approval.min_severity,
            approve_after: duration(
                "spec.approval.approveAfter",
                approval.approve_after.as_ref(),
            )?
            .unwrap_or_default(),
            known_exploited_skips_delay: !approval.delay_known_exploited,
            security_only: approval.security_only,
            include: approval.include.clone(),
            exclude: approval.exclude.clone(),
            pins: approval
                .pins
                .iter()
                .map(|p| Pin {
                    package: p.package.clone(),
                    version: p.version.clone(),
                    reason: Some(p.reason.clone()).filter(|r| !r.is_empty()),
                })
                .collect(),
            rejected: approval
                .rejected
                .iter()
                .map(|r| RejectedVersion {
                    package: r.package.clone(),
                    version: r.version.clone(),
                    reason: (!r.reason.is_empty()).then(|| r.reason.clone()),
                })
                .collect(),
            quarantined: Vec::new(),
        })
    }

    /// The approval rules with their globs compiled.
    pub fn compile_approval(&self) -> Result<ApprovalPolicy, SpecError> {
        ApprovalPolicy::compile(self.approval_rules()?)
            .map_err(|e| SpecError::new(format!("spec.{}", e.field), e))
    }

    /// The SLA rules as the core reads them.
    pub fn sla_rules(&self) -> Result<SlaRules, SpecError> {
        let mut deadlines = std::collections::BTreeMap::new();
        for (severity, name) in [
            (Severity::Critical, "critical"),
            (Severity::High, "high"),
            (Severity::Medium, "medium"),
            (Severity::Low, "low"),
        ] {
            if let Some(deadline) =
                duration(&format!("spec.sla.{name}"), self.sla.for_severity(severity))?
            {
                deadlines.insert(severity, deadline);
            }
        }
        Ok(SlaRules {
            deadlines,
            kev_due_date: self.sla.kev_due_date,
        })
    }

    /// The emergency rules; empty means never out of window.
    pub fn emergency_rules(&self) -> &[EmergencyRule] {
        &self.emergency
    }

    /// The rollout settings as the core's planner reads them (a canary of 0 means none).
    pub fn core_rollout_settings(&self) -> Result<RolloutSettings, SpecError> {
        let rollout = &self.rollout;
        let max_unavailable = count_or_percent(
            "spec.rollout.maxUnavailable",
            &rollout.max_unavailable_or_default(),
        )?;
        if is_zero(max_unavailable) {
            return Err(SpecError::new(
                "spec.rollout.maxUnavailable",
                MAX_UNAVAILABLE_ZERO,
            ));
        }
        let canary = count_or_percent("spec.rollout.canary", &rollout.canary_or_default())?;
        Ok(RolloutSettings {
            canary: (!is_zero(canary)).then_some(canary),
            max_unavailable,
            max_failures: count_or_percent(
                "spec.rollout.maxFailures",
                &rollout.max_failures_or_default(),
            )?,
            pause_between_waves: duration(
                "spec.rollout.pauseBetweenWaves",
                rollout.pause_between_waves.as_ref(),
            )?
            .unwrap_or_default(),
            rollback_on_failure: rollout.rollback_on_failure,
            default_asset_duration: expected_asset_duration(rollout)?
                .unwrap_or(RolloutSettings::default().default_asset_duration),
        })
    }
}

impl CheckSpec for PatchPolicy {
    fn spec_errors(&self) -> Vec<SpecError> {
        let spec = &self.spec;
        let mut errors = list_errors(spec);
        keep(&mut errors, spec.approval_rules());
        approval_glob_errors(&spec.approval, &mut errors);
        keep(&mut errors, spec.sla_rules());
        rollout_errors(&spec.rollout, &mut errors);
        if let Some(quarantine) = &spec.quarantine {
            keep(&mut errors, quarantine.settings());
        }
        if let Some(drain) = &spec.drain {
            keep(
                &mut errors,
                super::reboot::drain_timeout(drain.timeout.as_ref()),
            );
        }
        if let Some(response) = &spec.incident_response {
            super::incident::incident_errors(response, &mut errors);
        }
        if let Some(hooks) = &spec.hooks {
            hook_errors("spec.hooks.prePatch", &hooks.pre_patch, &mut errors);
            hook_errors("spec.hooks.postPatch", &hooks.post_patch, &mut errors);
        }
        if spec.emergency.contains(&EmergencyRule::Never) && spec.emergency.len() > 1 {
            errors.push(SpecError::new(
                "spec.emergency",
                "Never overrides the other rules; list either Never or the triggers",
            ));
        }
        super::reboot::reboot_errors(
            "spec",
            spec.reboot_timeout.as_ref(),
            spec.reboot_command.as_deref(),
            &mut errors,
        );
        errors
    }
}

/// At least one asset group, and no group or window listed twice.
fn list_errors(spec: &PatchPolicySpec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    if spec.asset_groups.is_empty() {
        errors.push(SpecError::new(
            "spec.assetGroups",
            "name at least one AssetGroup",
        ));
    }
    for (list, field) in [
        (&spec.asset_groups, "spec.assetGroups"),
        (&spec.maintenance_windows, "spec.maintenanceWindows"),
    ] {
        let mut seen = BTreeSet::new();
        for (i, name) in list.iter().enumerate() {
            if !seen.insert(name) {
                errors.push(SpecError::new(
                    format!("{field}[{i}]"),
                    format!("{name:?} is listed twice"),
                ));
            }
        }
    }
    errors
}

/// Glob errors are reported one by one, so each names its own field (compiling the approval
/// rules stops at the first).
fn approval_glob_errors(approval: &Approval, errors: &mut Vec<SpecError>) {
    for (list, name) in [
        (&approval.include, "include"),
        (&approval.exclude, "exclude"),
    ] {
        for (i, pattern) in list.iter().enumerate() {
            if let Err(e) = globset::Glob::new(pattern) {
                errors.push(SpecError::new(
                    format!("spec.approval.{name}[{i}]"),
                    format!("invalid glob {pattern:?}: {}", e.kind()),
                ));
            }
        }
    }
    for (list, name) in [(&approval.pins, "pins"), (&approval.rejected, "rejected")] {
        for (i, pin) in list.iter().enumerate() {
            for (value, part) in [(&pin.package, "package"), (&pin.version, "version")] {
                if let Err(e) = globset::Glob::new(value) {
                    errors.push(SpecError::new(
                        format!("spec.approval.{name}[{i}].{part}"),
                        format!("invalid glob {value:?}: {}", e.kind()),
                    ));
                }
            }
        }
    }
}

/// Each rollout field separately, so one bad value does not hide another (the core's settings
/// stop at the first).
fn rollout_errors(rollout: &Rollout, errors: &mut Vec<SpecError>) {
    for (field, value) in [
        ("spec.rollout.canary", rollout.canary.as_ref()),
        ("spec.rollout.maxFailures", rollout.max_failures.as_ref()),
    ] {
        if let Some(value) = value {
            keep(errors, count_or_percent(field, value));
        }
    }
    if let Some(value) = &rollout.max_unavailable
        && let Some(parsed) = keep(
            errors,
            count_or_percent("spec.rollout.maxUnavailable", value),
        )
        && is_zero(parsed)
    {
        errors.push(SpecError::new(
            "spec.rollout.maxUnavailable",
            MAX_UNAVAILABLE_ZERO,
        ));
    }
    keep(
        errors,
        duration(
            "spec.rollout.pauseBetweenWaves",
            rollout.pause_between_waves.as_ref(),
        ),
    );
    keep(errors, expected_asset_duration(rollout));
    health_check_errors("spec.rollout.healthChecks", &rollout.health_checks, errors);
}

/// `spec.rollout.expectedAssetDuration`, which must be more than zero: an asset that takes no
/// time would fit any window's last second.
fn expected_asset_duration(rollout: &Rollout) -> Result<Option<Duration>, SpecError> {
    const FIELD: &str = "spec.rollout.expectedAssetDuration";
    let parsed = duration(FIELD, rollout.expected_asset_duration.as_ref())?;
    if parsed == Some(Duration::ZERO) {
        return Err(SpecError::new(FIELD, "must be more than 0"));
    }
    Ok(parsed)
}
