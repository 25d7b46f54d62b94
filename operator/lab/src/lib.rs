//! patchwarden-lab: the lab fleet. Hosts are directories with their own dpkg database, patched by
//! the real apt-get and dpkg from a local apt repository of tiny packages that mirror real
//! Debian 12 names and versions; the lab also writes the matching OSV feed.

pub mod boot;
pub mod delta;
pub mod dpkg_state;
pub mod error;
pub mod fleet;
pub mod host;
pub mod names;
pub mod osv;
mod process;
pub mod repo;

pub use delta::{DEFAULT_SOURCES, LabDelta};
pub use dpkg_state::{DpkgLogAction, InstalledPackage, read_dpkg_log};
pub use error::LabError;
pub use fleet::{CreateTimings, Fault, HostStatus, Lab, LabSpec};
pub use host::{FaultKind, LabHost};
pub use repo::LabPackage;
