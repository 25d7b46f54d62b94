//! The reboot settings of a reboot step: the run's frozen `limits.reboot`, `rebootTimeout` and
//! `rebootCommand` (defaults applied), and the Asset on which the boot id before the reboot is
//! recorded.

use patchwarden_api::SpecError;
use patchwarden_api::asset::Asset;
use patchwarden_api::convert::reboot::{reboot_command, reboot_timeout};
use patchwarden_api::patch_run::PatchRun;

use super::validate::reboot_mode;
use crate::controllers::operations::{BootIdRecord, RebootSettings};
use crate::controllers::{Context, object_key};

/// The settings of `asset`'s reboot step in `run`.
pub fn reboot_settings(
    context: &Context,
    run: &PatchRun,
    asset: &Asset,
) -> Result<RebootSettings, SpecError> {
    let limits = &run.spec.limits;
    Ok(RebootSettings {
        mode: reboot_mode(limits.reboot),
        timeout: reboot_timeout("spec.limits.rebootTimeout", limits.reboot_timeout.as_ref())?,
        command: reboot_command(
            "spec.limits.rebootCommand",
            limits.reboot_command.as_deref(),
        )?,
        record: BootIdRecord::new(context.api_for::<Asset, _>(run), asset, &object_key(run)),
    })
}
