//! How reconcile outcomes are classified and turned into requeues.
//!
//! Three kinds, as Flux does it: *terminal* (the spec is wrong; shown as `Stalled`, nothing
//! happens until the object changes), *waiting* (a window is closed or a dependency is not
//! ready; not an error, the reconcile asks to be requeued at a known time) and *transient*
//! (the API or an asset failed; retried with exponential backoff and jitter).
//!
//! # Reporting a terminal error
//!
//! A reconcile step that finds the spec unworkable returns a [`Terminal`] — the condition
//! reason and a message naming the field — and the reconcile passes it up with `?`
//! (`Terminal` converts into [`ReconcileError::Terminal`]):
//!
//! ```text
//! let definition = window_definition(&window.spec).map_err(Terminal::invalid_spec)?;
//! ```
//!
//! The shared driver ([`super::driver`]) does the rest: it writes the kind's
//! [`super::driver::StalledStatus`] with `Stalled=True` and `Ready=False` carrying the reason
//! and message, counts the reconcile under the `terminal` error label, and waits for the
//! object to change (`Action::await_change()`). A controller never writes `Stalled` itself;
//! what each kind's status keeps beside it is in [`super::stalled_status`].
//!
//! Step errors convert with `From`: into [`Terminal`] when only a change of the spec can
//! help (an invalid selector, feed source or format), into [`ReconcileError`] when some of
//! their cases are transient (a window that could not be read, a lab that could not be
//! opened). Transient errors keep their source error and say what was being done.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use kube::runtime::controller::Action;
use patchwarden_api::SpecError;
use patchwarden_api::conditions::reason;

use super::status::StatusError;

/// A spec that cannot work as written: the reconcile stops, the object shows
/// `Stalled=True` with `reason` and `message`, and only a change to it helps — or, with
/// `retry_after`, a change of something outside it that sends no event for the object (a
/// Secret it names being created), looked at again on that slow schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {message}")]
pub struct Terminal {
    /// The condition reason (`InvalidSpec`, `ReferenceNotFound`, `DependencyNotReady`, …).
    pub reason: &'static str,
    /// What is wrong, naming the field, for people.
    pub message: String,
    /// Look again after this long even without a change of the object.
    pub retry_after: Option<Duration>,
}

impl Terminal {
    /// A terminal error with `reason`.
    pub fn new(reason: &'static str, message: impl ToString) -> Self {
        Self {
            reason,
            message: message.to_string(),
            retry_after: None,
        }
    }

    /// The same error, looked at again after `delay` as well as on a change of the object.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// What the driver does once the error is shown: wait for a change of the object, or
    /// the slow retry.
    pub fn action(&self) -> Action {
        match self.retry_after {
            Some(delay) => requeue_after(delay),
            None => Action::await_change(),
        }
    }

    /// The spec itself is invalid (`InvalidSpec`).
    pub fn invalid_spec(message: impl ToString) -> Self {
        Self::new(reason::INVALID_SPEC, message)
    }

    /// The spec names an object that does not exist (`ReferenceNotFound`).
    pub fn reference_not_found(message: impl ToString) -> Self {
        Self::new(reason::REFERENCE_NOT_FOUND, message)
    }

    /// The spec names an object that is itself unusable (`DependencyNotReady`).
    pub fn dependency_not_ready(message: impl ToString) -> Self {
        Self::new(reason::DEPENDENCY_NOT_READY, message)
    }
}

impl From<SpecError> for Terminal {
    fn from(error: SpecError) -> Self {
        Self::invalid_spec(error)
    }
}

/// A failed reconcile.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The object's spec cannot work as written; a change to it is needed.
    #[error(transparent)]
    Terminal(#[from] Terminal),
    /// A request to the API server failed.
    #[error("API request failed: {0}")]
    Kube(#[from] kube::Error),
    /// Writing status failed.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// Something outside the API failed (an asset, a feed source, a lab) and may work on a
    /// later try.
    #[error("{doing}: {source}")]
    Transient {
        /// What the reconcile was doing, for people: `collecting the inventory`.
        doing: &'static str,
        /// Why it failed.
        #[source]
        source: BoxError,
    },
}

/// Any error, kept with its source chain.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The metric label of terminal errors.
pub const TERMINAL: &str = "terminal";
/// The metric label of transient errors.
pub const TRANSIENT: &str = "transient";

impl ReconcileError {
    /// A transient failure while `doing` something.
    pub fn transient(doing: &'static str, source: impl Into<BoxError>) -> Self {
        ReconcileError::Transient {
            doing,
            source: source.into(),
        }
    }

    /// `terminal` or `transient`, the label used in metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::Terminal(_) => TERMINAL,
            _ => TRANSIENT,
        }
    }
}

/// Per-object retry counts behind the exponential backoff of transient errors.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

/// First retry delay of a transient error.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// Longest retry delay.
const BACKOFF_MAX: Duration = Duration::from_secs(300);

impl Backoff {
    /// The delay before retrying `key` after one more failure: 2s doubling up to 5 minutes,
    /// with ±20% jitter so that many failing objects do not retry in lockstep.
    pub fn next_delay(&self, key: &str) -> Duration {
        let failures = match self.failures.lock() {
            Ok(mut map) => {
                let count = map.entry(key.to_string()).or_insert(0);
                *count = count.saturating_add(1);
                *count
            }
            Err(_) => 1,
        };
        let exponent = failures.saturating_sub(1).min(16);
        let base = BACKOFF_BASE
            .saturating_mul(1u32 << exponent)
            .min(BACKOFF_MAX);
        jitter(base, key)
    }

    /// Forgets the failures of `key` after a successful reconcile.
    pub fn succeeded(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

/// `delay` scaled by a factor in [0.8, 1.2) drawn from the clock and the key.
pub fn jitter(delay: Duration, key: &str) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .hash(&mut hasher);
    let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
    delay.mul_f64(0.8 + 0.4 * fraction)
}

/// A requeue `after` from now (waiting: a known time), never shorter than one second so
/// that a time in the past cannot spin.
pub fn requeue_after(after: Duration) -> Action {
    Action::requeue(after.max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_caps_and_resets() {
        let backoff = Backoff::default();
        let first = backoff.next_delay("a");
        assert!(first >= Duration::from_millis(1600) && first < Duration::from_millis(2400));
        let second = backoff.next_delay("a");
        assert!(second >= Duration::from_millis(3200) && second < Duration::from_millis(4800));
        for _ in 0..20 {
            backoff.next_delay("a");
        }
        assert!(backoff.next_delay("a") < Duration::from_secs(361));
        backoff.succeeded("a");
        assert!(backoff.next_delay("a") < Duration::from_millis(2400));
    }
}
