//! How much of the server clients may hold at once: connections, time to send request headers
//! and bodies, open watches per user and their length, and queued writes. Past a limit a client
//! waits, is cut off or gets 429 with `Retry-After`; the server itself never runs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::ApiError;

/// The limits; [`ServerLimits::default`] suits one machine's control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// A client must send a request's headers within this time (slowloris).
    pub header_read_timeout: Duration,
    /// A client must send a request's body within this time.
    pub body_read_timeout: Duration,
    /// Watches one user (a token's user, or the anonymous loopback admin) may hold open.
    pub max_watches_per_user: usize,
    /// The longest a watch runs; a longer `timeoutSeconds` is clamped to it, as Kubernetes
    /// does with its minimum request timeout.
    pub max_watch_timeout: Duration,
    /// Writes waiting for the storage writer; more get 429.
    pub max_queued_writes: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            max_watches_per_user: 256,
            max_watch_timeout: Duration::from_secs(3600),
            max_queued_writes: 4096,
        }
    }
}

/// What a client told to wait is told to wait for.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// The raw answer to a connection over the limit, sent before it is closed.
pub const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 159\r\n\r\n\
{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\
\"message\":\"too many connections, try again later\",\"reason\":\"ServiceUnavailable\",\"code\":503}";

/// The open watches of each user.
#[derive(Debug, Default)]
pub struct WatchSlots {
    limit: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One open watch; the slot is given back when it drops (the watch ended).
#[derive(Debug)]
pub struct WatchSlot {
    slots: Arc<WatchSlots>,
    user: String,
}

impl WatchSlots {
    pub fn new(limit: usize) -> Arc<WatchSlots> {
        Arc::new(WatchSlots {
            limit,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for another watch of `user`, or 429 when the user holds the limit.
    pub fn acquire(self: &Arc<Self>, user: &str) -> Result<WatchSlot, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user.to_string()).or_insert(0);
        if *count >= self.limit {
            return Err(ApiError::too_many_requests(
                format!(
                    "too many open watches for this user (the limit is {}); close some or try again later",
                    self.limit
                ),
                RETRY_AFTER_SECONDS,
            ));
        }
        *count += 1;
        Ok(WatchSlot {
            slots: self.clone(),
            user: user.to_string(),
        })
    }

    /// The watches `user` holds open.
    #[cfg(test)]
    pub fn open_for(&self, user: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(user).copied().unwrap_or(0)
    }
}

impl Drop for WatchSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// A watch's `timeoutSeconds`: absent or zero takes `default`, and none runs past `max`.
pub fn watch_timeout(requested: Option<&str>, default: Duration, max: Duration) -> Duration {
    requested
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs)
        .unwrap_or(default)
        .min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_holds_at_most_the_limit_and_slots_come_back() {
        let slots = WatchSlots::new(2);
        let first = slots.acquire("alice").unwrap();
        let _second = slots.acquire("alice").unwrap();
        let refused = slots.acquire("alice").unwrap_err();
        assert_eq!((refused.code, refused.retry_after()), (429, Some(1)));
        let _bob = slots.acquire("bob").unwrap();
        drop(first);
        assert_eq!(slots.open_for("alice"), 1);
        assert!(slots.acquire("alice").is_ok());
    }

    #[test]
    fn watch_timeouts_are_clamped() {
        let (default, max) = (Duration::from_secs(1800), Duration::from_secs(3600));
        assert_eq!(watch_timeout(None, default, max), default);
        assert_eq!(watch_timeout(Some("0"), default, max), default);
        assert_eq!(watch_timeout(Some("x"), default, max), default);
        assert_eq!(
            watch_timeout(Some("5"), default, max),
            Duration::from_secs(5)
        );
        assert_eq!(watch_timeout(Some("99999999"), default, max), max);
        assert_eq!(
            watch_timeout(None, default, Duration::from_secs(60)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn the_refusal_is_well_formed_http() {
        let text = std::str::from_utf8(TOO_MANY_CONNECTIONS).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let status: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(status["code"], 503);
    }
}
