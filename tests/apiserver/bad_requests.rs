//! Protocol-level behaviour over raw HTTP: every bad request gets a Kubernetes Status with the
//! right code and reason, and list paging, resourceVersion semantics, watch resume and
//! expiry, and token kinds behave as clients expect.

use support::cluster::TestServer;
use support::http::{json_body, raw_request};

use crate::WIDGET_CRD;
use serde_json::{Value, json};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const WIDGETS: &str = "/apis/example.com/v1/namespaces/default/widgets";

fn status(code: u16, body: &[u8]) -> (u16, String, Value) {
    let v = json_body(body);
    assert_eq!(v["kind"], "Status", "{v}");
    assert_eq!(v["code"], code, "{v}");
    (code, v["reason"].as_str().unwrap_or("").to_string(), v)
}

fn install_widgets(server: &TestServer) {
    let crd: Value = serde_yaml::from_str(WIDGET_CRD).expect("crd yaml");
    let (code, _, body) = raw_request(
        server.addr(),
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        &[JSON],
        crd.to_string().as_bytes(),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
}

fn widget(name: &str, size: i64) -> Vec<u8> {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": {"size": size}}).to_string().into_bytes()
}

#[test]
fn bad_requests_get_status_errors() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024);
    install_widgets(&server);
    let addr = server.addr();
    let check = |method: &str,
                 path: &str,
                 headers: &[(&str, &str)],
                 body: &[u8],
                 code: u16,
                 reason: &str|
     -> Value {
        let (got, _, resp) = raw_request(addr, method, path, headers, body);
        assert_eq!(
            got,
            code,
            "{method} {path}: {}",
            String::from_utf8_lossy(&resp)
        );
        let (_, r, v) = status(code, &resp);
        assert_eq!(r, reason, "{v}");
        v
    };
    check("POST", WIDGETS, &[JSON], b"{not json", 400, "BadRequest");
    check(
        "POST",
        WIDGETS,
        &[("Content-Type", "application/yaml")],
        b"a: [unclosed",
        400,
        "BadRequest",
    );
    check("POST", WIDGETS, &[JSON], b"[1,2]", 400, "BadRequest");
    check("POST", WIDGETS, &[JSON], b"", 400, "BadRequest");
    check(
        "GET",
        "/apis/example.com/v1/namespaces/default/gadgets",
        &[],
        b"",
        404,
        "NotFound",
    );
    check(
        "GET",
        "/apis/nowhere.io/v1/things",
        &[],
        b"",
        404,
        "NotFound",
    );
    check("GET", "/totally/unknown", &[], b"", 404, "NotFound");
    let v = check(
        "GET",
        &format!("{WIDGETS}/missing"),
        &[],
        b"",
        404,
        "NotFound",
    );
    assert_eq!(v["message"], "widgets.example.com \"missing\" not found");
    assert_eq!(v["details"]["kind"], "widgets");
    let wrong_kind = json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "x"}, "spec": {"size": 1}});
    check(
        "POST",
        WIDGETS,
        &[JSON],
        wrong_kind.to_string().as_bytes(),
        400,
        "BadRequest",
    );
    let v = check("POST", WIDGETS, &[JSON], br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"x"},"spec":{"size":"big"}}"#, 422, "Invalid");
    assert_eq!(v["details"]["causes"][0]["field"], "spec.size");
    let v = check(
        "POST",
        WIDGETS,
        &[JSON],
        br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"x"},"spec":{}}"#,
        422,
        "Invalid",
    );
    assert_eq!(v["details"]["causes"][0]["reason"], "FieldValueRequired");
    check(
        "POST",
        WIDGETS,
        &[JSON],
        br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{},"spec":{"size":1}}"#,
        422,
        "Invalid",
    );
    check("POST", WIDGETS, &[JSON], br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"Bad_Name"},"spec":{"size":1}}"#, 422, "Invalid");
    let big = format!(
        r#"{{"apiVersion":"example.com/v1","kind":"Widget","metadata":{{"name":"big"}},"spec":{{"size":1,"pad":"{}"}}}}"#,
        "x".repeat(100 * 1024)
    );
    check(
        "POST",
        WIDGETS,
        &[JSON],
        big.as_bytes(),
        413,
        "RequestEntityTooLarge",
    );
    check(
        "POST",
        "/apis/example.com/v1/namespaces/nope/widgets",
        &[JSON],
        &widget("w", 1),
        404,
        "NotFound",
    );

    // Conflicts and concurrency.
    let (code, _, body) = raw_request(addr, "POST", WIDGETS, &[JSON], &widget("w", 1));
    assert_eq!(code, 201);
    let created = json_body(&body);
    check(
        "POST",
        WIDGETS,
        &[JSON],
        &widget("w", 1),
        409,
        "AlreadyExists",
    );
    let mut stale = created.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    check(
        "PUT",
        &format!("{WIDGETS}/w"),
        &[JSON],
        stale.to_string().as_bytes(),
        409,
        "Conflict",
    );
    let mut unversioned = created.clone();
    unversioned["metadata"]
        .as_object_mut()
        .expect("meta")
        .remove("resourceVersion");
    check(
        "PUT",
        &format!("{WIDGETS}/w"),
        &[JSON],
        unversioned.to_string().as_bytes(),
        422,
        "Invalid",
    );
    let mut renamed = created.clone();
    renamed["metadata"]["name"] = json!("other");
    check(
        "PUT",
        &format!("{WIDGETS}/w"),
        &[JSON],
        renamed.to_string().as_bytes(),
        400,
        "BadRequest",
    );

    // Patches.
    let item = format!("{WIDGETS}/w");
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/strategic-merge-patch+json")],
        b"{}",
        415,
        "UnsupportedMediaType",
    );
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/apply-patch+yaml")],
        &widget("w", 2),
        422,
        "Invalid",
    );
    check(
        "PATCH",
        &format!("{item}?force=true"),
        &[("Content-Type", "application/merge-patch+json")],
        b"{}",
        422,
        "Invalid",
    );
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/json-patch+json")],
        br#"[{"op":"test","path":"/spec/size","value":99}]"#,
        422,
        "Invalid",
    );
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/json-patch+json")],
        br#"{"op":"add"}"#,
        400,
        "BadRequest",
    );
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"spec":{"size":-1}}"#,
        422,
        "Invalid",
    );
    check(
        "PATCH",
        &item,
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"metadata":{"resourceVersion":"2"},"spec":{"size":5}}"#,
        409,
        "Conflict",
    );

    // Query parameters.
    check(
        "GET",
        &format!("{WIDGETS}?labelSelector=a%20in%20b"),
        &[],
        b"",
        400,
        "BadRequest",
    );
    let v = check(
        "GET",
        &format!("{WIDGETS}?fieldSelector=spec.size%3D1"),
        &[],
        b"",
        400,
        "BadRequest",
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("field label not supported: spec.size"),
        "{v}"
    );
    check(
        "GET",
        &format!("{WIDGETS}?limit=1&continue=garbage"),
        &[],
        b"",
        400,
        "BadRequest",
    );
    check(
        "GET",
        &format!("{WIDGETS}?watch=true&resourceVersion=abc"),
        &[],
        b"",
        400,
        "BadRequest",
    );
    check(
        "GET",
        &format!("{WIDGETS}?watch=true&sendInitialEvents=true"),
        &[],
        b"",
        422,
        "Invalid",
    );
    check(
        "GET",
        WIDGETS,
        &[("Accept", "application/vnd.kubernetes.protobuf")],
        b"",
        406,
        "NotAcceptable",
    );
    check(
        "POST",
        WIDGETS,
        &[("Content-Type", "application/vnd.kubernetes.protobuf")],
        b"\x00\x01",
        415,
        "UnsupportedMediaType",
    );
    check(
        "POST",
        &format!("{WIDGETS}?fieldValidation=Sometimes"),
        &[JSON],
        &widget("v", 1),
        400,
        "BadRequest",
    );
    check("GET", "/openapi/v2", &[], b"", 404, "NotFound");
    // Deleting with a failed precondition.
    check(
        "DELETE",
        &item,
        &[JSON],
        br#"{"preconditions":{"uid":"not-the-uid"}}"#,
        409,
        "Conflict",
    );
    // The server still works after all of that.
    let (code, _, body) = raw_request(
        addr,
        "DELETE",
        &item,
        &[JSON],
        br#"{"propagationPolicy":"Background"}"#,
    );
    assert_eq!(code, 200);
    let v = json_body(&body);
    assert_eq!(
        (v["kind"].as_str(), v["status"].as_str()),
        (Some("Status"), Some("Success"))
    );
}

