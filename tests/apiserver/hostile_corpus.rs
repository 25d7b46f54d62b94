//! A generated corpus of hostile requests (truncated JSON, deep nesting, huge strings,
//! wrong-typed metadata, odd unicode, invalid names and labels, broken selectors, odd paths and
//! headers). Each family has its expected answer: the HTTP code, the Status `reason`, the
//! field named in the Status causes (when one is) and a piece of the message; never a 5xx,
//! never a dropped connection. Nothing is stored, and the server answers and writes
//! afterwards.

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

fn truncated() -> Vec<Case> {
    let full =
        config_map(json!({"name": "whole", "labels": {"app": "web"}, "annotations": {"n": "ü✓"}}));
    (0..full.len() - 1)
        .step_by(2)
        .map(|cut| {
            let case = post(format!("truncated at {cut}"), CONFIGMAPS, &full[..cut]);
            match cut {
                0 => case.bad_request("the request body is empty"),
                _ => case.bad_request(format!("{UNDECODABLE}: EOF while parsing")),
            }
        })
        .collect()
}

/// What a body nested `depth` deep gets: past 100 levels the server's own limit, past the
/// JSON parser's recursion limit (128) the parser's error.
fn too_deep(case: Case, depth: usize) -> Case {
    match depth {
        ..128 => case.bad_request(TOO_DEEP),
        _ => case.bad_request(format!("{UNDECODABLE}: recursion limit exceeded")),
    }
}

fn nested() -> Vec<Case> {
    let mut cases = Vec::new();
    for depth in [101, 150, 500, 2_000, 20_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"n"}},"data":{arrays}}}"#
        );
        cases.push(too_deep(
            post(format!("arrays {depth} deep"), CONFIGMAPS, body),
            depth,
        ));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"n","labels":{objects}}}}}"#
        );
        cases.push(too_deep(
            post(format!("objects {depth} deep"), CONFIGMAPS, body),
            depth,
        ));
        let unclosed = post(
            format!("unclosed {depth} deep"),
            CONFIGMAPS,
            "[".repeat(depth),
        );
        cases.push(match depth {
            ..128 => unclosed.bad_request(format!("{UNDECODABLE}: EOF while parsing a list")),
            _ => unclosed.bad_request(format!("{UNDECODABLE}: recursion limit exceeded")),
        });
    }
    cases
}

fn huge() -> Vec<Case> {
    let long = |n: usize| "x".repeat(n);
    let namespace =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": long(10_000)}});
    vec![
        post(
            "name of 10k",
            CONFIGMAPS,
            config_map(json!({"name": long(10_000)})),
        )
        .invalid("metadata.name", "must be no more than 253 characters"),
        post(
            "label value of 10k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "labels": {"a": long(10_000)}})),
        )
        .invalid("metadata.labels[a]", "must be no more than 63 characters"),
        post(
            "label key of 10k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "labels": {long(10_000): "a"}})),
        )
        .invalid(
            format!("metadata.labels[{}]", long(10_000)),
            "name part must be no more than 63 characters",
        ),
        post(
            "annotations over 256k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "annotations": {"a": long(260 * 1024)}})),
        )
        .invalid(
            "metadata.annotations",
            "metadata.annotations: Too long: must have at most 262144 bytes",
        ),
        post(
            "body over the limit",
            CONFIGMAPS,
            config_map(json!({"name": "h", "annotations": {"a": long(MAX_BODY + 1)}})),
        )
        .wants(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than the limit of {MAX_BODY} bytes"),
        ),
        post("namespace name of 10k", NAMESPACES, namespace.to_string())
            .invalid("metadata.name", "must be no more than 63 characters"),
    ]
}

