//! From resource specs to the core's types, with every problem named by its field.
//!
//! The controllers' validate step and `patchwarden validate` both call these, so a spec that
//! validates is exactly a spec the controllers can run. Conversions return the first problem;
//! [`CheckSpec::spec_errors`] lists them all.
//!
//! One file per kind; `commands` holds the checks of health checks and hooks, which policies and
//! runs share. The parsing functions below name the field of every value they read.

mod asset;
mod asset_group;
mod commands;
pub mod incident;
mod maintenance_window;
mod patch_policy;
mod patch_run;
pub mod reboot;
mod vulnerability_feed;

use patchwarden_core::{CountOrPercent, Duration};

use crate::values::{CountOrPercentValue, DurationValue};

/// A problem with one field of a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// The field, as a path from the object's root: `spec.blackouts[1].end`.
    pub field: String,
    /// What is wrong with it, for people.
    pub message: String,
}

impl SpecError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl ToString) -> SpecError {
        SpecError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// Every problem of a resource's spec that can be found without looking at other resources.
pub trait CheckSpec {
    /// The problems, in field order; empty when the spec is valid.
    fn spec_errors(&self) -> Vec<SpecError>;
}

/// Parses an optional duration, naming `field` on error.
fn duration(field: &str, value: Option<&DurationValue>) -> Result<Option<Duration>, SpecError> {
    value
        .map(|v| v.parse().map_err(|e| SpecError::new(field, e)))
        .transpose()
}

/// Parses a count-or-percent, naming `field` on error.
fn count_or_percent(field: &str, value: &CountOrPercentValue) -> Result<CountOrPercent, SpecError> {
    value.parse().map_err(|e| SpecError::new(field, e))
}

/// Whether a count-or-percent admits no asset at all.
fn is_zero(value: CountOrPercent) -> bool {
    matches!(value, CountOrPercent::Count(0) | CountOrPercent::Percent(0))
}

/// Collects the error of a result into `errors`, returning the value when there is one.
fn keep<T>(errors: &mut Vec<SpecError>, result: Result<T, SpecError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}
