//! Git source sync: bring the Kubernetes API in line with one revision of a repository.
//!
//! One sync pass: fetch → resolve → load and validate the whole revision → (only when valid)
//! server-side apply every resource with the field manager `patchwarden-gitops`, labelled
//! `patchwarden.io/source=<name>` and annotated with the revision → prune objects that carry
//! our label but are no longer declared → record the result.
//!
//! The result is recorded in a ConfigMap `patchwarden-gitsource-<name>` in the status
//! namespace (see [`SourceStatus`]): `lastAppliedRevision` only moves when a revision was
//! applied completely; `lastAttemptedRevision`, `ready`, `reason` and `message` describe the
//! latest pass. Its `inventory` lists what the last applied revision declared, so objects
//! removed from Git are pruned even if their kind is no longer declared anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Scope, pinned_kind};
use patchwarden_api::labels;
use patchwarden_k8s_rules::names;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::resources::{Resource, ResourceKey};
use crate::revision::{LoadedRevision, RevisionError, RevisionProblem, load_revision};
use crate::source::{GitReference, GitRepository, Revision, SourceError};
use crate::validation::ValidationContext;

/// Field manager of every server-side apply the sync makes.
pub const FIELD_MANAGER: &str = "patchwarden-gitops";
/// Longest status message kept: a revision with many problems must not outgrow the ConfigMap
/// (the log line has them all).
const MAX_STATUS_MESSAGE_CHARS: usize = 8_000;
/// Prefix of the status ConfigMap's name.
pub const STATUS_CONFIGMAP_PREFIX: &str = "patchwarden-gitsource-";

/// What to sync: a repository, the revision to follow, and where its resources live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitSourceSpec {
    /// Name of the source: the value of the `patchwarden.io/source` label (a DNS label).
    pub name: String,
    /// A local path to a repository, or a URL (`https://`, `file://`…).
    pub url: String,
    /// Branch, tag or commit to follow.
    pub reference: GitReference,
    /// Directory within the repository holding the resources (whole tree when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Where and how the sync writes.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Namespace for namespaced resources that do not name one.
    pub default_namespace: String,
    /// Namespace of the status ConfigMap.
    pub status_namespace: String,
    /// Directory of bare mirrors for URL sources.
    pub cache_dir: PathBuf,
    /// Delete objects that carry our label but are no longer in Git.
    pub prune: bool,
}

/// The recorded state of a source (the status ConfigMap's data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    /// Revision (`<ref>@sha1:<commit>`) whose resources are all applied.
    #[serde(default)]
    pub last_applied_revision: String,
    /// Revision of the latest pass, applied or not.
    #[serde(default)]
    pub last_attempted_revision: String,
    /// RFC 3339 time of the latest successful apply.
    #[serde(default)]
    pub last_applied_time: String,
    /// RFC 3339 time of the latest pass.
    #[serde(default)]
    pub last_attempted_time: String,
    /// `True` when the latest pass applied its revision.
    #[serde(default)]
    pub ready: String,
    /// `Succeeded`, `ValidationFailed`, `FetchFailed` or `ApplyFailed`.
    #[serde(default)]
    pub reason: String,
    /// What happened, for people.
    #[serde(default)]
    pub message: String,
    /// Resources declared by the last applied revision (with their effective namespace).
    #[serde(default)]
    pub inventory: Vec<ResourceKey>,
}

impl SourceStatus {
    fn to_data(&self) -> BTreeMap<String, String> {
        let mut data = BTreeMap::new();
        let message = if self.message.chars().count() > MAX_STATUS_MESSAGE_CHARS {
            let head: String = self
                .message
                .chars()
                .take(MAX_STATUS_MESSAGE_CHARS)
                .collect();
            format!("{head}… (shortened)")
        } else {
            self.message.clone()
        };
        data.insert(
            "lastAppliedRevision".into(),
            self.last_applied_revision.clone(),
        );
        data.insert(
            "lastAttemptedRevision".into(),
            self.last_attempted_revision.clone(),
        );
        data.insert("lastAppliedTime".into(), self.last_applied_time.clone());
        data.insert("lastAttemptedTime".into(), self.last_attempted_time.clone());
        data.insert("ready".into(), self.ready.clone());
        data.insert("reason".into(), self.reason.clone());
        data.insert("message".into(), message);
        data.insert(
            "inventory".into(),
            serde_json::to_string(&self.inventory).unwrap_or_else(|_| "[]".into()),
        );
        data
    }

