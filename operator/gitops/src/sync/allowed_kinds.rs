//! Which kinds of object a Git source may apply. By default only the patchwarden kinds that
//! describe intent (AssetGroup, Asset, MaintenanceWindow, PatchPolicy, VulnerabilityFeed in
//! `patchwarden.io`); anything else — a Secret, a PatchRun (which runs hooks on the fleet), a
//! Namespace, a CustomResourceDefinition — has to be allowed by name. A revision declaring a
//! kind that is not allowed is rejected as a whole, naming the file and the kind. Pure.

use std::collections::BTreeSet;

use crate::resources::ResourceSet;
use crate::revision::RevisionProblem;

/// The API group of the patchwarden kinds.
pub const PATCHWARDEN_GROUP: &str = "patchwarden.io";

/// The patchwarden kinds a Git source applies unless told otherwise.
pub const DEFAULT_KINDS: [&str; 5] = [
    "AssetGroup",
    "Asset",
    "MaintenanceWindow",
    "PatchPolicy",
    "VulnerabilityFeed",
];

/// The kinds a sync may apply, each as (API group, kind); the core group is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedKinds {
    kinds: BTreeSet<(String, String)>,
    /// Every kind is allowed (`*`).
    everything: bool,
}

impl Default for AllowedKinds {
    fn default() -> Self {
        AllowedKinds {
            kinds: DEFAULT_KINDS
                .iter()
                .map(|kind| (PATCHWARDEN_GROUP.to_string(), (*kind).to_string()))
                .collect(),
            everything: false,
        }
    }
}

/// An allowed kind that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a kind: write KIND for the core group (Secret), GROUP/KIND (patchwarden.io/PatchRun) or *"
)]
pub struct InvalidAllowedKind(pub String);

impl AllowedKinds {
    /// The default kinds and also `extra`, each written `Kind` (core group), `group/Kind`, or
    /// `*` (every kind).
    pub fn with_extra<'a>(
        extra: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidAllowedKind> {
        let mut allowed = AllowedKinds::default();
        for entry in extra {
            allowed.allow(entry)?;
        }
        Ok(allowed)
    }

    /// Allows one more kind, written `Kind`, `group/Kind` or `*`.
    pub fn allow(&mut self, entry: &str) -> Result<(), InvalidAllowedKind> {
        let entry = entry.trim();
        if entry == "*" {
            self.everything = true;
            return Ok(());
        }
        let (group, kind) = entry.rsplit_once('/').unwrap_or(("", entry));
        let valid_kind = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && kind.chars().all(|c| c.is_ascii_alphanumeric());
        let valid_group = group
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !valid_kind || !valid_group {
            return Err(InvalidAllowedKind(entry.to_string()));
        }
        self.kinds.insert((group.to_string(), kind.to_string()));
        Ok(())
    }

    /// Whether objects of `kind` in API `group` may be applied.
    pub fn allows(&self, group: &str, kind: &str) -> bool {
        self.everything || self.kinds.contains(&(group.to_string(), kind.to_string()))
    }

    /// One problem per declared object whose kind is not allowed, naming its file and kind.
    pub fn refusals(&self, resources: &ResourceSet) -> Vec<RevisionProblem> {
        resources
            .iter()
            .filter(|resource| !self.allows(resource.key.group(), &resource.key.kind))
            .map(|resource| RevisionProblem {
                file: resource.file.clone(),
                message: format!(
                    "{} {}: kind {} ({}) may not be applied from Git; allow it on the source \
                     (--git-allow-kind {}) if it belongs there",
                    resource.key.api_version,
                    resource.key,
                    resource.key.kind,
                    group_label(resource.key.group()),
                    qualified(resource.key.group(), &resource.key.kind),
                ),
            })
            .collect()
    }
}

fn group_label(group: &str) -> &str {
    if group.is_empty() {
        "core group"
    } else {
        group
    }
}

fn qualified(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{group}/{kind}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn resources(text: &str) -> ResourceSet {
        ResourceSet::parse(&[SourceFile {
            path: "fleet/objects.yaml".into(),
            content: text.into(),
        }])
        .expect("parses")
    }

    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: token, namespace: ops}\n";
    const RUN: &str = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchRun\nmetadata: {name: r, namespace: ops}\n";
    const POLICY: &str = "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata: {name: p, namespace: ops}\n";

    #[test]
    fn secrets_and_patch_runs_are_refused_by_default_naming_file_and_kind() {
        let set = resources(&format!("{SECRET}---\n{RUN}---\n{POLICY}"));
        let problems = AllowedKinds::default().refusals(&set);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.file == "fleet/objects.yaml"));
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|t| t.contains("kind Secret (core group)")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("kind PatchRun (patchwarden.io)")),
            "{text:?}"
        );
    }

    #[test]
    fn kinds_allowed_by_name_or_star_are_applied() {
        let set = resources(&format!("{SECRET}---\n{RUN}---\n{POLICY}"));
        let allowed =
            AllowedKinds::with_extra(["Secret", "patchwarden.io/PatchRun"]).expect("valid");
        assert!(allowed.refusals(&set).is_empty());
        let everything = AllowedKinds::with_extra(["*"]).expect("valid");
        assert!(everything.allows("example.com", "Widget"));
        // Same kind name, other group: still refused.
        let other_group = AllowedKinds::default();
        assert!(!other_group.allows("evil.example.com", "PatchPolicy"));
        assert!(AllowedKinds::with_extra(["secret"]).is_err());
        assert!(AllowedKinds::with_extra(["Bad/Group/Kind"]).is_err());
    }
}
