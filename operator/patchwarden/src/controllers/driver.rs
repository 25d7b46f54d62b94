//! The shared reconcile driver: runs a kind's `Controller` with its reconcile function and
//! wraps every reconcile with timing, metrics, tracing, the terminal-error path and the
//! transient-error backoff.
//!
//! The terminal path lives here and nowhere else: a reconcile that returns
//! [`ReconcileError::Terminal`] has its object shown as `Stalled` (the kind's
//! [`StalledStatus`] plus the `Stalled` and `Ready` conditions), is counted under the
//! `terminal` error label, and waits for a change of the object.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use kube::Resource;
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use patchwarden_api::CommonStatus;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ReconcileError, Terminal};
use super::{Context, mark_stalled, now, object_key, status};

/// A kind the driver reconciles: what its status keeps while its spec is invalid.
pub trait StalledStatus:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + DeserializeOwned
    + Serialize
    + Debug
    + Send
    + Sync
    + 'static
{
    /// The kind's status type.
    type Status: CommonStatus + Serialize + Send + Sync;

    /// The status written beside `Stalled=True`, before the conditions are set: the stored
    /// conditions, `observedGeneration` of this spec, and whatever else of the stored status
    /// stays true while the spec cannot be acted on.
    fn stalled_status(&self) -> Self::Status;
}

/// The status that shows `terminal` on `object`: its [`StalledStatus`] with `Stalled=True`
/// and `Ready=False` carrying the terminal reason and message.
pub fn stalled<K: StalledStatus>(
    object: &K,
    terminal: &Terminal,
    now: chrono::DateTime<chrono::Utc>,
) -> K::Status {
    let mut desired = object.stalled_status();
    mark_stalled(
        desired.conditions_mut(),
        terminal.reason,
        &terminal.message,
        object.meta().generation,
        now,
    );
    desired
}

