//! patchwarden-core: the pure domain. No I/O, no clock, no Kubernetes, no network:
//! every function takes plain data (and `now` as a parameter) and returns plain data.

pub mod advisory;
pub mod approval;
pub mod approval_reason;
pub mod compliance;
pub mod cvss;
pub mod drain;
pub mod duration;
pub mod ecosystem;
pub mod feed;
pub mod finding;
pub mod health_comparison;
pub mod history;
pub mod host_supply;
pub mod incident;
pub mod index;
pub mod inventory;
pub mod load_forecast;
pub mod outcomes;
pub mod policy;
pub mod quantity;
pub mod rating;
pub mod risk;
pub mod rollout;
pub mod severity;
pub mod sla;
pub mod threats;
pub mod version;
pub mod window;

pub use duration::Duration;
pub use quantity::CountOrPercent;
pub use severity::Severity;