fn wrong_types() -> Vec<Case> {
    // (field, value, where in the field the cause points)
    let wrong: Vec<(&str, Value, &str)> = vec![
        ("name", json!(1), ""),
        ("name", json!(true), ""),
        ("name", json!([]), ""),
        ("name", json!({}), ""),
        ("generateName", json!(5), ""),
        ("generateName", json!(["a"]), ""),
        ("namespace", json!(5), ""),
        ("namespace", json!({}), ""),
        ("labels", json!("x"), ""),
        ("labels", json!(1), ""),
        ("labels", json!([]), ""),
        ("labels", json!({"a": 1}), ".a"),
        ("labels", json!({"a": []}), ".a"),
        ("labels", json!({"a": {}}), ".a"),
        ("labels", json!({"a": true}), ".a"),
        ("annotations", json!("x"), ""),
        ("annotations", json!([1]), ""),
        ("annotations", json!({"a": 1}), ".a"),
        ("finalizers", json!("x"), ""),
        ("finalizers", json!([1]), "[0]"),
        ("finalizers", json!({}), ""),
        ("ownerReferences", json!("x"), ""),
        ("ownerReferences", json!([1]), "[0]"),
        ("ownerReferences", json!({}), ""),
        ("resourceVersion", json!(5), ""),
        ("resourceVersion", json!([]), ""),
        ("uid", json!([]), ""),
        ("uid", json!(7), ""),
        ("generation", json!("x"), ""),
        ("generation", json!([]), ""),
        ("creationTimestamp", json!(5), ""),
        ("creationTimestamp", json!([]), ""),
        ("deletionTimestamp", json!({}), ""),
        ("managedFields", json!("x"), ""),
        ("managedFields", json!([1]), "[0]"),
    ];
    let mut cases: Vec<Case> = wrong
        .into_iter()
        .enumerate()
        .map(|(i, (field, value, within))| {
            let mut metadata = json!({"name": format!("w{i}")});
            metadata[field] = value.clone();
            let cause = format!("metadata.{field}{within}");
            post(
                format!("metadata.{field} = {value}"),
                CONFIGMAPS,
                config_map(metadata),
            )
            .bad_request(format!(
                "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: {cause}: expected"
            ))
            .naming(cause)
        })
        .collect();
    for metadata in [json!("x"), json!(1), json!([]), json!(true)] {
        cases.push(
            post(
                format!("metadata = {metadata}"),
                CONFIGMAPS,
                config_map(metadata),
            )
            .bad_request("metadata: expected an object"),
        );
    }
    let not_an_object = "the object provided is unrecognized: expected a JSON object";
    for (label, body, message) in [
        (
            "kind is a number",
            json!({"apiVersion": "v1", "kind": 1, "metadata": {"name": "k"}}),
            "kind: expected a string",
        ),
        (
            "apiVersion is a list",
            json!({"apiVersion": [], "kind": "ConfigMap", "metadata": {"name": "k"}}),
            "apiVersion: expected a string",
        ),
        (
            "another kind",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}}),
            "the kind in the data (Secret) does not match the expected kind (ConfigMap)",
        ),
        (
            "another apiVersion",
            json!({"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "k"}}),
            "the API version in the data (v2) does not match the expected API version (v1)",
        ),
        ("body is a list", json!([]), not_an_object),
        ("body is a string", json!("x"), not_an_object),
        ("body is null", json!(null), not_an_object),
        ("body is a number", json!(1), not_an_object),
    ] {
        cases.push(post(label, CONFIGMAPS, body.to_string()).bad_request(message));
    }
    cases
}

fn unicode() -> Vec<Case> {
    let mut cases: Vec<Case> = ["ü", "名前", "a\u{200b}b", "😀", "a\u{0}b", "Ａ"]
        .into_iter()
        .map(|name| {
            post(
                format!("namespace named {name:?}"),
                NAMESPACES,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
                    .to_string(),
            )
            .invalid("metadata.name", RFC_1123_LABEL)
        })
        .collect();
    for key in ["ключ", "clé", "a\u{200b}"] {
        cases.push(
            post(
                format!("label key {key:?}"),
                CONFIGMAPS,
                config_map(json!({"name": "u", "labels": {key: "v"}})),
            )
            .invalid(format!("metadata.labels[{key}]"), LABEL_NAME_PART),
        );
    }
    let invalid_utf8 =
        b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"\xff\xfe\"}}"
            .to_vec();
    cases.push(
        post("invalid UTF-8", CONFIGMAPS, invalid_utf8).bad_request(format!(
            "{UNDECODABLE}: invalid unicode code point at line 1 column 59"
        )),
    );
    let surrogate = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\ud800"}}"#;
    cases.push(
        post("lone surrogate", CONFIGMAPS, surrogate)
            .bad_request(format!("{UNDECODABLE}: unexpected end of hex escape")),
    );
    let bom = format!(
        "\u{feff}{}",
        String::from_utf8_lossy(&config_map(json!({"name": "bom"})))
    );
    cases.push(
        post("byte order mark", CONFIGMAPS, bom)
            .bad_request(format!("{UNDECODABLE}: expected value at line 1 column 1")),
    );
    cases
}

