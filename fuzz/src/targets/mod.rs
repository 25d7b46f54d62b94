//! Every fuzz target, one module per family of parsers.

mod feeds;
mod inventory;
mod patch;
mod resources;
mod schedule;
mod selectors;
mod versions;

use crate::target::Target;

/// All targets, in the order `all` runs them.
pub fn all() -> Vec<&'static Target> {
    [
        resources::TARGETS,
        feeds::TARGETS,
        inventory::TARGETS,
        versions::TARGETS,
        schedule::TARGETS,
        selectors::TARGETS,
        patch::TARGETS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The target called `name`.
pub fn find(name: &str) -> Option<&'static Target> {
    all().into_iter().find(|target| target.name == name)
}
