//! Behavioural health: the health checks with a `metric` measure a number — what the command
//! prints, or the number at the metric's JSONPath in the HTTP response — before patching (the
//! baseline, kept with the patch step) and after; `core::health_comparison` judges the change.

use patchwarden_core::health_comparison::{compare, parse_measurement};
use serde_json_path::JsonPath;

use super::OperationRequest;
use super::health::{HttpProbe, Probe, RunCheck};

/// How much of a response body a metric reads.
const MAX_BODY_BYTES: usize = 1 << 20;

/// What each metric check measures now, by check name: the number, or why none was read.
pub async fn measure(request: &OperationRequest) -> Vec<(String, Result<f64, String>)> {
    let mut out = Vec::new();
    for check in request.health_checks.iter().filter(|c| c.metric.is_some()) {
        out.push((check.name.clone(), measure_one(request, check).await));
    }
    out
}

/// The measured numbers only, as the patch step keeps them for the verification.
pub fn values(measured: Vec<(String, Result<f64, String>)>) -> Vec<(String, f64)> {
    measured
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.ok()?)))
        .collect()
}

/// The first metric check whose value after patching fails its bound (or cannot be read),
/// with why: judged against the check's baseline.
pub fn first_failure(
    checks: &[RunCheck],
    measured: &[(String, Result<f64, String>)],
) -> Option<(String, String)> {
    measured.iter().find_map(|(name, value)| {
        let check = checks.iter().find(|c| &c.name == name)?;
        let bound = check.metric.as_ref()?.bound();
        let failure = match value {
            Ok(after) => compare(name, check.baseline_value, *after, &bound)
                .err()?
                .to_string(),
            Err(why) => format!("{name}: no value after patching: {why}"),
        };
        Some((name.clone(), failure))
    })
}

async fn measure_one(request: &OperationRequest, check: &RunCheck) -> Result<f64, String> {
    match &check.probe {
        Probe::Command(command) => {
            let report = request
                .executor
                .health_check(&request.target, command)
                .await
                .map_err(|e| e.to_string())?;
            if !report.healthy {
                return Err(format!("the command failed: {}", report.output.trim()));
            }
            parse_measurement(&check.name, &report.output).map_err(|e| e.to_string())
        }
        Probe::Http(http) => {
            let path = check
                .metric
                .as_ref()
                .and_then(|m| m.json_path.as_deref())
                .ok_or_else(|| String::from("an HTTP metric needs metric.jsonPath"))?;
            let body = get_body(http).await?;
            json_number(&body, path)
        }
    }
}

/// The body of a GET of the probe's URL, when it answers with the expected status.
async fn get_body(probe: &HttpProbe) -> Result<String, String> {
    let client =
        super::health::http_client(probe.timeout).map_err(|e| format!("GET {}: {e}", probe.url))?;
    let mut response = client
        .get(&probe.url)
        .send()
        .await
        .map_err(|e| format!("GET {}: {e}", probe.url))?;
    let status = response.status().as_u16();
    if status != probe.expect_status {
        return Err(format!(
            "GET {}: HTTP status {status}, expected {}",
            probe.url, probe.expect_status
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("GET {}: reading the body: {e}", probe.url))?
    {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The one number `path` selects in the JSON `body` (a JSON number, or a string holding one).
fn json_number(body: &str, path: &str) -> Result<f64, String> {
    let path = JsonPath::parse(path).map_err(|e| format!("metric.jsonPath {path:?}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let found = path
        .query(&value)
        .exactly_one()
        .map_err(|e| format!("{path} does not select one value: {e}"))?;
    match found {
        serde_json::Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{path}: {n} is not a finite number")),
        serde_json::Value::String(s) => {
            parse_measurement(&path.to_string(), s).map_err(|e| e.to_string())
        }
        other => Err(format!("{path} selects {other}, not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::patch_policy::{HealthMetric, MetricNumber};
    use patchwarden_executor::HealthCheck;

    #[test]
    fn a_json_path_selects_one_number() {
        let body = r#"{"latency_ms": 12.5, "text": "0.25", "list": [1, 2], "name": "web"}"#;
        assert_eq!(json_number(body, "$.latency_ms"), Ok(12.5));
        assert_eq!(json_number(body, "$.text"), Ok(0.25));
        assert!(json_number(body, "$.list[*]").is_err(), "two values");
        assert!(json_number(body, "$.missing").is_err());
        let not_a_number = json_number(body, "$.name").expect_err("a name");
        assert!(not_a_number.contains("not a number"), "{not_a_number}");
        assert!(json_number("<html>", "$.latency_ms").is_err());
        assert!(json_number(body, "latency_ms").is_err(), "not a JSONPath");
    }

    fn latency_check(baseline: Option<f64>) -> RunCheck {
        RunCheck {
            name: "latency".into(),
            probe: Probe::Command(HealthCheck::default()),
            attempts: 1,
            metric: Some(HealthMetric {
                json_path: None,
                max_increase_percent: Some(MetricNumber(50.0)),
                max: None,
            }),
            baseline_value: baseline,
        }
    }

    #[test]
    fn a_doubled_value_fails_against_its_baseline_and_an_unreadable_one_fails_too() {
        let checks = [latency_check(Some(20.0))];
        let within = [("latency".to_string(), Ok(25.0))];
        assert_eq!(first_failure(&checks, &within), None);
        let doubled = [("latency".to_string(), Ok(40.0))];
        let (name, why) = first_failure(&checks, &doubled).expect("a failure");
        assert_eq!(name, "latency");
        assert!(why.contains("100.0% above the baseline 20"), "{why}");
        let unread = [("latency".to_string(), Err("GET …: timed out".to_string()))];
        let (_, why) = first_failure(&checks, &unread).expect("a failure");
        assert!(why.contains("no value after patching"), "{why}");
        let kept = values(vec![("a".into(), Ok(1.0)), ("b".into(), Err("no".into()))]);
        assert_eq!(kept, [("a".to_string(), 1.0)]);
    }
}
