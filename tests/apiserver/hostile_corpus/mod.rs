//! A generated corpus of hostile requests (truncated JSON, deep nesting, huge strings,
//! wrong-typed metadata, odd unicode, invalid names and labels, broken selectors, odd paths and
//! headers). Each family has its expected answer: the HTTP code, the Status `reason`, the
//! field named in the Status causes (when one is) and a piece of the message; never a 5xx,
//! never a dropped connection. Nothing is stored, and the server answers and writes
//! afterwards.

mod bodies;
mod requests;

use serde_json::{Value, json};
use support::cluster::TestServer;
use support::http::{raw_request, try_raw_request};

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";
const NAMESPACES: &str = "/api/v1/namespaces";
const JSON: &str = "application/json";
const MAX_BODY: usize = 512 * 1024;
const UNDECODABLE: &str = "the object provided is unrecognized or couldn't be decoded";
const RFC_1123_LABEL: &str =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters";
const LABEL_NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.'";
const TOO_DEEP: &str =
    "the request body cannot be accepted: the document is nested more than 100 levels deep";

/// One hostile request and the Status it must get.
struct Case {
    label: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    want: Want,
}

/// The Status a request must get: code, reason, the field of its first cause (None: no
/// causes) and a piece of its message.
#[derive(Clone, Default)]
struct Want {
    code: u16,
    reason: &'static str,
    field: Option<String>,
    message: String,
}

impl Case {
    /// This case answered with `code` `reason` and `message` in the message, naming no field.
    fn wants(mut self, code: u16, reason: &'static str, message: impl Into<String>) -> Case {
        self.want = Want {
            code,
            reason,
            field: None,
            message: message.into(),
        };
        self
    }

    /// As [`Case::wants`], with `field` as the field of the Status's first cause.
    fn naming(mut self, field: impl Into<String>) -> Case {
        self.want.field = Some(field.into());
        self
    }

    fn bad_request(self, message: impl Into<String>) -> Case {
        self.wants(400, "BadRequest", message)
    }

    fn invalid(self, field: impl Into<String>, message: impl Into<String>) -> Case {
        self.wants(422, "Invalid", message).naming(field)
    }
}

fn post(label: impl Into<String>, path: &str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        label: label.into(),
        method: "POST",
        path: path.to_string(),
        headers: vec![("Content-Type", JSON.to_string())],
        body: body.into(),
        want: Want::default(),
    }
}

fn get(label: impl Into<String>, path: String, headers: Vec<(&'static str, String)>) -> Case {
    Case {
        label: label.into(),
        method: "GET",
        path,
        headers,
        body: Vec::new(),
        want: Want::default(),
    }
}

fn config_map(metadata: Value) -> Vec<u8> {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"a": "b"}})
        .to_string()
        .into_bytes()
}

fn corpus() -> Vec<Case> {
    [
        bodies::truncated(),
        bodies::nested(),
        bodies::huge(),
        bodies::wrong_types(),
        bodies::unicode(),
        requests::invalid_names(),
        requests::invalid_labels(),
        requests::selectors(),
        requests::paths_and_headers(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Why the answer to `case` is not the Status it wants, or None.
fn judge(addr: std::net::SocketAddr, case: &Case) -> Option<String> {
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (code, head, body) =
        match try_raw_request(addr, case.method, &case.path, &headers, &case.body) {
            Ok(response) => response,
            Err(e) => return Some(format!("{}: no answer ({e})", case.label)),
        };
    let status: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status["kind"] != "Status" {
        return Some(format!("{}: {code} without a Status: {head}", case.label));
    }
    let reason = status["reason"].as_str().unwrap_or_default();
    let message = status["message"].as_str().unwrap_or_default();
    let field = status["details"]["causes"][0]["field"]
        .as_str()
        .map(str::to_string);
    let want = &case.want;
    let right = code == want.code
        && reason == want.reason
        && field == want.field
        && message.contains(&want.message);
    (!right).then(|| {
        format!(
            "{}: wanted {} {} field {:?} with {:?}\n    got {code} {reason} field {:?}: {:.300}",
            case.label, want.code, want.reason, want.field, want.message, field, message
        )
    })
}

#[test]
fn every_hostile_request_gets_its_expected_status_and_the_server_goes_on() {
    let server = TestServer::start_with(|c| c.max_body_bytes = MAX_BODY);
    let addr = server.addr();
    let corpus = corpus();
    assert!(
        corpus.len() >= 200,
        "the corpus has {} requests",
        corpus.len()
    );
    let wrong: Vec<String> = corpus.iter().filter_map(|case| judge(addr, case)).collect();
    assert!(
        wrong.is_empty(),
        "{} of {} answered wrongly:\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n")
    );

    let (code, _, body) = raw_request(addr, "GET", CONFIGMAPS, &[], b"");
    assert_eq!(code, 200);
    let list: Value = serde_json::from_slice(&body).expect("a list");
    let stored: Vec<&Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| &item["metadata"]["name"])
        .collect();
    assert!(stored.is_empty(), "nothing hostile was stored: {stored:?}");
    let (code, _, _) = raw_request(
        addr,
        "POST",
        CONFIGMAPS,
        &[("Content-Type", JSON)],
        &config_map(json!({"name": "after"})),
    );
    assert_eq!(code, 201, "writes go on");
}
