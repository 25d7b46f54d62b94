//! Ordering properties of every scheme: reflexive, antisymmetric and transitive over
//! generated versions, so sorting and range evaluation are well defined.

use std::cmp::Ordering;

use patchwarden_core::version::VersionScheme;
use proptest::prelude::*;

fn version() -> impl Strategy<Value = String> {
    prop::string::string_regex("([0-9]{1,2}:)?[0-9]{1,3}([.~+^_a-z0-9-]{0,8})(-r?[0-9]{1,2})?")
        .expect("regex")
}

const SCHEMES: [VersionScheme; 3] = [VersionScheme::Dpkg, VersionScheme::Rpm, VersionScheme::Apk];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_scheme_is_a_total_order(a in version(), b in version(), c in version()) {
        for scheme in SCHEMES {
            prop_assert_eq!(scheme.compare(&a, &a), Ordering::Equal, "{} reflexive on {}", scheme, a);
            let ab = scheme.compare(&a, &b);
            prop_assert_eq!(ab, scheme.compare(&b, &a).reverse(), "{} antisymmetric on {} {}", scheme, a, b);
            let bc = scheme.compare(&b, &c);
            if ab != Ordering::Greater && bc != Ordering::Greater {
                prop_assert_ne!(scheme.compare(&a, &c), Ordering::Greater, "{} transitive on {} {} {}", scheme, a, b, c);
            }
            if ab == Ordering::Equal && bc == Ordering::Equal {
                prop_assert_eq!(scheme.compare(&a, &c), Ordering::Equal);
            }
        }
    }

    #[test]
    fn sorting_is_consistent(mut versions in prop::collection::vec(version(), 2..30)) {
        for scheme in SCHEMES {
            versions.sort_by(|x, y| scheme.compare(x, y));
            for pair in versions.windows(2) {
                prop_assert_ne!(scheme.compare(&pair[0], &pair[1]), Ordering::Greater);
            }
        }
    }
}
