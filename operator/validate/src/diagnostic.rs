//! A diagnostic: one problem found in the input, with where it is and what is wrong.

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Makes the input invalid.
    Error,
    /// Worth a look; the input stays valid.
    Warning,
}

/// Which check found the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The file could not be read.
    Io,
    /// The text is not valid YAML (or has duplicate keys, unsupported values).
    Yaml,
    /// A document lacks `apiVersion`, `kind` or `metadata.name`, or names an unknown kind.
    Identity,
    /// A field breaks the CRD schema: unknown, wrong type, bad enum value, missing, out of range.
    Schema,
    /// A field has the right type but no meaning: a cron that does not parse, an unknown time
    /// zone, a malformed duration, an invalid glob, …
    Spec,
    /// Two documents declare the same kind, namespace and name.
    Duplicate,
    /// A reference to another resource that is not in the given set.
    Reference,
    /// A maintenance window that cannot open in the next year.
    WindowNeverOpens,
    /// An SLA deadline shorter than the longest wait for a window.
    SlaGap,
    /// A policy's spec breaks a compliance profile it lists.
    Compliance,
}

impl Check {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Io => "io",
            Check::Yaml => "yaml",
            Check::Identity => "identity",
            Check::Schema => "schema",
            Check::Spec => "spec",
            Check::Duplicate => "duplicate",
            Check::Reference => "reference",
            Check::WindowNeverOpens => "window-never-opens",
            Check::SlaGap => "sla-gap",
            Check::Compliance => "compliance",
        }
    }
}

/// One problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub level: Level,
    /// Which check found it.
    pub check: Check,
    /// The file, as given (a path, or a name for in-memory input).
    pub file: String,
    /// The line (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The column (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The document's `kind`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The document's `metadata.name`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The document's namespace (the default namespace when it sets none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The field, as a JSON path from the document root: `spec.blackouts[1].end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

impl Diagnostic {
    /// An error of `check` in `file`, not yet located further.
    pub fn error(check: Check, file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            check,
            file: file.into(),
            line: None,
            column: None,
            kind: None,
            name: None,
            namespace: None,
            path: None,
            message: message.into(),
        }
    }

    /// `Kind namespace/name`, or as much of it as is known.
    pub fn subject(&self) -> Option<String> {
        match (&self.kind, &self.name) {
            (Some(kind), Some(name)) => Some(match &self.namespace {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            }),
            (Some(kind), None) => Some(kind.clone()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    /// `file:line:column: error[check]: Kind ns/name: path: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, ": {level}[{}]: ", self.check.as_str())?;
        if let Some(subject) = self.subject() {
            write!(f, "{subject}: ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}
