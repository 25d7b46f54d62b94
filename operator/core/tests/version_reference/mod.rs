//! The version comparison as it was before the allocation-free rewrite, kept verbatim as the
//! reference that the current implementation is checked against (property tests) and measured
//! beside (the `version_compare` bench). Shared by both through `#[path]`,
//! with the real versions both draw pairs from.

#![allow(dead_code)]

pub mod dpkg;
pub mod real_versions;
pub mod rpm;
