//! OSV records (<https://ossf.github.io/osv-schema/>) into the advisory model. Withdrawn
//! records are skipped; CVE ids come from `aliases`, `related`, `upstream` and the id;
//! `ECOSYSTEM` ranges and explicit `versions` are kept; Ubuntu's
//! `ecosystem_specific.binaries` and priorities are read; CVSS v3/v4 vectors are scored.

use serde::Deserialize;
use serde_json::Value;

use super::FeedError;
use crate::advisory::{
    Advisory, AffectedPackage, PackageNameKind, RangeEvent, VersionRange, sort_ids,
};
use crate::cvss::score_vector;
use crate::ecosystem::Ecosystem;
use crate::rating::{SeverityEvidence, SeveritySource, best_severity};
use crate::version::VersionScheme;

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    ecosystem_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<serde_json::Map<String, Value>>,
}

/// Parses one OSV record. `Ok(None)` for a withdrawn record. `record` numbers the record in
/// its file for error messages.
pub fn parse_record(text: &str, record: usize) -> Result<Option<Advisory>, FeedError> {
    let raw: OsvRecord = serde_json::from_str(text).map_err(|e| {
        let id = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string));
        FeedError::new(record, id.as_deref(), json_field(&e), e.to_string())
    })?;
    convert(raw, record)
}

/// Parses a document holding one record, an array of records, or JSON Lines.
pub fn parse_document(text: &str) -> Result<Vec<Advisory>, FeedError> {
    let trimmed = text.trim_start();
    let mut advisories = Vec::new();
    if trimmed.starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(trimmed)
            .map_err(|e| FeedError::new(0, None, json_field(&e), e.to_string()))?;
        for (index, value) in values.into_iter().enumerate() {
            let id = value.get("id").and_then(Value::as_str).map(str::to_string);
            let raw: OsvRecord = serde_json::from_value(value)
                .map_err(|e| FeedError::new(index + 1, id.as_deref(), "record", e.to_string()))?;
            advisories.extend(convert(raw, index + 1)?);
        }
        return Ok(advisories);
    }
    // One pretty-printed object, or one compact object per line.
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    // JSON Lines when the first line is a whole object on its own; a pretty-printed
    // object's first line is just `{`.
    let first = lines.first().map(|l| l.trim()).unwrap_or_default();
    let one_per_line = lines.len() > 1 && first.starts_with('{') && first.ends_with('}');
    if one_per_line {
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            advisories.extend(parse_record(line, index + 1)?);
        }
    } else {
        advisories.extend(parse_record(text, 1)?);
    }
    Ok(advisories)
}

/// The JSON position of a serde error, as a field description.
fn json_field(error: &serde_json::Error) -> String {
    format!("json (line {}, column {})", error.line(), error.column())
}

/// One record in the advisory model; `None` when it is withdrawn.
fn convert(raw: OsvRecord, record: usize) -> Result<Option<Advisory>, FeedError> {
    if raw.withdrawn.is_some() {
        return Ok(None);
    }
    let id = raw.id.trim().to_string();
    if id.is_empty() {
        return Err(FeedError::new(record, None, "id", "empty"));
    }
    let err = |field: &str, reason: String| FeedError::new(record, Some(&id), field, reason);
    let ids = raw
        .aliases
        .unwrap_or_default()
        .into_iter()
        .chain(raw.related.unwrap_or_default())
        .chain(raw.upstream.unwrap_or_default())
        .chain(std::iter::once(id.clone()));
    let (cve_ids, other_ids) = sort_ids(ids, "");
    let other_ids = other_ids.into_iter().filter(|o| *o != id).collect();

    let mut evidence = severity_evidence(raw.severity.as_deref().unwrap_or_default(), &|f, r| {
        err(f, r)
    })?;

    let mut affected = Vec::new();
    for (index, entry) in raw.affected.unwrap_or_default().into_iter().enumerate() {
        let in_entry = |f: &str, r: String| err(&format!("affected[{index}].{f}"), r);
        if let Some((package, package_evidence)) = affected_package(entry, &in_entry)? {
            evidence.extend(package_evidence);
            affected.push(package);
        }
    }
    // Red Hat family advisories carry their rating only as the summary's prefix.
    evidence.extend(
        raw.summary
            .as_deref()
            .and_then(|s| s.split_once(':'))
            .and_then(|(word, _)| SeverityEvidence::word(SeveritySource::SummaryPrefix, word)),
    );
    let severity = best_severity(evidence);
    Ok(Some(Advisory {
        id,
        cve_ids,
        other_ids,
        summary: raw.summary,
        published: raw.published,
        severity,
        affected,
    }))
}

