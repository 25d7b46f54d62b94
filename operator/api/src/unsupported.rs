//! Fields the schema declares whose behaviour is not carried out yet (node drains). Writing
//! them would promise something that does not happen, so `patchwarden validate` and the
//! controllers refuse them, each with a message naming the field.

use crate::convert::SpecError;
use crate::patch_policy::PatchPolicySpec;
use crate::patch_run::PatchRunSpec;

/// Why an enabled drain is refused.
pub const DRAIN_NOT_SUPPORTED: &str =
    "draining nodes is not supported yet: remove `drain` or set `drain.enabled: false`";

/// The unsupported fields a policy sets.
pub fn policy_errors(spec: &PatchPolicySpec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    if spec.drain.as_ref().is_some_and(|drain| drain.enabled) {
        errors.push(SpecError::new("spec.drain.enabled", DRAIN_NOT_SUPPORTED));
    }
    errors
}

/// The unsupported fields a run sets: none since reboots are carried out (a run carries no
/// drain settings).
pub fn run_errors(_spec: &PatchRunSpec) -> Vec<SpecError> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch_policy::{Drain, RebootPolicy};
    use crate::patch_run::PlannedAsset;

    #[test]
    fn the_defaults_are_accepted() {
        assert!(policy_errors(&PatchPolicySpec::default()).is_empty());
        assert!(run_errors(&PatchRunSpec::default()).is_empty());
    }

    #[test]
    fn drains_are_refused_naming_the_field_and_reboots_are_accepted() {
        let policy = PatchPolicySpec {
            reboot: RebootPolicy::IfRequired,
            drain: Some(Drain {
                enabled: true,
                timeout: None,
                delete_empty_dir_data: false,
            }),
            ..PatchPolicySpec::default()
        };
        let errors: Vec<String> = policy_errors(&policy)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [format!("spec.drain.enabled: {DRAIN_NOT_SUPPORTED}")]
        );
        let mut run = PatchRunSpec {
            assets: vec![PlannedAsset {
                name: "web-1".to_string(),
                group: None,
                packages: Vec::new(),
                reboot_expected: true,
            }],
            ..PatchRunSpec::default()
        };
        run.limits.reboot = RebootPolicy::Always;
        assert!(run_errors(&run).is_empty());
    }
}
