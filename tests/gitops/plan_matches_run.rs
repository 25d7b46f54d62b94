//! The waves `plan` previews are the waves of the PatchRun the controller freezes: for random
//! policies, asset groups and fleets, both paths — `plan` from the revision and the live
//! Assets, the controller from the groups' recorded members and the assessments — give the
//! same waves, or both give none.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use patchwarden::controllers::assessment::AssetAssessment;
use patchwarden::controllers::patch_policy::observe::group_members;
use patchwarden_api::asset::FindingsSummary;
use patchwarden_api::conditions as c;
use patchwarden_api::policy_input::{group_contains, group_selector, run_spec};
use patchwarden_api::{Asset, AssetGroup, PatchPolicy};
use patchwarden_core::policy::{self, Decision, PolicyInput};
use patchwarden_gitops::impact::{PlanInput, compute_plan};
use patchwarden_gitops::resources::ResourceSet;
use patchwarden_gitops::snapshot::Snapshot;
use patchwarden_gitops::source::{Revision, SourceFile};
use proptest::prelude::*;
use serde_json::json;

const TIERS: [&str; 3] = ["web", "db", "api"];
const PACKAGES: [&str; 4] = ["openssl", "curl", "zlib1g", "nginx"];
const SEVERITIES: [&str; 4] = ["Low", "Medium", "High", "Critical"];

/// Inside an opening of the two-hourly window below.
fn now() -> DateTime<Utc> {
    "2026-03-04T12:10:00Z".parse().expect("time")
}

#[derive(Debug, Clone)]
struct FleetAsset {
    tier: usize,
    declared_group: Option<usize>,
    risk: u8,
    upgrades: Vec<(usize, usize, bool)>,
}

#[derive(Debug, Clone)]
struct Scenario {
    assets: Vec<FleetAsset>,
    /// Per group: the tiers its selector takes (empty: `{}`, every asset).
    selectors: Vec<Vec<usize>>,
    /// The policy's groups, in its order.
    policy_groups: Vec<usize>,
    min_severity: usize,
    canary: u32,
    max_unavailable: String,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let asset = (
        0..TIERS.len(),
        proptest::option::weighted(0.2, 0..3usize),
        0u8..4,
        proptest::collection::vec(
            (0..PACKAGES.len(), 0..SEVERITIES.len(), any::<bool>()),
            0..3,
        ),
    )
        .prop_map(|(tier, declared_group, risk, upgrades)| FleetAsset {
            tier,
            declared_group,
            risk,
            upgrades,
        });
    (
        proptest::collection::vec(asset, 0..24),
        proptest::collection::vec(proptest::collection::vec(0..TIERS.len(), 0..3), 3),
        proptest::sample::subsequence(vec![0usize, 1, 2], 1..=3).prop_shuffle(),
        0..SEVERITIES.len(),
        0u32..3,
        prop_oneof![
            (1u32..4).prop_map(|n| n.to_string()),
            (1u32..100).prop_map(|p| format!("\"{p}%\"")),
        ],
    )
        .prop_map(
            |(assets, selectors, policy_groups, min_severity, canary, max_unavailable)| Scenario {
                assets,
                selectors,
                policy_groups,
                min_severity,
                canary,
                max_unavailable,
            },
        )
}

fn group_name(index: usize) -> String {
    format!("group-{index}")
}

fn asset_name(index: usize) -> String {
    format!("host-{index:02}")
}

fn resources_yaml(s: &Scenario) -> String {
    let mut yaml = String::new();
    for (index, tiers) in s.selectors.iter().enumerate() {
        let selector = if tiers.is_empty() {
            "{}".to_string()
        } else {
            let values: Vec<&str> = tiers.iter().map(|t| TIERS[*t]).collect();
            format!(
                "{{matchExpressions: [{{key: tier, operator: In, values: [{}]}}]}}",
                values.join(", ")
            )
        };
        yaml.push_str(&format!(
            "apiVersion: patchwarden.io/v1alpha1\nkind: AssetGroup\nmetadata: {{name: {}, namespace: ops}}\nspec:\n  selector: {selector}\n---\n",
            group_name(index)
        ));
    }
    yaml.push_str(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata: {name: always, namespace: ops}\nspec: {schedule: \"0 */2 * * *\", timeZone: UTC, duration: 110m}\n---\n",
    );
    let groups: Vec<String> = s.policy_groups.iter().map(|g| group_name(*g)).collect();
    yaml.push_str(&format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata: {{name: standard, namespace: ops}}\nspec:\n  assetGroups: [{}]\n  maintenanceWindows: [always]\n  approval: {{minSeverity: {}}}\n  rollout: {{canary: {}, maxUnavailable: {}}}\n",
        groups.join(", "),
        SEVERITIES[s.min_severity],
        s.canary,
        s.max_unavailable
    ));
    yaml
}

