//! The wire spelling of values people write in resources: durations, counts-or-percentages,
//! cron schedules, time zones, and the names of severities, criticalities, exposures and run
//! phases.
//!
//! Each is a string-backed (or int-or-string) newtype that accepts anything the CRD schema
//! admits, so one semantically bad object never breaks a watch of its kind. The meaning is
//! checked by `parse()`, which returns the pure core type or a typed error; validation and the
//! controllers' validate step call it.

use std::borrow::Cow;
use std::fmt;

use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::rollout::RunPhase;
use patchwarden_core::window::{CronSchedule, ScheduleError, TimeZoneError, parse_time_zone};
use patchwarden_core::{CountOrPercent, Duration, Severity};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// The pattern a duration must match in the CRD schema: terms from weeks down to seconds.
pub const DURATION_PATTERN: &str = "^(0|([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?)$";

/// A duration as written in a resource: `90s`, `15m`, `2h30m`, `7d`, `2w`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct DurationValue(pub String);

impl DurationValue {
    /// A value from its text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The duration it means.
    pub fn parse(&self) -> Result<Duration, patchwarden_core::duration::DurationError> {
        self.0.parse()
    }
}

impl From<Duration> for DurationValue {
    fn from(value: Duration) -> Self {
        Self(value.to_string())
    }
}

impl fmt::Display for DurationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for DurationValue {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "pattern": DURATION_PATTERN,
        })
    }
}

/// A count of members or a percentage of a population: `2` or `"25%"`, like Kubernetes'
/// IntOrString.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CountOrPercentValue {
    /// Written as a number.
    Count(i64),
    /// Written as a string, normally a percentage such as `"25%"`.
    Text(String),
}

/// Why a count-or-percent value has no meaning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountOrPercentValueError {
    /// A number that is negative or too large for a count.
    #[error("{0} is not a valid count (expected 0 to 4294967295)")]
    CountOutOfRange(i64),
    /// A string that is neither a number nor a percentage between 0% and 100%.
    #[error(transparent)]
    Text(#[from] patchwarden_core::quantity::CountOrPercentError),
}

impl CountOrPercentValue {
    /// A count or percentage of the core type.
    pub fn from_core(value: CountOrPercent) -> Self {
        match value {
            CountOrPercent::Count(n) => Self::Count(i64::from(n)),
            CountOrPercent::Percent(_) => Self::Text(value.to_string()),
        }
    }

    /// The count or percentage it means.
    pub fn parse(&self) -> Result<CountOrPercent, CountOrPercentValueError> {
        match self {
            Self::Count(n) => u32::try_from(*n)
                .map(CountOrPercent::Count)
                .map_err(|_| CountOrPercentValueError::CountOutOfRange(*n)),
            Self::Text(text) => Ok(text.parse()?),
        }
    }
}

impl fmt::Display for CountOrPercentValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Text(text) => f.write_str(text),
        }
    }
}

impl JsonSchema for CountOrPercentValue {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "CountOrPercent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "x-kubernetes-int-or-string": true,
        })
    }
}

/// A cron schedule: 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds
/// first), with ranges, steps, `L` (last) and `#` (nth weekday: `TUE#2` is the second Tuesday).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct CronScheduleValue(pub String);

impl CronScheduleValue {
    /// A schedule from its text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The schedule it means.
    pub fn parse(&self) -> Result<CronSchedule, ScheduleError> {
        CronSchedule::parse(&self.0)
    }
}

impl fmt::Display for CronScheduleValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for CronScheduleValue {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "CronSchedule".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 256,
        })
    }
}

/// An IANA time zone name such as `Europe/Berlin` or `UTC`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeZoneName(pub String);

impl Default for TimeZoneName {
    fn default() -> Self {
        Self("UTC".to_string())
    }
}

