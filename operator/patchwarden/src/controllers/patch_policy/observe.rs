//! Observe: the policy's asset groups and maintenance windows (each must exist and be valid),
//! the members of its groups with their assessments, and its runs — gathered into the plain
//! data `core::policy::evaluate` reads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kube::ResourceExt;
use kube::api::ListParams;
use kube::runtime::reflector::{ObjectRef, Store};
use patchwarden_api::Exposure;
use patchwarden_api::asset::{Asset, AssetStatus};
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::labels;
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::{PatchPolicy, SeverityCounts};
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::policy_input::{policy_member, run_record};
use patchwarden_core::policy::{Member, NamedWindow, RunRecord, suspension_reason};
use patchwarden_core::threats::{compromise_signal, compromised_risk};

use super::super::assessment::AssetAssessment;
use super::super::error::{ReconcileError, Terminal};
use super::super::{Context, object_key};

/// What the policy's evaluation reads.
pub struct Observed {
    pub namespace: String,
    pub members: Vec<Member>,
    /// Members (and groups) whose assessment is not ready.
    pub unassessed: Vec<String>,
    /// Members that cannot be reached (`Stalled`), with the reason; the others go on.
    pub stalled: Vec<String>,
    pub windows: Vec<NamedWindow>,
    pub runs: Vec<RunRecord>,
    /// The runs themselves, for their messages in conditions.
    pub run_objects: Vec<PatchRun>,
    /// Open findings of the assessed members, by severity.
    pub open_findings: SeverityCounts,
    /// Each member's operating system, its outcome profile.
    pub os: BTreeMap<String, String>,
    /// The members reachable from the Internet (their own exposure, else their group's).
    pub internet_exposed: BTreeSet<String>,
    /// How long gathering the members took (work over the whole fleet, no waiting).
    pub members_took: std::time::Duration,
}

impl Observed {
    /// The `namespace/name` key of a member asset.
    pub fn asset_key(&self, name: &str) -> String {
        format!("{}/{name}", self.namespace)
    }

    pub fn run(&self, name: &str) -> Option<&PatchRun> {
        self.run_objects.iter().find(|r| r.name_any() == name)
    }
}

pub async fn observe(
    context: &Context,
    policy: &PatchPolicy,
    assets: &Store<Asset>,
) -> Result<Observed, ReconcileError> {
    let namespace = policy
        .namespace()
        .unwrap_or_else(|| String::from("default"));
    let groups = groups(context, policy, &namespace).await?;
    let windows = windows(context, policy, &namespace).await?;
    let mut observed = Observed {
        namespace,
        members: Vec::new(),
        unassessed: Vec::new(),
        stalled: Vec::new(),
        windows,
        runs: Vec::new(),
        run_objects: Vec::new(),
        open_findings: SeverityCounts::default(),
        os: BTreeMap::new(),
        internet_exposed: BTreeSet::new(),
        members_took: std::time::Duration::ZERO,
    };
    let gathering = std::time::Instant::now();
    members(context, &groups, assets, &mut observed);
    observed.members_took = gathering.elapsed();
    let runs_api = context.api_for::<PatchRun, _>(policy);
    observed.run_objects = runs_api
        .list(&ListParams::default().labels(&format!("{}={}", labels::POLICY, policy.name_any())))
        .await?
        .items;
    observed.runs = observed.run_objects.iter().map(run_record).collect();
    Ok(observed)
}

async fn groups(
    context: &Context,
    policy: &PatchPolicy,
    namespace: &str,
) -> Result<Vec<AssetGroup>, ReconcileError> {
    let api = context.api_for::<AssetGroup, _>(policy);
    let mut groups = Vec::new();
    for (index, group) in policy.spec.asset_groups.iter().enumerate() {
        match api.get_opt(group).await? {
            Some(found) => groups.push(found),
            None => {
                return Err(Terminal::new(reason::REFERENCE_NOT_FOUND, format!(
                        "spec.assetGroups[{index}]: AssetGroup {group:?} does not exist in namespace {namespace}"
                    )).into());
            }
        }
    }
    Ok(groups)
}

async fn windows(
    context: &Context,
    policy: &PatchPolicy,
    namespace: &str,
) -> Result<Vec<NamedWindow>, ReconcileError> {
    let api = context.api_for::<MaintenanceWindow, _>(policy);
    let mut windows = Vec::new();
    for (index, name) in policy.spec.maintenance_windows.iter().enumerate() {
        let Some(found) = api.get_opt(name).await? else {
            return Err(Terminal::new(reason::REFERENCE_NOT_FOUND, format!(
                    "spec.maintenanceWindows[{index}]: MaintenanceWindow {name:?} does not exist in namespace {namespace}"
                )).into());
        };
        match found.spec.to_definition() {
            Ok(definition) => windows.push(NamedWindow {
                name: name.clone(),
                definition,
            }),
            Err(e) => {
                return Err(Terminal::new(reason::DEPENDENCY_NOT_READY, format!(
                        "spec.maintenanceWindows[{index}]: MaintenanceWindow {name:?} is invalid: {e}"
                    )).into());
            }
        }
    }
    Ok(windows)
}

/// The members of the groups, with their assessments. The Assets are read from the
/// controller's watch cache: listing them on every evaluation moved the whole fleet, statuses
/// and all, once per policy and change.
fn members(
    context: &Context,
    groups: &[AssetGroup],
    assets: &Store<Asset>,
    observed: &mut Observed,
) {
    let lookup = StoreLookup {
        store: assets,
        namespace: &observed.namespace,
    };
    let found = group_members(groups, &lookup, |asset| {
        context.assessment.get(&object_key(asset))
    });
    observed.members = found.members;
    observed.unassessed = found.unassessed;
    observed.stalled = found.stalled;
    observed.open_findings = found.open_findings;
    observed.os = found.os;
    observed.internet_exposed = found.internet_exposed;
}

