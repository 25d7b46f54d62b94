//! Whether an asset is rebooted after its install: the run's reboot mode and what the asset's
//! inventory after the install says.

use std::fmt;

use serde::{Deserialize, Serialize};

/// When a run reboots its assets after patching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RebootMode {
    /// Never; an asset that requires a reboot keeps requiring it.
    #[default]
    Never,
    /// When the asset's inventory after the install says a reboot is required.
    IfRequired,
    /// After every successful install.
    Always,
}

impl RebootMode {
    /// Whether the run has a reboot step at all (the asset's inventory decides the rest).
    pub fn may_reboot(self) -> bool {
        self != RebootMode::Never
    }
}

impl fmt::Display for RebootMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RebootMode::Never => "Never",
            RebootMode::IfRequired => "IfRequired",
            RebootMode::Always => "Always",
        })
    }
}

/// Whether to reboot an asset whose install succeeded, given whether it requires a reboot.
pub fn should_reboot(mode: RebootMode, reboot_required: bool) -> bool {
    match mode {
        RebootMode::Never => false,
        RebootMode::IfRequired => reboot_required,
        RebootMode::Always => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_if_required_and_always_against_required_or_not() {
        let table = [
            (RebootMode::Never, false, false),
            (RebootMode::Never, true, false),
            (RebootMode::IfRequired, false, false),
            (RebootMode::IfRequired, true, true),
            (RebootMode::Always, false, true),
            (RebootMode::Always, true, true),
        ];
        for (mode, required, expected) in table {
            assert_eq!(
                should_reboot(mode, required),
                expected,
                "{mode} with reboot required {required}"
            );
        }
        assert!(!RebootMode::Never.may_reboot());
        assert!(RebootMode::IfRequired.may_reboot());
        assert!(RebootMode::Always.may_reboot());
    }
}
