//! Conversions between `chrono` instants (used by the core) and Kubernetes `metav1.Time`.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// The Kubernetes timestamp of a chrono instant (saturating at jiff's supported range).
pub fn to_k8s(instant: DateTime<Utc>) -> Time {
    let nanos = i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0);
    let ts = Timestamp::new(instant.timestamp(), nanos).unwrap_or(if instant.timestamp() < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    Time(ts)
}

/// The chrono instant of a Kubernetes timestamp.
pub fn from_k8s(time: &Time) -> DateTime<Utc> {
    let nanos = u32::try_from(time.0.subsec_nanosecond()).unwrap_or(0);
    DateTime::from_timestamp(time.0.as_second(), nanos).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_kubernetes_time() {
        let instant = DateTime::parse_from_rfc3339("2026-11-28T03:04:05.123456789Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(from_k8s(&to_k8s(instant)), instant);
        let json = serde_json::to_string(&to_k8s(instant)).expect("serialize");
        assert!(json.starts_with("\"2026-11-28T03:04:05"), "{json}");
    }
}
