//! Bodies built to hurt the server: wrong-typed well-known fields, JSON patches that grow the
//! document exponentially, and nesting deep enough to exhaust the stack. Each gets a Kubernetes
//! Status naming what is wrong, nothing is stored, and the next write still succeeds.

use serde_json::{Value, json};
use support::cluster::TestServer;
use support::http::{json_body, raw_request};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const JSON_PATCH: (&str, &str) = ("Content-Type", "application/json-patch+json");
const NAMESPACES: &str = "/api/v1/namespaces";
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// Sends a request and returns the status code and the body parsed as JSON.
fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    header: (&str, &str),
    body: &[u8],
) -> (u16, Value) {
    let (code, _, body) = raw_request(server.addr(), method, path, &[header], body);
    (code, json_body(&body))
}

/// Asserts a failure Status with this code that names `field` in its message or causes.
fn assert_status_naming(code: u16, status: &Value, expected_code: u16, field: &str) {
    assert_eq!(code, expected_code, "{status}");
    assert_eq!(status["kind"], "Status", "{status}");
    assert_eq!(status["code"], expected_code, "{status}");
    let in_causes = status["details"]["causes"]
        .as_array()
        .is_some_and(|causes| causes.iter().any(|c| c["field"] == field));
    let in_message = status["message"]
        .as_str()
        .is_some_and(|m| m.contains(field));
    assert!(
        in_causes || in_message,
        "the Status names {field}: {status}"
    );
}

/// A write that must succeed: the server is still writing.
fn assert_writes_go_on(server: &TestServer, name: &str) {
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}});
    let (code, created) = send(
        server,
        "POST",
        CONFIGMAPS,
        JSON,
        body.to_string().as_bytes(),
    );
    assert_eq!(code, 201, "a later write succeeds: {created}");
}

fn configmap(server: &TestServer, name: &str) -> Value {
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}});
    let (code, created) = send(
        server,
        "POST",
        CONFIGMAPS,
        JSON,
        body.to_string().as_bytes(),
    );
    assert_eq!(code, 201, "{created}");
    created
}

/// `{"d": {"d": ... {}}}`, `levels` objects deep.
fn nested(levels: usize) -> Value {
    (1..levels).fold(json!({}), |inner, _| json!({ "d": inner }))
}

#[test]
fn a_namespace_whose_spec_is_not_an_object_is_refused_and_writes_go_on() {
    let server = TestServer::start();
    let body = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"},"spec":"x"}"#;
    let (code, status) = send(&server, "POST", NAMESPACES, JSON, body);
    assert_status_naming(code, &status, 400, "spec");
    let (code, _) = send(&server, "GET", &format!("{NAMESPACES}/x"), JSON, b"");
    assert_eq!(code, 404, "nothing was stored");
    let ok = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}"#;
    let (code, created) = send(&server, "POST", NAMESPACES, JSON, ok);
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["spec"]["finalizers"], json!(["kubernetes"]));
    assert_writes_go_on(&server, "after-namespace");
}

#[test]
fn wrong_typed_well_known_fields_are_refused_naming_the_field() {
    let server = TestServer::start();
    let cases: [(&str, Value); 6] = [
        ("metadata.name", json!({"name": 5})),
        ("metadata.labels", json!({"name": "a", "labels": "x"})),
        (
            "metadata.labels.app",
            json!({"name": "a", "labels": {"app": 1}}),
        ),
        (
            "metadata.annotations",
            json!({"name": "a", "annotations": []}),
        ),
        (
            "metadata.finalizers",
            json!({"name": "a", "finalizers": "x"}),
        ),
        (
            "metadata.managedFields",
            json!({"name": "a", "managedFields": [1]}),
        ),
    ];
    for (field, metadata) in cases {
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata});
        let (code, status) = send(
            &server,
            "POST",
            CONFIGMAPS,
            JSON,
            body.to_string().as_bytes(),
        );
        assert_status_naming(code, &status, 400, field);
    }
    // An update (here a merge patch) is checked like a create.
    configmap(&server, "patched");
    let (code, status) = send(
        &server,
        "PATCH",
        &format!("{CONFIGMAPS}/patched"),
        ("Content-Type", "application/merge-patch+json"),
        br#"{"metadata":{"finalizers":{"a":"b"}}}"#,
    );
    assert_status_naming(code, &status, 400, "metadata.finalizers");
    let node = br#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"status":[1]}"#;
    let (code, status) = send(&server, "POST", "/api/v1/nodes", JSON, node);
    assert_status_naming(code, &status, 400, "status");
    assert_writes_go_on(&server, "after-wrong-types");
}

