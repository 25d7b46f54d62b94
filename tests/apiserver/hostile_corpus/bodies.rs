//! Hostile request bodies: truncated, nested too deep, huge, wrong-typed and odd unicode.

use super::*;

pub(super) fn truncated() -> Vec<Case> {
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

pub(super) fn nested() -> Vec<Case> {
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

pub(super) fn huge() -> Vec<Case> {
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

pub(super) fn wrong_types() -> Vec<Case> {
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

pub(super) fn unicode() -> Vec<Case> {
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