fn live_assets(s: &Scenario) -> Vec<Asset> {
    s.assets
        .iter()
        .enumerate()
        .map(|(index, a)| {
            let mut labels = json!({"tier": TIERS[a.tier]});
            if let Some(group) = a.declared_group {
                labels["patchwarden.io/asset-group"] = json!(group_name(group));
            }
            let mut upgrades: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
            for (package, severity, kev) in &a.upgrades {
                upgrades.entry(PACKAGES[*package]).or_insert_with(|| {
                    json!({
                        "package": PACKAGES[*package], "installedVersion": "1.0-1",
                        "fixedVersion": "1.0-2", "severity": SEVERITIES[*severity],
                        "knownExploited": kev,
                        "fixes": [{"id": format!("CVE-2026-{package}{severity}"), "severity": SEVERITIES[*severity]}],
                    })
                });
            }
            let upgrades: Vec<serde_json::Value> = upgrades.into_values().collect();
            serde_json::from_value(json!({
                "apiVersion": "patchwarden.io/v1alpha1", "kind": "Asset",
                "metadata": {"name": asset_name(index), "namespace": "ops", "labels": labels},
                "spec": {"connection": "lab"},
                "status": {
                    "findings": {"riskScore": f64::from(a.risk) * 10.0},
                    "upgrades": upgrades,
                },
            }))
            .expect("asset")
        })
        .collect()
}

/// The waves `plan` previews for the policy in the head revision.
fn planned_waves(yaml: &str, assets: &[Asset]) -> Option<Vec<Vec<String>>> {
    let head = ResourceSet::parse(&[SourceFile {
        path: "fleet/resources.yaml".into(),
        content: yaml.to_string(),
    }])
    .expect("resources parse");
    let revision = Revision {
        reference: "main".into(),
        commit: "0".repeat(40),
    };
    let live = Snapshot::new(now(), assets.to_vec(), Vec::new());
    let report = compute_plan(&PlanInput {
        base: &revision,
        head: &revision,
        base_resources: &ResourceSet::default(),
        head_resources: &head,
        head_problems: &[],
        live: Some(&live),
        default_namespace: "ops",
        now: now(),
    });
    let policy = report.policies.iter().find(|p| p.name == "standard")?;
    Some(policy.rollout.as_ref()?.after.as_ref()?.wave_assets.clone())
}

