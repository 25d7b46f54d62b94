//! Reading conditions and writing resource snippets.

use std::path::Path;

use chrono::Timelike;
use serde_json::Value;

/// The condition `type_` of an object's status, as (status, reason, message).
pub fn condition(object: &Value, type_: &str) -> Option<(String, String, String)> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["reason"].as_str().unwrap_or_default().to_string(),
                c["message"].as_str().unwrap_or_default().to_string(),
            )
        })
}

/// A daily MaintenanceWindow in `default` opening at `opens` (UTC) for `duration`.
fn daily_window(name: &str, opens: chrono::DateTime<chrono::Utc>, duration: &str) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  schedule: \"{} {} * * *\"\n  timeZone: UTC\n  duration: {duration}\n",
        opens.minute(),
        opens.hour()
    )
}

/// A daily MaintenanceWindow that opened an hour ago and stays open for twelve hours.
pub fn window_open_now(name: &str) -> String {
    daily_window(name, chrono::Utc::now() - chrono::Duration::hours(1), "12h")
}

/// A daily MaintenanceWindow that opens in six hours for one hour (closed now).
pub fn window_closed_now(name: &str) -> String {
    daily_window(name, chrono::Utc::now() + chrono::Duration::hours(6), "1h")
}

/// A VulnerabilityFeed in `default` reading `file` (`format` is `Osv`, `Kev` or `Epss`).
pub fn feed(name: &str, format: &str, file: &Path) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: VulnerabilityFeed\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  format: {format}\n  source:\n    url: {}\n",
        file.display()
    )
}
