//! Hostile names, labels, selectors, paths and headers.

use super::*;

pub(super) fn invalid_names() -> Vec<Case> {
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

pub(super) fn invalid_labels() -> Vec<Case> {
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

pub(super) fn selectors() -> Vec<Case> {
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

pub(super) fn paths_and_headers() -> Vec<Case> {
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
