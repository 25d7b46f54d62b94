//! The write verbs: POST, PUT, PATCH, DELETE and DELETE of a collection. Each reads and checks
//! its request here, then hands one operation to the storage writer.

use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::media;
use super::request::{content_type, decode_body, dry_run, read_body, write_opts};
use super::response::reply_response;
use super::snapshot::snapshot;
use super::{Body, Query, Server};
use crate::cluster::Reply;
use crate::error::ApiError;
use crate::limits::MAX_DEPTH;
use crate::objects::{self, DeleteOpts, ObjectRef, PatchRequest, PatchType, UpdateKind};
use crate::patch::Limits;
use crate::protobuf;
use crate::registry::ResourceDef;
use crate::selector::Selectors;

/// The resource, namespace and name a write goes to, owned so the writer can take it.
pub struct WriteTarget {
    pub def: Arc<ResourceDef>,
    pub namespace: Option<String>,
    pub name: String,
    pub status: bool,
}

impl WriteTarget {
    fn object(&self) -> ObjectRef<'_> {
        ObjectRef {
            def: &self.def,
            namespace: self.namespace.as_deref(),
            name: &self.name,
        }
    }
}

/// The most operations a JSON patch may have, as in the real server.
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// POST: creates an object in the collection.
pub async fn create(
    server: &Server,
    req: Request<Incoming>,
    def: Arc<ResourceDef>,
    ns: Option<String>,
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    let opts = write_opts(query, req.headers())?;
    let obj = read_object(server, req, &def).await?;
    let reply = server
        .shared
        .write(move |txn| objects::create(txn, &def, ns.as_deref(), obj, &opts, false))
        .await?;
    Ok(reply_response(reply))
}

/// PUT: replaces an existing object (or its status).
pub async fn replace(
    server: &Server,
    req: Request<Incoming>,
    target: WriteTarget,
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    let opts = write_opts(query, req.headers())?;
    let obj = read_object(server, req, &target.def).await?;
    let reply = server
        .shared
        .write(move |txn| {
            let at = target.object();
            let old = txn
                .get(&at.def.store, &at.key())
                .ok_or_else(|| ApiError::not_found(&at.def.group, &at.def.plural, at.name))?;
            objects::update(
                txn,
                at,
                (&old, &old.value()),
                obj,
                target.status,
                UpdateKind::Replace,
                &opts,
            )
        })
        .await?;
    Ok(reply_response(reply))
}

/// The body of a POST or PUT, decoded by its content type: JSON, YAML, or the protobuf of the
/// built-in kinds typed clients send.
async fn read_object(
    server: &Server,
    req: Request<Incoming>,
    def: &ResourceDef,
) -> Result<Value, ApiError> {
    let ct = content_type(req.headers());
    let body = read_body(req, server).await?;
    media::check_object(&ct, &body)?;
    if protobuf::is_protobuf(&ct) {
        return Ok(protobuf::decode_for(&body, &def.api_version(), &def.kind)?);
    }
    decode_body(&body, &ct)
}

/// PATCH: a JSON patch, merge patch or server-side apply of an object (or its status).
pub async fn patch(
    server: &Server,
    req: Request<Incoming>,
    target: WriteTarget,
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    let ct = content_type(req.headers());
    let patch_type = media::patch_type(&ct, &target.def)?;
    check_patch_options(patch_type, query)?;
    let opts = write_opts(query, req.headers())?;
    let body = read_body(req, server).await?;
    // Apply configurations are YAML (JSON being YAML too) whatever the exact media type.
    let decode_as = if patch_type == PatchType::Apply {
        "yaml"
    } else {
        &ct
    };
    let value = decode_body(&body, decode_as)?;
    if media::is_strategic(&ct) {
        media::check_strategic_directives(&value)?;
    }
    if patch_type == PatchType::Json
        && value
            .as_array()
            .is_some_and(|ops| ops.len() > MAX_JSON_PATCH_OPERATIONS)
    {
        return Err(ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}"
            ),
        ));
    }
    let request = PatchRequest {
        patch_type,
        body: value,
        status_subresource: target.status,
        limits: Limits {
            max_bytes: server.max_body,
            max_depth: MAX_DEPTH,
        },
    };
    let reply = server
        .shared
        .write(move |txn| objects::patch(txn, target.object(), request, &opts))
        .await?;
    Ok(reply_response(reply))
}

