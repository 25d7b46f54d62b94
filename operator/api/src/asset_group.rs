//! `AssetGroup`: which assets a policy targets and how much they matter. Members come from a
//! label selector over Assets, Kubernetes Nodes, inline SSH hosts and lab hosts.

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Criticality, Exposure, SecretReference, impl_common_status};

/// The default SSH port.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// Which assets belong to the group, and how much they matter.
#[derive(CustomResource, Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "patchwarden.io",
    version = "v1alpha1",
    kind = "AssetGroup",
    namespaced,
    status = "AssetGroupStatus",
    shortname = "ag",
    category = "patchwarden",
    derive = "PartialEq",
    doc = "A set of assets (hosts and nodes) that policies target, with their criticality and exposure.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the group is resolved"
    ),
    printcolumn(
        name = "Members",
        type_ = "integer",
        json_path = ".status.memberCount",
        description = "Number of member assets"
    ),
    printcolumn(
        name = "Criticality",
        type_ = "string",
        json_path = ".spec.criticality",
        description = "How much the members matter"
    ),
    printcolumn(
        name = "Exposure",
        type_ = "string",
        json_path = ".spec.exposure",
        description = "How reachable the members are"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Time since creation"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct AssetGroupSpec {
    /// Label selector over Asset resources in the same namespace; matching Assets are members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Label selector over Kubernetes Nodes; each matching Node becomes an Asset with the `node`
    /// connection and is a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<LabelSelector>,
    /// Inline SSH inventory: each host becomes an Asset with the `ssh` connection and is a member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub hosts: Vec<HostEntry>,
    /// A fleet of lab hosts (local dpkg roots patched by the real apt and dpkg), for trying
    /// patchwarden out and for tests. Each lab host becomes an Asset with the `lab` connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabFleet>,
    /// Secret with the SSH credentials for the inline hosts: key `ssh-privatekey` (the private key)
    /// and key `known_hosts` (the host keys to verify against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<SecretReference>,
    /// How much the members matter; raises or lowers the risk of their findings.
    #[serde(default)]
    #[schemars(schema_with = "crate::values::criticality_schema")]
    pub criticality: Criticality,
    /// How reachable the members are from an attacker's point of view.
    #[serde(default)]
    #[schemars(schema_with = "crate::values::exposure_schema")]
    pub exposure: Exposure,
    /// Stops discovery, inventory and patching of the members while true: policies hold their
    /// updates back, and a run skips the members it has not started on (`Skipped`, with the
    /// reason).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
}

/// One host of the inline SSH inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    /// Name of the Asset created for this host (a DNS-1123 label, unique within the group).
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Host name or IP address to connect to.
    #[schemars(length(min = 1, max = 253))]
    pub address: String,
    /// SSH port.
    #[serde(default = "default_ssh_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// User to log in as; it needs passwordless sudo for the package manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Labels copied onto the Asset, for selectors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

fn default_ssh_port() -> u16 {
    DEFAULT_SSH_PORT
}

/// A fleet of lab hosts: Debian 12 dpkg roots on the local machine, starting at real installed
/// versions, patched from a local apt repository with the fixed versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabFleet {
    /// Number of lab hosts.
    #[schemars(range(min = 1, max = 1000))]
    pub hosts: u32,
    /// Prefix of the host names: hosts are named `<prefix>-0`, `<prefix>-1`, … Defaults to the
    /// group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 50),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name_prefix: Option<String>,
    /// Labels copied onto every lab host's Asset, for selectors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Faults made on purpose, to see halts, rollbacks and unreachable hosts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<LabFault>,
}

impl LabFleet {
    /// The names of the lab hosts, given the group's name.
    pub fn host_names(&self, group_name: &str) -> Vec<String> {
        let prefix = self.name_prefix.as_deref().unwrap_or(group_name);
        (0..self.hosts).map(|i| format!("{prefix}-{i}")).collect()
    }
}

/// A fault made on purpose on some lab hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "self.kind == 'Unreachable' || has(self.package)", "message": "package is required for PostinstFails, HealthCheckFails and RequiresReboot"}
]))]
pub struct LabFault {
    /// What goes wrong.
    pub kind: LabFaultKind,
    /// Names of the lab hosts it affects (`<prefix>-<index>`).
    #[schemars(length(min = 1))]
    pub hosts: Vec<String>,
    /// The package whose upgrade triggers the fault (for `PostinstFails`, `HealthCheckFails` and
    /// `RequiresReboot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// The kinds of lab faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum LabFaultKind {
    /// The new version's `postinst` exits non-zero, so dpkg leaves it half-configured.
    PostinstFails,
    /// The host's health check fails once the package is upgraded.
    HealthCheckFails,
    /// The host cannot be reached at all.
    Unreachable,
    /// Upgrading the package asks the host for a reboot (`/run/reboot-required`, with the
    /// package in `/run/reboot-required.pkgs`), as a new kernel or libc does. A lab host's
    /// reboot gives it a new boot id and clears both files.
    RequiresReboot,
}

/// Observed state of an AssetGroup.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetGroupStatus {
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The last handled value of the `reconcile.fluxcd.io/requestedAt` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Conditions (`Ready`, `Reconciling`, `Stalled`), one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Number of member assets.
    #[serde(default)]
    pub member_count: u32,
    /// Names of the member Assets, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Number of members that could not be reached at their last inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_count: Option<u32>,
}

impl_common_status!(AssetGroupStatus);