/// The Asset as a policy's evaluation reads it (conditions, patch state, operating system,
/// the handled reconcile request, spec and metadata), for the controller's cache: the findings
/// and upgrades it reads from the assessments, and a fleet's full statuses would be another
/// copy of every inventory.
pub fn slim(asset: &mut Asset) {
    asset.metadata.managed_fields = None;
    asset.status = asset.status.take().map(|status| AssetStatus {
        conditions: status.conditions,
        patch_state: status.patch_state,
        os: status.os,
        last_handled_reconcile_at: status.last_handled_reconcile_at,
        ..AssetStatus::default()
    });
}

/// The Assets of a namespace by name: a map of them, or a watch cache.
pub trait AssetLookup {
    /// A found Asset.
    type Found<'a>: std::ops::Deref<Target = Asset>
    where
        Self: 'a;

    /// The Asset called `name`, if any.
    fn asset(&self, name: &str) -> Option<Self::Found<'_>>;
}

impl AssetLookup for BTreeMap<String, Asset> {
    type Found<'a> = &'a Asset;

    fn asset(&self, name: &str) -> Option<&Asset> {
        self.get(name)
    }
}

/// The Assets of one namespace in a watch cache.
pub struct StoreLookup<'s> {
    pub store: &'s Store<Asset>,
    pub namespace: &'s str,
}

impl AssetLookup for StoreLookup<'_> {
    type Found<'a>
        = Arc<Asset>
    where
        Self: 'a;

    fn asset(&self, name: &str) -> Option<Arc<Asset>> {
        self.store.get(&ObjectRef::new(name).within(self.namespace))
    }
}

/// The members of a policy's groups as its evaluation reads them.
#[derive(Debug, Default)]
pub struct GroupMembers {
    pub members: Vec<Member>,
    /// Groups not ready, and members not found or not assessed yet.
    pub unassessed: Vec<String>,
    /// Members that are `Stalled` and have no assessment, with the reason: left out of runs.
    pub stalled: Vec<String>,
    pub open_findings: SeverityCounts,
    /// Each member's operating system, its outcome profile.
    pub os: BTreeMap<String, String>,
    /// The members reachable from the Internet.
    pub internet_exposed: BTreeSet<String>,
}

/// The members of `groups` (each group's recorded members, in the policy's group order; an
/// asset in two groups counts in the first) with the assessment `assessment_of` gives each.
/// An asset released by a run counts again only once its reconcile request was handled.
pub fn group_members(
    groups: &[AssetGroup],
    assets: &impl AssetLookup,
    assessment_of: impl Fn(&Asset) -> Option<Arc<AssetAssessment>>,
) -> GroupMembers {
    let mut found = GroupMembers::default();
    // Members already counted, so that a 10,000-asset policy does not scan its list per asset.
    let mut counted: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for group in groups {
        let status = group.status.as_ref();
        let ready = status.is_some_and(|s| {
            s.observed_generation == group.metadata.generation
                && c::is_true(&s.conditions, c::READY)
        });
        if !ready {
            found
                .unassessed
                .push(format!("AssetGroup {}", group.name_any()));
            continue;
        }
        for name in status.map(|s| s.members.as_slice()).unwrap_or(&[]) {
            if !counted.insert(name.as_str()) {
                continue;
            }
            let Some(found_asset) = assets.asset(name) else {
                found.unassessed.push(name.clone());
                continue;
            };
            let asset: &Asset = &found_asset;
            // A member that cannot be reached (a missing Secret, a changed host key) is set
            // aside and named, so that it does not hold back the members that can be patched.
            let stalled = asset
                .status
                .as_ref()
                .and_then(|s| c::find_condition(&s.conditions, c::STALLED))
                .filter(|stalled| stalled.status == c::TRUE);
            if let Some(stalled) = stalled
                && assessment_of(asset).is_none()
            {
                found.stalled.push(format!("{name} ({})", stalled.reason));
                continue;
            }
            let requested = super::super::reconcile_requested_at(asset);
            let handled = asset
                .status
                .as_ref()
                .and_then(|s| s.last_handled_reconcile_at.clone());
            let assessment = assessment_of(asset);
            let Some(assessment) =
                assessment.filter(|_| requested.is_none() || requested == handled)
            else {
                found.unassessed.push(name.clone());
                continue;
            };
            let summary = &assessment.summary;
            let open = &mut found.open_findings;
            open.critical += summary.critical;
            open.high += summary.high;
            open.medium += summary.medium;
            open.low += summary.low;
            open.other += summary.negligible + summary.unknown;
            open.known_exploited += summary.known_exploited;
            let mut member = policy_member(
                name,
                &group.name_any(),
                summary.risk_score.unwrap_or(0.0),
                &assessment.member_upgrades,
                asset.status.as_ref().and_then(|s| s.patch_state),
            );
            member.epss = assessment.epss.clone();
            member.compromised = compromise_signal(asset.labels(), asset.annotations());
            if member.compromised.is_some() {
                member.risk = compromised_risk(member.risk, summary.known_exploited > 0);
            }
            let group_name = group.name_any();
            let suspended_group = group.spec.suspend.then_some(group_name.as_str());
            member.suspended = suspension_reason(asset.spec.suspend, suspended_group);
            if asset.spec.exposure.unwrap_or(group.spec.exposure) == Exposure::Internet {
                found.internet_exposed.insert(name.clone());
            }
            found.os.insert(
                name.clone(),
                crate::controllers::outcomes::convert::asset_os(asset),
            );
            found.members.push(member);
        }
    }
    found
}
