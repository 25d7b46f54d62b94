//! Request handling: authentication, routing of the Kubernetes URL layout, content negotiation,
//! body limits and decoding, and the read verbs (get, list); writes are handed to the writer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::auth::{Auth, Principal};
use crate::cluster::{Cluster, Obj, Reply, Shared};
use crate::discovery;
use crate::error::ApiError;
use crate::objects::{self, DeleteOpts, FieldValidation, PatchType, WriteOpts};
use crate::openapi;
use crate::registry::ResourceDef;
use crate::selector::Selectors;
use crate::table::{self, IncludeObject};
use crate::watch;

pub type Body = BoxBody<Bytes, Infallible>;
pub type Query = HashMap<String, String>;

/// Per-server request context.
pub struct Server {
    pub shared: Arc<Shared>,
    pub auth: Auth,
    pub max_body: usize,
    pub address: String,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// What representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    Json,
    Table,
    Metadata,
}

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
    json_response(err.code, &err.to_status())
}

fn reply_response(reply: Reply) -> Response<Body> {
    let mut resp = json_response(reply.code, &reply.body);
    for w in reply.warnings {
        let text = format!("299 - {}", serde_json::to_string(&w).unwrap_or_default());
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

fn parse_query(uri: &http::Uri) -> Query {
    uri.query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Picks the representation from `Accept`: the first supported media range wins.
pub fn negotiate(headers: &HeaderMap) -> Result<Repr, ApiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Repr::Json);
    };
    if accept.trim().is_empty() {
        return Ok(Repr::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
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

/// Reads the request body, enforcing the size limit.
async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, ApiError> {
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

fn content_type(headers: &HeaderMap) -> String {
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

/// Decodes a JSON or YAML body into a value.
pub fn decode_body(bytes: &[u8], content_type: &str) -> Result<Value, ApiError> {
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

fn write_opts(query: &Query, headers: &HeaderMap) -> Result<WriteOpts, ApiError> {
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

fn dry_run(query: &Query) -> Result<bool, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "dryRun: Unsupported value: {other:?}: supported values: \"All\""
        ))),
    }
}

/// A resolved resource URL.
pub struct Target {
    pub def: Arc<ResourceDef>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub status: bool,
}

fn resolve(
    cluster: &Cluster,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Target, ApiError> {
    let (namespace, rest) = if rest.len() >= 3
        && rest[0] == "namespaces"
        && !(group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize"))
    {
        (Some(rest[1].to_string()), &rest[2..])
    } else {
        (None, rest)
    };
    if rest.is_empty() || rest.len() > 3 {
        return Err(ApiError::no_such_path());
    }
    let def = cluster
        .registry
        .get(group, version, rest[0])
        .cloned()
        .ok_or_else(ApiError::no_such_path)?;
    if namespace.is_some() && !def.namespaced {
        return Err(ApiError::no_such_path());
    }
    let name = rest.get(1).map(|s| s.to_string());
    let status = match rest.get(2) {
        None => false,
        Some(&"status") if def.status_subresource => true,
        Some(_) => return Err(ApiError::no_such_path()),
    };
    if def.namespaced && name.is_some() && namespace.is_none() {
        return Err(ApiError::no_such_path());
    }
    Ok(Target {
        def,
        namespace,
        name,
        status,
    })
}

fn percent_decode(seg: &str) -> String {
    let decoded: String =
        form_urlencoded::parse(format!("x={}", seg.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| seg.to_string());
    decoded
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
    let principal = server.auth.authenticate(req.headers())?;
    let method = req.method().clone();
    if principal == Principal::ReadOnly && !matches!(method, Method::GET | Method::HEAD) {
        return Err(ApiError::forbidden(format!(
            "the read-only token may not {} resources",
            method.as_str().to_ascii_lowercase()
        )));
    }
    let query = parse_query(req.uri());
    let path = req.uri().path().to_string();
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (segs.as_slice(), &method) {
        (["version"], &Method::GET) => return Ok(json_response(200, &discovery::version())),
        (["healthz" | "livez" | "readyz"], &Method::GET) => {
            return Ok(bytes_response(200, "ok", "text/plain"));
        }
        (["openapi", "v2"], _) => return Err(ApiError::no_such_path()),
        (["openapi", "v3"], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return Ok(json_response(200, &openapi::index(&registry)));
        }
        (["openapi", "v3", "api", v], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return openapi::document(&registry, "", v)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_such_path);
        }
        (["openapi", "v3", "apis", g, v], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return openapi::document(&registry, g, v)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_such_path);
        }
        (["api"], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return Ok(if wants_aggregated(req.headers()) {
                bytes_response(
                    200,
                    serde_json::to_vec(&discovery::aggregated(&registry, true)).unwrap_or_default(),
                    discovery::AGGREGATED_CONTENT_TYPE,
                )
            } else {
                json_response(200, &discovery::api_versions(&server.address))
            });
        }
        (["apis"], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return Ok(if wants_aggregated(req.headers()) {
                bytes_response(
                    200,
                    serde_json::to_vec(&discovery::aggregated(&registry, false))
                        .unwrap_or_default(),
                    discovery::AGGREGATED_CONTENT_TYPE,
                )
            } else {
                json_response(200, &discovery::api_group_list(&registry))
            });
        }
        (["api", v], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return discovery::resource_list(&registry, "", v)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_such_path);
        }
        (["apis", g], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return discovery::api_group(&registry, g)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_such_path);
        }
        (["apis", g, v], &Method::GET) => {
            let registry = server.shared.read().registry.clone();
            return discovery::resource_list(&registry, g, v)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_such_path);
        }
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::no_such_path()),
    };
    let target = {
        let cluster = server.shared.read();
        resolve(&cluster, group, version, rest)?
    };
    resource(server, req, target, query).await
}