fn invalid_names() -> Vec<Case> {
    let long = "x".repeat(254);
    let required = "Required value: name or generateName is required";
    let mut cases: Vec<Case> = [
        (".", "may not be '.'"),
        ("..", "may not be '..'"),
        ("a/b", "may not contain '/'"),
        ("a%b", "may not contain '%'"),
        (long.as_str(), "must be no more than 253 characters"),
        ("", required),
    ]
    .into_iter()
    .map(|(name, message)| {
        post(
            format!("config map named {name:.20?}"),
            CONFIGMAPS,
            config_map(json!({"name": name})),
        )
        .invalid("metadata.name", message)
    })
    .collect();
    let long = "x".repeat(64);
    for (name, message) in [
        ("A", RFC_1123_LABEL),
        ("-a", RFC_1123_LABEL),
        ("a-", RFC_1123_LABEL),
        ("a_b", RFC_1123_LABEL),
        ("a.b", "must not contain dots"),
        ("a b", RFC_1123_LABEL),
        (long.as_str(), "must be no more than 63 characters"),
        ("", required),
        ("a/b", RFC_1123_LABEL),
    ] {
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        cases.push(
            post(
                format!("namespace named {name:.20?}"),
                NAMESPACES,
                body.to_string(),
            )
            .invalid("metadata.name", message),
        );
    }
    cases
}

fn invalid_labels() -> Vec<Case> {
    let long = "x".repeat(64);
    let value = "a valid label must be an empty string or consist of alphanumeric characters";
    let pairs: Vec<(&str, &str, &str)> = vec![
        ("a b", "v", LABEL_NAME_PART),
        ("-a", "v", LABEL_NAME_PART),
        ("a-", "v", LABEL_NAME_PART),
        ("/a", "v", "prefix part must be non-empty"),
        ("a/", "v", "name part must be non-empty"),
        (
            "a/b/c",
            "v",
            "a qualified name must consist of alphanumeric characters",
        ),
        (
            "UPPER.example.com/x",
            "v",
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",
        ),
        ("", "v", "name part must be non-empty"),
        (&long, "v", "name part must be no more than 63 characters"),
        ("ok", "a b", value),
        ("ok", "-v", value),
        ("ok", "v-", value),
        ("ok", &long, "must be no more than 63 characters"),
        ("ok", "a/b", value),
        ("ok", "ü", value),
    ];
    pairs
        .into_iter()
        .map(|(k, v, message)| {
            post(
                format!("label {k:.20?}={v:.20?}"),
                CONFIGMAPS,
                config_map(json!({"name": "l", "labels": {k: v}})),
            )
            .invalid(format!("metadata.labels[{k}]"), message)
        })
        .collect()
}

