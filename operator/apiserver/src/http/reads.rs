//! The read verbs: GET of one object and list, in any negotiated representation (the stored
//! JSON spliced as it is where possible, PartialObjectMetadata, Table), with paging by
//! continue tokens over consistent snapshots.

use std::sync::Arc;

use base64::Engine;
use http::Response;
use serde_json::{Value, json};

use super::response::{bytes_response, json_response};
use super::snapshot::snapshot;
use super::{Body, Query, Repr, Server};
use crate::cluster::{Cluster, Obj};
use crate::error::ApiError;
use crate::objects;
use crate::registry::ResourceDef;
use crate::selector::Selectors;
use crate::table::{self, IncludeObject};

pub fn get(
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
                json_response(200, &objects::to_view(def, &obj.value()))
            }
        }
        Repr::Metadata => json_response(200, &partial_metadata(obj.metadata())),
        Repr::Table => {
            let view = objects::to_view(def, &obj.value());
            let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
            json_response(
                200,
                &table::table(def, &[view], include, &obj.rev.to_string(), "", true),
            )
        }
    })
}

pub fn partial_metadata(metadata: Value) -> Value {
    let metadata = if metadata.is_object() {
        metadata
    } else {
        json!({})
    };
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
}

/// Where the next page starts: the snapshot's revision and the last key already sent.
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

/// What a list asks for: a page size (0: everything), a continue token, and the exact
/// revision to list at (a paged list with a resourceVersion, unless `NotOlderThan`).
struct ListRequest {
    selectors: Selectors,
    limit: usize,
    token: Option<ContinueToken>,
    exact: Option<u64>,
}

impl ListRequest {
    fn parse(def: &ResourceDef, query: &Query) -> Result<ListRequest, ApiError> {
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
        let not_older_than =
            query.get("resourceVersionMatch").map(String::as_str) == Some("NotOlderThan");
        let exact = match (&token, requested_rv) {
            (None, Some(rv)) if limit > 0 && !not_older_than => {
                Some(rv.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "resourceVersion: Invalid value: {rv:?}: must be a non-negative integer"
                    ))
                })?)
            }
            _ => None,
        };
        Ok(ListRequest {
            selectors,
            limit,
            token,
            exact,
        })
    }
}

/// One page of a list: the matching objects, the snapshot's revision and the continue token
/// (empty on the last page).
struct Page {
    items: Vec<Arc<Obj>>,
    rev: u64,
    continue_token: String,
}

fn select_page(
    cluster: &Cluster,
    def: &ResourceDef,
    ns: Option<&str>,
    request: &ListRequest,
) -> Result<Page, ApiError> {
    let (at, start) = match &request.token {
        Some(t) => (t.rv, t.start.clone()),
        None => (
            request.exact.unwrap_or(cluster.rev).min(cluster.rev),
            String::new(),
        ),
    };
    let candidates = snapshot(cluster, &def.store, ns, at, &start)?;
    let mut items: Vec<Arc<Obj>> = Vec::new();
    let mut next = None;
    let mut last_key = String::new();
    for (k, o) in candidates {
        if !request.selectors.matches(def, &o) {
            continue;
        }
        if request.limit > 0 && items.len() == request.limit {
            next = Some(encode_continue(at, &last_key));
            break;
        }
        last_key = k;
        items.push(o);
    }
    Ok(Page {
        items,
        rev: at,
        continue_token: next.unwrap_or_default(),
    })
}

pub fn list(
    server: &Arc<Server>,
    def: &ResourceDef,
    ns: Option<&str>,
    query: &Query,
    repr: Repr,
) -> Result<Response<Body>, ApiError> {
    let request = ListRequest::parse(def, query)?;
    let page = select_page(&server.shared.read(), def, ns, &request)?;
    let list_rv = page.rev.to_string();
    Ok(match repr {
        Repr::Json => bytes_response(200, json_list(def, &page), "application/json"),
        Repr::Metadata => {
            let items: Vec<Value> = page
                .items
                .iter()
                .map(|o| partial_metadata(o.metadata()))
                .collect();
            json_response(
                200,
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": list_rv, "continue": page.continue_token}, "items": items}),
            )
        }
        Repr::Table => {
            let views: Vec<Value> = page
                .items
                .iter()
                .map(|o| objects::to_view(def, &o.value()))
                .collect();
            let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
            json_response(
                200,
                &table::table(def, &views, include, &list_rv, &page.continue_token, true),
            )
        }
    })
}

/// The JSON list, with the stored bytes of each object spliced into the items array instead
/// of serializing every object again.
fn json_list(def: &ResourceDef, page: &Page) -> Vec<u8> {
    let mut buf: Vec<u8> =
        Vec::with_capacity(64 + page.items.iter().map(|o| o.json.len() + 1).sum::<usize>());
    let head = json!({"kind": def.list_kind, "apiVersion": def.api_version(),
                      "metadata": {"resourceVersion": page.rev.to_string(), "continue": page.continue_token}});
    let head_bytes = serde_json::to_vec(&head).unwrap_or_default();
    buf.extend_from_slice(&head_bytes[..head_bytes.len().saturating_sub(1)]);
    buf.extend_from_slice(b",\"items\":[");
    for (i, o) in page.items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        if objects::stored_bytes_usable(def, o) {
            buf.extend_from_slice(&o.json);
        } else {
            buf.extend_from_slice(
                &serde_json::to_vec(&objects::to_view(def, &o.value())).unwrap_or_default(),
            );
        }
    }
    buf.extend_from_slice(b"]}");
    buf
}
