//! Whatever the generated CRD schema admits, the Rust types read: random objects built from
//! each kind's schema pass the schema check and deserialize into the typed resource. This is
//! what keeps one odd object from breaking a controller's watch of its kind.

use patchwarden_api::{
    Asset, AssetGroup, MaintenanceWindow, PatchPolicy, PatchRun, VulnerabilityFeed,
};
use patchwarden_validate::SchemaChecker;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A small deterministic generator, so each proptest case is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn string_for(schema: &Value, rng: &mut Rng, unique: usize) -> Value {
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let text = if pattern.starts_with("^(0|") {
            ["0", "90s", "15m", "2h30m", "7d", "2w", "1d12h"][rng.below(7) as usize].to_string()
        } else if pattern.starts_with("^sha256:") {
            format!("sha256:{}", "0123456789abcdef".repeat(4))
        } else {
            format!("name-{unique}")
        };
        return Value::String(text);
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        return json!("2026-11-28T03:04:05Z");
    }
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(40)
        .min(40);
    let length = (min + rng.below(max.saturating_sub(min) + 1)).max(min) as usize;
    let alphabet: Vec<char> = "abcxyz019-_ /.:#*%é".chars().collect();
    let mut text: String = (0..length)
        .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
        .collect();
    if unique > 0 && text.chars().count() + 4 <= max as usize {
        text.push_str(&format!("-{unique}"));
    }
    Value::String(text)
}

/// A number within the schema's bounds (0 to 100 when it has none).
fn number_for(schema: &Value, rng: &mut Rng) -> Value {
    let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
    let max = schema
        .get("maximum")
        .and_then(Value::as_f64)
        .unwrap_or(min + 100.0);
    let fraction = rng.below(10_001) as f64 / 10_000.0;
    json!(min + (max - min) * fraction)
}

fn integer_for(schema: &Value, rng: &mut Rng) -> Value {
    let (format_min, format_max) = match schema.get("format").and_then(Value::as_str) {
        Some("uint16") => (0, u16::MAX as i64),
        Some("uint32") => (0, u32::MAX as i64),
        Some("int32") => (i32::MIN as i64, i32::MAX as i64),
        Some("uint64") => (0, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    };
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64).map(|v| v as i64);
    let min = bound("minimum").unwrap_or(format_min).max(format_min);
    let max = bound("maximum").unwrap_or(format_max).min(format_max);
    // Mostly small values, sometimes the bounds themselves.
    let value = match rng.below(4) {
        0 => min,
        1 => max,
        _ => min.saturating_add(rng.below(50) as i64).min(max),
    };
    json!(value)
}

/// A random instance of `schema`.
fn instance(schema: &Value, rng: &mut Rng, depth: usize, unique: usize) -> Value {
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) && rng.chance(10) {
        return Value::Null;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[rng.below(values.len() as u64) as usize].clone();
    }
    if schema.get("x-kubernetes-int-or-string").is_some() {
        return if rng.chance(50) {
            json!(rng.below(1000) as i64 - 10)
        } else {
            json!(["25%", "1", "150%", "two", ""][rng.below(5) as usize])
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, child) in properties {
                    if required.contains(&key.as_str()) || (depth < 6 && rng.chance(60)) {
                        map.insert(key.clone(), instance(child, rng, depth + 1, unique));
                    }
                }
            } else if let Some(values) = schema.get("additionalProperties") {
                for i in 0..rng.below(3) {
                    map.insert(format!("key{i}"), instance(values, rng, depth + 1, 0));
                }
            }
            Value::Object(map)
        }
        Some("array") => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let count = if depth < 6 {
                min.max(rng.below(3))
            } else {
                min
            };
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            // List-map keys must be unique: give each item its own suffix.
            (0..count)
                .map(|i| instance(&items, rng, depth + 1, i as usize + 1))
                .collect()
        }
        Some("string") => string_for(schema, rng, unique),
        Some("integer") => integer_for(schema, rng),
        Some("number") => number_for(schema, rng),
        Some("boolean") => json!(rng.chance(50)),
        _ => json!({}),
    }
}

fn object_of(kind: &str, seed: u64) -> Value {
    let schema = patchwarden_api::crds::schema_of(kind).expect("schema");
    let mut rng = Rng(seed | 1);
    let mut object = instance(&schema, &mut rng, 0, 0);
    let map = object.as_object_mut().expect("root is an object");
    map.insert("apiVersion".into(), json!(patchwarden_api::API_VERSION));
    map.insert("kind".into(), json!(kind));
    map.insert(
        "metadata".into(),
        json!({"name": "generated", "namespace": "default"}),
    );
    object
}

fn admitted_and_readable<T: serde::de::DeserializeOwned>(
    kind: &str,
    seed: u64,
) -> Result<(), TestCaseError> {
    let object = object_of(kind, seed);
    let schema = patchwarden_api::crds::schema_of(kind).expect("schema");
    let problems = SchemaChecker::new(&schema).check(&object);
    prop_assert!(
        problems.is_empty(),
        "generator made an invalid {kind}: {problems:?}\n{object:#}"
    );
    let typed: Result<T, _> = serde_path_to_error::deserialize(&object);
    prop_assert!(
        typed.is_ok(),
        "{kind} admitted by the schema but not readable: {}\n{object:#}",
        typed.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn every_admitted_object_deserializes(seed in any::<u64>()) {
        admitted_and_readable::<VulnerabilityFeed>("VulnerabilityFeed", seed)?;
        admitted_and_readable::<AssetGroup>("AssetGroup", seed)?;
        admitted_and_readable::<Asset>("Asset", seed)?;
        admitted_and_readable::<MaintenanceWindow>("MaintenanceWindow", seed)?;
        admitted_and_readable::<PatchPolicy>("PatchPolicy", seed)?;
        admitted_and_readable::<PatchRun>("PatchRun", seed)?;
    }
}
