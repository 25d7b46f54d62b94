//! Events are stored once, in the `events.k8s.io/v1` form, and served through two views: this
//! module converts between that form and core `v1` Events (what `kubectl describe` reads).

use serde_json::{Map, Value};

/// Field renames between events.k8s.io/v1 (left) and core v1 (right).
const RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

fn rename(object: &Value, api_version: &str, from_left: bool) -> Value {
    let Some(map) = object.as_object() else {
        return object.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let renamed = RENAMES
            .iter()
            .find(|(l, r)| if from_left { l == k } else { r == k })
            .map(|(l, r)| if from_left { *r } else { *l });
        out.insert(renamed.unwrap_or(k).to_string(), v.clone());
    }
    out.insert("apiVersion".into(), Value::String(api_version.to_string()));
    out.insert("kind".into(), Value::String("Event".into()));
    Value::Object(out)
}

/// Stored (events.k8s.io/v1) → core v1.
pub fn to_core(stored: &Value) -> Value {
    let mut core = rename(stored, "v1", true);
    // kubectl describe prints lastTimestamp / eventTime; fill the core timestamps when only
    // the new-style ones were written, as the real conversion leaves them for old clients.
    if let Some(map) = core.as_object_mut() {
        let event_time = map.get("eventTime").cloned().filter(|v| !v.is_null());
        let series_last = map
            .get("series")
            .and_then(|s| s.get("lastObservedTime"))
            .cloned();
        if !map.contains_key("firstTimestamp")
            && let Some(t) = &event_time
        {
            map.insert("firstTimestamp".into(), truncate_micro(t));
        }
        if !map.contains_key("lastTimestamp")
            && let Some(t) = series_last.as_ref().or(event_time.as_ref())
        {
            map.insert("lastTimestamp".into(), truncate_micro(t));
        }
        if !map.contains_key("count")
            && let Some(c) = map.get("series").and_then(|s| s.get("count")).cloned()
        {
            map.insert("count".into(), c);
        }
    }
    core
}

/// MicroTime → Time (seconds precision), as core `firstTimestamp`/`lastTimestamp` are.
fn truncate_micro(t: &Value) -> Value {
    match t
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    {
        Some(dt) => Value::String(
            dt.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        ),
        None => t.clone(),
    }
}

/// Core v1 → stored (events.k8s.io/v1).
pub fn from_core(core: &Value) -> Value {
    rename(core, "events.k8s.io/v1", false)
}

/// Stored → events.k8s.io/v1 view.
pub fn to_events_v1(stored: &Value) -> Value {
    let mut v = stored.clone();
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "apiVersion".into(),
            Value::String("events.k8s.io/v1".into()),
        );
        map.insert("kind".into(), Value::String("Event".into()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_and_events_v1_round_trip() {
        let stored = json!({"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e"},
            "regarding":{"kind":"Widget","name":"w"},"note":"hello","reason":"Made","type":"Normal",
            "reportingController":"ctl","eventTime":"2026-01-01T00:00:00.123456Z"});
        let core = to_core(&stored);
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["involvedObject"]["name"], "w");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["reportingComponent"], "ctl");
        assert_eq!(core["lastTimestamp"], "2026-01-01T00:00:00Z");
        let back = from_core(
            &json!({"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},
            "involvedObject":{"kind":"Widget"},"message":"m","count":3}),
        );
        assert_eq!(back["regarding"]["kind"], "Widget");
        assert_eq!(back["note"], "m");
        assert_eq!(back["deprecatedCount"], 3);
        assert_eq!(back["apiVersion"], "events.k8s.io/v1");
    }
}
