//! Resource YAML as Git and `patchwarden validate` load it: the validator (its own YAML
//! reader, schema, meaning and reference checks) and the GitOps resource set.

use chrono::{DateTime, Utc};
use patchwarden_gitops::resources::ResourceSet;
use patchwarden_gitops::source::SourceFile;
use patchwarden_validate::{Options, validate_sources};

use crate::target::{Target, Violation, text};

const SEEDS: &[&str] = &[
    include_str!("../../../examples/quickstart/windows.yaml"),
    include_str!("../../../examples/quickstart/policies.yaml"),
    include_str!("../../../examples/quickstart/fleet.yaml"),
    include_str!("../../../examples/quickstart/feeds.yaml"),
    "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata:\n  name: web\n  namespace: prod\n  labels: {tier: web}\nspec:\n  selector:\n    matchLabels: {tier: web}\n    matchExpressions:\n    - {key: env, operator: In, values: [prod]}\n  hosts:\n  - name: web-1\n    address: 192.0.2.10\n    port: 22\n    user: patch\n    hostKey: SHA256:abcdef\n    credentialsSecretRef: {name: ssh-auth}\n  criticality: High\n  exposure: Internet\n---\napiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata: {name: nightly, namespace: prod}\nspec:\n  schedule: '0 2 * * *'\n  timeZone: Europe/Berlin\n  duration: 3h\n  offsetDays: 1\n  blackouts:\n  - {start: 2026-12-24, end: '2027-01-02T00:00:00Z', reason: freeze}\n",
    "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata: &m\n  name: p\nspec:\n  assetGroups: [web]\n  maintenanceWindows: [nightly]\n  mode: Enforce\n  compliance: [PCI-DSS-4.0-6.3.3, CISA-BOD-22-01]\n  approval: {minSeverity: High, approveAfter: 2d, delayKnownExploited: false}\n  sla: {critical: 7d, high: 30d, kevDueDate: true}\n  emergency: [KnownExploited, SlaBreach, EpssAbove]\n  emergencyThresholds: {epss: 0.5}\n  rollout: {canary: 10%, maxUnavailable: 25%, maxFailures: 1}\n  reboot: IfRequired\n---\n# empty\n---\n[1, 2]\n",
];
const DICTIONARY: &[&str] = &[
    "apiVersion: patchwarden.io/v1alpha1\n",
    "kind: ",
    "PatchPolicy",
    "AssetGroup",
    "Asset",
    "MaintenanceWindow",
    "VulnerabilityFeed",
    "PatchRun",
    "metadata:",
    "spec:",
    "name: ",
    "---\n",
    "\n  ",
    "\n",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!int ",
    "? ",
    "|\n",
    ">-\n",
    "'",
    "\"",
    "\\u0000",
    "~",
    "null",
    ".inf",
    "0x1F",
    "1e400",
    "%YAML 1.2\n",
    "\t",
    "#",
    "...\n",
];

/// The instant the window and SLA checks start from, fixed so that runs are reproducible.
const NOW_UNIX: i64 = 1_767_225_600;

/// The validator reports on any input; its counts agree with its diagnostics.
fn validate(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let now = DateTime::<Utc>::from_timestamp(NOW_UNIX, 0).unwrap_or_default();
    let report = validate_sources([("fuzz.yaml", text.as_ref())], &Options::new(now));
    if report.is_valid() != (report.error_count() == 0) {
        return Err(Violation::new(
            "valid-means-no-errors",
            format!(
                "is_valid {} with {} errors",
                report.is_valid(),
                report.error_count()
            ),
        ));
    }
    let _ = report.resources();
    let _ = report.to_json();
    let _ = report.render_human(false);
    Ok(())
}

fn gitops(input: &[u8]) -> Result<(), Violation> {
    let file = SourceFile {
        path: "fuzz.yaml".to_string(),
        content: text(input).into_owned(),
    };
    let _ = ResourceSet::parse(std::slice::from_ref(&file));
    Ok(())
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "resources-validate",
        about: "validate validate_sources (YAML reader, schema, checks, references)",
        seeds: SEEDS,
        dictionary: DICTIONARY,
        generate: None,
        check: validate,
    },
    Target {
        name: "resources-gitops",
        about: "gitops ResourceSet::parse (a revision's resources)",
        seeds: SEEDS,
        dictionary: DICTIONARY,
        generate: None,
        check: gitops,
    },
];
