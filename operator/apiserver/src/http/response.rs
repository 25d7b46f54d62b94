//! Building responses: JSON and raw bodies, Kubernetes Status errors, and write replies with
//! their warnings.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use super::Body;
use crate::cluster::Reply;
use crate::error::ApiError;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

pub fn json_response(code: u16, body: &Value) -> Response<Body> {
    bytes_response(
        code,
        serde_json::to_vec(body).unwrap_or_default(),
        "application/json",
    )
}

pub fn bytes_response(code: u16, body: impl Into<Bytes>, content_type: &str) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

pub fn error_response(err: &ApiError) -> Response<Body> {
    let mut resp = json_response(err.code, &err.to_status());
    if let Some(seconds) = err.retry_after() {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    resp
}

/// A write's reply; each warning becomes a `Warning: 299 - "…"` header, as kubectl prints them.
pub fn reply_response(reply: Reply) -> Response<Body> {
    let mut resp = json_response(reply.code, &reply.body);
    for w in reply.warnings {
        let text = format!("299 - {}", serde_json::to_string(&w).unwrap_or_default());
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}