    fn from_data(data: &BTreeMap<String, String>) -> Self {
        let text = |key: &str| data.get(key).cloned().unwrap_or_default();
        Self {
            last_applied_revision: text("lastAppliedRevision"),
            last_attempted_revision: text("lastAttemptedRevision"),
            last_applied_time: text("lastAppliedTime"),
            last_attempted_time: text("lastAttemptedTime"),
            ready: text("ready"),
            reason: text("reason"),
            message: text("message"),
            inventory: data
                .get("inventory")
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
        }
    }
}

/// The result of one sync pass.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// The revision was applied in full.
    Applied {
        revision: Revision,
        /// Whether this revision differs from the previously applied one.
        new_revision: bool,
        applied: Vec<ResourceKey>,
        pruned: Vec<ResourceKey>,
    },
    /// The revision failed validation; nothing was applied and the last good revision stays.
    Rejected {
        revision: Revision,
        problems: Vec<RevisionProblem>,
        last_applied_revision: String,
    },
}

/// Failures of a sync pass other than an invalid revision.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("source `{name}` is not a valid source name: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("source `{source_name}`: {error}")]
    Source {
        source_name: String,
        #[source]
        error: SourceError,
    },
    #[error("source `{source_name}`: the API does not serve {api_version} {kind}: {error}")]
    Discovery {
        source_name: String,
        api_version: String,
        kind: String,
        #[source]
        error: Box<kube::Error>,
    },
    #[error("source `{source_name}`: cannot apply {key} from {file}{}: {error}", if *dry_run { " (checked before writing anything; nothing was applied)" } else { "" })]
    Apply {
        source_name: String,
        key: Box<ResourceKey>,
        file: String,
        /// The refusal came from the dry run, before anything was written.
        dry_run: bool,
        #[source]
        error: Box<kube::Error>,
    },
    #[error("source `{source_name}`: cannot prune {key}: {error}")]
    Prune {
        source_name: String,
        key: Box<ResourceKey>,
        #[source]
        error: Box<kube::Error>,
    },
    #[error(
        "source `{source_name}`: cannot {action} the status ConfigMap {namespace}/{configmap}: {error}"
    )]
    Status {
        source_name: String,
        action: &'static str,
        namespace: String,
        configmap: String,
        #[source]
        error: Box<kube::Error>,
    },
    #[error("source `{source_name}`: the Git worker stopped: {reason}")]
    Worker { source_name: String, reason: String },
}

impl SyncError {
    fn reason(&self) -> &'static str {
        match self {
            Self::Source { .. } | Self::Worker { .. } => "FetchFailed",
            _ => "ApplyFailed",
        }
    }
}

/// Syncs one Git source into the Kubernetes API.
pub struct GitSync {
    client: Client,
    spec: GitSourceSpec,
    settings: SyncSettings,
    repo: Arc<Mutex<Option<GitRepository>>>,
}

impl std::fmt::Debug for GitSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSync")
            .field("spec", &self.spec)
            .field("settings", &self.settings)
            .finish()
    }
}

impl GitSync {
    /// Prepares a sync; nothing is read or written until [`Self::sync_once`].
    pub fn new(
        client: Client,
        spec: GitSourceSpec,
        settings: SyncSettings,
    ) -> Result<Self, SyncError> {
        check_source_name(&spec.name)?;
        Ok(Self {
            client,
            spec,
            settings,
            repo: Arc::new(Mutex::new(None)),
        })
    }

    pub fn spec(&self) -> &GitSourceSpec {
        &self.spec
    }

    /// Name of the status ConfigMap.
    pub fn status_configmap_name(&self) -> String {
        format!("{STATUS_CONFIGMAP_PREFIX}{}", self.spec.name)
    }

