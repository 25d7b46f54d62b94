//! The paths that name no resource: `/version`, health checks, OpenAPI v3 and discovery (legacy
//! and aggregated).

use http::{HeaderMap, Method, Response};

use super::Body;
use super::request::wants_aggregated;
use super::response::{bytes_response, json_response};
use crate::discovery;
use crate::error::ApiError;
use crate::openapi;
use crate::registry::Registry;

/// The response for a non-resource path, or None when the path names resources.
pub fn route(
    registry: impl FnOnce() -> std::sync::Arc<Registry>,
    address: &str,
    segs: &[&str],
    method: &Method,
    headers: &HeaderMap,
) -> Option<Result<Response<Body>, ApiError>> {
    if method != Method::GET {
        // Only GET is served here; `/openapi/v2` is refused whatever the method.
        return matches!(segs, ["openapi", "v2"]).then(|| Err(ApiError::no_such_path()));
    }
    let found = |doc: Option<serde_json::Value>| {
        doc.map(|d| json_response(200, &d))
            .ok_or_else(ApiError::no_such_path)
    };
    Some(match segs {
        ["version"] => Ok(json_response(200, &discovery::version())),
        ["healthz" | "livez" | "readyz"] => Ok(bytes_response(200, "ok", "text/plain")),
        ["openapi", "v2"] => Err(ApiError::no_such_path()),
        ["openapi", "v3"] => Ok(json_response(200, &openapi::index(&registry()))),
        ["openapi", "v3", "api", v] => found(openapi::document(&registry(), "", v)),
        ["openapi", "v3", "apis", g, v] => found(openapi::document(&registry(), g, v)),
        ["api"] => Ok(root_discovery(&registry(), address, headers, true)),
        ["apis"] => Ok(root_discovery(&registry(), address, headers, false)),
        ["api", v] => found(discovery::resource_list(&registry(), "", v)),
        ["apis", g] => found(discovery::api_group(&registry(), g)),
        ["apis", g, v] => found(discovery::resource_list(&registry(), g, v)),
        _ => return None,
    })
}

/// `/api` or `/apis`: aggregated discovery when the client prefers it, the legacy documents
/// otherwise.
fn root_discovery(
    registry: &Registry,
    address: &str,
    headers: &HeaderMap,
    core: bool,
) -> Response<Body> {
    if wants_aggregated(headers) {
        return bytes_response(
            200,
            serde_json::to_vec(&discovery::aggregated(registry, core)).unwrap_or_default(),
            discovery::AGGREGATED_CONTENT_TYPE,
        );
    }
    if core {
        json_response(200, &discovery::api_versions(address))
    } else {
        json_response(200, &discovery::api_group_list(registry))
    }
}
