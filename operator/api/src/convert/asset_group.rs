//! The checks of an AssetGroup's spec: it selects something, its selectors are valid label
//! selectors, its host names are unique, and its lab faults name a package and hosts of the
//! group.

use std::collections::BTreeSet;

use super::{CheckSpec, SpecError};
use crate::asset_group::{AssetGroup, LabFaultKind, LabFleet};
use crate::label_selector;

impl CheckSpec for AssetGroup {
    fn spec_errors(&self) -> Vec<SpecError> {
        let spec = &self.spec;
        let mut errors = Vec::new();
        if spec.selector.is_none()
            && spec.node_selector.is_none()
            && spec.hosts.is_empty()
            && spec.lab.is_none()
        {
            errors.push(SpecError::new(
                "spec",
                "the group selects nothing: set selector, nodeSelector, hosts or lab",
            ));
        }
        if let Some(selector) = &spec.selector {
            errors.extend(label_selector::spec_errors("spec.selector", selector));
        }
        if let Some(selector) = &spec.node_selector {
            errors.extend(label_selector::spec_errors("spec.nodeSelector", selector));
        }
        let mut names = BTreeSet::new();
        for (i, host) in spec.hosts.iter().enumerate() {
            if !names.insert(host.name.as_str()) {
                errors.push(SpecError::new(
                    format!("spec.hosts[{i}].name"),
                    format!("host name {:?} is used twice", host.name),
                ));
            }
        }
        if let Some(lab) = &spec.lab {
            let group = self.metadata.name.as_deref().unwrap_or_default();
            lab_fault_errors(lab, group, &mut errors);
        }
        errors
    }
}

/// A fault other than unreachability needs the package that triggers it, and names hosts of
/// the lab fleet of `group`.
fn lab_fault_errors(lab: &LabFleet, group: &str, errors: &mut Vec<SpecError>) {
    let hosts: BTreeSet<String> = lab.host_names(group).into_iter().collect();
    for (i, fault) in lab.faults.iter().enumerate() {
        if fault.kind != LabFaultKind::Unreachable && fault.package.is_none() {
            errors.push(SpecError::new(
                format!("spec.lab.faults[{i}].package"),
                format!(
                    "a {:?} fault needs the package that triggers it",
                    fault.kind
                ),
            ));
        }
        for (j, host) in fault.hosts.iter().enumerate() {
            if !hosts.contains(host) {
                errors.push(SpecError::new(
                    format!("spec.lab.faults[{i}].hosts[{j}]"),
                    format!(
                        "no lab host {host:?} in this group (its hosts are {})",
                        describe_names(&hosts)
                    ),
                ));
            }
        }
    }
}

/// "a-0 … a-5" for a long list, every name for a short one.
fn describe_names(names: &BTreeSet<String>) -> String {
    let list: Vec<&String> = names.iter().collect();
    match list.as_slice() {
        [] => "none".to_string(),
        [first, .., last] if list.len() > 4 => format!("{first} … {last}"),
        _ => list
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}