    /// Runs one pass. An invalid revision is an `Ok(Rejected)` outcome (recorded in the
    /// status); fetch and API failures are errors (also recorded, when the API is reachable).
    pub async fn sync_once(&self) -> Result<SyncOutcome, SyncError> {
        let previous = self.read_status().await?;
        let mut attempted = None;
        match self.pass(&previous, &mut attempted).await {
            Ok(outcome) => Ok(outcome),
            Err(error) => {
                let status = SourceStatus {
                    last_attempted_revision: attempted
                        .map(|revision| revision.to_string())
                        .unwrap_or_else(|| previous.last_attempted_revision.clone()),
                    last_attempted_time: now_rfc3339(),
                    ready: "False".into(),
                    reason: error.reason().into(),
                    message: error.to_string(),
                    ..previous.clone()
                };
                // Keep the original error even if the status cannot be written.
                if let Err(status_error) = self.write_status(&status).await {
                    tracing::warn!(source = %self.spec.name, error = %status_error, "cannot record the sync failure");
                }
                Err(error)
            }
        }
    }

    /// One pass; `attempted` is set once the revision is known, for the failure record.
    async fn pass(
        &self,
        previous: &SourceStatus,
        attempted: &mut Option<Revision>,
    ) -> Result<SyncOutcome, SyncError> {
        let loaded = self.load().await?;
        let (revision, loaded) = match loaded {
            Ok(loaded) => {
                *attempted = Some(loaded.revision.clone());
                (loaded.revision.clone(), loaded)
            }
            Err((revision, problems)) => {
                let message = format!(
                    "revision {revision} rejected, {} kept: {}",
                    if previous.last_applied_revision.is_empty() {
                        "nothing applied".to_string()
                    } else {
                        previous.last_applied_revision.clone()
                    },
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                tracing::warn!(source = %self.spec.name, %message, "revision rejected");
                let status = SourceStatus {
                    last_attempted_revision: revision.to_string(),
                    last_attempted_time: now_rfc3339(),
                    ready: "False".into(),
                    reason: "ValidationFailed".into(),
                    message,
                    ..previous.clone()
                };
                self.write_status(&status).await?;
                return Ok(SyncOutcome::Rejected {
                    revision,
                    problems,
                    last_applied_revision: previous.last_applied_revision.clone(),
                });
            }
        };
        let mut discovery = DiscoveryCache::default();
        let mut applied = Vec::new();
        let mut ordered: Vec<&Resource> = loaded.resources.iter().collect();
        ordered.sort_by_key(|resource| (apply_rank(&resource.key.kind), resource.key.clone()));
        let plan = ApplyPlan::new(&ordered);
        self.preflight(&mut discovery, &plan, &ordered, &revision)
            .await?;
        for resource in ordered {
            if plan.defined_here(&resource.key) {
                self.wait_until_served(&mut discovery, &resource.key)
                    .await?;
            }
            let key = self
                .apply(&mut discovery, resource, &revision, false)
                .await?;
            applied.push(key);
        }
        let pruned = if self.settings.prune {
            self.prune(&mut discovery, &previous.inventory, &applied)
                .await?
        } else {
            Vec::new()
        };
        let now = now_rfc3339();
        let status = SourceStatus {
            last_applied_revision: revision.to_string(),
            last_attempted_revision: revision.to_string(),
            last_applied_time: now.clone(),
            last_attempted_time: now,
            ready: "True".into(),
            reason: "Succeeded".into(),
            message: format!(
                "applied revision {revision}: {} resource(s), {} pruned",
                applied.len(),
                pruned.len()
            ),
            inventory: applied.clone(),
        };
        self.write_status(&status).await?;
        tracing::info!(source = %self.spec.name, %revision, applied = applied.len(), pruned = pruned.len(), "revision applied");
        Ok(SyncOutcome::Applied {
            new_revision: previous.last_applied_revision != revision.to_string(),
            revision,
            applied,
            pruned,
        })
    }

    /// Fetches and loads the followed revision on a blocking thread (git2 is synchronous).
    async fn load(
        &self,
    ) -> Result<Result<LoadedRevision, (Revision, Vec<RevisionProblem>)>, SyncError> {
        let repo = Arc::clone(&self.repo);
        let spec = self.spec.clone();
        let cache_dir = self.settings.cache_dir.clone();
        let source_name = spec.name.clone();
        let context = ValidationContext {
            now: chrono::Utc::now(),
            default_namespace: self.settings.default_namespace.clone(),
        };
        let worker = tokio::task::spawn_blocking(move || {
            // A panic in an earlier pass leaves nothing half-written in a read-only mirror.
            let mut guard = repo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let git = match guard.take() {
                Some(git) => {
                    git.fetch()?;
                    git
                }
                None => GitRepository::open_or_mirror(&spec.url, &cache_dir)?,
            };
            let revision = git.resolve(&spec.reference);
            let result = revision.and_then(|revision| {
                match load_revision(&git, &revision, spec.path.as_deref(), &context) {
                    Ok(loaded) => Ok(Ok(loaded)),
                    Err(RevisionError::Invalid { revision, problems }) => {
                        Ok(Err((revision, problems)))
                    }
                    Err(RevisionError::Source(error)) => Err(error),
                }
            });
            *guard = Some(git);
            result
        });
        match worker.await {
            Ok(Ok(loaded)) => Ok(loaded),
            Ok(Err(error)) => Err(SyncError::Source { source_name, error }),
            Err(join) => Err(SyncError::Worker {
                source_name,
                reason: join.to_string(),
            }),
        }
    }

    /// Resolves every kind and dry-runs every object before anything is written, so a kind
    /// the API does not serve or an object it refuses leaves the cluster untouched. Kinds whose
    /// CustomResourceDefinition is in the same revision, and objects in namespaces the revision
    /// creates, can only be checked once those exist.
    async fn preflight(
        &self,
        discovery: &mut DiscoveryCache,
        plan: &ApplyPlan,
        ordered: &[&Resource],
        revision: &Revision,
    ) -> Result<(), SyncError> {
        for resource in ordered {
            if plan.defined_here(&resource.key) {
                continue;
            }
            match self.apply(discovery, resource, revision, true).await {
                Ok(_) => {}
                Err(SyncError::Apply { key, error, .. })
                    if is_not_found(&error)
                        && key
                            .namespace
                            .as_deref()
                            .is_some_and(|namespace| plan.namespaces.contains(namespace)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Waits (briefly) for a kind whose CustomResourceDefinition was just applied to be served.
    async fn wait_until_served(
        &self,
        discovery: &mut DiscoveryCache,
        key: &ResourceKey,
    ) -> Result<(), SyncError> {
        let mut attempts = 0;
        loop {
            match discovery.resolve(&self.client, &self.spec.name, key).await {
                Ok(_) => return Ok(()),
                Err(error) if attempts >= CRD_WAIT_ATTEMPTS => return Err(error),
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(CRD_WAIT_INTERVAL).await;
                }
            }
        }
    }

    /// Server-side applies one object (only checks it when `dry_run`), returning its key with
    /// the effective namespace.
    async fn apply(
        &self,
        discovery: &mut DiscoveryCache,
        resource: &Resource,
        revision: &Revision,
        dry_run: bool,
    ) -> Result<ResourceKey, SyncError> {
        let (api_resource, capabilities) = discovery
            .resolve(&self.client, &self.spec.name, &resource.key)
            .await?;
        let mut key = resource.key.clone();
        let namespaced = capabilities.scope == Scope::Namespaced;
        key.namespace = if namespaced {
            Some(
                key.namespace
                    .clone()
                    .unwrap_or_else(|| self.settings.default_namespace.clone()),
            )
        } else {
            None
        };
        let mut object = resource.object.clone();
        stamp(
            &mut object,
            &self.spec.name,
            revision,
            &resource.file,
            key.namespace.as_deref(),
        );
        let api = dynamic_api(&self.client, &api_resource, key.namespace.as_deref());
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        if dry_run {
            params = params.dry_run();
        }
        api.patch(&key.name, &params, &Patch::Apply(&object))
            .await
            .map_err(|error| SyncError::Apply {
                source_name: self.spec.name.clone(),
                key: Box::new(key.clone()),
                file: resource.file.clone(),
                dry_run,
                error: Box::new(error),
            })?;
        Ok(key)
    }

    /// Deletes objects carrying our source label that the applied revision does not declare:
    /// those in the previous inventory, and any labelled object of a kind we know about.
    async fn prune(
        &self,
        discovery: &mut DiscoveryCache,
        inventory: &[ResourceKey],
        applied: &[ResourceKey],
    ) -> Result<Vec<ResourceKey>, SyncError> {
        let keep: BTreeSet<&ResourceKey> = applied.iter().collect();
        let mut candidates: BTreeSet<ResourceKey> = inventory
            .iter()
            .filter(|key| !keep.contains(key))
            .cloned()
            .collect();
        let kinds: BTreeSet<(String, String)> = inventory
            .iter()
            .chain(applied)
            .map(|key| (key.api_version.clone(), key.kind.clone()))
            .collect();
        let selector = format!("{}={}", labels::SOURCE, self.spec.name);
        for (api_version, kind) in kinds {
            let probe = ResourceKey {
                api_version: api_version.clone(),
                kind: kind.clone(),
                namespace: None,
                name: String::new(),
            };
            let Ok((api_resource, _)) = discovery
                .resolve(&self.client, &self.spec.name, &probe)
                .await
            else {
                // A kind that is no longer served has nothing left to prune.
                continue;
            };
            let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &api_resource);
            let listed = api
                .list(&ListParams::default().labels(&selector))
                .await
                .map_err(|error| SyncError::Prune {
                    source_name: self.spec.name.clone(),
                    key: Box::new(probe.clone()),
                    error: Box::new(error),
                })?;
            for object in listed.items {
                let key = ResourceKey {
                    api_version: api_version.clone(),
                    kind: kind.clone(),
                    namespace: object.metadata.namespace.clone(),
                    name: object.metadata.name.clone().unwrap_or_default(),
                };
                if !keep.contains(&key) {
                    candidates.insert(key);
                }
            }
        }
        let mut ordered: Vec<ResourceKey> = candidates.into_iter().collect();
        // Delete dependents before what they depend on: the reverse of the apply order.
        ordered.sort_by_key(|key| std::cmp::Reverse((apply_rank(&key.kind), key.clone())));
        let mut pruned = Vec::new();
        for key in ordered {
            let Ok((api_resource, _)) =
                discovery.resolve(&self.client, &self.spec.name, &key).await
            else {
                continue;
            };
            let api = dynamic_api(&self.client, &api_resource, key.namespace.as_deref());
            let prune_error = |error| SyncError::Prune {
                source_name: self.spec.name.clone(),
                key: Box::new(key.clone()),
                error: Box::new(error),
            };
            let Some(live) = api.get_opt(&key.name).await.map_err(prune_error)? else {
                continue;
            };
            // Never delete an object someone else owns, even if our inventory named it.
            let ours = live
                .metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(labels::SOURCE))
                .is_some_and(|value| *value == self.spec.name);
            if !ours {
                continue;
            }
            match api.delete(&key.name, &DeleteParams::default()).await {
                Ok(_) => pruned.push(key),
                Err(error) if is_not_found(&error) => {}
                Err(error) => return Err(prune_error(error)),
            }
        }
        Ok(pruned)
    }

    /// Reads the recorded status (empty before the first pass).
    pub async fn read_status(&self) -> Result<SourceStatus, SyncError> {
        let api: Api<ConfigMap> =
            Api::namespaced(self.client.clone(), &self.settings.status_namespace);
        let name = self.status_configmap_name();
        let found = api
            .get_opt(&name)
            .await
            .map_err(|error| SyncError::Status {
                source_name: self.spec.name.clone(),
                action: "read",
                namespace: self.settings.status_namespace.clone(),
                configmap: name.clone(),
                error: Box::new(error),
            })?;
        Ok(found
            .and_then(|configmap| configmap.data)
            .map(|data| SourceStatus::from_data(&data))
            .unwrap_or_default())
    }

    async fn write_status(&self, status: &SourceStatus) -> Result<(), SyncError> {
        let api: Api<ConfigMap> =
            Api::namespaced(self.client.clone(), &self.settings.status_namespace);
        let name = self.status_configmap_name();
        let mut data = status.to_data();
        data.insert("url".into(), self.spec.url.clone());
        data.insert("reference".into(), self.spec.reference.label().to_string());
        data.insert("path".into(), self.spec.path.clone().unwrap_or_default());
        // The status record is deliberately not labelled as a source object: prune skips it.
        let configmap = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.settings.status_namespace,
                "labels": {
                    labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
                    "patchwarden.io/gitsource": self.spec.name,
                },
            },
            "data": data,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut written = api.patch(&name, &params, &Patch::Apply(&configmap)).await;
        if matches!(&written, Err(error) if is_not_found(error)) {
            // The status namespace does not exist yet (a fresh cluster): create it and retry.
            let namespaces: Api<Namespace> = Api::all(self.client.clone());
            let namespace = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": self.settings.status_namespace},
            });
            if let Err(error) = namespaces
                .patch(
                    &self.settings.status_namespace,
                    &params,
                    &Patch::Apply(&namespace),
                )
                .await
            {
                written = Err(error);
            } else {
                written = api.patch(&name, &params, &Patch::Apply(&configmap)).await;
            }
        }
        written.map_err(|error| SyncError::Status {
            source_name: self.spec.name.clone(),
            action: "write",
            namespace: self.settings.status_namespace.clone(),
            configmap: name,
            error: Box::new(error),
        })?;
        Ok(())
    }

    /// Syncs now, then again every `interval` and whenever `trigger` is notified, until the
    /// returned future is dropped. Failures are logged and recorded; the loop goes on.
    pub async fn run(&self, interval: Duration, trigger: Arc<tokio::sync::Notify>) {
        loop {
            match self.sync_once().await {
                Ok(SyncOutcome::Applied { .. }) | Ok(SyncOutcome::Rejected { .. }) => {}
                Err(error) => tracing::warn!(source = %self.spec.name, %error, "sync failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(jittered(interval)) => {}
                () = trigger.notified() => {}
            }
        }
    }
}

