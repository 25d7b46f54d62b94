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
use tokio::time::Instant;

use crate::capacity::{WatchSlot, watch_timeout};
use crate::cluster::{Event, Obj, Shared};
use crate::error::ApiError;
use crate::http::{Body, Query, Repr, Server, in_namespace, partial_metadata, snapshot};
use crate::json;
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
                &serde_json::to_vec(&objects::to_view(&self.def, &obj.value())).unwrap_or_default(),
            ),
            Repr::Metadata => line.extend_from_slice(
                &serde_json::to_vec(&partial_metadata(obj.metadata())).unwrap_or_default(),
            ),
            Repr::Table => {
                let view = objects::to_view(&self.def, &obj.value());
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
            json::set(
                &mut metadata,
                "annotations",
                json!({"k8s.io/initial-events-end": "true"}),
            );
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
        self.selectors.matches(&self.def, obj)
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

/// What a watch request asks for.
struct WatchRequest {
    selectors: Selectors,
    /// `allowWatchBookmarks`.
    bookmarks: bool,
    /// `sendInitialEvents`: a streaming list, ended by a bookmark.
    send_initial: bool,
    /// The revision to resume after; None starts with the current state.
    resume_from: Option<u64>,
    timeout: Duration,
    include: IncludeObject,
}

impl WatchRequest {
    fn parse(
        def: &ResourceDef,
        query: &Query,
        max_timeout: Duration,
    ) -> Result<WatchRequest, ApiError> {
        let selectors = Selectors::parse(def, query)?;
        let flag = |k: &str| matches!(query.get(k).map(String::as_str), Some("true" | "1"));
        let bookmarks = flag("allowWatchBookmarks");
        let send_initial = flag("sendInitialEvents");
        if send_initial {
            check_streaming_list(query, bookmarks)?;
        }
        let rv_param = query.get("resourceVersion").filter(|r| !r.is_empty());
        let resume_from: Option<u64> = match rv_param {
            Some(rv) if !send_initial && rv != "0" => Some(rv.parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "resourceVersion: Invalid value: {rv:?}: must be a non-negative integer"
                ))
            })?),
            _ => None,
        };
        let timeout = watch_timeout(
            query.get("timeoutSeconds").map(String::as_str),
            DEFAULT_TIMEOUT,
            max_timeout,
        );
        Ok(WatchRequest {
            selectors,
            bookmarks,
            send_initial,
            resume_from,
            timeout,
            include: IncludeObject::parse(query.get("includeObject").map(String::as_str)),
        })
    }
}

/// A streaming list needs bookmarks (its end is one) and `resourceVersionMatch=NotOlderThan`.
fn check_streaming_list(query: &Query, bookmarks: bool) -> Result<(), ApiError> {
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
    Ok(())
}

/// Where a watch starts: the live event feed, and either the current objects (sent as ADDED),
/// the retained events after the resume revision, or the 410 for a compacted one.
struct Start {
    rx: broadcast::Receiver<Arc<Event>>,
    initial: Vec<Arc<Obj>>,
    replay: Vec<Arc<Event>>,
    /// The revision of the initial state (the end bookmark of a streaming list).
    rev: u64,
    expired: Option<ApiError>,
}

/// Takes the snapshot (or replay) and subscribes under one read lock: no gap, no duplicate.
fn start(
    server: &Server,
    def: &ResourceDef,
    ns: Option<&str>,
    resume_from: Option<u64>,
) -> Result<Start, ApiError> {
    let cluster = server.shared.read();
    let rx = server.shared.subscribe();
    let mut start = Start {
        rx,
        initial: Vec::new(),
        replay: Vec::new(),
        rev: cluster.rev,
        expired: None,
    };
    match resume_from {
        None => {
            let objs = snapshot(&cluster, &def.store, ns, cluster.rev, "")?;
            start.initial = objs.into_iter().map(|(_, o)| o).collect();
        }
        Some(rv) => match cluster.events_after(rv) {
            Some(replay) => {
                start.replay = replay;
                start.rev = rv.max(cluster.rev);
            }
            None => {
                start.expired = Some(ApiError::expired(format!(
                    "too old resource version: {rv} ({})",
                    cluster.compacted + 1
                )));
            }
        },
    }
    Ok(start)
}