impl TimeZoneName {
    /// A time zone from its name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The time zone it names.
    pub fn parse(&self) -> Result<chrono_tz::Tz, TimeZoneError> {
        parse_time_zone(&self.0)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for TimeZoneName {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TimeZoneName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "default": "UTC",
        })
    }
}

/// Schema of a `patchwarden_core::Severity` field: one of the canonical names.
pub fn severity_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    json_schema!({
        "type": "string",
        "enum": names,
    })
}

/// Schema of a `patchwarden_core::risk::Criticality` field: one of the canonical names, least
/// critical first.
pub fn criticality_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = Criticality::ALL.iter().map(|c| c.as_str()).collect();
    json_schema!({
        "type": "string",
        "enum": names,
    })
}

/// Schema of an optional `patchwarden_core::risk::Criticality` field.
pub fn optional_criticality_schema(generator: &mut SchemaGenerator) -> Schema {
    nullable(criticality_schema(generator))
}

/// Schema of a `patchwarden_core::risk::Exposure` field: one of the canonical names, least
/// exposed first.
pub fn exposure_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = Exposure::ALL.iter().map(|e| e.as_str()).collect();
    json_schema!({
        "type": "string",
        "enum": names,
    })
}

/// Schema of an optional `patchwarden_core::risk::Exposure` field.
pub fn optional_exposure_schema(generator: &mut SchemaGenerator) -> Schema {
    nullable(exposure_schema(generator))
}

/// Schema of a `patchwarden_core::rollout::RunPhase` field: one of the phase names.
pub fn run_phase_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = RunPhase::ALL.iter().map(|p| p.as_str()).collect();
    json_schema!({
        "type": "string",
        "enum": names,
    })
}

/// `schema`, admitting `null` as well.
fn nullable(mut schema: Schema) -> Schema {
    schema.insert("nullable".into(), true.into());
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_value_accepts_any_string_and_parses_on_demand() {
        let ok: DurationValue = serde_json::from_str("\"2h30m\"").expect("string");
        assert_eq!(ok.parse().expect("valid").as_secs(), 9_000);
        let bad: DurationValue = serde_json::from_str("\"soon\"").expect("still a string");
        assert!(bad.parse().is_err());
    }

    #[test]
    fn count_or_percent_value_round_trips_both_forms() {
        let count: CountOrPercentValue = serde_json::from_str("2").expect("int");
        let percent: CountOrPercentValue = serde_json::from_str("\"25%\"").expect("string");
        assert_eq!(count.parse(), Ok(CountOrPercent::Count(2)));
        assert_eq!(percent.parse(), Ok(CountOrPercent::Percent(25)));
        assert_eq!(serde_json::to_string(&count).expect("ser"), "2");
        assert_eq!(serde_json::to_string(&percent).expect("ser"), "\"25%\"");
        let negative: CountOrPercentValue = serde_json::from_str("-1").expect("int");
        assert_eq!(
            negative.parse(),
            Err(CountOrPercentValueError::CountOutOfRange(-1))
        );
        let too_much: CountOrPercentValue = serde_json::from_str("\"150%\"").expect("string");
        assert!(too_much.parse().is_err());
    }

    #[test]
    fn time_zone_names_resolve_against_iana() {
        assert!(TimeZoneName::new("Europe/Berlin").parse().is_ok());
        assert!(TimeZoneName::new("UTC").parse().is_ok());
        assert!(TimeZoneName::new("Mars/Olympus").parse().is_err());
        let lower = TimeZoneName::new("europe/berlin")
            .parse()
            .expect_err("case matters");
        assert_eq!(lower.suggestion, Some("Europe/Berlin"));
    }

    #[test]
    fn cron_schedules_parse_through_the_core() {
        assert!(CronScheduleValue::new("0 22 * * TUE#2").parse().is_ok());
        assert!(CronScheduleValue::new("0 0 2 L * *").parse().is_ok());
        assert!(CronScheduleValue::new("0 2 * *").parse().is_err());
    }
}
