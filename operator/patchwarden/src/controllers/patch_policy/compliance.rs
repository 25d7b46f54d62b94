//! The compliance profiles a policy lists, checked on every reconcile: statically against its
//! rules and windows, and against outcomes (its members' open findings and the findings its
//! runs fixed). Each profile gets a `Compliant-<profile>` condition and a `complianceProfiles`
//! entry; conditions of profiles no longer listed are removed.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use patchwarden_api::compliance_input::{listed_profiles, profile_compliance, tracked_findings};
use patchwarden_api::conditions as c;
use patchwarden_api::patch_policy::{PatchPolicy, ProfileCompliance};
use patchwarden_api::time::to_k8s;
use patchwarden_core::compliance::{ProfileId, check_outcomes, check_policy};
use patchwarden_core::policy::PolicyRules;

use super::observe::Observed;

/// Prefix of the per-profile condition types.
const CONDITION_PREFIX: &str = "Compliant-";

/// The standing of each profile `policy` lists.
pub fn profiles(
    policy: &PatchPolicy,
    rules: &PolicyRules,
    observed: &Observed,
    now: DateTime<Utc>,
) -> Vec<ProfileCompliance> {
    let listed = listed_profiles(&policy.spec.compliance);
    if listed.is_empty() {
        return Vec::new();
    }
    let statics = check_policy(&listed, rules, &observed.windows, now);
    let findings = tracked_findings(&observed.members, &observed.run_objects);
    statics
        .iter()
        .map(|checked| {
            let outcome = check_outcomes(checked.profile, &rules.sla, &findings, now);
            profile_compliance(checked, &outcome)
        })
        .collect()
}

/// Sets one condition per entry and removes those of profiles no longer listed.
pub fn set_conditions(
    conditions: &mut Vec<Condition>,
    entries: &[ProfileCompliance],
    generation: Option<i64>,
    now: DateTime<Utc>,
) {
    let at = to_k8s(now);
    let stale: Vec<String> = conditions
        .iter()
        .map(|condition| condition.type_.clone())
        .filter(|type_| {
            type_.starts_with(CONDITION_PREFIX)
                && !entries
                    .iter()
                    .any(|e| condition_type(&e.profile).as_deref() == Some(type_.as_str()))
        })
        .collect();
    for type_ in stale {
        c::remove_condition(conditions, &type_);
    }
    for entry in entries {
        let Some(type_) = condition_type(&entry.profile) else {
            continue;
        };
        c::set_condition(
            conditions,
            c::new_condition(
                &type_,
                &entry.status,
                &entry.reason,
                entry.message.clone(),
                generation,
                at.clone(),
            ),
            at.clone(),
        );
    }
}

fn condition_type(profile: &str) -> Option<String> {
    profile
        .parse::<ProfileId>()
        .ok()
        .map(ProfileId::condition_type)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn entry(profile: &str, status: &str, reason: &str) -> ProfileCompliance {
        ProfileCompliance {
            profile: profile.into(),
            status: status.into(),
            reason: reason.into(),
            message: format!("{profile}: {reason}"),
            ..ProfileCompliance::default()
        }
    }

    #[test]
    fn one_condition_per_listed_profile_and_none_for_dropped_ones() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("now");
        let mut conditions = vec![c::new_condition(
            c::COMPLIANT,
            c::TRUE,
            "AllCompliant",
            "",
            Some(1),
            to_k8s(now),
        )];
        let listed = [
            entry("PCI-DSS-4.0-6.3.3", "False", "DeadlinesMissed"),
            entry("CISA-BOD-22-01", "True", "Compliant"),
        ];
        set_conditions(&mut conditions, &listed, Some(1), now);
        let types: Vec<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(
            types,
            [
                "Compliant",
                "Compliant-PCI-DSS-4.0-6.3.3",
                "Compliant-CISA-BOD-22-01"
            ]
        );
        let pci = c::find_condition(&conditions, "Compliant-PCI-DSS-4.0-6.3.3").expect("pci");
        assert_eq!(
            (pci.status.as_str(), pci.reason.as_str()),
            ("False", "DeadlinesMissed")
        );

        set_conditions(&mut conditions, &listed[1..], Some(2), now);
        let types: Vec<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, ["Compliant", "Compliant-CISA-BOD-22-01"]);
    }
}
