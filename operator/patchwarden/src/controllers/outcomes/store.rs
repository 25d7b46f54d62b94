//! Where the outcome statistics live: the ConfigMap `patchwarden-outcomes` in the operator's
//! namespace (the watched namespace, `default` when all are watched), one JSON document under
//! `stats.json`. It is folded run by run as runs finish, rebuilt from the PatchRuns when it
//! is missing or unreadable, and written with the resourceVersion it was read at, so two
//! runs finishing at once both count. Its `patchwarden.io/lift-quarantine` annotation
//! (`package=version`, comma separated) lifts quarantines fleet-wide.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::labels;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_core::outcomes::OutcomeStats;
use patchwarden_core::outcomes::quarantine::parse_lifts;

use super::super::Context;
use super::super::error::ReconcileError;
use super::convert::run_outcomes;

/// Name of the ConfigMap.
pub const CONFIG_MAP: &str = "patchwarden-outcomes";
/// Its data key holding the statistics.
pub const DATA_KEY: &str = "stats.json";
/// Its annotation lifting quarantines by hand.
pub const LIFT_ANNOTATION: &str = "patchwarden.io/lift-quarantine";
/// Counted run names kept before those of pruned runs are forgotten.
const MAX_RUN_NAMES: usize = 2_000;
/// Attempts at a write that lost a race with another before giving up for this reconcile.
const WRITE_ATTEMPTS: usize = 4;

/// The statistics and the hand lifts.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    pub stats: OutcomeStats,
    pub lifts: Vec<(String, String)>,
}

/// Why the stored statistics were set aside.
#[derive(Debug, thiserror::Error)]
#[error("ConfigMap {namespace}/{CONFIG_MAP} data key {DATA_KEY}: {source}")]
pub struct Unreadable {
    namespace: String,
    source: serde_json::Error,
}

fn api(context: &Context) -> (Api<ConfigMap>, String) {
    let namespace = context
        .namespace
        .clone()
        .unwrap_or_else(|| String::from("default"));
    (
        Api::namespaced(context.client.clone(), &namespace),
        namespace,
    )
}

/// Reads the statistics, rebuilding (and storing) them from the PatchRuns when missing or
/// unreadable.
pub async fn load(context: &Context) -> Result<Outcomes, ReconcileError> {
    let (api, namespace) = api(context);
    if let Some(map) = api.get_opt(CONFIG_MAP).await? {
        match parse(&map, &namespace) {
            Ok(outcomes) => return Ok(outcomes),
            Err(e) => tracing::warn!(error = %e, "rebuilding the outcome statistics"),
        }
    }
    let stats = rebuild(context).await?;
    store(context, None, &stats).await?;
    // Read back, for the annotations (and in case another writer won).
    match api.get_opt(CONFIG_MAP).await? {
        Some(map) => Ok(parse(&map, &namespace).unwrap_or(Outcomes {
            stats,
            lifts: Vec::new(),
        })),
        None => Ok(Outcomes {
            stats,
            lifts: Vec::new(),
        }),
    }
}

/// Folds a finished run into the stored statistics (once; a run already counted is left).
pub async fn record_finished(context: &Context, run: &PatchRun) -> Result<(), ReconcileError> {
    let assets = context.assets_by_name(run).await?;
    let Some(outcomes) = run_outcomes(run, &assets) else {
        return Ok(());
    };
    let (api, namespace) = api(context);
    for _ in 0..WRITE_ATTEMPTS {
        let Some(map) = api.get_opt(CONFIG_MAP).await? else {
            // Missing: the rebuild counts every finished run, this one included.
            load(context).await?;
            return Ok(());
        };
        let Ok(mut current) = parse(&map, &namespace) else {
            load(context).await?;
            return Ok(());
        };
        if !current.stats.fold(&outcomes) {
            return Ok(());
        }
        if current.stats.runs.len() > MAX_RUN_NAMES {
            let existing = existing_runs(context).await?;
            current.stats.forget_runs_except(&existing);
        }
        match store(context, Some(map), &current.stats).await {
            Ok(()) => return Ok(()),
            Err(ReconcileError::Kube(kube::Error::Api(e))) if e.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ReconcileError::transient(
        "recording the run's outcomes",
        format!("ConfigMap {namespace}/{CONFIG_MAP} kept changing while it was written"),
    ))
}

fn parse(map: &ConfigMap, namespace: &str) -> Result<Outcomes, Unreadable> {
    let stats = match map.data.as_ref().and_then(|d| d.get(DATA_KEY)) {
        Some(text) => serde_json::from_str(text).map_err(|source| Unreadable {
            namespace: namespace.to_string(),
            source,
        })?,
        None => OutcomeStats::default(),
    };
    let lifts = map
        .annotations()
        .get(LIFT_ANNOTATION)
        .map(|text| parse_lifts(text))
        .unwrap_or_default();
    Ok(Outcomes { stats, lifts })
}

/// The statistics of every finished PatchRun in the watched scope.
async fn rebuild(context: &Context) -> Result<OutcomeStats, ReconcileError> {
    let runs = context
        .api::<PatchRun>()
        .list(&ListParams::default())
        .await?;
    let mut assets: BTreeMap<String, BTreeMap<String, Asset>> = BTreeMap::new();
    for asset in context.api::<Asset>().list(&ListParams::default()).await? {
        let namespace = asset.namespace().unwrap_or_default();
        assets
            .entry(namespace)
            .or_default()
            .insert(asset.name_any(), asset);
    }
    let empty = BTreeMap::new();
    let outcomes: Vec<_> = runs
        .items
        .iter()
        .filter_map(|run| {
            let namespace = run.namespace().unwrap_or_default();
            run_outcomes(run, assets.get(&namespace).unwrap_or(&empty))
        })
        .collect();
    Ok(OutcomeStats::build(&outcomes))
}

async fn existing_runs(context: &Context) -> Result<BTreeSet<String>, ReconcileError> {
    Ok(context
        .api::<PatchRun>()
        .list_metadata(&ListParams::default())
        .await?
        .items
        .iter()
        .map(|r| r.name_any())
        .collect())
}

/// Writes `stats`: a replace of `previous` at its resourceVersion, or a create.
async fn store(
    context: &Context,
    previous: Option<ConfigMap>,
    stats: &OutcomeStats,
) -> Result<(), ReconcileError> {
    let (api, namespace) = api(context);
    let text = serde_json::to_string(stats)
        .map_err(|e| ReconcileError::transient("serialising the outcome statistics", e))?;
    let params = PostParams::default();
    match previous {
        Some(mut map) => {
            map.data
                .get_or_insert_default()
                .insert(DATA_KEY.to_string(), text);
            api.replace(CONFIG_MAP, &params, &map).await?;
        }
        None => {
            let map = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(CONFIG_MAP.to_string()),
                    namespace: Some(namespace),
                    labels: Some(BTreeMap::from([(
                        labels::MANAGED_BY.to_string(),
                        labels::MANAGED_BY_VALUE.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                data: Some(BTreeMap::from([(DATA_KEY.to_string(), text)])),
                ..ConfigMap::default()
            };
            match api.create(&params, &map).await {
                Ok(_) => {}
                // Another writer created it first; its rebuild counts the same runs.
                Err(kube::Error::Api(e)) if e.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
