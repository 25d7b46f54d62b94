//! The validator's verdict on a revision's files (YAML, schema, meaning, references, windows
//! that open, SLA deadlines the windows can meet), as revision problems. Only errors reject a
//! revision; warnings do not.

use chrono::{DateTime, Utc};
use patchwarden_validate::{Level, Options, validate_sources};

use crate::revision::RevisionProblem;
use crate::source::SourceFile;

/// What validation is relative to.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    /// The instant the window and SLA checks start from.
    pub now: DateTime<Utc>,
    /// Namespace of documents that set none (references resolve within a namespace).
    pub default_namespace: String,
}

/// Checks every file of a revision together.
pub fn validate_files(files: &[SourceFile], context: &ValidationContext) -> Vec<RevisionProblem> {
    let options = Options {
        now: context.now,
        default_namespace: context.default_namespace.clone(),
    };
    let report = validate_sources(
        files.iter().map(|f| (f.path.as_str(), f.content.as_str())),
        &options,
    );
    report
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.level == Level::Error)
        .map(|diagnostic| RevisionProblem {
            file: diagnostic.file.clone(),
            message: diagnostic.to_string(),
        })
        .collect()
}