#[test]
fn a_json_patch_that_doubles_the_document_stops_at_the_body_limit() {
    let limit = 64 * 1024;
    let server = TestServer::start_with(|c| c.max_body_bytes = limit);
    let before = configmap(&server, "bomb");
    // Each copy of the whole document into itself doubles it: 16 of them would make a few
    // hundred bytes into tens of MiB.
    let ops: Vec<Value> = (0..16)
        .map(|i| json!({"op": "copy", "from": "", "path": format!("/copy{i}")}))
        .collect();
    let patch = Value::Array(ops).to_string();
    assert!(patch.len() < limit);
    let (code, status) = send(
        &server,
        "PATCH",
        &format!("{CONFIGMAPS}/bomb"),
        JSON_PATCH,
        patch.as_bytes(),
    );
    assert_eq!(
        code,
        413,
        "{}",
        &status.to_string()[..status.to_string().len().min(500)]
    );
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "RequestEntityTooLarge");
    let (_, after) = send(&server, "GET", &format!("{CONFIGMAPS}/bomb"), JSON, b"");
    assert_eq!(
        after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"],
        "the object is unchanged"
    );
    assert_writes_go_on(&server, "after-bomb");
}

#[test]
fn a_body_nested_deeper_than_the_limit_is_refused() {
    let server = TestServer::start();
    // 110 levels: within what the JSON parser accepts, beyond the server's nesting limit.
    let deep = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"},
                      "spec": nested(110)});
    let (code, status) = send(
        &server,
        "POST",
        CONFIGMAPS,
        JSON,
        deep.to_string().as_bytes(),
    );
    assert_eq!(code, 400, "{status}");
    assert_eq!(status["kind"], "Status");
    assert!(
        status["message"].as_str().unwrap_or("").contains("nest"),
        "{status}"
    );
    assert_writes_go_on(&server, "after-deep-body");
}

#[test]
fn a_json_patch_that_nests_deeper_than_the_limit_is_refused() {
    let server = TestServer::start();
    // Two additions of 90 levels each, the second inside the first: each operation is
    // shallow enough, the document they build is not (and a stored object that deep could not
    // even be read back when the server restarts).
    let before = configmap(&server, "grows");
    let inner_path: String = "/d".repeat(89);
    let patch = json!([
        {"op": "add", "path": "/x", "value": nested(90)},
        {"op": "add", "path": format!("/x{inner_path}/more"), "value": nested(90)},
    ]);
    let (code, _, body) = raw_request(
        server.addr(),
        "PATCH",
        &format!("{CONFIGMAPS}/grows"),
        &[JSON_PATCH],
        patch.to_string().as_bytes(),
    );
    let text = String::from_utf8_lossy(&body);
    assert_eq!(code, 422, "{}", &text[..text.len().min(500)]);
    let status = json_body(&body);
    assert_eq!(status["kind"], "Status");
    assert!(
        status["message"].as_str().unwrap_or("").contains("nest"),
        "{status}"
    );
    let (_, after) = send(&server, "GET", &format!("{CONFIGMAPS}/grows"), JSON, b"");
    assert_eq!(
        after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"],
        "the object is unchanged"
    );
    assert_writes_go_on(&server, "after-deep-patch");
}
