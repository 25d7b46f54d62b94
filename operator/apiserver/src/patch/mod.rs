//! Patch formats: JSON Patch (RFC 6902, [`json_patch`](mod@json_patch), over JSON Pointer paths in
//! [`pointer`](mod@pointer)), JSON Merge Patch (RFC 7386, [`merge_patch`](mod@merge_patch)) and
//! server-side apply with per-manager field sets ([`apply`](mod@apply)).

mod apply;
mod json_patch;
mod merge_patch;
mod pointer;

pub use apply::{FieldSet, apply, field_set, fields_v1, parse_fields_v1};
pub use json_patch::{Limits, OperationError, PatchError, json_patch};
pub use merge_patch::merge_patch;
