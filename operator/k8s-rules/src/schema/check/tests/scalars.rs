//! Strings and numbers: lengths, patterns, date-times, bounds and integer formats.

use serde_json::json;

use super::{check, check_with, one};
use crate::schema::{CheckOptions, ViolationKind};

#[test]
fn strings_lengths_patterns_and_times() {
    let schema =
        one(json!({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$"}));
    assert!(
        check(&schema, &json!({"x": "éé"})).is_empty(),
        "lengths count characters"
    );
    assert_eq!(
        check(&schema, &json!({"x": "a"}))[0].1,
        ViolationKind::TooShort {
            min: 2,
            value: "a".into()
        }
    );
    assert_eq!(
        check(&schema, &json!({"x": "abcd"}))[0].1,
        ViolationKind::TooLong {
            max: 3,
            length: 4,
            value: "abcd".into()
        }
    );
    assert_eq!(
        check(&schema, &json!({"x": "AB"}))[0].1,
        ViolationKind::PatternMismatch {
            pattern: "^[a-zé]+$".into(),
            value: "AB".into()
        }
    );
    // A pattern that does not compile constrains nothing.
    assert!(
        check(
            &one(json!({"type": "string", "pattern": "("})),
            &json!({"x": "a"})
        )
        .is_empty()
    );
    let time = one(json!({"type": "string", "format": "date-time"}));
    for fits in [
        "2026-12-24T18:00:00Z",
        "2026-12-24T18:00:00.5+01:00",
        "2028-02-29T00:00:00Z",
    ] {
        assert!(check(&time, &json!({"x": fits})).is_empty(), "{fits}");
    }
    for bad in [
        "2026-12-24",
        "2026-13-01T00:00:00Z",
        "2027-02-29T00:00:00Z",
        "tomorrow",
    ] {
        assert_eq!(
            check(&time, &json!({"x": bad}))[0].1,
            ViolationKind::NotDateTime { value: bad.into() },
            "{bad}"
        );
    }
}

#[test]
fn numeric_bounds_inclusive_and_exclusive() {
    let schema = one(json!({"type": "integer", "minimum": 1, "maximum": 366}));
    assert!(check(&schema, &json!({"x": 1})).is_empty());
    assert!(check(&schema, &json!({"x": 366})).is_empty());
    assert_eq!(
        check(&schema, &json!({"x": 0}))[0].1,
        ViolationKind::BelowMinimum {
            found: 0.into(),
            minimum: 1.0,
            exclusive: false
        }
    );
    assert_eq!(
        check(&schema, &json!({"x": 400}))[0].1,
        ViolationKind::AboveMaximum {
            found: 400.into(),
            maximum: 366.0,
            exclusive: false
        }
    );
    let exclusive = one(
        json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
        "maximum": 1, "exclusiveMaximum": true}),
    );
    assert!(check(&exclusive, &json!({"x": 0.5})).is_empty());
    assert_eq!(check(&exclusive, &json!({"x": 0})).len(), 1);
    assert_eq!(check(&exclusive, &json!({"x": 1})).len(), 1);
}

#[test]
fn integer_formats_bound_values_only_when_asked() {
    let ranges = CheckOptions {
        integer_format_ranges: true,
        ..CheckOptions::default()
    };
    let cases = [
        ("int32", json!(2_147_483_648_i64), json!(-2_147_483_648_i64)),
        ("uint8", json!(256), json!(0)),
        ("uint16", json!(65_536), json!(65_535)),
        ("uint32", json!(4_294_967_296_i64), json!(0)),
        ("uint64", json!(-1), json!(u64::MAX)),
    ];
    for (format, outside, inside) in cases {
        let schema = one(json!({"type": "integer", "format": format}));
        assert_eq!(
            check_with(ranges, &schema, &json!({"x": outside.clone()})).len(),
            1,
            "{format}"
        );
        assert!(
            check_with(ranges, &schema, &json!({"x": inside})).is_empty(),
            "{format}"
        );
        assert!(
            check(&schema, &json!({"x": outside})).is_empty(),
            "{format}"
        );
    }
    // The tighter of the schema's bound and the format's wins.
    let schema = one(json!({"type": "integer", "format": "uint32", "minimum": -5, "maximum": 10}));
    assert_eq!(
        check_with(ranges, &schema, &json!({"x": -1}))[0].1,
        ViolationKind::BelowMinimum {
            found: (-1).into(),
            minimum: 0.0,
            exclusive: false
        }
    );
    assert_eq!(
        check_with(ranges, &schema, &json!({"x": 11}))[0].1,
        ViolationKind::AboveMaximum {
            found: 11.into(),
            maximum: 10.0,
            exclusive: false
        }
    );
}