/// Whether the client prefers aggregated discovery (apidiscovery.k8s.io/v2) in any position
/// before plain JSON.
fn wants_aggregated(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
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

async fn resource(
    server: &Arc<Server>,
    req: Request<Incoming>,
    target: Target,
    query: Query,
) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    let headers = req.headers().clone();
    let def = target.def.clone();
    let ns = target.namespace.clone();
    match (&method, &target.name) {
        (&Method::GET, None) => {
            let repr = negotiate(&headers)?;
            if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
                return watch::watch(server.clone(), def, ns, &query, repr);
            }
            list(server, &def, ns.as_deref(), &query, repr)
        }
        (&Method::GET, Some(name)) => {
            let repr = negotiate(&headers)?;
            get(server, &def, ns.as_deref(), name, &query, repr)
        }
        (&Method::POST, None) => {
            let opts = write_opts(&query, &headers)?;
            let ct = content_type(&headers);
            let body = read_body(req, server.max_body).await?;
            let obj = decode_body(&body, &ct)?;
            let d = def.clone();
            let reply = server
                .shared
                .write(move |txn| objects::create(txn, &d, ns.as_deref(), obj, &opts, false))
                .await?;
            Ok(reply_response(reply))
        }
        (&Method::PUT, Some(name)) => {
            let opts = write_opts(&query, &headers)?;
            let ct = content_type(&headers);
            let body = read_body(req, server.max_body).await?;
            let obj = decode_body(&body, &ct)?;
            let name = name.clone();
            let status = target.status;
            let d = def.clone();
            let reply = server
                .shared
                .write(move |txn| {
                    let k = objects::key(&d, ns.as_deref(), &name);
                    let old = txn
                        .get(&d.store, &k)
                        .ok_or_else(|| ApiError::not_found(&d.group, &d.plural, &name))?;
                    objects::update(
                        txn,
                        &d,
                        ns.as_deref(),
                        &name,
                        &old,
                        obj,
                        status,
                        objects::UpdateKind::Replace,
                        &opts,
                    )
                })
                .await?;
            Ok(reply_response(reply))
        }
        (&Method::PATCH, Some(name)) => {
            let ct = content_type(&headers);
            let patch_type = match ct.as_str() {
                "application/json-patch+json" => PatchType::Json,
                "application/merge-patch+json" => PatchType::Merge,
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => PatchType::Apply,
                other => {
                    return Err(ApiError::unsupported_media_type(
                        other,
                        &[
                            "application/json-patch+json",
                            "application/merge-patch+json",
                            "application/apply-patch+yaml",
                        ],
                    ));
                }
            };
            let force = query.get("force").map(String::as_str);
            if patch_type != PatchType::Apply && force.is_some() {
                return Err(ApiError::invalid_field(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    "FieldValueForbidden",
                    "force",
                    "Forbidden: may not be specified for non-apply patch",
                ));
            }
            if patch_type == PatchType::Apply
                && query.get("fieldManager").is_none_or(String::is_empty)
            {
                return Err(ApiError::invalid_field(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    "FieldValueRequired",
                    "fieldManager",
                    "Required value: is required for apply patch",
                ));
            }
            let force = force == Some("true");
            let opts = write_opts(&query, &headers)?;
            let body = read_body(req, server.max_body).await?;
            let value = decode_body(
                &body,
                if patch_type == PatchType::Apply {
                    "yaml"
                } else {
                    &ct
                },
            )?;
            if patch_type == PatchType::Json
                && value.as_array().is_some_and(|ops| ops.len() > 10_000)
            {
                return Err(ApiError::new(
                    413,
                    "RequestEntityTooLarge",
                    "The allowed maximum operations in a JSON patch is 10000",
                ));
            }
            let name = name.clone();
            let status = target.status;
            let d = def.clone();
            let reply = server
                .shared
                .write(move |txn| {
                    objects::patch(
                        txn,
                        &d,
                        ns.as_deref(),
                        &name,
                        patch_type,
                        value,
                        status,
                        force,
                        &opts,
                    )
                })
                .await?;
            Ok(reply_response(reply))
        }
        (&Method::DELETE, Some(name)) => {
            if target.status {
                return Err(ApiError::method_not_allowed(
                    "the status subresource cannot be deleted",
                ));
            }
            let ct = content_type(&headers);
            let body = read_body(req, server.max_body).await?;
            let opts_body = if body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                decode_body(&body, &ct)?
            };
            let opts = DeleteOpts::parse(&opts_body, dry_run(&query)?);
            let name = name.clone();
            let d = def.clone();
            let reply = server
                .shared
                .write(move |txn| objects::delete(txn, &d, ns.as_deref(), &name, &opts))
                .await?;
            Ok(reply_response(reply))
        }
        (&Method::DELETE, None) => {
            delete_collection(server, &def, ns, &query, dry_run(&query)?).await
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource: {method}"
        ))),
    }
}

