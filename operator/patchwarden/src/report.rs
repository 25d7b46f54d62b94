//! The report's I/O shell: reading the resources a report is computed from, and serving the
//! report at `/report` (HTML) and `/report.json` beside `/metrics` and `/healthz`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::SubsecRound as _;
use kube::api::ListParams;
use patchwarden_api::asset::Asset;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_report::{ReportInput, build, render_html};

/// Reading the resources failed.
#[derive(Debug, thiserror::Error)]
#[error("listing {kind} {scope}: {source}")]
pub struct ReadError {
    /// The kind being listed.
    pub kind: &'static str,
    /// `in <namespace>` or `in all namespaces`.
    pub scope: String,
    /// Why.
    pub source: kube::Error,
}

/// Reads the PatchPolicies, PatchRuns and Assets of `namespace` (all namespaces when `None`).
pub async fn read_input(
    client: &kube::Client,
    namespace: Option<&str>,
) -> Result<ReportInput, ReadError> {
    Ok(ReportInput {
        policies: list::<PatchPolicy>(client, namespace, "PatchPolicies").await?,
        runs: list::<PatchRun>(client, namespace, "PatchRuns").await?,
        assets: list::<Asset>(client, namespace, "Assets").await?,
    })
}

async fn list<K>(
    client: &kube::Client,
    namespace: Option<&str>,
    kind: &'static str,
) -> Result<Vec<K>, ReadError>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: kube::Api<K> = match namespace {
        Some(ns) => kube::Api::namespaced(client.clone(), ns),
        None => kube::Api::all(client.clone()),
    };
    api.list(&ListParams::default())
        .await
        .map(|list| list.items)
        .map_err(|source| ReadError {
            kind,
            scope: namespace.map_or("in all namespaces".to_string(), |ns| format!("in {ns}")),
            source,
        })
}

#[derive(Clone)]
struct ReportState {
    client: kube::Client,
    namespace: Option<String>,
}

/// The `/report` and `/report.json` routes, reading the cluster on every request.
pub fn routes(client: kube::Client, namespace: Option<String>) -> Router {
    Router::new()
        .route("/report", get(html_report))
        .route("/report.json", get(json_report))
        .with_state(ReportState { client, namespace })
}

async fn current(state: &ReportState) -> Result<patchwarden_report::Report, Response> {
    let input = read_input(&state.client, state.namespace.as_deref())
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "reading the report's resources");
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        })?;
    Ok(build(&input, chrono::Utc::now().trunc_subsecs(0)))
}

async fn html_report(State(state): State<ReportState>) -> Response {
    let report = match current(&state).await {
        Ok(report) => report,
        Err(response) => return response,
    };
    match render_html(&report) {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn json_report(State(state): State<ReportState>) -> Response {
    match current(&state).await {
        Ok(report) => axum::Json(report).into_response(),
        Err(response) => response,
    }
}
