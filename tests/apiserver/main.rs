//! The embedded control plane through real clients: the real kubectl, the kube-rs runtime,
//! raw HTTP for what no client sends, and the `patchwarden apiserver` process (SIGTERM,
//! SIGKILL, restarts on the same data).

mod apiserver_command;
mod bad_requests;
mod durability;
mod hardening;
mod host_and_handshake;
mod hostile_bodies;
mod hostile_corpus;
mod kube_runtime;
mod kubectl_auth_can_i;
mod kubectl_drain;
mod kubectl_e2e;
mod kubectl_product;
mod kubectl_protobuf;
mod watch_lag;

/// The test CRD: a namespaced Widget with printer columns, a status subresource and a schema
/// with defaults, enums, bounds and required fields.
pub const WIDGET_CRD: &str = include_str!("fixtures/widget-crd.yaml");
