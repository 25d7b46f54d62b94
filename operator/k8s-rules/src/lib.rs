//! Kubernetes rules with no Kubernetes client: label selectors (string and structured forms),
//! field selectors, the name syntaxes (DNS-1123, DNS-1035, label keys and values) and checks of
//! objects against a CRD's structural schema. Messages are worded as a real API server words
//! them; callers keep only their own presentation.
//!
//! Pure: it depends on serde, regex (schema `pattern`s) and chrono (`format: date-time`), and
//! does no I/O.

pub mod disruption;
pub mod field_path;
pub mod field_selector;
pub mod names;
pub mod schema;
pub mod selector;

pub use field_path::{FieldPath, PathSegment};
pub use field_selector::{FieldSelector, FieldSelectorError};
pub use selector::{LabelSelector, selects};
