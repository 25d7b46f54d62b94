//! The Kubernetes deployment path: the Helm chart rendered and linted by the real Helm, its
//! manifests checked against the Kubernetes OpenAPI schemas and applied with the real kubectl
//! to the embedded control plane; the image built without a Docker daemon and run; the Argo CD
//! health script run by a real Lua interpreter and Flux's kstatus rules, both against the
//! statuses the controllers write; the examples applied as a directory.

mod chart_crds;
mod dashboard;
mod examples;
mod health;
mod helm;
mod image;
mod kstatus;
mod lua;
mod tools;