/// How long to wait for a kind whose CustomResourceDefinition the same revision applies.
const CRD_WAIT_ATTEMPTS: u32 = 40;
const CRD_WAIT_INTERVAL: Duration = Duration::from_millis(250);

/// What a revision creates that other objects of it depend on.
struct ApplyPlan {
    /// (group, kind) of every CustomResourceDefinition in the revision.
    crd_kinds: BTreeSet<(String, String)>,
    /// Names of every Namespace in the revision.
    namespaces: BTreeSet<String>,
}

impl ApplyPlan {
    fn new(resources: &[&Resource]) -> Self {
        let crd_kinds = resources
            .iter()
            .filter(|r| {
                r.key.kind == "CustomResourceDefinition" && r.key.group() == "apiextensions.k8s.io"
            })
            .filter_map(|r| {
                let spec = r.object.get("spec")?;
                Some((
                    spec.get("group")?.as_str()?.to_string(),
                    spec.get("names")?.get("kind")?.as_str()?.to_string(),
                ))
            })
            .collect();
        let namespaces = resources
            .iter()
            .filter(|r| r.key.kind == "Namespace" && r.key.api_version == "v1")
            .map(|r| r.key.name.clone())
            .collect();
        Self {
            crd_kinds,
            namespaces,
        }
    }

