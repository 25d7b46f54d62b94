//! The text feeds: OSV (one record, JSON Lines, arrays), KEV, EPSS, Debian tracker lists and
//! Alpine secdb, each valid, cut short, too deep, too large, of the wrong type or empty.

use serde_json::{Value, json};

use super::feeds::{FeedInput, bytes};
use super::{Case, case, err, ok};

const OSV_ID: &str = "DSA-5600-1";

fn osv_value() -> Value {
    json!({
        "id": OSV_ID,
        "aliases": ["CVE-2024-0001"],
        "summary": "openssl: security update",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]
        }]
    })
}

/// The OSV record changed by `edit`, as one line.
fn osv_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut value = osv_value();
    edit(&mut value);
    value.to_string()
}

fn osv_line() -> String {
    osv_value().to_string()
}

/// An OSV error in record `record` (with the record's id), field `field`.
fn osv_err(record: usize, field: &str, message: &str) -> super::Expect {
    err("Feed osv", Some(record), field, message)
}

fn json_at(line: usize, column: usize) -> String {
    format!("json (line {line}, column {column})")
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn osv_accepted() -> Vec<Case<FeedInput>> {
    let lines = format!(
        "{}\n{}\n",
        osv_line(),
        osv_with(|v| v["id"] = json!("DSA-2"))
    );
    let many: String = (0..10_000)
        .map(|i| osv_with(|v| v["id"] = json!(format!("DSA-{i}"))) + "\n")
        .collect();
    vec![
        case("one record", bytes(osv_line()), ok("osv=1")),
        case(
            "a withdrawn record is left out",
            bytes(osv_with(|v| v["withdrawn"] = json!("2024-02-01T00:00:00Z"))),
            ok("osv=0"),
        ),
        case(
            "a pretty-printed record is one record",
            bytes(serde_json::to_string_pretty(&osv_value()).expect("json")),
            ok("osv=1"),
        ),
        case("JSON Lines of two", bytes(lines.clone()), ok("osv=2")),
        case(
            "JSON Lines with CRLF and blank lines",
            bytes(lines.replace('\n', "\r\n\r\n")),
            ok("osv=2"),
        ),
        case(
            "an array of two",
            bytes(format!("[{},{}]", osv_line(), osv_line())),
            ok("osv=2"),
        ),
        case("an empty array", bytes("[]"), ok("osv=0")),
        case("an empty file", bytes(""), ok("no documents")),
        case("only whitespace", bytes(" \n\t\r\n"), ok("no documents")),
        case(
            "an unknown ecosystem takes any version text",
            bytes(osv_with(|v| {
                v["affected"][0]["package"]["ecosystem"] = json!("Nope");
                v["affected"][0]["ranges"][0]["events"][1]["fixed"] = json!("!!");
            })),
            ok("osv=1"),
        ),
        case(
            "a range of another type is not read",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["type"] = json!("GIT");
                v["affected"][0]["ranges"][0]["events"][1]["fixed"] = json!("deadbeef!");
            })),
            ok("osv=1"),
        ),
        case(
            "an id of 1 MiB",
            bytes(osv_with(|v| v["id"] = json!("D".repeat(1 << 20)))),
            ok("osv=1"),
        ),
        case(
            "a summary of 4 MiB",
            bytes(osv_with(|v| v["summary"] = json!("s".repeat(4 << 20)))),
            ok("osv=1"),
        ),
        case(
            "ecosystem_specific nested 100 deep",
            bytes(osv_with(|v| {
                v["affected"][0]["ecosystem_specific"] =
                    serde_json::from_str(&nested(100)).expect("nested")
            })),
            ok("osv=1"),
        ),
        case(
            "an escaped NUL in the id",
            bytes(osv_with(|v| v["id"] = json!("DSA\u{0}1"))),
            ok("osv=1"),
        ),
        case(
            "a published date that is not a date is kept as text",
            bytes(osv_with(|v| v["published"] = json!("yesterday"))),
            ok("osv=1"),
        ),
        case("10,000 records as JSON Lines", bytes(many), ok("osv=10000")),
    ]
}

