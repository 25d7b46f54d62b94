//! Label selectors (the `labels.Parse` grammar: `=`, `==`, `!=`, `in`, `notin`, exists, `!`
//! not-exists, `>`, `<`) and field selectors (`key=value`, `key==value`, `key!=value`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Greater(String, i64),
    Less(String, i64),
}

/// A parsed `labelSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<LabelReq>,
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn valid_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
    });
    name_ok && prefix_ok
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl LabelSelector {
    pub fn parse(input: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        if input.trim().is_empty() {
            return Ok(LabelSelector { reqs });
        }
        for part in split_top_level(input) {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("found '', expected: identifier in {input:?}"));
            }
            let req = Self::parse_requirement(part)?;
            reqs.push(req);
        }
        Ok(LabelSelector { reqs })
    }

    fn parse_requirement(part: &str) -> Result<LabelReq, String> {
        if let Some(key) = part.strip_prefix('!') {
            let key = key.trim();
            if !valid_key(key) {
                return Err(format!("invalid label key {key:?}"));
            }
            return Ok(LabelReq::NotExists(key.to_string()));
        }
        for (op, ctor) in [("!=", 0u8), ("==", 1), ("=", 1), (">", 2), ("<", 3)] {
            if let Some((k, v)) = part.split_once(op) {
                let (k, v) = (k.trim(), v.trim());
                if !valid_key(k) {
                    return Err(format!("invalid label key {k:?}"));
                }
                return match ctor {
                    0 | 1 => {
                        if !valid_value(v) {
                            return Err(format!("invalid label value: {v:?}"));
                        }
                        Ok(if ctor == 0 {
                            LabelReq::NotEquals(k.to_string(), v.to_string())
                        } else {
                            LabelReq::Equals(k.to_string(), v.to_string())
                        })
                    }
                    _ => {
                        let n: i64 = v.parse().map_err(|_| {
                            format!("for '{op}' operator, the value must be an integer: {v:?}")
                        })?;
                        Ok(if ctor == 2 {
                            LabelReq::Greater(k.to_string(), n)
                        } else {
                            LabelReq::Less(k.to_string(), n)
                        })
                    }
                };
            }
        }
        let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
        if words.len() == 2 {
            let key = words[0].trim();
            let rest = words[1].trim();
            let (negate, set) = if let Some(s) = rest.strip_prefix("notin") {
                (true, s)
            } else if let Some(s) = rest.strip_prefix("in") {
                (false, s)
            } else {
                return Err(format!("unexpected {rest:?} in label selector"));
            };
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("expected a parenthesised value set, found {set:?}"))?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if !valid_key(key) {
                return Err(format!("invalid label key {key:?}"));
            }
            if let Some(bad) = values.iter().find(|v| !valid_value(v)) {
                return Err(format!("invalid label value: {bad:?}"));
            }
            return Ok(if negate {
                LabelReq::NotIn(key.to_string(), values)
            } else {
                LabelReq::In(key.to_string(), values)
            });
        }
        if !valid_key(part) {
            return Err(format!("invalid label key {part:?}"));
        }
        Ok(LabelReq::Exists(part.to_string()))
    }

    /// Matches an object's `metadata.labels`.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.reqs.iter().all(|r| match r {
            LabelReq::Equals(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEquals(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::Greater(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            LabelReq::Less(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
struct FieldReq {
    field: String,
    value: String,
    equal: bool,
}

/// A parsed `fieldSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    reqs: Vec<FieldReq>,
}

/// Splits on unescaped `sep`, keeping escapes for later.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

impl FieldSelector {
    /// Parses and checks every field against `allowed`; the error is the 400 message.
    pub fn parse(input: &str, allowed: &dyn Fn(&str) -> bool) -> Result<FieldSelector, String> {
        let mut reqs = Vec::new();
        if input.trim().is_empty() {
            return Ok(FieldSelector { reqs });
        }
        for part in split_unescaped(input, ',') {
            let (field, value, equal) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, v, true)
            } else {
                return Err(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if !allowed(field) {
                return Err(format!("field label not supported: {field}"));
            }
            reqs.push(FieldReq {
                field: field.to_string(),
                value: unescape(value.trim()),
                equal,
            });
        }
        Ok(FieldSelector { reqs })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    /// Matches the object as the client sees it; missing fields compare as "".
    pub fn matches(&self, object: &Value) -> bool {
        self.reqs.iter().all(|r| {
            let mut cur = Some(object);
            for seg in r.field.split('.') {
                cur = cur.and_then(|c| c.get(seg));
            }
            let actual = match cur {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (actual == r.value) == r.equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selector_grammar() {
        let obj = json!({"metadata":{"labels":{"app":"web","tier":"front","n":"5"}}});
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&obj);
        assert!(m("app=web"));
        assert!(m("app==web,tier"));
        assert!(!m("app!=web"));
        assert!(m("env!=prod"));
        assert!(m("app in (web, api)"));
        assert!(!m("app notin (web)"));
        assert!(m("env notin (prod)"));
        assert!(m("!env"));
        assert!(!m("!app"));
        assert!(m("n>4,n<6"));
        assert!(m(""));
        assert!(LabelSelector::parse("app in web").is_err());
        assert!(LabelSelector::parse("a=b=c").is_err());
        assert!(LabelSelector::parse("a,,b").is_err());
    }

    #[test]
    fn field_selector_checks_allowed_fields() {
        let allowed = |f: &str| f == "metadata.name" || f == "involvedObject.kind";
        let obj = json!({"metadata":{"name":"a"},"involvedObject":{"kind":"W"}});
        let s = FieldSelector::parse("metadata.name=a,involvedObject.kind!=X", &allowed).unwrap();
        assert!(s.matches(&obj));
        let err = FieldSelector::parse("spec.x=1", &allowed).unwrap_err();
        assert_eq!(err, "field label not supported: spec.x");
        let escaped = FieldSelector::parse(r"metadata.name=a\,b", &allowed).unwrap();
        assert!(escaped.matches(&json!({"metadata":{"name":"a,b"}})));
    }
}
