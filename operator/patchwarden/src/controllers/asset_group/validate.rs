//! Validate: a group's label selectors (`spec.selector` for member Assets,
//! `spec.nodeSelector` for Kubernetes Nodes), read by the Kubernetes rules in k8s-rules. A
//! selector Kubernetes would refuse is terminal.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ApiLabelSelector;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_k8s_rules::LabelSelector;

use crate::controllers::error::Terminal;

/// The group's parsed selectors.
pub struct Selectors {
    /// Assets that are members besides those carrying the group label.
    pub assets: Option<LabelSelector>,
    /// Nodes that become `node` Assets of the group.
    pub nodes: Option<LabelSelector>,
}

/// A selector field Kubernetes would refuse.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {source}")]
pub struct InvalidSelector {
    /// The field: `spec.selector` or `spec.nodeSelector`.
    pub field: &'static str,
    /// Why it is refused.
    #[source]
    pub source: patchwarden_k8s_rules::selector::InvalidSelector,
}

impl From<InvalidSelector> for Terminal {
    fn from(error: InvalidSelector) -> Self {
        Terminal::invalid_spec(error)
    }
}

/// Parses the group's selectors.
pub fn selectors(group: &AssetGroup) -> Result<Selectors, InvalidSelector> {
    Ok(Selectors {
        assets: patchwarden_api::policy_input::group_selector(&group.spec).map_err(|source| {
            InvalidSelector {
                field: "spec.selector",
                source,
            }
        })?,
        nodes: node_selector(group.spec.node_selector.as_ref())?,
    })
}

fn node_selector(
    selector: Option<&ApiLabelSelector>,
) -> Result<Option<LabelSelector>, InvalidSelector> {
    patchwarden_api::label_selector::from_optional(selector).map_err(|source| InvalidSelector {
        field: "spec.nodeSelector",
        source,
    })
}
