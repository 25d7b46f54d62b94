//! Decide: the Assets a group declares (its lab fleet's hosts, its inline SSH hosts, the
//! Nodes its node selector matches) and its membership (Assets carrying its label or
//! matching its selector). Pure.

use std::collections::BTreeMap;

use kube::ResourceExt;
use patchwarden_api::asset::{Asset, AssetSpec, PatchState};
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::common::ConnectionKind;
use patchwarden_api::labels;
use patchwarden_api::policy_input::group_contains;
use patchwarden_k8s_rules::LabelSelector;

/// One Asset a group declares.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredAsset {
    /// Asset name.
    pub name: String,
    /// Its spec.
    pub spec: AssetSpec,
    /// Labels it carries (the group label included).
    pub labels: BTreeMap<String, String>,
}

/// The Assets a group declares: lab hosts take their lab host name as address, Nodes
/// become `node` Assets named after them.
pub fn declared_assets(
    group: &AssetGroup,
    lab_hosts: &[String],
    nodes: &[String],
) -> Vec<DeclaredAsset> {
    let name = group.name_any();
    let base = |connection: ConnectionKind| {
        BTreeMap::from([
            (labels::ASSET_GROUP.to_string(), name.clone()),
            (
                labels::CONNECTION.to_string(),
                connection.as_str().to_string(),
            ),
            (
                labels::MANAGED_BY.to_string(),
                labels::MANAGED_BY_VALUE.to_string(),
            ),
        ])
    };
    let mut assets = Vec::new();
    if let Some(fleet) = &group.spec.lab {
        for (index, member) in fleet.host_names(&name).into_iter().enumerate() {
            let mut labels = base(ConnectionKind::Lab);
            labels.extend(fleet.labels.clone());
            assets.push(DeclaredAsset {
                name: member,
                spec: AssetSpec {
                    connection: ConnectionKind::Lab,
                    address: lab_hosts.get(index).cloned(),
                    ..AssetSpec::default()
                },
                labels,
            });
        }
    }
    for host in &group.spec.hosts {
        let mut labels = base(ConnectionKind::Ssh);
        labels.extend(host.labels.clone());
        assets.push(DeclaredAsset {
            name: host.name.clone(),
            spec: AssetSpec {
                connection: ConnectionKind::Ssh,
                address: Some(host.address.clone()),
                port: Some(host.port),
                user: host.user.clone(),
                credentials_ref: group.spec.credentials_ref.clone(),
                ..AssetSpec::default()
            },
            labels,
        });
    }
    for node in nodes {
        assets.push(DeclaredAsset {
            name: node.clone(),
            spec: AssetSpec {
                connection: ConnectionKind::Node,
                address: Some(node.clone()),
                ..AssetSpec::default()
            },
            labels: base(ConnectionKind::Node),
        });
    }
    assets
}

/// Who is in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Member Asset names, sorted.
    pub members: Vec<String>,
    /// How many members are unreachable.
    pub unreachable: usize,
}

/// The members among `assets` by the one membership rule (`plan` uses it too): those
/// carrying the group label, and those `selector` selects.
pub fn membership(group: &str, assets: &[Asset], selector: Option<&LabelSelector>) -> Membership {
    let mut members: Vec<&Asset> = assets
        .iter()
        .filter(|a| group_contains(group, selector, a))
        .collect();
    members.sort_by_key(|a| a.name_any());
    members.dedup_by_key(|a| a.name_any());
    let unreachable = members
        .iter()
        .filter(|a| a.status.as_ref().and_then(|s| s.patch_state) == Some(PatchState::Unreachable))
        .count();
    Membership {
        members: members.iter().map(|a| a.name_any()).collect(),
        unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::asset_group::{AssetGroupSpec, LabFleet};

    #[test]
    fn lab_members_are_named_by_prefix_and_addressed_by_lab_host() {
        let mut group = AssetGroup::new(
            "web",
            AssetGroupSpec {
                lab: Some(LabFleet {
                    hosts: 2,
                    name_prefix: None,
                    labels: BTreeMap::from([("tier".to_string(), "web".to_string())]),
                    faults: Vec::new(),
                }),
                ..AssetGroupSpec::default()
            },
        );
        group.metadata.namespace = Some("default".into());
        let declared = declared_assets(&group, &["lab-01".into(), "lab-02".into()], &[]);
        assert_eq!(declared.len(), 2);
        assert_eq!(declared[1].name, "web-1");
        assert_eq!(declared[1].spec.address.as_deref(), Some("lab-02"));
        assert_eq!(
            declared[1]
                .labels
                .get(labels::ASSET_GROUP)
                .map(String::as_str),
            Some("web")
        );
        assert_eq!(
            declared[1].labels.get("tier").map(String::as_str),
            Some("web")
        );
    }

    #[test]
    fn matched_nodes_become_node_assets_and_members_are_counted_once() {
        let group = AssetGroup::new("nodes", AssetGroupSpec::default());
        let declared = declared_assets(&group, &[], &["worker-1".into()]);
        assert_eq!(declared[0].spec.connection, ConnectionKind::Node);
        assert_eq!(declared[0].spec.address.as_deref(), Some("worker-1"));
        let member = |name: &str, group: &str| {
            let mut asset = Asset::new(name, AssetSpec::default());
            asset.metadata.labels = Some(BTreeMap::from([(
                labels::ASSET_GROUP.to_string(),
                group.to_string(),
            )]));
            asset
        };
        let assets = [
            member("b", "nodes"),
            member("a", "nodes"),
            member("c", "other"),
        ];
        let selector =
            LabelSelector::parse(&format!("{}=other", labels::ASSET_GROUP)).expect("selector");
        let seen = membership("nodes", &assets, Some(&selector));
        assert_eq!(seen.members, ["a", "b", "c"]);
        assert_eq!(seen.unreachable, 0);
    }
}
