//! What makes the Git sync run before its interval elapses: a change of a local repository's
//! refs ([`local_watch`]) or a push event delivered to the webhook receiver ([`receiver`],
//! judged by the pure [`webhook`]). Both notify the `Notify` that
//! [`crate::sync::GitSync::run`] waits on beside its interval, which stays as the fallback.
//!
//! `Notify::notify_one` keeps one permit when the sync is busy, so a push that arrives during
//! a pass starts the next pass as soon as this one ends, and a burst of pushes costs one pass.

pub mod local_watch;
pub mod receiver;
pub mod webhook;

pub use local_watch::{LocalWatch, WatchError};
pub use receiver::{MAX_BODY_BYTES, WebhookSecret, WebhookTarget, webhook_router};
pub use webhook::{Delivery, Refusal, Verdict};
