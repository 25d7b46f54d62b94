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

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use patchwarden_k8s_rules::names;
use serde::{Deserialize, Serialize};

use crate::resources::ResourceKey;
use crate::revision::RevisionProblem;
use crate::source::{GitReference, GitRepository, Revision, SourceError};

mod allowed_kinds;
mod apply;
mod discovery;
mod load;
mod prune;
mod status;

pub use allowed_kinds::{AllowedKinds, DEFAULT_KINDS, InvalidAllowedKind, PATCHWARDEN_GROUP};
use discovery::DiscoveryCache;
pub use status::SourceStatus;

/// Field manager of every server-side apply the sync makes.
pub const FIELD_MANAGER: &str = "patchwarden-gitops";
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
    /// The kinds the sync may apply; a revision declaring another kind is rejected.
    pub allowed_kinds: AllowedKinds,
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
        let spec = GitSourceSpec {
            url: crate::source::redacted_url(&self.spec.url),
            ..self.spec.clone()
        };
        f.debug_struct("GitSync")
            .field("spec", &spec)
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
        let loaded = match self.load().await? {
            Ok(loaded) => loaded,
            Err((revision, problems)) => return self.reject(previous, revision, problems).await,
        };
        *attempted = Some(loaded.revision.clone());
        let revision = loaded.revision.clone();
        let mut discovery = DiscoveryCache::default();
        let applied = self
            .apply_all(&mut discovery, &loaded.resources, &revision)
            .await?;
        let pruned = if self.settings.prune {
            self.prune(&mut discovery, &previous.inventory, &applied)
                .await?
        } else {
            Vec::new()
        };
        self.record_applied(previous, revision, applied, pruned)
            .await
    }

    /// Records an invalid revision; the last applied revision stays in place.
    async fn reject(
        &self,
        previous: &SourceStatus,
        revision: Revision,
        problems: Vec<RevisionProblem>,
    ) -> Result<SyncOutcome, SyncError> {
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
        Ok(SyncOutcome::Rejected {
            revision,
            problems,
            last_applied_revision: previous.last_applied_revision.clone(),
        })
    }

    /// Records a revision applied in full, with what it declared as the new inventory.
    async fn record_applied(
        &self,
        previous: &SourceStatus,
        revision: Revision,
        applied: Vec<ResourceKey>,
        pruned: Vec<ResourceKey>,
    ) -> Result<SyncOutcome, SyncError> {
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
