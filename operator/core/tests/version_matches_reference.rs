//! The allocation-free dpkg and rpm comparisons against the previous implementation (kept in
//! `version_reference`): the same ordering on random strings over the version alphabet, most of
//! them sharing a prefix with their partner so that the shared-prefix skip is exercised at
//! every cut (inside numbers, at leading zeros, at `~`, `^` and separators); and the orders
//! stay antisymmetric and transitive on such strings.

use std::cmp::Ordering;

use patchwarden_core::version::rpm::{Evr, rpmvercmp};
use patchwarden_core::version::{VersionScheme, dpkg::DpkgVersion};
use proptest::prelude::*;

#[path = "version_reference/mod.rs"]
mod version_reference;

use version_reference::{dpkg as old_dpkg, rpm as old_rpm};

/// Any string over the bytes versions are made of, including the ones that mean something to
/// one scheme only and a little whitespace and non-ASCII.
fn fragment() -> impl Strategy<Value = String> {
    prop::string::string_regex("[0-9a-zA-Z.+~^_:\\-]{0,10}|[0 9a~.:\\-\t\u{a0}é]{0,4}")
        .expect("regex")
}

/// A pair sharing a prefix (cut anywhere, including inside a run of digits), or independent.
fn pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        3 => (fragment(), fragment(), fragment())
            .prop_map(|(head, x, y)| (format!("{head}{x}"), format!("{head}{y}"))),
        1 => (fragment(), fragment()),
        1 => (fragment(), "0{0,3}[0-9]{0,3}", "0{0,3}[0-9]{0,3}")
            .prop_map(|(head, x, y)| (format!("{head}{x}"), format!("{head}{y}"))),
    ]
}

fn triple() -> impl Strategy<Value = (String, String, String)> {
    (fragment(), fragment(), fragment(), fragment()).prop_map(|(head, x, y, z)| {
        (
            format!("{head}{x}"),
            format!("{head}{y}"),
            format!("{head}{z}"),
        )
    })
}

fn assert_total_order(compare: fn(&str, &str) -> Ordering, a: &str, b: &str, c: &str) {
    let ab = compare(a, b);
    assert_eq!(ab, compare(b, a).reverse(), "antisymmetric on {a:?} {b:?}");
    assert_eq!(compare(a, a), Ordering::Equal, "reflexive on {a:?}");
    let (bc, ac) = (compare(b, c), compare(a, c));
    if ab != Ordering::Greater && bc != Ordering::Greater {
        assert_ne!(ac, Ordering::Greater, "transitive on {a:?} {b:?} {c:?}");
    }
    if ab == Ordering::Equal && bc == Ordering::Equal {
        assert_eq!(
            ac,
            Ordering::Equal,
            "equality transitive on {a:?} {b:?} {c:?}"
        );
    }
}

fn dpkg(a: &str, b: &str) -> Ordering {
    VersionScheme::Dpkg.compare(a, b)
}

fn rpm(a: &str, b: &str) -> Ordering {
    VersionScheme::Rpm.compare(a, b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn dpkg_orders_like_the_previous_implementation((a, b) in pair()) {
        prop_assert_eq!(dpkg(&a, &b), old_dpkg::compare(&a, &b), "{:?} vs {:?}", a, b);
        if let (Ok(x), Ok(y)) = (DpkgVersion::parse(&a), DpkgVersion::parse(&b)) {
            prop_assert_eq!(x.cmp(&y), old_dpkg::compare(&a, &b), "parsed {:?} vs {:?}", a, b);
        }
    }

    #[test]
    fn rpm_orders_like_the_previous_implementation((a, b) in pair()) {
        let want = old_rpm::compare(&a, &b);
        prop_assert_eq!(rpm(&a, &b), want, "{:?} vs {:?}", a, b);
        prop_assert_eq!(Evr::split(&a).cmp(&Evr::split(&b)), want, "Evr {:?} vs {:?}", a, b);
        prop_assert_eq!(rpmvercmp(&a, &b), old_rpm::rpmvercmp(&a, &b), "rpmvercmp {:?} vs {:?}", a, b);
    }

    #[test]
    fn both_stay_total_orders_on_shared_prefixes((a, b, c) in triple()) {
        assert_total_order(dpkg, &a, &b, &c);
        assert_total_order(rpm, &a, &b, &c);
    }
}

/// Cuts that a careless prefix skip gets wrong: inside a number, at leading zeros, before `~`
/// and `^`, at a separator that differs, and where one side ends.
#[test]
fn prefix_cuts_that_matter() {
    let cases = [
        ("1.19", "1.2"),
        ("1.2", "1.10"),
        ("1.009", "1.01"),
        ("1.0", "1.00"),
        ("1.0~rc1", "1.0"),
        ("1.0^git1", "1.0"),
        ("1.0^git1", "1.0.1"),
        ("1.0a", "1.0"),
        ("1.0-1", "1.0-1+b1"),
        ("2:1.0", "10:1.0"),
        ("1.0.", "1.0_"),
        ("1.0-10", "1.0-9"),
        ("1.0a1", "1.0b"),
        ("12345678901234567890", "12345678901234567899"),
        ("2.36-9+deb12u7", "2.36-9+deb12u10"),
    ];
    for (a, b) in cases {
        for (x, y) in [(a, b), (b, a)] {
            assert_eq!(dpkg(x, y), old_dpkg::compare(x, y), "dpkg {x} vs {y}");
            assert_eq!(rpm(x, y), old_rpm::compare(x, y), "rpm {x} vs {y}");
        }
    }
    assert_eq!(dpkg("1.19", "1.2"), Ordering::Greater);
    assert_eq!(rpm("1.009", "1.01"), Ordering::Greater);
}
