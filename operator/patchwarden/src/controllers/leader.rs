//! Leader election over a `coordination.k8s.io/v1` Lease.
//!
//! Only the holder of the Lease runs controllers. The holder renews the Lease every
//! `retry_period`; a candidate takes the Lease over once `renewTime + leaseDurationSeconds`
//! has passed. Every write is guarded by the `resourceVersion` that was read, so two
//! candidates racing for an expired Lease cannot both win: the loser gets a 409 Conflict.
//! A holder that cannot renew within `renew_deadline` considers itself no longer leader and
//! stops its controllers before another candidate may take over (deadline < duration).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::PostParams;
use tokio::sync::watch;
use tokio::time::Instant;

/// Timing of leader election; the defaults follow client-go's (15s / 10s / 2s).
#[derive(Debug, Clone)]
pub struct LeaseTiming {
    /// How long a Lease stays valid after its last renewal.
    pub lease_duration: Duration,
    /// How long the holder keeps acting without a successful renewal.
    pub renew_deadline: Duration,
    /// Time between attempts to acquire or renew.
    pub retry_period: Duration,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        Self {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// Errors of one acquire/renew/release attempt.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The API server refused or failed the request.
    #[error("lease {namespace}/{name}: {source}")]
    Api {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// One candidate for a Lease.
#[derive(Clone)]
pub struct LeaderElector {
    api: Api<Lease>,
    namespace: String,
    name: String,
    identity: String,
    timing: LeaseTiming,
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// We hold the Lease (acquired or renewed).
    Leading,
    /// Someone else holds a valid Lease.
    Following { holder: String },
}

impl LeaderElector {
    /// A candidate `identity` for Lease `namespace/name`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        timing: LeaseTiming,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
            name: name.to_string(),
            identity: identity.to_string(),
            timing,
        }
    }

    /// This candidate's identity as written into `holderIdentity`.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    fn api_error(&self, source: kube::Error) -> LeaseError {
        LeaseError::Api {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            source,
        }
    }

    fn lease_seconds(&self) -> i32 {
        i32::try_from(self.timing.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX)
    }

    /// Acquires, renews or observes the Lease once. A lost write race (409) reads as
    /// `Following`, never as an error.
    pub async fn try_acquire_or_renew(&self) -> Result<Attempt, LeaseError> {
        let now = Timestamp::now();
        let existing = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.api_error(e))?;
        let Some(mut lease) = existing else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    namespace: Some(self.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(self.lease_seconds()),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Leading),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(Attempt::Following {
                    holder: String::from("unknown"),
                }),
                Err(e) => Err(self.api_error(e)),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let held_by_me = holder == self.identity;
        if !held_by_me && !holder.is_empty() && !lease_expired(&spec, now) {
            return Ok(Attempt::Following { holder });
        }
        let mut new_spec = spec.clone();
        if !held_by_me {
            new_spec.acquire_time = Some(MicroTime(now));
            new_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        new_spec.holder_identity = Some(self.identity.clone());
        new_spec.lease_duration_seconds = Some(self.lease_seconds());
        new_spec.renew_time = Some(MicroTime(now));
        lease.spec = Some(new_spec);
        // `replace` sends the resourceVersion we read: a concurrent writer makes this a 409.
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(Attempt::Leading),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                Ok(Attempt::Following { holder })
            }
            Err(e) => Err(self.api_error(e)),
        }
    }

    /// Gives the Lease up so another candidate can take it at once (clean shutdown).
    pub async fn release(&self) -> Result<(), LeaseError> {
        let Some(mut lease) = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.api_error(e))?
        else {
            return Ok(());
        };
        let mut spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        lease.spec = Some(spec);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(e) => Err(self.api_error(e)),
        }
    }

    /// Runs the election until `shutdown` fires, publishing leadership on the returned
    /// channel: `true` while this candidate may act. Releases the Lease on shutdown.
    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let mut last_renewal: Option<Instant> = None;
            loop {
                let leading = match self.try_acquire_or_renew().await {
                    Ok(Attempt::Leading) => {
                        last_renewal = Some(Instant::now());
                        true
                    }
                    Ok(Attempt::Following { holder }) => {
                        if *tx.borrow() {
                            tracing::warn!(%holder, lease = %self.name, "lost the lease to another holder");
                        }
                        last_renewal = None;
                        false
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "lease renewal failed");
                        // Keep acting only while the renew deadline has not passed.
                        last_renewal.is_some_and(|at| at.elapsed() < self.timing.renew_deadline)
                    }
                };
                if leading != *tx.borrow() {
                    if leading {
                        tracing::info!(identity = %self.identity, lease = %self.name, "acquired the lease; starting controllers");
                    } else {
                        tracing::warn!(identity = %self.identity, lease = %self.name, "not the leader any more; stopping controllers");
                    }
                    let _ = tx.send(leading);
                }
                tokio::select! {
                    _ = tokio::time::sleep(self.timing.retry_period) => {}
                    _ = shutdown.changed() => break,
                }
                if *shutdown.borrow() {
                    break;
                }
            }
            let _ = tx.send(false);
            if let Err(err) = self.release().await {
                tracing::warn!(error = %err, "could not release the lease");
            }
        });
        rx
    }
}

/// Whether the Lease's last renewal is older than its duration at `now`.
fn lease_expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let Some(renewed) = spec.renew_time.as_ref() else {
        return true;
    };
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    renewed.0 + SignedDuration::from_secs(seconds) < now
}

/// A unique identity for this process: host name, process id and start time.
pub fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| String::from("localhost"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{host}-{}-{nanos:08x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(renewed_secs_ago: i64, duration: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some("a".into()),
            lease_duration_seconds: Some(duration),
            renew_time: Some(MicroTime(
                Timestamp::now() - SignedDuration::from_secs(renewed_secs_ago),
            )),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn lease_expires_after_its_duration() {
        assert!(!lease_expired(&spec(5, 15), Timestamp::now()));
        assert!(lease_expired(&spec(20, 15), Timestamp::now()));
        assert!(lease_expired(&LeaseSpec::default(), Timestamp::now()));
    }
}