fn selectors() -> Vec<Case> {
    let encode = |s: &str| form_encode(s);
    let mut cases: Vec<Case> = [
        (
            "a in (",
            "unable to parse requirement: found '', expected: ',', ')' or identifier",
        ),
        (
            "!!a",
            "unable to parse requirement: found '!', expected: identifier",
        ),
        ("a==b==c", "found '==', expected: ',' or 'end of string'"),
        (
            "a in (x,y",
            "unable to parse requirement: found '', expected: ',' or ')'",
        ),
        (
            "=a",
            "found '=', expected: !, identifier, or 'end of string'",
        ),
        (
            "a notin",
            "unable to parse requirement: found '' expected: '('",
        ),
        (
            "(",
            "found '(', expected: !, identifier, or 'end of string'",
        ),
        (
            "a in (x y)",
            "unable to parse requirement: found 'y', expected: ',' or ')'",
        ),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        (
            "a=ü",
            "unable to parse requirement: values[0][a]: Invalid value: \"ü\"",
        ),
    ]
    .into_iter()
    .map(|(s, message)| {
        get(
            format!("labelSelector {s:?}"),
            format!("{CONFIGMAPS}?labelSelector={}", encode(s)),
            vec![],
        )
        .bad_request(message)
    })
    .collect();
    for (s, message) in [
        ("spec.x=1", "field label not supported: spec.x"),
        (
            "metadata.name",
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
        ),
        (
            "metadata.name==a==b",
            "invalid field selector: unescaped character in value: 61",
        ),
        ("a=b", "field label not supported: a"),
        ("metadata.uid=x", "field label not supported: metadata.uid"),
    ] {
        cases.push(
            get(
                format!("fieldSelector {s:?}"),
                format!("{CONFIGMAPS}?fieldSelector={}", encode(s)),
                vec![],
            )
            .bad_request(message),
        );
    }
    cases
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn paths_and_headers() -> Vec<Case> {
    let no_path = "the server could not find the requested resource";
    let mut cases: Vec<Case> = [
        ("/api/v2/configmaps".to_string(), no_path),
        ("/apis/nope.example.com/v1/things".to_string(), no_path),
        ("/api/v1/nothings".to_string(), no_path),
        ("/api/v1/namespaces/default/nothings/x".to_string(), no_path),
        (
            format!("{CONFIGMAPS}/missing"),
            "configmaps \"missing\" not found",
        ),
        (format!("/api/v1/{}", "x".repeat(10_000)), no_path),
        (
            "/api/v1/namespaces/%ff%fe/configmaps/x".to_string(),
            "configmaps \"x\" not found",
        ),
        ("/apis".to_string() + &"/x".repeat(50), no_path),
    ]
    .into_iter()
    .map(|(path, message)| {
        get(format!("GET {path:.60}"), path, vec![]).wants(404, "NotFound", message)
    })
    .collect();
    let path = format!("{CONFIGMAPS}?watch=true&resourceVersion=abc");
    cases
        .push(get(format!("GET {path:.60}"), path, vec![]).bad_request(
            "resourceVersion: Invalid value: \"abc\": must be a non-negative integer",
        ));
    let path = format!("{CONFIGMAPS}?watch=true&sendInitialEvents=true");
    cases.push(get(format!("GET {path:.60}"), path, vec![]).wants(
        422,
        "Invalid",
        "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
    ));
    for value in [
        "application/vnd.kubernetes.protobuf",
        "text/html",
        "application/json;as=Nothing;g=meta.k8s.io;v=v1",
    ] {
        cases.push(
            get(
                format!("Accept: {value}"),
                CONFIGMAPS.to_string(),
                vec![("Accept", value.to_string())],
            )
            .wants(
                406,
                "NotAcceptable",
                "only the following media types are accepted: application/json,",
            ),
        );
    }
    for value in ["Bearer not-the-token", "Basic Zm9vOmJhcg==", "Bearer"] {
        cases.push(
            get(
                format!("Authorization: {value}"),
                CONFIGMAPS.to_string(),
                vec![("Authorization", value.to_string())],
            )
            .wants(401, "Unauthorized", "Unauthorized"),
        );
    }
    for content_type in [
        "application/xml",
        "text/plain",
        "application/json-patch+json",
        "application/cbor",
        "multipart/form-data; boundary=x",
    ] {
        // The Status names the media type without its parameters.
        let essence = content_type.split(';').next().unwrap_or_default();
        let mut case = post(
            format!("POST as {content_type}"),
            CONFIGMAPS,
            config_map(json!({"name": "ct"})),
        )
        .wants(
            415,
            "UnsupportedMediaType",
            format!(
                "accepted media types include: application/json, application/yaml, \
                 application/vnd.kubernetes.protobuf; got {essence:?}"
            ),
        );
        case.headers = vec![("Content-Type", content_type.to_string())];
        cases.push(case);
    }
    let mut case = post(
        "JSON with a charset and a broken body",
        CONFIGMAPS,
        "{\"a\":",
    )
    .bad_request(format!(
        "{UNDECODABLE}: EOF while parsing a value at line 1 column 5"
    ));
    case.headers = vec![(
        "Content-Type",
        "application/json; charset=utf-8".to_string(),
    )];
    cases.push(case);
    cases
}

fn corpus() -> Vec<Case> {
    [
        truncated(),
        nested(),
        huge(),
        wrong_types(),
        unicode(),
        invalid_names(),
        invalid_labels(),
        selectors(),
        paths_and_headers(),
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
