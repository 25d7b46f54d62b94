//! Well-known label and annotation keys patchwarden reads and writes.

/// Label on every object applied from a Git source: the source's name. Pruning only ever deletes
/// objects that carry it.
pub const SOURCE: &str = "patchwarden.io/source";
/// Annotation on applied objects: the Git revision (commit id) they were applied from.
pub const SOURCE_REVISION: &str = "patchwarden.io/source-revision";
/// Annotation on applied objects: the path of the file, within the source, they came from.
pub const SOURCE_PATH: &str = "patchwarden.io/source-path";
/// Label on an Asset: the AssetGroup that declared it.
pub const ASSET_GROUP: &str = "patchwarden.io/asset-group";
/// Label on a PatchRun: the PatchPolicy that created it.
pub const POLICY: &str = "patchwarden.io/policy";
/// Label on an Asset while a PatchRun holds it.
pub const RUN: &str = "patchwarden.io/run";
/// Label on an Asset: how it is reached (`agent`, `ssh`, `node`, `lab`).
pub const CONNECTION: &str = "patchwarden.io/connection";
/// Label on objects patchwarden created itself.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY`] on objects patchwarden created.
pub const MANAGED_BY_VALUE: &str = "patchwarden";
/// Annotation whose change requests an immediate reconcile (the Flux convention); the handled
/// value is copied to `status.lastHandledReconcileAt`.
pub const RECONCILE_REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Finalizer the controllers put on objects whose removal needs clean-up.
pub const FINALIZER: &str = "patchwarden.io/finalizer";
