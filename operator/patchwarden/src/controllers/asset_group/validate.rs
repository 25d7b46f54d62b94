//! Validate: a group's label selectors (`spec.selector` for member Assets,
//! `spec.nodeSelector` for Kubernetes Nodes) into selectors the API takes. A selector that
//! does not parse is terminal.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::core::{ParseExpressionError, Selector};
use patchwarden_api::asset_group::AssetGroup;

use crate::controllers::error::Terminal;

/// The group's parsed selectors.
pub struct Selectors {
    /// Assets that are members besides those carrying the group label.
    pub assets: Option<Selector>,
    /// Nodes that become `node` Assets of the group.
    pub nodes: Option<Selector>,
}

/// A selector field that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {source}")]
pub struct InvalidSelector {
    /// The field: `spec.selector` or `spec.nodeSelector`.
    pub field: &'static str,
    /// Why it does not parse.
    #[source]
    pub source: ParseExpressionError,
}

impl From<InvalidSelector> for Terminal {
    fn from(error: InvalidSelector) -> Self {
        Terminal::invalid_spec(error)
    }
}

/// Parses the group's selectors.
pub fn selectors(group: &AssetGroup) -> Result<Selectors, InvalidSelector> {
    Ok(Selectors {
        assets: selector(group.spec.selector.as_ref(), "spec.selector")?,
        nodes: selector(group.spec.node_selector.as_ref(), "spec.nodeSelector")?,
    })
}

fn selector(
    selector: Option<&LabelSelector>,
    field: &'static str,
) -> Result<Option<Selector>, InvalidSelector> {
    selector
        .cloned()
        .map(|s| Selector::try_from(s).map_err(|source| InvalidSelector { field, source }))
        .transpose()
}
