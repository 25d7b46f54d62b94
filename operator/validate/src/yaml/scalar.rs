//! The JSON value of a YAML scalar: quoted and `!!str` scalars are text, plain ones are read
//! under the YAML 1.2 core schema (so `yes` stays text and `010` is ten, as Kubernetes reads
//! them).

use granit_parser::{ScalarStyle, Tag};
use serde_json::{Number, Value};

/// A plain scalar that YAML reads but a Kubernetes object (JSON) cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text} is not representable in a Kubernetes object")]
pub(super) struct Unrepresentable {
    text: String,
}

/// The value of a scalar written as `text` in `style`, with its tag if it has one.
pub(super) fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, Unrepresentable> {
    let forced_string = tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix() == "str");
    if forced_string || style != ScalarStyle::Plain {
        Ok(Value::String(text.to_string()))
    } else {
        resolve_plain(text)
    }
}

/// The value of a plain scalar under the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Result<Value, Unrepresentable> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(Unrepresentable {
                text: text.to_string(),
            });
        }
        _ => {}
    }
    let bytes = text.as_bytes();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Ok(Value::Number(n.into()));
        }
        return Ok(float(text).unwrap_or_else(|| Value::String(text.to_string())));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(u64::from_str_radix(hex, 16)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(text.to_string())));
    }
    if let Some(octal) = text.strip_prefix("0o")
        && !octal.is_empty()
        && octal.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Ok(u64::from_str_radix(octal, 8)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(text.to_string())));
    }
    let looks_numeric = bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        && is_core_float(unsigned);
    if looks_numeric && let Some(value) = float(text) {
        return Ok(value);
    }
    Ok(Value::String(text.to_string()))
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?` or `\.[0-9]+([eE][-+]?[0-9]+)?`.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(f) => digits(whole) && digits(f) && !(whole.is_empty() && f.is_empty()),
        None => !whole.is_empty() && digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn float(text: &str) -> Option<Value> {
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}
