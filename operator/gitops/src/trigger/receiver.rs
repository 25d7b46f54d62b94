//! The webhook receiver: `POST /hooks/git/<source>` as an axum router to mount on an
//! existing HTTP server. Each delivery is judged by [`super::webhook::judge`]; an authentic
//! push of the followed reference notifies the source's sync, anything else fetches nothing.
//!
//! Answers: 200 when a fetch was triggered (and for GitHub's `ping`), 202 for an authentic
//! delivery this source ignores (another branch, another event), 401 for a missing or wrong
//! signature or token, 400 for a push payload that is not JSON, 404 for an unknown source,
//! 413 for a body over [`MAX_BODY_BYTES`]. Neither the secret nor the body is ever logged.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::Notify;

use super::webhook::{Delivery, Refusal, Verdict, judge};
use crate::source::GitReference;

/// Deliveries larger than this are refused unread (push payloads are a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A source's shared webhook secret; replaceable while serving (when its Secret changes).
/// Its `Debug` never shows the value.
#[derive(Clone, Default)]
pub struct WebhookSecret(Arc<RwLock<Vec<u8>>>);

impl WebhookSecret {
    pub fn new(value: Vec<u8>) -> Self {
        Self(Arc::new(RwLock::new(value)))
    }

    /// Replaces the value; deliveries judged afterwards use the new one.
    pub fn replace(&self, value: Vec<u8>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = value;
    }

    fn value(&self) -> Vec<u8> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// One source the receiver serves: what it follows, its secret, and its sync's trigger.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub reference: GitReference,
    pub secret: WebhookSecret,
    pub trigger: Arc<Notify>,
}

type Targets = Arc<BTreeMap<String, WebhookTarget>>;

/// The router serving `POST /hooks/git/<source>` for `targets` (keyed by source name).
pub fn webhook_router(targets: BTreeMap<String, WebhookTarget>) -> Router {
    Router::new()
        .route("/hooks/git/{source}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Arc::new(targets))
}

async fn receive(
    State(targets): State<Targets>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let Some(target) = targets.get(&source) else {
        return (StatusCode::NOT_FOUND, format!("no Git source `{source}`\n"));
    };
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let delivery = Delivery {
        github_signature: header("x-hub-signature-256"),
        github_event: header("x-github-event"),
        gitlab_token: header("x-gitlab-token"),
        gitlab_event: header("x-gitlab-event"),
        generic_signature: header("x-signature"),
        body: &body,
    };
    let verdict = judge(&delivery, &target.secret.value(), &target.reference);
    answer(&source, target, verdict)
}

/// Acts on the verdict (notifies the sync for a fetch) and words the answer.
fn answer(
    source: &str,
    target: &WebhookTarget,
    verdict: Result<Verdict, Refusal>,
) -> (StatusCode, String) {
    match verdict {
        Ok(Verdict::Fetch) => {
            target.trigger.notify_one();
            tracing::info!(source, "webhook push: fetching now");
            (StatusCode::OK, String::from("fetch triggered\n"))
        }
        Ok(Verdict::Pong) => (StatusCode::OK, String::from("pong\n")),
        Ok(Verdict::Ignored { reason }) => {
            tracing::debug!(source, %reason, "webhook delivery ignored");
            (StatusCode::ACCEPTED, format!("ignored: {reason}\n"))
        }
        Err(refusal @ Refusal::Unauthenticated(_)) => {
            tracing::warn!(source, %refusal, "webhook delivery refused");
            (StatusCode::UNAUTHORIZED, format!("{refusal}\n"))
        }
        Err(refusal @ Refusal::BadRequest(_)) => {
            tracing::warn!(source, %refusal, "webhook delivery refused");
            (StatusCode::BAD_REQUEST, format!("{refusal}\n"))
        }
    }
}
