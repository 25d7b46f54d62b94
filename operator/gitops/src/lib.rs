//! patchwarden-gitops: Git source sync (apply a repository's resources, prune, record the
//! revision) and `plan` for pull requests (read base and head straight from Git, diff them,
//! explain the impact).
//!
//! - [`source`]: git2 reading without a checkout (local repository or a bare mirror of a URL),
//!   branch/tag/commit resolution, the YAML files of a revision under a sub-path.
//! - [`resources`] and [`diff`]: a revision's objects keyed by (apiVersion/kind, namespace,
//!   name), and the added/removed/changed resources between two revisions.
//! - [`revision`] and [`validation`]: a revision accepted or rejected as a whole by
//!   `patchwarden-validate`.
//! - [`sync`]: [`sync::GitSync`] applies a valid revision with server-side apply, prunes what
//!   left Git, and records `lastAppliedRevision`/`lastAttemptedRevision` in a ConfigMap.
//! - [`trigger`]: what syncs before the interval elapses — a local repository's refs
//!   watched with inotify, and the webhook receiver for GitHub, GitLab and generic pushes.
//! - [`impact`], [`plan`], [`markdown`], [`snapshot`]: the pure impact computation, reading two
//!   revisions for it, its Markdown rendering, and the live state it is computed against.

pub mod diff;
pub mod impact;
pub mod markdown;
pub mod plan;
pub mod resources;
pub mod revision;
pub mod snapshot;
pub mod source;
pub mod sync;
pub mod trigger;
pub mod validation;

/// The git2 this crate reads repositories with, for callers that write the repositories.
pub use git2;
