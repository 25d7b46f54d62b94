//! The compliance profiles each PatchPolicy lists, checked against its spec and the windows it
//! names among the given documents: one diagnostic per violation, at the field to change, with
//! the numbers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use patchwarden_api::compliance_input::listed_profiles;
use patchwarden_core::compliance::check_policy;
use patchwarden_core::policy::NamedWindow;
use patchwarden_core::window::WindowDefinition;

use crate::diagnostic::{Check, Diagnostic};
use crate::document::{Document, Resource};

/// Checks every policy that lists compliance profiles.
pub(crate) fn profiles(
    documents: &[Document],
    windows: &HashMap<(String, String), WindowDefinition>,
    now: DateTime<Utc>,
    out: &mut Vec<Diagnostic>,
) {
    for document in documents {
        let Some(Resource::PatchPolicy(policy)) = &document.resource else {
            continue;
        };
        let spec = &policy.spec;
        let listed = listed_profiles(&spec.compliance);
        if listed.is_empty() {
            continue;
        }
        let named: Vec<NamedWindow> = spec
            .maintenance_windows
            .iter()
            .filter_map(|name| {
                windows
                    .get(&(document.namespace.clone(), name.clone()))
                    .map(|definition| NamedWindow {
                        name: name.clone(),
                        definition: definition.clone(),
                    })
            })
            .collect();
        // Unresolved or invalid windows and invalid rules are reported by their own checks.
        if named.len() != spec.maintenance_windows.len() {
            continue;
        }
        let key = format!(
            "{}/{}",
            document.namespace,
            document.name.clone().unwrap_or_default()
        );
        let Ok(rules) = spec.policy_rules(&key) else {
            continue;
        };
        for checked in check_policy(&listed, &rules, &named, now) {
            for violation in checked.violations {
                out.push(document.diagnostic(
                    Check::Compliance,
                    violation.field,
                    format!("{} ({})", violation.message, violation.requirement),
                ));
            }
        }
    }
}
