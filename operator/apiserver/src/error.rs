//! Kubernetes `Status` errors: every failure a client can cause or observe is an `ApiError`
//! carrying the HTTP code, the Kubernetes reason and the details clients match on.

use serde_json::{Value, json};

/// One field-level cause of an `Invalid` (422) or `BadRequest` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, ...
    pub reason: String,
    /// Human text, e.g. `Required value`.
    pub message: String,
    /// Dotted field path, e.g. `spec.rollout.maxUnavailable`.
    pub field: String,
}

/// An error answered to the client as a Kubernetes `Status` object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// `details`, boxed so that results carrying an error stay small.
    pub details: Option<Box<Details>>,
}

/// The `details` of a Status: what object the error is about and why.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub name: Option<String>,
    pub group: Option<String>,
    /// The resource plural, as the real server reports it.
    pub kind: Option<String>,
    pub causes: Vec<Cause>,
    /// When to try again (429 and 503): also sent as the `Retry-After` header.
    pub retry_after_seconds: Option<u32>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 400 for a body that cannot be decoded as the kind, as the real server words it, with
    /// the causes naming the fields.
    pub fn undecodable(kind: &str, version: &str, reason: &str, causes: Vec<Cause>) -> Self {
        let mut err = Self::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {reason}"
        ));
        err.details = Some(Box::new(Details {
            causes,
            ..Details::default()
        }));
        err
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message)
    }

    /// The generic 404 for paths that name no known resource.
    pub fn no_such_path() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// `widgets.example.com "foo" not found`.
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(group, plural)),
        )
        .with_details(group, plural, name)
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(group, plural)),
        )
        .with_details(group, plural, name)
    }

    /// The optimistic-concurrency failure clients retry on.
    pub fn conflict(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                qualified(group, plural)
            ),
        )
        .with_details(group, plural, name)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(content_type: &str, supported: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}; got {content_type:?}",
                supported.join(", ")
            ),
        )
    }

    /// 429: the server holds as much of this kind of work as it takes; try again later.
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        let mut err = Self::new(429, "TooManyRequests", message);
        err.details = Some(Box::new(Details {
            retry_after_seconds: Some(retry_after_seconds),
            ..Details::default()
        }));
        err
    }

    /// The seconds after which the client may try again, when the error says so.
    pub fn retry_after(&self) -> Option<u32> {
        self.details.as_ref().and_then(|d| d.retry_after_seconds)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// 422 Invalid listing each field cause, formatted like the real server:
    /// `PatchPolicy.patchwarden.io "x" is invalid: [spec.a: Required value, ...]`.
    pub fn invalid(kind: &str, group: &str, name: &str, causes: Vec<Cause>) -> Self {
        let listed: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let summary = if listed.len() == 1 {
            listed[0].clone()
        } else {
            format!("[{}]", listed.join(", "))
        };
        let kind_group = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let mut err = Self::new(
            422,
            "Invalid",
            format!("{kind_group} \"{name}\" is invalid: {summary}"),
        );
        err.details = Some(Box::new(Details {
            name: Some(name.to_string()),
            group: Some(group.to_string()),
            kind: Some(kind.to_string()),
            causes,
            retry_after_seconds: None,
        }));
        err
    }

    /// A 422 for a single field.
    pub fn invalid_field(
        kind: &str,
        group: &str,
        name: &str,
        reason: &str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Self::invalid(
            kind,
            group,
            name,
            vec![Cause {
                reason: reason.to_string(),
                message: message.into(),
                field: field.to_string(),
            }],
        )
    }

    pub fn with_details(mut self, group: &str, plural: &str, name: &str) -> Self {
        self.details = Some(Box::new(Details {
            name: Some(name.to_string()),
            group: Some(group.to_string()),
            kind: Some(plural.to_string()),
            causes: Vec::new(),
            retry_after_seconds: None,
        }));
        self
    }

    /// The `Status` object sent on the wire.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(d) = &self.details {
            if let Some(name) = &d.name {
                details.insert("name".into(), json!(name));
            }
            if let Some(group) = &d.group {
                details.insert("group".into(), json!(group));
            }
            if let Some(kind) = &d.kind {
                details.insert("kind".into(), json!(kind));
            }
            if !d.causes.is_empty() {
                let causes: Vec<Value> = d
                    .causes
                    .iter()
                    .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                    .collect();
                details.insert("causes".into(), Value::Array(causes));
            }
            if let Some(seconds) = d.retry_after_seconds {
                details.insert("retryAfterSeconds".into(), json!(seconds));
            }
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty()
            && let Some(map) = status.as_object_mut()
        {
            map.insert("details".into(), Value::Object(details));
        }
        status
    }
}

/// `widgets.example.com`, or `namespaces` for the core group.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

/// Errors starting or running the server (as opposed to errors answered to clients).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("opening the database {path}: {source}")]
    Database {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("reading stored object {store}/{key}: {reason}")]
    CorruptRecord {
        store: String,
        key: String,
        reason: String,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("tokens file {path} line {line}: {reason}")]
    Tokens {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to serve plain HTTP on {addr}: only loopback addresses may go without TLS")]
    Insecure { addr: String },
    #[error("the storage writer stopped")]
    WriterStopped,
}

/// Maps an I/O error on `path` to a [`ServerError::Io`] naming the action and the file.
pub(crate) fn io_err<'a>(
    action: &'static str,
    path: &'a std::path::Path,
) -> impl Fn(std::io::Error) -> ServerError + 'a {
    move |source| ServerError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// Writes a file only its owner may read (tokens, keys, kubeconfigs): into a new temporary
/// file beside it, created with mode 0600 and never through a symlink (`create_new`), then
/// renamed into place, so the contents are never readable by others, a reader never sees half
/// a file, and a symlink planted at `path` is replaced rather than followed.
pub fn write_private(path: &std::path::Path, contents: &str) -> Result<(), ServerError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or_else(|| std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = crate::auth::generate_token()?;
    let temporary = dir.join(format!(".{name}.{suffix}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    });
    if let Err(source) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        // Best effort: the temporary file is ours and useless now.
        let _ = std::fs::remove_file(&temporary);
        return Err(io_err("writing", path)(source));
    }
    Ok(())
}

/// Creates `dir` (and missing parents) readable by its owner only.
pub(crate) fn create_private_dir(dir: &std::path::Path) -> Result<(), ServerError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir).map_err(io_err("creating", dir))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err("restricting permissions of", dir))
    }
    #[cfg(not(unix))]
    builder.create(dir).map_err(io_err("creating", dir))
}