    /// Whether the revision itself defines this object's kind.
    fn defined_here(&self, key: &ResourceKey) -> bool {
        self.crd_kinds
            .contains(&(key.group().to_string(), key.kind.clone()))
    }
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// Adds our label and annotations to an object about to be applied.
fn stamp(
    object: &mut Value,
    source: &str,
    revision: &Revision,
    file: &str,
    namespace: Option<&str>,
) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let metadata = root.entry("metadata").or_insert_with(|| json!({}));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    match namespace {
        Some(namespace) => {
            metadata.insert("namespace".into(), json!(namespace));
        }
        None => {
            metadata.remove("namespace");
        }
    }
    insert_string(metadata, "labels", labels::SOURCE, source);
    insert_string(
        metadata,
        "annotations",
        labels::SOURCE_REVISION,
        &revision.to_string(),
    );
    insert_string(metadata, "annotations", labels::SOURCE_PATH, file);
}

fn insert_string(metadata: &mut serde_json::Map<String, Value>, map: &str, key: &str, value: &str) {
    let entry = metadata.entry(map).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    if let Some(entries) = entry.as_object_mut() {
        entries.insert(key.to_string(), json!(value));
    }
}

/// Apply order: namespaces and definitions first, then what policies refer to, then policies.
fn apply_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" | "Secret" | "ConfigMap" => 2,
        "VulnerabilityFeed" => 3,
        "AssetGroup" | "MaintenanceWindow" => 4,
        "PatchPolicy" => 6,
        _ => 5,
    }
}

