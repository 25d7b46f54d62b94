//! Fields the schema declares whose behaviour is not carried out yet (reboots and node
//! drains). Writing them would promise something that does not happen, so `patchwarden
//! validate` and the controllers refuse them, each with a message naming the field.

use crate::convert::SpecError;
use crate::patch_policy::{PatchPolicySpec, RebootPolicy};
use crate::patch_run::PatchRunSpec;

/// Why a reboot policy other than `Never` is refused.
pub const REBOOT_NOT_SUPPORTED: &str =
    "only `Never` is supported: patchwarden does not reboot assets yet";
/// Why an enabled drain is refused.
pub const DRAIN_NOT_SUPPORTED: &str =
    "draining nodes is not supported yet: remove `drain` or set `drain.enabled: false`";
/// Why a planned reboot is refused.
pub const REBOOT_EXPECTED_NOT_SUPPORTED: &str =
    "must be false: patchwarden does not reboot assets yet";

/// The refusal of `reboot` at `field`, unless it is `Never`.
fn reboot_error(field: &str, reboot: RebootPolicy) -> Option<SpecError> {
    (reboot != RebootPolicy::Never).then(|| {
        SpecError::new(
            field,
            format!("{reboot:?} is refused; {REBOOT_NOT_SUPPORTED}"),
        )
    })
}

/// The unsupported fields a policy sets.
pub fn policy_errors(spec: &PatchPolicySpec) -> Vec<SpecError> {
    let mut errors: Vec<SpecError> = reboot_error("spec.reboot", spec.reboot)
        .into_iter()
        .collect();
    if spec.drain.as_ref().is_some_and(|drain| drain.enabled) {
        errors.push(SpecError::new("spec.drain.enabled", DRAIN_NOT_SUPPORTED));
    }
    errors
}

/// The unsupported fields a run sets.
pub fn run_errors(spec: &PatchRunSpec) -> Vec<SpecError> {
    let mut errors: Vec<SpecError> = spec
        .assets
        .iter()
        .enumerate()
        .filter(|(_, asset)| asset.reboot_expected)
        .map(|(i, _)| {
            SpecError::new(
                format!("spec.assets[{i}].rebootExpected"),
                REBOOT_EXPECTED_NOT_SUPPORTED,
            )
        })
        .collect();
    errors.extend(reboot_error("spec.limits.reboot", spec.limits.reboot));
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch_policy::Drain;
    use crate::patch_run::PlannedAsset;

    #[test]
    fn the_defaults_are_accepted() {
        assert!(policy_errors(&PatchPolicySpec::default()).is_empty());
        assert!(run_errors(&PatchRunSpec::default()).is_empty());
    }

    #[test]
    fn reboots_and_drains_are_refused_naming_the_field() {
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
            [
                format!("spec.reboot: IfRequired is refused; {REBOOT_NOT_SUPPORTED}"),
                format!("spec.drain.enabled: {DRAIN_NOT_SUPPORTED}"),
            ]
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
        let errors: Vec<String> = run_errors(&run).iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                format!("spec.assets[0].rebootExpected: {REBOOT_EXPECTED_NOT_SUPPORTED}"),
                format!("spec.limits.reboot: Always is refused; {REBOOT_NOT_SUPPORTED}"),
            ]
        );
    }
}
