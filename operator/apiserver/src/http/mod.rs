//! Request handling: authentication, routing of the Kubernetes URL layout, and dispatch of each
//! verb. Reading requests ([`request`]), building responses ([`response`]), the non-resource paths
//! ([`non_resource`]), URL resolution ([`target`]), reads ([`reads`], over
//! [`snapshot`](mod@snapshot)s) and writes ([`writes`], handed to the storage writer) have their
//! modules.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;

use crate::auth::{Auth, Caller, Principal};
use crate::authorization::{Access, denial, verb_of};
use crate::capacity::{ServerLimits, WatchSlots};
use crate::cluster::Shared;
use crate::error::ApiError;
use crate::watch;

mod access_review;
pub mod host;
mod media;
mod non_resource;
mod reads;
mod request;
mod response;
mod snapshot;
mod target;
mod writes;

pub use reads::partial_metadata;
pub use snapshot::{in_namespace, snapshot};

use request::{negotiate, parse_query, percent_decode};
use response::error_response;
use target::{Target, resolve};
use writes::WriteTarget;

pub type Body = BoxBody<Bytes, Infallible>;
pub type Query = HashMap<String, String>;

/// Per-server request context.
pub struct Server {
    pub shared: Arc<Shared>,
    pub auth: Auth,
    pub max_body: usize,
    pub address: String,
    /// The names a request's `Host` may carry besides IP addresses.
    pub served_names: Vec<String>,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    pub limits: ServerLimits,
    pub watch_slots: Arc<WatchSlots>,
}

/// What representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    Json,
    Table,
    Metadata,
}

/// Entry point for every request.
pub async fn handle(
    server: Arc<Server>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = match route(&server, req).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    tracing::debug!(%method, %path, status = resp.status().as_u16(), "request");
    Ok(resp)
}

async fn route(server: &Arc<Server>, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    host::check(&req, &server.served_names)?;
    let caller = server.auth.caller(req.headers())?;
    let principal = caller.principal;
    let query = parse_query(req.uri());
    let segs: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    // Every token may ask what it may do, read-only ones included.
    if segs == access_review::PATH {
        return access_review::create(server, req, principal).await;
    }
    authorize_method(principal, req.method())?;
    let registry = || server.shared.read().registry.clone();
    if let Some(response) = non_resource::route(
        registry,
        &server.address,
        &segs,
        req.method(),
        req.headers(),
    ) {
        return response;
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::no_such_path()),
    };
    let target = resolve(&server.shared.read(), group, version, rest)?;
    authorize_resource(principal, req.method(), &target)?;
    if principal == Principal::Agent {
        authorize_agent(&caller.user, req.method(), &target, &query)?;
    }
    resource(server, req, target, query, &caller).await
}

/// Read-only principals may only read.
fn authorize_method(principal: Principal, method: &Method) -> Result<(), ApiError> {
    let access = Access {
        verb: verb_of(method, true),
        group: "",
        resource: None,
    };
    match denial(principal, access) {
        Some(reason) => Err(ApiError::forbidden(reason)),
        None => Ok(()),
    }
}

/// The principal's rules for the resource: read-only principals may not read Secrets.
fn authorize_resource(
    principal: Principal,
    method: &Method,
    target: &Target,
) -> Result<(), ApiError> {
    let access = Access {
        verb: verb_of(method, target.name.is_some()),
        group: &target.def.group,
        resource: Some(&target.def.plural),
    };
    match denial(principal, access) {
        Some(reason) => Err(ApiError::forbidden(reason)),
        None => Ok(()),
    }
}

/// An agent token's rules, which need the object's name and namespace (`agent_scope`).
fn authorize_agent(
    user: &str,
    method: &Method,
    target: &Target,
    query: &Query,
) -> Result<(), ApiError> {
    let request = crate::agent_scope::AgentRequest {
        verb: verb_of(method, target.name.is_some()),
        group: &target.def.group,
        resource: &target.def.plural,
        namespace: target.namespace.as_deref(),
        name: target.name.as_deref(),
        status: target.status,
        field_selector: query.get("fieldSelector").map(String::as_str),
    };
    match crate::agent_scope::agent_denial(user, &request) {
        Some(reason) => Err(ApiError::forbidden(reason)),
        None => Ok(()),
    }
}

/// Dispatches a resource request by method and by whether it names one object.
async fn resource(
    server: &Arc<Server>,
    req: Request<Incoming>,
    target: Target,
    query: Query,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    let Target {
        def,
        namespace: ns,
        name,
        status,
        eviction,
    } = target;
    let Some(name) = name else {
        return match method {
            Method::GET => {
                let repr = negotiate(req.headers())?;
                if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
                    let slot = server.watch_slots.acquire(&caller.user)?;
                    return watch::watch(server.clone(), def, ns, &query, repr, slot);
                }
                reads::list(server, &def, ns.as_deref(), &query, repr)
            }
            Method::POST => writes::create(server, req, def, ns, &query).await,
            Method::DELETE => writes::delete_collection(server, def, ns, &query).await,
            _ => Err(not_allowed(&method)),
        };
    };
    if eviction {
        let target = WriteTarget {
            def,
            namespace: ns,
            name,
            status,
        };
        return match method {
            Method::POST => writes::evict(server, req, target).await,
            _ => Err(not_allowed(&method)),
        };
    }
    if method == Method::GET {
        let repr = negotiate(req.headers())?;
        return reads::get(server, &def, ns.as_deref(), &name, &query, repr);
    }
    let target = WriteTarget {
        def,
        namespace: ns,
        name,
        status,
    };
    match method {
        Method::PUT => writes::replace(server, req, target, &query).await,
        Method::PATCH => writes::patch(server, req, target, &query).await,
        Method::DELETE => writes::delete(server, req, target, &query).await,
        _ => Err(not_allowed(&method)),
    }
}

fn not_allowed(method: &Method) -> ApiError {
    ApiError::method_not_allowed(format!(
        "the server does not allow this method on the requested resource: {method}"
    ))
}