fn dynamic_api(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

/// Discovery answers, asked once per kind and pass.
#[derive(Default)]
struct DiscoveryCache {
    known: BTreeMap<(String, String), (ApiResource, ApiCapabilities)>,
}

impl DiscoveryCache {
    async fn resolve(
        &mut self,
        client: &Client,
        source_name: &str,
        key: &ResourceKey,
    ) -> Result<(ApiResource, ApiCapabilities), SyncError> {
        let cache_key = (key.api_version.clone(), key.kind.clone());
        if let Some(found) = self.known.get(&cache_key) {
            return Ok(found.clone());
        }
        let gvk = GroupVersionKind::gvk(key.group(), key.version(), &key.kind);
        let found = pinned_kind(client, &gvk)
            .await
            .map_err(|error| SyncError::Discovery {
                source_name: source_name.to_string(),
                api_version: key.api_version.clone(),
                kind: key.kind.clone(),
                error: Box::new(error),
            })?;
        self.known.insert(cache_key, found.clone());
        Ok(found)
    }
}

/// A source name is a label value and, after the status ConfigMap's prefix, a DNS-1123 label:
/// so a DNS-1123 label short enough for both.
fn check_source_name(name: &str) -> Result<(), SyncError> {
    let max = names::DNS1123_LABEL_MAX_LENGTH - STATUS_CONFIGMAP_PREFIX.len();
    let reason = if name.len() > max {
        Some(format!("must be no more than {max} characters"))
    } else {
        names::check_dns1123_label(name).err().map(|e| e.reasons())
    };
    match reason {
        Some(reason) => Err(SyncError::InvalidName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `interval` stretched by up to a tenth, so many sources polling one server spread out.
fn jittered(interval: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    interval + interval.mul_f64(f64::from(nanos % 1_000) / 10_000.0)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_label_annotations_and_effective_namespace() {
        let mut object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "y"}}});
        let revision = Revision {
            reference: "main".into(),
            commit: "abc".into(),
        };
        stamp(&mut object, "fleet", &revision, "a.yaml", Some("ops"));
        assert_eq!(object["metadata"]["namespace"], "ops");
        assert_eq!(object["metadata"]["labels"]["x"], "y");
        assert_eq!(object["metadata"]["labels"][labels::SOURCE], "fleet");
        assert_eq!(
            object["metadata"]["annotations"][labels::SOURCE_REVISION],
            "main@sha1:abc"
        );
        assert_eq!(
            object["metadata"]["annotations"][labels::SOURCE_PATH],
            "a.yaml"
        );
    }

    #[test]
    fn status_round_trips_through_configmap_data() {
        let status = SourceStatus {
            last_applied_revision: "main@sha1:1".into(),
            inventory: vec![ResourceKey {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("ops".into()),
                name: "a".into(),
            }],
            ..SourceStatus::default()
        };
        assert_eq!(SourceStatus::from_data(&status.to_data()), status);
    }

    #[test]
    fn long_status_messages_are_shortened() {
        let status = SourceStatus {
            message: "x".repeat(MAX_STATUS_MESSAGE_CHARS + 10),
            ..SourceStatus::default()
        };
        let data = status.to_data();
        assert!(data["message"].ends_with("… (shortened)"));
        assert!(data["message"].chars().count() < MAX_STATUS_MESSAGE_CHARS + 20);
    }

    #[test]
    fn source_names_are_dns_labels_that_fit_the_status_config_map_name() {
        assert!(check_source_name("fleet-1").is_ok());
        assert!(check_source_name(&"a".repeat(41)).is_ok());
        let error = check_source_name(&"a".repeat(42)).expect_err("too long");
        assert_eq!(
            error.to_string(),
            format!(
                "source `{}` is not a valid source name: must be no more than 41 characters",
                "a".repeat(42)
            )
        );
        assert!(check_source_name("Fleet").is_err());
        assert!(check_source_name("-a").is_err());
        assert!(check_source_name("a.b").is_err());
        assert!(check_source_name("").is_err());
    }
}
