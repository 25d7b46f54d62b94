//! Whether a host's own package sources supply a fix. An advisory names the first fixed
//! version; what a patch installs is what the host's configured sources offer (apt's
//! candidate). A candidate at or above the fixed version is the target, so a newer security
//! upload is taken; a candidate below it (or none) means the fix has not reached the host's
//! sources yet and there is nothing to install.

use std::cmp::Ordering;

use crate::version::VersionScheme;

/// What the host's sources mean for one upgrade candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSupply {
    /// The sources offer `target`, at or above the fixed version: install it.
    Available { target: String },
    /// The sources offer nothing at or above the fixed version (`offered` is what they do
    /// offer, if anything).
    NotYetAvailable { offered: Option<String> },
}

impl HostSupply {
    /// The words an Asset's status uses for a fix the host's sources do not offer yet.
    pub const NOT_YET_AVAILABLE: &'static str = "fix not yet available from the host's sources";

    /// Decides from the fixed version and the host's candidate (`None`: no source offers the
    /// package). Versions are compared with the scheme's own order.
    pub fn decide(scheme: VersionScheme, fixed: &str, offered: Option<&str>) -> HostSupply {
        match offered {
            Some(candidate) if scheme.compare(candidate, fixed) != Ordering::Less => {
                HostSupply::Available {
                    target: candidate.to_string(),
                }
            }
            _ => HostSupply::NotYetAvailable {
                offered: offered.map(str::to_string),
            },
        }
    }

    /// Why the upgrade is not a patch target, when it is not: names what the sources offer
    /// and the fixed version.
    pub fn reason(&self, fixed: &str) -> Option<String> {
        match self {
            HostSupply::Available { .. } => None,
            HostSupply::NotYetAvailable {
                offered: Some(offered),
            } => Some(format!(
                "{}: they offer {offered}, the fix is {fixed}",
                Self::NOT_YET_AVAILABLE
            )),
            HostSupply::NotYetAvailable { offered: None } => Some(format!(
                "{}: they offer no version, the fix is {fixed}",
                Self::NOT_YET_AVAILABLE
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DPKG: VersionScheme = VersionScheme::Dpkg;

    #[test]
    fn a_candidate_below_the_fix_is_not_yet_available() {
        let supply = HostSupply::decide(DPKG, "3.0.17-1~deb12u2", Some("3.0.15-1~deb12u1"));
        assert_eq!(
            supply,
            HostSupply::NotYetAvailable {
                offered: Some("3.0.15-1~deb12u1".into())
            }
        );
        let reason = supply.reason("3.0.17-1~deb12u2").expect("a reason");
        assert!(
            reason.starts_with("fix not yet available from the host's sources"),
            "{reason}"
        );
        assert!(reason.contains("3.0.15-1~deb12u1"), "{reason}");
    }

    #[test]
    fn no_candidate_is_not_yet_available() {
        let supply = HostSupply::decide(DPKG, "1.0-1", None);
        assert_eq!(supply, HostSupply::NotYetAvailable { offered: None });
        assert!(
            supply
                .reason("1.0-1")
                .expect("a reason")
                .contains("no version")
        );
    }

    #[test]
    fn a_candidate_at_or_above_the_fix_is_the_target() {
        assert_eq!(
            HostSupply::decide(DPKG, "3.0.17-1~deb12u2", Some("3.0.17-1~deb12u2")),
            HostSupply::Available {
                target: "3.0.17-1~deb12u2".into()
            }
        );
        // A newer security upload is taken, not the advisory's first fixed version.
        assert_eq!(
            HostSupply::decide(DPKG, "3.0.17-1~deb12u2", Some("3.0.17-1~deb12u3")),
            HostSupply::Available {
                target: "3.0.17-1~deb12u3".into()
            }
        );
        assert_eq!(
            HostSupply::Available { target: "x".into() }.reason("y"),
            None
        );
    }

    #[test]
    fn debian_order_not_text_order() {
        // `~` sorts before everything: 1.0~rc1 is below 1.0, though longer as text.
        assert!(matches!(
            HostSupply::decide(DPKG, "1.0", Some("1.0~rc1")),
            HostSupply::NotYetAvailable { .. }
        ));
        // An epoch outranks the upstream version.
        assert!(matches!(
            HostSupply::decide(DPKG, "2.0-1", Some("1:1.0-1")),
            HostSupply::Available { .. }
        ));
        assert!(matches!(
            HostSupply::decide(DPKG, "1.10-1", Some("1.9-1")),
            HostSupply::NotYetAvailable { .. }
        ));
    }
}
