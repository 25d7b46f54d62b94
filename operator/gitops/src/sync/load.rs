//! Fetching and loading the followed revision, rejected as a whole when it is invalid or
//! declares a kind the source may not apply. git2 is synchronous, so this runs on a blocking
//! thread; the repository handle is kept between passes so each pass only fetches.

use std::sync::Arc;

use super::{GitSync, SyncError};
use crate::revision::{LoadedRevision, RevisionError, RevisionProblem, load_revision};
use crate::source::{GitRepository, Revision};
use crate::validation::ValidationContext;

impl GitSync {
    /// Fetches and loads the followed revision on a blocking thread (git2 is synchronous).
    pub(super) async fn load(
        &self,
    ) -> Result<Result<LoadedRevision, (Revision, Vec<RevisionProblem>)>, SyncError> {
        let repo = Arc::clone(&self.repo);
        let spec = self.spec.clone();
        let cache_dir = self.settings.cache_dir.clone();
        let source_name = spec.name.clone();
        let allowed_kinds = self.settings.allowed_kinds.clone();
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
                    Ok(loaded) => {
                        let refusals = allowed_kinds.refusals(&loaded.resources);
                        if refusals.is_empty() {
                            Ok(Ok(loaded))
                        } else {
                            Ok(Err((loaded.revision, refusals)))
                        }
                    }
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
}
