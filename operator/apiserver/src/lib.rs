//! patchwarden-apiserver: a small Kubernetes-compatible API server persisted in SQLite.