/// `force` is only for apply, and apply needs a `fieldManager`. (Apply conflicts are never
/// reported here, so a valid `force` changes nothing.)
fn check_patch_options(patch_type: PatchType, query: &Query) -> Result<(), ApiError> {
    if patch_type != PatchType::Apply && query.contains_key("force") {
        return Err(ApiError::invalid_field(
            "PatchOptions",
            "meta.k8s.io",
            "",
            "FieldValueForbidden",
            "force",
            "Forbidden: may not be specified for non-apply patch",
        ));
    }
    if patch_type == PatchType::Apply && query.get("fieldManager").is_none_or(String::is_empty) {
        return Err(ApiError::invalid_field(
            "PatchOptions",
            "meta.k8s.io",
            "",
            "FieldValueRequired",
            "fieldManager",
            "Required value: is required for apply patch",
        ));
    }
    Ok(())
}

/// DELETE of one object, with the options of its (optional) DeleteOptions body.
pub async fn delete(
    server: &Server,
    req: Request<Incoming>,
    target: WriteTarget,
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    if target.status {
        return Err(ApiError::method_not_allowed(
            "the status subresource cannot be deleted",
        ));
    }
    let ct = content_type(req.headers());
    let body = read_body(req, server).await?;
    media::check_delete(&ct, &body)?;
    let opts_body = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        decode_body(&body, &ct)?
    };
    let opts = DeleteOpts::parse(&opts_body, dry_run(query)?);
    let reply = server
        .shared
        .write(move |txn| objects::delete(txn, target.object(), &opts))
        .await?;
    Ok(reply_response(reply))
}

/// POST of a pod's `eviction`: a policy/v1 Eviction (JSON; a protobuf body carries nothing
/// but the names, so it is read as an Eviction with default options).
pub async fn evict(
    server: &Server,
    req: Request<Incoming>,
    target: WriteTarget,
) -> Result<Response<Body>, ApiError> {
    let ct = content_type(req.headers());
    let body = read_body(req, server).await?;
    let eviction = if protobuf::is_protobuf(&ct) || body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        decode_body(&body, &ct)?
    };
    if let Some(named) = eviction.pointer("/metadata/name").and_then(Value::as_str)
        && named != target.name
    {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in Eviction object: {named} != {}",
            target.name
        )));
    }
    let reply = server
        .shared
        .write(move |txn| objects::evict(txn, target.object(), &eviction))
        .await?;
    Ok(reply_response(reply))
}

/// DELETE of a collection: every object the selectors match, in one write.
pub async fn delete_collection(
    server: &Server,
    def: Arc<ResourceDef>,
    ns: Option<String>,
    query: &Query,
) -> Result<Response<Body>, ApiError> {
    let dry_run = dry_run(query)?;
    let selectors = Selectors::parse(&def, query)?;
    let names: Vec<(Option<String>, String)> = {
        let cluster = server.shared.read();
        snapshot(&cluster, &def.store, ns.as_deref(), cluster.rev, "")?
            .into_iter()
            .filter(|(_, o)| selectors.matches(&def, o))
            .map(|(_, o)| {
                let head = o.head();
                (
                    head.namespace.as_deref().map(str::to_string),
                    head.name.to_string(),
                )
            })
            .collect()
    };
    let opts = DeleteOpts {
        dry_run,
        ..DeleteOpts::default()
    };
    server
        .shared
        .write(move |txn| {
            for (ns, name) in &names {
                let at = ObjectRef {
                    def: &def,
                    namespace: ns.as_deref(),
                    name,
                };
                match objects::delete(txn, at, &opts) {
                    Ok(_) => {}
                    // Already gone (deleted since the snapshot): nothing left to do.
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
