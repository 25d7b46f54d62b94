//! Small types shared by several kinds: references, criticality, exposure, connection kinds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A reference to a Secret in the same namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretReference {
    /// Name of the Secret, in the namespace of the referring resource.
    pub name: String,
}

/// A reference to one key of a ConfigMap or Secret in the same namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyReference {
    /// Name of the ConfigMap or Secret, in the namespace of the referring resource.
    pub name: String,
    /// Key within its data.
    pub key: String,
}

/// How much an asset matters and how reachable it is: the core's types, written in resources
/// by their canonical names (`High`, `Internet`); fields of these types take their schema from
/// [`crate::values::criticality_schema`] and [`crate::values::exposure_schema`].
pub use patchwarden_core::risk::{Criticality, Exposure};

/// How patchwarden reaches an asset.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionKind {
    /// A `patchwarden agent` on the asset pulls its work and reports back.
    Agent,
    /// The system OpenSSH client, with host keys verified.
    #[default]
    Ssh,
    /// A privileged Job pinned to a Kubernetes Node.
    Node,
    /// A lab host: a local directory with its own dpkg database (the test fleet).
    Lab,
}

impl ConnectionKind {
    /// The name as written in resources and in the `patchwarden.io/connection` label.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Agent => "agent",
            ConnectionKind::Ssh => "ssh",
            ConnectionKind::Node => "node",
            ConnectionKind::Lab => "lab",
        }
    }
}

/// Status fields every kind shares (kstatus, Flux, Argo CD).
pub trait CommonStatus {
    /// `metadata.generation` last reconciled.
    fn observed_generation(&self) -> Option<i64>;
    /// The conditions, keyed by type.
    fn conditions(&self) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition];
    /// The conditions, for updating with `conditions::set_condition`.
    fn conditions_mut(
        &mut self,
    ) -> &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>;
}

/// Implements [`CommonStatus`] for a status struct with the standard fields.
macro_rules! impl_common_status {
    ($status:ty) => {
        impl $crate::common::CommonStatus for $status {
            fn observed_generation(&self) -> Option<i64> {
                self.observed_generation
            }
            fn conditions(&self) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition] {
                &self.conditions
            }
            fn conditions_mut(
                &mut self,
            ) -> &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
                &mut self.conditions
            }
        }
    };
}
pub(crate) use impl_common_status;