/// One reconcile of `object` by the controller `name`, timed and counted. A terminal error
/// is shown as `Stalled` here and becomes `Action::await_change()` (or its slow retry); a failure to write that
/// status is returned as the (transient) error instead, so it is retried.
pub async fn reconcile_once<K, F, Fut>(
    name: &'static str,
    reconcile: &F,
    object: Arc<K>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError>
where
    K: StalledStatus,
    F: Fn(Arc<K>, Arc<Context>) -> Fut,
    Fut: Future<Output = Result<Action, ReconcileError>>,
{
    let key = object_key(object.as_ref());
    let started = Instant::now();
    let result = match reconcile(object.clone(), context.clone()).await {
        Err(ReconcileError::Terminal(terminal)) => {
            context
                .metrics
                .reconcile_failed(name, super::error::TERMINAL);
            tracing::warn!(controller = name, object = %key, reason = terminal.reason, message = %terminal.message, "stalled");
            let api = context.api_for::<K, _>(object.as_ref());
            let desired = stalled(object.as_ref(), &terminal, now());
            status::write_status(&api, object.as_ref(), &desired)
                .await
                .map(|_| terminal.action())
                .map_err(ReconcileError::from)
        }
        other => other,
    };
    context.metrics.reconciled(name, started.elapsed());
    match &result {
        Ok(action) => {
            context.backoff.succeeded(&key);
            tracing::debug!(controller = name, object = %key, ?action, "reconciled");
        }
        Err(err) => context.metrics.reconcile_failed(name, err.kind()),
    }
    result
}

/// Runs `controller` with `reconcile` until its graceful shutdown trigger fires, each
/// reconcile going through [`reconcile_once`].
pub async fn drive<K, F, Fut>(
    name: &'static str,
    controller: Controller<K>,
    context: Arc<Context>,
    reconcile: F,
) where
    K: StalledStatus,
    F: Fn(Arc<K>, Arc<Context>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Action, ReconcileError>> + Send + 'static,
{
    let reconcile = Arc::new(reconcile);
    controller
        .run(
            move |object: Arc<K>, context: Arc<Context>| {
                let reconcile = reconcile.clone();
                async move { reconcile_once(name, reconcile.as_ref(), object, context).await }
            },
            move |object: Arc<K>, err: &ReconcileError, context: Arc<Context>| {
                let key = object_key(object.as_ref());
                match err {
                    // `reconcile_once` shows terminal errors; should one arrive here, only a
                    // change can help all the same.
                    ReconcileError::Terminal(terminal) => terminal.action(),
                    _ => {
                        let delay = context.backoff.next_delay(&key);
                        tracing::warn!(controller = name, object = %key, error = %err, retry_in = ?delay, "reconcile failed");
                        Action::requeue(delay)
                    }
                }
            },
            context,
        )
        .for_each(|result| async move {
            if let Err(err) = result {
                tracing::debug!(controller = name, error = %err, "controller event");
            }
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::PostParams;
    use patchwarden_api::conditions::{self as c, reason};
    use patchwarden_api::maintenance_window::{MaintenanceWindow, MaintenanceWindowSpec};
    use patchwarden_api::values::{CronScheduleValue, DurationValue, TimeZoneName};

    use crate::controllers::error::TERMINAL;
    use crate::controllers::test_control_plane::{context, control_plane};

    fn window(schedule: &str) -> MaintenanceWindow {
        let mut window = MaintenanceWindow::new(
            "nightly",
            MaintenanceWindowSpec {
                schedule: CronScheduleValue::new(schedule),
                time_zone: TimeZoneName::new("UTC"),
                duration: DurationValue::new("1h"),
                ..MaintenanceWindowSpec::default()
            },
        );
        window.metadata.namespace = Some(String::from("default"));
        window.metadata.generation = Some(3);
        window
    }

    fn condition<'a>(
        conditions: &'a [k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
        type_: &str,
    ) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
        conditions.iter().find(|c| c.type_ == type_)
    }

    #[test]
    fn a_terminal_error_shows_as_stalled_and_not_ready_with_its_reason() {
        let terminal = Terminal::reference_not_found("spec.window: no such window");
        let status = stalled(&window("0 2 * * *"), &terminal, chrono::Utc::now());
        let stalled = condition(&status.conditions, c::STALLED).expect("Stalled");
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            (c::TRUE, reason::REFERENCE_NOT_FOUND)
        );
        assert_eq!(stalled.message, "spec.window: no such window");
        assert_eq!(stalled.observed_generation, Some(3));
        let ready = condition(&status.conditions, c::READY).expect("Ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            (c::FALSE, reason::REFERENCE_NOT_FOUND)
        );
        assert_eq!(status.observed_generation, Some(3));
    }

    #[test]
    fn terminal_errors_carry_the_terminal_metric_label() {
        let error = ReconcileError::from(Terminal::invalid_spec("spec.schedule: bad"));
        assert_eq!(error.kind(), TERMINAL);
        let transient = ReconcileError::transient("collecting the inventory", "connection reset");
        assert_eq!(transient.kind(), super::super::error::TRANSIENT);
    }

    #[tokio::test]
    async fn the_driver_writes_a_terminal_error_as_stalled_counts_it_and_waits_for_a_change() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (server, client) = control_plane(dir.path(), &["MaintenanceWindow"]).await;
        let windows: kube::Api<MaintenanceWindow> =
            kube::Api::namespaced(client.clone(), "default");
        let created = windows
            .create(&PostParams::default(), &window("not a cron"))
            .await
            .expect("window created");
        let context = Arc::new(context(client));
        let reconcile = |_: Arc<MaintenanceWindow>, _: Arc<Context>| async {
            Err(Terminal::invalid_spec("spec.schedule: not a cron expression").into())
        };

        let action = reconcile_once(
            "MaintenanceWindow",
            &reconcile,
            Arc::new(created),
            context.clone(),
        )
        .await
        .expect("a terminal error is handled, not retried");

        assert_eq!(action, Action::await_change());
        let stored = windows.get("nightly").await.expect("window");
        let conditions = stored.status.expect("status written").conditions;
        let stalled = condition(&conditions, c::STALLED).expect("Stalled");
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            (c::TRUE, reason::INVALID_SPEC)
        );
        assert_eq!(stalled.message, "spec.schedule: not a cron expression");
        let metrics = context.metrics.encode();
        assert!(
            metrics.contains(
                "patchwarden_reconcile_errors_total{controller=\"MaintenanceWindow\",kind=\"terminal\"} 1"
            ),
            "{metrics}"
        );
        assert!(!metrics.contains("kind=\"transient\""), "{metrics}");
        server.shutdown().await;
    }
}
