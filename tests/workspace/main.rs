//! Guards over the whole workspace (the core stays pure, `crds/` matches the API types) and
//! the `patchwarden` commands that read the repository's own files, as a user runs them.

mod cli_feed_build_debian;
mod cli_validate;
mod cli_windows;
mod core_purity;
mod crds_in_sync;
mod fields_are_read;
mod hostile_inputs;
