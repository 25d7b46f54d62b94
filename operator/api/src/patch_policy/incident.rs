//! A policy's incident response: what is done to an asset in incident (an Internet-exposed
//! asset with a KEV-listed finding past its due date, or one reported compromised) while the
//! incident lasts, and what the status records of each response.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::KeyReference;

/// What is done to an asset in incident; every action is idempotent, recorded in status and
/// Events, and reversed when the incident ends unless `keep` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentResponse {
    /// Labels set on the Asset, and on the Node of a `node` Asset.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A taint put on the Node of a `node` Asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint: Option<IncidentTaint>,
    /// Cordon the Node of a `node` Asset (no new pods are scheduled on it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cordon: bool,
    /// A containment manifest: a minijinja template of one or more YAML documents, rendered
    /// per asset with `asset` (`name`, `namespace`, `address`, `node`, `labels`), `incident`
    /// (`cause`, `finding`) and `policy` (`name`, `namespace`), and applied with server-side
    /// apply; the objects are deleted when the incident ends. For example a NetworkPolicy that
    /// isolates the pods on the asset's node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containment: Option<String>,
    /// A webhook called when an incident starts and when it ends, with a JSON body signed
    /// with HMAC-SHA256 in `X-Patchwarden-Signature: sha256=<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<IncidentWebhook>,
    /// Keep the labels, taint, cordon and containment after the incident ends (the default
    /// reverses them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep: bool,
}

/// A Node taint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentTaint {
    /// The taint key, a qualified name such as `patchwarden.io/incident`.
    pub key: String,
    /// The taint value (a label value), when it carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule` (the default), `PreferNoSchedule` or `NoExecute` (evicts pods that do not
    /// tolerate it).
    #[serde(default)]
    pub effect: TaintEffect,
}

/// What a taint does to pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    /// No new pod that does not tolerate it is scheduled on the Node.
    #[default]
    NoSchedule,
    /// The scheduler avoids the Node.
    PreferNoSchedule,
    /// Pods that do not tolerate it are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The name Kubernetes writes.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// Where incidents are reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentWebhook {
    /// `https://` (or `http://`) URL the notice is POSTed to.
    pub url: String,
    /// The key of a Secret (same namespace) holding the HMAC key the body is signed with.
    pub secret_ref: KeyReference,
}

/// The response to one asset in incident.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRecord {
    /// The Asset.
    pub asset: String,
    /// Why it is an incident.
    pub cause: String,
    /// When the response started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// What was done, one line each (a failed action says why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// The Node of a `node` Asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The label keys set on the Asset (and its Node), removed when it ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_keys: Vec<String>,
    /// The key of the taint put on the Node, removed when it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_key: Option<String>,
    /// The Node was cordoned for it (uncordoned when it ends).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cordoned: bool,
    /// The containment objects applied, as `apiVersion/kind/namespace/name` (no namespace for
    /// cluster-scoped kinds: `apiVersion/kind//name`), deleted when it ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<String>,
    /// The webhook accepted the start notice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notified: bool,
}
