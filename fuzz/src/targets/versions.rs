//! Version comparison of the three schemes: never panics, and orders like a total order
//! (reflexive, antisymmetric, transitive). Inputs are three lines, `a`, `b`, `c`.

use std::cmp::Ordering;

use arbitrary::Unstructured;
use patchwarden_core::version::VersionScheme;

use crate::target::{Target, Violation, lines};

const DPKG_SEEDS: &[&str] = &[
    "2.36-9+deb12u4\n2.36-9+deb12u10\n1:2.36-1",
    "1.0~rc1-1\n1.0-1\n1.0+b1",
    "0:1.2.3\n1.2.3\n1.2.3-0",
    "7.88.1-10+deb12u8\n7.88.1-10+deb12u12~bpo11+1\n7.88.1-10",
    "1.0a\n1.0.a\n1.0~~a",
    "2:4.1+dfsg-1ubuntu0.1\n2:4.1+dfsg-1\n1:9.9",
];
const RPM_SEEDS: &[&str] = &[
    "1:3.0.1-43.el9_0\n3.0.1-43.el9_0\n1:3.0.1-44.el9",
    "5.1.8-4.el9\n5.1.8-4.el9.x86_64\n5.1.8-6.el9_1",
    "1.0^git1-1\n1.0-1\n1.0~rc1-1",
    "2.0.1-1.fc30\n2.0a-1\n2.0.1a-1",
    "(none):1.0-1\n0:1.0-1\n1.0",
];
const APK_SEEDS: &[&str] = &[
    "3.4.3-r1\n3.4.3-r10\n3.4.3_p1-r0",
    "1.2.3_alpha1-r0\n1.2.3_beta-r0\n1.2.3_rc2-r1",
    "1.0a-r0\n1.0b-r0\n1.0_git20200101-r0",
    "2.9.0-r0\n0\n1-r01",
    "1.36.1-r5\n1.36.1_pre2-r0\n1.36.1_p3-r0",
];
const DICTIONARY: &[&str] = &[
    "~",
    "+",
    "-",
    ":",
    ".",
    "_",
    "^",
    "1:",
    "0:",
    "-r",
    "_p",
    "_rc",
    "_alpha",
    "_beta",
    "_pre",
    "_git",
    "_cvs",
    "_svn",
    "_hg",
    "deb12u",
    "el9",
    "~bpo",
    "+b1",
    "dfsg",
    "a",
    "z",
    "99999999999999999999",
    "\n",
];

/// Characters versions are made of, weighted towards digits and separators.
const VERSION_CHARS: &[u8] = b"0123456789012345678901234567890123456789.-~+:_^abcprezAZ";

fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut out = Vec::new();
    for line in 0..3 {
        if line > 0 {
            out.push(b'\n');
        }
        let len = u.int_in_range(0..=16)?;
        for _ in 0..len {
            out.push(VERSION_CHARS[u.choose_index(VERSION_CHARS.len())?]);
        }
    }
    Ok(out)
}

/// The total-order properties of `compare` on the input's three versions.
fn check_order(scheme: VersionScheme, input: &[u8]) -> Result<(), Violation> {
    let mut versions = lines(input, 3);
    versions.resize(3, String::new());
    for version in &versions {
        // Only that it does not panic: malformed versions are compared all the same.
        let _ = scheme.validate(version);
        if scheme.compare(version, version) != Ordering::Equal {
            return Err(Violation::new(
                "reflexivity",
                format!("{scheme}: {version:?} is not equal to itself"),
            ));
        }
    }
    let [a, b, c] = [&versions[0], &versions[1], &versions[2]];
    let ab = scheme.compare(a, b);
    if ab != scheme.compare(b, a).reverse() {
        return Err(Violation::new(
            "antisymmetry",
            format!("{scheme}: {a:?} vs {b:?} is {ab:?} both ways"),
        ));
    }
    let bc = scheme.compare(b, c);
    let ac = scheme.compare(a, c);
    let transitive = match (ab, bc) {
        (Ordering::Equal, Ordering::Equal) => ac == Ordering::Equal,
        (Ordering::Less | Ordering::Equal, Ordering::Less | Ordering::Equal) => {
            ac == Ordering::Less
        }
        (Ordering::Greater | Ordering::Equal, Ordering::Greater | Ordering::Equal) => {
            ac == Ordering::Greater
        }
        _ => true,
    };
    if !transitive {
        return Err(Violation::new(
            "transitivity",
            format!("{scheme}: {a:?} {ab:?} {b:?}, {b:?} {bc:?} {c:?}, but {a:?} {ac:?} {c:?}"),
        ));
    }
    Ok(())
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "version-dpkg",
        about: "core::version::dpkg compare and parse (total order)",
        seeds: DPKG_SEEDS,
        dictionary: DICTIONARY,
        generate: Some(generate),
        check: |input| check_order(VersionScheme::Dpkg, input),
    },
    Target {
        name: "version-rpm",
        about: "core::version::rpm compare and parse (total order)",
        seeds: RPM_SEEDS,
        dictionary: DICTIONARY,
        generate: Some(generate),
        check: |input| check_order(VersionScheme::Rpm, input),
    },
    Target {
        name: "version-apk",
        about: "core::version::apk compare and validate (total order)",
        seeds: APK_SEEDS,
        dictionary: DICTIONARY,
        generate: Some(generate),
        check: |input| check_order(VersionScheme::Apk, input),
    },
];
