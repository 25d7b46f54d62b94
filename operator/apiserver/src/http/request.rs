//! Reading what a request asks for: query parameters, the representation negotiated from
//! `Accept`, the body (within the size limit, JSON or YAML) and the write options.

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderMap, Request, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use super::{Query, Repr, Server};
use crate::error::ApiError;
use crate::limits::{MAX_DEPTH, check_depth};
use crate::objects::{FieldValidation, WriteOpts};

pub fn parse_query(uri: &http::Uri) -> Query {
    uri.query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A path segment with its percent-escapes decoded (`+` stays a plus, unlike in a query).
pub fn percent_decode(seg: &str) -> String {
    form_urlencoded::parse(format!("x={}", seg.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| seg.to_string())
}

/// The media ranges of `Accept`, each with its parameters.
fn media_ranges(accept: &str) -> impl Iterator<Item = (&str, HashMap<&str, &str>)> {
    accept.split(',').map(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
        (media, params)
    })
}

/// Picks the representation from `Accept`: the first supported media range wins.
pub fn negotiate(headers: &HeaderMap) -> Result<Repr, ApiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Repr::Json);
    };
    if accept.trim().is_empty() {
        return Ok(Repr::Json);
    }
    for (media, params) in media_ranges(accept) {
        let json_like = matches!(media, "application/json" | "*/*" | "application/*");
        if !json_like {
            continue;
        }
        match params.get("as").copied() {
            None => return Ok(Repr::Json),
            Some("Table") if params.get("g").copied() == Some("meta.k8s.io") => {
                return Ok(Repr::Table);
            }
            Some("PartialObjectMetadata" | "PartialObjectMetadataList")
                if params.get("g").copied() == Some("meta.k8s.io") =>
            {
                return Ok(Repr::Metadata);
            }
            Some(_) => continue,
        }
    }
    Err(ApiError::not_acceptable(format!(
        "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io; got {accept:?}"
    )))
}

/// Whether the client prefers aggregated discovery (apidiscovery.k8s.io/v2) in any position
/// before plain JSON.
pub fn wants_aggregated(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    for (media, params) in media_ranges(accept) {
        if media != "application/json" {
            continue;
        }
        if params.is_empty() {
            return false;
        }
        if params.get("as") == Some(&"APIGroupDiscoveryList")
            && params.get("g") == Some(&"apidiscovery.k8s.io")
            && params.get("v") == Some(&"v2")
        {
            return true;
        }
    }
    false
}

/// Reads the request body, enforcing the size limit and the time a client has to send it.
pub async fn read_body(req: Request<Incoming>, server: &Server) -> Result<Bytes, ApiError> {
    let timeout = server.limits.body_read_timeout;
    tokio::time::timeout(timeout, read_limited(req, server.max_body))
        .await
        .map_err(|_| {
            ApiError::new(
                408,
                "Timeout",
                format!(
                    "the request body was not sent within {} seconds",
                    timeout.as_secs()
                ),
            )
        })?
}

async fn read_limited(req: Request<Incoming>, limit: usize) -> Result<Bytes, ApiError> {
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(ApiError::too_large(limit));
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(ApiError::too_large(limit))
            } else {
                Err(ApiError::bad_request(format!(
                    "reading the request body: {e}"
                )))
            }
        }
    }
}

/// The media type of `Content-Type`, lowercased, without parameters.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Decodes a JSON or YAML body into a value, nested no deeper than [`MAX_DEPTH`].
pub fn decode_body(bytes: &[u8], content_type: &str) -> Result<Value, ApiError> {
    let value = decode(bytes, content_type)?;
    check_depth(&value, MAX_DEPTH)
        .map_err(|e| ApiError::bad_request(format!("the request body cannot be accepted: {e}")))?;
    Ok(value)
}

fn decode(bytes: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if content_type.contains("protobuf") || content_type.contains("cbor") {
        return Err(ApiError::unsupported_media_type(
            content_type,
            &["application/json", "application/yaml"],
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    let yaml = content_type.contains("yaml");
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok(v),
        Err(json_err) => {
            if yaml {
                serde_yaml::from_slice::<Value>(bytes)
                    .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
            } else {
                Err(ApiError::bad_request(format!(
                    "the object provided is unrecognized or couldn't be decoded: {json_err}"
                )))
            }
        }
    }
}

/// The field manager: `fieldManager`, or the User-Agent's program name as the real server does.
fn manager(query: &Query, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(m) = query.get("fieldManager") {
        if m.len() > 128 {
            return Err(ApiError::new(
                422,
                "Invalid",
                "fieldManager: Too long: may not be more than 128 bytes",
            ));
        }
        return Ok(m.clone());
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    let program = ua.split('/').next().unwrap_or(ua);
    Ok(program.rsplit('\\').next().unwrap_or(program).to_string())
}

/// `fieldManager`, `dryRun` and `fieldValidation` of a write.
pub fn write_opts(query: &Query, headers: &HeaderMap) -> Result<WriteOpts, ApiError> {
    let field_validation = match query.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => FieldValidation::Warn,
        Some("Strict") => FieldValidation::Strict,
        Some("Ignore") => FieldValidation::Ignore,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""
            )));
        }
    };
    Ok(WriteOpts {
        manager: manager(query, headers)?,
        dry_run: dry_run(query)?,
        field_validation,
    })
}

pub fn dry_run(query: &Query) -> Result<bool, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "dryRun: Unsupported value: {other:?}: supported values: \"All\""
        ))),
    }
}
