//! Kubernetes Events for transitions a person would want to see.
//!
//! Publishing an Event is best effort: a failure is logged and never fails a reconcile,
//! because the status written beside it is the record of truth.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Resource, ResourceExt};

/// Name under which the controllers report Events.
pub const REPORTING_CONTROLLER: &str = "patchwarden";

/// Recorders Events are spread over, by the object they concern. A recorder keeps the Events
/// of the last minutes (to count repeats into a series) and sweeps that whole cache under a
/// lock on every publish: one recorder for a fleet of 10,000 Assets swept 10,000 entries per
/// Event and made every reconcile wait for the others'.
const RECORDER_SHARDS: usize = 64;

/// Publishes Events about our resources.
#[derive(Clone)]
pub struct EventRecorder {
    /// An object's Events always go through the same recorder, so its repeats still form
    /// one series.
    recorders: Arc<[Recorder]>,
}

impl EventRecorder {
    /// A recorder reporting as `patchwarden` from `instance`.
    pub fn new(client: kube::Client, instance: &str) -> Self {
        let reporter = Reporter {
            controller: REPORTING_CONTROLLER.to_string(),
            instance: Some(instance.to_string()),
        };
        Self {
            recorders: (0..RECORDER_SHARDS)
                .map(|_| Recorder::new(client.clone(), reporter.clone()))
                .collect(),
        }
    }

    /// The recorder of the object `reference` names.
    fn recorder_of(&self, reference: &ObjectReference) -> &Recorder {
        let mut hasher = DefaultHasher::new();
        (&reference.kind, &reference.namespace, &reference.name).hash(&mut hasher);
        let shard = usize::try_from(hasher.finish() % RECORDER_SHARDS as u64).unwrap_or(0);
        &self.recorders[shard]
    }

    /// A `Normal` Event on `object`.
    pub async fn normal<K>(&self, object: &K, reason: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        self.publish(object, EventType::Normal, reason, note).await;
    }

    /// A `Warning` Event on `object`.
    pub async fn warning<K>(&self, object: &K, reason: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        self.publish(object, EventType::Warning, reason, note).await;
    }

    async fn publish<K>(&self, object: &K, type_: EventType, reason: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        // Event notes are limited to 1 kB by the API.
        let note: String = note.chars().take(1000).collect();
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: reason.to_string(),
            secondary: None,
        };
        let reference = object.object_ref(&());
        let recorder = self.recorder_of(&reference);
        if let Err(err) = recorder.publish(&event, &reference).await {
            tracing::warn!(object = %object.name_any(), %reason, error = %err, "could not publish an Event");
        }
    }
}
