//! KEV catalogs (JSON) and EPSS tables (CSV): valid, cut short, of the wrong type, with odd
//! dates and numbers out of range.

use serde_json::{Value, json};

use super::feeds::{FeedInput, bytes};
use super::{Case, Expect, case, err, ok};

fn kev_value() -> Value {
    json!({
        "catalogVersion": "2024.01.02",
        "dateReleased": "2024-01-02T15:00:00.000Z",
        "vulnerabilities": [{
            "cveID": "CVE-2024-0001",
            "vendorProject": "OpenSSL",
            "product": "OpenSSL",
            "vulnerabilityName": "OpenSSL flaw",
            "dateAdded": "2024-01-02",
            "dueDate": "2024-01-23",
            "knownRansomwareCampaignUse": "Known"
        }]
    })
}

fn kev_with(edit: impl FnOnce(&mut Value)) -> FeedInput {
    let mut value = kev_value();
    edit(&mut value);
    bytes(value.to_string())
}

fn kev_err(record: usize, field: &str, message: &str) -> Expect {
    err("Feed kev", Some(record), field, message)
}

fn kev_date(label: &str, date: Value, message: &str) -> Case<FeedInput> {
    case(
        format!("dateAdded {label}"),
        kev_with(|v| v["vulnerabilities"][0]["dateAdded"] = date),
        kev_err(1, "dateAdded", message),
    )
}

/// KEV catalogs.
pub fn kev() -> Vec<Case<FeedInput>> {
    let whole = kev_value().to_string();
    let mut cases = vec![
        case("one entry", bytes(whole.clone()), ok("kev=1")),
        case(
            "no entries",
            kev_with(|v| v["vulnerabilities"] = json!([])),
            ok("kev=0"),
        ),
        case(
            "vulnerabilities twice: the last wins",
            bytes(format!(
                "{{\"catalogVersion\":\"1\",\"vulnerabilities\":{},\"vulnerabilities\":[]}}",
                kev_value()["vulnerabilities"]
            )),
            ok("kev=0"),
        ),
        case(
            "a ransomware use that is not text reads as unknown",
            kev_with(|v| v["vulnerabilities"][0]["knownRansomwareCampaignUse"] = json!(true)),
            ok("kev=1"),
        ),
        case(
            "detected by cveID without catalogVersion",
            kev_with(|v| {
                v.as_object_mut().map(|o| o.remove("catalogVersion"));
            }),
            ok("kev=1"),
        ),
        case(
            "vulnerabilities missing",
            bytes("{\"catalogVersion\":\"1\"}"),
            kev_err(0, "vulnerabilities", "missing or not a list"),
        ),
        case(
            "vulnerabilities is an object",
            kev_with(|v| v["vulnerabilities"] = json!({})),
            kev_err(0, "vulnerabilities", "missing or not a list"),
        ),
        case(
            "vulnerabilities is null",
            kev_with(|v| v["vulnerabilities"] = json!(null)),
            kev_err(0, "vulnerabilities", "missing or not a list"),
        ),
        case(
            "an entry that is a number",
            kev_with(|v| v["vulnerabilities"] = json!([1])),
            kev_err(1, "cveID", "record 1, field cveID: missing or not a string"),
        ),
        case(
            "cveID is a number",
            kev_with(|v| v["vulnerabilities"][0]["cveID"] = json!(2024)),
            kev_err(1, "cveID", "missing or not a string"),
        ),
        case(
            "the second entry lacks dueDate",
            kev_with(|v| {
                let mut second = v["vulnerabilities"][0].clone();
                second["cveID"] = json!("CVE-2024-0002");
                second.as_object_mut().map(|o| o.remove("dueDate"));
                if let Some(entries) = v["vulnerabilities"].as_array_mut() {
                    entries.push(second);
                }
            }),
            kev_err(
                2,
                "dueDate",
                "record 2 (CVE-2024-0002), field dueDate: missing or not a string",
            ),
        ),
        kev_date("is a number", json!(20240102), "missing or not a string"),
        kev_date(
            "in month 13",
            json!("2024-13-01"),
            "\"2024-13-01\": input is out of range",
        ),
        kev_date(
            "on 30 February",
            json!("2024-02-30"),
            "\"2024-02-30\": input is out of range",
        ),
        kev_date(
            "on 29 February of a common year",
            json!("2023-02-29"),
            "input is out of range",
        ),
        kev_date(
            "in US order",
            json!("01/02/2024"),
            "\"01/02/2024\": input contains invalid characters",
        ),
        kev_date(
            "with a time",
            json!("2024-01-02T00:00:00Z"),
            "trailing input",
        ),
        kev_date("empty", json!(""), "premature end of input"),
        kev_date(
            "with a NUL",
            json!("2024-01-0\u{0}2"),
            "\"2024-01-0\\02\": input is out of range",
        ),
        case(
            "a catalog nested 200 deep",
            bytes(format!(
                "{{\"catalogVersion\":\"1\",\"notes\":{}{},\"vulnerabilities\":[]}}",
                "[".repeat(200),
                "]".repeat(200)
            )),
            kev_err(0, "json (line 1, column 157)", "recursion limit exceeded"),
        ),
    ];
    cases.extend((18..whole.len()).step_by(41).map(|cut| {
        case(
            format!("the catalog cut at byte {cut}"),
            bytes(&whole.as_bytes()[..cut]),
            kev_err(
                0,
                &format!("json (line 1, column {cut})"),
                "EOF while parsing",
            ),
        )
    }));
    cases
}

