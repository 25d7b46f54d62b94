//! A generated corpus of hostile requests (truncated JSON, deep nesting, huge strings,
//! wrong-typed metadata, odd unicode, invalid names and labels, broken selectors, odd paths and
//! headers). Each must get a 4xx Status with a message: never a 5xx, never a dropped
//! connection. Nothing is stored, and the server answers and writes afterwards.

use serde_json::{Value, json};
use support::cluster::TestServer;
use support::http::{raw_request, try_raw_request};

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";
const NAMESPACES: &str = "/api/v1/namespaces";
const JSON: &str = "application/json";
const MAX_BODY: usize = 512 * 1024;

/// One hostile request.
struct Case {
    label: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn post(label: impl Into<String>, path: &str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        label: label.into(),
        method: "POST",
        path: path.to_string(),
        headers: vec![("Content-Type", JSON.to_string())],
        body: body.into(),
    }
}

fn get(label: impl Into<String>, path: String, headers: Vec<(&'static str, String)>) -> Case {
    Case {
        label: label.into(),
        method: "GET",
        path,
        headers,
        body: Vec::new(),
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
        .map(|cut| post(format!("truncated at {cut}"), CONFIGMAPS, &full[..cut]))
        .collect()
}

fn nested() -> Vec<Case> {
    let mut cases = Vec::new();
    for depth in [101, 150, 500, 2_000, 20_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"n"}},"data":{arrays}}}"#
        );
        cases.push(post(format!("arrays {depth} deep"), CONFIGMAPS, body));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"n","labels":{objects}}}}}"#
        );
        cases.push(post(format!("objects {depth} deep"), CONFIGMAPS, body));
        cases.push(post(
            format!("unclosed {depth} deep"),
            CONFIGMAPS,
            "[".repeat(depth),
        ));
    }
    cases
}

fn huge() -> Vec<Case> {
    let long = |n: usize| "x".repeat(n);
    vec![
        post(
            "name of 10k",
            CONFIGMAPS,
            config_map(json!({"name": long(10_000)})),
        ),
        post(
            "label value of 10k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "labels": {"a": long(10_000)}})),
        ),
        post(
            "label key of 10k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "labels": {long(10_000): "a"}})),
        ),
        post(
            "annotations over 256k",
            CONFIGMAPS,
            config_map(json!({"name": "h", "annotations": {"a": long(260 * 1024)}})),
        ),
        post(
            "body over the limit",
            CONFIGMAPS,
            config_map(json!({"name": "h", "annotations": {"a": long(MAX_BODY + 1)}})),
        ),
        post(
            "namespace name of 10k",
            NAMESPACES,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": long(10_000)}})
                .to_string(),
        ),
    ]
}

fn wrong_types() -> Vec<Case> {
    let wrong: Vec<(&str, Value)> = vec![
        ("name", json!(1)),
        ("name", json!(true)),
        ("name", json!([])),
        ("name", json!({})),
        ("generateName", json!(5)),
        ("generateName", json!(["a"])),
        ("namespace", json!(5)),
        ("namespace", json!({})),
        ("labels", json!("x")),
        ("labels", json!(1)),
        ("labels", json!([])),
        ("labels", json!({"a": 1})),
        ("labels", json!({"a": []})),
        ("labels", json!({"a": {}})),
        ("labels", json!({"a": true})),
        ("annotations", json!("x")),
        ("annotations", json!([1])),
        ("annotations", json!({"a": 1})),
        ("finalizers", json!("x")),
        ("finalizers", json!([1])),
        ("finalizers", json!({})),
        ("ownerReferences", json!("x")),
        ("ownerReferences", json!([1])),
        ("ownerReferences", json!({})),
        ("resourceVersion", json!(5)),
        ("resourceVersion", json!([])),
        ("uid", json!([])),
        ("uid", json!(7)),
        ("generation", json!("x")),
        ("generation", json!([])),
        ("creationTimestamp", json!(5)),
        ("creationTimestamp", json!([])),
        ("deletionTimestamp", json!({})),
        ("managedFields", json!("x")),
        ("managedFields", json!([1])),
    ];
    let mut cases: Vec<Case> = wrong
        .into_iter()
        .enumerate()
        .map(|(i, (field, value))| {
            let mut metadata = json!({"name": format!("w{i}")});
            metadata[field] = value.clone();
            post(
                format!("metadata.{field} = {value}"),
                CONFIGMAPS,
                config_map(metadata),
            )
        })
        .collect();
    for metadata in [json!("x"), json!(1), json!([]), json!(true)] {
        cases.push(post(
            format!("metadata = {metadata}"),
            CONFIGMAPS,
            config_map(metadata),
        ));
    }
    for (label, body) in [
        (
            "kind is a number",
            json!({"apiVersion": "v1", "kind": 1, "metadata": {"name": "k"}}),
        ),
        (
            "apiVersion is a list",
            json!({"apiVersion": [], "kind": "ConfigMap", "metadata": {"name": "k"}}),
        ),
        (
            "another kind",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}}),
        ),
        (
            "another apiVersion",
            json!({"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "k"}}),
        ),
        ("body is a list", json!([])),
        ("body is a string", json!("x")),
        ("body is null", json!(null)),
        ("body is a number", json!(1)),
    ] {
        cases.push(post(label, CONFIGMAPS, body.to_string()));
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
        })
        .collect();
    for key in ["ключ", "clé", "a\u{200b}"] {
        cases.push(post(
            format!("label key {key:?}"),
            CONFIGMAPS,
            config_map(json!({"name": "u", "labels": {key: "v"}})),
        ));
    }
    let invalid_utf8 =
        b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"\xff\xfe\"}}"
            .to_vec();
    cases.push(post("invalid UTF-8", CONFIGMAPS, invalid_utf8));
    let surrogate = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\ud800"}}"#;
    cases.push(post("lone surrogate", CONFIGMAPS, surrogate));
    let bom = format!(
        "\u{feff}{}",
        String::from_utf8_lossy(&config_map(json!({"name": "bom"})))
    );
    cases.push(post("byte order mark", CONFIGMAPS, bom));
    cases
}

