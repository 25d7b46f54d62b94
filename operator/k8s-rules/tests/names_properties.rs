//! Properties of the name syntaxes: how they nest, and where the length limits fall.

use patchwarden_k8s_rules::names::{
    check_label_key, check_label_value, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn the_rules_nest(name in "[a-z0-9.-]{0,70}") {
        if is_dns1035_label(&name) {
            prop_assert!(is_dns1123_label(&name));
        }
        if is_dns1123_label(&name) {
            prop_assert!(is_dns1123_subdomain(&name));
            prop_assert!(check_label_key(&name).is_ok());
            prop_assert!(check_label_value(&name).is_ok());
        }
    }

    #[test]
    fn labels_are_valid_up_to_63_characters(length in 1usize..100, first in "[a-z]", fill in "[a-z0-9-]", last in "[a-z0-9]") {
        let name = if length == 1 {
            first.clone()
        } else {
            format!("{first}{}{last}", fill.repeat(length - 2))
        };
        prop_assert_eq!(is_dns1123_label(&name), length <= 63);
        prop_assert_eq!(is_dns1035_label(&name), length <= 63);
        prop_assert!(is_dns1123_subdomain(&name));
    }

    #[test]
    fn subdomains_are_valid_up_to_253_characters(labels in prop::collection::vec("[a-z0-9]{1,40}", 1..10)) {
        let name = labels.join(".");
        prop_assert_eq!(is_dns1123_subdomain(&name), name.len() <= 253);
    }

    #[test]
    fn anything_outside_the_alphabet_is_refused(name in "[a-z]{0,5}[^a-z0-9.-][a-z]{0,5}") {
        prop_assert!(!is_dns1123_label(&name));
        prop_assert!(!is_dns1123_subdomain(&name));
        prop_assert!(!is_dns1035_label(&name));
    }
}