const EPSS_HEAD: &str =
    "#model_version:v2023.03.01,score_date:2024-01-02T00:00:00+0000\ncve,epss,percentile\n";

fn epss_rows(rows: &str) -> FeedInput {
    bytes(format!("{EPSS_HEAD}{rows}"))
}

fn epss_err(record: usize, field: &str, message: &str) -> Expect {
    err("Feed epss", Some(record), field, message)
}

/// A row whose epss cell is `cell`, refused with `message`.
fn epss_cell(cell: &str, message: &str) -> Case<FeedInput> {
    case(
        format!("epss cell {cell:?}"),
        epss_rows(&format!("CVE-2024-0001,{cell},0.5\n")),
        epss_err(3, "epss", message),
    )
}

/// A row whose cve cell is `cell`, refused as not a CVE id.
fn epss_cve(cell: &str) -> Case<FeedInput> {
    case(
        format!("cve cell {cell:?}"),
        epss_rows(&format!("{cell},0.5,0.5\n")),
        epss_err(3, "cve", &format!("not a CVE id: {:?}", cell.trim())),
    )
}

/// EPSS tables.
pub fn epss() -> Vec<Case<FeedInput>> {
    let mut cases = vec![
        case(
            "one row",
            epss_rows("CVE-2024-0001,0.5,0.9\n"),
            ok("epss=1"),
        ),
        case(
            "no comment line",
            bytes("cve,epss,percentile\nCVE-2024-0001,0.5,0.9\n"),
            ok("epss=1"),
        ),
        case(
            "columns in another order, without percentile",
            bytes("#model_version:x\nepss,cve\n0.5,CVE-2024-0001\n"),
            ok("epss=1"),
        ),
        case(
            "CRLF, blank lines and a lower-case id",
            epss_rows("\r\ncve-2024-0001,0.5,0.9\r\n\r\n"),
            ok("epss=1"),
        ),
        case(
            "one CVE twice: the last row wins",
            epss_rows("CVE-2024-0001,0.5,0.9\nCVE-2024-0001,0.6,0.9\n"),
            ok("epss=1"),
        ),
        case("a header and no rows", epss_rows(""), ok("epss=0")),
        case(
            "minus zero is within 0..1",
            epss_rows("CVE-2024-0001,-0,0\n"),
            ok("epss=1"),
        ),
        case(
            "a row cut after the epss cell lacks its percentile",
            epss_rows("CVE-2024-0001,0."),
            epss_err(3, "percentile", "not a number: \"\""),
        ),
        case(
            "100,000 rows",
            epss_rows(
                &(0..100_000)
                    .map(|i| format!("CVE-2024-{i},0.1,0.2\n"))
                    .collect::<String>(),
            ),
            ok("epss=100000"),
        ),
        case(
            "only the comment line",
            bytes("#model_version:v2023.03.01\n"),
            epss_err(0, "header", "no header row with cve and epss columns"),
        ),
        case(
            "a header without an epss column",
            bytes("#model_version:x\ncve,score\nCVE-2024-0001,0.5\n"),
            epss_err(
                2,
                "header",
                "expected a header with cve and epss columns, found \"cve,score\"",
            ),
        ),
        case(
            "the header cut short",
            bytes("#model_version:x\ncve,ep"),
            epss_err(2, "header", "found \"cve,ep\""),
        ),
        case(
            "a row cut after the comma",
            epss_rows("CVE-2024-0001,"),
            epss_err(
                3,
                "epss",
                "record 3 (CVE-2024-0001), field epss: not a number: \"\"",
            ),
        ),
        case(
            "a row with only the id",
            epss_rows("CVE-2024-0001\n"),
            epss_err(3, "epss", "not a number: \"\""),
        ),
        case(
            "a percentile above 1",
            epss_rows("CVE-2024-0001,0.5,2\n"),
            epss_err(3, "percentile", "2 is outside 0..1"),
        ),
        case(
            "the third row is bad",
            epss_rows("CVE-2024-0001,0.5,0.5\nCVE-2024-0002,0.5,0.5\nCVE-2024-0003,x,0.5\n"),
            epss_err(5, "epss", "record 5 (CVE-2024-0003)"),
        ),
    ];
    for (cell, message) in [
        ("NaN", "NaN is outside 0..1"),
        ("-0.1", "-0.1 is outside 0..1"),
        ("1.5", "1.5 is outside 0..1"),
        ("inf", "inf is outside 0..1"),
        ("1e39", "inf is outside 0..1"),
        ("0x1", "not a number: \"0x1\""),
        ("\"0.5\"", "not a number: \"\\\"0.5\\\"\""),
        ("", "not a number: \"\""),
    ] {
        cases.push(epss_cell(cell, message));
    }
    for cell in [
        "CVE-24-1",
        "CVE-2024-",
        "CVE-2024-1234567890",
        "\"CVE-2024-0001\"",
        "GHSA-xxxx",
        "CVE-2024-00\u{0}1",
        "CVE-２０２４-1",
    ] {
        cases.push(epss_cve(cell));
    }
    cases
}
