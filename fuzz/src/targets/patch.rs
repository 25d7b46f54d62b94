//! The control plane's patch formats: JSON Patch (RFC 6902) within size and depth limits, and
//! JSON Merge Patch (RFC 7386). Inputs are two lines: the document, then the patch.

use arbitrary::Unstructured;
use patchwarden_apiserver::patch::{Limits, json_patch, merge_patch};
use serde_json::{Map, Value};

use crate::target::{Target, Violation, text};

/// Tight limits, so that the fuzzer reaches them.
const LIMITS: Limits = Limits {
    max_bytes: 2048,
    max_depth: 16,
};

const JSON_PATCH_SEEDS: &[&str] = &[
    "{\"metadata\":{\"name\":\"a\",\"finalizers\":[\"x\"]},\"spec\":{\"l\":[1,2,3]}}\n[{\"op\":\"test\",\"path\":\"/metadata/finalizers\",\"value\":[\"x\"]},{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"},{\"op\":\"add\",\"path\":\"/spec/l/-\",\"value\":4}]",
    "{\"a\":{\"b~c\":1,\"d/e\":2}}\n[{\"op\":\"move\",\"from\":\"/a/b~0c\",\"path\":\"/a/x\"},{\"op\":\"copy\",\"from\":\"/a/d~1e\",\"path\":\"/y\"},{\"op\":\"replace\",\"path\":\"\",\"value\":{\"z\":null}}]",
    "[1,[2,[3]]]\n[{\"op\":\"add\",\"path\":\"/1/1/0\",\"value\":{\"deep\":[[[]]]}},{\"op\":\"test\",\"path\":\"/missing\",\"value\":null}]",
];
const MERGE_PATCH_SEEDS: &[&str] = &[
    "{\"a\":{\"b\":1,\"c\":2},\"l\":[1]}\n{\"a\":{\"b\":null},\"l\":[2]}",
    "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}\n{\"metadata\":{\"labels\":{\"x\":null,\"y\":\"2\"},\"annotations\":{}}}",
    "[1,2]\n{\"a\":{\"b\":{\"c\":null}}}",
];
const DICTIONARY: &[&str] = &[
    "{\"op\":\"add\",\"path\":\"/a\",\"value\":1}",
    "{\"op\":\"remove\",\"path\":\"/a\"}",
    "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}",
    "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a\"}",
    "\"op\":",
    "\"path\":",
    "\"from\":",
    "\"value\":",
    "\"test\"",
    "\"replace\"",
    "/-",
    "/0",
    "/~0",
    "/~1",
    "~2",
    "/00",
    "/-1",
    "null",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
];

const KEYS: &[&str] = &["a", "b", "0", "1", "-", "~", "/", "", "metadata", "spec"];
const POINTERS: &[&str] = &[
    "", "/", "/a", "/a/b", "/a/0", "/0", "/1", "/-", "/a/-", "/~0", "/~1", "/b/a/b", "/a/~01", "a",
    "/a/b/c/d",
];
const OPS: &[&str] = &["add", "remove", "replace", "move", "copy", "test", "bogus"];

/// A JSON value of bounded depth and width, keys from a small set so that pointers hit.
fn value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Value> {
    let kind = if depth == 0 {
        u.int_in_range(0..=3)?
    } else {
        u.int_in_range(0..=5)?
    };
    Ok(match kind {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.int_in_range(-2i64..=2)?),
        3 => Value::from(*u.choose(KEYS)?),
        4 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(u.choose(KEYS)?.to_string(), value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

fn operation(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut op = Map::new();
    op.insert("op".into(), Value::from(*u.choose(OPS)?));
    op.insert("path".into(), Value::from(*u.choose(POINTERS)?));
    if u.arbitrary()? {
        op.insert("from".into(), Value::from(*u.choose(POINTERS)?));
    }
    if u.ratio(3, 4)? {
        op.insert("value".into(), value(u, 3)?);
    }
    Ok(Value::Object(op))
}

fn generate_json_patch(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let doc = value(u, 4)?;
    let mut ops = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        ops.push(operation(u)?);
    }
    Ok(format!("{doc}\n{}", Value::Array(ops)).into_bytes())
}

fn generate_merge_patch(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    Ok(format!("{}\n{}", value(u, 4)?, value(u, 4)?).into_bytes())
}

/// The document and the patch, when both lines are JSON.
fn document_and_patch(input: &[u8]) -> Option<(Value, Value)> {
    let text = text(input);
    let (doc, patch) = text.split_once('\n')?;
    Some((
        serde_json::from_str(doc).ok()?,
        serde_json::from_str(patch).ok()?,
    ))
}

fn encoded_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

/// A patched document stays within the size limit (or the size it had), and a patch of only
/// `test` operations changes nothing.
fn check_json_patch(input: &[u8]) -> Result<(), Violation> {
    let Some((doc, patch)) = document_and_patch(input) else {
        return Ok(());
    };
    let Ok(patched) = json_patch(&doc, &patch, LIMITS) else {
        return Ok(());
    };
    let ceiling = LIMITS.max_bytes.max(encoded_len(&doc));
    if encoded_len(&patched) > ceiling {
        return Err(Violation::new(
            "size-limit",
            format!(
                "{} bytes after the patch, limit {ceiling}: {patch}",
                encoded_len(&patched)
            ),
        ));
    }
    let only_tests = patch.as_array().is_some_and(|ops| {
        ops.iter()
            .all(|op| op.get("op") == Some(&Value::from("test")))
    });
    if only_tests && patched != doc {
        return Err(Violation::new(
            "test-only-unchanged",
            format!("{patch} changed {doc} into {patched}"),
        ));
    }
    Ok(())
}

/// Merge patches are idempotent: applying one twice gives what applying it once gave.
fn check_merge_patch(input: &[u8]) -> Result<(), Violation> {
    let Some((doc, patch)) = document_and_patch(input) else {
        return Ok(());
    };
    let once = merge_patch(&doc, &patch);
    let twice = merge_patch(&once, &patch);
    if once != twice {
        return Err(Violation::new(
            "idempotence",
            format!("{patch} on {doc}: once {once}, twice {twice}"),
        ));
    }
    Ok(())
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "json-patch",
        about: "apiserver::patch json_patch (RFC 6902, size and depth limits)",
        seeds: JSON_PATCH_SEEDS,
        dictionary: DICTIONARY,
        generate: Some(generate_json_patch),
        check: check_json_patch,
    },
    Target {
        name: "merge-patch",
        about: "apiserver::patch merge_patch (RFC 7386, idempotent)",
        seeds: MERGE_PATCH_SEEDS,
        dictionary: DICTIONARY,
        generate: Some(generate_merge_patch),
        check: check_merge_patch,
    },
];
