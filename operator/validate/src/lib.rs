//! patchwarden-validate: loads resource YAML (from files, or from memory for Git blobs) and
//! checks it the way the API server and the controllers will: YAML syntax, the CRD schema
//! (unknown fields, types, enums), the meaning of each spec (cron, time zones, durations,
//! globs), and the set as a whole (unique names, references, windows that open, SLA deadlines
//! the windows can meet). Every diagnostic names the file, line, document and field.
//!
//! `now` is a parameter: the windows and SLA checks look one year ahead of it.

mod checks;
mod compliance;
mod diagnostic;
mod document;
mod load;
pub mod path;
mod render;
mod schema;
mod suggest;
pub mod yaml;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use patchwarden_api::{
    Asset, AssetGroup, MaintenanceWindow, PatchPolicy, PatchRun, VulnerabilityFeed,
};

pub use checks::HORIZON;
pub use diagnostic::{Check, Diagnostic, Level};
pub use document::{Document, Resource};
pub use load::LoadError;
pub use schema::{SchemaChecker, SchemaProblem};

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The instant the window and SLA checks start from.
    pub now: DateTime<Utc>,
    /// The namespace of documents that set none (references resolve within a namespace).
    pub default_namespace: String,
}

impl Options {
    /// Options for `now`, with the `default` namespace.
    pub fn new(now: DateTime<Utc>) -> Options {
        Options {
            now,
            default_namespace: "default".to_string(),
        }
    }
}

/// The outcome of validating a set of files.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every file read, in order.
    pub files: Vec<String>,
    /// Every non-empty YAML document that is a mapping, in order.
    pub documents: Vec<Document>,
    /// Every problem, ordered by file (input order), line and column.
    pub diagnostics: Vec<Diagnostic>,
}

/// The patchwarden resources of a valid set, by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub feeds: Vec<VulnerabilityFeed>,
    pub asset_groups: Vec<AssetGroup>,
    pub assets: Vec<Asset>,
    pub windows: Vec<MaintenanceWindow>,
    pub policies: Vec<PatchPolicy>,
    pub runs: Vec<PatchRun>,
}

impl Report {
    /// Whether there is no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.error_count() == 0
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    /// The typed patchwarden resources that passed the schema check, by kind. Objects of other
    /// API groups are in [`Report::documents`].
    pub fn resources(&self) -> Resources {
        let mut resources = Resources::default();
        for resource in self.documents.iter().filter_map(|d| d.resource.clone()) {
            match resource {
                Resource::VulnerabilityFeed(r) => resources.feeds.push(*r),
                Resource::AssetGroup(r) => resources.asset_groups.push(*r),
                Resource::Asset(r) => resources.assets.push(*r),
                Resource::MaintenanceWindow(r) => resources.windows.push(*r),
                Resource::PatchPolicy(r) => resources.policies.push(*r),
                Resource::PatchRun(r) => resources.runs.push(*r),
            }
        }
        resources
    }

    /// Human output: diagnostics grouped per file, then a summary line; ANSI colours when
    /// `color` is set.
    pub fn render_human(&self, color: bool) -> String {
        render::human(self, color)
    }

    /// Machine output: `{valid, files, documents, errors, warnings, diagnostics: [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        render::json(self)
    }
}

/// Validates in-memory files, given as (file name, text) pairs: the entry point for content
/// read from Git blobs.
pub fn validate_sources<'a, I>(files: I, options: &Options) -> Report
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut builder = ReportBuilder::new(options);
    for (name, text) in files {
        builder.add_text(name, text);
    }
    builder.finish(options)
}

/// Validates every YAML file under `paths` (files as given, directories recursively). Fails
/// only when a path does not exist or cannot be read at all; everything else is a diagnostic.
pub fn validate_paths(paths: &[PathBuf], options: &Options) -> Result<Report, LoadError> {
    let files = load::load(paths)?;
    let mut builder = ReportBuilder::new(options);
    for file in files {
        match file.content {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => builder.add_text(&file.name, &text),
                Err(error) => builder.add_problem(Diagnostic::error(
                    Check::Io,
                    file.name,
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        error.utf8_error().valid_up_to()
                    ),
                )),
            },
            Err(reason) => builder.add_problem(Diagnostic::error(
                Check::Io,
                file.name,
                format!("cannot read: {reason}"),
            )),
        }
    }
    Ok(builder.finish(options))
}

struct ReportBuilder {
    schemas: &'static document::Schemas,
    default_namespace: String,
    files: Vec<String>,
    documents: Vec<Document>,
    diagnostics: Vec<Diagnostic>,
}

impl ReportBuilder {
    fn new(options: &Options) -> ReportBuilder {
        ReportBuilder {
            schemas: document::Schemas::get(),
            default_namespace: options.default_namespace.clone(),
            files: Vec::new(),
            documents: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn add_problem(&mut self, diagnostic: Diagnostic) {
        self.files.push(diagnostic.file.clone());
        self.diagnostics.push(diagnostic);
    }

    fn add_text(&mut self, name: &str, text: &str) {
        self.files.push(name.to_string());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (documents, problems) = yaml::parse_documents(text);
        for problem in problems {
            self.diagnostics.push(Diagnostic {
                line: Some(problem.position.line),
                column: Some(problem.position.column),
                ..Diagnostic::error(Check::Yaml, name, problem.message)
            });
        }
        for document in documents {
            if let Some(document) = document::read_document(
                name,
                document,
                &self.default_namespace,
                self.schemas,
                &mut self.diagnostics,
            ) {
                self.documents.push(document);
            }
        }
    }

    fn finish(mut self, options: &Options) -> Report {
        checks::check_all(&self.documents, options.now, &mut self.diagnostics);
        let order: std::collections::HashMap<&str, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), i))
            .rev()
            .collect();
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|d| {
            (
                order.get(d.file.as_str()).copied().unwrap_or(usize::MAX),
                d.line.unwrap_or(0),
                d.column.unwrap_or(0),
            )
        });
        Report {
            files: self.files,
            documents: self.documents,
            diagnostics,
        }
    }
}
