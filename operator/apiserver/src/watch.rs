//! Watch streams: chunked newline-delimited JSON events with synthetic initial state, resume
//! from any retained revision, BOOKMARKs, streaming lists (`sendInitialEvents`), selector
//! transitions, and `410 Expired` delivered as an ERROR event inside a 200 stream.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::cluster::{Event, Obj};
use crate::error::ApiError;
use crate::http::{Body, Query, Repr, Server, in_namespace, partial_metadata, snapshot};
use crate::objects;
use crate::registry::ResourceDef;
use crate::selector::Selectors;
use crate::store::ChangeKind;
use crate::table::{self, IncludeObject};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// Bookmarks keep idle clients (kube-rs restarts a watch silent for timeout+5s) informed.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(30);

struct Stream {
    def: Arc<ResourceDef>,
    ns: Option<String>,
    selectors: Selectors,
    repr: Repr,
    include: IncludeObject,
    columns_sent: bool,
    tx: mpsc::Sender<Result<Frame<Bytes>, std::convert::Infallible>>,
}

impl Stream {
    fn encode(&mut self, kind: &str, obj: &Obj) -> Bytes {
        let mut line: Vec<u8> = Vec::with_capacity(obj.json.len() + 32);
        line.extend_from_slice(b"{\"type\":\"");
        line.extend_from_slice(kind.as_bytes());
        line.extend_from_slice(b"\",\"object\":");
        match self.repr {
            Repr::Json if objects::stored_bytes_usable(&self.def, obj) => {
                line.extend_from_slice(&obj.json)
            }
            Repr::Json => line.extend_from_slice(
                &serde_json::to_vec(&objects::to_view(&self.def, &obj.value)).unwrap_or_default(),
            ),
            Repr::Metadata => line.extend_from_slice(
                &serde_json::to_vec(&partial_metadata(&obj.value)).unwrap_or_default(),
            ),
            Repr::Table => {
                let view = objects::to_view(&self.def, &obj.value);
                let t = table::table(
                    &self.def,
                    &[view],
                    self.include,
                    &obj.rev.to_string(),
                    "",
                    !self.columns_sent,
                );
                self.columns_sent = true;
                line.extend_from_slice(&serde_json::to_vec(&t).unwrap_or_default());
            }
        }
        line.extend_from_slice(b"}\n");
        Bytes::from(line)
    }

    async fn send(&self, bytes: Bytes) -> bool {
        self.tx.send(Ok(Frame::data(bytes))).await.is_ok()
    }

    async fn send_value(&self, event: &Value) -> bool {
        let mut line = serde_json::to_vec(event).unwrap_or_default();
        line.push(b'\n');
        self.send(Bytes::from(line)).await
    }

