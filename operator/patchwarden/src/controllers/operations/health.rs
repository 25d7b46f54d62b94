//! Health checks of one asset: commands run on the asset through its executor, and HTTP
//! requests made from the operator. Each check runs up to its attempts; the outcome of its
//! last attempt counts. The same checks run before patching (the baseline) and after.

use std::sync::Once;
use std::time::Duration;

use patchwarden_core::rollout::{CheckOutcome, http_outcome};
use patchwarden_executor::HealthCheck;

use super::OperationRequest;

/// Name of the lab's own health check.
const LAB_HEALTH_CHECK: &str = "lab-health";
/// How much of a response body an HTTP check reads.
const MAX_BODY_BYTES: usize = 1 << 20;

static TLS_PROVIDER: Once = Once::new();

/// The operator's HTTP client for requests it makes itself (HTTP checks, measurements,
/// incident webhooks), with `timeout` for the whole request.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    TLS_PROVIDER.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("patchwarden/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One health check of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCheck {
    /// The check's name, shown in results.
    pub name: String,
    /// What it does.
    pub probe: Probe,
    /// Attempts before it counts as failed (at least 1).
    pub attempts: u32,
    /// The number it measures and its bounds, for a behavioural check.
    pub metric: Option<patchwarden_api::patch_policy::HealthMetric>,
    /// For a verification: what it measured before patching, when it did.
    pub baseline_value: Option<f64>,
}

/// What a health check does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A command run on the asset by its executor (empty: the executor's built-in check).
    Command(HealthCheck),
    /// An HTTP GET made from the operator.
    Http(HttpProbe),
}

/// An HTTP health check, its URL already filled in for the asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    /// The URL requested.
    pub url: String,
    /// The status that means healthy.
    pub expect_status: u16,
    /// Text the body must contain, if any.
    pub body_contains: Option<String>,
    /// How long one request may take.
    pub timeout: Duration,
}

/// Every health check of the request (the lab's own first, on lab assets), with its outcome.
pub async fn run_checks(request: &OperationRequest) -> Vec<(String, CheckOutcome)> {
    let mut checks = request.health_checks.clone();
    if request.default_health_check {
        checks.insert(
            0,
            RunCheck {
                name: String::from(LAB_HEALTH_CHECK),
                probe: Probe::Command(HealthCheck::default()),
                attempts: 1,
                metric: None,
                baseline_value: None,
            },
        );
    }
    let mut outcomes = Vec::with_capacity(checks.len());
    for check in &checks {
        outcomes.push((check.name.clone(), run_check(request, check).await));
    }
    outcomes
}

/// Runs one check up to its attempts; the first pass ends it.
async fn run_check(request: &OperationRequest, check: &RunCheck) -> CheckOutcome {
    let mut outcome = CheckOutcome::Passed;
    for _ in 0..check.attempts.max(1) {
        outcome = match &check.probe {
            Probe::Command(command) => run_command(request, command).await,
            Probe::Http(http) => run_http(http).await,
        };
        if outcome.passed() {
            break;
        }
    }
    outcome
}

async fn run_command(request: &OperationRequest, command: &HealthCheck) -> CheckOutcome {
    match request
        .executor
        .health_check(&request.target, command)
        .await
    {
        Ok(report) if report.healthy => CheckOutcome::Passed,
        Ok(report) => CheckOutcome::Failed {
            detail: report.output.trim().to_string(),
        },
        Err(error) => CheckOutcome::Unreachable {
            detail: error.to_string(),
        },
    }
}

async fn run_http(probe: &HttpProbe) -> CheckOutcome {
    let failed = |detail: String| CheckOutcome::Failed { detail };
    let unreachable = |detail: String| CheckOutcome::Unreachable { detail };
    let client = match http_client(probe.timeout) {
        Ok(client) => client,
        Err(error) => return unreachable(format!("GET {}: {error}", probe.url)),
    };
    let mut response = match client.get(&probe.url).send().await {
        Ok(response) => response,
        Err(error) => return unreachable(format!("GET {}: {error}", probe.url)),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    if probe.body_contains.is_some() {
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() < MAX_BODY_BYTES => body.extend_from_slice(&chunk),
                Ok(_) => break,
                Err(error) => {
                    return unreachable(format!("GET {}: reading the body: {error}", probe.url));
                }
            }
        }
    }
    let body = String::from_utf8_lossy(&body);
    match http_outcome(
        probe.expect_status,
        probe.body_contains.as_deref(),
        status,
        &body,
    ) {
        CheckOutcome::Failed { detail } => failed(format!("GET {}: {detail}", probe.url)),
        other => other,
    }
}
