//! patchwarden-core: the pure domain. No I/O, no clock, no Kubernetes, no network:
//! every function takes plain data (and `now` as a parameter) and returns plain data.

pub mod approval;
pub mod duration;
pub mod quantity;
pub mod severity;
pub mod sla;
pub mod window;

pub use duration::Duration;
pub use quantity::CountOrPercent;
pub use severity::Severity;
