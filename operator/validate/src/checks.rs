//! Checks across documents: unique names, references that resolve within the set, windows
//! that open in the next year, and SLA deadlines that the windows can meet.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use patchwarden_core::Duration;
use patchwarden_core::sla::{EmergencyRule, effective_emergency_rules};
use patchwarden_core::window::{WindowDefinition, openings, opens_within, scheduled_occurrences};

use crate::diagnostic::{Check, Diagnostic};
use crate::document::{Document, Resource};

/// How far ahead windows must open and SLA gaps are measured.
pub const HORIZON: Duration = Duration::from_days(365);

/// Most openings of one window scanned for the SLA gap (one every ~5 minutes for a year).
const MAX_OPENINGS: usize = 100_000;

/// Runs every cross-document check.
pub(crate) fn check_all(documents: &[Document], now: DateTime<Utc>, out: &mut Vec<Diagnostic>) {
    duplicates(documents, out);
    let windows = window_definitions(documents);
    references(documents, out);
    windows_open(documents, &windows, now, out);
    sla_gaps(documents, &windows, now, out);
    crate::compliance::profiles(documents, &windows, now, out);
}

/// Names are unique per API group, kind and namespace.
fn duplicates(documents: &[Document], out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<(String, String, String, String), &Document> = HashMap::new();
    for document in documents {
        let (Some(api_version), Some(kind), Some(name)) =
            (&document.api_version, &document.kind, &document.name)
        else {
            continue;
        };
        let group = api_version
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_string();
        let key = (
            group,
            kind.clone(),
            document.namespace.clone(),
            name.clone(),
        );
        match first.get(&key) {
            Some(earlier) => out.push(document.diagnostic(
                Check::Duplicate,
                "metadata.name",
                format!(
                    "{kind} {}/{name} is already declared in {} (line {})",
                    document.namespace,
                    earlier.file,
                    earlier.line_of("metadata.name")
                ),
            )),
            None => {
                first.insert(key, document);
            }
        }
    }
}

/// Names of the patchwarden resources of `kind` in each namespace.
fn names_of(documents: &[Document], kind: &str) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for document in documents.iter().filter(|d| d.is_patchwarden()) {
        if document.kind.as_deref() == Some(kind)
            && let Some(name) = &document.name
        {
            names
                .entry(document.namespace.clone())
                .or_default()
                .push(name.clone());
        }
    }
    names
}

/// A reference error, with the closest existing name as a hint.
fn missing(kind: &str, name: &str, namespace: &str, known: Option<&Vec<String>>) -> String {
    let hint = known
        .and_then(|names| crate::suggest::closest(name, names.iter().map(String::as_str)))
        .map(|n| format!(" (did you mean {n:?}?)"))
        .unwrap_or_default();
    format!("{kind} {name:?} is not declared in namespace {namespace:?} in the given files{hint}")
}