fn osv_wrong_types() -> Vec<Case<FeedInput>> {
    let typed = |label: &str, edit: fn(&mut Value), column: usize, message: &str| {
        case(
            label,
            bytes(osv_with(edit)),
            osv_err(1, &json_at(1, column), message),
        )
    };
    vec![
        case(
            "an empty object",
            bytes("{}"),
            osv_err(1, &json_at(1, 2), "missing field `id`"),
        ),
        typed(
            "the id is a number",
            |v| v["id"] = json!(5),
            194,
            "invalid type: integer `5`, expected a string",
        ),
        typed(
            "the id is null",
            |v| v["id"] = json!(null),
            197,
            "invalid type: null, expected a string",
        ),
        typed(
            "aliases is a string",
            |v| v["aliases"] = json!("CVE-2024-0001"),
            185,
            "invalid type: string \"CVE-2024-0001\", expected a sequence",
        ),
        typed(
            "aliases holds a number",
            |v| v["aliases"] = json!([1]),
            172,
            "invalid type: integer `1`, expected a string",
        ),
        typed(
            "the summary is a list",
            |v| v["summary"] = json!(["x"]),
            216,
            "invalid type: sequence, expected a string",
        ),
        typed(
            "withdrawn is true",
            |v| v["withdrawn"] = json!(true),
            259,
            "invalid type: boolean `true`, expected a string",
        ),
        typed(
            "severity is an object",
            |v| v["severity"] = json!({}),
            217,
            "invalid type: map, expected a sequence",
        ),
        typed(
            "a severity without a score",
            |v| v["severity"] = json!([{"type": "CVSS_V3"}]),
            236,
            "missing field `score`",
        ),
        typed(
            "affected is an object",
            |v| v["affected"] = json!({}),
            12,
            "invalid type: map, expected a sequence",
        ),
        typed(
            "affected holds a number",
            |v| v["affected"] = json!([7]),
            14,
            "invalid type: integer `7`, expected struct OsvAffected",
        ),
        typed(
            "the package is a string",
            |v| v["affected"][0]["package"] = json!("openssl"),
            33,
            "invalid type: string \"openssl\", expected struct OsvPackage",
        ),
        typed(
            "a package without a name",
            |v| v["affected"][0]["package"] = json!({"ecosystem": "Debian:12"}),
            49,
            "missing field `name`",
        ),
        typed(
            "events is an object",
            |v| v["affected"][0]["ranges"][0]["events"] = json!({}),
            87,
            "invalid type: map, expected a sequence",
        ),
        typed(
            "a range without events",
            |v| v["affected"][0]["ranges"][0] = json!({"type": "ECOSYSTEM"}),
            97,
            "missing field `events`",
        ),
    ]
}

fn osv_bad_values() -> Vec<Case<FeedInput>> {
    let events = "affected[0].ranges[0].events";
    vec![
        case(
            "an empty id",
            bytes(osv_with(|v| v["id"] = json!(""))),
            osv_err(1, "id", "record 1, field id: empty"),
        ),
        case(
            "a blank id",
            bytes(osv_with(|v| v["id"] = json!(" \t "))),
            osv_err(1, "id", "empty"),
        ),
        case(
            "a fixed version that is a number",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["events"][1] = json!({"fixed": 1})
            })),
            osv_err(1, &format!("{events}.fixed"), "expected a string, found 1"),
        ),
        case(
            "a fixed version that is null",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["events"][1] = json!({"fixed": null})
            })),
            osv_err(
                1,
                &format!("{events}.fixed"),
                "(DSA-5600-1), field affected[0].ranges[0].events.fixed: expected a string, found null",
            ),
        ),
        case(
            "a fixed version that is not a dpkg version",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["events"][1] = json!({"fixed": "!!"})
            })),
            osv_err(
                1,
                &format!("{events}.fixed"),
                "invalid dpkg version \"!!\": upstream version does not start with a digit",
            ),
        ),
        case(
            "an introduced version with whitespace",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["events"][0] = json!({"introduced": "1 2"})
            })),
            osv_err(1, &format!("{events}.introduced"), "embedded whitespace"),
        ),
        case(
            "an Alpine fixed version with trailing text",
            bytes(osv_with(|v| {
                v["affected"][0]["package"]["ecosystem"] = json!("Alpine:v3.19");
                v["affected"][0]["ranges"][0]["events"][1] = json!({"fixed": "1.2.3-r0 extra"});
            })),
            osv_err(1, &format!("{events}.fixed"), "invalid apk version"),
        ),
        case(
            "an open-ended limit event",
            bytes(osv_with(|v| {
                v["affected"][0]["ranges"][0]["events"][1] = json!({"limit": "*"})
            })),
            ok("osv=1"),
        ),
        case(
            "a CVSS vector that is garbage",
            bytes(osv_with(|v| {
                v["severity"] = json!([{"type": "CVSS_V3", "score": "garbage"}])
            })),
            osv_err(1, "severity[0].score", "garbage"),
        ),
    ]
}

