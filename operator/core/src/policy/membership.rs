//! Which assets belong to an asset group. The AssetGroup controller records membership with
//! this rule and `plan` recomputes it with the same rule.

use std::collections::BTreeMap;

use patchwarden_k8s_rules::{LabelSelector, selects};

/// Whether an asset belongs to group `group`: the asset declares the group (the asset-group
/// label that a group's own hosts carry), or the group's selector selects the asset's labels.
/// A selector follows Kubernetes: an empty one selects every asset, an absent one none.
pub fn is_member(
    group: &str,
    selector: Option<&LabelSelector>,
    declared_group: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> bool {
    declared_group == Some(group) || selects(selector, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_members_and_selected_members_belong_and_an_empty_selector_selects_all() {
        let labels = BTreeMap::from([("tier".to_string(), "web".to_string())]);
        let web = LabelSelector::parse("tier=web").expect("selector");
        assert!(is_member("g", None, Some("g"), &BTreeMap::new()));
        assert!(!is_member("g", None, Some("other"), &labels));
        assert!(is_member("g", Some(&web), None, &labels));
        assert!(!is_member("g", Some(&web), None, &BTreeMap::new()));
        assert!(is_member(
            "g",
            Some(&LabelSelector::default()),
            None,
            &BTreeMap::new()
        ));
        assert!(!is_member("g", None, None, &labels));
    }
}
