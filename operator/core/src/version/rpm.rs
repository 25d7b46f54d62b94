//! RPM version ordering: `rpmvercmp` segment rules (alphanumeric runs, `~` sorts before
//! everything, `^` after the base version but before anything else) and `[epoch:]version-release`
//! comparison as `rpm.labelCompare` does it (a missing epoch is 0; a missing release sorts before
//! any release).

use std::cmp::Ordering;

use super::VersionError;

/// An RPM EVR split into its parts. Borrowed from the input string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch digits ("0" when absent).
    pub epoch: &'a str,
    /// The version.
    pub version: &'a str,
    /// The release, when present.
    pub release: Option<&'a str>,
}

impl<'a> Evr<'a> {
    /// Splits `[epoch:]version[-release]`; never fails (comparison must stay total).
    pub fn split(text: &'a str) -> Self {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
                (if epoch.is_empty() { "0" } else { epoch }, rest)
            }
            _ => ("0", text),
        };
        match rest.rfind('-') {
            Some(at) => Evr {
                epoch,
                version: &rest[..at],
                release: Some(&rest[at + 1..]),
            },
            None => Evr {
                epoch,
                version: rest,
                release: None,
            },
        }
    }

    /// Splits and validates: non-empty version, numeric epoch, no whitespace.
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let invalid = |reason: &'static str| VersionError::new("rpm", text, reason);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(invalid("empty version"));
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(invalid("embedded whitespace"));
        }
        if let Some((epoch, _)) = trimmed.split_once(':')
            && (epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid("epoch is not a number"));
        }
        let evr = Evr::split(trimmed);
        if evr.version.is_empty() {
            return Err(invalid("empty version"));
        }
        if evr.release == Some("") {
            return Err(invalid("empty release after '-'"));
        }
        Ok(evr)
    }
}

impl Ord for Evr<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(self.epoch, other.epoch)
            .then_with(|| rpmvercmp(self.version, other.version))
            .then_with(|| match (self.release, other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two `[epoch:]version-release` strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    Evr::split(a).cmp(&Evr::split(b))
}

/// rpm's `rpmvercmp` over one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            if x.is_none() {
                return Ordering::Less;
            }
            if y.is_none() {
                return Ordering::Greater;
            }
            if x != Some(b'^') {
                return Ordering::Greater;
            }
            if y != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let in_segment = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (start_a, start_b) = (i, j);
        while i < a.len() && in_segment(a[i]) {
            i += 1;
        }
        while j < b.len() && in_segment(b[j]) {
            j += 1;
        }
        if j == start_b {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut seg_a, mut seg_b) = (&a[start_a..i], &b[start_b..j]);
        if numeric {
            while seg_a.first() == Some(&b'0') {
                seg_a = &seg_a[1..];
            }
            while seg_b.first() == Some(&b'0') {
                seg_b = &seg_b[1..];
            }
            match seg_a.len().cmp(&seg_b.len()) {
                Ordering::Equal => {}
                longer_wins => return longer_wins,
            }
        }
        match seg_a.cmp(seg_b) {
            Ordering::Equal => {}
            decided => return decided,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_rpmvercmp_rules() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.010", "1.9"), Ordering::Greater);
        assert_eq!(compare("1:1.0-1.el9", "2.0-1.el9"), Ordering::Greater);
        assert_eq!(compare("1.0", "1.0-5"), Ordering::Less);
    }
}
