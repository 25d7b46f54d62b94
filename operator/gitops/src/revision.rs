//! Loading one revision as a whole: its YAML files, parsed into a resource set and checked
//! by the validator. Sync and plan both go through here, so a revision is accepted or
//! rejected by the same rules everywhere.

use serde::Serialize;

use crate::resources::ResourceSet;
use crate::source::{GitRepository, Revision, SourceError, SourceFile};
use crate::validation::{ValidationContext, validate_files};

/// A revision's files and resources, accepted as a whole.
#[derive(Debug, Clone)]
pub struct LoadedRevision {
    pub revision: Revision,
    pub files: Vec<SourceFile>,
    pub resources: ResourceSet,
}

/// One reason a revision is rejected, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionProblem {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for RevisionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.starts_with(&self.file) {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// Why a revision could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("revision {revision} is invalid ({} problem(s)): {}", problems.len(), join_problems(problems))]
    Invalid {
        revision: Revision,
        problems: Vec<RevisionProblem>,
    },
}

fn join_problems(problems: &[RevisionProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads the YAML under `sub_path` at `revision` and validates it as a whole.
pub fn load_revision(
    repo: &GitRepository,
    revision: &Revision,
    sub_path: Option<&str>,
    context: &ValidationContext,
) -> Result<LoadedRevision, RevisionError> {
    let files = repo.yaml_files(revision, sub_path)?;
    check_files(revision, files, context)
}

/// Validates files already read from a revision: the validator first (its diagnostics name
/// line and field), then the resource identities the sync and diff key on.
pub fn check_files(
    revision: &Revision,
    files: Vec<SourceFile>,
    context: &ValidationContext,
) -> Result<LoadedRevision, RevisionError> {
    let invalid = |problems| RevisionError::Invalid {
        revision: revision.clone(),
        problems,
    };
    let problems = validate_files(&files, context);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let resources = ResourceSet::parse(&files).map_err(|errors| {
        invalid(
            errors
                .iter()
                .map(|err| RevisionProblem {
                    file: error_file(err).to_string(),
                    message: err.to_string(),
                })
                .collect(),
        )
    })?;
    Ok(LoadedRevision {
        revision: revision.clone(),
        files,
        resources,
    })
}

fn error_file(error: &crate::resources::ResourceError) -> &str {
    use crate::resources::ResourceError as E;
    match error {
        E::Yaml { file, .. }
        | E::NotAnObject { file, .. }
        | E::MissingField { file, .. }
        | E::Duplicate { file, .. } => file,
    }
}