    async fn bookmark(&self, rev: u64, initial_end: bool) -> bool {
        let mut metadata = json!({"resourceVersion": rev.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": metadata});
        self.send_value(&json!({"type": "BOOKMARK", "object": object}))
            .await
    }

    async fn error(&self, err: &ApiError) -> bool {
        self.send_value(&json!({"type": "ERROR", "object": err.to_status()}))
            .await
    }

    fn matches(&self, obj: &Obj) -> bool {
        self.selectors.matches(&self.def, &obj.value)
    }

    /// The event this watch shows for a change, after namespace and selector filtering.
    fn translate(&mut self, ev: &Event) -> Option<Bytes> {
        if ev.store != self.def.store || !in_namespace(&ev.key, self.ns.as_deref()) {
            return None;
        }
        let now = self.matches(&ev.obj);
        let before = ev.prev.as_ref().is_some_and(|p| self.matches(p));
        let kind = match ev.kind {
            ChangeKind::Added if now => "ADDED",
            ChangeKind::Modified if now && before => "MODIFIED",
            ChangeKind::Modified if now => "ADDED",
            ChangeKind::Modified if before => "DELETED",
            ChangeKind::Deleted if now || before => "DELETED",
            _ => return None,
        };
        Some(self.encode(kind, &ev.obj))
    }
}

/// Starts a watch; errors found before the stream starts are plain HTTP errors.
pub fn watch(
    server: Arc<Server>,
    def: Arc<ResourceDef>,
    ns: Option<String>,
    query: &Query,
    repr: Repr,
) -> Result<Response<Body>, ApiError> {
    let selectors = Selectors::parse(&def, query)?;
    let flag = |k: &str| matches!(query.get(k).map(String::as_str), Some("true" | "1"));
    let bookmarks = flag("allowWatchBookmarks");
    let send_initial = flag("sendInitialEvents");
    let rv_param = query
        .get("resourceVersion")
        .filter(|r| !r.is_empty())
        .cloned();
    if send_initial {
        if !bookmarks {
            return Err(ApiError::new(
                422,
                "Invalid",
                "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
            ));
        }
        if query.get("resourceVersionMatch").map(String::as_str) != Some("NotOlderThan") {
            return Err(ApiError::new(
                422,
                "Invalid",
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
    }
    let resume_from: Option<u64> = match (&rv_param, send_initial) {
        (Some(rv), false) if rv != "0" => Some(rv.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "resourceVersion: Invalid value: {rv:?}: must be a non-negative integer"
            ))
        })?),
        _ => None,
    };
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));

    // Snapshot (or replay) and subscription under one read lock: no gap, no duplicate.
    let (rx, initial, replay, start_rev, expired) = {
        let cluster = server.shared.read();
        let rx = server.shared.subscribe();
        match resume_from {
            None => {
                let objs = snapshot(&cluster, &def.store, ns.as_deref(), cluster.rev, "")?;
                (
                    rx,
                    objs.into_iter().map(|(_, o)| o).collect::<Vec<_>>(),
                    Vec::new(),
                    cluster.rev,
                    None,
                )
            }
            Some(rv) if rv < cluster.compacted => {
                let err = ApiError::expired(format!(
                    "too old resource version: {rv} ({})",
                    cluster.compacted + 1
                ));
                (rx, Vec::new(), Vec::new(), cluster.rev, Some(err))
            }
            Some(rv) => {
                let replay: Vec<Arc<Event>> = cluster
                    .history
                    .range(cluster.history_after(rv)..)
                    .cloned()
                    .collect();
                (rx, Vec::new(), replay, rv.max(cluster.rev), None)
            }
        }
    };
    let (tx, body_rx) = mpsc::channel(1024);
    let mut stream = Stream {
        def,
        ns,
        selectors,
        repr,
        include,
        columns_sent: false,
        tx,
    };
    let mut shutdown = server.shutdown.clone();
    let shared = server.shared.clone();
    tokio::spawn(async move {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        if let Some(err) = expired {
            stream.error(&err).await;
            return;
        }
        let mut last_rev = resume_from.unwrap_or(start_rev);
        for obj in &initial {
            if stream.matches(obj) {
                let line = stream.encode("ADDED", obj);
                if !stream.send(line).await {
                    return;
                }
            }
        }
        for ev in &replay {
            last_rev = last_rev.max(ev.rev);
            if let Some(line) = stream.translate(ev)
                && !stream.send(line).await
            {
                return;
            }
        }
        if send_initial && !stream.bookmark(start_rev, true).await {
            return;
        }
        let mut rx: broadcast::Receiver<Arc<Event>> = rx;
        let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
        ticker.tick().await;
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(ev) => {
                        // Events already replayed from history are skipped.
                        if ev.rev <= last_rev {
                            continue;
                        }
                        last_rev = ev.rev;
                        if let Some(line) = stream.translate(&ev)
                            && !stream.send(line).await
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        stream.error(&ApiError::expired(format!(
                            "the watch fell behind the event stream after resource version {last_rev}; relist"
                        ))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = ticker.tick(), if bookmarks => {
                    let published = shared.published_rev();
                    if rx.is_empty() {
                        last_rev = last_rev.max(published);
                    }
                    if !stream.bookmark(last_rev, false).await {
                        return;
                    }
                }
                _ = &mut deadline => {
                    if bookmarks {
                        if rx.is_empty() {
                            last_rev = last_rev.max(shared.published_rev());
                        }
                        stream.bookmark(last_rev, false).await;
                    }
                    return;
                }
                _ = shutdown.changed() => return,
                _ = stream.tx.closed() => return,
            }
        }
    });
    let body_stream = futures::stream::unfold(body_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut resp = Response::new(StreamBody::new(body_stream).boxed());
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
