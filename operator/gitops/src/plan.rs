//! `plan` for pull requests: read the base and head revisions straight from Git (no
//! checkout), validate the head, and compute the impact report against the live state.

use chrono::{DateTime, Utc};

use crate::impact::{PlanInput, PlanReport, compute_plan};
use crate::resources::ResourceSet;
use crate::revision::{RevisionError, check_files};
use crate::snapshot::Snapshot;
use crate::source::{GitRepository, Revision, SourceError, SourceFile};
use crate::validation::ValidationContext;

/// What to compare.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// Base revision expression (`main`, a tag, a commit, `HEAD~1`).
    pub base: &'a str,
    /// Head revision expression.
    pub head: &'a str,
    /// Directory within the repository holding the resources.
    pub path: Option<&'a str>,
    /// Namespace of resources that do not name one.
    pub default_namespace: &'a str,
    pub now: DateTime<Utc>,
}

/// Reads both revisions and computes the plan. A head that fails validation is not an
/// error: its problems lead the report.
pub fn plan(
    repo: &GitRepository,
    request: &PlanRequest<'_>,
    live: Option<&Snapshot>,
) -> Result<PlanReport, SourceError> {
    let base = repo.resolve_spec(request.base)?;
    let head = repo.resolve_spec(request.head)?;
    // The base is what is merged already; read what parses of it, valid or not.
    let base_files = files_or_none(repo, &base, request.path)?;
    let base_resources = ResourceSet::parse(&base_files).unwrap_or_default();
    let head_files = files_or_none(repo, &head, request.path)?;
    let context = ValidationContext {
        now: request.now,
        default_namespace: request.default_namespace.to_string(),
    };
    let (head_resources, problems) = match check_files(&head, head_files.clone(), &context) {
        Ok(loaded) => (loaded.resources, Vec::new()),
        Err(RevisionError::Invalid { problems, .. }) => (
            ResourceSet::parse(&head_files).unwrap_or_default(),
            problems,
        ),
        Err(RevisionError::Source(error)) => return Err(error),
    };
    Ok(compute_plan(&PlanInput {
        base: &base,
        head: &head,
        base_resources: &base_resources,
        head_resources: &head_resources,
        head_problems: &problems,
        live,
        default_namespace: request.default_namespace,
        now: request.now,
    }))
}

/// The YAML files under `path`, or none when the revision has no such directory (a change
/// that introduces or removes the whole directory).
fn files_or_none(
    repo: &GitRepository,
    revision: &Revision,
    path: Option<&str>,
) -> Result<Vec<SourceFile>, SourceError> {
    match repo.yaml_files(revision, path) {
        Err(SourceError::MissingPath { .. }) => Ok(Vec::new()),
        other => other,
    }
}
