//! Field paths as diagnostics print them: `spec.blackouts[1].end`, `metadata.labels["app.kubernetes.io/name"]`.

/// The path of member `key` of the object at `parent`.
pub fn child_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!(
            "{parent}[{}]",
            serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""))
        ),
    }
}

/// The path of element `index` of the list at `parent`.
pub fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The path of the closest enclosing field: `spec.hosts[0].name` → `spec.hosts[0]` → `spec.hosts`.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        // Find the matching '[' that is not inside a quoted key.
        let mut in_quotes = false;
        let mut escaped = false;
        let mut open = None;
        for (i, c) in path.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_quotes => escaped = true,
                '"' => in_quotes = !in_quotes,
                '[' if !in_quotes => open = Some(i),
                _ => {}
            }
        }
        return open.map(|i| &path[..i]);
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks_up_paths() {
        let p = child_key(&child_index(&child_key("spec", "blackouts"), 1), "end");
        assert_eq!(p, "spec.blackouts[1].end");
        assert_eq!(parent(&p), Some("spec.blackouts[1]"));
        assert_eq!(parent("spec.blackouts[1]"), Some("spec.blackouts"));
        assert_eq!(parent("spec"), Some(""));
        assert_eq!(parent(""), None);
        let label = child_key("metadata.labels", "app.kubernetes.io/name");
        assert_eq!(label, "metadata.labels[\"app.kubernetes.io/name\"]");
        assert_eq!(parent(&label), Some("metadata.labels"));
        assert_eq!(parent("a[\"x[1]\"]"), Some("a"));
    }
}
