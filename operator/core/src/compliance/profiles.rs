//! The built-in profiles: each requirement with the published text it checks and how.
//!
//! A profile changes only with a new `revision`, so a status that names a profile and its
//! revision says exactly which checks were made.

use serde::{Deserialize, Serialize};

use super::ProfileId;
use crate::{Duration, Severity};

/// The published document a requirement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub document: &'static str,
    pub section: &'static str,
    /// A short quote of the text the requirement checks.
    pub quote: &'static str,
    pub url: &'static str,
}

/// How a policy's spec is checked against a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Check {
    /// `spec.sla.<severity>` is set and at most `max`, findings of that severity are approved,
    /// and `approveAfter` leaves time to patch before `max`.
    SlaAtMost { severity: Severity, max: Duration },
    /// The windows leave no stretch longer than `max` in which no patching can start, unless
    /// the `SlaBreach` emergency rule patches out of window before a deadline passes.
    WindowGapAtMost { max: Duration },
    /// `spec.sla.kevDueDate` is true.
    KevDueDates,
    /// KEV-listed fixes are not held for `approveAfter`.
    KevNotDelayed,
    /// An emergency rule starts KEV fixes out of window: `KnownExploited`, or `SlaBreach`
    /// (with KEV due dates as deadlines) when `sla_breach_suffices`.
    KevEmergency { sla_breach_suffices: bool },
    /// At least one window is declared and opens more than once over the next year.
    RecurringWindows,
    /// The policy installs patches (`mode: Enforce`), not only reports.
    Automated,
    /// A window lets patching start in every calendar month of the next year.
    MonthlyWindows,
}

/// Which findings the outcome check holds to which deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum OutcomeRule {
    /// Findings of `min_severity` or above are fixed within `within` of publication.
    SinceRelease {
        min_severity: Severity,
        within: Duration,
    },
    /// KEV-listed findings are fixed by the end of their due date.
    KevDueDate,
    /// Findings are fixed by the deadlines the policy itself declares (its maintenance plan).
    PolicySla,
}

/// One requirement of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    pub source: Source,
    pub checks: &'static [Check],
}

/// A built-in profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: ProfileId,
    /// Bumped whenever a check of the profile changes.
    pub revision: u32,
    pub title: &'static str,
    pub requirements: &'static [Requirement],
    pub outcome: OutcomeRule,
}

/// "One month" as the profiles count it.
pub const ONE_MONTH: Duration = Duration::from_days(30);
/// "Monthly": the longest calendar month.
pub const CALENDAR_MONTH: Duration = Duration::from_days(31);

const PCI_URL: &str =
    "https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0.pdf";
const BOD_URL: &str = "https://www.cisa.gov/news-events/directives/bod-22-01-reducing-significant-risk-known-exploited-vulnerabilities";
const NIST_URL: &str = "https://doi.org/10.6028/NIST.SP.800-40r4";
const CIS_URL: &str = "https://www.cisecurity.org/controls/v8";

static PCI_6_3_3: Profile = Profile {
    id: ProfileId::PciDss40Req633,
    revision: 1,
    title: "PCI DSS v4.0 requirement 6.3.3: security patches installed within one month",
    requirements: &[Requirement {
        source: Source {
            document: "PCI DSS v4.0",
            section: "Requirement 6.3.3",
            quote: "Critical or high-security patches/updates (identified according to the risk ranking process at Requirement 6.3.1) are installed within one month of release.",
            url: PCI_URL,
        },
        checks: &[
            Check::SlaAtMost {
                severity: Severity::Critical,
                max: ONE_MONTH,
            },
            Check::SlaAtMost {
                severity: Severity::High,
                max: ONE_MONTH,
            },
            Check::WindowGapAtMost { max: ONE_MONTH },
        ],
    }],
    outcome: OutcomeRule::SinceRelease {
        min_severity: Severity::High,
        within: ONE_MONTH,
    },
};

static BOD_22_01: Profile = Profile {
    id: ProfileId::CisaBod2201,
    revision: 1,
    title: "CISA BOD 22-01: known exploited vulnerabilities remediated by their due date",
    requirements: &[Requirement {
        source: Source {
            document: "CISA Binding Operational Directive 22-01",
            section: "Required Actions, 2",
            quote: "Remediate each vulnerability according to the timelines set forth in the CISA-managed vulnerability catalog.",
            url: BOD_URL,
        },
        checks: &[
            Check::KevDueDates,
            Check::KevNotDelayed,
            Check::KevEmergency {
                sla_breach_suffices: true,
            },
        ],
    }],
    outcome: OutcomeRule::KevDueDate,
};

static NIST_800_40R4: Profile = Profile {
    id: ProfileId::NistSp80040r4,
    revision: 1,
    title: "NIST SP 800-40 Rev. 4: maintenance plans and emergency response",
    requirements: &[
        Requirement {
            source: Source {
                document: "NIST SP 800-40 Rev. 4",
                section: "3.5 Defining Maintenance Plans",
                quote: "define maintenance plans for each maintenance group",
                url: NIST_URL,
            },
            checks: &[Check::RecurringWindows],
        },
        Requirement {
            source: Source {
                document: "NIST SP 800-40 Rev. 4",
                section: "3.3 Defining Risk Response Scenarios",
                quote: "Emergency patching: a severe vulnerability is being actively exploited",
                url: NIST_URL,
            },
            checks: &[Check::KevEmergency {
                sla_breach_suffices: false,
            }],
        },
    ],
    outcome: OutcomeRule::PolicySla,
};

static CIS_7_3: Profile = Profile {
    id: ProfileId::CisV8Control73,
    revision: 1,
    title: "CIS Controls v8 7.3: automated operating system patch management, monthly",
    requirements: &[Requirement {
        source: Source {
            document: "CIS Critical Security Controls v8",
            section: "Safeguard 7.3 Perform Automated Operating System Patch Management",
            quote: "Perform operating system updates on enterprise assets through automated patch management on a monthly, or more frequent, basis.",
            url: CIS_URL,
        },
        checks: &[Check::Automated, Check::MonthlyWindows],
    }],
    outcome: OutcomeRule::SinceRelease {
        min_severity: Severity::Unknown,
        within: CALENDAR_MONTH,
    },
};

static CIS_7_4: Profile = Profile {
    id: ProfileId::CisV8Control74,
    revision: 1,
    title: "CIS Controls v8 7.4: automated application patch management, monthly",
    requirements: &[Requirement {
        source: Source {
            document: "CIS Critical Security Controls v8",
            section: "Safeguard 7.4 Perform Automated Application Patch Management",
            quote: "Perform application updates on enterprise assets through automated patch management on a monthly, or more frequent, basis.",
            url: CIS_URL,
        },
        checks: &[Check::Automated, Check::MonthlyWindows],
    }],
    outcome: OutcomeRule::SinceRelease {
        min_severity: Severity::Unknown,
        within: CALENDAR_MONTH,
    },
};

/// The profile with this id.
pub fn profile(id: ProfileId) -> &'static Profile {
    match id {
        ProfileId::PciDss40Req633 => &PCI_6_3_3,
        ProfileId::CisaBod2201 => &BOD_22_01,
        ProfileId::NistSp80040r4 => &NIST_800_40R4,
        ProfileId::CisV8Control73 => &CIS_7_3,
        ProfileId::CisV8Control74 => &CIS_7_4,
    }
}
