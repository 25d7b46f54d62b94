//! patchwarden: the I/O shell around `patchwarden-core` — CLI, controllers, executors,
//! feeds, GitOps sync and the lab fleet.

pub mod cli;
pub mod controllers;
pub mod report;
pub mod telemetry;