fn invalid_names() -> Vec<Case> {
    let mut cases: Vec<Case> = [".", "..", "a/b", "a%b", &"x".repeat(254), ""]
        .into_iter()
        .map(|name| {
            post(
                format!("config map named {name:.20?}"),
                CONFIGMAPS,
                config_map(json!({"name": name})),
            )
        })
        .collect();
    for name in [
        "A",
        "-a",
        "a-",
        "a_b",
        "a.b",
        "a b",
        &"x".repeat(64),
        "",
        "a/b",
    ] {
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        cases.push(post(
            format!("namespace named {name:.20?}"),
            NAMESPACES,
            body.to_string(),
        ));
    }
    cases
}

fn invalid_labels() -> Vec<Case> {
    let long = "x".repeat(64);
    let pairs: Vec<(&str, &str)> = vec![
        ("a b", "v"),
        ("-a", "v"),
        ("a-", "v"),
        ("/a", "v"),
        ("a/", "v"),
        ("a/b/c", "v"),
        ("UPPER.example.com/x", "v"),
        ("", "v"),
        (&long, "v"),
        ("ok", "a b"),
        ("ok", "-v"),
        ("ok", "v-"),
        ("ok", &long),
        ("ok", "a/b"),
        ("ok", "ü"),
    ];
    pairs
        .into_iter()
        .map(|(k, v)| {
            post(
                format!("label {k:.20?}={v:.20?}"),
                CONFIGMAPS,
                config_map(json!({"name": "l", "labels": {k: v}})),
            )
        })
        .collect()
}

fn selectors() -> Vec<Case> {
    let encode = |s: &str| form_encode(s);
    let mut cases: Vec<Case> = [
        "a in (",
        "!!a",
        "a==b==c",
        "a in (x,y",
        "=a",
        "a notin",
        "(",
        "a in (x y)",
        "a=b c",
        "a=ü",
    ]
    .into_iter()
    .map(|s| {
        get(
            format!("labelSelector {s:?}"),
            format!("{CONFIGMAPS}?labelSelector={}", encode(s)),
            vec![],
        )
    })
    .collect();
    for s in [
        "spec.x=1",
        "metadata.name",
        "metadata.name==a==b",
        "a=b",
        "metadata.uid=x",
    ] {
        cases.push(get(
            format!("fieldSelector {s:?}"),
            format!("{CONFIGMAPS}?fieldSelector={}", encode(s)),
            vec![],
        ));
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
    let mut cases: Vec<Case> = [
        "/api/v2/configmaps".to_string(),
        "/apis/nope.example.com/v1/things".to_string(),
        "/api/v1/nothings".to_string(),
        "/api/v1/namespaces/default/nothings/x".to_string(),
        format!("{CONFIGMAPS}/missing"),
        format!("/api/v1/{}", "x".repeat(10_000)),
        "/api/v1/namespaces/%ff%fe/configmaps/x".to_string(),
        "/apis".to_string() + &"/x".repeat(50),
        format!("{CONFIGMAPS}?watch=true&resourceVersion=abc"),
        format!("{CONFIGMAPS}?watch=true&sendInitialEvents=true"),
    ]
    .into_iter()
    .map(|path| get(format!("GET {path:.60}"), path, vec![]))
    .collect();
    for (name, value) in [
        ("Accept", "application/vnd.kubernetes.protobuf"),
        ("Accept", "text/html"),
        ("Accept", "application/json;as=Nothing;g=meta.k8s.io;v=v1"),
        ("Authorization", "Bearer not-the-token"),
        ("Authorization", "Basic Zm9vOmJhcg=="),
        ("Authorization", "Bearer"),
    ] {
        cases.push(get(
            format!("{name}: {value}"),
            CONFIGMAPS.to_string(),
            vec![(name, value.to_string())],
        ));
    }
    for content_type in [
        "application/xml",
        "text/plain",
        "application/json-patch+json",
        "application/cbor",
        "multipart/form-data; boundary=x",
    ] {
        let mut case = post(
            format!("POST as {content_type}"),
            CONFIGMAPS,
            config_map(json!({"name": "ct"})),
        );
        case.headers = vec![("Content-Type", content_type.to_string())];
        cases.push(case);
    }
    let mut case = post(
        "JSON with a charset and a broken body",
        CONFIGMAPS,
        "{\"a\":",
    );
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

/// Why the answer to `case` is wrong, or None when it is a 4xx Status with a message.
fn judge(addr: std::net::SocketAddr, case: &Case) -> Option<String> {
    let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (code, head, body) =
        match try_raw_request(addr, case.method, &case.path, &headers, &case.body) {
            Ok(response) => response,
            Err(e) => return Some(format!("{}: no answer ({e})", case.label)),
        };
    if !(400..500).contains(&code) {
        return Some(format!(
            "{}: {code} {:.300}",
            case.label,
            String::from_utf8_lossy(&body)
        ));
    }
    let status: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let has_message =
        status["kind"] == "Status" && status["message"].as_str().is_some_and(|m| !m.is_empty());
    (!has_message).then(|| format!("{}: {code} without a Status message: {head}", case.label))
}

#[test]
fn every_hostile_request_gets_a_4xx_status_and_the_server_goes_on() {
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