/// Sends the start of the stream: the 410 of a compacted resume revision, or the initial
/// objects, the replayed events and the end bookmark of a streaming list. Returns the last
/// revision sent, or None when the stream is over.
async fn send_start(
    stream: &mut Stream,
    start: &Start,
    first_rev: u64,
    end_bookmark: bool,
) -> Option<u64> {
    if let Some(err) = &start.expired {
        stream.error(err).await;
        return None;
    }
    for obj in &start.initial {
        if stream.matches(obj) {
            let line = stream.encode("ADDED", obj);
            if !stream.send(line).await {
                return None;
            }
        }
    }
    let last_rev = send_events(stream, &start.replay, first_rev).await?;
    if end_bookmark && !stream.bookmark(start.rev, true).await {
        return None;
    }
    Some(last_rev)
}

/// Sends retained events in order; returns the last revision sent, or None when the stream is
/// over.
async fn send_events(stream: &mut Stream, events: &[Arc<Event>], mut last_rev: u64) -> Option<u64> {
    for ev in events {
        last_rev = last_rev.max(ev.rev);
        if let Some(line) = stream.translate(ev)
            && !stream.send(line).await
        {
            return None;
        }
    }
    Some(last_rev)
}

/// Following the live events until the client goes, the timeout passes or the server stops.
struct Follow {
    bookmarks: bool,
    deadline: Instant,
    shutdown: tokio::sync::watch::Receiver<bool>,
    shared: Arc<Shared>,
}

impl Follow {
    async fn run(
        mut self,
        stream: &mut Stream,
        mut rx: broadcast::Receiver<Arc<Event>>,
        mut last_rev: u64,
    ) {
        let deadline = tokio::time::sleep_until(self.deadline);
        tokio::pin!(deadline);
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
                        // The feed keeps only the latest events; the history keeps more. The
                        // two are written under one lock, so the feed's later events follow
                        // these without a gap.
                        let missed = self.shared.read().events_after(last_rev);
                        let Some(missed) = missed else {
                            stream.error(&ApiError::expired(format!(
                                "the watch fell behind the event history after resource version {last_rev}; relist"
                            ))).await;
                            return;
                        };
                        match send_events(stream, &missed, last_rev).await {
                            Some(sent) => last_rev = sent,
                            None => return,
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = ticker.tick(), if self.bookmarks => {
                    last_rev = self.caught_up(&rx, last_rev);
                    if !stream.bookmark(last_rev, false).await {
                        return;
                    }
                }
                _ = &mut deadline => {
                    if self.bookmarks {
                        stream.bookmark(self.caught_up(&rx, last_rev), false).await;
                    }
                    return;
                }
                _ = self.shutdown.changed() => return,
                _ = stream.tx.closed() => return,
            }
        }
    }

    /// With no event waiting, the watch has seen everything published: a bookmark may carry
    /// the latest revision even when no event of this watch's kind came. The published
    /// revision is read first: events are sent before their revision is published, so every
    /// event up to it is queued by then, and an empty queue means none is left unsent.
    fn caught_up(&self, rx: &broadcast::Receiver<Arc<Event>>, last_rev: u64) -> u64 {
        let published = self.shared.published_rev();
        if rx.is_empty() {
            last_rev.max(published)
        } else {
            last_rev
        }
    }
}

/// Starts a watch; errors found before the stream starts are plain HTTP errors.
pub fn watch(
    server: Arc<Server>,
    def: Arc<ResourceDef>,
    ns: Option<String>,
    query: &Query,
    repr: Repr,
    slot: WatchSlot,
) -> Result<Response<Body>, ApiError> {
    let request = WatchRequest::parse(&def, query, server.limits.max_watch_timeout)?;
    let start = start(&server, &def, ns.as_deref(), request.resume_from)?;
    let (tx, body_rx) = mpsc::channel(1024);
    let stream = Stream {
        def,
        ns,
        selectors: request.selectors,
        repr,
        include: request.include,
        columns_sent: false,
        tx,
    };
    let follow = Follow {
        bookmarks: request.bookmarks,
        deadline: Instant::now() + request.timeout,
        shutdown: server.shutdown.clone(),
        shared: server.shared.clone(),
    };
    let first_rev = request.resume_from.unwrap_or(start.rev);
    let end_bookmark = request.send_initial;
    tokio::spawn(async move {
        // The user's watch slot is held as long as the watch runs.
        let _slot = slot;
        let mut stream = stream;
        if let Some(last_rev) = send_start(&mut stream, &start, first_rev, end_bookmark).await {
            follow.run(&mut stream, start.rx, last_rev).await;
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
