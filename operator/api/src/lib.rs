//! patchwarden-api: the `patchwarden.io/v1alpha1` custom resources — their spec and status
//! types, the condition vocabulary, well-known labels and annotations, and the CRD documents.

pub mod agent_exchange;
pub mod asset;
pub mod asset_group;
pub mod common;
pub mod compliance_input;
pub mod conditions;
pub mod convert;
pub mod crds;
pub mod evidence;
pub mod label_selector;
pub mod labels;
pub mod maintenance_window;
pub mod patch_policy;
pub mod patch_run;
pub mod policy_input;
pub mod time;
pub mod values;
pub mod vulnerability_feed;

pub use asset::{Asset, AssetSpec, AssetStatus, PatchState};
pub use asset_group::{AssetGroup, AssetGroupSpec, AssetGroupStatus};
pub use common::{CommonStatus, ConnectionKind, Criticality, Exposure};
pub use convert::{CheckSpec, SpecError};
pub use maintenance_window::{MaintenanceWindow, MaintenanceWindowSpec, MaintenanceWindowStatus};
pub use patch_policy::{PatchPolicy, PatchPolicySpec, PatchPolicyStatus};
pub use patch_run::{PatchRun, PatchRunSpec, PatchRunStatus, RunPhase};
pub use values::{CountOrPercentValue, CronScheduleValue, DurationValue, TimeZoneName};
pub use vulnerability_feed::{VulnerabilityFeed, VulnerabilityFeedSpec, VulnerabilityFeedStatus};

/// The API group of every patchwarden kind.
pub const GROUP: &str = "patchwarden.io";
/// The API version of every patchwarden kind.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of every patchwarden object.
pub const API_VERSION: &str = "patchwarden.io/v1alpha1";