#[test]
fn pages_are_consistent_snapshots_and_old_revisions_expire() {
    let server = TestServer::start_with(|c| c.history_limit = 40);
    install_widgets(&server);
    let addr = server.addr();
    for i in 0..25 {
        let (code, _, _) = raw_request(
            addr,
            "POST",
            WIDGETS,
            &[JSON],
            &widget(&format!("w{i:02}"), i + 1),
        );
        assert_eq!(code, 201);
    }
    let (_, _, body) = raw_request(addr, "GET", &format!("{WIDGETS}?limit=10"), &[], b"");
    let page1 = json_body(&body);
    let list_rv = page1["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let token = page1["metadata"]["continue"]
        .as_str()
        .expect("continue")
        .to_string();
    assert_eq!(page1["items"].as_array().map(Vec::len), Some(10));
    // Changes after the first page do not show in the later pages.
    raw_request(addr, "DELETE", &format!("{WIDGETS}/w15"), &[JSON], b"");
    raw_request(addr, "POST", WIDGETS, &[JSON], &widget("w99", 1));
    raw_request(
        addr,
        "PATCH",
        &format!("{WIDGETS}/w20"),
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"spec":{"size":500}}"#,
    );
    let mut names: Vec<String> = page1["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    let mut token = token;
    while !token.is_empty() {
        let (code, _, body) = raw_request(
            addr,
            "GET",
            &format!("{WIDGETS}?limit=10&continue={token}"),
            &[],
            b"",
        );
        assert_eq!(code, 200);
        let page = json_body(&body);
        assert_eq!(page["metadata"]["resourceVersion"], list_rv.as_str());
        for o in page["items"].as_array().expect("items") {
            if o["metadata"]["name"] == "w20" {
                assert_eq!(
                    o["spec"]["size"], 21,
                    "page shows the snapshot, not the later patch"
                );
            }
            names.push(o["metadata"]["name"].as_str().unwrap_or("").to_string());
        }
        token = page["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
    }
    let expected: Vec<String> = (0..25).map(|i| format!("w{i:02}")).collect();
    assert_eq!(names, expected);

    // A watch from the list revision replays exactly the three later changes.
    let (code, _, body) = raw_request(
        addr,
        "GET",
        &format!("{WIDGETS}?watch=true&resourceVersion={list_rv}&timeoutSeconds=1"),
        &[],
        b"",
    );
    assert_eq!(code, 200);
    let events: Vec<Value> = String::from_utf8_lossy(&body)
        .lines()
        .map(|l| serde_json::from_str(l).expect("event line"))
        .collect();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or(""),
                e["object"]["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("DELETED", "w15"), ("ADDED", "w99"), ("MODIFIED", "w20")]
    );
    let revs: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("rv")
        })
        .collect();
    assert!(revs.windows(2).all(|w| w[0] < w[1]) && revs[0] > list_rv.parse::<u64>().expect("rv"));

    // Push the list revision out of the retained history: paging and watching from it expire.
    for i in 0..50 {
        raw_request(
            addr,
            "PATCH",
            &format!("{WIDGETS}/w00"),
            &[("Content-Type", "application/merge-patch+json")],
            format!(r#"{{"spec":{{"size":{}}}}}"#, i + 1).as_bytes(),
        );
    }
    let (code, _, body) = raw_request(
        addr,
        "GET",
        &format!(
            "{WIDGETS}?limit=10&continue={}",
            page1["metadata"]["continue"].as_str().expect("token")
        ),
        &[],
        b"",
    );
    assert_eq!(code, 410);
    assert_eq!(status(410, &body).1, "Expired");
    let (code, _, body) = raw_request(
        addr,
        "GET",
        &format!("{WIDGETS}?watch=true&resourceVersion={list_rv}"),
        &[],
        b"",
    );
    assert_eq!(
        code, 200,
        "a too-old watch is an ERROR event inside a 200 stream"
    );
    let line: Value =
        serde_json::from_slice(body.split(|b| *b == b'\n').next().expect("line")).expect("event");
    assert_eq!(line["type"], "ERROR");
    assert_eq!(line["object"]["code"], 410);
    assert_eq!(line["object"]["reason"], "Expired");
}

#[test]
fn tokens_are_checked_and_read_only_tokens_cannot_write() {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(
        &tokens,
        "admin-token,admin,1\nviewer-token,viewer,2,\"patchwarden:read-only\"\n",
    )
    .expect("tokens");
    let server = TestServer::start_with(|c| c.tokens_file = Some(tokens.clone()));
    let addr = server.addr();
    let cm = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#;
    let path = "/api/v1/namespaces/default/configmaps";
    let (code, _, body) = raw_request(addr, "GET", path, &[("Authorization", "Bearer wrong")], b"");
    assert_eq!(status(code, &body).1, "Unauthorized");
    assert_eq!(code, 401);
    let (code, _, body) = raw_request(
        addr,
        "POST",
        path,
        &[JSON, ("Authorization", "Bearer viewer-token")],
        cm,
    );
    assert_eq!(code, 403);
    assert_eq!(status(code, &body).1, "Forbidden");
    let (code, _, _) = raw_request(
        addr,
        "POST",
        path,
        &[JSON, ("Authorization", "Bearer admin-token")],
        cm,
    );
    assert_eq!(code, 201);
    let (code, _, body) = raw_request(
        addr,
        "GET",
        &format!("{path}/c"),
        &[("Authorization", "Bearer viewer-token")],
        b"",
    );
    assert_eq!(code, 200);
    assert_eq!(json_body(&body)["metadata"]["name"], "c");

    // Secrets hold credentials: a read-only token may neither list, get nor watch them.
    let secret =
        br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"k":"v"}}"#;
    let secrets = "/api/v1/namespaces/default/secrets";
    let (code, _, _) = raw_request(
        addr,
        "POST",
        secrets,
        &[JSON, ("Authorization", "Bearer admin-token")],
        secret,
    );
    assert_eq!(code, 201);
    for path in [
        secrets.to_string(),
        format!("{secrets}/s"),
        format!("{secrets}?watch=true&timeoutSeconds=1"),
        "/api/v1/secrets".to_string(),
    ] {
        let (code, _, body) = raw_request(
            addr,
            "GET",
            &path,
            &[("Authorization", "Bearer viewer-token")],
            b"",
        );
        assert_eq!(code, 403, "GET {path}");
        let (_, reason, body) = status(code, &body);
        assert_eq!(reason, "Forbidden");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("may not read secrets"), "{message}");
    }
    let (code, _, _) = raw_request(
        addr,
        "GET",
        &format!("{secrets}/s"),
        &[("Authorization", "Bearer admin-token")],
        b"",
    );
    assert_eq!(code, 200);
}
