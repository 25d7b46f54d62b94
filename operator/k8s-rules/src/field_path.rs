//! The path of a field inside an object (`spec.hosts[1].name`), as rule violations report it.
//! Callers present it their own way: the API server prints it as Kubernetes does, `validate`
//! quotes odd keys and maps it to a line of the file.

use std::fmt;

/// One step down into a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    /// A member of an object.
    Key(String),
    /// An element of a list.
    Index(usize),
}

/// A path from the top of an object to one of its fields; empty for the object itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    segments: Vec<PathSegment>,
}

impl FieldPath {
    /// The path of the object itself.
    pub fn root() -> FieldPath {
        FieldPath::default()
    }

    /// The path of member `key` below this one.
    pub fn key(&self, key: impl Into<String>) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.push(PathSegment::Key(key.into()));
        FieldPath { segments }
    }

    /// The path of element `index` below this one.
    pub fn index(&self, index: usize) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.push(PathSegment::Index(index));
        FieldPath { segments }
    }

    /// This path followed by `other`.
    pub fn join(&self, other: &FieldPath) -> FieldPath {
        let mut segments = self.segments.clone();
        segments.extend(other.segments.iter().cloned());
        FieldPath { segments }
    }

    /// The steps, from the top.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// Whether this is the path of the object itself.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The last step, if any.
    pub fn last(&self) -> Option<&PathSegment> {
        self.segments.last()
    }
}

/// Kubernetes' spelling: keys joined by `.`, indices in brackets (`spec.hosts[1].name`).
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if i == 0 => f.write_str(key)?,
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl<S: Into<String>> FromIterator<S> for FieldPath {
    /// A path of keys only.
    fn from_iter<I: IntoIterator<Item = S>>(keys: I) -> Self {
        FieldPath {
            segments: keys
                .into_iter()
                .map(|key| PathSegment::Key(key.into()))
                .collect(),
        }
    }
}

/// A path being walked, borrowed step by step from the top, and made into a [`FieldPath`]
/// only where something is reported: a schema walk visits every member of an object and
/// reports at few of them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PathRef<'a> {
    Root,
    Key(&'a PathRef<'a>, &'a str),
    Index(&'a PathRef<'a>, usize),
}

impl<'a> PathRef<'a> {
    /// The path of member `key` below this one.
    pub(crate) fn key(&'a self, key: &'a str) -> PathRef<'a> {
        PathRef::Key(self, key)
    }

    /// The path of element `index` below this one.
    pub(crate) fn index(&'a self, index: usize) -> PathRef<'a> {
        PathRef::Index(self, index)
    }

    /// The owned path.
    pub(crate) fn to_path(self) -> FieldPath {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                PathRef::Root => break,
                PathRef::Key(parent, key) => {
                    segments.push(PathSegment::Key(key.to_string()));
                    at = *parent;
                }
                PathRef::Index(parent, index) => {
                    segments.push(PathSegment::Index(index));
                    at = *parent;
                }
            }
        }
        segments.reverse();
        FieldPath { segments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_kubernetes_does() {
        assert_eq!(FieldPath::root().to_string(), "");
        let path = FieldPath::root()
            .key("spec")
            .key("hosts")
            .index(1)
            .key("name");
        assert_eq!(path.to_string(), "spec.hosts[1].name");
        assert_eq!(FieldPath::root().index(0).to_string(), "[0]");
        let joined = FieldPath::from_iter(["spec", "selector"]).join(&path);
        assert_eq!(joined.segments().len(), 6);
        assert_eq!(path.last(), Some(&PathSegment::Key("name".into())));
        assert!(!path.is_root());
    }

    #[test]
    fn a_walked_path_is_the_path_of_its_steps() {
        let root = PathRef::Root;
        let spec = root.key("spec");
        let hosts = spec.key("hosts");
        let second = hosts.index(1);
        let name = second.key("name");
        assert_eq!(name.to_path().to_string(), "spec.hosts[1].name");
        assert_eq!(root.to_path(), FieldPath::root());
    }
}
