//! patchwarden-gitops: Git source sync (apply a repository's resources, prune, record the
//! revision) and `plan` for pull requests (read base and head straight from Git, diff them,
//! explain the impact).

pub mod diff;
pub mod impact;
pub mod markdown;
pub mod plan;
pub mod resources;
pub mod revision;
pub mod snapshot;
pub mod source;
pub mod sync;
pub mod validation;