/// References from policies and runs to groups, windows and policies resolve within the set.
fn references(documents: &[Document], out: &mut Vec<Diagnostic>) {
    let groups = names_of(documents, "AssetGroup");
    let windows = names_of(documents, "MaintenanceWindow");
    let policies = names_of(documents, "PatchPolicy");
    let exists = |index: &BTreeMap<String, Vec<String>>, namespace: &str, name: &str| {
        index
            .get(namespace)
            .is_some_and(|names| names.iter().any(|n| n == name))
    };
    for document in documents {
        let ns = document.namespace.as_str();
        match &document.resource {
            Some(Resource::PatchPolicy(policy)) => {
                for (i, name) in policy.spec.asset_groups.iter().enumerate() {
                    if !exists(&groups, ns, name) {
                        out.push(document.diagnostic(
                            Check::Reference,
                            &format!("spec.assetGroups[{i}]"),
                            missing("AssetGroup", name, ns, groups.get(ns)),
                        ));
                    }
                }
                for (i, name) in policy.spec.maintenance_windows.iter().enumerate() {
                    if !exists(&windows, ns, name) {
                        out.push(document.diagnostic(
                            Check::Reference,
                            &format!("spec.maintenanceWindows[{i}]"),
                            missing("MaintenanceWindow", name, ns, windows.get(ns)),
                        ));
                    }
                }
            }
            Some(Resource::PatchRun(run)) => {
                if let Some(name) = &run.spec.policy
                    && !exists(&policies, ns, name)
                {
                    out.push(document.diagnostic(
                        Check::Reference,
                        "spec.policy",
                        missing("PatchPolicy", name, ns, policies.get(ns)),
                    ));
                }
                if let Some(name) = &run.spec.window
                    && !exists(&windows, ns, name)
                {
                    out.push(document.diagnostic(
                        Check::Reference,
                        "spec.window",
                        missing("MaintenanceWindow", name, ns, windows.get(ns)),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// The valid window definitions, by (namespace, name).
fn window_definitions(documents: &[Document]) -> HashMap<(String, String), WindowDefinition> {
    documents
        .iter()
        .filter_map(|d| match &d.resource {
            Some(Resource::MaintenanceWindow(window)) => {
                let definition = window.spec.to_definition().ok()?;
                Some(((d.namespace.clone(), d.name.clone()?), definition))
            }
            _ => None,
        })
        .collect()
}

/// "2026-12-24 18:00 UTC".
fn show(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Every valid, unsuspended window opens at least once in the next year, outside its blackouts.
fn windows_open(
    documents: &[Document],
    windows: &HashMap<(String, String), WindowDefinition>,
    now: DateTime<Utc>,
    out: &mut Vec<Diagnostic>,
) {
    let year_end = now + HORIZON.to_chrono();
    for document in documents {
        let Some(Resource::MaintenanceWindow(_)) = &document.resource else {
            continue;
        };
        let Some(definition) = document
            .name
            .as_ref()
            .and_then(|n| windows.get(&(document.namespace.clone(), n.clone())))
        else {
            continue;
        };
        if definition.suspend || opens_within(definition, now, HORIZON) {
            continue;
        }
        let occurrences = scheduled_occurrences(definition, now, 10_000);
        let within: Vec<_> = occurrences
            .iter()
            .filter(|o| o.scheduled_open < year_end)
            .collect();
        if within.is_empty() {
            let first = occurrences
                .first()
                .map(|o| format!("; it first fires on {}", show(o.scheduled_open)))
                .unwrap_or_else(|| "; it does not fire in the next two years".to_string());
            out.push(document.diagnostic(
                Check::WindowNeverOpens,
                "spec.schedule",
                format!(
                    "the window does not open in the next year (from {}){first}",
                    show(now)
                ),
            ));
        } else {
            let mut reasons: Vec<&str> = within
                .iter()
                .flat_map(|o| o.blacked_out_by.iter().map(String::as_str))
                .collect();
            reasons.sort_unstable();
            reasons.dedup();
            out.push(document.diagnostic(
                Check::WindowNeverOpens,
                "spec.blackouts",
                format!(
                    "every opening in the next year ({} scheduled, the first on {}) falls inside blackouts ({}), so the window never opens",
                    within.len(),
                    show(within[0].scheduled_open),
                    reasons.join(", ")
                ),
            ));
        }
    }
}

/// The longest stretch in the next year during which none of `definitions` lets work start,
/// counting from `now` to the first opening and between openings (not after the last one).
fn longest_wait(
    definitions: &[&WindowDefinition],
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let until = now + HORIZON.to_chrono();
    let mut intervals: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for definition in definitions {
        let before = intervals.len();
        intervals.extend(
            openings(definition, now, until)
                .filter(|o| o.is_usable())
                .map(|o| (o.opens_at, o.cutoff_at))
                .take(MAX_OPENINGS + 1),
        );
        // A window that opens this often leaves no gap worth measuring; the year is not scanned.
        if intervals.len() - before > MAX_OPENINGS {
            return None;
        }
    }
    if intervals.is_empty() {
        return None;
    }
    intervals.sort();
    let mut longest: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut gap_start = now;
    for (opens, cutoff) in intervals {
        if opens > gap_start && longest.is_none_or(|(a, b)| opens - gap_start > b - a) {
            longest = Some((gap_start, opens));
        }
        gap_start = gap_start.max(cutoff);
    }
    longest
}

/// Each SLA deadline of a policy is at least as long as the longest wait for one of its
/// windows, unless the policy may start out of window on an SLA breach.
fn sla_gaps(
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
        let emergency = effective_emergency_rules(spec.emergency_rules());
        let never = emergency.is_empty();
        if spec.maintenance_windows.is_empty() {
            if never {
                out.push(document.diagnostic(
                    Check::SlaGap,
                    "spec.maintenanceWindows",
                    "no maintenance windows and no emergency rule: the policy can never start a rollout",
                ));
            }
            continue;
        }
        if emergency.contains(&EmergencyRule::SlaBreach) {
            continue;
        }
        let definitions: Vec<&WindowDefinition> = spec
            .maintenance_windows
            .iter()
            .filter_map(|name| windows.get(&(document.namespace.clone(), name.clone())))
            .collect();
        // Unresolved or invalid windows are reported by their own checks.
        if definitions.len() != spec.maintenance_windows.len() {
            continue;
        }
        let Some((from, until)) = longest_wait(&definitions, now) else {
            continue;
        };
        let wait = Duration::from_secs(u64::try_from((until - from).num_seconds()).unwrap_or(0));
        let Ok(rules) = spec.sla_rules() else {
            continue;
        };
        for (severity, deadline) in rules.deadlines.iter().rev() {
            if *deadline >= wait {
                continue;
            }
            let field = format!("spec.sla.{}", severity.as_str().to_ascii_lowercase());
            let written = spec
                .sla
                .for_severity(*severity)
                .map_or_else(|| deadline.to_string(), |d| d.as_str().to_string());
            out.push(document.diagnostic(
                Check::SlaGap,
                &field,
                format!(
                    "{} SLA {written} is shorter than the longest wait for a window, {wait} (from {} to {}, windows: {}); a {} finding published then misses its deadline. Add a window, lengthen the SLA or allow `emergency: [SlaBreach]`",
                    severity.as_str().to_ascii_lowercase(),
                    show(from),
                    show(until),
                    spec.maintenance_windows.join(", "),
                    severity.as_str().to_ascii_lowercase(),
                ),
            ));
        }
    }
}
