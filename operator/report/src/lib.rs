//! The patchwarden report: what an auditor and a security lead read. [`build`] computes a
//! [`Report`] from the resources as read (PatchPolicies, PatchRuns, Assets) and a fixed `now`;
//! [`render`] writes it as a self-contained HTML page (inline SVG charts, no scripts), as JSON
//! (the struct itself) and as Markdown.

pub mod chart;
mod compute;
mod model;
mod outcomes;
mod remediation;
mod render;

pub use compute::{ReportInput, build};
pub use model::*;
pub use render::{RenderError, Rendered, render, render_html};
