//! Compliance profiles: what a published standard asks of patching, checked two ways.
//!
//! Statically ([`check_policy`]): does the policy as written allow meeting the standard — its
//! SLA per severity, its windows (the longest stretch without a chance to patch, whether they
//! recur monthly), its KEV handling and emergency rules. Against outcomes ([`check_outcomes`]):
//! was each finding in scope fixed by the deadline the standard sets, counting from the
//! findings' publication and KEV due dates to when runs fixed them.
//!
//! `validate`, `plan` and the PatchPolicy controller all call these functions; nothing about
//! a profile's meaning is decided anywhere else.

mod outcomes;
mod profiles;
mod statics;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use outcomes::{
    FindingOutcome, OutcomeViolation, ProfileOutcome, TrackedFinding, check_outcomes,
};
pub use profiles::{
    CALENDAR_MONTH, Check, ONE_MONTH, OutcomeRule, Profile, Requirement, Source, profile,
};
pub use statics::{COMPLIANCE_HORIZON, ProfileStatic, StaticViolation, check_policy};

/// A built-in compliance profile, named as a PatchPolicy's `spec.compliance` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProfileId {
    /// PCI DSS v4.0 requirement 6.3.3.
    #[serde(rename = "PCI-DSS-4.0-6.3.3")]
    PciDss40Req633,
    /// CISA Binding Operational Directive 22-01.
    #[serde(rename = "CISA-BOD-22-01")]
    CisaBod2201,
    /// NIST Special Publication 800-40 Revision 4.
    #[serde(rename = "NIST-SP-800-40r4")]
    NistSp80040r4,
    /// CIS Controls v8 safeguard 7.3.
    #[serde(rename = "CIS-v8-7.3")]
    CisV8Control73,
    /// CIS Controls v8 safeguard 7.4.
    #[serde(rename = "CIS-v8-7.4")]
    CisV8Control74,
}

impl ProfileId {
    /// Every profile, in the order they are documented.
    pub const ALL: [ProfileId; 5] = [
        ProfileId::PciDss40Req633,
        ProfileId::CisaBod2201,
        ProfileId::NistSp80040r4,
        ProfileId::CisV8Control73,
        ProfileId::CisV8Control74,
    ];

    /// The name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileId::PciDss40Req633 => "PCI-DSS-4.0-6.3.3",
            ProfileId::CisaBod2201 => "CISA-BOD-22-01",
            ProfileId::NistSp80040r4 => "NIST-SP-800-40r4",
            ProfileId::CisV8Control73 => "CIS-v8-7.3",
            ProfileId::CisV8Control74 => "CIS-v8-7.4",
        }
    }

    /// The condition type a PatchPolicy's status carries for the profile
    /// (`Compliant-PCI-DSS-4.0-6.3.3`: letters, digits, `-` and `.` only, as Kubernetes
    /// requires of condition types).
    pub fn condition_type(self) -> String {
        format!("Compliant-{}", self.as_str())
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the built-in profiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown compliance profile {0:?} (known: PCI-DSS-4.0-6.3.3, CISA-BOD-22-01, NIST-SP-800-40r4, CIS-v8-7.3, CIS-v8-7.4)"
)]
pub struct UnknownProfile(pub String);

impl FromStr for ProfileId {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProfileId::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

#[cfg(test)]
mod outcome_tests;
#[cfg(test)]
mod static_tests;