/// One `affected` entry, with the severity judgements it carries (its `severity` entries,
/// then its ecosystem-specific rating); `None` for an entry without a package. `err` names
/// fields relative to the entry.
fn affected_package(
    entry: OsvAffected,
    err: &dyn Fn(&str, String) -> FeedError,
) -> Result<Option<(AffectedPackage, Vec<SeverityEvidence>)>, FeedError> {
    let Some(package) = entry.package else {
        return Ok(None);
    };
    let ecosystem = Ecosystem::new(package.ecosystem);
    let scheme = ecosystem.scheme();
    let mut evidence = severity_evidence(entry.severity.as_deref().unwrap_or_default(), err)?;
    let mut ranges = Vec::new();
    for (r, range) in entry.ranges.unwrap_or_default().into_iter().enumerate() {
        if range.kind != "ECOSYSTEM" {
            continue;
        }
        let events = range_events(range.events, r, scheme, err)?;
        ranges.push(VersionRange { events });
    }
    let ecosystem_specific = entry.ecosystem_specific.unwrap_or(Value::Null);
    let package_rating = package_rating(&ecosystem_specific);
    let package_severity = package_rating.as_ref().map(|e| e.level);
    evidence.extend(package_rating);
    let package = AffectedPackage {
        name_kind: match scheme {
            Some(VersionScheme::Rpm) => PackageNameKind::Binary,
            _ => PackageNameKind::Source,
        },
        ecosystem,
        package: package.name,
        binaries: ubuntu_binaries(&ecosystem_specific),
        ranges,
        versions: entry.versions.unwrap_or_default(),
        severity: package_severity,
    };
    Ok(Some((package, evidence)))
}

/// The events of range number `r`, each version checked against the ecosystem's scheme when
/// it has one (`introduced: "0"` is the origin, not a version).
fn range_events(
    events: Vec<serde_json::Map<String, Value>>,
    r: usize,
    scheme: Option<VersionScheme>,
    err: &dyn Fn(&str, String) -> FeedError,
) -> Result<Vec<RangeEvent>, FeedError> {
    let mut out = Vec::new();
    for event in events {
        for (kind, value) in event {
            // `limit` only bounds git ranges; nothing else is defined. Events not read are
            // not checked either.
            let to_event: fn(String) -> RangeEvent = match kind.as_str() {
                "introduced" => RangeEvent::Introduced,
                "fixed" => RangeEvent::Fixed,
                "last_affected" => RangeEvent::LastAffected,
                _ => continue,
            };
            let place = format!("ranges[{r}].events.{kind}");
            let version = value
                .as_str()
                .ok_or_else(|| err(&place, format!("expected a string, found {value}")))?
                .to_string();
            let is_origin = kind == "introduced" && version == "0";
            if let Some(scheme) = scheme
                && !is_origin
            {
                scheme
                    .validate(&version)
                    .map_err(|e| err(&place, e.to_string()))?;
            }
            out.push(to_event(version));
        }
    }
    Ok(out)
}

/// Ubuntu's `ecosystem_specific.binaries`: the binary packages built from the source.
fn ubuntu_binaries(ecosystem_specific: &Value) -> Vec<String> {
    ecosystem_specific
        .get("binaries")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|b| {
                    b.get("binary_name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The package's own rating word: Ubuntu's priority, Debian's urgency, or a severity word.
fn package_rating(ecosystem_specific: &Value) -> Option<SeverityEvidence> {
    [
        ("ubuntu_priority", SeveritySource::UbuntuPriority),
        ("urgency", SeveritySource::DebianUrgency),
        (
            "severity",
            SeveritySource::Qualitative("ecosystem_specific".into()),
        ),
    ]
    .into_iter()
    .find_map(|(key, source)| {
        let word = ecosystem_specific.get(key).and_then(Value::as_str)?;
        SeverityEvidence::word(source, word)
    })
}

/// The judgements of OSV `severity` entries: scored CVSS vectors, and rating words of other
/// types.
fn severity_evidence(
    entries: &[OsvSeverity],
    err: &dyn Fn(&str, String) -> FeedError,
) -> Result<Vec<SeverityEvidence>, FeedError> {
    let mut evidence = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        match entry.kind.as_str() {
            "CVSS_V3" | "CVSS_V4" => {
                let scored = score_vector(&entry.score)
                    .map_err(|e| err(&format!("severity[{index}].score"), e.to_string()))?;
                evidence.push(SeverityEvidence::cvss(&entry.kind, scored));
            }
            kind => evidence.extend(SeverityEvidence::word(
                SeveritySource::Qualitative(kind.to_string()),
                &entry.score,
            )),
        }
    }
    Ok(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_that_are_not_read_do_not_refuse_the_record() {
        let text = r#"{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-1"},{"limit":"*"}]}]}]}"#;
        let advisories = parse_document(text).expect("a limit event is not read");
        assert_eq!(
            advisories[0].affected[0].ranges[0].events,
            [
                RangeEvent::Introduced("0".into()),
                RangeEvent::Fixed("1.0-1".into())
            ]
        );
        let bad_fixed = text.replace(r#""fixed":"1.0-1""#, r#""fixed":"*""#);
        let error = parse_document(&bad_fixed).expect_err("a fixed event is read");
        assert_eq!(error.field, "affected[0].ranges[0].events.fixed");
    }
}