/// The waves of the PatchRun the controller freezes: groups record their members by the one
/// membership rule, the controller assembles the members with their assessments and freezes
/// the run its evaluation starts.
fn frozen_waves(yaml: &str, assets: &[Asset]) -> Option<Vec<Vec<String>>> {
    let documents: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .collect();
    let of_kind = |kind: &'static str| documents.iter().filter(move |d| d["kind"] == kind).cloned();
    let policy: PatchPolicy =
        serde_json::from_value(of_kind("PatchPolicy").next().expect("policy")).expect("policy");
    let all_groups: BTreeMap<String, AssetGroup> = of_kind("AssetGroup")
        .map(|d| {
            let mut group: AssetGroup = serde_json::from_value(d).expect("group");
            let selector = group_selector(&group.spec).expect("valid selector");
            let mut members: Vec<String> = assets
                .iter()
                .filter(|a| group_contains(&group.name_any(), selector.as_ref(), a))
                .map(|a| a.name_any())
                .collect();
            members.sort();
            let mut status = patchwarden_api::AssetGroupStatus {
                members,
                ..Default::default()
            };
            let at = patchwarden_api::time::to_k8s(now());
            c::set_condition(
                &mut status.conditions,
                c::new_condition(
                    c::READY,
                    c::TRUE,
                    "Succeeded",
                    String::new(),
                    None,
                    at.clone(),
                ),
                at,
            );
            group.status = Some(status);
            (group.name_any(), group)
        })
        .collect();
    let groups: Vec<AssetGroup> = policy
        .spec
        .asset_groups
        .iter()
        .map(|name| all_groups[name].clone())
        .collect();
    let by_name: BTreeMap<String, Asset> =
        assets.iter().map(|a| (a.name_any(), a.clone())).collect();
    let found = group_members(&groups, &by_name, |asset| {
        let status = asset.status.as_ref()?;
        Some(Arc::new(
            AssetAssessment {
                summary: FindingsSummary {
                    risk_score: status.findings.as_ref()?.risk_score,
                    ..Default::default()
                },
                upgrades: status.upgrades.iter().cloned().map(Arc::new).collect(),
                ..Default::default()
            }
            .for_policies(),
        ))
    });
    let window = of_kind("MaintenanceWindow").next().expect("window");
    let window: patchwarden_api::MaintenanceWindow =
        serde_json::from_value(window).expect("window");
    let windows = [policy::NamedWindow {
        name: "always".into(),
        definition: window.spec.to_definition().expect("window definition"),
    }];
    let rules = policy.spec.policy_rules("ops/standard").expect("rules");
    let evaluation = policy::evaluate(&PolicyInput {
        rules: &rules,
        members: &found.members,
        unassessed: &found.unassessed,
        windows: &windows,
        runs: &[],
        generation: Some(1),
        requested_at: None,
        now: now(),
    });
    let Decision::Start { run } = &evaluation.decision else {
        return None;
    };
    let spec = run_spec("standard", &policy.spec, run);
    Some(spec.waves.iter().map(|w| w.assets.clone()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn plan_previews_the_waves_the_controller_freezes(s in scenario()) {
        let yaml = resources_yaml(&s);
        let assets = live_assets(&s);
        let planned = planned_waves(&yaml, &assets);
        let frozen = frozen_waves(&yaml, &assets);
        // A run carries the waves that finish in its window; the plan previews them all, so
        // the frozen waves are the plan's first ones (all of them when the run fits).
        let prefix = planned
            .as_ref()
            .zip(frozen.as_ref())
            .map(|(planned, frozen)| planned[..frozen.len().min(planned.len())].to_vec());
        prop_assert_eq!(planned.is_some(), frozen.is_some(), "resources:\n{}", yaml);
        prop_assert_eq!(&prefix, &frozen, "resources:\n{}", yaml);
        prop_assert!(frozen.as_ref().is_none_or(|f| !f.is_empty()), "resources:\n{}", yaml);
    }
}

#[test]
fn a_fleet_with_approved_patches_is_frozen_into_the_previewed_waves() {
    // One fixed case that must produce waves on both sides, so the property above cannot
    // pass by both sides giving none.
    let s = Scenario {
        assets: (0..6)
            .map(|i| FleetAsset {
                tier: i % 2,
                declared_group: None,
                risk: u8::try_from(i % 3).expect("small"),
                upgrades: vec![(0, 3, i == 0)],
            })
            .collect(),
        selectors: vec![vec![0], vec![1], vec![]],
        policy_groups: vec![0, 1],
        min_severity: 0,
        canary: 1,
        max_unavailable: "2".into(),
    };
    let yaml = resources_yaml(&s);
    let assets = live_assets(&s);
    let frozen = frozen_waves(&yaml, &assets).expect("a run starts");
    assert_eq!(frozen.iter().map(Vec::len).sum::<usize>(), 6);
    assert_eq!(frozen[0].len(), 1, "canary first: {frozen:?}");
    // Two groups of three with maxUnavailable 2 each: after the canary a wave takes 2 of each
    // group, so each group is its own pool (one shared pool would give waves of 2).
    assert_eq!(frozen[1].len(), 4, "{frozen:?}");
    assert_eq!(planned_waves(&yaml, &assets), Some(frozen));
}
