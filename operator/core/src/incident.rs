//! Incident response: which members of a policy are incidents — an Internet-exposed asset
//! with a KEV-listed finding past its CISA due date and still unpatched, or an asset another
//! system reported compromised — and, against the incidents already responded to, which start,
//! which go on and which ended. The containment itself (labels, taints, cordons, manifests,
//! webhooks) is the controller's; what it decides from is here.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::policy::Member;

/// Why an asset is an incident.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum IncidentCause {
    /// Another system reported the asset compromised.
    Compromised { reason: Option<String> },
    /// The asset is reachable from the Internet and a KEV-listed finding on it is past its CISA
    /// due date.
    ExposedKevOverdue { finding: String, due: NaiveDate },
}

impl fmt::Display for IncidentCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IncidentCause::Compromised {
                reason: Some(reason),
            } => {
                write!(f, "reported compromised ({reason})")
            }
            IncidentCause::Compromised { reason: None } => f.write_str("reported compromised"),
            IncidentCause::ExposedKevOverdue { finding, due } => write!(
                f,
                "exposed to the Internet with KEV-listed {finding} unpatched past its due date {due}"
            ),
        }
    }
}

/// An asset in incident, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Incident {
    pub asset: String,
    pub cause: IncidentCause,
}

/// The members in incident on `today`, by name. `internet_exposed` names the members whose
/// exposure is `Internet`. A compromise report comes first; otherwise the overdue KEV finding
/// with the earliest due date (then the smallest id) is the cause.
pub fn open_incidents(
    members: &[Member],
    internet_exposed: &BTreeSet<String>,
    today: NaiveDate,
) -> Vec<Incident> {
    let mut incidents: Vec<Incident> = members
        .iter()
        .filter_map(|member| {
            let cause = match &member.compromised {
                Some(compromise) => Some(IncidentCause::Compromised {
                    reason: compromise.reason.clone(),
                }),
                None if internet_exposed.contains(&member.name) => overdue_kev(member, today),
                None => None,
            }?;
            Some(Incident {
                asset: member.name.clone(),
                cause,
            })
        })
        .collect();
    incidents.sort();
    incidents
}

/// The member's KEV-listed finding that is most overdue on `today`.
fn overdue_kev(member: &Member, today: NaiveDate) -> Option<IncidentCause> {
    member
        .findings
        .iter()
        .filter_map(|f| Some((f.finding.kev_due?, f.finding.id.clone())))
        .filter(|(due, _)| *due < today)
        .min()
        .map(|(due, finding)| IncidentCause::ExposedKevOverdue { finding, due })
}

/// The incidents to respond to, against the assets already responded to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChanges {
    /// Incidents with no response yet.
    pub started: Vec<Incident>,
    /// Incidents responded to that still hold (their actions are re-applied: they are
    /// idempotent, and someone may have undone one).
    pub ongoing: Vec<Incident>,
    /// Assets responded to that are no longer in incident: their actions are reversed.
    pub ended: Vec<String>,
}

/// Sorts `open` incidents against `responded`, the assets with a recorded response.
pub fn incident_changes(open: Vec<Incident>, responded: &[&str]) -> IncidentChanges {
    let responded: BTreeSet<&str> = responded.iter().copied().collect();
    let open_assets: BTreeSet<String> = open.iter().map(|i| i.asset.clone()).collect();
    let (ongoing, started): (Vec<Incident>, Vec<Incident>) = open
        .into_iter()
        .partition(|incident| responded.contains(incident.asset.as_str()));
    let ended = responded
        .into_iter()
        .filter(|asset| !open_assets.contains(*asset))
        .map(str::to_string)
        .collect();
    IncidentChanges {
        started,
        ongoing,
        ended,
    }
}

/// The signed body of an incident webhook: what happened, to which asset, under which policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentNotice {
    /// `IncidentStarted` or `IncidentResolved`.
    pub event: &'static str,
    /// `namespace/name` of the policy.
    pub policy: String,
    /// `namespace/name` of the asset.
    pub asset: String,
    /// The cause in words.
    pub cause: String,
    /// The actions taken (started) or reversed (resolved).
    pub actions: Vec<String>,
    /// RFC 3339.
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{PackageFinding, SlaFinding};
    use crate::threats::Compromise;
    use std::sync::Arc;

    fn member(name: &str) -> Member {
        Member::new(name, "web")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn kev(id: &str, due: &str) -> Arc<PackageFinding> {
        Arc::new(PackageFinding {
            package: "openssl".into(),
            finding: SlaFinding {
                id: id.into(),
                severity: crate::Severity::High,
                published: None,
                kev_due: Some(day(due)),
            },
        })
    }

    #[test]
    fn only_exposed_overdue_kev_findings_and_compromise_reports_are_incidents() {
        let mut overdue = member("web-1");
        overdue.findings = vec![
            kev("CVE-2024-2", "2026-11-22"),
            kev("CVE-2024-1", "2026-11-20"),
        ]
        .into();
        let mut internal = member("db-1");
        internal.findings = vec![kev("CVE-2024-1", "2026-11-20")].into();
        let mut not_due = member("web-2");
        not_due.findings = vec![kev("CVE-2024-3", "2026-12-07")].into();
        let mut reported = member("app-1");
        reported.compromised = Some(Compromise {
            reason: Some("EDR alert".into()),
        });
        let exposed = BTreeSet::from(["web-1".to_string(), "web-2".to_string()]);
        let incidents = open_incidents(
            &[overdue, internal, not_due, reported],
            &exposed,
            day("2026-12-07"),
        );
        assert_eq!(
            incidents,
            [
                Incident {
                    asset: "app-1".into(),
                    cause: IncidentCause::Compromised {
                        reason: Some("EDR alert".into())
                    },
                },
                Incident {
                    asset: "web-1".into(),
                    cause: IncidentCause::ExposedKevOverdue {
                        finding: "CVE-2024-1".into(),
                        due: day("2026-11-20"),
                    },
                },
            ]
        );
        assert_eq!(
            incidents[1].cause.to_string(),
            "exposed to the Internet with KEV-listed CVE-2024-1 unpatched past its due date 2026-11-20"
        );
        assert_eq!(
            incidents[0].cause.to_string(),
            "reported compromised (EDR alert)"
        );
    }

    #[test]
    fn changes_start_new_incidents_keep_ongoing_ones_and_end_the_rest() {
        let incident = |asset: &str| Incident {
            asset: asset.into(),
            cause: IncidentCause::Compromised { reason: None },
        };
        let changes = incident_changes(vec![incident("a"), incident("b")], &["b", "c"]);
        assert_eq!(changes.started, [incident("a")]);
        assert_eq!(changes.ongoing, [incident("b")]);
        assert_eq!(changes.ended, ["c"]);
        let none = incident_changes(Vec::new(), &[]);
        assert_eq!(none, IncidentChanges::default());
    }
}