/// Whether an object key is inside the namespace (or any namespace when None).
pub fn in_namespace(key: &str, ns: Option<&str>) -> bool {
    match ns {
        None => true,
        Some(ns) => key.len() > ns.len() && key.starts_with(ns) && key.as_bytes()[ns.len()] == b'/',
    }
}

fn get(
    server: &Arc<Server>,
    def: &ResourceDef,
    ns: Option<&str>,
    name: &str,
    query: &Query,
    repr: Repr,
) -> Result<Response<Body>, ApiError> {
    let obj = {
        let cluster = server.shared.read();
        cluster
            .get(&def.store, &objects::key(def, ns, name))
            .cloned()
    };
    let obj = obj.ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))?;
    Ok(match repr {
        Repr::Json => {
            if objects::stored_bytes_usable(def, &obj) {
                bytes_response(200, obj.json.clone(), "application/json")
            } else {
                json_response(200, &objects::to_view(def, &obj.value))
            }
        }
        Repr::Metadata => json_response(200, &partial_metadata(&obj.value)),
        Repr::Table => {
            let view = objects::to_view(def, &obj.value);
            let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
            json_response(
                200,
                &table::table(def, &[view], include, &obj.rev.to_string(), "", true),
            )
        }
    })
}

pub fn partial_metadata(v: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
           "metadata": v.get("metadata").cloned().unwrap_or(json!({}))})
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    start: String,
}

fn encode_continue(rv: u64, start: &str) -> String {
    let token = ContinueToken {
        rv,
        start: start.to_string(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&token).unwrap_or_default())
}

fn decode_continue(token: &str) -> Result<ContinueToken, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))
}

