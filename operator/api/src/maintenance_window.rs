//! `MaintenanceWindow`: when patching may happen — a cron schedule in an IANA time zone, a
//! duration, a cutoff, an offset in days and dated blackouts.

// Printer columns repeat `type_`/`priority` values, which the lint mistakes for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::impl_common_status;
use crate::values::{CronScheduleValue, DurationValue, TimeZoneName};

/// When patching may happen.
#[derive(CustomResource, Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "patchwarden.io",
    version = "v1alpha1",
    kind = "MaintenanceWindow",
    namespaced,
    status = "MaintenanceWindowStatus",
    shortname = "mw",
    category = "patchwarden",
    derive = "PartialEq",
    doc = "A recurring maintenance window (cron in an IANA time zone, duration, cutoff) with dated blackouts.",
    printcolumn(
        name = "Schedule",
        type_ = "string",
        json_path = ".spec.schedule",
        description = "Cron schedule of openings"
    ),
    printcolumn(
        name = "Zone",
        type_ = "string",
        json_path = ".spec.timeZone",
        description = "Time zone of the schedule"
    ),
    printcolumn(
        name = "Duration",
        type_ = "string",
        json_path = ".spec.duration",
        description = "How long each opening lasts"
    ),
    printcolumn(
        name = "Open",
        type_ = "boolean",
        json_path = ".status.open",
        description = "Whether the window is open now"
    ),
    printcolumn(
        name = "Next",
        type_ = "string",
        json_path = ".status.nextOpening",
        description = "Next opening"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Time since creation"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindowSpec {
    /// When the window opens: a cron expression of 5 fields (minute hour day-of-month month
    /// day-of-week) or 6 (seconds first), evaluated in `timeZone`. Supports ranges, steps, `L`
    /// (last day) and `#` (nth weekday: `0 22 * * TUE#2` is 22:00 on the second Tuesday).
    pub schedule: CronScheduleValue,
    /// IANA time zone the schedule and blackouts are read in, e.g. `Europe/Berlin`.
    #[serde(default)]
    pub time_zone: TimeZoneName,
    /// How long each opening lasts, e.g. `3h`.
    pub duration: DurationValue,
    /// No new work starts in the last part of an opening of this length, so started work ends in
    /// time (e.g. `30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<DurationValue>,
    /// Calendar days added to each scheduled date: "Patch Tuesday + 2 days" is
    /// `schedule: "0 22 * * TUE#2"` with `offsetDays: 2`.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = -366, max = 366))]
    pub offset_days: i32,
    /// Dated freezes during which the window stays closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blackouts: Vec<Blackout>,
    /// Keeps the window closed while true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

/// A dated freeze: the window stays closed from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Blackout {
    /// Start of the freeze: a date (`2026-12-20`, from midnight in the window's time zone) or an
    /// RFC 3339 time (`2026-12-20T18:00:00+01:00`).
    #[schemars(length(min = 10, max = 64))]
    pub start: String,
    /// End of the freeze: a date (`2027-01-03`, through the end of that day in the window's time
    /// zone) or an RFC 3339 time (exclusive).
    #[schemars(length(min = 10, max = 64))]
    pub end: String,
    /// Why the freeze exists, shown to people (e.g. "year-end change freeze").
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// One opening of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowOpening {
    /// When it opens.
    pub opens_at: Time,
    /// When it closes.
    pub closes_at: Time,
}

/// Observed state of a MaintenanceWindow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindowStatus {
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The last handled value of the `reconcile.fluxcd.io/requestedAt` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Conditions (`Ready`, `Stalled`), one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Whether the window is open now.
    #[serde(default)]
    pub open: bool,
    /// The opening in progress, when open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<WindowOpening>,
    /// When the next opening starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<Time>,
    /// When the next opening ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_closing: Option<Time>,
    /// The next few openings, soonest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upcoming: Vec<WindowOpening>,
}

impl_common_status!(MaintenanceWindowStatus);