fn osv_syntax() -> Vec<Case<FeedInput>> {
    let line = osv_line();
    let truncated_line = &line[..line.len() / 2];
    vec![
        case(
            "an unescaped NUL in the id",
            bytes(line.replace(OSV_ID, "DSA\u{0}1")),
            osv_err(
                1,
                &json_at(1, 198),
                "control character (\\u0000-\\u001F) found while parsing a string",
            ),
        ),
        case(
            "a lone surrogate escape",
            bytes(line.replace(OSV_ID, "\\ud800")),
            osv_err(1, &json_at(1, 201), "unexpected end of hex escape"),
        ),
        case(
            "the id twice",
            bytes("{\"id\":\"A\",\"id\":\"B\"}"),
            osv_err(
                1,
                &json_at(1, 14),
                "record 1 (B), field json (line 1, column 14): duplicate field `id`",
            ),
        ),
        case(
            "NaN as a value",
            bytes("{\"id\":NaN}"),
            osv_err(1, &json_at(1, 7), "expected value"),
        ),
        case(
            "a number too large for a float",
            bytes("{\"id\":\"A\",\"aliases\":1e999}"),
            osv_err(1, &json_at(1, 25), "number out of range"),
        ),
        case(
            "ecosystem_specific nested 200 deep",
            bytes(line.replacen(
                "\"package\"",
                &format!("\"ecosystem_specific\":{},\"package\"", nested(200)),
                1,
            )),
            osv_err(1, &json_at(1, 160), "recursion limit exceeded"),
        ),
        case(
            "an array nested 100,000 deep",
            bytes("[".repeat(100_000)),
            osv_err(0, &json_at(1, 128), "recursion limit exceeded"),
        ),
        case(
            "trailing text after the record",
            bytes(format!("{line} x")),
            osv_err(1, &json_at(1, 245), "trailing characters"),
        ),
        case(
            "two records on one line",
            bytes(format!("{line}{line}")),
            osv_err(1, &json_at(1, 244), "trailing characters"),
        ),
        case(
            "JSON Lines whose second line is cut short",
            bytes(format!("{line}\n{truncated_line}\n")),
            osv_err(2, &json_at(1, truncated_line.len()), "EOF while parsing"),
        ),
        case(
            "JSON Lines whose fourth line, after a blank one, is a list read as fields",
            bytes(format!("{line}\n{line}\n\n[1]\n")),
            osv_err(
                4,
                &json_at(1, 2),
                "invalid type: integer `1`, expected a string",
            ),
        ),
        case(
            "an array holding a number",
            bytes(format!("[{line},1]")),
            osv_err(
                2,
                "record",
                "invalid type: integer `1`, expected struct OsvRecord",
            ),
        ),
        case(
            "an array whose record has no id",
            bytes("[{\"summary\":\"x\"}]"),
            osv_err(1, "record", "missing field `id`"),
        ),
        case(
            "an array whose record has a bad version",
            bytes(format!("[{line},{}]", line.replace("3.0.13", "x3.0.13"))),
            osv_err(
                2,
                "affected[0].ranges[0].events.fixed",
                "record 2 (DSA-5600-1)",
            ),
        ),
        case(
            "an array cut short",
            bytes(format!("[{line},{truncated_line}")),
            osv_err(
                0,
                &json_at(1, line.len() + 2 + truncated_line.len()),
                "EOF while parsing",
            ),
        ),
        case(
            "text as UTF-16",
            bytes(
                line.encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            ),
            osv_err(1, &json_at(1, 2), "key must be a string"),
        ),
    ]
}

fn osv_not_a_feed() -> Vec<Case<FeedInput>> {
    let unknown = || err("UnknownKind", None, "", "<file>: not a recognised feed");
    let mut invalid_utf8 = osv_line().into_bytes();
    invalid_utf8[8] = 0xff;
    vec![
        case("null", bytes("null"), unknown()),
        case("a number", bytes("42"), unknown()),
        case("a JSON string", bytes("\"x\""), unknown()),
        case(
            "a byte order mark before the record",
            bytes(format!("\u{feff}{}", osv_line())),
            unknown(),
        ),
        case(
            "invalid UTF-8 in the id",
            bytes(invalid_utf8),
            err(
                "NotText",
                None,
                "",
                "<file>: not UTF-8 text (invalid utf-8 sequence of 1 bytes from index 8)",
            ),
        ),
    ]
}

fn osv_truncated() -> Vec<Case<FeedInput>> {
    let line = osv_line();
    (1..line.len())
        .step_by(17)
        .map(|cut| {
            case(
                format!("one record cut at byte {cut}"),
                bytes(&line.as_bytes()[..cut]),
                osv_err(1, &json_at(1, cut), "EOF while parsing"),
            )
        })
        .collect()
}

/// OSV documents.
pub fn osv() -> Vec<Case<FeedInput>> {
    [
        osv_accepted(),
        osv_wrong_types(),
        osv_bad_values(),
        osv_syntax(),
        osv_not_a_feed(),
        osv_truncated(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