/// Objects of a store as of revision `at` (the current state when `at` is the latest
/// revision), by key in order, starting after `start`.
pub fn snapshot(
    cluster: &Cluster,
    store: &str,
    ns: Option<&str>,
    at: u64,
    start: &str,
) -> Result<Vec<(String, Arc<Obj>)>, ApiError> {
    let current = cluster.store(store);
    let mut out: Vec<(String, Arc<Obj>)> = Vec::new();
    let lower = match ns {
        Some(ns) if start.is_empty() => format!("{ns}/"),
        _ => start.to_string(),
    };
    let range_iter = current.into_iter().flat_map(|s| {
        s.range::<String, _>((
            if start.is_empty() {
                std::ops::Bound::Included(lower.clone())
            } else {
                std::ops::Bound::Excluded(lower.clone())
            },
            std::ops::Bound::Unbounded,
        ))
    });
    if at >= cluster.rev {
        for (k, o) in range_iter {
            if !in_namespace(k, ns) {
                if ns.is_some() {
                    break;
                }
                continue;
            }
            out.push((k.clone(), o.clone()));
        }
        return Ok(out);
    }
    if at < cluster.compacted {
        return Err(ApiError::expired(format!(
            "The resourceVersion for the provided list is too old: {at} (oldest available {})",
            cluster.compacted + 1
        )));
    }
    // Undo the changes made after `at`: the first change of each key after `at` holds the
    // object's state at `at` as its previous value.
    let mut overrides: HashMap<&str, Option<Arc<Obj>>> = HashMap::new();
    for ev in cluster.history.range(cluster.history_after(at)..) {
        if ev.store == store && !overrides.contains_key(ev.key.as_str()) {
            overrides.insert(ev.key.as_str(), ev.prev.clone());
        }
    }
    for (k, o) in range_iter {
        if !in_namespace(k, ns) {
            if ns.is_some() {
                break;
            }
            continue;
        }
        if !overrides.contains_key(k.as_str()) {
            out.push((k.clone(), o.clone()));
        }
    }
    for (k, o) in overrides {
        let after_start = if start.is_empty() { true } else { k > start };
        if let Some(o) = o
            && after_start
            && in_namespace(k, ns)
        {
            out.push((k.to_string(), o));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn list(
    server: &Arc<Server>,
    def: &ResourceDef,
    ns: Option<&str>,
    query: &Query,
    repr: Repr,
) -> Result<Response<Body>, ApiError> {
    let selectors = Selectors::parse(def, query)?;
    let limit: usize = match query.get("limit").map(String::as_str) {
        None | Some("") => 0,
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("limit: invalid value {l:?}")))?
            .max(0) as usize,
    };
    let token = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_continue(c)?),
        None => None,
    };
    let requested_rv = query
        .get("resourceVersion")
        .filter(|r| !r.is_empty() && *r != "0");
    let exact = match (&token, requested_rv) {
        (Some(_), _) => None,
        (None, Some(rv))
            if limit > 0
                && query.get("resourceVersionMatch").map(String::as_str)
                    != Some("NotOlderThan") =>
        {
            Some(rv.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!(
                    "resourceVersion: Invalid value: {rv:?}: must be a non-negative integer"
                ))
            })?)
        }
        _ => None,
    };
    let (items, list_rv, next) = {
        let cluster = server.shared.read();
        let (at, start) = match &token {
            Some(t) => (t.rv, t.start.clone()),
            None => (exact.unwrap_or(cluster.rev).min(cluster.rev), String::new()),
        };
        let candidates = snapshot(&cluster, &def.store, ns, at, &start)?;
        let mut items: Vec<Arc<Obj>> = Vec::new();
        let mut next = None;
        let mut last_key = String::new();
        for (k, o) in candidates {
            if !selectors.matches(def, &o.value) {
                continue;
            }
            if limit > 0 && items.len() == limit {
                next = Some(encode_continue(at, &last_key));
                break;
            }
            last_key = k;
            items.push(o);
        }
        (items, at, next)
    };
    let continue_token = next.unwrap_or_default();
    match repr {
        Repr::Json => {
            let mut buf: Vec<u8> =
                Vec::with_capacity(64 + items.iter().map(|o| o.json.len() + 1).sum::<usize>());
            let head = json!({"kind": def.list_kind, "apiVersion": def.api_version(),
                              "metadata": {"resourceVersion": list_rv.to_string(), "continue": continue_token}});
            let head_bytes = serde_json::to_vec(&head).unwrap_or_default();
            // Splice the items array into the head object without re-serializing objects.
            buf.extend_from_slice(&head_bytes[..head_bytes.len().saturating_sub(1)]);
            buf.extend_from_slice(b",\"items\":[");
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                if objects::stored_bytes_usable(def, o) {
                    buf.extend_from_slice(&o.json);
                } else {
                    buf.extend_from_slice(
                        &serde_json::to_vec(&objects::to_view(def, &o.value)).unwrap_or_default(),
                    );
                }
            }
            buf.extend_from_slice(b"]}");
            Ok(bytes_response(200, buf, "application/json"))
        }
        Repr::Metadata => {
            let items: Vec<Value> = items.iter().map(|o| partial_metadata(&o.value)).collect();
            Ok(json_response(
                200,
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": list_rv.to_string(), "continue": continue_token}, "items": items}),
            ))
        }
        Repr::Table => {
            let views: Vec<Value> = items
                .iter()
                .map(|o| objects::to_view(def, &o.value))
                .collect();
            let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
            Ok(json_response(
                200,
                &table::table(
                    def,
                    &views,
                    include,
                    &list_rv.to_string(),
                    &continue_token,
                    true,
                ),
            ))
        }
    }
}

async fn delete_collection(
    server: &Arc<Server>,
    def: &Arc<ResourceDef>,
    ns: Option<String>,
    query: &Query,
    dry_run: bool,
) -> Result<Response<Body>, ApiError> {
    let selectors = Selectors::parse(def, query)?;
    let names: Vec<(Option<String>, String)> = {
        let cluster = server.shared.read();
        snapshot(&cluster, &def.store, ns.as_deref(), cluster.rev, "")?
            .into_iter()
            .filter(|(_, o)| selectors.matches(def, &o.value))
            .map(|(_, o)| {
                (
                    o.value
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    o.value
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect()
    };
    let d = def.clone();
    let opts = DeleteOpts {
        dry_run,
        ..DeleteOpts::default()
    };
    server
        .shared
        .write(move |txn| {
            for (ns, name) in &names {
                match objects::delete(txn, &d, ns.as_deref(), name, &opts) {
                    Ok(_) => {}
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(Reply::ok(
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
            ))
        })
        .await
        .map(reply_response)
}
